"""Copy pipes (`POST /v0/pipes/{name}/copy`, jobs) and the resource tokens datafiles declare
(`TOKEN name READ|APPEND`): listed by `/v0/tokens`, and allowed exactly what their scopes say."""

from __future__ import annotations

import pytest

from conftest import Server, rows_of

VISITS = """TOKEN "ingest" APPEND
TOKEN "auditor" READ

SCHEMA >
    `path` String `json:$.path`,
    `user_id` UInt64 `json:$.user_id`

ENGINE "MergeTree"
ENGINE_SORTING_KEY "path, user_id"
"""

VISITORS = """SCHEMA >
    `path` String `json:$.path`,
    `visitors` UInt64 `json:$.visitors`

ENGINE "MergeTree"
ENGINE_SORTING_KEY "path"
"""

COPY = """TOKEN "ops" READ

NODE snapshot
SQL >
    %
    SELECT path, uniqExact(user_id) AS visitors
    FROM visits
    WHERE user_id >= {{ UInt64(min_user, 0) }}
    GROUP BY path

TYPE copy
TARGET_DATASOURCE visitors
COPY_SCHEDULE @on-demand
"""

BY_PATH = """TOKEN "dashboard" READ

NODE by_path
SQL >
    SELECT path, count() AS views FROM visits GROUP BY path ORDER BY path

TYPE endpoint
"""

ALL_VISITORS = """NODE all_visitors
SQL >
    SELECT path, visitors FROM visitors ORDER BY path, visitors

TYPE endpoint
"""

FILES = {
    "datasources/visits.datasource": VISITS,
    "datasources/visitors.datasource": VISITORS,
    "copies/visitors_copy.pipe": COPY,
    "endpoints/visits_by_path.pipe": BY_PATH,
    "endpoints/all_visitors.pipe": ALL_VISITORS,
}

ROWS = [
    {"path": "/", "user_id": 1},
    {"path": "/", "user_id": 2},
    {"path": "/", "user_id": 2},
    {"path": "/cart", "user_id": 3},
    {"path": "/cart", "user_id": 1},
    {"path": "/pay", "user_id": 3},
]


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory):
    server = Server(tmp_path_factory.mktemp("copies"))
    reply = server.deploy(FILES, auto_promote="true")
    assert reply.json["result"] == "success", reply.text
    assert server.ingest("visits", ROWS).json == {"successful_rows": 6, "quarantined_rows": 0}
    yield server
    server.stop()


def visitors(srv: Server) -> list[tuple[str, int]]:
    return [(r["path"], int(r["visitors"])) for r in rows_of(srv.pipe("all_visitors"))]


def copy(srv: Server, token: str | None = "default", **params: str):
    return srv.call("POST", "/v0/pipes/visitors_copy/copy", params=params, token=token)


def tokens(srv: Server) -> dict[str, dict]:
    reply = srv.call("GET", "/v0/tokens")
    assert reply.status == 200, reply.text
    return {t["name"]: t for t in reply.json["tokens"]}


def test_copy_appends_then_replaces_and_records_its_job(srv: Server) -> None:
    reply = copy(srv)
    assert reply.status == 200, reply.text
    answer = reply.json
    # What `tb copy run` reads: the job's id and URL, and the target under the node's tags.
    assert answer["tags"]["copy_target_datasource"] == "visitors"
    job = answer["job"]
    assert (job["kind"], job["status"], job["mode"]) == ("copy", "done", "append")
    assert job["id"] == job["job_id"]
    assert job["job_url"] == f"{srv.url}/v0/jobs/{job['id']}"
    assert job["pipe_name"] == "visitors_copy"
    assert job["datasource"] == {"id": "visitors", "name": "visitors"}
    # By hand: "/" users {1, 2}, "/cart" {1, 3}, "/pay" {3}.
    assert visitors(srv) == [("/", 2), ("/cart", 2), ("/pay", 1)]
    assert job["processed_data"]["written_rows"] == 3

    polled = srv.call("GET", f"/v0/jobs/{job['id']}")
    assert polled.status == 200
    assert (polled.json["kind"], polled.json["status"]) == ("copy", "done")

    # Appended again with a param: users >= 2 are "/" {2}, "/cart" {3}, "/pay" {3}.
    second = copy(srv, min_user="2").json["job"]
    assert second["parameters"]["min_user"] == "2"
    assert visitors(srv) == [("/", 1), ("/", 2), ("/cart", 1), ("/cart", 2), ("/pay", 1), ("/pay", 1)]

    # `_mode=replace` overrides the datafile's (default) append: only this run's rows are left.
    third = copy(srv, _mode="replace", min_user="3").json["job"]
    assert (third["mode"], third["status"]) == ("replace", "done")
    assert visitors(srv) == [("/cart", 1), ("/pay", 1)]

    listed = srv.call("GET", "/v0/jobs", params={"kind": "copy"}).json["jobs"]
    assert [j["id"] for j in listed] == [third["id"], second["id"], job["id"]]
    assert srv.call("GET", "/v0/jobs", params={"kind": "import"}).json["jobs"] == []


