"""Schema evolution: how a live datasource becomes its new definition, by Tinybird Forward's rules
(https://www.tinybird.co/docs/forward/test-and-deploy/evolve-data-source).

- The changes Tinybird documents as automatic ALTERs (add a column, remove a column, make a column
  nullable, add / change / remove the TTL, add / drop an index) are applied in place.
- Anything else rewrites the table: a new one is created and backfilled from the live rows, with the
  datafile's FORWARD_QUERY or, when every kept column keeps its type (an engine or sorting key
  change, a reordering, a new DEFAULT...), with a plain copy of the kept columns.
- A FORWARD_QUERY on a changed datasource always means a backfill with it: it may compute values a
  plain ALTER would only fill with defaults.
- A column whose type changes (other than to its Nullable) needs a FORWARD_QUERY.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from .engine import Engine, EngineError, quote_ident, quote_string
from .pipes import strip_sql
from .project import Column, Datasource

ALTER, BACKFILL, INCOMPATIBLE = "alter", "backfill", "incompatible"


@dataclass
class Evolution:
    method: str  # ALTER, BACKFILL or INCOMPATIBLE
    clauses: list[str] = field(default_factory=list)  # ALTER TABLE clauses, in order
    select: str = ""  # the SELECT list a backfill runs over the live rows
    columns: list[str] = field(default_factory=list)  # the columns it fills (the others get defaults)
    forward_query: bool = False  # `select` is the datafile's FORWARD_QUERY
    reason: str = ""  # why an incompatible change needs a FORWARD_QUERY
    alterable: bool = False  # a FORWARD_QUERY is used where ALTERs alone would have done

    @property
    def feedback(self) -> str:
        if self.method == ALTER:
            return "This datasource will be updated using ALTER TABLE. No data movement or backfill required."
        if self.forward_query:
            text = "This datasource will be rebuilt and backfilled from the live deployment with its FORWARD_QUERY."
            if self.alterable:
                text += (
                    " Without it, this change would be an ALTER: a FORWARD_QUERY left in the file after its "
                    "migration runs again over the rows it already migrated."
                )
            return text
        return (
            "This datasource will be rebuilt and backfilled from the live deployment "
            "(its columns keep their types, so no FORWARD_QUERY is needed)."
        )


def evolve(old: Datasource, new: Datasource) -> Evolution | None:
    """How `old` (live) becomes `new`; None when its table does not change."""
    if old.fingerprint() == new.fingerprint():
        return None
    if new.forward_query:
        names, alterable = [c.name for c in new.columns], alter_clauses(old, new) is not None
        return Evolution(
            BACKFILL, select=strip_sql(new.forward_query), columns=names, forward_query=True, alterable=alterable
        )
    clauses = alter_clauses(old, new)
    if clauses is not None:
        return Evolution(ALTER, clauses=clauses)
    before = {c.name: c for c in old.columns}
    for column in new.columns:
        was = before.get(column.name)
        if was and was.type != column.type and not _nullable_of(was.type, column.type):
            reason = f"column '{column.name}' changes type from {was.type} to {column.type}"
            return Evolution(INCOMPATIBLE, reason=reason)
    kept = [c.name for c in new.columns if c.name in before]
    if not kept:
        return Evolution(INCOMPATIBLE, reason="no column of the live datasource is kept")
    return Evolution(BACKFILL, select="SELECT " + ", ".join(quote_ident(n) for n in kept), columns=kept)


def alter_clauses(old: Datasource, new: Datasource) -> list[str] | None:
    """The ALTER TABLE clauses that turn `old` into `new`, or None if ALTERs can't (or Tinybird
    doesn't document that they do)."""
    if old.engine_without_ttl != new.engine_without_ttl:
        return None
    before = {c.name: (c, d) for c, d in zip(old.columns, old.column_defs)}
    after = {c.name: (c, d) for c, d in zip(new.columns, new.column_defs)}
    if [n for n in before if n in after] != [n for n in after if n in before]:
        return None  # kept columns reordered
    # IF [NOT] EXISTS: tables created before this server made indexes have none.
    clauses = [f"DROP INDEX IF EXISTS {quote_ident(n)}" for n, sql in old.indexes.items() if new.indexes.get(n) != sql]
    clauses += [f"DROP COLUMN {quote_ident(n)}" for n in before if n not in after]
    for name, (column, definition) in after.items():
        if name not in before or before[name][1] == definition:
            continue
        was, was_definition = before[name]
        if not _nullable_of(was.type, column.type) or _rest(was, was_definition) != _rest(column, definition):
            return None
        clauses.append(f"MODIFY COLUMN {definition}")
    for i, (column, definition) in enumerate(zip(new.columns, new.column_defs)):
        if column.name not in before:
            clauses.append(
                f"ADD COLUMN {definition}" + (f" AFTER {quote_ident(new.columns[i - 1].name)}" if i else " FIRST")
            )
    clauses += [
        "ADD " + sql.replace("INDEX ", "INDEX IF NOT EXISTS ", 1)
        for n, sql in new.indexes.items()
        if old.indexes.get(n) != sql
    ]
    if old.ttl != new.ttl:
        clauses.append(f"MODIFY TTL {new.ttl}" if new.ttl else "REMOVE TTL")
    return clauses


