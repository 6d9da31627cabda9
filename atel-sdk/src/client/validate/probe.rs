//! What a row type's `Deserialize` asks for, found by driving it with a deserializer that answers
//! with sample values and records each request (`deserialize_u64`, `deserialize_option`, …).
//!
//! No derive is needed: every `#[derive(Deserialize)]` struct names its fields (serde's `FIELDS`) and
//! asks for one kind of value per field. Renames, `rename_all` and `#[serde(with = …)]` are seen as
//! serde applies them. A row that is not a struct with named fields (a map, a `#[serde(flatten)]`
//! struct, a tuple) gives no shape, and nothing is checked.

use std::cell::{Cell, RefCell};
use std::fmt;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, EnumAccess, IntoDeserializer, MapAccess,
    SeqAccess, VariantAccess, Visitor,
};

/// The kind of value a field's `Deserialize` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Want {
    Bool,
    /// An unsigned integer of this many bits.
    UInt(u16),
    /// A signed integer of this many bits.
    Int(u16),
    /// `f32` or `f64`.
    Float(u16),
    /// Text: a `String`, and what reads itself from text (dates, UUIDs, `#[serde(with)]` helpers).
    Str,
    Option(Box<Self>),
    Seq(Box<Self>),
    Tuple,
    Map(Box<Self>, Box<Self>),
    Struct,
    Enum,
    /// `deserialize_any`: a `Decimal`, a `serde_json::Value`, an untagged enum. Takes any column.
    Any,
}

impl fmt::Display for Want {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bool => f.write_str("bool"),
            Self::UInt(bits) => write!(f, "u{bits}"),
            Self::Int(bits) => write!(f, "i{bits}"),
            Self::Float(bits) => write!(f, "f{bits}"),
            Self::Str => f.write_str("String"),
            Self::Option(inner) => write!(f, "Option<{inner}>"),
            Self::Seq(inner) => write!(f, "Vec<{inner}>"),
            Self::Tuple => f.write_str("a tuple"),
            Self::Map(key, value) => write!(f, "Map<{key}, {value}>"),
            Self::Struct => f.write_str("a struct"),
            Self::Enum => f.write_str("an enum"),
            Self::Any => f.write_str("any value"),
        }
    }
}

/// One field of a row struct.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Field {
    /// The key serde reads, after renames.
    pub(crate) name: &'static str,
    pub(crate) want: Want,
    /// Whether a row without this key fails (no `#[serde(default)]`, not an `Option`). `false` when
    /// the probe could not tell, so a missing column is left to the decoder to report.
    pub(crate) required: bool,
}

/// The fields of row type `T`, or `None` when it is not a struct with named fields.
pub(crate) fn fields<T: DeserializeOwned>() -> Option<Vec<Field>> {
    let names = Run::new(&[], &[]).go::<T>().names?;
    let mut wants = Vec::with_capacity(names.len());
    let mut samples = Vec::with_capacity(names.len());
    for index in 0..names.len() {
        let mut want = Want::Any;
        let mut sample = None;
        for attempt in 0..SAMPLES.len() {
            let mut picks = vec![0; names.len()];
            picks[index] = attempt;
            let run = Run::new(&[index], &picks).go::<T>();
            if let Some(seen) = run.wants.into_iter().next().flatten() {
                want = seen;
            }
            if run.value_ok.first().copied().unwrap_or(false) {
                sample = Some(attempt);
                break;
            }
        }
        wants.push(want);
        samples.push(sample);
    }

    // Which fields a row must hold: feed the ones found so far until serde stops missing one.
    let mut required = vec![false; names.len()];
    let mut present: Vec<usize> = Vec::new();
    let picks: Vec<usize> = samples.iter().map(|s| s.unwrap_or(0)).collect();
    for _ in 0..=names.len() {
        let run = Run::new(&present, &picks).go::<T>();
        let Some(missing) = run.missing else { break };
        let Some(index) = names.iter().position(|name| *name == missing) else {
            break;
        };
        if required[index] {
            break;
        }
        required[index] = true;
        if samples[index].is_none() {
            // No sample this field accepts: the fields after it cannot be told apart.
            break;
        }
        present.push(index);
    }

    Some(
        names
            .iter()
            .zip(wants)
            .zip(required)
            .map(|((name, want), required)| Field {
                name,
                want,
                required,
            })
            .collect(),
    )
}

