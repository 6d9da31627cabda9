//! Every telemetry pipe on real ClickHouse, with expected values worked out by hand from list prices
//! (per `MTok`: claude-opus-4-8 $5 in / $25 out / $0.50 cache read / $6.25 cache write;
//! claude-haiku-4-5 $1 / $5 / $0.10 / $1.25).

use atel_sdk::telemetry::pipes::{
    AgentUsageSummaryExt as _, CostByModelExt as _, OptimizationInsightsExt as _,
    SessionOverviewExt as _, SkillFrequencyExt as _,
};
use atel_sdk::telemetry::{AgentActivation, AgentEvent, ApiRequest, SkillActivation};
use atel_sdk::{Error, Pipe, PipeSchema, TinybirdClient};
use atel_tests::factories::{
    SESSION_ID, ago, make_agent_activation_row, make_api_request_row, make_skill_activation_row,
};
use chrono::TimeDelta;

use super::deployed;

const S2: &str = "22222222-2222-4222-8222-222222222222";
const S3: &str = "33333333-3333-4333-8333-333333333333";

fn assert_close(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() <= 1e-12_f64.max(expected.abs() * 1e-9),
        "{actual} != {expected}"
    );
}

/// A: general-purpose on opus-4-8 (factory tokens 101/31/5,100/2,010, 1.5 s) → $0.0163925
/// B: general-purpose on a dated opus-4-8 id, 200/60/0/0, 0.5 s → $0.0025
/// C: Explore on haiku-4-5 in session S2, 1,000/100/9,000/0, 3 s → $0.0024
/// D: a start row in S3 (not a run)
/// E: general-purpose 10 days ago, 1/1/0/0, 0.1 s → $0.00003 (outside 7 days, inside 30)
/// F: `idle`, no tokens at all
/// A is ingested twice, as an at-least-once redelivery would: the pipes count it once.
#[allow(
    clippy::many_single_char_names,
    reason = "rows named as in the table above"
)]
fn agent_rows() -> Vec<AgentActivation> {
    let a = make_agent_activation_row();
    let b = AgentActivation {
        model: "claude-opus-4-8-20260101".into(),
        input_tokens: 200,
        output_tokens: 60,
        cache_read_tokens: 0,
        cache_creation_tokens: 0,
        duration_ms: 500,
        ..make_agent_activation_row()
    };
    let c = AgentActivation {
        session_id: S2.into(),
        agent_type: "Explore".into(),
        model: "claude-haiku-4-5".into(),
        input_tokens: 1_000,
        output_tokens: 100,
        cache_read_tokens: 9_000,
        cache_creation_tokens: 0,
        duration_ms: 3_000,
        ..make_agent_activation_row()
    };
    let d = AgentActivation {
        session_id: S3.into(),
        event: AgentEvent::Start,
        input_tokens: 0,
        output_tokens: 0,
        cache_read_tokens: 0,
        cache_creation_tokens: 0,
        duration_ms: 0,
        model: String::new(),
        ..make_agent_activation_row()
    };
    let e = AgentActivation {
        timestamp: ago(TimeDelta::days(10)),
        input_tokens: 1,
        output_tokens: 1,
        cache_read_tokens: 0,
        cache_creation_tokens: 0,
        duration_ms: 100,
        ..make_agent_activation_row()
    };
    let f = AgentActivation {
        agent_type: "idle".into(),
        input_tokens: 0,
        output_tokens: 0,
        cache_read_tokens: 0,
        cache_creation_tokens: 0,
        duration_ms: 40,
        ..make_agent_activation_row()
    };
    // A delivered twice (hooks deliver at least once): still one run.
    let a_again = a.clone();
    vec![a, a_again, b, c, d, e, f]
}

