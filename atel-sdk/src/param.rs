//! Pipe parameters: how a Rust value travels in the query string, and which Tinybird template types
//! can hold it.
//!
//! `#[pipe(...)]` checks every field against every template call that reads it (`{{ Int32(days, 7) }}`,
//! `{{ Array(ids, 'UInt64') }}`) at compile time, through [`ParamValue::KIND`] and [`accepts`]. The check
//! runs on the field's real type, so type aliases and your own [`ParamValue`] impls are covered too.
//!
//! ```no_run
//! use atel_sdk::{TinybirdClient, pipe};
//!
//! #[derive(serde::Deserialize)]
//! struct ModelRequests {
//!     model: String,
//!     requests: u64,
//! }
//!
//! #[pipe(
//!     name = "requests_by_model",
//!     output = ModelRequests,
//!     node(
//!         name = "endpoint",
//!         sql = r#"
//!             %
//!             SELECT model, count() AS requests
//!             FROM api_requests
//!             WHERE timestamp >= now() - INTERVAL {{ UInt16(days, 7) }} DAY
//!             GROUP BY model
//!         "#
//!     )
//! )]
//! struct RequestsByModel {
//!     #[param(default = 7)]
//!     days: u16,
//! }
//!
//! # async fn run(client: &TinybirdClient) -> Result<(), atel_sdk::Error> {
//! let rows: Vec<ModelRequests> = client.requests_by_model().days(30).await?;
//! # Ok(())
//! # }
//! ```
//!
//! Writing `days: u64` there fails to compile: `UInt16` cannot hold every `u64`.
//!
//! # Compatibility
//!
//! A template type accepts a Rust type when every value of the Rust type is a valid value of the
//! template type, with no rounding:
//!
//! | Rust type                                   | template types that accept it                         |
//! |---------------------------------------------|-------------------------------------------------------|
//! | `String`, `&str`, `Cow<str>`                | `String`, `JSON`                                      |
//! | `uuid::Uuid`, `std::net::Ipv4Addr`, `Ipv6Addr`, a `#[derive(Enum)]` enum (by name) | `String` |
//! | `bool`                                      | `Boolean`                                             |
//! | `uN` (`usize` = `u64`)                      | `UIntM` for M ≥ N, `IntM` for M > N, `Float32` for N ≤ 16, `Float64` for N ≤ 32 |
//! | `iN` (`isize` = `i64`)                      | `IntM` for M ≥ N, `Float32` for N ≤ 16, `Float64` for N ≤ 32 |
//! | `f32`                                       | `Float32`, `Float64`                                  |
//! | `f64`                                       | `Float64`                                             |
//! | `chrono::NaiveDate`                         | `Date`                                                |
//! | `chrono::DateTime<Tz>`, `NaiveDateTime`     | `DateTime`, `DateTime64`                              |
//! | `Vec<T>`, `&[T]`                            | `Array(name, 'X')` when `X` accepts `T`               |
//! | `Option<T>`                                 | what accepts `T` (the param is left out when `None`)  |
//!
//! So a number is never a `String` param (write `Int32(...)`), an unsigned integer is never an
//! `IntM` of the same width (`u64` does not fit `Int64`), and a signed one never a `UIntM`.
//! Untyped uses — `defined(x)`, `{{ x }}`, `column(x, ...)` — accept any type.

use std::borrow::Cow;

/// What kind of single value a Rust type holds, as far as template types care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scalar {
    /// Text.
    String,
    /// A UUID, sent as its hyphenated text.
    Uuid,
    /// `true` / `false`.
    Bool,
    /// An unsigned integer of this many bits.
    UInt(u16),
    /// A signed integer of this many bits.
    Int(u16),
    /// A float of this many bits.
    Float(u16),
    /// A calendar date.
    Date,
    /// A date and time.
    DateTime,
    /// An exact decimal number (`rust_decimal::Decimal`): a column type, not a template param type.
    Decimal,
    /// An IPv4 address (`std::net::Ipv4Addr`), sent as its dotted text.
    Ipv4,
    /// An IPv6 address (`std::net::Ipv6Addr`), sent as its text.
    Ipv6,
    /// A Rust enum with `#[derive(atel_sdk::Enum)]`, sent by its name.
    Enum,
    /// A JSON object (`serde_json::Value`, `serde_json::Map`): a column type, not a template param
    /// type.
    Json,
}

/// The shape of a parameter value: one value, or a list sent comma-separated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// One value.
    Single(Scalar),
    /// A list, for `Array(name, 'T')`.
    Array(Scalar),
}

