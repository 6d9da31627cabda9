//! `atel-hooks dashboard` and `atel-hooks report --html FILE`: the usage as charts, one page.
//!
//! Every number on the page comes from a pipe (`atel_sdk::telemetry::pipes` for the report's four
//! tables and the `SessionStart` context, `atel_sdk::telemetry::dashboard` for the per-day series and
//! the sessions); the page only formats them, and its totals are `report`'s (the same sums of the
//! same rows, [`Totals`]).
//!
//! The page is rendered here, server side, in both modes: the server answers each request by
//! querying Tinybird with the client's token, which never leaves this process; the page has no
//! script and fetches nothing (its `Content-Security-Policy` says so).

mod charts;
pub(crate) mod html;
mod sections;
pub(crate) mod server;
#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::path::Path;

use atel_sdk::TinybirdClient;
use atel_sdk::telemetry::dashboard::{
    DailyCostByModel, DailyCostByModelRow, DailyTokens, DailyTokensRow, SessionDrilldown,
    SessionDrilldownRow, TopSessions, TopSessionsRow,
};
use atel_sdk::telemetry::otel_pipes::{OtelToolResultRow, OtelToolResults};
use atel_sdk::telemetry::pipes::{OptimizationInsights, SessionOverview};
use chrono::{DateTime, Utc};

use crate::cli::{INTERACTIVE_BUDGET, Outcome, block_on};
use crate::config::Config;
use crate::usage::{AgentInsight, SessionSummary, Usage};

/// How many sessions the costliest-sessions table lists.
pub const TOP_SESSIONS: u16 = 10;
/// How many of them `report --html` details inline (the server has a page per session).
pub const INLINE_DETAILS: usize = 5;
/// How many requests a session's detail lists.
pub const DETAIL_REQUESTS: u32 = 1000;

/// Everything the dashboard page shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Dashboard {
    /// The report's four tables (its totals are the page's).
    pub usage: Usage,
    /// `optimization_insights`: cost per run and cache hit rate per agent, and the context's hints.
    pub insights: Vec<AgentInsight>,
    /// `daily_cost_by_model`.
    pub daily_cost: Vec<DailyCostByModelRow>,
    /// `daily_tokens`.
    pub daily_tokens: Vec<DailyTokensRow>,
    /// `top_sessions`.
    pub top_sessions: Vec<TopSessionsRow>,
    /// The first sessions' requests, for the self-contained file (empty for the server).
    pub details: Vec<(String, Vec<SessionDrilldownRow>)>,
    /// `otel_tool_results`: tool calls per tool from Claude Code's OpenTelemetry (empty without it,
    /// or when the workspace has no `otel_*` datasources).
    pub tools: Vec<OtelToolResultRow>,
    /// When the pipes were asked.
    pub generated: DateTime<Utc>,
}

impl Dashboard {
    /// Asks every pipe the page needs, at once; `details` sessions' requests too.
    pub async fn fetch(
        client: &TinybirdClient,
        days: u16,
        details: usize,
    ) -> atel_sdk::error::Result<Self> {
        let generated = Utc::now();
        let (insights, daily_cost, daily_tokens) = (
            OptimizationInsights { days },
            DailyCostByModel { days },
            DailyTokens { days },
        );
        let top = TopSessions {
            days,
            limit: TOP_SESSIONS,
        };
        let tool_results = OtelToolResults { days };
        // Boxed: seven queries in flight make a large future, which callers then hold across awaits.
        let (usage, insights, daily_cost, daily_tokens, top_sessions, tools) = Box::pin(async {
            tokio::join!(
                Usage::fetch(client, days),
                client.query(&insights),
                client.query(&daily_cost),
                client.query(&daily_tokens),
                client.query(&top),
                client.query(&tool_results),
            )
        })
        .await;
        let top_sessions = top_sessions?;
        let mut detail_rows = Vec::new();
        for session in top_sessions.iter().take(details) {
            let rows = client
                .query(&SessionDrilldown {
                    session_id: session.session_id.clone(),
                    days,
                    limit: DETAIL_REQUESTS,
                })
                .await?;
            detail_rows.push((session.session_id.clone(), rows));
        }
        Ok(Self {
            usage: usage?,
            insights: insights?,
            daily_cost: daily_cost?,
            daily_tokens: daily_tokens?,
            top_sessions,
            details: detail_rows,
            // A workspace deployed before the OTel endpoints existed has no `otel_tool_results`:
            // the section says how to get the data instead of failing the page.
            tools: tools.unwrap_or_default(),
            generated,
        })
    }
}

/// One session's page: its `session_overview` row (absent when the window has none) and requests.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionPage {
    /// The session asked for.
    pub session_id: String,
    /// The window in days.
    pub days: u16,
    /// Its totals.
    pub overview: Option<SessionSummary>,
    /// Its requests, oldest first.
    pub requests: Vec<SessionDrilldownRow>,
}

