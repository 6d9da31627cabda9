"""A Tinybird project as uploaded by `tb deploy`: datafiles parsed with Tinybird's own parser."""

from __future__ import annotations

import contextlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import click
from tinybird.ch_utils.engine import engine_full_from_dict
from tinybird.datafile.common import DatafileSyntaxError
from tinybird.datafile.parse_datasource import parse_datasource
from tinybird.datafile.parse_pipe import parse_pipe
from tinybird.sql import schema_to_sql_columns, wrap_nullable

from .engine import quote_ident

_ANSI_RE = re.compile(r"\x1b\[[0-9;]*m")
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# Columns every quarantine table starts with (Tinybird's layout); the datasource's own columns
# follow as Nullable(String) holding the original values.
QUARANTINE_PREFIX = (
    "`c__error_column` Array(String)",
    "`c__error` Array(String)",
    "`c__import_id` Nullable(String)",
    "`insertion_date` DateTime DEFAULT now()",
)
QUARANTINE_COLUMNS = ("c__error_column", "c__error", "c__import_id", "insertion_date")


def clean_message(text: str) -> str:
    """Tinybird's CLI messages carry terminal colours; the API returns plain text."""
    return _ANSI_RE.sub("", str(text)).strip()


@dataclass
class Column:
    name: str
    type: str  # full ClickHouse type, Nullable(...) included
    jsonpath: str
    default: str | None  # the `DEFAULT expr` / `MATERIALIZED expr` clause, if any

    @property
    def nullable(self) -> bool:
        inner = self.type
        if inner.startswith("LowCardinality("):
            inner = inner[len("LowCardinality(") : -1]
        return inner.startswith("Nullable(")


@dataclass
class Datasource:
    name: str
    path: str
    columns: list[Column]
    column_defs: list[str]  # `name` Type [DEFAULT ...] [CODEC(...)]
    engine: str  # the full ENGINE clause after `ENGINE =`
    engine_without_ttl: str = ""  # the same without its TTL (a TTL change is an ALTER)
    ttl: str | None = None  # ENGINE_TTL
    indexes: dict[str, str] = field(default_factory=dict)  # name -> `INDEX name expr TYPE t GRANULARITY g`
    forward_query: str | None = None  # FORWARD_QUERY: a SELECT list run over the live rows on a schema change
    tokens: list[tuple[str, str]] = field(default_factory=list)  # TOKEN lines: (name, READ | APPEND)

    def ddl(self, table: str | None = None) -> str:
        """CREATE TABLE for this datasource, named `table` if given (a deploy's scratch copy)."""
        body = ",\n    ".join(self.column_defs + list(self.indexes.values()))
        return f"CREATE TABLE {quote_ident(table or self.name)}\n(\n    {body}\n)\nENGINE = {self.engine}"

    @property
    def quarantine_name(self) -> str:
        return f"{self.name}_quarantine"

    def quarantine_ddl(self, table: str | None = None) -> str:
        cols = list(QUARANTINE_PREFIX) + [f"{quote_ident(c.name)} Nullable(String)" for c in self.columns]
        body = ",\n    ".join(cols)
        return (
            f"CREATE TABLE {quote_ident(table or self.quarantine_name)}\n(\n    {body}\n)\n"
            "ENGINE = MergeTree ORDER BY insertion_date"
        )

    def fingerprint(self) -> tuple[tuple[str, ...], str, tuple[str, ...]]:
        """What the table is made of; the rest of the file (descriptions, JSON paths, the forward
        query) changes no DDL."""
        return tuple(self.column_defs), self.engine, tuple(self.indexes.values())


@dataclass
class Node:
    name: str
    sql: str
    type: str  # "", "endpoint", "materialized", "copy", ...
    datasource: str = ""  # target of a materialized node
    target_datasource: str = ""  # target of a copy node
    mode: str = ""  # a copy node's COPY_MODE (append when empty)


@dataclass
class Pipe:
    name: str
    path: str
    nodes: list[Node]
    tokens: list[tuple[str, str]] = field(default_factory=list)  # TOKEN lines: (name, READ)

    @property
    def output_node(self) -> Node:
        """The node the pipe exposes: the one with a TYPE, else the last one."""
        typed = [n for n in self.nodes if n.type in ("endpoint", "materialized", "copy", "sink")]
        return typed[-1] if typed else self.nodes[-1]

    @property
    def type(self) -> str:
        return self.output_node.type or "default"

    @property
    def is_endpoint(self) -> bool:
        return self.type == "endpoint"

    @property
    def mv_name(self) -> str:
        return f"_mv_{self.name}"


@dataclass
class Project:
    files: dict[str, str] = field(default_factory=dict)
    datasources: dict[str, Datasource] = field(default_factory=dict)
    pipes: dict[str, Pipe] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)


@dataclass
class ProjectError:
    filename: str
    resource: str
    error: str

    def as_error(self) -> dict[str, str]:
        return {"filename": self.filename, "error": self.error}

    def as_feedback(self) -> dict[str, str]:
        return {"resource": self.resource, "level": "ERROR", "message": self.error}


def _parse(fn: Any, filename: str, content: str) -> Any:
    # The parser logs tracebacks to stdout/stderr on some errors; keep the server's output clean.
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return fn(filename, content=content, ignore_secrets=True).datafile


