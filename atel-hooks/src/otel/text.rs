//! The exact text Go writes: `encoding/json` strings (HTML-escaped, as `json.Marshal` and
//! `json.Encoder` do by default), pdata's `AsString` of an attribute value, floats in the ES6 form,
//! and `time.RFC3339Nano` timestamps.
//!
//! Attribute values are read through [`Value`] / [`Attribute`], so rows are written the same way
//! from prost messages and from the borrowed structs of the OTLP/JSON fast path.

use std::borrow::Cow;
use std::fmt::Write as _;

use base64::Engine as _;

use super::proto::{AnyValue, KeyValue, any_value};
use super::redact::Redaction;

const HEX: &[u8; 16] = b"0123456789abcdef";

/// What an OTLP `AnyValue` holds, borrowed.
pub(crate) enum View<'a, V, K> {
    /// No value set (or no `AnyValue` at all).
    Empty,
    Str(&'a str),
    Bool(bool),
    Int(i64),
    Double(f64),
    Bytes(&'a [u8]),
    Array(&'a [V]),
    Kvlist(&'a [K]),
}

/// An OTLP `AnyValue`, however it is stored.
pub(crate) trait Value: Sized {
    /// The key-value pair of its kvlists.
    type Kv: Attribute<Value = Self>;
    /// What it holds.
    fn view(&self) -> View<'_, Self, Self::Kv>;
}

/// An OTLP `KeyValue`, however it is stored.
pub(crate) trait Attribute {
    /// Its value type.
    type Value: Value<Kv = Self>;
    /// The key.
    fn key(&self) -> &str;
    /// The value, `None` when absent.
    fn value(&self) -> Option<&Self::Value>;
}

impl Value for AnyValue {
    type Kv = KeyValue;
    fn view(&self) -> View<'_, Self, KeyValue> {
        use any_value::Value as V;
        match &self.value {
            None => View::Empty,
            Some(V::StringValue(s)) => View::Str(s),
            Some(V::BoolValue(b)) => View::Bool(*b),
            Some(V::IntValue(i)) => View::Int(*i),
            Some(V::DoubleValue(d)) => View::Double(*d),
            Some(V::BytesValue(b)) => View::Bytes(b),
            Some(V::ArrayValue(a)) => View::Array(&a.values),
            Some(V::KvlistValue(l)) => View::Kvlist(&l.values),
        }
    }
}

impl Attribute for KeyValue {
    type Value = AnyValue;
    fn key(&self) -> &str {
        &self.key
    }
    fn value(&self) -> Option<&AnyValue> {
        self.value.as_ref()
    }
}

fn view<V: Value>(value: Option<&V>) -> View<'_, V, V::Kv> {
    value.map_or(View::Empty, Value::view)
}

/// Whether a Go JSON string cannot hold byte `b` as it is: control characters, `"`, `\`, `<`, `>`,
/// `&`, and 0xE2, the first byte of U+2028 and U+2029 (checked further when met).
fn escaped(b: u8) -> bool {
    matches!(b, 0..=0x1f | b'"' | b'\\' | b'<' | b'>' | b'&' | 0xe2)
}

/// Appends `s` as a JSON string the way Go's `encoding/json` writes it: `<`, `>`, `&`, U+2028 and
/// U+2029 as `\u` escapes, `\b \f \n \r \t` short, other control characters as `\u00xx`.
pub(crate) fn push_str(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if !escaped(b) {
            i += 1;
            continue;
        }
        let (escape, len): (&str, usize) = match b {
            b'"' => ("\\\"", 1),
            b'\\' => ("\\\\", 1),
            b'\n' => ("\\n", 1),
            b'\r' => ("\\r", 1),
            b'\t' => ("\\t", 1),
            0x08 => ("\\b", 1),
            0x0c => ("\\f", 1),
            0xe2 => match bytes.get(i + 1..i + 3) {
                Some([0x80, 0xa8]) => ("\\u2028", 3),
                Some([0x80, 0xa9]) => ("\\u2029", 3),
                _ => {
                    i += 1;
                    continue;
                }
            },
            _ => ("", 1),
        };
        // Every escaped byte is ASCII or starts a character: `start..i` lies on char boundaries.
        out.push_str(s.get(start..i).unwrap_or_default());
        if escape.is_empty() {
            out.push_str("\\u00");
            out.push(char::from(*HEX.get(usize::from(b >> 4)).unwrap_or(&b'0')));
            out.push(char::from(*HEX.get(usize::from(b & 0xf)).unwrap_or(&b'0')));
        } else {
            out.push_str(escape);
        }
        i += len;
        start = i;
    }
    out.push_str(s.get(start..).unwrap_or_default());
    out.push('"');
}

