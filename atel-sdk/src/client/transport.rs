//! One call = attempts under the retry policy, the per-attempt timeout and the overall deadline.

use std::time::{Duration, Instant};

use reqwest::header::{AUTHORIZATION, HeaderMap};
use serde::Deserialize;

use super::TinybirdClient;
use super::retry::server_wait;
use crate::error::{Error, Report, Result, is_retryable_status, truncate};

/// Error bodies are cut to this many bytes.
pub(crate) const MAX_ERROR_BODY: usize = 1024;

/// A successful answer, read in full.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
}

/// Why an attempt failed, when it may be retried.
enum Failure {
    Timeout,
    /// Without its URL, which may hold query parameters.
    Transport(reqwest::Error),
    Status {
        status: u16,
        wait: Option<Duration>,
        body: Vec<u8>,
    },
}

impl Failure {
    /// Whether the server surely did not act on the request: it was never connected to, or it
    /// answered "not now" (429, 503). Only such failures are retried for requests that must not run
    /// twice.
    fn surely_unprocessed(&self) -> bool {
        match self {
            Self::Timeout => false,
            Self::Transport(e) => e.is_connect(),
            Self::Status { status, .. } => matches!(status, 429 | 503),
        }
    }

    fn into_error(self, started: Instant) -> Error {
        match self {
            Self::Timeout => Error::Timeout {
                elapsed: started.elapsed(),
            },
            Self::Transport(e) => Error::Transport(Box::new(e)),
            Self::Status {
                status: 429, wait, ..
            } => Error::RateLimited { retry_after: wait },
            Self::Status { status, body, .. } => api_error(status, &body),
        }
    }
}

impl TinybirdClient {
    /// Sends the request `make` builds (once per attempt), adding the token, until it succeeds, fails for
    /// good, or the attempts or the deadline run out. `path` is what tracing shows: no query string.
    pub(crate) async fn send(
        &self,
        method: &'static str,
        path: &str,
        make: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<Reply> {
        self.send_inner(method, path, make, false).await
    }

    /// For requests that must not run twice (a build or deploy creates state on the server): sent
    /// again only when the server surely did not act on them (no connection, 429, 503), never after a
    /// timeout, a broken connection or another 5xx, so the server acts on them at most once. A
    /// non-retryable error status is returned as a `Reply` for the caller to read (deploy answers carry
    /// their feedback in 4xx bodies).
    pub(crate) async fn send_at_most_once(
        &self,
        method: &'static str,
        path: &str,
        make: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<Reply> {
        self.send_inner(method, path, make, true).await
    }

    async fn send_inner(
        &self,
        method: &'static str,
        path: &str,
        make: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
        at_most_once: bool,
    ) -> Result<Reply> {
        let inner = &self.inner;
        let started = Instant::now();
        // A deadline past what `Instant` can hold (`Duration::MAX`) means none: ~136 years away.
        let deadline = started
            .checked_add(inner.deadline)
            .unwrap_or(started + Duration::from_secs(u64::from(u32::MAX)));
        let mut attempt = 0;
        loop {
            attempt += 1;
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(Error::Timeout {
                    elapsed: started.elapsed(),
                });
            }
            let budget = inner.timeout.min(remaining);
            let request = make(&inner.http)
                .header(AUTHORIZATION, inner.auth.clone())
                .timeout(budget);
            let attempt_started = Instant::now();
            let outcome = tokio::time::timeout(budget, async {
                let response = request.send().await?;
                let status = response.status().as_u16();
                let headers: HeaderMap = response.headers().clone();
                let body = response.bytes().await?;
                Ok::<_, reqwest::Error>((status, headers, body))
            })
            .await;
            let elapsed_ms = millis(attempt_started.elapsed());

            let failure = match outcome {
                Err(_) => Failure::Timeout,
                Ok(Err(e)) if e.is_timeout() => Failure::Timeout,
                Ok(Err(e)) if is_retryable_transport(&e) => Failure::Transport(e.without_url()),
                Ok(Err(e)) => {
                    let e = e.without_url();
                    tracing::warn!(method, path, attempt, elapsed_ms, error = %Report(&e), "tinybird request failed");
                    return Err(Error::Transport(Box::new(e)));
                }
                Ok(Ok((status, headers, body))) => {
                    tracing::debug!(
                        method,
                        path,
                        status,
                        attempt,
                        elapsed_ms,
                        "tinybird request"
                    );
                    if (200..300).contains(&status) {
                        return Ok(Reply {
                            status,
                            body: body.to_vec(),
                        });
                    }
                    if !is_retryable_status(status) {
                        if at_most_once {
                            return Ok(Reply {
                                status,
                                body: body.to_vec(),
                            });
                        }
                        return Err(api_error(status, &body));
                    }
                    Failure::Status {
                        status,
                        wait: server_wait(&headers),
                        body: body.to_vec(),
                    }
                }
            };
            match &failure {
                Failure::Timeout => {
                    tracing::warn!(
                        method,
                        path,
                        attempt,
                        elapsed_ms,
                        "tinybird request timed out"
                    );
                }
                Failure::Transport(e) => {
                    tracing::warn!(method, path, attempt, elapsed_ms, error = %Report(e), "tinybird request failed");
                }
                Failure::Status { .. } => {}
            }

            if attempt >= inner.retry.max_attempts()
                || (at_most_once && !failure.surely_unprocessed())
            {
                return Err(failure.into_error(started));
            }
            let wait = match &failure {
                Failure::Status {
                    wait: Some(wait), ..
                } => *wait,
                _ => inner.retry.jittered_backoff(attempt),
            };
            // Give up when the next attempt could not even start before the deadline.
            // (A huge `Retry-After` overflows `Instant`: that, too, is past the deadline.)
            if Instant::now()
                .checked_add(wait)
                .is_none_or(|next| next >= deadline)
            {
                return Err(failure.into_error(started));
            }
            tracing::debug!(
                method,
                path,
                attempt,
                wait_ms = millis(wait),
                "retrying tinybird request"
            );
            tokio::time::sleep(wait).await;
        }
    }
}

/// Connection-level failures: refused, reset, closed before the answer. Not: building the request,
/// redirects, decoding.
fn is_retryable_transport(e: &reqwest::Error) -> bool {
    e.is_connect() || e.is_request() || e.is_body()
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Tinybird's `{"error": …, "documentation": …}`, or the raw body for anything else (a proxy's 5xx page).
pub(crate) fn api_error(status: u16, body: &[u8]) -> Error {
    #[derive(Deserialize)]
    struct TinybirdError {
        error: String,
        documentation: Option<String>,
    }
    if let Ok(e) = serde_json::from_slice::<TinybirdError>(body) {
        return Error::Api {
            status,
            message: truncate(&e.error, MAX_ERROR_BODY),
            documentation: e.documentation,
        };
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    Error::Api {
        status,
        message: if text.is_empty() {
            "(empty body)".to_owned()
        } else {
            truncate(text, MAX_ERROR_BODY)
        },
        documentation: None,
    }
}
