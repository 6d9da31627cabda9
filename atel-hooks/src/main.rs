//! `atel-hooks`: Claude Code hooks that record agent, skill and API usage into Tinybird.
//!
//! See the library docs (`atel_hooks`) for the subcommands and the `ATEL_*` options.

use std::ffi::OsString;
use std::io::{self, Write as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use atel_hooks::cli::{self, ExitStatus, Outcome};
use clap::{Parser, Subcommand};

/// Records Claude Code subagent runs, skill uses and API requests into Tinybird.
#[derive(Debug, Parser)]
#[command(name = "atel-hooks", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Handle one Claude Code hook event (JSON on stdin). Always exits 0.
    Hook {
        /// First start the OTLP receiver on this address when nothing listens there.
        #[arg(long, value_name = "ADDR")]
        otel: Option<SocketAddr>,
    },
    /// Send the rows waiting in the spool.
    Flush {
        /// Give up after this many seconds (at most a day).
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=86_400))]
        timeout: u64,
    },
    /// Usage tables: agents, skills, models and sessions.
    Report {
        /// The window in days [default: `ATEL_DAYS` or 7].
        #[arg(long)]
        days: Option<u16>,
        /// Print JSON instead of tables.
        #[arg(long, conflicts_with = "html")]
        json: bool,
        /// Claude Code's own OpenTelemetry instead: cost and tokens per day and model, API
        /// requests, tools.
        #[arg(long, conflicts_with = "html")]
        otel: bool,
        /// Write the dashboard to this file instead (one self-contained HTML page).
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
    },
    /// Compare the hooks' API requests with Claude Code's OpenTelemetry, request by request
    /// (exit 1 on any mismatch).
    Reconcile {
        /// The window in days [default: `ATEL_DAYS` or 7].
        #[arg(long)]
        days: Option<u16>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Serve the usage dashboard on a local address (the URL is printed on stderr).
    Dashboard {
        /// The window in days [default: `ATEL_DAYS` or 7].
        #[arg(long)]
        days: Option<u16>,
        /// The address to listen on [default: 127.0.0.1 on a free port]. Anything but a loopback
        /// address shows your usage to whoever can reach it.
        #[arg(long, value_name = "ADDR")]
        listen: Option<std::net::SocketAddr>,
        /// Open it in the browser.
        #[arg(long)]
        open: bool,
    },
    /// Add the hooks to a Claude Code settings file (existing settings and hooks are kept).
    Install {
        /// The project whose `.claude/settings.json` gets the hooks [default: the current directory].
        #[arg(long, conflicts_with = "user")]
        project: Option<PathBuf>,
        /// Use `~/.claude/settings.json` instead.
        #[arg(long)]
        user: bool,
        /// The command the hooks run [default: this executable's path, then ` hook`].
        #[arg(long)]
        command: Option<String>,
        /// Also send Claude Code's own OpenTelemetry: adds the settings to `"env"` (keeping yours)
        /// and has the hooks start `atel-hooks otel` when it is not running.
        #[arg(long)]
        otel: bool,
        /// The OTLP/HTTP address Claude Code exports to.
        #[arg(
            long,
            value_name = "ADDR",
            requires = "otel",
            default_value = "127.0.0.1:4318"
        )]
        listen: SocketAddr,
        /// Route the telemetry through your own OpenTelemetry Collector instead: write its
        /// configuration (the `tinybird` exporter, the same datasources) to FILE.
        #[arg(long, value_name = "FILE", requires = "otel")]
        collector: Option<PathBuf>,
    },
    /// Deploy the telemetry datasources and pipes to Tinybird.
    Deploy {
        /// The Tinybird project directory [default: `tinybird`].
        dir: Option<PathBuf>,
    },
    /// Import every past Claude Code session from the transcripts on disk (safe to re-run).
    Backfill {
        /// A Claude Code `projects` directory to import (repeatable) [default: those of
        /// `CLAUDE_CONFIG_DIR`, else `~/.config/claude/projects` and `~/.claude/projects`].
        #[arg(long = "projects", value_name = "DIR")]
        projects: Vec<PathBuf>,
        /// Leave out what happened before this day (YYYY-MM-DD, local time).
        #[arg(long, value_name = "DATE", value_parser = atel_hooks::backfill::parse_date)]
        since: Option<chrono::NaiveDate>,
        /// Scan and print the summary; send nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Receive Claude Code's OTLP/HTTP telemetry and write the `otel_*` rows the collector's
    /// `tinybird` exporter writes (through the spool).
    Otel {
        /// The address to listen on.
        #[arg(long, default_value = "127.0.0.1:4318")]
        listen: std::net::SocketAddr,
        /// Exit after this many seconds without a request.
        #[arg(long, value_name = "SECS", default_value_t = 1800, value_parser = clap::value_parser!(u64).range(1..))]
        idle_exit: u64,
        /// Keep prompt, response and tool content instead of `<REDACTED>`.
        #[arg(long)]
        keep_content: bool,
    },
    /// Print the version.
    Version,
}

