//! JSON text of a [`Line`], written by hand (not by serde) so that escapes, whitespace, key order and
//! number spellings are whatever the fuzzer picked.

use std::collections::HashSet;
use std::fmt::Write as _;

use chrono::{DateTime, FixedOffset, Offset, Utc};

use super::{
    CacheCreation, Content, Escape, Field, Flag, Json, Kind, Line, Message, Model, Num, RawToken,
    Space, Stamp, Text, Unknown, Usage,
};

/// Strings made to trip a structural pass over JSON.
const TRICKY: &[&str] = &[
    "\"",
    "\\",
    "\\\"",
    "\\\\\"",
    "\"\\",
    "}",
    "{",
    "]}",
    "[{",
    "\"type\":\"assistant\"",
    "\",\"type\":\"assistant\",\"x\":\"",
    "\"timestamp\":\"2026-01-01T00:00:00.000Z\"",
    "\"}]},\"type\":\"user",
    "msg_01",
    "req_01",
    "assistant",
    "<synthetic>",
    "claude-opus-4-5-20251101",
    "\n",
    "\r\n\t",
    "\u{0}\u{1f}\u{7f}",
    "é",
    "数据",
    "😀",
    "\u{2028}\u{2029}",
    "\u{feff}",
];

/// The line as JSON text (without its newline), and whether the top-level `type` or `timestamp`
/// value was written with a `\` escape.
#[derive(Debug)]
pub struct Rendered {
    pub text: String,
    pub escaped_kind: bool,
    pub escaped_timestamp: bool,
}

pub fn line(line: &Line) -> Rendered {
    let mut w = Writer {
        out: String::new(),
        spaces: &line.spaces,
        next: 0,
    };
    let mut members = Vec::new();
    let mut escaped_kind = false;
    let mut escaped_timestamp = false;
    let kind = match &line.kind {
        Kind::Assistant => Some("\"assistant\"".to_owned()),
        Kind::User => Some("\"user\"".to_owned()),
        Kind::System => Some("\"system\"".to_owned()),
        Kind::Attachment => Some("\"attachment\"".to_owned()),
        Kind::Other(text) => Some(w.capture(|w| w.text(text, true))),
        Kind::NotString(json) => Some(w.capture(|w| w.json(json))),
        Kind::Absent => None,
    };
    if let Some(kind) = kind {
        escaped_kind = kind.starts_with('"') && kind.contains('\\');
        members.push(("type".to_owned(), kind));
    }
    if let Some(ts) = w.field(&line.timestamp, |w, s| w.stamp(s, true)) {
        escaped_timestamp = ts.starts_with('"') && ts.contains('\\');
        members.push(("timestamp".to_owned(), ts));
    }
    if let Some(id) = w.field(&line.request_id, |w, t| w.text(t, true)) {
        members.push(("requestId".to_owned(), id));
    }
    if let Some(message) = w.field(&line.message, Writer::message) {
        members.push(("message".to_owned(), message));
    }
    w.extra(&mut members, &line.extra);
    w.object(members, line.order);
    Rendered {
        text: w.out,
        escaped_kind,
        escaped_timestamp,
    }
}

struct Writer<'a> {
    out: String,
    spaces: &'a [Space],
    next: usize,
}

