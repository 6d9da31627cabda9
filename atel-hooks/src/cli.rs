//! The subcommands, as functions returning what to print and how to exit.

use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use atel_sdk::TinybirdClient;
use atel_sdk::client::DeployOptions;
use chrono::Utc;
use tokio::time::Instant;

use crate::config::{Config, MAX_STDIN_BYTES};
use crate::context;
use crate::deliver::{self, Delivery};
use crate::hook::{self, Plan};
use crate::install;
use crate::payload::HookInput;
use crate::report;
use crate::spool::Spool;
use crate::usage::{self, Usage};

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

    /// Prints and returns the exit code.
    pub fn emit(self) -> ExitCode {
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
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        }
    }
}

/// Runs `work` on a current-thread runtime and drops whatever is still in flight afterwards.
fn block_on<T>(work: impl Future<Output = T>) -> Result<T, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| format!("cannot start the async runtime: {err}"))?;
    let out = runtime.block_on(work);
    runtime.shutdown_background();
    Ok(out)
}

/// `atel-hooks hook`: handles one payload from `stdin`. Always exits 0; every problem is one stderr line.
pub fn hook(stdin: impl Read) -> Outcome {
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
    let plan = match hook::plan(&input, &config.state_dir, Utc::now()) {
        Ok(plan) => plan,
        Err(err) => return Outcome::warn(err),
    };
    match plan {
        Plan::Ignore => Outcome::default(),
        Plan::Rows {
            rows,
            durable,
            cursors,
            warning,
        } => {
            let mut lines: Vec<String> = warning.into_iter().collect();
            match record(&config, &rows, durable, cursors) {
                Ok(Some(line)) | Err(line) => lines.push(line),
                Ok(None) => {}
            }
            if lines.is_empty() {
                Outcome::default()
            } else {
                Outcome::warn(lines.join("; "))
            }
        }
        Plan::SessionStart => session_start(&config),
    }
}

/// Spools the rows, then delivers the spool within the budget. `Ok(Some(line))`: something to say.
fn record(
    config: &Config,
    rows: &[crate::rows::Row],
    durable: bool,
    cursors: Option<hook::CursorUpdate>,
) -> Result<Option<String>, String> {
    let spool = Spool::open(&config.state_dir).map_err(|err| {
        format!(
            "cannot open the spool in {}: {err}",
            config.state_dir.display()
        )
    })?;
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
    let delivery = send(config, &spool, Vec::new(), config.budget)?;
    Ok(delivery.problem(&spool))
}

/// Connects and delivers within `budget`.
fn send(
    config: &Config,
    spool: &Spool,
    fresh: Vec<crate::rows::Row>,
    budget: Duration,
) -> Result<Delivery, String> {
    let _ = config;
    block_on(async {
        let deadline = Instant::now() + budget;
        let client = deliver::connect(budget, deadline).await;
        deliver::deliver(
            spool,
            client.as_ref().map_err(String::as_str),
            fresh,
            deadline,
        )
        .await
    })?
    .map_err(|err| format!("spool error in {}: {err}", spool.dir().display()))
}

/// `SessionStart`: delivers the spool, then asks the pipes for the last days' usage and prints the
/// context for Claude; prints nothing when there is no data or no server.
fn session_start(config: &Config) -> Outcome {
    let spool = Spool::open(&config.state_dir).ok();
    let budget = config.budget;
    let days = config.days;
    let result = block_on(async {
        let deadline = Instant::now() + budget;
        let client = deliver::connect(budget, deadline).await?;
        let mut problem = None;
        if let Some(spool) = spool.as_ref().filter(|s| s.has_rows()) {
            match deliver::deliver(spool, Ok(&client), Vec::new(), deadline).await {
                Ok(delivery) => problem = delivery.problem(spool),
                Err(err) => problem = Some(format!("spool error: {err}")),
            }
        }
        let usage = tokio::time::timeout_at(deadline, usage::session_start_usage(&client, days))
            .await
            .map_err(|_| "no answer from Tinybird within the budget".to_owned())?
            .map_err(|err| err.to_string())?;
        Ok::<_, String>((usage, problem))
    });
    match result {
        Err(err) | Ok(Err(err)) => Outcome::warn(format!("no usage summary for Claude: {err}")),
        Ok(Ok(((agents, insights), problem))) => {
            let stdout = context::context_text(days, &agents, &insights)
                .map(|text| context::session_start_output(&text) + "\n")
                .unwrap_or_default();
            Outcome {
                stdout,
                stderr: problem,
                failed: false,
            }
        }
    }
}

