"""The ClickHouse engine: one persistent chdb session, every query behind one lock."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass

from chdb import session as chdb_session

# Settings applied once per session. ClickHouse's server default quotes 64-bit integers in JSON
# output (Tinybird does too); chdb turns that off, so turn it back on. Tinybird runs in UTC,
# whatever the machine's TZ. Ingest validation puts a whole request body (up to 10 MB) in one
# query, above the 256 KiB default query size. A deploy's ALTERs (the only mutations, as
# /v0/sql refuses anything but SELECT) finish before the deploy returns.
SESSION_SETTINGS = (
    "SET output_format_json_quote_64bit_integers = 1",
    "SET session_timezone = 'UTC'",
    "SET max_query_size = 104857600",
    "SET mutations_sync = 1",
)

# Everything this server reads out of ClickHouse's error texts is read by parse_error() below
# (tests/test_units.py has one test per text it recognises, produced by the real chdb).
_CODE_RE = re.compile(r"Code: (\d+)\.")
_NAME_RE = re.compile(r"\(([A-Z_]+)\)\s*$")
_PREFIX_RE = re.compile(r"^\s*Code: \d+\. DB::Exception: ")
_TRAILER = "\n: While executing"
_UNKNOWN_CODES = (60, 81)  # UNKNOWN_TABLE, UNKNOWN_DATABASE
_UNKNOWN_RES = (
    re.compile(r"identifier '([^']+)'"),  # SELECT ... FROM nope
    re.compile(r"Table (\S+) does not exist"),  # DESCRIBE nope
    re.compile(r"Database (\S+) does not exist"),  # SELECT ... FROM nodb.nope
)
_ROW_RE = re.compile(r"\(at row (\d+)\)")  # a format reader refusing an input row
_KEY_RE = re.compile(r"while reading the value of key ([^)\s:]+)")  # ... and the JSON key it was reading


@dataclass
class EngineError(Exception):
    """A ClickHouse error, and what this server needs to know from its text."""

    code: int
    name: str  # the symbolic name, e.g. UNKNOWN_TABLE
    message: str  # the full text
    short: str = ""  # without the `Code: N. DB::Exception:` prefix and the `While executing` trailer
    unknown: str | None = None  # for an unknown table or database: its name ("unknown" if not found)
    row: int | None = None  # for an input row a format reader refused: its number, from 1
    key: str | None = None  # ... and the key it was reading, if it says

    def __str__(self) -> str:
        return self.message

    @classmethod
    def from_exception(cls, exc: Exception) -> EngineError:
        return parse_error(str(exc))


def parse_error(text: str) -> EngineError:
    """The one place that reads chdb's error wording."""
    text = text.strip()
    code_match = _CODE_RE.search(text)
    name_match = _NAME_RE.search(text)
    code = int(code_match.group(1)) if code_match else 0
    short = _PREFIX_RE.sub("", text).split(_TRAILER, 1)[0].strip()
    unknown = None
    if code in _UNKNOWN_CODES:
        found = next((m for r in _UNKNOWN_RES if (m := r.search(text))), None)
        unknown = found.group(1).strip("`'\".").removeprefix("default.") if found else "unknown"
    row = _ROW_RE.search(text)
    key = _KEY_RE.search(text)
    return EngineError(
        code,
        name_match.group(1) if name_match else "",
        text,
        short,
        unknown,
        int(row.group(1)) if row else None,
        key.group(1).strip("`'\"") if key else None,
    )


def quote_string(value: str) -> str:
    """A ClickHouse string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def quote_ident(name: str) -> str:
    """A ClickHouse identifier in backticks."""
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


class Engine:
    """Thread-safe access to a persistent chdb session stored under `path`."""

    def __init__(self, path: str) -> None:
        self._lock = threading.RLock()
        self._session = chdb_session.Session(path)
        for statement in SESSION_SETTINGS:
            self._session.query(statement)

    @property
    def lock(self) -> threading.RLock:
        """Held across multi-statement operations (deploys) so no query sees half a change."""
        return self._lock

    def query(self, sql: str, fmt: str = "JSON") -> bytes:
        """Run `sql` and return the output bytes in `fmt` (a FORMAT clause in `sql` wins)."""
        with self._lock:
            try:
                result = self._session.query(sql, fmt)
            except Exception as exc:  # chdb raises its own ChdbError / RuntimeError
                raise EngineError.from_exception(exc) from None
            if result is None:
                return b""
            if getattr(result, "has_error", lambda: False)():
                raise EngineError.from_exception(RuntimeError(result.error_message()))
            return result.bytes()

    def execute(self, sql: str) -> None:
        """Run a statement whose output is not needed (DDL, INSERT)."""
        self.query(sql, "TabSeparated")

    def scalar(self, sql: str) -> str:
        """The first column of the first row as text."""
        return self.query(sql, "TabSeparated").decode().split("\n", 1)[0]

    def rows(self, sql: str) -> list[dict]:
        """Every row as a dict (64-bit integers come as strings)."""
        return [json.loads(line) for line in self.query(sql, "JSONEachRow").splitlines() if line]

    def table_exists(self, name: str) -> bool:
        sql = f"EXISTS TABLE {quote_ident(name)}"
        return self.scalar(sql) == "1"

    def close(self) -> None:
        with self._lock:
            try:
                self._session.close()
            except Exception:  # closing twice or during interpreter shutdown is harmless
                pass
