//! Which failures are retried, and how long to wait between attempts.

use std::time::{Duration, SystemTime};

use rand::Rng;

/// How the client retries a failed request.
///
/// Retried: connection errors (refused, reset, closed before the answer), per-attempt timeouts, `429 Too
/// Many Requests`, and `500`, `502`, `503`, `504`. Never retried: any other status, notably `400`, `403`,
/// `404`, `413` — sending the same request again cannot fix those. [`Error::is_retryable`](crate::Error::is_retryable) says the same of
/// the error a call returns.
///
/// The wait before attempt `n + 1` is what Tinybird asked for on a 429 (`Retry-After` in seconds or as an
/// HTTP date, else `X-RateLimit-Reset`), otherwise a random duration in `0..=min(max_backoff,
/// initial_backoff × 2ⁿ⁻¹)` ("full jitter", so many clients failing together do not retry together).
/// Retries stop at `max_attempts` (which counts the first attempt) or when the next attempt could not
/// start before the client's overall deadline, whichever comes first.
///
/// **Ingest and duplicates.** A request that failed by timeout or a broken connection may already have been
/// written by Tinybird; retrying it writes those rows again. Tinybird's Events API has no idempotency key,
/// so this is at-least-once delivery. Use [`RetryPolicy::none`] for ingest if duplicates are worse than
/// loss, or deduplicate downstream (e.g. a `ReplacingMergeTree` on a row id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
}

impl RetryPolicy {
    /// Three attempts, backoff from 200 ms up to 5 s: rides out a brief blip or a deploy of Tinybird's
    /// front end without keeping a caller (a Claude Code hook, say) waiting long.
    pub const DEFAULT: Self = Self {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(200),
        max_backoff: Duration::from_secs(5),
    };

    /// A policy with `max_attempts` attempts in all (at least 1) and the default backoff.
    pub fn new(max_attempts: u32) -> Self {
        Self {
            max_attempts: max_attempts.max(1),
            ..Self::DEFAULT
        }
    }

    /// One attempt, no retries.
    pub fn none() -> Self {
        Self::new(1)
    }

    /// Sets the backoff bounds: the first retry waits up to `initial`, doubling up to `max`.
    #[must_use]
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    /// Attempts in all, including the first.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The upper bound of the random wait after failed attempt number `attempt` (1-based).
    pub fn backoff_ceiling(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(31);
        self.initial_backoff
            .saturating_mul(1 << doublings)
            .min(self.max_backoff)
    }

    /// A random wait in `0..=backoff_ceiling(attempt)`.
    pub(crate) fn jittered_backoff(&self, attempt: u32) -> Duration {
        let ceiling = self.backoff_ceiling(attempt);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(rand::rng().random_range(0..=nanos))
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The wait Tinybird asks for: `Retry-After` (seconds or HTTP date), else `X-RateLimit-Reset` (seconds).
pub(crate) fn server_wait(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    header("retry-after")
        .and_then(parse_retry_after)
        .or_else(|| header("x-ratelimit-reset").and_then(parse_seconds))
}

fn parse_seconds(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    value
        .parse::<f64>()
        .ok()
        .filter(|secs| secs.is_finite() && *secs >= 0.0)
        .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
}

fn parse_retry_after(value: &str) -> Option<Duration> {
    parse_seconds(value).or_else(|| {
        let at = httpdate::parse_http_date(value.trim()).ok()?;
        Some(
            at.duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::is_retryable_status;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy =
            RetryPolicy::new(10).backoff(Duration::from_millis(100), Duration::from_millis(700));
        assert_eq!(policy.backoff_ceiling(1), Duration::from_millis(100));
        assert_eq!(policy.backoff_ceiling(2), Duration::from_millis(200));
        assert_eq!(policy.backoff_ceiling(3), Duration::from_millis(400));
        assert_eq!(policy.backoff_ceiling(4), Duration::from_millis(700));
        assert_eq!(policy.backoff_ceiling(60), Duration::from_millis(700));
        for _ in 0..100 {
            assert!(policy.jittered_backoff(3) <= Duration::from_millis(400));
        }
    }

    #[test]
    fn attempts_count_the_first_and_are_at_least_one() {
        assert_eq!(RetryPolicy::none().max_attempts(), 1);
        assert_eq!(RetryPolicy::new(0).max_attempts(), 1);
        assert_eq!(RetryPolicy::default().max_attempts(), 3);
    }

    #[test]
    fn retry_after_accepts_seconds_and_http_dates() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("1.5"), Some(Duration::from_millis(1500)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        let later = SystemTime::now() + Duration::from_mins(2);
        let wait = parse_retry_after(&httpdate::fmt_http_date(later)).unwrap();
        assert!(wait > Duration::from_secs(100) && wait <= Duration::from_mins(2));
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(parse_retry_after("-3"), None);
    }

    #[test]
    fn only_transient_statuses_are_retryable() {
        for status in [429, 500, 502, 503, 504] {
            assert!(is_retryable_status(status), "{status}");
        }
        for status in [400, 401, 403, 404, 413, 422, 501] {
            assert!(!is_retryable_status(status), "{status}");
        }
    }
}
