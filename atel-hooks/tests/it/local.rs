//! A recorded Claude Code 2.1.331 session replayed through the real binary into `tinybird/local` (real
//! ClickHouse, the real datafiles deployed through the Rust client), then read back through the five
//! pipes: every number equals the fixtures', and the session's cost equals Claude Code's own.

use atel_sdk::client::DeployOptions;
use atel_sdk::telemetry::pipes::{
    AgentUsageSummaryExt as _, CostByModelExt as _, OptimizationInsightsExt as _,
    SessionOverviewExt as _, SkillFrequencyExt as _,
};
use atel_tests::server::{LocalServer, repo_root};
use serde_json::Value;

use crate::support::{Sandbox, fixtures_dir, sequence};

const SESSION: &str = "4d63b439-5f55-4fd7-8af2-6edbd86ed35f";
/// The fixtures were recorded on 2026-11-25: look back far enough that they stay in the window.
pub(crate) const DAYS: u16 = 3650;

fn close(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() <= 1e-12_f64.max(expected.abs() * 1e-9)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_recorded_session_through_hooks_and_pipes_matches_claude_codes_numbers() {
    let (_server, client, sandbox) = deployed_sandbox().await;
    sandbox.place_transcripts("v2.1.331", "main");
    for payload in sequence("v2.1.331", "main") {
        let event = payload["hook_event_name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let run = sandbox.hook(&sandbox.localize(&payload));
        assert_eq!(run.code, Some(0), "{event}: {run:?}");
        assert_eq!(run.stderr, "", "{event}: {run:?}");
    }
    assert_eq!(sandbox.spooled_lines(), 0, "everything was delivered");

    // The subagent made calls 2 and 4 of the fake API (input 100+n, output 30+n, cache read
    // 5000+100n, cache write 2000+10n) on claude-opus-5-5 ($4 / $20 / $0.20 / $5 per MTok).
    let agents = client
        .agent_usage_summary()
        .days(DAYS)
        .await
        .expect("agent_usage_summary");
    assert_eq!(agents.len(), 1, "{agents:?}");
    let agent = &agents[0];
    assert_eq!(agent.agent_type, "general-purpose");
    assert_eq!(
        (
            agent.invocations,
            agent.total_input,
            agent.total_output,
            agent.total_cache_read
        ),
        (1, 102 + 104, 32 + 34, 5_200 + 5_400)
    );
    assert!(close(agent.avg_duration_ms, 1_384.0), "{agent:?}");
    let subagent_cost =
        f64::from(206 * 4 + 66 * 20) / 1e6 + 10_600.0 * 0.2 / 1e6 + 4_060.0 * 5.0 / 1e6;
    assert!(close(agent.est_cost_usd, subagent_cost), "{agent:?}");

    let skills = client
        .skill_frequency()
        .days(DAYS)
        .await
        .expect("skill_frequency");
    assert_eq!(skills.len(), 1);
    assert_eq!(
        (
            skills[0].skill_name.as_str(),
            skills[0].activations,
            skills[0].successes
        ),
        ("fake-skill", 1, 1)
    );

    // Calls 1..=8, main agent and subagent, each exactly once; their cost is what Claude Code
    // itself reported as the run's total_cost_usd.
    let result: Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures_dir().join("v2.1.331/main/claude-result.json"))
            .expect("claude-result.json"),
    )
    .expect("claude-result.json is JSON");
    let claude_total = result["total_cost_usd"].as_f64().expect("total_cost_usd");
    let models = client
        .cost_by_model()
        .days(DAYS)
        .await
        .expect("cost_by_model");
    assert_eq!(models.len(), 1, "{models:?}");
    let model = &models[0];
    assert_eq!(model.model, "claude-opus-5-5");
    assert_eq!(
        (model.request_count, model.total_input, model.total_output),
        (8, 8 * 100 + 36, 8 * 30 + 36)
    );
    assert!(
        close(model.total_cost_usd, claude_total),
        "{} != Claude Code's {claude_total}",
        model.total_cost_usd
    );

    let sessions = client
        .session_overview()
        .session_id(SESSION)
        .days(DAYS)
        .await
        .expect("session_overview");
    assert_eq!(sessions.len(), 1);
    let session = &sessions[0];
    assert_eq!((session.agents_used, session.skills_used), (1, 1));
    assert_eq!(
        session.total_tokens,
        836 + 276 + (8 * 5_000 + 3_600) + (8 * 2_000 + 360)
    );
    assert!(close(session.total_cost_usd, claude_total));

    let insights = client
        .optimization_insights()
        .days(DAYS)
        .await
        .expect("optimization_insights");
    assert_eq!(
        (insights[0].agent_type.as_str(), insights[0].frequency),
        ("general-purpose", 1)
    );
    // 100 × 10,600 / (206 + 10,600 + 4,060) = 71.30… → 71.3
    assert!(close(insights[0].efficiency_score, 71.3), "{insights:?}");

    // A new session now starts with a summary of this one.
    let start = sandbox.hook(&sandbox.localize(&sequence("v2.1.331", "main")[0]));
    assert_eq!(start.code, Some(0));
    let output: Value = serde_json::from_str(&start.stdout).expect("SessionStart prints JSON");
    assert_eq!(
        output["hookSpecificOutput"]["hookEventName"],
        "SessionStart"
    );
    let context = output["hookSpecificOutput"]["additionalContext"]
        .as_str()
        .expect("context text");
    assert!(context.contains("general-purpose"), "{context}");
}