def _nullable_of(old: str, new: str) -> bool:
    """`new` is `old` made nullable: T -> Nullable(T), LowCardinality(T) -> LowCardinality(Nullable(T))."""
    if new == f"Nullable({old})":
        return True
    low = "LowCardinality("
    return old.startswith(low) and new == f"{low}Nullable({old[len(low):-1]}))"


def _rest(column: Column, definition: str) -> str:
    """What follows the type in a column definition (DEFAULT, CODEC)."""
    return definition[len(quote_ident(column.name)) + 1 + len(column.type) :]


# ---- running them ----------------------------------------------------------------------------------


def live_table(name: str) -> str:
    return f"{quote_ident('default')}.{quote_ident(name)}"


def check_forward_query(engine: Engine, evolution: Evolution, live: str, database: str, table: str) -> str | None:
    """Why the forward query can't fill `database.table` from `live`, or None. It must run on the
    live table and yield exactly the table's columns with exactly their types (INSERT would cast
    some, but Tinybird may not: an explicit CAST works on both)."""
    try:
        meta = json.loads(engine.query(f"{evolution.select}\nFROM {live}\nLIMIT 0", "JSON"))["meta"]
    except EngineError as exc:
        return f"FORWARD_QUERY does not run on the live datasource: {exc.short}"
    expected = engine.rows(
        f"SELECT name, type FROM system.columns WHERE database = {quote_string(database)} "
        f"AND table = {quote_string(table)} ORDER BY position"
    )
    got = {m["name"]: m["type"] for m in meta}
    want = {c["name"]: c["type"] for c in expected}
    problems = []
    if len(got) != len(meta):
        seen = [m["name"] for m in meta]
        problems.append("duplicated columns " + ", ".join(sorted({n for n in seen if seen.count(n) > 1})))
    if missing := [n for n in want if n not in got]:
        problems.append("missing columns " + ", ".join(missing))
    if extra := [n for n in got if n not in want]:
        problems.append("columns not in the schema " + ", ".join(extra))
    for name, kind in want.items():
        if name in got and got[name] != kind:
            problems.append(f"column '{name}' is {got[name]} but the schema says {kind} (CAST it)")
    if problems:
        return "FORWARD_QUERY columns don't match datasource schema: " + "; ".join(problems)
    return None


def backfill_sql(evolution: Evolution, live: str, target: str, limit: int | None = None) -> str:
    """INSERT INTO target the live rows through the evolution's SELECT."""
    cols = ", ".join(quote_ident(c) for c in evolution.columns)
    tail = f"\nLIMIT {limit}" if limit is not None else ""
    return f"INSERT INTO {target} ({cols})\nSELECT {cols} FROM (\n{evolution.select}\nFROM {live}{tail}\n)"
