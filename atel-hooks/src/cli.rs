//! The subcommands, as functions returning what to print and how to exit.

use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use atel_sdk::TinybirdClient;
use atel_sdk::client::DeployOptions;
use atel_sdk::error::Report;
use chrono::Utc;
use tokio::time::Instant;

use crate::backoff::{self, Turn};
use crate::collector;
use crate::config::{Config, MAX_STDIN_BYTES};
use crate::context;
use crate::deliver::{self, Delivery};
use crate::hook::{self, Plan};
use crate::install;
use crate::launch;
use crate::otel_view::{OtelUsage, Reconciliation};
use crate::payload::HookInput;
use crate::report;
use crate::spool::{HOOK_CLAIM_BYTES, Spool};
use crate::table::plural;
use crate::usage::{self, Usage};

/// How the process exits. There is no third status: exit code 2 means "blocking error" to Claude
/// Code, and nothing here ever blocks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Exit 0: done, or a hook that failed quietly (one stderr line).
    Success,
    /// Exit 1: a command other than `hook` that did not do what was asked.
    Failure,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        match status {
            ExitStatus::Success => Self::SUCCESS,
            ExitStatus::Failure => Self::FAILURE,
        }
    }
}

/// What a subcommand prints and how the process exits. Exit codes are 0 or 1, never 2.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Printed on stdout as is.
    pub stdout: String,
    /// One line for stderr (prefixed with `atel-hooks: `).
    pub stderr: Option<String>,
    /// Exit 1 instead of 0.
    pub failed: bool,
}

impl Outcome {
    /// Success with output.
    pub fn ok(stdout: impl Into<String>) -> Self {
        Self {
            stdout: stdout.into(),
            ..Self::default()
        }
    }

    /// Success with a stderr line (what hooks do on every failure).
    pub fn warn(line: impl Into<String>) -> Self {
        Self {
            stderr: Some(line.into()),
            ..Self::default()
        }
    }

    /// Failure (exit 1) with a stderr line.
    pub fn fail(line: impl Into<String>) -> Self {
        Self {
            stderr: Some(line.into()),
            failed: true,
            ..Self::default()
        }
    }

    /// Adds `problem` to the stderr line.
    #[must_use]
    pub fn with_problem(mut self, problem: Option<String>) -> Self {
        if let Some(problem) = problem {
            self.stderr = Some(match self.stderr.take() {
                Some(line) => format!("{problem}; {line}"),
                None => problem,
            });
        }
        self
    }

    /// Puts `warnings` (the `ATEL_*` variables that could not be read) first on the stderr line.
    #[must_use]
    pub fn with_warnings(mut self, warnings: &[String]) -> Self {
        if !warnings.is_empty() {
            let mut lines = warnings.to_vec();
            lines.extend(self.stderr.take());
            self.stderr = Some(lines.join("; "));
        }
        self
    }

    /// Prints and returns how the process exits.
    pub fn emit(self) -> ExitStatus {
        if !self.stdout.is_empty() {
            let mut out = io::stdout().lock();
            let _ = out.write_all(self.stdout.as_bytes());
            let _ = out.flush();
        }
        if let Some(line) = self.stderr {
            // Always exactly one line.
            let line = line.replace(['\n', '\r'], " ");
            let _ = writeln!(io::stderr(), "atel-hooks: {line}");
        }
        if self.failed {
            ExitStatus::Failure
        } else {
            ExitStatus::Success
        }
    }
}

/// Runs `work` on a current-thread runtime and drops whatever is still in flight afterwards.
pub(crate) fn block_on<T>(work: impl Future<Output = T>) -> Result<T, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| format!("cannot start the async runtime: {err}"))?;
    let out = runtime.block_on(work);
    runtime.shutdown_background();
    Ok(out)
}

