//! Tinybird's own code (`PyPI` `tinybird`: its datafile parser and template analysis) reads every
//! generated datafile and must find exactly what our schema says: columns, types, JSON paths, engine,
//! params with their types and defaults.

use std::process::Command;

use atel_sdk::telemetry::otel_pipes::{
    OtelApiRequests, OtelToolResults, OtelUsageByDay, Reconcile,
};
use atel_sdk::telemetry::pipes::{
    AgentUsageSummary, CostByModel, OptimizationInsights, SessionOverview, SkillFrequency,
};
use atel_sdk::telemetry::{AgentActivation, ApiRequest, SkillActivation, otel};
use atel_sdk::{Datasource, DatasourceSchema, Pipe, PipeSchema};
use atel_tests::server::repo_root;
use serde_json::Value;

/// A program of the project venv (`scripts/venv` creates it): `python`, Tinybird's `tb`.
pub(crate) fn venv_program(name: &str) -> Command {
    let venv = Command::new(repo_root().join("scripts/venv"))
        .output()
        .expect("run scripts/venv");
    assert!(venv.status.success(), "scripts/venv failed");
    let venv = String::from_utf8(venv.stdout).expect("venv path is UTF-8");
    Command::new(format!("{}/bin/{name}", venv.trim()))
}

/// `scripts/tb-oracle.py`, run by the project venv's Python (which has Tinybird's CLI package).
pub(crate) fn tb_oracle() -> Command {
    let mut command = venv_program("python");
    command.arg(repo_root().join("scripts/tb-oracle.py"));
    command
}

/// What `scripts/tb-oracle.py describe` prints for a file of `tinybird/`.
fn describe(relative: &str) -> Value {
    describe_file(&repo_root().join("tinybird").join(relative))
}

/// What `scripts/tb-oracle.py describe` prints for a datafile anywhere.
pub(crate) fn describe_file(path: &std::path::Path) -> Value {
    let relative = path.display();
    let output = tb_oracle()
        .arg("describe")
        .arg(path)
        .output()
        .expect("run tb-oracle.py");
    assert!(
        output.status.success(),
        "Tinybird's parser rejected {relative}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("tb-oracle.py prints JSON")
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn assert_datasource(schema: &DatasourceSchema) {
    let seen = describe(&format!("datasources/{}.datasource", schema.name));
    let columns = seen["columns"].as_array().expect("columns");
    let theirs: Vec<(String, String, String)> = columns
        .iter()
        .map(|c| {
            let field = |k: &str| text(&c[k]).unwrap_or_default();
            // The parser keeps `Nullable(T)` as `T` plus a flag.
            let ty = if c["nullable"] == Value::Bool(true) {
                format!("Nullable({})", field("type"))
            } else {
                field("type")
            };
            (field("name"), ty, field("jsonpath"))
        })
        .collect();
    let ours: Vec<(String, String, String)> = schema
        .columns
        .iter()
        .map(|c| {
            (
                c.name.to_owned(),
                c.ty.to_string(),
                c.effective_json_path().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(theirs, ours, "{}", schema.name);
    let engine = &seen["engine"];
    assert_eq!(
        text(&engine["type"]).as_deref(),
        Some(schema.engine.kind.unwrap_or("MergeTree"))
    );
    assert_eq!(
        text(&engine["sorting_key"]).as_deref(),
        schema.engine.sorting_key
    );
    assert_eq!(
        text(&engine["partition_key"]).as_deref(),
        schema.engine.partition_key
    );
    assert_eq!(text(&engine["ttl"]).as_deref(), schema.engine.ttl);
}

fn assert_pipe(schema: &PipeSchema) {
    let seen = describe(&format!("endpoints/{}.pipe", schema.name));
    let nodes: Vec<String> = seen["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter_map(|n| text(&n["name"]))
        .collect();
    let our_nodes: Vec<&str> = schema.nodes.iter().map(|n| n.name).collect();
    assert_eq!(nodes, our_nodes, "{}", schema.name);

    let theirs: Vec<(String, Option<String>, Option<String>)> = seen["params"]
        .as_array()
        .expect("params")
        .iter()
        .map(|p| {
            (
                text(&p["name"]).unwrap_or_default(),
                text(&p["type"]),
                text(&p["default"]),
            )
        })
        .collect();
    let mut ours: Vec<(String, Option<String>, Option<String>)> = schema
        .params
        .iter()
        .map(|p| {
            (
                p.name.to_owned(),
                Some(p.template_type.to_owned()),
                p.default.map(str::to_owned),
            )
        })
        .collect();
    ours.sort();
    assert_eq!(theirs, ours, "{}", schema.name);
}

#[test]
fn tinybird_reads_every_datasource_as_our_schema() {
    assert_datasource(&AgentActivation::schema());
    assert_datasource(&SkillActivation::schema());
    assert_datasource(&ApiRequest::schema());
    for schema in [
        otel::LogRow::schema(),
        otel::SpanRow::schema(),
        otel::SumRow::schema(),
        otel::GaugeRow::schema(),
        otel::HistogramRow::schema(),
        otel::ExponentialHistogramRow::schema(),
    ] {
        assert_datasource(&schema);
    }
}

#[test]
fn tinybird_finds_exactly_our_params_types_and_defaults_in_every_pipe() {
    assert_pipe(&AgentUsageSummary::schema());
    assert_pipe(&SkillFrequency::schema());
    assert_pipe(&CostByModel::schema());
    assert_pipe(&SessionOverview::schema());
    assert_pipe(&OptimizationInsights::schema());
    assert_pipe(&OtelApiRequests::schema());
    assert_pipe(&OtelUsageByDay::schema());
    assert_pipe(&OtelToolResults::schema());
    assert_pipe(&Reconcile::schema());
}

#[test]
fn tinybird_reads_every_dashboard_pipe_as_our_schema() {
    use atel_sdk::telemetry::dashboard::{
        DailyCostByModel, DailyTokens, SessionDrilldown, TopSessions,
    };
    assert_pipe(&DailyCostByModel::schema());
    assert_pipe(&DailyTokens::schema());
    assert_pipe(&TopSessions::schema());
    assert_pipe(&SessionDrilldown::schema());
}
