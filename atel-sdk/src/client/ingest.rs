//! Typed ingest through the Events API.

use std::ops::AddAssign;

use reqwest::header::{CONTENT_ENCODING, CONTENT_TYPE};
use serde::{Deserialize, Serialize};

use super::config::GZIP_THRESHOLD_BYTES;
use super::transport::MAX_ERROR_BODY;
use super::{TinybirdClient, ndjson};
use crate::error::{Error, Result, truncate};
use crate::resource::Datasource;

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
    /// The body is split into requests of at most the builder's `max_body_bytes` (never inside a row) and
    /// gzipped above [`GZIP_THRESHOLD_BYTES`]; with `wait` on (the default) each request returns once the
    /// rows are written. The counts are summed over the requests. No rows, no request.
    ///
    /// Each request is retried under the client's [`RetryPolicy`](super::RetryPolicy); a retry after a
    /// timeout or a broken connection can write rows twice (see there). When a later request fails for
    /// good, the earlier ones have been written.
    pub async fn ingest<D: Datasource + Serialize>(&self, rows: &[D]) -> Result<IngestSummary> {
        if rows.is_empty() {
            return Ok(IngestSummary::default());
        }
        let mut body = Vec::with_capacity(rows.len().saturating_mul(160));
        ndjson::encode(rows, &mut body)?;
        self.ingest_ndjson(D::NAME, &body).await
    }

    /// Appends already encoded NDJSON (one JSON object per line) to the datasource `name`, like
    /// [`ingest`](Self::ingest).
    pub async fn ingest_ndjson(&self, name: &str, ndjson: &[u8]) -> Result<IngestSummary> {
        if name.is_empty() {
            return Err(Error::Config("the datasource name is empty".into()));
        }
        let mut total = IngestSummary::default();
        for chunk in ndjson::split(ndjson, self.inner.max_body_bytes) {
            total += self.post_events(name, chunk).await?;
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

    async fn post_events(&self, name: &str, chunk: &[u8]) -> Result<IngestSummary> {
        let inner = &self.inner;
        let gzipped = inner.gzip && chunk.len() > GZIP_THRESHOLD_BYTES;
        let body = if gzipped {
            ndjson::gzip(chunk)
        } else {
            chunk.to_vec()
        };
        let url = self.url("/v0/events");
        let wait = inner.wait;
        let reply = self
            .send("POST", "/v0/events", |http| {
                let mut request = http
                    .post(&url)
                    .query(&[("name", name)])
                    .header(CONTENT_TYPE, "application/x-ndjson")
                    .body(body.clone());
                if wait {
                    request = request.query(&[("wait", "true")]);
                }
                if gzipped {
                    request = request.header(CONTENT_ENCODING, "gzip");
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
