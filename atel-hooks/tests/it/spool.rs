//! (b) and (d): with the server down or silent, hooks exit 0 within budget and spool their rows;
//! `flush` then delivers each exactly once. Rows Tinybird refuses are set aside; a hook sends at most
//! a slice of a backlog. After a failure the runs inside the backoff window only spool, one run
//! delivers at a time, and after a timeout the next runs send a small slice.

use std::time::Duration;

use serde_json::json;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

use crate::support::{Sandbox, black_hole, dead_url, payloads, sent_rows, skill_payload, tinybird};

#[tokio::test(flavor = "multi_thread")]
async fn server_silent_exit_within_budget_then_flush_delivers_once() {
    let (_listener, url) = black_hole();
    let mut sandbox = Sandbox::new(&url);
    sandbox.set("ATEL_BUDGET_MS", "300");
    sandbox.place_transcripts("v2.1.331", "main");
    let stop = sandbox.localize(&payloads("v2.1.331", "main", "SubagentStop")[0]);
    let skill = sandbox.localize(&payloads("v2.1.331", "main", "PostToolUse")[2]);
    assert!(skill.contains("\"Skill\""));
    let run = sandbox.hook(&stop);
    run.assert_quiet_failure();
    assert!(run.stderr.contains("kept in the spool"), "{run:?}");
    // 300 ms of budget plus process start-up; a hook without a budget would hang here.
    assert!(run.elapsed < Duration::from_millis(1300), "{run:?}");
    // The next run falls in the backoff window: it spools its row without a word or a request.
    let run = sandbox.hook(&skill);
    run.assert_silent();
    // No network: well within the 300 ms budget.
    assert!(run.elapsed < Duration::from_millis(300), "{run:?}");
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
    sandbox.end_backoff();
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
    // The next run (past the backoff) claims the spool: the corrupt line is set aside, the good one
    // kept.
    sandbox.end_backoff();
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

#[tokio::test(flavor = "multi_thread")]
async fn without_a_client_the_hook_says_so_and_flush_exits_1() {
    // No token and no Tinybird Local at that URL: the client cannot even be built.
    let mut sandbox = Sandbox::new("http://127.0.0.1:9");
    sandbox.unset("TINYBIRD_TOKEN");
    let run = sandbox.hook(&skill_payload(1));
    run.assert_quiet_failure();
    assert!(run.stderr.contains("rows kept in the spool at"), "{run:?}");
    assert!(run.stderr.contains("Tinybird Local"), "{run:?}");
    assert_eq!(sandbox.spooled_lines(), 1);

    let run = sandbox.run(&["flush", "--timeout", "2"], b"");
    assert_eq!((run.code, run.stdout.as_str()), (Some(1), ""), "{run:?}");
    assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
    assert!(run.stderr.contains("rows kept in the spool at"), "{run:?}");
    assert_eq!(sandbox.spooled_lines(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn rows_tinybird_refuses_are_set_aside_and_the_others_delivered() {
    let mut sandbox = Sandbox::new(&dead_url());
    let start = sandbox.localize(&payloads("v2.1.331", "main", "SubagentStart")[0]);
    sandbox.hook(&start).assert_quiet_failure();
    // In the backoff window: spooled, silently.
    sandbox.hook(&skill_payload(1)).assert_silent();
    assert_eq!(sandbox.spooled_lines(), 2);

    // `agent_activations` is sent first and refused for good; `skill_activations` is still sent.
    let server = tinybird().await;
    Mock::given(method("POST"))
        .and(path("/v0/events"))
        .and(query_param("name", "agent_activations"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": "bad row 1"})))
        .with_priority(1)
        .mount(&server)
        .await;
    sandbox.url = server.uri();
    let run = sandbox.run(&["flush"], b"");
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (Some(1), "delivered 1 rows\n"),
        "{run:?}"
    );
    assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
    assert!(
        run.stderr
            .contains("1 row refused by Tinybird set aside in"),
        "{run:?}"
    );
    assert!(
        run.stderr
            .contains("agent_activations: Tinybird API error 400: bad row 1"),
        "{run:?}"
    );
    let sent = sent_rows(&server).await;
    assert_eq!(sent.len(), 2, "the refused row was sent once");
    assert_eq!(sent[1].0, "skill_activations");
    assert_eq!(sandbox.spooled_lines(), 0);
    let aside = std::fs::read_to_string(sandbox.state().join("spool.rejected")).unwrap();
    assert_eq!(aside.lines().count(), 1);
    assert!(
        aside.starts_with("{\"ds\":\"agent_activations\""),
        "{aside}"
    );

    // Nothing is sent again: not by flush, not by the next hook.
    let run = sandbox.run(&["flush"], b"");
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (Some(0), "nothing to flush\n")
    );
    sandbox.hook(&skill_payload(2)).assert_silent();
    let sent = sent_rows(&server).await;
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[2].1["duration_ms"], 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hook_sends_at_most_a_slice_of_a_backlog_and_flush_the_rest() {
    const BACKLOG: u64 = 10_000;
    let line = |n: u64| {
        json!({"ds": "skill_activations", "row": {"timestamp": "2025-11-24 16:00:00.000",
               "session_id": format!("s{n}"), "skill_name": "fake-skill", "duration_ms": n,
               "success": true}})
        .to_string()
            + "\n"
    };
    let text: String = (0..BACKLOG).map(line).collect();
    assert!(text.len() > 1024 * 1024 * 5 / 4, "{}", text.len());
    let server = tinybird().await;
    let mut sandbox = Sandbox::new(&server.uri());
    std::fs::write(sandbox.state().join("spool.ndjson"), &text).unwrap();
    sandbox.set("ATEL_BUDGET_MS", "5000");

    sandbox.hook(&skill_payload(10_000)).assert_silent();
    let first = sent_rows(&server).await;
    let most = 1024 * 1024 / line(0).len();
    assert!(
        (1000..=most).contains(&first.len()),
        "{} rows, at most {most}",
        first.len()
    );
    // The newest rows go first, this run's own among them.
    assert_eq!(first.last().unwrap().1["duration_ms"], 10_000);
    assert_eq!(
        sandbox.spooled_lines() as u64,
        BACKLOG + 1 - first.len() as u64
    );

    let run = sandbox.run(&["flush"], b"");
    assert_eq!(
        (run.code, run.stdout.clone()),
        (
            Some(0),
            format!("delivered {} rows\n", BACKLOG + 1 - first.len() as u64)
        ),
        "{run:?}"
    );
    let mut all: Vec<u64> = sent_rows(&server)
        .await
        .iter()
        .map(|(_, row)| row["duration_ms"].as_u64().unwrap())
        .collect();
    all.sort_unstable();
    assert_eq!(
        all,
        (0..=BACKLOG).collect::<Vec<_>>(),
        "every row exactly once"
    );
    assert_eq!(sandbox.spooled_lines(), 0);
}

fn events_failing_with(status: u16) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_json(json!({"error": "not now"}))
        .insert_header("retry-after", "60")
}

/// Milliseconds from now until the backoff lets a run deliver.
fn backoff_wait_ms(sandbox: &Sandbox) -> i64 {
    let now = chrono::Utc::now().timestamp_millis();
    sandbox.backoff()["retry_at_ms"].as_i64().unwrap() - now
}

#[tokio::test(flavor = "multi_thread")]
async fn inside_the_backoff_window_hooks_only_spool_and_flush_ignores_it() {
    let server = tinybird().await;
    Mock::given(method("POST"))
        .and(path("/v0/events"))
        .respond_with(events_failing_with(500))
        .with_priority(1)
        .mount(&server)
        .await;
    let sandbox = Sandbox::new(&server.uri());
    let run = sandbox.hook(&skill_payload(1));
    run.assert_quiet_failure();
    assert!(run.stderr.contains("500"), "{run:?}");
    // The client retried within the budget; then the backoff: 0.5 to 1 s.
    let tried = server.received_requests().await.unwrap().len();
    assert_eq!(sandbox.backoff()["failures"], 1);
    assert!((0..=1000).contains(&backoff_wait_ms(&sandbox)));
    for n in 2..=5 {
        sandbox.hook(&skill_payload(n)).assert_silent();
    }
    assert_eq!(server.received_requests().await.unwrap().len(), tried);
    assert_eq!(sandbox.spooled_lines(), 5);

    // `flush` ignores the window (and fails like the hook), then delivers and ends the backoff.
    let run = sandbox.run(&["flush"], b"");
    assert_eq!(run.code, Some(1), "{run:?}");
    assert_eq!(sandbox.backoff()["failures"], 2);
    server.reset().await;
    Mock::given(method("POST"))
        .and(path("/v0/events"))
        .respond_with(crate::support::EventsApi)
        .mount(&server)
        .await;
    let run = sandbox.run(&["flush"], b"");
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (Some(0), "delivered 5 rows\n", "")
    );
    assert_eq!(sandbox.backoff()["failures"], 0);
    assert_eq!(sandbox.backoff()["retry_at_ms"], 0);
    sandbox.hook(&skill_payload(6)).assert_silent();
    assert_eq!(sandbox.spooled_lines(), 0);
    let mut durations: Vec<u64> = sent_rows(&server)
        .await
        .iter()
        .map(|(_, row)| row["duration_ms"].as_u64().unwrap())
        .collect();
    durations.sort_unstable();
    assert_eq!(durations, [1, 2, 3, 4, 5, 6]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_429s_retry_after_sets_the_window_and_a_refusal_is_no_failure() {
    let server = tinybird().await;
    Mock::given(method("POST"))
        .and(path("/v0/events"))
        .respond_with(events_failing_with(429))
        .with_priority(1)
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let sandbox = Sandbox::new(&server.uri());
    sandbox.hook(&skill_payload(1)).assert_quiet_failure();
    // `Retry-After: 60`, not the first wait of a second.
    let wait = backoff_wait_ms(&sandbox);
    assert!((55_000..=60_000).contains(&wait), "{wait}");
    sandbox.end_backoff();

    // A row refused for good is an answer: the backoff ends, the next run delivers at once.
    Mock::given(method("POST"))
        .and(path("/v0/events"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": "bad row"})))
        .with_priority(1)
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let run = sandbox.hook(&skill_payload(2));
    run.assert_quiet_failure();
    assert!(run.stderr.contains("refused by Tinybird"), "{run:?}");
    assert_eq!(sandbox.backoff()["failures"], 0);
    sandbox.hook(&skill_payload(3)).assert_silent();
    assert_eq!(sandbox.spooled_lines(), 0);
    let sent: Vec<u64> = sent_rows(&server)
        .await
        .iter()
        .map(|(_, row)| row["duration_ms"].as_u64().unwrap())
        .collect();
    // Row 1 kept through the 429, rows 1 and 2 refused together, then row 3.
    assert_eq!(sent, [1, 1, 2, 3]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_that_finds_another_delivering_leaves_its_rows_in_the_spool() {
    let server = tinybird().await;
    let sandbox = Sandbox::new(&server.uri());
    // The test holds the delivery lock, as a run delivering right now would.
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(sandbox.state().join("delivery.lock"))
        .unwrap();
    lock.lock().unwrap();
    sandbox.hook(&skill_payload(1)).assert_silent();
    assert_eq!(sandbox.spooled_lines(), 1);
    assert!(server.received_requests().await.unwrap().is_empty());
    drop(lock);
    sandbox.hook(&skill_payload(2)).assert_silent();
    assert_eq!(sandbox.spooled_lines(), 0);
    assert_eq!(sent_rows(&server).await.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn after_a_timeout_the_next_runs_send_a_small_slice_growing_back() {
    let (_listener, url) = black_hole();
    let mut sandbox = Sandbox::new(&url);
    sandbox.set("ATEL_BUDGET_MS", "300");
    sandbox.hook(&skill_payload(0)).assert_quiet_failure();
    // A timeout: the server may have written the rows, so the next claims are a probe.
    assert_eq!(sandbox.backoff()["claim_bytes"], 4096);
    let backlog: String = (1..300)
        .map(|n| {
            json!({"ds": "skill_activations", "row": {"timestamp": "2025-11-24 16:00:00.000",
                   "session_id": format!("s{n}"), "skill_name": "fake-skill", "duration_ms": n,
                   "success": true, "tool_use_id": format!("toolu_{n:024}")}})
            .to_string()
                + "\n"
        })
        .collect();
    let line = backlog.len() / 299;
    let spool = sandbox.state().join("spool.ndjson");
    let mut text = std::fs::read_to_string(&spool).unwrap();
    text.push_str(&backlog);
    std::fs::write(&spool, text).unwrap();

    let server = tinybird().await;
    sandbox.url = server.uri();
    sandbox.end_backoff();
    let mut sent = Vec::new();
    for n in 300..302 {
        sandbox.hook(&skill_payload(n)).assert_silent();
        sent.push(sent_rows(&server).await.len() - sent.iter().sum::<usize>());
    }
    // 4 KiB of the newest lines, then 8 KiB; `flush` sends the rest and the claims are back to full.
    let about = |bytes: usize| bytes / line - 1..=bytes / line + 1;
    assert!(
        about(4096).contains(&sent[0]),
        "{sent:?}, {line} bytes a line"
    );
    assert!(
        about(8192).contains(&sent[1]),
        "{sent:?}, {line} bytes a line"
    );
    assert_eq!(sandbox.backoff()["claim_bytes"], 16 * 1024);
    let run = sandbox.run(&["flush"], b"");
    assert_eq!(
        run.stdout,
        format!("delivered {} rows\n", 302 - sent[0] - sent[1])
    );
    assert_eq!(sandbox.spooled_lines(), 0);
    assert_eq!(sandbox.backoff()["claim_bytes"], 1024 * 1024);
}