/// Text samples, tried in turn until the field's `Deserialize` takes one: a `String`, a
/// `NaiveDate`, ClickHouse's date-time, RFC 3339, a UUID, a number.
const SAMPLES: [&str; 6] = [
    "",
    "1970-01-01",
    "1970-01-01 00:00:00",
    "1970-01-01T00:00:00Z",
    "00000000-0000-0000-0000-000000000000",
    "0",
];

/// One drive of `T::deserialize`: the top-level map holds the fields at `keys`, in that order.
struct Run<'a> {
    keys: &'a [usize],
    /// The sample each field's value gets, by field index.
    picks: &'a [usize],
    names: Option<&'static [&'static str]>,
    wants: Vec<Option<Want>>,
    value_ok: Vec<bool>,
}

impl<'a> Run<'a> {
    fn new(keys: &'a [usize], picks: &'a [usize]) -> Self {
        Self {
            keys,
            picks,
            names: None,
            wants: Vec::new(),
            value_ok: Vec::new(),
        }
    }

    fn go<T: DeserializeOwned>(self) -> Outcome {
        let run = RefCell::new(self);
        let result = T::deserialize(Top { run: &run });
        let run = run.into_inner();
        Outcome {
            names: run.names.map(<[_]>::to_vec),
            wants: run.wants,
            value_ok: run.value_ok,
            missing: match result {
                Err(Error::Missing(name)) => Some(name),
                _ => None,
            },
        }
    }
}

struct Outcome {
    names: Option<Vec<&'static str>>,
    wants: Vec<Option<Want>>,
    value_ok: Vec<bool>,
    missing: Option<&'static str>,
}

/// The probe's error: serde's "missing field", or anything else.
#[derive(Debug)]
enum Error {
    Missing(&'static str),
    Other,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing(name) => write!(f, "missing field `{name}`"),
            Self::Other => f.write_str("probe"),
        }
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<M: fmt::Display>(_: M) -> Self {
        Self::Other
    }

    fn missing_field(field: &'static str) -> Self {
        Self::Missing(field)
    }
}

/// The row itself: only a struct is probed.
struct Top<'r, 'a> {
    run: &'r RefCell<Run<'a>>,
}

impl<'de> Deserializer<'de> for Top<'_, '_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Error> {
        Err(Error::Other)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.run.borrow_mut().names = Some(fields);
        visitor.visit_map(Fields {
            run: self.run,
            names: fields,
            at: 0,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
        unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

/// The top-level map: the run's keys, each value probed.
struct Fields<'r, 'a> {
    run: &'r RefCell<Run<'a>>,
    names: &'static [&'static str],
    at: usize,
}

impl<'de> MapAccess<'de> for Fields<'_, '_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some(&index) = self.run.borrow().keys.get(self.at) else {
            return Ok(None);
        };
        let name = self.names.get(index).copied().ok_or(Error::Other)?;
        seed.deserialize(IntoDeserializer::<Error>::into_deserializer(name))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let sample = {
            let run = self.run.borrow();
            let index = run.keys.get(self.at).copied().ok_or(Error::Other)?;
            run.picks.get(index).copied().unwrap_or(0)
        };
        self.at += 1;
        let slot = RefCell::new(None);
        let result = seed.deserialize(Probe {
            slot: &slot,
            sample,
        });
        let mut run = self.run.borrow_mut();
        run.wants.push(slot.into_inner());
        run.value_ok.push(result.is_ok());
        result
    }
}

/// One value: records what is asked of it into `slot`, then answers with a sample.
struct Probe<'s> {
    slot: &'s RefCell<Option<Want>>,
    sample: usize,
}

impl Probe<'_> {
    fn record(&self, want: Want) {
        *self.slot.borrow_mut() = Some(want);
    }
}

/// What a nested probe recorded ([`Want::Any`] when nothing asked).
fn nested(slot: &RefCell<Option<Want>>) -> Want {
    slot.borrow_mut().take().unwrap_or(Want::Any)
}

macro_rules! probe_numbers {
    ($($method:ident: $want:expr => $visit:ident($($value:expr)?)),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            self.record($want);
            visitor.$visit($($value)?)
        }
    )*};
}

