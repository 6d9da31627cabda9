use atel_sdk::Datasource;

#[derive(Datasource)]
#[tinybird(name = 5, sorting_key = id)]
struct Event {
    #[tinybird(type = UInt64)]
    id: u64,
}

fn main() {}
