//! The `otel_*` datasources: the code's datafiles against Tinybird's OpenTelemetry template (vendored in
//! `tests/fixtures/otel-template/`, compared by Tinybird's own parser), then deployed to
//! `tinybird/local` and fed rows shaped exactly like the Collector's `tinybird` exporter writes them.

use std::collections::BTreeMap;
use std::path::Path;

use atel_sdk::Datasource as _;
use atel_sdk::telemetry::otel::{
    self, Attributes, ExponentialHistogramRow, GaugeRow, HistogramRow, LogRow, SpanRow, SumRow,
};
use atel_tests::server::repo_root;
use chrono::{TimeZone as _, Utc};
use serde_json::{Value, json};

use super::deployed;
use super::oracle::tb_oracle;

/// `tb-oracle.py compare OURS THEIRS`: (success, what it printed).
fn compare(ours: &Path, theirs: &Path) -> (bool, String) {
    let output = tb_oracle()
        .arg("compare")
        .arg(ours)
        .arg(theirs)
        .output()
        .expect("run tb-oracle.py compare");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.code().is_some_and(|code| code <= 1),
        "tb-oracle.py compare crashed: {stdout}{stderr}"
    );
    (output.status.success(), stdout)
}

fn template(name: &str) -> std::path::PathBuf {
    repo_root().join(format!("tests/fixtures/otel-template/{name}.datasource"))
}

/// What the code renders now (not the committed copy, which `dump-schemas --check` guards), written
/// out for the parser.
fn rendered() -> (tempfile::TempDir, Vec<(String, std::path::PathBuf)>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = otel::project()
        .files()
        .map(|(relative, text)| {
            let name = Path::new(&relative)
                .file_stem()
                .and_then(|stem| stem.to_str())
                .expect("a file name")
                .to_owned();
            let path = dir.path().join(format!("{name}.datasource"));
            std::fs::write(&path, text).expect("write datafile");
            (name, path)
        })
        .collect();
    (dir, files)
}

#[test]
fn every_otel_datasource_is_the_templates_column_for_column() {
    let (_dir, files) = rendered();
    let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    // The project lists its files by path.
    assert_eq!(
        names,
        [
            "otel_logs",
            "otel_metrics_exponential_histogram",
            "otel_metrics_gauge",
            "otel_metrics_histogram",
            "otel_metrics_sum",
            "otel_traces",
        ]
    );
    let mut differences = Vec::new();
    for (name, path) in &files {
        let (same, printed) = compare(path, &template(name));
        if !same {
            differences.push(format!("{name}:\n{printed}"));
        }
    }
    let differences = differences.concat();
    assert!(
        differences.is_empty(),
        "differs from the template:\n{differences}"
    );
}

/// The comparison can fail, and says which column, index or engine key differs.
#[test]
fn the_comparison_names_what_differs() {
    let (dir, files) = rendered();
    let (_, logs) = files
        .iter()
        .find(|(name, _)| name == "otel_logs")
        .expect("otel_logs");
    let text = std::fs::read_to_string(logs).expect("read otel_logs");
    let changed = text
        .replace(
            "`TraceId` String `json:$.trace_id` CODEC(ZSTD(1))",
            "`TraceId` String `json:$.trace_id` CODEC(ZSTD(3))",
        )
        .replace("`SeverityNumber` UInt8", "`SeverityNumber` UInt16")
        .replace("`json:$.body`", "`json:$.message`")
        .replace("GRANULARITY 8", "GRANULARITY 4")
        .replace("index_granularity=8192", "index_granularity=1024");
    assert_ne!(changed, text);
    let path = dir.path().join("changed.datasource");
    std::fs::write(&path, changed).expect("write changed");
    let (same, printed) = compare(&path, &template("otel_logs"));
    assert!(!same, "{printed}");
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(
        lines,
        [
            "column `TraceId`: codec is 'CODEC(ZSTD(3))', theirs 'CODEC(ZSTD(1))'",
            "column `SeverityNumber`: type is 'UInt16', theirs 'UInt8'",
            "column `Body`: jsonpath is '$.message', theirs '$.body'",
            "engine `settings`: 'index_granularity=1024', theirs 'index_granularity=8192'",
            "index `idx_body`: {'expr': 'Body', 'type': 'tokenbf_v1(32768, 3, 0)', 'granularity': \
             '4'}, theirs {'expr': 'Body', 'type': 'tokenbf_v1(32768, 3, 0)', 'granularity': '8'}",
        ]
    );
}

