use atel_sdk::Datasource;

#[derive(Datasource)]
struct Order {
    #[tinybird(type = "Strng")]
    sku: String,
    #[tinybird(type = "DOUBLE")]
    total: f64,
    #[tinybird(type = "Nullable(Array(String))")]
    tags: Vec<String>,
    #[tinybird(type = "LowCardinality(UInt64)")]
    store: u64,
    #[tinybird(type = "Decimal(20, 21)")]
    price: String,
    #[tinybird(type = "Array(String")]
    codes: Vec<String>,
}

fn main() {}
