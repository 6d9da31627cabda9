//! `otel_logs`: log records, which is where Claude Code puts its events.

use std::marker::PhantomData;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Attributes;
use crate::Datasource;
use crate::client::de::DateTime64;

/// One OpenTelemetry log record (`otel_logs`): for Claude Code, one event (`api_request`, `tool_result`, …).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, Datasource)]
#[tinybird(
    name = "otel_logs",
    description = "This is a table that contains the logs from the OpenTelemetry Collector.",
    partition_key = "toDate(TimestampTime)",
    sorting_key = "ServiceName, TimestampTime, Timestamp",
    token = "OTEL_TINYBIRD_TOKEN APPEND",
    settings = "index_granularity=8192",
    index = "idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1",
    index = "idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1",
    index = "idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1",
    index = "idx_scope_attr_key mapKeys(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1",
    index = "idx_scope_attr_value mapValues(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1",
    index = "idx_log_attr_key mapKeys(LogAttributes) TYPE bloom_filter(0.01) GRANULARITY 1",
    index = "idx_log_attr_value mapValues(LogAttributes) TYPE bloom_filter(0.01) GRANULARITY 1",
    index = "idx_body Body TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 8"
)]
pub struct LogRow {
    /// When the record happened, to the nanosecond.
    #[serde(with = "DateTime64::<9>")]
    #[tinybird(column = "Timestamp", datetime64(9), codec = "Delta(8), ZSTD(1)")]
    pub timestamp: DateTime<Utc>,
    /// The same instant to the second, for the partition and sorting keys. Not sent: filled from `timestamp`.
    #[serde(skip)]
    #[tinybird(column = "TimestampTime", datetime, json_path = "$.timestamp")]
    pub timestamp_time: PhantomData<DateTime<Utc>>,
    /// The trace id, lowercase hex; empty when there is none.
    #[tinybird(column = "TraceId", codec = "ZSTD(1)")]
    pub trace_id: String,
    /// The span id, lowercase hex; empty when there is none.
    #[tinybird(column = "SpanId", codec = "ZSTD(1)")]
    pub span_id: String,
    /// The W3C trace flags (bit 0: sampled).
    #[tinybird(column = "TraceFlags", codec = "ZSTD(1)")]
    pub flags: u8,
    /// The severity as text (`INFO`, `ERROR`, …), as the emitter wrote it.
    #[tinybird(column = "SeverityText", low_cardinality, codec = "ZSTD(1)")]
    pub severity_text: String,
    /// The OpenTelemetry severity number, 1 (`TRACE`) to 24 (`FATAL4`); 0 when unset.
    #[tinybird(column = "SeverityNumber", codec = "ZSTD(1)")]
    pub severity_number: u8,
    /// The resource's `service.name` (`claude-code` for Claude Code).
    #[tinybird(column = "ServiceName", low_cardinality, codec = "ZSTD(1)")]
    pub service_name: String,
    /// The record body as text; for a Claude Code event `claude_code.<event name>`.
    #[tinybird(column = "Body", codec = "ZSTD(1)")]
    pub body: String,
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
    /// The record's attributes, values as text: for Claude Code `event.name`, `session.id`, `model`, `cost_usd`, ….
    #[tinybird(column = "LogAttributes", low_cardinality_keys, codec = "ZSTD(1)")]
    pub log_attributes: Attributes,
}
