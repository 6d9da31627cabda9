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
        sql = "%\nSELECT count() AS n FROM t WHERE a > {{ Int32(big, 0) }} AND b > {{ Int64(huge, 0) }} AND c > {{ Int64(fine, 0) }}"
    )
)]
struct Counts {
    big: u32,
    huge: u64,
    fine: u32,
}

fn main() {}
