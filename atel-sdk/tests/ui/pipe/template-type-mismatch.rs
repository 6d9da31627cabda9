use atel_sdk::pipe;

#[derive(serde::Deserialize)]
struct Row {
    n: u64,
}

type Ids = Vec<u64>;

#[pipe(
    name = "counts",
    output = Row,
    node(
        name = "endpoint",
        sql = "%\nSELECT count() AS n FROM t
WHERE name = {{ Int32(name) }}
  AND delta = {{ UInt64(delta) }}
  AND ratio = {{ Float32(ratio) }}
  AND flag = {{ UInt8(flag) }}
  AND id IN {{ Array(ids, 'Int32') }}
  AND day = {{ Date(at) }}"
    )
)]
struct Counts {
    name: String,
    delta: i64,
    ratio: f64,
    flag: bool,
    ids: Ids,
    at: chrono::DateTime<chrono::Utc>,
}

fn main() {}
