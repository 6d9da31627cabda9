use atel_sdk::Datasource;

#[derive(Datasource)]
#[tinybird(name = "events", sortkey = "id")]
struct Event {
    id: u64,
}

fn main() {}
