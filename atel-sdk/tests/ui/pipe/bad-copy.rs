use atel_sdk::pipe;

#[pipe(
    name = "snapshot",
    copy(schedule = "hourly", mode = "upsert", every = 1),
    node(name = "all", sql = "SELECT 1 AS n")
)]
struct Snapshot;

fn main() {}
