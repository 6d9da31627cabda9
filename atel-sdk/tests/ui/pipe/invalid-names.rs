use atel_sdk::pipe;

#[derive(serde::Deserialize)]
struct Row {
    n: u64,
}

#[pipe(
    name = "usage-report",
    output = Row,
    node(name = "base", sql = "SELECT 1"),
    node(name = "base", sql = "SELECT 2"),
    node(name = "2nd", sql = "SELECT count() AS n FROM base")
)]
struct Counts;

fn main() {}
