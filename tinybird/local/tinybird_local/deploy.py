"""Deployments: validate a project in a scratch database, diff it against the live one, apply it."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .engine import Engine, EngineError, quote_ident
from .pipes import TemplateError, pipe_sql
from .project import Datasource, Pipe, Project, ProjectError, parse_project
from .state import State

# ClickHouse errors that only mean a placeholder parameter value could not be parsed while
# validating a template rendered without real parameters; they say nothing about the SQL.
_PLACEHOLDER_ERRORS = {6, 27, 38, 41, 70, 72}


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Plan:
    new_datasources: list[str] = field(default_factory=list)
    changed_datasources: list[str] = field(default_factory=list)
    deleted_datasources: list[str] = field(default_factory=list)
    new_pipes: list[str] = field(default_factory=list)
    changed_pipes: list[str] = field(default_factory=list)
    deleted_pipes: list[str] = field(default_factory=list)
    recreate: list[str] = field(default_factory=list)  # datasources dropped and created again
    add_columns: dict[str, list[int]] = field(default_factory=dict)  # datasource -> new column indexes

    def names(self) -> dict[str, list[str]]:
        return {
            "new_datasource_names": self.new_datasources,
            "changed_datasource_names": self.changed_datasources,
            "deleted_datasource_names": self.deleted_datasources,
            "new_pipe_names": self.new_pipes,
            "changed_pipe_names": self.changed_pipes,
            "deleted_pipe_names": self.deleted_pipes,
        }

    @property
    def destructive(self) -> list[str]:
        return sorted(set(self.recreate) | set(self.deleted_datasources))


def make_plan(old: Project, new: Project) -> Plan:
    plan = Plan()
    for name, ds in new.datasources.items():
        before = old.datasources.get(name)
        if before is None:
            plan.new_datasources.append(name)
        elif old.files.get(before.path) != new.files.get(ds.path) or before.path != ds.path:
            plan.changed_datasources.append(name)
            if before.fingerprint() != ds.fingerprint():
                added = _added_columns(before, ds)
                if added is None:
                    plan.recreate.append(name)
                else:
                    plan.add_columns[name] = added
    plan.deleted_datasources = [n for n in old.datasources if n not in new.datasources]
    for name, pipe in new.pipes.items():
        before = old.pipes.get(name)
        if before is None:
            plan.new_pipes.append(name)
        elif old.files.get(before.path) != new.files.get(pipe.path) or before.path != pipe.path:
            plan.changed_pipes.append(name)
    plan.deleted_pipes = [n for n in old.pipes if n not in new.pipes]
    return plan


def _added_columns(old: Datasource, new: Datasource) -> list[int] | None:
    """Indexes of columns added to an otherwise unchanged table, or None if it changed otherwise."""
    if old.engine != new.engine:
        return None
    kept = [d for d in new.column_defs if d in old.column_defs]
    if kept != old.column_defs:
        return None
    return [i for i, d in enumerate(new.column_defs) if d not in old.column_defs]


class Workspace:
    """The live project, its deployments and the DDL that makes ClickHouse match them."""

    def __init__(self, engine: Engine, state: State) -> None:
        self.engine = engine
        self.state = state
        self._lock = threading.RLock()
        live = state.live_deployment()
        self.live = parse_project(live["files"])[0] if live else Project()

    # ---- API verbs ---------------------------------------------------------------------------

    def deploy(
        self, files: dict[str, str], *, check: bool, auto_promote: bool, allow_destructive: bool
    ) -> dict[str, Any]:
        with self._lock, self.engine.lock:
            project, errors = parse_project(files)
            plan = make_plan(self.live, project)
            if not errors:
                errors = self._validate(project)
            if not errors and plan.destructive and not allow_destructive:
                errors = [_destructive_error(project, self.live, name) for name in plan.destructive]
            deployment = self._new_deployment(project, plan, errors, allow_destructive)
            if errors:
                result = "failed"
            elif project.files == self.live.files and self.state.live_deployment():
                result = "no_changes"
            else:
                result = "success"
            if check or result == "no_changes":
                if result == "no_changes":
                    live = self.state.live_deployment()
                    deployment["id"] = live["id"] if live else deployment["id"]
                    deployment["live"] = True
                return _response(result, deployment)
            self.state.add_deployment(deployment)
            if result == "success" and auto_promote:
                promoted = self.set_live(deployment["id"])
                if promoted and promoted["status"] == "failed":
                    result = "failed"
            return _response(result, self.state.deployment(deployment["id"]) or deployment)

    def set_live(self, deployment_id: str) -> dict[str, Any] | None:
        with self._lock, self.engine.lock:
            deployment = self.state.deployment(deployment_id)
            if deployment is None:
                return None
            if deployment["live"] or deployment["status"] != "data_ready":
                return _public(deployment)
            project, _ = parse_project(deployment["files"])
            plan = make_plan(self.live, project)
            try:
                self._apply(self.live, project, plan)
            except EngineError as exc:
                deployment["status"] = "failed"
                deployment["errors"].append({"error": exc.short})
                self.state.save()
                return _public(deployment)
            self.state.promote(deployment_id)
            self.live = project
            return _public(deployment)

    def discard(self, deployment_id: str) -> dict[str, Any] | None:
        with self._lock:
            deployment = self.state.deployment(deployment_id)
            if deployment is None:
                return None
            if not deployment["live"]:
                self.state.mark_deleted(deployment_id)
            return _public(deployment)

    def get(self, deployment_id: str) -> dict[str, Any] | None:
        deployment = self.state.deployment(deployment_id)
        return _public(deployment) if deployment else None

    def list(self) -> list[dict[str, Any]]:
        return [_public(d) for d in self.state.active_deployments()]

    # ---- internals ---------------------------------------------------------------------------

    def _new_deployment(
        self, project: Project, plan: Plan, errors: list[ProjectError], allow_destructive: bool
    ) -> dict[str, Any]:
        feedback = [e.as_feedback() for e in errors]
        feedback += [
            {
                "resource": None,
                "level": "WARNING",
                "message": f"'{path}' is not supported by this server and was ignored",
            }
            for path in project.ignored
        ]
        return {
            "id": self.state.peek_id(),
            "status": "failed" if errors else "data_ready",
            "live": False,
            "created_at": _now(),
            "updated_at": _now(),
            "feedback": feedback,
            "errors": [e.as_error() for e in errors],
            **plan.names(),
            "files": {} if errors else project.files,  # only a deployment that may go live needs them
            "allow_destructive_operations": allow_destructive,
        }

    def _validate(self, project: Project) -> list[ProjectError]:
        """Create the project in a scratch database and check every pipe's SQL there."""
        db = f"_tb_check_{uuid.uuid4().hex[:12]}"
        errors: list[ProjectError] = []
        self.engine.execute(f"CREATE DATABASE {quote_ident(db)}")
        try:
            self.engine.execute(f"USE {quote_ident(db)}")
            for ds in project.datasources.values():
                try:
                    self.engine.execute(ds.ddl())
                    self.engine.execute(ds.quarantine_ddl())
                except EngineError as exc:
                    errors.append(ProjectError(ds.path, ds.name, exc.short))
            if errors:
                return errors
            for pipe in project.pipes.values():
                error = self._check_pipe(pipe, project)
                if error:
                    errors.append(ProjectError(pipe.path, pipe.name, error))
        finally:
            self.engine.execute("USE default")
            self.engine.execute(f"DROP DATABASE IF EXISTS {quote_ident(db)} SYNC")
        return errors

    def _check_pipe(self, pipe: Pipe, project: Project) -> str | None:
        try:
            try:
                sql = pipe_sql(pipe, {}, project=project)
            except TemplateError:
                sql = pipe_sql(pipe, {}, test_mode=True, project=project)
        except TemplateError as exc:
            return exc.message
        try:
            if pipe.type == "materialized":
                target = pipe.output_node.datasource
                self.engine.execute(
                    f"CREATE MATERIALIZED VIEW {quote_ident(pipe.mv_name)} TO {quote_ident(target)} AS {sql}"
                )
            else:
                self.engine.execute(f"EXPLAIN {sql}")
        except EngineError as exc:
            if exc.code in _PLACEHOLDER_ERRORS:
                return None
            return f"Error in node '{pipe.output_node.name}': {exc.short}"
        return None

    def _apply(self, old: Project, new: Project, plan: Plan) -> None:
        for pipe in old.pipes.values():
            if pipe.type == "materialized":
                self.engine.execute(f"DROP VIEW IF EXISTS {quote_ident(pipe.mv_name)}")
        for name in plan.deleted_datasources + plan.recreate:
            ds = old.datasources[name]
            self.engine.execute(f"DROP TABLE IF EXISTS {quote_ident(ds.name)} SYNC")
            self.engine.execute(f"DROP TABLE IF EXISTS {quote_ident(ds.quarantine_name)} SYNC")
        for name in plan.new_datasources + plan.recreate:
            ds = new.datasources[name]
            self.engine.execute(ds.ddl().replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS", 1))
            self.engine.execute(ds.quarantine_ddl().replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS", 1))
        for name, indexes in plan.add_columns.items():
            ds = new.datasources[name]
            for i in indexes:
                after = f" AFTER {quote_ident(ds.columns[i - 1].name)}" if i else " FIRST"
                self.engine.execute(f"ALTER TABLE {quote_ident(name)} ADD COLUMN {ds.column_defs[i]}{after}")
                column = quote_ident(ds.columns[i].name)
                self.engine.execute(
                    f"ALTER TABLE {quote_ident(ds.quarantine_name)} ADD COLUMN {column} Nullable(String)"
                )
        for pipe in new.pipes.values():
            if pipe.type == "materialized":
                sql = pipe_sql(pipe, {})
                target = quote_ident(pipe.output_node.datasource)
                self.engine.execute(f"CREATE MATERIALIZED VIEW {quote_ident(pipe.mv_name)} TO {target} AS {sql}")


def _destructive_error(new: Project, old: Project, name: str) -> ProjectError:
    if name in new.datasources:
        ds = new.datasources[name]
        msg = (
            f"Datasource '{name}' changed its schema or engine in a way this server can only apply by "
            "dropping and recreating the table (its rows are lost). Deploy with "
            "allow_destructive_operations=true to do that, or only append new columns."
        )
        return ProjectError(ds.path, name, msg)
    ds = old.datasources[name]
    msg = (
        f"Datasource '{name}' would be deleted with its data. Deploy with "
        "allow_destructive_operations=true to delete it."
    )
    return ProjectError(ds.path, name, msg)


def _response(result: str, deployment: dict[str, Any]) -> dict[str, Any]:
    """Tinybird's deploy response; clients read the errors both inside the deployment and at the
    top level (the TypeScript SDK reads `errors`), so both are there."""
    public = _public(deployment)
    out: dict[str, Any] = {"result": result, "deployment": public, "errors": public["errors"]}
    if result == "failed":
        out["error"] = "\n".join(
            (f"[{e['filename']}] " if e.get("filename") else "") + e["error"] for e in public["errors"]
        )
    return out


def _public(deployment: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in deployment.items() if k not in ("files", "allow_destructive_operations")}
