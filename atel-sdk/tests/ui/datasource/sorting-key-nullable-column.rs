use atel_sdk::Datasource;

#[derive(Datasource)]
#[tinybird(sorting_key = "country, toDate(timestamp), region")]
struct PageView {
    timestamp: i64,
    #[tinybird(low_cardinality)]
    country: Option<String>,
    #[tinybird(type = "LowCardinality(Nullable(String))")]
    region: String,
}

fn main() {}
