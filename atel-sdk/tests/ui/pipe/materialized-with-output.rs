use atel_sdk::{Datasource, pipe};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Datasource)]
#[tinybird(name = "daily")]
struct Daily {
    n: u64,
}

#[pipe(
    name = "daily_mv",
    materialized = Daily,
    output = Daily,
    method = "daily",
    node(name = "agg", sql = "SELECT count() AS n FROM t")
)]
struct DailyMv;

fn main() {}
