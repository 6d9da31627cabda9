//! Buffered ingest: rows collect in memory and go out when a limit is reached.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::Poll;
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
    /// Batches sent and not yet reported, oldest first (only with `with_max_in_flight` above 1).
    in_flight: VecDeque<Flight>,
    max_in_flight: usize,
    _rows: PhantomData<fn(&D)>,
}

/// One batch's request, polled by the inserter itself (no task is spawned), then its outcome.
enum Flight {
    Running(Pin<Box<dyn Future<Output = Result<IngestSummary>> + Send>>),
    Finished(Result<IngestSummary>),
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
            .field("in_flight", &self.in_flight.len())
            .field("max_in_flight", &self.max_in_flight)
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
            in_flight: VecDeque::new(),
            max_in_flight: 1,
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

    /// Keep up to `requests` batches in flight at once (default 1: each flush waits for its answer).
    ///
    /// Above 1, a flush sends its batch and returns; the batches' answers are reported in the order
    /// they were sent, by the `write`, `commit` or `end` call during which they complete (an error is
    /// the oldest failed batch's, and the batches after it are still awaited by `end`). When
    /// `requests` batches are in flight the next flush waits for the oldest: a stalled server stops
    /// the writer instead of growing memory, which stays at most `requests` bodies plus the buffer.
    /// The requests are polled by the inserter's own calls, not by a spawned task: they progress
    /// while you await one of them. Unlike with one request in flight, a batch that fails (after the
    /// client's retries) is not kept for the next flush: its rows are gone from the inserter.
    pub fn with_max_in_flight(mut self, requests: usize) -> Self {
        self.max_in_flight = requests.max(1);
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
        let finished = self.poll_in_flight().await?;
        let flushed = self.commit().await?;
        Ok(match (finished, flushed) {
            (Some(mut a), Some(b)) => {
                a += b;
                Some(a)
            }
            (a, b) => a.or(b),
        })
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
        if self.max_in_flight > 1 {
            return self.send_concurrently().await;
        }
        let written = self.client.ingest_ndjson(D::NAME, &self.buffer).await?;
        self.buffer.clear();
        self.rows = 0;
        self.last_flush = Instant::now();
        self.total += written;
        Ok(written)
    }

    /// Batches sent and not yet reported (see [`with_max_in_flight`](Self::with_max_in_flight)).
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Sends the buffer as one more request in flight, after waiting for room.
    async fn send_concurrently(&mut self) -> Result<IngestSummary> {
        let mut done = IngestSummary::default();
        while self.in_flight.len() >= self.max_in_flight {
            done += self.settle_oldest().await?;
        }
        let body = std::mem::take(&mut self.buffer);
        self.rows = 0;
        self.last_flush = Instant::now();
        let client = self.client.clone();
        self.in_flight
            .push_back(Flight::Running(Box::pin(async move {
                client.ingest_ndjson(D::NAME, &body).await
            })));
        if let Some(finished) = self.poll_in_flight().await? {
            done += finished;
        }
        Ok(done)
    }

    /// Polls every request in flight once, then reports the finished ones at the front, in order.
    async fn poll_in_flight(&mut self) -> Result<Option<IngestSummary>> {
        if self.in_flight.is_empty() {
            return Ok(None);
        }
        std::future::poll_fn(|cx| {
            poll_all(&mut self.in_flight, cx);
            Poll::Ready(())
        })
        .await;
        let mut done = None;
        while matches!(self.in_flight.front(), Some(Flight::Finished(_))) {
            let written = self.settle_oldest().await?;
            *done.get_or_insert_with(IngestSummary::default) += written;
        }
        Ok(done)
    }

    /// Waits for the oldest request in flight (polling all of them meanwhile) and reports it.
    async fn settle_oldest(&mut self) -> Result<IngestSummary> {
        let outcome = std::future::poll_fn(|cx| {
            poll_all(&mut self.in_flight, cx);
            match self.in_flight.front() {
                Some(Flight::Finished(_)) | None => Poll::Ready(self.in_flight.pop_front()),
                Some(Flight::Running(_)) => Poll::Pending,
            }
        })
        .await;
        match outcome {
            Some(Flight::Finished(result)) => {
                let written = result?;
                self.total += written;
                Ok(written)
            }
            _ => Ok(IngestSummary::default()),
        }
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
        let mut first_error = None;
        while !self.in_flight.is_empty() {
            if let Err(e) = self.settle_oldest().await {
                first_error.get_or_insert(e);
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(self.total),
        }
    }
}

/// Polls each running request once, keeping what finished.
fn poll_all(flights: &mut VecDeque<Flight>, cx: &mut std::task::Context<'_>) {
    for flight in flights.iter_mut() {
        if let Flight::Running(request) = flight
            && let Poll::Ready(result) = request.as_mut().poll(cx)
        {
            *flight = Flight::Finished(result);
        }
    }
}

impl<D> Drop for Inserter<D> {
    fn drop(&mut self) {
        if !self.in_flight.is_empty() {
            tracing::warn!(
                in_flight = self.in_flight.len(),
                "Inserter dropped with requests in flight; they are cancelled (call `end().await`)"
            );
        }
        if self.rows > 0 {
            tracing::warn!(
                pending_rows = self.rows,
                "Inserter dropped with unsent rows; call `end().await`"
            );
        }
    }
}
