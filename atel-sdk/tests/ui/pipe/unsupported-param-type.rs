use std::collections::HashMap;

use atel_sdk::pipe;

#[derive(serde::Deserialize)]
struct Row {
    n: u64,
}

#[pipe(
    name = "counts",
    output = Row,
    node(name = "endpoint", sql = "%\nSELECT count() AS n FROM t WHERE {{ String(labels) }}")
)]
struct Counts {
    labels: HashMap<String, String>,
}

fn main() {}