impl<'de> Deserializer<'de> for Probe<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.record(Want::Any);
        if self.sample == 0 {
            visitor.visit_u64(0)
        } else {
            visitor.visit_str(SAMPLES.get(self.sample).copied().unwrap_or(""))
        }
    }

    probe_numbers! {
        deserialize_bool: Want::Bool => visit_bool(false),
        deserialize_u8: Want::UInt(8) => visit_u8(0),
        deserialize_u16: Want::UInt(16) => visit_u16(0),
        deserialize_u32: Want::UInt(32) => visit_u32(0),
        deserialize_u64: Want::UInt(64) => visit_u64(0),
        deserialize_u128: Want::UInt(128) => visit_u128(0),
        deserialize_i8: Want::Int(8) => visit_i8(0),
        deserialize_i16: Want::Int(16) => visit_i16(0),
        deserialize_i32: Want::Int(32) => visit_i32(0),
        deserialize_i64: Want::Int(64) => visit_i64(0),
        deserialize_i128: Want::Int(128) => visit_i128(0),
        deserialize_f32: Want::Float(32) => visit_f32(0.0),
        deserialize_f64: Want::Float(64) => visit_f64(0.0),
        deserialize_char: Want::Str => visit_char('0'),
        deserialize_unit: Want::Any => visit_unit(),
        deserialize_ignored_any: Want::Any => visit_unit(),
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.record(Want::Str);
        visitor.visit_str(SAMPLES.get(self.sample).copied().unwrap_or(""))
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let inner = RefCell::new(None);
        let result = visitor.visit_some(Probe {
            slot: &inner,
            sample: self.sample,
        });
        let want = nested(&inner);
        self.record(Want::Option(Box::new(want)));
        result
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.record(Want::Any);
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let inner = RefCell::new(None);
        let result = visitor.visit_seq(One {
            slot: &inner,
            sample: self.sample,
            done: Cell::new(false),
        });
        let want = nested(&inner);
        self.record(Want::Seq(Box::new(want)));
        result
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, Error> {
        self.record(Want::Tuple);
        visitor.visit_seq(de::value::SeqDeserializer::<_, Error>::new(
            std::iter::empty::<u8>(),
        ))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_tuple(len, visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let (key, value) = (RefCell::new(None), RefCell::new(None));
        let result = visitor.visit_map(OneEntry {
            key: &key,
            value: &value,
            sample: self.sample,
            state: Cell::new(0),
        });
        let (key, value) = (nested(&key), nested(&value));
        self.record(Want::Map(Box::new(key), Box::new(value)));
        result
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.record(Want::Struct);
        visitor.visit_map(de::value::MapDeserializer::<_, Error>::new(
            std::iter::empty::<(u8, u8)>(),
        ))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.record(Want::Enum);
        visitor.visit_enum(Variant(variants.first().copied().unwrap_or("")))
    }
}

/// A sequence of one probed element.
struct One<'s> {
    slot: &'s RefCell<Option<Want>>,
    sample: usize,
    done: Cell<bool>,
}

impl<'de> SeqAccess<'de> for One<'_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        if self.done.replace(true) {
            return Ok(None);
        }
        seed.deserialize(Probe {
            slot: self.slot,
            sample: self.sample,
        })
        .map(Some)
    }
}

/// A map of one probed entry.
struct OneEntry<'s> {
    key: &'s RefCell<Option<Want>>,
    value: &'s RefCell<Option<Want>>,
    sample: usize,
    /// 0: key next, 1: value next, 2: done.
    state: Cell<u8>,
}

impl<'de> MapAccess<'de> for OneEntry<'_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        if self.state.get() != 0 {
            return Ok(None);
        }
        self.state.set(1);
        seed.deserialize(Probe {
            slot: self.key,
            sample: self.sample,
        })
        .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        self.state.set(2);
        seed.deserialize(Probe {
            slot: self.value,
            sample: self.sample,
        })
    }
}

/// The first variant of an enum, as a unit variant.
struct Variant(&'static str);

impl<'de> EnumAccess<'de> for Variant {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), Error> {
        let value = seed.deserialize(IntoDeserializer::<Error>::into_deserializer(self.0))?;
        Ok((value, self))
    }
}

impl<'de> VariantAccess<'de> for Variant {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _: T) -> Result<T::Value, Error> {
        Err(Error::Other)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _: usize, _: V) -> Result<V::Value, Error> {
        Err(Error::Other)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Error> {
        Err(Error::Other)
    }
}

#[cfg(test)]
mod tests;
