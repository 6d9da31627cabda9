use atel_sdk::pipe;

#[pipe(name = "counts", output = u64, node(name = "endpoint", sql = "SELECT 1"))]
enum Counts {
    A,
}

fn main() {}
