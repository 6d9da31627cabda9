"""A scripted, stateless fake of the Anthropic Messages API for scripts/claude-e2e.

    python3 fake_api.py STATE_DIR

Listens on 127.0.0.1 (a free port, written to STATE_DIR/port once listening) and answers
`POST /v1/messages` with `stream: true` as server-sent events, the way Claude Code reads them. Every
call gets the next number n (from 1) and deterministic usage: input 100+n, output 30+n,
cache_read 5000+100n, cache_creation 2000+10n (all 5-minute cache writes), so one call can be
followed through transcripts, hooks and Tinybird. Each call is appended to STATE_DIR/calls.jsonl
(n, role, step, model, message id, request id, usage) and STATE_DIR/count holds the number of calls.
STATE_DIR/refusing_port is a port that refuses every connection (the proxy for everything else).

The model decides from the request alone (no state but the counter):
  - no tools: a side query, answered with short text;
  - the first user message holds CONTEXT_PROBE_e2e: a one-call session, answered with short text;
  - the first user message holds SUBAGENT_MARKER: the subagent runs one Bash `echo`, then answers;
  - otherwise the main agent: `Agent` (general-purpose, run_in_background false), then `Skill`
    (fake-skill), then a final text.
Anything else (another path, a non-streaming call) is answered with an error and logged to
STATE_DIR/unexpected.jsonl so the caller can fail on it.
"""

import hashlib
import json
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SUBAGENT_MARKER = "SUBAGENT_MARKER_e2e"
PROBE_MARKER = "CONTEXT_PROBE_e2e"
SUBAGENT_PROMPT = f"{SUBAGENT_MARKER} Please run one echo command and report back."
SUBAGENT_FINAL = "SUBAGENT_RESULT: the subagent finished its fake task."
MAIN_FINAL = "MAIN_FINAL: subagent and skill done."

state = Path(sys.argv[1])
lock = threading.Lock()
calls = 0


def usage(n):
    return {
        "input_tokens": 100 + n,
        "output_tokens": 30 + n,
        "cache_read_input_tokens": 5000 + 100 * n,
        "cache_creation_input_tokens": 2000 + 10 * n,
        "cache_creation": {"ephemeral_5m_input_tokens": 2000 + 10 * n, "ephemeral_1h_input_tokens": 0},
    }


def texts(content):
    """The text of a message's content (a string or a list of blocks), tool results excluded."""
    if isinstance(content, str):
        return content
    return "\n".join(b.get("text", "") for b in content if isinstance(b, dict) and b.get("type") == "text")


def tool_uses(messages):
    """Names of the tools the assistant called so far, in order."""
    names = []
    for m in messages:
        if m.get("role") == "assistant" and isinstance(m.get("content"), list):
            names += [b.get("name") for b in m["content"] if isinstance(b, dict) and b.get("type") == "tool_use"]
    return names


def decide(n, body):
    """(role, step, content blocks, stop_reason) for this request."""
    messages = body.get("messages") or []
    if not body.get("tools"):
        return "side", "text", [{"type": "text", "text": "ok"}], "end_turn"
    first = texts(messages[0].get("content", "")) if messages else ""
    used = tool_uses(messages)
    if PROBE_MARKER in first:
        return "probe", "final", [{"type": "text", "text": "PROBE_FINAL: hello."}], "end_turn"
    tool_id = f"toolu_fake_{n:03d}_{hashlib.sha256(str(n).encode()).hexdigest()[:12]}"
    if SUBAGENT_MARKER in first:
        if not used:
            return "subagent", "Bash", [
                {"type": "text", "text": "Subagent: running a quick command."},
                {"type": "tool_use", "id": tool_id, "name": "Bash",
                 "input": {"command": "echo hello-from-subagent", "description": "Echo from subagent"}},
            ], "tool_use"
        return "subagent", "final", [{"type": "text", "text": SUBAGENT_FINAL}], "end_turn"
    if not used:
        return "main", "Agent", [
            {"type": "text", "text": "I will delegate to a subagent first."},
            {"type": "tool_use", "id": tool_id, "name": "Agent",
             "input": {"description": "Fake subagent task", "prompt": SUBAGENT_PROMPT,
                       "subagent_type": "general-purpose", "run_in_background": False}},
        ], "tool_use"
    if used[-1] == "Agent":
        return "main", "Skill", [
            {"type": "text", "text": "Now I will use the skill."},
            {"type": "tool_use", "id": tool_id, "name": "Skill", "input": {"skill": "fake-skill"}},
        ], "tool_use"
    return "main", "final", [{"type": "text", "text": MAIN_FINAL}], "end_turn"


