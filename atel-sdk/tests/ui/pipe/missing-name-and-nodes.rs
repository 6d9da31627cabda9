use atel_sdk::pipe;

#[derive(serde::Deserialize)]
struct Row {
    n: u64,
}

#[pipe(output = Row)]
struct Counts;

#[pipe(name = "other", output = Row, node(name = "endpoint"), node(sql = "SELECT 1"))]
struct Other;

fn main() {}
