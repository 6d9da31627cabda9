%
-- Generated from atel_sdk::telemetry::pricing by `agent_stops_sql()`; a test keeps it in sync.
SELECT
    agent_type,
    input_tokens,
    output_tokens,
    cache_read_tokens,
    cache_creation_tokens,
    duration_ms,
    model != '' AS measured,
    replaceRegexpOne(replaceRegexpOne(replaceRegexpOne(trimBoth(model), '[[][^]]*[]]$', ''), '-latest$', ''), '-[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]$', '') AS priced_model,
    (
        input_tokens * transform(priced_model, ['claude-3-5-haiku', 'claude-haiku-4-5', 'claude-haiku-5-5', 'claude-3-5-sonnet', 'claude-3-7-sonnet', 'claude-sonnet-4', 'claude-sonnet-4-0', 'claude-sonnet-4-5', 'claude-sonnet-4-6', 'claude-sonnet-5', 'claude-sonnet-5-5', 'claude-opus-4', 'claude-opus-4-0', 'claude-opus-4-1', 'claude-opus-4-5', 'claude-opus-4-6', 'claude-opus-4-7', 'claude-opus-4-8', 'claude-opus-5', 'claude-opus-5-5', 'claude-fable-5', 'claude-fable-5-1', 'claude-fable-5-2', 'claude-mythos-5', 'claude-mythos-5-1', 'claude-mythos-5-2'], [0.8, 1.0, 0.1, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 2.0, 2.0, 15.0, 15.0, 15.0, 5.0, 5.0, 5.0, 5.0, 5.0, 4.0, 10.0, 10.0, 8.0, 10.0, 10.0, 8.0], multiIf(position(priced_model, 'haiku') > 0, 0.1, position(priced_model, 'sonnet') > 0, 2.0, position(priced_model, 'opus') > 0, 4.0, position(priced_model, 'fable') > 0, 8.0, position(priced_model, 'mythos') > 0, 8.0, 15.0))
        + output_tokens * transform(priced_model, ['claude-3-5-haiku', 'claude-haiku-4-5', 'claude-haiku-5-5', 'claude-3-5-sonnet', 'claude-3-7-sonnet', 'claude-sonnet-4', 'claude-sonnet-4-0', 'claude-sonnet-4-5', 'claude-sonnet-4-6', 'claude-sonnet-5', 'claude-sonnet-5-5', 'claude-opus-4', 'claude-opus-4-0', 'claude-opus-4-1', 'claude-opus-4-5', 'claude-opus-4-6', 'claude-opus-4-7', 'claude-opus-4-8', 'claude-opus-5', 'claude-opus-5-5', 'claude-fable-5', 'claude-fable-5-1', 'claude-fable-5-2', 'claude-mythos-5', 'claude-mythos-5-1', 'claude-mythos-5-2'], [4.0, 5.0, 0.5, 15.0, 15.0, 15.0, 15.0, 15.0, 15.0, 10.0, 10.0, 75.0, 75.0, 75.0, 25.0, 25.0, 25.0, 25.0, 25.0, 20.0, 50.0, 50.0, 40.0, 50.0, 50.0, 40.0], multiIf(position(priced_model, 'haiku') > 0, 0.5, position(priced_model, 'sonnet') > 0, 10.0, position(priced_model, 'opus') > 0, 20.0, position(priced_model, 'fable') > 0, 40.0, position(priced_model, 'mythos') > 0, 40.0, 75.0))
        + cache_read_tokens * transform(priced_model, ['claude-3-5-haiku', 'claude-haiku-4-5', 'claude-haiku-5-5', 'claude-3-5-sonnet', 'claude-3-7-sonnet', 'claude-sonnet-4', 'claude-sonnet-4-0', 'claude-sonnet-4-5', 'claude-sonnet-4-6', 'claude-sonnet-5', 'claude-sonnet-5-5', 'claude-opus-4', 'claude-opus-4-0', 'claude-opus-4-1', 'claude-opus-4-5', 'claude-opus-4-6', 'claude-opus-4-7', 'claude-opus-4-8', 'claude-opus-5', 'claude-opus-5-5', 'claude-fable-5', 'claude-fable-5-1', 'claude-fable-5-2', 'claude-mythos-5', 'claude-mythos-5-1', 'claude-mythos-5-2'], [0.08, 0.1, 0.01, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.2, 0.1, 1.5, 1.5, 1.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.2, 1.0, 0.25, 0.2, 1.0, 0.25, 0.2], multiIf(position(priced_model, 'haiku') > 0, 0.01, position(priced_model, 'sonnet') > 0, 0.1, position(priced_model, 'opus') > 0, 0.2, position(priced_model, 'fable') > 0, 0.2, position(priced_model, 'mythos') > 0, 0.2, 1.5))
        + cache_creation_tokens * transform(priced_model, ['claude-3-5-haiku', 'claude-haiku-4-5', 'claude-haiku-5-5', 'claude-3-5-sonnet', 'claude-3-7-sonnet', 'claude-sonnet-4', 'claude-sonnet-4-0', 'claude-sonnet-4-5', 'claude-sonnet-4-6', 'claude-sonnet-5', 'claude-sonnet-5-5', 'claude-opus-4', 'claude-opus-4-0', 'claude-opus-4-1', 'claude-opus-4-5', 'claude-opus-4-6', 'claude-opus-4-7', 'claude-opus-4-8', 'claude-opus-5', 'claude-opus-5-5', 'claude-fable-5', 'claude-fable-5-1', 'claude-fable-5-2', 'claude-mythos-5', 'claude-mythos-5-1', 'claude-mythos-5-2'], [1.0, 1.25, 0.125, 3.75, 3.75, 3.75, 3.75, 3.75, 3.75, 2.5, 2.5, 18.75, 18.75, 18.75, 6.25, 6.25, 6.25, 6.25, 6.25, 5.0, 12.5, 12.5, 10.0, 12.5, 12.5, 10.0], multiIf(position(priced_model, 'haiku') > 0, 0.125, position(priced_model, 'sonnet') > 0, 2.5, position(priced_model, 'opus') > 0, 5.0, position(priced_model, 'fable') > 0, 10.0, position(priced_model, 'mythos') > 0, 10.0, 18.75))
    ) / 1000000 AS row_cost_usd
FROM agent_activations
WHERE event = 'stop'
    AND timestamp >= now64(3) - toIntervalDay({{ Int32(days, 7, description="Days to look back from now") }})
-- One run, one row: a stop delivered twice (at-least-once), recorded again by backfill, or
-- a subagent stopped again after more work counts once, with its fullest totals (a row
-- recorded without usage loses to one with usage), then its latest.
ORDER BY input_tokens + output_tokens + cache_read_tokens + cache_creation_tokens DESC, timestamp DESC
LIMIT 1 BY agent_id
