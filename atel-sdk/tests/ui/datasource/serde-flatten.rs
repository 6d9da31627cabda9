use atel_sdk::Datasource;

#[derive(serde::Serialize)]
struct Common {
    id: u64,
}

#[derive(serde::Serialize, Datasource)]
struct Event {
    #[serde(flatten)]
    common: Common,
    kind: String,
}

fn main() {}
