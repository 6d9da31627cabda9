//! Derive macros for `atel-sdk`. Use them through `atel_sdk`, which re-exports them.

use proc_macro::TokenStream;

mod assertion;
mod ctxt;
mod datasource;
mod enumeration;
mod meta;
mod pipe;

/// Derives `atel_sdk::Datasource` for a row struct: one column per field, named by the JSON key serde
/// sends for it.
///
/// On the struct, `#[tinybird(...)]` takes string values: `name` (default: the struct name in
/// `snake_case`), `description`, `engine` (`MergeTree`, `ReplacingMergeTree`, `SummingMergeTree`,
/// `AggregatingMergeTree`, `CollapsingMergeTree`, `VersionedCollapsingMergeTree`, `Null`),
/// `sorting_key`, `partition_key`, `ttl`, `primary_key` (a prefix of the sorting key),
/// `sampling_key`, `ver` and `is_deleted` (with `ReplacingMergeTree`), `sign` (with
/// `CollapsingMergeTree` and `VersionedCollapsingMergeTree`, which need it), `version` (with
/// `VersionedCollapsingMergeTree`, which needs it), `summing_columns` (with `SummingMergeTree`),
/// `settings` (`ENGINE_SETTINGS`, e.g. `"index_granularity=8192"`), `forward_query`, and, repeatable,
/// `index = "name expr TYPE type GRANULARITY n"` (an `INDEXES` line: `minmax`, `set(N)`,
/// `bloom_filter[(p)]`, `tokenbf_v1(..)`, `ngrambf_v1(..)`) and `token = "NAME APPEND"` (or `READ`).
/// A datasource Tinybird fills on its own takes one connector: `kafka(connection = "...", topic =
/// "...", group_id = "..."[, auto_offset_reset = "earliest" | "latest"][, store_raw_value]
/// [, store_headers][, key_format = "..."][, value_format = "..."])` (the `KAFKA_*` settings), or
/// `import(connection = "...", bucket_uri = "s3://..." | "gs://...", schedule = "@auto" | "@once" |
/// "@on-demand"[, format = "csv" | "ndjson" | "parquet"][, from_timestamp = "..."])` (the `IMPORT_*`
/// ones); `connection` names a `.connection` of the project (`atel_sdk::connection`).
///
/// On a field: `column = "..."` names the column apart from its JSON key (the JSON path stays the
/// key's), `type = "..."` writes the ClickHouse type by hand (otherwise it comes from the field
/// type's `atel_sdk::ColumnType`), `low_cardinality` dictionary-encodes a string (`LowCardinality(String)`,
/// `LowCardinality(Nullable(String))`, `Array(LowCardinality(String))` for a `Vec<String>`),
/// `low_cardinality_keys` a map's keys (`Map(LowCardinality(String), V)`, also in a `Vec` of maps),
/// `decimal(P, S)` gives a `rust_decimal::Decimal` its precision and scale, `datetime64(P)` /
/// `datetime64(P, "tz")` a chrono date-time its `DateTime64` precision (0 to 9; pair it with
/// `#[serde(with = "atel_sdk::client::de::DateTime64::<P>")]`) and `datetime` makes it `DateTime`,
/// `date32` makes a `chrono::NaiveDate` `Date32`, `fixed_string(N)` a `String` `FixedString(N)`,
/// `aggregate = "f"` (`sum`, `uniq`, `quantiles(0.5, 0.9)`, combinators like `uniqIf`) makes an
/// `atel_sdk::schema::AggregateState<T>` `AggregateFunction(f, T)`, `simple_aggregate = "f"` (`sum`,
/// `max`, `anyLast`, …) makes any column `SimpleAggregateFunction(f, T)`, `json_path = "$..."`, `default = "<expr>"`, `codec = "Delta(8), ZSTD(1)"` (known codecs and
/// levels), and `skip` leaves the field out.
///
/// `#[serde(rename)]`, `#[serde(rename_all)]` (every serde case rule) and `#[serde(skip)]` /
/// `skip_serializing` are honoured: a field serde skips is no column, unless its `json_path` names
/// the key it is read from (a second column of one JSON value; type it `PhantomData<T>`).
/// `#[serde(flatten)]` is rejected. At compile time the derive checks
/// the attributes, that every field type has a `ColumnType` (the error is on the type), that the sorting
/// key, partition key, TTL, `ver` and index expressions name existing columns, that no sorting-key
/// column is `Nullable`, and
/// that column names are unique. On the field's real type (aliases included, see `atel_sdk::shape`):
/// no `Option` of a `Vec`, a map or an `Option` (ClickHouse has no such `Nullable`), `low_cardinality`
/// only on strings, `decimal(P, S)` exactly on decimals. A hand-written `type` is parsed: an unknown
/// type (with the names it is close to), bad arguments (`Decimal(20, 21)`, `DateTime64(10)`), a
/// `Nullable` or `LowCardinality` ClickHouse refuses, and a type that does not round-trip with the
/// field's Rust type (`type = "UInt8"` on a `String`) are errors.
#[proc_macro_derive(Datasource, attributes(tinybird))]
pub fn derive_datasource(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    let expanded =
        datasource::expand(&input).unwrap_or_else(|error| datasource::fallback(&input, &error));
    expanded.into()
}

