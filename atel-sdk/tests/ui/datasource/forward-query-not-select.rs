use atel_sdk::Datasource;

#[derive(serde::Serialize, Datasource)]
#[tinybird(forward_query = "INSERT INTO events SELECT id FROM events_v1")]
struct Event {
    id: String,
}

fn main() {}
