use atel_sdk::{Datasource, pipe};
use serde::Serialize;

#[derive(Serialize, Datasource)]
#[tinybird(name = "daily")]
struct Daily {
    n: u64,
}

#[pipe(
    name = "daily_mv",
    materialized = Daily,
    copy(target = Daily),
    node(name = "agg", sql = "SELECT count() AS n FROM t")
)]
struct DailyMv;

fn main() {}
