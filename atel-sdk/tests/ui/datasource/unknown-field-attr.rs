use atel_sdk::Datasource;

#[derive(Datasource)]
struct Event {
    #[tinybird(lowcardinality)]
    kind: String,
}

fn main() {}
