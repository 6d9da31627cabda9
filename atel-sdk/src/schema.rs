//! The model of a Tinybird project as Rust values: datasources, pipes and ClickHouse column types.
//!
//! Plain data: the [`datafile`](crate::datafile) module renders it as `.datasource` / `.pipe` text, and
//! the [`Datasource`](crate::Datasource) / [`Pipe`](crate::Pipe) traits (in
//! [`resource`](crate::resource)) return it for a Rust type.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use crate::param::Scalar;
use crate::shape::Shape;

#[cfg(feature = "int256")]
mod int256;
#[cfg(feature = "int256")]
pub use int256::{Int256, UInt256};

/// A ClickHouse column type, as Tinybird writes it in a `.datasource` schema.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChType {
    /// `String`
    String,
    /// `Bool`
    Bool,
    /// `UInt8`
    UInt8,
    /// `UInt16`
    UInt16,
    /// `UInt32`
    UInt32,
    /// `UInt64`
    UInt64,
    /// `Int8`
    Int8,
    /// `Int16`
    Int16,
    /// `Int32`
    Int32,
    /// `Int64`
    Int64,
    /// `Float32`
    Float32,
    /// `Float64`
    Float64,
    /// `Int128`
    Int128,
    /// `UInt128`
    UInt128,
    /// `Int256`
    Int256,
    /// `UInt256`
    UInt256,
    /// `IPv4`
    Ipv4,
    /// `IPv6`
    Ipv6,
    /// `FixedString(n)`: exactly `n` bytes.
    FixedString(u32),
    /// `Enum8('name' = value, ...)`
    Enum8(Vec<(String, i8)>),
    /// `Enum16('name' = value, ...)`
    Enum16(Vec<(String, i16)>),
    /// `Date32`: a date from 1900 to 2299 (`Date` is 1970 to 2149).
    Date32,
    /// `UUID`
    Uuid,
    /// `Date`
    Date,
    /// `DateTime`
    DateTime,
    /// `DateTime64(precision)`
    DateTime64(u8),
    /// `DateTime64(precision, 'timezone')`
    DateTime64Tz(u8, String),
    /// `Decimal(precision, scale)`
    Decimal {
        /// Significant digits, 1 to 76.
        precision: u8,
        /// Digits after the point, at most `precision`.
        scale: u8,
    },
    /// `Nullable(T)`
    Nullable(Box<Self>),
    /// `LowCardinality(T)`
    LowCardinality(Box<Self>),
    /// `Array(T)`
    Array(Box<Self>),
    /// `Map(K, V)`
    Map(Box<Self>, Box<Self>),
    /// `AggregateFunction(f, T...)`: the intermediate state of an aggregate function, as an
    /// `AggregatingMergeTree` stores what a materialized view's `fState(...)` writes.
    AggregateFunction {
        /// The function, with its parameters if it takes any: `sum`, `uniq`, `quantiles(0.5, 0.9)`.
        function: String,
        /// The types of its arguments.
        args: Vec<Self>,
    },
    /// `SimpleAggregateFunction(f, T)`: a plain `T` that merges combine with `f` (`sum`, `max`, …).
    SimpleAggregateFunction(String, Box<Self>),
    /// `Tuple(T1, T2, ...)`, unnamed: a JSON array of its values.
    Tuple(Vec<Self>),
    /// `JSON`: a JSON object, stored by path.
    Json,
    /// A type written out by hand (`#[tinybird(type = "...")]`), rendered verbatim.
    Raw(String),
}

impl ChType {
    /// Whether values of this type are JSON arrays, so the column's JSON path ends in `[:]`.
    pub fn is_array(&self) -> bool {
        match self {
            Self::Array(_) => true,
            Self::Nullable(inner)
            | Self::LowCardinality(inner)
            | Self::SimpleAggregateFunction(_, inner) => inner.is_array(),
            Self::Raw(raw) => raw.trim_start().starts_with("Array("),
            _ => false,
        }
    }

    /// Whether this is `Nullable(...)`, possibly inside `LowCardinality(...)`.
    pub fn is_nullable(&self) -> bool {
        match self {
            Self::Nullable(_) => true,
            Self::LowCardinality(inner) | Self::SimpleAggregateFunction(_, inner) => {
                inner.is_nullable()
            }
            Self::Raw(raw) => {
                let raw = raw.trim_start();
                raw.starts_with("Nullable(") || raw.starts_with("LowCardinality(Nullable(")
            }
            _ => false,
        }
    }
}

impl ChType {
    /// The type with its values dictionary-encoded, as `#[tinybird(low_cardinality)]` asks:
    /// `LowCardinality(String)`, `LowCardinality(Nullable(String))`, and inside arrays
    /// `Array(LowCardinality(String))`, since ClickHouse has no `LowCardinality` of an array.
    ///
    /// The derive only applies it where ClickHouse accepts the result (see [`crate::shape`]).
    #[must_use]
    pub fn low_cardinality(self) -> Self {
        match self {
            Self::Array(inner) => Self::Array(Box::new(inner.low_cardinality())),
            already @ Self::LowCardinality(_) => already,
            other => Self::LowCardinality(Box::new(other)),
        }
    }

