//! The rows the collector's `tinybird` exporter writes for one request: the same keys (omitted
//! where Go omits them), the same values, one JSON object per row, as text.

use std::fmt::Write as _;

use super::proto::{
    Exemplar, ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest,
    InstrumentationScope, KeyValue, Resource, exemplar, metric, number_data_point,
};
use super::redact::Redaction;
use super::text::{
    Attribute, as_string, go_float, hex_id, push_attributes, push_hex_id, push_str, push_timestamp,
    timestamp,
};

/// The six datasources the exporter writes, named as Tinybird's `OTel` template names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Datasource {
    /// `otel_logs`.
    Logs,
    /// `otel_traces`.
    Traces,
    /// `otel_metrics_sum`.
    Sum,
    /// `otel_metrics_gauge`.
    Gauge,
    /// `otel_metrics_histogram`.
    Histogram,
    /// `otel_metrics_exponential_histogram`.
    ExponentialHistogram,
}

impl Datasource {
    /// Every datasource, in the order deliveries send them.
    pub const ALL: [Self; 6] = [
        Self::Logs,
        Self::Traces,
        Self::Sum,
        Self::Gauge,
        Self::Histogram,
        Self::ExponentialHistogram,
    ];

    /// The datasource's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Logs => "otel_logs",
            Self::Traces => "otel_traces",
            Self::Sum => "otel_metrics_sum",
            Self::Gauge => "otel_metrics_gauge",
            Self::Histogram => "otel_metrics_histogram",
            Self::ExponentialHistogram => "otel_metrics_exponential_histogram",
        }
    }

    /// The datasource called `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|ds| ds.name() == name)
    }
}

/// A float the exporter would have to write as JSON is NaN or infinite: Go's encoder fails and
/// the exporter drops the whole request (a permanent error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NonFinite;

/// A JSON object under construction.
struct Obj<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Obj<'a> {
    fn new(out: &'a mut String) -> Self {
        out.push('{');
        Self { out, first: true }
    }

    fn key(&mut self, key: &str) -> &mut String {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        self.out.push('"');
        self.out.push_str(key);
        self.out.push_str("\":");
        self.out
    }

    fn str(&mut self, key: &str, value: &str) {
        push_str(self.key(key), value);
    }

    fn num(&mut self, key: &str, value: impl std::fmt::Display) {
        let _ = write!(self.key(key), "{value}");
    }

    fn float(&mut self, key: &str, value: f64) -> Result<(), NonFinite> {
        let text = go_float(value).ok_or(NonFinite)?;
        self.key(key).push_str(&text);
        Ok(())
    }

    fn raw(&mut self, key: &str, text: &str) {
        self.key(key).push_str(text);
    }

    fn attrs<K: Attribute>(&mut self, key: &str, attributes: &[K], redaction: Redaction) {
        push_attributes(self.key(key), attributes, redaction);
    }

    /// A string value that needs no escaping, written by `write`.
    fn plain(&mut self, key: &str, write: impl FnOnce(&mut String)) {
        let out = self.key(key);
        out.push('"');
        write(out);
        out.push('"');
    }

    fn strings<'s>(&mut self, key: &str, items: impl IntoIterator<Item = &'s str>) {
        let out = self.key(key);
        out.push('[');
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_str(out, item);
        }
        out.push(']');
    }

    fn maps<'s, K: Attribute + 's>(
        &mut self,
        key: &str,
        items: impl IntoIterator<Item = &'s [K]>,
        redaction: Redaction,
    ) {
        let out = self.key(key);
        out.push('[');
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_attributes(out, item, redaction);
        }
        out.push(']');
    }

    /// Go's `[]uint64` / `[]float64` from pdata's `AsRaw`: `null` when empty.
    fn counts(&mut self, key: &str, items: &[u64]) {
        let out = self.key(key);
        if items.is_empty() {
            out.push_str("null");
            return;
        }
        out.push('[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{item}");
        }
        out.push(']');
    }

    fn floats(&mut self, key: &str, items: &[f64], null_when_empty: bool) -> Result<(), NonFinite> {
        let out = self.key(key);
        if items.is_empty() && null_when_empty {
            out.push_str("null");
            return Ok(());
        }
        out.push('[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&go_float(*item).ok_or(NonFinite)?);
        }
        out.push(']');
        Ok(())
    }

    fn end(self) {
        self.out.push('}');
    }
}

