use atel_sdk::Datasource;

#[derive(Datasource)]
#[tinybird(name = "")]
struct Event {
    id: u64,
}

fn main() {}
