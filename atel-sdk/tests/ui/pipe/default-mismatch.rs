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
        sql = "%\nSELECT count() AS n FROM t WHERE d > now() - {{ Int32(days, 14) }} AND m = {{ String(model, 'opus') }} LIMIT {{ UInt32(limit) }}"
    )
)]
struct Counts {
    #[param(default = 7)]
    days: i32,
    #[param(default = "sonnet")]
    model: String,
    #[param(default = 10)]
    limit: u32,
}

fn main() {}
