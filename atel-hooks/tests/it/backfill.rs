//! `atel-hooks backfill` over the recorded Claude Code trees: into `tinybird/local` after the hooks
//! already sent the same sessions, twice, checked against a second, independent dedupe of the tree;
//! and against a wiremock Tinybird for unreadable files, `--since`, `--dry-run` and a server that
//! is down.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use atel_sdk::telemetry::pipes::{
    AgentUsageSummaryExt as _, CostByModelExt as _, SessionOverviewExt as _,
};
use serde_json::Value;

use crate::local::{
    DAYS, deployed_sandbox, hook_ok, resume_fork_hooks, resume_fork_total, session_end,
};
use crate::support::{Sandbox, dead_url, fixtures_dir, sent_rows, sequence, tinybird};

const MAIN_SESSION: &str = "4d63b439-5f55-4fd7-8af2-6edbd86ed35f";
const FORK_PARENT: &str = "a5a72b1c-bb95-4dee-84f2-f9101daab25f";
const FORK: &str = "9bf15b04-9291-4ea7-970b-e26fba76475b";

/// Token totals of unique requests.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Totals {
    requests: u64,
    input: u64,
    output: u64,
    cache_read: u64,
    cache_creation: u64,
}

/// A second implementation of the dedupe, knowing nothing of the scanner: every line of every
/// `*.jsonl` under `dir` as a `serde_json::Value`; an `assistant` line with `message.id` and
/// `message.usage` and a model other than `<synthetic>` is a copy of the request `message.id` +
/// `requestId`; of its copies, the one with the most tokens counts.
fn independent_dedupe(dir: &Path) -> Totals {
    fn files(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files(&path, out);
            } else if path.extension().is_some_and(|e| e == "jsonl") {
                out.push(path);
            }
        }
    }
    let mut paths = Vec::new();
    files(dir, &mut paths);
    let mut best: HashMap<(String, String), [u64; 4]> = HashMap::new();
    for path in paths {
        for line in std::fs::read_to_string(&path).unwrap().lines() {
            let Ok(line) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            let message = &line["message"];
            let usage = &message["usage"];
            if line["type"] != "assistant"
                || !message["id"].is_string()
                || !usage.is_object()
                || message["model"] == "<synthetic>"
            {
                continue;
            }
            let n = |key: &str| usage[key].as_u64().unwrap_or(0);
            let tokens = [
                n("input_tokens"),
                n("output_tokens"),
                n("cache_read_input_tokens"),
                n("cache_creation_input_tokens"),
            ];
            let key = (
                message["id"].as_str().unwrap().to_owned(),
                line["requestId"].as_str().unwrap_or_default().to_owned(),
            );
            let slot = best.entry(key).or_insert(tokens);
            if tokens.iter().sum::<u64>() > slot.iter().sum::<u64>() {
                *slot = tokens;
            }
        }
    }
    best.values().fold(
        Totals {
            requests: best.len() as u64,
            ..Totals::default()
        },
        |t, [i, o, r, c]| Totals {
            input: t.input + i,
            output: t.output + o,
            cache_read: t.cache_read + r,
            cache_creation: t.cache_creation + c,
            ..t
        },
    )
}

fn projects(sandbox: &Sandbox) -> PathBuf {
    sandbox.home().join(".claude/projects")
}

fn claude_total(scenario: &str) -> f64 {
    let path = fixtures_dir().join(format!("v2.1.331/{scenario}/claude-result.json"));
    let result: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    result["total_cost_usd"].as_f64().unwrap()
}

