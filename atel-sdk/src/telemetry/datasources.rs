//! The three telemetry datasources, column for column as the seed defined them.
//!
//! Choices shared by all three, made for the queries the five pipes run — a time range (the last
//! `days` days) grouped by one dimension (agent type, skill, model, session):
//! - `timestamp` is `DateTime64(3)`: hooks and transcripts carry milliseconds, and durations are
//!   computed from them.
//! - Token counts and durations are `UInt64`: they are never negative, and one session can pass 2³²
//!   cache-read tokens.
//! - Dimensions with few distinct values (agent type, event, skill, model) are
//!   `LowCardinality(String)`: dictionary-encoded, so group-bys over them read a few bytes per row.
//!   Ids (`session_id`, `agent_id`) are unique per run, where a dictionary would only cost.
//! - Partitioned by month (`toYYYYMM(timestamp)`): a `days` window touches one or two partitions,
//!   and the TTL drops whole months at once.
//! - Sorted by the group-by dimension first, then `session_id`, then `timestamp`: low cardinality
//!   first compresses best and lets a filter on the dimension skip granules; `timestamp` last keeps a
//!   session's rows together and in time order.
//! - Kept for a year (`ENGINE_TTL toDateTime(timestamp) + toIntervalDay(365)`): enough for
//!   year-over-year questions, bounded for a personal workspace.
//!
//! # Counted once, by ids
//! Delivery is at least once (the hooks' spool re-sends after a late answer, a transcript is scanned
//! again by `backfill`, a forked session replays its parent's lines), so every row carries an id
//! from its source and every pipe counts each id once, at read time:
//! - `api_requests`: `request_id` + `message_id` (the transcript's `requestId` and `message.id`).
//!   Every copy of a request is the same row (a replayed request keeps the session that made it), so
//!   the engine is `ReplacingMergeTree` keyed by the ids: merges drop the copies from storage, and
//!   the pipes read with `FINAL` so a copy never shows before a merge either.
//! - `skill_activations`: `tool_use_id`, the same way.
//! - `agent_activations`: `agent_id` + `event`. Copies of a stop row can differ (a subagent resumed
//!   and stopped again, a run recorded before its transcript could be read), so the pipes pick the
//!   copy with the most tokens, then the latest (`LIMIT 1 BY agent_id`), and the table stays a
//!   `MergeTree`.
//!
//! Rows written before the ids existed are migrated by each datasource's `FORWARD_QUERY`: their id is
//! derived from what they hold (`legacy:` + a hash of their columns), so their own copies still count
//! once.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::Datasource;
use crate::schema::{ChType, ColumnType};

/// Whether an [`AgentActivation`] row records a subagent's start or its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AgentEvent {
    /// `SubagentStart`: no tokens yet.
    Start,
    /// `SubagentStop`: tokens, model and duration of the whole run.
    Stop,
}

impl ColumnType for AgentEvent {
    fn ch_type() -> ChType {
        ChType::String
    }
}

/// One subagent start or stop (`agent_activations`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Datasource)]
#[tinybird(
    name = "agent_activations",
    description = "One row per subagent start and stop in Claude Code, identified by agent_id + event. Stop rows carry the run's token usage (unique API responses of the subagent transcript), the model with the most output tokens, and the run's duration; model is empty when the transcript could not be read (usage unknown).",
    partition_key = "toYYYYMM(timestamp)",
    sorting_key = "agent_type, event, session_id, timestamp",
    ttl = "toDateTime(timestamp) + toIntervalDay(365)"
)]
pub struct AgentActivation {
    /// When the hook fired.
    #[serde(with = "crate::client::de::datetime")]
    pub timestamp: DateTime<Utc>,
    /// The Claude Code session the subagent ran in.
    pub session_id: String,
    /// The subagent type, e.g. `general-purpose`.
    #[tinybird(low_cardinality)]
    pub agent_type: String,
    /// The subagent run's id.
    pub agent_id: String,
    /// `start` or `stop`.
    #[tinybird(low_cardinality)]
    pub event: AgentEvent,
    /// Uncached input tokens.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Input tokens read from the prompt cache.
    pub cache_read_tokens: u64,
    /// Input tokens written to the prompt cache.
    pub cache_creation_tokens: u64,
    /// First to last transcript entry of the run, in milliseconds (0 on start rows).
    pub duration_ms: u64,
    /// The model with the most output tokens in the run. Empty on start rows, and on a stop row whose
    /// transcript could not be read: the run is counted, its usage is unknown (zeros), and the pipes
    /// leave it out of their averages.
    #[tinybird(low_cardinality)]
    pub model: String,
}