    /// The type with every `Decimal` in it given this precision and scale, as
    /// `#[tinybird(decimal(P, S))]` asks.
    #[must_use]
    pub fn with_decimal(self, precision: u8, scale: u8) -> Self {
        self.map_leaves(&|leaf| match leaf {
            Self::Decimal { .. } => Self::Decimal { precision, scale },
            other => other,
        })
    }

    /// The type with every date-time in it (a `DateTime64` from a chrono type) stored as `to` asks,
    /// as `#[tinybird(datetime64(P[, "tz"]))]` and `#[tinybird(datetime)]` do: `Vec<DateTime<Utc>>`
    /// with `datetime64(9)` is `Array(DateTime64(9))`.
    #[must_use]
    pub fn with_datetime(self, to: &Self) -> Self {
        self.map_leaves(&|leaf| match leaf {
            Self::DateTime | Self::DateTime64(_) | Self::DateTime64Tz(..) => to.clone(),
            other => other,
        })
    }

    /// The type with every `Date` in it stored as `Date32`, as `#[tinybird(date32)]` asks.
    #[must_use]
    pub fn with_date32(self) -> Self {
        self.map_leaves(&|leaf| match leaf {
            Self::Date => Self::Date32,
            other => other,
        })
    }

    /// The type with every `String` in it stored as `FixedString(n)`, as
    /// `#[tinybird(fixed_string(N))]` asks.
    #[must_use]
    pub fn with_fixed_string(self, n: u32) -> Self {
        self.map_leaves(&|leaf| match leaf {
            Self::String => Self::FixedString(n),
            other => other,
        })
    }

    /// The aggregate state of an [`AggregateState`] column with its
    /// function, as `#[tinybird(aggregate = "...")]` names it: `AggregateFunction(uniq, UInt64)`.
    #[must_use]
    pub fn with_aggregate(self, function: &str) -> Self {
        match self {
            Self::AggregateFunction { args, .. } => Self::AggregateFunction {
                function: function.to_owned(),
                args,
            },
            other => other,
        }
    }

    /// The type as a `SimpleAggregateFunction(function, T)`, as
    /// `#[tinybird(simple_aggregate = "...")]` asks.
    #[must_use]
    pub fn simple_aggregate(self, function: &str) -> Self {
        Self::SimpleAggregateFunction(function.to_owned(), Box::new(self))
    }

    /// `f` applied to every type that holds no other (the values in arrays, maps and `Nullable`s).
    fn map_leaves(self, f: &dyn Fn(Self) -> Self) -> Self {
        let inner = |ty: Box<Self>| Box::new(ty.map_leaves(f));
        match self {
            Self::Nullable(ty) => Self::Nullable(inner(ty)),
            Self::LowCardinality(ty) => Self::LowCardinality(inner(ty)),
            Self::Array(ty) => Self::Array(inner(ty)),
            Self::Map(key, value) => Self::Map(key, inner(value)),
            Self::SimpleAggregateFunction(function, ty) => {
                Self::SimpleAggregateFunction(function, inner(ty))
            }
            Self::AggregateFunction { function, args } => Self::AggregateFunction {
                function,
                args: args.into_iter().map(|arg| arg.map_leaves(f)).collect(),
            },
            Self::Tuple(items) => {
                Self::Tuple(items.into_iter().map(|item| item.map_leaves(f)).collect())
            }
            leaf => f(leaf),
        }
    }

    /// The type with the keys of every map in it dictionary-encoded, as
    /// `#[tinybird(low_cardinality_keys)]` asks: `HashMap<String, String>` is
    /// `Map(LowCardinality(String), String)`, a `Vec` of them `Array(Map(LowCardinality(String), String))`.
    #[must_use]
    pub fn low_cardinality_keys(self) -> Self {
        match self {
            Self::Map(key, value) => Self::Map(
                Box::new(key.low_cardinality()),
                Box::new(value.low_cardinality_keys()),
            ),
            Self::Nullable(ty) => Self::Nullable(Box::new(ty.low_cardinality_keys())),
            Self::Array(ty) => Self::Array(Box::new(ty.low_cardinality_keys())),
            other => other,
        }
    }
}

