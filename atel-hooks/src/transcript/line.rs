//! One transcript line: a fast structural pass for the top-level `type` and `timestamp`, and borrowed
//! serde structs for the usage of `assistant` lines. Message content is never deserialized.

use std::borrow::Cow;

use atel_sdk::telemetry::pricing::Usage;
use memchr::memchr;
use serde::Deserialize;

/// The top-level string fields every line type may carry, as raw bytes between the quotes.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct TopLevel<'a> {
    pub(super) kind: Option<&'a [u8]>,
    pub(super) timestamp: Option<&'a [u8]>,
}

fn skip_ws(line: &[u8], mut pos: usize) -> usize {
    while matches!(line.get(pos), Some(b' ' | b'\t' | b'\r' | b'\n')) {
        pos += 1;
    }
    pos
}

/// The index of the quote closing a string whose contents start at `pos`. A quote is escaped when an odd
/// number of backslashes precedes it.
fn string_end(line: &[u8], mut pos: usize) -> Option<usize> {
    loop {
        let quote = pos + memchr(b'"', line.get(pos..)?)?;
        let backslashes = line
            .get(pos..quote)?
            .iter()
            .rev()
            .take_while(|&&b| b == b'\\')
            .count();
        if backslashes % 2 == 0 {
            return Some(quote);
        }
        pos = quote + 1;
    }
}

/// Finds the top-level `"type"` and `"timestamp"` string values of a JSON object line without parsing
/// the rest: strings are skipped with `memchr`, nesting is tracked so a `timestamp` inside a nested object
/// (attachments carry one) is never taken. Stops as soon as both are found. `None` when the line is not
/// a JSON object or ends inside a string.
pub(super) fn top_level(line: &[u8]) -> Option<TopLevel<'_>> {
    let mut pos = skip_ws(line, 0);
    if line.get(pos) != Some(&b'{') {
        return None;
    }
    pos += 1;
    let mut depth: u32 = 1;
    let mut found = TopLevel::default();
    loop {
        match *line.get(pos)? {
            b'"' if depth == 1 => {
                // In an object at depth 1 every string reached here is a key: string values are
                // consumed right after their key.
                let end = string_end(line, pos + 1)?;
                let key = line.get(pos + 1..end)?;
                pos = skip_ws(line, end + 1);
                if line.get(pos) != Some(&b':') {
                    return None;
                }
                pos = skip_ws(line, pos + 1);
                if line.get(pos) == Some(&b'"') {
                    let value_end = string_end(line, pos + 1)?;
                    let value = line.get(pos + 1..value_end)?;
                    match key {
                        b"type" => found.kind = Some(value),
                        b"timestamp" => found.timestamp = Some(value),
                        _ => {}
                    }
                    if found.kind.is_some() && found.timestamp.is_some() {
                        return Some(found);
                    }
                    pos = value_end + 1;
                }
            }
            b'"' => pos = string_end(line, pos + 1)? + 1,
            b'{' | b'[' => {
                depth += 1;
                pos += 1;
            }
            b'}' | b']' => {
                depth -= 1;
                pos += 1;
                if depth == 0 {
                    return Some(found);
                }
            }
            _ => pos += 1,
        }
    }
}

/// An `assistant` line, borrowed from the read buffer. Every other field (content included) is skipped
/// by serde's `IgnoredAny`, so no message text is ever held in memory.
#[derive(Debug, Deserialize)]
pub(super) struct AssistantLine<'a> {
    #[serde(borrow)]
    pub(super) timestamp: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "requestId")]
    pub(super) request_id: Option<Cow<'a, str>>,
    /// The session the line was written in.
    #[serde(borrow, rename = "sessionId")]
    pub(super) session_id: Option<Cow<'a, str>>,
    /// The session that made the request, on lines a forked session replays from its parent.
    #[serde(borrow, rename = "requestSessionId")]
    pub(super) request_session_id: Option<Cow<'a, str>>,
    /// `true` on the lines of a sidechain: a subagent's transcript, a `/btw` side question's log.
    #[serde(rename = "isSidechain")]
    pub(super) is_sidechain: Option<bool>,
    #[serde(borrow)]
    pub(super) message: Option<Message<'a>>,
}

