use atel_sdk::Datasource;

#[derive(serde::Serialize, Datasource)]
struct Event {
    #[serde(skip)]
    id: u64,
    #[tinybird(skip)]
    kind: String,
}

fn main() {}