/// One use of a skill (`skill_activations`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Datasource)]
#[tinybird(
    name = "skill_activations",
    description = "One row per Skill tool call in Claude Code, from PostToolUse (success as reported by the tool) and PostToolUseFailure (success = false). Identified by tool_use_id: read with FINAL, each call counts once however often it was delivered.",
    engine = "ReplacingMergeTree",
    partition_key = "toYYYYMM(timestamp)",
    sorting_key = "tool_use_id",
    ttl = "toDateTime(timestamp) + toIntervalDay(365)",
    forward_query = "
        SELECT
            timestamp,
            session_id,
            skill_name,
            duration_ms,
            success,
            concat(
                'legacy:', hex(cityHash64(timestamp, session_id, skill_name, duration_ms, success))
            ) AS tool_use_id
    "
)]
pub struct SkillActivation {
    /// When the hook fired.
    #[serde(with = "crate::client::de::datetime")]
    pub timestamp: DateTime<Utc>,
    /// The Claude Code session.
    pub session_id: String,
    /// The skill's name.
    #[tinybird(low_cardinality)]
    pub skill_name: String,
    /// How long the tool call took, as Claude Code measured it.
    pub duration_ms: u64,
    /// Whether the skill loaded.
    pub success: bool,
    /// The tool call's id (`tool_use_id` of the hook payload): what makes a re-sent row the same row.
    #[serde(default)]
    pub tool_use_id: String,
}

/// One API request of a session, main agent or subagent (`api_requests`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Datasource)]
#[tinybird(
    name = "api_requests",
    description = "One row per unique Messages API response of Claude Code (main and subagent transcripts), identified by request_id + message_id and attributed to the session that made the request, with its tokens and its cost as Claude Code prices it. Read with FINAL, each request counts once however often it was delivered, re-scanned or replayed into a forked session.",
    engine = "ReplacingMergeTree",
    partition_key = "toYYYYMM(timestamp)",
    sorting_key = "request_id, message_id",
    ttl = "toDateTime(timestamp) + toIntervalDay(365)",
    forward_query = "
        SELECT
            timestamp,
            session_id,
            model,
            input_tokens,
            output_tokens,
            cache_read_tokens,
            cache_creation_tokens,
            cost_usd,
            duration_ms,
            '' AS request_id,
            concat(
                'legacy:',
                hex(
                    cityHash64(
                        timestamp,
                        model,
                        input_tokens,
                        output_tokens,
                        cache_read_tokens,
                        cache_creation_tokens
                    )
                )
            ) AS message_id
    "
)]
pub struct ApiRequest {
    /// When the response was written to the transcript.
    #[serde(with = "crate::client::de::datetime")]
    pub timestamp: DateTime<Utc>,
    /// The Claude Code session that made the request: for a line a forked session replayed from its
    /// parent, the parent (`requestSessionId`).
    pub session_id: String,
    /// The model id as the API reported it.
    #[tinybird(low_cardinality)]
    pub model: String,
    /// Uncached input tokens.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Input tokens read from the prompt cache.
    pub cache_read_tokens: u64,
    /// Input tokens written to the prompt cache (5-minute and 1-hour).
    pub cache_creation_tokens: u64,
    /// The request's cost in USD, priced by [`pricing`](super::pricing) as Claude Code prices it.
    pub cost_usd: f64,
    /// Milliseconds from the transcript line that triggered the request (the nearest earlier line
    /// stamped no later than the response's first line: the user prompt, the tool result, or Claude
    /// Code's `api-request` line) to the response's last transcript line. A lower bound on the API
    /// call's duration: the stream's tail after the last content block is not in the transcript. 0
    /// when it cannot be derived.
    pub duration_ms: u64,
    /// The transcript's `requestId` (empty when Claude Code wrote none).
    #[serde(default)]
    pub request_id: String,
    /// The transcript's `message.id`; with `request_id`, the request's identity. Rows recorded before
    /// these columns existed hold `legacy:` + a hash of their timestamp, model and tokens.
    #[serde(default)]
    pub message_id: String,
}
