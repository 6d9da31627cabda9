"""Deployments: validate a project in a scratch database, diff it against the live one, apply it."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .engine import Engine, EngineError, quote_ident
from .migrate import ALTER, BACKFILL, INCOMPATIBLE, Evolution, backfill_sql, check_forward_query, evolve, live_table
from .pipes import TemplateError, pipe_sql
from .project import QUARANTINE_COLUMNS, Datasource, Pipe, Project, ProjectError, parse_project
from .state import State
from .tokens import token_scopes

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
    evolutions: dict[str, Evolution] = field(default_factory=dict)  # changed datasources whose table changes

    def names(self) -> dict[str, list[str]]:
        return {
            "new_datasource_names": self.new_datasources,
            "changed_datasource_names": self.changed_datasources,
            "deleted_datasource_names": self.deleted_datasources,
            "new_pipe_names": self.new_pipes,
            "changed_pipe_names": self.changed_pipes,
            "deleted_pipe_names": self.deleted_pipes,
        }

    def evolving(self, method: str) -> list[str]:
        return [name for name, evolution in self.evolutions.items() if evolution.method == method]

    @property
    def recreate(self) -> list[str]:
        """Datasources whose change has no migration: dropped and created again (if allowed)."""
        return self.evolving(INCOMPATIBLE)

    @property
    def destructive(self) -> list[str]:
        return sorted(set(self.recreate) | set(self.deleted_datasources))

    def data_movements(self) -> list[dict[str, Any]]:
        """What Tinybird reports as `deployment.data_movements` (the CLI prints them)."""
        return [
            {"datasource_name": name, "kind": "backfill_with_forward_query", "source_mv_name": None}
            for name in self.evolving(BACKFILL)
        ]


def make_plan(old: Project, new: Project) -> Plan:
    plan = Plan()
    for name, ds in new.datasources.items():
        before = old.datasources.get(name)
        if before is None:
            plan.new_datasources.append(name)
        elif old.files.get(before.path) != new.files.get(ds.path) or before.path != ds.path:
            plan.changed_datasources.append(name)
            evolution = evolve(before, ds)
            if evolution:
                plan.evolutions[name] = evolution
    plan.deleted_datasources = [n for n in old.datasources if n not in new.datasources]
    for name, pipe in new.pipes.items():
        before = old.pipes.get(name)
        if before is None:
            plan.new_pipes.append(name)
        elif old.files.get(before.path) != new.files.get(pipe.path) or before.path != pipe.path:
            plan.changed_pipes.append(name)
    plan.deleted_pipes = [n for n in old.pipes if n not in new.pipes]
    return plan


class ApplyError(Exception):
    """Promoting a deployment failed on one of its files; the live deployment is unchanged."""

    def __init__(self, error: ProjectError) -> None:
        super().__init__(error.error)
        self.error = error


class Workspace:
    """The live project, its deployments and the DDL that makes ClickHouse match them."""

    def __init__(self, engine: Engine, state: State) -> None:
        self.engine = engine
        self.state = state
        self._lock = threading.RLock()
        live = state.live_deployment()
        self.live = parse_project(live["files"])[0] if live else Project()
        state.sync_tokens(list(token_scopes(self.live)))

    # ---- API verbs ---------------------------------------------------------------------------

    def deploy(
        self, files: dict[str, str], *, check: bool, auto_promote: bool, allow_destructive: bool
    ) -> dict[str, Any]:
        with self._lock, self.engine.lock:
            project, errors = parse_project(files)
            plan = make_plan(self.live, project)
            if not errors:
                errors = self._validate(project, plan)
            if not errors and plan.destructive and not allow_destructive:
                errors = [_destructive_error(project, self.live, name, plan) for name in plan.destructive]
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
            except (ApplyError, EngineError) as exc:
                deployment["status"] = "failed"
                if isinstance(exc, ApplyError):
                    deployment["errors"].append(exc.error.as_error())
                    deployment["feedback"].append(exc.error.as_feedback())
                else:
                    deployment["errors"].append({"error": exc.short})
                self.state.save()
                return _public(deployment)
            self.state.promote(deployment_id)
            self.state.sync_tokens(list(token_scopes(project)))
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
        if not errors:
            feedback += [
                {"resource": name, "level": "INFO", "message": evolution.feedback}
                for name, evolution in plan.evolutions.items()
                if evolution.method != INCOMPATIBLE
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
            "data_movements": [] if errors else plan.data_movements(),
            "files": {} if errors else project.files,  # only a deployment that may go live needs them
            "allow_destructive_operations": allow_destructive,
        }

    def _validate(self, project: Project, plan: Plan) -> list[ProjectError]:
        """Create the project in a scratch database and check there every schema change against the
        live table and every pipe's SQL."""
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
            for name, evolution in plan.evolutions.items():
                ds = project.datasources[name]
                error = self._check_evolution(self.live.datasources[name], ds, evolution, db)
                if error:
                    errors.append(ProjectError(ds.path, name, error))
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

    def _check_evolution(self, old: Datasource, new: Datasource, evolution: Evolution, db: str) -> str | None:
        """Try the change on empty tables in the scratch database `db` (the current one), reading
        from the live table where a backfill would."""
        try:
            if evolution.method == ALTER:
                scratch = f"{old.name}-tb-old"
                self.engine.execute(old.ddl(table=scratch))
                for clause in evolution.clauses:
                    self.engine.execute(f"ALTER TABLE {quote_ident(scratch)} {clause}")
            elif evolution.method == BACKFILL:
                if evolution.forward_query:
                    error = check_forward_query(self.engine, evolution, live_table(old.name), db, new.name)
                    if error:
                        return error
                self.engine.execute(backfill_sql(evolution, live_table(old.name), quote_ident(new.name), limit=0))
        except EngineError as exc:
            return f"Cannot migrate the live datasource '{old.name}': {exc.short}"
        return None

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
                if target in project.datasources:
                    mismatch = self._check_materialized_columns(sql, project.datasources[target])
                    if mismatch:
                        return f"Error in node '{pipe.output_node.name}': {mismatch}"
                self.engine.execute(
                    f"CREATE MATERIALIZED VIEW {quote_ident(pipe.mv_name)} TO {quote_ident(target)} AS {sql}"
                )
            else:
                self.engine.execute(f"EXPLAIN {sql}")
            if pipe.type == "copy":
                target = project.datasources[pipe.output_node.target_datasource]
                names = {c.name for c in target.columns}
                extra = [name for name, _ in self._written_columns(sql) if name not in names]
                if extra:
                    return f"The pipe has columns {extra} not found in the destination Data Source."
        except EngineError as exc:
            if exc.code in _PLACEHOLDER_ERRORS:
                return None
            return f"Error in node '{pipe.output_node.name}': {exc.short}"
        return None

    def _written_columns(self, sql: str) -> list[tuple[str, str]]:
        """The (name, type) of every column a node's query returns, which a materialized view or a
        copy writes into its target."""
        return [(r["name"], r["type"]) for r in self.engine.rows(f"DESCRIBE ({sql})")]

    def _check_materialized_columns(self, sql: str, target: Datasource) -> str | None:
        """Like Tinybird: every column the node writes is a column of the target, of a type of the
        same kind. ClickHouse itself would drop an unknown column and convert a string into a number
        on every insert, which loses data silently. A target column the node does not write gets
        its default."""
        columns = {c.name: c.type for c in target.columns}
        for name, ty in self._written_columns(sql):
            if name not in columns:
                return (
                    f"the node writes column '{name}', which the datasource '{target.name}' does not "
                    f"have (its columns: {', '.join(columns)})"
                )
            if not _materialized_type_fits(ty, columns[name]):
                return (
                    f"the node writes column '{name}' as {ty}, the datasource '{target.name}' has it as "
                    f"{columns[name]}"
                )
        return None

    def _apply(self, old: Project, new: Project, plan: Plan) -> None:
        """Make ClickHouse match `new`. The backfills run first, into scratch tables: if one fails,
        nothing live has changed. Runs under the engine lock: ingest and queries wait for it."""
        staged = self._backfill(new, plan)
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
        for name, scratch in staged.items():
            self._swap(name, scratch)
        for name in plan.evolving(ALTER):
            for clause in plan.evolutions[name].clauses:
                self.engine.execute(f"ALTER TABLE {quote_ident(name)} {clause}")
        for name in plan.evolving(ALTER) + plan.evolving(BACKFILL):
            self._rebuild_quarantine(old.datasources[name], new.datasources[name])
        for pipe in new.pipes.values():
            if pipe.type == "materialized":
                sql = pipe_sql(pipe, {})
                target = quote_ident(pipe.output_node.datasource)
                self.engine.execute(f"CREATE MATERIALIZED VIEW {quote_ident(pipe.mv_name)} TO {target} AS {sql}")

    def _backfill(self, new: Project, plan: Plan) -> dict[str, str]:
        """Create each rewritten datasource under a scratch name and fill it from the live rows."""
        staged: dict[str, str] = {}
        try:
            for name in plan.evolving(BACKFILL):
                ds, evolution, scratch = new.datasources[name], plan.evolutions[name], f"{name}-tb-new"
                self.engine.execute(f"DROP TABLE IF EXISTS {quote_ident(scratch)} SYNC")  # left by a crash
                self.engine.execute(ds.ddl(table=scratch))
                staged[name] = scratch
                live = live_table(name)
                if evolution.forward_query:
                    error = check_forward_query(self.engine, evolution, live, "default", scratch)
                    if error:
                        raise ApplyError(ProjectError(ds.path, name, error))
                try:
                    self.engine.execute(backfill_sql(evolution, live, quote_ident(scratch)))
                except EngineError as exc:
                    msg = f"Backfilling datasource '{name}' from the live deployment failed: {exc.short}"
                    raise ApplyError(ProjectError(ds.path, name, msg)) from None
        except BaseException:
            for scratch in staged.values():
                self.engine.execute(f"DROP TABLE IF EXISTS {quote_ident(scratch)} SYNC")
            raise
        return staged

    def _swap(self, name: str, scratch: str) -> None:
        """Put `scratch` in the place of `name` (one atomic EXCHANGE) and drop the old table."""
        self.engine.execute(f"EXCHANGE TABLES {quote_ident(name)} AND {quote_ident(scratch)}")
        self.engine.execute(f"DROP TABLE {quote_ident(scratch)} SYNC")

    def _rebuild_quarantine(self, old: Datasource, new: Datasource) -> None:
        """Give the quarantine table the new columns, keeping its rows (values of dropped columns go)."""
        before, after = [c.name for c in old.columns], [c.name for c in new.columns]
        if before == after:
            return
        scratch = f"{new.quarantine_name}-tb-new"
        self.engine.execute(f"DROP TABLE IF EXISTS {quote_ident(scratch)} SYNC")
        self.engine.execute(new.quarantine_ddl(table=scratch))
        cols = ", ".join(quote_ident(c) for c in [*QUARANTINE_COLUMNS, *(n for n in after if n in before)])
        self.engine.execute(
            f"INSERT INTO {quote_ident(scratch)} ({cols}) SELECT {cols} FROM {quote_ident(new.quarantine_name)}"
        )
        self._swap(new.quarantine_name, scratch)