impl fmt::Display for ChType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::String => f.write_str("String"),
            Self::Bool => f.write_str("Bool"),
            Self::UInt8 => f.write_str("UInt8"),
            Self::UInt16 => f.write_str("UInt16"),
            Self::UInt32 => f.write_str("UInt32"),
            Self::UInt64 => f.write_str("UInt64"),
            Self::Int8 => f.write_str("Int8"),
            Self::Int16 => f.write_str("Int16"),
            Self::Int32 => f.write_str("Int32"),
            Self::Int64 => f.write_str("Int64"),
            Self::Float32 => f.write_str("Float32"),
            Self::Float64 => f.write_str("Float64"),
            Self::Int128 => f.write_str("Int128"),
            Self::UInt128 => f.write_str("UInt128"),
            Self::Int256 => f.write_str("Int256"),
            Self::UInt256 => f.write_str("UInt256"),
            Self::Ipv4 => f.write_str("IPv4"),
            Self::Ipv6 => f.write_str("IPv6"),
            Self::FixedString(n) => write!(f, "FixedString({n})"),
            Self::Enum8(values) => write_enum(f, "Enum8", values),
            Self::Enum16(values) => write_enum(f, "Enum16", values),
            Self::Date32 => f.write_str("Date32"),
            Self::Uuid => f.write_str("UUID"),
            Self::Date => f.write_str("Date"),
            Self::DateTime => f.write_str("DateTime"),
            Self::DateTime64(precision) => write!(f, "DateTime64({precision})"),
            Self::DateTime64Tz(precision, timezone) => {
                write!(f, "DateTime64({precision}, ")?;
                write_quoted(f, timezone)?;
                f.write_str(")")
            }
            Self::Decimal { precision, scale } => write!(f, "Decimal({precision}, {scale})"),
            Self::Nullable(inner) => write!(f, "Nullable({inner})"),
            Self::LowCardinality(inner) => write!(f, "LowCardinality({inner})"),
            Self::Array(inner) => write!(f, "Array({inner})"),
            Self::Map(key, value) => write!(f, "Map({key}, {value})"),
            Self::AggregateFunction { function, args } => {
                write!(f, "AggregateFunction({function}")?;
                for arg in args {
                    write!(f, ", {arg}")?;
                }
                f.write_str(")")
            }
            Self::SimpleAggregateFunction(function, inner) => {
                write!(f, "SimpleAggregateFunction({function}, {inner})")
            }
            Self::Tuple(items) => {
                f.write_str("Tuple(")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str(")")
            }
            Self::Json => f.write_str("JSON"),
            Self::Raw(raw) => f.write_str(raw),
        }
    }
}

/// `'text'`, with `'` and `\` escaped as ClickHouse reads them.
fn write_quoted(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    f.write_str("'")?;
    for ch in text.chars() {
        if matches!(ch, '\'' | '\\') {
            f.write_str("\\")?;
        }
        write!(f, "{ch}")?;
    }
    f.write_str("'")
}

fn write_enum<V: fmt::Display>(
    f: &mut fmt::Formatter<'_>,
    family: &str,
    values: &[(String, V)],
) -> fmt::Result {
    write!(f, "{family}(")?;
    for (i, (name, value)) in values.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write_quoted(f, name)?;
        write!(f, " = {value}")?;
    }
    f.write_str(")")
}

/// Maps a Rust type to the ClickHouse column type that holds its JSON form.
///
/// Implemented for the types a Tinybird row needs; `#[derive(Datasource)]` calls it for every field,
/// so a field of a type without an implementation is a compile error on that field.
/// `#[tinybird(type = "...")]` names the column type of a field by hand (checked against the
/// field's shape); the field's type still needs an implementation, which for a newtype of yours can
/// be the default [`Shape::Opaque`] one: `impl ColumnType for Url { fn ch_type() -> ChType { ChType::String } }`.
///
/// | Rust type                                   | ClickHouse type                                  |
/// |---------------------------------------------|--------------------------------------------------|
/// | `String`, `&str`                            | `String`                                         |
/// | `bool`                                      | `Bool`                                           |
/// | `u8` … `u128`, `i8` … `i128`                | `UInt8` … `UInt128`, `Int8` … `Int128`           |
/// | `f32`, `f64`                                | `Float32`, `Float64`                             |
/// | `chrono::DateTime<Utc>`, `NaiveDateTime`, `time::OffsetDateTime`, `PrimitiveDateTime` (feature `time`) | `DateTime64(3)`; `DateTime64(P[, 'tz'])` with `#[tinybird(datetime64(P[, "tz"]))]`, `DateTime` with `#[tinybird(datetime)]` |
/// | `chrono::NaiveDate`, `time::Date`           | `Date`; `Date32` with `#[tinybird(date32)]`      |
/// | `std::net::Ipv4Addr`, `Ipv6Addr`            | `IPv4`, `IPv6`                                   |
/// | a fieldless enum with `#[derive(atel_sdk::Enum)]` | `Enum8('a' = 1, ...)` (`Enum16` when needed), by serde's variant names |
/// | [`AggregateState<T>`] with `#[tinybird(aggregate = "f")]` | `AggregateFunction(f, T)`              |
/// | `uuid::Uuid` (feature `uuid`, default)      | `UUID`                                           |
/// | `rust_decimal::Decimal` (feature `rust_decimal`) | `Decimal(P, S)`, from the field's `#[tinybird(decimal(P, S))]` |
/// | `Option<T>`                                 | `Nullable(T)`, for a `T` that is not a container |
/// | `Vec<T>`                                    | `Array(T)` (JSON path `$.name[:]`)               |
/// | `HashMap<String, V>`, `BTreeMap<String, V>` | `Map(String, V)`; `Map(LowCardinality(String), V)` with `#[tinybird(low_cardinality_keys)]` |
/// | `(A, B, ...)`, up to 8                      | `Tuple(A, B, ...)`, a JSON array                 |
/// | `serde_json::Value`, `serde_json::Map<String, Value>` | `JSON` (an object)                     |
/// | `schema::Int256`, `UInt256` (feature `int256`) | `Int256`, `UInt256`                              |
///
/// `#[tinybird(fixed_string(N))]` makes a `String` `FixedString(N)` (ClickHouse pads a shorter value
/// with zero bytes, so use it for values of exactly `N` bytes: currency and country codes);
/// `#[tinybird(simple_aggregate = "f")]` makes any column `SimpleAggregateFunction(f, T)`.
/// Named tuples (a JSON object), `Nested`, `Variant` and `Dynamic` have no Rust mapping: write them
/// with `type = "..."` on a type of your own whose [`ColumnType`] impl says nothing of its shape.
///
/// Tinybird's list of types it ingests has no `Tuple`: keep tuples to datasources a materialized view
/// or a copy pipe fills, and to endpoint rows. ClickHouse writes a `JSON` column's 64-bit integers
/// as strings (`{"n": "1"}`) when it answers in JSON; `JSON` is a private beta on Tinybird Cloud.
///
/// `#[tinybird(low_cardinality)]` makes a `String` `LowCardinality(String)`, an `Option<String>`
/// `LowCardinality(Nullable(String))` and a `Vec<String>` `Array(LowCardinality(String))`; on any other
/// type it is a compile error, as ClickHouse refuses it. `Option` of a `Vec` or a map is a compile
/// error too: ClickHouse has no nullable arrays or maps, so the field is the container itself, empty
/// for none. [`crate::shape`] has the rules, and the table a hand-written `type` is checked against.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no ClickHouse column type",
    label = "no `ColumnType` for this type",
    note = "for a type of your own, implement `atel_sdk::ColumnType` for it; a type of another crate \
            cannot have it (the orphan rule): wrap it in a newtype of yours with \
            `#[serde(transparent)]` and implement `ColumnType` for that",
    note = "`rust_decimal::Decimal` needs the feature `rust_decimal`, `uuid::Uuid` the feature `uuid`, \
            `time` types the feature `time`; `Int256` and `UInt256` are in `atel_sdk::schema` \
            (feature `int256`)"
)]
pub trait ColumnType {
    /// What the derive checks about the column at compile time. The default, [`Shape::Opaque`], checks
    /// nothing; an impl whose type maps to a built-in one can say so, e.g.
    /// `const SHAPE: Shape = <String as ColumnType>::SHAPE;` for an enum sent as text.
    const SHAPE: Shape = Shape::Opaque;