def test_copy_errors_are_tinybirds(srv: Server) -> None:
    missing = srv.call("POST", "/v0/pipes/nope/copy")
    assert (missing.status, missing.json["error"]) == (404, "Pipe 'nope' not found")
    endpoint = srv.call("POST", "/v0/pipes/visits_by_path/copy")
    assert (endpoint.status, endpoint.json["error"]) == (403, "The pipe 'visits_by_path' should be a copy pipe")
    bad_mode = copy(srv, _mode="upsert")
    assert bad_mode.status == 400
    assert bad_mode.json["error"] == 'Invalid mode "upsert", valid modes are append, replace'
    bad_param = copy(srv, min_user="many")
    assert bad_param.status == 400, bad_param.text
    assert bad_param.json["error"] == "Template Syntax Error: Error validating 'many' to type UInt64"
    assert srv.call("GET", "/v0/jobs/nope").status == 404


def test_a_copy_whose_columns_are_not_the_targets_fails_the_deploy(srv: Server) -> None:
    wrong = COPY.replace("uniqExact(user_id) AS visitors", "uniqExact(user_id) AS viewers")
    reply = srv.deploy({**FILES, "copies/visitors_copy.pipe": wrong}, check="true")
    assert reply.json["result"] == "failed"
    error = reply.json["errors"][0]
    assert error["filename"] == "copies/visitors_copy.pipe"
    assert error["error"] == "The pipe has columns ['viewers'] not found in the destination Data Source."


def test_datafile_tokens_are_listed_with_their_scopes(srv: Server) -> None:
    listed = tokens(srv)
    # In datafile order: the datasources' lines, then the pipes' (files by path).
    assert list(listed) == ["workspace admin token", "ingest", "auditor", "ops", "dashboard"]
    assert listed["workspace admin token"]["scopes"] == [{"type": "ADMIN"}]
    assert listed["ingest"]["scopes"] == [{"type": "DATASOURCES:APPEND", "resource": "visits"}]
    assert listed["auditor"]["scopes"] == [{"type": "DATASOURCES:READ", "resource": "visits"}]
    assert listed["dashboard"]["scopes"] == [{"type": "PIPES:READ", "resource": "visits_by_path"}]
    assert listed["ops"]["scopes"] == [{"type": "PIPES:READ", "resource": "visitors_copy"}]
    values = [t["token"] for t in listed.values()]
    assert len(set(values)) == 5 and all(v.startswith("p.") for v in values)
    # Only the admin token lists tokens.
    assert srv.call("GET", "/v0/tokens", token=listed["dashboard"]["token"]).status == 403


def test_a_read_token_reads_only_its_pipe(srv: Server) -> None:
    dashboard = tokens(srv)["dashboard"]["token"]
    reply = srv.call("GET", "/v0/pipes/visits_by_path.json", token=dashboard)
    assert [(r["path"], int(r["views"])) for r in rows_of(reply)] == [("/", 3), ("/cart", 2), ("/pay", 1)]
    other = srv.call("GET", "/v0/pipes/all_visitors.json", token=dashboard)
    assert (other.status, other.json["error"]) == (
        403,
        "The token you have provided doesn't have access to this resource",
    )
    # Its own pipe through /v0/sql, yes; the datasource under it, no.
    assert srv.call("GET", "/v0/sql", params={"q": "SELECT count() FROM visits_by_path"}, token=dashboard).text == "3\n"
    sql = srv.call("GET", "/v0/sql", params={"q": "SELECT count() FROM visits"}, token=dashboard)
    assert (sql.status, sql.json["error"]) == (403, "Resource 'visits' not found")
    # `q` over its own pipe, but not over another resource.
    q = srv.call("GET", "/v0/pipes/visits_by_path.json", params={"q": "SELECT count() AS n FROM _"}, token=dashboard)
    assert rows_of(q) == [{"n": "3"}]
    sneaky = srv.call("GET", "/v0/pipes/visits_by_path.json", params={"q": "SELECT * FROM visitors"}, token=dashboard)
    assert sneaky.status == 403
    for path in ("/v0/datasources", "/v1/workspace", "/v0/jobs"):
        assert srv.call("GET", path, token=dashboard).status == 403, path
    assert srv.ingest_as(dashboard, "visits", ROWS[:1]).status == 403


