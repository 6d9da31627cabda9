//! Decoding a `FORMAT JSON` answer into typed rows, as `TinybirdClient::query` / `sql` do: strings,
//! 64-bit integers quoted as ClickHouse writes them, plain integers, floats and decimals.
//!
//! Run: `cargo bench -p atel-sdk --bench decode -- --warm-up-time 1 --measurement-time 3`.

#![allow(
    missing_docs,
    reason = "`criterion_group!` writes an undocumented `pub fn benches`"
)]

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde::Deserialize;

const ROWS: usize = 10_000;

/// A row of an endpoint like `agent_usage_summary`.
#[derive(Deserialize)]
#[allow(dead_code, reason = "decoded, never read")]
struct UsageRow {
    agent_type: String,
    model: String,
    runs: u64,
    output_tokens: u64,
    avg_duration_ms: f64,
    cost_usd: f64,
    cache_hit_rate: f32,
    errors: u32,
}

fn body() -> String {
    let mut data = String::new();
    for i in 0..ROWS {
        if i > 0 {
            data.push(',');
        }
        let _ = write!(
            data,
            r#"{{"agent_type":"general-purpose","model":"claude-sonnet-4-5","runs":"{}","output_tokens":"{}","avg_duration_ms":{}.25,"cost_usd":{},"cache_hit_rate":0.{},"errors":{}}}"#,
            i * 7,
            i * 1_337,
            35_000 + i,
            f64::from(u32::try_from(i).unwrap()) * 0.001_37,
            i % 100,
            i % 5,
        );
    }
    format!(
        r#"{{"meta":[{{"name":"agent_type","type":"String"}}],"data":[{data}],"rows":{ROWS},"statistics":{{"elapsed":0.01}}}}"#
    )
}

/// How the client decoded before it read rows from their text (kept to compare): the answer parsed
/// into `serde_json::Value`s, each row then decoded leniently (`de::from_value` now re-reads the
/// value's text, so this measures slightly more than the old path did).
fn through_values(body: &str) -> Vec<UsageRow> {
    #[derive(Deserialize)]
    struct Envelope {
        data: Vec<serde_json::Value>,
    }
    let envelope: Envelope = serde_json::from_str(body).unwrap();
    envelope
        .data
        .iter()
        .map(|row| atel_sdk::client::de::from_value(row).unwrap())
        .collect()
}

/// The client's decoding: the answer's `data` as raw rows, each decoded leniently from its text.
fn from_text(body: &str) -> Vec<UsageRow> {
    #[derive(Deserialize)]
    struct Envelope<'a> {
        #[serde(borrow)]
        data: Vec<&'a serde_json::value::RawValue>,
    }
    let envelope: Envelope<'_> = serde_json::from_str(body).unwrap();
    envelope
        .data
        .iter()
        .map(|row| atel_sdk::client::de::from_str(row.get()).unwrap())
        .collect()
}

fn decode(c: &mut Criterion) {
    let body = body();
    let mut group = c.benchmark_group("query_rows");
    group.throughput(Throughput::Elements(ROWS as u64));
    group.bench_function("through_values", |b| {
        b.iter(|| black_box(through_values(black_box(&body))).len());
    });
    group.bench_function("from_text", |b| {
        b.iter(|| black_box(from_text(black_box(&body))).len());
    });
    group.finish();
}

/// What schema validation costs: probing the row type and checking a `meta` (a client's first answer
/// for a row type; later answers with the same `meta` only compare it with the one remembered).
fn validate(c: &mut Criterion) {
    use atel_sdk::client::{ColumnMeta, check_columns};
    let meta: Vec<ColumnMeta> = [
        ("agent_type", "LowCardinality(String)"),
        ("model", "String"),
        ("runs", "UInt64"),
        ("output_tokens", "UInt64"),
        ("avg_duration_ms", "Float64"),
        ("cost_usd", "Float64"),
        ("cache_hit_rate", "Float32"),
        ("errors", "UInt32"),
    ]
    .into_iter()
    .map(|(name, ty)| ColumnMeta::new(name, ty))
    .collect();
    let mut group = c.benchmark_group("schema_validation");
    group.bench_function("probe_and_check_8_columns", |b| {
        b.iter(|| check_columns::<UsageRow>("pipe `p`", black_box(&meta)).unwrap());
    });
    group.bench_function("compare_remembered_meta", |b| {
        let remembered = meta.clone();
        b.iter(|| black_box(&remembered).as_slice() == black_box(&meta).as_slice());
    });
    group.finish();
}

criterion_group!(benches, decode, validate);
criterion_main!(benches);
