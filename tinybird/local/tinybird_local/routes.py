"""The API: which URL does what, in Tinybird's request and response shapes."""

from __future__ import annotations

import re
import time
from typing import Any

from .deploy import Workspace
from .engine import Engine, EngineError
from .events import BodyError, Ingestor, decode_body
from .imports import FORMATS, Jobs
from .pipes import (
    TemplateError,
    first_keyword,
    forbidden_table_function,
    has_format,
    pipe_ctes_for,
    pipe_sql,
    strip_sql,
    with_ctes,
)
from .server import NO_ACCESS, HttpError, Request, Response, Router
from .tokens import APPEND_DATASOURCE, READ_PIPE, allows, find, token_scopes, unreadable

# The events API's request size limit (Tinybird's free plan: 10 MB per request).
MAX_EVENTS_BODY = 10 * 1024 * 1024

PIPE_FORMATS = {
    "json": ("JSON", "application/json"),
    "ndjson": ("JSONEachRow", "application/x-ndjson"),
    "csv": ("CSVWithNames", "text/csv"),
    "parquet": ("Parquet", "application/octet-stream"),
}
_SQL_ALLOWED = ("SELECT", "WITH", "DESCRIBE", "DESC")
WORKSPACE_ID = "00000000-0000-0000-0000-000000000001"


