//! `TinybirdClient`: ingest, query and deploy over Tinybird's HTTP API.
//!
//! Build one with [`TinybirdClient::builder`] or [`TinybirdClient::from_env`]; clone it freely (it is an
//! `Arc` inside). Every call runs under the client's [`RetryPolicy`], a per-attempt timeout and an overall
//! deadline, and emits a `tracing` event per HTTP attempt (method, path, status, attempt, elapsed) that
//! never contains the token or row data.

mod compression;
mod config;
mod copy;
mod datasources;
pub mod de;
mod deploy;
mod ingest;
mod inserter;
mod jwt;
mod lenient;
pub mod ndjson;
mod query;
mod retry;
mod stream;
mod transport;
pub mod validate;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use compression::Compression;
pub use config::{
    COMPRESSION_THRESHOLD_BYTES, ConfigSource, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_DEADLINE, DEFAULT_MAX_BODY_BYTES, DEFAULT_TIMEOUT, MAX_GET_URL_LEN, TINYBIRD_LOCAL_URL,
    TinybirdClientBuilder,
};
pub use copy::{
    CopyCall, CopyJob, CopyMode, DEFAULT_COPY_POLL_INTERVAL, DEFAULT_COPY_WAIT,
    MAX_COPY_POLL_INTERVAL,
};
pub use datasources::{
    CsvDialect, DEFAULT_JOB_POLL_INTERVAL, DatasourceInfo, ImportFormat, ImportOptions,
    ImportSource, Job, PipeInfo,
};
pub use deploy::{BuildOutcome, DeployOptions, DeployOutcome, Feedback};
pub use ingest::IngestSummary;
pub use inserter::{DEFAULT_INSERTER_MAX_ROWS, Inserter};
pub use jwt::{DEFAULT_JWT_LIFETIME, Jwt, JwtClaims, JwtLimits, JwtScope, TokenInfo};
pub use retry::RetryPolicy;
pub use stream::{RawFormat, RowStream};
pub use validate::{ColumnMeta, check_columns};

use crate::error::Result;

/// A Tinybird API client. Cheap to clone: clones share one connection pool.
#[derive(Clone)]
pub struct TinybirdClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    /// The base URL without a trailing slash.
    base: String,
    /// `scheme://host:port`, the only part of the URL `Debug` shows.
    origin: String,
    /// `Bearer <token>`, marked sensitive.
    auth: reqwest::header::HeaderValue,
    timeout: Duration,
    deadline: Duration,
    retry: RetryPolicy,
    compression: Compression,
    wait: bool,
    max_body_bytes: usize,
    /// Whether query answers' `meta` is checked against the row type (`None`: off).
    schemas: Option<validate::SchemaCache>,
}

impl fmt::Debug for TinybirdClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("TinybirdClient")
            .field("origin", &inner.origin)
            .field("token", &"<redacted>")
            .field("timeout", &inner.timeout)
            .field("deadline", &inner.deadline)
            .field("retry", &inner.retry)
            .field("compression", &inner.compression)
            .field("wait", &inner.wait)
            .field("max_body_bytes", &inner.max_body_bytes)
            .field("schema_validation", &inner.schemas.is_some())
            .finish_non_exhaustive()
    }
}

impl TinybirdClient {
    /// A builder with the defaults: [`DEFAULT_TIMEOUT`], [`DEFAULT_DEADLINE`],
    /// [`DEFAULT_CONNECT_TIMEOUT`], [`RetryPolicy::DEFAULT`], [`Compression::DEFAULT`] (zstd) and `wait` on.
    pub fn builder() -> TinybirdClientBuilder {
        TinybirdClientBuilder::default()
    }

    /// A client configured from the process environment; see
    /// [`TinybirdClientBuilder::build_from_env`] for the order of the sources.
    pub async fn from_env() -> Result<Self> {
        Self::builder().build_from_env().await
    }

    /// The origin (`scheme://host:port`) requests go to.
    pub fn origin(&self) -> &str {
        &self.inner.origin
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.inner.base)
    }
}
