//! Real Claude Code payloads (2.1.331 and 2.1.197) through the real binary: the rows that reach the
//! server carry the fixtures' exact numbers, and nothing else.

use serde_json::{Value, json};

use crate::support::{Sandbox, payloads, sent_rows, sequence, tinybird};

/// The fake API behind the fixtures: call n has input 100+n, output 30+n, cache read 5000+100n,
/// cache write 2000+10n.
fn call(n: u64) -> (u64, u64, u64, u64) {
    (100 + n, 30 + n, 5000 + 100 * n, 2000 + 10 * n)
}

/// Claude Code's price for a request without 1-hour cache writes (USD per `MTok`: input, output,
/// cache read, 5-minute cache write).
#[allow(clippy::cast_precision_loss)]
fn cost(n: u64, prices: (f64, f64, f64, f64)) -> f64 {
    let (input, output, read, write) = call(n);
    (input as f64 * prices.0
        + output as f64 * prices.1
        + read as f64 * prices.2
        + write as f64 * prices.3)
        / 1e6
}

/// `api_requests.duration_ms` of calls 1..=8: from the transcript line that triggered the call to the
/// response's last line, computed independently from the fixture transcripts.
const DURATIONS_2_1_331: [u64; 8] = [606, 610, 602, 303, 301, 301, 303, 320];
const DURATIONS_2_1_197: [u64; 8] = [665, 629, 516, 672, 609, 567, 554, 572];

/// The `duration_ms` of each `api_requests` row, by call number (input tokens − 100).
fn durations_by_call(requests: &[&Value]) -> Vec<(u64, u64)> {
    let mut out: Vec<(u64, u64)> = requests
        .iter()
        .map(|r| {
            (
                r["input_tokens"].as_u64().unwrap() - 100,
                r["duration_ms"].as_u64().unwrap(),
            )
        })
        .collect();
    out.sort_unstable();
    out
}

fn of<'a>(rows: &'a [(String, Value)], datasource: &str) -> Vec<&'a Value> {
    rows.iter()
        .filter(|(ds, _)| ds == datasource)
        .map(|(_, row)| row)
        .collect()
}

