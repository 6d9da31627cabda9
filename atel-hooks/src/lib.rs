//! The library behind the `atel-hooks` binary: Claude Code hooks that record every subagent run,
//! skill use and API request into Tinybird, a usage report, and a usage summary for Claude at each
//! session start.
//!
//! # Commands
//!
//! | command | what it does | exit |
//! |---|---|---|
//! | `atel-hooks hook [--otel ADDR]` | one hook payload on stdin, dispatched on `hook_event_name`; with `--otel`, first starts the OTLP receiver on `ADDR` when nothing listens there (`launch`) | always 0 |
//! | `atel-hooks flush [--timeout SECS]` | sends every row waiting in the spool (default 30 s, at most 86400) | 1 if rows stay, were refused, or no client |
//! | `atel-hooks report [--days N] [--json] [--otel]` | agents, skills, models and sessions tables; `--otel`: Claude Code's own OpenTelemetry (cost and tokens per day and model, API requests, tools) | 1 on error |
//! | `atel-hooks reconcile [--days N] [--json]` | the hooks' API requests against Claude Code's OpenTelemetry `api_request` events, request id by request id ([`otel_view`]) | 1 on any mismatch or error |
//! | `atel-hooks install [--project DIR \| --user] [--command CMD] [--otel [--listen ADDR] [--collector FILE]]` | merges the hooks into `settings.json`; `--otel` also adds Claude Code's telemetry settings to its `"env"` (keeping the user's values) and a `UserPromptSubmit` hook, so the hooks keep the receiver running; `--collector` writes an `otelcol-contrib` configuration instead | 1 on error |
//! | `atel-hooks deploy [DIR]` | deploys a Tinybird project folder (default `tinybird`) | 1 on error |
//! | `atel-hooks backfill [--projects DIR]... [--since DATE] [--dry-run] [--json]` | imports every past session from the transcripts on disk ([`backfill`]) | 1 if a file could not be read, a send failed or rows went to quarantine |
//! | `atel-hooks report --html FILE [--days N]` | the dashboard as one self-contained HTML file ([`dashboard`]) | 1 on error |
//! | `atel-hooks dashboard [--days N] [--listen ADDR] [--open]` | serves the dashboard locally (default `127.0.0.1`, a free port; the URL on stderr) | 1 if it cannot start |
//! | `atel-hooks otel [--listen ADDR] [--idle-exit SECS] [--keep-content]` | an OTLP/HTTP receiver writing the collector's `tinybird` exporter rows ([`otel`]) | 1 if it cannot start |
//! | `atel-hooks version` | prints the version | 0 |
//!
//! No command ever exits 2 (Claude Code treats 2 as "block"): a usage error exits 0 for `hook`, 1
//! otherwise. Every failure of `hook` (no Tinybird client, an invalid `ATEL_*` variable, rows kept
//! or refused) is one line on stderr and exit 0.
//!
//! # Events
//!
//! - `SubagentStart` → an `agent_activations` row, event `start`.
//! - `SubagentStop` → the subagent transcript (`agent_transcript_path`) summed over unique API
//!   responses ([`transcript`]) → an `agent_activations` row, event `stop`. Prints nothing (any output
//!   would re-prompt the subagent).
//! - `PostToolUse` / `PostToolUseFailure` of the `Skill` tool → a `skill_activations` row (success
//!   from `tool_response.success`; always false for the failure event).
//! - `SessionEnd` → one `api_requests` row per unique API request in the session's transcript and its
//!   subagents' (`<transcript dir>/<session>/subagents/agent-*.jsonl`), priced like Claude Code
//!   prices it. A cursor per transcript (`<state>/cursors/<session>.json`) makes a resumed session
//!   that ends again send only its new requests.
//! - `SessionStart` → `{"hookSpecificOutput":{"hookEventName":"SessionStart","additionalContext":…}}`
//!   built from the `agent_usage_summary` and `optimization_insights` pipes ([`context`]); nothing
//!   when there is no data or no server. The pipes are asked first (even inside the delivery
//!   backoff); the spool is delivered with what is left of the budget.
//! - Anything else → nothing, silently.
//!
//! # History: `backfill`
//!
//! `atel-hooks backfill` sends what the hooks would have sent for every session already on disk
//! (`CLAUDE_CONFIG_DIR`'s `projects`, else `~/.config/claude/projects` and `~/.claude/projects`):
//! an `api_requests` row per unique request over all transcripts (a fork's replay of its parent
//! counts once, in the parent) and a `start` and a `stop` `agent_activations` row per subagent
//! transcript, built by the same functions as `SessionEnd` and `SubagentStop`. The ids make it safe
//! to run any number of times, before or after the hooks saw the same sessions. Its token totals are
//! ccusage's (`scripts/bench-backfill` checks them on a generated tree with forks).
//!
//! Only ids, names, counts, durations, model names and costs are sent: never prompts, responses,
//! tool inputs or tool outputs ([`payload::HookInput`] does not even keep them).
//!
//! # Delivery: at least once
//!
//! Every row is written to an append-only spool under the state directory (`spool`) *before* the
//! network step, because Claude Code kills async hooks at session teardown (`SubagentStop` and
//! `SessionEnd` rows are also synced to disk); the run then delivers the spool within its budget:
//! mode 0600, locked so parallel hooks never interleave. A hook run claims at most
//! `spool::HOOK_CLAIM_BYTES` (1 MiB, newest rows first), so after an outage each hook sends a slice
//! of the backlog; the next hooks or `atel-hooks flush` (which takes everything) send the rest.
//!
//! What happens to a claimed datasource's rows depends on the answer (`deliver`):
//! - taken (quarantined rows included): gone from the spool;
//! - no client (no token, Tinybird Local down), no connection, a timeout, 429, 5xx, 401: kept in the
//!   spool, and the run tries no other datasource (the server is the same);
//! - refused for good (400, 403, 404, 413, rows that cannot be encoded, an answer that cannot be
//!   decoded): set aside in `spool.rejected` (spool lines: appending them back to `spool.ndjson`
//!   sends them again) and the run goes on with the next datasource.
//!
//! Each case that is not a clean delivery is reported on stderr. In the normal case each row is
//! delivered exactly once; a run killed after Tinybird took its rows but before it cleared its claim,
//! or a request that timed out after the server wrote it, delivers those rows again: **at least
//! once**. A corrupt spool line is set aside in `spool.corrupt`; a full disk is reported on stderr
//! and never crashes the hook.
//!
//! # Delivery under faults: one run at a time, and a backoff
//!
//! Every run spools its rows, but only one delivers at a time, and none while the shared backoff
//! says wait (`backoff`: `delivery.lock` and `delivery.json` in the state directory):
//! - a run that finds another one delivering (the lock held) leaves its rows in the spool;
//! - after a failure that may pass (no connection, no answer within the budget, 429, 5xx, 401, no
//!   client) the next attempt waits 1 s, then 2 s, 4 s … up to 2 minutes, each wait drawn between
//!   half and all of that; a 429's `Retry-After` is used as given. Runs inside that window only spool
//!   their rows: no request, nothing on stderr (it is normal), exit 0 at once;
//! - a failure after which Tinybird may have written the rows anyway (a timeout, a broken
//!   connection, 500/502/504) also makes the next runs claim only `backoff::PROBE_BYTES` (4 KiB,
//!   about 15 rows), doubling with each success back to 1 MiB: a slow Tinybird that writes what it
//!   is sent but answers after the budget gets a few rows again, never the whole backlog from every
//!   hook;
//! - any delivery Tinybird answers ends the wait, refusals for good (400, 403, 404, 413) included;
//! - `atel-hooks flush` ignores the window (it waits for a run delivering right now, at most a
//!   budget and a second), and a complete flush ends the backoff, claim size included;
//! - `SessionStart` still asks the pipes inside the window (a read duplicates nothing, and the
//!   context is what the user sees; it is bounded by the budget as always) but delivers only when
//!   any other run would.
//!
//! Nothing is dropped by any of this: rows only wait longer in the spool.
//!
//! # Configuration
//!
//! Tinybird comes from `TinybirdClient::from_env` (`TINYBIRD_TOKEN` / `TINYBIRD_URL`, then
//! `TB_TOKEN` / `TB_HOST`, then the nearest `.tinyb`, then Tinybird Local at `localhost:7181`).
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `ATEL_STATE_DIR` | `$XDG_STATE_HOME/atel`, else `~/.local/state/atel` | spool, delivery backoff and transcript cursors |
//! | `ATEL_BUDGET_MS` | `1500` | bound on a hook's whole network step, in milliseconds |
//! | `ATEL_DAYS` | `7` | window of the `SessionStart` summary and the default of `report --days` |
//! | `ATEL_DISABLE` | unset | `1`, `true` or `yes`: `hook` reads its input and does nothing (`0`, `false`, `no`: enabled) |
//!
//! An invalid value (`ATEL_DAYS=week`) is one warning on stderr and the default is used: the event is
//! still recorded. Only a missing state directory stops a run.
//!
//! # Example
//!
//! The `SessionStart` context from pipe rows:
//!
//! ```
//! use atel_hooks::context::context_text;
//! use atel_hooks::usage::{AgentInsight, AgentUsage};
//!
//! let usage = [AgentUsage {
//!     agent_type: "Explore".into(),
//!     invocations: 4,
//!     runs_without_usage: 0,
//!     total_input: 90_000,
//!     total_output: 1_200,
//!     total_cache_read: 60_000,
//!     avg_duration_ms: 30_000.0,
//!     est_cost_usd: 1.0,
//! }];
//! let insights = [AgentInsight {
//!     agent_type: "Explore".into(),
//!     avg_cost_per_invocation: 0.25,
//!     avg_tokens: 40_000.0,
//!     frequency: 4,
//!     efficiency_score: 41.0,
//! }];
//! let text = context_text(7, &usage, &insights).unwrap();
//! assert!(text.starts_with("Subagent usage, last 7 days (atel): 4 runs, est. $1.00 in all."));
//! assert!(text.contains("Explore reads only 41% of its prompt from cache"));
//! ```

#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod backfill;
pub(crate) mod backoff;
pub mod cli;
pub(crate) mod collector;
pub mod config;
pub mod context;
pub mod dashboard;
pub(crate) mod deliver;
pub(crate) mod hook;
pub(crate) mod install;
pub(crate) mod launch;
pub mod otel;
pub mod otel_view;
pub mod payload;
pub(crate) mod report;
pub(crate) mod rows;
pub(crate) mod spool;
pub(crate) mod table;
pub mod transcript;
pub mod usage;
