use atel_sdk::Datasource;

/// `is_deleted` without `ver`, `sign` on a MergeTree, a primary key that is not a prefix.
#[derive(serde::Serialize, Datasource)]
#[tinybird(
    engine = "ReplacingMergeTree",
    sorting_key = "id, at",
    primary_key = "at",
    is_deleted = "gone"
)]
struct Orders {
    id: u64,
    at: u64,
    gone: u8,
}

#[derive(serde::Serialize, Datasource)]
#[tinybird(sorting_key = "id", sign = "sign", summing_columns = "total, nope")]
struct Moves {
    id: u64,
    sign: i8,
    total: u64,
}

#[derive(serde::Serialize, Datasource)]
#[tinybird(engine = "VersionedCollapsingMergeTree", sorting_key = "id")]
struct Collapsing {
    id: u64,
}

fn main() {}
