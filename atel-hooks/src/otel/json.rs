//! OTLP/JSON into the prost types, as leniently as the Go collector reads it: camelCase or
//! `snake_case` keys, 64-bit integers as numbers or strings, enums as integers or their names, ids
//! as hex (any case), `null` as absent, unknown fields ignored. What the collector refuses is
//! refused here too: a value of the wrong JSON type, an id that is not hex or not 16/8 bytes,
//! bytes that are not base64.

use base64::Engine as _;
use serde_json::{Map, Value};

use super::DecodeError;
use super::proto::{
    AnyValue, ArrayValue, Buckets, Exemplar, ExponentialHistogram, ExponentialHistogramDataPoint,
    ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest, Gauge,
    Histogram, HistogramDataPoint, InstrumentationScope, KeyValue, KeyValueList, LogRecord, Metric,
    NumberDataPoint, Resource, ResourceLogs, ResourceMetrics, ResourceSpans, ScopeLogs,
    ScopeMetrics, ScopeSpans, Span, SpanEvent, SpanLink, Status, Sum, any_value, exemplar, metric,
    number_data_point,
};

type Result<T> = std::result::Result<T, DecodeError>;

fn bad(what: impl Into<String>) -> DecodeError {
    DecodeError(what.into())
}

/// An object, or `None` for `null`.
fn object<'a>(value: &'a Value, what: &str) -> Result<Option<&'a Map<String, Value>>> {
    match value {
        Value::Object(map) => Ok(Some(map)),
        Value::Null => Ok(None),
        _ => Err(bad(format!("`{what}` must be an object"))),
    }
}

/// A message's fields; the `camelCase` and the `snake_case` spelling of a key are the same field.
struct Fields<'a>(&'a Map<String, Value>);

impl<'a> Fields<'a> {
    fn get(&self, camel: &str) -> Option<&'a Value> {
        let found = self.0.get(camel).or_else(|| {
            if camel.bytes().any(|b| b.is_ascii_uppercase()) {
                self.0.get(&snake(camel))
            } else {
                None
            }
        });
        found.filter(|v| !v.is_null())
    }

    fn string(&self, key: &str) -> Result<String> {
        match self.get(key) {
            None => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(bad(format!("`{key}` must be a string"))),
        }
    }

    fn bool(&self, key: &str) -> Result<bool> {
        match self.get(key) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(bad(format!("`{key}` must be a boolean"))),
        }
    }

    fn u64(&self, key: &str) -> Result<u64> {
        self.get(key).map_or(Ok(0), |v| int(v, key))
    }

    fn i64(&self, key: &str) -> Result<i64> {
        self.get(key).map_or(Ok(0), |v| int(v, key))
    }

    fn u32(&self, key: &str) -> Result<u32> {
        self.get(key).map_or(Ok(0), |v| int(v, key))
    }

    fn i32(&self, key: &str) -> Result<i32> {
        self.get(key).map_or(Ok(0), |v| int(v, key))
    }

    fn f64(&self, key: &str) -> Result<Option<f64>> {
        self.get(key).map(|v| float(v, key)).transpose()
    }

    fn array(&self, key: &str) -> Result<&'a [Value]> {
        match self.get(key) {
            None => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            Some(_) => Err(bad(format!("`{key}` must be an array"))),
        }
    }

    fn list<T>(
        &self,
        key: &str,
        each: impl Fn(&Map<String, Value>) -> Result<T>,
    ) -> Result<Vec<T>> {
        let items = self.array(key)?;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            if let Some(map) = object(item, key)? {
                out.push(each(map)?);
            }
        }
        Ok(out)
    }

    fn message<T>(
        &self,
        key: &str,
        read: impl Fn(&Map<String, Value>) -> Result<T>,
    ) -> Result<Option<T>> {
        match self.get(key) {
            None => Ok(None),
            Some(value) => object(value, key)?.map(read).transpose(),
        }
    }

    fn enumeration(&self, key: &str, names: &[&str]) -> Result<i32> {
        match self.get(key) {
            None => Ok(0),
            Some(Value::String(name)) => match names.iter().position(|n| n == name) {
                Some(i) => i32::try_from(i).map_err(|_| bad(key)),
                None => name
                    .parse()
                    .map_err(|_| bad(format!("unknown `{key}` value `{name}`"))),
            },
            Some(value) => int(value, key),
        }
    }

    fn id(&self, key: &str, len: usize) -> Result<Vec<u8>> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Value::String(hex)) if hex.is_empty() => Ok(Vec::new()),
            Some(Value::String(hex)) => {
                let bytes = decode_hex(hex).ok_or_else(|| bad(format!("`{key}` is not hex")))?;
                if bytes.len() == len {
                    Ok(bytes)
                } else {
                    Err(bad(format!(
                        "`{key}` must be {len} bytes, got {}",
                        bytes.len()
                    )))
                }
            }
            Some(_) => Err(bad(format!("`{key}` must be a hex string"))),
        }
    }
}

