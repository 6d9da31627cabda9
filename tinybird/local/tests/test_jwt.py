"""JWTs signed with the workspace admin token (here with PyJWT, as an application would): read
access to the pipes in their scopes with `fixed_params` forced, nothing else; expired or badly
signed ones refused. And `GET /v0/tokens`."""

from __future__ import annotations

import time

import jwt

from conftest import Server, rows_of
from test_api import event


def sign(server: Server, scopes: list, exp: float | None = None, key: str | None = None) -> str:
    claims = {"workspace_id": "w", "name": "t", "exp": int(exp or time.time() + 600), "scopes": scopes}
    return jwt.encode(claims, key or server.token, algorithm="HS256")


def test_a_jwt_reads_its_pipes_with_fixed_params_only(server: Server) -> None:
    rows = [event("jwt-a", "x", 5), event("jwt-a", "x", 6), event("jwt-b", "x", 100)]
    assert server.ingest("events", rows).status == 200
    token = sign(server, [{"type": "PIPES:READ", "resource": "usage", "fixed_params": {"session_id": "jwt-a"}}])

    # The fixed param wins over the one in the request.
    reply = server.call("GET", "/v0/pipes/usage.json", params={"session_id": "jwt-b"}, token=token)
    assert [(r["name"], r["calls"], r["tokens"]) for r in rows_of(reply)] == [("x", "2", "11")]
    # ?token= works too.
    assert server.call("GET", "/v0/pipes/usage.json", params={"token": token}, token=None).status == 200

    for path in ("/v0/pipes/usage_total.json", "/v0/sql?q=SELECT+1", "/v0/datasources", "/v0/tokens"):
        reply = server.call("GET", path, token=token)
        assert reply.status == 403, (path, reply.text)

    expired = sign(server, [{"type": "PIPES:READ", "resource": "usage"}], exp=time.time() - 5)
    assert server.call("GET", "/v0/pipes/usage.json", token=expired).json["error"].endswith("expired")
    forged = sign(server, [{"type": "PIPES:READ", "resource": "usage"}], key="p.not-the-admin-token")
    assert server.call("GET", "/v0/pipes/usage.json", token=forged).json == {"error": "Invalid token"}


def test_static_tokens_are_listed(server: Server) -> None:
    tokens = server.call("GET", "/v0/tokens").json["tokens"]
    assert [(t["name"], t["scopes"]) for t in tokens] == [("workspace admin token", [{"type": "ADMIN"}])]