    /// The ClickHouse type.
    fn ch_type() -> ChType;
}

macro_rules! column_type {
    ($($rust:ty => $ch:ident $scalar:expr),* $(,)?) => {
        $(impl ColumnType for $rust {
            const SHAPE: Shape = Shape::Scalar($scalar);
            fn ch_type() -> ChType {
                ChType::$ch
            }
        })*
    };
}

column_type! {
    String => String Scalar::String,
    &str => String Scalar::String,
    bool => Bool Scalar::Bool,
    u8 => UInt8 Scalar::UInt(8),
    u16 => UInt16 Scalar::UInt(16),
    u32 => UInt32 Scalar::UInt(32),
    u64 => UInt64 Scalar::UInt(64),
    i8 => Int8 Scalar::Int(8),
    i16 => Int16 Scalar::Int(16),
    i32 => Int32 Scalar::Int(32),
    i64 => Int64 Scalar::Int(64),
    f32 => Float32 Scalar::Float(32),
    f64 => Float64 Scalar::Float(64),
    i128 => Int128 Scalar::Int(128),
    u128 => UInt128 Scalar::UInt(128),
    chrono::NaiveDate => Date Scalar::Date,
    std::net::Ipv4Addr => Ipv4 Scalar::Ipv4,
    std::net::Ipv6Addr => Ipv6 Scalar::Ipv6,
}

/// The intermediate state of an aggregate function: a column of an `AggregatingMergeTree` that a
/// materialized view fills with `fState(...)` and queries read with `fMerge(...)`.
///
/// `AggregateState<T>` with `#[tinybird(aggregate = "f")]` is `AggregateFunction(f, T)`:
///
/// ```
/// use atel_sdk::Datasource;
/// use atel_sdk::schema::AggregateState;
///
/// #[derive(serde::Serialize, serde::Deserialize, Datasource)]
/// #[tinybird(engine = "AggregatingMergeTree", sorting_key = "day")]
/// struct DailyBuyers {
///     day: chrono::NaiveDate,
///     #[tinybird(aggregate = "uniq")]
///     buyers: AggregateState<u64>,
///     #[tinybird(aggregate = "quantiles(0.5, 0.9)")]
///     basket: AggregateState<f64>,
/// }
///
/// let columns = DailyBuyers::schema().columns;
/// assert_eq!(columns[1].ty.to_string(), "AggregateFunction(uniq, UInt64)");
/// assert_eq!(columns[2].ty.to_string(), "AggregateFunction(quantiles(0.5, 0.9), Float64)");
/// ```
///
/// A state is binary and only a materialized view writes it, so the column has no JSON path and the
/// value holds nothing: it serializes as an error (a row with states cannot be sent) and
/// deserializes from anything (a `SELECT *` that returns one is read without it).
pub struct AggregateState<T>(std::marker::PhantomData<fn() -> T>);

