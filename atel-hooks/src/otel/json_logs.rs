//! The fast path of [`json::logs`](super::json::logs): OTLP/JSON logs straight into typed structs
//! with serde, without building a `serde_json::Value` tree first (about three times the records per
//! second on Claude Code's bodies: `cargo bench -p atel-hooks --bench otel_decode`).
//!
//! It is an optimisation only, never a second dialect: it returns `None` for anything it does not
//! read exactly like the generic reader (a wrong type, a duplicate key, both spellings of one key,
//! an out-of-range integer, a bad id, and any key it does not know: every byte of a body it accepts
//! is parsed, never skipped, so it cannot accept a string or number the generic reader's full parse
//! refuses), and the caller then runs the generic reader, whose answer —
//! rows or the error — is the one that counts. What it accepts it turns into the same prost message
//! the generic reader makes; the `otel_decode` fuzz target checks that on every input it accepts.

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use super::json::{SEVERITY, decode_hex};
use super::proto::{
    AnyValue, ArrayValue, ExportLogsServiceRequest, InstrumentationScope, KeyValue, KeyValueList,
    LogRecord, Resource, ResourceLogs, ScopeLogs, any_value,
};

/// `ExportLogsServiceRequest`, or `None` when the generic reader must decide.
pub(crate) fn logs(body: &[u8]) -> Option<ExportLogsServiceRequest> {
    let request: Request = serde_json::from_slice(body).ok()?;
    Some(ExportLogsServiceRequest {
        resource_logs: present(request.resource_logs)
            .map(|r| {
                Some(ResourceLogs {
                    resource: r
                        .resource
                        .map(|res| {
                            Ok::<_, ()>(Resource {
                                attributes: key_values(res.attributes)?,
                            })
                        })
                        .transpose()
                        .ok()?,
                    schema_url: r.schema_url.unwrap_or_default(),
                    scope_logs: present(r.scope_logs)
                        .map(|s| {
                            Some(ScopeLogs {
                                scope: match s.scope {
                                    None => None,
                                    Some(scope) => Some(InstrumentationScope {
                                        name: scope.name.unwrap_or_default(),
                                        version: scope.version.unwrap_or_default(),
                                        attributes: key_values(scope.attributes).ok()?,
                                    }),
                                },
                                schema_url: s.schema_url.unwrap_or_default(),
                                log_records: present(s.log_records)
                                    .map(record)
                                    .collect::<Option<_>>()?,
                            })
                        })
                        .collect::<Option<_>>()?,
                })
            })
            .collect::<Option<_>>()?,
    })
}

/// The items of a list that may be absent or `null`, its `null` items left out (as the generic
/// reader does).
fn present<T>(list: Option<Vec<Option<T>>>) -> impl Iterator<Item = T> {
    list.into_iter().flatten().flatten()
}

fn record(r: Record) -> Option<LogRecord> {
    Some(LogRecord {
        time_unix_nano: int(r.time_unix_nano)?,
        observed_time_unix_nano: int(r.observed_time_unix_nano)?,
        severity_number: match r.severity_number {
            None => 0,
            Some(Enum::Name(name)) => match SEVERITY.iter().position(|n| *n == name) {
                Some(i) => i32::try_from(i).ok()?,
                None => name.parse().ok()?,
            },
            Some(Enum::Number(n)) => i32::try_from(n).ok()?,
        },
        severity_text: r.severity_text.unwrap_or_default(),
        body: r.body.map(any).transpose().ok()?,
        attributes: key_values(r.attributes).ok()?,
        flags: int(r.flags)?,
        trace_id: id(r.trace_id, 16)?,
        span_id: id(r.span_id, 8)?,
    })
}

fn int<T: TryFrom<i128>>(value: Option<Int>) -> Option<T> {
    T::try_from(value.map_or(0, |Int(n)| n)).ok()
}

fn id(hex: Option<String>, len: usize) -> Option<Vec<u8>> {
    match hex {
        None => Some(Vec::new()),
        Some(hex) if hex.is_empty() => Some(Vec::new()),
        Some(hex) => decode_hex(&hex).filter(|bytes| bytes.len() == len),
    }
}

fn key_values(list: Option<Vec<Option<Kv>>>) -> Result<Vec<KeyValue>, ()> {
    present(list)
        .map(|kv| {
            Ok(KeyValue {
                key: kv.key.unwrap_or_default(),
                value: kv.value.map(any).transpose()?,
            })
        })
        .collect()
}

