//! Endpoints on Claude Code's own OpenTelemetry (the `otel_*` datasources, see [`otel`](super::otel)):
//! its API requests, its cost and token metrics per day and model, its tool results, and the
//! reconciliation of its API requests with the hooks' `api_requests`.
//!
//! The `otel_*` datasources are the template's plain `MergeTree`s, and an exporter that retries a
//! batch writes its rows again, so every endpoint counts each source id once at read time:
//! - an `api_request` event by its `request_id` (else by `session.id` + `event.sequence`);
//! - a `tool_result` event by its `tool_use_id` (else by `session.id` + `event.sequence`);
//! - a metric point by its series and interval (name, attributes, start and time): the same point
//!   sent twice is one point.
//!
//! Metric values are summed per day as delta points (Claude Code's default temporality, and what
//! `atel-hooks install --otel` asks for). A cumulative series counts its last value, on the day of
//! its last point: Claude Code's cumulative counters start again with each process, so one series is
//! one session's total.

use serde::{Deserialize, Serialize};

use crate::pipe;

/// One Claude Code API request as its `api_request` event reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OtelApiRequestRow {
    /// The API's request id (`request-id` header); else `seq:<session>:<event.sequence>`.
    pub request_id: String,
    /// `session.id`.
    pub session_id: String,
    /// The event's time, `YYYY-MM-DD hh:mm:ss.fffffffff` UTC.
    pub timestamp: String,
    /// The model id.
    pub model: String,
    /// Uncached input tokens.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Cache-read input tokens.
    pub cache_read_tokens: u64,
    /// Cache-write input tokens.
    pub cache_creation_tokens: u64,
    /// Claude Code's own price of the request, in USD.
    pub cost_usd: f64,
    /// Request duration in milliseconds.
    pub duration_ms: u64,
    /// `query_source`: `sdk`, `main`, `agent:builtin:general-purpose`, …
    pub query_source: String,
    /// `agent.name` when a subagent made the request, else empty.
    pub agent_name: String,
    /// `skill.name` when the request ran under a skill, else empty.
    pub skill_name: String,
}

