//! The price table runs twice: in Rust (hooks pricing each request) and as SQL inside the pipes
//! (estimates over `agent_activations`). Both are generated from one table; this checks, on real
//! ClickHouse, that they also agree on every model id shape Claude Code writes.

use atel_sdk::telemetry::pricing::{
    PRICES, PriceKind, lookup, sql_normalize_model, sql_price_expr,
};
use atel_tests::server::LocalServer;

#[tokio::test]
async fn sql_prices_equal_rust_prices_for_every_id_shape() {
    let server = LocalServer::start();
    let client = server.client();

    let mut ids: Vec<String> = Vec::new();
    for row in PRICES {
        ids.push(row.model.to_owned());
        ids.push(format!("{}-20260101", row.model));
        ids.push(format!("{}[1m]", row.model));
        ids.push(format!("{}-latest", row.model));
        ids.push(format!("  {}-20251001[1m] ", row.model));
    }
    for odd in [
        "claude-opus-9",
        "claude-haiku-7-1",
        "claude-sonnet-6",
        "claude-fable-9",
        "gpt-4o",
        "",
    ] {
        ids.push(odd.to_owned());
    }
    let list = ids
        .iter()
        .map(|id| format!("'{id}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let kinds = [
        PriceKind::Input,
        PriceKind::Output,
        PriceKind::CacheRead,
        PriceKind::CacheWrite5m,
    ];
    let columns = kinds
        .iter()
        .enumerate()
        .map(|(i, kind)| format!("{} AS p{i}", sql_price_expr("priced_model", *kind)))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT raw, {} AS priced_model, {columns} FROM (SELECT arrayJoin([{list}]) AS raw)",
        sql_normalize_model("raw")
    );
    let rows = client.sql_json(&sql).await.expect("price query");
    let data = rows["data"].as_array().expect("data");
    assert_eq!(data.len(), ids.len());
    for row in data {
        let raw = row["raw"].as_str().expect("raw");
        let expected = lookup(raw).pricing.price;
        for (i, kind) in kinds.iter().enumerate() {
            let sql_price = row[format!("p{i}")].as_f64().expect("price");
            assert!(
                (sql_price - expected.get(*kind)).abs() < 1e-12,
                "{raw:?} {kind:?}: SQL {sql_price} != Rust {}",
                expected.get(*kind)
            );
        }
    }
}