/// Derives `atel_sdk::ColumnType` and `atel_sdk::param::ParamValue` for a fieldless enum: a ClickHouse
/// `Enum8('name' = 1, ...)` column (`Enum16` when a value needs it, or with `#[tinybird(enum16)]`),
/// sent and read by name, and a pipe param sent by name (`String` template params take it).
///
/// The names are serde's (`#[serde(rename_all)]` and `#[serde(rename)]` honoured), so derive
/// `Serialize` and `Deserialize` beside it. The values are the variants' discriminants when every
/// variant has one (`Paid = 2`), else 1, 2, 3, … in order. A variant with fields, a repeated name or
/// value, or a value out of range is a compile error.
#[proc_macro_derive(Enum, attributes(tinybird))]
pub fn derive_enum(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    let expanded =
        enumeration::expand(&input).unwrap_or_else(|error| enumeration::fallback(&input, &error));
    expanded.into()
}

/// Turns a params struct into a Tinybird pipe: `impl atel_sdk::Pipe` and a typed query method.
///
/// ```text
/// #[pipe(
///     name = "agent_usage",                  // the pipe (and endpoint) name
///     description = "...",                   // optional
///     output = AgentUsageRow,                // one row of the endpoint: `serde::Deserialize`
///     method = "agent_usage",                // optional: the typed method's name (default: `name`)
///     node(name = "base", sql = "..."),      // or `sql_file = "sql/base.sql"` (from CARGO_MANIFEST_DIR)
///     node(name = "endpoint", description = "...", sql = "..."),  // the last node is the endpoint
/// )]
/// struct AgentUsage {
///     #[param(default = 7, description = "...")]  // also `required`, `rename = "..."`
///     days: u16,
///     agent_type: Option<String>,            // optional: left out of the query when `None`
/// }
/// ```
///
/// Every field is a template param. At compile time the macro reads each node's SQL as Tinybird does
/// (`{{ Int32(days, 7) }}`, `{{ Array(ids, 'UInt64') }}`, `{% if defined(x) %}`, `column(x, ...)`,
/// `{{ x }}`) and reports: a param the SQL reads with no field (on the SQL), a field no SQL reads (on
/// the field), a template type that cannot hold the field's type (on the type; the table is in
/// `atel_sdk::param`), defaults that disagree (on the default), an optional field read with no default
/// outside `{% if defined(x) %}`, template SQL without a first `%` line, names Tinybird reserves
/// (`format`, `q`, `token`, Python built-ins, …), template syntax errors, and unknown or missing keys.
///
/// It generates `impl atel_sdk::Pipe` (the schema, the `.pipe` text, the query pairs) and a trait
/// `<Struct>Ext` implemented for `atel_sdk::TinybirdClient` whose method returns a `<Struct>Call`:
/// params the pipe cannot do without (neither `Option` nor defaulted) are the method's arguments,
/// every other param is a setter named after its field, starting from its default; awaiting the call
/// runs it. So `client.agent_usage().days(30).agent_type("Explore").await` returns
/// `Vec<AgentUsageRow>`, and `client.query(&AgentUsage { .. })` does the same from a struct.
///
/// Instead of `output`, a pipe may be `materialized = Target`, `copy(target = Target, schedule = "...",
/// mode = "...")` or `sink(connection = "...", ...)`, where `Target` is a `#[derive(Datasource)]` type
/// (its name comes from the type); those have no typed call. `token = "name"` (repeatable) adds a
/// `TOKEN "name" READ` line.
#[proc_macro_attribute]
pub fn pipe(args: TokenStream, input: TokenStream) -> TokenStream {
    pipe::expand(args.into(), input.into()).into()
}
