use atel_sdk::Datasource;

#[derive(Datasource)]
#[tinybird(engine = "ReplacingMergeTree", sorting_key = "id", ver = "updated")]
struct Profile {
    id: u64,
    updated_at: u64,
}

fn main() {}
