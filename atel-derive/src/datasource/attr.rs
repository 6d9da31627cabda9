//! The `#[tinybird(...)]` grammar on the struct and its fields, and the `#[serde(...)]` keys that change
//! which JSON keys are sent (`rename`, `rename_all`, `skip`, `skip_serializing`, `flatten`).
//!
//! Every problem goes to the [`Ctxt`] on the narrowest span (the key for an unknown or duplicate key,
//! the literal for a bad value) and parsing goes on, so one compile reports them all.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, LitInt, LitStr, Token};

use super::case::RenameRule;
use super::chtype::{self, Ty};
use super::clause::{
    check_aggregate_function, check_codec, check_index_type, check_simple_aggregate_function,
};
use super::connector::Connector;
use crate::ctxt::Ctxt;
use crate::meta::{
    Grammar, flag_value, is_resource_name, key_name, list, list_value, skip_value, string_value,
};

/// The engines Tinybird accepts in `ENGINE`.
pub(crate) const ENGINES: &[&str] = &[
    "MergeTree",
    "ReplacingMergeTree",
    "SummingMergeTree",
    "AggregatingMergeTree",
    "CollapsingMergeTree",
    "VersionedCollapsingMergeTree",
    "Null",
];

/// `#[tinybird(...)]` on the struct.
const CONTAINER: Grammar = Grammar {
    what: "tinybird attribute",
    keys: &[
        "name",
        "description",
        "engine",
        "sorting_key",
        "partition_key",
        "ttl",
        "ver",
        "is_deleted",
        "primary_key",
        "sampling_key",
        "sign",
        "version",
        "summing_columns",
        "settings",
        "forward_query",
        "index",
        "token",
        "kafka",
        "import",
    ],
};

/// `#[tinybird(...)]` on a field.
const FIELD: Grammar = Grammar {
    what: "tinybird field attribute",
    keys: &[
        "column",
        "type",
        "low_cardinality",
        "low_cardinality_keys",
        "decimal",
        "datetime64",
        "datetime",
        "date32",
        "fixed_string",
        "aggregate",
        "simple_aggregate",
        "json_path",
        "default",
        "codec",
        "skip",
    ],
};

/// `#[tinybird(...)]` and `#[serde(...)]` on the struct.
#[derive(Default)]
pub(crate) struct Container {
    pub(crate) name: Option<LitStr>,
    pub(crate) description: Option<LitStr>,
    pub(crate) engine: Option<LitStr>,
    pub(crate) sorting_key: Option<LitStr>,
    pub(crate) partition_key: Option<LitStr>,
    pub(crate) ttl: Option<LitStr>,
    pub(crate) ver: Option<LitStr>,
    /// `ENGINE_IS_DELETED` (`ReplacingMergeTree` with `ver`): the `UInt8` column marking a deleted row.
    pub(crate) is_deleted: Option<LitStr>,
    /// `ENGINE_PRIMARY_KEY`: a prefix of the sorting key.
    pub(crate) primary_key: Option<LitStr>,
    /// `ENGINE_SAMPLING_KEY`.
    pub(crate) sampling_key: Option<LitStr>,
    /// `ENGINE_SIGN` (`CollapsingMergeTree`, `VersionedCollapsingMergeTree`).
    pub(crate) sign: Option<LitStr>,
    /// `ENGINE_VERSION` (`VersionedCollapsingMergeTree`).
    pub(crate) version: Option<LitStr>,
    /// `ENGINE_COLUMNS` (`SummingMergeTree`): the columns summed.
    pub(crate) summing_columns: Option<LitStr>,
    pub(crate) settings: Option<LitStr>,
    /// `FORWARD_QUERY`: how a deployment migrates the live rows into a changed schema.
    pub(crate) forward_query: Option<LitStr>,
    /// `index = "..."`, in order; the invalid ones (reported) are left out.
    pub(crate) indexes: Vec<Index>,
    /// `token = "NAME APPEND"`, in order: (name, permission); the invalid ones are left out.
    pub(crate) tokens: Vec<(LitStr, String, String)>,
    /// `kafka(...)` or `import(...)`: Tinybird ingests the datasource on its own.
    pub(crate) connector: Option<Connector>,
    /// `#[serde(rename_all = "...")]` (its `serialize` half); unknown rules are left to serde to report.
    pub(crate) rename_all: Option<RenameRule>,
}

