//! Checks the price table against Claude Code's own `cost_usd`, request by request: every
//! OpenTelemetry `api_request` log event recorded in `tests/fixtures/claude-code/` (2.1.197 and 2.1.331, both scenarios).

use atel_sdk::telemetry::pricing::{PriceMatch, Usage, request_cost_usd};
use atel_tests::fixtures_dir;
use serde_json::Value;

/// The attributes of one OTLP log record as (key, value) with the typed value unwrapped.
fn attributes(record: &Value) -> Vec<(&str, &Value)> {
    record["attributes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|attr| {
            let value = attr["value"].as_object()?.values().next()?;
            Some((attr["key"].as_str()?, value))
        })
        .collect()
}

fn attr<'a>(attrs: &[(&str, &'a Value)], key: &str) -> Option<&'a Value> {
    attrs.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

/// OTLP JSON encodes 64-bit integers as strings or numbers.
fn int(attrs: &[(&str, &Value)], key: &str) -> u64 {
    match attr(attrs, key) {
        Some(Value::Number(n)) => n.as_u64().unwrap_or_else(|| panic!("{key}: {n}")),
        Some(Value::String(s)) => s.parse().unwrap_or_else(|_| panic!("{key}: {s}")),
        other => panic!("{key}: {other:?}"),
    }
}

struct Checked {
    file: String,
    request_id: String,
    model: String,
}

#[test]
fn cost_equals_claude_codes_cost_usd_for_every_api_request() {
    let dir = fixtures_dir();
    let mut checked: Vec<Checked> = Vec::new();
    for version in ["v2.1.197", "v2.1.331"] {
        for scenario in ["main", "mainsync"] {
            let path = dir.join(version).join(scenario).join("otlp/logs.jsonl");
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                let body: Value = serde_json::from_str(line).expect("an OTLP capture line");
                let records = body["payload"]["resourceLogs"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .flat_map(|rl| rl["scopeLogs"].as_array().into_iter().flatten())
                    .flat_map(|sl| sl["logRecords"].as_array().into_iter().flatten());
                for record in records {
                    let attrs = attributes(record);
                    if attr(&attrs, "event.name").and_then(Value::as_str) != Some("api_request") {
                        continue;
                    }
                    let model = attr(&attrs, "model")
                        .and_then(Value::as_str)
                        .expect("model");
                    let request_id = attr(&attrs, "request_id")
                        .and_then(Value::as_str)
                        .expect("request_id");
                    let expected = attr(&attrs, "cost_usd")
                        .and_then(Value::as_f64)
                        .expect("cost_usd");
                    let usage = Usage {
                        input: int(&attrs, "input_tokens"),
                        output: int(&attrs, "output_tokens"),
                        cache_read: int(&attrs, "cache_read_tokens"),
                        cache_creation: int(&attrs, "cache_creation_tokens"),
                        // 2.1.197 does not report the split; its writes are all 5-minute.
                        cache_creation_1h: attr(&attrs, "cache_creation_1h_tokens")
                            .map_or(0, |_| int(&attrs, "cache_creation_1h_tokens")),
                        inference_geo_us: false,
                        fast: attr(&attrs, "speed").and_then(Value::as_str) == Some("fast"),
                    };
                    let cost = request_cost_usd(model, &usage);
                    assert!(
                        matches!(cost.matched, PriceMatch::Exact { .. }),
                        "{version}/{scenario} {request_id}: {model} not in the table"
                    );
                    let relative = (cost.usd - expected).abs() / expected;
                    assert!(
                        relative <= 1e-9,
                        "{version}/{scenario} {request_id} ({model}): ours {} vs Claude Code {expected}",
                        cost.usd
                    );
                    checked.push(Checked {
                        file: format!("{version}/{scenario}"),
                        request_id: request_id.to_owned(),
                        model: model.to_owned(),
                    });
                }
            }
        }
    }
    // 8 API calls per scenario, 2 scenarios, 2 versions.
    assert_eq!(checked.len(), 32, "api_request events checked");
    for file in [
        "v2.1.197/main",
        "v2.1.197/mainsync",
        "v2.1.331/main",
        "v2.1.331/mainsync",
    ] {
        let ids: Vec<&str> = checked
            .iter()
            .filter(|c| c.file == file)
            .map(|c| c.request_id.as_str())
            .collect();
        let expected: Vec<String> = (1..=8).map(|n| format!("req_fake_{n:03}")).collect();
        assert_eq!(ids, expected, "{file}");
    }
    assert!(checked.iter().any(|c| c.model == "claude-opus-4-8"));
    assert!(checked.iter().any(|c| c.model == "claude-opus-5-5"));
}
