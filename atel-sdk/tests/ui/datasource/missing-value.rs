use atel_sdk::Datasource;

#[derive(Datasource)]
#[tinybird(name)]
struct Event {
    #[tinybird(codec)]
    id: u64,
}

fn main() {}
