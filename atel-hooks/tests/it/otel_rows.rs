//! Every recorded Claude Code OTLP body (and a synthetic set covering every rule), as OTLP/JSON and
//! re-encoded as protobuf, becomes exactly the rows a second implementation of the exporter computes:
//! `scripts/otel-oracle.py`, Python on the official `opentelemetry-proto` classes, sharing no code
//! with the receiver. Rows are compared as text, byte for byte.

use std::path::{Path, PathBuf};
use std::process::Command;

use atel_hooks::otel::{self, Encoding, Redaction, Signal};
use atel_tests::server::repo_root;
use base64::Engine as _;
use serde_json::Value;

use crate::support::fixtures_dir;

pub(crate) fn python() -> PathBuf {
    let out = Command::new(repo_root().join("scripts/venv"))
        .output()
        .expect("scripts/venv");
    assert!(out.status.success(), "scripts/venv failed");
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim()).join("bin/python")
}

/// One request: its path, its OTLP/JSON body, and what the oracle says.
pub(crate) struct Case {
    pub(crate) path: String,
    pub(crate) json: Vec<u8>,
    pub(crate) protobuf: Vec<u8>,
    pub(crate) rows: Vec<(String, String)>,
}

/// The oracle's answer for every request line of `file` (the fixture format).
pub(crate) fn oracle(file: &Path) -> Vec<Case> {
    let out = Command::new(python())
        .arg(repo_root().join("scripts/otel-oracle.py"))
        .arg(file)
        .output()
        .expect("run the oracle");
    assert!(
        out.status.success(),
        "oracle failed on {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let requests = std::fs::read_to_string(file).unwrap();
    let requests = requests.lines().filter(|l| !l.trim().is_empty());
    let answers = String::from_utf8(out.stdout).unwrap();
    let cases: Vec<Case> = requests
        .zip(answers.lines())
        .map(|(request, answer)| {
            let request: Value = serde_json::from_str(request).unwrap();
            let answer: Value = serde_json::from_str(answer).unwrap();
            Case {
                path: request["path"].as_str().unwrap().to_owned(),
                json: serde_json::to_vec(&request["payload"]).unwrap(),
                protobuf: base64::engine::general_purpose::STANDARD
                    .decode(answer["pb"].as_str().unwrap())
                    .unwrap(),
                rows: answer["rows"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| {
                        (
                            r[0].as_str().unwrap().to_owned(),
                            r[1].as_str().unwrap().to_owned(),
                        )
                    })
                    .collect(),
            }
        })
        .collect();
    assert_eq!(cases.len(), answers.lines().count());
    cases
}

pub(crate) fn fixture_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for version in ["v2.1.331", "v2.1.197"] {
        for scenario in ["main", "mainsync"] {
            for signal in ["logs", "metrics"] {
                files.push(
                    fixtures_dir()
                        .join(version)
                        .join(scenario)
                        .join("otlp")
                        .join(format!("{signal}.jsonl")),
                );
            }
        }
    }
    files
}

fn synthetic() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/otel/synthetic.jsonl")
}

fn rows(case: &Case, encoding: Encoding, redaction: Redaction) -> Vec<(String, String)> {
    let signal = Signal::from_path(&case.path).unwrap();
    let body = match encoding {
        Encoding::Json => &case.json,
        Encoding::Protobuf => &case.protobuf,
    };
    otel::export(signal, encoding, body, redaction)
        .unwrap_or_else(|err| panic!("{}: {err}", case.path))
        .rows
        .into_iter()
        .map(|(ds, row)| (ds.name().to_owned(), row))
        .collect()
}

#[test]
fn every_fixture_body_becomes_the_oracles_rows_as_json_and_as_protobuf() {
    let mut total = 0;
    for file in fixture_files() {
        for (i, case) in oracle(&file).iter().enumerate() {
            assert!(!case.rows.is_empty(), "{} #{i}", file.display());
            for encoding in [Encoding::Json, Encoding::Protobuf] {
                // Claude Code already redacts its content: redaction changes nothing.
                for redaction in [Redaction::Content, Redaction::Keep] {
                    let ours = rows(case, encoding, redaction);
                    assert_eq!(ours.len(), case.rows.len(), "{} #{i}", file.display());
                    for (row, (ours, theirs)) in ours.iter().zip(&case.rows).enumerate() {
                        assert_eq!(
                            ours,
                            theirs,
                            "{} request {i} row {row} ({encoding:?})",
                            file.display()
                        );
                    }
                }
            }
            total += case.rows.len();
        }
    }
    // 433 log records and 160 data points in the eight files.
    assert_eq!(total, 433 + 160);
}

#[test]
fn every_rule_of_the_exporter_matches_the_oracle() {
    let cases = oracle(&synthetic());
    let counts: Vec<usize> = cases.iter().map(|c| c.rows.len()).collect();
    // logs: 5 records; traces: 3 spans; metrics: 2 gauge + 1 sum + 2 histogram + 2 exponential
    // points (the summary and the metric without data are not exported); a NaN value drops its
    // whole request; empty requests have no rows.
    assert_eq!(counts, [5, 3, 7, 0, 0, 0]);
    for (i, case) in cases.iter().enumerate() {
        for encoding in [Encoding::Json, Encoding::Protobuf] {
            assert_eq!(
                rows(case, encoding, Redaction::Keep),
                case.rows,
                "request {i} ({encoding:?})"
            );
        }
    }
    let nan = &cases[3];
    let export = otel::export(Signal::Metrics, Encoding::Json, &nan.json, Redaction::Keep).unwrap();
    assert_eq!(
        export.rejected, 2,
        "both data points of the request are dropped"
    );
}

#[test]
fn content_is_redacted_unless_kept() {
    for file in fixture_files()
        .into_iter()
        .filter(|f| f.ends_with("logs.jsonl"))
    {
        let original = oracle(&file);
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains("<REDACTED>"), "{}", file.display());
        // As if the user had turned on OTEL_LOG_USER_PROMPTS and OTEL_LOG_ASSISTANT_RESPONSES.
        let revealed = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(
            revealed.path(),
            text.replace("<REDACTED>", "the user's words & code <script>"),
        )
        .unwrap();
        let with_content = oracle(revealed.path());
        let mut seen = 0;
        for (plain, revealed) in original.iter().zip(&with_content) {
            for encoding in [Encoding::Json, Encoding::Protobuf] {
                // By default the rows are exactly those of Claude Code's own redaction...
                assert_eq!(rows(revealed, encoding, Redaction::Content), plain.rows);
                // ...and `--keep-content` keeps the words.
                assert_eq!(rows(revealed, encoding, Redaction::Keep), revealed.rows);
            }
            seen += revealed
                .rows
                .iter()
                .filter(|(_, row)| {
                    row.contains("the user's words \\u0026 code \\u003cscript\\u003e")
                })
                .count();
        }
        assert!(seen > 0, "{}", file.display());
    }
}
