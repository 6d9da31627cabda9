//! `otel_metrics_sum` and `otel_metrics_gauge`: one row per data point.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Attributes;
use crate::Datasource;
use crate::client::de::DateTime64;

/// One data point of a sum metric (`otel_metrics_sum`): for Claude Code, `claude_code.cost.usage`, `claude_code.token.usage`, ….
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, Datasource)]
#[tinybird(
    name = "otel_metrics_sum",
    description = "This is a table that contains the metrics from the OpenTelemetry Collector.",
    partition_key = "toDate(TimeUnix)",
    sorting_key = "ServiceName, MetricName, Attributes, toUnixTimestamp64Nano(TimeUnix)",
    token = "OTEL_TINYBIRD_TOKEN APPEND",
    settings = "index_granularity=8192",
    index = "idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1",
    index = "idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1",
    index = "idx_scope_attr_key mapKeys(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1",
    index = "idx_scope_attr_value mapValues(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1",
    index = "idx_attr_key mapKeys(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1",
    index = "idx_attr_value mapValues(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1"
)]
pub struct SumRow {
    /// The resource attributes, values as text (`service.name` included).
    #[tinybird(column = "ResourceAttributes", low_cardinality_keys, codec = "ZSTD(1)")]
    pub resource_attributes: Attributes,
    /// The resource's schema URL.
    #[tinybird(column = "ResourceSchemaUrl", codec = "ZSTD(1)")]
    pub resource_schema_url: String,
    /// The instrumentation scope's name.
    #[tinybird(column = "ScopeName", codec = "ZSTD(1)")]
    pub scope_name: String,
    /// The instrumentation scope's version.
    #[tinybird(column = "ScopeVersion", codec = "ZSTD(1)")]
    pub scope_version: String,
    /// The instrumentation scope's attributes.
    #[tinybird(column = "ScopeAttributes", low_cardinality_keys, codec = "ZSTD(1)")]
    pub scope_attributes: Attributes,
    /// The instrumentation scope's schema URL.
    #[tinybird(column = "ScopeSchemaUrl", codec = "ZSTD(1)")]
    pub scope_schema_url: String,
    /// The resource's `service.name` (`claude-code` for Claude Code).
    #[tinybird(column = "ServiceName", default = "'unknown'", codec = "ZSTD(1)")]
    pub service_name: String,
    /// The metric name, e.g. `claude_code.cost.usage`.
    #[tinybird(column = "MetricName", low_cardinality, codec = "ZSTD(1)")]
    pub metric_name: String,
    /// The metric description.
    #[tinybird(column = "MetricDescription", codec = "ZSTD(1)")]
    pub metric_description: String,
    /// The metric unit, e.g. `USD`, `tokens`.
    #[tinybird(column = "MetricUnit", codec = "ZSTD(1)")]
    pub metric_unit: String,
    /// The data point's attributes, values as text: for Claude Code `model`, `type`, `session.id`, ….
    #[tinybird(column = "Attributes", low_cardinality_keys, codec = "ZSTD(1)")]
    pub metric_attributes: Attributes,
    /// The start of the data point's interval (delta) or series (cumulative).
    #[serde(with = "DateTime64::<9>")]
    #[tinybird(column = "StartTimeUnix", datetime64(9), codec = "Delta(8), ZSTD(1)")]
    pub start_timestamp: DateTime<Utc>,
    /// When the data point was taken.
    #[serde(with = "DateTime64::<9>")]
    #[tinybird(column = "TimeUnix", datetime64(9), codec = "Delta(8), ZSTD(1)")]
    pub timestamp: DateTime<Utc>,
    /// The data point's value (integers as floats).
    #[tinybird(column = "Value", codec = "ZSTD(1)")]
    pub value: f64,
    /// The data point flags (bit 0: no recorded value).
    #[tinybird(column = "Flags", codec = "ZSTD(1)")]
    pub flags: u8,
    /// Each exemplar's trace id.
    #[tinybird(column = "ExemplarsTraceId", codec = "ZSTD(1)")]
    pub exemplars_trace_id: Vec<String>,
    /// Each exemplar's span id.
    #[tinybird(column = "ExemplarsSpanId", codec = "ZSTD(1)")]
    pub exemplars_span_id: Vec<String>,
    /// When each exemplar was recorded.
    #[serde(with = "DateTime64::<9>")]
    #[tinybird(column = "ExemplarsTimestamp", datetime64(9), codec = "ZSTD(1)")]
    pub exemplars_timestamp: Vec<DateTime<Utc>>,
    /// Each exemplar's value.
    #[tinybird(column = "ExemplarsValue", codec = "ZSTD(1)")]
    pub exemplars_value: Vec<f64>,
    /// Each exemplar's attributes that the aggregation dropped.
    #[tinybird(
        column = "ExemplarsFilteredAttributes",
        low_cardinality_keys,
        codec = "ZSTD(1)"
    )]
    pub exemplars_filtered_attributes: Vec<Attributes>,
    /// 1 for delta, 2 for cumulative (0 unspecified).
    #[tinybird(column = "AggregationTemporality", codec = "ZSTD(1)")]
    pub aggregation_temporality: i32,
    /// Whether the sum only grows.
    #[tinybird(column = "IsMonotonic", codec = "Delta, ZSTD(1)")]
    pub is_monotonic: bool,
}