/// The `main` session (a subagent, a skill) and the `resume-fork/fork` tree (a parent and its fork,
/// which replays the parent's 6 main-agent requests), with the hooks having recorded the whole main
/// session and the parent's `SessionEnd` already; then `backfill` twice. Every request counts once,
/// as a second implementation of the dedupe counts them, every subagent run once, and the costs are
/// Claude Code's own.
#[tokio::test(flavor = "multi_thread")]
async fn backfill_counts_every_request_once_after_the_hooks_and_twice_over() {
    let (_server, client, mut sandbox) = deployed_sandbox().await;
    sandbox.set("TZ", "UTC");
    sandbox.place_transcripts("v2.1.331", "main");
    sandbox.place_transcripts("v2.1.331", "resume-fork/fork");
    for payload in sequence("v2.1.331", "main") {
        hook_ok(&sandbox, &payload);
    }
    hook_ok(&sandbox, &session_end(&resume_fork_hooks("resume")));

    for round in 1..=2 {
        let run = sandbox.run(&["backfill"], b"");
        assert_eq!(run.code, Some(0), "round {round}: {run:?}");
        assert_eq!(run.stderr, "", "round {round}: {run:?}");
        assert!(
            run.stdout.starts_with("Backfill done: 5 transcripts from "),
            "{run:?}"
        );
        assert!(
            run.stdout
                .contains("requests   17 unique (23 counting the copies in forks and other files)"),
            "{}",
            run.stdout
        );
        assert!(
            run.stdout
                .contains("sent       17 api_requests + 4 agent_activations rows"),
            "{}",
            run.stdout
        );
    }

    let expected = independent_dedupe(&projects(&sandbox));
    assert_eq!(expected.requests, 8 + 9, "{expected:?}");
    let models = client
        .cost_by_model()
        .days(DAYS)
        .await
        .expect("cost_by_model");
    assert_eq!(models.len(), 1, "{models:?}");
    let model = &models[0];
    assert_eq!(
        (model.request_count, model.total_input, model.total_output),
        (expected.requests, expected.input, expected.output)
    );
    let cache = client
        .sql_json(
            "SELECT toUInt64(sum(cache_read_tokens)) AS r, toUInt64(sum(cache_creation_tokens)) AS c \
             FROM api_requests FINAL",
        )
        .await
        .expect("cache totals");
    let cache = &cache["data"][0];
    let number = |v: &Value| v.as_u64().or_else(|| v.as_str()?.parse().ok()).unwrap();
    assert_eq!(
        (number(&cache["r"]), number(&cache["c"])),
        (expected.cache_read, expected.cache_creation)
    );
    let expected_cost = claude_total("main") + resume_fork_total("fork");
    assert!(
        (model.total_cost_usd - expected_cost).abs() < 1e-6,
        "{} != {expected_cost}",
        model.total_cost_usd
    );

    // Per session: the fork tree's two sessions cost what Claude Code said the fork cost in all
    // (0.112418, cumulative over the parent), the main session what it said for that run.
    let sessions = client
        .session_overview()
        .days(DAYS)
        .await
        .expect("session_overview");
    let cost_of = |id: &str| {
        sessions
            .iter()
            .find(|s| s.session_id == id)
            .map_or_else(|| panic!("{id} in {sessions:?}"), |s| s.total_cost_usd)
    };
    let fork_tree = cost_of(FORK_PARENT) + cost_of(FORK);
    assert!(
        (fork_tree - 0.112_418).abs() < 1e-6
            && (fork_tree - resume_fork_total("fork")).abs() < 1e-6,
        "{fork_tree}"
    );
    assert!((cost_of(MAIN_SESSION) - claude_total("main")).abs() < 1e-6);
    assert_eq!(sessions.len(), 3, "{sessions:?}");
    let tokens: u64 = sessions.iter().map(|s| s.total_tokens).sum();
    assert_eq!(
        tokens,
        expected.input + expected.output + expected.cache_read + expected.cache_creation
    );

    // Two subagent runs (the main session's, recorded by the hooks too, and the fork parent's),
    // each once, with the tokens of their transcripts.
    let agents = client
        .agent_usage_summary()
        .days(DAYS)
        .await
        .expect("agent_usage_summary");
    assert_eq!(agents.len(), 1, "{agents:?}");
    let runs: Vec<Totals> = ["4d63b439-5f55-4fd7-8af2-6edbd86ed35f", FORK_PARENT]
        .iter()
        .map(|session| {
            let dir = std::fs::read_dir(projects(&sandbox))
                .unwrap()
                .map(|e| e.unwrap().path().join(session).join("subagents"))
                .find(|d| d.is_dir())
                .unwrap();
            independent_dedupe(&dir)
        })
        .collect();
    let agent = &agents[0];
    assert_eq!(
        (
            agent.agent_type.as_str(),
            agent.invocations,
            agent.total_input,
            agent.total_output,
            agent.total_cache_read
        ),
        (
            "general-purpose",
            2,
            runs[0].input + runs[1].input,
            runs[0].output + runs[1].output,
            runs[0].cache_read + runs[1].cache_read
        )
    );
    let starts = client
        .sql_json(
            "SELECT toUInt32(uniqExact(agent_id)) AS n FROM agent_activations WHERE event = 'start'",
        )
        .await
        .expect("start rows")["data"][0]["n"]
        .as_u64();
    assert_eq!(starts, Some(2));
}

