//! The five telemetry endpoints (seed changes B7–B11), each a params struct with `#[pipe]`, its output
//! row and a typed method on [`TinybirdClient`](crate::TinybirdClient).
//!
//! Every endpoint looks back `days` days from now (default 7) and sorts by what matters most: cost,
//! then count, descending. Estimated agent costs come from [`pricing`](super::pricing): the per-row
//! price expression in `sql/agent_stops.sql` is generated from the same table the hooks price
//! requests with (a test fails when the file and the table disagree), at the 5-minute cache-write
//! price because `agent_activations` only has total cache-write tokens.
//!
//! Every endpoint counts each row id once, at read time (see [`datasources`](super::datasources)):
//! `api_requests` and `skill_activations` are read with `FINAL`, subagent stop rows one per
//! `agent_id`. A stop row recorded without usage (its transcript could not be read) counts as a run and
//! is left out of the averages, so they stay averages over what was measured.
//! `api_requests` rows migrated from before the ids existed (`message_id` `legacy:…`) are left out
//! when a row with ids holds the same request (same timestamp, model and tokens): a session recorded
//! before the upgrade and imported again by `backfill`, or forked after it, counts once.

use serde::{Deserialize, Serialize};

use crate::pipe;

/// A row of [`AgentUsageSummary`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentUsageSummaryRow {
    /// The subagent type.
    pub agent_type: String,
    /// Completed runs (one per `agent_id`).
    pub invocations: u64,
    /// Runs recorded without usage (their transcript could not be read): counted in `invocations`,
    /// left out of `avg_duration_ms`. 0 from a workspace still on the pipe without this column.
    #[serde(default)]
    pub runs_without_usage: u64,
    /// Uncached input tokens, summed.
    pub total_input: u64,
    /// Output tokens, summed.
    pub total_output: u64,
    /// Cache-read tokens, summed.
    pub total_cache_read: u64,
    /// Mean duration of the runs with usage, in milliseconds (0 when there are none).
    pub avg_duration_ms: f64,
    /// Estimated USD: Σ tokens × the model's price per token kind.
    pub est_cost_usd: f64,
}

/// Token use and estimated cost per subagent type.
#[pipe(
    name = "agent_usage_summary",
    description = "Subagent runs per agent type over the last `days` days (default 7), most expensive first. Over agent_activations rows with event = 'stop', one per agent_id (the one with the most tokens, then the latest: a run delivered twice counts once). invocations = count(); runs_without_usage = runs whose transcript could not be read (model = ''); total_input / total_output / total_cache_read = sum of the token columns; avg_duration_ms = avg(duration_ms) over the runs with usage, 0 when none; est_cost_usd = sum((input_tokens x input price + output_tokens x output price + cache_read_tokens x cache-read price + cache_creation_tokens x 5-minute cache-write price) / 1e6), prices per model from atel's pricing table (the one Claude Code uses).",
    output = AgentUsageSummaryRow,
    node(
        name = "agent_stops",
        description = "Completed subagent runs in the window (one stop row per agent_id: the most tokens, then the latest), each with its estimated cost and whether its usage is known.",
        sql_file = "sql/agent_stops.sql"
    ),
    node(
        name = "usage_by_agent_type",
        sql = "
            SELECT
                agent_type,
                count() AS invocations,
                countIf(NOT measured) AS runs_without_usage,
                sum(input_tokens) AS total_input,
                sum(output_tokens) AS total_output,
                sum(cache_read_tokens) AS total_cache_read,
                if(countIf(measured) = 0, 0, avgIf(duration_ms, measured)) AS avg_duration_ms,
                sum(row_cost_usd) AS est_cost_usd
            FROM agent_stops
            GROUP BY agent_type
            ORDER BY est_cost_usd DESC, invocations DESC, agent_type ASC
        "
    )
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgentUsageSummary {
    /// Days to look back from now.
    #[param(default = 7, description = "Days to look back from now")]
    pub days: u16,
}

/// A row of [`SkillFrequency`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkillFrequencyRow {
    /// The skill.
    pub skill_name: String,
    /// Times it was used.
    pub activations: u64,
    /// Times it loaded successfully.
    pub successes: u64,
    /// Mean tool-call duration in milliseconds.
    pub avg_duration_ms: f64,
}

