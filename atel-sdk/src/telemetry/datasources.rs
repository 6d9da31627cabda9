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
    description = "One row per subagent start and stop in Claude Code. Stop rows carry the run's token usage (unique API responses of the subagent transcript), the model with the most output tokens, and the run's duration.",
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
    /// The model with the most output tokens in the run (empty on start rows).
    #[tinybird(low_cardinality)]
    pub model: String,
}

/// One use of a skill (`skill_activations`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Datasource)]
#[tinybird(
    name = "skill_activations",
    description = "One row per Skill tool call in Claude Code, from PostToolUse (success as reported by the tool) and PostToolUseFailure (success = false).",
    partition_key = "toYYYYMM(timestamp)",
    sorting_key = "skill_name, session_id, timestamp",
    ttl = "toDateTime(timestamp) + toIntervalDay(365)"
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
}

/// One API request of a session, main agent or subagent (`api_requests`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Datasource)]
#[tinybird(
    name = "api_requests",
    description = "One row per unique Messages API response in a Claude Code session (main and subagent transcripts, deduplicated on message id + request id), with its tokens and its cost as Claude Code prices it.",
    partition_key = "toYYYYMM(timestamp)",
    sorting_key = "model, session_id, timestamp",
    ttl = "toDateTime(timestamp) + toIntervalDay(365)"
)]
pub struct ApiRequest {
    /// When the response was written to the transcript.
    #[serde(with = "crate::client::de::datetime")]
    pub timestamp: DateTime<Utc>,
    /// The Claude Code session.
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
}
