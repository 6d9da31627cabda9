//! What a scan of one line must find, read with `serde_json::Value` (an independent parser) and the rules
//! of the transcript module docs: a request for an `assistant` line whose `message` has an `id` and a
//! `usage` and whose model is not `<synthetic>`; every field the scanner reads must have its type (a
//! number that is not a `u64`, a string that is not a string, … makes the line malformed); tokens missing
//! or `null` are 0; `cache_creation` is the larger of the total and the 5m + 1h breakdown.

use atel_sdk::telemetry::pricing::Usage;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::render::Rendered;

/// The outcome of one line.
#[derive(Debug)]
pub struct Expected {
    /// `Some(ts)`: the scan's first and last timestamp must be `ts`. `None`: not checked.
    pub timestamp: Option<Option<DateTime<Utc>>>,
    pub request: Expect,
}

#[derive(Debug)]
pub enum Expect {
    /// No request.
    Nothing,
    /// Exactly this request.
    Request(Want),
    /// Any outcome but a panic (see [`expect`]).
    Unspecified,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Want {
    pub message_id: String,
    pub request_id: String,
    pub model: String,
    pub usage: Usage,
    pub timestamp: Option<DateTime<Utc>>,
}

/// Why a line gives no request.
enum Reject {
    /// A field the scanner reads has the wrong type: the line is malformed.
    Malformed,
    /// An array where the scanner reads an object: serde fills structs from arrays too (field by
    /// position), which JSON objects written by Claude Code never need. Not checked.
    Positional,
}

/// Two outcomes are deliberately left unchecked, both documented by the transcript module: the top-level
/// `type` is compared as raw bytes (`"assist\u0061nt"` is not an assistant line), and the `timestamp` of
/// a line other than `assistant` is read raw by the structural pass, and only as far as it goes (a line
/// that is not JSON after its `type` and `timestamp` still dates the scan).
pub fn expect(line: &Rendered) -> Expected {
    let unchecked = Expected {
        timestamp: None,
        request: Expect::Unspecified,
    };
    let Ok(Value::Object(top)) = crate::json(line.text.as_bytes()) else {
        return Expected {
            timestamp: None,
            request: Expect::Nothing,
        };
    };
    if line.escaped_kind {
        return unchecked;
    }
    if top.get("type").and_then(Value::as_str) != Some("assistant") {
        let timestamp = top
            .get("timestamp")
            .and_then(Value::as_str)
            .and_then(parse_ts);
        return Expected {
            timestamp: (!line.escaped_timestamp).then_some(timestamp),
            request: Expect::Nothing,
        };
    }
    match assistant(&top) {
        Ok((timestamp, want)) => Expected {
            timestamp: Some(timestamp),
            request: want.map_or(Expect::Nothing, Expect::Request),
        },
        // A malformed assistant line dates nothing.
        Err(Reject::Malformed) => Expected {
            timestamp: Some(None),
            request: Expect::Nothing,
        },
        Err(Reject::Positional) => unchecked,
    }
}

type Read<T> = Result<T, Reject>;

fn assistant(top: &Map<String, Value>) -> Read<(Option<DateTime<Utc>>, Option<Want>)> {
    // Every field is type-checked before anything is decided, as serde does.
    let timestamp = string(top.get("timestamp"))?.and_then(parse_ts);
    let request_id = string(top.get("requestId"))?;
    let Some(message) = object(top.get("message"))? else {
        return Ok((timestamp, None));
    };
    let id = string(message.get("id"))?;
    let model = string(message.get("model"))?;
    let usage = match object(message.get("usage"))? {
        Some(raw) => Some(usage(raw)?),
        None => None,
    };
    let (Some(id), Some(usage)) = (id, usage) else {
        return Ok((timestamp, None));
    };
    if model == Some("<synthetic>") {
        return Ok((timestamp, None));
    }
    Ok((
        timestamp,
        Some(Want {
            message_id: id.to_owned(),
            request_id: request_id.unwrap_or_default().to_owned(),
            model: model.unwrap_or_default().to_owned(),
            usage,
            timestamp,
        }),
    ))
}

fn usage(raw: &Map<String, Value>) -> Read<Usage> {
    let tokens = |key: &str| number(raw.get(key));
    let input = tokens("input_tokens")?;
    let output = tokens("output_tokens")?;
    let cache_read = tokens("cache_read_input_tokens")?;
    let cache_total = tokens("cache_creation_input_tokens")?;
    let (five_m, one_h) = match object(raw.get("cache_creation"))? {
        Some(cache) => (
            number(cache.get("ephemeral_5m_input_tokens"))?,
            number(cache.get("ephemeral_1h_input_tokens"))?,
        ),
        None => (None, None),
    };
    let geo = string(raw.get("inference_geo"))?;
    let speed = string(raw.get("speed"))?;
    let (five_m, one_h) = (five_m.unwrap_or(0), one_h.unwrap_or(0));
    Ok(Usage {
        input: input.unwrap_or(0),
        output: output.unwrap_or(0),
        cache_read: cache_read.unwrap_or(0),
        cache_creation: cache_total.unwrap_or(0).max(five_m.saturating_add(one_h)),
        cache_creation_1h: one_h,
        inference_geo_us: geo.is_some_and(|g| g.eq_ignore_ascii_case("us")),
        fast: speed.is_some_and(|s| s.eq_ignore_ascii_case("fast")),
    })
}

/// Missing or `null`: `None`.
fn string(value: Option<&Value>) -> Read<Option<&str>> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Reject::Malformed),
    }
}

fn number(value: Option<&Value>) -> Read<Option<u64>> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value.as_u64().map(Some).ok_or(Reject::Malformed),
    }
}

fn object(value: Option<&Value>) -> Read<Option<&Map<String, Value>>> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(Value::Array(_)) => Err(Reject::Positional),
        Some(_) => Err(Reject::Malformed),
    }
}

fn parse_ts(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|ts| ts.with_timezone(&Utc))
}
