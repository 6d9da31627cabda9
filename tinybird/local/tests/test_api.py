"""The API against one server with tests/project deployed. Each test uses its own session ids /
names, so the tests do not depend on each other's rows."""

from __future__ import annotations

import gzip
import json

import zstandard

from conftest import Server, project_files, rows_of


def event(session: str, name: str, tokens: object, cost: float | None = None, **extra: object) -> dict:
    row: dict = {
        "ts": "2026-03-01 10:00:00.250",
        "session_id": session,
        "name": name,
        "usage": {"tokens": tokens},
        "tags": [],
    }
    if cost is not None:
        row["cost"] = cost
    row.update(extra)
    return row


# ---- meta and auth -------------------------------------------------------------------------------


def test_tokens_health_and_workspace(server: Server) -> None:
    tokens = server.call("GET", "/tokens", token=None)
    assert tokens.status == 200
    assert tokens.json == {
        "user_token": server.token,
        "admin_token": server.token,
        "workspace_admin_token": server.token,
    }
    assert server.call("GET", "/v0/health", token=None).status == 200
    assert server.call("GET", "/v1/workspace").json["name"] == "local"
    assert server.call("GET", "/v0/regions").json["regions"][0]["api_host"] == server.url


def test_paths_are_matched_whole(server: Server) -> None:
    assert server.call("GET", "/v1/workspaces").status == 405  # POST only; not answered as /v1/workspace
    assert server.call("GET", "/v1/workspacesx").status == 404
    assert server.call("GET", "/v0/nope").status == 404


def test_wrong_or_missing_token_is_403(server: Server) -> None:
    for token in (None, "p.wrong"):
        for method, path in (("GET", "/v0/pipes/usage.json"), ("GET", "/v0/sql"), ("POST", "/v0/events")):
            reply = server.call(method, path, params={"name": "events", "q": "SELECT 1"}, body=b"", token=token)
            assert reply.status == 403, (method, path, token)
            assert "error" in reply.json
    by_query = server.call("GET", "/v0/sql", params={"q": "SELECT 1", "token": server.token}, token=None)
    assert (by_query.status, by_query.text) == (200, "1\n")


# ---- deploy --------------------------------------------------------------------------------------


def test_redeploying_the_same_project_has_no_changes(server: Server) -> None:
    reply = server.deploy(project_files(), auto_promote="true")
    assert reply.json["result"] == "no_changes"
    assert reply.json["deployment"]["live"] is True


def test_invalid_datafile_fails_with_feedback_naming_file_and_error(server: Server) -> None:
    files = project_files()
    files["datasources/bad.datasource"] = "SCHEMA >\n    `a` Strin `json:$.a`\n"
    reply = server.deploy(files, auto_promote="true")
    deployment = reply.json["deployment"]
    assert reply.json["result"] == "failed"
    assert deployment["status"] == "failed"
    assert deployment["errors"][0]["filename"] == "datasources/bad.datasource"
    assert "Unknown data type family: Strin" in deployment["errors"][0]["error"]
    assert deployment["feedback"][0]["resource"] == "bad"
    assert deployment["feedback"][0]["level"] == "ERROR"
    assert reply.json["errors"] == deployment["errors"]
    assert reply.json["error"].startswith("[datasources/bad.datasource] Unknown data type family: Strin")
    # The live project is untouched.
    assert server.call("GET", f"/v1/deployments/{deployment['id']}").json["deployment"]["status"] == "failed"
    assert server.pipe("usage", session_id="nobody").status == 200


def test_pipe_over_unknown_table_fails_the_deploy(server: Server) -> None:
    files = project_files()
    files["endpoints/broken.pipe"] = "NODE n\nSQL >\n    SELECT count() FROM no_such_table\n\nTYPE endpoint\n"
    reply = server.deploy(files, check="true")
    assert reply.json["result"] == "failed"
    error = reply.json["deployment"]["errors"][0]
    assert error["filename"] == "endpoints/broken.pipe"
    assert "no_such_table" in error["error"]


def test_check_reports_destructive_change_and_accepts_a_new_column(server: Server) -> None:
    files = project_files()
    files["datasources/daily.datasource"] = files["datasources/daily.datasource"].replace(
        "`events` UInt64", "`events` UInt32"
    )
    reply = server.deploy(files, check="true")
    assert reply.json["result"] == "failed"
    assert "allow_destructive_operations" in reply.json["deployment"]["errors"][0]["error"]
    assert server.deploy(files, check="true", allow_destructive_operations="true").json["result"] == "success"

    files = project_files()
    files["datasources/daily.datasource"] = files["datasources/daily.datasource"].replace(
        "`events` UInt64", "`events` UInt64,\n    `extra` String"
    )
    reply = server.deploy(files, check="true")
    assert reply.json["result"] == "success"
    assert reply.json["deployment"]["changed_datasource_names"] == ["daily"]


