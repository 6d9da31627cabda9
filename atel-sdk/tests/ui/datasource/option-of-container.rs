use std::collections::HashMap;

use atel_sdk::Datasource;

type Coupons = Option<Vec<String>>;

#[derive(Datasource)]
struct Order {
    id: u64,
    tags: Option<Vec<String>>,
    attributes: Option<HashMap<String, String>>,
    coupons: Coupons,
    note: Option<Option<String>>,
    pair: Option<(String, u8)>,
    doc: Option<serde_json::Value>,
    fine: Vec<Option<String>>,
}

fn main() {}