fn snake(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

pub(crate) fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    let digits = hex.as_bytes();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    let nibble = |b: u8| match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    };
    digits
        .chunks_exact(2)
        .map(|pair| match pair {
            [hi, lo] => Some(nibble(*hi)? << 4 | nibble(*lo)?),
            _ => None,
        })
        .collect()
}

/// An integer given as a JSON number or a decimal string.
fn int<T: TryFrom<i128>>(value: &Value, key: &str) -> Result<T> {
    let wide: Option<i128> = match value {
        Value::Number(n) => n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
            .or_else(|| {
                // `1e3` or `5.0`: accepted when it is a whole number.
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 2e19)
                    .map(|f| {
                        #[allow(clippy::cast_possible_truncation)]
                        let whole = f as i128;
                        whole
                    })
            }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    wide.and_then(|w| T::try_from(w).ok())
        .ok_or_else(|| bad(format!("`{key}` must be an integer in range")))
}

/// A float given as a JSON number or a string (`"NaN"`, `"Infinity"`, `"-Infinity"`, digits).
fn float(value: &Value, key: &str) -> Result<f64> {
    match value {
        Value::Number(n) => n.as_f64().ok_or_else(|| bad(key)),
        Value::String(s) => match s.as_str() {
            "NaN" => Ok(f64::NAN),
            "Infinity" | "+Infinity" => Ok(f64::INFINITY),
            "-Infinity" => Ok(f64::NEG_INFINITY),
            text => text
                .parse()
                .map_err(|_| bad(format!("`{key}` must be a number"))),
        },
        _ => Err(bad(format!("`{key}` must be a number"))),
    }
}

fn any_value(map: &Map<String, Value>) -> Result<AnyValue> {
    use any_value::Value as V;
    let f = Fields(map);
    let value = if let Some(v) = f.get("stringValue") {
        Some(V::StringValue(match v {
            Value::String(s) => s.clone(),
            _ => return Err(bad("`stringValue` must be a string")),
        }))
    } else if f.get("boolValue").is_some() {
        Some(V::BoolValue(f.bool("boolValue")?))
    } else if f.get("intValue").is_some() {
        Some(V::IntValue(f.i64("intValue")?))
    } else if let Some(d) = f.f64("doubleValue")? {
        Some(V::DoubleValue(d))
    } else if let Some(array) = f.message("arrayValue", |m| {
        Ok(ArrayValue {
            values: Fields(m).list("values", any_value)?,
        })
    })? {
        Some(V::ArrayValue(array))
    } else if let Some(list) = f.message("kvlistValue", |m| {
        Ok(KeyValueList {
            values: Fields(m).list("values", key_value)?,
        })
    })? {
        Some(V::KvlistValue(list))
    } else if let Some(v) = f.get("bytesValue") {
        let Value::String(text) = v else {
            return Err(bad("`bytesValue` must be a base64 string"));
        };
        Some(V::BytesValue(
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|_| bad("`bytesValue` is not base64"))?,
        ))
    } else {
        None
    };
    Ok(AnyValue { value })
}