/// `#[tinybird(...)]` and `#[serde(...)]` on a field.
#[derive(Default)]
pub(crate) struct Field {
    /// `column = "..."`: the column name, when it is not the JSON key (which names the JSON path).
    pub(crate) column: Option<LitStr>,
    pub(crate) ty: Option<LitStr>,
    /// `ty` parsed; `None` when it is absent or did not parse (reported).
    pub(crate) raw_type: Option<Ty>,
    pub(crate) low_cardinality: Option<TokenStream>,
    /// `low_cardinality_keys`: the keys of the field's maps are `LowCardinality`.
    pub(crate) low_cardinality_keys: Option<TokenStream>,
    /// `decimal(P, S)`: the precision and scale of the field's `Decimal`.
    pub(crate) decimal: Option<Decimal>,
    /// `datetime64(P[, "tz"])`: the precision (and time zone) of the field's date-times.
    pub(crate) datetime64: Option<DateTime64>,
    /// `datetime`: the field's date-times are `DateTime` (seconds).
    pub(crate) datetime: Option<TokenStream>,
    /// `date32`: the field's dates are `Date32`.
    pub(crate) date32: Option<TokenStream>,
    /// `fixed_string(N)`: the field's strings are `FixedString(N)`.
    pub(crate) fixed_string: Option<LitInt>,
    /// `aggregate = "f"`: the function of an `AggregateState` field.
    pub(crate) aggregate: Option<LitStr>,
    /// `simple_aggregate = "f"`: the column is `SimpleAggregateFunction(f, T)`.
    pub(crate) simple_aggregate: Option<LitStr>,
    pub(crate) json_path: Option<LitStr>,
    pub(crate) default: Option<LitStr>,
    pub(crate) codec: Option<LitStr>,
    pub(crate) skip: Option<TokenStream>,
    /// `#[serde(rename = "...")]` (its `serialize` half).
    pub(crate) serde_rename: Option<LitStr>,
    /// `#[serde(skip)]` or `#[serde(skip_serializing)]`: serde never sends the key.
    pub(crate) serde_skip: bool,
    /// `#[serde(flatten)]`: the keys come from another type, which a derive cannot see.
    pub(crate) serde_flatten: Option<TokenStream>,
}

/// The arguments of `decimal(P, S)`.
pub(crate) struct Decimal {
    pub(crate) precision_lit: LitInt,
    pub(crate) scale_lit: LitInt,
    /// 1 to 76 once validated.
    pub(crate) precision: u8,
    /// At most `precision` once validated.
    pub(crate) scale: u8,
}

impl Parse for Decimal {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let precision_lit: LitInt = input.parse()?;
        input.parse::<Token![,]>()?;
        let scale_lit: LitInt = input.parse()?;
        if input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
        }
        Ok(Self {
            precision: precision_lit.base10_parse().unwrap_or(0),
            scale: scale_lit.base10_parse().unwrap_or(u8::MAX),
            precision_lit,
            scale_lit,
        })
    }
}

/// The arguments of `datetime64(P[, "tz"])`.
pub(crate) struct DateTime64 {
    pub(crate) precision_lit: LitInt,
    /// 0 to 9 once validated.
    pub(crate) precision: u8,
    pub(crate) timezone: Option<LitStr>,
}

impl Parse for DateTime64 {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let precision_lit: LitInt = input.parse()?;
        let mut timezone = None;
        if input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
            if !input.is_empty() {
                timezone = Some(input.parse()?);
                if input.peek(Token![,]) {
                    input.parse::<Token![,]>()?;
                }
            }
        }
        Ok(Self {
            precision: precision_lit.base10_parse().unwrap_or(u8::MAX),
            precision_lit,
            timezone,
        })
    }
}

/// `index = "name expr TYPE type GRANULARITY n"`: one `INDEXES` line, as the datafile writes it.
///
/// One string per index, not `index(name = .., type = ..)`: clippy's `duplicated_attributes` would
/// flag two indexes of the same type as a repeated `type = ".."` in the user's code.
pub(crate) struct Index {
    pub(crate) lit: LitStr,
    pub(crate) name: String,
    pub(crate) expr: String,
    pub(crate) kind: String,
    pub(crate) granularity: u32,
}

