use atel_sdk::Datasource;

#[derive(Datasource)]
struct Event(u64, String);

fn main() {}
