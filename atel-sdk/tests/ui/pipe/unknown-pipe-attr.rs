use atel_sdk::pipe;

#[derive(serde::Deserialize)]
struct Row {
    n: u64,
}

#[pipe(
    name = "counts",
    nmae = "typo",
    output = Row,
    node(name = "endpoint", sqll = "SELECT 1", sql = "%\nSELECT count() AS n FROM t WHERE d > {{ Int32(days, 7) }}")
)]
struct Counts {
    #[param(defualt = 7)]
    days: i32,
}

fn main() {}
