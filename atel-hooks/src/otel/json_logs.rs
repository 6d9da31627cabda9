//! The fast path of [`json::logs`](super::json::logs): OTLP/JSON logs straight into typed structs
//! with serde, borrowing every string without an escape from the body and without building a
//! `serde_json::Value` tree first; [`log_rows`] writes the `otel_logs` rows from them directly
//! (`cargo bench -p atel-hooks --bench otel_decode`).
//!
//! It is an optimisation only, never a second dialect: it returns `None` for anything it does not
//! read exactly like the generic reader (a wrong type, a duplicate key, both spellings of one key,
//! an out-of-range integer, a bad id, and any key it does not know: every byte of a body it accepts
//! is parsed, never skipped, so it cannot accept a string or number the generic reader's full parse
//! refuses), and the caller then runs the generic reader, whose answer —
//! rows or the error — is the one that counts. What it accepts it turns into the same prost message
//! the generic reader makes, or into the rows that message gives; the `otel_decode` fuzz target
//! checks both on every input it accepts.

use serde::Deserialize;

use super::json::{SEVERITY, decode_hex};
use super::json_de::{Enum, Float, Int, List, Str};
use super::proto::{
    AnyValue, ArrayValue, ExportLogsServiceRequest, InstrumentationScope, KeyValue, KeyValueList,
    LogRecord, Resource, ResourceLogs, ScopeLogs, any_value,
};
use super::redact::Redaction;
use super::rows::{LogRecordView, LogScope, attrs_text, log_row, service_name};
use super::text::{Attribute, Value, View};

/// The body, parsed and checked: every integer in range, every id valid, no bytes value.
fn parse(body: &[u8]) -> Option<Request<'_>> {
    let request: Request<'_> = serde_json::from_slice(body).ok()?;
    valid(&request).then_some(request)
}