/// A Tinybird template type function: the `Int32` in `{{ Int32(days, 7) }}`, or the element type `'Int32'`
/// in `{{ Array(ids, 'Int32') }}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum TemplateType {
    String,
    Boolean,
    Date,
    DateTime,
    DateTime64,
    Float32,
    Float64,
    Int8,
    Int16,
    Int32,
    Int64,
    Int128,
    Int256,
    UInt8,
    UInt16,
    UInt32,
    UInt64,
    UInt128,
    UInt256,
    Json,
}

impl TemplateType {
    /// Whether every value of `scalar` is a valid value of this template type.
    pub const fn holds(self, scalar: Scalar) -> bool {
        use Scalar as S;
        match self {
            Self::String => matches!(scalar, S::String | S::Uuid | S::Ipv4 | S::Ipv6 | S::Enum),
            Self::Json => matches!(scalar, S::String),
            Self::Boolean => matches!(scalar, S::Bool),
            Self::Date => matches!(scalar, S::Date),
            Self::DateTime | Self::DateTime64 => matches!(scalar, S::DateTime),
            Self::Float32 => match scalar {
                S::Float(bits) => bits <= 32,
                S::Int(bits) | S::UInt(bits) => bits <= 16,
                _ => false,
            },
            Self::Float64 => match scalar {
                S::Float(bits) => bits <= 64,
                S::Int(bits) | S::UInt(bits) => bits <= 32,
                _ => false,
            },
            Self::Int8 => holds_int(scalar, 8),
            Self::Int16 => holds_int(scalar, 16),
            Self::Int32 => holds_int(scalar, 32),
            Self::Int64 => holds_int(scalar, 64),
            Self::Int128 => holds_int(scalar, 128),
            Self::Int256 => holds_int(scalar, 256),
            Self::UInt8 => holds_uint(scalar, 8),
            Self::UInt16 => holds_uint(scalar, 16),
            Self::UInt32 => holds_uint(scalar, 32),
            Self::UInt64 => holds_uint(scalar, 64),
            Self::UInt128 => holds_uint(scalar, 128),
            Self::UInt256 => holds_uint(scalar, 256),
        }
    }
}

const fn holds_int(scalar: Scalar, bits: u16) -> bool {
    match scalar {
        Scalar::Int(n) => n <= bits,
        Scalar::UInt(n) => n < bits,
        _ => false,
    }
}

const fn holds_uint(scalar: Scalar, bits: u16) -> bool {
    matches!(scalar, Scalar::UInt(n) if n <= bits)
}

/// Whether a template call of type `template` (`array`: inside `Array(name, 'T')`) accepts values of `kind`.
pub const fn accepts(template: TemplateType, array: bool, kind: ParamKind) -> bool {
    match (array, kind) {
        (false, ParamKind::Single(scalar)) | (true, ParamKind::Array(scalar)) => {
            template.holds(scalar)
        }
        _ => false,
    }
}

/// A Rust type usable as a pipe parameter.
///
/// Implement it for your own types (a newtype id, an enum sent as text) to use them as fields of a
/// `#[pipe]` params struct.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a pipe param",
    label = "not a `ParamValue`",
    note = "params are strings, numbers, `bool`, chrono dates and date-times, `uuid::Uuid`, and `Vec` or \
            `Option` of those; implement `atel_sdk::param::ParamValue` for other types"
)]
pub trait ParamValue {
    /// What the value holds; `#[pipe]` checks it against the template types at compile time.
    const KIND: ParamKind;

    /// The query-string value, formatted for `template` (the param's template type in the SQL);
    /// `None` leaves the param out of the request, so the SQL default applies.
    fn to_param(&self, template: TemplateType) -> Option<String>;
}

impl<T: ParamValue + ?Sized> ParamValue for &T {
    const KIND: ParamKind = T::KIND;
    fn to_param(&self, template: TemplateType) -> Option<String> {
        T::to_param(self, template)
    }
}

impl<T: ParamValue> ParamValue for Option<T> {
    const KIND: ParamKind = T::KIND;
    fn to_param(&self, template: TemplateType) -> Option<String> {
        self.as_ref().and_then(|value| value.to_param(template))
    }
}

impl ParamValue for str {
    const KIND: ParamKind = ParamKind::Single(Scalar::String);
    fn to_param(&self, _: TemplateType) -> Option<String> {
        Some(self.to_owned())
    }
}

