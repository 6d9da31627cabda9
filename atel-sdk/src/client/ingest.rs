//! Typed ingest through the Events API.

use std::ops::{AddAssign, Range};

use bytes::Bytes;
use reqwest::header::{CONTENT_ENCODING, CONTENT_TYPE};
use serde::{Deserialize, Serialize};

use super::config::COMPRESSION_THRESHOLD_BYTES;
use super::transport::MAX_ERROR_BODY;
use super::{Compression, TinybirdClient, ndjson};
use crate::error::{Error, Result, truncate};
use crate::resource::Datasource;

/// The most [`TinybirdClient::ingest`] reserves up front for the NDJSON of its rows; past it the buffer
/// grows as usual.
const MAX_RESERVE: usize = 64 * 1024 * 1024;

/// What Tinybird did with ingested rows, summed over all the requests of one call.
///
/// Rows that do not fit the datasource's schema are not an error for Tinybird: they go to
/// `<datasource>_quarantine`. They are counted here (and logged as a `tracing` warning); call
/// [`check`](Self::check) to turn them into an [`Error::Quarantined`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[must_use = "quarantined rows are only reported here; look at `quarantined_rows` or call `check()`"]
pub struct IngestSummary {
    /// Rows written to the datasource.
    pub successful_rows: u64,
    /// Rows written to `<datasource>_quarantine` instead.
    pub quarantined_rows: u64,
}

impl IngestSummary {
    /// Whether any row went to quarantine.
    pub fn has_quarantine(&self) -> bool {
        self.quarantined_rows > 0
    }

    /// `Ok(self)` when every row was written, else [`Error::Quarantined`].
    pub fn check(self) -> Result<Self> {
        if self.has_quarantine() {
            Err(Error::Quarantined {
                successful_rows: self.successful_rows,
                quarantined_rows: self.quarantined_rows,
            })
        } else {
            Ok(self)
        }
    }
}

impl AddAssign for IngestSummary {
    fn add_assign(&mut self, other: Self) {
        self.successful_rows += other.successful_rows;
        self.quarantined_rows += other.quarantined_rows;
    }
}

impl TinybirdClient {
    /// Appends `rows` to `D`'s datasource: `POST /v0/events?name=<D::NAME>` with an NDJSON body.
    ///
    /// The body is split into requests of at most the builder's `max_body_bytes` of NDJSON (never inside a
    /// row), each compressed with the builder's [`Compression`] (zstd by default) when
    /// over [`COMPRESSION_THRESHOLD_BYTES`]; with `wait` on (the default) each request returns once the
    /// rows are written. The counts are summed over the requests. No rows, no request.
    ///
    /// When there are several requests, the next one is compressed on a blocking thread
    /// (`tokio::task::spawn_blocking`) while the current one is in flight; a single request is compressed
    /// in place.
    ///
    /// Each request is retried under the client's [`RetryPolicy`](super::RetryPolicy), sending the same
    /// bytes each time; a retry after a timeout or a broken connection can write rows twice (see there).
    /// When a later request fails for good, the earlier ones have been written.
    pub async fn ingest<D: Datasource + Serialize>(&self, rows: &[D]) -> Result<IngestSummary> {
        let Some((first, rest)) = rows.split_first() else {
            return Ok(IngestSummary::default());
        };
        let mut body = Vec::new();
        ndjson::encode_one(first, &mut body)?;
        // Rows of one type are of similar size: the first one sizes the buffer, so it is rarely regrown.
        // Only a hint, capped so that one odd first row cannot make it huge.
        let per_row = body.len() + body.len() / 8;
        body.reserve(per_row.saturating_mul(rest.len()).min(MAX_RESERVE));
        ndjson::encode(rest, &mut body)?;
        self.ingest_body(D::NAME, Ndjson::Owned(Bytes::from(body)))
            .await
    }

    /// Appends already encoded NDJSON (one JSON object per line) to the datasource `name`, like
    /// [`ingest`](Self::ingest).
    pub async fn ingest_ndjson(&self, name: &str, ndjson: &[u8]) -> Result<IngestSummary> {
        self.ingest_body(name, Ndjson::Borrowed(ndjson)).await
    }

