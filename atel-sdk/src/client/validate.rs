//! Schema validation of query results, like clickhouse-rs: an answer's `meta` (column names and
//! types) is checked against the row type before any row is decoded, so a missing column or a
//! `String` read into a `u64` is one [`Error::SchemaMismatch`] naming the field and the column
//! instead of a decode error deep in the rows (or none at all until a value does not parse).
//!
//! The row type's side comes from its own `Deserialize` (a recording deserializer drives it): the field names serde reads
//! and the kind of value each asks for. No derive is needed, so any `#[derive(Deserialize)]` output
//! row is checked. What a field accepts:
//!
//! | field                                   | columns it reads                                         |
//! |-----------------------------------------|----------------------------------------------------------|
//! | `bool`                                  | `Bool`                                                   |
//! | `uN`                                    | `UIntM`, M ≤ N                                           |
//! | `iN`                                    | `IntM` for M ≤ N, `UIntM` for M < N                      |
//! | `f32`, `f64`                            | any number: `Float*`, `Int*`, `UInt*`, `Decimal*` (rounded as floats are) |
//! | `String`, and what reads itself from text (`#[serde(with = "…datetime")]`, `NaiveDate`, `Uuid`, unit enums) | `String`, `FixedString`, `Enum*`, `UUID`, `Date*`, `DateTime*`, `IPv4/6` |
//! | `Option<T>`                             | `Nullable(X)` or `X`, where `T` reads `X`                |
//! | `Vec<T>`                                | `Array(X)` where `T` reads `X`; `Tuple`                  |
//! | maps, nested structs                    | `Map(K, V)` (checked inside), `Tuple`, `JSON`, `Object`  |
//! | `Decimal`, `serde_json::Value`, untagged enums (`deserialize_any`) | anything                      |
//!
//! `LowCardinality(X)` and `SimpleAggregateFunction(f, X)` read as `X`; a type this table does not
//! know (`Variant`, `Dynamic`, geo types) is not judged. A non-`Option` field never reads a
//! `Nullable` column (its first `null` would fail), a `String` never reads a 64-bit integer (ClickHouse
//! quotes those or not, depending on a setting) and `u32` never reads `UInt64` (a value past
//! `u32::MAX` would fail). A column the row has no field for is fine (serde skips it); a field with
//! no column is a mismatch unless it is an `Option` or `#[serde(default)]`.

mod chtype;
mod probe;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use serde::Deserialize;
use serde::de::DeserializeOwned;

use self::chtype::ChType;
use self::probe::{Field, Want};
use crate::error::{Error, Result};

/// One column of a query answer's `meta`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
pub struct ColumnMeta {
    /// The column name, the key of the column in every row.
    pub name: String,
    /// The ClickHouse type, as Tinybird writes it (`LowCardinality(String)`, `Nullable(UInt64)`).
    #[serde(rename = "type")]
    pub ty: String,
}

impl ColumnMeta {
    /// A column named `name` of ClickHouse type `ty`.
    pub fn new(name: impl Into<String>, ty: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ty: ty.into(),
        }
    }
}

/// Checks that rows of `columns` decode into `T`: every field has a column of a type it reads (see
/// the [module docs](self)). `context` names the answer in the error, e.g. "pipe `top_pages`".
///
/// This is what [`TinybirdClient::query`](super::TinybirdClient::query) and
/// [`sql`](super::TinybirdClient::sql) run on each answer's `meta` (unless turned off with
/// [`schema_validation`](super::TinybirdClientBuilder::schema_validation)); it is public to check a
/// row type against a datasource's columns too. A `T` that is not a struct with named fields passes.
///
/// ```
/// use atel_sdk::client::{ColumnMeta, check_columns};
///
/// #[derive(serde::Deserialize)]
/// struct TopPage { path: String, views: u32 }
///
/// let columns = [ColumnMeta::new("path", "String"), ColumnMeta::new("views", "UInt64")];
/// let err = check_columns::<TopPage>("pipe `top_pages`", &columns).unwrap_err();
/// assert!(err.to_string().contains("field `views` (u32) cannot read column `views` of type `UInt64`"));
/// ```
pub fn check_columns<T: DeserializeOwned>(context: &str, columns: &[ColumnMeta]) -> Result<()> {
    let Some(fields) = probe::fields::<T>() else {
        return Ok(());
    };
    check(context, std::any::type_name::<T>(), &fields, columns)
}

