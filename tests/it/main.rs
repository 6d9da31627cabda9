//! Integration tests against `tinybird/local`: the real datafiles deployed through the Rust client,
//! factory rows ingested through `TinybirdClient`, every pipe queried with exact expected values.
//!
//! Each test starts its own server with its own data dir, so tests never see each other's rows.

mod codegen;
mod copy;
mod dashboard;
mod datasources;
mod decimal;
mod deploy;
mod fault_proxy;
mod ingest;
mod jwt;
mod migrate;
mod oracle;
mod otel;
mod otel_pipes;
mod pipe_kinds;
mod pipes;
mod pricing_fixtures;
mod pricing_sql;
mod schema;
mod shop;
mod stream;
mod testing;
mod types;

use atel_sdk::TinybirdClient;
use atel_sdk::client::DeployOptions;
use atel_tests::server::{LocalServer, repo_root};

/// A fresh server with `tinybird/` deployed to it, and a client for it.
async fn deployed() -> (LocalServer, TinybirdClient) {
    let server = LocalServer::start();
    let client = server.client();
    let outcome = client
        .deploy(repo_root().join("tinybird"), DeployOptions::default())
        .await
        .expect("deploy tinybird/");
    assert_eq!(outcome.result, "success", "{outcome:?}");
    (server, client)
}