impl Writer<'_> {
    /// Renders into a fresh string (the whitespace pool goes on).
    fn capture(&mut self, f: impl FnOnce(&mut Self)) -> String {
        let outer = std::mem::take(&mut self.out);
        f(self);
        std::mem::replace(&mut self.out, outer)
    }

    fn field<T>(&mut self, field: &Field<T>, f: impl FnOnce(&mut Self, &T)) -> Option<String> {
        match field {
            Field::Absent => None,
            Field::Null => Some("null".to_owned()),
            Field::Value(value) => Some(self.capture(|w| f(w, value))),
            Field::Wrong(json) => Some(self.capture(|w| w.json(json))),
        }
    }

    fn ws(&mut self) {
        let Some(space) = self.spaces.get(self.next % self.spaces.len().max(1)) else {
            return;
        };
        self.next += 1;
        match space {
            Space::None => {}
            Space::One => self.out.push(' '),
            Space::Tab => self.out.push('\t'),
            Space::Cr => self.out.push('\r'),
            Space::Many(n) => self
                .out
                .extend(std::iter::repeat_n(' ', usize::from(n % 8))),
        }
    }

    /// An object from rendered members, in an order picked by `order`.
    fn object(&mut self, mut members: Vec<(String, String)>, order: u64) {
        shuffle(&mut members, order);
        self.out.push('{');
        self.ws();
        for (i, (key, value)) in members.iter().enumerate() {
            if i > 0 {
                self.ws();
                self.out.push(',');
                self.ws();
            }
            // Keys the parsers look for are written plainly; `extra` keys come rendered.
            if key.starts_with('"') {
                self.out.push_str(key);
            } else {
                let _ = write!(self.out, "\"{key}\"");
            }
            self.ws();
            self.out.push(':');
            self.ws();
            self.out.push_str(value);
        }
        self.ws();
        self.out.push('}');
    }

    fn extra(&mut self, members: &mut Vec<(String, String)>, extra: &[(Unknown, Json)]) {
        for (name, value) in extra {
            let key = match name {
                Unknown::Content => "\"content\"".to_owned(),
                Unknown::Custom(text) => {
                    let text = self.capture(|w| w.text(text, false));
                    format!("\"x-fuzz-{}", text.get(1..).unwrap_or_default())
                }
            };
            let value = self.capture(|w| w.json(value));
            members.push((key, value));
        }
    }

    fn message(&mut self, message: &Message) {
        let mut members = Vec::new();
        if let Some(id) = self.field(&message.id, |w, t| w.text(t, true)) {
            members.push(("id".to_owned(), id));
        }
        if let Some(model) = self.field(&message.model, Writer::model) {
            members.push(("model".to_owned(), model));
        }
        if let Some(usage) = self.field(&message.usage, Writer::usage) {
            members.push(("usage".to_owned(), usage));
        }
        if message.typed {
            members.push(("type".to_owned(), "\"message\"".to_owned()));
            members.push(("role".to_owned(), "\"assistant\"".to_owned()));
        }
        if let Some(content) = &message.content {
            let content = self.capture(|w| w.json(content));
            members.push(("content".to_owned(), content));
        }
        self.extra(&mut members, &message.extra);
        self.object(members, message.order);
    }

    fn model(&mut self, model: &Model) {
        match model {
            Model::Opus => self.out.push_str("\"claude-opus-4-5\""),
            Model::Sonnet => self.out.push_str("\"claude-sonnet-4-5\""),
            Model::Synthetic => self.out.push_str("\"<synthetic>\""),
            Model::Dated => self.out.push_str("\"claude-haiku-4-5-20251001\""),
            Model::Text(text) => self.text(text, true),
        }
    }

    fn usage(&mut self, usage: &Usage) {
        let mut members = Vec::new();
        for (key, num) in [
            ("input_tokens", &usage.input_tokens),
            ("output_tokens", &usage.output_tokens),
            ("cache_read_input_tokens", &usage.cache_read_input_tokens),
            (
                "cache_creation_input_tokens",
                &usage.cache_creation_input_tokens,
            ),
        ] {
            if let Some(value) = self.field(num, Writer::num) {
                members.push((key.to_owned(), value));
            }
        }
        if let Some(value) = self.field(&usage.cache_creation, Writer::cache_creation) {
            members.push(("cache_creation".to_owned(), value));
        }
        if let Some(value) = self.field(&usage.inference_geo, Writer::flag) {
            members.push(("inference_geo".to_owned(), value));
        }
        if let Some(value) = self.field(&usage.speed, Writer::flag) {
            members.push(("speed".to_owned(), value));
        }
        self.extra(&mut members, &usage.extra);
        self.object(members, usage.order);
    }

    fn cache_creation(&mut self, cache: &CacheCreation) {
        let mut members = Vec::new();
        for (key, num) in [
            (
                "ephemeral_5m_input_tokens",
                &cache.ephemeral_5m_input_tokens,
            ),
            (
                "ephemeral_1h_input_tokens",
                &cache.ephemeral_1h_input_tokens,
            ),
        ] {
            if let Some(value) = self.field(num, Writer::num) {
                members.push((key.to_owned(), value));
            }
        }
        self.extra(&mut members, &cache.extra);
        self.object(members, cache.order);
    }

    fn flag(&mut self, flag: &Flag) {
        let text = match flag {
            Flag::Us => "us",
            Flag::UpperUs => "US",
            Flag::Fast => "fast",
            Flag::UpperFast => "FAST",
            Flag::Standard => "standard",
            Flag::Empty => "",
            Flag::Text(text) => return self.text(text, true),
        };
        let _ = write!(self.out, "\"{text}\"");
    }

    fn num(&mut self, num: &Num) {
        let out = &mut self.out;
        let _ = match num {
            Num::Small(n) => write!(out, "{n}"),
            Num::Any(n) => write!(out, "{n}"),
            Num::NearMax(n) => write!(out, "{}", u64::MAX - u64::from(*n)),
            Num::PastMax(n) => write!(out, "{}", u128::from(u64::MAX) + 1 + u128::from(*n)),
            Num::Negative(n) => write!(out, "-{}", n.unsigned_abs()),
            Num::NegativeZero => write!(out, "-0"),
            Num::Float(whole, frac) => write!(out, "{whole}.{frac}"),
            Num::Exponent(m, e) => write!(out, "{m}e{e}"),
            Num::Fixed(f) => write!(out, "{f}"),
            Num::LeadingZero(n) => write!(out, "0{n}"),
            Num::Quoted(n) => write!(out, "\"{n}\""),
            Num::Raw(raw) => write!(
                out,
                "{}",
                match raw {
                    RawToken::Plus => "+1",
                    RawToken::Dot => ".5",
                    RawToken::Nan => "NaN",
                    RawToken::Infinity => "Infinity",
                    RawToken::Hex => "0x1f",
                    RawToken::TrailingDot => "1.",
                }
            ),
        };
    }

    /// `lone`: a `Junk` stamp may end in a lone surrogate (see [`Writer::text`]).
    fn stamp(&mut self, stamp: &Stamp, lone: bool) {
        let at =
            |secs: u32| DateTime::<Utc>::from_timestamp(i64::from(secs), 0).unwrap_or_default();
        let text = match stamp {
            Stamp::Utc(secs, ms) => format!(
                "{}.{:03}Z",
                at(*secs).format("%Y-%m-%dT%H:%M:%S"),
                ms % 1000
            ),
            Stamp::Offset(secs, minutes) => {
                let offset = FixedOffset::east_opt(i32::from(minutes % 1440) * 60)
                    .unwrap_or_else(|| Utc.fix());
                at(*secs)
                    .with_timezone(&offset)
                    .format("%Y-%m-%dT%H:%M:%S%:z")
                    .to_string()
            }
            Stamp::Nanos(secs, nanos) => format!(
                "{}.{:09}Z",
                at(*secs).format("%Y-%m-%dT%H:%M:%S"),
                nanos % 1_000_000_000
            ),
            Stamp::DateOnly(secs) => at(*secs).format("%Y-%m-%d").to_string(),
            Stamp::SpaceSeparated(secs) => at(*secs).format("%Y-%m-%d %H:%M:%SZ").to_string(),
            Stamp::Junk(text) => return self.text(text, lone),
        };
        let _ = write!(self.out, "\"{text}\"");
    }

    fn json(&mut self, json: &Json) {
        match json {
            Json::Null => self.out.push_str("null"),
            Json::Bool(b) => {
                let _ = write!(self.out, "{b}");
            }
            Json::Num(num) => self.num(num),
            // Ignored strings are not checked for lone surrogates by serde_json (it skips them
            // unread), so the oracle, which reads every string, would disagree: none here.
            Json::Str(text) => self.text(text, false),
            Json::Array(items) => {
                self.out.push('[');
                self.ws();
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                        self.ws();
                    }
                    self.json(item);
                }
                self.ws();
                self.out.push(']');
            }
            Json::Object(members) => {
                // Unique keys: serde rejects a known field written twice, `Value` keeps the last.
                let mut seen = HashSet::new();
                let members = members
                    .iter()
                    .filter(|(key, _)| seen.insert(content(key)))
                    .map(|(key, value)| {
                        let key = self.capture(|w| w.text(key, false));
                        (key, self.capture(|w| w.json(value)))
                    })
                    .collect();
                self.object(members, 0);
            }
            Json::Typed(stamp, items) => {
                let ts = self.capture(|w| w.stamp(stamp, false));
                let mut members = vec![
                    ("type".to_owned(), "\"assistant\"".to_owned()),
                    ("timestamp".to_owned(), ts),
                ];
                for (i, item) in items.iter().enumerate() {
                    let value = self.capture(|w| w.json(item));
                    members.push((format!("n{i}"), value));
                }
                self.object(members, 0);
            }
        }
    }

    /// A string in the [`Text`]'s escape style. `lone`: may end in a lone surrogate escape.
    fn text(&mut self, text: &Text, lone: bool) {
        self.out.push('"');
        for (n, c) in content(text).chars().enumerate() {
            let out = &mut self.out;
            match text.style {
                Escape::All => unicode(out, c, n % 2 == 0),
                Escape::NonAscii if !c.is_ascii() => unicode(out, c, n % 2 == 0),
                Escape::Short => match c {
                    '/' => out.push_str("\\/"),
                    '\u{8}' => out.push_str("\\b"),
                    '\u{c}' => out.push_str("\\f"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    c => minimal(out, c),
                },
                _ => minimal(out, c),
            }
        }
        if lone && matches!(text.style, Escape::LoneSurrogate) {
            self.out.push_str("\\ud800");
        }
        self.out.push('"');
    }
}

