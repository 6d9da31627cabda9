"""Start real servers (subprocesses on free ports, temp data dirs) and talk HTTP to them."""

from __future__ import annotations

import gzip
import json
import os
import signal
import socket
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib import error, parse, request

import pytest
import zstandard

LOCAL = Path(__file__).resolve().parent.parent
PROJECT = Path(__file__).resolve().parent / "project"
sys.path.insert(0, str(LOCAL))  # the unit tests import tinybird_local itself


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def project_files(root: Path = PROJECT) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.glob("*/*")) if p.is_file()}


@dataclass
class Reply:
    status: int
    headers: Any
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()


class Server:
    """A `python -m tinybird_local` subprocess."""

    def __init__(self, data_dir: Path, port: int | None = None, project: Path | None = None) -> None:
        self.port = port or free_port()
        self.data_dir = data_dir
        args = [sys.executable, "-m", "tinybird_local", "--port", str(self.port), "--data-dir", str(data_dir)]
        if project:
            args += ["--project", str(project)]
        # A non-UTC machine TZ: the server must still behave like Tinybird (UTC).
        env = {**os.environ, "PYTHONPATH": str(LOCAL), "TZ": "America/New_York"}
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
        self.url, self.token = "", ""
        for line in self.proc.stdout:
            if line.startswith("url: "):
                self.url = line[5:].strip()
            elif line.startswith("token: "):
                self.token = line[7:].strip()
                break
        if not self.token:
            self.proc.wait(timeout=30)
            raise RuntimeError(f"server did not start: {self.proc.stderr.read()}")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=30)
        self.proc.stdout.close()
        self.proc.stderr.close()
        return code

    def call(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | list[tuple[str, Any]] | None = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        token: str | None = "default",
    ) -> Reply:
        url = self.url + path
        if params:
            url += "?" + parse.urlencode(params, doseq=True)
        all_headers = dict(headers or {})
        if token == "default":
            token = self.token
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        req = request.Request(url, data=body, method=method, headers=all_headers)
        try:
            with request.urlopen(req, timeout=60) as resp:
                return Reply(resp.status, resp.headers, resp.read())
        except error.HTTPError as exc:
            return Reply(exc.code, exc.headers, exc.read())

    def deploy(self, files: dict[str, str], path: str = "/v1/deploy", **params: str) -> Reply:
        body, content_type = multipart(files)
        return self.call("POST", path, params=params, body=body, headers={"Content-Type": content_type})

    def ingest(self, name: str, rows: list[Any], wait: bool = True, compress: bool | str = False) -> Reply:
        """`compress`: False, True (gzip), "gzip" or "zstd"."""
        body = "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows).encode()
        headers = {"Content-Type": "application/x-ndjson"}
        encoding = "gzip" if compress is True else compress or None
        if encoding == "gzip":
            body = gzip.compress(body)
        elif encoding == "zstd":
            body = zstandard.ZstdCompressor(level=1).compress(body)
        if encoding:
            headers["Content-Encoding"] = encoding
        params = {"name": name, "wait": "true"} if wait else {"name": name}
        return self.call("POST", "/v0/events", params=params, body=body, headers=headers)

    def ingest_as(self, token: str, name: str, rows: list[Any]) -> Reply:
        """The Events API with another token than the admin one."""
        body = "".join(json.dumps(r) + "\n" for r in rows).encode()
        params = {"name": name, "wait": "true"}
        return self.call("POST", "/v0/events", params=params, body=body, token=token)

    def pipe(self, pipe_name: str, fmt: str = "json", **params: Any) -> Reply:
        return self.call("GET", f"/v0/pipes/{pipe_name}.{fmt}", params=params)

    def sql(self, q: str) -> Reply:
        return self.call("GET", "/v0/sql", params={"q": q})


def multipart(files: dict[str, str]) -> tuple[bytes, str]:
    """The body `tb deploy` sends: a `context://` part, then one `data_project://` part per file."""
    boundary = uuid.uuid4().hex
    parts = [("context://", "cli-version", "1.0.0")] + [("data_project://", p, c) for p, c in files.items()]
    out = b""
    for name, filename, content in parts:
        out += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: text/plain\r\n\r\n{content}\r\n"
        ).encode()
    out += f"--{boundary}--\r\n".encode()
    return out, f"multipart/form-data; boundary={boundary}"


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory):
    """One server with the test project deployed through /v1/deploy."""
    srv = Server(tmp_path_factory.mktemp("data"))
    reply = srv.deploy(project_files(), auto_promote="true")
    assert reply.status == 200, reply.text
    assert reply.json["result"] == "success", reply.text
    yield srv
    assert srv.stop() == 0


def rows_of(reply: Reply) -> list[dict[str, Any]]:
    assert reply.status == 200, reply.text
    return reply.json["data"]
