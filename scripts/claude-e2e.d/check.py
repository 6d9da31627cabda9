"""Check what atel-hooks recorded in Tinybird against the fake API's calls and Claude Code's own result.

    python3 check.py FAKE_STATE_DIR CLAUDE_RESULT_JSON CLAUDE_DEBUG_LOG HOOK_COMMAND
    (TINYBIRD_URL, TINYBIRD_TOKEN from the environment)

Prints one line per check and a summary; exits 1 when any check fails. The token is never printed.
"""

import json
import os
import re
import sys
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

TOKENS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_creation_tokens")

fake, result_path, debug_log, command = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
url, token = os.environ["TINYBIRD_URL"].rstrip("/"), os.environ["TINYBIRD_TOKEN"]
failures = []


def sql(query):
    q = urllib.parse.urlencode({"q": f"{query} FORMAT JSONEachRow"})
    req = urllib.request.Request(f"{url}/v0/sql?{q}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return [json.loads(line) for line in resp.read().decode().splitlines() if line.strip()]


def check(name, ok, detail):
    print(f"  {'ok  ' if ok else 'FAIL'} {name}: {detail}")
    if not ok:
        failures.append(name)


def tokens(call):
    """A fake API call's usage, in the column names of the datasources."""
    return (call["input_tokens"], call["output_tokens"], call["cache_read_input_tokens"],
            call["cache_creation_input_tokens"])


calls = [json.loads(line) for line in (fake / "calls.jsonl").read_text().splitlines()]
count = int((fake / "count").read_text())
result = json.loads(result_path.read_text())
session = result.get("session_id", "")
steps = " ".join(f"{c['n']}:{c['role']}/{c['step']}" for c in calls)
print(f"  fake API: {count} calls ({steps})")

unexpected = fake / "unexpected.jsonl"
check("fake API saw only streamed /v1/messages calls", not unexpected.exists(),
      unexpected.read_text().strip() if unexpected.exists() else "yes")
check("claude -p succeeded", result.get("subtype") == "success" and not result.get("is_error"),
      f"subtype={result.get('subtype')} is_error={result.get('is_error')} result={result.get('result')!r}")
script = [(c["role"], c["step"]) for c in calls if c["role"] != "side"]
want = [("main", "Agent"), ("subagent", "Bash"), ("subagent", "final"), ("main", "Skill"), ("main", "final")]
check("the scripted conversation ran in order", script == want, " -> ".join(f"{r}/{s}" for r, s in script))

# How Claude Code ran our hooks, from its --debug-file log (the 2.1.331 wording): the synchronous ones
# finish with status 0, the async ones are backgrounded and complete (no output) before teardown.
log = debug_log.read_text()
runs = {}
for event, cmd, status in re.findall(r"Hooks: (\S+) \[(.+?)\] finished with status (\d+)", log) + \
        re.findall(r"\] (\S+) \[(.+?)\] completed with status (\d+)", log):
    if cmd == command:
        runs.setdefault(event, []).append(f"exit {status}")
for hook_id, event in re.findall(r"Registering async hook (\S+) \((\S+)\)", log):
    ends = [line.split(f"({event}) ", 1)[-1] for line in log.splitlines()
            if f"{hook_id} " in line and "Registering async hook" not in line]
    runs.setdefault(event, []).append("async, " + ("; ".join(ends) or "never ended"))
print("  hooks Claude Code ran: " + "; ".join(f"{e}: {', '.join(r)}" for e, r in runs.items()))
want_runs = {"SessionStart:startup": ["exit 0"], "SessionEnd:other": ["exit 0"],
             "SubagentStart:general-purpose": ["async, produced no response payload — skipping attachment"],
             "SubagentStop": ["async, produced no response payload — skipping attachment"],
             "PostToolUse:Skill": ["async, produced no response payload — skipping attachment"]}
# `claude -p` may exit while an async hook still runs (then the log has no end for it): the hook
# spooled its row first, and the row checks below say whether it arrived. Any other ending (output,
# a failure) is a failure.
CUT = "async, never ended"
clean = {event: [want_runs[event][0] if (r == CUT and want_runs.get(event, [""])[0].startswith("async")) else r
                 for r in rs] for event, rs in runs.items()}
cut = sorted(event for event, rs in runs.items() for r in rs if r == CUT)
check("Claude Code ran each atel hook once, cleanly", clean == want_runs,
      ("as expected" + (f" ({', '.join(cut)} still running when claude exited)" if cut else ""))
      if clean == want_runs else f"want {want_runs}")

model_tokens = [sum(u.get(k, 0) for u in result.get("modelUsage", {}).values())
                for k in ("inputTokens", "outputTokens", "cacheReadInputTokens", "cacheCreationInputTokens")]
fake_tokens = [sum(tokens(c)[i] for c in calls) for i in range(4)]
check("Claude Code's modelUsage counts every fake API call", model_tokens == fake_tokens,
      f"claude {model_tokens}, fake API {fake_tokens}")

# agent_activations: one start and one stop for the subagent; the stop carries the subagent's calls.
agents = sql("SELECT event, agent_id, agent_type, session_id, input_tokens, output_tokens, cache_read_tokens, "
             "cache_creation_tokens, model FROM agent_activations ORDER BY timestamp, event")
events = sorted(a["event"] for a in agents)
check("agent_activations: one start and one stop", events == ["start", "stop"],
      f"{len(agents)} rows {events}")
check("agent_activations: general-purpose, this session, one agent id",
      all(a["agent_type"] == "general-purpose" and a["session_id"] == session for a in agents)
      and len({a["agent_id"] for a in agents}) == 1,
      ", ".join(f"{a['event']} {a['agent_type']} {a['agent_id']}" for a in agents))
sub = [tokens(c) for c in calls if c["role"] == "subagent"]
want_stop = tuple(sum(t[i] for t in sub) for i in range(4))
stops = [(a["model"], *(int(a[k]) for k in TOKENS)) for a in agents if a["event"] == "stop"]
want_stop = ({c["model"] for c in calls if c["role"] == "subagent"}.pop(), *want_stop)
check("agent_activations stop: model and tokens of the subagent's calls", stops == [want_stop],
      f"got {stops}, want [{want_stop}] (calls {[c['n'] for c in calls if c['role'] == 'subagent']})")

# skill_activations: fake-skill, success.
skills = sql("SELECT skill_name, success, session_id, tool_use_id FROM skill_activations")
check("skill_activations: fake-skill success=true",
      [(s["skill_name"], bool(s["success"]), s["session_id"]) for s in skills] == [("fake-skill", True, session)],
      f"{skills}")
check("skill_activations: the Skill call's tool_use_id",
      [s["tool_use_id"] for s in skills] != [] and all(s["tool_use_id"].startswith("toolu_fake_") for s in skills),
      f"{[s['tool_use_id'] for s in skills]}")

# api_requests: one row per fake API call, same tokens, and the cost Claude Code itself reports.
rows = sql("SELECT model, input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens, cost_usd, "
           "session_id, request_id, message_id FROM api_requests ORDER BY input_tokens")
check("api_requests: one row per API call", len(rows) == count == len(calls), f"{len(rows)} rows, {count} calls")
got = Counter((r["model"], *(int(r[k]) for k in TOKENS)) for r in rows)
want_rows = Counter((c["model"], *tokens(c)) for c in calls)
check("api_requests: model and tokens of every call", got == want_rows,
      f"missing {sorted((want_rows - got).elements())}, extra {sorted((got - want_rows).elements())}"
      if got != want_rows else f"{len(rows)} rows match")
got_ids = sorted((r["request_id"], r["message_id"]) for r in rows)
want_ids = sorted((c["request_id"], c["message_id"]) for c in calls)
check("api_requests: each row carries its call's request id and message id", got_ids == want_ids,
      f"got {got_ids}, want {want_ids}")
check("api_requests: this session", all(r["session_id"] == session for r in rows),
      f"{sorted({r['session_id'] for r in rows})} vs {session}")
cost = sum(float(r["cost_usd"]) for r in rows)
claude_cost = float(result.get("total_cost_usd", -1))
check("sum(api_requests.cost_usd) == claude total_cost_usd", abs(cost - claude_cost) <= 1e-9,
      f"{cost:.9f} vs {claude_cost:.9f}")

if failures:
    print(f"claude-e2e: {len(failures)} check(s) failed: {', '.join(failures)}")
    sys.exit(1)
print(f"claude-e2e: all checks passed (session {session}, {count} API calls, ${claude_cost:.6f})")
