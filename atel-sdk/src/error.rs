//! The one error type of the SDK, and [`Report`] to print it.
//!
//! Each variant says whether the request went out, so a caller knows what a retry could duplicate, and
//! [`Error::is_retryable`] / [`Error::is_permanent`] say whether trying again can help. No variant ever
//! holds the token: the client sends it only in the `Authorization` header, and transport errors are
//! stored without their URL.
//!
//! Each error's message says its own level only; the cause is its [`source()`](StdError::source). Print
//! the whole chain once, where the error leaves the program (a log line, stderr), with [`Report`]:
//!
//! ```
//! use atel_sdk::error::{Error, Report};
//!
//! let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused");
//! let err = Error::Transport(Box::new(io));
//! assert_eq!(err.to_string(), "could not reach Tinybird");
//! assert_eq!(Report(&err).to_string(), "could not reach Tinybird: connection refused");
//! ```

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
    #[error("could not encode rows as JSON")]
    Encode(#[source] BoxError),

    /// The connection failed or broke. The request may or may not have reached Tinybird.
    #[error("could not reach Tinybird")]
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
    #[error("could not decode {context}{}", Location(*.row, .column.as_deref()))]
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

    /// A query answer's columns (its `meta`) do not fit the row type: checked before any row is
    /// decoded (see [`client::check_columns`](crate::client::check_columns)). Nothing was decoded.
    #[error(
        "the columns of {context} do not fit `{row_type}`: {} (fields: {}; columns: {})",
        Messages(.problems), List(.fields), List(.columns)
    )]
    SchemaMismatch {
        /// What was queried, e.g. "pipe `top_pages`".
        context: String,
        /// The row type's name.
        row_type: &'static str,
        /// Each field that does not fit, e.g. ``field `views` (u64) cannot read column `views` of type `String` ``.
        problems: Vec<String>,
        /// The row type's fields as the client sees them, `name: type`.
        fields: Vec<String>,
        /// The answer's columns, `name Type`.
        columns: Vec<String>,
    },

    /// A Tinybird job (an import, a delete) ended in `error` or `cancelled`.
    #[error("job {id} {status}{}", Detail(.message.as_deref()))]
    Job {
        /// The job id.
        id: String,
        /// `error` or `cancelled`.
        status: String,
        /// Tinybird's error message, when given.
        message: Option<String>,
    },

    /// A job was still running when the wait for it ran out; it goes on at Tinybird.
    #[error("job {id} still `{status}` after {waited:?}")]
    JobTimeout {
        /// The job id, to ask again later.
        id: String,
        /// Its last status (`waiting`, `working`).
        status: String,
        /// How long the client waited.
        waited: Duration,
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

/// The statuses the client retries (see [`RetryPolicy`](crate::client::RetryPolicy)): Tinybird is
/// busy or briefly down, not refusing the request.
pub(crate) fn is_retryable_status(status: u16) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504)
}

/// The statuses with which Tinybird refuses the request itself: the same request fails the same way.
fn is_permanent_status(status: u16) -> bool {
    matches!(status, 400 | 403 | 404 | 413)
}

impl Error {
    /// Whether the same call may succeed later: a failure the client's
    /// [`RetryPolicy`](crate::client::RetryPolicy) retries, returned once its attempts or its deadline
    /// ran out. A caller that can wait longer (one with a spool, say) may try again.
    ///
    /// Retryable: [`Transport`](Self::Transport) (no connection, or it broke before the answer),
    /// [`Timeout`](Self::Timeout), [`RateLimited`](Self::RateLimited) and [`Api`](Self::Api) with status
    /// 429, 500, 502, 503 or 504. Everything else is not, among them 401 and 408 (see
    /// [`is_permanent`](Self::is_permanent) for what is neither). As with the client's own retries, an
    /// ingest that failed by a transport error or a timeout may have been written: sending it again can
    /// duplicate rows.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Transport(_) | Self::Timeout { .. } | Self::RateLimited { .. } => true,
            Self::Api { status, .. } => is_retryable_status(*status),
            _ => false,
        }
    }

    /// Whether the same call fails the same way however often it is made, so what it carries (rows, a
    /// query) is better set aside than sent again.
    ///
    /// Permanent: [`Api`](Self::Api) with status 400 (a malformed row or query), 403 (the token lacks
    /// the scope for this resource), 404 (no such datasource or pipe) or 413 (the body is too large),
    /// and [`Encode`](Self::Encode), [`Decode`](Self::Decode), [`SchemaMismatch`](Self::SchemaMismatch)
    /// and [`Quarantined`](Self::Quarantined)
    /// (the same rows are quarantined again).
    ///
    /// Neither permanent nor [retryable](Self::is_retryable): [`Config`](Self::Config),
    /// [`Deploy`](Self::Deploy) (Tinybird's feedback says what to change), and the statuses in neither
    /// list, notably 401 (no valid token: the same request passes once the token is fixed, so its rows are
    /// worth keeping) and 408 (the server gave up waiting for the request; the client does not retry it,
    /// but nothing is wrong with the request either).
    pub fn is_permanent(&self) -> bool {
        match self {
            Self::Api { status, .. } => is_permanent_status(*status),
            Self::Encode(_)
            | Self::Decode { .. }
            | Self::SchemaMismatch { .. }
            | Self::Quarantined { .. } => true,
            _ => false,
        }
    }
}

