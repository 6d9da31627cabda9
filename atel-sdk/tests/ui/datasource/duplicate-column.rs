use atel_sdk::Datasource;

#[derive(serde::Serialize, Datasource)]
struct Event {
    id: u64,
    #[serde(rename = "id")]
    legacy_id: u64,
}

fn main() {}