/// One row per datasource, as the exporter writes them (keys, RFC 3339 with trimmed zeros, attributes
/// as text, empty arrays as `[]`, an unset histogram `min` omitted), and what lands, by hand.
#[tokio::test]
async fn exporter_rows_land_in_every_otel_datasource() {
    let (_server, client) = deployed().await;
    let common = r#""resource_schema_url":"","resource_attributes":{"service.name":"claude-code","os.type":"linux"},"service_name":"claude-code","scope_name":"com.anthropic.claude_code","scope_version":"2.1.331","scope_schema_url":"","scope_attributes":{}"#;
    let metric = r#""metric_description":"","flags":0,"exemplars_filtered_attributes":[],"exemplars_timestamp":[],"exemplars_value":[],"exemplars_span_id":[],"exemplars_trace_id":[],"start_timestamp":"2026-11-25T09:00:00Z","timestamp":"2026-11-25T09:01:00.5Z""#;
    let rows = [
        (
            LogRow::NAME,
            format!(
                r#"{{{common},"timestamp":"2026-11-25T09:00:00.123456789Z","trace_id":"","span_id":"","flags":0,"severity_text":"","severity_number":0,"log_attributes":{{"event.name":"api_request","request_id":"req_1","cost_usd":"0.0123","input_tokens":"12"}},"body":"claude_code.api_request"}}"#
            ),
        ),
        (
            SpanRow::NAME,
            format!(
                r#"{{{common},"trace_id":"0af7651916cd43dd8448eb211c80319c","span_id":"b7ad6b7169203331","parent_span_id":"","trace_state":"","trace_flags":1,"span_name":"claude_code.request","span_kind":"Client","span_attributes":{{"model":"claude-opus-4-5"}},"start_time":"2026-11-25T09:00:00.5Z","end_time":"2026-11-25T09:00:01.75Z","duration":1250000000,"status_code":"Unset","status_message":"","events_timestamp":["2026-11-25T09:00:01Z"],"events_name":["retry"],"events_attributes":[{{"attempt":"2"}}],"links_trace_id":[],"links_span_id":[],"links_trace_state":[],"links_attributes":[]}}"#
            ),
        ),
        (
            SumRow::NAME,
            format!(
                r#"{{{common},"metric_name":"claude_code.cost.usage","metric_unit":"USD","metric_attributes":{{"model":"claude-opus-4-5"}},{metric},"value":0.5,"aggregation_temporality":1,"is_monotonic":true}}"#
            ),
        ),
        (
            GaugeRow::NAME,
            format!(
                r#"{{{common},"metric_name":"queue.depth","metric_unit":"1","metric_attributes":{{}},{metric},"value":3}}"#
            ),
        ),
        (
            HistogramRow::NAME,
            format!(
                r#"{{{common},"metric_name":"latency","metric_unit":"ms","metric_attributes":{{}},{metric},"count":3,"sum":7.5,"bucket_counts":[1,2,0],"explicit_bounds":[1,5],"max":4,"aggregation_temporality":2}}"#
            ),
        ),
        (
            ExponentialHistogramRow::NAME,
            format!(
                r#"{{{common},"metric_name":"size","metric_unit":"By","metric_attributes":{{}},{metric},"count":2,"sum":3,"scale":2,"zero_count":0,"positive_offset":-1,"positive_bucket_counts":[1,1],"negative_offset":0,"negative_bucket_counts":[],"min":1,"max":2,"aggregation_temporality":1}}"#
            ),
        ),
    ];
    for (name, line) in &rows {
        let summary = client
            .ingest_ndjson(name, line.as_bytes())
            .await
            .unwrap_or_else(|error| panic!("ingest {name}: {error}"));
        assert_eq!(
            (summary.successful_rows, summary.quarantined_rows),
            (1, 0),
            "{name}"
        );
    }
    let one = |sql: &str| {
        let client = client.clone();
        let sql = sql.to_owned();
        async move {
            let rows: Vec<Value> = client.sql(&sql).await.expect("query");
            assert_eq!(rows.len(), 1, "{sql}");
            rows.into_iter().next().unwrap_or_default()
        }
    };
    assert_eq!(
        one(
            "SELECT toString(Timestamp) AS ts, toString(TimestampTime) AS second, ServiceName, \
             LogAttributes['cost_usd'] AS cost, ResourceAttributes['os.type'] AS os, Body \
             FROM otel_logs"
        )
        .await,
        json!({"ts": "2026-11-25 09:00:00.123456789", "second": "2026-11-25 09:00:00",
               "ServiceName": "claude-code", "cost": "0.0123", "os": "linux",
               "Body": "claude_code.api_request"})
    );
    assert_eq!(
        one(
            "SELECT toString(Timestamp) AS ts, toString(Duration) AS duration, SpanKind, \
             toString(EventsTimestamp) AS events_at, EventsAttributes[1]['attempt'] AS attempt \
             FROM otel_traces"
        )
        .await,
        json!({"ts": "2026-11-25 09:00:00.500000000", "duration": "1250000000",
               "SpanKind": "Client", "events_at": "['2026-11-25 09:00:01.000000000']",
               "attempt": "2"})
    );
    assert_eq!(
        one(
            "SELECT toString(StartTimeUnix) AS start, toString(TimeUnix) AS at, Value, \
             AggregationTemporality, IsMonotonic, ServiceName FROM otel_metrics_sum"
        )
        .await,
        json!({"start": "2026-11-25 09:00:00.000000000", "at": "2026-11-25 09:01:00.500000000",
               "Value": 0.5, "AggregationTemporality": 1, "IsMonotonic": true,
               "ServiceName": "claude-code"})
    );
    assert_eq!(
        one("SELECT Value FROM otel_metrics_gauge").await,
        json!({"Value": 3}) // ClickHouse writes a whole Float64 without `.0`
    );
    assert_eq!(
        one(
            "SELECT toString(Count) AS count, Sum, toString(BucketCounts) AS buckets, \
             ExplicitBounds, Min, Max FROM otel_metrics_histogram"
        )
        .await,
        json!({"count": "3", "Sum": 7.5, "buckets": "[1,2,0]", "ExplicitBounds": [1, 5],
               "Min": null, "Max": 4})
    );
    assert_eq!(
        one("SELECT Scale, PositiveOffset, toString(PositiveBucketCounts) AS positive, \
             length(NegativeBucketCounts) AS negative, Min, Max FROM otel_metrics_exponential_histogram")
        .await,
        json!({"Scale": 2, "PositiveOffset": -1, "positive": "[1,1]", "negative": "0",
               "Min": 1, "Max": 2})
    );
}