/// `atel-hooks hook [--otel ADDR]`: handles one payload from `stdin`. Always exits 0; every problem
/// is one stderr line. With `otel`, it first makes sure an OTLP receiver listens there
/// (see the crate docs).
pub fn hook(stdin: impl Read, otel: Option<SocketAddr>) -> Outcome {
    let input = match HookInput::read(stdin, MAX_STDIN_BYTES) {
        Ok(input) => input,
        Err(err) => return Outcome::warn(err.to_string()),
    };
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => return Outcome::warn(err),
    };
    if config.disabled {
        return Outcome::default();
    }
    let receiver = otel.and_then(|addr| start_receiver(addr, &config));
    let plan = match hook::plan(&input, &config.state_dir, Utc::now()) {
        Ok(plan) => plan,
        Err(err) => {
            return Outcome::warn(err)
                .with_problem(receiver)
                .with_warnings(&config.warnings);
        }
    };
    match plan {
        Plan::Ignore => Outcome::default().with_problem(receiver),
        Plan::Rows {
            rows,
            durable,
            cursors,
            warning,
        } => {
            let mut lines: Vec<String> = receiver.into_iter().chain(warning).collect();
            match record(&config, &rows, durable, cursors) {
                Ok(Some(line)) | Err(line) => lines.push(line),
                Ok(None) => {}
            }
            let outcome = if lines.is_empty() {
                Outcome::default()
            } else {
                Outcome::warn(lines.join("; "))
            };
            outcome.with_warnings(&config.warnings)
        }
        Plan::SessionStart => session_start(&config)
            .with_problem(receiver)
            .with_warnings(&config.warnings),
    }
}

/// Starts the OTLP receiver on `addr` when nothing listens there. `Some(line)`: it could not be.
fn start_receiver(addr: SocketAddr, config: &Config) -> Option<String> {
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(err) => return Some(format!("cannot start the OTLP receiver: {err}")),
    };
    launch::ensure_receiver(&exe, addr, &config.state_dir)
        .err()
        .map(|err| format!("cannot start the OTLP receiver on {addr}: {err}"))
}

/// Spools the rows, then delivers (part of) the spool within the budget. `Ok(Some(line))`: something
/// to say.
fn record(
    config: &Config,
    rows: &[crate::rows::Row],
    durable: bool,
    cursors: Option<hook::CursorUpdate>,
) -> Result<Option<String>, String> {
    let spool = open_spool(config)?;
    // Every row lands in the spool before any network step: Claude Code kills async hooks when the
    // session tears down, and a row in the spool survives that. `durable` rows (`SubagentStop`,
    // `SessionEnd`) are also synced to disk.
    spool
        .append(rows, durable)
        .map_err(|err| format!("cannot write the spool in {}: {err}", spool.dir().display()))?;
    if let Some(cursors) = cursors {
        cursors
            .save()
            .map_err(|err| format!("cannot save the transcript cursors: {err}"))?;
    }
    if !spool.has_rows() {
        return Ok(None);
    }
    // One run delivers at a time, and none inside the backoff window: the rows wait in the spool for
    // a later run, which is normal and not worth a line. A lock that cannot be used at all does not
    // stop delivery (only the backoff).
    let (turn, mut lines) = match Turn::try_take(spool.dir()) {
        Ok(Some(turn)) if turn.backoff.is_waiting(backoff::now_ms()) => return Ok(None),
        Ok(Some(turn)) => (Some(turn), Vec::new()),
        Ok(None) => return Ok(None),
        Err(err) => (None, vec![lock_problem(&spool, &err)]),
    };
    let cap = turn
        .as_ref()
        .map_or(HOOK_CLAIM_BYTES, |turn| turn.backoff.claim_cap());
    let delivery = send(&spool, config.budget, Some(cap))?;
    lines.extend(delivery.problem(&spool));
    if let Some(Err(err)) = turn.map(|turn| turn.record(&delivery)) {
        lines.push(backoff_problem(&spool, &err));
    }
    Ok((!lines.is_empty()).then(|| lines.join("; ")))
}

fn lock_problem(spool: &Spool, err: &io::Error) -> String {
    format!(
        "cannot take the delivery lock in {} ({err}); delivering without the backoff",
        spool.dir().display()
    )
}

fn backoff_problem(spool: &Spool, err: &io::Error) -> String {
    format!(
        "cannot save the delivery backoff in {}: {err}",
        spool.dir().display()
    )
}

/// The spool in the state directory.
fn open_spool(config: &Config) -> Result<Spool, String> {
    Spool::open(&config.state_dir).map_err(|err| {
        format!(
            "cannot open the spool in {}: {err}",
            config.state_dir.display()
        )
    })
}