impl<T> AggregateState<T> {
    /// The (empty) value.
    pub const fn new() -> Self {
        Self(std::marker::PhantomData)
    }
}

impl<T> Default for AggregateState<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Clone for AggregateState<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for AggregateState<T> {}

impl<T> PartialEq for AggregateState<T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<T> Eq for AggregateState<T> {}

impl<T> fmt::Debug for AggregateState<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AggregateState")
    }
}

impl<T> serde::Serialize for AggregateState<T> {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom(
            "an aggregate state cannot be sent: a materialized view writes it with `fState(...)`",
        ))
    }
}

impl<'de, T> serde::Deserialize<'de> for AggregateState<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(deserializer)?;
        Ok(Self::new())
    }
}

impl<T: ColumnType> ColumnType for AggregateState<T> {
    const SHAPE: Shape = Shape::Aggregate(&T::SHAPE);
    fn ch_type() -> ChType {
        ChType::AggregateFunction {
            function: String::new(),
            args: Vec::from([T::ch_type()]),
        }
    }
}

impl<T: ColumnType> ColumnType for Option<T> {
    const SHAPE: Shape = Shape::Nullable(&T::SHAPE);
    fn ch_type() -> ChType {
        ChType::Nullable(Box::new(T::ch_type()))
    }
}

impl<T: ColumnType> ColumnType for Vec<T> {
    const SHAPE: Shape = Shape::Array(&T::SHAPE);
    fn ch_type() -> ChType {
        ChType::Array(Box::new(T::ch_type()))
    }
}

impl<V: ColumnType, S> ColumnType for HashMap<String, V, S> {
    const SHAPE: Shape = Shape::Map(&String::SHAPE, &V::SHAPE);
    fn ch_type() -> ChType {
        ChType::Map(Box::new(ChType::String), Box::new(V::ch_type()))
    }
}

macro_rules! tuple_column_type {
    ($($name:ident)+) => {
        impl<$($name: ColumnType),+> ColumnType for ($($name,)+) {
            const SHAPE: Shape = Shape::Tuple(&[$($name::SHAPE),+]);
            fn ch_type() -> ChType {
                ChType::Tuple(Vec::from([$($name::ch_type()),+]))
            }
        }
    };
}

tuple_column_type!(A);
tuple_column_type!(A B);
tuple_column_type!(A B C);
tuple_column_type!(A B C D);
tuple_column_type!(A B C D E);
tuple_column_type!(A B C D E F);
tuple_column_type!(A B C D E F G);
tuple_column_type!(A B C D E F G H);

/// `JSON`: the value must be an object (ClickHouse refuses anything else in a `JSON` column).
impl ColumnType for serde_json::Value {
    const SHAPE: Shape = Shape::Scalar(Scalar::Json);
    fn ch_type() -> ChType {
        ChType::Json
    }
}

/// `JSON`.
impl ColumnType for serde_json::Map<String, serde_json::Value> {
    const SHAPE: Shape = Shape::Scalar(Scalar::Json);
    fn ch_type() -> ChType {
        ChType::Json
    }
}

impl<V: ColumnType> ColumnType for BTreeMap<String, V> {
    const SHAPE: Shape = Shape::Map(&String::SHAPE, &V::SHAPE);
    fn ch_type() -> ChType {
        ChType::Map(Box::new(ChType::String), Box::new(V::ch_type()))
    }
}

/// A column the row does not send: filled from another key through its `json_path` (a second column
/// of one JSON value, e.g. a `DateTime` beside a `DateTime64(9)`), or by its `DEFAULT`. The field holds
/// no value; serde must skip it (`#[serde(skip)]`). Its column type is `T`'s.
impl<T: ColumnType> ColumnType for std::marker::PhantomData<T> {
    const SHAPE: Shape = T::SHAPE;
    fn ch_type() -> ChType {
        T::ch_type()
    }
}

impl ColumnType for chrono::DateTime<chrono::Utc> {
    const SHAPE: Shape = Shape::Scalar(Scalar::DateTime);
    fn ch_type() -> ChType {
        ChType::DateTime64(3)
    }
}

impl ColumnType for chrono::NaiveDateTime {
    const SHAPE: Shape = Shape::Scalar(Scalar::DateTime);
    fn ch_type() -> ChType {
        ChType::DateTime64(3)
    }
}

#[cfg(feature = "uuid")]
impl ColumnType for uuid::Uuid {
    const SHAPE: Shape = Shape::Scalar(Scalar::Uuid);
    fn ch_type() -> ChType {
        ChType::Uuid
    }
}

