use atel_sdk::pipe;

#[derive(serde::Deserialize)]
struct Row {
    n: u64,
}

#[pipe(
    name = "counts",
    output = Row,
    node(
        name = "filtered",
        sql = "%\nSELECT * FROM t WHERE d > now() - {{ Int32(days, 7) }} {% if defined(model) %} AND m = {{ String(model) }} {% end %}"
    ),
    node(name = "endpoint", sql = "%\nSELECT count() AS n FROM filtered LIMIT {{ UInt32(limit, 10) }}")
)]
struct Counts {
    days: i32,
}

fn main() {}