impl Index {
    fn from_lit(cx: &mut Ctxt, lit: LitStr) -> Option<Self> {
        match parse_index(&lit.value()) {
            Ok((name, expr, kind, granularity)) => Some(Self {
                lit,
                name,
                expr,
                kind,
                granularity,
            }),
            Err(message) => {
                cx.error_spanned_by(&lit, message);
                None
            }
        }
    }
}

/// `OTEL_TINYBIRD_TOKEN APPEND` → the token's name and permission, checked.
fn parse_token(text: &str) -> Result<(String, String), String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let [name, permission] = words.as_slice() else {
        return Err(format!(
            "invalid token `{text}`, expected `NAME APPEND` or `NAME READ`, e.g. \
             `OTEL_TINYBIRD_TOKEN APPEND`"
        ));
    };
    if !is_resource_name(name) {
        return Err(format!(
            "invalid token name `{name}`, expected letters, digits and underscores, starting with a \
             letter or an underscore"
        ));
    }
    if !matches!(*permission, "APPEND" | "READ") {
        return Err(format!(
            "unknown token permission `{permission}`, expected `APPEND` or `READ`"
        ));
    }
    Ok(((*name).to_owned(), (*permission).to_owned()))
}

/// `idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1` → its four parts, checked.
fn parse_index(text: &str) -> Result<(String, String, String, u32), String> {
    const SHAPE: &str = "expected `name expr TYPE type GRANULARITY n`, e.g. \
                         `idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1`";
    let words: Vec<&str> = text.split_whitespace().collect();
    let position = |keyword: &str| {
        words
            .iter()
            .rposition(|word| word.eq_ignore_ascii_case(keyword))
    };
    let (Some(type_at), Some(granularity_at)) = (position("TYPE"), position("GRANULARITY")) else {
        return Err(format!("invalid index `{text}`: {SHAPE}"));
    };
    if type_at < 2 || granularity_at < type_at + 2 || granularity_at + 2 != words.len() {
        return Err(format!("invalid index `{text}`: {SHAPE}"));
    }
    let name = words[0];
    if !is_resource_name(name) {
        return Err(format!(
            "invalid index name `{name}`, expected letters, digits and underscores, starting with a \
             letter or an underscore"
        ));
    }
    let kind = words[type_at + 1..granularity_at].join(" ");
    check_index_type(&kind)?;
    let granularity = match words[granularity_at + 1].parse::<u32>() {
        Ok(n) if n > 0 => n,
        _ => {
            return Err(format!(
                "the `GRANULARITY` of an index is a whole number from 1, found `{}`",
                words[granularity_at + 1]
            ));
        }
    };
    Ok((
        name.to_owned(),
        words[1..type_at].join(" "),
        kind,
        granularity,
    ))
}