/// `Decimal(P, S)` with the field's `#[tinybird(decimal(P, S))]`, which the derive requires. Alone,
/// `ch_type()` is ClickHouse's default for a bare `Decimal`: `Decimal(10, 0)`.
///
/// Written as its exact text (`rust_decimal`'s own `Serialize`, unless something in your build turns on
/// its `serde-float` feature), which ClickHouse reads exactly; read back exactly by the client, whose
/// rows never go through `f64` (see [`crate::client::de::from_str`]). A value with more decimals than
/// the column's scale is truncated by ClickHouse.
#[cfg(feature = "rust_decimal")]
impl ColumnType for rust_decimal::Decimal {
    const SHAPE: Shape = Shape::Scalar(Scalar::Decimal);
    fn ch_type() -> ChType {
        ChType::Decimal {
            precision: 10,
            scale: 0,
        }
    }
}

/// `DateTime64(3)`, or as the field's `datetime64(P)` / `datetime` asks; write it with
/// `#[serde(with = "atel_sdk::client::de::DateTime64::<P>")]` (feature `time`).
#[cfg(feature = "time")]
impl ColumnType for time::OffsetDateTime {
    const SHAPE: Shape = Shape::Scalar(Scalar::DateTime);
    fn ch_type() -> ChType {
        ChType::DateTime64(3)
    }
}

/// As [`time::OffsetDateTime`], taken as UTC (feature `time`).
#[cfg(feature = "time")]
impl ColumnType for time::PrimitiveDateTime {
    const SHAPE: Shape = Shape::Scalar(Scalar::DateTime);
    fn ch_type() -> ChType {
        ChType::DateTime64(3)
    }
}

/// `Date` (`Date32` with `#[tinybird(date32)]`); `time`'s own serde writes it as `YYYY-MM-DD`
/// (feature `time`).
#[cfg(feature = "time")]
impl ColumnType for time::Date {
    const SHAPE: Shape = Shape::Scalar(Scalar::Date);
    fn ch_type() -> ChType {
        ChType::Date
    }
}

/// One column of a datasource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The column name: the JSON key sent for it, unless `json_path` reads another one.
    pub name: &'static str,
    /// The ClickHouse type.
    pub ty: ChType,
    /// The JSONPath the column is read from; `None` means `$.<name>` (`$.<name>[:]` for arrays).
    pub json_path: Option<&'static str>,
    /// A `DEFAULT` expression.
    pub default: Option<&'static str>,
    /// A `CODEC(...)` argument list, e.g. `ZSTD(1)`.
    pub codec: Option<&'static str>,
}

impl Column {
    /// A column read from `$.<name>` with no default or codec.
    pub fn new(name: &'static str, ty: ChType) -> Self {
        Self {
            name,
            ty,
            json_path: None,
            default: None,
            codec: None,
        }
    }

    /// The JSONPath written in the schema: the explicit one, or `$.<name>` (`[:]` added for arrays).
    /// An aggregate state has none unless one is given: only a materialized view writes it.
    pub fn effective_json_path(&self) -> Option<String> {
        if let Some(path) = self.json_path {
            return Some(path.to_owned());
        }
        if matches!(self.ty, ChType::AggregateFunction { .. }) {
            return None;
        }
        let mut path = format!("$.{}", self.name);
        if self.ty.is_array() {
            path.push_str("[:]");
        }
        Some(path)
    }
}

/// The table engine of a datasource and its settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Engine {
    /// The engine name: `MergeTree` (the default when `None`), `ReplacingMergeTree`, `SummingMergeTree`, ….
    pub kind: Option<&'static str>,
    /// `ENGINE_SORTING_KEY`.
    pub sorting_key: Option<&'static str>,
    /// `ENGINE_PARTITION_KEY`.
    pub partition_key: Option<&'static str>,
    /// `ENGINE_TTL`.
    pub ttl: Option<&'static str>,
    /// `ENGINE_VER` (`ReplacingMergeTree` only).
    pub ver: Option<&'static str>,
    /// `ENGINE_IS_DELETED` (`ReplacingMergeTree` with a `ver`): the `UInt8` column that marks a row
    /// deleted, so `FINAL` drops it.
    pub is_deleted: Option<&'static str>,
    /// `ENGINE_PRIMARY_KEY`: a prefix of the sorting key, when the index should hold fewer columns.
    pub primary_key: Option<&'static str>,
    /// `ENGINE_SAMPLING_KEY`: the expression `SAMPLE` reads; it must be in the primary key.
    pub sampling_key: Option<&'static str>,
    /// `ENGINE_SIGN` (`CollapsingMergeTree`, `VersionedCollapsingMergeTree`): the `Int8` column of
    /// `1` (a state) and `-1` (its cancellation).
    pub sign: Option<&'static str>,
    /// `ENGINE_VERSION` (`VersionedCollapsingMergeTree`): the version column.
    pub version: Option<&'static str>,
    /// `ENGINE_COLUMNS` (`SummingMergeTree`): the columns summed; all numeric ones when `None`.
    pub summing_columns: Option<&'static str>,
    /// `ENGINE_SETTINGS`.
    pub settings: Option<&'static str>,
}

