use atel_sdk::pipe;

#[pipe(name = "counts", node(name = "endpoint", sql = "SELECT count() AS n FROM t"))]
struct Counts;

fn main() {}
