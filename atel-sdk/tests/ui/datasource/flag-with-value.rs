use atel_sdk::Datasource;

#[derive(Datasource)]
struct Event {
    #[tinybird(low_cardinality = true)]
    kind: String,
    #[tinybird(skip = "yes")]
    extra: String,
}

fn main() {}
