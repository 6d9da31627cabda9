%
-- Each Claude Code API request of its OpenTelemetry once: the api_request events (body
-- claude_code.api_request) by request_id, so a batch the exporter sent twice counts once; an event
-- without a request_id by its session.id + event.sequence. The window is a day wider than `days`:
-- the next node cuts it, and the reconciliation needs the slack at the window's edge.
SELECT
    if(
        LogAttributes['request_id'] != '',
        LogAttributes['request_id'],
        concat('seq:', LogAttributes['session.id'], ':', LogAttributes['event.sequence'])
    ) AS request_id,
    any(LogAttributes['session.id']) AS session_id,
    min(Timestamp) AS event_time,
    any(LogAttributes['model']) AS model,
    any(toUInt64OrZero(LogAttributes['input_tokens'])) AS input_tokens,
    any(toUInt64OrZero(LogAttributes['output_tokens'])) AS output_tokens,
    any(toUInt64OrZero(LogAttributes['cache_read_tokens'])) AS cache_read_tokens,
    any(toUInt64OrZero(LogAttributes['cache_creation_tokens'])) AS cache_creation_tokens,
    any(toFloat64OrZero(LogAttributes['cost_usd'])) AS cost_usd,
    any(toUInt64OrZero(LogAttributes['duration_ms'])) AS duration_ms,
    any(LogAttributes['query_source']) AS query_source,
    any(LogAttributes['agent.name']) AS agent_name,
    any(LogAttributes['skill.name']) AS skill_name
FROM otel_logs
WHERE Body = 'claude_code.api_request'
    AND Timestamp >= now64(9) - toIntervalDay({{ Int32(days, 7, description="Days to look back from now") }} + 1)
GROUP BY request_id
