use atel_sdk::pipe;

#[derive(serde::Deserialize)]
struct Row {
    n: u64,
}

#[pipe(
    name = "counts",
    output = Row,
    node(
        name = "endpoint",
        sql = "%\nSELECT count() AS n FROM t WHERE a = {{ String(token) }} AND b = {{ Int32(max, 1) }} AND c = {{ String(format) }}"
    )
)]
struct Counts {
    token: String,
    max: i32,
    format: String,
}

fn main() {}
