//! `atel-hooks otel`: an OTLP/HTTP receiver that writes what the OpenTelemetry Collector's
//! `tinybird` exporter writes, through the hooks' spool and delivery.
//!
//! - [`proto`]: the OTLP messages (prost); [`json`]: OTLP/JSON into them, as leniently as the Go
//!   collector;
//! - [`rows`]: the exporter's rows, key for key and byte for byte (`text` has Go's formatting);
//! - [`redact`]: content attributes become `<REDACTED>` unless `--keep-content`;
//! - [`server`]: `/v1/logs`, `/v1/metrics`, `/v1/traces` over HTTP/1.1.

use prost::Message as _;

pub mod json;
mod json_de;
mod json_logs;
pub mod proto;
pub mod redact;
pub mod rows;
pub mod server;
pub(crate) mod text;

pub use redact::Redaction;
pub use rows::Datasource;

/// A body that is not a valid OTLP request (answered 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DecodeError(pub String);

/// The three OTLP signals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// `/v1/logs`.
    Logs,
    /// `/v1/traces`.
    Traces,
    /// `/v1/metrics`.
    Metrics,
}

impl Signal {
    /// The signal served at `path`.
    pub fn from_path(path: &str) -> Option<Self> {
        match path {
            "/v1/logs" => Some(Self::Logs),
            "/v1/traces" => Some(Self::Traces),
            "/v1/metrics" => Some(Self::Metrics),
            _ => None,
        }
    }
}

/// How a request body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// `application/x-protobuf`.
    Protobuf,
    /// `application/json`.
    Json,
}

/// What one request becomes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Export {
    /// The rows, each with its datasource, in the exporter's order.
    pub rows: Vec<(Datasource, String)>,
    /// Items the exporter would drop (a metrics request with a NaN or infinite value: all its
    /// data points), reported as a partial success.
    pub rejected: i64,
}

/// Decodes one request body and builds the exporter's rows for it.
pub fn export(
    signal: Signal,
    encoding: Encoding,
    body: &[u8],
    redaction: Redaction,
) -> Result<Export, DecodeError> {
    let proto_error = |err: prost::DecodeError| DecodeError(format!("invalid protobuf: {err}"));
    match signal {
        Signal::Logs => {
            if encoding == Encoding::Json
                && let Some(rows) = json_logs::log_rows(body, redaction)
            {
                return Ok(Export {
                    rows: tag(Datasource::Logs, rows),
                    rejected: 0,
                });
            }
            let request = match encoding {
                // What the fast path did not read (the same bodies as `json::logs`'s fast path).
                Encoding::Json => json::logs_generic(body)?,
                Encoding::Protobuf => {
                    let request =
                        proto::ExportLogsServiceRequest::decode(body).map_err(proto_error)?;
                    check_log_ids(&request)?;
                    request
                }
            };
            Ok(Export {
                rows: tag(Datasource::Logs, rows::log_rows(&request, redaction)),
                rejected: 0,
            })
        }
        Signal::Traces => {
            let request = match encoding {
                Encoding::Json => json::traces(body)?,
                Encoding::Protobuf => {
                    let request =
                        proto::ExportTraceServiceRequest::decode(body).map_err(proto_error)?;
                    check_span_ids(&request)?;
                    request
                }
            };
            Ok(Export {
                rows: tag(Datasource::Traces, rows::trace_rows(&request, redaction)),
                rejected: 0,
            })
        }
        Signal::Metrics => {
            let request = match encoding {
                Encoding::Json => json::metrics(body)?,
                Encoding::Protobuf => {
                    let request =
                        proto::ExportMetricsServiceRequest::decode(body).map_err(proto_error)?;
                    check_exemplar_ids(&request)?;
                    request
                }
            };
            match rows::metric_rows(&request) {
                Ok(rows) => Ok(Export { rows, rejected: 0 }),
                Err(rows::NonFinite) => Ok(Export {
                    rows: Vec::new(),
                    rejected: i64::try_from(count_points(&request)).unwrap_or(i64::MAX),
                }),
            }
        }
    }
}

fn tag(ds: Datasource, rows: Vec<String>) -> Vec<(Datasource, String)> {
    rows.into_iter().map(|row| (ds, row)).collect()
}

/// pdata refuses a trace id that is not 16 bytes or a span id that is not 8 (empty is "no id").
fn check_id(id: &[u8], len: usize, what: &str) -> Result<(), DecodeError> {
    if id.is_empty() || id.len() == len {
        Ok(())
    } else {
        Err(DecodeError(format!(
            "{what} must be {len} bytes, got {}",
            id.len()
        )))
    }
}

fn check_log_ids(request: &proto::ExportLogsServiceRequest) -> Result<(), DecodeError> {
    for record in request
        .resource_logs
        .iter()
        .flat_map(|r| &r.scope_logs)
        .flat_map(|s| &s.log_records)
    {
        check_id(&record.trace_id, 16, "traceId")?;
        check_id(&record.span_id, 8, "spanId")?;
    }
    Ok(())
}

fn check_span_ids(request: &proto::ExportTraceServiceRequest) -> Result<(), DecodeError> {
    for span in request
        .resource_spans
        .iter()
        .flat_map(|r| &r.scope_spans)
        .flat_map(|s| &s.spans)
    {
        check_id(&span.trace_id, 16, "traceId")?;
        check_id(&span.span_id, 8, "spanId")?;
        check_id(&span.parent_span_id, 8, "parentSpanId")?;
        for link in &span.links {
            check_id(&link.trace_id, 16, "traceId")?;
            check_id(&link.span_id, 8, "spanId")?;
        }
    }
    Ok(())
}

fn exemplars(data: Option<&proto::metric::Data>) -> Vec<&proto::Exemplar> {
    use proto::metric::Data;
    match data {
        None => Vec::new(),
        Some(Data::Gauge(g)) => g.data_points.iter().flat_map(|p| &p.exemplars).collect(),
        Some(Data::Sum(s)) => s.data_points.iter().flat_map(|p| &p.exemplars).collect(),
        Some(Data::Histogram(h)) => h.data_points.iter().flat_map(|p| &p.exemplars).collect(),
        Some(Data::ExponentialHistogram(h)) => {
            h.data_points.iter().flat_map(|p| &p.exemplars).collect()
        }
    }
}

fn check_exemplar_ids(request: &proto::ExportMetricsServiceRequest) -> Result<(), DecodeError> {
    for metric in request
        .resource_metrics
        .iter()
        .flat_map(|r| &r.scope_metrics)
        .flat_map(|s| &s.metrics)
    {
        for exemplar in exemplars(metric.data.as_ref()) {
            check_id(&exemplar.trace_id, 16, "traceId")?;
            check_id(&exemplar.span_id, 8, "spanId")?;
        }
    }
    Ok(())
}

fn count_points(request: &proto::ExportMetricsServiceRequest) -> usize {
    use proto::metric::Data;
    request
        .resource_metrics
        .iter()
        .flat_map(|r| &r.scope_metrics)
        .flat_map(|s| &s.metrics)
        .map(|m| match &m.data {
            None => 0,
            Some(Data::Gauge(g)) => g.data_points.len(),
            Some(Data::Sum(s)) => s.data_points.len(),
            Some(Data::Histogram(h)) => h.data_points.len(),
            Some(Data::ExponentialHistogram(h)) => h.data_points.len(),
        })
        .sum()
}