# ---- events --------------------------------------------------------------------------------------


def test_ingest_then_query_a_multi_node_pipe(server: Server) -> None:
    rows = [event("ing-1", "a", 10, 0.5), event("ing-1", "a", 20, 1.5), event("ing-1", "b", 7, tags=["x", "y"])]
    reply = server.ingest("events", rows)
    assert (reply.status, reply.json) == (200, {"successful_rows": 3, "quarantined_rows": 0})
    data = rows_of(server.pipe("usage", session_id="ing-1"))
    assert data == [
        {"name": "a", "calls": "2", "tokens": "30", "avg_cost": 1},
        {"name": "b", "calls": "1", "tokens": "7", "avg_cost": 0},
    ]
    assert rows_of(server.pipe("usage_total", session_id="ing-1")) == [{"tokens": "37", "calls": "3"}]
    stored = rows_of(
        server.sql(
            "SELECT ts, toUnixTimestamp(ts) AS epoch, tags, maybe FROM events "
            "WHERE session_id = 'ing-1' AND name = 'b' FORMAT JSON"
        )
    )
    # Timestamps are UTC whatever the machine's TZ (the test run sets TZ to New York).
    assert stored == [{"ts": "2026-03-01 10:00:00.250", "epoch": 1772359200, "tags": ["x", "y"], "maybe": None}]


def test_gzip_ingest_without_wait_is_202(server: Server) -> None:
    rows = [event("gz-1", "a", i) for i in range(1, 101)]
    reply = server.ingest("events", rows, wait=False, compress=True)
    assert (reply.status, reply.json) == (202, {"successful_rows": 100, "quarantined_rows": 0})
    assert rows_of(server.pipe("usage", session_id="gz-1")) == [
        {"name": "a", "calls": "100", "tokens": "5050", "avg_cost": 0}
    ]


def test_zstd_ingest_lands_like_plain(server: Server) -> None:
    rows = [event("zs-1", "a", i) for i in range(1, 101)]
    reply = server.ingest("events", rows, compress="zstd")
    assert (reply.status, reply.json) == (200, {"successful_rows": 100, "quarantined_rows": 0})
    assert rows_of(server.pipe("usage", session_id="zs-1")) == [
        {"name": "a", "calls": "100", "tokens": "5050", "avg_cost": 0}
    ]


def test_zstd_frames_without_content_size_and_in_a_row(server: Server) -> None:
    # A streaming compressor writes no content size, and may write several frames.
    def frame(rows: list[dict]) -> bytes:
        body = "".join(json.dumps(r) + "\n" for r in rows).encode()
        return zstandard.ZstdCompressor(level=3, write_content_size=False).compress(body)

    body = frame([event("zs-2", "a", 1)]) + frame([event("zs-2", "a", 2), event("zs-2", "a", 3)])
    reply = server.call(
        "POST", "/v0/events", params={"name": "events", "wait": "true"}, body=body, headers={"Content-Encoding": "zstd"}
    )
    assert (reply.status, reply.json) == (200, {"successful_rows": 3, "quarantined_rows": 0})


def test_the_limit_applies_to_the_decompressed_body(server: Server) -> None:
    # 10 MB + 1 of NDJSON (whitespace lines are skipped) shrinks to a few kB: refused, whatever the encoding.
    row = json.dumps(event("lim-1", "a", 1)).encode() + b"\n"
    plain = row + b" " * (10 * 1024 * 1024 + 1 - len(row))
    for encoding, packed in [
        ("gzip", gzip.compress(plain, 1)),
        ("zstd", zstandard.ZstdCompressor(level=1).compress(plain)),
        ("zstd", zstandard.ZstdCompressor(level=1, write_content_size=False).compress(plain)),
    ]:
        assert len(packed) < 100_000
        reply = server.call(
            "POST", "/v0/events", params={"name": "events"}, body=packed, headers={"Content-Encoding": encoding}
        )
        assert (reply.status, reply.json["error"]) == (
            413,
            "The uncompressed body is over the limit of 10485760 bytes",
        ), encoding
    # Exactly at the limit is fine.
    at_limit = zstandard.ZstdCompressor(level=1).compress(plain[:-1])
    reply = server.call(
        "POST", "/v0/events", params={"name": "events"}, body=at_limit, headers={"Content-Encoding": "zstd"}
    )
    assert (reply.status, reply.json) == (202, {"successful_rows": 1, "quarantined_rows": 0})


