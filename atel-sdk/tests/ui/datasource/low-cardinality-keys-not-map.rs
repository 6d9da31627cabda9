use std::collections::HashMap;

use atel_sdk::Datasource;

#[derive(Datasource)]
struct Log {
    #[tinybird(low_cardinality_keys)]
    body: String,
    #[tinybird(low_cardinality_keys)]
    tags: Vec<String>,
    // Fine: the keys of a map, and of the maps in an array.
    #[tinybird(low_cardinality_keys)]
    attributes: HashMap<String, String>,
    #[tinybird(low_cardinality_keys)]
    events: Vec<HashMap<String, String>>,
}

fn main() {}