fn main() -> ExitCode {
    // A bug must not break Claude Code either: a panic is one stderr line, and `hook` still exits 0.
    std::panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let _ = writeln!(io::stderr(), "atel-hooks: internal error{place}");
    }));
    run(&std::env::args_os().collect::<Vec<_>>()).into()
}

/// Parses the arguments and runs the subcommand.
fn run(args: &[OsString]) -> ExitStatus {
    match Cli::try_parse_from(args) {
        Ok(cli) => dispatch(cli.command).emit(),
        Err(err) => usage_error(&err, args.get(1).is_some_and(|a| a == "hook")),
    }
}

/// `--help` and `--version` print and succeed; a usage error is one stderr line and never clap's exit
/// code 2 (blocking for Claude Code): 0 for `hook`, 1 for the rest.
fn usage_error(err: &clap::Error, is_hook: bool) -> ExitStatus {
    use clap::error::ErrorKind;
    if matches!(
        err.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    ) {
        let _ = write!(io::stdout(), "{err}");
        return ExitStatus::Success;
    }
    let text = err.to_string();
    let first = text.lines().next().unwrap_or("usage error");
    let _ = writeln!(
        io::stderr(),
        "atel-hooks: {first} (see `atel-hooks --help`)"
    );
    if is_hook {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    }
}

fn dispatch(command: Command) -> Outcome {
    match command {
        Command::Hook { otel } => std::panic::catch_unwind(|| cli::hook(io::stdin().lock(), otel))
            .unwrap_or_else(|_| Outcome::default()),
        Command::Flush { timeout } => cli::flush(std::time::Duration::from_secs(timeout)),
        Command::Report {
            days,
            html: Some(file),
            ..
        } => atel_hooks::dashboard::report_html(days, &file),
        Command::Report {
            days, json, otel, ..
        } => cli::report(days, json, otel),
        Command::Reconcile { days, json } => cli::reconcile(days, json),
        Command::Dashboard { days, listen, open } => {
            atel_hooks::dashboard::dashboard(days, listen, open)
        }
        Command::Install {
            project,
            user,
            command,
            otel,
            listen,
            collector,
        } => {
            let route = otel.then_some(match collector {
                Some(file) => cli::OtelRoute::Collector(listen, file),
                None => cli::OtelRoute::Receiver(listen),
            });
            cli::install(project, user, command, route.as_ref())
        }
        Command::Deploy { dir } => cli::deploy(dir),
        Command::Backfill {
            projects,
            since,
            dry_run,
            json,
        } => atel_hooks::backfill::run(&atel_hooks::backfill::Options {
            projects,
            since,
            dry_run,
            json,
        }),
        Command::Otel {
            listen,
            idle_exit,
            keep_content,
        } => atel_hooks::otel::server::run(&atel_hooks::otel::server::Options {
            listen,
            idle_exit: std::time::Duration::from_secs(idle_exit),
            redaction: if keep_content {
                atel_hooks::otel::Redaction::Keep
            } else {
                atel_hooks::otel::Redaction::Content
            },
        }),
        Command::Version => Outcome::ok(format!("atel-hooks {}\n", env!("CARGO_PKG_VERSION"))),
    }
}