/// Connects, then delivers the spool (at most `cap` bytes of it), all within `budget`.
fn send(spool: &Spool, budget: Duration, cap: Option<u64>) -> Result<Delivery, String> {
    block_on(async {
        let deadline = Instant::now() + budget;
        let client = deliver::connect(budget, deadline).await;
        deliver::deliver(
            spool,
            client.as_ref().map_err(String::as_str),
            cap,
            deadline,
        )
        .await
    })
}

/// `SessionStart`: asks the pipes for the last days' usage and prints the context for Claude
/// (nothing when there is no data or no server), then delivers the spool with what is left of the
/// budget: the context comes first, a backlog must not starve it.
///
/// The pipes are asked even inside the backoff window: a read cannot duplicate rows, it is one
/// request per session, bounded by the budget as always, and the context is what the user sees. Only
/// the delivery follows the backoff (and the delivery lock), like any hook run's.
fn session_start(config: &Config) -> Outcome {
    let spool = open_spool(config);
    let turn = match &spool {
        Ok(spool) if spool.has_rows() => Turn::try_take(spool.dir())
            .ok()
            .flatten()
            .filter(|turn| !turn.backoff.is_waiting(backoff::now_ms())),
        _ => None,
    };
    let budget = config.budget;
    let days = config.days;
    let result = block_on(async {
        let deadline = Instant::now() + budget;
        let client = deliver::connect(budget, deadline).await;
        let usage = match &client {
            Ok(client) => {
                match tokio::time::timeout_at(deadline, usage::session_start_usage(client, days))
                    .await
                {
                    Ok(Ok(usage)) => Ok(usage),
                    Ok(Err(err)) => Err(Report(&err).to_string()),
                    Err(_) => Err("no answer from Tinybird within the budget".to_owned()),
                }
            }
            Err(why) => Err(why.clone()),
        };
        let delivery = match (&spool, &turn) {
            (Ok(spool), Some(turn)) if Instant::now() < deadline => {
                let client = client.as_ref().map_err(String::as_str);
                let cap = Some(turn.backoff.claim_cap());
                let delivery = deliver::deliver(spool, client, cap, deadline).await;
                let saved = turn.record(&delivery).err();
                let lines: Vec<String> = delivery
                    .problem(spool)
                    .into_iter()
                    .chain(saved.map(|err| backoff_problem(spool, &err)))
                    .collect();
                (!lines.is_empty()).then(|| lines.join("; "))
            }
            (Ok(_), _) => None,
            (Err(err), _) => Some(err.clone()),
        };
        (usage, delivery)
    });
    let (usage, problem) = match result {
        Ok(done) => done,
        Err(err) => (Err(err), None),
    };
    let (stdout, usage_problem) = match usage {
        Ok((agents, insights)) => (
            context::context_text(days, &agents, &insights)
                .map(|text| context::session_start_output(&text) + "\n")
                .unwrap_or_default(),
            None,
        ),
        Err(err) => (
            String::new(),
            Some(format!("no usage summary for Claude: {err}")),
        ),
    };
    let lines: Vec<String> = usage_problem.into_iter().chain(problem).collect();
    Outcome {
        stdout,
        stderr: (!lines.is_empty()).then(|| lines.join("; ")),
        failed: false,
    }
}

/// `atel-hooks flush`: sends the whole spool, waiting at most `timeout`. Exits 1 when rows stay in
/// the spool or were refused.
///
/// An explicit action: it ignores the backoff, and a complete delivery ends it. It first waits for a
/// hook run delivering right now (which holds the delivery lock for its budget at most); should the
/// lock stay taken, it delivers anyway and leaves the backoff alone.
pub fn flush(timeout: Duration) -> Outcome {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => return Outcome::fail(err),
    };
    let outcome = match open_spool(&config) {
        Err(err) => Outcome::fail(err),
        Ok(spool) if !spool.has_rows() => Outcome::ok("nothing to flush\n"),
        Ok(spool) => {
            let started = std::time::Instant::now();
            let patience = (config.budget + Duration::from_secs(1)).min(timeout / 2);
            let turn = Turn::wait_for(spool.dir(), started + patience)
                .ok()
                .flatten();
            match send(&spool, timeout.saturating_sub(started.elapsed()), None) {
                Err(err) => Outcome::fail(err),
                Ok(delivery) => {
                    let saved = turn.and_then(|turn| turn.record_flush(&delivery).err());
                    let lines: Vec<String> = delivery
                        .problem(&spool)
                        .into_iter()
                        .chain(saved.map(|err| backoff_problem(&spool, &err)))
                        .collect();
                    Outcome {
                        stdout: if delivery.delivered > 0 || delivery.is_complete() {
                            format!("delivered {} rows\n", delivery.delivered)
                        } else {
                            String::new()
                        },
                        stderr: (!lines.is_empty()).then(|| lines.join("; ")),
                        failed: !delivery.is_complete(),
                    }
                }
            }
        }
    };
    outcome.with_warnings(&config.warnings)
}

