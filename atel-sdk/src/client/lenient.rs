//! Decoding JSON rows the way ClickHouse writes them.
//!
//! ClickHouse's `FORMAT JSON` quotes 64-bit (and wider) integers by default (`"count": "42"`), and
//! Tinybird may or may not, depending on settings. This deserializer wraps a `serde_json::Value` and, when
//! the target asks for a number and finds a string, parses the string. Everything else behaves exactly
//! like `serde_json::Value`'s own deserializer, so the caller's types need no annotations.

use std::cell::RefCell;

use serde::Deserialize;
use serde::de::{
    self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};
use serde_json::Value;

/// Deserializes `value` into `T`, accepting numbers written as strings.
pub(crate) fn from_value<'de, T: Deserialize<'de>>(
    value: &'de Value,
) -> Result<T, serde_json::Error> {
    T::deserialize(Lenient {
        value,
        column: None,
    })
}

/// Like [`from_value`] for one row; on error also returns the top-level key (column) that failed.
pub(crate) fn row<'de, T: Deserialize<'de>>(
    value: &'de Value,
) -> Result<T, (serde_json::Error, Option<String>)> {
    let column = RefCell::new(None);
    let result = T::deserialize(Lenient {
        value,
        column: Some(&column),
    });
    result.map_err(|e| (e, column.into_inner()))
}

struct Lenient<'de, 'c> {
    value: &'de Value,
    /// Where the failing key goes, for the top-level object only.
    column: Option<&'c RefCell<Option<String>>>,
}

impl<'de> Lenient<'de, '_> {
    fn nested(value: &'de Value) -> Self {
        Self {
            value,
            column: None,
        }
    }
}

macro_rules! lenient_number {
    ($($method:ident: $ty:ty => $visit:ident),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
            if let Value::String(text) = self.value {
                if let Ok(number) = text.trim().parse::<$ty>() {
                    return visitor.$visit(number);
                }
            }
            self.deserialize_any(visitor)
        }
    )*};
}

impl<'de> Deserializer<'de> for Lenient<'de, '_> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.value {
            Value::Array(items) => {
                let mut seq = Seq { iter: items.iter() };
                let value = visitor.visit_seq(&mut seq)?;
                match seq.iter.len() {
                    0 => Ok(value),
                    _ => Err(de::Error::invalid_length(
                        items.len(),
                        &"fewer elements in array",
                    )),
                }
            }
            Value::Object(object) => visitor.visit_map(Map {
                iter: object.iter(),
                pending: None,
                column: self.column,
            }),
            other => other.deserialize_any(visitor),
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
        match self.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.value.deserialize_enum(name, variants, visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool char str string bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

struct Seq<'de> {
    iter: std::slice::Iter<'de, Value>,
}

impl<'de> SeqAccess<'de> for Seq<'de> {
    type Error = serde_json::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Self::Error> {
        self.iter
            .next()
            .map(|value| seed.deserialize(Lenient::nested(value)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

struct Map<'de, 'c> {
    iter: serde_json::map::Iter<'de>,
    pending: Option<(&'de String, &'de Value)>,
    column: Option<&'c RefCell<Option<String>>>,
}

impl<'de> MapAccess<'de> for Map<'de, '_> {
    type Error = serde_json::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        let Some((key, value)) = self.iter.next() else {
            return Ok(None);
        };
        self.pending = Some((key, value));
        let key: de::value::StrDeserializer<'_, serde_json::Error> =
            key.as_str().into_deserializer();
        seed.deserialize(key).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        let Some((key, value)) = self.pending.take() else {
            return Err(de::Error::custom("value requested before its key"));
        };
        seed.deserialize(Lenient::nested(value)).inspect_err(|_| {
            if let Some(column) = self.column {
                *column.borrow_mut() = Some(key.clone());
            }
        })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
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
        let value = json!({
            "name": "42", "count": "18446744073709551615", "delta": "-9223372036854775808",
            "ratio": 0.5, "maybe": "7", "list": ["1", 2], "nested": {"a": "-3"}, "extra": [1, {"x": 2}]
        });
        let row: Row = from_value(&value).unwrap();
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
    }

    #[test]
    fn failures_name_the_column() {
        let value = json!({"name": "x", "count": "many", "delta": 1, "ratio": 1.0, "maybe": null, "list": [], "nested": {}});
        let (err, column) = row::<Row>(&value).unwrap_err();
        assert_eq!(column.as_deref(), Some("count"));
        assert!(
            err.to_string().contains("invalid type: string \"many\""),
            "{err}"
        );

        let value = json!({"name": "x"});
        let (err, column) = row::<Row>(&value).unwrap_err();
        assert_eq!(column, None);
        assert_eq!(err.to_string(), "missing field `count`");
    }

    #[test]
    fn tuples_check_their_length() {
        let value = json!(["1", "2", "3"]);
        assert!(from_value::<(u8, u8)>(&value).is_err());
        assert_eq!(from_value::<(u8, u8, u8)>(&value).unwrap(), (1, 2, 3));
    }
}