def test_rows_that_do_not_fit_go_to_quarantine(server: Server) -> None:
    rows = [
        event("q-1", "a", 5),
        event("q-1", "a", "abc"),  # not a UInt64
        event("q-1", "a", -3),  # out of range for UInt64
        {"ts": "2026-03-01 10:00:00", "name": "a", "usage": {"tokens": 1}, "tags": []},  # no session_id
        event("q-1", "a", 1, tags="not-an-array"),  # ClickHouse refuses it
        "{not json",
        event("q-1", "a", 6),
    ]
    reply = server.ingest("events", rows)
    assert (reply.status, reply.json) == (200, {"successful_rows": 2, "quarantined_rows": 5})
    assert rows_of(server.pipe("usage", session_id="q-1")) == [
        {"name": "a", "calls": "2", "tokens": "11", "avg_cost": 0}
    ]
    quarantined = rows_of(
        server.sql(
            "SELECT c__error_column, tokens, session_id, tags, c__error FROM events_quarantine "
            "WHERE session_id = 'q-1' OR session_id IS NULL ORDER BY tokens NULLS FIRST, c__error_column FORMAT JSON"
        )
    )
    assert [(r["c__error_column"], r["tokens"], r["session_id"], r["tags"]) for r in quarantined] == [
        ([], None, None, None),
        (["tokens"], "-3", "q-1", "[]"),
        (["session_id"], "1", None, "[]"),
        (["tags"], "1", "q-1", "not-an-array"),
        (["tokens"], "abc", "q-1", "[]"),
    ]
    assert quarantined[4]["c__error"] == ["value 'abc' on column 'tokens' is not UInt64"]
    assert quarantined[0]["c__error"][0].startswith("invalid JSON")


def test_events_errors(server: Server) -> None:
    assert server.call("POST", "/v0/events", body=b"{}\n").status == 400
    missing = server.call("POST", "/v0/events", params={"name": "nope"}, body=b"{}\n")
    assert (missing.status, missing.json["error"]) == (404, "Data Source 'nope' not found")
    big = server.call("POST", "/v0/events", params={"name": "events"}, body=b" " * (10 * 1024 * 1024 + 1))
    assert big.status == 413
    bad_gzip = server.call(
        "POST", "/v0/events", params={"name": "events"}, body=b"not gzip", headers={"Content-Encoding": "gzip"}
    )
    assert bad_gzip.status == 400
    rows = b"".join(json.dumps(event("zs-x", "a", 1)).encode() + b"\n" for _ in range(50))
    for body, error in [
        (b"not zstd", "Invalid zstd body"),
        (zstandard.ZstdCompressor().compress(rows)[:-8], "Invalid zstd body: it is truncated"),
    ]:
        bad_zstd = server.call(
            "POST", "/v0/events", params={"name": "events"}, body=body, headers={"Content-Encoding": "zstd"}
        )
        assert (bad_zstd.status, bad_zstd.json["error"]) == (400, error)
    brotli = server.call("POST", "/v0/events", params={"name": "events"}, body=b"x", headers={"Content-Encoding": "br"})
    assert (brotli.status, brotli.json["error"]) == (400, "Unsupported Content-Encoding 'br'")


# ---- pipes ---------------------------------------------------------------------------------------


def test_pipe_params_defaults_and_errors(server: Server) -> None:
    server.ingest("events", [event("p-1", "pp", 3), event("p-2", "pp", 9), event("p-3", "pp", 6)])
    assert rows_of(server.pipe("top_sessions", name="pp")) == [
        {"session_id": "p-2", "tokens": "9"},
        {"session_id": "p-3", "tokens": "6"},
        {"session_id": "p-1", "tokens": "3"},
    ]
    limited = server.pipe("top_sessions", name="pp", limit="1")
    assert rows_of(limited) == [{"session_id": "p-2", "tokens": "9"}]
    assert limited.json["rows"] == 1
    assert limited.json["rows_before_limit_at_least"] == 3
    assert [m["type"] for m in limited.json["meta"]] == ["String", "UInt64"]
    assert set(limited.json["statistics"]) == {"elapsed", "rows_read", "bytes_read"}

    bad = server.pipe("top_sessions", name="pp", limit="abc")
    assert (bad.status, bad.json["error"]) == (400, "Template Syntax Error: Error validating 'abc' to type Int32")
    required = server.pipe("top_sessions")
    assert required.status == 400
    assert required.json["error"] == (
        "Template Syntax Error: Required parameter is not defined. Check the parameters name. "
        "Please provide a value or set a default value in the pipe code."
    )
    assert server.pipe("nope").status == 404