/// One data point of a gauge metric (`otel_metrics_gauge`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, Datasource)]
#[tinybird(
    name = "otel_metrics_gauge",
    description = "This is a table that contains the metrics from the OpenTelemetry Collector.",
    partition_key = "toDate(TimeUnix)",
    sorting_key = "ServiceName, MetricName, Attributes, toUnixTimestamp64Nano(TimeUnix)",
    token = "OTEL_TINYBIRD_TOKEN APPEND",
    settings = "index_granularity=8192",
    index = "idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1",
    index = "idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1",
    index = "idx_scope_attr_key mapKeys(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1",
    index = "idx_scope_attr_value mapValues(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1",
    index = "idx_attr_key mapKeys(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1",
    index = "idx_attr_value mapValues(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1"
)]
pub struct GaugeRow {
    /// The resource attributes, values as text (`service.name` included).
    #[tinybird(column = "ResourceAttributes", low_cardinality_keys, codec = "ZSTD(1)")]
    pub resource_attributes: Attributes,
    /// The resource's schema URL.
    #[tinybird(column = "ResourceSchemaUrl", codec = "ZSTD(1)")]
    pub resource_schema_url: String,
    /// The instrumentation scope's name.
    #[tinybird(column = "ScopeName", codec = "ZSTD(1)")]
    pub scope_name: String,
    /// The instrumentation scope's version.
    #[tinybird(column = "ScopeVersion", codec = "ZSTD(1)")]
    pub scope_version: String,
    /// The instrumentation scope's attributes.
    #[tinybird(column = "ScopeAttributes", low_cardinality_keys, codec = "ZSTD(1)")]
    pub scope_attributes: Attributes,
    /// The instrumentation scope's schema URL.
    #[tinybird(column = "ScopeSchemaUrl", codec = "ZSTD(1)")]
    pub scope_schema_url: String,
    /// The resource's `service.name` (`claude-code` for Claude Code).
    #[tinybird(column = "ServiceName", default = "'unknown'", codec = "ZSTD(1)")]
    pub service_name: String,
    /// The metric name, e.g. `claude_code.cost.usage`.
    #[tinybird(column = "MetricName", low_cardinality, codec = "ZSTD(1)")]
    pub metric_name: String,
    /// The metric description.
    #[tinybird(column = "MetricDescription", codec = "ZSTD(1)")]
    pub metric_description: String,
    /// The metric unit, e.g. `USD`, `tokens`.
    #[tinybird(column = "MetricUnit", codec = "ZSTD(1)")]
    pub metric_unit: String,
    /// The data point's attributes, values as text: for Claude Code `model`, `type`, `session.id`, ….
    #[tinybird(column = "Attributes", low_cardinality_keys, codec = "ZSTD(1)")]
    pub metric_attributes: Attributes,
    /// The start of the data point's interval (delta) or series (cumulative).
    #[serde(with = "DateTime64::<9>")]
    #[tinybird(column = "StartTimeUnix", datetime64(9), codec = "Delta(8), ZSTD(1)")]
    pub start_timestamp: DateTime<Utc>,
    /// When the data point was taken.
    #[serde(with = "DateTime64::<9>")]
    #[tinybird(column = "TimeUnix", datetime64(9), codec = "Delta(8), ZSTD(1)")]
    pub timestamp: DateTime<Utc>,
    /// The data point's value (integers as floats).
    #[tinybird(column = "Value", codec = "ZSTD(1)")]
    pub value: f64,
    /// The data point flags (bit 0: no recorded value).
    #[tinybird(column = "Flags", codec = "ZSTD(1)")]
    pub flags: u8,
    /// Each exemplar's trace id.
    #[tinybird(column = "ExemplarsTraceId", codec = "ZSTD(1)")]
    pub exemplars_trace_id: Vec<String>,
    /// Each exemplar's span id.
    #[tinybird(column = "ExemplarsSpanId", codec = "ZSTD(1)")]
    pub exemplars_span_id: Vec<String>,
    /// When each exemplar was recorded.
    #[serde(with = "DateTime64::<9>")]
    #[tinybird(column = "ExemplarsTimestamp", datetime64(9), codec = "ZSTD(1)")]
    pub exemplars_timestamp: Vec<DateTime<Utc>>,
    /// Each exemplar's value.
    #[tinybird(column = "ExemplarsValue", codec = "ZSTD(1)")]
    pub exemplars_value: Vec<f64>,
    /// Each exemplar's attributes that the aggregation dropped.
    #[tinybird(
        column = "ExemplarsFilteredAttributes",
        low_cardinality_keys,
        codec = "ZSTD(1)"
    )]
    pub exemplars_filtered_attributes: Vec<Attributes>,
}
