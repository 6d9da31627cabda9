//! The one error type of the SDK.
//!
//! Each variant says whether the request went out, so a caller knows what a retry could duplicate.
//! No variant ever holds the token: the client sends it only in the `Authorization` header, and transport
//! errors are stored without their URL.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

/// A boxed error source; keeps the HTTP library out of the public API.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// Everything that can go wrong talking to Tinybird.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client is misconfigured (no token, a bad URL, …). Nothing was sent.
    #[error("configuration error: {0}")]
    Config(String),

    /// Rows could not be encoded as JSON. Nothing was sent.
    #[error("could not encode rows as JSON: {0}")]
    Encode(#[source] BoxError),

    /// The connection failed or broke. The request may or may not have reached Tinybird.
    #[error("could not reach Tinybird: {}", Chain(.0.as_ref()))]
    Transport(#[source] BoxError),

    /// No complete answer arrived in time (per attempt or over the whole deadline). The request may have
    /// reached Tinybird.
    #[error("Tinybird did not answer within {elapsed:?}")]
    Timeout {
        /// How long the client waited in total.
        elapsed: Duration,
    },

    /// Tinybird answered with an error status (after retries, for retryable ones).
    #[error("Tinybird API error {status}: {message}")]
    Api {
        /// The HTTP status code.
        status: u16,
        /// Tinybird's `error` text, or the raw (truncated) body when it is not Tinybird's JSON.
        message: String,
        /// Tinybird's `documentation` link, when given.
        documentation: Option<String>,
    },

    /// Tinybird kept answering 429 until the attempts or the deadline ran out.
    #[error("rate limited by Tinybird{}", RetryAfter(*.retry_after))]
    RateLimited {
        /// How long Tinybird asked to wait, from `Retry-After` or `X-RateLimit-Reset`.
        retry_after: Option<Duration>,
    },

    /// A successful response could not be decoded into the expected type.
    #[error("could not decode {context}{}: {source}", Location(*.row, .column.as_deref()))]
    Decode {
        /// What was being decoded, e.g. "the response of pipe `top_agents`".
        context: String,
        /// The index of the row in `data` that failed, when the failure is in one row.
        row: Option<usize>,
        /// The column that failed, when known.
        column: Option<String>,
        /// The decoder's error.
        #[source]
        source: BoxError,
        /// The start of the offending JSON (the row, or the whole body), truncated.
        body: String,
    },

    /// Rows were written but some of them went to the datasource's quarantine. Returned by
    /// [`IngestSummary::check`](crate::client::IngestSummary::check); `ingest` itself reports quarantined
    /// rows in its summary.
    #[error(
        "{quarantined_rows} row(s) went to quarantine ({successful_rows} written); see the `<datasource>_quarantine` datasource"
    )]
    Quarantined {
        /// Rows written to the datasource.
        successful_rows: u64,
        /// Rows written to `<datasource>_quarantine` instead.
        quarantined_rows: u64,
    },

    /// A build or deployment was rejected or failed; the messages are Tinybird's feedback.
    #[error("{what} {status}: {}", Messages(.messages))]
    Deploy {
        /// `build` or `deployment`.
        what: &'static str,
        /// The result or status Tinybird reported (`failed`, `deleted`, …).
        status: String,
        /// Tinybird's errors and error-level feedback, each as `file: message`.
        messages: Vec<String>,
    },
}

/// Shorthand for a result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Displays an error and its sources, `a: b: c`.
struct Chain<'a>(&'a (dyn StdError + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

struct RetryAfter(Option<Duration>);

impl fmt::Display for RetryAfter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(wait) => write!(f, " (retry after {wait:?})"),
            None => Ok(()),
        }
    }
}

struct Location<'a>(Option<usize>, Option<&'a str>);

impl fmt::Display for Location<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.0, self.1) {
            (Some(row), Some(column)) => write!(f, " (row {row}, column `{column}`)"),
            (Some(row), None) => write!(f, " (row {row})"),
            (None, Some(column)) => write!(f, " (column `{column}`)"),
            (None, None) => Ok(()),
        }
    }
}

struct Messages<'a>(&'a [String]);

impl fmt::Display for Messages<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("no details given");
        }
        for (i, message) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            f.write_str(message)?;
        }
        Ok(())
    }
}

/// Cuts `text` to at most `max` bytes on a character boundary, marking the cut.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes in all)", &text[..end], text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_respects_char_boundaries() {
        assert_eq!(truncate("abc", 5), "abc");
        assert_eq!(truncate("héllo", 2), "h… (6 bytes in all)");
    }

    #[test]
    fn display_lists_location_and_messages() {
        let err = Error::Decode {
            context: "the response of pipe `p`".into(),
            row: Some(2),
            column: Some("n".into()),
            source: "invalid type".into(),
            body: String::new(),
        };
        assert_eq!(
            err.to_string(),
            "could not decode the response of pipe `p` (row 2, column `n`): invalid type"
        );
        let err = Error::Deploy {
            what: "deployment",
            status: "failed".into(),
            messages: vec!["a.pipe: bad".into(), "b.datasource: worse".into()],
        };
        assert_eq!(
            err.to_string(),
            "deployment failed: a.pipe: bad; b.datasource: worse"
        );
    }
}