def _error_text(exc: Exception) -> str:
    if isinstance(exc, click.ClickException):
        return clean_message(exc.format_message())
    if isinstance(exc, DatafileSyntaxError):
        text = exc.message
        if exc.context:
            text += "\n\n" + exc.context
        return clean_message(text)
    return clean_message(f"{type(exc).__name__}: {exc}" if not str(exc) else str(exc))


def _datasource(name: str, path: str, doc: Any) -> Datasource:
    node = doc.nodes[0]
    raw_columns = node.get("columns") or []
    if not raw_columns:
        raise ValueError("SCHEMA is required")
    defs = schema_to_sql_columns(raw_columns, skip_jsonpaths=True)
    columns = []
    for raw in raw_columns:
        jsonpath = raw.get("jsonpath") or f"$.{raw['name']}"
        columns.append(Column(raw["name"], wrap_nullable(raw), jsonpath, raw.get("default_value") or None))
    engine_node = node.get("engine") or {}
    engine_type = engine_node.get("type") or "MergeTree"
    args = dict(engine_node.get("args") or [])
    engine = engine_full_from_dict(engine_type, args, columns=raw_columns)
    without_ttl = engine_full_from_dict(engine_type, {k: v for k, v in args.items() if k != "ttl"}, columns=raw_columns)
    indexes = {index.name: index.to_sql() for index in node.get("indexes") or []}
    forward_query = (doc.forward_query or "").strip() or None
    return Datasource(
        name, path, columns, defs, engine, without_ttl, args.get("ttl"), indexes, forward_query, _tokens(doc)
    )


def _tokens(doc: Any) -> list[tuple[str, str]]:
    """The file's `TOKEN name READ|APPEND` lines, as the parser reads them."""
    return [(t["token_name"], (t.get("permission") or "READ").upper()) for t in doc.tokens or []]


def _pipe(name: str, path: str, doc: Any) -> Pipe:
    nodes = []
    for raw in doc.nodes:
        node_type = (raw.get("type") or "").lower()
        nodes.append(
            Node(
                raw["name"],
                raw.get("sql", ""),
                node_type,
                raw.get("datasource") or "",
                raw.get("target_datasource") or "",
                (raw.get("mode") or "").lower(),
            )
        )
    if not nodes:
        raise ValueError("a pipe needs at least one NODE")
    return Pipe(name, path, nodes, _tokens(doc))


def parse_project(files: dict[str, str]) -> tuple[Project, list[ProjectError]]:
    """Parse every uploaded datafile; return the project and the errors (empty when valid)."""
    project = Project(files=dict(files))
    errors: list[ProjectError] = []
    for path, content in sorted(files.items()):
        pure = PurePosixPath(path)
        name = pure.stem
        if pure.suffix not in (".datasource", ".pipe"):
            project.ignored.append(path)
            continue
        if not _NAME_RE.match(name):
            errors.append(ProjectError(path, name, f"Invalid resource name '{name}'"))
            continue
        if name in project.datasources or name in project.pipes:
            errors.append(ProjectError(path, name, f"Duplicated resource name '{name}'"))
            continue
        try:
            if pure.suffix == ".datasource":
                project.datasources[name] = _datasource(name, path, _parse(parse_datasource, path, content))
            else:
                project.pipes[name] = _pipe(name, path, _parse(parse_pipe, path, content))
        except Exception as exc:  # the parser raises many kinds; each becomes feedback on its file
            errors.append(ProjectError(path, name, _error_text(exc)))
    errors.extend(_cross_checks(project))
    return project, errors


def _cross_checks(project: Project) -> list[ProjectError]:
    errors = []
    resources = set(project.datasources) | set(project.pipes)
    for pipe in project.pipes.values():
        for node in pipe.nodes:
            if node.name in resources and node.name != pipe.name:
                msg = f"Node name '{node.name}' in pipe '{pipe.name}' collides with a resource of the same name"
                errors.append(ProjectError(pipe.path, pipe.name, msg))
            if node.type == "materialized":
                if not node.datasource:
                    msg = f"Materialized node '{node.name}' needs a DATASOURCE"
                    errors.append(ProjectError(pipe.path, pipe.name, msg))
                elif node.datasource not in project.datasources:
                    msg = f"Materialized node '{node.name}' targets unknown datasource '{node.datasource}'"
                    errors.append(ProjectError(pipe.path, pipe.name, msg))
            if node.type == "copy":
                if not node.target_datasource:
                    msg = f"Copy node '{node.name}' needs a TARGET_DATASOURCE"
                    errors.append(ProjectError(pipe.path, pipe.name, msg))
                elif node.target_datasource not in project.datasources:
                    msg = f"Copy node '{node.name}' targets unknown datasource '{node.target_datasource}'"
                    errors.append(ProjectError(pipe.path, pipe.name, msg))
                if node.mode not in ("", "append", "replace"):
                    msg = f"Copy node '{node.name}' has an invalid COPY_MODE '{node.mode}': use append or replace"
                    errors.append(ProjectError(pipe.path, pipe.name, msg))
    return errors


def read_folder(folder: str) -> dict[str, str]:
    """The datafiles in `folder` and its direct subfolders (the CLI's default scan depth of 2),
    keyed by relative path, as `tb deploy` sends them."""
    root = Path(folder)
    files = {}
    for pattern in ("*", "*/*"):
        for path in sorted(root.glob(pattern)):
            if path.is_file() and path.suffix in (".datasource", ".pipe"):
                files[path.relative_to(root).as_posix()] = path.read_text(encoding="utf-8")
    return files
