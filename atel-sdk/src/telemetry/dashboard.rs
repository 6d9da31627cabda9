//! The dashboard's endpoints (`atel-hooks dashboard`, `atel-hooks report --html`): the per-day series
//! and the sessions with their requests, typed like the five report pipes in [`pipes`](super::pipes).
//!
//! They count each request once the same way: every one of them reads the `unique_requests` node
//! (`api_requests FINAL`, without the migrated rows a row with ids also holds), and a subagent run is
//! one `agent_id`. Days are UTC calendar days (`toDate(timestamp, 'UTC')`), so the first day of a
//! window is the part of it after `now() - days`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::pipe;

/// A row of [`DailyCostByModel`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DailyCostByModelRow {
    /// The UTC day.
    pub day: NaiveDate,
    /// The model id as the API reported it.
    pub model: String,
    /// USD, the sum of the day's requests' own `cost_usd` on this model.
    pub total_cost_usd: f64,
    /// API requests.
    pub request_count: u64,
}

/// API spend per UTC day and model.
#[pipe(
    name = "daily_cost_by_model",
    description = "API spend per UTC day and model over the last `days` days (default 7), by day, then most expensive first; each request once (by request_id + message_id). total_cost_usd = sum(cost_usd); request_count = count().",
    output = DailyCostByModelRow,
    node(
        name = "unique_requests",
        description = "The API requests in the window, each once: api_requests FINAL (by request_id + message_id), without the rows migrated from before the ids existed that a row with ids also holds.",
        sql_file = "sql/unique_requests.sql"
    ),
    node(
        name = "cost_by_day_and_model",
        sql = "
            SELECT
                toDate(timestamp, 'UTC') AS day,
                model,
                sum(cost_usd) AS total_cost_usd,
                count() AS request_count
            FROM unique_requests
            GROUP BY day, model
            ORDER BY day ASC, total_cost_usd DESC, model ASC
        "
    )
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailyCostByModel {
    /// Days to look back from now.
    #[param(default = 7, description = "Days to look back from now")]
    pub days: u16,
}

/// A row of [`DailyTokens`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DailyTokensRow {
    /// The UTC day.
    pub day: NaiveDate,
    /// Uncached input tokens, summed.
    pub total_input: u64,
    /// Output tokens, summed.
    pub total_output: u64,
    /// Input tokens read from the prompt cache, summed.
    pub total_cache_read: u64,
    /// Input tokens written to the prompt cache, summed.
    pub total_cache_write: u64,
    /// Cache reads / all prompt tokens, in percent with one decimal (0 without prompt tokens).
    pub cache_hit_rate: f64,
}

/// Tokens per UTC day by kind, with the day's prompt-cache hit rate.
#[pipe(
    name = "daily_tokens",
    description = "API tokens per UTC day over the last `days` days (default 7), oldest first; each request once (by request_id + message_id). total_input / total_output / total_cache_read = sum of input_tokens / output_tokens / cache_read_tokens; total_cache_write = sum(cache_creation_tokens); cache_hit_rate = round(100 x sum(cache_read_tokens) / sum(input_tokens + cache_read_tokens + cache_creation_tokens), 1), 0 when there are no prompt tokens.",
    output = DailyTokensRow,
    node(
        name = "unique_requests",
        description = "The API requests in the window, each once: api_requests FINAL (by request_id + message_id), without the rows migrated from before the ids existed that a row with ids also holds.",
        sql_file = "sql/unique_requests.sql"
    ),
    node(
        name = "tokens_by_day",
        sql = "
            SELECT
                toDate(timestamp, 'UTC') AS day,
                sum(input_tokens) AS total_input,
                sum(output_tokens) AS total_output,
                sum(cache_read_tokens) AS total_cache_read,
                sum(cache_creation_tokens) AS total_cache_write,
                if(
                    sum(input_tokens + cache_read_tokens + cache_creation_tokens) = 0,
                    0,
                    round(100 * sum(cache_read_tokens) / sum(input_tokens + cache_read_tokens + cache_creation_tokens), 1)
                ) AS cache_hit_rate
            FROM unique_requests
            GROUP BY day
            ORDER BY day ASC
        "
    )
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailyTokens {
    /// Days to look back from now.
    #[param(default = 7, description = "Days to look back from now")]
    pub days: u16,
}

/// A row of [`TopSessions`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopSessionsRow {
    /// The Claude Code session.
    pub session_id: String,
    /// Its first API request in the window.
    #[serde(with = "crate::client::de::datetime")]
    pub started: DateTime<Utc>,
    /// First to last API request, in milliseconds.
    pub duration_ms: u64,
    /// Its API requests.
    pub request_count: u64,
    /// Distinct subagent types that ran (as in `session_overview`).
    pub agents_used: u64,
    /// Completed subagent runs (one per `agent_id`).
    pub agent_runs: u64,
    /// Input + output + cache-read + cache-write tokens of its requests.
    pub total_tokens: u64,
    /// USD, the sum of its requests' `cost_usd`.
    pub total_cost_usd: f64,
}

