//! `#[derive(Datasource)]` end to end: what the derive puts in the schema, and the exact `.datasource`
//! text Tinybird reads.

use std::collections::{BTreeMap, HashMap};

use atel_sdk::{ChType, Column, Datasource, Engine};
use serde::Serialize;

/// `Nullable`, `LowCardinality(Nullable(String))`, `Array` with `[:]`, `Map`, `DEFAULT`, `CODEC`, `TTL`.
#[derive(Serialize, Datasource)]
#[tinybird(
    description = "Page views",
    partition_key = "toYYYYMM(timestamp)",
    sorting_key = "timestamp",
    ttl = "toDateTime(timestamp) + toIntervalDay(90)"
)]
#[allow(dead_code)]
struct PageView {
    timestamp: chrono::DateTime<chrono::Utc>,
    referrer: Option<String>,
    #[tinybird(low_cardinality)]
    country: Option<String>,
    tags: Vec<String>,
    attributes: HashMap<String, String>,
    #[tinybird(default = "0")]
    duration_ms: u32,
    #[tinybird(codec = "ZSTD(3)")]
    body: String,
}

#[test]
fn page_view_datafile() {
    assert_eq!(
        PageView::datafile(),
        "\
DESCRIPTION >
    Page views

SCHEMA >
    `timestamp` DateTime64(3) `json:$.timestamp`,
    `referrer` Nullable(String) `json:$.referrer`,
    `country` LowCardinality(Nullable(String)) `json:$.country`,
    `tags` Array(String) `json:$.tags[:]`,
    `attributes` Map(String, String) `json:$.attributes`,
    `duration_ms` UInt32 `json:$.duration_ms` DEFAULT 0,
    `body` String `json:$.body` CODEC(ZSTD(3))

ENGINE MergeTree
ENGINE_PARTITION_KEY toYYYYMM(timestamp)
ENGINE_SORTING_KEY timestamp
ENGINE_TTL toDateTime(timestamp) + toIntervalDay(90)
"
    );
}

/// `ReplacingMergeTree` with `ENGINE_VER`, settings, a raw type and an explicit JSON path.
#[derive(Serialize, Datasource)]
#[tinybird(
    name = "user_profiles",
    engine = "ReplacingMergeTree",
    sorting_key = "user_id",
    ver = "updated_at",
    settings = "index_granularity = 8192"
)]
#[allow(dead_code)]
struct Profile {
    user_id: u64,
    #[tinybird(type = "DateTime('UTC')")]
    updated_at: String,
    #[tinybird(json_path = "$.profile.email")]
    email: String,
    #[tinybird(type = "Array(LowCardinality(String))")]
    roles: Vec<String>,
}

#[test]
fn replacing_merge_tree_datafile() {
    assert_eq!(
        Profile::datafile(),
        "\
SCHEMA >
    `user_id` UInt64 `json:$.user_id`,
    `updated_at` DateTime('UTC') `json:$.updated_at`,
    `email` String `json:$.profile.email`,
    `roles` Array(LowCardinality(String)) `json:$.roles[:]`

ENGINE ReplacingMergeTree
ENGINE_SETTINGS index_granularity = 8192
ENGINE_SORTING_KEY user_id
ENGINE_VER updated_at
"
    );
}

/// A storefront's orders: `low_cardinality` goes inside arrays (ClickHouse has no `LowCardinality` of an
/// array) and outside `Nullable`; hand-written types pass their compile-time check.
#[derive(Serialize, Datasource)]
#[tinybird(name = "shop_orders", sorting_key = "store, placed_at")]
#[allow(dead_code)]
struct ShopOrder {
    order_id: String,
    #[tinybird(low_cardinality)]
    store: String,
    #[tinybird(low_cardinality)]
    tags: Vec<String>,
    #[tinybird(low_cardinality)]
    coupon: Option<String>,
    #[tinybird(low_cardinality)]
    gift_notes: Vec<Vec<Option<String>>>,
    #[tinybird(type = "Enum8('web' = 1, 'store' = 2)")]
    channel: String,
    #[tinybird(type = "FixedString(2)")]
    country: String,
    #[tinybird(type = "DateTime64(3, 'UTC')")]
    placed_at: chrono::DateTime<chrono::Utc>,
    #[tinybird(type = "Map(LowCardinality(String), UInt32)")]
    units_by_sku: HashMap<String, u16>,
    quantities: Vec<u16>,
}