impl ParamValue for String {
    const KIND: ParamKind = ParamKind::Single(Scalar::String);
    fn to_param(&self, _: TemplateType) -> Option<String> {
        Some(self.clone())
    }
}

impl ParamValue for Cow<'_, str> {
    const KIND: ParamKind = ParamKind::Single(Scalar::String);
    fn to_param(&self, _: TemplateType) -> Option<String> {
        Some(self.as_ref().to_owned())
    }
}

/// Tinybird's `Boolean` reads `false` and `0` as false, anything else as true.
impl ParamValue for bool {
    const KIND: ParamKind = ParamKind::Single(Scalar::Bool);
    fn to_param(&self, _: TemplateType) -> Option<String> {
        Some(if *self { "true" } else { "false" }.to_owned())
    }
}

macro_rules! display_param {
    ($($rust:ty => $scalar:expr),* $(,)?) => {
        $(impl ParamValue for $rust {
            const KIND: ParamKind = ParamKind::Single($scalar);
            fn to_param(&self, _: TemplateType) -> Option<String> {
                Some(self.to_string())
            }
        })*
    };
}

// `f64`'s `Display` never uses an exponent (`1e-7` prints `0.0000001`), which Tinybird's float check needs.
display_param! {
    u8 => Scalar::UInt(8),
    u16 => Scalar::UInt(16),
    u32 => Scalar::UInt(32),
    u64 => Scalar::UInt(64),
    u128 => Scalar::UInt(128),
    usize => Scalar::UInt(64),
    i8 => Scalar::Int(8),
    i16 => Scalar::Int(16),
    i32 => Scalar::Int(32),
    i64 => Scalar::Int(64),
    i128 => Scalar::Int(128),
    isize => Scalar::Int(64),
    f32 => Scalar::Float(32),
    f64 => Scalar::Float(64),
}

/// Sent comma-separated, as Tinybird's `Array(name, 'T')` reads it; an empty list is left out (so the
/// SQL default applies), since Tinybird would read an empty value as one empty element. Elements must not
/// contain commas: Tinybird has no escape for them.
impl<T: ParamValue> ParamValue for [T] {
    const KIND: ParamKind = match T::KIND {
        ParamKind::Single(scalar) => ParamKind::Array(scalar),
        ParamKind::Array(_) => panic!("nested lists are not Tinybird params"),
    };
    fn to_param(&self, template: TemplateType) -> Option<String> {
        let mut joined = String::new();
        for (i, item) in self.iter().enumerate() {
            if i > 0 {
                joined.push(',');
            }
            joined.push_str(&item.to_param(template)?);
        }
        (!self.is_empty()).then_some(joined)
    }
}

impl<T: ParamValue> ParamValue for Vec<T> {
    const KIND: ParamKind = <[T]>::KIND;
    fn to_param(&self, template: TemplateType) -> Option<String> {
        self.as_slice().to_param(template)
    }
}

#[cfg(feature = "uuid")]
impl ParamValue for uuid::Uuid {
    const KIND: ParamKind = ParamKind::Single(Scalar::Uuid);
    fn to_param(&self, _: TemplateType) -> Option<String> {
        Some(self.hyphenated().to_string())
    }
}

impl ParamValue for std::net::Ipv4Addr {
    const KIND: ParamKind = ParamKind::Single(Scalar::Ipv4);
    fn to_param(&self, _: TemplateType) -> Option<String> {
        Some(self.to_string())
    }
}

impl ParamValue for std::net::Ipv6Addr {
    const KIND: ParamKind = ParamKind::Single(Scalar::Ipv6);
    fn to_param(&self, _: TemplateType) -> Option<String> {
        Some(self.to_string())
    }
}

/// `YYYY-MM-DD`.
impl ParamValue for chrono::NaiveDate {
    const KIND: ParamKind = ParamKind::Single(Scalar::Date);
    fn to_param(&self, _: TemplateType) -> Option<String> {
        Some(self.format("%Y-%m-%d").to_string())
    }
}

/// `YYYY-MM-DD HH:MM:SS` for `DateTime`, `YYYY-MM-DD HH:MM:SS.mmm` for `DateTime64` (the formats Tinybird's
/// checks accept).
impl ParamValue for chrono::NaiveDateTime {
    const KIND: ParamKind = ParamKind::Single(Scalar::DateTime);
    fn to_param(&self, template: TemplateType) -> Option<String> {
        let format = if template == TemplateType::DateTime64 {
            "%Y-%m-%d %H:%M:%S%.3f"
        } else {
            "%Y-%m-%d %H:%M:%S"
        };
        Some(self.format(format).to_string())
    }
}

