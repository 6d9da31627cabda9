//! The hook input: one JSON object Claude Code writes on the hook's stdin.
//!
//! Only `session_id` and `hook_event_name` are required; every other field is optional and unknown
//! fields are ignored, because each Claude Code release adds some.

use std::io::Read;
use std::path::PathBuf;

use serde::Deserialize;
use serde_json::Value;

/// The fields of a hook payload this crate reads. Prompt, message and tool text is never kept:
/// `tool_input` and `tool_response` are reduced to the skill name and the success flag.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct HookInput {
    /// The parent session's id (also inside subagents).
    pub session_id: String,
    /// `SessionStart`, `SubagentStop`, `PostToolUse`, ….
    pub hook_event_name: String,
    /// The main transcript, also for hooks fired inside a subagent.
    #[serde(default)]
    pub transcript_path: Option<PathBuf>,
    /// The subagent run's id (`SubagentStart` / `SubagentStop`).
    #[serde(default)]
    pub agent_id: Option<String>,
    /// The subagent type (`SubagentStart` / `SubagentStop`).
    #[serde(default)]
    pub agent_type: Option<String>,
    /// The subagent's own transcript (`SubagentStop`).
    #[serde(default)]
    pub agent_transcript_path: Option<PathBuf>,
    /// The tool (`PostToolUse` / `PostToolUseFailure`).
    #[serde(default)]
    pub tool_name: Option<String>,
    /// The skill named in the tool input (`tool_input.skill` of a `Skill` call); nothing else of the
    /// tool input is kept.
    #[serde(default, rename = "tool_input", deserialize_with = "skill_of")]
    pub skill: Option<String>,
    /// `tool_response.success` of a `Skill` call.
    #[serde(default, rename = "tool_response", deserialize_with = "success_of")]
    pub tool_success: Option<bool>,
    /// How long the tool call took, as Claude Code measured it.
    #[serde(default, deserialize_with = "lenient_u64")]
    pub duration_ms: Option<u64>,
    /// The tool call's id (tool events): the identity of a `skill_activations` row.
    #[serde(default)]
    pub tool_use_id: Option<String>,
}

/// Why stdin could not be turned into a [`HookInput`].
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// Reading stdin failed.
    #[error("cannot read stdin: {0}")]
    Read(#[from] std::io::Error),
    /// Nothing came.
    #[error("empty stdin, expected a Claude Code hook payload (one JSON object)")]
    Empty,
    /// More than the cap came.
    #[error("stdin is larger than {0} bytes, not a hook payload")]
    TooLarge(u64),
    /// Not UTF-8.
    #[error("stdin is not UTF-8, expected a Claude Code hook payload (one JSON object)")]
    NotUtf8,
    /// Not a JSON object with `session_id` and `hook_event_name`.
    #[error("invalid hook payload: {0}")]
    Json(#[from] serde_json::Error),
}

impl HookInput {
    /// Reads at most `cap` bytes from `reader` and parses them (`u64::MAX`: no cap).
    pub fn read(reader: impl Read, cap: u64) -> Result<Self, InputError> {
        let mut bytes = Vec::new();
        // One byte more than the cap tells "too large" from "exactly the cap".
        reader.take(cap.saturating_add(1)).read_to_end(&mut bytes)?;
        if bytes.len() as u64 > cap {
            return Err(InputError::TooLarge(cap));
        }
        Self::parse(&bytes)
    }

    /// Parses one payload.
    pub fn parse(bytes: &[u8]) -> Result<Self, InputError> {
        let text = std::str::from_utf8(bytes).map_err(|_| InputError::NotUtf8)?;
        if text.trim().is_empty() {
            return Err(InputError::Empty);
        }
        // serde fills a struct from a JSON array too, field by position: only an object is a payload.
        if !text.trim_start().starts_with('{') {
            return Err(InputError::Json(serde::de::Error::custom(
                "expected a JSON object",
            )));
        }
        Ok(serde_json::from_str(text)?)
    }
}

fn skill_of<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<String>, D::Error> {
    let value = Value::deserialize(de)?;
    Ok(value
        .get("skill")
        .and_then(Value::as_str)
        .map(str::to_owned))
}

fn success_of<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<bool>, D::Error> {
    let value = Value::deserialize(de)?;
    Ok(value.get("success").and_then(Value::as_bool))
}

/// A number, or `None` for anything else (a future release sending a float or a string must not
/// make the whole payload unreadable).
fn lenient_u64<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<u64>, D::Error> {
    let value = Value::deserialize(de)?;
    Ok(value.as_u64().or_else(|| {
        value
            .as_f64()
            .filter(|f| f.is_finite() && *f >= 0.0)
            .map(|f| {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let whole = f.round() as u64;
                whole
            })
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skill_payload_keeps_only_name_success_and_duration() {
        let input = HookInput::parse(
            br#"{"session_id":"s","hook_event_name":"PostToolUse","tool_name":"Skill",
                "tool_input":{"skill":"fake-skill","args":"secret"},
                "tool_response":{"success":true,"commandName":"fake-skill"},
                "duration_ms":14,"new_field":[1,2]}"#,
        );
        let input = input.ok();
        assert_eq!(
            input.as_ref().and_then(|i| i.skill.as_deref()),
            Some("fake-skill")
        );
        assert_eq!(input.as_ref().and_then(|i| i.tool_success), Some(true));
        assert_eq!(input.as_ref().and_then(|i| i.duration_ms), Some(14));
    }

    #[test]
    fn odd_optional_fields_do_not_reject_the_payload() {
        let input = HookInput::parse(
            br#"{"session_id":"s","hook_event_name":"PostToolUse","tool_input":"text",
                "tool_response":null,"duration_ms":"12"}"#,
        )
        .ok();
        assert_eq!(input.as_ref().map(|i| i.skill.is_none()), Some(true));
        assert_eq!(input.as_ref().map(|i| i.duration_ms), Some(None));
    }

    #[test]
    fn a_cap_of_u64_max_reads_everything() {
        // Found by the `hook_payload` fuzz target: `cap + 1` overflowed (a panic in debug builds; in
        // release `take(0)`, so every payload read as empty).
        let payload = br#"{"session_id":"s","hook_event_name":"Stop"}"#;
        let input = HookInput::read(payload.as_slice(), u64::MAX).unwrap();
        assert_eq!(input.hook_event_name, "Stop");
        assert!(matches!(
            HookInput::read(b"".as_slice(), u64::MAX),
            Err(InputError::Empty)
        ));
    }

    #[test]
    fn bad_input_is_classified() {
        assert!(matches!(HookInput::parse(b""), Err(InputError::Empty)));
        assert!(matches!(HookInput::parse(b" \n"), Err(InputError::Empty)));
        assert!(matches!(
            HookInput::parse(b"\xff{}"),
            Err(InputError::NotUtf8)
        ));
        assert!(matches!(
            HookInput::parse(b"{\"a\":"),
            Err(InputError::Json(_))
        ));
        assert!(matches!(
            HookInput::parse(br#"{"hook_event_name":"Stop"}"#),
            Err(InputError::Json(_))
        ));
        // Found by the `hook_payload` fuzz target: an array was read field by position.
        let array = HookInput::parse(br#" ["s","SessionEnd","/tmp/t.jsonl"]"#);
        assert_eq!(
            array.map_err(|e| e.to_string()).err().as_deref(),
            Some("invalid hook payload: expected a JSON object")
        );
        let big = vec![b' '; 100];
        assert!(matches!(
            HookInput::read(big.as_slice(), 99),
            Err(InputError::TooLarge(99))
        ));
    }
}
