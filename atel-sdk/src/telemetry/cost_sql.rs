//! SQL generated from the price table, so the pipes' cost estimates and the hooks' per-request costs
//! come from one table.

/// The text of `sql/agent_stops.sql`, generated from the price table: the stop rows in the window, each
/// with `row_cost_usd` = Σ tokens × the model's price per token kind / 1e6 and `measured` (whether
/// its usage is known), one row per `agent_id`: the copy with the most tokens, then the latest.
pub fn agent_stops_sql() -> String {
    use super::pricing::{PriceKind, sql_normalize_model, sql_price_expr};
    let model = "priced_model";
    let price = |kind| sql_price_expr(model, kind);
    format!(
        "%\n\
         -- Generated from atel_sdk::telemetry::pricing by `agent_stops_sql()`; a test keeps it in sync.\n\
         SELECT\n    \
             agent_type,\n    \
             input_tokens,\n    \
             output_tokens,\n    \
             cache_read_tokens,\n    \
             cache_creation_tokens,\n    \
             duration_ms,\n    \
             model != '' AS measured,\n    \
             {normalize} AS {model},\n    \
             (\n        \
                 input_tokens * {input}\n        \
                 + output_tokens * {output}\n        \
                 + cache_read_tokens * {cache_read}\n        \
                 + cache_creation_tokens * {cache_write}\n    \
             ) / 1000000 AS row_cost_usd\n\
         FROM agent_activations\n\
         WHERE event = 'stop'\n    \
             AND timestamp >= now64(3) - toIntervalDay({{{{ Int32(days, 7, description=\"Days to look back from now\") }}}})\n\
         -- One run, one row: a stop delivered twice (at-least-once), recorded again by backfill, or\n\
         -- a subagent stopped again after more work counts once, with its fullest totals (a row\n\
         -- recorded without usage loses to one with usage), then its latest.\n\
         ORDER BY input_tokens + output_tokens + cache_read_tokens + cache_creation_tokens DESC, timestamp DESC\n\
         LIMIT 1 BY agent_id\n",
        normalize = sql_normalize_model("model"),
        input = price(PriceKind::Input),
        output = price(PriceKind::Output),
        cache_read = price(PriceKind::CacheRead),
        cache_write = price(PriceKind::CacheWrite5m),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_stops_sql_file_is_generated_from_the_price_table() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/sql/agent_stops.sql");
        let expected = agent_stops_sql();
        if std::env::var_os("ATEL_BLESS").is_some() {
            std::fs::write(path, &expected).expect("write sql/agent_stops.sql");
        }
        let actual = std::fs::read_to_string(path).expect("read sql/agent_stops.sql");
        assert!(
            actual == expected,
            "sql/agent_stops.sql is out of date with the price table; regenerate it with \
             `ATEL_BLESS=1 cargo test -p atel-sdk agent_stops_sql`"
        );
    }
}
