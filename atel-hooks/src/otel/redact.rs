//! Content stays on the machine: Claude Code's content attributes (a prompt, a response, tool
//! input or output, raw API bodies) become `<REDACTED>`, the value Claude Code itself sends when
//! content logging is off, so with Claude Code's defaults the rows are the exporter's.

/// What Claude Code writes in place of content it does not log.
pub const REDACTED: &str = "<REDACTED>";

/// The attributes that carry content when a user turns Claude Code's content logging on:
/// `OTEL_LOG_USER_PROMPTS` (`prompt`, `prompt_text`), `OTEL_LOG_ASSISTANT_RESPONSES` (`response`),
/// `OTEL_LOG_TOOL_DETAILS` / `OTEL_LOG_TOOL_CONTENT` (`tool_parameters`, `tool_input`,
/// `tool_output`, `tool_content`, and Bash's `bash_command`, `full_command`) and
/// `OTEL_LOG_RAW_API_BODIES` (`body` of `api_request_body` / `api_response_body`).
pub const CONTENT_KEYS: &[&str] = &[
    "prompt",
    "prompt_text",
    "response",
    "tool_parameters",
    "tool_input",
    "tool_output",
    "tool_content",
    "bash_command",
    "full_command",
    "body",
];

/// Whether log, span and span-event attributes keep their content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Redaction {
    /// Content attributes that hold something are replaced by [`REDACTED`] (the default).
    #[default]
    Content,
    /// Everything as received (`--keep-content`).
    Keep,
}

impl Redaction {
    /// The value written for attribute `key` whose text is `value`.
    pub fn apply(self, key: &str, value: String) -> String {
        if self.replaces(key, &value) {
            REDACTED.to_owned()
        } else {
            value
        }
    }

    /// [`apply`](Self::apply) without taking the text.
    pub(crate) fn apply_str<'a>(self, key: &str, value: &'a str) -> &'a str {
        if self.replaces(key, value) {
            REDACTED
        } else {
            value
        }
    }

    /// Whether attribute `key` is content this redaction replaces when it holds something.
    pub(crate) fn redacts(self, key: &str) -> bool {
        self == Self::Content && CONTENT_KEYS.contains(&key)
    }

    fn replaces(self, key: &str, value: &str) -> bool {
        !value.is_empty() && self.redacts(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_content_with_something_in_it_is_replaced() {
        let r = Redaction::Content;
        assert_eq!(r.apply("prompt", "fix the bug".into()), REDACTED);
        assert_eq!(r.apply("prompt", REDACTED.into()), REDACTED);
        assert_eq!(r.apply("prompt", String::new()), "");
        assert_eq!(r.apply("prompt_length", "11".into()), "11");
        assert_eq!(r.apply("model", "claude".into()), "claude");
        assert_eq!(Redaction::Keep.apply("response", "hi".into()), "hi");
        assert_eq!(r.apply_str("tool_input", "{}"), REDACTED);
        assert_eq!(r.apply_str("tool_input", ""), "");
        assert_eq!(r.apply_str("tool_name", "Bash"), "Bash");
        assert!(r.redacts("body") && !r.redacts("bodies") && !Redaction::Keep.redacts("body"));
    }
}