fn wiremock_sandbox(url: &str) -> Sandbox {
    let mut sandbox = Sandbox::new(url);
    sandbox.set("TZ", "UTC");
    sandbox.place_transcripts("v2.1.331", "main");
    sandbox.place_transcripts("v2.1.331", "resume-fork/fork");
    sandbox
}

/// `(datasource, message_id or agent_id + event)` of every row the server got, sorted.
async fn received(server: &wiremock::MockServer) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = sent_rows(server)
        .await
        .into_iter()
        .map(|(ds, row)| {
            let id = if ds == "api_requests" {
                row["message_id"].as_str().unwrap().to_owned()
            } else {
                format!(
                    "{}/{}",
                    row["agent_id"].as_str().unwrap(),
                    row["event"].as_str().unwrap()
                )
            };
            (ds, id)
        })
        .collect();
    rows.sort();
    rows
}

fn count(rows: &[(String, String)], ds: &str) -> usize {
    rows.iter().filter(|(d, _)| d == ds).count()
}

#[tokio::test]
async fn unreadable_files_are_reported_one_line_each_and_the_rest_is_imported() {
    let server = tinybird().await;
    let sandbox = wiremock_sandbox(&server.uri());
    let slug = projects(&sandbox).join("-home-dev-work-project-main");
    std::fs::create_dir(slug.join("x.jsonl")).unwrap();
    std::os::unix::fs::symlink(slug.join("gone"), slug.join("dangling.jsonl")).unwrap();
    // A file without read permission (root reads it anyway: then it is just another transcript).
    let locked = slug.join("locked.jsonl");
    std::fs::write(&locked, "{}\n").unwrap();
    std::fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
    let locked_out = std::fs::File::open(&locked).is_err();

    let run = sandbox.run(&["backfill"], b"");
    assert_eq!(run.code, Some(1), "{run:?}");
    let lines: Vec<&str> = run.stderr.lines().collect();
    let mut unreadable = vec![
        format!(
            "atel-hooks: cannot read {}: No such file or directory (os error 2)",
            slug.join("dangling.jsonl").display()
        ),
        format!(
            "atel-hooks: cannot read {}: is a directory",
            slug.join("x.jsonl").display()
        ),
    ];
    if locked_out {
        unreadable.insert(
            1,
            format!(
                "atel-hooks: cannot read {}: Permission denied (os error 13)",
                locked.display()
            ),
        );
    }
    let n = unreadable.len();
    assert_eq!(lines[..n], unreadable, "{run:?}");
    assert_eq!(
        lines[n..],
        [format!(
            "atel-hooks: {n} files could not be read (listed above); the rest was imported"
        )],
        "{run:?}"
    );
    assert!(
        run.stdout
            .contains(&format!("skipped    {n} unreadable files (listed above)")),
        "{}",
        run.stdout
    );
    let rows = received(&server).await;
    assert_eq!(count(&rows, "api_requests"), 17, "{rows:?}");
    assert_eq!(count(&rows, "agent_activations"), 4, "{rows:?}");
}

