use atel_sdk::{TinybirdClient, pipe};
use serde::Deserialize;

#[derive(Deserialize)]
struct Row {
    n: u64,
}

#[pipe(name = "counts", output = Row, node(name = "count", sql = "SELECT count() AS n FROM events"))]
struct Counts;

async fn run(client: TinybirdClient) {
    let _ = client.copy(&Counts).await;
}

fn main() {}
