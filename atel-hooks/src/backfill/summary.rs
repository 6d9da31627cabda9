//! The one-screen summary a backfill ends with (or the same as JSON).

use std::fmt::Write as _;

use serde::Serialize;

use crate::table::{thousands, usd};

/// Token totals by kind over the unique requests imported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tokens {
    /// Uncached input tokens.
    pub input: u64,
    /// Output tokens.
    pub output: u64,
    /// Input tokens read from the prompt cache.
    pub cache_read: u64,
    /// Input tokens written to the prompt cache (5-minute and 1-hour).
    pub cache_write: u64,
}

/// What was sent to Tinybird.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Sent {
    /// `api_requests` rows sent.
    pub api_requests: u64,
    /// `agent_activations` rows sent (a start and a stop per run).
    pub agent_activations: u64,
    /// Rows Tinybird put in a quarantine datasource.
    pub quarantined_rows: u64,
    /// Time spent sending.
    pub seconds: f64,
}

/// Everything a backfill did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    /// The `projects` directories read.
    pub directories: Vec<String>,
    /// Transcripts read.
    pub files: u64,
    /// Of which session transcripts.
    pub session_files: u64,
    /// Of which subagent transcripts.
    pub subagent_files: u64,
    /// `*.jsonl` paths that could not be read (each was printed on stderr).
    pub unreadable_files: u64,
    /// Bytes scanned.
    pub bytes: u64,
    /// Time spent scanning and deduplicating.
    pub scan_seconds: f64,
    /// Distinct session ids among the session transcripts.
    pub sessions: u64,
    /// Unique API requests imported (after `--since`).
    pub requests: u64,
    /// Unique requests per file, summed over the files: the copies a fork replays count here.
    pub request_copies: u64,
    /// Copies of a parent's message a sidechain log wrote under a new `requestId`: left out.
    pub sidechain_replays: u64,
    /// Their tokens.
    pub tokens: Tokens,
    /// Their cost, as Claude Code prices it.
    pub cost_usd: f64,
    /// Requests priced by a model-family fallback (a model missing from the price table).
    pub estimated_requests: u64,
    /// Subagent runs imported (after `--since`).
    pub agent_runs: u64,
    /// Runs whose transcript holds no complete API response (recorded without usage).
    pub agent_runs_without_usage: u64,
    /// Runs without an `agentType` (no `.meta.json` beside the transcript).
    pub agent_runs_without_type: u64,
    /// `--since`, as given.
    pub since: Option<String>,
    /// Requests left out because they are older than `--since`.
    pub requests_before_since: u64,
    /// Runs left out because they ended before `--since`.
    pub agent_runs_before_since: u64,
    /// Lines that are not JSON objects (skipped).
    pub malformed_lines: u64,
    /// Files ending in a cut-off line (what was complete was read).
    pub truncated_files: u64,
    /// `--dry-run`: nothing was sent.
    pub dry_run: bool,
    /// What was sent; `None` on a dry run or when nothing could be sent.
    pub sent: Option<Sent>,
    /// The whole run.
    pub seconds: f64,
}

#[expect(clippy::cast_precision_loss, reason = "display only")]
fn per_second(n: u64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        n as f64 / seconds
    } else {
        0.0
    }
}

