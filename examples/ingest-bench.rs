//! The Rust side of `scripts/bench-ingest`: ingests `agent_activations` rows, one `ingest` call of
//! `--batch` rows at a time, and prints one JSON line with the wall and CPU time of the calls.
//!
//! ```text
//! cargo run --release --example ingest-bench -- --url URL --token TOKEN [--rows 1000000] [--batch 10000]
//!     [--compression zstd|zstd:LEVEL|gzip|gzip:LEVEL|none]
//! cargo run --release --example ingest-bench -- --dump FILE [--rows N]   # the same rows as NDJSON
//! ```
//!
//! The rows are generated before the clock starts, seeded by their index (the same for every run and
//! for the TypeScript client, which reads them from `--dump`). Each call waits for the write
//! (`wait=true`, the client's default) and its counts are checked.

use std::io::Write as _;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use atel_sdk::TinybirdClient;
use atel_sdk::client::{Compression, RetryPolicy, ndjson};
use atel_sdk::telemetry::datasources::{AgentActivation, AgentEvent};
use chrono::{TimeZone, Utc};

struct Args {
    url: String,
    token: String,
    rows: usize,
    batch: usize,
    compression: Compression,
    dump: Option<String>,
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(why) => {
            let _ = writeln!(std::io::stderr(), "ingest-bench: {why}");
            return ExitCode::from(2);
        }
    };
    let rows = rows(args.rows);
    if let Some(path) = &args.dump {
        let mut out = Vec::new();
        return match ndjson::encode(&rows, &mut out).map(|()| std::fs::write(path, out)) {
            Ok(Ok(())) => ExitCode::SUCCESS,
            Ok(Err(e)) => fail(&format!("could not write {path}: {e}")),
            Err(e) => fail(&format!("could not encode the rows: {e}")),
        };
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(&format!("no tokio runtime: {e}")),
    };
    match runtime.block_on(run(&args, &rows)) {
        Ok(line) => {
            let _ = writeln!(std::io::stdout(), "{line}");
            ExitCode::SUCCESS
        }
        Err(why) => fail(&why),
    }
}

async fn run(args: &Args, rows: &[AgentActivation]) -> Result<String, String> {
    let client = TinybirdClient::builder()
        .base_url(&args.url)
        .token(&args.token)
        .compression(args.compression)
        // A failure is a broken benchmark, not something to ride out.
        .retry(RetryPolicy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let cpu_before = cpu_time();
    let started = Instant::now();
    let mut written = 0;
    for batch in rows.chunks(args.batch) {
        let summary = client
            .ingest(batch)
            .await
            .map_err(|e| atel_sdk::error::Report(&e).to_string())?
            .check()
            .map_err(|e| e.to_string())?;
        written += summary.successful_rows;
    }
    let seconds = started.elapsed().as_secs_f64();
    let cpu_seconds = cpu_time()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before).as_secs_f64());
    if written != rows.len() as u64 {
        return Err(format!(
            "the server counted {written} rows of {}",
            rows.len()
        ));
    }
    Ok(serde_json::json!({
        "client": "atel",
        "compression": format!("{:?}", args.compression),
        "rows": written,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
    })
    .to_string())
}

/// `n` realistic rows (the encode bench's): distinct ids, a few agent types and models, six-digit
/// token counts, alternating start and stop.
fn rows(n: usize) -> Vec<AgentActivation> {
    let start = Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap();
    let types = ["general-purpose", "Explore", "Plan", "code-reviewer"];
    let models = ["claude-opus-4-5", "claude-sonnet-4-5", "claude-haiku-4-5"];
    (0..n as u64)
        .map(|i| AgentActivation {
            timestamp: start
                + chrono::Duration::milliseconds(i64::try_from(i * 1_337).unwrap_or(i64::MAX)),
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

/// User + system CPU time of this process so far (all threads), from `/proc/self/stat`; `None`
/// elsewhere than Linux.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the `(comm)`, which may contain spaces: state is field 3, utime 14, stime 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut fields = rest.split(' ').skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    // Clock ticks of USER_HZ, which is 100 on every Linux ABI.
    Some(Duration::from_millis((utime + stime) * 10))
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        url: String::new(),
        token: String::new(),
        rows: 1_000_000,
        batch: 10_000,
        compression: Compression::DEFAULT,
        dump: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--url" => args.url = value()?,
            "--token" => args.token = value()?,
            "--rows" => args.rows = number(&value()?)?,
            "--batch" => args.batch = number(&value()?)?.max(1),
            "--compression" => args.compression = compression(&value()?)?,
            "--dump" => args.dump = Some(value()?),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if args.dump.is_none() && (args.url.is_empty() || args.token.is_empty()) {
        return Err("--url and --token are required (or --dump FILE)".into());
    }
    Ok(args)
}

fn number(text: &str) -> Result<usize, String> {
    text.replace('_', "")
        .parse()
        .map_err(|_| format!("`{text}` is not a number"))
}

fn compression(text: &str) -> Result<Compression, String> {
    let (name, level) = text.split_once(':').unwrap_or((text, ""));
    let level = |default: i32| {
        if level.is_empty() {
            Ok(default)
        } else {
            level
                .parse::<i32>()
                .map_err(|_| format!("`{level}` is not a level"))
        }
    };
    match name {
        "none" => Ok(Compression::None),
        "zstd" => Ok(Compression::Zstd(level(1)?)),
        "gzip" => Ok(Compression::Gzip(
            u32::try_from(level(1)?).map_err(|_| "a gzip level is 0..=9".to_owned())?,
        )),
        other => Err(format!(
            "unknown compression `{other}` (zstd[:LEVEL], gzip[:LEVEL] or none)"
        )),
    }
}

fn fail(why: &str) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "ingest-bench: {why}");
    ExitCode::FAILURE
}
