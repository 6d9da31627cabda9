use atel_sdk::Datasource;

#[derive(Datasource)]
#[tinybird(
    token = "OTEL_TINYBIRD_TOKEN",
    token = "OTEL_TINYBIRD_TOKEN WRITE",
    token = "otel-token APPEND",
    token = "READER READ",
    token = "READER APPEND"
)]
struct Log {
    body: String,
}

fn main() {}
