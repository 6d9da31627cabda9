"""Schema evolution on deploy, as Tinybird Forward does it: in-place ALTERs, rewrites backfilled with a
FORWARD_QUERY (or a plain copy), and deploys that must fail leaving the live deployment as it was.
Each test has its own server."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from conftest import Server, rows_of

SCHEMA_V1 = """SCHEMA >
    `timestamp` DateTime64(3) `json:$.timestamp`,
    `session_id` String `json:$.session_id`,
    `model` LowCardinality(String) `json:$.model`,
    `input_tokens` UInt64 `json:$.input_tokens`,
    `output_tokens` UInt64 `json:$.output_tokens`,
    `cache_read_tokens` UInt64 `json:$.cache_read_tokens`,
    `cache_creation_tokens` UInt64 `json:$.cache_creation_tokens`,
    `cost_usd` Float64 `json:$.cost_usd`,
    `duration_ms` UInt64 `json:$.duration_ms`
"""
ENGINE_V1 = """
ENGINE MergeTree
ENGINE_PARTITION_KEY toYYYYMM(timestamp)
ENGINE_SORTING_KEY model, session_id, timestamp
ENGINE_TTL toDateTime(timestamp) + toIntervalDay(365)
"""
API_REQUESTS_V1 = SCHEMA_V1 + ENGINE_V1

FORWARD_QUERY = """
FORWARD_QUERY >
    SELECT timestamp, session_id, model, input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens, cost_usd, duration_ms, '' AS request_id, concat('legacy:', hex(cityHash64(timestamp, model, input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens))) AS message_id
"""
SCHEMA_V2 = SCHEMA_V1.rstrip("\n") + """,
    `request_id` String `json:$.request_id`,
    `message_id` String `json:$.message_id`
"""
ENGINE_V2 = """
ENGINE ReplacingMergeTree
ENGINE_PARTITION_KEY toYYYYMM(timestamp)
ENGINE_SORTING_KEY request_id, message_id
ENGINE_TTL toDateTime(timestamp) + toIntervalDay(365)
"""
API_REQUESTS_V2 = SCHEMA_V2 + ENGINE_V2 + FORWARD_QUERY

COST_DAILY = """SCHEMA >
    `day` Date,
    `model` LowCardinality(String),
    `cost_usd` Float64,
    `requests` UInt64

ENGINE SummingMergeTree
ENGINE_SORTING_KEY day, model
"""
COST_DAILY_MV = """NODE daily
SQL >
    SELECT toDate(timestamp) AS day, model, sum(cost_usd) AS cost_usd, count() AS requests
    FROM api_requests
    GROUP BY day, model

TYPE materialized
DATASOURCE cost_daily
"""
COST_BY_MODEL = """NODE by_model
SQL >
    SELECT model, sum(cost_usd) AS cost_usd, sum(requests) AS requests
    FROM cost_daily
    GROUP BY model
    ORDER BY model

TYPE endpoint
"""
TOKENS = """NODE totals
SQL >
    SELECT count() AS requests, sum(input_tokens) AS input_tokens FROM api_requests