#[test]
fn low_cardinality_inside_arrays_datafile() {
    assert_eq!(
        ShopOrder::datafile(),
        "\
SCHEMA >
    `order_id` String `json:$.order_id`,
    `store` LowCardinality(String) `json:$.store`,
    `tags` Array(LowCardinality(String)) `json:$.tags[:]`,
    `coupon` LowCardinality(Nullable(String)) `json:$.coupon`,
    `gift_notes` Array(Array(LowCardinality(Nullable(String)))) `json:$.gift_notes[:]`,
    `channel` Enum8('web' = 1, 'store' = 2) `json:$.channel`,
    `country` FixedString(2) `json:$.country`,
    `placed_at` DateTime64(3, 'UTC') `json:$.placed_at`,
    `units_by_sku` Map(LowCardinality(String), UInt32) `json:$.units_by_sku`,
    `quantities` Array(UInt16) `json:$.quantities[:]`

ENGINE MergeTree
ENGINE_SORTING_KEY store, placed_at
"
    );
}

/// A `FORWARD_QUERY` block after the engine, its SQL's common indentation removed, its nesting kept.
#[derive(Serialize, Datasource)]
#[tinybird(
    name = "page_views",
    engine = "ReplacingMergeTree",
    sorting_key = "view_id",
    forward_query = "
        SELECT
            path,
            concat(
                'legacy:', hex(cityHash64(path))
            ) AS view_id
    "
)]
#[allow(dead_code)]
struct MigratedView {
    path: String,
    view_id: String,
}

#[test]
fn forward_query_datafile() {
    assert_eq!(
        MigratedView::datafile(),
        "\
SCHEMA >
    `path` String `json:$.path`,
    `view_id` String `json:$.view_id`

ENGINE ReplacingMergeTree
ENGINE_SORTING_KEY view_id

FORWARD_QUERY >
    SELECT
        path,
        concat(
            'legacy:', hex(cityHash64(path))
        ) AS view_id
"
    );
    assert_eq!(
        MigratedView::schema().forward_query.map(str::trim_start),
        Some(
            "SELECT\n            path,\n            concat(\n                'legacy:', hex(cityHash64(path))\n            ) AS view_id\n    "
        )
    );
}

/// Column names are the keys serde sends: `rename_all`, then a field's own `rename` wins.
#[derive(Serialize, Datasource)]
#[serde(rename_all = "camelCase")]
#[tinybird(sorting_key = "sessionId, ts")]
#[allow(dead_code)]
struct RenamedEvent {
    session_id: String,
    #[serde(rename = "ts")]
    event_timestamp: i64,
    #[serde(rename(serialize = "kind", deserialize = "type"))]
    event_kind: String,
    cache_read_tokens: u64,
}

#[test]
fn renamed_columns_datafile() {
    assert_eq!(
        RenamedEvent::datafile(),
        "\
SCHEMA >
    `sessionId` String `json:$.sessionId`,
    `ts` Int64 `json:$.ts`,
    `kind` String `json:$.kind`,
    `cacheReadTokens` UInt64 `json:$.cacheReadTokens`

ENGINE MergeTree
ENGINE_SORTING_KEY sessionId, ts
"
    );
    // The columns are exactly the keys of the JSON the row serializes to.
    let row = RenamedEvent {
        session_id: "s".into(),
        event_timestamp: 1,
        event_kind: "k".into(),
        cache_read_tokens: 2,
    };
    let json = serde_json::to_value(&row).unwrap();
    // As sets: serde_json keeps key order only with its `preserve_order` feature, which another
    // workspace member turns on.
    let mut keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    let mut columns: Vec<&str> = RenamedEvent::schema()
        .columns
        .iter()
        .map(|c| c.name)
        .collect();
    columns.sort_unstable();
    assert_eq!(keys, columns);
}