/// A float as Go's `encoding/json` and pdata's `AsString` write it: shortest digits, positional
/// unless below 1e-6 or from 1e21 (`1e-7`, `1e+21`). `None` for NaN and ±Inf (Go cannot encode them).
pub(crate) fn go_float(f: f64) -> Option<String> {
    if !f.is_finite() {
        return None;
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let text = format!("{f:e}");
        Some(match text.split_once('e') {
            Some((mantissa, exp)) if !exp.starts_with('-') => format!("{mantissa}e+{exp}"),
            _ => text,
        })
    } else {
        Some(format!("{f}"))
    }
}

/// A float as pdata's `AsString` writes it, non-finite values included (`json: unsupported value: NaN`).
fn float_as_string(f: f64) -> String {
    go_float(f).unwrap_or_else(|| {
        let name = if f.is_nan() {
            "NaN"
        } else if f > 0.0 {
            "+Inf"
        } else {
            "-Inf"
        };
        format!("json: unsupported value: {name}")
    })
}

/// pdata's `Value.AsString`: the text an attribute becomes in a `map<string,string>` column.
pub(crate) fn as_string<V: Value>(value: Option<&V>) -> Cow<'_, str> {
    match view(value) {
        View::Empty => Cow::Borrowed(""),
        View::Str(s) => Cow::Borrowed(s),
        View::Bool(b) => Cow::Borrowed(if b { "true" } else { "false" }),
        View::Int(i) => Cow::Owned(i.to_string()),
        View::Double(d) => Cow::Owned(float_as_string(d)),
        View::Bytes(b) => Cow::Owned(base64::engine::general_purpose::STANDARD.encode(b)),
        View::Array(_) | View::Kvlist(_) => {
            let mut out = String::new();
            // Go's `json.Marshal` fails on a NaN anywhere inside, and pdata then returns "".
            if raw_json(&mut out, value).is_some() {
                Cow::Owned(out)
            } else {
                Cow::Borrowed("")
            }
        }
    }
}

/// The entries of a map in Go's order, sorted by key, the last of duplicate keys kept (what a Go
/// map built from them in order holds).
fn sorted<K: Attribute>(attributes: &[K]) -> Vec<(&str, Option<&K::Value>)> {
    let mut entries: Vec<(&str, Option<&K::Value>)> =
        attributes.iter().map(|kv| (kv.key(), kv.value())).collect();
    // Stable: equal keys keep their order, so the last of each run is the last one given.
    entries.sort_by(|a, b| a.0.cmp(b.0));
    let mut kept: Vec<(&str, Option<&K::Value>)> = Vec::with_capacity(entries.len());
    for entry in entries {
        match kept.last_mut() {
            Some(last) if last.0 == entry.0 => *last = entry,
            _ => kept.push(entry),
        }
    }
    kept
}

/// `json.Marshal(value.AsRaw())`: maps with sorted keys (the last of duplicate keys wins), bytes as
/// base64, empty as `null`. `None` when a float inside is not finite.
fn raw_json<V: Value>(out: &mut String, value: Option<&V>) -> Option<()> {
    match view(value) {
        View::Empty => out.push_str("null"),
        View::Str(s) => push_str(out, s),
        View::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        View::Int(i) => {
            let _ = write!(out, "{i}");
        }
        View::Double(d) => out.push_str(&go_float(d)?),
        View::Bytes(b) => {
            push_str(out, &base64::engine::general_purpose::STANDARD.encode(b));
        }
        View::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                raw_json(out, Some(item))?;
            }
            out.push(']');
        }
        View::Kvlist(list) => {
            out.push('{');
            for (i, (key, value)) in sorted(list).into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_str(out, key);
                out.push(':');
                raw_json(out, value)?;
            }
            out.push('}');
        }
    }
    Some(())
}

