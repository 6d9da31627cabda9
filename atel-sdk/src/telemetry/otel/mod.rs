//! The six `otel_*` datasources of Tinybird's OpenTelemetry template, as Rust types.
//!
//! The OpenTelemetry Collector's `tinybird` exporter (and `atel-hooks otel`, which writes the same rows)
//! sends one NDJSON row per log record, span or metric data point to these datasources. Each type is
//! the template's datafile column for column: the same names, types, JSON paths, codecs and
//! `DEFAULT`s, the same engine, partition key, sorting key, settings and indexes (ground truth:
//! `tinybirdco/tinybird-otel-template`, vendored under `tests/fixtures/otel-template/` and compared
//! column by column with Tinybird's own parser). A project that already runs the template can point
//! these types at its datasources unchanged.
//!
//! The Rust fields are the JSON keys the exporter writes (`trace_id`, `log_attributes`, …); the
//! columns keep the template's names (`TraceId`, `LogAttributes`, …) through
//! `#[tinybird(column = "...")]`. What the template stores but the exporter does not send separately
//! is a [`PhantomData`](std::marker::PhantomData) field: `otel_logs.TimestampTime` is read from
//! `$.timestamp` a second time, at second precision. Not stored but sent: `otel_traces`' `end_time`.
//!
//! Timestamps are `DateTime64(9)`, written by [`DateTime64::<9>`](crate::client::de::DateTime64) as
//! `2024-06-23 16:00:00.123456789`; the exporter's RFC 3339 (`2024-06-23T16:00:00.5Z`) reads back into
//! the same fields. Attribute maps are [`Attributes`]: values as text, as the exporter writes them, and
//! keys `LowCardinality` in the table.
//!
//! The template's `otel_traces_trace_id_ts` (a trace's start and end, filled by a materialized view)
//! is not here.

mod histograms;
mod logs;
mod metrics;
mod traces;

pub use histograms::{ExponentialHistogramRow, HistogramRow};
pub use logs::LogRow;
pub use metrics::{GaugeRow, SumRow};
pub use traces::SpanRow;

/// An OpenTelemetry attribute map as the exporter writes it: every value as text (ints in decimal,
/// bools `true`/`false`, arrays and maps as compact JSON). Sorted, so a row's JSON is the same
/// each time it is encoded.
pub type Attributes = std::collections::BTreeMap<String, String>;

/// The six datasources, for [`telemetry::project`](super::project).
pub fn project() -> crate::project::Project {
    crate::project::Project::new()
        .datasource::<LogRow>()
        .datasource::<SpanRow>()
        .datasource::<SumRow>()
        .datasource::<GaugeRow>()
        .datasource::<HistogramRow>()
        .datasource::<ExponentialHistogramRow>()
}
