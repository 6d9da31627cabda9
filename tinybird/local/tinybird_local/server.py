"""HTTP plumbing: request parsing, auth, JSON responses; the routes live in routes.py."""

from __future__ import annotations

import hmac
import json
import re
import sys
import traceback
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

# A request body above this is refused before it is read (the events API has its own, lower cap).
MAX_BODY = 64 * 1024 * 1024


class HttpError(Exception):
    """Ends a request with `status` and `{"error": message, ...}`."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"error": message, **extra}


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Any  # email.message.Message
    read_body: Callable[[int], bytes]
    match: re.Match[str] | None = None
    jwt: dict[str, Any] | None = None  # the claims, when the request came with a JWT
    scopes: list[dict[str, Any]] | None = None  # a resource token's scopes (None: the admin token or a JWT)
    _body: bytes | None = field(default=None, repr=False)

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def flag(self, name: str) -> bool:
        return (self.arg(name) or "").lower() in ("true", "1", "yes")

    def body(self, limit: int = MAX_BODY) -> bytes:
        if self._body is None:
            self._body = self.read_body(limit)
        return self._body

    @property
    def content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()

    def form(self) -> dict[str, list[str]]:
        """A POST body as parameters: urlencoded form, JSON object, or multipart fields."""
        body = self.body()
        if self.content_type == "application/json":
            try:
                data = json.loads(body or b"{}")
            except ValueError:
                raise HttpError(400, "Invalid JSON body") from None
            if not isinstance(data, dict):
                raise HttpError(400, "The JSON body must be an object")
            return {k: (v if isinstance(v, list) else [v]) for k, v in data.items()}
        if self.content_type == "multipart/form-data":
            out: dict[str, list[str]] = {}
            for name, _, payload in self.multipart():
                out.setdefault(name, []).append(payload.decode("utf-8", "replace"))
            return out
        if self.content_type in ("application/x-www-form-urlencoded", ""):
            return parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        return {}

    def multipart(self) -> list[tuple[str, str | None, bytes]]:
        """(field name, filename, content) of each part of a multipart/form-data body."""
        header = self.headers.get("Content-Type") or ""
        raw = b"Content-Type: " + header.encode() + b"\r\n\r\n" + self.body()
        message = BytesParser(policy=HTTP).parsebytes(raw)
        if not message.is_multipart():
            raise HttpError(400, "Expected a multipart/form-data body")
        parts = []
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition") or ""
            payload = part.get_payload(decode=True) or b""
            parts.append((str(name), part.get_filename(), payload))
        return parts


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, data: Any) -> Response:
        return cls(status, json.dumps(data).encode() + b"\n")


Handler = Callable[[Request], Response]


class Router:
    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern[str], Handler, bool]] = []
        self.jwt_handlers: list[Handler] = []  # the routes a JWT opens (its scopes are theirs to check)
        self.token_handlers: list[Handler] = []  # the routes a resource token opens (likewise)

    def add(
        self,
        methods: str,
        pattern: str,
        handler: Handler,
        *,
        auth: bool = True,
        jwt: bool = False,
        resource_token: bool = False,
    ) -> None:
        """`methods` and `pattern` may list alternatives with `|`: "GET|POST", "/v1/x|/v0/x"."""
        if jwt:
            self.jwt_handlers.append(handler)
        if jwt or resource_token:
            self.token_handlers.append(handler)
        compiled = re.compile(f"^(?:{pattern})$")  # grouped: `^a|b$` would match any path starting with a
        for method in methods.split("|"):
            self.routes.append((method, compiled, handler, auth))

    def find(self, method: str, path: str) -> tuple[Handler, re.Match[str], bool]:
        allowed = False
        for route_method, pattern, handler, auth in self.routes:
            match = pattern.match(path)
            if match and route_method == method:
                return handler, match, auth
            allowed = allowed or bool(match)
        if allowed:
            raise HttpError(405, f"Method {method} not allowed on {path}")
        raise HttpError(404, f"Not found: {path}")


# Looks a resource token up: its scopes, or None when it is not one.
TokenLookup = Callable[[str], "list[dict[str, Any]] | None"]

# What Tinybird answers a static token for a resource outside its scopes.
NO_ACCESS = "The token you have provided doesn't have access to this resource"


def check_token(request: Request, token: str, lookup: TokenLookup | None = None) -> None:
    given = request.arg("token")
    auth = request.headers.get("Authorization") or ""
    if auth.lower().startswith("bearer "):
        given = auth[7:].strip()
    if not given:
        raise HttpError(403, "Forbidden: a token is required (Authorization: Bearer <token> or ?token=)")
    if hmac.compare_digest(given.encode(), token.encode()):
        return
    scopes = lookup(given) if lookup else None
    if scopes is not None:
        request.scopes = scopes
        return
    if given.count(".") == 2:
        request.jwt = verify_jwt(given, token)
        return
    raise HttpError(403, "Invalid token")


def verify_jwt(given: str, signing_key: str) -> dict[str, Any]:
    """A Tinybird JWT: HS256, signed with the workspace admin token, not expired, with scopes. Which
    resources it opens is for the route to check (`Request.jwt`)."""
    import jwt  # PyJWT, a dependency of Tinybird's CLI

    try:
        claims = jwt.decode(given, signing_key, algorithms=["HS256"], options={"require": ["exp"]})
    except jwt.ExpiredSignatureError:
        raise HttpError(403, "Invalid token: the JWT has expired") from None
    except jwt.PyJWTError:
        raise HttpError(403, "Invalid token") from None
    if not isinstance(claims.get("scopes"), list):
        raise HttpError(403, "Invalid token: the JWT has no scopes")
    return claims


def make_handler(
    router: Router, token: str, verbose: bool = False, lookup: TokenLookup | None = None
) -> type[BaseHTTPRequestHandler]:
    class RequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "tinybird-local"

        def do_GET(self) -> None:  # noqa: N802 (the stdlib's naming)
            self._handle("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._handle("POST")

        def do_DELETE(self) -> None:  # noqa: N802
            self._handle("DELETE")

        def do_PUT(self) -> None:  # noqa: N802
            self._handle("PUT")

        def _handle(self, method: str) -> None:
            url = urlsplit(self.path)
            request = Request(method, url.path, parse_qs(url.query, keep_blank_values=True), self.headers, self._read)
            self._consumed = False
            try:
                handler, match, auth = router.find(method, url.path.rstrip("/") or "/")
                request.match = match
                if auth:
                    check_token(request, token, lookup)
                    if request.jwt is not None and handler not in router.jwt_handlers:
                        raise HttpError(403, "Forbidden: a JWT only reads the pipes in its scopes")
                    if request.scopes is not None and handler not in router.token_handlers:
                        raise HttpError(403, NO_ACCESS)
                response = handler(request)
            except HttpError as exc:
                response = Response.json(exc.status, exc.body)
            except Exception:  # a bug: say so, keep serving
                traceback.print_exc(file=sys.stderr)
                response = Response.json(500, {"error": "Internal server error (see the server's stderr)"})
            if not self._consumed:
                self._drain()
            self._send(response)

        def _read(self, limit: int) -> bytes:
            self._consumed = True
            if (self.headers.get("Transfer-Encoding") or "").lower() == "chunked":
                return self._read_chunked(limit)
            length = int(self.headers.get("Content-Length") or 0)
            if length > limit:
                # Read and drop it (clients often send the whole body before reading the reply).
                self._drain()
                raise HttpError(413, f"Request body is {length} bytes; the limit is {limit} bytes")
            return self.rfile.read(length) if length else b""

        def _read_chunked(self, limit: int) -> bytes:
            out = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                if len(out) + size > limit:
                    self.close_connection = True
                    raise HttpError(413, f"Request body is over the limit of {limit} bytes")
                out += self.rfile.read(size)
                self.rfile.readline()

        def _drain(self) -> None:
            self._consumed = True
            length = int(self.headers.get("Content-Length") or 0)
            if 0 < length <= MAX_BODY:
                while length > 0:
                    chunk = self.rfile.read(min(length, 1 << 20))
                    if not chunk:
                        break
                    length -= len(chunk)
            elif length or self.headers.get("Transfer-Encoding"):
                self.close_connection = True

        def _send(self, response: Response) -> None:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for key, value in response.headers.items():
                self.send_header(key, value)
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
            # The query string may hold the token: log the path only, and only when asked.
            if verbose:
                sys.stderr.write(f"{self.command} {urlsplit(self.path).path} {args[1] if len(args) > 1 else ''}\n")

    return RequestHandler


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