    async fn ingest_body(&self, name: &str, ndjson: Ndjson<'_>) -> Result<IngestSummary> {
        if name.is_empty() {
            return Err(Error::Config("the datasource name is empty".into()));
        }
        let compression = self.inner.compression;
        let chunks: Vec<Range<usize>> =
            ndjson::split_ranges(ndjson.as_slice(), self.inner.max_body_bytes).collect();
        let mut total = IngestSummary::default();
        if let [only] = &chunks[..] {
            let body = prepare(compression, &ndjson, only.clone());
            total += self
                .post_events(name, &ndjson.as_slice()[only.clone()], body)
                .await?;
        } else if let Some(first) = chunks.first() {
            // Owned bytes, so the next chunk can be compressed on another thread while this one is sent.
            let bytes = ndjson.into_bytes();
            let all = Ndjson::Owned(bytes.clone());
            let mut body = prepare(compression, &all, first.clone());
            for (i, range) in chunks.iter().enumerate() {
                let next = chunks
                    .get(i + 1)
                    .map(|next| (next, spawn_prepare(compression, &bytes, next.clone())));
                total += self
                    .post_events(name, &all.as_slice()[range.clone()], body)
                    .await?;
                let Some((next, pending)) = next else { break };
                body = match pending.await {
                    Ok(body) => body,
                    Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                    // Cancelled: the runtime is shutting down. Do the work here.
                    Err(_) => prepare(compression, &all, next.clone()),
                };
            }
        }
        if total.has_quarantine() {
            tracing::warn!(
                datasource = name,
                quarantined_rows = total.quarantined_rows,
                successful_rows = total.successful_rows,
                "rows went to quarantine"
            );
        }
        Ok(total)
    }

    /// One request of the Events API. `chunk` is the uncompressed NDJSON `body` carries.
    async fn post_events(&self, name: &str, chunk: &[u8], body: Body) -> Result<IngestSummary> {
        let url = self.url("/v0/events");
        let wait = self.inner.wait;
        let reply = self
            .send("POST", "/v0/events", |http| {
                let mut request = http
                    .post(&url)
                    .query(&[("name", name)])
                    .header(CONTENT_TYPE, "application/x-ndjson")
                    // A reference count, not a copy: every attempt sends these same bytes.
                    .body(body.bytes.clone());
                if wait {
                    request = request.query(&[("wait", "true")]);
                }
                if let Some(encoding) = body.encoding {
                    request = request.header(CONTENT_ENCODING, encoding);
                }
                request
            })
            .await?;
        // The rows are in once Tinybird said 2xx: an answer we cannot read must not make the caller
        // send them again. Count them as written and say so.
        Ok(
            serde_json::from_slice::<IngestSummary>(&reply.body).unwrap_or_else(|e| {
                tracing::warn!(
                    datasource = name,
                    status = reply.status,
                    error = %e,
                    body = %truncate(&String::from_utf8_lossy(&reply.body), MAX_ERROR_BODY),
                    "unreadable Events API answer to an accepted request; counting its rows as written"
                );
                IngestSummary {
                    successful_rows: ndjson::count_rows(chunk) as u64,
                    quarantined_rows: 0,
                }
            }),
        )
    }
}

/// The NDJSON of one ingest call: the caller's bytes, or a buffer the call encoded and owns.
enum Ndjson<'a> {
    Borrowed(&'a [u8]),
    Owned(Bytes),
}

impl Ndjson<'_> {
    fn as_slice(&self) -> &[u8] {
        match self {
            Self::Borrowed(bytes) => bytes,
            Self::Owned(bytes) => bytes,
        }
    }

    /// `range` as owned bytes: a view of an owned buffer, a copy of borrowed ones.
    fn slice(&self, range: Range<usize>) -> Bytes {
        match self {
            Self::Borrowed(bytes) => Bytes::copy_from_slice(&bytes[range]),
            Self::Owned(bytes) => bytes.slice(range),
        }
    }

    fn into_bytes(self) -> Bytes {
        match self {
            Self::Borrowed(bytes) => Bytes::copy_from_slice(bytes),
            Self::Owned(bytes) => bytes,
        }
    }
}

/// A request body as it goes on the wire.
struct Body {
    bytes: Bytes,
    /// The `Content-Encoding`, `None` for plain NDJSON.
    encoding: Option<&'static str>,
}

/// The body for `range` of `ndjson`: compressed when over the threshold and compression is on, else the
/// NDJSON itself.
fn prepare(compression: Compression, ndjson: &Ndjson<'_>, range: Range<usize>) -> Body {
    let chunk = &ndjson.as_slice()[range.clone()];
    if chunk.len() > COMPRESSION_THRESHOLD_BYTES
        && let Some(encoding) = compression.content_encoding()
        && let Some(packed) = compression.compress(chunk)
    {
        return Body {
            bytes: Bytes::from(packed),
            encoding: Some(encoding),
        };
    }
    Body {
        bytes: ndjson.slice(range),
        encoding: None,
    }
}

/// [`prepare`] on a blocking thread (`all` goes there as a reference count, not a copy).
fn spawn_prepare(
    compression: Compression,
    all: &Bytes,
    range: Range<usize>,
) -> tokio::task::JoinHandle<Body> {
    let all = Ndjson::Owned(all.clone());
    tokio::task::spawn_blocking(move || prepare(compression, &all, range))
}