/// How long `report`, `reconcile` and the dashboard wait for Tinybird (`flush` has its own
/// `--timeout`).
pub(crate) const INTERACTIVE_BUDGET: Duration = Duration::from_secs(30);

/// `atel-hooks report [--days N] [--json] [--otel]`.
pub fn report(days: Option<u16>, json: bool, otel: bool) -> Outcome {
    if otel {
        return interactive(days, |client, days| async move {
            let usage = OtelUsage::fetch(&client, days).await?;
            Ok(if json {
                (to_json(&usage), false)
            } else {
                (usage.render(), false)
            })
        });
    }
    interactive(days, |client, days| async move {
        let usage = Usage::fetch(&client, days).await?;
        Ok(if json {
            (to_json(&usage), false)
        } else {
            (report::render(&usage), false)
        })
    })
}

/// `atel-hooks reconcile [--days N] [--json]`: exits 1 when a request is missing on one route or
/// recorded differently.
pub fn reconcile(days: Option<u16>, json: bool) -> Outcome {
    interactive(days, |client, days| async move {
        let found = Reconciliation::fetch(&client, days).await?;
        let failed = !found.mismatches.is_empty();
        Ok(if json {
            (to_json(&found), failed)
        } else {
            (found.render(), failed)
        })
    })
}

fn to_json(value: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(value).map_or_else(
        |err| format!("{{\"error\": \"{err}\"}}"),
        |text| text + "\n",
    )
}

/// Runs `work` (what to print, and whether that is a failure) with a client from the environment,
/// within [`INTERACTIVE_BUDGET`].
fn interactive<F, Fut>(days: Option<u16>, work: F) -> Outcome
where
    F: FnOnce(TinybirdClient, u16) -> Fut,
    Fut: Future<Output = Result<(String, bool), atel_sdk::Error>>,
{
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => return Outcome::fail(err),
    };
    let days = days.unwrap_or(config.days);
    let result = block_on(async {
        let deadline = Instant::now() + INTERACTIVE_BUDGET;
        let client = deliver::connect(INTERACTIVE_BUDGET, deadline).await?;
        tokio::time::timeout_at(deadline, work(client, days))
            .await
            .map_err(|_| "no answer from Tinybird in time".to_owned())?
            .map_err(|err| Report(&err).to_string())
    });
    match result {
        Err(err) | Ok(Err(err)) => Outcome::fail(err),
        Ok(Ok((text, false))) => Outcome::ok(text),
        Ok(Ok((text, true))) => Outcome {
            stdout: text,
            stderr: None,
            failed: true,
        },
    }
    .with_warnings(&config.warnings)
}

/// How `install --otel` routes Claude Code's telemetry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OtelRoute {
    /// atel's receiver on this address, started by the hooks when nothing listens there.
    Receiver(SocketAddr),
    /// The user's OpenTelemetry Collector listening on this address: its configuration is written
    /// to the file.
    Collector(SocketAddr, PathBuf),
}

