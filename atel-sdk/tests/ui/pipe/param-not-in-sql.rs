use atel_sdk::pipe;

#[derive(serde::Deserialize)]
struct Row {
    n: u64,
}

#[pipe(
    name = "counts",
    output = Row,
    node(name = "endpoint", sql = "%\nSELECT count() AS n FROM t WHERE d > now() - {{ Int32(days, 7) }}")
)]
struct Counts {
    days: i32,
    limit: u32,
}

fn main() {}