/// The generic reader's order: the first variant present wins.
fn any(v: Any) -> Result<AnyValue, ()> {
    use any_value::Value as V;
    let value = if let Some(s) = v.string_value {
        Some(V::StringValue(s))
    } else if let Some(b) = v.bool_value {
        Some(V::BoolValue(b))
    } else if let Some(Int(n)) = v.int_value {
        Some(V::IntValue(i64::try_from(n).map_err(|_| ())?))
    } else if let Some(Float(d)) = v.double_value {
        Some(V::DoubleValue(d))
    } else if let Some(array) = v.array_value {
        Some(V::ArrayValue(ArrayValue {
            values: present(array.values).map(any).collect::<Result<_, _>>()?,
        }))
    } else if let Some(list) = v.kvlist_value {
        Some(V::KvlistValue(KeyValueList {
            values: key_values(list.values)?,
        }))
    } else if v.bytes_value.is_some() {
        // Rare in practice: the generic reader decodes the base64 and says why when it is bad.
        return Err(());
    } else {
        None
    };
    Ok(AnyValue { value })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "camelCase")]
struct Request {
    #[serde(alias = "resource_logs")]
    resource_logs: Option<Vec<Option<ResourceLogsJson>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "camelCase")]
struct ResourceLogsJson {
    resource: Option<ResourceJson>,
    #[serde(alias = "schema_url")]
    schema_url: Option<String>,
    #[serde(alias = "scope_logs")]
    scope_logs: Option<Vec<Option<ScopeLogsJson>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResourceJson {
    attributes: Option<Vec<Option<Kv>>>,
    #[serde(alias = "dropped_attributes_count", rename = "droppedAttributesCount")]
    _dropped_attributes_count: Option<Int>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "camelCase")]
struct ScopeLogsJson {
    scope: Option<ScopeJson>,
    #[serde(alias = "schema_url")]
    schema_url: Option<String>,
    #[serde(alias = "log_records")]
    log_records: Option<Vec<Option<Record>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScopeJson {
    name: Option<String>,
    version: Option<String>,
    attributes: Option<Vec<Option<Kv>>>,
    #[serde(alias = "dropped_attributes_count", rename = "droppedAttributesCount")]
    _dropped_attributes_count: Option<Int>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "camelCase")]
struct Record {
    #[serde(alias = "time_unix_nano")]
    time_unix_nano: Option<Int>,
    #[serde(alias = "observed_time_unix_nano")]
    observed_time_unix_nano: Option<Int>,
    #[serde(alias = "severity_number")]
    severity_number: Option<Enum>,
    #[serde(alias = "severity_text")]
    severity_text: Option<String>,
    body: Option<Any>,
    attributes: Option<Vec<Option<Kv>>>,
    flags: Option<Int>,
    #[serde(alias = "trace_id")]
    trace_id: Option<String>,
    #[serde(alias = "span_id")]
    span_id: Option<String>,
    #[serde(alias = "dropped_attributes_count", rename = "droppedAttributesCount")]
    _dropped_attributes_count: Option<Int>,
    /// Not exported (the exporter leaves it out too).
    #[serde(alias = "event_name", rename = "eventName")]
    _event_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Kv {
    key: Option<String>,
    value: Option<Any>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "camelCase")]
