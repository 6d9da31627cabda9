%
-- Each API request once. FINAL merges the copies of a request_id + message_id at read time, so a row
-- delivered twice, re-scanned or replayed into a forked session never shows, before or after a merge.
-- A row migrated from before the ids existed (message_id 'legacy:…') is left out when a row with ids
-- holds the same request: the same timestamp, model and tokens.
SELECT *
FROM api_requests FINAL
WHERE timestamp >= now64(3) - toIntervalDay({{ Int32(days, 7, description="Days to look back from now") }})
    AND (
        NOT startsWith(message_id, 'legacy:')
        OR (timestamp, model, input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens) NOT IN (
            SELECT timestamp, model, input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens
            FROM api_requests
            WHERE NOT startsWith(message_id, 'legacy:')
                AND (timestamp, model, input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens) IN (
                    SELECT timestamp, model, input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens
                    FROM api_requests
                    WHERE request_id = '' AND startsWith(message_id, 'legacy:')
                )
        )
    )