fn check(
    context: &str,
    row_type: &'static str,
    fields: &[Field],
    columns: &[ColumnMeta],
) -> Result<()> {
    let mut problems = Vec::new();
    for field in fields {
        match columns.iter().find(|column| column.name == field.name) {
            None if field.required => problems.push(format!(
                "field `{}` ({}) has no column",
                field.name, field.want
            )),
            Some(column) if !reads(&field.want, &ChType::parse(&column.ty)) => {
                problems.push(format!(
                    "field `{}` ({}) cannot read column `{}` of type `{}`",
                    field.name, field.want, column.name, column.ty
                ));
            }
            None | Some(_) => {}
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(Error::SchemaMismatch {
        context: context.to_owned(),
        row_type,
        problems,
        fields: fields
            .iter()
            .map(|f| format!("{}: {}", f.name, f.want))
            .collect(),
        columns: columns
            .iter()
            .map(|c| format!("{} {}", c.name, c.ty))
            .collect(),
    })
}

/// Whether a field asking for `want` decodes every value of a column of type `ch`.
fn reads(want: &Want, ch: &ChType) -> bool {
    use ChType as C;
    match (want, ch) {
        (Want::Any, _) | (_, C::Other) => true,
        (_, C::Wrapper(inner)) => reads(want, inner),
        (Want::Option(want), C::Nullable(ch)) | (Want::Seq(want), C::Array(ch)) => reads(want, ch),
        (Want::Option(want), ch) => reads(want, ch),
        (_, C::Nullable(_)) => false,
        (Want::Bool, ch) => matches!(ch, C::Bool),
        (Want::UInt(bits), ch) => matches!(*ch, C::UInt(m) if m <= *bits),
        (Want::Int(bits), ch) => match *ch {
            C::Int(m) => m <= *bits,
            C::UInt(m) => m < *bits,
            _ => false,
        },
        (Want::Float(_), ch) => matches!(ch, C::Float | C::Int(_) | C::UInt(_) | C::Decimal),
        (Want::Str | Want::Enum, ch) => matches!(ch, C::Text),
        (Want::Seq(_) | Want::Tuple, ch) => matches!(ch, C::Array(_) | C::Tuple),
        (Want::Map(key, value), C::Map(ch_key, ch_value)) => {
            reads(key, ch_key) && reads(value, ch_value)
        }
        (Want::Map(..) | Want::Struct, ch) => matches!(ch, C::Map(..) | C::Tuple | C::Object),
    }
}

/// What a client remembers per row type and per answer, so each is checked once.
#[derive(Debug, Default)]
pub(crate) struct SchemaCache {
    /// The probed fields of each row type (`None`: not a struct), by type name.
    fields: Mutex<HashMap<&'static str, Option<Arc<[Field]>>>>,
    /// The `meta` last found to fit, per (answer, row type).
    checked: Mutex<HashMap<(String, &'static str), Vec<ColumnMeta>>>,
}

impl SchemaCache {
    /// [`check_columns`], remembered: the row type is probed once, and an answer whose `meta` equals
    /// the last one that fit is not checked again.
    pub(crate) fn check<T: DeserializeOwned>(
        &self,
        key: &str,
        context: impl FnOnce() -> String,
        columns: &[ColumnMeta],
    ) -> Result<()> {
        let row_type = std::any::type_name::<T>();
        let cache_key = (key.to_owned(), row_type);
        if lock(&self.checked)
            .get(&cache_key)
            .is_some_and(|seen| seen.as_slice() == columns)
        {
            return Ok(());
        }
        let known = lock(&self.fields).get(row_type).cloned();
        let fields = if let Some(fields) = known {
            fields
        } else {
            let fields = probe::fields::<T>().map(Arc::from);
            lock(&self.fields).insert(row_type, fields.clone());
            fields
        };
        if let Some(fields) = fields {
            check(&context(), row_type, &fields, columns)?;
        }
        lock(&self.checked).insert(cache_key, columns.to_vec());
        Ok(())
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(want: &Want, ty: &str) -> bool {
        reads(want, &ChType::parse(ty))
    }

    #[test]
    fn integers_read_narrower_columns_only() {
        assert!(ok(&Want::UInt(64), "UInt64"));
        assert!(ok(&Want::UInt(64), "UInt8"));
        assert!(!ok(&Want::UInt(32), "UInt64"));
        assert!(!ok(&Want::UInt(64), "Int64"));
        assert!(ok(&Want::Int(64), "UInt32"));
        assert!(!ok(&Want::Int(64), "UInt64"));
        assert!(!ok(&Want::UInt(64), "String"));
        assert!(!ok(&Want::UInt(64), "Float64"));
        assert!(ok(&Want::Float(64), "UInt64"));
        assert!(ok(&Want::Float(64), "Decimal(20, 2)"));
        assert!(ok(&Want::UInt(64), "SimpleAggregateFunction(sum, UInt64)"));
    }

    #[test]
    fn nullable_needs_an_option() {
        assert!(!ok(&Want::UInt(64), "Nullable(UInt64)"));
        let maybe = Want::Option(Box::new(Want::UInt(64)));
        assert!(ok(&maybe, "Nullable(UInt64)"));
        assert!(ok(&maybe, "UInt64"));
        assert!(!ok(&Want::Str, "LowCardinality(Nullable(String))"));
        assert!(ok(
            &Want::Option(Box::new(Want::Str)),
            "LowCardinality(Nullable(String))"
        ));
    }

    #[test]
    fn text_and_containers() {
        for ty in [
            "String",
            "LowCardinality(String)",
            "FixedString(3)",
            "DateTime64(3, 'UTC')",
            "Date",
            "UUID",
            "Enum8('a' = 1, 'b,c' = 2)",
        ] {
            assert!(ok(&Want::Str, ty), "{ty}");
        }
        assert!(!ok(&Want::Str, "UInt64"));
        assert!(!ok(&Want::Str, "Decimal(20, 2)"));
        let tags = Want::Seq(Box::new(Want::Str));
        assert!(ok(&tags, "Array(LowCardinality(String))"));
        assert!(!ok(&tags, "Array(UInt8)"));
        assert!(!ok(&tags, "String"));
        let map = Want::Map(Box::new(Want::Str), Box::new(Want::UInt(64)));
        assert!(ok(&map, "Map(String, UInt64)"));
        assert!(!ok(&map, "Map(String, String)"));
        assert!(ok(&Want::Any, "Nullable(Decimal(20, 2))"));
        assert!(ok(&Want::UInt(8), "Variant(String, UInt8)"));
    }

    #[derive(Deserialize)]
    #[allow(dead_code, reason = "only its Deserialize is probed")]
    struct TopPage {
        path: String,
        views: u64,
        #[serde(default)]
        rank: u32,
        note: Option<String>,
    }

    #[test]
    fn a_mismatch_lists_every_problem_and_both_sides() {
        let columns = [
            ColumnMeta::new("path", "Nullable(String)"),
            ColumnMeta::new("extra", "UInt8"),
        ];
        let err = check_columns::<TopPage>("pipe `top_pages`", &columns).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the columns of pipe `top_pages` do not fit `atel_sdk::client::validate::tests::TopPage`: \
             field `path` (String) cannot read column `path` of type `Nullable(String)`; \
             field `views` (u64) has no column \
             (fields: path: String, views: u64, rank: u32, note: Option<String>; \
             columns: path Nullable(String), extra UInt8)"
        );
        let fits = [
            ColumnMeta::new("path", "LowCardinality(String)"),
            ColumnMeta::new("views", "UInt64"),
        ];
        check_columns::<TopPage>("pipe `top_pages`", &fits).unwrap();
    }

    #[test]
    fn the_cache_checks_a_changed_meta_again() {
        let cache = SchemaCache::default();
        let good = [
            ColumnMeta::new("path", "String"),
            ColumnMeta::new("views", "UInt64"),
        ];
        let bad = [
            ColumnMeta::new("path", "String"),
            ColumnMeta::new("views", "String"),
        ];
        let context = || "pipe `p`".to_owned();
        cache.check::<TopPage>("p", context, &good).unwrap();
        cache.check::<TopPage>("p", context, &good).unwrap();
        assert!(matches!(
            cache.check::<TopPage>("p", context, &bad),
            Err(Error::SchemaMismatch { .. })
        ));
        cache.check::<TopPage>("p", context, &good).unwrap();
    }
}
