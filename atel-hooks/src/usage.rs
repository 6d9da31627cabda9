//! What the pipes report, in the shape the report and the `SessionStart` context use.
//!
//! These mirror the rows of the telemetry pipes (`atel_sdk::telemetry::pipes`) field for field; the
//! conversions live in [`crate::query`].

use serde::{Deserialize, Serialize};

/// One agent type over the window (`agent_usage_summary`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentUsage {
    /// The subagent type.
    pub agent_type: String,
    /// Completed runs.
    pub invocations: u64,
    /// Uncached input tokens.
    pub total_input: u64,
    /// Output tokens.
    pub total_output: u64,
    /// Input tokens read from the prompt cache.
    pub total_cache_read: u64,
    /// Mean run time.
    pub avg_duration_ms: f64,
    /// Estimated cost in USD.
    pub est_cost_usd: f64,
}

/// One agent type's efficiency over the window (`optimization_insights`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentInsight {
    /// The subagent type.
    pub agent_type: String,
    /// Mean cost of one run in USD.
    pub avg_cost_per_invocation: f64,
    /// Mean tokens of one run.
    pub avg_tokens: f64,
    /// Runs in the window.
    pub frequency: u64,
    /// Prompt-cache hit rate in percent.
    pub efficiency_score: f64,
}

/// One skill over the window (`skill_frequency`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkillUsage {
    /// The skill.
    pub skill_name: String,
    /// Uses.
    pub activations: u64,
    /// Uses that loaded.
    pub successes: u64,
    /// Mean tool-call time.
    pub avg_duration_ms: f64,
}

/// One model over the window (`cost_by_model`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelCost {
    /// The model id.
    pub model: String,
    /// Uncached input tokens.
    pub total_input: u64,
    /// Output tokens.
    pub total_output: u64,
    /// Cost in USD.
    pub total_cost_usd: f64,
    /// API requests.
    pub request_count: u64,
}

/// One session over the window (`session_overview`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionSummary {
    /// The session id.
    pub session_id: String,
    /// Distinct subagent types used.
    pub agents_used: u64,
    /// Distinct skills used.
    pub skills_used: u64,
    /// All tokens of the session's API requests.
    pub total_tokens: u64,
    /// Cost in USD.
    pub total_cost_usd: f64,
}

/// Everything `atel-hooks report` shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Usage {
    /// The window in days.
    pub days: u32,
    /// By agent type, most expensive first.
    pub agents: Vec<AgentUsage>,
    /// By skill, most used first.
    pub skills: Vec<SkillUsage>,
    /// By model, most expensive first.
    pub models: Vec<ModelCost>,
    /// By session, most expensive first.
    pub sessions: Vec<SessionSummary>,
}
