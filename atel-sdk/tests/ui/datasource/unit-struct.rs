use atel_sdk::Datasource;

#[derive(Datasource)]
struct Event;

fn main() {}
