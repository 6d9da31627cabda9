use atel_sdk::Datasource;

#[derive(Datasource)]
struct Order {
    #[tinybird(type = "String", low_cardinality)]
    channel: String,
}

fn main() {}
