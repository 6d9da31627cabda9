"""Pure functions: JSON path mapping, CTE composition, SQL classification, routing; and the chdb
error texts the server recognises (from a real in-process engine)."""

from __future__ import annotations

import gzip

import pytest
import zstandard

from tinybird_local.events import _MISSING, BodyError, decode_body, extract, parse_path
from tinybird_local.pipes import first_keyword, forbidden_table_function, references, with_ctes
from tinybird_local.project import parse_project


def test_json_paths() -> None:
    row = {"a": {"b": [1, 2], "c-d": "x"}, "top": None}
    assert parse_path("$.a.b[:]") == ["a", "b"]
    assert extract(row, parse_path("$.a.b[:]")) == [1, 2]
    assert extract(row, parse_path("$.a.b[1]")) == 2
    assert extract(row, parse_path("$.a['c-d']")) == "x"
    assert extract(row, parse_path("$.top")) is None
    assert extract(row, parse_path("$.a.nope")) is _MISSING
    assert extract(row, parse_path("$.a.b[5]")) is _MISSING


def test_decode_body_reads_every_encoding_and_checks_the_decompressed_size() -> None:
    data = b'{"a":1}\n' * 1000
    zstd = zstandard.ZstdCompressor(level=1)
    for encoding, body in [
        ("", data),
        ("identity", data),
        ("gzip", gzip.compress(data)),
        ("GZIP", gzip.compress(data[:4000]) + gzip.compress(data[4000:])),  # two members
        ("zstd", zstd.compress(data)),
        ("zstd", zstd.compress(data[:4000]) + zstd.compress(data[4000:])),  # two frames
        (" zstd", zstandard.ZstdCompressor(write_content_size=False).compress(data)),
    ]:
        assert decode_body(body, encoding, len(data)) == data, encoding
        with pytest.raises(BodyError) as over:
            decode_body(body, encoding, len(data) - 1)
        assert over.value.status == 413, encoding
    assert decode_body(b"", "zstd", 10) == b""
    for encoding, body in [("zstd", zstd.compress(data)[:-1]), ("gzip", gzip.compress(data)[:-1]), ("br", b"")]:
        with pytest.raises(BodyError) as bad:
            decode_body(body, encoding, 10**6)
        assert bad.value.status == 400, encoding


def test_ctes_merge_into_a_leading_with() -> None:
    assert with_ctes([("n1", "SELECT 1")], "SELECT * FROM n1") == "WITH `n1` AS (\nSELECT 1\n)\nSELECT * FROM n1"
    merged = with_ctes([("n1", "SELECT 1 AS x")], "WITH 2 AS y SELECT x, y FROM n1")
    assert merged == "WITH `n1` AS (\nSELECT 1 AS x\n),\n 2 AS y SELECT x, y FROM n1"


def test_references_ignore_comments_qualified_names_and_calls() -> None:
    assert references("SELECT * FROM usage WHERE 1", "usage")
    assert references("SELECT * FROM `usage`", "usage")
    assert not references("SELECT * FROM db.usage", "usage")
    assert not references("SELECT usage_total FROM x -- usage", "usage")
    assert not references("SELECT usage(1)", "usage")


def test_sql_classification() -> None:
    assert first_keyword("  -- hi\n (SELECT 1)") == "SELECT"
    assert first_keyword("/* x */ drop table t") == "DROP"
    assert forbidden_table_function("SELECT * FROM s3('x')") == "s3"
    assert forbidden_table_function("SELECT domain(url) FROM t") is None


def test_columns_keep_nullable_defaults_and_engine() -> None:
    files = {
        "datasources/t.datasource": (
            "SCHEMA >\n    `a` Nullable(Int32) `json:$.x.a`,\n    `b` String `json:$.b` DEFAULT 'z',\n"
            "    `c` LowCardinality(Nullable(String)) `json:$.c`\n\n"
            'ENGINE "ReplacingMergeTree"\nENGINE_SORTING_KEY "b"\nENGINE_VER "a"\n'
        )
    }
    project, errors = parse_project(files)
    assert errors == []
    ds = project.datasources["t"]
    assert [(c.name, c.type, c.jsonpath, c.default, c.nullable) for c in ds.columns] == [
        ("a", "Nullable(Int32)", "$.x.a", None, True),
        ("b", "String", "$.b", "DEFAULT 'z'", False),
        ("c", "LowCardinality(Nullable(String))", "$.c", None, True),
    ]
    assert ds.engine == "ReplacingMergeTree(a) ORDER BY (b)"


# ---- routing -------------------------------------------------------------------------------------


def _route(router, method: str, path: str):
    from tinybird_local.server import HttpError

    try:
        return router.find(method, path)[0]
    except HttpError as exc:
        return exc.status


def test_routes_match_whole_paths_only() -> None:
    from tinybird_local.routes import Api

    api = Api(engine=None, workspace=None, token="t", url="http://x")  # type: ignore[arg-type]
    router = api.router()
    assert _route(router, "GET", "/v1/workspace") == api.workspace_info
    assert _route(router, "GET", "/v0/workspace") == api.workspace_info
    assert _route(router, "POST", "/v1/workspaces") == api.create_workspace
    assert _route(router, "GET", "/v1/workspaces") == 405  # a path of POST only, not /v1/workspace
    assert _route(router, "GET", "/v1/user/workspaces") == api.user_workspaces
    assert _route(router, "GET", "/v1/workspacesx") == 404
    assert _route(router, "GET", "/v1/workspace/x") == 404
    assert _route(router, "GET", "/v0/pipes/usage.json") == api.pipe
    assert _route(router, "POST", "/v0/sql") == api.sql
    assert _route(router, "GET", "/v0/sqlx") == 404
    assert _route(router, "GET", "/v1/deployments/12/set-live") == 405
    assert _route(router, "GET", "/nope") == 404