/// fake-skill ×3 in the main session (12 ms, 18 ms failed, 30 ms at 6 days 23 hours ago), review ×1 in
/// S2, and `old` 8 days ago.
fn skill_rows() -> Vec<SkillActivation> {
    let skill = make_skill_activation_row;
    vec![
        skill(),
        SkillActivation {
            duration_ms: 18,
            success: false,
            ..skill()
        },
        SkillActivation {
            timestamp: ago(TimeDelta::days(7) - TimeDelta::hours(1)),
            duration_ms: 30,
            ..skill()
        },
        SkillActivation {
            session_id: S2.into(),
            skill_name: "review".into(),
            duration_ms: 5,
            ..skill()
        },
        SkillActivation {
            timestamp: ago(TimeDelta::days(8)),
            skill_name: "old".into(),
            ..skill()
        },
    ]
}

/// Two factory opus-4-8 requests in the main session ($0.0163925 each), one haiku request in S2.
fn request_rows() -> Vec<ApiRequest> {
    vec![
        make_api_request_row(),
        make_api_request_row(),
        ApiRequest {
            session_id: S2.into(),
            model: "claude-haiku-4-5".into(),
            input_tokens: 50,
            output_tokens: 10,
            cache_read_tokens: 0,
            cache_creation_tokens: 0,
            cost_usd: 0.001,
            ..make_api_request_row()
        },
    ]
}

async fn seeded() -> (atel_tests::server::LocalServer, TinybirdClient) {
    let (server, client) = deployed().await;
    for summary in [
        client.ingest(&agent_rows()).await.expect("ingest agents"),
        client.ingest(&skill_rows()).await.expect("ingest skills"),
        client
            .ingest(&request_rows())
            .await
            .expect("ingest requests"),
    ] {
        assert_eq!(summary.quarantined_rows, 0);
    }
    (server, client)
}

