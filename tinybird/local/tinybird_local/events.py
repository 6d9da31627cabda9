"""The Events API: NDJSON rows mapped through the datasource's JSON paths; rows that do not fit
the schema go to `<datasource>_quarantine` and the rest land."""

from __future__ import annotations

import json
import re
import zlib
from dataclasses import dataclass
from typing import Any, Callable

import zstandard

from .engine import Engine, EngineError, quote_ident, quote_string
from .project import Column, Datasource

_MISSING = object()
_INT_RE = re.compile(r"^(?:LowCardinality\()?(?:Nullable\()?(U?)Int(8|16|32|64|128|256)\)*$")
_PATH_PART_RE = re.compile(r"\[\s*'([^']*)'\s*\]|\[\s*\"([^\"]*)\"\s*\]|\[(:|\*|\d+)\]|\.?([^.\[\]]+)")

# Settings for reading the rows: ISO 8601 / RFC 3339 timestamps like Tinybird accepts, and no
# parallel parsing so an error names the exact row.
READ_SETTINGS = "date_time_input_format = 'best_effort', input_format_parallel_parsing = 0"


# Compressed bodies are fed to the decompressor this many bytes at a time and the output is checked
# against the limit after each piece: 1 KiB of zstd (RLE blocks) or deflate expands to at most ~32 MiB,
# so a small body that would decompress to gigabytes is refused without holding them.
_DECOMPRESS_STEP = 1024


class BodyError(Exception):
    """A body that cannot be read: `status` 400 (bad encoding or data) or 413 (over the limit)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def decode_body(body: bytes, encoding: str, limit: int) -> bytes:
    """The NDJSON in `body` as sent with `Content-Encoding: encoding` (none, `gzip` or `zstd`), refused
    with BodyError(413) when it is over `limit` bytes once decompressed. Several gzip members or zstd
    frames in a row read as one body; zstd frames may or may not carry their content size."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        if len(body) > limit:
            raise BodyError(413, f"The body is over the limit of {limit} bytes")
        return body
    if encoding == "gzip":
        return _decompress(lambda: zlib.decompressobj(16 + zlib.MAX_WBITS), body, limit, "gzip", zlib.error)
    if encoding == "zstd":
        return _decompress(
            lambda: zstandard.ZstdDecompressor().decompressobj(), body, limit, "zstd", zstandard.ZstdError
        )
    raise BodyError(400, f"Unsupported Content-Encoding '{encoding}'")


def _decompress(new: Callable[[], Any], body: bytes, limit: int, name: str, error: type[Exception]) -> bytes:
    out = bytearray()
    pos = 0
    try:
        while pos < len(body):  # one gzip member / zstd frame per round
            decompressor = new()
            while not decompressor.eof:
                if pos >= len(body):
                    raise BodyError(400, f"Invalid {name} body: it is truncated")
                piece = body[pos : pos + _DECOMPRESS_STEP]
                pos += len(piece)
                out += decompressor.decompress(piece)
                if len(out) > limit:
                    raise BodyError(413, f"The uncompressed body is over the limit of {limit} bytes")
            pos -= len(decompressor.unused_data)
    except error:
        raise BodyError(400, f"Invalid {name} body") from None
    return bytes(out)


@dataclass
class IngestResult:
    successful_rows: int
    quarantined_rows: int


@dataclass
class _Rejected:
    values: dict[str, Any]  # column -> original value (or _MISSING)
    column: str
    error: str


def parse_path(path: str) -> list[str | int]:
    """`$.a.b[:]` -> ['a', 'b'] (a trailing `[:]` only says the value is an array)."""
    body = path.strip()
    if body.startswith("$"):
        body = body[1:]
    parts: list[str | int] = []
    for quoted1, quoted2, index, plain in _PATH_PART_RE.findall(body):
        if quoted1 or quoted2:
            parts.append(quoted1 or quoted2)
        elif index in (":", "*"):
            continue
        elif index:
            parts.append(int(index))
        elif plain:
            parts.append(plain)
    return parts


def extract(row: Any, path: list[str | int]) -> Any:
    value = row
    for part in path:
        if isinstance(part, int):
            if not isinstance(value, list) or part >= len(value):
                return _MISSING
            value = value[part]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return _MISSING
    return value


def _check(column: Column, value: Any) -> str | None:
    """Checks ClickHouse's JSON reader is lenient about; None when the value may go on."""
    if value is _MISSING or value is None:
        if column.nullable or column.default:
            return None
        return f"value is missing and column '{column.name}' is not Nullable and has no DEFAULT"
    match = _INT_RE.match(column.type)
    if match:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            return f"value '{_as_text(value)}' on column '{column.name}' is not {column.type}"
        try:
            number = int(value)
        except ValueError:
            return f"value '{value}' on column '{column.name}' is not {column.type}"
        bits = int(match.group(2))
        low, high = (0, 2**bits - 1) if match.group(1) else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
        if not low <= number <= high:
            return f"value '{value}' on column '{column.name}' is out of range for {column.type}"
    return None