fn key_value(map: &Map<String, Value>) -> Result<KeyValue> {
    let f = Fields(map);
    Ok(KeyValue {
        key: f.string("key")?,
        value: f.message("value", any_value)?,
    })
}

fn attributes(f: &Fields<'_>, key: &str) -> Result<Vec<KeyValue>> {
    f.list(key, key_value)
}

fn resource(map: &Map<String, Value>) -> Result<Resource> {
    Ok(Resource {
        attributes: attributes(&Fields(map), "attributes")?,
    })
}

fn scope(map: &Map<String, Value>) -> Result<InstrumentationScope> {
    let f = Fields(map);
    Ok(InstrumentationScope {
        name: f.string("name")?,
        version: f.string("version")?,
        attributes: attributes(&f, "attributes")?,
    })
}

/// The request body as a JSON object.
fn root(body: &[u8]) -> Result<Map<String, Value>> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(bad("the body must be a JSON object")),
        Err(err) => Err(bad(format!("invalid JSON: {err}"))),
    }
}

pub(crate) const SEVERITY: &[&str] = &[
    "SEVERITY_NUMBER_UNSPECIFIED",
    "SEVERITY_NUMBER_TRACE",
    "SEVERITY_NUMBER_TRACE2",
    "SEVERITY_NUMBER_TRACE3",
    "SEVERITY_NUMBER_TRACE4",
    "SEVERITY_NUMBER_DEBUG",
    "SEVERITY_NUMBER_DEBUG2",
    "SEVERITY_NUMBER_DEBUG3",
    "SEVERITY_NUMBER_DEBUG4",
    "SEVERITY_NUMBER_INFO",
    "SEVERITY_NUMBER_INFO2",
    "SEVERITY_NUMBER_INFO3",
    "SEVERITY_NUMBER_INFO4",
    "SEVERITY_NUMBER_WARN",
    "SEVERITY_NUMBER_WARN2",
    "SEVERITY_NUMBER_WARN3",
    "SEVERITY_NUMBER_WARN4",
    "SEVERITY_NUMBER_ERROR",
    "SEVERITY_NUMBER_ERROR2",
    "SEVERITY_NUMBER_ERROR3",
    "SEVERITY_NUMBER_ERROR4",
    "SEVERITY_NUMBER_FATAL",
    "SEVERITY_NUMBER_FATAL2",
    "SEVERITY_NUMBER_FATAL3",
    "SEVERITY_NUMBER_FATAL4",
];
const SPAN_KIND: &[&str] = &[
    "SPAN_KIND_UNSPECIFIED",
    "SPAN_KIND_INTERNAL",
    "SPAN_KIND_SERVER",
    "SPAN_KIND_CLIENT",
    "SPAN_KIND_PRODUCER",
    "SPAN_KIND_CONSUMER",
];
const STATUS_CODE: &[&str] = &["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"];
const TEMPORALITY: &[&str] = &[
    "AGGREGATION_TEMPORALITY_UNSPECIFIED",
    "AGGREGATION_TEMPORALITY_DELTA",
    "AGGREGATION_TEMPORALITY_CUMULATIVE",
];

/// `ExportLogsServiceRequest` from OTLP/JSON: the typed fast path when it reads the body, else
/// [`logs_generic`], whose answer counts (see `json_logs`).
pub fn logs(body: &[u8]) -> Result<ExportLogsServiceRequest> {
    match super::json_logs::logs(body) {
        Some(request) => Ok(request),
        None => logs_generic(body),
    }
}

