//! Streamed and raw reads on real ClickHouse: a million rows in constant memory, an endpoint as
//! NDJSON rows, CSV and Parquet bytes, SQL over an endpoint's result and pages of it.

use atel_sdk::client::RawFormat;
use atel_sdk::telemetry::pipes::AgentUsageSummary;
use atel_tests::factories::make_agent_activation_row;
use atel_tests::server::LocalServer;
use futures_util::StreamExt as _;
use serde::Deserialize;

use super::deployed;

#[derive(Debug, Deserialize)]
struct Numbered {
    n: u64,
    doubled: String,
}

#[tokio::test]
async fn a_million_rows_stream_through_a_bounded_buffer() {
    let server = LocalServer::start();
    let client = server.client();
    let mut rows = client
        .sql_stream::<Numbered>(
            "SELECT number AS n, toString(number * 2) AS doubled FROM numbers(1000000)",
        )
        .await
        .unwrap();
    let (mut count, mut sum, mut bytes) = (0_u64, 0_u64, 0_usize);
    while let Some(row) = rows.next().await {
        let row = row.unwrap();
        assert_eq!(row.n, count, "rows in order");
        assert_eq!(row.doubled, (row.n * 2).to_string());
        // The line ClickHouse writes for this row: {"n":"…","doubled":"…"} (64-bit ints quoted).
        bytes += r#"{"n":"","doubled":""}"#.len() + 1 + row.n.to_string().len() + row.doubled.len();
        sum += row.n;
        count += 1;
    }
    assert_eq!(count, 1_000_000);
    assert_eq!(sum, 999_999 * 1_000_000 / 2);
    // 34 MB went by, every byte of it the rows' own lines; the buffer held a few chunks at most.
    assert_eq!(bytes, 34_333_335);
    assert_eq!(rows.bytes_received(), bytes as u64);
    let high_water = rows.buffer_high_water();
    assert!(high_water > 0 && high_water < 1024 * 1024, "{high_water}");
}

#[derive(Debug, PartialEq, Deserialize)]
struct Count {
    n: u64,
    tokens: u64,
}

#[tokio::test]
async fn an_endpoint_streams_and_reads_raw_with_q_and_pages() {
    let (_server, client) = deployed().await;
    let rows: Vec<_> = ["Explore", "Plan", "general-purpose"]
        .into_iter()
        .map(|agent_type| atel_sdk::telemetry::AgentActivation {
            agent_type: agent_type.into(),
            ..make_agent_activation_row()
        })
        .collect();
    let written = client.ingest(&rows).await.unwrap().check().unwrap();
    assert_eq!(written.successful_rows, 3);
    let params = AgentUsageSummary { days: 7 };

    let whole = client.query(&params).await.unwrap();
    assert_eq!(whole.len(), 3);
    let streamed = client
        .query_stream(&params)
        .await
        .unwrap()
        .collect_rows()
        .await
        .unwrap();
    assert_eq!(streamed, whole);

    let csv = client.query_raw(&params, RawFormat::Csv).await.unwrap();
    let csv = std::str::from_utf8(&csv).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "\"agent_type\",\"invocations\",\"runs_without_usage\",\"total_input\",\"total_output\",\
         \"total_cache_read\",\"avg_duration_ms\",\"est_cost_usd\""
    );
    assert_eq!(lines.count(), 3);
    let parquet = client.query_raw(&params, RawFormat::Parquet).await.unwrap();
    assert!(parquet.starts_with(b"PAR1") && parquet.ends_with(b"PAR1"));

    let counted: Vec<Count> = client
        .query_sql(
            &params,
            "SELECT count() AS n, sum(total_output) AS tokens FROM _",
        )
        .await
        .unwrap();
    assert_eq!(counted, [Count { n: 3, tokens: 93 }]);

    // Pages of the endpoint's own order (cost, then count, then name; all cost the same here).
    let first = client.query_page(&params, 0, 2).await.unwrap();
    let second = client.query_page(&params, 2, 2).await.unwrap();
    assert_eq!(first, whole[..2]);
    assert_eq!(second, whole[2..]);
}
