//! Exact numbers under faults: the real hook binary, from parallel processes, against `tinybird/local`
//! behind the fault proxy, through every kind of outage, then recovery and `atel-hooks flush`.
//!
//! Each phase switches the proxy to one fault, fires its Skill events from `WORKERS` threads spread
//! over `PHASE`, then restores the network and flushes: what the server wrote during a phase (the
//! proxy counts `successful_rows` of every events answer, seen by the hook or not) against the
//! phase's events is that phase's amplification. A last phase with the network healthy shows the hooks
//! deliver by themselves again.
//!
//! The raw row count of `skill_activations` (without `FINAL`) is checked too, but `tinybird/local`'s
//! merges drop copies within seconds, so the proxy's count is the measure. Run with `--nocapture` for
//! the numbers; `ATEL_HOOKS_BIN=<another build>` measures that build against the same scenario.

use std::time::{Duration, Instant};

use atel_sdk::client::DeployOptions;
use atel_sdk::telemetry::pipes::SkillFrequencyExt as _;
use atel_tests::fault_proxy::{Fault, FaultProxy};
use atel_tests::server::{LocalServer, repo_root};

use crate::support::{Run, Sandbox, skill_payload};

/// Parallel threads spawning hooks.
const WORKERS: usize = 4;
/// Skill events per phase.
const PER_PHASE: usize = 100;
/// How long a phase's events are spread over.
const PHASE: Duration = Duration::from_millis(1500);
/// The hooks' network budget.
const BUDGET: Duration = Duration::from_millis(300);
/// What a hook process may take past its budget: start-up and spooling on a loaded machine.
const PROCESS_MARGIN: Duration = Duration::from_secs(1);
/// How late the slow server answers: well past the budget, so every such request times out after the
/// server wrote its rows.
const LATE: Duration = Duration::from_secs(1);

/// The phases, in order, each followed by recovery and a flush.
fn phases() -> Vec<(&'static str, Fault)> {
    vec![
        ("refused", Fault::Refuse),
        (
            "429",
            Fault::TooManyRequests {
                retry_after: Duration::from_secs(1),
            },
        ),
        ("500", Fault::ServerError),
        ("hang", Fault::Hang),
        ("answer-late", Fault::AnswerLate(LATE)),
        ("reset", Fault::Reset),
        (
            "flapping",
            Fault::Flapping(Box::new(Fault::AnswerLate(LATE))),
        ),
        ("healthy", Fault::PassThrough),
    ]
}