/// An attribute map as JSON text, computed once for every row of a resource or scope.
pub(crate) fn attrs_text<K: Attribute>(attributes: &[K]) -> String {
    let mut out = String::new();
    push_attributes(&mut out, attributes, Redaction::Keep);
    out
}

/// pdata's `Map.Get`: the first `service.name` (the attribute map keeps the last), as `AsString`;
/// "" when absent.
pub(crate) fn service_name<K: Attribute>(attributes: &[K]) -> String {
    attributes
        .iter()
        .find(|kv| kv.key() == "service.name")
        .map(|kv| as_string(kv.value()).into_owned())
        .unwrap_or_default()
}

fn resource_parts(resource: Option<&Resource>) -> (String, String) {
    let attributes = resource.map_or(&[][..], |r| &r.attributes[..]);
    (attrs_text(attributes), service_name(attributes))
}

fn scope_parts(scope: Option<&InstrumentationScope>) -> (&str, &str, String) {
    scope.map_or(("", "", attrs_text::<KeyValue>(&[])), |s| {
        (
            s.name.as_str(),
            s.version.as_str(),
            attrs_text(&s.attributes),
        )
    })
}

/// The columns a log row takes from its resource and scope, the same for all their records.
pub(crate) struct LogScope<'a> {
    pub(crate) resource_schema_url: &'a str,
    /// [`attrs_text`] of the resource's attributes.
    pub(crate) resource_attrs: &'a str,
    /// [`service_name`] of the resource's attributes.
    pub(crate) service: &'a str,
    pub(crate) scope_schema_url: &'a str,
    /// [`attrs_text`] of the scope's attributes.
    pub(crate) scope_attrs: &'a str,
    pub(crate) scope_name: &'a str,
    pub(crate) scope_version: &'a str,
}

/// A log record's own columns, however it was decoded.
pub(crate) struct LogRecordView<'a, K: Attribute> {
    pub(crate) time_unix_nano: u64,
    pub(crate) observed_time_unix_nano: u64,
    pub(crate) trace_id: &'a [u8],
    pub(crate) span_id: &'a [u8],
    pub(crate) flags: u32,
    pub(crate) severity_text: &'a str,
    pub(crate) severity_number: i32,
    pub(crate) attributes: &'a [K],
    pub(crate) body: Option<&'a K::Value>,
}

/// One `otel_logs` row, in the exporter's key order.
pub(crate) fn log_row<K: Attribute>(
    scope: &LogScope<'_>,
    record: &LogRecordView<'_, K>,
    redaction: Redaction,
) -> String {
    let mut out = String::with_capacity(1024);
    let mut o = Obj::new(&mut out);
    o.str("resource_schema_url", scope.resource_schema_url);
    o.raw("resource_attributes", scope.resource_attrs);
    o.str("service_name", scope.service);
    o.str("scope_schema_url", scope.scope_schema_url);
    o.raw("scope_attributes", scope.scope_attrs);
    o.str("scope_name", scope.scope_name);
    o.str("scope_version", scope.scope_version);
    let time = if record.time_unix_nano == 0 {
        record.observed_time_unix_nano
    } else {
        record.time_unix_nano
    };
    o.plain("timestamp", |out| push_timestamp(out, time));
    o.plain("trace_id", |out| push_hex_id(out, record.trace_id));
    o.plain("span_id", |out| push_hex_id(out, record.span_id));
    o.num("flags", record.flags);
    o.str("severity_text", record.severity_text);
    o.num("severity_number", record.severity_number);
    o.attrs("log_attributes", record.attributes, redaction);
    o.str("body", &as_string(record.body));
    o.end();
    out
}

