"""The Data Sources API's imports, truncate and delete, in Tinybird's shapes, as jobs that are done
by the time they are returned (`GET /v0/jobs/{id}` reads them back).

Imports are what the official CLI sends: `POST /v1/datasources/{name}/{append|replace}?format=…`
with the file as the body (or `url=`), answered with a job; `tb` then polls `/v0/jobs/{id}` and sums
`blocks[].process_return[].lines` / `.quarantine`. NDJSON goes through the Events API's own mapping
(JSON paths, quarantine); CSV and Parquet are read by ClickHouse with the datasource's columns as the
structure. A partial replace (`replace_condition`) deletes the rows matching the condition and writes
the file's rows that match it, like Tinybird.

Copy jobs (`POST /v0/pipes/{name}/copy`) are jobs too: the copy node's rendered SQL inserted into
its target datasource, appended or replacing its rows."""

from __future__ import annotations

import dataclasses
import os
import tempfile
import threading
import time
import uuid
from typing import Any, Callable
from urllib import request as urlrequest

from .engine import Engine, EngineError, quote_ident, quote_string
from .events import Ingestor
from .project import Datasource

FORMATS = {"ndjson": None, "csv": "CSV", "parquet": "Parquet"}


class Jobs:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.ingestor = Ingestor(engine)
        self._jobs: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def get(self, job_id: str) -> dict[str, Any] | None:
        with self._lock:
            return self._jobs.get(job_id)

    def list(self, status: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
        """Newest first, optionally only those with `status` and `kind` (`GET /v0/jobs`)."""
        with self._lock:
            jobs = list(self._jobs.values())
        jobs.reverse()  # dicts keep insertion order: the last one is the newest
        return [j for j in jobs if (status is None or j["status"] == status) and (kind is None or j["kind"] == kind)]

    def _job(self, kind: str, ds: Datasource, url: str, **extra: Any) -> dict[str, Any]:
        job_id = str(uuid.uuid4())
        now = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
        job = {
            "id": job_id,
            "job_id": job_id,
            "kind": kind,
            "status": "working",
            "created_at": now,
            "updated_at": now,
            "job_url": f"{url}/v0/jobs/{job_id}",
            "datasource": {"id": ds.name, "name": ds.name},
            **extra,
        }
        with self._lock:
            self._jobs[job_id] = job
        return job

    @staticmethod
    def _finish(job: dict[str, Any], error: str | None = None, **extra: Any) -> dict[str, Any]:
        job.update(extra)
        job["status"] = "error" if error else "done"
        job["updated_at"] = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
        if error:
            job["error"] = error
            job["errors"] = [error]
        return job

    # ---- imports -------------------------------------------------------------------------------

    def import_(
        self,
        lookup: Callable[[], Datasource | None],
        mode: str,
        fmt: str,
        body: bytes,
        base_url: str,
        replace_condition: str | None = None,
        source_url: str | None = None,
        delimiter: str | None = None,
    ) -> dict[str, Any]:
        ds = lookup()
        assert ds is not None
        job = self._job("import", ds, base_url, mode=mode, format=fmt)
        try:
            if source_url is not None:
                with urlrequest.urlopen(source_url, timeout=30) as reply:  # noqa: S310 (the user's URL)
                    body = reply.read()
            lines, quarantined = self._write(ds, mode, fmt, body, replace_condition, delimiter)
        except (EngineError, OSError, UnicodeDecodeError, ValueError) as exc:
            return self._finish(job, error=str(getattr(exc, "short", "") or exc))
        block = {"process_return": [{"lines": lines, "quarantine": quarantined, "bytes": len(body)}]}
        return self._finish(
            job, blocks=[block], statistics={"row_count": lines, "bytes": len(body)}, quarantine_rows=quarantined
        )

    def _write(
        self, ds: Datasource, mode: str, fmt: str, body: bytes, condition: str | None, delimiter: str | None
    ) -> tuple[int, int]:
        with self.engine.lock:
            if mode == "append":
                return self._insert(ds, ds.name, fmt, body, delimiter)
            if condition is None:
                self.engine.execute(f"TRUNCATE TABLE {quote_ident(ds.name)}")
                return self._insert(ds, ds.name, fmt, body, delimiter)
            scratch = f"__import_{uuid.uuid4().hex}"
            self.engine.execute(ds.ddl(scratch))
            self.engine.execute(dataclasses.replace(ds, name=scratch).quarantine_ddl())
            try:
                _, quarantined = self._insert(ds, scratch, fmt, body, delimiter)
                table = quote_ident(ds.name)
                self.engine.execute(f"ALTER TABLE {table} DELETE WHERE {condition}")
                self.engine.execute(f"INSERT INTO {table} SELECT * FROM {quote_ident(scratch)} WHERE {condition}")
                lines = int(self.engine.scalar(f"SELECT count() FROM {quote_ident(scratch)} WHERE {condition}"))
                return lines, quarantined
            finally:
                self.engine.execute(f"DROP TABLE IF EXISTS {quote_ident(scratch)}")
                self.engine.execute(f"DROP TABLE IF EXISTS {quote_ident(scratch + '_quarantine')}")

    def _insert(self, ds: Datasource, table: str, fmt: str, body: bytes, delimiter: str | None) -> tuple[int, int]:
        if fmt == "ndjson":
            target = dataclasses.replace(ds, name=table)
            result = self.ingestor.ingest(lambda: target, body.decode("utf-8"))
            return result.successful_rows, result.quarantined_rows
        ch_format = FORMATS[fmt]
        names = [c.name for c in ds.columns]
        if fmt == "csv":
            first = body.split(b"\n", 1)[0].decode("utf-8", "replace").strip()
            sep = delimiter or ","
            if [h.strip().strip('"') for h in first.split(sep)] == names:
                ch_format = "CSVWithNames"
        structure = ", ".join(f"{quote_ident(c.name)} {c.type}" for c in ds.columns)
        settings = f" SETTINGS format_csv_delimiter = {quote_string(delimiter)}" if delimiter else ""
        fd, path = tempfile.mkstemp(suffix=f".{fmt}")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(body)
            source = f"file({quote_string(path)}, {quote_string(ch_format)}, {quote_string(structure)})"
            count = int(self.engine.scalar(f"SELECT count() FROM {source}{settings}"))
            cols = ", ".join(quote_ident(n) for n in names)
            self.engine.execute(f"INSERT INTO {quote_ident(table)} ({cols}) SELECT {cols} FROM {source}{settings}")
        finally:
            os.unlink(path)
        return count, 0

    # ---- truncate and delete -------------------------------------------------------------------

    def delete(self, ds: Datasource, condition: str, dry_run: bool, base_url: str) -> dict[str, Any]:
        table = quote_ident(ds.name)
        with self.engine.lock:
            count = int(self.engine.scalar(f"SELECT count() FROM {table} WHERE {condition}"))
            if dry_run:
                return {"rows_to_be_deleted": count}
            job = self._job("delete_data", ds, base_url, delete_condition=condition)
            try:
                self.engine.execute(f"ALTER TABLE {table} DELETE WHERE {condition}")
            except EngineError as exc:
                return self._finish(job, error=exc.short)
            return self._finish(job, rows_affected=count)

    def truncate(self, ds: Datasource) -> None:
        with self.engine.lock:
            self.engine.execute(f"TRUNCATE TABLE {quote_ident(ds.name)}")
            if self.engine.table_exists(ds.quarantine_name):
                self.engine.execute(f"TRUNCATE TABLE {quote_ident(ds.quarantine_name)}")

    # ---- copies --------------------------------------------------------------------------------

    def copy(
        self,
        pipe_name: str,
        ds: Datasource,
        sql: str,
        mode: str,
        parameters: dict[str, Any],
        base_url: str,
    ) -> dict[str, Any]:
        """Run a copy: `sql` (the copy node rendered) into `ds`, appended or replacing its rows, as a
        job. The query's columns must all be columns of `ds` (those it lacks get their defaults);
        `ValueError` says which are not, before any job exists."""
        with self.engine.lock:
            columns = [row["name"] for row in self.engine.rows(f"DESCRIBE ({sql})")]
            extra = [c for c in columns if c not in {col.name for col in ds.columns}]
            if extra:
                raise ValueError(f"The pipe has columns {extra} not found in the destination Data Source.")
            job = self._job(
                "copy",
                ds,
                base_url,
                mode=mode,
                pipe_id=pipe_name,
                pipe_name=pipe_name,
                query_id=str(uuid.uuid4()),
                query_sql=" ".join(sql.split()),
                parameters=parameters,
                execution_type="manual",
                is_cancellable=False,
            )
            job["started_at"] = job["created_at"]
            cols = ", ".join(quote_ident(c) for c in columns)
            select = f"SELECT {cols} FROM ({sql})"
            try:
                written = self._copy(ds, cols, select, mode)
            except EngineError as exc:
                return self._finish(job, error=exc.short)
            processed = {"read_rows": 0, "read_bytes": 0, "written_rows": written, "written_bytes": 0}
            return self._finish(job, processed_data=processed, statistics={"row_count": written})

    def _copy(self, ds: Datasource, cols: str, select: str, mode: str) -> int:
        """Write the rows under the engine lock (held by the caller), so no reader sees a replace half
        done: a replace first fills a scratch table, so a failing query leaves the target untouched."""
        table = quote_ident(ds.name)
        if mode == "append":
            written = int(self.engine.scalar(f"SELECT count() FROM ({select})"))
            self.engine.execute(f"INSERT INTO {table} ({cols}) {select}")
            return written
        scratch = quote_ident(f"__copy_{uuid.uuid4().hex}")
        self.engine.execute(ds.ddl(scratch.strip("`")))
        try:
            self.engine.execute(f"INSERT INTO {scratch} ({cols}) {select}")
            written = int(self.engine.scalar(f"SELECT count() FROM {scratch}"))
            self.engine.execute(f"TRUNCATE TABLE {table}")
            self.engine.execute(f"INSERT INTO {table} SELECT * FROM {scratch}")
        finally:
            self.engine.execute(f"DROP TABLE IF EXISTS {scratch}")
        return written
