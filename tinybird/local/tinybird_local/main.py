"""Command line: bind the port, open the data dir, build --project, serve until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import errno
import fcntl
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from .deploy import Workspace
from .engine import Engine
from .project import read_folder
from .routes import Api
from .server import Server, make_handler
from .state import State

DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / ".data"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="tinybird/local/run", description=__doc__)
    parser.add_argument("--port", type=int, default=7181, help="port to listen on (default 7181)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="where data and state persist")
    parser.add_argument("--project", type=Path, help="a Tinybird project folder to build at start")
    parser.add_argument("--verbose", action="store_true", help="log each request (method, path, status)")
    parser.add_argument(
        "--stop-on-stdin-eof",
        action="store_true",
        help="stop when standard input closes: a test harness that dies takes the server with it",
    )
    return parser.parse_args(argv)


def fail(message: str) -> int:
    print(f"tinybird-local: error: {message}", file=sys.stderr, flush=True)
    return 1


def lock_data_dir(data_dir: Path) -> object:
    """An exclusive lock on the data dir: two servers must not share one chdb store."""
    handle = open(data_dir / ".lock", "w")  # noqa: SIM115 (held for the process lifetime)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise
    return handle


def build_project(workspace: Workspace, folder: Path) -> bool:
    files = read_folder(str(folder))
    if not files:
        print(f"tinybird-local: warning: no datafiles in {folder}", file=sys.stderr)
    result = workspace.deploy(files, check=False, auto_promote=True, allow_destructive=True)
    deployment = result["deployment"]
    for error in deployment["errors"]:
        print(f"tinybird-local: {error.get('filename', '')}: {error['error']}", file=sys.stderr)
    if result["result"] == "failed":
        return False
    changes = {k: v for k, v in deployment.items() if k.endswith("_names") and v}
    summary = ", ".join(f"{k.removesuffix('_names').replace('_', ' ')}: {', '.join(v)}" for k, v in changes.items())
    print(f"tinybird-local: built {folder} ({result['result']}{'; ' + summary if summary else ''})", file=sys.stderr)
    return True


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        # Bind first: a busy port fails fast, before the data dir is touched. The real handler
        # needs the token from the data dir; until serve_forever() runs, connections just queue.
        server = Server((args.host, args.port), BaseHTTPRequestHandler)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            return fail(f"port {args.port} on {args.host} is already in use; stop what runs there or pass --port")
        return fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror}")
    args.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        lock = lock_data_dir(args.data_dir)
    except OSError:
        server.server_close()
        return fail(f"data dir {args.data_dir} is used by another running server")

    engine = Engine(str(args.data_dir / "clickhouse"))
    state = State(args.data_dir)
    workspace = Workspace(engine, state)
    url = f"http://{args.host}:{server.server_address[1]}"
    if args.project and not build_project(workspace, args.project):
        server.server_close()
        engine.close()
        return fail(f"building {args.project} failed")
    api = Api(engine, workspace, state.token, url)
    server.RequestHandlerClass = make_handler(api.router(), state.token, args.verbose, api.resource_token)

    def stop(signum: int, _frame: object) -> None:
        # shutdown() waits for serve_forever() to return, which runs on this thread: ask from another.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.stop_on_stdin_eof:

        def watch_stdin() -> None:
            while sys.stdin.buffer.read(4096):
                pass
            server.shutdown()

        threading.Thread(target=watch_stdin, daemon=True).start()
    print(f"url: {url}", flush=True)
    print(f"token: {state.token}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        engine.close()
        lock.close()  # type: ignore[attr-defined]
    print("tinybird-local: stopped", file=sys.stderr, flush=True)
    if args.stop_on_stdin_eof:
        # The stdin watcher may still be blocked in read(): skip interpreter finalization, which
        # would abort on its buffer lock. Everything is closed and flushed above.
        os._exit(0)
    return 0
