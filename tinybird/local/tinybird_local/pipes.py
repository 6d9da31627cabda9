"""Pipe SQL: render each node's template with Tinybird's engine, then nest the nodes as CTEs."""

from __future__ import annotations

import re
from typing import Any

from tinybird.sql_template import SQLTemplateException, render_sql_template

from .engine import quote_ident
from .project import Node, Pipe, Project

_WITH_RE = re.compile(r"^\s*WITH\b", re.IGNORECASE)
_FORMAT_RE = re.compile(r"\bFORMAT\s+\w+\s*;?\s*$", re.IGNORECASE)
_COMMENT_RE = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)

DOCS = "https://www.tinybird.co/docs/forward/work-with-data/query-parameters"


class TemplateError(Exception):
    """A template could not be rendered with the given parameters (HTTP 400)."""

    def __init__(self, message: str, documentation: str = DOCS) -> None:
        super().__init__(message)
        self.message = message
        self.documentation = documentation


def render_node(node: Node, params: dict[str, Any], test_mode: bool = False) -> str:
    """The node's SQL with its template (if the first line is `%`) rendered."""
    sql = node.sql.strip()
    if not sql.startswith("%"):
        return strip_sql(sql)
    try:
        rendered, _, _ = render_sql_template(sql[1:], dict(params), name=node.name, test_mode=test_mode)
    except SQLTemplateException as exc:
        raise TemplateError(str(exc), _documentation(exc)) from None
    except (ValueError, SyntaxError, NameError, TypeError) as exc:
        # e.g. '"q" can not be used as a variable name', malformed expressions
        raise TemplateError(f"Template Syntax Error: {exc}") from None
    except Exception as exc:  # the template engine raises several private types (ParseError, ...)
        raise TemplateError(f"Template Syntax Error: {exc}") from None
    return strip_sql(rendered)


def _documentation(exc: SQLTemplateException) -> str:
    doc = getattr(exc, "documentation", "") or ""
    if doc.startswith("/"):
        return "https://www.tinybird.co/docs" + doc
    return doc or DOCS


def strip_sql(sql: str) -> str:
    """Drop trailing semicolons and whitespace so the SQL can be nested."""
    return sql.strip().rstrip(";").strip()


def strip_format(sql: str) -> str:
    return _FORMAT_RE.sub("", strip_sql(sql)).strip()


def references(sql: str, name: str) -> bool:
    """Whether `name` appears as a word in `sql` (comments ignored)."""
    text = _COMMENT_RE.sub(" ", sql)
    return re.search(r"(?<![\w.])`?" + re.escape(name) + r"`?(?![\w(])", text) is not None


def with_ctes(ctes: list[tuple[str, str]], sql: str) -> str:
    """`WITH a AS (...), b AS (...) <sql>`, merging into an existing leading WITH of `sql`."""
    if not ctes:
        return sql
    head = ",\n".join(f"{quote_ident(name)} AS (\n{body}\n)" for name, body in ctes)
    if _WITH_RE.match(sql):
        rest = _WITH_RE.sub("", sql, count=1)
        return f"WITH {head},\n{rest}"
    return f"WITH {head}\n{sql}"


def compose(pipe: Pipe, params: dict[str, Any], test_mode: bool = False) -> tuple[list[tuple[str, str]], str]:
    """Render the pipe for `params`: the CTEs of the earlier nodes it uses, and the output SQL."""
    nodes = pipe.nodes[: pipe.nodes.index(pipe.output_node) + 1]
    rendered = {n.name: render_node(n, params, test_mode) for n in nodes}
    output = nodes[-1]
    needed: list[str] = []

    def visit(name: str) -> None:
        for earlier in nodes[: [n.name for n in nodes].index(name)]:
            if earlier.name not in needed and references(rendered[name], earlier.name):
                visit(earlier.name)
                needed.append(earlier.name)

    visit(output.name)
    ordered = [n.name for n in nodes if n.name in needed]
    return [(name, rendered[name]) for name in ordered], rendered[output.name]


def pipe_sql(
    pipe: Pipe,
    params: dict[str, Any],
    q: str | None = None,
    test_mode: bool = False,
    project: Project | None = None,
) -> str:
    """The full SQL of a pipe request; with `q`, that SQL runs over the pipe's result as `_`.
    With `project`, other endpoint pipes the nodes select from become CTEs too."""
    ctes, output = compose(pipe, params, test_mode)
    if project is not None:
        text = "\n".join([output, *(body for _, body in ctes)])
        shadowed = {n.name for n in pipe.nodes} | {pipe.name}
        ctes = _pipe_ctes(project, text, params, shadowed, test_mode, strict=True) + ctes
    if q is None:
        return with_ctes(ctes, output)
    return with_ctes([*ctes, ("_", output)], strip_format(q))


def _pipe_ctes(
    project: Project, sql: str, params: dict[str, Any], seen: set[str], test_mode: bool, strict: bool
) -> list[tuple[str, str]]:
    ctes = []
    for other in project.pipes.values():
        if other.name in seen or not other.is_endpoint or not references(sql, other.name):
            continue
        try:
            body = pipe_sql(other, params, test_mode=test_mode)
            nested = _pipe_ctes(project, body, params, seen | {other.name}, test_mode, strict)
        except TemplateError:
            if strict:
                raise
            continue
        ctes.extend(nested + [(other.name, body)])
    return ctes


def pipe_ctes_for(project: Project, sql: str, params: dict[str, Any]) -> list[tuple[str, str]]:
    """CTEs for every endpoint pipe `sql` mentions by name (rendered with `params`), so
    `/v0/sql` can `SELECT ... FROM my_pipe` like Tinybird allows."""
    return _pipe_ctes(project, sql, params, set(project.datasources), test_mode=False, strict=False)


_TABLE_FUNCTIONS = re.compile(
    r"(?<![\w.`])(file|url|s3|s3Cluster|gcs|azureBlobStorage|hdfs|remote|remoteSecure|cluster|clusterAllReplicas"
    r"|executable|mysql|postgresql|sqlite|mongodb|redis|jdbc|odbc|input|fuzzJSON|urlCluster|iceberg|deltaLake"
    r"|hudi|dictionary)\s*\(",
    re.IGNORECASE,
)


def forbidden_table_function(sql: str) -> str | None:
    """A table function reaching outside the workspace (files, URLs, other servers), if any."""
    match = _TABLE_FUNCTIONS.search(_COMMENT_RE.sub(" ", sql))
    return match.group(1) if match else None


def first_keyword(sql: str) -> str:
    text = _COMMENT_RE.sub(" ", sql).lstrip(" \t\r\n(")
    match = re.match(r"[A-Za-z]+", text)
    return match.group(0).upper() if match else ""


def has_format(sql: str) -> bool:
    return _FORMAT_RE.search(strip_sql(_COMMENT_RE.sub(" ", sql))) is not None