/// The `otel_logs` rows of a request, in the exporter's order and key order.
pub fn log_rows(request: &ExportLogsServiceRequest, redaction: Redaction) -> Vec<String> {
    let mut rows = Vec::new();
    for resource_logs in &request.resource_logs {
        let (resource_attrs, service) = resource_parts(resource_logs.resource.as_ref());
        for scope_logs in &resource_logs.scope_logs {
            let (scope_name, scope_version, scope_attrs) = scope_parts(scope_logs.scope.as_ref());
            let scope = LogScope {
                resource_schema_url: &resource_logs.schema_url,
                resource_attrs: &resource_attrs,
                service: &service,
                scope_schema_url: &scope_logs.schema_url,
                scope_attrs: &scope_attrs,
                scope_name,
                scope_version,
            };
            rows.reserve(scope_logs.log_records.len());
            for record in &scope_logs.log_records {
                let view = LogRecordView {
                    time_unix_nano: record.time_unix_nano,
                    observed_time_unix_nano: record.observed_time_unix_nano,
                    trace_id: &record.trace_id,
                    span_id: &record.span_id,
                    flags: record.flags,
                    severity_text: &record.severity_text,
                    severity_number: record.severity_number,
                    attributes: &record.attributes,
                    body: record.body.as_ref(),
                };
                rows.push(log_row(&scope, &view, redaction));
            }
        }
    }
    rows
}

/// pdata's `SpanKind.String()`.
fn span_kind(kind: i32) -> &'static str {
    match kind {
        0 => "Unspecified",
        1 => "Internal",
        2 => "Server",
        3 => "Client",
        4 => "Producer",
        5 => "Consumer",
        _ => "",
    }
}

/// pdata's `StatusCode.String()`.
fn status_code(code: i32) -> &'static str {
    match code {
        0 => "Unset",
        1 => "Ok",
        2 => "Error",
        _ => "",
    }
}

/// The `otel_traces` rows of a request.
pub fn trace_rows(request: &ExportTraceServiceRequest, redaction: Redaction) -> Vec<String> {
    let mut rows = Vec::new();
    for resource_spans in &request.resource_spans {
        let (resource_attrs, service) = resource_parts(resource_spans.resource.as_ref());
        for scope_spans in &resource_spans.scope_spans {
            let (scope_name, scope_version, scope_attrs) = scope_parts(scope_spans.scope.as_ref());
            for span in &scope_spans.spans {
                let mut out = String::with_capacity(1024);
                let mut o = Obj::new(&mut out);
                o.str("resource_schema_url", &resource_spans.schema_url);
                o.raw("resource_attributes", &resource_attrs);
                o.str("service_name", &service);
                o.str("scope_schema_url", &scope_spans.schema_url);
                o.str("scope_name", scope_name);
                o.str("scope_version", scope_version);
                o.raw("scope_attributes", &scope_attrs);
                o.str("trace_id", &hex_id(&span.trace_id));
                o.str("span_id", &hex_id(&span.span_id));
                o.str("parent_span_id", &hex_id(&span.parent_span_id));
                o.str("trace_state", &span.trace_state);
                o.num("trace_flags", span.flags);
                o.str("span_name", &span.name);
                o.str("span_kind", span_kind(span.kind));
                o.attrs("span_attributes", &span.attributes, redaction);
                o.str("start_time", &timestamp(span.start_time_unix_nano));
                o.str("end_time", &timestamp(span.end_time_unix_nano));
                // Go: end.Sub(start).Nanoseconds() on int64 times, saturating; omitted when 0.
                #[allow(clippy::cast_possible_wrap)]
                let duration = i128::from(span.end_time_unix_nano as i64)
                    - i128::from(span.start_time_unix_nano as i64);
                let duration = i64::try_from(duration).unwrap_or(if duration < 0 {
                    i64::MIN
                } else {
                    i64::MAX
                });
                if duration != 0 {
                    o.num("duration", duration);
                }
                let status = span.status.as_ref();
                o.str("status_code", status_code(status.map_or(0, |s| s.code)));
                o.str("status_message", status.map_or("", |s| s.message.as_str()));
                let times: Vec<String> = span
                    .events
                    .iter()
                    .map(|e| timestamp(e.time_unix_nano))
                    .collect();
                o.strings("events_timestamp", times.iter().map(String::as_str));
                o.strings("events_name", span.events.iter().map(|e| e.name.as_str()));
                o.maps(
                    "events_attributes",
                    span.events.iter().map(|e| &e.attributes[..]),
                    redaction,
                );
                let ids: Vec<(String, String)> = span
                    .links
                    .iter()
                    .map(|l| (hex_id(&l.trace_id), hex_id(&l.span_id)))
                    .collect();
                o.strings("links_trace_id", ids.iter().map(|(t, _)| t.as_str()));
                o.strings("links_span_id", ids.iter().map(|(_, s)| s.as_str()));
                o.strings(
                    "links_trace_state",
                    span.links.iter().map(|l| l.trace_state.as_str()),
                );
                o.maps(
                    "links_attributes",
                    span.links.iter().map(|l| &l.attributes[..]),
                    redaction,
                );
                o.end();
                rows.push(out);
            }
        }
    }
    rows
}

