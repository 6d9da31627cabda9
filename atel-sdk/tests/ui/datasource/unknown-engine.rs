use atel_sdk::Datasource;

#[derive(Datasource)]
#[tinybird(engine = "ReplacingMergetree")]
struct Event {
    id: u64,
}

fn main() {}