def _destructive_error(new: Project, old: Project, name: str, plan: Plan) -> ProjectError:
    if name in new.datasources:
        ds = new.datasources[name]
        msg = (
            f"Datasource '{name}' needs a FORWARD_QUERY to migrate its rows: "
            f"{plan.evolutions[name].reason}. Add a FORWARD_QUERY that selects every column of the new "
            "schema from the live rows, or deploy with allow_destructive_operations=true to drop and "
            "recreate the table (its rows are lost)."
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


def _strip(ty: str, wrapper: str) -> str:
    ty = ty.replace(" ", "")
    while ty.startswith(wrapper + "(") and ty.endswith(")"):
        ty = ty[len(wrapper) + 1 : -1]
    return ty


def _family(ty: str) -> str:
    """What a type is at heart: numbers, decimals, dates, date-times, else the type itself, with
    `Nullable`, `LowCardinality` and `SimpleAggregateFunction(f, T)` taken off."""
    ty = _strip(_strip(ty, "LowCardinality"), "Nullable")
    if ty.startswith("SimpleAggregateFunction("):
        return _family(ty[len("SimpleAggregateFunction(") : -1].split(",", 1)[1])
    ty = _strip(_strip(ty, "LowCardinality"), "Nullable")
    for prefix, family in (("Int", "number"), ("UInt", "number"), ("Float", "number"), ("Decimal", "decimal"),
                           ("DateTime", "datetime"), ("Date", "date")):
        if ty.startswith(prefix):
            return family
    return ty


def _materialized_type_fits(written: str, column: str) -> bool:
    """Whether ClickHouse would only widen, narrow or unwrap a `written` value into `column` (an
    integer into another, a `Nullable` into a plain one), not turn it into something else (a string
    into a number, a date-time into a date): Tinybird's deploy checks are stricter still."""
    return _family(written) == _family(column)
