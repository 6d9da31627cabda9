//! Decoding JSON rows the way ClickHouse writes them, straight from the answer's text.
//!
//! ClickHouse's `FORMAT JSON` quotes 64-bit (and wider) integers by default (`"count": "42"`), and
//! Tinybird may or may not, depending on settings; it writes `Decimal` values as bare numbers
//! (`12345678901234567.89`), more digits than an `f64` holds. This deserializer wraps `serde_json`'s own
//! and reads every number from its text:
//!
//! - a target that asks for a number (`u64`, `i32`, `f64`, …) gets it from a JSON number or a string
//!   holding one, parsed from the text (so a `u128` or a float is exact, never a detour through `f64`);
//! - a target that takes anything (`deserialize_any`: `rust_decimal::Decimal`, `serde_json::Value`,
//!   untagged enums) gets an integer as an integer, and a fraction as an `f64` when the `f64` is that
//!   very number (at most 15 significant digits, or one whose shortest form is the text); otherwise as
//!   its exact text, which `Decimal` parses exactly, rather than silently rounded.
//!
//! Everything else is `serde_json`'s, in one pass over the text.

use std::cell::RefCell;

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};
use serde::{Deserialize, forward_to_deserialize_any};
use serde_json::value::RawValue;

/// Deserializes `T` from JSON text, reading numbers as described in the module docs.
pub(crate) fn from_str<'de, T: Deserialize<'de>>(json: &'de str) -> Result<T, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(json);
    let value = T::deserialize(Lenient {
        de: &mut de,
        column: None,
    })?;
    de.end()?;
    Ok(value)
}

/// Like [`from_str`] for one row; on error also returns the top-level key (column) that failed.
pub(crate) fn row<'de, T: Deserialize<'de>>(
    json: &'de str,
) -> Result<T, (serde_json::Error, Option<String>)> {
    let column = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_str(json);
    let result = T::deserialize(Lenient {
        de: &mut de,
        column: Some(&column),
    })
    .and_then(|value| de.end().map(|()| value));
    result.map_err(|e| (without_position(e), column.into_inner()))
}

/// The message alone: a position in the row's own text says less than the row and column the
/// caller names.
fn without_position(error: serde_json::Error) -> serde_json::Error {
    if error.line() == 0 {
        return error;
    }
    let text = error.to_string();
    let position = format!(" at line {} column {}", error.line(), error.column());
    match text.strip_suffix(&position) {
        Some(message) => de::Error::custom(message),
        None => error,
    }
}

/// The wrapped deserializer, for one value.
struct Lenient<'c, D> {
    de: D,
    /// Where the failing key goes, for the top-level object only.
    column: Option<&'c RefCell<Option<String>>>,
}

fn nested<'c, D>(de: D) -> Lenient<'c, D> {
    Lenient { de, column: None }
}

/// The text of the next value, which only `serde_json`'s own deserializer gives.
fn raw<'de, D: Deserializer<'de>>(de: D) -> Result<&'de str, D::Error> {
    <&'de RawValue>::deserialize(de).map(RawValue::get)
}

/// The number a JSON value holds as text: a number's own text, or a string's content.
fn number_text(raw: &str) -> Option<std::borrow::Cow<'_, str>> {
    if raw.starts_with('"') {
        serde_json::from_str::<std::borrow::Cow<'_, str>>(raw).ok()
    } else {
        Some(raw.into())
    }
}

macro_rules! lenient_number {
    ($($method:ident: $ty:ty => $visit:ident),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
            let raw = raw(self.de)?;
            match number_text(raw).map(|text| text.trim().parse::<$ty>()) {
                Some(Ok(number)) => visitor.$visit(number),
                _ => Err(not_a_number(raw, &visitor)),
            }
        }
    )*};
}