#[tokio::test]
async fn every_pipe_gives_the_hand_computed_numbers() {
    let (_server, client) = seeded().await;

    let usage = client
        .agent_usage_summary()
        .days(7)
        .await
        .expect("agent_usage_summary");
    let kinds: Vec<&str> = usage.iter().map(|r| r.agent_type.as_str()).collect();
    assert_eq!(kinds, ["general-purpose", "Explore", "idle"]);
    let gp = &usage[0];
    assert_eq!(
        (
            gp.invocations,
            gp.total_input,
            gp.total_output,
            gp.total_cache_read
        ),
        (2, 301, 91, 5_100)
    );
    assert_close(gp.avg_duration_ms, 1_000.0);
    assert_close(gp.est_cost_usd, 0.016_392_5 + 0.002_5);
    let explore = &usage[1];
    assert_eq!(
        (
            explore.invocations,
            explore.total_input,
            explore.total_cache_read
        ),
        (1, 1_000, 9_000)
    );
    assert_close(explore.est_cost_usd, 0.002_4);
    assert_close(usage[2].est_cost_usd, 0.0);

    let month = client
        .agent_usage_summary()
        .days(30)
        .await
        .expect("agent_usage_summary 30 days");
    assert_eq!((month[0].invocations, month[0].total_input), (3, 302));
    assert_close(month[0].avg_duration_ms, 700.0);
    assert_close(month[0].est_cost_usd, 0.016_392_5 + 0.002_5 + 0.000_03);

    let skills = client
        .skill_frequency()
        .days(7)
        .await
        .expect("skill_frequency");
    let summary: Vec<(&str, u64, u64)> = skills
        .iter()
        .map(|r| (r.skill_name.as_str(), r.activations, r.successes))
        .collect();
    assert_eq!(summary, [("fake-skill", 3, 2), ("review", 1, 1)]);
    assert_close(skills[0].avg_duration_ms, 20.0);

    let models = client.cost_by_model().days(7).await.expect("cost_by_model");
    let summary: Vec<(&str, u64, u64, u64)> = models
        .iter()
        .map(|r| {
            (
                r.model.as_str(),
                r.total_input,
                r.total_output,
                r.request_count,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("claude-opus-4-8", 202, 62, 2),
            ("claude-haiku-4-5", 50, 10, 1)
        ]
    );
    assert_close(models[0].total_cost_usd, 2.0 * 0.016_392_5);
    assert_close(models[1].total_cost_usd, 0.001);

    let insights = client
        .optimization_insights()
        .days(7)
        .await
        .expect("optimization_insights");
    let gp = &insights[0];
    assert_eq!(
        (gp.agent_type.as_str(), gp.frequency),
        ("general-purpose", 2)
    );
    assert_close(
        gp.avg_cost_per_invocation,
        f64::midpoint(0.016_392_5, 0.002_5),
    );
    assert_close(
        gp.avg_tokens,
        f64::from((101 + 31 + 5_100 + 2_010) + (200 + 60)) / 2.0,
    );
    // 100 × 5,100 / (101 + 5,100 + 2,010 + 200) = 68.816… → 68.8
    assert_close(gp.efficiency_score, 68.8);
    assert_eq!(insights[1].agent_type, "Explore");
    assert_close(insights[1].efficiency_score, 90.0);
    assert_eq!(insights[2].agent_type, "idle");
    assert_close(insights[2].efficiency_score, 0.0);
}

#[tokio::test]
async fn session_overview_with_and_without_a_session_id() {
    let (_server, client) = seeded().await;

    let all = client
        .session_overview()
        .days(7)
        .await
        .expect("session_overview");
    let summary: Vec<(&str, u64, u64, u64)> = all
        .iter()
        .map(|r| {
            (
                r.session_id.as_str(),
                r.agents_used,
                r.skills_used,
                r.total_tokens,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (SESSION_ID, 2, 1, 2 * (101 + 31 + 5_100 + 2_010)),
            (S2, 1, 1, 60),
            (S3, 1, 0, 0)
        ]
    );
    assert_close(all[0].total_cost_usd, 2.0 * 0.016_392_5);
    assert_close(all[2].total_cost_usd, 0.0);

    let one = client
        .session_overview()
        .session_id(S2)
        .days(7)
        .await
        .expect("one session");
    assert_eq!(one.len(), 1);
    assert_eq!((one[0].session_id.as_str(), one[0].total_tokens), (S2, 60));
    assert_close(one[0].total_cost_usd, 0.001);

    let unknown = client
        .session_overview()
        .session_id("nope")
        .days(7)
        .await
        .expect("unknown session");
    assert!(unknown.is_empty());
}

#[tokio::test]
async fn pipes_on_an_empty_project_return_no_rows() {
    let (_server, client) = deployed().await;
    assert!(
        client
            .agent_usage_summary()
            .days(7)
            .await
            .expect("agent_usage_summary")
            .is_empty()
    );
    assert!(
        client
            .skill_frequency()
            .days(7)
            .await
            .expect("skill_frequency")
            .is_empty()
    );
    assert!(
        client
            .cost_by_model()
            .days(7)
            .await
            .expect("cost_by_model")
            .is_empty()
    );
    assert!(
        client
            .session_overview()
            .days(7)
            .await
            .expect("session_overview")
            .is_empty()
    );
    assert!(
        client
            .optimization_insights()
            .days(7)
            .await
            .expect("optimization_insights")
            .is_empty()
    );
}

/// What a caller outside the type system could send: `days=abc`.
struct BadDays;

impl Pipe for BadDays {
    const NAME: &'static str = "agent_usage_summary";
    type Output = serde_json::Value;

    fn params(&self) -> Vec<(&'static str, String)> {
        vec![("days", "abc".to_owned())]
    }

    fn schema() -> PipeSchema {
        PipeSchema {
            name: Self::NAME,
            description: None,
            nodes: Vec::new(),
            params: Vec::new(),
            kind: atel_sdk::PipeKind::Endpoint,
            tokens: Vec::new(),
        }
    }
}

#[tokio::test]
async fn a_bad_param_is_an_api_400_with_tinybirds_message() {
    let (_server, client) = deployed().await;
    let error = client.query(&BadDays).await.expect_err("days=abc");
    let Error::Api {
        status, message, ..
    } = &error
    else {
        panic!("expected Error::Api, got {error:?}");
    };
    assert_eq!(*status, 400);
    assert!(
        message.contains("'abc'") && message.contains("Int32"),
        "{message}"
    );
}

/// Ingests `rows` `times` times, one request each (each its own part: nothing merged yet).
async fn ingest_copies<T: atel_sdk::Datasource + serde::Serialize>(
    client: &TinybirdClient,
    rows: &[T],
    times: usize,
) {
    for _ in 0..times {
        let summary = client.ingest(rows).await.expect("ingest");
        assert_eq!(summary.quarantined_rows, 0);
    }
}

/// Every pipe counts each row id once, at once: copies delivered again (the spool after a late
/// answer), re-scanned (backfill) or replayed (a fork, under the parent's session) never show, before
/// any merge. Rows migrated from before the ids existed count once too, and not at all when a row
/// with ids holds the same request. A subagent run recorded without usage counts as a run and stays
/// out of the averages.
#[tokio::test]
async fn every_copy_of_a_row_counts_once() {
    let (_server, client) = deployed().await;

    // Three skill calls, each delivered three times.
    let skills: Vec<SkillActivation> = (0..3)
        .map(|i| SkillActivation {
            success: i != 2,
            duration_ms: 10 * (i + 1),
            ..make_skill_activation_row()
        })
        .collect();
    ingest_copies(&client, &skills, 3).await;

    // Two requests, each delivered twice, and their copies as a fork would replay them (same ids,
    // same session: the one that made them).
    let r1 = make_api_request_row();
    let r2 = ApiRequest {
        session_id: S2.into(),
        model: "claude-haiku-4-5".into(),
        input_tokens: 50,
        output_tokens: 10,
        cache_read_tokens: 0,
        cache_creation_tokens: 0,
        cost_usd: 0.001,
        ..make_api_request_row()
    };
    ingest_copies(&client, &[r1.clone(), r2.clone()], 3).await;
    // Rows migrated from the old schema: a copy of r1 (recorded under a fork's session before the
    // upgrade), twice, and a request only the old rows know (legacy ids are derived from content, so
    // its two copies share one).
    let legacy_of_r1 = ApiRequest {
        session_id: S3.into(),
        request_id: String::new(),
        message_id: "legacy:0A1B2C3D4E5F6071".into(),
        ..r1.clone()
    };
    let legacy_only = ApiRequest {
        timestamp: ago(TimeDelta::hours(2)),
        session_id: S3.into(),
        input_tokens: 7,
        output_tokens: 3,
        cache_read_tokens: 0,
        cache_creation_tokens: 0,
        cost_usd: 0.000_11,
        request_id: String::new(),
        message_id: "legacy:00000000000000FF".into(),
        ..make_api_request_row()
    };
    ingest_copies(&client, &[legacy_of_r1, legacy_only], 2).await;

    // Agent runs: X recorded without usage first (its transcript could not be read), then with it;
    // Y only without usage; Z stopped twice, the second time after more work.
    let x_unmeasured = AgentActivation {
        input_tokens: 0,
        output_tokens: 0,
        cache_read_tokens: 0,
        cache_creation_tokens: 0,
        duration_ms: 0,
        model: String::new(),
        timestamp: ago(TimeDelta::minutes(30)),
        ..make_agent_activation_row()
    };
    let x = AgentActivation {
        timestamp: ago(TimeDelta::hours(1)),
        ..x_unmeasured.clone()
    };
    let x = AgentActivation {
        input_tokens: 101,
        output_tokens: 31,
        cache_read_tokens: 5_100,
        cache_creation_tokens: 2_010,
        duration_ms: 1_500,
        model: "claude-opus-4-8".into(),
        ..x
    };
    let y_unmeasured = AgentActivation {
        input_tokens: 0,
        output_tokens: 0,
        cache_read_tokens: 0,
        cache_creation_tokens: 0,
        duration_ms: 0,
        model: String::new(),
        ..make_agent_activation_row()
    };
    let z_first = AgentActivation {
        input_tokens: 100,
        output_tokens: 0,
        cache_read_tokens: 0,
        cache_creation_tokens: 0,
        duration_ms: 100,
        timestamp: ago(TimeDelta::hours(3)),
        ..make_agent_activation_row()
    };
    let z = AgentActivation {
        input_tokens: 200,
        output_tokens: 40,
        duration_ms: 500,
        timestamp: ago(TimeDelta::hours(2)),
        ..z_first.clone()
    };
    ingest_copies(
        &client,
        &[x_unmeasured, x, y_unmeasured, z_first, z.clone(), z],
        2,
    )
    .await;

    let skill_rows = client
        .skill_frequency()
        .days(7)
        .await
        .expect("skill_frequency");
    assert_eq!(skill_rows.len(), 1, "{skill_rows:?}");
    assert_eq!((skill_rows[0].activations, skill_rows[0].successes), (3, 2));
    assert_close(skill_rows[0].avg_duration_ms, 20.0);

    let models = client.cost_by_model().days(7).await.expect("cost_by_model");
    let counts: Vec<(&str, u64, u64)> = models
        .iter()
        .map(|m| (m.model.as_str(), m.request_count, m.total_input))
        .collect();
    // opus-4-8: r1 once and the legacy-only request; haiku: r2 once.
    assert_eq!(
        counts,
        [("claude-opus-4-8", 2, 101 + 7), ("claude-haiku-4-5", 1, 50)]
    );
    assert_close(models[0].total_cost_usd, 0.016_392_5 + 0.000_11);
    assert_close(models[1].total_cost_usd, 0.001);

    let sessions = client
        .session_overview()
        .days(7)
        .await
        .expect("session_overview");
    let cost = |id: &str| {
        sessions
            .iter()
            .find(|s| s.session_id == id)
            .map(|s| (s.total_cost_usd, s.total_tokens))
    };
    // r1 stays in the session that made it; S3 keeps only the request no row with ids holds.
    let (main_cost, main_tokens) = cost(SESSION_ID).expect("the main session");
    assert_close(main_cost, 0.016_392_5);
    assert_eq!(main_tokens, 101 + 31 + 5_100 + 2_010);
    let (s3_cost, s3_tokens) = cost(S3).expect("S3");
    assert_close(s3_cost, 0.000_11);
    assert_eq!(s3_tokens, 10);

    let agents = client
        .agent_usage_summary()
        .days(7)
        .await
        .expect("agent_usage_summary");
    assert_eq!(agents.len(), 1, "{agents:?}");
    let gp = &agents[0];
    // X (measured copy), Y (no usage), Z (its second stop): three runs.
    assert_eq!(
        (
            gp.invocations,
            gp.runs_without_usage,
            gp.total_input,
            gp.total_output
        ),
        (3, 1, 101 + 200, 31 + 40)
    );
    assert_close(gp.avg_duration_ms, f64::midpoint(1_500.0, 500.0));
    let z_cost = (200.0 * 5.0 + 40.0 * 25.0) / 1e6;
    assert_close(gp.est_cost_usd, 0.016_392_5 + z_cost);

    let insights = client
        .optimization_insights()
        .days(7)
        .await
        .expect("optimization_insights");
    assert_eq!(insights[0].frequency, 3);
    assert_close(
        insights[0].avg_cost_per_invocation,
        f64::midpoint(0.016_392_5, z_cost),
    );
    assert_close(
        insights[0].avg_tokens,
        f64::from(101 + 31 + 5_100 + 2_010 + 200 + 40) / 2.0,
    );
}