def _as_text(value: Any) -> str | None:
    if value is _MISSING or value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _mapped_line(columns: list[Column], values: dict[str, Any]) -> str:
    out = {}
    for column in columns:
        value = values[column.name]
        if value is _MISSING or (value is None and column.default and not column.nullable):
            continue  # omitted: ClickHouse applies the column's DEFAULT (or NULL)
        out[column.name] = value
    return json.dumps(out, separators=(",", ":"), ensure_ascii=False)


def _structure(columns: list[Column]) -> str:
    return ", ".join(f"{quote_ident(c.name)} {c.type}" for c in columns)


class Ingestor:
    """Writes NDJSON bodies into datasources."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def ingest(self, lookup: Callable[[], Datasource | None], body: str) -> IngestResult:
        """Write `body` into the datasource `lookup()` returns (LookupError when there is none).
        The rows are mapped before taking the engine lock; if a deploy changed the datasource while
        this waited for the lock, they are mapped again through its new schema."""
        ds = lookup()
        if ds is None:
            raise LookupError("no such datasource")
        accepted, rejected = self._map(ds, body)
        with self.engine.lock:
            current = lookup()
            if current is None:
                raise LookupError("no such datasource")
            if current is not ds:
                ds = current
                accepted, rejected = self._map(ds, body)
            good = self._validate(ds, accepted, rejected)
            if good:
                data = "\n".join(line for _, line in good)
                self.engine.execute(
                    f"INSERT INTO {quote_ident(ds.name)} SETTINGS {READ_SETTINGS} FORMAT JSONEachRow\n{data}\n"
                )
            if rejected:
                self._quarantine(ds, rejected)
        return IngestResult(len(good), len(rejected))

    def _map(self, ds: Datasource, body: str) -> tuple[list[tuple[dict[str, Any], str]], list[_Rejected]]:
        """Each NDJSON line through the columns' JSON paths: (values, mapped line) or a rejection."""
        paths = {c.name: parse_path(c.jsonpath) for c in ds.columns}
        accepted: list[tuple[dict[str, Any], str]] = []
        rejected: list[_Rejected] = []
        for line in body.splitlines():
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                rejected.append(_Rejected({c.name: _MISSING for c in ds.columns}, "", f"invalid JSON: {exc}"))
                continue
            if not isinstance(row, dict):
                rejected.append(_Rejected({c.name: _MISSING for c in ds.columns}, "", "a row must be a JSON object"))
                continue
            values = {c.name: extract(row, paths[c.name]) for c in ds.columns}
            problem = next(((c.name, e) for c in ds.columns if (e := _check(c, values[c.name]))), None)
            if problem:
                rejected.append(_Rejected(values, *problem))
            else:
                accepted.append((values, _mapped_line(ds.columns, values)))
        return accepted, rejected

    def _validate(
        self, ds: Datasource, rows: list[tuple[dict[str, Any], str]], rejected: list[_Rejected]
    ) -> list[tuple[dict[str, Any], str]]:
        """Let ClickHouse parse the rows without writing; move each row it refuses to `rejected`."""
        good: list[tuple[dict[str, Any], str]] = []
        rest = rows
        structure = quote_string(_structure(ds.columns))
        while rest:
            data = quote_string("\n".join(line for _, line in rest))
            sql = f"SELECT count() FROM format(JSONEachRow, {structure}, {data}) SETTINGS {READ_SETTINGS}"
            try:
                self.engine.query(sql, "TabSeparated")
                good.extend(rest)
                break
            except EngineError as exc:
                if exc.row is None or not 1 <= exc.row <= len(rest):
                    raise
                index = exc.row - 1
                good.extend(rest[:index])
                values = rest[index][0]
                column = exc.key or ""
                rejected.append(_Rejected(values, column, _row_error(ds, column, values, exc)))
                rest = rest[index + 1 :]
        return good

    def _quarantine(self, ds: Datasource, rejected: list[_Rejected]) -> None:
        lines = []
        for item in rejected:
            row: dict[str, Any] = {
                "c__error_column": [item.column] if item.column else [],
                "c__error": [item.error],
            }
            for column in ds.columns:
                row[column.name] = _as_text(item.values.get(column.name, _MISSING))
            lines.append(json.dumps(row, ensure_ascii=False))
        data = "\n".join(lines)
        self.engine.execute(f"INSERT INTO {quote_ident(ds.quarantine_name)} FORMAT JSONEachRow\n{data}\n")


def _row_error(ds: Datasource, column: str, values: dict[str, Any], exc: EngineError) -> str:
    by_name = {c.name: c for c in ds.columns}
    if column in by_name:
        return f"value '{_as_text(values.get(column))}' on column '{column}' is not {by_name[column].type}"
    return exc.short
