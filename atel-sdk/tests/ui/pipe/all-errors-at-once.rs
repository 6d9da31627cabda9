use atel_sdk::pipe;

#[derive(serde::Deserialize)]
struct Row {
    n: u64,
}

// An attribute error does not hide the type errors: both come in one compile.
#[pipe(
    name = "counts",
    output = Row,
    cache = "1h",
    node(name = "endpoint", sql = "%\nSELECT count() AS n FROM t WHERE d > now() - {{ Int8(days, 7) }}")
)]
struct Counts {
    days: u32,
}

fn main() {}
