//! (c) Bad input never blocks Claude Code: exit 0, one stderr line, nothing sent.

use serde_json::json;

use crate::support::{Sandbox, payloads, sent_rows, skill_payload, tinybird};

#[tokio::test(flavor = "multi_thread")]
async fn empty_garbage_huge_and_non_utf8_stdin() {
    let server = tinybird().await;
    let sandbox = Sandbox::new(&server.uri());
    let huge = format!(
        r#"{{"session_id":"s","hook_event_name":"PostToolUse","tool_name":"Skill","tool_input":{{"skill":"x"}},"pad":"{}"}}"#,
        "a".repeat(3 * 1024 * 1024)
    );
    let cases: [(&str, &[u8], &str); 7] = [
        ("empty", b"", "empty stdin"),
        ("whitespace", b"  \n", "empty stdin"),
        ("garbage", b"\x00garbage{", "invalid hook payload"),
        ("not utf-8", b"{\"session_id\":\"\xff\"}", "not UTF-8"),
        ("array", b"[1,2]", "invalid hook payload"),
        (
            "no session",
            br#"{"hook_event_name":"Stop"}"#,
            "missing field `session_id`",
        ),
        ("huge", huge.as_bytes(), "larger than 1048576 bytes"),
    ];
    for (name, stdin, expected) in cases {
        let run = sandbox.run(&["hook"], stdin);
        run.assert_quiet_failure();
        assert!(run.stderr.contains(expected), "{name}: {run:?}");
    }
    assert!(sent_rows(&server).await.is_empty());
    assert_eq!(sandbox.spooled_lines(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_errors_exit_0_for_hook_and_1_otherwise_never_2() {
    let sandbox = Sandbox::new("http://127.0.0.1:9");
    let run = sandbox.run(&["hook", "--bogus"], b"{}");
    run.assert_quiet_failure();
    let run = sandbox.run(&["nonsense"], b"");
    assert_eq!(run.code, Some(1), "{run:?}");
    assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
    let run = sandbox.run(&[], b"");
    assert_eq!(run.code, Some(1), "{run:?}");
    let run = sandbox.run(&["--help"], b"");
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.contains("hook"), "{run:?}");
    let run = sandbox.run(&["version"], b"");
    assert_eq!(run.code, Some(0));
    assert_eq!(
        run.stdout,
        format!("atel-hooks {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_events_and_other_tools_are_ignored_silently() {
    let server = tinybird().await;
    let sandbox = Sandbox::new(&server.uri());
    for payload in [
        json!({"session_id": "s", "hook_event_name": "SomeFutureEvent", "x": [1]}),
        json!({"session_id": "s", "hook_event_name": "Stop"}),
        json!({"session_id": "s", "hook_event_name": "PostToolUse", "tool_name": "Bash",
               "tool_input": {"command": "echo secret"}, "tool_response": {"stdout": "secret"}}),
    ] {
        sandbox.hook(&payload.to_string()).assert_silent();
    }
    for payload in payloads("v2.1.331", "main", "PreToolUse") {
        sandbox.hook(&sandbox.localize(&payload)).assert_silent();
    }
    assert!(sent_rows(&server).await.is_empty());
}

/// A subagent run whose transcript is missing or holds no complete response still happened: it is
/// recorded, without usage (zeros, empty `model`), with one stderr line. A `SessionEnd` whose
/// transcript is missing has no request to record (`backfill` reads it once it exists).
#[tokio::test(flavor = "multi_thread")]
async fn missing_and_cut_off_transcripts() {
    let server = tinybird().await;
    let sandbox = Sandbox::new(&server.uri());
    let stop = &payloads("v2.1.331", "main", "SubagentStop")[0];
    let end = &payloads("v2.1.331", "main", "SessionEnd")[0];

    // Nothing placed yet: both transcripts are missing.
    let run = sandbox.hook(&sandbox.localize(stop));
    run.assert_quiet_failure();
    assert!(
        run.stderr.contains("cannot read the subagent transcript")
            && run.stderr.contains("recorded the run without usage"),
        "{run:?}"
    );
    let run = sandbox.hook(&sandbox.localize(end));
    run.assert_quiet_failure();
    assert!(run.stderr.contains("is missing"), "{run:?}");

    // Cut inside the first assistant line: no complete response.
    sandbox.place_transcripts("v2.1.331", "main");
    let agent = sandbox.home().join(
        ".claude/projects/-home-dev-work-project-main/4d63b439-5f55-4fd7-8af2-6edbd86ed35f/subagents/agent-aacc27068b508ae07.jsonl",
    );
    let text = std::fs::read_to_string(&agent).unwrap();
    let first_assistant = text.find(r#""type":"assistant""#).unwrap();
    let line_start = text[..first_assistant].rfind('\n').map_or(0, |i| i + 1);
    std::fs::write(&agent, &text[..line_start + 40]).unwrap();
    let run = sandbox.hook(&sandbox.localize(stop));
    run.assert_quiet_failure();
    assert!(
        run.stderr.contains("cut-off line")
            && run.stderr.contains("recorded the run without usage"),
        "{run:?}"
    );

    let rows = sent_rows(&server).await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    for (datasource, row) in &rows {
        assert_eq!(datasource, "agent_activations");
        assert_eq!(
            (
                row["agent_id"].as_str(),
                row["event"].as_str(),
                row["model"].as_str()
            ),
            (Some("aacc27068b508ae07"), Some("stop"), Some(""))
        );
        for column in [
            "input_tokens",
            "output_tokens",
            "cache_read_tokens",
            "cache_creation_tokens",
            "duration_ms",
        ] {
            assert_eq!(row[column], 0, "{column} in {row}");
        }
    }
    assert_eq!(sandbox.spooled_lines(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn flush_timeout_is_bounded_and_never_panics() {
    let sandbox = Sandbox::new(&crate::support::dead_url());
    for timeout in ["18446744073709551615", "0", "86401"] {
        let run = sandbox.run(&["flush", "--timeout", timeout], b"");
        assert_eq!(run.code, Some(1), "{timeout}: {run:?}");
        assert_eq!(run.stderr.lines().count(), 1, "{timeout}: {run:?}");
        assert!(run.stderr.contains("--timeout"), "{timeout}: {run:?}");
        assert!(!run.stderr.contains("panicked"), "{timeout}: {run:?}");
    }
    let run = sandbox.run(&["flush", "--timeout", "86400"], b"");
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (Some(0), "nothing to flush\n")
    );
}

/// The client's deadline is `flush --timeout`; one past what `Instant` holds means "none", not a panic.
#[tokio::test(flavor = "multi_thread")]
async fn a_client_deadline_of_duration_max_does_not_panic() {
    let server = tinybird().await;
    let client = atel_sdk::TinybirdClient::builder()
        .token(crate::support::TOKEN)
        .base_url(server.uri())
        .deadline(std::time::Duration::MAX)
        .build()
        .unwrap();
    let row = atel_sdk::telemetry::SkillActivation {
        timestamp: chrono::Utc::now(),
        session_id: "s".into(),
        skill_name: "fake-skill".into(),
        duration_ms: 1,
        success: true,
        tool_use_id: "toolu_1".into(),
    };
    let summary = client.ingest(&[row]).await.unwrap();
    assert_eq!(summary.successful_rows, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invalid_atel_variable_falls_back_and_the_event_is_still_recorded() {
    let server = tinybird().await;
    let mut sandbox = Sandbox::new(&server.uri());
    sandbox.set("ATEL_DAYS", "week");
    sandbox.set("ATEL_DISABLE", "false");
    let run = sandbox.hook(&skill_payload(1));
    run.assert_quiet_failure();
    assert_eq!(
        run.stderr,
        "atel-hooks: ATEL_DAYS must be a whole number, got `week`; using 7\n"
    );
    let sent = sent_rows(&server).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].1["duration_ms"], 1);
    assert_eq!(sandbox.spooled_lines(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn atel_disable_takes_1_true_yes_and_not_0_or_false() {
    let server = tinybird().await;
    let mut recorded = 0;
    for (value, disables) in [
        ("0", false),
        ("false", false),
        ("1", true),
        ("true", true),
        ("yes", true),
    ] {
        let mut sandbox = Sandbox::new(&server.uri());
        sandbox.set("ATEL_DISABLE", value);
        sandbox.hook(&skill_payload(1)).assert_silent();
        if !disables {
            recorded += 1;
        }
        assert_eq!(sent_rows(&server).await.len(), recorded, "{value}");
        assert_eq!(sandbox.spooled_lines(), 0, "{value}");
    }
}
