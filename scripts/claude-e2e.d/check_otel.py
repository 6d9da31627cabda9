"""Check what Claude Code's own OpenTelemetry left in Tinybird, through atel's receiver, against the
fake API's calls and Claude Code's own result, and against the hooks' route.

    python3 check_otel.py FAKE_STATE_DIR RUNS_TSV WORK_DIR ATEL_HOOKS_BIN
    (TINYBIRD_URL, TINYBIRD_TOKEN from the environment)

RUNS_TSV: one line per claude run: protocol, the fake API's call count before it, and after it; the
run's result is WORK_DIR/otel-<protocol without http/>.json. Waits (at most 60 s) for the receiver
to deliver, then prints one line per check; exits 1 when any fails. The token is never printed.
"""

import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

fake, runs_tsv, work, binary = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
url, token = os.environ["TINYBIRD_URL"].rstrip("/"), os.environ["TINYBIRD_TOKEN"]
failures = []
DAYS = 3650


def get(path, **params):
    query = urllib.parse.urlencode(params)
    req = urllib.request.Request(f"{url}{path}?{query}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def sql(query):
    return get("/v0/sql", q=f"{query} FORMAT JSON")["data"]


def pipe(name, **params):
    return get(f"/v0/pipes/{name}.json", **params)["data"]


def check(name, ok, detail):
    print(f"  {'ok  ' if ok else 'FAIL'} {name}: {detail}")
    if not ok:
        failures.append(name)


calls = [json.loads(line) for line in (fake / "calls.jsonl").read_text().splitlines()]
runs = []
for line in runs_tsv.read_text().splitlines():
    protocol, before, after = line.split("\t")
    result = json.loads((work / f"otel-{protocol.removeprefix('http/')}.json").read_text())
    ids = sorted(c["request_id"] for c in calls if int(before) < c["n"] <= int(after))
    runs.append((protocol, result, ids))
want = sum(len(ids) for _, _, ids in runs)

# The receiver batches for at most a second and Claude Code flushes at exit; give it time anyway.
deadline = time.time() + 60
while True:
    events = pipe("otel_api_requests", days=DAYS)
    points = sql("SELECT count() AS n FROM otel_metrics_sum WHERE MetricName = 'claude_code.cost.usage'")
    hooks = sql("SELECT count() AS n FROM api_requests")
    if (len(events) >= want and int(points[0]["n"]) > 0 and int(hooks[0]["n"]) >= want) or time.time() > deadline:
        break
    time.sleep(0.5)

for protocol, result, ids in runs:
    session = result["session_id"]
    total = float(result["total_cost_usd"])
    mine = [e for e in events if e["session_id"] == session]
    check(f"{protocol}: an api_request event for every fake API call", sorted(e["request_id"] for e in mine) == ids,
          f"{len(mine)} events, {len(ids)} calls")
    cost = sum(float(e["cost_usd"]) for e in mine)
    check(f"{protocol}: the events' cost_usd sum == Claude Code's total_cost_usd", abs(cost - total) <= 1e-9,
          f"{cost:.9f} vs {total:.9f}")
    metric = sql(
        "SELECT MetricName AS name, sum(Value) AS value, count() AS points FROM otel_metrics_sum "
        f"WHERE Attributes['session.id'] = '{session}' "
        "AND MetricName IN ('claude_code.cost.usage', 'claude_code.token.usage') GROUP BY name ORDER BY name"
    )
    by_name = {m["name"]: m for m in metric}
    check(f"{protocol}: claude_code.cost.usage and claude_code.token.usage points", set(by_name) ==
          {"claude_code.cost.usage", "claude_code.token.usage"},
          ", ".join(f"{m['name']} {m['points']} points" for m in metric) or "none")
    metric_cost = float(by_name.get("claude_code.cost.usage", {}).get("value", -1))
    check(f"{protocol}: the cost.usage metric sum == total_cost_usd", abs(metric_cost - total) <= 1e-9,
          f"{metric_cost:.9f} vs {total:.9f}")
    tokens = [c["input_tokens"] + c["output_tokens"] + c["cache_read_input_tokens"] + c["cache_creation_input_tokens"]
              for c in calls if c["request_id"] in ids]
    metric_tokens = float(by_name.get("claude_code.token.usage", {}).get("value", -1))
    check(f"{protocol}: the token.usage metric sum == the fake API's tokens", metric_tokens == sum(tokens),
          f"{metric_tokens:.0f} vs {sum(tokens)}")

rows = pipe("reconcile", days=DAYS, include_matches=1)
statuses = sorted({r["status"] for r in rows})
check("reconcile: every request of both runs, all matching", len(rows) == want and statuses == ["match"],
      f"{len(rows)} requests, statuses {statuses}")
run = subprocess.run([binary, "reconcile", "--days", str(DAYS)], capture_output=True, text=True)
check("atel-hooks reconcile exits 0 with 0 mismatches", run.returncode == 0 and "0 mismatches" in run.stdout,
      run.stdout.strip().splitlines()[0] if run.stdout.strip() else run.stderr.strip())
content = sql("SELECT count() AS n FROM otel_logs WHERE Body = 'claude_code.user_prompt' "
              "AND LogAttributes['prompt'] NOT IN ('', '<REDACTED>')")
check("no prompt text left the machine", int(content[0]["n"]) == 0, f"{content[0]['n']} prompts with content")

if failures:
    print(f"claude-e2e (OTel): {len(failures)} check(s) failed: {', '.join(failures)}")
    sys.exit(1)
print(f"claude-e2e (OTel): all checks passed ({len(runs)} sessions, {want} API requests through both routes)")