/// The costliest sessions, with when they ran and how many subagents they used.
#[pipe(
    name = "top_sessions",
    description = "The `limit` (default 10) sessions with the most API spend over the last `days` days (default 7), most expensive first; each request once (by request_id + message_id) and in the session that made it. started = min(timestamp) and duration_ms = max(timestamp) - min(timestamp) of its requests; request_count = count(); total_tokens = sum(input_tokens + output_tokens + cache_read_tokens + cache_creation_tokens); total_cost_usd = sum(cost_usd); agents_used = uniqExact(agent_type) and agent_runs = uniqExact(agent_id) of its stop rows, over agent_activations.",
    output = TopSessionsRow,
    node(
        name = "unique_requests",
        description = "The API requests in the window, each once: api_requests FINAL (by request_id + message_id), without the rows migrated from before the ids existed that a row with ids also holds.",
        sql_file = "sql/unique_requests.sql"
    ),
    node(
        name = "requests_by_session",
        sql = "
            SELECT
                session_id,
                min(timestamp) AS started,
                max(timestamp) AS ended,
                count() AS request_count,
                sum(input_tokens + output_tokens + cache_read_tokens + cache_creation_tokens) AS total_tokens,
                sum(cost_usd) AS total_cost_usd
            FROM unique_requests
            GROUP BY session_id
        "
    ),
    node(
        name = "agents_by_session",
        sql = "
            %
            SELECT
                session_id,
                uniqExact(agent_type) AS agents_used,
                uniqExactIf(agent_id, event = 'stop') AS agent_runs
            FROM agent_activations
            WHERE timestamp >= now64(3) - toIntervalDay({{ Int32(days, 7) }})
            GROUP BY session_id
        "
    ),
    node(
        name = "costliest_sessions",
        sql = "
            %
            SELECT
                session_id,
                started,
                toUInt64(toUnixTimestamp64Milli(ended) - toUnixTimestamp64Milli(started)) AS duration_ms,
                request_count,
                agents_by_session.agents_used AS agents_used,
                agents_by_session.agent_runs AS agent_runs,
                total_tokens,
                total_cost_usd
            FROM requests_by_session
            LEFT JOIN agents_by_session USING (session_id)
            ORDER BY total_cost_usd DESC, total_tokens DESC, session_id ASC
            LIMIT {{ UInt16(limit, 10, description=\"How many sessions\") }}
        "
    )
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopSessions {
    /// Days to look back from now.
    #[param(default = 7, description = "Days to look back from now")]
    pub days: u16,
    /// How many sessions.
    #[param(default = 10, description = "How many sessions")]
    pub limit: u16,
}

/// A row of [`SessionDrilldown`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionDrilldownRow {
    /// When the response was written to the transcript.
    #[serde(with = "crate::client::de::datetime")]
    pub timestamp: DateTime<Utc>,
    /// The model id as the API reported it.
    pub model: String,
    /// Uncached input tokens.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Input tokens read from the prompt cache.
    pub cache_read_tokens: u64,
    /// Input tokens written to the prompt cache.
    pub cache_write_tokens: u64,
    /// USD, as Claude Code prices the request.
    pub cost_usd: f64,
    /// A lower bound on the API call's duration, in milliseconds (0 when unknown).
    pub duration_ms: u64,
    /// The transcript's `requestId` (empty when Claude Code wrote none).
    pub request_id: String,
}

/// One session's API requests, in time order.
#[pipe(
    name = "session_drilldown",
    description = "The API requests of one session (`session_id`, required) over the last `days` days (default 7), oldest first, at most `limit` (default 1000); each request once (by request_id + message_id) and in the session that made it. cache_write_tokens = cache_creation_tokens; cost_usd as recorded, priced exactly as Claude Code prices it.",
    output = SessionDrilldownRow,
    node(
        name = "unique_requests",
        description = "The API requests in the window, each once: api_requests FINAL (by request_id + message_id), without the rows migrated from before the ids existed that a row with ids also holds.",
        sql_file = "sql/unique_requests.sql"
    ),
    node(
        name = "requests_of_session",
        sql = "
            %
            SELECT
                timestamp,
                model,
                input_tokens,
                output_tokens,
                cache_read_tokens,
                cache_creation_tokens AS cache_write_tokens,
                cost_usd,
                duration_ms,
                request_id
            FROM unique_requests
            WHERE session_id = {{ String(session_id, required=True, description=\"The session\") }}
            ORDER BY timestamp ASC, request_id ASC, message_id ASC
            LIMIT {{ UInt32(limit, 1000, description=\"At most this many requests\") }}
        "
    )
)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDrilldown {
    /// The session.
    #[param(required, description = "The session")]
    pub session_id: String,
    /// Days to look back from now.
    #[param(default = 7, description = "Days to look back from now")]
    pub days: u16,
    /// At most this many requests.
    #[param(default = 1000, description = "At most this many requests")]
    pub limit: u32,
}

/// The dashboard's endpoints, for [`project`](super::project).
pub fn project() -> crate::project::Project {
    crate::project::Project::new()
        .pipe::<DailyCostByModel>()
        .pipe::<DailyTokens>()
        .pipe::<TopSessions>()
        .pipe::<SessionDrilldown>()
}
