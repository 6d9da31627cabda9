//! The exact text Go writes: `encoding/json` strings (HTML-escaped, as `json.Marshal` and
//! `json.Encoder` do by default), pdata's `AsString` of an attribute value, floats in the ES6 form,
//! and `time.RFC3339Nano` timestamps.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use base64::Engine as _;

use super::proto::{AnyValue, KeyValue, any_value};

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends `s` as a JSON string the way Go's `encoding/json` writes it: `<`, `>`, `&`, U+2028 and
/// U+2029 as `\u` escapes, `\b \f \n \r \t` short, other control characters as `\u00xx`.
pub(crate) fn push_str(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let escape: Option<&str> = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            '\u{8}' => Some("\\b"),
            '\u{c}' => Some("\\f"),
            '<' | '>' | '&' | '\u{0}'..='\u{1f}' | '\u{2028}' | '\u{2029}' => Some(""),
            _ => None,
        };
        let Some(escape) = escape else { continue };
        out.push_str(s.get(start..i).unwrap_or_default());
        if escape.is_empty() {
            let code = u32::from(c);
            out.push_str("\\u");
            for shift in [12, 8, 4, 0] {
                let nibble = (code >> shift) & 0xf;
                out.push(char::from(*HEX.get(nibble as usize).unwrap_or(&b'0')));
            }
        } else {
            out.push_str(escape);
        }
        start = i + c.len_utf8();
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
pub(crate) fn as_string(value: Option<&AnyValue>) -> String {
    use any_value::Value as V;
    match value.and_then(|v| v.value.as_ref()) {
        None => String::new(),
        Some(V::StringValue(s)) => s.clone(),
        Some(V::BoolValue(b)) => b.to_string(),
        Some(V::IntValue(i)) => i.to_string(),
        Some(V::DoubleValue(d)) => float_as_string(*d),
        Some(V::BytesValue(b)) => base64::engine::general_purpose::STANDARD.encode(b),
        Some(V::ArrayValue(_) | V::KvlistValue(_)) => {
            let mut out = String::new();
            // Go's `json.Marshal` fails on a NaN anywhere inside, and pdata then returns "".
            if raw_json(&mut out, value).is_some() {
                out
            } else {
                String::new()
            }
        }
    }
}

/// `json.Marshal(value.AsRaw())`: maps with sorted keys (the last of duplicate keys wins), bytes as
/// base64, empty as `null`. `None` when a float inside is not finite.
fn raw_json(out: &mut String, value: Option<&AnyValue>) -> Option<()> {
    use any_value::Value as V;
    match value.and_then(|v| v.value.as_ref()) {
        None => out.push_str("null"),
        Some(V::StringValue(s)) => push_str(out, s),
        Some(V::BoolValue(b)) => out.push_str(if *b { "true" } else { "false" }),
        Some(V::IntValue(i)) => {
            let _ = write!(out, "{i}");
        }
        Some(V::DoubleValue(d)) => out.push_str(&go_float(*d)?),
        Some(V::BytesValue(b)) => {
            push_str(out, &base64::engine::general_purpose::STANDARD.encode(b));
        }
        Some(V::ArrayValue(array)) => {
            out.push('[');
            for (i, item) in array.values.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                raw_json(out, Some(item))?;
            }
            out.push(']');
        }
        Some(V::KvlistValue(list)) => {
            let map: BTreeMap<&str, Option<&AnyValue>> = list
                .values
                .iter()
                .map(|kv| (kv.key.as_str(), kv.value.as_ref()))
                .collect();
            out.push('{');
            for (i, (key, value)) in map.into_iter().enumerate() {
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
/// last of duplicate keys wins), each value through [`as_string`] and then `fix` (the redaction).
pub(crate) fn push_attributes(
    out: &mut String,
    attributes: &[KeyValue],
    fix: impl Fn(&str, String) -> String,
) {
    let map: BTreeMap<&str, Option<&AnyValue>> = attributes
        .iter()
        .map(|kv| (kv.key.as_str(), kv.value.as_ref()))
        .collect();
    out.push('{');
    for (i, (key, value)) in map.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_str(out, key);
        out.push(':');
        push_str(out, &fix(key, as_string(value)));
    }
    out.push('}');
}

/// Go's `time.Unix(0, int64(ns)).UTC().Format(time.RFC3339Nano)`: the fraction's trailing zeros
/// trimmed, none at all for a whole second.
pub(crate) fn timestamp(ns: u64) -> String {
    // Go converts with `int64(ns)`: a value past i64::MAX wraps to before 1970, as here.
    #[allow(clippy::cast_possible_wrap)]
    let ns = ns as i64;
    let time = chrono::DateTime::from_timestamp_nanos(ns);
    let mut text = time.format("%Y-%m-%dT%H:%M:%S").to_string();
    let frac = ns.rem_euclid(1_000_000_000);
    if frac != 0 {
        let digits = format!("{frac:09}");
        text.push('.');
        text.push_str(digits.trim_end_matches('0'));
    }
    text.push('Z');
    text
}

/// pdata's `TraceIDToHexOrEmptyString` / `SpanIDToHexOrEmptyString`: lowercase hex, `""` when all
/// zero or empty.
pub(crate) fn hex_id(id: &[u8]) -> String {
    if id.iter().all(|b| *b == 0) {
        return String::new();
    }
    let mut out = String::with_capacity(id.len() * 2);
    for b in id {
        out.push(char::from(*HEX.get(usize::from(b >> 4)).unwrap_or(&b'0')));
        out.push(char::from(*HEX.get(usize::from(b & 0xf)).unwrap_or(&b'0')));
    }
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
