use atel_sdk::Datasource;

#[derive(Datasource)]
#[tinybird(
    partition_key = "toYYYYMM(timestamp)",
    ttl = "toDateTime(timestmp) + INTERVAL 90 DAY"
)]
struct Event {
    timestamp: i64,
}

fn main() {}
