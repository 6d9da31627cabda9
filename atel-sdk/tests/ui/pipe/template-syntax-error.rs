use atel_sdk::pipe;

#[derive(serde::Deserialize)]
struct Row {
    n: u64,
}

#[pipe(
    name = "counts",
    output = Row,
    node(name = "unclosed", sql = "%\nSELECT * FROM t {% if defined(days) %} WHERE d > {{ Int32(days) }}"),
    node(name = "endpoint", sql = "%\nSELECT count() AS n FROM unclosed LIMIT {{ Int(limit, 10) }} OFFSET {{ Array(skip, 'Nope') }}")
)]
struct Counts {
    days: i32,
    limit: i32,
    skip: Vec<i32>,
}

fn main() {}