/// `ExportLogsServiceRequest` from OTLP/JSON through a `serde_json::Value` tree: the reference
/// reading, which [`logs`] falls back to (public for the fuzz target that compares the two).
#[doc(hidden)]
pub fn logs_generic(body: &[u8]) -> Result<ExportLogsServiceRequest> {
    let map = root(body)?;
    Ok(ExportLogsServiceRequest {
        resource_logs: Fields(&map).list("resourceLogs", |m| {
            let f = Fields(m);
            Ok(ResourceLogs {
                resource: f.message("resource", resource)?,
                schema_url: f.string("schemaUrl")?,
                scope_logs: f.list("scopeLogs", |m| {
                    let f = Fields(m);
                    Ok(ScopeLogs {
                        scope: f.message("scope", scope)?,
                        schema_url: f.string("schemaUrl")?,
                        log_records: f.list("logRecords", log_record)?,
                    })
                })?,
            })
        })?,
    })
}

fn log_record(map: &Map<String, Value>) -> Result<LogRecord> {
    let f = Fields(map);
    Ok(LogRecord {
        time_unix_nano: f.u64("timeUnixNano")?,
        observed_time_unix_nano: f.u64("observedTimeUnixNano")?,
        severity_number: f.enumeration("severityNumber", SEVERITY)?,
        severity_text: f.string("severityText")?,
        body: f.message("body", any_value)?,
        attributes: attributes(&f, "attributes")?,
        flags: f.u32("flags")?,
        trace_id: f.id("traceId", 16)?,
        span_id: f.id("spanId", 8)?,
    })
}

/// `ExportTraceServiceRequest` from OTLP/JSON.
pub fn traces(body: &[u8]) -> Result<ExportTraceServiceRequest> {
    let map = root(body)?;
    Ok(ExportTraceServiceRequest {
        resource_spans: Fields(&map).list("resourceSpans", |m| {
            let f = Fields(m);
            Ok(ResourceSpans {
                resource: f.message("resource", resource)?,
                schema_url: f.string("schemaUrl")?,
                scope_spans: f.list("scopeSpans", |m| {
                    let f = Fields(m);
                    Ok(ScopeSpans {
                        scope: f.message("scope", scope)?,
                        schema_url: f.string("schemaUrl")?,
                        spans: f.list("spans", span)?,
                    })
                })?,
            })
        })?,
    })
}

fn span(map: &Map<String, Value>) -> Result<Span> {
    let f = Fields(map);
    Ok(Span {
        trace_id: f.id("traceId", 16)?,
        span_id: f.id("spanId", 8)?,
        trace_state: f.string("traceState")?,
        parent_span_id: f.id("parentSpanId", 8)?,
        flags: f.u32("flags")?,
        name: f.string("name")?,
        kind: f.enumeration("kind", SPAN_KIND)?,
        start_time_unix_nano: f.u64("startTimeUnixNano")?,
        end_time_unix_nano: f.u64("endTimeUnixNano")?,
        attributes: attributes(&f, "attributes")?,
        events: f.list("events", |m| {
            let f = Fields(m);
            Ok(SpanEvent {
                time_unix_nano: f.u64("timeUnixNano")?,
                name: f.string("name")?,
                attributes: attributes(&f, "attributes")?,
            })
        })?,
        links: f.list("links", |m| {
            let f = Fields(m);
            Ok(SpanLink {
                trace_id: f.id("traceId", 16)?,
                span_id: f.id("spanId", 8)?,
                trace_state: f.string("traceState")?,
                attributes: attributes(&f, "attributes")?,
            })
        })?,
        status: f.message("status", |m| {
            let f = Fields(m);
            Ok(Status {
                message: f.string("message")?,
                code: f.enumeration("code", STATUS_CODE)?,
            })
        })?,
    })
}

