//! OTLP decode → exporter rows throughput on one core: every Claude Code log body of the fixtures,
//! as OTLP/JSON and as protobuf, decoded and turned into `otel_logs` rows repeatedly.
//!
//! ```text
//! cargo bench -p atel-hooks --bench otel_decode -- [SECONDS]
//! ```
//! Prints one JSON object on stdout: log records per second for each encoding.

use std::io::Write as _;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use atel_hooks::otel::{self, Encoding, Redaction, Signal, json};
use prost::Message as _;

fn main() -> ExitCode {
    let seconds: f64 = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .and_then(|a| a.parse().ok())
        .unwrap_or(3.0);
    let root =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/claude-code");
    let mut bodies = Vec::new();
    for version in ["v2.1.331", "v2.1.197"] {
        for scenario in ["main", "mainsync"] {
            let file = root.join(version).join(scenario).join("otlp/logs.jsonl");
            let Ok(text) = std::fs::read_to_string(&file) else {
                let _ = writeln!(std::io::stderr(), "cannot read {}", file.display());
                return ExitCode::FAILURE;
            };
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                let Ok(request) = serde_json::from_str::<serde_json::Value>(line) else {
                    return ExitCode::FAILURE;
                };
                let Ok(body) = serde_json::to_vec(&request["payload"]) else {
                    return ExitCode::FAILURE;
                };
                let Ok(decoded) = json::logs(&body) else {
                    return ExitCode::FAILURE;
                };
                bodies.push((body, decoded.encode_to_vec()));
            }
        }
    }
    let mut out = serde_json::Map::new();
    for (name, encoding) in [("json", Encoding::Json), ("protobuf", Encoding::Protobuf)] {
        let (mut records, mut bytes) = (0_u64, 0_u64);
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs_f64(seconds) {
            for (json_body, protobuf_body) in &bodies {
                let body = if encoding == Encoding::Json {
                    json_body
                } else {
                    protobuf_body
                };
                let Ok(export) = otel::export(Signal::Logs, encoding, body, Redaction::Content)
                else {
                    return ExitCode::FAILURE;
                };
                records += export.rows.len() as u64;
                bytes += body.len() as u64;
            }
        }
        let secs = start.elapsed().as_secs_f64();
        #[allow(clippy::cast_precision_loss)]
        out.insert(
            name.to_owned(),
            serde_json::json!({
                "records_per_s": (records as f64 / secs).round(),
                "mb_per_s": (bytes as f64 / secs / 1e6 * 10.0).round() / 10.0,
                "records": records,
            }),
        );
    }
    let _ = writeln!(std::io::stdout(), "{}", serde_json::Value::Object(out));
    ExitCode::SUCCESS
}