/// The string a [`Text`] stands for, before escaping.
fn content(text: &Text) -> String {
    match &text.text {
        Content::Any(s) => s.clone(),
        Content::Tricky(i) => tricky(*i).to_owned(),
        Content::Both(s, i) => format!("{s}{}", tricky(*i)),
    }
}

fn tricky(i: u8) -> &'static str {
    TRICKY
        .get(usize::from(i) % TRICKY.len())
        .copied()
        .unwrap_or_default()
}

/// What JSON requires: `"`, `\` and control characters escaped.
fn minimal(out: &mut String, c: char) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        c if c < ' ' => {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        }
        c => out.push(c),
    }
}

/// `\uXXXX`, a surrogate pair above U+FFFF; hex digits in either case.
fn unicode(out: &mut String, c: char, upper: bool) {
    let mut units = [0_u16; 2];
    for unit in c.encode_utf16(&mut units) {
        let _ = if upper {
            write!(out, "\\u{unit:04X}")
        } else {
            write!(out, "\\u{unit:04x}")
        };
    }
}

/// A Fisher–Yates shuffle driven by `seed` (0 keeps the order).
fn shuffle<T>(items: &mut [T], seed: u64) {
    if seed == 0 {
        return;
    }
    let mut state = seed;
    for i in (1..items.len()).rev() {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let j = usize::try_from((state >> 33) % (i as u64 + 1)).unwrap_or(0);
        items.swap(i, j);
    }
}
