use atel_sdk::Datasource;

#[derive(Datasource)]
#[tinybird(
    index = "idx_trace trace TYPE bloom_filter(0.001) GRANULARITY 1",
    index = "idx_attr mapKeys(attributes) TYPE bloom(0.01) GRANULARITY 1",
    index = "idx_body body TYPE tokenbf_v1(32768) GRANULARITY 1",
    index = "idx_zero body TYPE minmax GRANULARITY 0",
    index = "idx-dash trace_id TYPE minmax GRANULARITY 1",
    index = "idx_trace trace_id TYPE minmax GRANULARITY 1",
    index = "idx_partial trace_id TYPE minmax",
    index = "trace_id TYPE minmax GRANULARITY 1",
    // Fine: two of one type, as the OTel template has.
    index = "idx_key mapKeys(attributes) TYPE bloom_filter(0.01) GRANULARITY 1",
    index = "idx_value mapValues(attributes) TYPE bloom_filter(0.01) GRANULARITY 1"
)]
struct Log {
    trace_id: String,
    attributes: std::collections::HashMap<String, String>,
    body: String,
}

fn main() {}