/// Displays an error and every error of its [`source()`](StdError::source) chain, `a: b: c`: the one
/// place the chain is printed, at the edge of a program (ripgrep's `main`, anyhow's `{:#}`).
///
/// The errors of this crate name their own level only, so each level is printed once. The text never
/// holds the token (see [`Error`]).
#[derive(Clone, Copy)]
pub struct Report<'a>(pub &'a (dyn StdError + 'static));

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Report<'_> {
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

struct Detail<'a>(Option<&'a str>);

impl fmt::Display for Detail<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(message) => write!(f, ": {message}"),
            None => Ok(()),
        }
    }
}

struct List<'a>(&'a [String]);

impl fmt::Display for List<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("none");
        }
        f.write_str(&self.0.join(", "))
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
            Report(&err).to_string(),
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

    /// An error with a message and, maybe, a source.
    #[derive(Debug)]
    struct Layer(&'static str, Option<Box<Self>>);

    impl fmt::Display for Layer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }

    impl StdError for Layer {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            self.1.as_deref().map(|layer| layer as _)
        }
    }

    fn chain() -> BoxError {
        Box::new(Layer(
            "error sending request",
            Some(Box::new(Layer("connection refused", None))),
        ))
    }

    #[test]
    fn messages_name_their_own_level_and_report_prints_the_chain_once() {
        let decode = Error::Decode {
            context: "the response of pipe `p`".into(),
            row: None,
            column: None,
            source: chain(),
            body: String::new(),
        };
        for (err, own) in [
            (Error::Transport(chain()), "could not reach Tinybird"),
            (Error::Encode(chain()), "could not encode rows as JSON"),
            (decode, "could not decode the response of pipe `p`"),
        ] {
            assert_eq!(err.to_string(), own);
            assert!(StdError::source(&err).is_some(), "{own}");
            assert_eq!(
                Report(&err).to_string(),
                format!("{own}: error sending request: connection refused")
            );
        }
        let api = api(500);
        assert_eq!(Report(&api).to_string(), api.to_string());
    }

    fn api(status: u16) -> Error {
        Error::Api {
            status,
            message: "m".into(),
            documentation: None,
        }
    }

    #[test]
    fn retryable_is_what_the_retry_policy_retries() {
        for status in 100..600 {
            assert_eq!(
                api(status).is_retryable(),
                is_retryable_status(status),
                "{status}"
            );
        }
        for status in [429, 500, 502, 503, 504] {
            assert!(api(status).is_retryable(), "{status}");
            assert!(!api(status).is_permanent(), "{status}");
        }
        assert!(Error::Transport(chain()).is_retryable());
        assert!(
            Error::Timeout {
                elapsed: Duration::from_secs(1)
            }
            .is_retryable()
        );
        assert!(Error::RateLimited { retry_after: None }.is_retryable());
    }

    #[test]
    fn permanent_is_a_refused_request_or_rows_that_cannot_pass() {
        for status in [400, 403, 404, 413] {
            assert!(api(status).is_permanent(), "{status}");
            assert!(!api(status).is_retryable(), "{status}");
        }
        assert!(Error::Encode("NaN".into()).is_permanent());
        assert!(
            Error::Decode {
                context: "c".into(),
                row: None,
                column: None,
                source: "bad".into(),
                body: String::new(),
            }
            .is_permanent()
        );
        assert!(
            Error::Quarantined {
                successful_rows: 1,
                quarantined_rows: 1,
            }
            .is_permanent()
        );
        assert!(!Error::Transport(chain()).is_permanent());
        assert!(
            !Error::Timeout {
                elapsed: Duration::from_secs(1)
            }
            .is_permanent()
        );
        assert!(!Error::RateLimited { retry_after: None }.is_permanent());
    }

    #[test]
    fn some_errors_are_neither() {
        let neither = [
            api(401),
            api(408),
            api(422),
            api(501),
            Error::Config("no token".into()),
            Error::Deploy {
                what: "deployment",
                status: "failed".into(),
                messages: Vec::new(),
            },
        ];
        for err in neither {
            assert!(!err.is_retryable() && !err.is_permanent(), "{err}");
        }
    }
}