/// The hook payloads of one `resume-fork` run (`resume` or `fork`), in firing order.
pub(crate) fn resume_fork_hooks(run: &str) -> Vec<Value> {
    let path = fixtures_dir().join(format!("v2.1.331/resume-fork/{run}/hooks.json"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("hooks.json")).expect("JSON")
}

/// Claude Code's own cumulative `total_cost_usd` of a `resume-fork` run.
pub(crate) fn resume_fork_total(run: &str) -> f64 {
    let path = fixtures_dir().join(format!("v2.1.331/resume-fork/{run}/claude-result.json"));
    let result: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("result"))
        .expect("claude-result.json is JSON");
    result["total_cost_usd"].as_f64().expect("total_cost_usd")
}

pub(crate) fn session_end(hooks: &[Value]) -> Value {
    hooks
        .iter()
        .find(|p| p["hook_event_name"] == "SessionEnd")
        .cloned()
        .expect("a SessionEnd payload")
}

pub(crate) async fn deployed_sandbox() -> (LocalServer, atel_sdk::TinybirdClient, Sandbox) {
    let server = LocalServer::start();
    let client = server.client();
    client
        .deploy(repo_root().join("tinybird"), DeployOptions::default())
        .await
        .expect("deploy tinybird/");
    let mut sandbox = Sandbox::new(&server.url);
    sandbox.set("TINYBIRD_TOKEN", &server.token);
    sandbox.set("ATEL_DAYS", &DAYS.to_string());
    (server, client, sandbox)
}

pub(crate) fn hook_ok(sandbox: &Sandbox, payload: &Value) {
    let event = payload["hook_event_name"].clone();
    let run = sandbox.hook(&sandbox.localize(payload));
    assert_eq!(run.code, Some(0), "{event}: {run:?}");
    assert_eq!(run.stderr, "", "{event}: {run:?}");
}

