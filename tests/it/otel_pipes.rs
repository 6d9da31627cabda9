//! The OpenTelemetry endpoints on `tinybird/local`: rows shaped like the exporter's (through the
//! `otel_*` Rust types), some sent twice as a retried batch would be, against hand-computed values;
//! and the reconciliation of the hooks' `api_requests` with the `api_request` events.

use atel_sdk::telemetry::ApiRequest;
use atel_sdk::telemetry::otel::{Attributes, LogRow, SumRow};
use atel_sdk::telemetry::otel_pipes::{
    OtelApiRequestsExt as _, OtelToolResultsExt as _, OtelUsageByDayExt as _, ReconcileExt as _,
};
use atel_tests::factories::ago;
use chrono::{DateTime, TimeDelta, Utc};

use crate::deployed;

fn attributes(pairs: &[(&str, &str)]) -> Attributes {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// A Claude Code event as the exporter writes it: body `claude_code.<name>`, `event.name`, the
/// session, and the event's own attributes.
fn event(at: DateTime<Utc>, name: &str, sequence: u32, extra: &[(&str, &str)]) -> LogRow {
    let sequence = sequence.to_string();
    let mut log_attributes = attributes(&[
        ("event.name", name),
        ("session.id", "s1"),
        ("event.sequence", &sequence),
    ]);
    log_attributes.extend(attributes(extra));
    LogRow {
        timestamp: at,
        service_name: "claude-code".into(),
        body: format!("claude_code.{name}"),
        scope_name: "com.anthropic.claude_code.events".into(),
        resource_attributes: attributes(&[("service.name", "claude-code")]),
        log_attributes,
        ..LogRow::default()
    }
}

fn api_request(at: DateTime<Utc>, sequence: u32, id: &str, usage: [u64; 4], cost: &str) -> LogRow {
    let [input, output, read, write] = usage.map(|n| n.to_string());
    event(
        at,
        "api_request",
        sequence,
        &[
            ("request_id", id),
            ("model", "claude-opus-5-5"),
            ("input_tokens", &input),
            ("output_tokens", &output),
            ("cache_read_tokens", &read),
            ("cache_creation_tokens", &write),
            ("cost_usd", cost),
            ("duration_ms", "900"),
            ("query_source", "sdk"),
        ],
    )
}

fn tool_result(
    at: DateTime<Utc>,
    sequence: u32,
    tool: &str,
    id: &str,
    ok: bool,
    ms: u32,
) -> LogRow {
    event(
        at,
        "tool_result",
        sequence,
        &[
            ("tool_name", tool),
            ("tool_use_id", id),
            ("success", if ok { "true" } else { "false" }),
            ("duration_ms", &ms.to_string()),
        ],
    )
}

fn point(
    name: &str,
    start: DateTime<Utc>,
    at: DateTime<Utc>,
    value: f64,
    temporality: i32,
    attrs: &[(&str, &str)],
) -> SumRow {
    SumRow {
        service_name: "claude-code".into(),
        metric_name: name.into(),
        metric_attributes: attributes(attrs),
        start_timestamp: start,
        timestamp: at,
        value,
        aggregation_temporality: temporality,
        is_monotonic: true,
        ..SumRow::default()
    }
}

fn hook_request(at: DateTime<Utc>, id: &str, usage: [u64; 4], cost: f64) -> ApiRequest {
    ApiRequest {
        timestamp: at,
        session_id: "s1".into(),
        model: "claude-opus-5-5".into(),
        input_tokens: usage[0],
        output_tokens: usage[1],
        cache_read_tokens: usage[2],
        cache_creation_tokens: usage[3],
        cost_usd: cost,
        duration_ms: 900,
        request_id: id.into(),
        message_id: format!("msg_{id}"),
    }
}

#[tokio::test]
async fn otel_requests_usage_and_tools_count_each_source_id_once() {
    let (_server, client) = deployed().await;
    let t = ago(TimeDelta::hours(2));
    let later = t + TimeDelta::seconds(30);
    let r1 = api_request(t, 10, "req_1", [101, 31, 5100, 2010], "0.012094");
    let r2 = api_request(later, 20, "req_2", [102, 32, 5200, 2020], "0.012188");
    // An event without a request id is still one request, under its session + sequence.
    let r3 = api_request(later, 21, "", [1, 2, 3, 4], "0.5");
    let old = api_request(ago(TimeDelta::days(9)), 5, "req_old", [1, 1, 1, 1], "1");
    let tools = [
        tool_result(t, 11, "Bash", "tu_1", true, 10),
        tool_result(t, 12, "Bash", "tu_2", false, 30),
        tool_result(t, 13, "Bash", "tu_3", true, 20),
        tool_result(t, 14, "Read", "tu_4", true, 5),
    ];
    // The batch, then the same batch again (an exporter retry), then one more copy of req_1.
    let mut logs = vec![r1.clone(), r2, r3, old];
    logs.extend(tools.iter().cloned());
    for batch in [&logs[..], &logs[..], &[r1][..]] {
        let summary = client
            .ingest(batch)
            .await
            .expect("ingest logs")
            .check()
            .expect("no quarantine");
        assert_eq!(summary.successful_rows, batch.len() as u64);
    }

    let requests = client.otel_api_requests().await.expect("otel_api_requests");
    let ids: Vec<&str> = requests.iter().map(|r| r.request_id.as_str()).collect();
    assert_eq!(ids, ["req_1", "req_2", "seq:s1:21"], "{requests:?}");
    let first = &requests[0];
    assert_eq!(
        (
            first.session_id.as_str(),
            first.model.as_str(),
            first.input_tokens,
            first.output_tokens,
            first.cache_read_tokens,
            first.cache_creation_tokens,
            first.duration_ms,
            first.query_source.as_str(),
        ),
        ("s1", "claude-opus-5-5", 101, 31, 5100, 2010, 900, "sdk")
    );
    assert!((first.cost_usd - 0.012_094).abs() < 1e-12);
    let total: f64 = requests.iter().map(|r| r.cost_usd).sum();
    assert!(
        (total - (0.012_094 + 0.012_188 + 0.5)).abs() < 1e-12,
        "{total}"
    );
    let other = client
        .otel_api_requests()
        .session_id("s2")
        .await
        .expect("another session");
    assert!(other.is_empty());

    // Bash: 3 calls (tu_1 sent three times counts once), 2 successes; durations 10, 20, 30:
    // p50 = sorted[floor(0.5 * 3)] = 20, p95 = sorted[floor(0.95 * 3)] = 30. Read: one call of 5 ms.
    let tools = client.otel_tool_results().await.expect("otel_tool_results");
    let summary: Vec<(&str, u64, u64, f64, f64)> = tools
        .iter()
        .map(|r| {
            (
                r.tool_name.as_str(),
                r.calls,
                r.successes,
                r.p50_duration_ms,
                r.p95_duration_ms,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [("Bash", 3, 2, 20.0, 30.0), ("Read", 1, 1, 5.0, 5.0)]
    );
    assert!((tools[0].success_rate - 2.0 / 3.0).abs() < 1e-12);

    // Metrics: opus as delta points (one sent twice), sonnet as a cumulative series (last value).
    let start = ago(TimeDelta::hours(3));
    let opus = [("model", "claude-opus-5-5")];
    let input = [("model", "claude-opus-5-5"), ("type", "input")];
    let output = [("model", "claude-opus-5-5"), ("type", "output")];
    let sonnet = [("model", "claude-sonnet-5")];
    let points = [
        point("claude_code.cost.usage", start, t, 0.01, 1, &opus),
        point("claude_code.cost.usage", t, later, 0.02, 1, &opus),
        point("claude_code.token.usage", start, t, 100.0, 1, &input),
        point("claude_code.token.usage", t, later, 50.0, 1, &input),
        point("claude_code.token.usage", start, t, 10.0, 1, &output),
        point("claude_code.cost.usage", start, t, 1.0, 2, &sonnet),
        point("claude_code.cost.usage", start, later, 3.0, 2, &sonnet),
        point("claude_code.session.count", start, t, 1.0, 1, &opus),
    ];
    for batch in [&points[..], &points[..1]] {
        let summary = client
            .ingest(batch)
            .await
            .expect("ingest points")
            .check()
            .expect("no quarantine");
        assert_eq!(summary.successful_rows, batch.len() as u64);
    }
    let days = client.otel_usage_by_day().await.expect("otel_usage_by_day");
    let today = later.date_naive().to_string();
    let summary: Vec<(&str, &str, u64, u64)> = days
        .iter()
        .map(|r| {
            (
                r.day.as_str(),
                r.model.as_str(),
                r.input_tokens,
                r.output_tokens,
            )
        })
        .collect();
    if t.date_naive() == later.date_naive() {
        assert_eq!(
            summary,
            [
                (today.as_str(), "claude-opus-5-5", 150, 10),
                (today.as_str(), "claude-sonnet-5", 0, 0)
            ],
            "{days:?}"
        );
        assert!((days[0].cost_usd - 0.03).abs() < 1e-12, "{days:?}");
        assert!((days[1].cost_usd - 3.0).abs() < 1e-12, "{days:?}");
    }
    let cost: f64 = days.iter().map(|r| r.cost_usd).sum();
    assert!((cost - 3.03).abs() < 1e-12, "{days:?}");
}

#[tokio::test]
async fn reconcile_lists_every_mismatch_and_nothing_else() {
    let (_server, client) = deployed().await;
    let t = ago(TimeDelta::hours(1));
    let same = [101, 31, 5100, 2010];
    // Hooks and OTel agree on req_ok (OTel sent twice), disagree on req_tokens (output 32 vs 33) and
    // req_cost (by 1e-6 USD); req_hooks_only is missing in OTel, req_otel_only in the hooks.
    let hooks = [
        hook_request(t, "req_ok", same, 0.012_094),
        hook_request(t, "req_tokens", [102, 32, 5200, 2020], 0.012_188),
        hook_request(t, "req_cost", same, 0.012_095),
        hook_request(t, "req_hooks_only", same, 0.012_094),
    ];
    for batch in [&hooks[..], &hooks[..1]] {
        let summary = client
            .ingest(batch)
            .await
            .expect("ingest hooks")
            .check()
            .expect("no quarantine");
        assert_eq!(summary.successful_rows, batch.len() as u64);
    }
    let otel = [
        api_request(t, 1, "req_ok", same, "0.012094"),
        api_request(t, 2, "req_tokens", [102, 33, 5200, 2020], "0.012188"),
        api_request(t, 3, "req_cost", same, "0.012094"),
        api_request(t, 4, "req_otel_only", same, "0.012094"),
    ];
    for batch in [&otel[..], &otel[..1]] {
        let summary = client
            .ingest(batch)
            .await
            .expect("ingest otel")
            .check()
            .expect("no quarantine");
        assert_eq!(summary.successful_rows, batch.len() as u64);
    }

    let mismatches = client.reconcile().await.expect("reconcile");
    let summary: Vec<(&str, &str)> = mismatches
        .iter()
        .map(|r| (r.request_id.as_str(), r.status.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            ("req_cost", "differs"),
            ("req_hooks_only", "missing_in_otel"),
            ("req_otel_only", "missing_in_hooks"),
            ("req_tokens", "differs"),
        ]
    );
    let tokens = &mismatches[3];
    assert_eq!(tokens.hook_tokens, [102, 32, 5200, 2020]);
    assert_eq!(tokens.otel_tokens, [102, 33, 5200, 2020]);
    assert_eq!(mismatches[2].session_id, "s1");
    assert_eq!(mismatches[1].otel_tokens, [0, 0, 0, 0]);

    let all = client
        .reconcile()
        .include_matches(1)
        .await
        .expect("reconcile, matches too");
    assert_eq!(all.len(), 5);
    let ok = all
        .iter()
        .find(|r| r.request_id == "req_ok")
        .expect("req_ok");
    assert_eq!(ok.status, "match");
    assert_eq!(ok.hook_tokens, ok.otel_tokens);
}
