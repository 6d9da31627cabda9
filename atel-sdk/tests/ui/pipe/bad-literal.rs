use atel_sdk::pipe;

#[derive(serde::Deserialize)]
struct Row {
    n: u64,
}

// A value of the wrong kind is reported on the value, and the keys after it are still read.
#[pipe(
    name = 5,
    output = "Row",
    cahce = "1h",
    node(name = "endpoint", sql = 7)
)]
struct Counts;

fn main() {}