/// Claude Code's API requests from its `api_request` events.
#[pipe(
    name = "otel_api_requests",
    description = "Claude Code's API requests from its OpenTelemetry api_request events over the last `days` days (default 7), oldest first, each request_id once (a re-sent batch counts once); optionally one session's.",
    output = OtelApiRequestRow,
    node(
        name = "otel_requests",
        description = "Each api_request event once, by request_id (else session.id + event.sequence).",
        sql_file = "sql/otel_requests.sql"
    ),
    node(
        name = "endpoint",
        sql = "
            %
            SELECT
                request_id, session_id, toString(event_time) AS timestamp, model, input_tokens,
                output_tokens, cache_read_tokens, cache_creation_tokens, cost_usd, duration_ms,
                query_source, agent_name, skill_name
            FROM otel_requests
            WHERE event_time >= now64(9) - toIntervalDay({{ Int32(days, 7, description=\"Days to look back from now\") }})
            {% if defined(session_id) %}
                AND session_id = {{ String(session_id, description=\"Only this session\") }}
            {% end %}
            ORDER BY event_time, request_id
        "
    )
)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtelApiRequests {
    /// Days to look back from now.
    #[param(default = 7, description = "Days to look back from now")]
    pub days: u16,
    /// Only this session.
    #[param(description = "Only this session")]
    pub session_id: Option<String>,
}

/// A row of [`OtelUsageByDay`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OtelUsageByDayRow {
    /// UTC day, `YYYY-MM-DD`.
    pub day: String,
    /// The model id.
    pub model: String,
    /// `claude_code.cost.usage`, in USD.
    pub cost_usd: f64,
    /// `claude_code.token.usage` of `type` `input`.
    pub input_tokens: u64,
    /// … `output`.
    pub output_tokens: u64,
    /// … `cacheRead`.
    pub cache_read_tokens: u64,
    /// … `cacheCreation`.
    pub cache_creation_tokens: u64,
}

/// Cost and tokens per day and model from Claude Code's metrics.
#[pipe(
    name = "otel_usage_by_day",
    description = "Claude Code's claude_code.cost.usage and claude_code.token.usage metrics per UTC day and model over the last `days` days (default 7), oldest day first: delta points summed, each point once (by series and interval); a cumulative series counts its last value.",
    output = OtelUsageByDayRow,
    node(
        name = "points",
        description = "The cost and token points of the window, each once: delta points as they are, a cumulative series as its last point.",
        sql = "
            %
            SELECT
                MetricName, Attributes, TimeUnix AS last_time, Value
            FROM otel_metrics_sum
            WHERE MetricName IN ('claude_code.cost.usage', 'claude_code.token.usage')
                AND AggregationTemporality = 1
                AND TimeUnix >= now64(9) - toIntervalDay({{ Int32(days, 7, description=\"Days to look back from now\") }})
            LIMIT 1 BY MetricName, Attributes, StartTimeUnix, TimeUnix
            UNION ALL
            SELECT
                MetricName, Attributes, max(TimeUnix) AS last_time, argMax(Value, TimeUnix) AS Value
            FROM otel_metrics_sum
            WHERE MetricName IN ('claude_code.cost.usage', 'claude_code.token.usage')
                AND AggregationTemporality = 2
                AND TimeUnix >= now64(9) - toIntervalDay({{ Int32(days, 7, description=\"Days to look back from now\") }})
            GROUP BY MetricName, Attributes, StartTimeUnix
        "
    ),
    node(
        name = "endpoint",
        sql = "
            SELECT
                toString(toDate(last_time)) AS day,
                Attributes['model'] AS model,
                sumIf(Value, MetricName = 'claude_code.cost.usage') AS cost_usd,
                toUInt64(round(sumIf(Value, MetricName = 'claude_code.token.usage' AND Attributes['type'] = 'input'))) AS input_tokens,
                toUInt64(round(sumIf(Value, MetricName = 'claude_code.token.usage' AND Attributes['type'] = 'output'))) AS output_tokens,
                toUInt64(round(sumIf(Value, MetricName = 'claude_code.token.usage' AND Attributes['type'] = 'cacheRead'))) AS cache_read_tokens,
                toUInt64(round(sumIf(Value, MetricName = 'claude_code.token.usage' AND Attributes['type'] = 'cacheCreation'))) AS cache_creation_tokens
            FROM points
            GROUP BY day, model
            ORDER BY day, model
        "
    )
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OtelUsageByDay {
    /// Days to look back from now.
    #[param(default = 7, description = "Days to look back from now")]
    pub days: u16,
}

/// A row of [`OtelToolResults`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OtelToolResultRow {
    /// `tool_name`: `Bash`, `Read`, `Agent`, an MCP tool, …
    pub tool_name: String,
    /// Tool calls.
    pub calls: u64,
    /// Calls whose `success` is `true`.
    pub successes: u64,
    /// `successes / calls`.
    pub success_rate: f64,
    /// Median duration in milliseconds (`quantileExact(0.5)`: the value at index ⌊n/2⌋ of the sorted
    /// durations).
    pub p50_duration_ms: f64,
    /// 95th percentile duration in milliseconds (`quantileExact(0.95)`, index ⌊0.95·n⌋).
    pub p95_duration_ms: f64,
}

/// Tool calls, success rate and durations per tool, from Claude Code's `tool_result` events.
#[pipe(
    name = "otel_tool_results",
    description = "Claude Code's tool calls per tool from its OpenTelemetry tool_result events over the last `days` days (default 7), most used first, each tool_use_id once: calls, successes, success_rate, and p50 / p95 duration_ms (quantileExact).",
    output = OtelToolResultRow,
    node(
        name = "tool_results",
        description = "Each tool_result event of the window once, by tool_use_id (else session.id + event.sequence).",
        sql = "
            %
            SELECT
                LogAttributes['tool_name'] AS tool_name,
                LogAttributes['success'] = 'true' AS success,
                toFloat64OrZero(LogAttributes['duration_ms']) AS duration_ms
            FROM otel_logs
            WHERE Body = 'claude_code.tool_result'
                AND Timestamp >= now64(9) - toIntervalDay({{ Int32(days, 7, description=\"Days to look back from now\") }})
            LIMIT 1 BY if(
                LogAttributes['tool_use_id'] != '',
                LogAttributes['tool_use_id'],
                concat('seq:', LogAttributes['session.id'], ':', LogAttributes['event.sequence'])
            )
        "
    ),
    node(
        name = "endpoint",
        sql = "
            SELECT
                tool_name,
                count() AS calls,
                countIf(success) AS successes,
                successes / calls AS success_rate,
                quantileExact(0.5)(duration_ms) AS p50_duration_ms,
                quantileExact(0.95)(duration_ms) AS p95_duration_ms
            FROM tool_results
            GROUP BY tool_name
            ORDER BY calls DESC, tool_name
        "
    )
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OtelToolResults {
    /// Days to look back from now.
    #[param(default = 7, description = "Days to look back from now")]
    pub days: u16,
}

/// A row of [`Reconcile`]: one request id and what each route recorded for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReconcileRow {
    /// The request id.
    pub request_id: String,
    /// `match`, `differs`, `missing_in_otel` or `missing_in_hooks`.
    pub status: String,
    /// The session (the hooks' when they have the request, else OpenTelemetry's).
    pub session_id: String,
    /// The hooks' tokens: input, output, cache read, cache write (0 when missing there).
    pub hook_tokens: [u64; 4],
    /// OpenTelemetry's tokens, in the same order.
    pub otel_tokens: [u64; 4],
    /// The hooks' cost (the transcript priced like Claude Code prices it).
    pub hook_cost_usd: f64,
    /// Claude Code's own `cost_usd`.
    pub otel_cost_usd: f64,
}

/// Every request id one route has and the other lacks or records differently.
#[pipe(
    name = "reconcile",
    description = "Per API request id over the last `days` days (default 7): the hooks' api_requests (from the transcripts) against Claude Code's own OpenTelemetry api_request events, each id once on each side. status = match | differs (a token count, or the cost by more than 1e-9 USD) | missing_in_otel | missing_in_hooks. Only the mismatches unless include_matches=1. A request counts when either side's timestamp is in the window; both sides are read one day wider so a request straddling the edge is not reported missing.",
    output = ReconcileRow,
    node(
        name = "otel_requests",
        description = "Each api_request event once, by request_id (else session.id + event.sequence).",
        sql_file = "sql/otel_requests.sql"
    ),
    node(
        name = "endpoint",
        sql = "
            %
            SELECT
                if(h.in_hooks = 1, h.request_id, o.request_id) AS request_id,
                multiIf(
                    o.in_otel = 0, 'missing_in_otel',
                    h.in_hooks = 0, 'missing_in_hooks',
                    h.tokens != o.tokens OR abs(h.cost_usd - o.cost_usd) > 1e-9, 'differs',
                    'match'
                ) AS status,
                if(h.in_hooks = 1, h.session_id, o.session_id) AS session_id,
                if(h.in_hooks = 1, h.tokens, [0, 0, 0, 0]) AS hook_tokens,
                if(o.in_otel = 1, o.tokens, [0, 0, 0, 0]) AS otel_tokens,
                h.cost_usd AS hook_cost_usd,
                o.cost_usd AS otel_cost_usd
            FROM (
                SELECT
                    request_id, session_id, timestamp,
                    [input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens] AS tokens,
                    cost_usd, toUInt8(1) AS in_hooks
                FROM api_requests FINAL
                WHERE request_id != ''
                    AND timestamp >= now64(3) - toIntervalDay({{ Int32(days, 7, description=\"Days to look back from now\") }} + 1)
                ORDER BY timestamp
                LIMIT 1 BY request_id
            ) AS h
            FULL OUTER JOIN (
                SELECT
                    request_id, session_id, event_time AS timestamp,
                    [input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens] AS tokens,
                    cost_usd, toUInt8(1) AS in_otel
                FROM otel_requests
                WHERE event_time >= now64(9) - toIntervalDay({{ Int32(days, 7, description=\"Days to look back from now\") }} + 1)
            ) AS o ON h.request_id = o.request_id
            WHERE greatest(toDateTime64(h.timestamp, 3), toDateTime64(o.timestamp, 3))
                    >= now64(3) - toIntervalDay({{ Int32(days, 7, description=\"Days to look back from now\") }})
                AND ({{ UInt8(include_matches, 0, description=\"1: every request, matches too\") }} = 1 OR status != 'match')
            ORDER BY session_id, request_id
        "
    )
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reconcile {
    /// Days to look back from now.
    #[param(default = 7, description = "Days to look back from now")]
    pub days: u16,
    /// 1: every request, matches too.
    #[param(default = 0, description = "1: every request, matches too")]
    pub include_matches: u8,
}