/// A data-skipping index (`INDEXES >`): `name expr TYPE kind GRANULARITY granularity`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    /// The index name, unique in the datasource.
    pub name: &'static str,
    /// The expression indexed, over the columns: `TraceId`, `mapKeys(ResourceAttributes)`.
    pub expr: &'static str,
    /// The index type: `minmax`, `set(100)`, `bloom_filter(0.01)`, `tokenbf_v1(32768, 3, 0)`, ….
    pub kind: &'static str,
    /// How many granules one index entry covers.
    pub granularity: u32,
}

/// A token the datasource's deployment creates (`TOKEN "name" APPEND`), scoped to this datasource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The token's name, e.g. `OTEL_TINYBIRD_TOKEN`.
    pub name: &'static str,
    /// `APPEND` (ingest into this datasource) or `READ` (query it).
    pub permission: &'static str,
}

/// Everything a `.datasource` file says about a datasource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasourceSchema {
    /// The datasource name (the `.datasource` file's stem and the Events API's `name`).
    pub name: &'static str,
    /// `DESCRIPTION`.
    pub description: Option<&'static str>,
    /// `TOKEN`s, in order.
    pub tokens: Vec<Token>,
    /// The columns, in order.
    pub columns: Vec<Column>,
    /// `INDEXES`, in order.
    pub indexes: Vec<Index>,
    /// The engine.
    pub engine: Engine,
    /// `FORWARD_QUERY`: the `SELECT` list (no `FROM`) a Tinybird deployment runs over the live rows
    /// to fill a changed schema. It is only run when the live datasource differs from this one, so it
    /// is written against the schema it migrates from; change it with the next schema change.
    pub forward_query: Option<&'static str>,
    /// Where Tinybird ingests it from on its own, as `(directive, value)` in datafile order: the
    /// `KAFKA_*` settings of a Kafka datasource (`KAFKA_CONNECTION_NAME`, `KAFKA_TOPIC`, …) or the
    /// `IMPORT_*` ones of an S3/GCS import (`IMPORT_CONNECTION_NAME`, `IMPORT_BUCKET_URI`, …); empty
    /// for a datasource fed by the Events API and pipes.
    pub connector: Vec<(&'static str, &'static str)>,
}

/// The node of a pipe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The node name.
    pub name: &'static str,
    /// The node's `DESCRIPTION`.
    pub description: Option<&'static str>,
    /// The node SQL (with a leading `%` line when it uses templates).
    pub sql: &'static str,
}

/// A template parameter a pipe accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// The parameter name as sent in the query string.
    pub name: &'static str,
    /// The Tinybird template type function, e.g. `Int32`, `String`, `DateTime`.
    pub template_type: &'static str,
    /// The default in the SQL, as Tinybird's template analysis reports its value (`7`, `claude`, `True`).
    pub default: Option<&'static str>,
    /// Whether the endpoint requires it.
    pub required: bool,
    /// What it means.
    pub description: Option<&'static str>,
}

/// Everything a `.pipe` file says about a pipe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipeSchema {
    /// The pipe name (the file stem and the endpoint path).
    pub name: &'static str,
    /// `DESCRIPTION`.
    pub description: Option<&'static str>,
    /// The nodes, in order; the last one is the endpoint, the materialized view, the copy or the sink.
    pub nodes: Vec<Node>,
    /// The template parameters.
    pub params: Vec<Param>,
    /// What the last node is (`TYPE ...` and its settings).
    pub kind: PipeKind,
    /// `TOKEN "name" READ`: the tokens Tinybird creates with read access to this pipe.
    pub tokens: Vec<&'static str>,
}