/// `ExportMetricsServiceRequest` from OTLP/JSON.
pub fn metrics(body: &[u8]) -> Result<ExportMetricsServiceRequest> {
    let map = root(body)?;
    Ok(ExportMetricsServiceRequest {
        resource_metrics: Fields(&map).list("resourceMetrics", |m| {
            let f = Fields(m);
            Ok(ResourceMetrics {
                resource: f.message("resource", resource)?,
                schema_url: f.string("schemaUrl")?,
                scope_metrics: f.list("scopeMetrics", |m| {
                    let f = Fields(m);
                    Ok(ScopeMetrics {
                        scope: f.message("scope", scope)?,
                        schema_url: f.string("schemaUrl")?,
                        metrics: f.list("metrics", metric_of)?,
                    })
                })?,
            })
        })?,
    })
}

fn metric_of(map: &Map<String, Value>) -> Result<Metric> {
    let f = Fields(map);
    let temporality = |f: &Fields<'_>| f.enumeration("aggregationTemporality", TEMPORALITY);
    let data = if let Some(gauge) = f.message("gauge", |m| {
        Ok(Gauge {
            data_points: Fields(m).list("dataPoints", number_point)?,
        })
    })? {
        Some(metric::Data::Gauge(gauge))
    } else if let Some(sum) = f.message("sum", |m| {
        let f = Fields(m);
        Ok(Sum {
            data_points: f.list("dataPoints", number_point)?,
            aggregation_temporality: temporality(&f)?,
            is_monotonic: f.bool("isMonotonic")?,
        })
    })? {
        Some(metric::Data::Sum(sum))
    } else if let Some(histogram) = f.message("histogram", |m| {
        let f = Fields(m);
        Ok(Histogram {
            data_points: f.list("dataPoints", histogram_point)?,
            aggregation_temporality: temporality(&f)?,
        })
    })? {
        Some(metric::Data::Histogram(histogram))
    } else {
        // A summary, or no data (`None`): not exported.
        f.message("exponentialHistogram", |m| {
            let f = Fields(m);
            Ok(ExponentialHistogram {
                data_points: f.list("dataPoints", exponential_point)?,
                aggregation_temporality: temporality(&f)?,
            })
        })?
        .map(metric::Data::ExponentialHistogram)
    };
    Ok(Metric {
        name: f.string("name")?,
        description: f.string("description")?,
        unit: f.string("unit")?,
        data,
    })
}

fn number_point(map: &Map<String, Value>) -> Result<NumberDataPoint> {
    let f = Fields(map);
    let value = if let Some(d) = f.f64("asDouble")? {
        Some(number_data_point::Value::AsDouble(d))
    } else if f.get("asInt").is_some() {
        Some(number_data_point::Value::AsInt(f.i64("asInt")?))
    } else {
        None
    };
    Ok(NumberDataPoint {
        attributes: attributes(&f, "attributes")?,
        start_time_unix_nano: f.u64("startTimeUnixNano")?,
        time_unix_nano: f.u64("timeUnixNano")?,
        value,
        exemplars: f.list("exemplars", exemplar_of)?,
        flags: f.u32("flags")?,
    })
}

fn floats(f: &Fields<'_>, key: &str) -> Result<Vec<f64>> {
    f.array(key)?.iter().map(|v| float(v, key)).collect()
}

fn ints(f: &Fields<'_>, key: &str) -> Result<Vec<u64>> {
    f.array(key)?.iter().map(|v| int(v, key)).collect()
}

fn histogram_point(map: &Map<String, Value>) -> Result<HistogramDataPoint> {
    let f = Fields(map);
    Ok(HistogramDataPoint {
        attributes: attributes(&f, "attributes")?,
        start_time_unix_nano: f.u64("startTimeUnixNano")?,
        time_unix_nano: f.u64("timeUnixNano")?,
        count: f.u64("count")?,
        sum: f.f64("sum")?,
        bucket_counts: ints(&f, "bucketCounts")?,
        explicit_bounds: floats(&f, "explicitBounds")?,
        exemplars: f.list("exemplars", exemplar_of)?,
        flags: f.u32("flags")?,
        min: f.f64("min")?,
        max: f.f64("max")?,
    })
}