def test_a_datasource_read_token_queries_it_and_nothing_else(srv: Server) -> None:
    auditor = tokens(srv)["auditor"]["token"]
    reply = srv.call("GET", "/v0/sql", params={"q": "SELECT count() FROM visits"}, token=auditor)
    assert (reply.status, reply.text) == (200, "6\n")
    assert (
        srv.call("GET", "/v0/sql", params={"q": "SELECT count() FROM visits_quarantine"}, token=auditor).text == "0\n"
    )
    for q in ("SELECT count() FROM visitors", "SELECT count() FROM system.tables", "SELECT * FROM all_visitors"):
        denied = srv.call("GET", "/v0/sql", params={"q": q}, token=auditor)
        assert denied.status == 403, q
    assert srv.call("GET", "/v0/pipes/visits_by_path.json", token=auditor).status == 403


def test_an_append_token_appends_only_to_its_datasource(srv: Server) -> None:
    ingest = tokens(srv)["ingest"]["token"]
    before = int(srv.sql("SELECT count() FROM visits").text)
    ok = srv.ingest_as(ingest, "visits", [{"path": "/new", "user_id": 9}])
    assert (ok.status, ok.json) == (200, {"successful_rows": 1, "quarantined_rows": 0})
    assert int(srv.sql("SELECT count() FROM visits").text) == before + 1
    refused = srv.ingest_as(ingest, "visitors", [{"path": "/", "visitors": 1}])
    assert refused.status == 403
    assert refused.json["error"] == 'Token does not have DATASOURCES:APPEND scope for Data Source "visitors"'
    # Appending through the Data Sources API too, but not replacing.
    body = b'{"path": "/api", "user_id": 10}\n'
    appended = srv.call("POST", "/v1/datasources/visits/append", params={"format": "ndjson"}, body=body, token=ingest)
    assert (appended.status, appended.json["status"]) == (200, "done")
    replaced = srv.call("POST", "/v1/datasources/visits/replace", params={"format": "ndjson"}, body=body, token=ingest)
    assert replaced.status == 403
    assert int(srv.sql("SELECT count() FROM visits").text) == before + 2
    # It cannot read what it writes.
    assert srv.call("GET", "/v0/sql", params={"q": "SELECT count() FROM visits"}, token=ingest).status == 403
    srv.call("POST", "/v0/datasources/visits/delete", params={"delete_condition": "user_id >= 9"})


def test_running_a_copy_takes_read_on_the_pipe_and_append_on_the_target(srv: Server) -> None:
    ops = tokens(srv)["ops"]["token"]
    # `ops` reads the copy pipe but has no DATASOURCES:APPEND on `visitors` (Tinybird's docs ask both).
    assert copy(srv, token=ops).status == 403
    assert copy(srv, token=tokens(srv)["dashboard"]["token"]).status == 403


def test_tokens_keep_their_values_across_deploys_and_go_with_their_lines(tmp_path) -> None:
    server = Server(tmp_path / "data")
    try:
        assert server.deploy(FILES, auto_promote="true").json["result"] == "success"
        first = tokens(server)
        # A change elsewhere keeps every value; dropping `auditor`'s only line removes the token.
        files = {**FILES, "datasources/visits.datasource": VISITS.replace('TOKEN "auditor" READ\n', "")}
        assert server.deploy(files, auto_promote="true").json["result"] == "success"
        second = tokens(server)
        assert list(second) == ["workspace admin token", "ingest", "ops", "dashboard"]
        assert all(second[name]["token"] == first[name]["token"] for name in second)
        gone = server.call("GET", "/v0/sql", params={"q": "SELECT 1"}, token=first["auditor"]["token"])
        assert (gone.status, gone.json["error"]) == (403, "Invalid token")
    finally:
        server.stop()
    # And they survive a restart.
    again = Server(tmp_path / "data")
    try:
        assert {n: t["token"] for n, t in tokens(again).items()} == {n: t["token"] for n, t in second.items()}
    finally:
        again.stop()
