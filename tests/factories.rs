//! Row factories for the three telemetry datasources (seed change B14).
//!
//! Each `make_*_row` returns a complete, plausible row; override what a test cares about with struct
//! update syntax, which keeps every override visible at the call site:
//!
//! ```
//! use atel_tests::factories::make_agent_activation_row;
//! use atel_sdk::telemetry::AgentActivation;
//!
//! let row = AgentActivation { agent_type: "Explore".into(), ..make_agent_activation_row() };
//! assert_eq!(row.agent_type, "Explore");
//! assert_eq!(row.model, "claude-opus-4-8");
//! ```

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, TimeDelta, Utc};

use atel_sdk::telemetry::{AgentActivation, AgentEvent, ApiRequest, SkillActivation};

/// The session id every factory row carries unless overridden.
pub const SESSION_ID: &str = "11111111-2222-4333-8444-555555555555";

/// Now, truncated to milliseconds (what `DateTime64(3)` keeps), minus `ago`.
pub fn ago(ago: TimeDelta) -> DateTime<Utc> {
    let now = Utc::now();
    let millis = now.timestamp_millis();
    DateTime::from_timestamp_millis(millis).unwrap_or(now) - ago
}

/// A fresh subagent run id (`a` + 16 hex digits, like Claude Code's): every factory row is its own run.
pub fn next_agent_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0x0a86_0e15_1b3d_0000);
    format!("a{:016x}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A fresh id with `prefix` (`toolu_…`, `req_…`, `msg_…`): every factory row is its own event.
pub fn next_id(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("{prefix}{:024x}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A subagent `stop` row one hour ago with a fresh `agent_id`: `general-purpose` on
/// `claude-opus-4-8`, the token numbers of the fixtures' first API call (input 101, output 31, cache
/// read 5,100, cache write 2,010), 1.5 s.
pub fn make_agent_activation_row() -> AgentActivation {
    AgentActivation {
        timestamp: ago(TimeDelta::hours(1)),
        session_id: SESSION_ID.to_owned(),
        agent_type: "general-purpose".to_owned(),
        agent_id: next_agent_id(),
        event: AgentEvent::Stop,
        input_tokens: 101,
        output_tokens: 31,
        cache_read_tokens: 5_100,
        cache_creation_tokens: 2_010,
        duration_ms: 1_500,
        model: "claude-opus-4-8".to_owned(),
    }
}

/// A successful `fake-skill` use one hour ago that took 12 ms, with a fresh `tool_use_id`.
pub fn make_skill_activation_row() -> SkillActivation {
    SkillActivation {
        timestamp: ago(TimeDelta::hours(1)),
        session_id: SESSION_ID.to_owned(),
        skill_name: "fake-skill".to_owned(),
        duration_ms: 12,
        success: true,
        tool_use_id: next_id("toolu_"),
    }
}

/// One `claude-opus-4-8` request one hour ago with the fixtures' first call's tokens, priced at
/// Opus 4.8's list prices ($5 / $25 / $0.50 / $6.25 per MTok): 0.0163925 USD, with a fresh
/// `request_id` and `message_id`.
pub fn make_api_request_row() -> ApiRequest {
    ApiRequest {
        timestamp: ago(TimeDelta::hours(1)),
        session_id: SESSION_ID.to_owned(),
        model: "claude-opus-4-8".to_owned(),
        input_tokens: 101,
        output_tokens: 31,
        cache_read_tokens: 5_100,
        cache_creation_tokens: 2_010,
        cost_usd: 0.016_392_5,
        duration_ms: 2_000,
        request_id: next_id("req_"),
        message_id: next_id("msg_"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_request_default_cost_is_opus_4_8_list_price() {
        let row = make_api_request_row();
        #[allow(clippy::cast_precision_loss)]
        let expected = (row.input_tokens as f64 * 5.0
            + row.output_tokens as f64 * 25.0
            + row.cache_read_tokens as f64 * 0.5
            + row.cache_creation_tokens as f64 * 6.25)
            / 1e6;
        assert!(
            (row.cost_usd - expected).abs() < 1e-12,
            "{} != {expected}",
            row.cost_usd
        );
    }

    #[test]
    fn timestamps_are_whole_milliseconds_in_the_past() {
        let row = make_skill_activation_row();
        assert_eq!(row.timestamp.timestamp_subsec_nanos() % 1_000_000, 0);
        assert!(row.timestamp < Utc::now());
    }
}
