//! What `#[derive(Datasource)]` checks about a column at compile time, through constants.
//!
//! [`ColumnType::SHAPE`](crate::ColumnType::SHAPE) describes a Rust type's column as a [`Shape`]
//! (`Option<Vec<String>>` is `Nullable(Array(String))`); a hand-written `#[tinybird(type = "...")]` is
//! parsed by the derive into a [`ChShape`]. The derive asserts, at the field's type, that:
//!
//! - no `Nullable` holds an array, a map, a tuple, a `JSON` or another `Nullable` (ClickHouse has
//!   none: `Option<Vec<T>>`, `Option<HashMap<..>>` and `Option<(A, B)>` are compile errors; use the
//!   container itself, empty for none);
//! - `low_cardinality` is on a type ClickHouse accepts in `LowCardinality`: `String` or `FixedString`,
//!   maybe `Nullable`, maybe in arrays (see [`ChType::low_cardinality`](crate::ChType::low_cardinality));
//! - a `rust_decimal::Decimal` has its precision and scale (`#[tinybird(decimal(P, S))]`);
//! - a hand-written type round-trips with the field's type ([`fits`], the table below).
//!
//! The assertions run on the field's real type, so type aliases are checked too. Your own
//! [`ColumnType`](crate::ColumnType) impls are [`Shape::Opaque`] unless they say otherwise: nothing is
//! checked about them.
//!
//! # Compatibility of hand-written types
//!
//! `type = "..."` must hold every value of the field's type and give it back on read: written as JSON,
//! stored, read from a `FORMAT JSON` answer into the same Rust type.
//!
//! | Rust type                               | ClickHouse types it round-trips with                          |
//! |-----------------------------------------|---------------------------------------------------------------|
//! | `String`, `&str`                        | `String`, `FixedString(N)`, `Enum8/16(...)`, `UUID`, `Date`, `Date32`, `DateTime(...)`, `DateTime64(...)`, `IPv4`, `IPv6` (the text must be a valid value) |
//! | `uuid::Uuid`                            | `UUID`, `String`                                              |
//! | `std::net::Ipv4Addr` / `Ipv6Addr`       | `IPv4` / `IPv6`, `String`                                     |
//! | a `#[derive(Enum)]` enum                | `Enum8/16(...)` (with its names), `String`                    |
//! | `AggregateState<T>`                     | `AggregateFunction(...)`                                      |
//! | `bool`                                  | `Bool`                                                        |
//! | `uN`                                    | `UIntM` for M ≥ N, `IntM` for M > N, `Float32` for N ≤ 16, `Float64` for N ≤ 32 |
//! | `iN`                                    | `IntM` for M ≥ N, `Float32` for N ≤ 16, `Float64` for N ≤ 32  |
//! | `f32` / `f64`                           | `Float32` (`f32` only), `Float64`                             |
//! | `chrono::NaiveDate`                     | `Date`, `Date32`                                              |
//! | `chrono::DateTime<Utc>`, `NaiveDateTime`| `DateTime(...)`, `DateTime64(...)` (at the column's precision) |
//! | `rust_decimal::Decimal`                 | `Decimal(P, S)`, `Decimal32(S)` … `Decimal256(S)`             |
//! | `Option<T>`                             | `Nullable(X)` where `X` takes `T`: `None` is `null`, which only `Nullable` keeps |
//! | `Vec<T>`                                | `Array(X)` where `X` takes `T`                                |
//! | `HashMap<String, V>`, `BTreeMap<..>`    | `Map(K, X)` where `K` takes `String` and `X` takes `V`        |
//! | `(A, B, ...)`                           | `Tuple(X, Y, ...)` (unnamed) where each `X` takes its `A`     |
//! | `serde_json::Value`, `serde_json::Map`  | `JSON`                                                        |
//! | `Int256`, `UInt256` (feature `int256`)  | `Int256`, `UInt256`                                           |
//!
//! Everywhere, `LowCardinality(X)` and `SimpleAggregateFunction(f, X)` take what `X` takes, and a
//! `Nullable(X)` also takes a non-`Option` `T` that `X` takes. So `type = "UInt8"` on a `String` is an
//! error (ClickHouse answers a number, which a `String` does not read), as is `type = "UInt32"` on a
//! `u64` (it cannot hold every `u64`) or `type = "String"` on an `Option<String>` (`None` would come
//! back as `""`).

