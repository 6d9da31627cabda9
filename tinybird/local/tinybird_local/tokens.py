"""Resource tokens: the `TOKEN name READ|APPEND` lines of the live project's datafiles, each a static
token with Tinybird's scopes (`DATASOURCES:READ:<ds>`, `DATASOURCES:APPEND:<ds>`, `PIPES:READ:<pipe>`).
Their values live in `state.json`: created on the deploy that first declares them, kept while a
live datafile declares them, gone with the deploy that drops the last one."""

from __future__ import annotations

import hmac
import re
from typing import Any

from .pipes import references
from .project import Project

# Other databases a query could name; a resource token reads only its workspace resources.
_OTHER_DATABASES = re.compile(r"(?<![\w.`])`?(system|information_schema|INFORMATION_SCHEMA)`?\s*\.\s*`?(\w+)")

READ_DATASOURCE, APPEND_DATASOURCE, READ_PIPE = "DATASOURCES:READ", "DATASOURCES:APPEND", "PIPES:READ"


def token_scopes(project: Project) -> dict[str, list[dict[str, str]]]:
    """Every token the project's datafiles declare, with its scopes, in datafile order."""
    out: dict[str, list[dict[str, str]]] = {}
    for ds in project.datasources.values():
        for name, permission in ds.tokens:
            kind = APPEND_DATASOURCE if permission == "APPEND" else READ_DATASOURCE
            scope = {"type": kind, "resource": ds.name}
            if scope not in out.setdefault(name, []):
                out[name].append(scope)
    for pipe in project.pipes.values():
        for name, _ in pipe.tokens:
            scope = {"type": READ_PIPE, "resource": pipe.name}
            if scope not in out.setdefault(name, []):
                out[name].append(scope)
    return out


def find(values: dict[str, str], given: str) -> str | None:
    """The name of the token whose value is `given` (compared in constant time), if any."""
    found = None
    for name, value in values.items():
        if hmac.compare_digest(value.encode(), given.encode()):
            found = name
    return found


def allows(scopes: list[dict[str, Any]], kind: str, resource: str) -> bool:
    return any(s.get("type") == kind and s.get("resource") == resource for s in scopes)


def unreadable(scopes: list[dict[str, Any]], project: Project, sql: str, own: tuple[str, ...] = ()) -> str | None:
    """The first resource `sql` reads that `scopes` give no read access to (a datasource, its
    quarantine, an endpoint pipe, another database's table), or None when it reads only what they
    open. Names in `own` (the pipe a `q` runs over, `_`) are the caller's to allow."""
    other = _OTHER_DATABASES.search(sql)
    if other:
        return f"{other.group(1)}.{other.group(2)}"
    for ds in project.datasources.values():
        for table in (ds.name, ds.quarantine_name):
            if table not in own and references(sql, table) and not allows(scopes, READ_DATASOURCE, ds.name):
                return table
    for pipe in project.pipes.values():
        if pipe.name not in own and references(sql, pipe.name) and not allows(scopes, READ_PIPE, pipe.name):
            return pipe.name
    return None