impl Container {
    pub(crate) fn from_ast(cx: &mut Ctxt, attrs: &[Attribute]) -> Self {
        let mut this = Self::default();
        for attr in attrs {
            if attr.path().is_ident("tinybird") {
                let result = attr.parse_nested_meta(|meta| {
                    let slot = match key_name(&meta.path).as_str() {
                        "name" => &mut this.name,
                        "description" => &mut this.description,
                        "engine" => &mut this.engine,
                        "sorting_key" => &mut this.sorting_key,
                        "partition_key" => &mut this.partition_key,
                        "ttl" => &mut this.ttl,
                        "ver" => &mut this.ver,
                        "is_deleted" => &mut this.is_deleted,
                        "primary_key" => &mut this.primary_key,
                        "sampling_key" => &mut this.sampling_key,
                        "sign" => &mut this.sign,
                        "version" => &mut this.version,
                        "summing_columns" => &mut this.summing_columns,
                        "settings" => &mut this.settings,
                        "forward_query" => &mut this.forward_query,
                        "index" => {
                            if let Some(lit) = string_value(cx, &meta)?
                                && let Some(index) = Index::from_lit(cx, lit)
                            {
                                this.indexes.push(index);
                            }
                            return Ok(());
                        }
                        "token" => {
                            if let Some(lit) = string_value(cx, &meta)? {
                                match parse_token(&lit.value()) {
                                    Ok((name, permission)) => {
                                        this.tokens.push((lit, name, permission));
                                    }
                                    Err(message) => cx.error_spanned_by(&lit, message),
                                }
                            }
                            return Ok(());
                        }
                        key @ ("kafka" | "import") => {
                            if let Some(connector) = Connector::from_ast(cx, &meta, key == "kafka")?
                            {
                                match &this.connector {
                                    Some(first) => cx.error_spanned_by(
                                        &meta.path,
                                        format!(
                                            "a datasource is fed by one connector: `{}(...)` is \
                                             set already",
                                            first.kind
                                        ),
                                    ),
                                    None => this.connector = Some(connector),
                                }
                            }
                            return Ok(());
                        }
                        _ => return CONTAINER.unknown_key(cx, &meta),
                    };
                    CONTAINER.read(cx, &meta, slot, string_value)
                });
                if let Err(error) = result {
                    cx.syn_error(error);
                }
            } else if attr.path().is_ident("serde") {
                // Only the keys that change the JSON keys; serde reports mistakes in its own attribute.
                let _ = attr.parse_nested_meta(|meta| {
                    if meta.path.is_ident("rename_all") {
                        if let Some(rule) = serialize_half(&meta)? {
                            this.rename_all = RenameRule::from_name(&rule.value());
                        }
                    } else {
                        skip_value(&meta)?;
                    }
                    Ok(())
                });
            }
        }
        this.validate(cx);
        this
    }

    /// Rules about one value alone; rules across attributes and columns live in `check.rs`.
    fn validate(&self, cx: &mut Ctxt) {
        if let Some(name) = &self.name {
            let value = name.value();
            if value.is_empty() {
                cx.error_spanned_by(name, "datasource name cannot be empty");
            } else if !is_resource_name(&value) {
                cx.error_spanned_by(
                    name,
                    format!(
                        "invalid datasource name `{value}`, expected letters, digits and underscores, \
                         starting with a letter or an underscore"
                    ),
                );
            }
        }
        if let Some(engine) = &self.engine {
            let value = engine.value();
            if !ENGINES.contains(&value.as_str()) {
                cx.error_spanned_by(
                    engine,
                    format!(
                        "unknown engine `{value}`, expected one of {}",
                        list(ENGINES)
                    ),
                );
            }
        }
        for (key, value) in [
            ("sorting_key", &self.sorting_key),
            ("partition_key", &self.partition_key),
            ("ttl", &self.ttl),
            ("ver", &self.ver),
            ("is_deleted", &self.is_deleted),
            ("primary_key", &self.primary_key),
            ("sampling_key", &self.sampling_key),
            ("sign", &self.sign),
            ("version", &self.version),
            ("summing_columns", &self.summing_columns),
            ("settings", &self.settings),
            ("forward_query", &self.forward_query),
        ] {
            if let Some(lit) = value
                && lit.value().trim().is_empty()
            {
                cx.error_spanned_by(lit, format!("`{key}` cannot be empty"));
            }
        }
        let mut tokens = std::collections::HashSet::new();
        for (lit, name, _) in &self.tokens {
            if !tokens.insert(name) {
                cx.error_spanned_by(lit, format!("duplicate token `{name}`"));
            }
        }
        let mut names = std::collections::HashSet::new();
        for index in &self.indexes {
            if !names.insert(index.name.clone()) {
                cx.error_spanned_by(&index.lit, format!("duplicate index `{}`", index.name));
            }
        }
        if let Some(query) = &self.forward_query {
            let text = query.value();
            let starts_with_select = text
                .trim_start()
                .get(..6)
                .is_some_and(|head| head.eq_ignore_ascii_case("select"));
            if !text.trim().is_empty() && !starts_with_select {
                cx.error_spanned_by(
                    query,
                    "`forward_query` must be a `SELECT` list over the live datasource's columns, \
                     without `FROM` (Tinybird runs it over the live rows)",
                );
            }
        }
    }
}