/// `claude --resume <id> --fork-session`: the fork's transcript replays the parent's 6 main-agent
/// requests under the fork's session id before its own new one. Replayed through the binary, the
/// parent's `SessionEnd` then the whole fork run, every `SessionEnd` delivered twice (once again by the
/// same state, once more from a fresh state dir, as a lost cursor or a second machine would), the
/// pipes count the 9 unique requests (8 of the parent: 6 main + 2 subagent, 1 new) and their cost
/// is Claude Code's own cumulative total for the fork.
#[tokio::test(flavor = "multi_thread")]
async fn a_forked_session_counts_its_parents_requests_once() {
    let (_server, client, mut sandbox) = deployed_sandbox().await;
    sandbox.place_transcripts("v2.1.331", "resume-fork/fork");
    let parent_end = session_end(&resume_fork_hooks("resume"));
    let fork = resume_fork_hooks("fork");
    hook_ok(&sandbox, &parent_end);
    for payload in &fork {
        hook_ok(&sandbox, payload);
    }
    let fork_end = session_end(&fork);
    hook_ok(&sandbox, &parent_end);
    hook_ok(&sandbox, &fork_end);
    let fresh = tempfile::tempdir().expect("second state dir");
    sandbox.set("ATEL_STATE_DIR", &fresh.path().display().to_string());
    hook_ok(&sandbox, &parent_end);
    hook_ok(&sandbox, &fork_end);
    assert_eq!(sandbox.spooled_lines(), 0, "everything was delivered");

    // The copies did reach the table (15 per delivery round, minus what merges already dropped).
    let raw = client
        .sql_json("SELECT toUInt32(count()) AS n FROM api_requests")
        .await
        .expect("raw count")["data"][0]["n"]
        .as_u64()
        .expect("a count");
    assert!(raw >= 9, "{raw} raw rows");

    let models = client
        .cost_by_model()
        .days(DAYS)
        .await
        .expect("cost_by_model");
    assert_eq!(models.len(), 1, "{models:?}");
    let model = &models[0];
    // Claude Code's modelUsage for the fork: 947 input and 317 output tokens over the 9 requests.
    assert_eq!(
        (
            model.model.as_str(),
            model.request_count,
            model.total_input,
            model.total_output
        ),
        ("claude-opus-5-5", 9, 947, 317)
    );
    let claude_total = resume_fork_total("fork");
    assert!(
        (model.total_cost_usd - claude_total).abs() < 1e-6,
        "{} != Claude Code's {claude_total}",
        model.total_cost_usd
    );

    // The fork's own session holds only its new request; the replayed ones stay the parent's.
    let fork_id = fork_end["session_id"].as_str().expect("fork session id");
    let parent_id = parent_end["session_id"]
        .as_str()
        .expect("parent session id");
    let sessions = client
        .session_overview()
        .days(DAYS)
        .await
        .expect("session_overview");
    let cost_of = |id: &str| {
        sessions
            .iter()
            .find(|s| s.session_id == id)
            .map(|s| s.total_cost_usd)
    };
    let (fork_cost, parent_cost) = (cost_of(fork_id), cost_of(parent_id));
    let (Some(fork_cost), Some(parent_cost)) = (fork_cost, parent_cost) else {
        panic!("both sessions in {sessions:?}");
    };
    assert!((fork_cost + parent_cost - claude_total).abs() < 1e-6);
    // The new request is call 11 of the fake API (input 111, output 41, cache read 6,100, cache
    // write 2,110; calls 9 and 10 went to the resume run) on claude-opus-5-5 ($4 / $20 / $0.20 / $5
    // per MTok).
    let call_11 = (111.0 * 4.0 + 41.0 * 20.0 + 6_100.0 * 0.2 + 2_110.0 * 5.0) / 1e6;
    assert!(
        (fork_cost - call_11).abs() < 1e-9,
        "{fork_cost} != {call_11}"
    );
}

/// `claude --resume <id>` appends to the same transcript: its `SessionEnd` sends only the new requests,
/// and the session's cost is Claude Code's cumulative total.
#[tokio::test(flavor = "multi_thread")]
async fn a_resumed_session_sends_only_its_new_requests() {
    let (_server, client, sandbox) = deployed_sandbox().await;
    sandbox.place_transcripts("v2.1.331", "resume-fork/resume");
    let hooks = resume_fork_hooks("resume");
    let end = session_end(&hooks);
    let main =
        std::path::PathBuf::from(sandbox.localize(&end["transcript_path"]).trim_matches('"'));
    let full = std::fs::read_to_string(&main).expect("resumed transcript");
    // The base session: the first 54 lines, as the parent session left them.
    let base: String = full.split_inclusive('\n').take(54).collect();
    std::fs::write(&main, &base).expect("write the base transcript");
    hook_ok(&sandbox, &end);
    let before = client
        .cost_by_model()
        .days(DAYS)
        .await
        .expect("cost_by_model");
    assert_eq!(before.iter().map(|m| m.request_count).sum::<u64>(), 8);

    std::fs::write(&main, &full).expect("write the resumed transcript");
    for payload in &hooks {
        hook_ok(&sandbox, payload);
    }
    hook_ok(&sandbox, &end);
    let models = client
        .cost_by_model()
        .days(DAYS)
        .await
        .expect("cost_by_model");
    assert_eq!(models.len(), 1, "{models:?}");
    let claude_total = resume_fork_total("resume");
    assert_eq!(models[0].request_count, 9);
    assert!(
        (models[0].total_cost_usd - claude_total).abs() < 1e-6,
        "{} != Claude Code's {claude_total}",
        models[0].total_cost_usd
    );
}
