//! Arbitrary bytes on the hook's stdin: `HookInput::read` returns `Ok` or `Err` and never panics, the
//! cap behaves the same at every size, and an accepted payload agrees with `serde_json::Value` (the
//! oracle) and survives a round trip through what it exposes.

#![no_main]

use std::path::PathBuf;

use atel_hooks::config::MAX_STDIN_BYTES;
use atel_hooks::payload::{HookInput, InputError};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

fuzz_target!(|data: &[u8]| {
    let len = data.len() as u64;
    let parsed = HookInput::read(data, MAX_STDIN_BYTES);
    if len <= MAX_STDIN_BYTES {
        // A cap at or above the length changes nothing.
        same(&parsed, &HookInput::read(data, len));
        same(&parsed, &HookInput::read(data, u64::MAX));
    }
    if let Some(under) = len.checked_sub(1) {
        assert!(
            matches!(HookInput::read(data, under), Err(InputError::TooLarge(cap)) if cap == under),
            "a payload one byte over the cap is not TooLarge"
        );
    }
    match parsed {
        Ok(input) => accepted(&input, data),
        Err(err) => {
            assert!(!err.to_string().is_empty());
            let _ = format!("{err:?}");
        }
    }
});

/// Two reads of the same bytes give the same answer.
fn same(a: &Result<HookInput, InputError>, b: &Result<HookInput, InputError>) {
    match (a, b) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        _ => panic!("the cap changed the outcome: {a:?} vs {b:?}"),
    }
}

fn accepted(input: &HookInput, data: &[u8]) {
    assert_eq!(&input.clone(), input);
    let _ = format!("{input:?}");

    // The oracle: the same bytes as a plain JSON value. serde skips unknown fields checking only their
    // grammar, so two things are accepted there that `Value`, which decodes everything, rejects: an
    // invalid `\u` escape (a lone surrogate) and a number out of `f64` range (`1E999`).
    match atel_hooks_fuzz::json(data) {
        Ok(value) => agrees(input, &value),
        Err(err) => {
            let message = err.to_string();
            assert!(
                message.contains("surrogate")
                    || message.contains("hex escape")
                    || message.contains("number out of range"),
                "accepted bytes that are not JSON: {message}"
            );
        }
    }

    // Re-serialise everything it exposes, read it back: the same input.
    let again = json!({
        "session_id": input.session_id,
        "hook_event_name": input.hook_event_name,
        "transcript_path": path(input.transcript_path.as_ref()),
        "agent_id": input.agent_id,
        "agent_type": input.agent_type,
        "agent_transcript_path": path(input.agent_transcript_path.as_ref()),
        "tool_name": input.tool_name,
        "tool_input": { "skill": input.skill },
        "tool_response": { "success": input.tool_success },
        "duration_ms": input.duration_ms,
        "tool_use_id": input.tool_use_id,
    });
    let bytes = serde_json::to_vec(&again).expect("cannot re-serialise a payload");
    let round = HookInput::parse(&bytes).expect("a re-serialised payload is rejected");
    assert_eq!(&round, input);
}

/// Every field agrees with the same payload read as a `Value`.
fn agrees(input: &HookInput, value: &Value) {
    let text = |key: &str| value.get(key).and_then(Value::as_str);
    assert_eq!(text("session_id"), Some(input.session_id.as_str()));
    assert_eq!(
        text("hook_event_name"),
        Some(input.hook_event_name.as_str())
    );
    assert_eq!(
        text("transcript_path").map(str::to_owned),
        path(input.transcript_path.as_ref())
    );
    assert_eq!(
        text("agent_transcript_path").map(str::to_owned),
        path(input.agent_transcript_path.as_ref())
    );
    assert_eq!(text("agent_id"), input.agent_id.as_deref());
    assert_eq!(text("agent_type"), input.agent_type.as_deref());
    assert_eq!(text("tool_name"), input.tool_name.as_deref());
    assert_eq!(text("tool_use_id"), input.tool_use_id.as_deref());
    let skill = value
        .get("tool_input")
        .and_then(|t| t.get("skill"))
        .and_then(Value::as_str);
    assert_eq!(skill, input.skill.as_deref());
    let success = value
        .get("tool_response")
        .and_then(|t| t.get("success"))
        .and_then(Value::as_bool);
    assert_eq!(success, input.tool_success);
    if let Some(duration) = input.duration_ms {
        let raw = value.get("duration_ms").expect("a duration from nowhere");
        let float = raw.as_f64().expect("a duration that is not a number");
        assert!(float >= 0.0 && float.is_finite());
        if let Some(exact) = raw.as_u64() {
            assert_eq!(exact, duration);
        }
    } else {
        let raw = value.get("duration_ms");
        assert!(
            raw.is_none_or(|d| d.as_u64().is_none()),
            "a whole number of milliseconds was dropped: {raw:?}"
        );
    }
}

/// A path read from JSON, as the string it came from.
fn path(path: Option<&PathBuf>) -> Option<String> {
    path.map(|p| {
        p.to_str()
            .expect("a path read from JSON is UTF-8")
            .to_owned()
    })
}
