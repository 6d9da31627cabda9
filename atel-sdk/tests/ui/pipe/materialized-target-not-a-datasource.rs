use atel_sdk::pipe;

struct NotADatasource {
    n: u64,
}

#[pipe(
    name = "daily_mv",
    materialized = NotADatasource,
    node(name = "agg", sql = "SELECT count() AS n FROM t")
)]
struct DailyMv;

fn main() {}
