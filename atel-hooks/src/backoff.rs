//! The delivery backoff, shared by every run through the state directory, so a failing or slow
//! Tinybird gets one small request now and then instead of the whole backlog from every hook.
//!
//! Files in the state directory (mode 0600 on Unix):
//! - `delivery.lock`: a run delivers only while it holds an exclusive lock on it. A hook run *tries*
//!   the lock and, finding it held, leaves its rows in the spool for a later run (another run is
//!   delivering right now); `atel-hooks flush` waits for it.
//! - `delivery.json`: the [`Backoff`], read and written only under that lock (written atomically: a
//!   temporary file renamed over the old one). A missing or unreadable file is no backoff.
//!
//! A delivery that fails for a reason that may pass ([`Setback`]: no connection, a timeout, 429, 5xx,
//! no client) sets the next attempt [`FIRST_WAIT`] later, twice that after the next failure and so on
//! up to [`MAX_WAIT`], each wait drawn between half and all of that (so many machines failing together
//! do not come back together); a 429's `Retry-After` is used as it is (up to [`MAX_WAIT`]). A run
//! before that time only spools its rows. Any delivery the server answers (taken or refused for good)
//! ends the backoff.
//!
//! A failure after which Tinybird may have written the rows anyway (a timeout, a broken connection,
//! 500/502/504) also shrinks what the next hook runs claim to [`PROBE_BYTES`], doubling with each
//! success back to [`HOOK_CLAIM_BYTES`]: a request that keeps timing out after the server wrote
//! it duplicates a few rows, never the backlog.

use std::fs::{self, File, OpenOptions};
use std::hash::{BuildHasher as _, Hasher as _};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::deliver::{Delivery, Setback};
use crate::spool::HOOK_CLAIM_BYTES;

const LOCK: &str = "delivery.lock";
const STATE: &str = "delivery.json";

/// The wait after a first failure: long enough that the hooks of one burst (a dozen Skill calls in a
/// second) make one attempt, short enough that a blip costs a second of delay.
pub(crate) const FIRST_WAIT: Duration = Duration::from_secs(1);

/// The longest wait: an outage of Tinybird costs one small request every one to two minutes, and
/// rows wait at most two minutes once it is back (`atel-hooks flush` sends them at once).
pub(crate) const MAX_WAIT: Duration = Duration::from_mins(2);

/// What hook runs claim after a failure that may have written the rows: about 15 rows, enough to see
/// whether Tinybird is back, few enough that a request timing out after the server wrote it duplicates
/// little.
pub(crate) const PROBE_BYTES: u64 = 4 * 1024;

/// The shared delivery state: failures in a row, when the next attempt may start, how much a hook run
/// claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Backoff {
    /// Failed deliveries since the last success.
    pub failures: u32,
    /// No run delivers before this time (milliseconds since the Unix epoch); 0: any time.
    pub retry_at_ms: u64,
    /// The most a hook run claims, in bytes of spool lines.
    pub claim_bytes: u64,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            failures: 0,
            retry_at_ms: 0,
            claim_bytes: HOOK_CLAIM_BYTES,
        }
    }
}

impl Backoff {
    /// Whether a run at `now_ms` must leave delivery to a later one. A wait longer than [`MAX_WAIT`]
    /// (the clock was set back, the file was edited) is over.
    pub(crate) fn is_waiting(&self, now_ms: u64) -> bool {
        now_ms < self.retry_at_ms && self.retry_at_ms - now_ms <= millis(MAX_WAIT)
    }

    /// The most a hook run claims now, between [`PROBE_BYTES`] and [`HOOK_CLAIM_BYTES`].
    pub(crate) fn claim_cap(&self) -> u64 {
        self.claim_bytes.clamp(PROBE_BYTES, HOOK_CLAIM_BYTES)
    }