/// Every serde case rule reaches the column names.
#[test]
fn rename_all_rules() {
    #[derive(Serialize, Datasource)]
    #[serde(rename_all = "SCREAMING-KEBAB-CASE")]
    #[allow(dead_code)]
    struct Kebab {
        cache_read_tokens: u64,
    }
    #[derive(Serialize, Datasource)]
    #[serde(rename_all(serialize = "PascalCase"))]
    #[allow(dead_code)]
    struct Pascal {
        cache_read_tokens: u64,
    }
    assert_eq!(Kebab::schema().columns[0].name, "CACHE-READ-TOKENS");
    assert_eq!(Pascal::schema().columns[0].name, "CacheReadTokens");
}

/// Skipped fields (serde `skip`, `skip_serializing`, `#[tinybird(skip)]`) are not columns, and need no
/// `ColumnType`; the others keep field order.
#[derive(Serialize, Datasource)]
#[allow(dead_code)]
struct WithSkips {
    b: bool,
    #[serde(skip)]
    cache: std::cell::Cell<u8>,
    a: i8,
    #[serde(skip_serializing)]
    internal: u8,
    #[tinybird(skip)]
    extra: BTreeMap<String, f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    maybe: Option<f32>,
    r#type: String,
}

#[test]
fn expansion_name_order_and_skips() {
    assert_eq!(WithSkips::NAME, "with_skips");
    let schema = WithSkips::schema();
    assert_eq!(schema.name, "with_skips");
    assert_eq!(schema.description, None);
    assert_eq!(
        schema.columns,
        vec![
            Column::new("b", ChType::Bool),
            Column::new("a", ChType::Int8),
            Column::new("maybe", ChType::Nullable(Box::new(ChType::Float32))),
            Column::new("type", ChType::String),
        ]
    );
    assert_eq!(schema.engine, Engine::default());
    assert_eq!(PageView::NAME, "page_view");
    assert_eq!(Profile::NAME, "user_profiles");
    assert_eq!(Profile::schema().name, "user_profiles");
}

/// Field attributes land in the model as written.
#[test]
fn expansion_field_attributes() {
    let columns = Profile::schema().columns;
    assert_eq!(columns[1].ty, ChType::Raw("DateTime('UTC')".into()));
    assert_eq!(columns[2].json_path, Some("$.profile.email"));
    let columns = PageView::schema().columns;
    assert_eq!(
        columns[2].ty,
        ChType::LowCardinality(Box::new(ChType::Nullable(Box::new(ChType::String))))
    );
    assert_eq!(columns[5].default, Some("0"));
    assert_eq!(columns[6].codec, Some("ZSTD(3)"));
    let engine = Profile::schema().engine;
    assert_eq!(engine.kind, Some("ReplacingMergeTree"));
    assert_eq!(engine.ver, Some("updated_at"));
    assert_eq!(engine.settings, Some("index_granularity = 8192"));
}

/// A type alias resolves through `ColumnType`, and generics work with a bound.
#[test]
fn aliases_and_generics() {
    type Count = u64;
    #[derive(Serialize, Datasource)]
    #[allow(dead_code)]
    struct Counted<T: atel_sdk::ColumnType + Serialize> {
        n: Count,
        value: T,
    }
    let columns = <Counted<i16>>::schema().columns;
    assert_eq!(columns[0].ty, ChType::UInt64);
    assert_eq!(columns[1].ty, ChType::Int16);
    assert_eq!(<Counted<i16>>::NAME, "counted");
}

