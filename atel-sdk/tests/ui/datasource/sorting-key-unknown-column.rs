use atel_sdk::Datasource;

#[derive(Datasource)]
#[tinybird(sorting_key = "session_id, timestamp")]
struct Event {
    sessionid: String,
    timestamp: i64,
}

fn main() {}
