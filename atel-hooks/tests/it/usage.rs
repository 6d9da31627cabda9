//! `SessionStart` context and `report`, from wiremock answering the telemetry pipes as Tinybird does.

use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{Sandbox, payloads, tinybird};

fn pipe_answer(data: &Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "meta": [],
        "data": data,
        "rows": data.as_array().map_or(0, Vec::len),
        "statistics": {"elapsed": 0.001, "rows_read": 10, "bytes_read": 100},
    }))
}

async fn mount_pipe(server: &MockServer, name: &str, days: &str, data: Value) {
    Mock::given(method("GET"))
        .and(path(format!("/v0/pipes/{name}.json")))
        .and(query_param("days", days))
        .respond_with(pipe_answer(&data))
        .mount(server)
        .await;
}

async fn mount_usage(server: &MockServer, days: &str) {
    mount_pipe(
        server,
        "agent_usage_summary",
        days,
        json!([
            {"agent_type": "general-purpose", "invocations": 8, "total_input": 8000, "total_output": 2400,
             "total_cache_read": 400_000, "avg_duration_ms": 12000.5, "est_cost_usd": 2.4},
            {"agent_type": "Explore", "invocations": 4, "total_input": 90000, "total_output": 1200,
             "total_cache_read": 60000, "avg_duration_ms": 30000.0, "est_cost_usd": 1.0},
        ]),
    )
    .await;
    mount_pipe(
        server,
        "optimization_insights",
        days,
        json!([
            {"agent_type": "general-purpose", "avg_cost_per_invocation": 0.3, "avg_tokens": 60000.0,
             "frequency": 8, "efficiency_score": 92.4},
            {"agent_type": "Explore", "avg_cost_per_invocation": 0.25, "avg_tokens": 250_000.0,
             "frequency": 4, "efficiency_score": 41.0},
        ]),
    )
    .await;
    mount_pipe(
        server,
        "skill_frequency",
        days,
        json!([{"skill_name": "fake-skill", "activations": 3, "successes": 2, "avg_duration_ms": 14.0}]),
    )
    .await;
    mount_pipe(
        server,
        "cost_by_model",
        days,
        json!([{"model": "claude-opus-5-5", "total_input": 836, "total_output": 276,
                "total_cost_usd": 0.1234, "request_count": 8}]),
    )
    .await;
    mount_pipe(
        server,
        "session_overview",
        days,
        json!([{"session_id": "4d63b439-5f55-4fd7-8af2-6edbd86ed35f", "agents_used": 1,
                "skills_used": 1, "total_tokens": 59780, "total_cost_usd": 0.1234}]),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn session_start_prints_the_context_claude_reads() {
    let server = tinybird().await;
    mount_usage(&server, "3").await;
    let mut sandbox = Sandbox::new(&server.uri());
    sandbox.set("ATEL_DAYS", "3");
    let start = sandbox.localize(&payloads("v2.1.331", "main", "SessionStart")[0]);
    let run = sandbox.hook(&start);
    assert_eq!((run.code, run.stderr.as_str()), (Some(0), ""), "{run:?}");
    assert!(run.stdout.ends_with('\n'));
    let out: Value = serde_json::from_str(&run.stdout).unwrap();
    let context = out["hookSpecificOutput"]["additionalContext"]
        .as_str()
        .unwrap();
    assert_eq!(out["hookSpecificOutput"]["hookEventName"], "SessionStart");
    assert_eq!(out.as_object().unwrap().len(), 1);
    assert_eq!(
        context,
        "Subagent usage, last 3 days (atel): 12 runs, est. $3.40 in all.\n\
         Top agents by cost: general-purpose $2.40 (8 runs, $0.3000/run, cache hit 92%); \
         Explore $1.00 (4 runs, $0.2500/run, cache hit 41%).\n\
         Hints:\n\
         - Explore reads only 41% of its prompt from cache: start its tasks with the same stable \
         instructions and batch small lookups into one run so the cache is reused.\n\
         - Explore runs average 250k tokens: ask for a short summary back instead of raw output, \
         and point it at specific files."
    );
}

/// With a backlog and a Tinybird slow to take it, the context still comes: the pipes are asked first.
#[tokio::test(flavor = "multi_thread")]
async fn session_start_asks_for_usage_before_delivering_the_spool() {
    let server = tinybird().await;
    mount_usage(&server, "7").await;
    Mock::given(method("POST"))
        .and(path("/v0/events"))
        .respond_with(ResponseTemplate::new(202).set_delay(Duration::from_secs(5)))
        .with_priority(1)
        .mount(&server)
        .await;
    let mut sandbox = Sandbox::new(&crate::support::dead_url());
    sandbox.set("ATEL_BUDGET_MS", "1000");
    sandbox
        .hook(&crate::support::skill_payload(1))
        .assert_quiet_failure();
    sandbox.url = server.uri();
    sandbox.end_backoff();
    let start = sandbox.localize(&payloads("v2.1.331", "main", "SessionStart")[0]);
    let run = sandbox.hook(&start);
    assert_eq!(run.code, Some(0), "{run:?}");
    let out: Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(
        out["hookSpecificOutput"]["additionalContext"]
            .as_str()
            .unwrap()
            .starts_with("Subagent usage, last 7 days (atel): 12 runs"),
        "{run:?}"
    );
    assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
    assert!(run.stderr.contains("1 row kept in the spool"), "{run:?}");
    assert_eq!(sandbox.spooled_lines(), 1);
}

/// Inside the delivery backoff `SessionStart` still asks the pipes (a read duplicates nothing) and
/// prints the context, but leaves the spool alone and says nothing about it.
#[tokio::test(flavor = "multi_thread")]
async fn session_start_in_the_backoff_window_prints_the_context_and_leaves_the_spool() {
    let server = tinybird().await;
    mount_usage(&server, "7").await;
    let mut sandbox = Sandbox::new(&crate::support::dead_url());
    sandbox
        .hook(&crate::support::skill_payload(1))
        .assert_quiet_failure();
    sandbox.url = server.uri();
    let start = sandbox.localize(&payloads("v2.1.331", "main", "SessionStart")[0]);
    let run = sandbox.hook(&start);
    assert_eq!((run.code, run.stderr.as_str()), (Some(0), ""), "{run:?}");
    let out: Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(out["hookSpecificOutput"]["additionalContext"].is_string());
    assert_eq!(sandbox.spooled_lines(), 1);
    let requests = server.received_requests().await.unwrap();
    assert!(
        requests
            .iter()
            .all(|r| r.url.path().starts_with("/v0/pipes/")),
        "{requests:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn session_start_prints_nothing_without_data_or_server() {
    let server = tinybird().await;
    mount_pipe(&server, "agent_usage_summary", "7", json!([])).await;
    mount_pipe(&server, "optimization_insights", "7", json!([])).await;
    let sandbox = Sandbox::new(&server.uri());
    let start = sandbox.localize(&payloads("v2.1.331", "main", "SessionStart")[0]);
    sandbox.hook(&start).assert_silent();

    let sandbox = Sandbox::new(&crate::support::dead_url());
    let run = sandbox.hook(&start);
    run.assert_quiet_failure();
    assert!(run.stderr.contains("no usage summary"), "{run:?}");
    assert!(!run.stderr.contains(crate::support::TOKEN));
}

#[tokio::test(flavor = "multi_thread")]
async fn report_tables_and_json() {
    let server = tinybird().await;
    mount_usage(&server, "30").await;
    let sandbox = Sandbox::new(&server.uri());
    let run = sandbox.run(&["report", "--days", "30"], b"");
    assert_eq!((run.code, run.stderr.as_str()), (Some(0), ""), "{run:?}");
    for line in run.stdout.lines() {
        assert!(line.chars().count() <= 80, "{line:?}");
    }
    assert!(
        run.stdout
            .starts_with("API requests by model (last 30 days)\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("general-purpose     8   8,000   2,400     400,000     12.0s      $2.40"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("Total              12  98,000   3,600     460,000     18.0s      $3.40"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("fake-skill     3        67%      14ms"),
        "{}",
        run.stdout
    );

    let run = sandbox.run(&["report", "--days", "30", "--json"], b"");
    assert_eq!(run.code, Some(0), "{run:?}");
    let usage: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(usage["days"], 30);
    assert_eq!(usage["agents"][1]["agent_type"], "Explore");
    assert_eq!(usage["sessions"][0]["total_tokens"], 59780);

    let down = Sandbox::new(&crate::support::dead_url());
    let run = down.run(&["report"], b"");
    assert_eq!(run.code, Some(1), "{run:?}");
    assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
}