/// The error `serde_json` gives for a value that is not the number `expected` asks for.
fn not_a_number<E: de::Error>(raw: &str, expected: &dyn de::Expected) -> E {
    use de::Unexpected;
    let string;
    let unexpected = match raw.as_bytes().first() {
        Some(b'"') => {
            string = serde_json::from_str::<String>(raw).unwrap_or_default();
            Unexpected::Str(&string)
        }
        Some(b't') => Unexpected::Bool(true),
        Some(b'f') => Unexpected::Bool(false),
        Some(b'n') => Unexpected::Other("null"),
        Some(b'{') => Unexpected::Map,
        Some(b'[') => Unexpected::Seq,
        _ => {
            return if let Ok(n) = raw.parse::<i64>() {
                E::invalid_value(Unexpected::Signed(n), expected)
            } else if let Ok(n) = raw.parse::<u64>() {
                E::invalid_value(Unexpected::Unsigned(n), expected)
            } else {
                let float = raw.parse::<f64>().unwrap_or(f64::NAN);
                E::invalid_type(Unexpected::Float(float), expected)
            };
        }
    };
    E::invalid_type(unexpected, expected)
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Lenient<'_, D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        let raw = raw(self.de)?;
        match raw.as_bytes().first() {
            Some(b'-' | b'0'..=b'9') => any_number(raw, visitor),
            Some(b'"') if !raw.contains('\\') => visitor.visit_borrowed_str(&raw[1..raw.len() - 1]),
            Some(b't') => visitor.visit_bool(true),
            Some(b'f') => visitor.visit_bool(false),
            Some(b'n') => visitor.visit_unit(),
            // An object, an array or an escaped string: read again, leniently inside.
            _ => (&mut serde_json::Deserializer::from_str(raw))
                .deserialize_any(Wrap(visitor))
                .map_err(de::Error::custom),
        }
    }

    lenient_number! {
        deserialize_i8: i8 => visit_i8,
        deserialize_i16: i16 => visit_i16,
        deserialize_i32: i32 => visit_i32,
        deserialize_i64: i64 => visit_i64,
        deserialize_i128: i128 => visit_i128,
        deserialize_u8: u8 => visit_u8,
        deserialize_u16: u16 => visit_u16,
        deserialize_u32: u32 => visit_u32,
        deserialize_u64: u64 => visit_u64,
        deserialize_u128: u128 => visit_u128,
        deserialize_f32: f32 => visit_f32,
        deserialize_f64: f64 => visit_f64,
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.de.deserialize_option(Wrap(visitor))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.de.deserialize_newtype_struct(name, Wrap(visitor))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.de.deserialize_seq(Wrap(visitor))
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.de.deserialize_tuple(len, Wrap(visitor))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.de.deserialize_tuple_struct(name, len, Wrap(visitor))
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.de.deserialize_map(Wrap(visitor))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        match self.column {
            Some(column) => self
                .de
                .deserialize_struct(name, fields, TopLevel { visitor, column }),
            None => self.de.deserialize_struct(name, fields, Wrap(visitor)),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.de.deserialize_enum(name, variants, Wrap(visitor))
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.de.deserialize_bool(visitor)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.de.deserialize_char(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.de.deserialize_str(visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.de.deserialize_string(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.de.deserialize_bytes(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.de.deserialize_byte_buf(visitor)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.de.deserialize_unit(visitor)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.de.deserialize_unit_struct(name, visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.de.deserialize_identifier(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.de.deserialize_ignored_any(visitor)
    }
}

/// A number for a target that takes anything: see the module docs.
fn any_number<'de, V: Visitor<'de>, E: de::Error>(
    text: &'de str,
    visitor: V,
) -> Result<V::Value, E> {
    if !text.contains(['.', 'e', 'E']) {
        if let Ok(n) = text.parse::<u64>() {
            return visitor.visit_u64(n);
        }
        if let Ok(n) = text.parse::<i64>() {
            return visitor.visit_i64(n);
        }
    }
    match text.parse::<f64>() {
        Ok(float) if is_exact(text, float) => visitor.visit_f64(float),
        _ => visitor.visit_borrowed_str(text),
    }
}

/// Whether `float` is the number `text` says, as every reader of an `f64` sees it: its shortest
/// decimal form is `text`'s value. Always so up to 15 significant digits (`f64` keeps 15 decimal
/// digits), which is checked without formatting.
fn is_exact(text: &str, float: f64) -> bool {
    if !float.is_finite() {
        return false;
    }
    let Some((digits, exponent)) = decimal_digits(text) else {
        return false;
    };
    if digits.len() <= 15 && (-300..300).contains(&exponent) {
        return true;
    }
    decimal_digits(&format!("{float:e}")) == Some((digits, exponent))
}

/// The significant digits of a JSON number and its exponent as `0.digits × 10^exponent`
/// (`-12.50e1` → `("125", 3)`), sign aside; `None` when it is not a number.
fn decimal_digits(text: &str) -> Option<(String, i64)> {
    let text = text.strip_prefix('-').unwrap_or(text);
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], text[at + 1..].parse::<i64>().ok()?),
        None => (text, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if !whole
        .bytes()
        .chain(fraction.bytes())
        .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let all: String = whole.chars().chain(fraction.chars()).collect();
    let leading = all.len() - all.trim_start_matches('0').len();
    let digits = all.trim_matches('0').to_owned();
    let exponent = exponent + i64::try_from(whole.len()).ok()? - i64::try_from(leading).ok()?;
    Some(if digits.is_empty() {
        (digits, 0)
    } else {
        (digits, exponent)
    })
}

/// A visitor whose nested values are read leniently too.
struct Wrap<V>(V);

/// The top-level struct of a row: like [`Wrap`], and it records the key whose value failed.
struct TopLevel<'c, V> {
    visitor: V,
    column: &'c RefCell<Option<String>>,
}

macro_rules! forward_visits {
    ($($method:ident($ty:ty)),* $(,)?) => {$(
        fn $method<E: de::Error>(self, value: $ty) -> Result<Self::Value, E> {
            self.0.$method(value)
        }
    )*};
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.expecting(f)
    }

    forward_visits! {
        visit_bool(bool), visit_i8(i8), visit_i16(i16), visit_i32(i32), visit_i64(i64),
        visit_i128(i128), visit_u8(u8), visit_u16(u16), visit_u32(u32), visit_u64(u64),
        visit_u128(u128), visit_f32(f32), visit_f64(f64), visit_char(char), visit_str(&str),
        visit_borrowed_str(&'de str), visit_string(String), visit_bytes(&[u8]),
        visit_borrowed_bytes(&'de [u8]), visit_byte_buf(Vec<u8>),
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.0.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.0.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        self.0.visit_some(nested(de))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        self.0.visit_newtype_struct(nested(de))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        self.0.visit_seq(Wrap(seq))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.0.visit_map(Wrap(map))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        self.0.visit_enum(Wrap(data))
    }
}

impl<'de, V: Visitor<'de>> Visitor<'de> for TopLevel<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.visitor.expecting(f)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        self.visitor.visit_seq(Wrap(seq))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.visitor.visit_map(Columns {
            map,
            key: None,
            column: self.column,
        })
    }
}

/// A seed whose value is read leniently.
struct Seed<S>(S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        self.0.deserialize(nested(de))
    }
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Wrap<A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Self::Error> {
        self.0.next_element_seed(Seed(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Wrap<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        self.0.next_key_seed(seed)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<T::Value, Self::Error> {
        self.0.next_value_seed(Seed(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: EnumAccess<'de>> EnumAccess<'de> for Wrap<A> {
    type Error = A::Error;
    type Variant = Wrap<A::Variant>;

    fn variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<(T::Value, Self::Variant), Self::Error> {
        self.0
            .variant_seed(seed)
            .map(|(value, variant)| (value, Wrap(variant)))
    }
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Wrap<A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), Self::Error> {
        self.0.unit_variant()
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<T::Value, Self::Error> {
        self.0.newtype_variant_seed(Seed(seed))
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.tuple_variant(len, Wrap(visitor))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.struct_variant(fields, Wrap(visitor))
    }
}

/// The columns of a row: values read leniently, and the key of a failing one recorded.
struct Columns<'c, A> {
    map: A,
    key: Option<String>,
    column: &'c RefCell<Option<String>>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Columns<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        self.map.next_key_seed(KeySeed {
            seed,
            key: &mut self.key,
        })
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<T::Value, Self::Error> {
        self.map.next_value_seed(Seed(seed)).inspect_err(|_| {
            *self.column.borrow_mut() = self.key.take();
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
    }
}

/// A key's seed that keeps the key's text.
struct KeySeed<'k, S> {
    seed: S,
    key: &'k mut Option<String>,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for KeySeed<'_, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        self.seed.deserialize(KeyText { de, key: self.key })
    }
}

/// The key's deserializer: `serde_json`'s, with the text it hands over kept.
struct KeyText<'k, D> {
    de: D,
    key: &'k mut Option<String>,
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for KeyText<'_, D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.de.deserialize_any(KeyVisitor {
            visitor,
            key: self.key,
        })
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.de.deserialize_identifier(KeyVisitor {
            visitor,
            key: self.key,
        })
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
        unit unit_struct newtype_struct seq tuple tuple_struct map struct enum ignored_any
    }
}

