"""Server lifecycle and deployments that change the live project: each test has its own server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import LOCAL, PROJECT, Server, project_files, rows_of

ROW = {"ts": "2026-03-01 10:00:00", "session_id": "s", "name": "a", "usage": {"tokens": 42}, "tags": []}


def test_persistence_across_restart_with_project(tmp_path: Path) -> None:
    first = Server(tmp_path, project=PROJECT)
    assert first.ingest("events", [ROW, {**ROW, "usage": {"tokens": 8}}]).json["successful_rows"] == 2
    token = first.token
    assert first.stop() == 0  # SIGTERM is a clean stop

    second = Server(tmp_path, project=PROJECT)
    try:
        assert second.token == token
        assert rows_of(second.pipe("usage")) == [{"name": "a", "calls": "2", "tokens": "50", "avg_cost": 0}]
        assert rows_of(second.pipe("daily_usage")) == [{"day": "2026-03-01", "tokens": "50", "events": "2"}]
        assert second.deploy(project_files(), auto_promote="true").json["result"] == "no_changes"
    finally:
        second.stop()


def test_busy_port_and_busy_data_dir_are_refused(tmp_path: Path) -> None:
    running = Server(tmp_path / "a")
    try:
        cmd = [sys.executable, "-m", "tinybird_local", "--port", str(running.port), "--data-dir", str(tmp_path / "b")]
        busy = subprocess.run(cmd, capture_output=True, text=True, env={"PYTHONPATH": str(LOCAL)}, timeout=60)
        assert busy.returncode == 1
        assert f"port {running.port} on 127.0.0.1 is already in use" in busy.stderr
        assert busy.stdout == ""

        cmd = [sys.executable, "-m", "tinybird_local", "--port", "0", "--data-dir", str(tmp_path / "a")]
        shared = subprocess.run(cmd, capture_output=True, text=True, env={"PYTHONPATH": str(LOCAL)}, timeout=60)
        assert shared.returncode == 1
        assert "is used by another running server" in shared.stderr
    finally:
        running.stop()


def test_broken_project_at_start_exits_non_zero(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "datasources").mkdir(parents=True)
    (project / "datasources" / "x.datasource").write_text("SCHEMA >\n    `a` Nope `json:$.a`\n")
    cmd = [
        sys.executable,
        "-m",
        "tinybird_local",
        "--port",
        "0",
        "--data-dir",
        str(tmp_path / "d"),
        "--project",
        str(project),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, env={"PYTHONPATH": str(LOCAL)}, timeout=60)
    assert result.returncode == 1
    assert "datasources/x.datasource" in result.stderr
    assert "Nope" in result.stderr


@pytest.fixture
def fresh(tmp_path: Path):
    srv = Server(tmp_path)
    yield srv
    srv.stop()


def test_deploy_without_auto_promote_waits_for_set_live(fresh: Server) -> None:
    first = fresh.deploy(project_files(), auto_promote="true").json["deployment"]
    files = project_files()
    files["endpoints/count.pipe"] = "NODE c\nSQL >\n    SELECT count() AS n FROM events\n\nTYPE endpoint\n"
    reply = fresh.deploy(files)
    second = reply.json["deployment"]
    assert (reply.json["result"], second["status"], second["live"]) == ("success", "data_ready", False)
    assert second["new_pipe_names"] == ["count"]
    assert fresh.pipe("count").status == 404

    listed = fresh.call("GET", "/v1/deployments").json["deployments"]
    assert [(d["id"], d["live"]) for d in listed] == [(second["id"], False), (first["id"], True)]

    promoted = fresh.call("POST", f"/v1/deployments/{second['id']}/set-live")
    assert promoted.json["deployment"]["live"] is True
    assert rows_of(fresh.pipe("count")) == [{"n": "0"}]
    assert fresh.call("GET", f"/v1/deployments/{first['id']}").json["deployment"]["status"] == "deleted"
    assert [d["id"] for d in fresh.call("GET", "/v1/deployments").json["deployments"]] == [second["id"]]


def test_schema_changes_add_columns_or_need_allow_destructive(fresh: Server) -> None:
    fresh.deploy(project_files(), auto_promote="true")
    fresh.ingest("events", [ROW])

    files = project_files()
    files["datasources/events.datasource"] = files["datasources/events.datasource"].replace(
        "`maybe` Nullable(Int32) `json:$.maybe`",
        "`maybe` Nullable(Int32) `json:$.maybe`,\n    `model` String `json:$.model` DEFAULT 'none'",
    )
    added = fresh.deploy(files, auto_promote="true")
    assert added.json["result"] == "success", added.text
    fresh.ingest("events", [{**ROW, "model": "opus"}])
    assert fresh.sql("SELECT model, tokens FROM events ORDER BY model").text == "none\t42\nopus\t42\n"
    quarantine = fresh.sql("SELECT name FROM system.columns WHERE table = 'events_quarantine' AND name = 'model'")
    assert quarantine.text == "model\n"

    retyped = {
        **files,
        "datasources/events.datasource": files["datasources/events.datasource"].replace(
            "`model` String", "`model` LowCardinality(String)"
        ),
    }
    refused = fresh.deploy(retyped, auto_promote="true")
    assert refused.json["result"] == "failed"
    assert refused.json["deployment"]["errors"][0]["filename"] == "datasources/events.datasource"
    assert fresh.sql("SELECT count() FROM events").text == "2\n"

    allowed = fresh.deploy(retyped, auto_promote="true", allow_destructive_operations="true")
    assert allowed.json["result"] == "success"
    assert fresh.sql("SELECT count() FROM events").text == "0\n"
    assert (
        fresh.sql("SELECT type FROM system.columns WHERE table = 'events' AND name = 'model'").text
        == "LowCardinality(String)\n"
    )

    without_daily = {k: v for k, v in retyped.items() if "daily" not in k}
    assert fresh.deploy(without_daily, auto_promote="true").json["result"] == "failed"
    dropped = fresh.deploy(without_daily, auto_promote="true", allow_destructive_operations="true").json
    assert dropped["deployment"]["deleted_datasource_names"] == ["daily"]
    assert fresh.sql("SELECT * FROM daily").status == 403


def test_build_endpoint_applies_at_once(fresh: Server) -> None:
    reply = fresh.deploy(project_files(), path="/v1/build")
    assert reply.json["result"] == "success"
    assert sorted(d["name"] for d in reply.json["build"]["datasources"]) == ["daily", "events"]
    assert sorted(reply.json["build"]["new_pipe_names"]) == [
        "daily_mv",
        "daily_usage",
        "top_sessions",
        "usage",
        "usage_total",
    ]
    assert fresh.ingest("events", [ROW]).json == {"successful_rows": 1, "quarantined_rows": 0}


def test_stop_on_stdin_eof_stops_when_the_parent_goes_away(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "tinybird_local", "--port", "0", "--data-dir", str(tmp_path), "--stop-on-stdin-eof"]
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"PYTHONPATH": str(LOCAL)},
    )
    try:
        assert proc.stdout is not None and proc.stdin is not None
        assert proc.stdout.readline().startswith("url: http://127.0.0.1:")
        proc.stdin.close()  # what the OS does when the parent process exits
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_materialized_node_must_write_its_targets_columns_as_they_are(fresh: Server) -> None:
    """As Tinybird: a column the target lacks, or of another kind of type, is a failed deployment,
    not values silently dropped or converted on every insert."""
    mv = "materializations/daily_mv.pipe"
    extra = project_files()
    extra[mv] = extra[mv].replace("count() AS events", "count() AS events, max(ts) AS peak")
    reply = fresh.deploy(extra)
    assert reply.json["result"] == "failed", reply.text
    errors = reply.json["deployment"]["errors"]
    assert [e["filename"] for e in errors] == [mv]
    assert "writes column 'peak', which the datasource 'daily' does not have" in errors[0]["error"]

    cast = project_files()
    cast[mv] = cast[mv].replace("sum(tokens) AS tokens", "toString(sum(tokens)) AS tokens")
    reply = fresh.deploy(cast)
    assert reply.json["result"] == "failed", reply.text
    assert "writes column 'tokens' as String, the datasource 'daily' has it as UInt64" in (
        reply.json["deployment"]["errors"][0]["error"]
    )

    # LowCardinality either side, and the exact types, deploy.
    assert fresh.deploy(project_files(), auto_promote="true").json["result"] == "success"
