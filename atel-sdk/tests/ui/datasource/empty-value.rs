use atel_sdk::Datasource;

#[derive(Datasource)]
#[tinybird(sorting_key = " ")]
struct Event {
    #[tinybird(type = "")]
    id: u64,
}

fn main() {}
