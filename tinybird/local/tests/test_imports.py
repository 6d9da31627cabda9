"""The Data Sources API on its own server: imports (NDJSON, CSV with a dialect, Parquet, from a URL),
replace and partial replace, truncate, delete with a dry run, jobs, one datasource's schema."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import Server, project_files

ROW = {"ts": "2026-03-01 10:00:00.000", "session_id": "a", "name": "n", "usage": {"tokens": 1}, "tags": []}


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory):
    server = Server(tmp_path_factory.mktemp("imports"))
    assert server.deploy(project_files(), auto_promote="true").json["result"] == "success"
    yield server
    server.stop()


def count(srv: Server, where: str = "1") -> int:
    return int(srv.sql(f"SELECT count() FROM events WHERE {where}").text.strip())


def import_(srv: Server, mode: str, body: bytes, fmt: str, **params: str) -> dict:
    types = {"ndjson": "application/x-ndjson", "csv": "text/csv", "parquet": "application/vnd.apache.parquet"}
    reply = srv.call(
        "POST",
        f"/v1/datasources/events/{mode}",
        params={"format": fmt, **params},
        body=body,
        headers={"Content-Type": types[fmt]},
    )
    assert reply.status == 200, reply.text
    job = reply.json
    assert job["import_id"] == job["id"]
    # What `tb` does next: read the job back.
    polled = srv.call("GET", f"/v0/jobs/{job['id']}")
    assert polled.status == 200
    assert polled.json["status"] == job["status"]
    return polled.json


def ndjson(*rows: dict) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def lines(job: dict) -> tuple[int, int]:
    ret = job["blocks"][0]["process_return"][0]
    return ret["lines"], ret["quarantine"]


def test_imports_replace_truncate_and_delete(srv: Server, tmp_path: Path) -> None:
    # NDJSON through the JSON paths; a row without `ts` of the right type goes to quarantine.
    job = import_(srv, "append", ndjson(ROW, {**ROW, "session_id": "b"}, {**ROW, "ts": "never"}), "ndjson")
    assert (job["status"], job["kind"]) == ("done", "import")
    assert lines(job) == (2, 1)
    assert count(srv) == 2

    # CSV in the columns' order, `;`-delimited, with a header named like the columns.
    csv = (
        "ts;session_id;name;tokens;cost;tags;maybe\n"
        "2026-03-02 00:00:00.000;c;n;5;0.5;['x'];\\N\n"
        "2026-03-02 00:00:00.000;c;n;6;0;[];7\n"
    ).encode()
    job = import_(srv, "append", csv, "csv", dialect_delimiter=";")
    assert lines(job) == (2, 0), job
    assert srv.sql("SELECT sum(tokens), sum(maybe) FROM events WHERE session_id = 'c'").text.strip() == "11\t7"

    # Parquet, as ClickHouse writes it.
    parquet = srv.call(
        "GET", "/v0/sql", params={"q": "SELECT * FROM events WHERE session_id = 'c' FORMAT Parquet"}
    ).body
    job = import_(srv, "append", parquet, "parquet")
    assert lines(job) == (2, 0), job
    assert count(srv, "session_id = 'c'") == 4

    # Partial replace: rows of session `c` replaced by the file's rows of session `c`; others kept,
    # the file's other rows dropped.
    job = import_(
        srv,
        "replace",
        ndjson({**ROW, "session_id": "c", "usage": {"tokens": 100}}, {**ROW, "session_id": "z"}),
        "ndjson",
        replace_condition="session_id = 'c'",
    )
    assert lines(job) == (1, 0), job
    assert srv.sql("SELECT session_id, sum(tokens) FROM events GROUP BY session_id ORDER BY 1").text == (
        "a\t1\nb\t1\nc\t100\n"
    )

    # Delete by condition: a dry run counts, the real one is a job with the rows affected.
    dry = srv.call(
        "POST",
        "/v0/datasources/events/delete",
        body=b"delete_condition=session_id+%3D+%27a%27&dry_run=true",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert dry.json == {"rows_to_be_deleted": 1}
    assert count(srv) == 3
    done = srv.call(
        "POST",
        "/v0/datasources/events/delete",
        body=b"delete_condition=session_id+%3D+%27a%27",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert done.status == 200, done.text
    assert (done.json["status"], done.json["rows_affected"], done.json["kind"]) == ("done", 1, "delete_data")
    assert srv.call("GET", f"/v0/jobs/{done.json['job_id']}").json["status"] == "done"
    assert count(srv) == 2

    # Replace without a condition: only the file's rows remain.
    job = import_(srv, "replace", ndjson({**ROW, "session_id": "r"}), "ndjson")
    assert lines(job) == (1, 0)
    assert srv.sql("SELECT groupArray(session_id) FROM events").text.strip() == "['r']"

    # One datasource's schema.
    info = srv.call("GET", "/v0/datasources/events").json
    assert [(c["name"], c["type"]) for c in info["columns"]][:4] == [
        ("ts", "DateTime64(3)"),
        ("session_id", "String"),
        ("name", "LowCardinality(String)"),
        ("tokens", "UInt64"),
    ]
    assert info["statistics"]["row_count"] == 1

    # Truncate: 205 and no rows.
    assert srv.call("POST", "/v0/datasources/events/truncate", body=b"").status == 205
    assert count(srv) == 0


def test_import_from_a_url_and_failures(srv: Server) -> None:
    body = ndjson({**ROW, "session_id": "u1"}, {**ROW, "session_id": "u2"})

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{http.server_address[1]}/rows.ndjson"
        reply = srv.call("POST", "/v1/datasources/events/append", params={"format": "ndjson", "url": url}, body=b"")
        assert reply.status == 200, reply.text
        assert lines(reply.json) == (2, 0)
        assert count(srv, "session_id LIKE 'u%'") == 2
    finally:
        http.shutdown()

    # A job that fails: a replace condition ClickHouse refuses.
    reply = srv.call(
        "POST",
        "/v1/datasources/events/replace",
        params={"format": "ndjson", "replace_condition": "no_such_column = 1"},
        body=ndjson(ROW),
    )
    assert reply.status == 200
    assert reply.json["status"] == "error"
    assert "no_such_column" in reply.json["error"]
    assert count(srv, "session_id LIKE 'u%'") == 2

    assert srv.call("POST", "/v1/datasources/nope/append", params={"format": "ndjson"}, body=b"{}").status == 404
    assert srv.call("POST", "/v1/datasources/events/append", params={"format": "xml"}, body=b"x").status == 400
    assert srv.call("GET", "/v0/jobs/nope").status == 404
    assert srv.call("GET", "/v0/datasources/nope").status == 404


def test_a_pipe_answers_parquet(srv: Server) -> None:
    reply = srv.pipe("usage", fmt="parquet")
    assert reply.status == 200, reply.text
    assert reply.body[:4] == b"PAR1" and reply.body[-4:] == b"PAR1"
