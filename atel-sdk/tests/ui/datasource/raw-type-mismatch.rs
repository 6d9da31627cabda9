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
    #[tinybird(type = "Tuple(String, UInt8)")]
    line: (String, u16),
    #[tinybird(type = "Tuple(sku String, qty UInt8)")]
    named: (String, u8),
    // These round-trip:
    #[tinybird(type = "LowCardinality(Nullable(String))")]
    channel: Option<String>,
    #[tinybird(type = "Array(LowCardinality(String))")]
    tags: Vec<String>,
    #[tinybird(type = "Enum8('web' = 1, 'store' = 2)")]
    source: String,
    #[tinybird(type = "Int64")]
    units: u32,
    #[tinybird(type = "Tuple(LowCardinality(String), UInt32)")]
    pair: (String, u16),
}

fn main() {}