#[allow(
    clippy::struct_field_names,
    reason = "the OTLP/JSON keys are `stringValue`, `boolValue`, …"
)]
struct Any {
    #[serde(alias = "string_value")]
    string_value: Option<String>,
    #[serde(alias = "bool_value")]
    bool_value: Option<bool>,
    #[serde(alias = "int_value")]
    int_value: Option<Int>,
    #[serde(alias = "double_value")]
    double_value: Option<Float>,
    #[serde(alias = "array_value")]
    array_value: Option<AnyList>,
    #[serde(alias = "kvlist_value")]
    kvlist_value: Option<KvList>,
    #[serde(alias = "bytes_value")]
    bytes_value: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnyList {
    values: Option<Vec<Option<Any>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KvList {
    values: Option<Vec<Option<Kv>>>,
}

/// An integer as a JSON number (a whole float too) or a decimal string, like the generic reader's.
struct Int(i128);

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Int;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an integer")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Int, E> {
                Ok(Int(i128::from(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Int, E> {
                Ok(Int(i128::from(v)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Int, E> {
                if v.fract() == 0.0 && v.abs() < 2e19 {
                    #[allow(clippy::cast_possible_truncation)]
                    let whole = v as i128;
                    Ok(Int(whole))
                } else {
                    Err(E::custom("not a whole number"))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Int, E> {
                v.trim().parse().map(Int).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// A float as a JSON number or a string (`"NaN"`, `"Infinity"`, `"-Infinity"`, digits).
struct Float(f64);

impl<'de> Deserialize<'de> for Float {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Float;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a number")
            }
            #[allow(clippy::cast_precision_loss)]
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Float, E> {
                Ok(Float(v as f64))
            }
            #[allow(clippy::cast_precision_loss)]
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Float, E> {
                Ok(Float(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Float, E> {
                Ok(Float(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Float, E> {
                match v {
                    "NaN" => Ok(Float(f64::NAN)),
                    "Infinity" | "+Infinity" => Ok(Float(f64::INFINITY)),
                    "-Infinity" => Ok(Float(f64::NEG_INFINITY)),
                    text => text.parse().map(Float).map_err(E::custom),
                }
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// An enum as its name or its number.
enum Enum {
    Name(String),
    Number(i128),
}

impl<'de> Deserialize<'de> for Enum {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Enum;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an enum name or number")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Enum, E> {
                Ok(Enum::Number(i128::from(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Enum, E> {
                Ok(Enum::Number(i128::from(v)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Enum, E> {
                Int::deserialize(de::value::F64Deserializer::new(v)).map(|Int(n)| Enum::Number(n))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Enum, E> {
                Ok(Enum::Name(v.to_owned()))
            }
        }
        deserializer.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use prost::Message as _;

    use super::super::json::logs_generic;

    /// Every Claude Code logs body recorded takes the fast path, and it reads each exactly like the
    /// generic reader.
    #[test]
    fn every_recorded_logs_body_takes_the_fast_path_to_the_same_message() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/claude-code");
        let mut bodies = 0;
        for version in ["v2.1.331", "v2.1.197"] {
            for scenario in ["main", "mainsync"] {
                let path = root.join(version).join(scenario).join("otlp/logs.jsonl");
                for line in std::fs::read_to_string(&path).unwrap().lines() {
                    let capture: serde_json::Value = serde_json::from_str(line).unwrap();
                    let body = serde_json::to_vec(&capture["payload"]).unwrap();
                    let fast = super::logs(&body).expect("the fast path reads it");
                    assert_eq!(fast, logs_generic(&body).unwrap(), "{}", path.display());
                    bodies += 1;
                }
            }
        }
        assert!(bodies >= 10, "{bodies} bodies");
    }

    #[test]
    fn what_the_fast_path_does_not_read_exactly_goes_to_the_generic_reader() {
        let cases: &[&[u8]] = &[
            br#"{"resourceLogs": [], "resource_logs": []}"#,
            br#"{"resourceLogs": [{"scopeLogs": [{"logRecords": [{"traceId": "abc"}]}]}]}"#,
            br#"{"resourceLogs": [{"scopeLogs": [{"logRecords": [{"flags": -1}]}]}]}"#,
            br#"{"resourceLogs": [{"scopeLogs": [{"logRecords": [{"body": {"bytesValue": "AA=="}}]}]}]}"#,
            br#"{"resourceLogs": [{"scopeLogs": [{"logRecords": [{"attributes": [{"key": "k", "key": "j"}]}]}]}]}"#,
            b"[1]",
            b"{",
            // A key it does not know: skipping it would skip its validation too (a lone surrogate
            // or an out-of-range number the generic reader refuses).
            br#"{"resourceLogs": [], "extra": "\ud800"}"#,
            br#"{"resourceLogs": [], "extra": 1e999}"#,
        ];
        for body in cases {
            assert!(
                super::logs(body).is_none(),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        // And what it reads leniently, it reads like the generic reader: snake_case, strings for
        // numbers, enum names, nulls.
        let lenient = br#"{"resource_logs": [null, {"scope_logs": [{"log_records": [{
            "time_unix_nano": "1795593420842000000", "severityNumber": "SEVERITY_NUMBER_INFO",
            "flags": 1.0, "severityText": null, "body": {"int_value": "7"},
            "attributes": [null, {"key": "x", "value": {"doubleValue": "NaN"}}],
            "spanId": "00112233445566AA", "droppedAttributesCount": 0}]}]}]}"#;
        let fast = super::logs(lenient).expect("read by the fast path");
        let generic = logs_generic(lenient).unwrap();
        // NaN != NaN: compare the encoded messages.
        assert_eq!(fast.encode_to_vec(), generic.encode_to_vec());
        let record = &fast.resource_logs[0].scope_logs[0].log_records[0];
        assert_eq!(
            (record.time_unix_nano, record.severity_number, record.flags),
            (1_795_593_420_842_000_000, 9, 1)
        );
        assert_eq!(
            record.span_id,
            [0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0xaa]
        );
    }
}