/// How often each skill is used and how often it works.
#[pipe(
    name = "skill_frequency",
    description = "Skill uses per skill over the last `days` days (default 7), most used first, each tool call once (skill_activations FINAL: by tool_use_id). activations = count(); successes = countIf(success); avg_duration_ms = avg(duration_ms).",
    output = SkillFrequencyRow,
    node(
        name = "skills_in_window",
        sql = "
            %
            SELECT
                skill_name,
                count() AS activations,
                countIf(success) AS successes,
                avg(duration_ms) AS avg_duration_ms
            FROM skill_activations FINAL
            WHERE timestamp >= now64(3) - toIntervalDay({{ Int32(days, 7, description=\"Days to look back from now\") }})
            GROUP BY skill_name
            ORDER BY activations DESC, successes DESC, skill_name ASC
        "
    )
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SkillFrequency {
    /// Days to look back from now.
    #[param(default = 7, description = "Days to look back from now")]
    pub days: u16,
}

/// A row of [`CostByModel`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostByModelRow {
    /// The model id as the API reported it.
    pub model: String,
    /// Uncached input tokens, summed.
    pub total_input: u64,
    /// Output tokens, summed.
    pub total_output: u64,
    /// USD, the sum of the requests' own `cost_usd`.
    pub total_cost_usd: f64,
    /// API requests.
    pub request_count: u64,
}

/// API spend per model.
#[pipe(
    name = "cost_by_model",
    description = "API requests per model over the last `days` days (default 7), most expensive first, each request once (by request_id + message_id). total_input / total_output = sum of the token columns; total_cost_usd = sum(cost_usd), each request priced when recorded exactly as Claude Code prices it; request_count = count().",
    output = CostByModelRow,
    node(
        name = "unique_requests",
        description = "The API requests in the window, each once: api_requests FINAL (by request_id + message_id), without the rows migrated from before the ids existed that a row with ids also holds.",
        sql_file = "sql/unique_requests.sql"
    ),
    node(
        name = "requests_by_model",
        sql = "
            SELECT
                model,
                sum(input_tokens) AS total_input,
                sum(output_tokens) AS total_output,
                sum(cost_usd) AS total_cost_usd,
                count() AS request_count
            FROM unique_requests
            GROUP BY model
            ORDER BY total_cost_usd DESC, request_count DESC, model ASC
        "
    )
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CostByModel {
    /// Days to look back from now.
    #[param(default = 7, description = "Days to look back from now")]
    pub days: u16,
}

/// A row of [`SessionOverview`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionOverviewRow {
    /// The Claude Code session.
    pub session_id: String,
    /// Distinct subagent types that ran.
    pub agents_used: u64,
    /// Distinct skills used.
    pub skills_used: u64,
    /// Input + output + cache-read + cache-write tokens of its API requests.
    pub total_tokens: u64,
    /// USD, the sum of its requests' `cost_usd`.
    pub total_cost_usd: f64,
}

/// Per session: how many agents and skills, how many tokens, what it cost.
#[pipe(
    name = "session_overview",
    description = "One row per session seen in the last `days` days (default 7) in any of the three datasources, or only `session_id` when given; most expensive first. agents_used = uniqExact(agent_type) over agent_activations; skills_used = uniqExact(skill_name) over skill_activations; total_tokens = sum(input_tokens + output_tokens + cache_read_tokens + cache_creation_tokens) and total_cost_usd = sum(cost_usd) over api_requests, each request once (by request_id + message_id) and in the session that made it.",
    output = SessionOverviewRow,
    node(
        name = "unique_requests",
        description = "The API requests in the window, each once: api_requests FINAL (by request_id + message_id), without the rows migrated from before the ids existed that a row with ids also holds.",
        sql_file = "sql/unique_requests.sql"
    ),
    node(
        name = "session_requests",
        sql = "
            %
            SELECT
                session_id,
                sum(input_tokens + output_tokens + cache_read_tokens + cache_creation_tokens) AS total_tokens,
                sum(cost_usd) AS total_cost_usd
            FROM unique_requests
            {% if defined(session_id) %}
                WHERE session_id = {{ String(session_id, description=\"Only this session\") }}
            {% end %}
            GROUP BY session_id
        "
    ),
    node(
        name = "session_agents",
        sql = "
            %
            SELECT session_id, uniqExact(agent_type) AS agents_used
            FROM agent_activations
            WHERE timestamp >= now64(3) - toIntervalDay({{ Int32(days, 7) }})
            {% if defined(session_id) %}
                AND session_id = {{ String(session_id) }}
            {% end %}
            GROUP BY session_id
        "
    ),
    node(
        name = "session_skills",
        sql = "
            %
            SELECT session_id, uniqExact(skill_name) AS skills_used
            FROM skill_activations
            WHERE timestamp >= now64(3) - toIntervalDay({{ Int32(days, 7) }})
            {% if defined(session_id) %}
                AND session_id = {{ String(session_id) }}
            {% end %}
            GROUP BY session_id
        "
    ),
    node(
        name = "sessions",
        sql = "
            SELECT
                session_id,
                session_agents.agents_used AS agents_used,
                session_skills.skills_used AS skills_used,
                session_requests.total_tokens AS total_tokens,
                session_requests.total_cost_usd AS total_cost_usd
            FROM (
                SELECT session_id FROM session_requests
                UNION DISTINCT SELECT session_id FROM session_agents
                UNION DISTINCT SELECT session_id FROM session_skills
            ) AS all_sessions
            LEFT JOIN session_requests USING (session_id)
            LEFT JOIN session_agents USING (session_id)
            LEFT JOIN session_skills USING (session_id)
            ORDER BY total_cost_usd DESC, total_tokens DESC, session_id ASC
        "
    )
)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionOverview {
    /// Only this session; all sessions in the window when `None`.
    #[param(description = "Only this session")]
    pub session_id: Option<String>,
    /// Days to look back from now.
    #[param(default = 7, description = "Days to look back from now")]
    pub days: u16,
}

/// A row of [`OptimizationInsights`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptimizationInsightsRow {
    /// The subagent type.
    pub agent_type: String,
    /// Estimated USD per completed run with usage.
    pub avg_cost_per_invocation: f64,
    /// Mean tokens per run with usage, all four kinds.
    pub avg_tokens: f64,
    /// Completed runs, with usage or not.
    pub frequency: u64,
    /// Prompt-cache hit rate in percent, one decimal: cache reads / all prompt tokens.
    pub efficiency_score: f64,
}

/// Where agent spend goes and how well each agent type uses the prompt cache.
#[pipe(
    name = "optimization_insights",
    description = "Per subagent type over the last `days` days (default 7), by total estimated cost, descending. one stop row per agent_id as in agent_usage_summary; avg_cost_per_invocation = sum(estimated cost) / the runs with usage, with the same per-row cost as agent_usage_summary; avg_tokens = avg(input_tokens + output_tokens + cache_read_tokens + cache_creation_tokens) over the runs with usage (both 0 when none); frequency = count(); efficiency_score = round(100 x sum(cache_read_tokens) / sum(input_tokens + cache_read_tokens + cache_creation_tokens), 1), 0 when there are no prompt tokens: the prompt-cache hit rate, the biggest lever on agent cost.",
    output = OptimizationInsightsRow,
    node(
        name = "agent_stops",
        description = "Completed subagent runs in the window (one stop row per agent_id: the most tokens, then the latest), each with its estimated cost and whether its usage is known.",
        sql_file = "sql/agent_stops.sql"
    ),
    node(
        name = "insights_by_agent_type",
        sql = "
            SELECT
                agent_type,
                if(countIf(measured) = 0, 0, sum(row_cost_usd) / countIf(measured)) AS avg_cost_per_invocation,
                if(
                    countIf(measured) = 0,
                    0,
                    avgIf(input_tokens + output_tokens + cache_read_tokens + cache_creation_tokens, measured)
                ) AS avg_tokens,
                count() AS frequency,
                if(
                    sum(input_tokens + cache_read_tokens + cache_creation_tokens) = 0,
                    0,
                    round(100 * sum(cache_read_tokens) / sum(input_tokens + cache_read_tokens + cache_creation_tokens), 1)
                ) AS efficiency_score
            FROM agent_stops
            GROUP BY agent_type
            ORDER BY sum(row_cost_usd) DESC, frequency DESC, agent_type ASC
        "
    )
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptimizationInsights {
    /// Days to look back from now.
    #[param(default = 7, description = "Days to look back from now")]
    pub days: u16,
}
