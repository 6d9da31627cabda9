use atel_sdk::pipe;

#[derive(serde::Deserialize)]
struct Row {
    n: u64,
}

#[pipe(name = "counts", output = Row, node(name = "endpoint", sql_file = "sql/does-not-exist.sql"))]
struct Counts;

fn main() {}