impl SessionPage {
    /// Asks `session_overview` and `session_drilldown` for `session_id`.
    pub async fn fetch(
        client: &TinybirdClient,
        session_id: &str,
        days: u16,
    ) -> atel_sdk::error::Result<Self> {
        let overview = SessionOverview {
            session_id: Some(session_id.to_owned()),
            days,
        };
        let requests = SessionDrilldown {
            session_id: session_id.to_owned(),
            days,
            limit: DETAIL_REQUESTS,
        };
        let (overview, requests) = tokio::join!(client.query(&overview), client.query(&requests));
        Ok(Self {
            session_id: session_id.to_owned(),
            days,
            overview: overview?.into_iter().next(),
            requests: requests?,
        })
    }
}

/// The report's totals: the sums `atel-hooks report` prints under its tables, of the same rows.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Totals {
    /// Σ `cost_by_model.total_cost_usd`.
    pub api_cost_usd: f64,
    /// Σ `cost_by_model.request_count`.
    pub requests: u64,
    /// Σ `cost_by_model.total_input`.
    pub input_tokens: u64,
    /// Σ `cost_by_model.total_output`.
    pub output_tokens: u64,
    /// Rows of `session_overview`.
    pub sessions: usize,
    /// Σ `agent_usage_summary.invocations`.
    pub agent_runs: u64,
    /// Σ `agent_usage_summary.est_cost_usd`.
    pub agent_cost_usd: f64,
    /// Σ `skill_frequency.activations`.
    pub skill_uses: u64,
    /// Σ `skill_frequency.successes`.
    pub skill_successes: u64,
}

impl Totals {
    /// The totals of `usage`.
    pub fn of(usage: &Usage) -> Self {
        Self {
            api_cost_usd: usage.models.iter().map(|m| m.total_cost_usd).sum(),
            requests: usage.models.iter().map(|m| m.request_count).sum(),
            input_tokens: usage.models.iter().map(|m| m.total_input).sum(),
            output_tokens: usage.models.iter().map(|m| m.total_output).sum(),
            sessions: usage.sessions.len(),
            agent_runs: usage.agents.iter().map(|a| a.invocations).sum(),
            agent_cost_usd: usage.agents.iter().map(|a| a.est_cost_usd).sum(),
            skill_uses: usage.skills.iter().map(|s| s.activations).sum(),
            skill_successes: usage.skills.iter().map(|s| s.successes).sum(),
        }
    }
}

/// Writes `page` to `path` (through a temporary file beside it, so a reader never sees half a page).
pub(crate) fn write_file(path: &Path, page: &str) -> std::io::Result<()> {
    let name = path.file_name().map_or_else(
        || "dashboard.html".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    std::fs::write(&tmp, page)?;
    std::fs::rename(&tmp, path)
}

/// `atel-hooks report --html FILE [--days N]`: the dashboard as one self-contained file, with the
/// first [`INLINE_DETAILS`] sessions' requests inline.
pub fn report_html(days: Option<u16>, path: &Path) -> Outcome {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => return Outcome::fail(err),
    };
    let days = days.unwrap_or(config.days);
    let result = block_on(async {
        let deadline = tokio::time::Instant::now() + INTERACTIVE_BUDGET;
        let client = crate::deliver::connect(INTERACTIVE_BUDGET, deadline).await?;
        tokio::time::timeout_at(deadline, Dashboard::fetch(&client, days, INLINE_DETAILS))
            .await
            .map_err(|_| "no answer from Tinybird in time".to_owned())?
            .map_err(|err| atel_sdk::error::Report(&err).to_string())
    });
    match result {
        Err(err) | Ok(Err(err)) => Outcome::fail(err),
        Ok(Ok(dashboard)) => match write_file(path, &html::page(&dashboard, html::Links::Inline)) {
            Ok(()) => Outcome::ok(format!("wrote {}\n", path.display())),
            Err(err) => Outcome::fail(format!("cannot write {}: {err}", path.display())),
        },
    }
    .with_warnings(&config.warnings)
}

/// `atel-hooks dashboard [--days N] [--listen ADDR] [--open]`: serves the page until killed
/// (default `127.0.0.1` on a free port). Returns only when it cannot start.
pub fn dashboard(days: Option<u16>, listen: Option<SocketAddr>, open: bool) -> Outcome {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => return Outcome::fail(err),
    };
    let days = days.unwrap_or(config.days);
    let listen = listen.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
    let result = block_on(async {
        let deadline = tokio::time::Instant::now() + INTERACTIVE_BUDGET;
        let client = crate::deliver::connect(INTERACTIVE_BUDGET, deadline).await?;
        server::serve(client, listen, days, open)
            .await
            .map_err(|err| format!("cannot serve on {listen}: {err}"))
    });
    match result {
        Err(err) | Ok(Err(err)) => Outcome::fail(err),
        Ok(Ok(())) => Outcome::default(),
    }
    .with_warnings(&config.warnings)
}