/// `ExportLogsServiceRequest`, or `None` when the generic reader must decide.
pub(crate) fn logs(body: &[u8]) -> Option<ExportLogsServiceRequest> {
    let request = parse(body)?;
    Some(ExportLogsServiceRequest {
        resource_logs: list(request.resource_logs)
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
                    schema_url: owned(r.schema_url),
                    scope_logs: list(r.scope_logs)
                        .map(|s| {
                            Some(ScopeLogs {
                                scope: match s.scope {
                                    None => None,
                                    Some(scope) => Some(InstrumentationScope {
                                        name: owned(scope.name),
                                        version: owned(scope.version),
                                        attributes: key_values(scope.attributes).ok()?,
                                    }),
                                },
                                schema_url: owned(s.schema_url),
                                log_records: list(s.log_records)
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

/// The `otel_logs` rows of the body ([`rows::log_rows`](super::rows::log_rows) of [`logs`]'s
/// message, without building it), or `None` when the generic reader must decide.
pub(crate) fn log_rows(body: &[u8], redaction: Redaction) -> Option<Vec<String>> {
    let request = parse(body)?;
    let mut rows = Vec::new();
    for r in items(request.resource_logs.as_ref()) {
        let resource = r
            .resource
            .as_ref()
            .map_or(&[][..], |res| items(res.attributes.as_ref()));
        let resource_attrs = attrs_text(resource);
        let service = service_name(resource);
        for s in items(r.scope_logs.as_ref()) {
            let scope = s.scope.as_ref();
            let scope_attrs = attrs_text(scope.map_or(&[][..], |sc| items(sc.attributes.as_ref())));
            let context = LogScope {
                resource_schema_url: text(r.schema_url.as_ref()),
                resource_attrs: &resource_attrs,
                service: &service,
                scope_schema_url: text(s.schema_url.as_ref()),
                scope_attrs: &scope_attrs,
                scope_name: text(scope.and_then(|sc| sc.name.as_ref())),
                scope_version: text(scope.and_then(|sc| sc.version.as_ref())),
            };
            let records = items(s.log_records.as_ref());
            rows.reserve(records.len());
            for rec in records {
                let trace_id = id::<16>(rec.trace_id.as_ref())?;
                let span_id = id::<8>(rec.span_id.as_ref())?;
                let view = LogRecordView {
                    time_unix_nano: int(rec.time_unix_nano)?,
                    observed_time_unix_nano: int(rec.observed_time_unix_nano)?,
                    trace_id: trace_id.bytes(),
                    span_id: span_id.bytes(),
                    flags: int(rec.flags)?,
                    severity_text: text(rec.severity_text.as_ref()),
                    severity_number: severity(rec.severity_number.as_ref())?,
                    attributes: items(rec.attributes.as_ref()),
                    body: rec.body.as_ref(),
                };
                rows.push(log_row(&context, &view, redaction));
            }
        }
    }
    Some(rows)
}

/// Whether everything [`logs`] converts converts: the checks the conversion makes, done first so
/// that [`log_rows`] never writes a row of a body the conversion refuses.
fn valid(request: &Request<'_>) -> bool {
    items(request.resource_logs.as_ref()).iter().all(|r| {
        r.resource
            .as_ref()
            .is_none_or(|res| attributes_valid(res.attributes.as_ref()))
            && items(r.scope_logs.as_ref()).iter().all(|s| {
                s.scope
                    .as_ref()
                    .is_none_or(|sc| attributes_valid(sc.attributes.as_ref()))
                    && items(s.log_records.as_ref()).iter().all(record_valid)
            })
    })
}

fn record_valid(r: &Record<'_>) -> bool {
    int::<u64>(r.time_unix_nano).is_some()
        && int::<u64>(r.observed_time_unix_nano).is_some()
        && severity(r.severity_number.as_ref()).is_some()
        && r.body.as_ref().is_none_or(any_valid)
        && attributes_valid(r.attributes.as_ref())
        && int::<u32>(r.flags).is_some()
        && id::<16>(r.trace_id.as_ref()).is_some()
        && id::<8>(r.span_id.as_ref()).is_some()
}

fn attributes_valid(list: Option<&List<Kv<'_>>>) -> bool {
    items(list)
        .iter()
        .all(|kv| kv.value.as_ref().is_none_or(any_valid))
}

/// [`any`]'s checks: the variant that wins is not an out-of-range integer or bytes, nor holds one.
fn any_valid(v: &Any<'_>) -> bool {
    if v.string_value.is_some() || v.bool_value.is_some() {
        true
    } else if let Some(Int(n)) = v.int_value {
        i64::try_from(n).is_ok()
    } else if v.double_value.is_some() {
        true
    } else if let Some(array) = &v.array_value {
        items(array.values.as_ref()).iter().all(any_valid)
    } else if let Some(kvlist) = &v.kvlist_value {
        attributes_valid(kvlist.values.as_ref())
    } else {
        v.bytes_value.is_none()
    }
}

/// The items of a list that may be absent or `null` (its `null` items are left out when read).
fn items<T>(list: Option<&List<T>>) -> &[T] {
    list.map_or(&[][..], |l| &l.0[..])
}

/// The items of a list, taken.
fn list<T>(list: Option<List<T>>) -> impl Iterator<Item = T> {
    list.into_iter().flat_map(|l| l.0)
}

fn text<'s>(value: Option<&'s Str<'_>>) -> &'s str {
    value.map_or("", |s| &s.0)
}

fn owned(value: Option<Str<'_>>) -> String {
    value.map(|s| s.0.into_owned()).unwrap_or_default()
}

fn severity(value: Option<&Enum>) -> Option<i32> {
    match value {
        None => Some(0),
        Some(Enum::Name(name)) => match SEVERITY.iter().position(|n| *n == name) {
            Some(i) => i32::try_from(i).ok(),
            None => name.parse().ok(),
        },
        Some(Enum::Number(n)) => i32::try_from(*n).ok(),
    }
}

fn record(r: Record<'_>) -> Option<LogRecord> {
    Some(LogRecord {
        time_unix_nano: int(r.time_unix_nano)?,
        observed_time_unix_nano: int(r.observed_time_unix_nano)?,
        severity_number: severity(r.severity_number.as_ref())?,
        severity_text: owned(r.severity_text),
        body: r.body.map(any).transpose().ok()?,
        attributes: key_values(r.attributes).ok()?,
        flags: int(r.flags)?,
        trace_id: id_vec(r.trace_id, 16)?,
        span_id: id_vec(r.span_id, 8)?,
    })
}

fn int<T: TryFrom<i128>>(value: Option<Int>) -> Option<T> {
    T::try_from(value.map_or(0, |Int(n)| n)).ok()
}

fn id_vec(hex: Option<Str<'_>>, len: usize) -> Option<Vec<u8>> {
    match hex {
        None => Some(Vec::new()),
        Some(hex) if hex.0.is_empty() => Some(Vec::new()),
        Some(hex) => decode_hex(&hex.0).filter(|bytes| bytes.len() == len),
    }
}

/// An id read from its hex.
enum Id<const N: usize> {
    /// Absent or empty: no id.
    None,
    Bytes([u8; N]),
}

impl<const N: usize> Id<N> {
    fn bytes(&self) -> &[u8] {
        match self {
            Self::None => &[],
            Self::Bytes(bytes) => bytes,
        }
    }
}

/// An id of `N` bytes from its hex, `None` when the hex is not `N` bytes.
fn id<const N: usize>(hex: Option<&Str<'_>>) -> Option<Id<N>> {
    let digits = match hex {
        None => return Some(Id::None),
        Some(hex) if hex.0.is_empty() => return Some(Id::None),
        Some(hex) => hex.0.as_bytes(),
    };
    if digits.len() != 2 * N {
        return None;
    }
    let nibble = |b: u8| match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    };
    let mut bytes = [0; N];
    for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
        let [hi, lo] = pair else { return None };
        *byte = nibble(*hi)? << 4 | nibble(*lo)?;
    }
    Some(Id::Bytes(bytes))
}

fn key_values(list: Option<List<Kv<'_>>>) -> Result<Vec<KeyValue>, ()> {
    self::list(list)
        .map(|kv| {
            Ok(KeyValue {
                key: owned(kv.key),
                value: kv.value.map(any).transpose()?,
            })
        })
        .collect()
}

/// The generic reader's order: the first variant present wins.
fn any(v: Any<'_>) -> Result<AnyValue, ()> {
    use any_value::Value as V;
    let value = if let Some(s) = v.string_value {
        Some(V::StringValue(s.0.into_owned()))
    } else if let Some(b) = v.bool_value {
        Some(V::BoolValue(b))
    } else if let Some(Int(n)) = v.int_value {
        Some(V::IntValue(i64::try_from(n).map_err(|_| ())?))
    } else if let Some(Float(d)) = v.double_value {
        Some(V::DoubleValue(d))
    } else if let Some(array) = v.array_value {
        Some(V::ArrayValue(ArrayValue {
            values: list(array.values).map(any).collect::<Result<_, _>>()?,
        }))
    } else if let Some(kvlist) = v.kvlist_value {
        Some(V::KvlistValue(KeyValueList {
            values: key_values(kvlist.values)?,
        }))
    } else if v.bytes_value.is_some() {
        // Rare in practice: the generic reader decodes the base64 and says why when it is bad.
        return Err(());
    } else {
        None
    };
    Ok(AnyValue { value })
}

/// [`any`]'s reading, for the row writer; only used on values [`any_valid`] accepted.
impl<'a> Value for Any<'a> {
    type Kv = Kv<'a>;
    fn view(&self) -> View<'_, Self, Kv<'a>> {
        if let Some(s) = &self.string_value {
            View::Str(&s.0)
        } else if let Some(b) = self.bool_value {
            View::Bool(b)
        } else if let Some(Int(n)) = self.int_value {
            View::Int(i64::try_from(n).unwrap_or_default())
        } else if let Some(Float(d)) = self.double_value {
            View::Double(d)
        } else if let Some(array) = &self.array_value {
            View::Array(items(array.values.as_ref()))
        } else if let Some(kvlist) = &self.kvlist_value {
            View::Kvlist(items(kvlist.values.as_ref()))
        } else {
            View::Empty
        }
    }
}

impl<'a> Attribute for Kv<'a> {
    type Value = Any<'a>;
    fn key(&self) -> &str {
        text(self.key.as_ref())
    }
    fn value(&self) -> Option<&Any<'a>> {
        self.value.as_ref()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "camelCase")]
struct Request<'a> {
    #[serde(alias = "resource_logs", borrow)]
    resource_logs: Option<List<ResourceLogsJson<'a>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "camelCase")]
struct ResourceLogsJson<'a> {
    #[serde(borrow)]
    resource: Option<ResourceJson<'a>>,
    #[serde(alias = "schema_url", borrow)]
    schema_url: Option<Str<'a>>,
    #[serde(alias = "scope_logs", borrow)]
    scope_logs: Option<List<ScopeLogsJson<'a>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResourceJson<'a> {
    #[serde(borrow)]
    attributes: Option<List<Kv<'a>>>,
    #[serde(alias = "dropped_attributes_count", rename = "droppedAttributesCount")]
    _dropped_attributes_count: Option<Int>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "camelCase")]
struct ScopeLogsJson<'a> {
    #[serde(borrow)]
    scope: Option<ScopeJson<'a>>,
    #[serde(alias = "schema_url", borrow)]
    schema_url: Option<Str<'a>>,
    #[serde(alias = "log_records", borrow)]
    log_records: Option<List<Record<'a>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScopeJson<'a> {
    #[serde(borrow)]
    name: Option<Str<'a>>,
    #[serde(borrow)]
    version: Option<Str<'a>>,
    #[serde(borrow)]
    attributes: Option<List<Kv<'a>>>,
    #[serde(alias = "dropped_attributes_count", rename = "droppedAttributesCount")]
    _dropped_attributes_count: Option<Int>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "camelCase")]
struct Record<'a> {
    #[serde(alias = "time_unix_nano")]
    time_unix_nano: Option<Int>,
    #[serde(alias = "observed_time_unix_nano")]
    observed_time_unix_nano: Option<Int>,
    #[serde(alias = "severity_number")]
    severity_number: Option<Enum>,
    #[serde(alias = "severity_text", borrow)]
    severity_text: Option<Str<'a>>,
    #[serde(borrow)]
    body: Option<Any<'a>>,
    #[serde(borrow)]
    attributes: Option<List<Kv<'a>>>,
    flags: Option<Int>,
    #[serde(alias = "trace_id", borrow)]
    trace_id: Option<Str<'a>>,
    #[serde(alias = "span_id", borrow)]
    span_id: Option<Str<'a>>,
    #[serde(alias = "dropped_attributes_count", rename = "droppedAttributesCount")]
    _dropped_attributes_count: Option<Int>,
    /// Not exported (the exporter leaves it out too).
    #[serde(alias = "event_name", rename = "eventName", borrow)]
    _event_name: Option<Str<'a>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Kv<'a> {
    #[serde(borrow)]
    key: Option<Str<'a>>,
    #[serde(borrow)]
    value: Option<Any<'a>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "camelCase")]
#[allow(
    clippy::struct_field_names,
    reason = "the OTLP/JSON keys are `stringValue`, `boolValue`, …"
)]
struct Any<'a> {
    #[serde(alias = "string_value", borrow)]
    string_value: Option<Str<'a>>,
    #[serde(alias = "bool_value")]
    bool_value: Option<bool>,
    #[serde(alias = "int_value")]
    int_value: Option<Int>,
    #[serde(alias = "double_value")]
    double_value: Option<Float>,
    #[serde(alias = "array_value", borrow)]
    array_value: Option<AnyList<'a>>,
    #[serde(alias = "kvlist_value", borrow)]
    kvlist_value: Option<KvList<'a>>,
    #[serde(alias = "bytes_value", borrow)]
    bytes_value: Option<Str<'a>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnyList<'a> {
    #[serde(borrow)]
    values: Option<List<Any<'a>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KvList<'a> {
    #[serde(borrow)]
    values: Option<List<Kv<'a>>>,
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use prost::Message as _;

    use super::super::json::logs_generic;
    use super::super::redact::Redaction;
    use super::super::rows::log_rows;

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
                    let generic = logs_generic(&body).unwrap();
                    assert_eq!(fast, generic, "{}", path.display());
                    for redaction in [Redaction::Keep, Redaction::Content] {
                        assert_eq!(
                            super::log_rows(&body, redaction).expect("and writes its rows"),
                            log_rows(&generic, redaction),
                            "{}",
                            path.display()
                        );
                    }
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
            // Checked even where no row is written: a resource or scope without records.
            br#"{"resourceLogs": [{"resource": {"attributes": [{"key": "k", "value": {"intValue": "9223372036854775808"}}]}}]}"#,
            br#"{"resourceLogs": [{"scopeLogs": [{"scope": {"attributes": [{"key": "k", "value": {"arrayValue": {"values": [{"bytesValue": ""}]}}}]}}]}]}"#,
            br#"{"resourceLogs": [{"scopeLogs": [{"logRecords": [{"severityNumber": "SEVERITY_NUMBER_NOPE"}]}]}]}"#,
            br#"{"resourceLogs": [{"scopeLogs": [{"logRecords": [{"spanId": "001122334455667g"}]}]}]}"#,
        ];
        for body in cases {
            assert!(
                super::logs(body).is_none() && super::log_rows(body, Redaction::Keep).is_none(),
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
        assert_eq!(
            super::log_rows(lenient, Redaction::Keep),
            Some(log_rows(&generic, Redaction::Keep))
        );
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
