//! `atel-hooks backfill`: imports every past Claude Code session from the transcripts on disk, so a
//! new user sees their history at once.
//!
//! # What is read
//! Every `*.jsonl` under the `projects` directories: `--projects DIR` (repeatable), else the ones
//! Claude Code and ccusage use — each entry of `CLAUDE_CONFIG_DIR` (comma-separated: a config
//! directory holding `projects/`, or a `projects/` directory), or when it is unset those of
//! `$XDG_CONFIG_HOME/claude/projects` (`~/.config/claude/projects`) and `~/.claude/projects` that
//! exist ([`discover`]). Session transcripts are `<slug>/<session>.jsonl`; subagent transcripts
//! `<slug>/<session>/subagents/agent-<id>.jsonl`, with `agent-<id>.meta.json` beside them. The files
//! are scanned on every core, largest first ([`scan`]).
//!
//! # What is sent
//! - `api_requests`: one row per unique API request over **all** the files, built exactly as
//!   `SessionEnd` builds it (`rows::request_row`): keyed by `message.id` + `requestId`, the copy
//!   with the most tokens, attributed to the session that made it (`requestSessionId` on the lines a
//!   forked session replays from its parent). `<synthetic>` placeholders are not requests, and
//!   neither is a parent's message that a sidechain log (`/btw`, a subagent) wrote again under its
//!   own `requestId` ([`scan`]).
//! - `agent_activations`: per subagent transcript, a `stop` row with the usage `SubagentStop`
//!   records (`rows::add_run_usage`: the tokens of the transcript's unique responses, the model
//!   with the most output tokens, first-to-last duration), stamped with the transcript's last line;
//!   `agent_type` from the meta file, `agent_id` from the file name, `session_id` from the path. And a
//!   `start` row stamped with its first line: the table then holds what the hooks would have written
//!   for the run (a start and a stop), so a count of starts (runs launched) covers the history too,
//!   and it costs one small row per run.
//!
//! Re-running is safe, and so is running after (or before) the hooks recorded the same sessions:
//! every row carries the ids of its source, and the pipes count each id once (`api_requests` is a
//! `ReplacingMergeTree` read with `FINAL`; `agent_activations` keeps one stop row per `agent_id`).
//!
//! `--since DATE` (`YYYY-MM-DD` or `YYYYMMDD`, a day in **local** time, like ccusage's `--since` and
//! the days of its reports) leaves out the requests stamped before that day's midnight, and the
//! runs that ended before it (both rows of a run are sent, or neither). `--dry-run` scans and
//! prints the summary without connecting; `--json` prints the summary as JSON.
//!
//! # How it is sent
//! Straight to Tinybird through [`TinybirdClient::ingest`] (not through the spool: a history is made
//! again from the files, it needs no durable copy), sorted by time, in batches of [`BATCH_ROWS`]
//! rows, one request after another under the client's retry policy (429 waits for `Retry-After`),
//! each with [`SEND_DEADLINE`] across its retries. Sending is bound by the server, not the client:
//! into `tinybird/local` 33,550 rows took 2.3 s of which the client spent under 0.1 s of CPU, and
//! that server writes one ingest at a time, so requests in parallel would only queue. The client comes from the same chain as every other command
//! (`TINYBIRD_TOKEN` / `TINYBIRD_URL`, `TB_TOKEN` / `TB_HOST`, `.tinyb`, Tinybird Local). The first
//! send that fails stops the run with an error saying what was sent; re-running sends everything
//! again, harmlessly.
//!
//! # What it prints
//! A progress bar on stderr when stderr is a terminal; one `atel-hooks: cannot read PATH: WHY` line
//! on stderr per file that could not be read (the others are imported); then the summary on stdout.
//! Exit 1 when a file could not be read, a send failed, or rows went to quarantine; 0 otherwise.

pub mod discover;
pub mod scan;
pub mod summary;

use std::io::{self, IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use atel_sdk::telemetry::AgentEvent;
use atel_sdk::{Datasource, TinybirdClient};
use chrono::{DateTime, Local, NaiveDate, TimeZone as _, Utc};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use crate::cli::Outcome;
use crate::deliver;
use scan::Scanned;
use summary::{Sent, Summary, Tokens};

/// Rows per `ingest` call: about 6.5 MB of `api_requests` NDJSON (rows are ~330 bytes), so one
/// request each under the client's 8 MB body limit. Large enough that a request's fixed cost
/// disappears, small enough that the progress bar moves.
pub const BATCH_ROWS: usize = 20_000;

/// The client's deadline for one request across its retries: a large body on a slow link, plus the
/// backoff of the client's retries, fits easily; a server that stays away longer is down.
pub const SEND_DEADLINE: Duration = Duration::from_mins(5);

/// How long building the client may take (asking Tinybird Local for its token).
const CONNECT_BUDGET: Duration = Duration::from_secs(30);

/// The options of one run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// `--projects DIR`: the `projects` directories to read instead of the default ones.
    pub projects: Vec<PathBuf>,
    /// `--since DATE`: leave out what happened before this (local) day.
    pub since: Option<NaiveDate>,
    /// `--dry-run`: scan and summarize, send nothing.
    pub dry_run: bool,
    /// `--json`: print the summary as JSON.
    pub json: bool,
}