class Api:
    def __init__(self, engine: Engine, workspace: Workspace, token: str, url: str) -> None:
        self.engine = engine
        self.workspace = workspace
        self.token = token
        self.url = url
        self.ingestor = Ingestor(engine)
        self.jobs = Jobs(engine)

    def router(self) -> Router:
        r = Router()
        r.add("GET", "/tokens", self.tokens, auth=False)
        r.add("GET", "/v0/health", self.health, auth=False)
        r.add("GET", "/", self.health, auth=False)
        r.add("GET", "/v1/workspace|/v0/workspace", self.workspace_info)
        r.add("GET", "/v0/regions", self.regions)
        r.add("GET", "/v0/tokens", self.static_tokens)
        r.add("GET", "/v1/user/workspaces|/v0/user/workspaces", self.user_workspaces)
        r.add("POST", "/v1/workspaces|/v0/workspaces", self.create_workspace)
        r.add("GET", "/v0/jobs", self.jobs_list)
        r.add("GET", r"/v0/jobs/(?P<id>[^/]+)", self.job, resource_token=True)
        r.add("POST", r"/v1/datasources/(?P<name>[^/]+)/(?P<mode>append|replace)", self.import_, resource_token=True)
        r.add("POST", r"/v0/datasources/(?P<name>[^/]+)/truncate", self.truncate)
        r.add("POST", r"/v0/datasources/(?P<name>[^/]+)/delete", self.delete_rows)
        r.add("GET", r"/v0/datasources/(?P<name>[^/.]+)", self.datasource)
        r.add("POST", "/v1/deploy", self.deploy)
        r.add("POST", "/v1/build", self.build)
        r.add("GET", "/v1/deployments", self.deployments)
        r.add("GET", r"/v1/deployments/(?P<id>\d+)", self.deployment)
        r.add("DELETE", r"/v1/deployments/(?P<id>\d+)", self.discard)
        r.add("POST", r"/v1/deployments/(?P<id>\d+)/set-live", self.set_live)
        r.add("POST", "/v0/events", self.events, resource_token=True)
        r.add("GET", "/v0/datasources", self.datasources)
        r.add("GET", "/v0/pipes", self.pipes)
        r.add("POST", r"/v0/pipes/(?P<name>[^/.]+)/copy", self.copy, resource_token=True)
        r.add("GET|POST", r"/v0/pipes/(?P<name>[^/]+)\.(?P<fmt>json|ndjson|csv|parquet)", self.pipe, jwt=True)
        r.add("GET|POST", "/v0/sql", self.sql, resource_token=True)
        return r

    # ---- meta ----------------------------------------------------------------------------------

    def tokens(self, _: Request) -> Response:
        t = self.token
        return Response.json(200, {"user_token": t, "admin_token": t, "workspace_admin_token": t})

    def static_tokens(self, _: Request) -> Response:
        """`GET /v0/tokens` (admin only): the workspace admin token, then each token the live
        datafiles declare, with its scopes."""
        items = [
            {
                "id": "local-admin",
                "name": "workspace admin token",
                "description": "",
                "token": self.token,
                "scopes": [{"type": "ADMIN"}],
            }
        ]
        values = self.workspace.state.resource_tokens
        for name, scopes in token_scopes(self.workspace.live).items():
            if name in values:
                items.append({"id": name, "name": name, "description": "", "token": values[name], "scopes": scopes})
        return Response.json(200, {"tokens": items})

    def resource_token(self, given: str) -> list[dict[str, Any]] | None:
        """The scopes of the resource token whose value is `given`; None if it is not one."""
        name = find(self.workspace.state.resource_tokens, given)
        if name is None:
            return None
        return token_scopes(self.workspace.live).get(name, [])

    @staticmethod
    def _allowed(request: Request, kind: str, resource: str) -> bool:
        """Whether the request's token may do `kind` on `resource` (the admin token may do all)."""
        return request.scopes is None or allows(request.scopes, kind, resource)

    def _check_reads(self, request: Request, sql: str, own: tuple[str, ...] = ()) -> None:
        """A resource token's query may read only the resources it has READ on."""
        if request.scopes is None:
            return
        denied = unreadable(request.scopes, self.workspace.live, sql, own)
        if denied is not None:
            raise HttpError(403, f"Resource '{denied}' not found")

    def health(self, _: Request) -> Response:
        return Response.json(200, {"status": "ok"})

    def workspace_info(self, _: Request) -> Response:
        info = {
            "id": WORKSPACE_ID,
            "name": "local",
            "is_forward": True,
            "is_branch": False,
            "main": None,
            "token": self.token,
        }
        return Response.json(200, info)

    def user_workspaces(self, _: Request) -> Response:
        """`tb build` (Tinybird Local mode) looks for a workspace named after the project folder; every
        name it created maps to this server's single workspace."""
        names = ["local", *self.workspace.state.data.get("workspace_names", [])]
        items = [{"id": WORKSPACE_ID, "name": n, "token": self.token, "is_branch": False} for n in names]
        return Response.json(200, {"organization_id": "local", "workspaces": items})

    def create_workspace(self, request: Request) -> Response:
        name = request.arg("name") or ""
        if not name:
            raise HttpError(400, "The 'name' parameter is required")
        self.workspace.state.add_workspace_name(name)
        return Response.json(200, {"id": WORKSPACE_ID, "name": name, "token": self.token})

    def regions(self, _: Request) -> Response:
        region = {"name": "local", "provider": "local", "api_host": self.url, "host": self.url, "default_password": ""}
        return Response.json(200, {"regions": [region]})

    # ---- deployments ---------------------------------------------------------------------------

    def _files(self, request: Request) -> dict[str, str]:
        files = {}
        for name, filename, payload in request.multipart():
            if name == "data_project://" and filename:
                try:
                    files[filename] = payload.decode("utf-8")
                except UnicodeDecodeError:
                    raise HttpError(400, f"{filename} is not UTF-8 text") from None
        return files

    def deploy(self, request: Request) -> Response:
        result = self.workspace.deploy(
            self._files(request),
            check=request.flag("check"),
            auto_promote=request.flag("auto_promote"),
            allow_destructive=request.flag("allow_destructive_operations"),
        )
        return Response.json(200, result)

    def build(self, request: Request) -> Response:
        """`tb build`: apply at once; a build workspace's data is disposable."""
        result = self.workspace.deploy(self._files(request), check=False, auto_promote=True, allow_destructive=True)
        deployment = result["deployment"]
        live = self.workspace.live
        build = {
            **deployment,
            "datasources": [{"name": n} for n in live.datasources],
            "pipes": [{"name": n} for n in live.pipes],
        }
        status = "failed" if result["result"] == "failed" else "success"
        return Response.json(200, {"result": status, "build": build, "errors": deployment["errors"]})

    def deployments(self, _: Request) -> Response:
        return Response.json(200, {"deployments": self.workspace.list()})

    def deployment(self, request: Request) -> Response:
        return Response.json(200, {"deployment": self._found(self.workspace.get(request.match["id"]))})

    def discard(self, request: Request) -> Response:
        return Response.json(200, {"deployment": self._found(self.workspace.discard(request.match["id"]))})

    def set_live(self, request: Request) -> Response:
        deployment = self._found(self.workspace.set_live(request.match["id"]))
        if deployment["status"] != "data_ready":
            raise HttpError(400, f"Deployment {deployment['id']} is {deployment['status']}", deployment=deployment)
        return Response.json(200, {"result": "success", "deployment": deployment})

    @staticmethod
    def _found(deployment: dict[str, Any] | None) -> dict[str, Any]:
        if deployment is None:
            raise HttpError(404, "Deployment not found")
        return deployment

    # ---- resources -----------------------------------------------------------------------------

    def datasources(self, _: Request) -> Response:
        items = [
            {"name": ds.name, "columns": [{"name": c.name, "type": c.type} for c in ds.columns], "engine": ds.engine}
            for ds in self.workspace.live.datasources.values()
        ]
        return Response.json(200, {"datasources": items})

    def _datasource(self, name: str) -> Any:
        ds = self.workspace.live.datasources.get(name)
        if ds is None:
            raise HttpError(404, f"Data Source '{name}' not found")
        return ds

    def datasource(self, request: Request) -> Response:
        """`GET /v0/datasources/{name}`: its columns (as Tinybird lists them) and row count."""
        ds = self._datasource(request.match["name"])
        columns = [
            {"name": c.name, "type": c.type, "jsonpath": c.jsonpath, "nullable": c.nullable, "default_value": c.default}
            for c in ds.columns
        ]
        rows = int(self.engine.scalar(f"SELECT count() FROM `{ds.name}`"))
        info = {
            "id": ds.name,
            "name": ds.name,
            "type": "ndjson",
            "engine": {"engine": ds.engine.split("(", 1)[0].strip()},
            "columns": columns,
            "schema": {"columns": columns},
            "statistics": {"row_count": rows, "bytes": None},
        }
        return Response.json(200, info)

    # ---- imports, truncate, delete, jobs -------------------------------------------------------

    def import_(self, request: Request) -> Response:
        name, mode = request.match["name"], request.match["mode"]
        self._datasource(name)
        if mode == "replace" and request.scopes is not None:
            raise HttpError(
                403,
                "Token does not have DATASOURCES:CREATE scope, replace mode requires the DATASOURCES:CREATE "
                "scope because is a destructive action",
            )
        if not self._allowed(request, APPEND_DATASOURCE, name):
            raise HttpError(403, f'Token does not have DATASOURCES:APPEND scope for Data Source "{name}"')
        fmt = (request.arg("format") or "csv").lower()
        if fmt not in FORMATS:
            raise HttpError(400, f"Invalid format '{fmt}': use csv, ndjson or parquet")
        url = request.arg("url")
        body = b"" if url else request.body()
        try:
            body = decode_body(body, request.headers.get("Content-Encoding") or "", 64 * 1024 * 1024)
        except BodyError as exc:
            raise HttpError(exc.status, str(exc)) from None
        if not url and not body:
            raise HttpError(400, "Send the file as the body, or a 'url' parameter")
        job = self.jobs.import_(
            lambda: self.workspace.live.datasources.get(name),
            mode,
            fmt,
            body,
            self.url,
            replace_condition=request.arg("replace_condition"),
            source_url=url,
            delimiter=request.arg("dialect_delimiter"),
        )
        return Response.json(200, {**job, "import_id": job["id"]})

    def job(self, request: Request) -> Response:
        job = self.jobs.get(request.match["id"])
        if job is None:
            raise HttpError(404, "Job not found")
        return Response.json(200, job)

    def jobs_list(self, request: Request) -> Response:
        return Response.json(200, {"jobs": self.jobs.list(request.arg("status"), request.arg("kind"))})

    def truncate(self, request: Request) -> Response:
        self.jobs.truncate(self._datasource(request.match["name"]))
        return Response(205, b"", "application/json")

    def delete_rows(self, request: Request) -> Response:
        ds = self._datasource(request.match["name"])
        form = {**request.query, **request.form()}
        condition = (form.get("delete_condition") or [""])[-1]
        if not condition.strip():
            raise HttpError(400, "The 'delete_condition' parameter is required")
        dry_run = (form.get("dry_run") or ["false"])[-1].lower() in ("true", "1")
        try:
            result = self.jobs.delete(ds, condition, dry_run, self.url)
        except EngineError as exc:
            raise HttpError(400, f"[Error] {exc.short}") from None
        if dry_run:
            return Response.json(200, result)
        return Response.json(200, {**result, "job": dict(result), "delete_id": result["id"]})

    def pipes(self, _: Request) -> Response:
        items = [
            {"name": p.name, "type": p.type, "nodes": [{"name": n.name, "sql": n.sql} for n in p.nodes]}
            for p in self.workspace.live.pipes.values()
        ]
        return Response.json(200, {"pipes": items})

    def copy(self, request: Request) -> Response:
        """`POST /v0/pipes/{name}/copy`: run the copy node with the request's params (query string or
        form), `_mode` overriding its COPY_MODE; answers the node with the job under `job`."""
        name = request.match["name"]
        project = self.workspace.live
        pipe = project.pipes.get(name)
        if pipe is None:
            raise HttpError(404, f"Pipe '{name}' not found")
        if pipe.type != "copy":
            raise HttpError(403, f"The pipe '{name}' should be a copy pipe")
        node = pipe.output_node
        target = project.datasources.get(node.target_datasource)
        if target is None:
            raise HttpError(404, f"Target Datasource '{node.target_datasource}' for pipe '{name}' not found")
        # Tinybird's docs: running a copy takes PIPES:READ on the pipe and DATASOURCES:APPEND on its target.
        if not (self._allowed(request, READ_PIPE, name) and self._allowed(request, APPEND_DATASOURCE, target.name)):
            raise HttpError(403, NO_ACCESS)
        merged = dict(request.query)
        for key, values in request.form().items():
            merged.setdefault(key, []).extend(values)
        mode = merged.pop("_mode", [None])[-1] or node.mode or "append"
        if mode not in ("append", "replace"):
            raise HttpError(400, f'Invalid mode "{mode}", valid modes are append, replace')
        merged.pop("token", None)
        params: dict[str, Any] = {k: (v[0] if len(v) == 1 else v) for k, v in merged.items()}
        params["copy_timestamp"] = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
        try:
            sql = pipe_sql(pipe, params, project=project)
        except TemplateError as exc:
            raise HttpError(400, exc.message, documentation=exc.documentation) from None
        try:
            job = self.jobs.copy(pipe.name, target, sql, mode, params, self.url)
        except ValueError as exc:
            raise HttpError(400, str(exc)) from None
        except EngineError as exc:
            raise HttpError(400, f"[Error] {exc.short}") from None
        tags = {"copy_target_datasource": target.name, "copy_target_workspace": WORKSPACE_ID}
        answer = {
            "id": node.name,
            "name": node.name,
            "sql": node.sql,
            "description": None,
            "mode": mode,
            "node_type": "copy",
            "tags": tags,
            "job": job,
        }
        return Response.json(200, answer)

    # ---- events --------------------------------------------------------------------------------

    def events(self, request: Request) -> Response:
        name = request.arg("name")
        if not name:
            raise HttpError(400, "The 'name' parameter is required")
        if name not in self.workspace.live.datasources:
            raise HttpError(404, f"Data Source '{name}' not found")
        if not self._allowed(request, APPEND_DATASOURCE, name):
            raise HttpError(403, f'Token does not have DATASOURCES:APPEND scope for Data Source "{name}"')
        body = request.body(MAX_EVENTS_BODY)
        try:
            body = decode_body(body, request.headers.get("Content-Encoding") or "", MAX_EVENTS_BODY)
        except BodyError as exc:
            raise HttpError(exc.status, str(exc)) from None
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise HttpError(400, "The body is not valid UTF-8") from None
        try:
            # Looked up again under the engine lock: a deploy may swap the table meanwhile.
            result = self.ingestor.ingest(lambda: self.workspace.live.datasources.get(name), text)
        except LookupError:
            raise HttpError(404, f"Data Source '{name}' not found") from None
        except EngineError as exc:
            # The rows were checked first, so this is a materialized view failing on them: the
            # datasource may have been written (Tinybird's 422 "partial" case).
            raise HttpError(422, f"[Error] {exc.short}") from None
        counts = {"successful_rows": result.successful_rows, "quarantined_rows": result.quarantined_rows}
        return Response.json(200 if request.flag("wait") else 202, counts)

    # ---- queries -------------------------------------------------------------------------------

    @staticmethod
    def _jwt_fixed_params(request: Request, name: str) -> dict[str, Any]:
        """A JWT opens only the pipes it names, with its `fixed_params` forced."""
        for scope in request.jwt["scopes"] if request.jwt else []:
            if isinstance(scope, dict) and scope.get("type") == "PIPES:READ" and scope.get("resource") == name:
                return dict(scope.get("fixed_params") or {})
        raise HttpError(403, f"Forbidden: the token has no read access to pipe '{name}'")

    def pipe(self, request: Request) -> Response:
        name, fmt = request.match["name"], request.match["fmt"]
        fixed = self._jwt_fixed_params(request, name) if request.jwt is not None else {}
        pipe = self.workspace.live.pipes.get(name)
        if pipe is None:
            raise HttpError(404, f"The pipe '{name}' does not exist")
        if not self._allowed(request, READ_PIPE, name):
            raise HttpError(403, NO_ACCESS)
        if not pipe.is_endpoint:
            raise HttpError(404, f"The pipe '{name}' is not an endpoint (its type is {pipe.type})")
        merged = dict(request.query)
        if request.method == "POST":
            for key, values in request.form().items():
                merged.setdefault(key, []).extend(values)
        q = merged.pop("q", [None])[-1]
        merged.pop("token", None)
        params: dict[str, Any] = {k: (v[0] if len(v) == 1 else v) for k, v in merged.items()}
        params.update({k: str(v) if not isinstance(v, (list, str)) else v for k, v in fixed.items()})
        if q is not None and (function := forbidden_table_function(q)):
            raise HttpError(403, f"The table function '{function}' is not allowed")
        if q is not None:
            self._check_reads(request, q, own=(name, "_"))
        try:
            sql = pipe_sql(pipe, params, q=q, project=self.workspace.live)
        except TemplateError as exc:
            raise HttpError(400, exc.message, documentation=exc.documentation) from None
        ch_format, content_type = PIPE_FORMATS[fmt]
        return Response(200, self._run(sql, ch_format, unknown_table_status=400), content_type)

    def sql(self, request: Request) -> Response:
        q = request.arg("q")
        if q is None and request.method == "POST":
            if request.content_type == "text/plain":
                q = request.body().decode("utf-8", "replace")
            else:
                q = (request.form().get("q") or [None])[-1]
        if not q or not q.strip():
            raise HttpError(400, "The 'q' parameter is required")
        q = strip_sql(q)
        keyword = first_keyword(q)
        if keyword not in _SQL_ALLOWED:
            raise HttpError(400, f"DB::Exception: Only SELECT or DESCRIBE queries are supported. Got: {keyword}")
        if function := forbidden_table_function(q):
            raise HttpError(403, f"The table function '{function}' is not allowed")
        self._check_reads(request, q)
        params = {k: v[-1] for k, v in request.query.items() if k not in ("q", "token")}
        sql = with_ctes(pipe_ctes_for(self.workspace.live, q, params), q)
        content_type = "text/plain; charset=utf-8"
        if has_format(q):
            fmt = re.search(r"FORMAT\s+(\w+)\s*$", q, re.IGNORECASE)
            name = fmt.group(1).lower() if fmt else ""
            if name.startswith("json"):
                content_type = "application/json"
            elif name.startswith("csv"):
                content_type = "text/csv"
        return Response(200, self._run(sql, "TabSeparated", unknown_table_status=403), content_type)

    def _run(self, sql: str, fmt: str, unknown_table_status: int) -> bytes:
        try:
            return self.engine.query(sql, fmt)
        except EngineError as exc:
            if exc.unknown is not None:
                raise HttpError(unknown_table_status, f"Resource '{exc.unknown}' not found") from None
            raise HttpError(400, f"[Error] {exc.short}") from None
