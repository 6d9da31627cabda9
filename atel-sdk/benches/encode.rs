//! NDJSON encoding (and compression: zstd, gzip) of `agent_activations` rows, the body
//! `TinybirdClient::ingest` sends; prints the compressed size per row of each setting.
//!
//! Run: `cargo bench -p atel-sdk --bench encode -- --warm-up-time 1 --measurement-time 3`.
//! Target: at least 2 M rows/s per core for encoding.

#![allow(
    missing_docs,
    reason = "`criterion_group!` writes an undocumented `pub fn benches`"
)]

use std::hint::black_box;

use atel_sdk::client::{Compression, DEFAULT_MAX_BODY_BYTES, ndjson};
use atel_sdk::telemetry::datasources::{AgentActivation, AgentEvent};
use chrono::{TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const ROWS: usize = 10_000;

/// Realistic stop rows: distinct ids, a few agent types and models, six-digit token counts.
fn rows() -> Vec<AgentActivation> {
    let start = Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap();
    let types = ["general-purpose", "Explore", "Plan", "code-reviewer"];
    let models = ["claude-opus-4-5", "claude-sonnet-4-5", "claude-haiku-4-5"];
    (0..ROWS as u64)
        .map(|i| AgentActivation {
            timestamp: start + chrono::Duration::milliseconds(i64::try_from(i * 1_337).unwrap()),
            session_id: format!("5f0c2a7e-1b9d-4c1e-9a7b-{:012x}", i / 10),
            agent_type: types[(i % 4) as usize].to_owned(),
            agent_id: format!("a{:016x}", i.wrapping_mul(0x9e37_79b9_7f4a_7c15)),
            event: if i % 2 == 0 {
                AgentEvent::Start
            } else {
                AgentEvent::Stop
            },
            input_tokens: 1_000 + i % 5_000,
            output_tokens: 20_000 + i % 30_000,
            cache_read_tokens: 150_000 + i * 7 % 400_000,
            cache_creation_tokens: 12_000 + i % 9_000,
            duration_ms: 35_000 + i % 60_000,
            model: models[(i % 3) as usize].to_owned(),
        })
        .collect()
}

/// The settings compared: the default, zstd's neighbours, and gzip's fastest and default levels.
const SETTINGS: [Compression; 6] = [
    Compression::DEFAULT,
    Compression::Zstd(-1),
    Compression::Zstd(2),
    Compression::Zstd(3),
    Compression::GZIP_FAST,
    Compression::Gzip(6),
];

fn encode(c: &mut Criterion) {
    let rows = rows();
    let mut buffer = Vec::with_capacity(ROWS * 320);
    ndjson::encode(&rows, &mut buffer).unwrap();
    #[allow(
        clippy::print_stdout,
        reason = "the bench reports the body sizes it measures"
    )]
    {
        println!(
            "{ROWS} rows: {} bytes of NDJSON ({} per row)",
            buffer.len(),
            buffer.len() / ROWS
        );
        for setting in SETTINGS {
            let packed = setting.compress(&buffer).unwrap().len();
            // Tenths, in integers: sizes here are far below 2^52.
            let per_row = packed * 10 / ROWS;
            let ratio = buffer.len() * 10 / packed;
            println!(
                "  {setting:?}: {packed} bytes ({}.{} per row, {}.{}x smaller)",
                per_row / 10,
                per_row % 10,
                ratio / 10,
                ratio % 10
            );
        }
    }

    let mut group = c.benchmark_group("agent_activations");
    group.throughput(Throughput::Elements(ROWS as u64));
    group.bench_function("ndjson", |b| {
        b.iter(|| {
            buffer.clear();
            ndjson::encode(black_box(&rows), &mut buffer).unwrap();
            black_box(buffer.len())
        });
    });
    group.bench_function("ndjson+split", |b| {
        b.iter(|| {
            buffer.clear();
            ndjson::encode(black_box(&rows), &mut buffer).unwrap();
            black_box(ndjson::split(&buffer, DEFAULT_MAX_BODY_BYTES).count())
        });
    });
    for setting in SETTINGS {
        group.bench_function(format!("ndjson+{setting:?}"), |b| {
            b.iter(|| {
                buffer.clear();
                ndjson::encode(black_box(&rows), &mut buffer).unwrap();
                black_box(setting.compress(&buffer).map(|packed| packed.len()))
            });
        });
    }
    group.finish();
}

criterion_group!(benches, encode);
criterion_main!(benches);