/// `--since`: `YYYY-MM-DD` or `YYYYMMDD`.
pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    let text = text.trim();
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%Y%m%d"))
        .map_err(|_| format!("`{text}` is not a date (YYYY-MM-DD)"))
}

/// The first instant of `day` in the local time zone (`TZ`, else the system's); a midnight that
/// does not exist (a DST jump) is the first instant after it.
pub fn local_midnight(day: NaiveDate) -> DateTime<Utc> {
    let midnight = day.and_time(chrono::NaiveTime::MIN);
    (0..=3)
        .find_map(|hours| {
            Local
                .from_local_datetime(&(midnight + chrono::Duration::hours(hours)))
                .earliest()
        })
        .map_or_else(|| midnight.and_utc(), |t| t.with_timezone(&Utc))
}

/// `atel-hooks backfill`.
pub fn run(options: &Options) -> Outcome {
    let started = Instant::now();
    let dirs = if options.projects.is_empty() {
        match discover::default_dirs(|key| std::env::var(key).ok()) {
            Ok(dirs) => dirs,
            Err(err) => return Outcome::fail(err),
        }
    } else {
        options
            .projects
            .iter()
            .map(|d| discover::given_dir(d))
            .collect()
    };
    let found = discover::find(&dirs);
    let total_bytes: u64 = found.transcripts.iter().map(|t| t.len).sum();

    let bar = progress_bar(
        total_bytes,
        "{prefix} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)",
        "scanning",
    );
    let now = Utc::now();
    let scan_started = Instant::now();
    let mut scanned = scan::scan_all(
        &found.transcripts,
        scan::workers(usize::MAX),
        now,
        &|bytes| bar.inc(bytes),
    );
    let scan_seconds = scan_started.elapsed().as_secs_f64();
    bar.finish_and_clear();

    let mut problems = found.problems;
    problems.append(&mut scanned.problems);
    problems.sort();
    {
        let mut stderr = io::stderr().lock();
        for (path, why) in &problems {
            let _ = writeln!(stderr, "atel-hooks: cannot read {}: {why}", path.display());
        }
    }

    let (requests_before, runs_before) = options
        .since
        .map_or((0, 0), |day| keep_since(&mut scanned, local_midnight(day)));
    let mut summary = summarize(&scanned);
    summary.directories = dirs.iter().map(|d| d.display().to_string()).collect();
    summary.unreadable_files = problems.len() as u64;
    summary.scan_seconds = scan_seconds;
    summary.since = options.since.map(|d| d.format("%Y-%m-%d").to_string());
    summary.requests_before_since = requests_before;
    summary.agent_runs_before_since = runs_before;
    summary.dry_run = options.dry_run;

    let mut errors = Vec::new();
    if !problems.is_empty() {
        errors.push(format!(
            "{} could not be read (listed above); the rest was {}",
            match problems.len() {
                1 => "1 file".to_owned(),
                n => format!("{n} files"),
            },
            if options.dry_run {
                "scanned"
            } else {
                "imported"
            }
        ));
    }
    if !options.dry_run {
        match send(&scanned) {
            Ok(sent) => {
                if sent.quarantined_rows > 0 {
                    errors.push(format!(
                        "{} rows went to a quarantine datasource (`<datasource>_quarantine` in \
                         Tinybird): the datasources do not match this version of atel-hooks; run \
                         `atel-hooks deploy`",
                        sent.quarantined_rows
                    ));
                }
                summary.sent = Some(sent);
            }
            Err(err) => errors.push(err),
        }
    }
    summary.seconds = started.elapsed().as_secs_f64();

    let stdout = if options.json {
        serde_json::to_string_pretty(&summary).unwrap_or_default() + "\n"
    } else {
        summary.render()
    };
    Outcome {
        stdout,
        failed: !errors.is_empty(),
        stderr: (!errors.is_empty()).then(|| errors.join("; ")),
    }
}