/// The columns every metric row starts with.
struct Base<'a> {
    schema_url: &'a str,
    resource_attrs: &'a str,
    service: &'a str,
    scope_name: &'a str,
    scope_version: &'a str,
    scope_schema_url: &'a str,
    scope_attrs: &'a str,
    name: &'a str,
    description: &'a str,
    unit: &'a str,
}

/// What every data point adds to the base.
struct Point<'a> {
    attributes: &'a [KeyValue],
    start: u64,
    time: u64,
    flags: u32,
    exemplars: &'a [Exemplar],
}

impl Base<'_> {
    fn write(&self, o: &mut Obj<'_>, point: &Point<'_>) -> Result<(), NonFinite> {
        o.str("resource_schema_url", self.schema_url);
        o.raw("resource_attributes", self.resource_attrs);
        o.str("service_name", self.service);
        o.str("start_timestamp", &timestamp(point.start));
        o.str("timestamp", &timestamp(point.time));
        o.num("flags", point.flags);
        o.str("metric_name", self.name);
        o.str("metric_description", self.description);
        o.str("metric_unit", self.unit);
        o.attrs("metric_attributes", point.attributes, Redaction::Keep);
        o.str("scope_name", self.scope_name);
        o.str("scope_version", self.scope_version);
        o.str("scope_schema_url", self.scope_schema_url);
        o.raw("scope_attributes", self.scope_attrs);
        let ex = point.exemplars;
        o.maps(
            "exemplars_filtered_attributes",
            ex.iter().map(|e| &e.filtered_attributes[..]),
            Redaction::Keep,
        );
        let times: Vec<String> = ex.iter().map(|e| timestamp(e.time_unix_nano)).collect();
        o.strings("exemplars_timestamp", times.iter().map(String::as_str));
        #[allow(clippy::cast_precision_loss)]
        let values: Vec<f64> = ex
            .iter()
            .map(|e| match e.value {
                Some(exemplar::Value::AsDouble(d)) => d,
                Some(exemplar::Value::AsInt(i)) => i as f64,
                None => 0.0,
            })
            .collect();
        o.floats("exemplars_value", &values, false)?;
        let ids: Vec<(String, String)> = ex
            .iter()
            .map(|e| (hex_id(&e.span_id), hex_id(&e.trace_id)))
            .collect();
        o.strings("exemplars_span_id", ids.iter().map(|(s, _)| s.as_str()));
        o.strings("exemplars_trace_id", ids.iter().map(|(_, t)| t.as_str()));
        Ok(())
    }
}

/// The metric rows of a request with their datasources (summaries are not exported), or
/// [`NonFinite`] when the exporter would drop the whole request.
pub fn metric_rows(
    request: &ExportMetricsServiceRequest,
) -> Result<Vec<(Datasource, String)>, NonFinite> {
    let mut rows = Vec::new();
    for resource_metrics in &request.resource_metrics {
        let (resource_attrs, service) = resource_parts(resource_metrics.resource.as_ref());
        for scope_metrics in &resource_metrics.scope_metrics {
            let (scope_name, scope_version, scope_attrs) =
                scope_parts(scope_metrics.scope.as_ref());
            for m in &scope_metrics.metrics {
                let base = Base {
                    schema_url: &resource_metrics.schema_url,
                    resource_attrs: &resource_attrs,
                    service: &service,
                    scope_name,
                    scope_version,
                    scope_schema_url: &scope_metrics.schema_url,
                    scope_attrs: &scope_attrs,
                    name: &m.name,
                    description: &m.description,
                    unit: &m.unit,
                };
                metric_points(&base, m.data.as_ref(), &mut rows)?;
            }
        }
    }
    Ok(rows)
}

#[allow(clippy::cast_precision_loss)]
fn number(value: Option<number_data_point::Value>) -> f64 {
    match value {
        Some(number_data_point::Value::AsDouble(d)) => d,
        Some(number_data_point::Value::AsInt(i)) => i as f64,
        None => 0.0,
    }
}