/// Fires events `first..first + PER_PHASE` from `WORKERS` threads, each run at its slot in `PHASE`.
fn fire(sandbox: &Sandbox, first: usize) -> Vec<(usize, Run)> {
    let per_worker = PER_PHASE / WORKERS;
    let interval = PHASE / u32::try_from(per_worker).unwrap();
    let start = Instant::now();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..WORKERS)
            .map(|worker| {
                scope.spawn(move || {
                    let mut runs = Vec::new();
                    for k in 0..per_worker {
                        // Workers start staggered within the first interval.
                        let at = interval * u32::try_from(k).unwrap()
                            + interval / u32::try_from(WORKERS).unwrap()
                                * u32::try_from(worker).unwrap();
                        if let Some(wait) = (start + at).checked_duration_since(Instant::now()) {
                            std::thread::sleep(wait);
                        }
                        let n = first + k * WORKERS + worker;
                        runs.push((n, sandbox.hook(&skill_payload(n))));
                    }
                    runs
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    })
}

/// `part` as a percentage of `whole`.
fn percent(part: u64, whole: u64) -> f64 {
    let f = |n: u64| f64::from(u32::try_from(n).unwrap());
    100.0 * f(part) / f(whole)
}

async fn raw_rows(client: &atel_sdk::TinybirdClient) -> u64 {
    client
        .sql_json("SELECT toUInt32(count()) AS n FROM skill_activations")
        .await
        .expect("raw count")["data"][0]["n"]
        .as_u64()
        .expect("a count")
}

#[expect(clippy::print_stderr, reason = "the numbers this test measures")]
#[tokio::test(flavor = "multi_thread")]
async fn hundreds_of_events_through_every_fault_lose_nothing_and_barely_amplify() {
    let started = Instant::now();
    let server = LocalServer::start();
    let client = server.client();
    client
        .deploy(repo_root().join("tinybird"), DeployOptions::default())
        .await
        .expect("deploy tinybird/");
    let proxy = FaultProxy::start(&server.url).await;
    let mut sandbox = Sandbox::new(&proxy.url);
    sandbox.set("TINYBIRD_TOKEN", &server.token);
    sandbox.set("ATEL_BUDGET_MS", &BUDGET.as_millis().to_string());
    let ready = started.elapsed();

    let mut events = 0;
    let mut written_before = 0;
    let mut slowest = Duration::ZERO;
    let mut report = Vec::new();
    for (name, fault) in phases() {
        let phase_started = Instant::now();
        proxy.set(fault).await;
        let runs = tokio::task::block_in_place(|| fire(&sandbox, events));
        events += runs.len();
        for (n, run) in &runs {
            assert_eq!(run.code, Some(0), "{name} #{n}: {run:?}");
            assert_eq!(run.stdout, "", "{name} #{n}: {run:?}");
            assert!(run.stderr.lines().count() <= 1, "{name} #{n}: {run:?}");
            assert!(
                run.elapsed < BUDGET + PROCESS_MARGIN,
                "{name} #{n} took {:?}: {run:?}",
                run.elapsed
            );
            slowest = slowest.max(run.elapsed);
        }
        let spooled = sandbox.spooled_lines();
        proxy.set(Fault::PassThrough).await;
        let flush = tokio::task::block_in_place(|| sandbox.run(&["flush"], b""));
        assert_eq!(flush.code, Some(0), "{name}: {flush:?}");
        assert_eq!(sandbox.spooled_lines(), 0, "{name}: {flush:?}");
        let written = proxy.stats().written_rows;
        let phase_written = written - written_before;
        written_before = written;
        let extra = phase_written.saturating_sub(runs.len() as u64);
        let raw = raw_rows(&client).await;
        report.push(format!(
            "{name:>11}: {} events, {spooled:>3} spooled before the flush, {phase_written:>4} rows written \
             ({extra:>4} extra, {:+5.0}%), raw rows so far {raw:>4}, {:.1} s",
            runs.len(),
            percent(extra, runs.len() as u64),
            phase_started.elapsed().as_secs_f64()
        ));
    }
    let raw = raw_rows(&client).await;
    let written = proxy.stats().written_rows;
    let total = events as u64;
    eprintln!(
        "faults: {total} events, server ready in {:.1} s, whole test {:.1} s, slowest hook {} ms",
        ready.as_secs_f64(),
        started.elapsed().as_secs_f64(),
        slowest.as_millis()
    );
    for line in &report {
        eprintln!("faults: {line}");
    }
    eprintln!(
        "faults: written {written} ({:+.1}%), raw rows in skill_activations {raw} ({:+.1}%)",
        percent(written.saturating_sub(total), total),
        percent(raw.saturating_sub(total), total),
    );

    // Nothing lost, nothing counted twice.
    let ids = client
        .sql_json("SELECT toUInt32(uniqExact(tool_use_id)) AS n FROM skill_activations")
        .await
        .expect("distinct ids")["data"][0]["n"]
        .as_u64();
    assert_eq!(ids, Some(total));
    let skills = client
        .skill_frequency()
        .days(7)
        .await
        .expect("skill_frequency");
    assert_eq!(skills.len(), 1, "{skills:?}");
    assert_eq!(
        (
            skills[0].skill_name.as_str(),
            skills[0].activations,
            skills[0].successes
        ),
        ("fake-skill", total, total)
    );
    assert!(!sandbox.state().join("spool.rejected").exists());
    assert!(!sandbox.state().join("spool.corrupt").exists());
    // Barely amplified: what the server wrote, and what the table holds before merges.
    assert!(raw <= written, "{raw} raw rows, {written} written");
    assert!(
        written * 4 <= total * 5,
        "{written} rows written for {total} events"
    );
}