struct KeyVisitor<'k, V> {
    visitor: V,
    key: &'k mut Option<String>,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for KeyVisitor<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.visitor.expecting(f)
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        *self.key = Some(value.to_owned());
        self.visitor.visit_str(value)
    }

    fn visit_borrowed_str<E: de::Error>(self, value: &'de str) -> Result<Self::Value, E> {
        *self.key = Some(value.to_owned());
        self.visitor.visit_borrowed_str(value)
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Self::Value, E> {
        *self.key = Some(value.clone());
        self.visitor.visit_string(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[derive(Debug, PartialEq, Deserialize)]
    struct Row {
        name: String,
        count: u64,
        delta: i64,
        ratio: f64,
        maybe: Option<u64>,
        list: Vec<u64>,
        nested: BTreeMap<String, i64>,
    }

    #[test]
    fn numbers_as_strings_decode_everywhere() {
        let json = r#"{
            "name": "42", "count": "18446744073709551615", "delta": "-9223372036854775808",
            "ratio": 0.5, "maybe": "7", "list": ["1", 2], "nested": {"a": "-3"}, "extra": [1, {"x": 2}]
        }"#;
        let row: Row = from_str(json).unwrap();
        assert_eq!(
            row,
            Row {
                name: "42".into(),
                count: u64::MAX,
                delta: i64::MIN,
                ratio: 0.5,
                maybe: Some(7),
                list: vec![1, 2],
                nested: [("a".to_owned(), -3)].into_iter().collect(),
            }
        );
        let big: u128 = from_str("340282366920938463463374607431768211455").unwrap();
        assert_eq!(big, u128::MAX);
    }

    #[test]
    fn failures_name_the_column() {
        let json = r#"{"name": "x", "count": "many", "delta": 1, "ratio": 1.0, "maybe": null, "list": [], "nested": {}}"#;
        let (err, column) = row::<Row>(json).unwrap_err();
        assert_eq!(column.as_deref(), Some("count"));
        assert!(
            err.to_string().contains("invalid type: string \"many\""),
            "{err}"
        );

        let (err, column) = row::<Row>(r#"{"name": "x"}"#).unwrap_err();
        assert_eq!(column, None);
        assert!(
            err.to_string().starts_with("missing field `count`"),
            "{err}"
        );
    }

    #[test]
    fn tuples_check_their_length() {
        let json = r#"["1", "2", "3"]"#;
        assert!(from_str::<(u8, u8)>(json).is_err());
        assert_eq!(from_str::<(u8, u8, u8)>(json).unwrap(), (1, 2, 3));
    }

    /// What a `deserialize_any` target sees: numbers an `f64` holds exactly as before, the others as
    /// their exact text instead of a rounded `f64`.
    #[test]
    fn numbers_an_f64_cannot_hold_are_handed_over_as_text() {
        use serde_json::{Value, json};
        let values: Vec<Value> = from_str(
            "[1, -2, 0.5, 1.1, 0.30000000000000004, 1e300, 18446744073709551616, \
             12345678901234567.89, 0.12345678901234567890]",
        )
        .unwrap();
        assert_eq!(
            values,
            [
                json!(1),
                json!(-2),
                json!(0.5),
                json!(1.1),
                json!(0.300_000_000_000_000_04),
                json!(1e300),
                // 2^64 is an `f64`, but one that prints as 18446744073709552000.
                json!("18446744073709551616"),
                json!("12345678901234567.89"),
                json!("0.12345678901234567890"),
            ]
        );
        let float: f64 = from_str("12345678901234567.89").unwrap();
        assert!((float - 12_345_678_901_234_567.89).abs() < 1.0);
    }

    #[test]
    fn decimal_digits_normalize() {
        assert_eq!(decimal_digits("-12.50e1"), Some(("125".into(), 3)));
        assert_eq!(decimal_digits("0.00120"), Some(("12".into(), -2)));
        assert_eq!(decimal_digits("1.2e-5"), Some(("12".into(), -4)));
        assert_eq!(decimal_digits("120"), Some(("12".into(), 3)));
        assert_eq!(decimal_digits("0"), Some((String::new(), 0)));
        assert_eq!(decimal_digits("1x"), None);
        assert!(is_exact("0.1", 0.1));
        assert!(!is_exact("12345678901234567.89", 12_345_678_901_234_567.89));
        assert!(is_exact("0.30000000000000004", 0.300_000_000_000_000_04));
    }
}
