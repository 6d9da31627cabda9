"""Pure functions: JSON path mapping, CTE composition, SQL classification."""

from __future__ import annotations

from tinybird_local.events import _MISSING, extract, parse_path
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