    /// The state after a failed delivery at `now_ms`; `unit` (in `0..=1`) picks the wait within its
    /// jitter range.
    #[must_use]
    pub(crate) fn failed(self, setback: Setback, now_ms: u64, unit: f64) -> Self {
        let failures = self.failures.saturating_add(1);
        let ceiling = FIRST_WAIT
            .saturating_mul(1 << failures.saturating_sub(1).min(20))
            .min(MAX_WAIT);
        let wait = match setback {
            Setback::NotWritten {
                retry_after: Some(wait),
            } => wait.min(MAX_WAIT),
            _ => ceiling.mul_f64(0.5 + 0.5 * unit.clamp(0.0, 1.0)),
        };
        let claim_bytes = match setback {
            Setback::MaybeWritten => PROBE_BYTES,
            Setback::NotWritten { .. } => self.claim_cap(),
        };
        Self {
            failures,
            retry_at_ms: now_ms.saturating_add(millis(wait)),
            claim_bytes,
        }
    }

    /// The state after a delivery the server answered: no wait, and a claim twice as large (up to
    /// [`HOOK_CLAIM_BYTES`]).
    #[must_use]
    pub(crate) fn succeeded(self) -> Self {
        Self {
            failures: 0,
            retry_at_ms: 0,
            claim_bytes: self.claim_cap().saturating_mul(2).min(HOOK_CLAIM_BYTES),
        }
    }

    /// The state after `delivery` at `now_ms`: failed on a [`Setback`], succeeded when the server
    /// answered for some rows, unchanged otherwise (nothing claimed, a spool error).
    #[must_use]
    pub(crate) fn after(self, delivery: &Delivery, now_ms: u64) -> Self {
        match delivery.setback {
            Some(setback) => self.failed(setback, now_ms, random_unit()),
            None if delivery.delivered > 0 || delivery.rejected > 0 => self.succeeded(),
            None => self,
        }
    }

    /// The state in `path`; none (the default) when the file is missing or does not parse.
    fn load(path: &Path) -> Self {
        fs::read(path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }
}

/// The right to deliver: the delivery lock, held until dropped, and the backoff read under it.
#[derive(Debug)]
pub(crate) struct Turn {
    _lock: File,
    path: PathBuf,
    /// The backoff as it was when the lock was taken.
    pub backoff: Backoff,
}

impl Turn {
    /// Takes the delivery lock in `dir` if it is free. `Ok(None)`: another run holds it.
    pub(crate) fn try_take(dir: &Path) -> io::Result<Option<Self>> {
        let lock = open_lock(dir)?;
        match lock.try_lock() {
            Ok(()) => Ok(Some(Self::holding(lock, dir))),
            Err(fs::TryLockError::WouldBlock) => Ok(None),
            Err(fs::TryLockError::Error(err)) => Err(err),
        }
    }