impl Field {
    pub(crate) fn from_ast(cx: &mut Ctxt, attrs: &[Attribute]) -> Self {
        let mut this = Self::default();
        for attr in attrs {
            if attr.path().is_ident("tinybird") {
                let result = attr.parse_nested_meta(|meta| {
                    let slot = match key_name(&meta.path).as_str() {
                        "column" => &mut this.column,
                        "type" => &mut this.ty,
                        "json_path" => &mut this.json_path,
                        "default" => &mut this.default,
                        "codec" => &mut this.codec,
                        "aggregate" => &mut this.aggregate,
                        "simple_aggregate" => &mut this.simple_aggregate,
                        "date32" => {
                            return FIELD.read(cx, &meta, &mut this.date32, flag_value);
                        }
                        "fixed_string" => {
                            return FIELD.read(cx, &meta, &mut this.fixed_string, |cx, meta| {
                                list_value(cx, meta, "3", "a length in bytes")
                            });
                        }
                        "low_cardinality" => {
                            return FIELD.read(cx, &meta, &mut this.low_cardinality, flag_value);
                        }
                        "low_cardinality_keys" => {
                            return FIELD.read(
                                cx,
                                &meta,
                                &mut this.low_cardinality_keys,
                                flag_value,
                            );
                        }
                        "datetime" => {
                            return FIELD.read(cx, &meta, &mut this.datetime, flag_value);
                        }
                        "datetime64" => {
                            return FIELD.read(cx, &meta, &mut this.datetime64, |cx, meta| {
                                list_value(cx, meta, "9", "a precision and an optional time zone")
                            });
                        }
                        "skip" => return FIELD.read(cx, &meta, &mut this.skip, flag_value),
                        "decimal" => {
                            return FIELD.read(cx, &meta, &mut this.decimal, |cx, meta| {
                                list_value(cx, meta, "20, 2", "a precision and a scale")
                            });
                        }
                        _ => return FIELD.unknown_key(cx, &meta),
                    };
                    FIELD.read(cx, &meta, slot, string_value)
                });
                if let Err(error) = result {
                    cx.syn_error(error);
                }
            } else if attr.path().is_ident("serde") {
                let _ = attr.parse_nested_meta(|meta| {
                    if meta.path.is_ident("rename") {
                        if let Some(rename) = serialize_half(&meta)? {
                            this.serde_rename = Some(rename);
                        }
                    } else if meta.path.is_ident("skip") || meta.path.is_ident("skip_serializing") {
                        this.serde_skip = true;
                    } else if meta.path.is_ident("flatten") {
                        this.serde_flatten = Some(meta.path.to_token_stream());
                    } else {
                        skip_value(&meta)?;
                    }
                    Ok(())
                });
            }
        }
        this.validate(cx);
        this
    }