/// What a pipe's last node is, with the lines its `TYPE` takes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PipeKind {
    /// `TYPE endpoint`: an API endpoint (`/v0/pipes/NAME.json`).
    Endpoint,
    /// `TYPE materialized` + `DATASOURCE`: every insert into the node's source datasource is
    /// transformed and appended to this datasource.
    Materialized {
        /// The target datasource.
        datasource: &'static str,
    },
    /// `TYPE copy` + `TARGET_DATASOURCE`: runs the query on a schedule or on demand and writes the
    /// result into the target.
    Copy {
        /// The target datasource.
        target: &'static str,
        /// `COPY_SCHEDULE`: a cron expression or `@on-demand`.
        schedule: Option<&'static str>,
        /// `COPY_MODE`: `append` (Tinybird's default) or `replace`.
        mode: Option<&'static str>,
    },
    /// `TYPE sink`: exports the result to a Kafka topic or an S3/GCS bucket.
    Sink {
        /// The `EXPORT_*` directives and their values, in datafile order
        /// (`EXPORT_CONNECTION_NAME`, `EXPORT_BUCKET_URI`, …).
        settings: Vec<(&'static str, &'static str)>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_types_map_to_clickhouse_types() {
        assert_eq!(String::ch_type().to_string(), "String");
        assert_eq!(<Option<u64>>::ch_type().to_string(), "Nullable(UInt64)");
        assert_eq!(<Vec<String>>::ch_type().to_string(), "Array(String)");
        assert_eq!(
            <HashMap<String, Vec<i32>>>::ch_type().to_string(),
            "Map(String, Array(Int32))"
        );
        assert_eq!(
            <chrono::DateTime<chrono::Utc>>::ch_type().to_string(),
            "DateTime64(3)"
        );
        assert_eq!(uuid::Uuid::ch_type().to_string(), "UUID");
        #[cfg(feature = "rust_decimal")]
        assert_eq!(
            <Option<rust_decimal::Decimal>>::ch_type()
                .with_decimal(20, 2)
                .to_string(),
            "Nullable(Decimal(20, 2))"
        );
    }

    #[test]
    fn the_newer_types_render_as_clickhouse_writes_them() {
        assert_eq!(
            <(String, Vec<u8>, Option<i32>)>::ch_type().to_string(),
            "Tuple(String, Array(UInt8), Nullable(Int32))"
        );
        assert_eq!(serde_json::Value::ch_type().to_string(), "JSON");
        assert_eq!(
            <(chrono::NaiveDate, String)>::ch_type()
                .with_date32()
                .with_fixed_string(2)
                .to_string(),
            "Tuple(Date32, FixedString(2))"
        );
        assert_eq!(i128::ch_type().to_string(), "Int128");
        assert_eq!(u128::ch_type().to_string(), "UInt128");
        assert_eq!(std::net::Ipv4Addr::ch_type().to_string(), "IPv4");
        assert_eq!(
            <Option<std::net::Ipv6Addr>>::ch_type().to_string(),
            "Nullable(IPv6)"
        );
        assert_eq!(
            ChType::Enum8(vec![("it's".into(), -1), ("b\\".into(), 2)]).to_string(),
            "Enum8('it\\'s' = -1, 'b\\\\' = 2)"
        );
        assert_eq!(
            <Vec<chrono::NaiveDate>>::ch_type()
                .with_date32()
                .to_string(),
            "Array(Date32)"
        );
        assert_eq!(
            <Option<String>>::ch_type()
                .with_fixed_string(3)
                .low_cardinality()
                .to_string(),
            "LowCardinality(Nullable(FixedString(3)))"
        );
        assert_eq!(
            u64::ch_type().simple_aggregate("sum").to_string(),
            "SimpleAggregateFunction(sum, UInt64)"
        );
        #[cfg(feature = "rust_decimal")]
        assert_eq!(
            <AggregateState<rust_decimal::Decimal>>::ch_type()
                .with_decimal(20, 2)
                .with_aggregate("sum")
                .to_string(),
            "AggregateFunction(sum, Decimal(20, 2))"
        );
        let state = Column::new("s", <AggregateState<u64>>::ch_type().with_aggregate("uniq"));
        assert_eq!(
            crate::datafile::render_datasource(&DatasourceSchema {
                name: "x",
                description: None,
                tokens: Vec::new(),
                columns: vec![state],
                indexes: Vec::new(),
                engine: Engine::default(),
                forward_query: None,
                connector: Vec::new(),
            })
            .lines()
            .nth(1),
            Some("    `s` AggregateFunction(uniq, UInt64)"),
            "a state column has no JSON path"
        );
    }

    #[test]
    fn aggregate_states_are_never_sent_and_read_from_anything() {
        let error = serde_json::to_string(&AggregateState::<u64>::new()).unwrap_err();
        assert!(error.to_string().contains("materialized view"), "{error}");
        let _: AggregateState<u64> = serde_json::from_str(r#""\u0001binary""#).unwrap();
    }

    #[test]
    fn low_cardinality_goes_inside_arrays_and_outside_nullable() {
        let lc = |ty: ChType| ty.low_cardinality().to_string();
        assert_eq!(lc(String::ch_type()), "LowCardinality(String)");
        assert_eq!(
            lc(<Option<String>>::ch_type()),
            "LowCardinality(Nullable(String))"
        );
        assert_eq!(
            lc(<Vec<Vec<Option<String>>>>::ch_type()),
            "Array(Array(LowCardinality(Nullable(String))))"
        );
        assert_eq!(
            lc(ChType::LowCardinality(Box::new(ChType::String))),
            "LowCardinality(String)"
        );
    }

    #[test]
    fn decimal_precision_reaches_every_decimal() {
        let decimal = ChType::Decimal {
            precision: 10,
            scale: 0,
        };
        let ty = ChType::Map(
            Box::new(ChType::String),
            Box::new(ChType::Array(Box::new(ChType::Nullable(Box::new(decimal))))),
        );
        assert_eq!(
            ty.with_decimal(20, 2).to_string(),
            "Map(String, Array(Nullable(Decimal(20, 2))))"
        );
    }

    #[test]
    fn json_path_marks_arrays() {
        let tags = Column::new("tags", <Vec<String>>::ch_type());
        assert_eq!(tags.effective_json_path().unwrap(), "$.tags[:]");
        let raw = Column::new("xs", ChType::Raw("Array(UInt8)".into()));
        assert_eq!(raw.effective_json_path().unwrap(), "$.xs[:]");
        let name = Column::new("name", ChType::String);
        assert_eq!(name.effective_json_path().unwrap(), "$.name");
        let state = Column::new(
            "buyers",
            <AggregateState<u64>>::ch_type().with_aggregate("uniq"),
        );
        assert_eq!(state.effective_json_path(), None);
    }
}
