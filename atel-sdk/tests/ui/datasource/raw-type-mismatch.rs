use atel_sdk::Datasource;

type Quantity = u64;

#[derive(Datasource)]
struct Order {
    #[tinybird(type = "UInt8")]
    sku: String,
    #[tinybird(type = "UInt32")]
    quantity: Quantity,
    #[tinybird(type = "String")]
    coupon: Option<String>,
    #[tinybird(type = "UInt8")]
    sizes: Vec<u8>,
    #[tinybird(type = "DateTime")]
    placed_at: i64,
    // These round-trip:
    #[tinybird(type = "LowCardinality(Nullable(String))")]
    channel: Option<String>,
    #[tinybird(type = "Array(LowCardinality(String))")]
    tags: Vec<String>,
    #[tinybird(type = "Enum8('web' = 1, 'store' = 2)")]
    source: String,
    #[tinybird(type = "Int64")]
    units: u32,
}

fn main() {}
