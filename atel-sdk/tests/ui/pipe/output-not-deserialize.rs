use atel_sdk::pipe;

struct Row {
    n: u64,
}

#[pipe(name = "counts", output = Row, node(name = "endpoint", sql = "SELECT count() AS n FROM t"))]
struct Counts;

fn main() {}
