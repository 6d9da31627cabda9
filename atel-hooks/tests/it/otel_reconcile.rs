//! One recorded Claude Code 2.1.331 session through both routes at once: its hook payloads and
//! transcripts through `atel-hooks hook`, its OTLP bodies (captured from the same run) through the
//! `atel-hooks otel` receiver, into the real `otel_*` datasources of `tinybird/`. The two routes are
//! independent measurements: every request id must match, and Claude Code's own `total_cost_usd`
//! must equal the OpenTelemetry events' cost and the metrics' cost.

use std::time::{Duration, Instant};

use atel_sdk::telemetry::otel_pipes::{
    OtelApiRequestsExt as _, OtelUsageByDayExt as _, ReconcileExt as _,
};
use atel_sdk::telemetry::pipes::CostByModelExt as _;
use serde_json::Value;

use crate::local::{DAYS, deployed_sandbox, hook_ok};
use crate::otel_server::{free_addr, post, wait_for_port};
use crate::support::{fixtures_dir, sequence};

fn close(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() <= 1e-9
}

#[tokio::test(flavor = "multi_thread")]
async fn hooks_and_otel_agree_on_every_request_and_on_claude_codes_total() {
    let (_server, client, sandbox) = deployed_sandbox().await;
    let run = fixtures_dir().join("v2.1.331/main");

    // The hooks route.
    sandbox.place_transcripts("v2.1.331", "main");
    for payload in sequence("v2.1.331", "main") {
        hook_ok(&sandbox, &payload);
    }

    // The OpenTelemetry route: every body Claude Code exported in that run, as it sent it.
    let addr = free_addr();
    let mut receiver = sandbox
        .command(&["otel", "--listen", &addr, "--idle-exit", "600"])
        .spawn()
        .expect("start the receiver");
    wait_for_port(&addr);
    let mut bodies = 0;
    for (path, file) in [("/v1/logs", "logs.jsonl"), ("/v1/metrics", "metrics.jsonl")] {
        let text = std::fs::read_to_string(run.join("otlp").join(file)).expect("fixture");
        for line in text.lines() {
            let capture: Value = serde_json::from_str(line).expect("a captured request");
            let body = serde_json::to_vec(&capture["payload"]).expect("the body");
            let (status, _) = post(&addr, path, &[("Content-Type", "application/json")], &body);
            assert_eq!(status, 200, "{path}");
            bodies += 1;
        }
    }
    assert!(bodies >= 2);

    // The receiver delivers within about a second; wait for all 8 requests, at most 30 s.
    let deadline = Instant::now() + Duration::from_secs(30);
    let requests = loop {
        let requests = client
            .otel_api_requests()
            .days(DAYS)
            .await
            .expect("otel_api_requests");
        if requests.len() >= 8 || Instant::now() > deadline {
            break requests;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let _ = receiver.kill();
    let _ = receiver.wait();

    let result: Value = serde_json::from_str(
        &std::fs::read_to_string(run.join("claude-result.json")).expect("claude-result.json"),
    )
    .expect("JSON");
    let claude_total = result["total_cost_usd"].as_f64().expect("total_cost_usd");
    let ids: Vec<&str> = requests.iter().map(|r| r.request_id.as_str()).collect();
    assert_eq!(
        ids,
        (1..=8)
            .map(|n| format!("req_fake_00{n}"))
            .collect::<Vec<_>>(),
        "{requests:?}"
    );
    let otel_cost: f64 = requests.iter().map(|r| r.cost_usd).sum();
    assert!(
        close(otel_cost, claude_total),
        "{otel_cost} vs {claude_total}"
    );

    // The metrics say the same, and their tokens are the transcripts' (the hooks') tokens.
    let days = client
        .otel_usage_by_day()
        .days(DAYS)
        .await
        .expect("otel_usage_by_day");
    let metric_cost: f64 = days.iter().map(|d| d.cost_usd).sum();
    assert!(close(metric_cost, claude_total), "{days:?}");
    let models = client
        .cost_by_model()
        .days(DAYS)
        .await
        .expect("cost_by_model");
    assert_eq!(
        (
            days.iter().map(|d| d.input_tokens).sum::<u64>(),
            days.iter().map(|d| d.output_tokens).sum::<u64>(),
        ),
        (
            models.iter().map(|m| m.total_input).sum::<u64>(),
            models.iter().map(|m| m.total_output).sum::<u64>(),
        ),
        "{days:?} vs {models:?}"
    );

    // Request by request: all eight match, nothing on one side only.
    let all = client
        .reconcile()
        .days(DAYS)
        .include_matches(1)
        .await
        .expect("reconcile");
    let statuses: Vec<(&str, &str)> = all
        .iter()
        .map(|r| (r.request_id.as_str(), r.status.as_str()))
        .collect();
    assert_eq!(statuses.len(), 8, "{all:?}");
    assert!(statuses.iter().all(|(_, s)| *s == "match"), "{all:?}");

    // And the command says so, with exit 0.
    let command = sandbox.run(&["reconcile", "--days", &DAYS.to_string()], b"");
    assert_eq!(command.code, Some(0), "{command:?}");
    assert!(
        command
            .stdout
            .contains("8 requests compared, 8 match, 0 mismatches"),
        "{command:?}"
    );
}