# ---- chdb's error texts: each one parse_error() recognises, produced by the real engine -------------


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory):
    from tinybird_local.engine import Engine

    eng = Engine(str(tmp_path_factory.mktemp("chdb")))
    eng.execute("CREATE TABLE t (a UInt64, b Array(String)) ENGINE = MergeTree ORDER BY a")
    yield eng
    eng.close()


def _error(engine, sql: str):
    from tinybird_local.engine import EngineError

    with pytest.raises(EngineError) as info:
        engine.execute(sql)
    return info.value


def test_error_code_name_and_short_text(engine) -> None:
    exc = _error(engine, "SELECT nope_column FROM t")
    assert (exc.code, exc.name, exc.unknown, exc.row) == (47, "UNKNOWN_IDENTIFIER", None, None)
    assert exc.message.startswith("Code: 47. DB::Exception: ")
    assert exc.short.startswith("Unknown expression identifier `nope_column`")
    assert exc.short.endswith("(UNKNOWN_IDENTIFIER)")


def test_error_unknown_table_in_a_query(engine) -> None:
    exc = _error(engine, "SELECT * FROM nope_table")
    assert (exc.code, exc.name, exc.unknown) == (60, "UNKNOWN_TABLE", "nope_table")
    assert _error(engine, "SELECT * FROM default.nope_table").unknown == "nope_table"


def test_error_unknown_table_described(engine) -> None:
    exc = _error(engine, "DESCRIBE TABLE nope_table")
    assert "Table default.nope_table does not exist" in exc.message
    assert (exc.code, exc.unknown) == (60, "nope_table")


def test_error_unknown_database(engine) -> None:
    exc = _error(engine, "SELECT * FROM nodb.nope_table")
    assert (exc.code, exc.name, exc.unknown) == (81, "UNKNOWN_DATABASE", "nodb")


def test_error_input_row_and_key(engine) -> None:
    rows = '{"a":1,"b":[]}\n{"a":"x","b":[]}'
    exc = _error(
        engine,
        f"SELECT count() FROM format(JSONEachRow, 'a UInt64, b Array(String)', '{rows}') "
        "SETTINGS input_format_parallel_parsing = 0",
    )
    assert (exc.row, exc.key, exc.unknown) == (2, "a", None)
    assert "While executing" in exc.message and "While executing" not in exc.short
    exc = _error(
        engine,
        'SELECT count() FROM format(JSONEachRow, \'a UInt64, b Array(String)\', \'{"a":1,"b":"s"}\') '
        "SETTINGS input_format_parallel_parsing = 0",
    )
    assert (exc.row, exc.key) == (1, "b")


# ---- schema evolution: which method a change gets -----------------------------------------------


def _ds(schema: str, engine: str = 'ENGINE "MergeTree"\nENGINE_SORTING_KEY "a"\n', extra: str = ""):
    files = {"datasources/t.datasource": f"SCHEMA >\n    {schema}\n\n{engine}{extra}"}
    project, errors = parse_project(files)
    assert errors == []
    return project.datasources["t"]


def test_evolution_methods() -> None:
    from tinybird_local.migrate import evolve

    base = _ds("`a` String `json:$.a`,\n    `b` Int32 `json:$.b`")
    assert evolve(base, _ds("`a` String `json:$.a`,\n    `b` Int32 `json:$.other`")) is None  # a JSON path only
    assert evolve(base, _ds(
        "`a` String `json:$.a`,\n    `n` UInt8 `json:$.n` DEFAULT 1,\n    `b` Nullable(Int32) `json:$.b`",
        'ENGINE "MergeTree"\nENGINE_SORTING_KEY "a"\nENGINE_TTL "now() + 1"\n',
    )).clauses == [
        "MODIFY COLUMN `b` Nullable(Int32)",
        "ADD COLUMN `n` UInt8 DEFAULT 1 AFTER `a`",
        "MODIFY TTL now() + 1",
    ]  # fmt: skip
    assert evolve(base, _ds("`a` String `json:$.a`")).clauses == ["DROP COLUMN `b`"]

    copy = evolve(base, _ds("`b` Int32 `json:$.b`,\n    `a` String `json:$.a`"))  # reordered
    assert (copy.method, copy.select, copy.columns) == ("backfill", "SELECT `b`, `a`", ["b", "a"])
    resorted = evolve(
        base, _ds("`a` String `json:$.a`,\n    `b` Int32 `json:$.b`", 'ENGINE "MergeTree"\nENGINE_SORTING_KEY "b"\n')
    )
    assert (resorted.method, resorted.select, resorted.forward_query) == ("backfill", "SELECT `a`, `b`", False)

    retyped = evolve(base, _ds("`a` String `json:$.a`,\n    `b` Int64 `json:$.b`"))
    assert (retyped.method, retyped.reason) == ("incompatible", "column 'b' changes type from Int32 to Int64")
    forward = evolve(
        base,
        _ds(
            "`a` String `json:$.a`,\n    `b` Int64 `json:$.b`",
            extra="\nFORWARD_QUERY >\n    SELECT a, toInt64(b) AS b;\n",
        ),
    )
    assert (forward.method, forward.select, forward.columns) == ("backfill", "SELECT a, toInt64(b) AS b", ["a", "b"])