/// Token counts: exact up to 9,999,999, then `268.1M`, then `5.36B`.
#[expect(clippy::cast_precision_loss, reason = "display only")]
fn tokens(n: u64) -> String {
    match n {
        0..10_000_000 => thousands(n),
        10_000_000..1_000_000_000 => format!("{:.1}M", n as f64 / 1e6),
        _ => format!("{:.2}B", n as f64 / 1e9),
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

impl Summary {
    /// Megabytes (10⁶ bytes) scanned per second.
    pub fn scan_mb_per_second(&self) -> f64 {
        per_second(self.bytes, self.scan_seconds) / 1e6
    }

    /// Rows sent per second of sending.
    pub fn rows_per_second(&self) -> f64 {
        self.sent.map_or(0.0, |s| {
            per_second(s.api_requests + s.agent_activations, s.seconds)
        })
    }

    /// The summary for a terminal: one line per subject, under 80 columns where the numbers allow.
    #[expect(clippy::cast_precision_loss, reason = "display only")]
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Backfill {}: {} from {}",
            if self.dry_run { "(dry run)" } else { "done" },
            plural(self.files, "transcript", "transcripts"),
            self.directories.join(", ")
        );
        let _ = writeln!(
            out,
            "  scanned    {:.1} MB in {:.2} s ({:.0} MB/s): {}, {}",
            self.bytes as f64 / 1e6,
            self.scan_seconds,
            self.scan_mb_per_second(),
            plural(self.sessions, "session", "sessions"),
            plural(
                self.subagent_files,
                "subagent transcript",
                "subagent transcripts"
            ),
        );
        let replays = match self.sidechain_replays {
            0 => String::new(),
            n => format!(
                "; {} of a parent's message left out",
                plural(n, "sidechain replay", "sidechain replays")
            ),
        };
        let _ = writeln!(
            out,
            "  requests   {} unique ({} counting the copies in forks and other files{replays})",
            thousands(self.requests),
            thousands(self.request_copies),
        );
        let t = &self.tokens;
        let _ = writeln!(
            out,
            "  tokens     input {}, output {}, cache read {}, cache write {}",
            tokens(t.input),
            tokens(t.output),
            tokens(t.cache_read),
            tokens(t.cache_write),
        );
        let estimate = match self.estimated_requests {
            0 => String::new(),
            n => format!(
                " ({} priced by a model-family fallback)",
                plural(n, "request", "requests")
            ),
        };
        let _ = writeln!(
            out,
            "  cost       {} as Claude Code prices it{estimate}",
            usd(self.cost_usd)
        );
        let mut runs = plural(self.agent_runs, "subagent run", "subagent runs");
        let mut notes = Vec::new();
        if self.agent_runs_without_usage > 0 {
            notes.push(format!(
                "{} without usage",
                thousands(self.agent_runs_without_usage)
            ));
        }
        if self.agent_runs_without_type > 0 {
            notes.push(format!(
                "{} without a type",
                thousands(self.agent_runs_without_type)
            ));
        }
        if !notes.is_empty() {
            let _ = write!(runs, " ({})", notes.join(", "));
        }
        let _ = writeln!(out, "  agents     {runs}");
        if let Some(since) = &self.since {
            let _ = writeln!(
                out,
                "  since      {since} (local time): left out {} and {} before it",
                plural(self.requests_before_since, "request", "requests"),
                plural(self.agent_runs_before_since, "run", "runs"),
            );
        }
        match (&self.sent, self.dry_run) {
            (_, true) => {
                let _ = writeln!(out, "  sent       nothing (dry run)");
            }
            (Some(sent), false) => {
                let _ = writeln!(
                    out,
                    "  sent       {} api_requests + {} agent_activations rows in {:.2} s ({:.0} rows/s)",
                    thousands(sent.api_requests),
                    thousands(sent.agent_activations),
                    sent.seconds,
                    self.rows_per_second(),
                );
            }
            (None, false) => {
                let _ = writeln!(out, "  sent       nothing (see the error)");
            }
        }
        let mut skipped = Vec::new();
        if self.unreadable_files > 0 {
            skipped.push(format!(
                "{} (listed above)",
                plural(self.unreadable_files, "unreadable file", "unreadable files")
            ));
        }
        if self.malformed_lines > 0 {
            skipped.push(plural(
                self.malformed_lines,
                "malformed line",
                "malformed lines",
            ));
        }
        if self.truncated_files > 0 {
            skipped.push(format!(
                "{} ending in a cut-off line",
                plural(self.truncated_files, "file", "files")
            ));
        }
        if let Some(quarantined) = self.sent.map(|s| s.quarantined_rows).filter(|&n| n > 0) {
            skipped.push(format!(
                "{} in quarantine",
                plural(quarantined, "row", "rows")
            ));
        }
        if !skipped.is_empty() {
            let _ = writeln!(out, "  skipped    {}", skipped.join(", "));
        }
        let _ = writeln!(out, "  time       {:.2} s in all", self.seconds);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_fits_one_screen() {
        let summary = Summary {
            directories: vec!["/home/dev/.claude/projects".into()],
            files: 3,
            session_files: 2,
            subagent_files: 1,
            unreadable_files: 1,
            bytes: 250_000_000,
            scan_seconds: 0.1,
            sessions: 2,
            requests: 9,
            request_copies: 15,
            tokens: Tokens {
                input: 947,
                output: 317,
                cache_read: 49_700,
                cache_write: 18_470,
            },
            cost_usd: 0.112_418,
            agent_runs: 1,
            since: Some("2026-11-01".into()),
            requests_before_since: 2,
            sent: Some(Sent {
                api_requests: 9,
                agent_activations: 2,
                quarantined_rows: 0,
                seconds: 0.5,
            }),
            seconds: 0.7,
            ..Summary::default()
        };
        let text = summary.render();
        assert_eq!(
            text,
            "Backfill done: 3 transcripts from /home/dev/.claude/projects
  scanned    250.0 MB in 0.10 s (2500 MB/s): 2 sessions, 1 subagent transcript
  requests   9 unique (15 counting the copies in forks and other files)
  tokens     input 947, output 317, cache read 49,700, cache write 18,470
  cost       $0.1124 as Claude Code prices it
  agents     1 subagent run
  since      2026-11-01 (local time): left out 2 requests and 0 runs before it
  sent       9 api_requests + 2 agent_activations rows in 0.50 s (22 rows/s)
  skipped    1 unreadable file (listed above)
  time       0.70 s in all
"
        );
        assert!(text.lines().count() < 20);
    }

    #[test]
    fn token_counts_stay_short() {
        assert_eq!(tokens(9_999_999), "9,999,999");
        assert_eq!(tokens(268_070_435), "268.1M");
        assert_eq!(tokens(5_359_437_781), "5.36B");
    }
}
