use std::marker::PhantomData;

use atel_sdk::Datasource;
use serde::Serialize;

// A field serde skips is a column only when its `json_path` names the key it is read from; here
// `stamp_second` has no path, so it is no column and `partition_key` names an unknown column.
#[derive(Serialize, Datasource)]
#[tinybird(partition_key = "toDate(stamp_second)")]
struct Log {
    #[serde(with = "atel_sdk::client::de::DateTime64::<9>")]
    #[tinybird(datetime64(9))]
    stamp: chrono::DateTime<chrono::Utc>,
    #[serde(skip)]
    #[tinybird(datetime)]
    stamp_second: PhantomData<chrono::DateTime<chrono::Utc>>,
}

fn main() {}
