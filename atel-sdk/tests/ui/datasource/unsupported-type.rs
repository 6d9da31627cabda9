use atel_sdk::Datasource;

struct Opaque;

#[derive(Datasource)]
struct Event {
    id: u64,
    payload: Opaque,
    took: std::time::Duration,
}

fn main() {}
