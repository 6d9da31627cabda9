//! Transcript scan throughput: scans every `.jsonl` under a directory several times and reports GB/s
//! and the totals (so `scripts/bench-transcripts` can check them against an independent dedupe).
//!
//! ```text
//! cargo bench -p atel-hooks --bench transcript_scan -- DIR [RUNS]
//! ```
//! Prints one JSON object on stdout. The first run warms the page cache and is not counted.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use atel_hooks::transcript::scan_file;

fn jsonl_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            jsonl_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "jsonl") {
            out.push(path);
        }
    }
    Ok(())
}

#[derive(Default, PartialEq, Eq, Clone, Copy)]
struct Totals {
    bytes: u64,
    lines: u64,
    requests: u64,
    input: u64,
    output: u64,
    cache_read: u64,
    cache_creation: u64,
    duplicate_lines: u64,
    malformed_lines: u64,
}

fn scan_all(files: &[PathBuf]) -> std::io::Result<Totals> {
    let mut t = Totals::default();
    for file in files {
        let scan = scan_file(file)?;
        t.bytes += scan.stats.bytes;
        t.lines += scan.stats.lines;
        t.duplicate_lines += scan.stats.duplicate_lines;
        t.malformed_lines += scan.stats.malformed_lines;
        for r in &scan.requests {
            t.requests += 1;
            t.input += r.usage.input;
            t.output += r.usage.output;
            t.cache_read += r.usage.cache_read;
            t.cache_creation += r.usage.cache_creation;
        }
    }
    Ok(t)
}

fn main() -> ExitCode {
    // `cargo bench` passes `--bench`; ignore flags.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let Some(dir) = args.first() else {
        let _ = writeln!(std::io::stderr(), "usage: transcript_scan DIR [RUNS]");
        return ExitCode::FAILURE;
    };
    let runs: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(7);
    let mut files = Vec::new();
    if let Err(e) = jsonl_files(Path::new(dir), &mut files) {
        let _ = writeln!(std::io::stderr(), "transcript_scan: {dir}: {e}");
        return ExitCode::FAILURE;
    }
    files.sort();
    let mut times: Vec<Duration> = Vec::new();
    let mut totals: Option<Totals> = None;
    for run in 0..=runs {
        let start = Instant::now();
        let t = match scan_all(&files) {
            Ok(t) => t,
            Err(e) => {
                let _ = writeln!(std::io::stderr(), "transcript_scan: {e}");
                return ExitCode::FAILURE;
            }
        };
        let elapsed = start.elapsed();
        if totals.is_some_and(|prev| prev != t) {
            let _ = writeln!(
                std::io::stderr(),
                "transcript_scan: totals differ between runs"
            );
            return ExitCode::FAILURE;
        }
        totals = Some(t);
        if run > 0 {
            times.push(elapsed);
        }
    }
    let t = totals.unwrap_or_default();
    times.sort();
    #[expect(clippy::cast_precision_loss, reason = "byte counts far below 2^53")]
    let gbps = |d: Duration| t.bytes as f64 / d.as_secs_f64() / 1e9;
    let best = times.first().copied().unwrap_or_default();
    let median = times.get(times.len() / 2).copied().unwrap_or_default();
    let _ = writeln!(
        std::io::stdout(),
        "{{\"files\":{},\"bytes\":{},\"lines\":{},\"requests\":{},\"input\":{},\"output\":{},\
         \"cache_read\":{},\"cache_creation\":{},\"duplicate_lines\":{},\"malformed_lines\":{},\
         \"runs\":{},\"best_ms\":{:.1},\"median_ms\":{:.1},\"best_gbps\":{:.3},\"median_gbps\":{:.3}}}",
        files.len(),
        t.bytes,
        t.lines,
        t.requests,
        t.input,
        t.output,
        t.cache_read,
        t.cache_creation,
        t.duplicate_lines,
        t.malformed_lines,
        times.len(),
        best.as_secs_f64() * 1e3,
        median.as_secs_f64() * 1e3,
        gbps(best),
        gbps(median),
    );
    ExitCode::SUCCESS
}
