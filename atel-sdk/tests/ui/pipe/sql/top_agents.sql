%
SELECT agent_type, count() AS invocations
FROM agent_activations
WHERE timestamp >= now() - INTERVAL {{ UInt16(days, 7) }} DAY
GROUP BY agent_type
ORDER BY invocations DESC
