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