/// The OpenTelemetry template's needs, in general form: column names apart from JSON keys, a second column of a
/// key, `DateTime64(P[, tz])` and `DateTime` from chrono types, `LowCardinality` map keys (also inside
/// arrays), codec lists, `DEFAULT`, `INDEXES`, `ENGINE_SETTINGS` and `TOKEN`s.
#[derive(Serialize, Datasource)]
#[tinybird(
    name = "spans",
    token = "SPANS_APPEND APPEND",
    token = "SPANS_READ READ",
    partition_key = "toDate(Start)",
    sorting_key = "Service, Attrs, toUnixTimestamp64Nano(Start)",
    settings = "index_granularity=8192",
    index = "idx_attr_key mapKeys(Attrs) TYPE bloom_filter(0.01) GRANULARITY 1",
    index = "idx_body lower(body) TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 8"
)]
#[allow(dead_code)]
struct Span {
    #[serde(with = "atel_sdk::client::de::DateTime64::<9>")]
    #[tinybird(column = "Start", datetime64(9), codec = "Delta(8), ZSTD(1)")]
    start_time: chrono::DateTime<chrono::Utc>,
    #[serde(skip)]
    #[tinybird(column = "StartSecond", datetime, json_path = "$.start_time")]
    start_second: std::marker::PhantomData<chrono::DateTime<chrono::Utc>>,
    #[tinybird(column = "Local", datetime64(6, "Europe/Madrid"))]
    local: Option<chrono::NaiveDateTime>,
    #[tinybird(column = "Service", default = "'unknown'", codec = "ZSTD(1)")]
    service_name: String,
    #[tinybird(column = "Attrs", low_cardinality_keys)]
    attributes: BTreeMap<String, String>,
    #[serde(with = "atel_sdk::client::de::DateTime64::<9>")]
    #[tinybird(column = "EventsAt", datetime64(9))]
    events_at: Vec<chrono::DateTime<chrono::Utc>>,
    #[tinybird(column = "EventsAttrs", low_cardinality_keys)]
    events_attributes: Vec<HashMap<String, String>>,
    #[tinybird(column = "EventsName", low_cardinality, codec = "ZSTD(1)")]
    events_name: Vec<String>,
    #[tinybird(column = "Min")]
    min: Option<f64>,
    #[tinybird(codec = "Delta, ZSTD(1)")]
    is_monotonic: bool,
    body: String,
}

#[test]
fn otel_shaped_datafile() {
    assert_eq!(
        Span::datafile(),
        "\
TOKEN \"SPANS_APPEND\" APPEND
TOKEN \"SPANS_READ\" READ

SCHEMA >
    `Start` DateTime64(9) `json:$.start_time` CODEC(Delta(8), ZSTD(1)),
    `StartSecond` DateTime `json:$.start_time`,
    `Local` Nullable(DateTime64(6, 'Europe/Madrid')) `json:$.local`,
    `Service` String `json:$.service_name` DEFAULT 'unknown' CODEC(ZSTD(1)),
    `Attrs` Map(LowCardinality(String), String) `json:$.attributes`,
    `EventsAt` Array(DateTime64(9)) `json:$.events_at[:]`,
    `EventsAttrs` Array(Map(LowCardinality(String), String)) `json:$.events_attributes[:]`,
    `EventsName` Array(LowCardinality(String)) `json:$.events_name[:]` CODEC(ZSTD(1)),
    `Min` Nullable(Float64) `json:$.min`,
    `is_monotonic` Bool `json:$.is_monotonic` CODEC(Delta, ZSTD(1)),
    `body` String `json:$.body`

INDEXES >
    idx_attr_key mapKeys(Attrs) TYPE bloom_filter(0.01) GRANULARITY 1
    idx_body lower(body) TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 8

ENGINE MergeTree
ENGINE_PARTITION_KEY toDate(Start)
ENGINE_SETTINGS index_granularity=8192
ENGINE_SORTING_KEY Service, Attrs, toUnixTimestamp64Nano(Start)
"
    );
}

/// The derived column is not sent; every other field is, under its JSON key.
#[test]
fn otel_shaped_row_json() {
    use chrono::TimeZone as _;
    let at = chrono::Utc.timestamp_nanos(1_719_158_400_000_000_042);
    let span = Span {
        start_time: at,
        start_second: std::marker::PhantomData,
        local: None,
        service_name: "claude-code".into(),
        attributes: BTreeMap::from([("b".into(), "2".into()), ("a".into(), "1".into())]),
        events_at: vec![at],
        events_attributes: vec![HashMap::new()],
        events_name: vec!["retry".into()],
        min: Some(0.5),
        is_monotonic: true,
        body: String::new(),
    };
    assert_eq!(
        serde_json::to_string(&span).unwrap(),
        r#"{"start_time":"2024-06-23 16:00:00.000000042","local":null,"service_name":"claude-code","attributes":{"a":"1","b":"2"},"events_at":["2024-06-23 16:00:00.000000042"],"events_attributes":[{}],"events_name":["retry"],"min":0.5,"is_monotonic":true,"body":""}"#
    );
}
