use atel_sdk::Datasource;

#[derive(Datasource)]
#[tinybird(engine = "MergeTree")]
#[tinybird(engine = "ReplacingMergeTree")]
struct Event {
    #[tinybird(low_cardinality, codec = "ZSTD(1)", low_cardinality)]
    kind: String,
}

fn main() {}