fn exponential_point(map: &Map<String, Value>) -> Result<ExponentialHistogramDataPoint> {
    let f = Fields(map);
    let buckets = |m: &Map<String, Value>| {
        let f = Fields(m);
        Ok(Buckets {
            offset: f.i32("offset")?,
            bucket_counts: ints(&f, "bucketCounts")?,
        })
    };
    Ok(ExponentialHistogramDataPoint {
        attributes: attributes(&f, "attributes")?,
        start_time_unix_nano: f.u64("startTimeUnixNano")?,
        time_unix_nano: f.u64("timeUnixNano")?,
        count: f.u64("count")?,
        sum: f.f64("sum")?,
        scale: f.i32("scale")?,
        zero_count: f.u64("zeroCount")?,
        positive: f.message("positive", buckets)?,
        negative: f.message("negative", buckets)?,
        flags: f.u32("flags")?,
        exemplars: f.list("exemplars", exemplar_of)?,
        min: f.f64("min")?,
        max: f.f64("max")?,
    })
}

fn exemplar_of(map: &Map<String, Value>) -> Result<Exemplar> {
    let f = Fields(map);
    let value = if let Some(d) = f.f64("asDouble")? {
        Some(exemplar::Value::AsDouble(d))
    } else if f.get("asInt").is_some() {
        Some(exemplar::Value::AsInt(f.i64("asInt")?))
    } else {
        None
    };
    Ok(Exemplar {
        filtered_attributes: attributes(&f, "filteredAttributes")?,
        time_unix_nano: f.u64("timeUnixNano")?,
        value,
        span_id: f.id("spanId", 8)?,
        trace_id: f.id("traceId", 16)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_where_the_collector_is() {
        let body = br#"{"resource_logs":[{"scope_logs":[{"log_records":[{
            "time_unix_nano":1000,"observedTimeUnixNano":"2000","severityNumber":"SEVERITY_NUMBER_WARN",
            "traceId":"5B8EFFF798038103D269B633813FC60C","span_id":"EEE19B7EC3C1B174","flags":1,
            "body":{"stringValue":"b"},"unknown":{"x":[1,2]},"attributes":[{"key":"k","value":null}]}]}]}]}"#;
        let request = logs(body).unwrap();
        let record = &request.resource_logs[0].scope_logs[0].log_records[0];
        assert_eq!(record.time_unix_nano, 1000);
        assert_eq!(record.observed_time_unix_nano, 2000);
        assert_eq!(record.severity_number, 13);
        assert_eq!(record.trace_id[0], 0x5b);
        assert_eq!(record.span_id.len(), 8);
        assert_eq!(record.flags, 1);
        assert_eq!(record.attributes[0].value, None);
    }

    #[test]
    fn refuses_what_the_collector_refuses() {
        for body in [
            &br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"traceId":"abcd"}]}]}]}"#[..],
            br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"spanId":"zz00000000000000"}]}]}]}"#,
            br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"soon"}]}]}]}"#,
            br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"severityNumber":"LOUD"}]}]}]}"#,
            br#"{"resourceLogs":{"scopeLogs":[]}}"#,
            b"[]",
            br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"bytesValue":"!!"}}]}]}]}"#,
        ] {
            assert!(logs(body).is_err(), "{}", String::from_utf8_lossy(body));
        }
        let metric = br#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"m",
            "sum":{"aggregationTemporality":"AGGREGATION_TEMPORALITY_CUMULATIVE","dataPoints":[{"asInt":"7"}]}}]}]}]}"#;
        let request = metrics(metric).unwrap();
        let Some(metric::Data::Sum(sum)) =
            &request.resource_metrics[0].scope_metrics[0].metrics[0].data
        else {
            panic!("not a sum");
        };
        assert_eq!(sum.aggregation_temporality, 2);
        assert_eq!(
            sum.data_points[0].value,
            Some(number_data_point::Value::AsInt(7))
        );
    }
}
