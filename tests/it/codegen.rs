//! `atel_sdk::codegen` round trips: a Tinybird project folder → Rust source (committed in
//! `tests/generated/`, compiled by this crate) → datafiles through `Project`, which must equal the
//! folder's files after Tinybird's own formatter (`tb fmt`'s `format_datasource` / `format_pipe`, run
//! by `scripts/tb-oracle.py format`) byte for byte: every file of `tinybird/` and of Tinybird's OpenTelemetry
//! template (`tests/fixtures/otel-template/`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use atel_sdk::codegen;
use atel_sdk::project::Project;
use atel_tests::generated::{kinds, otel_template, shop, telemetry};
use atel_tests::server::repo_root;
use serde_json::Value;

use crate::oracle::{describe_file, tb_oracle};

/// What Tinybird's formatter writes for each file, by path.
fn formatted(paths: &[PathBuf]) -> BTreeMap<PathBuf, String> {
    let output = tb_oracle()
        .arg("format")
        .args(paths)
        .output()
        .expect("run tb-oracle.py");
    assert!(
        output.status.success(),
        "Tinybird's formatter failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("UTF-8")
        .lines()
        .map(|line| {
            let value: Value = serde_json::from_str(line).expect("one JSON object per line");
            (
                PathBuf::from(value["file"].as_str().expect("file")),
                value["text"].as_str().expect("text").to_owned(),
            )
        })
        .collect()
}

/// The datafiles of a folder (itself and Tinybird's folders in it), sorted.
fn datafiles(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for sub in [
        "",
        "datasources",
        "endpoints",
        "materializations",
        "copies",
        "sinks",
        "connections",
    ] {
        let Ok(entries) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("entry").path();
            if path
                .extension()
                .is_some_and(|e| e == "datasource" || e == "pipe" || e == "connection")
            {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn telemetry_project() -> Project {
    use telemetry::*;
    Project::new()
        .datasource::<AgentActivations>()
        .datasource::<ApiRequests>()
        .datasource::<OtelLogs>()
        .datasource::<OtelMetricsExponentialHistogram>()
        .datasource::<OtelMetricsGauge>()
        .datasource::<OtelMetricsHistogram>()
        .datasource::<OtelMetricsSum>()
        .datasource::<OtelTraces>()
        .datasource::<SkillActivations>()
        .pipe::<AgentUsageSummary>()
        .pipe::<CostByModel>()
        .pipe::<DailyCostByModel>()
        .pipe::<DailyTokens>()
        .pipe::<OptimizationInsights>()
        .pipe::<OtelApiRequests>()
        .pipe::<OtelToolResults>()
        .pipe::<OtelUsageByDay>()
        .pipe::<Reconcile>()
        .pipe::<SessionDrilldown>()
        .pipe::<SessionOverview>()
        .pipe::<SkillFrequency>()
        .pipe::<TopSessions>()
}

fn otel_template_project() -> Project {
    use otel_template::*;
    Project::new()
        .datasource::<OtelLogs>()
        .datasource::<OtelMetricsExponentialHistogram>()
        .datasource::<OtelMetricsGauge>()
        .datasource::<OtelMetricsHistogram>()
        .datasource::<OtelMetricsSum>()
        .datasource::<OtelTraces>()
}

#[test]
fn codegen_writes_exactly_the_committed_source() {
    let root = repo_root();
    for (dir, committed) in [
        ("tinybird", "tests/generated/telemetry.rs"),
        (
            "tests/fixtures/otel-template",
            "tests/generated/otel_template.rs",
        ),
        ("tests/fixtures/codegen-kinds", "tests/generated/kinds.rs"),
        ("examples/shop/tinybird", "tests/generated/shop.rs"),
    ] {
        let generated = codegen::generate(root.join(dir)).expect("codegen");
        let committed_text = std::fs::read_to_string(root.join(committed)).expect("committed");
        assert!(
            generated == committed_text,
            "{committed} is not what codegen writes for {dir}/: regenerate it with \
             `cargo run -p atel-examples --example codegen -- {dir} -o {committed}`"
        );
    }
}

/// The project written to a temp folder, compared file by file with the input folder after
/// Tinybird's formatter: `ours(input) == format(input)` for every datasource (ours are the
/// formatter's fixed point) and `format(ours) == format(input)` for every file, pipes included.
fn assert_round_trip(project: &Project, input: &Path, layout: impl Fn(&Path) -> String) {
    let out = tempfile::tempdir().expect("temp dir");
    project.write(out.path()).expect("write the project");
    let inputs = datafiles(input);
    let ours: Vec<PathBuf> = inputs.iter().map(|p| out.path().join(layout(p))).collect();
    for path in &ours {
        assert!(path.is_file(), "the types do not give {}", path.display());
    }
    let written = project.files().count();
    assert_eq!(
        written,
        inputs.len(),
        "the types give more files than {}",
        input.display()
    );
    // Connections: ours must be the file itself, and read the same by Tinybird's parser (and below,
    // format the same).
    let is_connection = |path: &Path| path.extension().is_some_and(|e| e == "connection");
    for (theirs, ours) in inputs
        .iter()
        .zip(&ours)
        .filter(|(theirs, _)| is_connection(theirs))
    {
        let (theirs_text, ours_text) = (
            std::fs::read_to_string(theirs).expect("theirs"),
            std::fs::read_to_string(ours).expect("ours"),
        );
        assert!(
            ours_text == theirs_text,
            "{}: ours differ:\n--- ours\n{ours_text}\n--- theirs\n{theirs_text}",
            theirs.display()
        );
        assert_eq!(
            describe_file(ours)["settings"],
            describe_file(theirs)["settings"]
        );
    }
    let all: Vec<PathBuf> = inputs.iter().chain(&ours).cloned().collect();
    let formatted = formatted(&all);
    for (theirs, ours) in inputs.iter().zip(&ours) {
        let ours_text = std::fs::read_to_string(ours).expect("ours");
        let (format_theirs, format_ours) = (&formatted[theirs], &formatted[ours]);
        assert!(
            format_ours == format_theirs,
            "{}: after Tinybird's formatter, ours differ:\n--- ours\n{format_ours}\n--- theirs\n{format_theirs}",
            theirs.display()
        );
        if theirs.extension().is_some_and(|e| e == "datasource") {
            assert!(
                ours_text == *format_theirs,
                "{}: ours is not Tinybird's formatting of it:\n--- ours\n{ours_text}\n--- theirs\n{format_theirs}",
                theirs.display()
            );
        }
    }
}

#[test]
fn the_generated_telemetry_types_give_tinybird_back() {
    let tinybird = repo_root().join("tinybird");
    let project = telemetry_project();
    // Byte for byte the committed folder (which dump-schemas writes from the hand-written types)…
    project.check(&tinybird).expect("the folder, exactly");
    // …and, through Tinybird's formatter, the same datafiles.
    assert_round_trip(&project, &tinybird, |path| {
        path.strip_prefix(&tinybird)
            .expect("inside tinybird/")
            .display()
            .to_string()
    });
}

#[test]
fn the_generated_otel_template_types_give_the_template_back() {
    let template = repo_root().join("tests/fixtures/otel-template");
    let project = otel_template_project();
    assert_round_trip(&project, &template, |path| {
        format!(
            "datasources/{}",
            path.file_name().expect("file name").to_string_lossy()
        )
    });
}

/// A small folder of every pipe kind, of column types beyond the telemetry's (UUID, time zones,
/// decimals, `Enum8`, `Int128`, `Int256`, `IPv4`, tuples, `JSON`, a nested path, a default), a
/// Kafka datasource and an S3 import with their connections, in its own layout.
#[test]
fn the_generated_kinds_give_their_folder_back() {
    let dir = repo_root().join("tests/fixtures/codegen-kinds");
    let project = Project::new()
        .datasource::<kinds::Clicks>()
        .datasource::<kinds::Daily>()
        .datasource::<kinds::Events>()
        .datasource::<kinds::OrdersImport>()
        .pipe::<kinds::DailyCopy>()
        .pipe::<kinds::DailyMv>()
        .pipe::<kinds::Lookup>()
        .connection(kinds::events_kafka())
        .connection(kinds::exports_s3());
    assert_round_trip(&project, &dir, |path| {
        let name = path.file_name().expect("file name").to_string_lossy();
        if name.ends_with(".connection") {
            return format!("connections/{name}");
        }
        let folder = match name.as_ref() {
            "daily_copy.pipe" => "copies",
            "daily_mv.pipe" => "materializations",
            "lookup.pipe" => "endpoints",
            _ => "datasources",
        };
        format!("{folder}/{name}")
    });
}

/// The storefront example: enums, `IPv4`, `FixedString`, `Date32`, `-State` columns, engine
/// parameters, materialized and copy pipes, all back as the example's own types wrote them.
#[test]
fn the_generated_shop_types_give_the_shop_back() {
    let dir = repo_root().join("examples/shop/tinybird");
    let project = Project::new()
        .datasource::<shop::ShopDailyRevenue>()
        .datasource::<shop::ShopEvents>()
        .datasource::<shop::ShopOrders>()
        .datasource::<shop::ShopProductSales>()
        .pipe::<shop::ShopDailyRevenueMv>()
        .pipe::<shop::ShopFunnel>()
        .pipe::<shop::ShopOrderStatus>()
        .pipe::<shop::ShopProductSalesCopy>()
        .pipe::<shop::ShopRevenue>();
    project.check(&dir).expect("the folder, exactly");
    assert_round_trip(&project, &dir, |path| {
        path.strip_prefix(&dir)
            .expect("inside the folder")
            .display()
            .to_string()
    });
}

#[test]
fn generated_params_and_columns_are_typed() {
    // What the SQL says, read by hand from tinybird/endpoints/session_drilldown.pipe:
    // `Int32(days, 7)`, `String(session_id, required=True)`, `UInt32(limit, 1000)`.
    let params = telemetry::SessionDrilldown {
        days: 7_i32,
        session_id: "s".to_owned(),
        limit: 1000_u32,
    };
    assert_eq!(
        atel_sdk::Pipe::params(&params),
        [
            ("days", "7".to_owned()),
            ("session_id", "s".to_owned()),
            ("limit", "1000".to_owned()),
        ]
    );
    // `{% if defined(session_id) %} … {{ String(session_id) }}`: optional, left out when `None`.
    let overview = telemetry::SessionOverview {
        days: 30,
        session_id: None,
    };
    assert_eq!(
        atel_sdk::Pipe::params(&overview),
        [("days", "30".to_owned())]
    );
}

/// Untrusted text: every prefix of every input file (cut at every 5th char and at every line end)
/// and the file without each one of its lines is read without a panic, and a failure names the
/// file and a line inside it.
#[test]
fn cut_and_garbled_datafiles_are_errors_not_panics() {
    let root = repo_root();
    let files: Vec<PathBuf> = datafiles(&root.join("tinybird"))
        .into_iter()
        .chain(datafiles(&root.join("tests/fixtures/otel-template")))
        .collect();
    let (mut ok, mut failed) = (0_usize, 0_usize);
    for path in &files {
        let text = std::fs::read_to_string(path).expect("read");
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let lines: Vec<&str> = text.lines().collect();
        let mut variants: Vec<String> = text
            .char_indices()
            .filter(|(i, c)| i % 5 == 0 || *c == '\n')
            .map(|(i, _)| text[..i].to_owned())
            .collect();
        for skip in 0..lines.len() {
            let mut without: Vec<&str> = lines.clone();
            without.remove(skip);
            variants.push(without.join("\n"));
        }
        for variant in variants {
            match codegen::generate_from("cut", &[(name.clone(), variant.clone())]) {
                Ok(source) => {
                    assert!(source.starts_with("//! The Tinybird project `cut`"));
                    ok += 1;
                }
                Err(err) => {
                    let message = err.to_string();
                    let line: usize = message
                        .strip_prefix(&format!("{name}:"))
                        .and_then(|rest| rest.split(':').next())
                        .and_then(|n| n.parse().ok())
                        .unwrap_or_else(|| panic!("no `{name}:LINE:` in {message:?}"));
                    assert!(
                        (1..=variant.lines().count().max(1)).contains(&line),
                        "line {line} is outside the text: {message}"
                    );
                    failed += 1;
                }
            }
        }
    }
    // Both happen: prefixes ending after a whole column list read fine, most others do not.
    assert!(ok > 100 && failed > 100, "{ok} read, {failed} refused");
}