/// Converted to UTC, then formatted like [`chrono::NaiveDateTime`].
impl<Tz: chrono::TimeZone> ParamValue for chrono::DateTime<Tz> {
    const KIND: ParamKind = ParamKind::Single(Scalar::DateTime);
    fn to_param(&self, template: TemplateType) -> Option<String> {
        self.naive_utc().to_param(template)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fits<T: ParamValue + ?Sized>(template: TemplateType) -> bool {
        accepts(template, false, T::KIND)
    }

    #[test]
    fn integers_fit_only_without_loss() {
        assert!(fits::<u32>(TemplateType::UInt32));
        assert!(fits::<u32>(TemplateType::Int64));
        assert!(!fits::<u32>(TemplateType::Int32));
        assert!(!fits::<u64>(TemplateType::Int64));
        assert!(!fits::<i64>(TemplateType::UInt64));
        assert!(!fits::<i64>(TemplateType::Int32));
        assert!(fits::<i8>(TemplateType::Int256));
        assert!(fits::<u16>(TemplateType::Float32));
        assert!(!fits::<u32>(TemplateType::Float32));
        assert!(fits::<i32>(TemplateType::Float64));
        assert!(!fits::<i64>(TemplateType::Float64));
        assert!(!fits::<u32>(TemplateType::String));
        assert!(!fits::<f64>(TemplateType::Float32));
        assert!(!fits::<f32>(TemplateType::Int64));
    }

    #[test]
    fn text_bool_and_dates() {
        assert!(fits::<String>(TemplateType::String));
        assert!(fits::<&str>(TemplateType::Json));
        assert!(!fits::<String>(TemplateType::Int32));
        assert!(!fits::<String>(TemplateType::DateTime));
        #[cfg(feature = "uuid")]
        assert!(fits::<uuid::Uuid>(TemplateType::String));
        assert!(fits::<bool>(TemplateType::Boolean));
        assert!(!fits::<bool>(TemplateType::UInt8));
        assert!(fits::<chrono::NaiveDate>(TemplateType::Date));
        assert!(!fits::<chrono::NaiveDate>(TemplateType::DateTime));
        assert!(fits::<chrono::DateTime<chrono::Utc>>(
            TemplateType::DateTime64
        ));
        assert!(!fits::<chrono::DateTime<chrono::Utc>>(TemplateType::Date));
    }

    #[test]
    fn arrays_and_options() {
        assert!(accepts(TemplateType::UInt64, true, <Vec<u64>>::KIND));
        assert!(!accepts(TemplateType::UInt64, false, <Vec<u64>>::KIND));
        assert!(!accepts(TemplateType::UInt64, true, u64::KIND));
        assert!(!accepts(TemplateType::Int32, true, <Vec<u64>>::KIND));
        assert!(fits::<Option<u8>>(TemplateType::UInt8));
    }

    #[test]
    fn values_are_formatted_for_tinybird() {
        let t = TemplateType::String;
        assert_eq!(7_u32.to_param(t).as_deref(), Some("7"));
        assert_eq!((-3_i64).to_param(t).as_deref(), Some("-3"));
        assert_eq!(1e-7_f64.to_param(t).as_deref(), Some("0.0000001"));
        assert_eq!(true.to_param(t).as_deref(), Some("true"));
        assert_eq!(vec![1_u8, 2, 3].to_param(t).as_deref(), Some("1,2,3"));
        assert_eq!(<Vec<u8>>::new().to_param(t), None);
        assert_eq!(None::<u8>.to_param(t), None);
        assert_eq!(Some("x").to_param(t).as_deref(), Some("x"));
        let at = chrono::NaiveDate::from_ymd_opt(2026, 1, 2)
            .and_then(|d| d.and_hms_milli_opt(3, 4, 5, 67))
            .map(|naive| naive.and_utc());
        assert_eq!(
            at.to_param(TemplateType::DateTime).as_deref(),
            Some("2026-01-02 03:04:05")
        );
        assert_eq!(
            at.to_param(TemplateType::DateTime64).as_deref(),
            Some("2026-01-02 03:04:05.067")
        );
        let day = chrono::NaiveDate::from_ymd_opt(2026, 1, 2);
        assert_eq!(
            day.to_param(TemplateType::Date).as_deref(),
            Some("2026-01-02")
        );
    }
}