fn attributes(pairs: &[(&str, &str)]) -> Attributes {
    pairs
        .iter()
        .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
        .collect::<BTreeMap<_, _>>()
}

/// Rows built in Rust go in through `ingest` and come back equal, nanoseconds and maps included.
#[tokio::test]
async fn rust_rows_round_trip_through_tinybird() {
    let (_server, client) = deployed().await;
    let at = Utc.timestamp_nanos(1_795_597_200_123_456_789); // 2026-11-25 09:00:00.123456789
    let log = LogRow {
        timestamp: at,
        trace_id: "0af7651916cd43dd8448eb211c80319c".into(),
        span_id: "b7ad6b7169203331".into(),
        flags: 1,
        severity_text: "INFO".into(),
        severity_number: 9,
        service_name: "claude-code".into(),
        body: "claude_code.tool_result".into(),
        resource_attributes: attributes(&[("service.name", "claude-code")]),
        scope_name: "com.anthropic.claude_code.events".into(),
        log_attributes: attributes(&[("event.name", "tool_result"), ("success", "true")]),
        ..LogRow::default()
    };
    let sum = SumRow {
        service_name: "claude-code".into(),
        metric_name: "claude_code.token.usage".into(),
        metric_unit: "tokens".into(),
        metric_attributes: attributes(&[("type", "input"), ("model", "claude-opus-4-5")]),
        start_timestamp: at,
        timestamp: at + chrono::Duration::nanoseconds(1),
        value: 1234.0,
        exemplars_timestamp: vec![at],
        exemplars_value: vec![1.5],
        exemplars_trace_id: vec!["t".into()],
        exemplars_span_id: vec!["s".into()],
        exemplars_filtered_attributes: vec![attributes(&[("k", "v")])],
        aggregation_temporality: 1,
        is_monotonic: true,
        ..SumRow::default()
    };
    assert_eq!(
        client
            .ingest(std::slice::from_ref(&log))
            .await
            .expect("ingest log")
            .successful_rows,
        1
    );
    assert_eq!(
        client
            .ingest(std::slice::from_ref(&sum))
            .await
            .expect("ingest sum")
            .successful_rows,
        1
    );
    let logs: Vec<LogRow> = client
        .sql(
            "SELECT Timestamp AS timestamp, TraceId AS trace_id, SpanId AS span_id, \
             TraceFlags AS flags, SeverityText AS severity_text, SeverityNumber AS severity_number, \
             ServiceName AS service_name, Body AS body, ResourceSchemaUrl AS resource_schema_url, \
             ResourceAttributes AS resource_attributes, ScopeSchemaUrl AS scope_schema_url, \
             ScopeName AS scope_name, ScopeVersion AS scope_version, \
             ScopeAttributes AS scope_attributes, LogAttributes AS log_attributes FROM otel_logs",
        )
        .await
        .expect("read otel_logs");
    assert_eq!(logs, [log]);
    let seconds: Vec<Value> = client
        .sql("SELECT toString(TimestampTime) AS second FROM otel_logs")
        .await
        .expect("read TimestampTime");
    assert_eq!(seconds, [json!({"second": "2026-11-25 09:00:00"})]);
    let sums: Vec<SumRow> = client
        .sql(
            "SELECT ResourceAttributes AS resource_attributes, \
             ResourceSchemaUrl AS resource_schema_url, ScopeName AS scope_name, \
             ScopeVersion AS scope_version, ScopeAttributes AS scope_attributes, \
             ScopeSchemaUrl AS scope_schema_url, ServiceName AS service_name, \
             MetricName AS metric_name, MetricDescription AS metric_description, \
             MetricUnit AS metric_unit, Attributes AS metric_attributes, \
             StartTimeUnix AS start_timestamp, TimeUnix AS timestamp, Value AS value, Flags AS flags, \
             ExemplarsTraceId AS exemplars_trace_id, ExemplarsSpanId AS exemplars_span_id, \
             ExemplarsTimestamp AS exemplars_timestamp, ExemplarsValue AS exemplars_value, \
             ExemplarsFilteredAttributes AS exemplars_filtered_attributes, \
             AggregationTemporality AS aggregation_temporality, IsMonotonic AS is_monotonic \
             FROM otel_metrics_sum",
        )
        .await
        .expect("read otel_metrics_sum");
    assert_eq!(sums, [sum]);
}