def test_pipe_formats_post_body_and_q(server: Server) -> None:
    server.ingest("events", [event("f-1", "a", 4, 0.25), event("f-1", "b", 6, 0.75)])
    ndjson = server.pipe("usage", fmt="ndjson", session_id="f-1")
    assert ndjson.text.splitlines() == [
        '{"name":"a","calls":"1","tokens":"4","avg_cost":0.25}',
        '{"name":"b","calls":"1","tokens":"6","avg_cost":0.75}',
    ]
    csv = server.pipe("usage", fmt="csv", session_id="f-1")
    assert csv.text == '"name","calls","tokens","avg_cost"\n"a",1,4,0.25\n"b",1,6,0.75\n'
    posted = server.call(
        "POST",
        "/v0/pipes/usage.json",
        body=b"session_id=f-1",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert [r["tokens"] for r in rows_of(posted)] == ["4", "6"]
    q = server.pipe("usage", session_id="f-1", q="SELECT sum(tokens) AS total, count() AS names FROM _")
    assert rows_of(q) == [{"total": "10", "names": "2"}]
    since = server.pipe("usage", session_id="f-1", start="2030-01-01 00:00:00")
    assert rows_of(since) == []


def test_materialized_pipe_feeds_its_target(server: Server) -> None:
    rows = [event("mv-1", "mv", 2), event("mv-2", "mv", 3), {**event("mv-1", "mv", 5), "ts": "2026-03-02 00:00:01"}]
    server.ingest("events", rows)
    assert rows_of(server.pipe("daily_usage", name="mv")) == [
        {"day": "2026-03-01", "tokens": "5", "events": "2"},
        {"day": "2026-03-02", "tokens": "5", "events": "1"},
    ]


# ---- sql -----------------------------------------------------------------------------------------


def test_sql_formats_and_errors(server: Server) -> None:
    server.ingest("events", [event("s-1", "a", 1), event("s-1", "a", 2)])
    tsv = server.sql("SELECT session_id, sum(tokens) FROM events WHERE session_id = 's-1' GROUP BY session_id")
    assert (tsv.status, tsv.text) == (200, "s-1\t3\n")
    as_json = server.sql("SELECT toUInt64(18446744073709551615) AS big, toInt32(-1) AS small FORMAT JSON")
    assert as_json.json["data"] == [{"big": "18446744073709551615", "small": -1}]
    posted = server.call("POST", "/v0/sql", body=b"SELECT 40 + 2", headers={"Content-Type": "text/plain"})
    assert posted.text == "42\n"
    unknown = server.sql("SELECT * FROM nope")
    assert (unknown.status, unknown.json["error"]) == (403, "Resource 'nope' not found")
    for statement in (
        "DROP TABLE events",
        "INSERT INTO events (session_id) VALUES ('x')",
        "ALTER TABLE events DELETE WHERE 1",
    ):
        reply = server.sql(statement)
        assert reply.status == 400, statement
    assert server.sql("SELECT count() FROM events WHERE session_id = 's-1'").text == "2\n"
    via_pipe = server.sql("SELECT tokens FROM usage WHERE name = 'a' FORMAT JSON")
    assert via_pipe.status == 200
    assert json.loads(via_pipe.body)["meta"] == [{"name": "tokens", "type": "UInt64"}]
    for outside in ("SELECT * FROM file('/etc/passwd', 'LineAsString')", "SELECT * FROM url('http://x', 'CSV')"):
        refused = server.sql(outside)
        assert refused.status == 403, outside
        assert "is not allowed" in refused.json["error"]
    with_param = server.sql("SELECT tokens FROM usage WHERE name = 'a'")
    assert with_param.status == 200
    broken = server.sql("SELECT nope_column FROM events")
    assert broken.status == 400 and broken.json["error"].startswith("[Error]")


def test_concurrent_ingest_and_queries(server: Server) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def work(i: int) -> tuple[int, int]:
        ingested = server.ingest("events", [event("conc", f"w{i}", n) for n in range(1, 21)])
        queried = server.pipe("usage", session_id="conc")
        return ingested.status, queried.status

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(work, range(8))) == {(200, 200)}
    totals = server.sql("SELECT count(), sum(tokens), uniqExact(name) FROM events WHERE session_id = 'conc'")
    assert totals.text == "160\t1680\t8\n"
