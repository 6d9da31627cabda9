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
        sql = r#"
            SELECT count() AS n
            FROM t
            WHERE d > now() - INTERVAL {{ Int32(days, 7) }} DAY
        "#
    )
)]
struct Counts {
    days: i32,
}

fn main() {}
