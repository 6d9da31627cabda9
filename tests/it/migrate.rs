//! A workspace on the first telemetry schema (`tests/fixtures/tinybird-v1`: no ids) keeps every row
//! when today's `tinybird/` is deployed over it: the `FORWARD_QUERY` of `api_requests` and
//! `skill_activations` gives the old rows ids derived from their content, so the copies the old
//! delivery made count once, and a request the old rows hold counts once when it arrives again
//! with ids (a backfill after the upgrade).

use atel_sdk::TinybirdClient;
use atel_sdk::client::DeployOptions;
use atel_sdk::telemetry::pipes::{
    AgentUsageSummaryExt as _, CostByModelExt as _, SessionOverviewExt as _, SkillFrequencyExt as _,
};
use atel_tests::server::{LocalServer, repo_root};

const P: &str = "aaaaaaaa-0000-4000-8000-000000000001";
const F: &str = "ffffffff-0000-4000-8000-000000000002";

fn close(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() <= 1e-12
}

async fn raw_count(client: &TinybirdClient, table: &str) -> u64 {
    client
        .sql_json(&format!("SELECT toUInt32(count()) AS n FROM {table}"))
        .await
        .expect("count")["data"][0]["n"]
        .as_u64()
        .expect("a count")
}

async fn ingest(client: &TinybirdClient, name: &str, lines: &[String]) {
    let body = lines.join("\n") + "\n";
    let summary = client
        .ingest_ndjson(name, body.as_bytes())
        .await
        .expect("ingest");
    assert_eq!(summary.quarantined_rows, 0, "{name}");
}

/// An `api_requests` row of the old schema: claude-opus-4-8, the fixtures' first call's tokens but
/// `input`.
fn v1_request(session: &str, at: &str, input: u64, cost: f64) -> String {
    format!(
        r#"{{"timestamp":"{at}","session_id":"{session}","model":"claude-opus-4-8","input_tokens":{input},"output_tokens":31,"cache_read_tokens":5100,"cache_creation_tokens":2010,"cost_usd":{cost},"duration_ms":900}}"#
    )
}

#[tokio::test]
async fn deploying_todays_schema_over_the_first_keeps_every_row_and_counts_each_once() {
    let server = LocalServer::start();
    let client = server.client();
    let v1 = client
        .deploy(
            repo_root().join("tests/fixtures/tinybird-v1"),
            DeployOptions::default(),
        )
        .await
        .expect("deploy v1");
    assert_eq!(v1.result, "success", "{v1:?}");

    let now = chrono::Utc::now() - chrono::TimeDelta::hours(1);
    let at = |minutes: i64| {
        (now - chrono::TimeDelta::minutes(minutes))
            .format("%Y-%m-%d %H:%M:%S%.3f")
            .to_string()
    };
    let (t1, t2, t3) = (at(30), at(20), at(10));
    // R1 as the old code sent it twice: by the parent's SessionEnd and again by a fork's; R2 sent
    // twice by the old spool after a late answer; R3 once.
    ingest(
        &client,
        "api_requests",
        &[
            v1_request(P, &t1, 101, 0.016_392_5),
            v1_request(F, &t1, 101, 0.016_392_5),
            v1_request(P, &t2, 102, 0.016_397_5),
            v1_request(P, &t2, 102, 0.016_397_5),
            v1_request(P, &t3, 103, 0.016_402_5),
        ],
    )
    .await;
    let skill = |ms: u64| {
        format!(
            r#"{{"timestamp":"{t1}","session_id":"{P}","skill_name":"fake-skill","duration_ms":{ms},"success":true}}"#
        )
    };
    ingest(
        &client,
        "skill_activations",
        &[skill(12), skill(12), skill(30)],
    )
    .await;
    let stop = format!(
        r#"{{"timestamp":"{t2}","session_id":"{P}","agent_type":"Explore","agent_id":"a1","event":"stop","input_tokens":10,"output_tokens":5,"cache_read_tokens":0,"cache_creation_tokens":0,"duration_ms":700,"model":"claude-opus-4-8"}}"#
    );
    ingest(&client, "agent_activations", &[stop.clone(), stop]).await;
    // What the first schema's pipes said: every copy counted.
    let before = client
        .cost_by_model()
        .days(7)
        .await
        .expect("v1 cost_by_model");
    assert_eq!(before[0].request_count, 5);

    let v2 = client
        .deploy(repo_root().join("tinybird"), DeployOptions::default())
        .await
        .expect("deploy today's schema over v1");
    assert_eq!(v2.result, "success", "{v2:?}");

    // Every request is still there, now with its derived id: copies share one, and the table (a
    // ReplacingMergeTree now) may already have merged them, never two distinct requests.
    let rows = client
        .sql_json(
            "SELECT session_id, request_id, message_id, toUInt32(input_tokens) AS input \
             FROM api_requests ORDER BY input, session_id",
        )
        .await
        .expect("migrated rows");
    let rows = rows["data"].as_array().expect("rows").clone();
    assert!((3..=5).contains(&rows.len()), "{rows:?}");
    for row in &rows {
        assert_eq!(row["request_id"], "", "{row}");
        assert!(
            row["message_id"]
                .as_str()
                .is_some_and(|id| id.starts_with("legacy:") && id.len() == "legacy:".len() + 16),
            "{row}"
        );
    }
    let ids: std::collections::BTreeSet<&str> = rows
        .iter()
        .filter_map(|r| r["message_id"].as_str())
        .collect();
    assert_eq!(ids.len(), 3, "one derived id per request: {rows:?}");
    assert!(raw_count(&client, "skill_activations").await >= 2);

    let models = client.cost_by_model().days(7).await.expect("cost_by_model");
    assert_eq!(
        (models[0].request_count, models[0].total_input),
        (3, 101 + 102 + 103)
    );
    assert!(close(
        models[0].total_cost_usd,
        0.016_392_5 + 0.016_397_5 + 0.016_402_5
    ));
    let skills = client
        .skill_frequency()
        .days(7)
        .await
        .expect("skill_frequency");
    assert_eq!((skills[0].activations, skills[0].successes), (2, 2));
    let agents = client
        .agent_usage_summary()
        .days(7)
        .await
        .expect("agent_usage_summary");
    assert_eq!((agents[0].invocations, agents[0].total_input), (1, 10));

    // After the upgrade, a backfill sends R1 again, with its ids and the session that made it: the
    // old copies of R1 now stay out, and R1 is P's.
    let r1 = format!(
        r#"{{"timestamp":"{t1}","session_id":"{P}","model":"claude-opus-4-8","input_tokens":101,"output_tokens":31,"cache_read_tokens":5100,"cache_creation_tokens":2010,"cost_usd":0.0163925,"duration_ms":900,"request_id":"req_1","message_id":"msg_1"}}"#
    );
    ingest(&client, "api_requests", &[r1]).await;
    let models = client.cost_by_model().days(7).await.expect("cost_by_model");
    assert_eq!(models[0].request_count, 3, "{models:?}");
    let sessions = client
        .session_overview()
        .days(7)
        .await
        .expect("session_overview");
    let p = sessions.iter().find(|s| s.session_id == P).expect("P");
    assert!(close(
        p.total_cost_usd,
        0.016_392_5 + 0.016_397_5 + 0.016_402_5
    ));
    assert!(sessions.iter().all(|s| s.session_id != F), "{sessions:?}");
}