fn metric_points(
    base: &Base<'_>,
    data: Option<&metric::Data>,
    rows: &mut Vec<(Datasource, String)>,
) -> Result<(), NonFinite> {
    match data {
        None => {}
        Some(metric::Data::Sum(sum)) => {
            for dp in &sum.data_points {
                let mut out = String::with_capacity(1024);
                let mut o = Obj::new(&mut out);
                base.write(
                    &mut o,
                    &point(
                        &dp.attributes,
                        dp.start_time_unix_nano,
                        dp.time_unix_nano,
                        dp.flags,
                        &dp.exemplars,
                    ),
                )?;
                o.float("value", number(dp.value))?;
                o.num("aggregation_temporality", sum.aggregation_temporality);
                o.num("is_monotonic", sum.is_monotonic);
                o.end();
                rows.push((Datasource::Sum, out));
            }
        }
        Some(metric::Data::Gauge(gauge)) => {
            for dp in &gauge.data_points {
                let mut out = String::with_capacity(1024);
                let mut o = Obj::new(&mut out);
                base.write(
                    &mut o,
                    &point(
                        &dp.attributes,
                        dp.start_time_unix_nano,
                        dp.time_unix_nano,
                        dp.flags,
                        &dp.exemplars,
                    ),
                )?;
                o.float("value", number(dp.value))?;
                o.end();
                rows.push((Datasource::Gauge, out));
            }
        }
        Some(metric::Data::Histogram(histogram)) => {
            for dp in &histogram.data_points {
                let mut out = String::with_capacity(1024);
                let mut o = Obj::new(&mut out);
                base.write(
                    &mut o,
                    &point(
                        &dp.attributes,
                        dp.start_time_unix_nano,
                        dp.time_unix_nano,
                        dp.flags,
                        &dp.exemplars,
                    ),
                )?;
                o.num("count", dp.count);
                o.float("sum", dp.sum.unwrap_or(0.0))?;
                o.counts("bucket_counts", &dp.bucket_counts);
                o.floats("explicit_bounds", &dp.explicit_bounds, true)?;
                min_max(&mut o, dp.min, dp.max)?;
                o.num("aggregation_temporality", histogram.aggregation_temporality);
                o.end();
                rows.push((Datasource::Histogram, out));
            }
        }
        Some(metric::Data::ExponentialHistogram(histogram)) => {
            for dp in &histogram.data_points {
                let mut out = String::with_capacity(1024);
                let mut o = Obj::new(&mut out);
                base.write(
                    &mut o,
                    &point(
                        &dp.attributes,
                        dp.start_time_unix_nano,
                        dp.time_unix_nano,
                        dp.flags,
                        &dp.exemplars,
                    ),
                )?;
                o.num("count", dp.count);
                o.float("sum", dp.sum.unwrap_or(0.0))?;
                o.num("scale", dp.scale);
                o.num("zero_count", dp.zero_count);
                let positive = dp.positive.as_ref();
                let negative = dp.negative.as_ref();
                o.num("positive_offset", positive.map_or(0, |b| b.offset));
                o.counts(
                    "positive_bucket_counts",
                    positive.map_or(&[][..], |b| &b.bucket_counts),
                );
                o.num("negative_offset", negative.map_or(0, |b| b.offset));
                o.counts(
                    "negative_bucket_counts",
                    negative.map_or(&[][..], |b| &b.bucket_counts),
                );
                min_max(&mut o, dp.min, dp.max)?;
                o.num("aggregation_temporality", histogram.aggregation_temporality);
                o.end();
                rows.push((Datasource::ExponentialHistogram, out));
            }
        }
    }
    Ok(())
}

fn point<'a>(
    attributes: &'a [KeyValue],
    start: u64,
    time: u64,
    flags: u32,
    exemplars: &'a [Exemplar],
) -> Point<'a> {
    Point {
        attributes,
        start,
        time,
        flags,
        exemplars,
    }
}

fn min_max(o: &mut Obj<'_>, min: Option<f64>, max: Option<f64>) -> Result<(), NonFinite> {
    if let Some(min) = min {
        o.float("min", min)?;
    }
    if let Some(max) = max {
        o.float("max", max)?;
    }
    Ok(())
}