TYPE endpoint
"""


def project(api_requests: str) -> dict[str, str]:
    return {
        "datasources/api_requests.datasource": api_requests,
        "datasources/cost_daily.datasource": COST_DAILY,
        "materializations/cost_daily_mv.pipe": COST_DAILY_MV,
        "endpoints/cost_by_model.pipe": COST_BY_MODEL,
        "endpoints/tokens.pipe": TOKENS,
    }


def request(ts: str, model: str, tokens: int, cost: float, **extra: str) -> dict:
    return {
        "timestamp": ts,
        "session_id": "s1",
        "model": model,
        "input_tokens": tokens,
        "output_tokens": 2 * tokens,
        "cache_read_tokens": 0,
        "cache_creation_tokens": 1,
        "cost_usd": cost,
        "duration_ms": 100,
        **extra,
    }


V1_ROWS = [
    request("2026-03-01 10:00:00.250", "opus", 10, 0.5),
    request("2026-03-01 11:00:00.000", "opus", 20, 1.0),
    request("2026-03-02 09:30:00.125", "haiku", 5, 0.25),
]
# What the FORWARD_QUERY computes for them (cityHash64 of the UTC DateTime64(3), the model and the
# four token counts, as ClickHouse 26.9 computes it).
LEGACY_IDS = [
    "legacy:C8ACC4093BCF00F7",
    "legacy:7D771401F32005C3",
    "legacy:0DD12663A7D4CD44",
]
COLUMNS = "timestamp, model, input_tokens, request_id, message_id"


def table(server: Server, sql: str) -> list[list[str]]:
    reply = server.sql(sql)
    assert reply.status == 200, reply.text
    return [line.split("\t") for line in reply.text.splitlines()]


def columns_of(server: Server, name: str) -> list[str]:
    sql = f"SELECT name FROM system.columns WHERE database = 'default' AND table = '{name}' ORDER BY position"
    return [row[0] for row in table(server, sql)]


def engine_of(server: Server, name: str) -> list[list[str]]:
    return table(
        server, f"SELECT engine, sorting_key FROM system.tables WHERE database = 'default' AND name = '{name}'"
    )


@pytest.fixture
def v1(tmp_path: Path):
    """A server with v1 live and V1_ROWS ingested."""
    srv = Server(tmp_path)
    reply = srv.deploy(project(API_REQUESTS_V1), auto_promote="true")
    assert reply.json["result"] == "success", reply.text
    assert srv.ingest("api_requests", V1_ROWS).json == {"successful_rows": 3, "quarantined_rows": 0}
    yield srv
    srv.stop()


def test_forward_query_rewrites_the_table_keeping_every_row(v1: Server) -> None:
    reply = v1.deploy(project(API_REQUESTS_V2), auto_promote="true")
    assert reply.json["result"] == "success", reply.text
    deployment = reply.json["deployment"]
    assert deployment["changed_datasource_names"] == ["api_requests"]
    assert deployment["data_movements"] == [
        {"datasource_name": "api_requests", "kind": "backfill_with_forward_query", "source_mv_name": None}
    ]
    assert table(v1, f"SELECT {COLUMNS} FROM api_requests ORDER BY timestamp") == [
        ["2026-03-01 10:00:00.250", "opus", "10", "", LEGACY_IDS[0]],
        ["2026-03-01 11:00:00.000", "opus", "20", "", LEGACY_IDS[1]],
        ["2026-03-02 09:30:00.125", "haiku", "5", "", LEGACY_IDS[2]],
    ]
    assert engine_of(v1, "api_requests") == [["ReplacingMergeTree", "request_id, message_id"]]
    assert table(v1, "SELECT count() FROM system.tables WHERE name LIKE '%-tb-%'") == [["0"]]
    # The quarantine table has the new columns.
    assert columns_of(v1, "api_requests_quarantine") == [
        "c__error_column", "c__error", "c__import_id", "insertion_date", "timestamp", "session_id", "model",
        "input_tokens", "output_tokens", "cache_read_tokens", "cache_creation_tokens", "cost_usd", "duration_ms",
        "request_id", "message_id",
    ]  # fmt: skip

    # New rows land with their own ids; FINAL keeps one row per (request_id, message_id): a legacy
    # row sent again with its legacy id, and a new message sent twice.
    again = {**V1_ROWS[0], "request_id": "", "message_id": LEGACY_IDS[0]}
    new = request("2026-03-03 08:00:00.000", "opus", 7, 0.125, request_id="req_1", message_id="msg_1")
    assert v1.ingest("api_requests", [again, new, {**new, "cost_usd": 0.5}]).json["successful_rows"] == 3
    assert table(v1, f"SELECT {COLUMNS} FROM api_requests FINAL ORDER BY timestamp") == [
        ["2026-03-01 10:00:00.250", "opus", "10", "", LEGACY_IDS[0]],
        ["2026-03-01 11:00:00.000", "opus", "20", "", LEGACY_IDS[1]],
        ["2026-03-02 09:30:00.125", "haiku", "5", "", LEGACY_IDS[2]],
        ["2026-03-03 08:00:00.000", "opus", "7", "req_1", "msg_1"],
    ]
    assert table(v1, "SELECT cost_usd FROM api_requests FINAL WHERE message_id = 'msg_1'") == [["0.5"]]

    # The materialized view still reads from the swapped table, and the endpoints still answer.
    assert rows_of(v1.pipe("cost_by_model")) == [
        {"model": "haiku", "cost_usd": 0.25, "requests": "1"},
        {"model": "opus", "cost_usd": 2.625, "requests": "5"},
    ]
    assert v1.deploy(project(API_REQUESTS_V2), auto_promote="true").json["result"] == "no_changes"


def assert_still_v1(server: Server) -> None:
    assert engine_of(server, "api_requests") == [["MergeTree", "model, session_id, timestamp"]]
    assert table(server, "SELECT timestamp, model, input_tokens FROM api_requests ORDER BY timestamp") == [
        ["2026-03-01 10:00:00.250", "opus", "10"],
        ["2026-03-01 11:00:00.000", "opus", "20"],
        ["2026-03-02 09:30:00.125", "haiku", "5"],
    ]
    assert "request_id" not in columns_of(server, "api_requests_quarantine")
    assert table(server, "SELECT count() FROM system.tables WHERE name LIKE '%-tb-%'") == [["0"]]


def forward_query(select: str) -> str:
    return SCHEMA_V2 + ENGINE_V2 + f"\nFORWARD_QUERY >\n    {select}\n"


ALL_BUT_IDS = (
    "timestamp, session_id, model, input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens, "
    "cost_usd, duration_ms"
)


@pytest.mark.parametrize(
    ("select", "expected"),
    [
        (f"SELECT {ALL_BUT_IDS}, '' AS request_id, nope_column AS message_id", "nope_column"),
        (f"SELECT {ALL_BUT_IDS},, '' AS request_id", "Syntax error"),
        (
            f"SELECT {ALL_BUT_IDS}, '' AS request_id",
            "FORWARD_QUERY columns don't match datasource schema: missing columns message_id",
        ),
        (
            f"SELECT {ALL_BUT_IDS}, '' AS request_id, '' AS message_id, 1 AS extra",
            "FORWARD_QUERY columns don't match datasource schema: columns not in the schema extra",
        ),
        (
            f"SELECT {ALL_BUT_IDS}, 0 AS request_id, '' AS message_id",
            "column 'request_id' is UInt8 but the schema says String (CAST it)",
        ),
    ],
    ids=["unknown-column", "syntax", "missing-column", "extra-column", "wrong-type"],
)
def test_a_broken_forward_query_fails_and_changes_nothing(v1: Server, select: str, expected: str) -> None:
    for check in ("true", "false"):
        reply = v1.deploy(project(forward_query(select)), auto_promote="true", check=check)
        assert reply.json["result"] == "failed", reply.text
        deployment = reply.json["deployment"]
        assert [e["filename"] for e in deployment["errors"]] == ["datasources/api_requests.datasource"]
        assert expected in deployment["errors"][0]["error"]
        assert deployment["feedback"][0]["resource"] == "api_requests"
        assert deployment["data_movements"] == []
    assert_still_v1(v1)
    assert [d["id"] for d in v1.call("GET", "/v1/deployments").json["deployments"]] == ["1"]


def test_check_validates_and_reports_without_changing_anything(v1: Server) -> None:
    reply = v1.deploy(project(API_REQUESTS_V2), check="true")
    assert reply.json["result"] == "success", reply.text
    assert reply.json["deployment"]["data_movements"] == [
        {"datasource_name": "api_requests", "kind": "backfill_with_forward_query", "source_mv_name": None}
    ]
    assert reply.json["deployment"]["feedback"] == [
        {
            "resource": "api_requests",
            "level": "INFO",
            "message": "This datasource will be rebuilt and backfilled from the live deployment with its FORWARD_QUERY.",
        }
    ]
    assert_still_v1(v1)
    assert [d["id"] for d in v1.call("GET", "/v1/deployments").json["deployments"]] == ["1"]


def test_a_failing_backfill_leaves_the_live_deployment(v1: Server) -> None:
    # Valid on an empty table, fails on the live rows: session_id is 's1'.
    select = ALL_BUT_IDS.replace("input_tokens", "toUInt64(session_id) AS input_tokens", 1)
    reply = v1.deploy(
        project(forward_query(f"SELECT {select}, '' AS request_id, '' AS message_id")), auto_promote="true"
    )
    assert reply.json["result"] == "failed", reply.text
    error = reply.json["deployment"]["errors"][0]
    assert error["filename"] == "datasources/api_requests.datasource"
    assert error["error"].startswith("Backfilling datasource 'api_requests' from the live deployment failed: ")
    assert "Cannot parse string 's1' as UInt64" in error["error"]
    assert_still_v1(v1)
    assert v1.ingest("api_requests", [request("2026-03-04 00:00:00", "opus", 1, 0.0)]).json["successful_rows"] == 1


def test_promotion_backfills_the_rows_ingested_since_the_deploy(v1: Server) -> None:
    staged = v1.deploy(project(API_REQUESTS_V2)).json["deployment"]
    assert (staged["status"], staged["live"]) == ("data_ready", False)
    assert_still_v1(v1)
    assert v1.ingest("api_requests", [request("2026-03-05 00:00:00", "sonnet", 3, 0.0)]).json["successful_rows"] == 1
    promoted = v1.call("POST", f"/v1/deployments/{staged['id']}/set-live")
    assert promoted.status == 200, promoted.text
    sql = "SELECT model, request_id, startsWith(message_id, 'legacy:') FROM api_requests ORDER BY timestamp"
    assert table(v1, sql) == [["opus", "", "1"], ["opus", "", "1"], ["haiku", "", "1"], ["sonnet", "", "1"]]


def test_ingest_during_the_swap_waits_and_loses_nothing(v1: Server) -> None:
    results: list[int] = []

    def ingest() -> None:
        for i in range(30):
            row = request(f"2026-04-01 00:00:{i:02d}", "opus", 1, 0.0, request_id=f"r{i}", message_id=f"m{i}")
            reply = v1.ingest("api_requests", [row])
            results.append(reply.json["successful_rows"] if reply.status == 200 else -reply.status)

    writer = threading.Thread(target=ingest)
    writer.start()
    reply = v1.deploy(project(API_REQUESTS_V2), auto_promote="true")
    writer.join()
    assert reply.json["result"] == "success", reply.text
    assert results == [1] * 30
    # Every row is there once: the v1 ones, and each ingested one either before the swap (copied
    # through the FORWARD_QUERY: a legacy id) or after it (its own id). The keys are all distinct.
    assert table(v1, "SELECT count(), uniqExact(message_id) FROM api_requests") == [["33", "33"]]
    after = table(v1, "SELECT count() FROM api_requests WHERE timestamp >= '2026-04-01' AND request_id != ''")
    before = table(v1, "SELECT count() FROM api_requests WHERE timestamp >= '2026-04-01' AND request_id = ''")
    assert int(after[0][0]) + int(before[0][0]) == 30


def test_a_type_change_needs_a_forward_query_or_allow_destructive(v1: Server) -> None:
    retyped = API_REQUESTS_V1.replace("`session_id` String", "`session_id` LowCardinality(String)")
    reply = v1.deploy(project(retyped), auto_promote="true")
    assert reply.json["result"] == "failed"
    assert reply.json["deployment"]["errors"] == [
        {
            "filename": "datasources/api_requests.datasource",
            "error": "Datasource 'api_requests' needs a FORWARD_QUERY to migrate its rows: column 'session_id' "
            "changes type from String to LowCardinality(String). Add a FORWARD_QUERY that selects every column "
            "of the new schema from the live rows, or deploy with allow_destructive_operations=true to drop and "
            "recreate the table (its rows are lost).",
        }
    ]
    assert_still_v1(v1)

    cast = retyped + f"\nFORWARD_QUERY >\n    SELECT * EXCEPT session_id, toLowCardinality(session_id) AS session_id\n"
    assert v1.deploy(project(cast), auto_promote="true").json["result"] == "success"
    assert table(v1, "SELECT toTypeName(session_id), count() FROM api_requests GROUP BY 1") == [
        ["LowCardinality(String)", "3"]
    ]


def test_documented_alters_apply_in_place(v1: Server) -> None:
    altered = (
        SCHEMA_V1.replace("`cost_usd` Float64", "`cost_usd` Nullable(Float64)")
        .replace("    `duration_ms` UInt64 `json:$.duration_ms`\n", "")
        .replace(
            "`session_id` String `json:$.session_id`,",
            "`session_id` String `json:$.session_id`,\n    `tool` String `json:$.tool` DEFAULT 'none',",
        )
        + "\nINDEXES >\n    idx_session session_id TYPE bloom_filter GRANULARITY 4\n"
        + ENGINE_V1.replace("toIntervalDay(365)", "toIntervalDay(730)")
    )
    reply = v1.deploy(project(altered), auto_promote="true")
    assert reply.json["result"] == "success", reply.text
    assert reply.json["deployment"]["data_movements"] == []
    assert reply.json["deployment"]["feedback"] == [
        {
            "resource": "api_requests",
            "level": "INFO",
            "message": "This datasource will be updated using ALTER TABLE. No data movement or backfill required.",
        }
    ]
    assert columns_of(v1, "api_requests") == [
        "timestamp", "session_id", "tool", "model", "input_tokens", "output_tokens", "cache_read_tokens",
        "cache_creation_tokens", "cost_usd",
    ]  # fmt: skip
    assert table(v1, "SELECT tool, toTypeName(cost_usd), sum(cost_usd) FROM api_requests GROUP BY 1, 2") == [
        ["none", "Nullable(Float64)", "1.75"]
    ]
    create = table(v1, "SELECT create_table_query FROM system.tables WHERE name = 'api_requests'")[0][0]
    assert "toIntervalDay(730)" in create and "INDEX idx_session session_id TYPE bloom_filter GRANULARITY 4" in create
    assert "duration_ms" not in columns_of(v1, "api_requests_quarantine")
    assert "tool" in columns_of(v1, "api_requests_quarantine")

    no_ttl = altered.replace("ENGINE_TTL toDateTime(timestamp) + toIntervalDay(730)\n", "").replace(
        "\nINDEXES >\n    idx_session session_id TYPE bloom_filter GRANULARITY 4\n", ""
    )
    assert v1.deploy(project(no_ttl), auto_promote="true").json["deployment"]["data_movements"] == []
    create = table(v1, "SELECT create_table_query FROM system.tables WHERE name = 'api_requests'")[0][0]
    assert " TTL " not in create and "INDEX" not in create
    assert table(v1, "SELECT count() FROM api_requests") == [["3"]]


def test_an_engine_change_backfills_without_a_forward_query(v1: Server) -> None:
    """cost_daily is the target of a materialized view: it is copied into its new table, and the view
    writes to that one afterwards."""
    files = project(API_REQUESTS_V1)
    files["datasources/cost_daily.datasource"] = COST_DAILY.replace(
        "ENGINE_SORTING_KEY day, model", "ENGINE_SORTING_KEY model, day"
    )
    reply = v1.deploy(files, auto_promote="true")
    assert reply.json["result"] == "success", reply.text
    assert reply.json["deployment"]["data_movements"] == [
        {"datasource_name": "cost_daily", "kind": "backfill_with_forward_query", "source_mv_name": None}
    ]
    assert engine_of(v1, "cost_daily") == [["SummingMergeTree", "model, day"]]
    v1.ingest("api_requests", [request("2026-03-02 10:00:00", "haiku", 1, 0.5)])
    assert rows_of(v1.pipe("cost_by_model")) == [
        {"model": "haiku", "cost_usd": 0.75, "requests": "2"},
        {"model": "opus", "cost_usd": 1.5, "requests": "2"},
    ]


def test_a_forward_query_on_a_new_or_unchanged_datasource_is_ignored(tmp_path: Path) -> None:
    server = Server(tmp_path)
    try:
        with_query = API_REQUESTS_V1 + FORWARD_QUERY  # it names columns this schema doesn't have
        reply = server.deploy(project(with_query), auto_promote="true")
        assert reply.json["result"] == "success", reply.text
        assert reply.json["deployment"]["data_movements"] == []
        server.ingest("api_requests", V1_ROWS)
        for files in (project(API_REQUESTS_V1), project(with_query)):  # the schema stays; the query goes, comes
            deployment = server.deploy(files, auto_promote="true").json["deployment"]
            assert (deployment["status"], deployment["changed_datasource_names"]) == ("data_ready", ["api_requests"])
            assert (deployment["data_movements"], deployment["feedback"]) == ([], [])
            assert_still_v1(server)
    finally:
        server.stop()


def test_a_forward_query_left_in_the_file_runs_again_on_the_next_change(v1: Server) -> None:
    """Like on Tinybird: keep a FORWARD_QUERY after its migration and the next change of that
    datasource, even one an ALTER would do, runs it again over rows it already migrated."""
    assert v1.deploy(project(API_REQUESTS_V2), auto_promote="true").json["result"] == "success"
    new = request("2026-03-03 08:00:00.000", "opus", 7, 0.125, request_id="req_1", message_id="msg_1")
    v1.ingest("api_requests", [new])
    longer_ttl = API_REQUESTS_V2.replace("toIntervalDay(365)", "toIntervalDay(730)")

    without = longer_ttl.replace(FORWARD_QUERY, "")
    reply = v1.deploy(project(without), check="true").json["deployment"]
    assert (reply["data_movements"], reply["feedback"][0]["message"]) == (
        [],
        "This datasource will be updated using ALTER TABLE. No data movement or backfill required.",
    )

    reply = v1.deploy(project(longer_ttl), auto_promote="true").json["deployment"]
    assert reply["data_movements"] == [
        {"datasource_name": "api_requests", "kind": "backfill_with_forward_query", "source_mv_name": None}
    ]
    assert "Without it, this change would be an ALTER" in reply["feedback"][0]["message"]
    assert table(
        v1, "SELECT request_id, startsWith(message_id, 'legacy:') FROM api_requests WHERE input_tokens = 7"
    ) == [["", "1"]]
