//! Streamed reads: rows decoded one NDJSON line at a time as the answer arrives, in constant memory;
//! raw CSV / Parquet / NDJSON bytes; SQL over an endpoint's result (`q=`) and pages of it.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_core::Stream;
use reqwest::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;

use super::config::MAX_GET_URL_LEN;
use super::retry::server_wait;
use super::transport::{MAX_ERROR_BODY, api_error};
use super::{TinybirdClient, lenient};
use crate::error::{Error, Result, is_retryable_status, truncate};
use crate::resource::Pipe;

/// The raw formats of an endpoint (`/v0/pipes/NAME.<format>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RawFormat {
    /// `.csv`: CSV with a header row.
    Csv,
    /// `.ndjson`: one JSON object per row.
    Ndjson,
    /// `.parquet`: Apache Parquet.
    Parquet,
    /// `.json`: the `meta` / `data` / `statistics` answer.
    Json,
}

impl RawFormat {
    fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Ndjson => "ndjson",
            Self::Parquet => "parquet",
            Self::Json => "json",
        }
    }
}

/// Typed rows of a streamed answer, decoded as they arrive. A [`Stream`] of `Result<T>`; without a
/// stream library, call [`next_row`](Self::next_row).
///
/// Memory stays bounded by the longest row plus one network chunk, whatever the number of rows:
/// [`buffer_high_water`](Self::buffer_high_water) says how much it held at most. Between two chunks
/// the client waits at most its per-attempt timeout ([`Error::Timeout`] after); the overall deadline
/// does not apply to a stream, which may run as long as rows keep coming. The first error ends it.
/// Rows are not checked against a `meta` (NDJSON has none): a mismatch is an [`Error::Decode`] at the
/// first row that does not fit.
#[must_use = "a stream does nothing unless polled"]
pub struct RowStream<T> {
    state: State<T>,
}

impl<T> std::fmt::Debug for RowStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowStream").finish_non_exhaustive()
    }
}

type Pending<T> = Pin<Box<dyn Future<Output = (Lines<T>, Option<Result<T>>)> + Send>>;

enum State<T> {
    Idle(Box<Lines<T>>),
    Polling(Pending<T>),
    /// The high-water mark and the bytes received, kept after the end.
    Done(usize, u64),
}

/// The decoder: the body, the unread part of the last chunks, and where it is.
struct Lines<T> {
    response: reqwest::Response,
    idle: Duration,
    context: String,
    buf: Vec<u8>,
    pos: usize,
    row: usize,
    high_water: usize,
    received: u64,
    finished: bool,
    _row: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> Lines<T> {
    async fn next(&mut self) -> Option<Result<T>> {
        loop {
            if let Some(at) = self.buf[self.pos..].iter().position(|b| *b == b'\n') {
                let line = self.pos..self.pos + at;
                self.pos += at + 1;
                if let Some(row) = self.decode(line) {
                    return Some(row);
                }
                continue;
            }
            if self.finished {
                let rest = self.pos..self.buf.len();
                self.pos = self.buf.len();
                return if rest.is_empty() {
                    None
                } else {
                    self.decode(rest)
                };
            }
            self.buf.drain(..self.pos);
            self.pos = 0;
            match tokio::time::timeout(self.idle, self.response.chunk()).await {
                Err(_) => {
                    self.finished = true;
                    return Some(Err(Error::Timeout { elapsed: self.idle }));
                }
                Ok(Err(e)) => {
                    self.finished = true;
                    return Some(Err(Error::Transport(Box::new(e.without_url()))));
                }
                Ok(Ok(None)) => self.finished = true,
                Ok(Ok(Some(chunk))) => {
                    self.received += chunk.len() as u64;
                    self.buf.extend_from_slice(&chunk);
                    self.high_water = self.high_water.max(self.buf.capacity());
                }
            }
        }
    }

    /// Decodes one line; `None` for a blank one.
    fn decode(&mut self, line: std::ops::Range<usize>) -> Option<Result<T>> {
        let bytes = &self.buf[line];
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        let index = self.row;
        self.row += 1;
        let text = String::from_utf8_lossy(bytes);
        Some(
            lenient::row::<T>(&text).map_err(|(source, column)| Error::Decode {
                context: self.context.clone(),
                row: Some(index),
                column,
                source: Box::new(source),
                body: truncate(&text, MAX_ERROR_BODY),
            }),
        )
    }
}

impl<T: DeserializeOwned + Send + 'static> RowStream<T> {
    /// The next row, `None` at the end.
    pub async fn next_row(&mut self) -> Option<Result<T>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// The most bytes the stream buffered at once so far (its buffer's capacity): about the longest
    /// row plus one network chunk.
    pub fn buffer_high_water(&self) -> usize {
        match &self.state {
            State::Idle(lines) => lines.high_water,
            State::Polling(_) => 0,
            State::Done(high_water, _) => *high_water,
        }
    }

