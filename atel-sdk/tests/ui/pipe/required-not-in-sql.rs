use atel_sdk::pipe;

#[derive(serde::Deserialize)]
struct Row {
    n: u64,
}

#[pipe(
    name = "counts",
    output = Row,
    node(name = "endpoint", sql = "%\nSELECT count() AS n FROM t LIMIT {{ UInt32(limit, 10) }}")
)]
struct Counts {
    #[param(required)]
    limit: u32,
}

fn main() {}
