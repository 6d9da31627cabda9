//! Buffered ingest: rows collect in memory and go out when a limit is reached.

use std::fmt;
use std::marker::PhantomData;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::{IngestSummary, TinybirdClient, ndjson};
use crate::error::Result;
use crate::resource::Datasource;

/// Rows per flush by default: large enough to amortise a request, small enough to flush often.
pub const DEFAULT_INSERTER_MAX_ROWS: usize = 100_000;

/// Buffers rows of `D` and sends them in batches, like clickhouse-rs's `Inserter`.
///
/// A batch goes out when it reaches `max_rows` or `max_bytes` of NDJSON, or when `period` has passed since
/// the last flush. There is no background task: limits are checked in [`write`](Self::write) and
/// [`commit`](Self::commit), so a caller that wants time-based flushing while idle calls `commit` from its
/// own timer. Call [`end`](Self::end) to send the rest: dropping an `Inserter` with rows in it loses them
/// (and logs a warning).
///
/// If a flush fails, its rows stay buffered and go out with the next flush; [`take_pending`](Self::take_pending)
/// hands them over instead (to write them to disk, say).
#[must_use = "rows are only sent by `write`, `commit` and `end`; call `end().await` when done"]
pub struct Inserter<D> {
    client: TinybirdClient,
    buffer: Vec<u8>,
    rows: usize,
    max_rows: usize,
    max_bytes: usize,
    period: Option<Duration>,
    last_flush: Instant,
    total: IngestSummary,
    _rows: PhantomData<fn(&D)>,
}

impl<D> fmt::Debug for Inserter<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inserter")
            .field("pending_rows", &self.rows)
            .field("pending_bytes", &self.buffer.len())
            .field("max_rows", &self.max_rows)
            .field("max_bytes", &self.max_bytes)
            .field("period", &self.period)
            .field("total", &self.total)
            .finish_non_exhaustive()
    }
}

impl TinybirdClient {
    /// An [`Inserter`] for `D`'s datasource with [`DEFAULT_INSERTER_MAX_ROWS`], `max_bytes` equal to the
    /// client's `max_body_bytes`, and no period.
    pub fn inserter<D: Datasource + Serialize>(&self) -> Inserter<D> {
        Inserter {
            client: self.clone(),
            buffer: Vec::new(),
            rows: 0,
            max_rows: DEFAULT_INSERTER_MAX_ROWS,
            max_bytes: self.inner.max_body_bytes,
            period: None,
            last_flush: Instant::now(),
            total: IngestSummary::default(),
            _rows: PhantomData,
        }
    }
}

impl<D: Datasource + Serialize> Inserter<D> {
    /// Flush when this many rows are buffered (at least 1).
    pub fn with_max_rows(mut self, rows: usize) -> Self {
        self.max_rows = rows.max(1);
        self
    }

    /// Flush when the buffered NDJSON reaches this many bytes (at least 1).
    pub fn with_max_bytes(mut self, bytes: usize) -> Self {
        self.max_bytes = bytes.max(1);
        self
    }

    /// Flush when this much time has passed since the last flush (checked on `write` and `commit`).
    pub fn with_period(mut self, period: Option<Duration>) -> Self {
        self.period = period;
        self
    }

    /// Buffers `row`, then flushes if a limit is reached. Returns what that flush wrote, if one ran.
    pub async fn write(&mut self, row: &D) -> Result<Option<IngestSummary>> {
        ndjson::encode_one(row, &mut self.buffer)?;
        self.rows += 1;
        self.commit().await
    }

    /// Flushes if a limit (rows, bytes, period) is reached. Returns what that flush wrote, if one ran.
    pub async fn commit(&mut self) -> Result<Option<IngestSummary>> {
        let due = self.rows >= self.max_rows
            || self.buffer.len() >= self.max_bytes
            || self
                .period
                .is_some_and(|period| self.last_flush.elapsed() >= period);
        if due && self.rows > 0 {
            self.force_commit().await.map(Some)
        } else {
            Ok(None)
        }
    }

    /// Sends the buffered rows now, whatever the limits. Returns what it wrote.
    pub async fn force_commit(&mut self) -> Result<IngestSummary> {
        if self.rows == 0 {
            self.last_flush = Instant::now();
            return Ok(IngestSummary::default());
        }
        let written = self.client.ingest_ndjson(D::NAME, &self.buffer).await?;
        self.buffer.clear();
        self.rows = 0;
        self.last_flush = Instant::now();
        self.total += written;
        Ok(written)
    }

    /// Rows buffered and not yet sent.
    pub fn pending_rows(&self) -> usize {
        self.rows
    }

    /// Bytes of NDJSON buffered and not yet sent.
    pub fn pending_bytes(&self) -> usize {
        self.buffer.len()
    }

    /// Takes the buffered rows out as NDJSON (for a spool file, say), leaving the inserter empty.
    pub fn take_pending(&mut self) -> Vec<u8> {
        self.rows = 0;
        std::mem::take(&mut self.buffer)
    }

    /// Sends what is left and returns the totals over the inserter's life.
    pub async fn end(mut self) -> Result<IngestSummary> {
        let _last = self.force_commit().await?;
        Ok(self.total)
    }
}

impl<D> Drop for Inserter<D> {
    fn drop(&mut self) {
        if self.rows > 0 {
            tracing::warn!(
                pending_rows = self.rows,
                "Inserter dropped with unsent rows; call `end().await`"
            );
        }
    }
}