/// The exporter's `convertAttributes`: a `map[string]string` as Go writes it (sorted keys, the
/// last of duplicate keys wins), each value through [`as_string`] and then the redaction.
pub(crate) fn push_attributes<K: Attribute>(
    out: &mut String,
    attributes: &[K],
    redaction: Redaction,
) {
    out.push('{');
    for (i, (key, value)) in sorted(attributes).into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_str(out, key);
        out.push(':');
        match view(value) {
            // The common cases without building the text first.
            View::Str(s) => push_str(out, redaction.apply_str(key, s)),
            View::Int(n) if !redaction.redacts(key) => {
                let _ = write!(out, "\"{n}\"");
            }
            View::Bool(b) if !redaction.redacts(key) => {
                out.push_str(if b { "\"true\"" } else { "\"false\"" });
            }
            _ => push_str(out, redaction.apply_str(key, &as_string(value))),
        }
    }
    out.push('}');
}

/// Appends Go's `time.Unix(0, int64(ns)).UTC().Format(time.RFC3339Nano)`: the fraction's
/// trailing zeros trimmed, none at all for a whole second.
pub(crate) fn push_timestamp(out: &mut String, ns: u64) {
    // Go converts with `int64(ns)`: a value past i64::MAX wraps to before 1970, as here.
    #[allow(clippy::cast_possible_wrap)]
    let ns = ns as i64;
    let secs = ns.div_euclid(1_000_000_000);
    let frac = ns.rem_euclid(1_000_000_000);
    let days = secs.div_euclid(86_400);
    let of_day = secs.rem_euclid(86_400);
    let (year, month, day) = civil(days);
    // i64 nanoseconds span 1677..2262: always four digits.
    push_padded(out, year, 4);
    let date_time = [
        ('-', month, 2),
        ('-', day, 2),
        ('T', of_day / 3600, 2),
        (':', of_day / 60 % 60, 2),
        (':', of_day % 60, 2),
    ];
    for (sep, n, width) in date_time {
        out.push(sep);
        push_padded(out, n, width);
    }
    if frac != 0 {
        let mut frac = frac;
        let mut width = 9;
        while frac % 10 == 0 {
            frac /= 10;
            width -= 1;
        }
        out.push('.');
        push_padded(out, frac, width);
    }
    out.push('Z');
}

/// Appends the last `width` (at most 9) decimal digits of `n`, which is not negative.
fn push_padded(out: &mut String, n: i64, width: usize) {
    let mut n = n.unsigned_abs();
    let mut buf = [b'0'; 9];
    for slot in buf.iter_mut().rev() {
        // A digit: below 10.
        #[allow(clippy::cast_possible_truncation)]
        let digit = (n % 10) as u8;
        *slot = b'0' + digit;
        n /= 10;
    }
    let digits = buf.get(9_usize.saturating_sub(width)..).unwrap_or_default();
    out.push_str(std::str::from_utf8(digits).unwrap_or_default());
}

/// The proleptic Gregorian (year, month, day) of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// [`push_timestamp`] as a string.
pub(crate) fn timestamp(ns: u64) -> String {
    let mut out = String::with_capacity(30);
    push_timestamp(&mut out, ns);
    out
}

/// Appends pdata's `TraceIDToHexOrEmptyString` / `SpanIDToHexOrEmptyString`: lowercase hex,
/// nothing when all zero or empty.
pub(crate) fn push_hex_id(out: &mut String, id: &[u8]) {
    if id.iter().all(|b| *b == 0) {
        return;
    }
    out.reserve(id.len() * 2);
    for b in id {
        out.push(char::from(*HEX.get(usize::from(b >> 4)).unwrap_or(&b'0')));
        out.push(char::from(*HEX.get(usize::from(b & 0xf)).unwrap_or(&b'0')));
    }
}