#[tokio::test]
async fn since_leaves_out_what_happened_before_that_local_day() {
    // The main session ran on 2026-11-25 (UTC), the fork tree on 2026-12-01 around 14:19 UTC.
    let server = tinybird().await;
    let mut sandbox = wiremock_sandbox(&server.uri());
    let run = sandbox.run(&["backfill", "--since", "2026-11-30"], b"");
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(
        run.stdout.contains(
            "since      2026-11-30 (local time): left out 8 requests and 1 run before it"
        ),
        "{}",
        run.stdout
    );
    let rows = received(&server).await;
    assert_eq!(count(&rows, "api_requests"), 9, "{rows:?}");
    assert_eq!(
        rows.iter()
            .filter(|(ds, _)| ds == "agent_activations")
            .map(|(_, id)| id.as_str())
            .collect::<Vec<_>>(),
        ["a1d59c4b21e1e2fe8/start", "a1d59c4b21e1e2fe8/stop"]
    );

    // In UTC the whole tree is before 2026-12-02; ten hours east, its 14:19 is 00:19 on the 2nd.
    let server = tinybird().await;
    sandbox.url = server.uri();
    let run = sandbox.run(&["backfill", "--since", "20261202"], b"");
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(
        run.stdout
            .contains("sent       0 api_requests + 0 agent_activations rows")
    );
    assert_eq!(received(&server).await, []);
    sandbox.set("TZ", "XXX-10");
    let run = sandbox.run(&["backfill", "--since", "2026-12-02"], b"");
    assert_eq!(run.code, Some(0), "{run:?}");
    let rows = received(&server).await;
    assert_eq!(
        (
            count(&rows, "api_requests"),
            count(&rows, "agent_activations")
        ),
        (9, 2)
    );

    let run = sandbox.run(&["backfill", "--since", "last week"], b"");
    assert_eq!(run.code, Some(1));
    assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
    assert!(
        run.stderr
            .contains("`last week` is not a date (YYYY-MM-DD)"),
        "{run:?}"
    );
}

#[tokio::test]
async fn a_dry_run_sends_nothing() {
    let server = tinybird().await;
    let sandbox = wiremock_sandbox(&server.uri());
    let run = sandbox.run(&["backfill", "--dry-run", "--json"], b"");
    assert_eq!(run.code, Some(0), "{run:?}");
    let summary: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        (
            &summary["files"],
            &summary["sessions"],
            &summary["requests"],
            &summary["agent_runs"],
            &summary["dry_run"],
            &summary["sent"]
        ),
        (
            &Value::from(5),
            &Value::from(3),
            &Value::from(17),
            &Value::from(2),
            &Value::from(true),
            &Value::Null
        )
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[test]
fn a_failed_send_says_re_running_is_safe() {
    let sandbox = wiremock_sandbox(&dead_url());
    let run = sandbox.run(&["backfill"], b"");
    assert_eq!(run.code, Some(1), "{run:?}");
    assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
    assert!(
        run.stderr
            .starts_with("atel-hooks: sending api_requests failed after 0 of 21 rows were sent: "),
        "{run:?}"
    );
    assert!(
        run.stderr
            .contains("re-running `atel-hooks backfill` is safe"),
        "{run:?}"
    );
    assert!(
        run.stdout.contains("sent       nothing (see the error)"),
        "{}",
        run.stdout
    );
}

/// `CLAUDE_CONFIG_DIR` (a comma-separated list) replaces the default directories; `--projects`
/// replaces both.
#[tokio::test]
async fn the_directories_come_from_claude_config_dir_or_projects() {
    let server = tinybird().await;
    let mut sandbox = Sandbox::new(&server.uri());
    let elsewhere = sandbox.root.path().join("elsewhere");
    std::fs::create_dir_all(elsewhere.join("projects")).unwrap();
    sandbox.place_transcripts("v2.1.331", "main");
    std::fs::rename(projects(&sandbox), elsewhere.join("projects/moved")).unwrap();
    let run = sandbox.run(&["backfill", "--dry-run"], b"");
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stderr.contains("no Claude Code transcripts"), "{run:?}");

    sandbox.set(
        "CLAUDE_CONFIG_DIR",
        &format!("/nowhere,{}", elsewhere.display()),
    );
    let run = sandbox.run(&["backfill", "--dry-run"], b"");
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.contains("2 transcripts from "), "{}", run.stdout);

    let run = sandbox.run(
        &[
            "backfill",
            "--dry-run",
            "--projects",
            &fixtures_dir()
                .join("v2.1.331/resume-fork/fork/transcripts")
                .display()
                .to_string(),
        ],
        b"",
    );
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.contains("3 transcripts from "), "{}", run.stdout);
}