use crate::param::Scalar;

/// Whether `$method` holds for any shape of the slice `$items` (const fns cannot take closures).
macro_rules! any_of {
    ($items:expr, $method:ident) => {{
        let items = $items;
        let mut i = 0;
        let mut found = false;
        while i < items.len() {
            if items[i].$method() {
                found = true;
                break;
            }
            i += 1;
        }
        found
    }};
}

/// The shape of a Rust type's ClickHouse column, known at compile time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Shape {
    /// One value.
    Scalar(Scalar),
    /// `Option<T>`: `Nullable(T)`.
    Nullable(&'static Self),
    /// `Vec<T>`: `Array(T)`.
    Array(&'static Self),
    /// `HashMap<K, V>` / `BTreeMap<K, V>`: `Map(K, V)`.
    Map(&'static Self, &'static Self),
    /// [`AggregateState<T>`](crate::schema::AggregateState): `AggregateFunction(f, T)`.
    Aggregate(&'static Self),
    /// A Rust tuple `(A, B, ...)`: `Tuple(A, B, ...)`, written and read as a JSON array.
    Tuple(&'static [Self]),
    /// A type the checks know nothing about: the default of [`ColumnType::SHAPE`](crate::ColumnType),
    /// never refused.
    Opaque,
}

impl Shape {
    /// Whether every `Nullable` in it holds a plain value: ClickHouse refuses `Nullable(Array(..))`,
    /// `Nullable(Map(..))`, `Nullable(Tuple(..))`, `Nullable(JSON)` and `Nullable(Nullable(..))`.
    pub const fn nullable_ok(&self) -> bool {
        match self {
            Self::Nullable(
                Self::Nullable(_)
                | Self::Array(_)
                | Self::Map(..)
                | Self::Aggregate(_)
                | Self::Tuple(_)
                | Self::Scalar(Scalar::Json),
            ) => false,
            Self::Nullable(inner) | Self::Array(inner) | Self::Aggregate(inner) => {
                inner.nullable_ok()
            }
            Self::Map(key, value) => key.nullable_ok() && value.nullable_ok(),
            Self::Tuple(items) => !any_of!(items, nullable_refused),
            Self::Scalar(_) | Self::Opaque => true,
        }
    }

    const fn nullable_refused(&self) -> bool {
        !self.nullable_ok()
    }

    /// Whether `low_cardinality` can apply: the value (the innermost element of an array) is a
    /// `String`, maybe `Nullable`. ClickHouse refuses `LowCardinality` of anything but `String` and
    /// `FixedString` unless `allow_suspicious_low_cardinality_types` is set, which Tinybird does not
    /// do, and never puts it around an array. A map is refused: write which side is dictionary-encoded
    /// with `type = "Map(LowCardinality(String), ...)"`.
    pub const fn low_cardinality_ok(&self) -> bool {
        match self {
            Self::Scalar(Scalar::String) | Self::Opaque => true,
            Self::Nullable(inner) => matches!(inner, Self::Scalar(Scalar::String) | Self::Opaque),
            Self::Array(inner) => inner.low_cardinality_ok(),
            Self::Scalar(_) | Self::Map(..) | Self::Aggregate(_) | Self::Tuple(_) => false,
        }
    }

    /// Whether it is an [`AggregateState`](crate::schema::AggregateState) itself, which
    /// `#[tinybird(aggregate = "...")]` names the function of.
    pub const fn is_aggregate(&self) -> bool {
        matches!(self, Self::Aggregate(_))
    }

    /// Whether an [`AggregateState`](crate::schema::AggregateState) is anywhere in it.
    pub const fn has_aggregate(&self) -> bool {
        match self {
            Self::Aggregate(_) => true,
            Self::Nullable(inner) | Self::Array(inner) => inner.has_aggregate(),
            Self::Map(key, value) => key.has_aggregate() || value.has_aggregate(),
            Self::Tuple(items) => any_of!(items, has_aggregate),
            Self::Scalar(_) | Self::Opaque => false,
        }
    }

    /// Whether a `chrono::NaiveDate` is in it, which `#[tinybird(date32)]` stores as `Date32`.
    pub const fn has_date(&self) -> bool {
        match self {
            Self::Scalar(scalar) => matches!(scalar, Scalar::Date),
            Self::Nullable(inner) | Self::Array(inner) | Self::Aggregate(inner) => inner.has_date(),
            Self::Map(_, value) => value.has_date(),
            Self::Tuple(items) => any_of!(items, has_date),
            Self::Opaque => false,
        }
    }

    /// Whether a `String` value is in it (not a map's key), which `#[tinybird(fixed_string(N))]`
    /// stores as `FixedString(N)`.
    pub const fn has_string(&self) -> bool {
        match self {
            Self::Scalar(scalar) => matches!(scalar, Scalar::String),
            Self::Nullable(inner) | Self::Array(inner) | Self::Aggregate(inner) => {
                inner.has_string()
            }
            Self::Map(_, value) => value.has_string(),
            Self::Tuple(items) => any_of!(items, has_string),
            Self::Opaque => false,
        }
    }

    /// Whether a `Decimal` is in it, which needs `#[tinybird(decimal(P, S))]`.
    pub const fn has_decimal(&self) -> bool {
        match self {
            Self::Scalar(scalar) => matches!(scalar, Scalar::Decimal),
            Self::Nullable(inner) | Self::Array(inner) | Self::Aggregate(inner) => {
                inner.has_decimal()
            }
            Self::Map(key, value) => key.has_decimal() || value.has_decimal(),
            Self::Tuple(items) => any_of!(items, has_decimal),
            Self::Opaque => false,
        }
    }
}

impl Shape {
    /// Whether a date-time is in it, which `#[tinybird(datetime64(P))]` / `#[tinybird(datetime)]` store.
    pub const fn has_datetime(&self) -> bool {
        match self {
            Self::Scalar(scalar) => matches!(scalar, Scalar::DateTime),
            Self::Nullable(inner) | Self::Array(inner) | Self::Aggregate(inner) => {
                inner.has_datetime()
            }
            Self::Map(_, value) => value.has_datetime(),
            Self::Tuple(items) => any_of!(items, has_datetime),
            Self::Opaque => false,
        }
    }

    /// Whether a map with `String` keys is in it, whose keys `#[tinybird(low_cardinality_keys)]`
    /// dictionary-encodes.
    pub const fn has_string_keyed_map(&self) -> bool {
        match self {
            Self::Map(key, value) => {
                matches!(key, Self::Scalar(Scalar::String)) || value.has_string_keyed_map()
            }
            Self::Nullable(inner) | Self::Array(inner) => inner.has_string_keyed_map(),
            Self::Scalar(_) | Self::Opaque | Self::Aggregate(_) | Self::Tuple(_) => false,
        }
    }
}

/// A ClickHouse type written by hand (`#[tinybird(type = "...")]`), as far as [`fits`] cares; the
/// derive builds it from the parsed text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChShape {
    /// `String`.
    String,
    /// `FixedString(N)`.
    FixedString,
    /// `Enum8(...)`, `Enum16(...)`, `Enum(...)`.
    Enum,
    /// `UUID`.
    Uuid,
    /// `IPv4`.
    Ipv4,
    /// `IPv6`.
    Ipv6,
    /// `Bool`.
    Bool,
    /// `UIntN`.
    UInt(u16),
    /// `IntN`.
    Int(u16),
    /// `Float32`, `Float64`.
    Float(u16),
    /// `Date`, `Date32`.
    Date,
    /// `DateTime(...)`, `DateTime64(...)`.
    DateTime,
    /// `Decimal(P, S)`, `DecimalN(S)`.
    Decimal,
    /// `Nullable(T)`.
    Nullable(&'static Self),
    /// `LowCardinality(T)`.
    LowCardinality(&'static Self),
    /// `SimpleAggregateFunction(f, T)`: stored and read as `T`.
    SimpleAggregate(&'static Self),
    /// `Array(T)`.
    Array(&'static Self),
    /// `Map(K, V)`.
    Map(&'static Self, &'static Self),
    /// `AggregateFunction(f, T...)`: only an [`AggregateState`](crate::schema::AggregateState) holds it.
    AggregateFunction,
    /// `Tuple(A, B, ...)`, unnamed: a JSON array.
    Tuple(&'static [Self]),
    /// `JSON`, with or without parameters.
    Json,
    /// Named tuples (a JSON object), `Nested`, `Variant`, `Dynamic`, the geo types: no Rust type of
    /// this crate maps to them, only [`Shape::Opaque`] ones.
    Other,
}

/// Whether a column of type `ch` round-trips every value of a Rust type of shape `rust` (the table in
/// the [module docs](self)).
pub const fn fits(rust: &Shape, ch: &ChShape) -> bool {
    match (rust, ch) {
        (Shape::Opaque, _) => true,
        (Shape::Aggregate(_), ch) => matches!(ch, ChShape::AggregateFunction),
        (_, ChShape::LowCardinality(ch) | ChShape::SimpleAggregate(ch)) => fits(rust, ch),
        (Shape::Nullable(rust), ChShape::Nullable(ch))
        | (Shape::Array(rust), ChShape::Array(ch)) => fits(rust, ch),
        // `None` is written as `null`, which only a `Nullable` keeps.
        (Shape::Nullable(_), _) => false,
        (_, ChShape::Nullable(ch)) => fits(rust, ch),
        (Shape::Map(key, value), ChShape::Map(ch_key, ch_value)) => {
            fits(key, ch_key) && fits(value, ch_value)
        }
        (Shape::Tuple(items), ChShape::Tuple(ch_items)) => {
            if items.len() != ch_items.len() {
                return false;
            }
            let mut i = 0;
            while i < items.len() {
                if !fits(&items[i], &ch_items[i]) {
                    return false;
                }
                i += 1;
            }
            true
        }
        (Shape::Scalar(scalar), ch) => scalar_fits(*scalar, ch),
        _ => false,
    }
}

const fn scalar_fits(scalar: Scalar, ch: &ChShape) -> bool {
    use ChShape as C;
    match scalar {
        Scalar::String => matches!(
            ch,
            C::String
                | C::FixedString
                | C::Enum
                | C::Uuid
                | C::Ipv4
                | C::Ipv6
                | C::Date
                | C::DateTime
        ),
        Scalar::Ipv4 => matches!(ch, C::Ipv4 | C::String),
        Scalar::Ipv6 => matches!(ch, C::Ipv6 | C::String),
        Scalar::Enum => matches!(ch, C::Enum | C::String),
        Scalar::Uuid => matches!(ch, C::Uuid | C::String),
        Scalar::Bool => matches!(ch, C::Bool),
        Scalar::UInt(bits) => match *ch {
            C::UInt(m) => m >= bits,
            C::Int(m) => m > bits,
            C::Float(m) => bits <= m / 2,
            _ => false,
        },
        Scalar::Int(bits) => match *ch {
            C::Int(m) => m >= bits,
            C::Float(m) => bits <= m / 2,
            _ => false,
        },
        Scalar::Float(bits) => matches!(*ch, C::Float(m) if m >= bits),
        Scalar::Date => matches!(ch, C::Date),
        Scalar::DateTime => matches!(ch, C::DateTime),
        Scalar::Decimal => matches!(ch, C::Decimal),
        Scalar::Json => matches!(ch, C::Json),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ColumnType;

    fn shape<T: ColumnType>() -> Shape {
        T::SHAPE
    }

    #[test]
    fn nullable_containers_are_refused() {
        assert!(shape::<Option<String>>().nullable_ok());
        assert!(shape::<Vec<Option<u8>>>().nullable_ok());
        assert!(!shape::<Option<Vec<String>>>().nullable_ok());
        assert!(!shape::<Option<std::collections::HashMap<String, u8>>>().nullable_ok());
        assert!(!shape::<Option<Option<u8>>>().nullable_ok());
        assert!(!shape::<Vec<Option<Vec<u8>>>>().nullable_ok());
    }

    #[test]
    fn tuples_and_json_are_checked_like_containers() {
        use ChShape as C;
        assert!(shape::<(String, Option<u8>)>().nullable_ok());
        assert!(!shape::<Option<(String, u8)>>().nullable_ok());
        assert!(!shape::<(String, Option<Vec<u8>>)>().nullable_ok());
        assert!(!shape::<Option<serde_json::Value>>().nullable_ok());
        assert!(!shape::<(String, u8)>().low_cardinality_ok());
        assert!(!shape::<serde_json::Value>().low_cardinality_ok());
        assert!(shape::<(u8, chrono::NaiveDate)>().has_date());
        assert!(shape::<Vec<(u8, String)>>().has_string());
        assert!(fits(
            &shape::<(String, u32)>(),
            &C::Tuple(&[C::LowCardinality(&C::String), C::UInt(64)])
        ));
        assert!(!fits(&shape::<(String, u32)>(), &C::Tuple(&[C::String])));
        assert!(!fits(
            &shape::<(String, u64)>(),
            &C::Tuple(&[C::String, C::UInt(32)])
        ));
        assert!(!fits(&shape::<(String, u32)>(), &C::Other));
        assert!(fits(&shape::<serde_json::Value>(), &C::Json));
        assert!(!fits(&shape::<serde_json::Value>(), &C::String));
        assert!(!fits(&shape::<String>(), &C::Json));
    }

    #[test]
    fn low_cardinality_only_of_strings() {
        assert!(shape::<String>().low_cardinality_ok());
        assert!(shape::<Option<String>>().low_cardinality_ok());
        assert!(shape::<Vec<Vec<Option<String>>>>().low_cardinality_ok());
        assert!(!shape::<u64>().low_cardinality_ok());
        assert!(!shape::<chrono::NaiveDate>().low_cardinality_ok());
        assert!(!shape::<Vec<u8>>().low_cardinality_ok());
        assert!(!shape::<std::collections::BTreeMap<String, String>>().low_cardinality_ok());
    }

    #[test]
    fn date_times_and_string_keyed_maps_are_found_inside_containers() {
        use std::collections::{BTreeMap, HashMap};
        type Utc = chrono::DateTime<chrono::Utc>;
        assert!(shape::<Utc>().has_datetime());
        assert!(shape::<Vec<Utc>>().has_datetime());
        assert!(shape::<Option<chrono::NaiveDateTime>>().has_datetime());
        assert!(shape::<HashMap<String, Utc>>().has_datetime());
        assert!(!shape::<chrono::NaiveDate>().has_datetime());
        assert!(!shape::<String>().has_datetime());
        assert!(shape::<HashMap<String, String>>().has_string_keyed_map());
        assert!(shape::<Vec<BTreeMap<String, u8>>>().has_string_keyed_map());
        assert!(!shape::<Vec<String>>().has_string_keyed_map());
        assert!(!shape::<String>().has_string_keyed_map());
    }

    #[test]
    fn hand_written_types_round_trip_or_not() {
        use ChShape as C;
        assert!(fits(&shape::<String>(), &C::DateTime));
        assert!(fits(&shape::<String>(), &C::LowCardinality(&C::String)));
        assert!(!fits(&shape::<String>(), &C::UInt(8)));
        assert!(fits(&shape::<u32>(), &C::UInt(64)));
        assert!(fits(&shape::<u32>(), &C::Int(64)));
        assert!(!fits(&shape::<u32>(), &C::Int(32)));
        assert!(!fits(&shape::<u64>(), &C::Float(64)));
        assert!(fits(&shape::<u16>(), &C::Float(32)));
        assert!(fits(&shape::<i32>(), &C::Float(64)));
        assert!(fits(
            &shape::<Vec<String>>(),
            &C::Array(&C::LowCardinality(&C::String))
        ));
        assert!(fits(&shape::<Option<u8>>(), &C::Nullable(&C::UInt(8))));
        assert!(fits(&shape::<u8>(), &C::Nullable(&C::UInt(8))));
        assert!(!fits(&shape::<Option<String>>(), &C::String));
        assert!(fits(
            &shape::<std::collections::HashMap<String, u8>>(),
            &C::Map(&C::LowCardinality(&C::String), &C::UInt(16))
        ));
        assert!(!fits(&shape::<Vec<u8>>(), &C::UInt(8)));
        assert!(!fits(&shape::<String>(), &C::Other));
        assert!(fits(&Shape::Opaque, &C::Other));
    }
}