/// [`push_hex_id`] as a string.
pub(crate) fn hex_id(id: &[u8]) -> String {
    let mut out = String::new();
    push_hex_id(&mut out, id);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otel::proto::{ArrayValue, KeyValueList};

    fn s(text: &str) -> String {
        let mut out = String::new();
        push_str(&mut out, text);
        out
    }

    #[test]
    fn strings_are_escaped_like_go() {
        // Go: json.Marshal("a<b>&\"\\\n\u0001\u2028\b\f\u007f") (hand-checked against Go's rules).
        assert_eq!(
            s("a<b>&\"\\\n\u{1}\u{2028}\u{8}\u{c}\u{7f}é"),
            "\"a\\u003cb\\u003e\\u0026\\\"\\\\\\n\\u0001\\u2028\\b\\f\u{7f}é\""
        );
    }

    #[test]
    fn only_u2028_and_u2029_of_the_three_byte_characters_are_escaped() {
        // U+2028, U+2029 and their neighbours U+2027, U+202A, and € (also a 0xE2 lead byte).
        assert_eq!(
            s("\u{2027}\u{2028}\u{2029}\u{202a}€\u{e2}x"),
            "\"\u{2027}\\u2028\\u2029\u{202a}€\u{e2}x\""
        );
        assert_eq!(s(""), "\"\"");
        assert_eq!(s("\u{1f}\u{0}"), "\"\\u001f\\u0000\"");
    }

    /// The hand-written calendar against chrono's, over the whole i64 nanosecond range.
    #[test]
    fn timestamps_match_chrono_everywhere() {
        let chrono_text = |ns: u64| {
            #[allow(clippy::cast_possible_wrap)]
            let ns = ns as i64;
            let time = chrono::DateTime::from_timestamp_nanos(ns);
            let mut text = time.format("%Y-%m-%dT%H:%M:%S").to_string();
            let frac = ns.rem_euclid(1_000_000_000);
            if frac != 0 {
                text.push('.');
                text.push_str(format!("{frac:09}").trim_end_matches('0'));
            }
            text + "Z"
        };
        let mut ns: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..200_000 {
            // xorshift: spread over the whole range, both signs once wrapped.
            ns ^= ns << 13;
            ns ^= ns >> 7;
            ns ^= ns << 17;
            for value in [ns, ns / 1_000_000_000 * 1_000_000_000, ns / 1000 * 1000] {
                assert_eq!(timestamp(value), chrono_text(value), "{value}");
            }
        }
        for value in [
            0,
            1,
            u64::MAX,
            i64::MAX.cast_unsigned(),
            i64::MIN.cast_unsigned(),
            951_782_400_000_000_000,
        ] {
            assert_eq!(timestamp(value), chrono_text(value), "{value}");
        }
    }

    #[test]
    fn floats_are_written_like_go() {
        for (f, want) in [
            (1500.0, "1500"),
            (0.5, "0.5"),
            (1e-7, "1e-7"),
            (1.5e-7, "1.5e-7"),
            (1e-6, "0.000001"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (-0.0, "-0"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1.234e-10, "1.234e-10"),
        ] {
            assert_eq!(go_float(f).as_deref(), Some(want), "{f}");
        }
        assert_eq!(go_float(f64::NAN), None);
        assert_eq!(
            float_as_string(f64::INFINITY),
            "json: unsupported value: +Inf"
        );
        assert_eq!(
            float_as_string(f64::NEG_INFINITY),
            "json: unsupported value: -Inf"
        );
        assert_eq!(float_as_string(f64::NAN), "json: unsupported value: NaN");
    }

    #[test]
    fn timestamps_are_rfc3339_nano() {
        assert_eq!(timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(timestamp(1_719_158_400_000_000_000), "2024-06-23T16:00:00Z");
        assert_eq!(
            timestamp(1_719_158_400_500_000_000),
            "2024-06-23T16:00:00.5Z"
        );
        assert_eq!(
            timestamp(1_719_158_400_000_000_001),
            "2024-06-23T16:00:00.000000001Z"
        );
    }

    #[test]
    fn maps_and_arrays_become_sorted_json() {
        use any_value::Value as V;
        let v = |value| AnyValue { value: Some(value) };
        let kv = |key: &str, value| KeyValue {
            key: key.into(),
            value: Some(v(value)),
        };
        let map = v(V::KvlistValue(KeyValueList {
            values: vec![
                kv("z", V::IntValue(1)),
                kv("a", V::StringValue("<x>".into())),
                kv(
                    "m",
                    V::ArrayValue(ArrayValue {
                        values: vec![
                            v(V::DoubleValue(1.0)),
                            AnyValue { value: None },
                            v(V::BytesValue(vec![1, 2])),
                        ],
                    }),
                ),
                kv("a", V::BoolValue(true)),
            ],
        }));
        assert_eq!(
            as_string(Some(&map)),
            r#"{"a":true,"m":[1,null,"AQI="],"z":1}"#
        );
        let nan = v(V::ArrayValue(ArrayValue {
            values: vec![v(V::DoubleValue(f64::NAN))],
        }));
        assert_eq!(as_string(Some(&nan)), "");
        assert_eq!(
            as_string(Some(&v(V::ArrayValue(ArrayValue::default())))),
            "[]"
        );
        assert_eq!(hex_id(&[0; 16]), "");
        assert_eq!(hex_id(&[0xab, 0x01]), "ab01");
    }
}