/// Replays a whole captured session; every hook exits 0 and prints nothing on stdout.
fn replay(sandbox: &Sandbox, version: &str, scenario: &str) {
    for payload in sequence(version, scenario) {
        let event = payload["hook_event_name"].as_str().unwrap().to_owned();
        let run = sandbox.hook(&sandbox.localize(&payload));
        assert_eq!(run.code, Some(0), "{event}: {run:?}");
        assert_eq!(run.stdout, "", "{event}: {run:?}");
        if event != "SessionStart" {
            assert_eq!(run.stderr, "", "{event}: {run:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_2_1_331_session_gives_exact_rows() {
    let server = tinybird().await;
    let sandbox = Sandbox::new(&server.uri());
    sandbox.place_transcripts("v2.1.331", "main");
    replay(&sandbox, "v2.1.331", "main");
    let rows = sent_rows(&server).await;
    let session = "4d63b439-5f55-4fd7-8af2-6edbd86ed35f";

    let mut agents = of(&rows, "agent_activations");
    for row in &mut agents {
        assert!(row["timestamp"].as_str().unwrap().len() == 23, "{row}");
    }
    let strip = |row: &Value| {
        let mut row = row.clone();
        row.as_object_mut().unwrap().remove("timestamp");
        row
    };
    assert_eq!(
        agents.iter().map(|r| strip(r)).collect::<Vec<_>>(),
        vec![
            json!({"session_id": session, "agent_type": "general-purpose", "agent_id": "aacc27068b508ae07",
                   "event": "start", "input_tokens": 0, "output_tokens": 0, "cache_read_tokens": 0,
                   "cache_creation_tokens": 0, "duration_ms": 0, "model": ""}),
            // Calls 2 and 4 ran in the subagent; its transcript spans 07:57:01.833 → 07:57:03.217.
            json!({"session_id": session, "agent_type": "general-purpose", "agent_id": "aacc27068b508ae07",
                   "event": "stop", "input_tokens": 102 + 104, "output_tokens": 32 + 34,
                   "cache_read_tokens": 5200 + 5400, "cache_creation_tokens": 2020 + 2040,
                   "duration_ms": 1384, "model": "claude-opus-5-5"}),
        ]
    );

    let skills = of(&rows, "skill_activations");
    assert_eq!(
        skills.iter().map(|r| strip(r)).collect::<Vec<_>>(),
        vec![
            json!({"session_id": session, "skill_name": "fake-skill", "duration_ms": 14, "success": true,
                   "tool_use_id": "toolu_fake_9c4fd5a6ae504d0cadfe"})
        ]
    );

    let requests = of(&rows, "api_requests");
    let mut seen: Vec<u64> = Vec::new();
    for row in &requests {
        let n = row["input_tokens"].as_u64().unwrap() - 100;
        seen.push(n);
        let (input, output, read, write) = call(n);
        assert_eq!(row["session_id"], session);
        assert_eq!(row["model"], "claude-opus-5-5");
        // The request's identity, from the transcript's `requestId` and `message.id`.
        assert_eq!(row["request_id"], format!("req_fake_{n:03}"), "{row}");
        assert!(
            row["message_id"]
                .as_str()
                .is_some_and(|id| id.starts_with(&format!("msg_fake_{n:03}_"))),
            "{row}"
        );
        assert_eq!(row["output_tokens"], output, "{row}");
        assert_eq!(row["input_tokens"], input, "{row}");
        assert_eq!(row["cache_read_tokens"], read, "{row}");
        assert_eq!(row["cache_creation_tokens"], write, "{row}");
        let expected = cost(n, (4.0, 20.0, 0.2, 5.0));
        let got = row["cost_usd"].as_f64().unwrap();
        assert!(
            (got - expected).abs() < 1e-12,
            "call {n}: {got} != {expected}"
        );
    }
    seen.sort_unstable();
    assert_eq!(seen, (1..=8).collect::<Vec<_>>(), "each call exactly once");
    assert_eq!(
        durations_by_call(&requests),
        (1..=8).zip(DURATIONS_2_1_331).collect::<Vec<_>>()
    );
    // The first response's first transcript line was written at 07:57:01.468.
    assert!(
        requests
            .iter()
            .any(|r| r["timestamp"] == "2026-11-25 07:57:01.468" && r["input_tokens"] == 101),
        "{requests:?}"
    );
    assert_eq!(rows.len(), 2 + 1 + 8);
    assert_eq!(sandbox.spooled_lines(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_resumed_session_never_counts_a_request_twice() {
    let server = tinybird().await;
    let sandbox = Sandbox::new(&server.uri());
    sandbox.place_transcripts("v2.1.331", "main");
    let end = sandbox.localize(&payloads("v2.1.331", "main", "SessionEnd")[0]);
    sandbox.hook(&end).assert_silent();
    assert_eq!(of(&sent_rows(&server).await, "api_requests").len(), 8);

    // Ending again with nothing new sends nothing.
    sandbox.hook(&end).assert_silent();
    assert_eq!(sent_rows(&server).await.len(), 8);

    // The session is resumed: one more response (two lines, one content block each) is appended.
    let main = sandbox.home().join(
        ".claude/projects/-home-dev-work-project-main/4d63b439-5f55-4fd7-8af2-6edbd86ed35f.jsonl",
    );
    let mut text = std::fs::read_to_string(&main).unwrap();
    for block in ["text", "tool_use"] {
        text.push_str(
            &json!({"type": "assistant", "timestamp": "2026-11-25T08:10:00.000Z", "requestId": "req_fake_009",
                    "message": {"id": "msg_fake_009", "model": "claude-opus-5-5", "content": [{"type": block}],
                                "usage": {"input_tokens": 109, "output_tokens": 39,
                                          "cache_read_input_tokens": 5900, "cache_creation_input_tokens": 2090}}})
            .to_string(),
        );
        text.push('\n');
    }
    std::fs::write(&main, text).unwrap();
    sandbox.hook(&end).assert_silent();
    let requests: Vec<Value> = of(&sent_rows(&server).await, "api_requests")
        .into_iter()
        .cloned()
        .collect();
    assert_eq!(requests.len(), 9);
    assert_eq!(requests[8]["input_tokens"], 109);
    assert_eq!(requests[8]["timestamp"], "2026-11-25 08:10:00.000");
    // Its triggering line is before the cursor, so its duration is unknown: 0.
    assert_eq!(requests[8]["duration_ms"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_2_1_197_session_records_the_transcripts_numbers() {
    let server = tinybird().await;
    let sandbox = Sandbox::new(&server.uri());
    sandbox.place_transcripts("v2.1.197", "main");
    replay(&sandbox, "v2.1.197", "main");
    let rows = sent_rows(&server).await;
    let stop = of(&rows, "agent_activations")
        .into_iter()
        .find(|r| r["event"] == "stop")
        .unwrap()
        .clone();
    // 2.1.197 writes the stream's placeholder output count (1) in subagent transcripts.
    assert_eq!(
        (
            stop["input_tokens"].as_u64(),
            stop["output_tokens"].as_u64(),
            stop["cache_read_tokens"].as_u64(),
            stop["model"].as_str()
        ),
        (
            Some(102 + 103),
            Some(2),
            Some(5200 + 5300),
            Some("claude-opus-4-8")
        )
    );
    let requests = of(&rows, "api_requests");
    assert_eq!(requests.len(), 8);
    assert_eq!(
        durations_by_call(&requests),
        (1..=8).zip(DURATIONS_2_1_197).collect::<Vec<_>>()
    );
    let first = requests.iter().find(|r| r["input_tokens"] == 101).unwrap();
    let got = first["cost_usd"].as_f64().unwrap();
    let expected = cost(1, (5.0, 25.0, 0.5, 6.25));
    assert!((got - expected).abs() < 1e-12, "{got} != {expected}");
}

#[tokio::test(flavor = "multi_thread")]
async fn subagent_stop_prints_nothing_even_when_the_server_is_down() {
    let mut sandbox = Sandbox::new(&crate::support::dead_url());
    sandbox.set("ATEL_BUDGET_MS", "500");
    sandbox.place_transcripts("v2.1.331", "main");
    let stop = sandbox.localize(&payloads("v2.1.331", "main", "SubagentStop")[0]);
    let run = sandbox.hook(&stop);
    assert_eq!(run.code, Some(0));
    assert_eq!(run.stdout, "", "any stdout re-prompts the subagent");
    assert_eq!(sandbox.spooled_lines(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn no_prompt_or_tool_text_reaches_the_server() {
    let server = tinybird().await;
    for (version, scenario) in [
        ("v2.1.331", "main"),
        ("v2.1.331", "mainsync"),
        ("v2.1.197", "main"),
        ("v2.1.197", "mainsync"),
    ] {
        let sandbox = Sandbox::new(&server.uri());
        sandbox.place_transcripts(version, scenario);
        replay(&sandbox, version, scenario);
    }
    let requests = server.received_requests().await.unwrap();
    assert!(requests.len() >= 4 * 3, "{}", requests.len());
    let mut bodies = String::new();
    for request in &requests {
        bodies.push_str(request.url.as_str());
        bodies.push(' ');
        bodies.push_str(&crate::support::body_text(request));
        bodies.push('\n');
    }
    for secret in [
        "SUBAGENT_MARKER_7f3a",
        "SUBAGENT_RESULT",
        "do the thing",
        "Fake subagent task",
        "hello-from-subagent",
        "hello-from-main",
        "echo ",
        "line one",
        "fake-output.txt",
        "does-not-exist",
        "File does not exist",
        "/home/",
        "/tmp/",
        "commandName",
    ] {
        assert!(!bodies.contains(secret), "`{secret}` was sent:\n{bodies}");
    }
    // What is sent: ids, names, counts, durations, model names, costs.
    let allowed = [
        "timestamp",
        "session_id",
        "agent_type",
        "agent_id",
        "event",
        "input_tokens",
        "output_tokens",
        "cache_read_tokens",
        "cache_creation_tokens",
        "duration_ms",
        "model",
        "skill_name",
        "success",
        "cost_usd",
        "tool_use_id",
        "request_id",
        "message_id",
    ];
    for request in &requests {
        for line in crate::support::body_text(request).lines() {
            let row: Value = serde_json::from_str(line).unwrap();
            for (key, value) in row.as_object().unwrap() {
                assert!(
                    allowed.contains(&key.as_str()),
                    "unexpected column {key} = {value}"
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_skill_is_recorded_as_not_successful() {
    let server = tinybird().await;
    let sandbox = Sandbox::new(&server.uri());
    let failure = json!({"session_id": "s", "hook_event_name": "PostToolUseFailure", "tool_name": "Skill",
                         "tool_input": {"skill": "missing-skill"}, "tool_use_id": "toolu_x",
                         "error": "Unknown skill: missing-skill", "is_interrupt": false, "duration_ms": 3});
    let unsuccessful = json!({"session_id": "s", "hook_event_name": "PostToolUse", "tool_name": "Skill",
                              "tool_input": {"skill": "flaky"}, "tool_response": {"success": false},
                              "duration_ms": 9});
    sandbox.hook(&failure.to_string()).assert_silent();
    sandbox.hook(&unsuccessful.to_string()).assert_silent();
    let rows = sent_rows(&server).await;
    let skills: Vec<(Value, Value, Value)> = of(&rows, "skill_activations")
        .iter()
        .map(|r| {
            (
                r["skill_name"].clone(),
                r["success"].clone(),
                r["duration_ms"].clone(),
            )
        })
        .collect();
    assert_eq!(
        skills,
        [
            (json!("missing-skill"), json!(false), json!(3)),
            (json!("flaky"), json!(false), json!(9)),
        ]
    );
    let sent = format!("{rows:?}");
    assert!(!sent.contains("Unknown skill"), "{sent}");
}
