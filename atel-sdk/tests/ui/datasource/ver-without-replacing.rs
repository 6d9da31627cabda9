use atel_sdk::Datasource;

#[derive(Datasource)]
#[tinybird(engine = "SummingMergeTree", sorting_key = "id", ver = "version")]
struct Counter {
    id: u64,
    version: u64,
}

#[derive(Datasource)]
#[tinybird(sorting_key = "id", ver = "version")]
struct DefaultEngine {
    id: u64,
    version: u64,
}

fn main() {}
