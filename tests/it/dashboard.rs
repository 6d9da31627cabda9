//! The dashboard's pipes (`atel_sdk::telemetry::dashboard`) on real ClickHouse, with values worked out
//! by hand from list prices (per `MTok`: claude-opus-4-8 $5 in / $25 out / $0.50 cache read / $6.25
//! cache write). Every row is ingested twice, and a migrated copy of a request is added under another
//! session: each request still counts once, in the session that made it.
//!
//! The rows sit at fixed times of the UTC day (noon yesterday, and whole days before it) so the
//! per-day series do not depend on when the test runs.

use atel_sdk::telemetry::dashboard::{
    DailyCostByModelExt as _, DailyTokensExt as _, SessionDrilldownExt as _, TopSessionsExt as _,
};
use atel_sdk::telemetry::{AgentActivation, AgentEvent, ApiRequest};
use atel_sdk::{Datasource, TinybirdClient};
use atel_tests::factories::{make_agent_activation_row, make_api_request_row};
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

use super::deployed;

const S1: &str = "11111111-1111-4111-8111-111111111111";
const S2: &str = "22222222-2222-4222-8222-222222222222";
const S3: &str = "33333333-3333-4333-8333-333333333333";

fn assert_close(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() <= 1e-12_f64.max(expected.abs() * 1e-9),
        "{actual} != {expected}"
    );
}

/// Noon (UTC) yesterday: in the past whenever the test runs, and on its own UTC day.
fn base() -> DateTime<Utc> {
    let midnight = Utc::now()
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc();
    midnight - TimeDelta::hours(12)
}

fn day(at: DateTime<Utc>) -> NaiveDate {
    at.date_naive()
}

struct Requests {
    /// S1, opus-4-8 at `base`, the factory's tokens (101/31/5,100/2,010): $0.0163925.
    r1: ApiRequest,
    /// S1, haiku-4-5 ten minutes later, 50/10/0/0: $0.001 as recorded.
    r2: ApiRequest,
    /// S2, opus-4-8 two days earlier, 1,000/200/30,000/0: 0.005 + 0.005 + 0.015 = $0.025.
    r3: ApiRequest,
    /// S1, opus-4-8 ten days earlier (outside 7 days), 1/1/0/0: $0.00003.
    r4: ApiRequest,
}

fn requests() -> Requests {
    let base = base();
    Requests {
        r1: ApiRequest {
            timestamp: base,
            session_id: S1.into(),
            ..make_api_request_row()
        },
        r2: ApiRequest {
            timestamp: base + TimeDelta::minutes(10),
            session_id: S1.into(),
            model: "claude-haiku-4-5".into(),
            input_tokens: 50,
            output_tokens: 10,
            cache_read_tokens: 0,
            cache_creation_tokens: 0,
            cost_usd: 0.001,
            duration_ms: 500,
            ..make_api_request_row()
        },
        r3: ApiRequest {
            timestamp: base - TimeDelta::days(2),
            session_id: S2.into(),
            input_tokens: 1_000,
            output_tokens: 200,
            cache_read_tokens: 30_000,
            cache_creation_tokens: 0,
            cost_usd: 0.025,
            ..make_api_request_row()
        },
        r4: ApiRequest {
            timestamp: base - TimeDelta::days(10),
            session_id: S1.into(),
            input_tokens: 1,
            output_tokens: 1,
            cache_read_tokens: 0,
            cache_creation_tokens: 0,
            cost_usd: 0.000_03,
            ..make_api_request_row()
        },
    }
}

/// Ingests `rows` twice, one request each (two parts: nothing merged yet).
async fn ingest_twice<T: Datasource + serde::Serialize>(client: &TinybirdClient, rows: &[T]) {
    for _ in 0..2 {
        let summary = client.ingest(rows).await.expect("ingest");
        assert_eq!(summary.quarantined_rows, 0);
    }
}

async fn seeded() -> (atel_tests::server::LocalServer, TinybirdClient, Requests) {
    let (server, client) = deployed().await;
    let r = requests();
    // A row migrated from before the ids existed holding r1 under another session: left out.
    let legacy_of_r1 = ApiRequest {
        session_id: S3.into(),
        request_id: String::new(),
        message_id: "legacy:0A1B2C3D4E5F6071".into(),
        ..r.r1.clone()
    };
    ingest_twice(
        &client,
        &[
            r.r1.clone(),
            r.r2.clone(),
            r.r3.clone(),
            r.r4.clone(),
            legacy_of_r1,
        ],
    )
    .await;
    // S1's subagents: a general-purpose run (start and stop rows) and an Explore run.
    let run = AgentActivation {
        session_id: S1.into(),
        timestamp: base(),
        ..make_agent_activation_row()
    };
    let start = AgentActivation {
        event: AgentEvent::Start,
        model: String::new(),
        ..run.clone()
    };
    let explore = AgentActivation {
        session_id: S1.into(),
        agent_type: "Explore".into(),
        timestamp: base(),
        ..make_agent_activation_row()
    };
    ingest_twice(&client, &[start, run, explore]).await;
    (server, client, r)
}