    /// The bytes of the answer received so far.
    pub fn bytes_received(&self) -> u64 {
        match &self.state {
            State::Idle(lines) => lines.received,
            State::Polling(_) => 0,
            State::Done(_, received) => *received,
        }
    }

    /// Every row, collected (for small answers; defeats the point for big ones).
    pub async fn collect_rows(mut self) -> Result<Vec<T>> {
        let mut rows = Vec::new();
        while let Some(row) = self.next_row().await {
            rows.push(row?);
        }
        Ok(rows)
    }
}

impl<T: DeserializeOwned + Send + 'static> Stream for RowStream<T> {
    type Item = Result<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<T>>> {
        loop {
            match std::mem::replace(&mut self.state, State::Done(0, 0)) {
                State::Done(high_water, received) => {
                    self.state = State::Done(high_water, received);
                    return Poll::Ready(None);
                }
                State::Idle(mut lines) => {
                    self.state = State::Polling(Box::pin(async move {
                        let item = lines.next().await;
                        (*lines, item)
                    }));
                }
                State::Polling(mut pending) => match pending.as_mut().poll(cx) {
                    Poll::Pending => {
                        self.state = State::Polling(pending);
                        return Poll::Pending;
                    }
                    Poll::Ready((lines, item)) => {
                        let ended = item.is_none() || matches!(item, Some(Err(_)));
                        self.state = if ended {
                            State::Done(lines.high_water, lines.received)
                        } else {
                            State::Idle(Box::new(lines))
                        };
                        return Poll::Ready(item);
                    }
                },
            }
        }
    }
}

impl TinybirdClient {
    /// Streams the rows of pipe `P`'s endpoint (`/v0/pipes/<name>.ndjson`), decoded into
    /// `P::Output` one at a time as they arrive (see [`RowStream`]).
    pub async fn query_stream<P: Pipe>(&self, params: &P) -> Result<RowStream<P::Output>>
    where
        P::Output: Send + 'static,
    {
        let path = format!("/v0/pipes/{}.ndjson", P::NAME);
        let response = self.open(&path, &params.params()).await?;
        Ok(self.rows_of(response, format!("the stream of pipe `{}`", P::NAME)))
    }