    /// Takes the delivery lock in `dir`, waiting until `deadline` at most. `Ok(None)`: still held then.
    pub(crate) fn wait_for(dir: &Path, deadline: std::time::Instant) -> io::Result<Option<Self>> {
        let lock = open_lock(dir)?;
        loop {
            match lock.try_lock() {
                Ok(()) => return Ok(Some(Self::holding(lock, dir))),
                Err(fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(fs::TryLockError::WouldBlock) => return Ok(None),
                Err(fs::TryLockError::Error(err)) => return Err(err),
            }
        }
    }

    fn holding(lock: File, dir: &Path) -> Self {
        let path = dir.join(STATE);
        let backoff = Backoff::load(&path);
        Self {
            _lock: lock,
            path,
            backoff,
        }
    }

    /// Saves the backoff after a hook run's `delivery` (see [`Backoff::after`]).
    pub(crate) fn record(&self, delivery: &Delivery) -> io::Result<()> {
        self.save(self.backoff.after(delivery, now_ms()))
    }

    /// Saves the backoff after `atel-hooks flush`: a delivery without a failure ends it entirely,
    /// the hook runs' claim back to full size included.
    pub(crate) fn record_flush(&self, delivery: &Delivery) -> io::Result<()> {
        if delivery.setback.is_none() && delivery.error.is_none() {
            self.save(Backoff::default())
        } else {
            self.record(delivery)
        }
    }

    /// Writes `backoff` (atomically: a temporary file renamed over the old one), unless unchanged.
    pub(crate) fn save(&self, backoff: Backoff) -> io::Result<()> {
        if backoff == self.backoff {
            return Ok(());
        }
        let tmp = self.path.with_extension("json.tmp");
        let text = serde_json::to_vec(&backoff).map_err(io::Error::other)?;
        let mut options = OpenOptions::new();
        options.create(true).write(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        io::Write::write_all(&mut options.open(&tmp)?, &text)?;
        fs::rename(&tmp, &self.path)
    }
}

fn open_lock(dir: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).read(true).write(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(dir.join(LOCK))
}

/// Now, in milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, millis)
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// A random number in `0..=1` (std's per-process random hash keys: no dependency for one draw).
fn random_unit() -> f64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(now_ms());
    let bits = u32::try_from(hasher.finish() >> 32).unwrap_or(0);
    f64::from(bits) / f64::from(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_764_000_000_000;
    const UNKNOWN: Setback = Setback::MaybeWritten;

    fn waits(backoff: &Backoff, now: u64) -> Duration {
        Duration::from_millis(backoff.retry_at_ms - now)
    }

    #[test]
    fn waits_double_with_each_failure_up_to_the_cap() {
        let mut backoff = Backoff::default();
        let mut longest = Vec::new();
        for _ in 0..10 {
            backoff = backoff.failed(UNKNOWN, NOW, 1.0);
            longest.push(waits(&backoff, NOW).as_secs());
        }
        assert_eq!(longest, [1, 2, 4, 8, 16, 32, 64, 120, 120, 120]);
        assert_eq!(backoff.failures, 10);
        // The jitter draws between half and all of the ceiling.
        let shortest = Backoff::default().failed(UNKNOWN, NOW, 0.0);
        assert_eq!(waits(&shortest, NOW), Duration::from_millis(500));
        let capped = Backoff {
            failures: 4_000_000_000,
            ..Backoff::default()
        }
        .failed(UNKNOWN, NOW, 0.0);
        assert_eq!(waits(&capped, NOW), MAX_WAIT / 2);
        for _ in 0..100 {
            let unit = random_unit();
            assert!((0.0..=1.0).contains(&unit), "{unit}");
        }
    }

    #[test]
    fn runs_wait_until_the_retry_time_and_not_past_the_cap() {
        let backoff = Backoff::default().failed(UNKNOWN, NOW, 1.0);
        assert!(backoff.is_waiting(NOW));
        assert!(backoff.is_waiting(NOW + 999));
        assert!(!backoff.is_waiting(NOW + 1000));
        assert!(!Backoff::default().is_waiting(NOW));
        // The clock went back an hour: a wait longer than the cap is over.
        assert!(!backoff.is_waiting(NOW - 3_600_000));
    }

    #[test]
    fn a_success_resets_the_wait_and_regrows_the_claim() {
        let mut backoff = Backoff::default();
        for _ in 0..5 {
            backoff = backoff.failed(UNKNOWN, NOW, 1.0);
        }
        assert_eq!(backoff.claim_cap(), PROBE_BYTES);
        let mut claims = Vec::new();
        for _ in 0..10 {
            backoff = backoff.succeeded();
            assert_eq!((backoff.failures, backoff.retry_at_ms), (0, 0));
            claims.push(backoff.claim_cap() / 1024);
        }
        assert_eq!(claims, [8, 16, 32, 64, 128, 256, 512, 1024, 1024, 1024]);
        assert_eq!(backoff, Backoff::default());
        // The next failure starts from the first wait again.
        let again = backoff.failed(UNKNOWN, NOW, 1.0);
        assert_eq!(waits(&again, NOW), FIRST_WAIT);
    }

    #[test]
    fn retry_after_is_honoured_and_keeps_the_claim() {
        let asked = |secs| Setback::NotWritten {
            retry_after: Some(Duration::from_secs(secs)),
        };
        let backoff = Backoff::default().failed(asked(7), NOW, 0.0);
        assert_eq!(waits(&backoff, NOW), Duration::from_secs(7));
        assert_eq!(backoff.claim_cap(), HOOK_CLAIM_BYTES);
        // A second 429 asking for less: what it asks, not the doubled wait.
        let backoff = backoff.failed(asked(1), NOW, 1.0);
        assert_eq!(
            (waits(&backoff, NOW), backoff.failures),
            (Duration::from_secs(1), 2)
        );
        // Asking for an hour gets the cap.
        let backoff = backoff.failed(asked(3600), NOW, 1.0);
        assert_eq!(waits(&backoff, NOW), MAX_WAIT);
        // A 429 without `Retry-After` (or a 503, 401, no client) backs off like any failure.
        let plain = Backoff::default().failed(Setback::NotWritten { retry_after: None }, NOW, 1.0);
        assert_eq!(
            (waits(&plain, NOW), plain.claim_cap()),
            (FIRST_WAIT, HOOK_CLAIM_BYTES)
        );
    }

    #[test]
    fn a_delivery_updates_the_backoff_by_its_outcome() {
        let failing = Delivery {
            setback: Some(UNKNOWN),
            delivered: 3,
            ..Delivery::default()
        };
        let backoff = Backoff::default().after(&failing, NOW);
        assert_eq!(backoff.failures, 1);
        assert!(backoff.is_waiting(NOW));
        // Refused for good is an answer, not a failure.
        let refused = Delivery {
            rejected: 2,
            ..Delivery::default()
        };
        assert_eq!(backoff.after(&refused, NOW).failures, 0);
        // Nothing claimed, or a spool error: no news about the server.
        let nothing = Delivery {
            error: Some("spool error".into()),
            ..Delivery::default()
        };
        assert_eq!(backoff.after(&nothing, NOW), backoff);
    }

    #[test]
    fn the_state_file_round_trips_and_a_corrupt_one_is_no_backoff() {
        let dir = tempfile::tempdir().unwrap();
        let turn = Turn::try_take(dir.path()).unwrap().unwrap();
        assert_eq!(turn.backoff, Backoff::default());
        let failed = turn.backoff.failed(UNKNOWN, NOW, 1.0);
        turn.save(failed).unwrap();
        // The lock is held: no other run gets a turn.
        assert!(Turn::try_take(dir.path()).unwrap().is_none());
        let deadline = std::time::Instant::now() + Duration::from_millis(30);
        assert!(Turn::wait_for(dir.path(), deadline).unwrap().is_none());
        drop(turn);
        let turn = Turn::try_take(dir.path()).unwrap().unwrap();
        assert_eq!(turn.backoff, failed);
        drop(turn);

        for corrupt in [
            &b"{\"failures\": 3, \"retry_at"[..],
            b"",
            br#"{"failures":-1}"#,
            b"null",
            b"\xff",
        ] {
            fs::write(dir.path().join(STATE), corrupt).unwrap();
            let turn = Turn::try_take(dir.path()).unwrap().unwrap();
            assert_eq!(turn.backoff, Backoff::default(), "{corrupt:?}");
        }
        // Fields it does not know are ignored, missing ones take their default.
        fs::write(dir.path().join(STATE), br#"{"failures":2,"later":true}"#).unwrap();
        let turn = Turn::try_take(dir.path()).unwrap().unwrap();
        assert_eq!(
            turn.backoff,
            Backoff {
                failures: 2,
                ..Backoff::default()
            }
        );
    }
}
