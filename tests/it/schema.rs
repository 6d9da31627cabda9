//! Schema validation on real answers: `meta` from ClickHouse checked against the row type before any
//! row is decoded.

use atel_sdk::schema::PipeSchema;
use atel_sdk::telemetry::pipes::AgentUsageSummary;
use atel_sdk::{Error, Pipe, TinybirdClient};
use atel_tests::factories::make_agent_activation_row;
use atel_tests::server::LocalServer;
use serde::Deserialize;

use super::deployed;

/// A row that does not fit `agent_usage_summary`: a text column into a number, a `UInt64` into a
/// `u32`, and a field the endpoint has no column for.
#[derive(Debug, Deserialize)]
#[allow(dead_code, reason = "never decoded: the schema check refuses it first")]
struct WrongRow {
    agent_type: u64,
    invocations: u32,
    total_output: u64,
    p99_ms: f64,
    #[serde(default)]
    not_there_but_defaulted: u64,
}

/// `agent_usage_summary`'s endpoint with [`WrongRow`] as its output.
struct WrongSummary;

impl Pipe for WrongSummary {
    const NAME: &'static str = "agent_usage_summary";
    type Output = WrongRow;

    fn params(&self) -> Vec<(&'static str, String)> {
        vec![("days", "7".into())]
    }

    fn schema() -> PipeSchema {
        AgentUsageSummary::schema()
    }
}

#[tokio::test]
async fn a_mismatched_row_type_is_one_error_naming_fields_and_columns() {
    let (_server, client) = deployed().await;
    let written = client
        .ingest(&[make_agent_activation_row()])
        .await
        .unwrap()
        .check()
        .unwrap();
    assert_eq!(written.successful_rows, 1);

    let err = client.query(&WrongSummary).await.unwrap_err();
    let Error::SchemaMismatch {
        context,
        problems,
        fields,
        columns,
        ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(context, "pipe `agent_usage_summary`");
    // The column types are what ClickHouse infers for the pipe's SQL over the schema:
    // `agent_type` is a LowCardinality(String) column, count() and sum(UInt64) are UInt64.
    assert_eq!(
        problems,
        &[
            "field `agent_type` (u64) cannot read column `agent_type` of type `LowCardinality(String)`",
            "field `invocations` (u32) cannot read column `invocations` of type `UInt64`",
            "field `p99_ms` (f64) has no column",
        ]
    );
    assert_eq!(
        fields,
        &[
            "agent_type: u64",
            "invocations: u32",
            "total_output: u64",
            "p99_ms: f64",
            "not_there_but_defaulted: u64",
        ]
    );
    assert_eq!(
        columns,
        &[
            "agent_type LowCardinality(String)",
            "invocations UInt64",
            "runs_without_usage UInt64",
            "total_input UInt64",
            "total_output UInt64",
            "total_cache_read UInt64",
            "avg_duration_ms Float64",
            "est_cost_usd Float64",
        ]
    );
    assert!(err.is_permanent());

    // The real output row fits, and decodes.
    let rows = client.query(&AgentUsageSummary { days: 7 }).await.unwrap();
    assert_eq!(rows.len(), 1);
}

#[derive(Debug, PartialEq, Deserialize)]
struct Counted {
    n: u64,
}

#[derive(Debug, PartialEq, Deserialize)]
struct Maybe {
    n: Option<u64>,
}

#[tokio::test]
async fn nullable_into_a_plain_field_is_refused_and_validation_can_be_turned_off() {
    let server = LocalServer::start();
    let client = server.client();
    let err = client
        .sql::<Counted>("SELECT toNullable(toUInt64(3)) AS n")
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the columns of the `/v0/sql` query do not fit `it::schema::Counted`: \
         field `n` (u64) cannot read column `n` of type `Nullable(UInt64)` \
         (fields: n: u64; columns: n Nullable(UInt64))"
    );
    // Off, the value decodes as long as it is not null.
    let unchecked = TinybirdClient::builder()
        .base_url(&server.url)
        .token(&server.token)
        .schema_validation(false)
        .build()
        .unwrap();
    let rows: Vec<Counted> = unchecked
        .sql("SELECT toNullable(toUInt64(3)) AS n")
        .await
        .unwrap();
    assert_eq!(rows, [Counted { n: 3 }]);
    // An `Option` reads it with validation on.
    let rows: Vec<Maybe> = client
        .sql("SELECT toNullable(toUInt64(3)) AS n")
        .await
        .unwrap();
    assert_eq!(rows, [Maybe { n: Some(3) }]);
}