    /// Streams the rows of a `SELECT` (`/v0/sql … FORMAT JSONEachRow`; the query must not name a
    /// format).
    pub async fn sql_stream<T: DeserializeOwned + Send + 'static>(
        &self,
        sql: &str,
    ) -> Result<RowStream<T>> {
        let sql = sql.trim().trim_end_matches(';');
        let q = format!("{sql} FORMAT JSONEachRow");
        let response = self.open("/v0/sql", &[("q", q)]).await?;
        Ok(self.rows_of(response, "the stream of `/v0/sql`".to_owned()))
    }

    /// Runs `sql` over the result of pipe `P` (Tinybird's `q=`: the result is the table `_`) and
    /// decodes its rows into `T`, e.g. `SELECT count() AS n FROM _`.
    pub async fn query_sql<P: Pipe, T: DeserializeOwned>(
        &self,
        params: &P,
        sql: &str,
    ) -> Result<Vec<T>> {
        let path = format!("/v0/pipes/{}.json", P::NAME);
        let mut pairs = params.params();
        pairs.push(("q", sql.to_owned()));
        let reply = self.get_or_post(&path, &pairs).await?;
        self.decode_rows(
            &reply,
            &format!("{path}?q"),
            || format!("pipe `{}` with `q`", P::NAME),
            || format!("the response of pipe `{}` with `q`", P::NAME),
        )
    }

    /// One page of pipe `P`'s rows: `limit` rows from `offset` (`q=SELECT * FROM _ LIMIT … OFFSET …`).
    /// Pages are stable only when the endpoint orders its rows.
    pub async fn query_page<P: Pipe>(
        &self,
        params: &P,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<P::Output>> {
        self.query_sql(
            params,
            &format!("SELECT * FROM _ LIMIT {limit} OFFSET {offset}"),
        )
        .await
    }

    /// Pipe `P`'s endpoint in a raw format (`/v0/pipes/<name>.<format>`), the whole body.
    pub async fn query_raw<P: Pipe>(&self, params: &P, format: RawFormat) -> Result<Bytes> {
        let path = format!("/v0/pipes/{}.{}", P::NAME, format.extension());
        let reply = self.get_or_post(&path, &params.params()).await?;
        Ok(Bytes::from(reply.body))
    }

    fn rows_of<T>(&self, response: reqwest::Response, context: String) -> RowStream<T> {
        RowStream {
            state: State::Idle(Box::new(Lines {
                response,
                idle: self.inner.timeout,
                context,
                buf: Vec::new(),
                pos: 0,
                row: 0,
                high_water: 0,
                received: 0,
                finished: false,
                _row: PhantomData,
            })),
        }
    }

    /// Sends a GET (or a POST form when the URL is long) and returns the response once its status is
    /// a success, its body unread. Connection failures, timeouts before the headers and retryable
    /// statuses are retried under the client's policy and deadline.
    async fn open(&self, path: &str, pairs: &[(&str, String)]) -> Result<reqwest::Response> {
        let inner = &self.inner;
        let url = self.url(path);
        let query = serde_urlencoded::to_string(pairs)
            .map_err(|e| Error::Config(format!("could not encode the query parameters: {e}")))?;
        let full = format!("{url}?{query}");
        let started = Instant::now();
        let deadline = started
            .checked_add(inner.deadline)
            .unwrap_or(started + Duration::from_secs(u64::from(u32::MAX)));
        let mut attempt = 0;
        loop {
            attempt += 1;
            let remaining = deadline.saturating_duration_since(Instant::now());
            let budget = inner.timeout.min(remaining);
            let request = if full.len() <= MAX_GET_URL_LEN {
                inner.http.get(&full)
            } else {
                inner
                    .http
                    .post(&url)
                    .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(query.clone())
            };
            let request = request.header(reqwest::header::AUTHORIZATION, inner.auth.clone());
            let outcome = tokio::time::timeout(budget, request.send()).await;
            tracing::debug!(path, attempt, "tinybird stream request");
            let (error, wait) = match outcome {
                Err(_) => (
                    Error::Timeout {
                        elapsed: started.elapsed(),
                    },
                    None,
                ),
                Ok(Err(e)) if e.is_connect() || e.is_request() => {
                    (Error::Transport(Box::new(e.without_url())), None)
                }
                Ok(Err(e)) => return Err(Error::Transport(Box::new(e.without_url()))),
                Ok(Ok(response)) if response.status().is_success() => return Ok(response),
                Ok(Ok(response)) => {
                    let status = response.status().as_u16();
                    let wait = server_wait(response.headers());
                    let body = response.bytes().await.unwrap_or_default();
                    let error = if status == 429 {
                        Error::RateLimited { retry_after: wait }
                    } else {
                        api_error(status, &body)
                    };
                    if !is_retryable_status(status) {
                        return Err(error);
                    }
                    (error, wait)
                }
            };
            if attempt >= inner.retry.max_attempts() {
                return Err(error);
            }
            let wait = wait.unwrap_or_else(|| inner.retry.jittered_backoff(attempt));
            if Instant::now()
                .checked_add(wait)
                .is_none_or(|next| next >= deadline)
            {
                return Err(error);
            }
            tokio::time::sleep(wait).await;
        }
    }
}