/// A bar on stderr, hidden when stderr is not a terminal.
fn progress_bar(len: u64, template: &str, prefix: &'static str) -> ProgressBar {
    let target = if io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(len), target).with_prefix(prefix);
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Leaves out the requests stamped before `since` and the runs that ended before it; returns how
/// many of each.
fn keep_since(scanned: &mut Scanned, since: DateTime<Utc>) -> (u64, u64) {
    let requests = scanned.requests.len();
    scanned.requests.retain(|r| r.timestamp >= since);
    let ended_before: std::collections::HashSet<String> = scanned
        .agents
        .iter()
        .filter(|a| a.event == AgentEvent::Stop && a.timestamp < since)
        .map(|a| a.agent_id.clone())
        .collect();
    scanned
        .agents
        .retain(|a| !ended_before.contains(&a.agent_id));
    (
        (requests - scanned.requests.len()) as u64,
        ended_before.len() as u64,
    )
}

fn summarize(scanned: &Scanned) -> Summary {
    let totals = &scanned.totals;
    let mut tokens = Tokens::default();
    let mut cost_usd = 0.0;
    for r in &scanned.requests {
        tokens.input += r.input_tokens;
        tokens.output += r.output_tokens;
        tokens.cache_read += r.cache_read_tokens;
        tokens.cache_write += r.cache_creation_tokens;
        cost_usd += r.cost_usd;
    }
    let stops = || {
        scanned
            .agents
            .iter()
            .filter(|a| a.event == AgentEvent::Stop)
    };
    Summary {
        files: totals.files,
        session_files: totals.session_files,
        subagent_files: totals.subagent_files,
        bytes: totals.bytes,
        sessions: scanned.sessions,
        requests: scanned.requests.len() as u64,
        request_copies: totals.request_copies,
        sidechain_replays: totals.sidechain_replays,
        tokens,
        cost_usd,
        estimated_requests: scanned.estimated,
        agent_runs: stops().count() as u64,
        agent_runs_without_usage: stops().filter(|a| a.model.is_empty()).count() as u64,
        agent_runs_without_type: stops().filter(|a| a.agent_type.is_empty()).count() as u64,
        malformed_lines: totals.malformed_lines,
        truncated_files: totals.truncated_files,
        ..Summary::default()
    }
}

/// Connects and sends every row, `api_requests` first. `Err` is the line to print.
fn send(scanned: &Scanned) -> Result<Sent, String> {
    let rows = scanned.requests.len() + scanned.agents.len();
    let bar = progress_bar(
        rows as u64,
        "{prefix} [{bar:30}] {human_pos}/{human_len} rows ({per_sec}, {eta} left)",
        "sending",
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| format!("cannot start the async runtime: {err}"))?;
    let result = runtime.block_on(async {
        let client = deliver::connect(SEND_DEADLINE, tokio::time::Instant::now() + CONNECT_BUDGET)
            .await
            .map_err(|err| format!("nothing sent: {err}"))?;
        let started = Instant::now();
        let mut sent = Sent::default();
        let mut sender = Sender {
            client: &client,
            bar: &bar,
            sent: 0,
            total: rows,
        };
        let requests = sender.all(&scanned.requests).await?;
        sent.api_requests = scanned.requests.len() as u64;
        let agents = sender.all(&scanned.agents).await?;
        sent.agent_activations = scanned.agents.len() as u64;
        sent.quarantined_rows = requests + agents;
        sent.seconds = started.elapsed().as_secs_f64();
        Ok(sent)
    });
    runtime.shutdown_background();
    bar.finish_and_clear();
    result
}

struct Sender<'a> {
    client: &'a TinybirdClient,
    bar: &'a ProgressBar,
    sent: usize,
    total: usize,
}

impl Sender<'_> {
    /// Sends `rows` in batches; returns the quarantined count.
    async fn all<D: Datasource + Serialize>(&mut self, rows: &[D]) -> Result<u64, String> {
        let mut quarantined = 0;
        for batch in rows.chunks(BATCH_ROWS) {
            match self.client.ingest(batch).await {
                Ok(summary) => quarantined += summary.quarantined_rows,
                Err(err) => {
                    return Err(format!(
                        "sending {} failed after {} of {} rows were sent: {err}; re-running \
                         `atel-hooks backfill` is safe (every row is identified by its ids, so a \
                         row sent twice counts once)",
                        D::NAME,
                        self.sent,
                        self.total
                    ));
                }
            }
            self.sent += batch.len();
            self.bar.inc(batch.len() as u64);
        }
        Ok(quarantined)
    }
}
