//! (b) and (d): with the server down or silent, hooks exit 0 within budget and spool their rows;
//! `flush` then delivers each exactly once.

use std::time::Duration;

use crate::support::{Sandbox, black_hole, dead_url, payloads, sent_rows, tinybird};

fn skill_payload(n: usize) -> String {
    serde_json::json!({
        "session_id": format!("session-{n}"),
        "hook_event_name": "PostToolUse",
        "tool_name": "Skill",
        "tool_input": {"skill": "fake-skill"},
        "tool_response": {"success": true},
        "duration_ms": n,
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn server_silent_exit_within_budget_then_flush_delivers_once() {
    let (_listener, url) = black_hole();
    let mut sandbox = Sandbox::new(&url);
    sandbox.set("ATEL_BUDGET_MS", "300");
    sandbox.place_transcripts("v2.1.331", "main");
    let stop = sandbox.localize(&payloads("v2.1.331", "main", "SubagentStop")[0]);
    let skill = sandbox.localize(&payloads("v2.1.331", "main", "PostToolUse")[2]);
    assert!(skill.contains("\"Skill\""));
    for payload in [&stop, &skill] {
        let run = sandbox.hook(payload);
        run.assert_quiet_failure();
        assert!(run.stderr.contains("kept in the spool"), "{run:?}");
        // 300 ms of budget plus process start-up; a hook without a budget would hang here.
        assert!(run.elapsed < Duration::from_millis(1300), "{run:?}");
    }
    assert_eq!(sandbox.spooled_lines(), 2);

    let server = tinybird().await;
    sandbox.url = server.uri();
    let run = sandbox.run(&["flush"], b"");
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (Some(0), "delivered 2 rows\n"),
        "{run:?}"
    );
    let run = sandbox.run(&["flush"], b"");
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (Some(0), "nothing to flush\n"),
        "{run:?}"
    );
    let rows = sent_rows(&server).await;
    let names: Vec<&str> = rows.iter().map(|(ds, _)| ds.as_str()).collect();
    assert_eq!(names, ["agent_activations", "skill_activations"]);
    assert_eq!(rows[0].1["event"], "stop");
    assert_eq!(rows[0].1["output_tokens"], 66);
    assert_eq!(sandbox.spooled_lines(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_next_hook_delivers_the_spool_first() {
    let mut sandbox = Sandbox::new(&dead_url());
    let run = sandbox.hook(&skill_payload(1));
    run.assert_quiet_failure();
    assert_eq!(sandbox.spooled_lines(), 1);
    let server = tinybird().await;
    sandbox.url = server.uri();
    sandbox.hook(&skill_payload(2)).assert_silent();
    let rows = sent_rows(&server).await;
    let durations: Vec<u64> = rows
        .iter()
        .map(|(_, r)| r["duration_ms"].as_u64().unwrap())
        .collect();
    assert_eq!(
        durations,
        [1, 2],
        "spooled row first, then the new one, one request"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    assert_eq!(sandbox.spooled_lines(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn thirty_two_parallel_hooks_with_the_server_down_then_flush() {
    let mut sandbox = Sandbox::new(&dead_url());
    let children: Vec<_> = (0..32)
        .map(|n| {
            let mut child = sandbox.command(&["hook"]).spawn().unwrap();
            let mut stdin = child.stdin.take().unwrap();
            std::io::Write::write_all(&mut stdin, skill_payload(n).as_bytes()).unwrap();
            drop(stdin);
            child
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert_eq!(output.status.code(), Some(0));
        assert!(output.stdout.is_empty());
        // One line, or none when a parallel run had already claimed this run's row (it reports).
        assert!(String::from_utf8_lossy(&output.stderr).lines().count() <= 1);
    }
    assert_eq!(sandbox.spooled_lines(), 32);

    let server = tinybird().await;
    sandbox.url = server.uri();
    let run = sandbox.run(&["flush"], b"");
    assert_eq!(run.stdout, "delivered 32 rows\n", "{run:?}");
    let rows = sent_rows(&server).await;
    let mut durations: Vec<u64> = rows
        .iter()
        .map(|(_, r)| r["duration_ms"].as_u64().unwrap())
        .collect();
    durations.sort_unstable();
    assert_eq!(
        durations,
        (0..32).collect::<Vec<u64>>(),
        "each row exactly once"
    );
    assert_eq!(sandbox.spooled_lines(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_corrupt_spool_line_is_set_aside_and_the_rest_delivered() {
    let mut sandbox = Sandbox::new(&dead_url());
    sandbox.hook(&skill_payload(1)).assert_quiet_failure();
    let spool = sandbox.state().join("spool.ndjson");
    let mut text = std::fs::read_to_string(&spool).unwrap();
    text.push_str("{\"ds\":\"skill_activations\",\"row\":{\"trunc\n");
    std::fs::write(&spool, text).unwrap();
    // The next run claims the spool: the corrupt line is set aside, the good one kept.
    let run = sandbox.hook(&skill_payload(2));
    run.assert_quiet_failure();
    assert!(
        run.stderr.contains("1 corrupt spool line set aside"),
        "{run:?}"
    );
    assert_eq!(sandbox.spooled_lines(), 2);

    let server = tinybird().await;
    sandbox.url = server.uri();
    let run = sandbox.run(&["flush"], b"");
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(
        (run.stdout.as_str(), run.stderr.as_str()),
        ("delivered 2 rows\n", "")
    );
    assert_eq!(sent_rows(&server).await.len(), 2);
    let aside = std::fs::read_to_string(sandbox.state().join("spool.corrupt")).unwrap();
    assert_eq!(aside, "{\"ds\":\"skill_activations\",\"row\":{\"trunc\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn flush_with_the_server_still_down_keeps_the_rows_and_exits_1() {
    let sandbox = Sandbox::new(&dead_url());
    sandbox.hook(&skill_payload(1)).assert_quiet_failure();
    let run = sandbox.run(&["flush", "--timeout", "2"], b"");
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(!run.stderr.contains(crate::support::TOKEN), "{run:?}");
    assert_eq!(sandbox.spooled_lines(), 1);
}