def sse(event, data):
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


def append(name, record):
    with open(state / name, "a") as f:
        f.write(json.dumps(record) + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 (the base class names it so)
        pass

    def refuse(self, status, why, body=None):
        append("unexpected.jsonl", {"method": self.command, "path": self.path, "why": why,
                                    "keys": sorted(body) if isinstance(body, dict) else None})
        payload = json.dumps({"type": "error", "error": {"type": "invalid_request_error", "message": why}})
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload.encode())

    def do_GET(self):
        self.refuse(404, "only POST /v1/messages is served")

    do_HEAD = do_GET

    def do_POST(self):
        global calls
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        if self.path.split("?")[0] != "/v1/messages":
            return self.refuse(404, "only POST /v1/messages is served")
        try:
            body = json.loads(raw)
        except ValueError:
            return self.refuse(400, "body is not JSON")
        if not body.get("stream"):
            return self.refuse(400, "only stream: true is served", body)
        with lock:
            calls += 1
            n = calls
            role, step, blocks, stop_reason = decide(n, body)
            model = body.get("model") or "claude-opus-5-5"
            message_id = f"msg_fake_{n:03d}_{hashlib.sha256(f'msg{n}'.encode()).hexdigest()[:8]}"
            request_id = f"req_fake_{n:03d}"
            append("calls.jsonl", {"n": n, "role": role, "step": step, "model": model,
                                   "message_id": message_id, "request_id": request_id, **usage(n)})
            (state / "count.tmp").write_text(f"{n}\n")
            (state / "count.tmp").replace(state / "count")

        u = usage(n)
        start_usage = {**u, "output_tokens": 1}
        events = [sse("message_start", {"type": "message_start", "message": {
            "id": message_id, "type": "message", "role": "assistant", "model": model, "content": [],
            "stop_reason": None, "stop_sequence": None, "usage": start_usage}})]
        for i, block in enumerate(blocks):
            if block["type"] == "text":
                events.append(sse("content_block_start", {"type": "content_block_start", "index": i,
                                                          "content_block": {"type": "text", "text": ""}}))
                delta = {"type": "text_delta", "text": block["text"]}
            else:
                events.append(sse("content_block_start", {"type": "content_block_start", "index": i,
                                                          "content_block": {**block, "input": {}}}))
                delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
            events.append(sse("content_block_delta", {"type": "content_block_delta", "index": i, "delta": delta}))
            events.append(sse("content_block_stop", {"type": "content_block_stop", "index": i}))
        final_usage = {k: v for k, v in u.items() if k != "cache_creation"}
        events.append(sse("message_delta", {"type": "message_delta",
                                            "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                                            "usage": final_usage}))
        events.append(sse("message_stop", {"type": "message_stop"}))
        payload = b"".join(events)

        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("request-id", request_id)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def main():
    # A port that refuses every connection (bound, never listening), kept for the server's lifetime:
    # the proxy Claude Code is pointed at, so nothing it sends can leave the machine.
    refusing = socket.socket()
    refusing.bind(("127.0.0.1", 0))
    (state / "refusing_port").write_text(f"{refusing.getsockname()[1]}\n")
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    (state / "port.tmp").write_text(f"{server.server_address[1]}\n")
    (state / "port.tmp").replace(state / "port")
    server.serve_forever()


if __name__ == "__main__":
    main()