/// `atel-hooks flush`: sends the spool, waiting at most `timeout`.
pub fn flush(timeout: Duration) -> Outcome {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => return Outcome::fail(err),
    };
    let spool = match Spool::open(&config.state_dir) {
        Ok(spool) => spool,
        Err(err) => {
            return Outcome::fail(format!(
                "cannot open the spool in {}: {err}",
                config.state_dir.display()
            ));
        }
    };
    if !spool.has_rows() {
        return Outcome::ok("nothing to flush\n");
    }
    match send(&config, &spool, Vec::new(), timeout) {
        Err(err) => Outcome::fail(err),
        Ok(delivery) => {
            let text = format!("delivered {} rows\n", delivery.delivered);
            match delivery.problem(&spool) {
                Some(problem) => Outcome {
                    stdout: text,
                    stderr: Some(problem),
                    failed: delivery.spooled > 0,
                },
                None => Outcome::ok(text),
            }
        }
    }
}

/// How long `report` and `flush` wait for Tinybird unless told otherwise.
const INTERACTIVE_BUDGET: Duration = Duration::from_secs(30);

/// `atel-hooks report [--days N] [--json]`.
pub fn report(days: Option<u16>, json: bool) -> Outcome {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => return Outcome::fail(err),
    };
    let days = days.unwrap_or(config.days);
    let result = block_on(async {
        let deadline = Instant::now() + INTERACTIVE_BUDGET;
        let client = deliver::connect(INTERACTIVE_BUDGET, deadline).await?;
        tokio::time::timeout_at(deadline, Usage::fetch(&client, days))
            .await
            .map_err(|_| "no answer from Tinybird in time".to_owned())?
            .map_err(|err| err.to_string())
    });
    match result {
        Err(err) | Ok(Err(err)) => Outcome::fail(err),
        Ok(Ok(usage)) if json => match serde_json::to_string_pretty(&usage) {
            Ok(text) => Outcome::ok(text + "\n"),
            Err(err) => Outcome::fail(err.to_string()),
        },
        Ok(Ok(usage)) => Outcome::ok(report::render(&usage)),
    }
}

/// `atel-hooks install`.
pub fn install(project: Option<PathBuf>, user: bool, command: Option<String>) -> Outcome {
    let path = if user {
        match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
            Some(home) => PathBuf::from(home).join(".claude/settings.json"),
            None => return Outcome::fail("HOME is not set; cannot find ~/.claude/settings.json"),
        }
    } else {
        project
            .unwrap_or_else(|| PathBuf::from("."))
            .join(".claude/settings.json")
    };
    let command = match command {
        Some(command) => command,
        None => match std::env::current_exe().and_then(|exe| exe.canonicalize()) {
            Ok(exe) => install::command_for(&exe.to_string_lossy()),
            Err(err) => return Outcome::fail(format!("cannot find this executable's path: {err}")),
        },
    };
    match install::install_into(&path, &command) {
        Ok(merged) => Outcome::ok(format!(
            "{}: {} hook{} added, {} updated, {} already there (command: {command})\n",
            path.display(),
            merged.added,
            if merged.added == 1 { "" } else { "s" },
            merged.updated,
            merged.unchanged,
        )),
        Err(err) => Outcome::fail(err),
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
        Ok(Err(err)) => Outcome::fail(format!("deploying {}: {err}", dir.display())),
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
