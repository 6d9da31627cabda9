use atel_sdk::pipe;

#[derive(serde::Deserialize)]
struct Row {
    n: u64,
}

#[pipe(
    name = "counts",
    output = Row,
    node(name = "recent", sql = "%\nSELECT * FROM t WHERE d > now() - {{ Int32(days, 7) }}"),
    node(name = "endpoint", sql = "%\nSELECT count() AS n FROM recent WHERE d > now() - {{ Int32(days, 30) }}")
)]
struct Counts {
    days: i32,
}

fn main() {}
