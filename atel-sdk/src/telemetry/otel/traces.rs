//! `otel_traces`: spans (Claude Code sends them with `CLAUDE_CODE_ENHANCED_TELEMETRY_BETA=1`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Attributes;
use crate::Datasource;
use crate::client::de::DateTime64;

/// One OpenTelemetry span (`otel_traces`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, Datasource)]
#[tinybird(
    name = "otel_traces",
    description = "A table that contains trace data from OpenTelemetry in Tinybird format.",
    partition_key = "toDate(Timestamp)",
    sorting_key = "ServiceName, SpanName, toDateTime(Timestamp)",
    token = "OTEL_TINYBIRD_TOKEN APPEND",
    settings = "index_granularity=8192",
    index = "idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1",
    index = "idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1",
    index = "idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1",
    index = "idx_span_attr_key mapKeys(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1",
    index = "idx_span_attr_value mapValues(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1",
    index = "idx_duration Duration TYPE minmax GRANULARITY 1"
)]
pub struct SpanRow {
    /// When the span started, to the nanosecond.
    #[serde(with = "DateTime64::<9>")]
    #[tinybird(column = "Timestamp", datetime64(9), codec = "Delta(8), ZSTD(1)")]
    pub start_time: DateTime<Utc>,
    /// The trace id, lowercase hex; empty when there is none.
    #[tinybird(column = "TraceId", codec = "ZSTD(1)")]
    pub trace_id: String,
    /// The span id, lowercase hex; empty when there is none.
    #[tinybird(column = "SpanId", codec = "ZSTD(1)")]
    pub span_id: String,
    /// The parent span's id; empty for a root span.
    #[tinybird(column = "ParentSpanId", codec = "ZSTD(1)")]
    pub parent_span_id: String,
    /// The W3C trace state.
    #[tinybird(column = "TraceState", codec = "ZSTD(1)")]
    pub trace_state: String,
    /// The span name.
    #[tinybird(column = "SpanName", low_cardinality, codec = "ZSTD(1)")]
    pub span_name: String,
    /// `Unspecified`, `Internal`, `Server`, `Client`, `Producer` or `Consumer`.
    #[tinybird(column = "SpanKind", low_cardinality, codec = "ZSTD(1)")]
    pub span_kind: String,
    /// The resource's `service.name` (`claude-code` for Claude Code).
    #[tinybird(column = "ServiceName", low_cardinality, codec = "ZSTD(1)")]
    pub service_name: String,
    /// The resource's schema URL.
    #[tinybird(column = "ResourceSchemaUrl", codec = "ZSTD(1)")]
    pub resource_schema_url: String,
    /// The resource attributes, values as text (`service.name` included).
    #[tinybird(column = "ResourceAttributes", low_cardinality_keys, codec = "ZSTD(1)")]
    pub resource_attributes: Attributes,
    /// The instrumentation scope's schema URL.
    #[tinybird(column = "ScopeSchemaUrl", codec = "ZSTD(1)")]
    pub scope_schema_url: String,
    /// The instrumentation scope's name.
    #[tinybird(column = "ScopeName", codec = "ZSTD(1)")]
    pub scope_name: String,
    /// The instrumentation scope's version.
    #[tinybird(column = "ScopeVersion", codec = "ZSTD(1)")]
    pub scope_version: String,
    /// The instrumentation scope's attributes.
    #[tinybird(column = "ScopeAttributes", low_cardinality_keys, codec = "ZSTD(1)")]
    pub scope_attributes: Attributes,
    /// When the span ended. Sent (the exporter writes it) but not stored: the template keeps
    /// `Duration`.
    #[serde(with = "DateTime64::<9>")]
    #[tinybird(skip)]
    pub end_time: DateTime<Utc>,
    /// End minus start, in nanoseconds.
    #[tinybird(column = "Duration", codec = "ZSTD(1)")]
    pub duration: u64,
    /// `Unset`, `Ok` or `Error`.
    #[tinybird(column = "StatusCode", low_cardinality, codec = "ZSTD(1)")]
    pub status_code: String,
    /// The status description.
    #[tinybird(column = "StatusMessage", codec = "ZSTD(1)")]
    pub status_message: String,
    /// The span's attributes, values as text.
    #[tinybird(column = "SpanAttributes", low_cardinality_keys, codec = "ZSTD(1)")]
    pub span_attributes: Attributes,
    /// When each span event happened.
    #[serde(with = "DateTime64::<9>")]
    #[tinybird(column = "EventsTimestamp", datetime64(9), codec = "ZSTD(1)")]
    pub events_timestamp: Vec<DateTime<Utc>>,
    /// Each span event's name.
    #[tinybird(column = "EventsName", low_cardinality, codec = "ZSTD(1)")]
    pub events_name: Vec<String>,
    /// Each span event's attributes.
    #[tinybird(column = "EventsAttributes", low_cardinality_keys, codec = "ZSTD(1)")]
    pub events_attributes: Vec<Attributes>,
    /// Each link's trace id.
    #[tinybird(column = "LinksTraceId", codec = "ZSTD(1)")]
    pub links_trace_id: Vec<String>,
    /// Each link's span id.
    #[tinybird(column = "LinksSpanId", codec = "ZSTD(1)")]
    pub links_span_id: Vec<String>,
    /// Each link's trace state.
    #[tinybird(column = "LinksTraceState", codec = "ZSTD(1)")]
    pub links_trace_state: Vec<String>,
    /// Each link's attributes.
    #[tinybird(column = "LinksAttributes", low_cardinality_keys, codec = "ZSTD(1)")]
    pub links_attributes: Vec<Attributes>,
}