/// `atel-hooks install [--otel [--collector FILE]]`. The hooks go into the project's (or with `user`
/// the user's) settings; Claude Code's telemetry settings always into the user's, the only place
/// Claude Code reads them from.
pub fn install(
    project: Option<PathBuf>,
    user: bool,
    command: Option<String>,
    otel: Option<&OtelRoute>,
) -> Outcome {
    let user_settings = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|home| PathBuf::from(home).join(".claude/settings.json"));
    let path = if user {
        match &user_settings {
            Some(path) => path.clone(),
            None => return Outcome::fail("HOME is not set; cannot find ~/.claude/settings.json"),
        }
    } else {
        project
            .unwrap_or_else(|| PathBuf::from("."))
            .join(".claude/settings.json")
    };
    let receiver = match otel {
        Some(OtelRoute::Receiver(addr)) => Some(*addr),
        _ => None,
    };
    let command = match command {
        Some(command) => command,
        None => match std::env::current_exe().and_then(|exe| exe.canonicalize()) {
            Ok(exe) => install::command_for(&exe.to_string_lossy(), receiver),
            Err(err) => return Outcome::fail(format!("cannot find this executable's path: {err}")),
        },
    };
    let mut text = String::new();
    let listen = match otel {
        None => None,
        Some(OtelRoute::Receiver(addr)) => Some(*addr),
        Some(OtelRoute::Collector(addr, file)) => {
            match collector::write_config(file, *addr) {
                Ok(true) => {
                    let _ = writeln!(text, "{}: collector configuration written", file.display());
                }
                Ok(false) => {
                    let _ = writeln!(
                        text,
                        "{}: collector configuration already there",
                        file.display()
                    );
                }
                Err(err) => return Outcome::fail(err),
            }
            Some(*addr)
        }
    };
    let hooks = install::Install {
        command: Some(command.clone()),
        otel_hook: receiver.is_some(),
        env: Vec::new(),
    };
    let done = match install::install_into(&path, &hooks) {
        Ok(done) => done,
        Err(err) => return Outcome::fail(err),
    };
    let _ = writeln!(
        text,
        "{}: {} hook{} added, {} updated, {} already there (command: {command})",
        path.display(),
        done.hooks.added,
        plural(done.hooks.added),
        done.hooks.updated,
        done.hooks.unchanged,
    );
    let Some(listen) = listen else {
        return Outcome::ok(text);
    };
    let Some(user_settings) = user_settings else {
        return Outcome::fail(
            "HOME is not set; Claude Code reads its telemetry settings only from ~/.claude/settings.json",
        );
    };
    let env = install::Install {
        command: None,
        otel_hook: false,
        env: install::otel_env(&format!("http://{listen}")),
    };
    let done = match install::install_into(&user_settings, &env) {
        Ok(done) => done,
        Err(err) => return Outcome::fail(err),
    };
    let _ = writeln!(
        text,
        "{}: {} telemetry setting{} added to \"env\", {} already there",
        user_settings.display(),
        done.env.added.len(),
        plural(done.env.added.len()),
        done.env.unchanged,
    );
    let kept: Vec<String> = done
        .env
        .kept
        .iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect();
    let outcome = Outcome::ok(text);
    if kept.is_empty() {
        outcome
    } else {
        Outcome {
            stderr: Some(format!(
                "kept your own values, which may route the telemetry elsewhere: {}",
                kept.join(", ")
            )),
            ..outcome
        }
    }
}

/// `atel-hooks deploy [DIR]`: deploys a Tinybird project directory (default `tinybird`) with the
/// client from the environment and waits until the deployment is live.
pub fn deploy(dir: Option<PathBuf>) -> Outcome {
    let dir = dir.unwrap_or_else(|| PathBuf::from("tinybird"));
    let result = block_on(async {
        let client = TinybirdClient::from_env().await?;
        client.deploy(&dir, DeployOptions::default()).await
    });
    match result {
        Err(err) => Outcome::fail(err),
        Ok(Err(err)) => Outcome::fail(format!("deploying {}: {}", dir.display(), Report(&err))),
        Ok(Ok(outcome)) => {
            let mut text = format!(
                "deployed {}: {}{}\n",
                dir.display(),
                outcome.result,
                outcome
                    .deployment_id
                    .map(|id| format!(" (deployment {id})"))
                    .unwrap_or_default()
            );
            for feedback in outcome.feedback {
                let _ = writeln!(
                    text,
                    "  {} {}: {}",
                    feedback.level,
                    feedback.resource.unwrap_or_default(),
                    feedback.message
                );
            }
            Outcome::ok(text)
        }
    }
}