    fn validate(&mut self, cx: &mut Ctxt) {
        if let Some(lit) = &self.ty
            && !lit.value().trim().is_empty()
        {
            match chtype::parse(&lit.value()) {
                Ok(ty) => self.raw_type = Some(ty),
                Err(message) => cx.error_spanned_by(lit, message),
            }
            if let Some(flag) = &self.low_cardinality {
                cx.error_spanned_by(
                    flag,
                    "`low_cardinality` and `type` both set the type, write `LowCardinality(...)` in \
                     `type`",
                );
            }
            if let Some(decimal) = &self.decimal {
                cx.error_spanned_by(
                    &decimal.precision_lit,
                    "`decimal` and `type` both set the type, write `Decimal(P, S)` in `type`",
                );
            }
            if let Some(flag) = &self.low_cardinality_keys {
                cx.error_spanned_by(
                    flag,
                    "`low_cardinality_keys` and `type` both set the type, write \
                     `Map(LowCardinality(String), ...)` in `type`",
                );
            }
            if let Some(datetime64) = &self.datetime64 {
                cx.error_spanned_by(
                    &datetime64.precision_lit,
                    "`datetime64` and `type` both set the type, write `DateTime64(P)` in `type`",
                );
            }
            if let Some(flag) = &self.datetime {
                cx.error_spanned_by(
                    flag,
                    "`datetime` and `type` both set the type, write `DateTime` in `type`",
                );
            }
            if let Some(flag) = &self.date32 {
                cx.error_spanned_by(
                    flag,
                    "`date32` and `type` both set the type, write `Date32` in `type`",
                );
            }
            if let Some(n) = &self.fixed_string {
                cx.error_spanned_by(
                    n,
                    "`fixed_string` and `type` both set the type, write `FixedString(N)` in `type`",
                );
            }
            if let Some(function) = &self.aggregate {
                cx.error_spanned_by(
                    function,
                    "`aggregate` and `type` both set the type, write `AggregateFunction(f, T)` in \
                     `type`",
                );
            }
            if let Some(function) = &self.simple_aggregate {
                cx.error_spanned_by(
                    function,
                    "`simple_aggregate` and `type` both set the type, write \
                     `SimpleAggregateFunction(f, T)` in `type`",
                );
            }
        }
        if let (Some(_), Some(simple)) = (&self.aggregate, &self.simple_aggregate) {
            cx.error_spanned_by(
                simple,
                "`aggregate` and `simple_aggregate` both set the column's function, keep one",
            );
        }
        if let Some(function) = &self.aggregate
            && let Err(message) = check_aggregate_function(&function.value())
        {
            cx.error_spanned_by(function, message);
        }
        if let Some(function) = &self.simple_aggregate
            && let Err(message) = check_simple_aggregate_function(&function.value())
        {
            cx.error_spanned_by(function, message);
        }
        if let Some(n) = &self.fixed_string
            && !n.base10_parse::<u32>().is_ok_and(|n| n > 0)
        {
            cx.error_spanned_by(
                n,
                "a `FixedString` length is a whole number of bytes from 1",
            );
        }
        if let (Some(flag), Some(_)) = (&self.datetime, &self.datetime64) {
            cx.error_spanned_by(
                flag,
                "`datetime` and `datetime64` both set the date-time type, keep one",
            );
        }
        if let Some(datetime64) = &self.datetime64 {
            if datetime64.precision > 9 {
                cx.error_spanned_by(
                    &datetime64.precision_lit,
                    "a `DateTime64` precision is from 0 to 9 digits after the second",
                );
            }
            if let Some(tz) = &datetime64.timezone
                && tz.value().trim().is_empty()
            {
                cx.error_spanned_by(tz, "the time zone cannot be empty, e.g. `\"UTC\"`");
            }
        }
        if let Some(codec) = &self.codec
            && !codec.value().trim().is_empty()
            && let Err(message) = check_codec(&codec.value())
        {
            cx.error_spanned_by(codec, message);
        }
        if let Some(decimal) = &self.decimal {
            if !(1..=76).contains(&decimal.precision) {
                cx.error_spanned_by(
                    &decimal.precision_lit,
                    "a `Decimal` precision is from 1 to 76 digits",
                );
            } else if decimal.scale > decimal.precision {
                cx.error_spanned_by(
                    &decimal.scale_lit,
                    format!(
                        "the scale cannot be larger than the precision ({})",
                        decimal.precision
                    ),
                );
            }
        }
        for (key, value) in [
            ("column", &self.column),
            ("type", &self.ty),
            ("default", &self.default),
            ("codec", &self.codec),
        ] {
            if let Some(lit) = value
                && lit.value().trim().is_empty()
            {
                cx.error_spanned_by(lit, format!("`{key}` cannot be empty"));
            }
        }
        if let Some(path) = &self.json_path
            && !path.value().starts_with('$')
        {
            cx.error_spanned_by(
                path,
                format!("`json_path` must start with `$`, e.g. `$.{}`", path.value()),
            );
        }
    }
}

/// `key = "x"` or `key(serialize = "x", deserialize = "y")`: the name used when serializing.
pub(crate) fn serialize_half(meta: &ParseNestedMeta<'_>) -> syn::Result<Option<LitStr>> {
    if meta.input.peek(Token![=]) {
        return Ok(Some(meta.value()?.parse()?));
    }
    let mut serialize = None;
    meta.parse_nested_meta(|inner| {
        if inner.path.is_ident("serialize") {
            serialize = Some(inner.value()?.parse()?);
        } else {
            skip_value(&inner)?;
        }
        Ok(())
    })?;
    Ok(serialize)
}