/// `message` of an assistant line: only the id, the model and the usage.
#[derive(Debug, Deserialize)]
pub(super) struct Message<'a> {
    #[serde(borrow)]
    pub(super) id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub(super) model: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub(super) usage: Option<RawUsage<'a>>,
}

/// `message.usage` as the Anthropic API reports it.
#[derive(Debug, Deserialize)]
pub(super) struct RawUsage<'a> {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    cache_read_input_tokens: Option<u64>,
    cache_creation_input_tokens: Option<u64>,
    cache_creation: Option<CacheCreation>,
    #[serde(borrow)]
    inference_geo: Option<Cow<'a, str>>,
    #[serde(borrow)]
    speed: Option<Cow<'a, str>>,
}

#[derive(Debug, Deserialize)]
struct CacheCreation {
    ephemeral_5m_input_tokens: Option<u64>,
    ephemeral_1h_input_tokens: Option<u64>,
}

impl RawUsage<'_> {
    /// The pricing view. `cache_creation` is the reported total, or the sum of the 5m/1h breakdown when
    /// that is larger (or the total is missing).
    pub(super) fn to_usage(&self) -> Usage {
        let (five_m, one_h) = self.cache_creation.as_ref().map_or((0, 0), |c| {
            (
                c.ephemeral_5m_input_tokens.unwrap_or(0),
                c.ephemeral_1h_input_tokens.unwrap_or(0),
            )
        });
        Usage {
            input: self.input_tokens.unwrap_or(0),
            output: self.output_tokens.unwrap_or(0),
            cache_read: self.cache_read_input_tokens.unwrap_or(0),
            cache_creation: self
                .cache_creation_input_tokens
                .unwrap_or(0)
                .max(five_m.saturating_add(one_h)),
            cache_creation_1h: one_h,
            inference_geo_us: self
                .inference_geo
                .as_deref()
                .is_some_and(|g| g.eq_ignore_ascii_case("us")),
            fast: self
                .speed
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case("fast")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(bytes: Option<&[u8]>) -> Option<&str> {
        bytes.and_then(|b| std::str::from_utf8(b).ok())
    }

    fn fields(line: &str) -> Option<(Option<&str>, Option<&str>)> {
        let found = top_level(line.as_bytes())?;
        Some((text(found.kind), text(found.timestamp)))
    }

    #[test]
    fn top_level_ignores_nested_and_quoted_keys() {
        let line = r#"{"attachment":{"type":"x","timestamp":"nested"},"note":"\"timestamp\":\"no\"","type":"attachment","timestamp":"2026-01-01T00:00:00Z"}"#;
        assert_eq!(
            fields(line),
            Some((Some("attachment"), Some("2026-01-01T00:00:00Z")))
        );
    }

    #[test]
    fn top_level_handles_escaped_backslashes_and_arrays() {
        let line = r#" { "a" : ["x\\", {"type":"no"}], "b":1.5e3, "c":null, "type" : "user" } "#;
        assert_eq!(fields(line), Some((Some("user"), None)));
    }

    #[test]
    fn top_level_rejects_non_objects_and_cut_strings() {
        assert_eq!(fields("[1,2]"), None);
        assert_eq!(fields(""), None);
        assert_eq!(fields(r#"{"type":"assist"#), None);
        assert_eq!(fields(r#"{"type" "x"}"#), None);
        // Cut inside a nested value: the line is incomplete.
        assert_eq!(fields(r#"{"type":"user","message":{"#), None);
    }

    #[test]
    fn usage_falls_back_to_the_cache_breakdown() {
        let raw: RawUsage<'_> = serde_json::from_str(
            r#"{"input_tokens":1,"cache_creation":{"ephemeral_5m_input_tokens":5,"ephemeral_1h_input_tokens":7},"inference_geo":"us","speed":"fast"}"#,
        )
        .unwrap();
        assert_eq!(
            raw.to_usage(),
            Usage {
                input: 1,
                output: 0,
                cache_read: 0,
                cache_creation: 12,
                cache_creation_1h: 7,
                inference_geo_us: true,
                fast: true,
            }
        );
    }
}
