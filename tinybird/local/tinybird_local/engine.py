"""The ClickHouse engine: one persistent chdb session, every query behind one lock."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from chdb import session as chdb_session

# Settings applied once per session. ClickHouse's server default quotes 64-bit integers in JSON
# output (Tinybird does too); chdb turns that off, so turn it back on. Tinybird runs in UTC,
# whatever the machine's TZ. Ingest validation puts a whole request body (up to 10 MB) in one
# query, above the 256 KiB default query size.
SESSION_SETTINGS = (
    "SET output_format_json_quote_64bit_integers = 1",
    "SET session_timezone = 'UTC'",
    "SET max_query_size = 104857600",
)

_CODE_RE = re.compile(r"Code: (\d+)\.")
_NAME_RE = re.compile(r"\(([A-Z_]+)\)\s*$")
_PREFIX_RE = re.compile(r"^\s*Code: \d+\. DB::Exception: ")


@dataclass
class EngineError(Exception):
    """A ClickHouse error: numeric code, symbolic name and the message text."""

    code: int
    name: str
    message: str

    def __str__(self) -> str:
        return self.message

    @classmethod
    def from_exception(cls, exc: Exception) -> EngineError:
        text = str(exc).strip()
        code = _CODE_RE.search(text)
        name = _NAME_RE.search(text)
        return cls(int(code.group(1)) if code else 0, name.group(1) if name else "", text)

    @property
    def short(self) -> str:
        """The message without the `Code: N. DB::Exception:` prefix and the internal trailer."""
        text = _PREFIX_RE.sub("", self.message)
        text = text.split("\n: While executing", 1)[0]
        return text.strip()


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

    def table_exists(self, name: str) -> bool:
        sql = f"EXISTS TABLE {quote_ident(name)}"
        return self.scalar(sql) == "1"

    def close(self) -> None:
        with self._lock:
            try:
                self._session.close()
            except Exception:  # closing twice or during interpreter shutdown is harmless
                pass
