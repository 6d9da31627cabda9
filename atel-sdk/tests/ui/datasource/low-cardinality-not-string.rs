use std::collections::HashMap;

use atel_sdk::Datasource;

type StoreId = u32;

#[derive(Datasource)]
struct Order {
    #[tinybird(low_cardinality)]
    customer_id: u64,
    #[tinybird(low_cardinality)]
    store: StoreId,
    #[tinybird(low_cardinality)]
    quantities: Vec<u16>,
    #[tinybird(low_cardinality)]
    day: chrono::NaiveDate,
    #[tinybird(low_cardinality)]
    attributes: HashMap<String, String>,
    #[tinybird(low_cardinality)]
    tags: Vec<String>,
    #[tinybird(low_cardinality)]
    coupon: Option<String>,
}

fn main() {}
