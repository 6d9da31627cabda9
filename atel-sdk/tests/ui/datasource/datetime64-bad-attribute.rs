use atel_sdk::Datasource;

type Utc = chrono::DateTime<chrono::Utc>;

#[derive(Datasource)]
struct Point {
    #[tinybird(datetime64(10))]
    a: Utc,
    #[tinybird(datetime64)]
    b: Utc,
    #[tinybird(datetime64(9, ""))]
    c: Utc,
    #[tinybird(datetime64(9, UTC))]
    d: Utc,
    #[tinybird(datetime, datetime64(9))]
    e: Utc,
    #[tinybird(type = "DateTime64(9)", datetime64(9))]
    f: Utc,
    #[tinybird(type = "Map(String, String)", low_cardinality_keys)]
    g: std::collections::HashMap<String, String>,
}

fn main() {}