#[tokio::test]
async fn daily_series_count_each_request_once_per_utc_day() {
    let (_server, client, r) = seeded().await;

    let cost = client
        .daily_cost_by_model()
        .days(7)
        .await
        .expect("daily_cost_by_model");
    let rows: Vec<(NaiveDate, &str, u64)> = cost
        .iter()
        .map(|c| (c.day, c.model.as_str(), c.request_count))
        .collect();
    assert_eq!(
        rows,
        [
            (day(r.r3.timestamp), "claude-opus-4-8", 1),
            (day(r.r1.timestamp), "claude-opus-4-8", 1),
            (day(r.r1.timestamp), "claude-haiku-4-5", 1),
        ]
    );
    assert_close(cost[0].total_cost_usd, 0.025);
    assert_close(cost[1].total_cost_usd, 0.016_392_5);
    assert_close(cost[2].total_cost_usd, 0.001);

    let month = client
        .daily_cost_by_model()
        .days(30)
        .await
        .expect("daily_cost_by_model 30 days");
    assert_eq!(month.len(), 4);
    assert_eq!(
        (month[0].day, month[0].request_count),
        (day(r.r4.timestamp), 1)
    );
    assert_close(month[0].total_cost_usd, 0.000_03);

    let tokens = client.daily_tokens().days(7).await.expect("daily_tokens");
    let rows: Vec<(NaiveDate, u64, u64, u64, u64)> = tokens
        .iter()
        .map(|t| {
            (
                t.day,
                t.total_input,
                t.total_output,
                t.total_cache_read,
                t.total_cache_write,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (day(r.r3.timestamp), 1_000, 200, 30_000, 0),
            (day(r.r1.timestamp), 101 + 50, 31 + 10, 5_100, 2_010),
        ]
    );
    // 100 × 30,000 / 31,000 = 96.77… → 96.8; 100 × 5,100 / (151 + 5,100 + 2,010) = 70.23… → 70.2
    assert_close(tokens[0].cache_hit_rate, 96.8);
    assert_close(tokens[1].cache_hit_rate, 70.2);
}

/// session, started, duration, requests, agent types, agent runs, tokens
type SessionLine<'a> = (&'a str, DateTime<Utc>, u64, u64, u64, u64, u64);
/// timestamp, model, input, output, cache read, cache write, duration, request id
type RequestLine<'a> = (DateTime<Utc>, &'a str, u64, u64, u64, u64, u64, &'a str);

#[tokio::test]
async fn top_sessions_and_one_sessions_requests() {
    let (_server, client, r) = seeded().await;

    let sessions = client
        .top_sessions()
        .days(7)
        .limit(10)
        .await
        .expect("top_sessions");
    let rows: Vec<SessionLine<'_>> = sessions
        .iter()
        .map(|s| {
            (
                s.session_id.as_str(),
                s.started,
                s.duration_ms,
                s.request_count,
                s.agents_used,
                s.agent_runs,
                s.total_tokens,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (S2, r.r3.timestamp, 0, 1, 0, 0, 1_000 + 200 + 30_000),
            (
                S1,
                r.r1.timestamp,
                10 * 60 * 1000,
                2,
                2,
                2,
                (101 + 31 + 5_100 + 2_010) + (50 + 10)
            ),
        ]
    );
    assert_close(sessions[0].total_cost_usd, 0.025);
    assert_close(sessions[1].total_cost_usd, 0.016_392_5 + 0.001);

    let top = client
        .top_sessions()
        .days(7)
        .limit(1)
        .await
        .expect("top_sessions 1");
    assert_eq!(top.len(), 1);
    assert_eq!(top[0].session_id, S2);

    let detail = client
        .session_drilldown(S1)
        .days(7)
        .limit(1000)
        .await
        .expect("session_drilldown");
    let rows: Vec<RequestLine<'_>> = detail
        .iter()
        .map(|d| {
            (
                d.timestamp,
                d.model.as_str(),
                d.input_tokens,
                d.output_tokens,
                d.cache_read_tokens,
                d.cache_write_tokens,
                d.duration_ms,
                d.request_id.as_str(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (
                r.r1.timestamp,
                "claude-opus-4-8",
                101,
                31,
                5_100,
                2_010,
                2_000,
                r.r1.request_id.as_str()
            ),
            (
                r.r2.timestamp,
                "claude-haiku-4-5",
                50,
                10,
                0,
                0,
                500,
                r.r2.request_id.as_str()
            ),
        ]
    );
    assert_close(detail[0].cost_usd, 0.016_392_5);
    assert_close(detail[1].cost_usd, 0.001);

    let month = client
        .session_drilldown(S1)
        .days(30)
        .limit(2)
        .await
        .expect("session_drilldown 30 days, 2 rows");
    let ids: Vec<&str> = month.iter().map(|d| d.request_id.as_str()).collect();
    assert_eq!(ids, [r.r4.request_id.as_str(), r.r1.request_id.as_str()]);

    for unknown in [S3, "nope"] {
        assert!(
            client
                .session_drilldown(unknown)
                .days(7)
                .limit(1000)
                .await
                .expect("unknown session")
                .is_empty()
        );
    }
}

#[tokio::test]
async fn dashboard_pipes_on_an_empty_project_return_no_rows() {
    let (_server, client) = deployed().await;
    assert!(
        client
            .daily_cost_by_model()
            .days(7)
            .await
            .expect("cost")
            .is_empty()
    );
    assert!(
        client
            .daily_tokens()
            .days(7)
            .await
            .expect("tokens")
            .is_empty()
    );
    assert!(
        client
            .top_sessions()
            .days(7)
            .limit(10)
            .await
            .expect("top")
            .is_empty()
    );
    assert!(
        client
            .session_drilldown(S1)
            .days(7)
            .limit(1000)
            .await
            .expect("drilldown")
            .is_empty()
    );
}
