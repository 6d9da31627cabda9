use atel_sdk::Datasource;

#[derive(serde::Serialize, Datasource)]
#[serde(rename_all = "camelCase")]
#[tinybird(partition_key = "toYYYYMM(created_at)", sorting_key = "createdAt")]
struct Event {
    created_at: i64,
}

fn main() {}
