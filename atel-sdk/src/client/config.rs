//! Building a client: explicit settings, the environment, `.tinyb` files and Tinybird Local.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderValue, USER_AGENT};
use serde::Deserialize;

use super::{Compression, Inner, RetryPolicy, TinybirdClient};
use crate::error::{Error, Result};

/// Connect timeout: a TCP + TLS handshake with a healthy Tinybird region takes well under a second, so
/// five seconds means the host is unreachable, and waiting longer only delays the retry.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Per-attempt timeout: an 8 MB ingest with `wait=true` or a heavy endpoint answers well inside it;
/// an attempt that takes longer is stuck and is better retried.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Overall deadline for one HTTP request across all its attempts and backoff waits: two full attempts
/// plus backoff, so a request never hangs for long even when every attempt times out. An `ingest` split
/// into several requests gives each request this deadline.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(75);

/// Largest uncompressed NDJSON body per ingest request: Tinybird refuses bodies over 10 MB, and 8 MB
/// leaves room for a row that straddles the limit.
pub const DEFAULT_MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// Bodies at or below this size are sent uncompressed: a compressor's header and CPU cost outweigh its
/// saving (a hook's one or two rows).
pub const COMPRESSION_THRESHOLD_BYTES: usize = 1024;

/// A query whose URL would be longer than this is sent as a `POST` form instead, like Tinybird's CLI.
pub const MAX_GET_URL_LEN: usize = 4096;

/// Where Tinybird Local listens.
pub const TINYBIRD_LOCAL_URL: &str = "http://localhost:7181";

/// The API host used when a token is configured without a URL (the default of Tinybird's SDKs).
pub const DEFAULT_BASE_URL: &str = "https://api.tinybird.co";

/// A token that never appears in `Debug` output.
#[derive(Clone)]
struct Secret(String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"<redacted>\"")
    }
}

/// Builds a [`TinybirdClient`]. Setters never fail; [`build`](Self::build) checks everything.
#[derive(Debug, Clone)]
pub struct TinybirdClientBuilder {
    token: Option<Secret>,
    base_url: Option<String>,
    connect_timeout: Duration,
    timeout: Duration,
    deadline: Duration,
    retry: RetryPolicy,
    compression: Compression,
    wait: bool,
    user_agent: String,
    max_body_bytes: usize,
    schema_validation: bool,
    source: Option<ConfigSource>,
}

impl Default for TinybirdClientBuilder {
    fn default() -> Self {
        Self {
            token: None,
            base_url: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            deadline: DEFAULT_DEADLINE,
            retry: RetryPolicy::DEFAULT,
            compression: Compression::DEFAULT,
            wait: true,
            user_agent: concat!("atel-sdk/", env!("CARGO_PKG_VERSION")).to_owned(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            schema_validation: true,
            source: None,
        }
    }
}

impl TinybirdClientBuilder {
    /// The API token (sent only in the `Authorization` header).
    #[must_use]
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(Secret(token.into()));
        self
    }

    /// The API base URL, e.g. `https://api.europe-west2.gcp.tinybird.co` or `http://localhost:7181`.
    #[must_use]
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The connect timeout (default [`DEFAULT_CONNECT_TIMEOUT`]).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The timeout of one attempt, reading the whole answer included (default [`DEFAULT_TIMEOUT`]).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The deadline of one HTTP request across all its attempts and waits (default
    /// [`DEFAULT_DEADLINE`]); each request of a split `ingest` has its own.
    #[must_use]
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// The retry policy (default [`RetryPolicy::DEFAULT`]).
    #[must_use]
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// How ingest bodies over [`COMPRESSION_THRESHOLD_BYTES`] are compressed (default
    /// [`Compression::DEFAULT`], zstd at level 1; see [`Compression`] for when to pick another).
    #[must_use]
    pub fn compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// Whether ingest waits until rows are written (`wait=true`, default on) or only accepted.
    #[must_use]
    pub fn wait(mut self, on: bool) -> Self {
        self.wait = on;
        self
    }

    /// The `User-Agent` header (default `atel-sdk/<version>`).
    #[must_use]
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// The largest uncompressed ingest body (default [`DEFAULT_MAX_BODY_BYTES`]); larger ingests are
    /// split into several requests at row boundaries.
    #[must_use]
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Whether each query answer's `meta` (column names and types) is checked against the row type
    /// before its rows are decoded (default on): a mismatch is one [`Error::SchemaMismatch`] naming
    /// the field and the column (see [`validate`](super::validate)).
    ///
    /// The cost, measured with `cargo bench -p atel-sdk --bench decode` (group `schema_validation`)
    /// on a busy 2-core machine: probing a row type and checking it takes 9 µs for eight fields, once
    /// per client, endpoint and row type; each later answer reads its `meta` and compares it with the
    /// one remembered (0.1 µs for eight columns), next to 2.4 µs per decoded row of the same type.
    /// Off, nothing is checked and a mismatch surfaces as a decode error in the first row that does
    /// not parse, if any.
    #[must_use]
    pub fn schema_validation(mut self, on: bool) -> Self {
        self.schema_validation = on;
        self
    }

    /// Where [`build_from_env`](Self::build_from_env) looks for settings not given explicitly
    /// (default [`ConfigSource::from_process`]).
    #[must_use]
    pub fn config_source(mut self, source: ConfigSource) -> Self {
        self.source = Some(source);
        self
    }

    /// Builds the client from the explicit settings alone: a token is required; the URL defaults to
    /// [`DEFAULT_BASE_URL`].
    pub fn build(self) -> Result<TinybirdClient> {
        let Some(token) = self.token.clone() else {
            return Err(Error::Config(
                "no Tinybird token: set one with `.token()`, or use `build_from_env()`".into(),
            ));
        };
        let base = parse_base_url(self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL))?;
        let http = self.http_client(TlsRoots::for_base_url(&base))?;
        self.finish(http, &base, &token.0)
    }

    /// Builds the client, filling what was not set explicitly from, in this order: `TINYBIRD_TOKEN` /
    /// `TINYBIRD_URL`, `TB_TOKEN` / `TB_HOST`, the nearest `.tinyb` file from the start directory upward,
    /// and finally Tinybird Local (its `workspace_admin_token` from `GET /tokens`, asked of the URL found so
    /// far or of [`TINYBIRD_LOCAL_URL`]).
    ///
    /// A `.tinyb` is consulted only when no token was found before it, and then gives host and token
    /// together, so a token is never sent to a host named by another source. A token found without a
    /// URL is used with [`DEFAULT_BASE_URL`]. No token anywhere is a [`Error::Config`] that lists where
    /// the client looked.
    pub async fn build_from_env(mut self) -> Result<TinybirdClient> {
        let source = self
            .source
            .take()
            .unwrap_or_else(ConfigSource::from_process);
        let mut looked = vec!["the builder's `.token()`".to_owned()];
        let mut token = self.token.take().map(|t| t.0);
        let mut url = self.base_url.take();

        for (token_var, url_var) in [("TINYBIRD_TOKEN", "TINYBIRD_URL"), ("TB_TOKEN", "TB_HOST")] {
            looked.push(format!("${token_var}"));
            if url.is_none() {
                url = source.lookup(url_var);
            }
            if token.is_none() {
                token = source.lookup(token_var);
            }
        }

        // `.tinyb` is read as a pair, and only when nothing before it gave a token: its host never
        // receives a token from another source (an explicit or environment URL still applies).
        if token.is_none() {
            match source.find_tinyb()? {
                Some((path, file)) => {
                    looked.push(format!("`{}`", path.display()));
                    if url.is_none() {
                        url = file.host.filter(|h| !h.is_empty());
                    }
                    if token.is_none() {
                        let for_host = url.as_deref().and_then(|u| {
                            file.tokens
                                .get(u)
                                .or_else(|| file.tokens.get(u.trim_end_matches('/')))
                        });
                        token = for_host.cloned().or(file.token).filter(|t| !t.is_empty());
                    }
                }
                None => looked.push(source.tinyb_search_description()),
            }
        }

        if let Some(token) = token {
            let base = parse_base_url(url.as_deref().unwrap_or(DEFAULT_BASE_URL))?;
            let http = self.http_client(TlsRoots::for_base_url(&base))?;
            return self.finish(http, &base, &token);
        }

        let base = parse_base_url(url.as_deref().unwrap_or(&source.local_url))?;
        let http = self.http_client(TlsRoots::for_base_url(&base))?;
        match fetch_local_token(&http, &base, self.connect_timeout).await {
            Ok(token) => self.finish(http, &base, &token),
            Err(why) => {
                looked.push(format!("Tinybird Local at {base} ({why})"));
                Err(Error::Config(format!(
                    "no Tinybird token found; looked at {}",
                    looked.join(", ")
                )))
            }
        }
    }

    fn http_client(&self, roots: TlsRoots) -> Result<reqwest::Client> {
        if self.timeout.is_zero() || self.deadline.is_zero() || self.connect_timeout.is_zero() {
            return Err(Error::Config(
                "timeouts and the deadline must be above zero".into(),
            ));
        }
        if self.max_body_bytes == 0 {
            return Err(Error::Config("`max_body_bytes` must be above zero".into()));
        }
        self.compression.check().map_err(Error::Config)?;
        let user_agent = HeaderValue::from_str(&self.user_agent)
            .map_err(|_| Error::Config("the user agent is not a valid header value".into()))?;
        // reqwest is built without a default crypto provider; install ring unless the application already
        // installed one (then this returns `Err`, which is fine).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let builder = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .default_headers([(USER_AGENT, user_agent)].into_iter().collect());
        let builder = match roots {
            TlsRoots::Platform => builder,
            // Trust no root at all: an `https` redirect then fails verification, never goes unchecked.
            TlsRoots::None => builder.tls_certs_only(std::iter::empty::<reqwest::Certificate>()),
        };
        builder
            .build()
            .map_err(|e| Error::Config(format!("could not set up the HTTP client: {e}")))
    }

    fn finish(
        self,
        http: reqwest::Client,
        base: &reqwest::Url,
        token: &str,
    ) -> Result<TinybirdClient> {
        let mut auth = HeaderValue::try_from(format!("Bearer {}", token.trim())).map_err(|_| {
            Error::Config("the token contains characters not allowed in an HTTP header".into())
        })?;
        if token.trim().is_empty() {
            return Err(Error::Config("the Tinybird token is empty".into()));
        }
        auth.set_sensitive(true);
        let origin = base.origin().ascii_serialization();
        Ok(TinybirdClient {
            inner: Arc::new(Inner {
                http,
                base: base.as_str().trim_end_matches('/').to_owned(),
                origin,
                auth,
                timeout: self.timeout,
                deadline: self.deadline,
                retry: self.retry,
                compression: self.compression,
                wait: self.wait,
                max_body_bytes: self.max_body_bytes,
                schemas: self
                    .schema_validation
                    .then(super::validate::SchemaCache::default),
            }),
        })
    }
}

/// Which root certificates the HTTP client trusts, decided by the base URL's scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TlsRoots {
    /// The platform's roots through rustls-platform-verifier: full verification. Loading and parsing
    /// every system root costs about 2 ms per client, which an `https` URL needs.
    Platform,
    /// No roots, nothing loaded: for an `http` base URL (Tinybird Local), where no TLS is spoken and the
    /// 2 ms would be most of a hook run's budget.
    None,
}

impl TlsRoots {
    /// [`None`](Self::None) only for `http`; every other scheme verifies against the platform's roots.
    fn for_base_url(url: &reqwest::Url) -> Self {
        if url.scheme() == "http" {
            Self::None
        } else {
            Self::Platform
        }
    }
}

/// Checks a base URL: `http`/`https`, no credentials, no query, no fragment.
fn parse_base_url(url: &str) -> Result<reqwest::Url> {
    let parsed = reqwest::Url::parse(url.trim())
        .map_err(|e| Error::Config(format!("invalid Tinybird base URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Error::Config(format!(
            "the Tinybird base URL must be http or https, not `{}`",
            parsed.scheme()
        )));
    }
    if !parsed.username().is_empty()
        || parsed.password().is_some()
        || parsed.query().is_some()
        || parsed.fragment().is_some()
    {
        // Not echoed: it may hold a token.
        return Err(Error::Config(
            "the Tinybird base URL must not contain credentials, a query or a fragment; pass the token with `.token()`".into(),
        ));
    }
    Ok(parsed)
}

/// Asks Tinybird Local for its workspace admin token.
async fn fetch_local_token(
    http: &reqwest::Client,
    base: &reqwest::Url,
    connect_timeout: Duration,
) -> std::result::Result<String, String> {
    #[derive(Deserialize)]
    struct Tokens {
        workspace_admin_token: String,
    }
    let url = format!("{}/tokens", base.as_str().trim_end_matches('/'));
    let response = http
        .get(url)
        .timeout(connect_timeout * 2)
        .send()
        .await
        .map_err(|e| format!("GET /tokens: {}", e.without_url()))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("GET /tokens answered {status}"));
    }
    let body = response
        .bytes()
        .await
        .map_err(|e| format!("GET /tokens: {}", e.without_url()))?;
    serde_json::from_slice::<Tokens>(&body)
        .map(|t| t.workspace_admin_token)
        .map_err(|e| format!("GET /tokens answered no `workspace_admin_token`: {e}"))
}

/// Where [`TinybirdClientBuilder::build_from_env`] reads settings: environment variables, the directory
/// to search for `.tinyb` from, where that search stops, and where Tinybird Local is.
///
/// [`ConfigSource::from_process`] reads the real process; tests build an isolated one with
/// [`ConfigSource::empty`] so they never race on the global environment.
#[derive(Clone)]
pub struct ConfigSource {
    env: BTreeMap<String, String>,
    start_dir: Option<PathBuf>,
    stop_dir: Option<PathBuf>,
    local_url: String,
}

impl fmt::Debug for ConfigSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Variable names only: values may be tokens.
        f.debug_struct("ConfigSource")
            .field("env", &self.env.keys().collect::<Vec<_>>())
            .field("start_dir", &self.start_dir)
            .field("stop_dir", &self.stop_dir)
            .field("local_url", &self.local_url)
            .finish()
    }
}

impl ConfigSource {
    /// The process environment, the current directory, and `$HOME` as the place the `.tinyb` search
    /// stops (it goes up to the filesystem root when the current directory is outside `$HOME`).
    pub fn from_process() -> Self {
        let env: BTreeMap<String, String> = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect();
        let stop_dir = env.get("HOME").map(PathBuf::from);
        Self {
            env,
            start_dir: std::env::current_dir().ok(),
            stop_dir,
            local_url: TINYBIRD_LOCAL_URL.to_owned(),
        }
    }

    /// No variables, no `.tinyb` search, Tinybird Local at [`TINYBIRD_LOCAL_URL`].
    pub fn empty() -> Self {
        Self {
            env: BTreeMap::new(),
            start_dir: None,
            stop_dir: None,
            local_url: TINYBIRD_LOCAL_URL.to_owned(),
        }
    }

    /// Sets an environment variable.
    #[must_use]
    pub fn var(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.insert(key.into(), value.into());
        self
    }

    /// Searches for `.tinyb` from `dir` upward.
    #[must_use]
    pub fn start_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.start_dir = Some(dir.into());
        self
    }

    /// Stops the `.tinyb` search after `dir` (inclusive), like Tinybird's CLI stops at `$HOME`.
    #[must_use]
    pub fn stop_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.stop_dir = Some(dir.into());
        self
    }

    /// Where to ask Tinybird Local for a token when nothing else gives one.
    #[must_use]
    pub fn local_url(mut self, url: impl Into<String>) -> Self {
        self.local_url = url.into();
        self
    }

    fn lookup(&self, key: &str) -> Option<String> {
        self.env
            .get(key)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    fn find_tinyb(&self) -> Result<Option<(PathBuf, TinybFile)>> {
        let Some(start) = &self.start_dir else {
            return Ok(None);
        };
        for dir in start.ancestors() {
            let path = dir.join(".tinyb");
            if path.is_file() {
                return read_tinyb(&path).map(|file| Some((path, file)));
            }
            if self.stop_dir.as_deref() == Some(dir) {
                break;
            }
        }
        Ok(None)
    }

    fn tinyb_search_description(&self) -> String {
        match (&self.start_dir, &self.stop_dir) {
            (None, _) => "no `.tinyb` search (no start directory)".to_owned(),
            (Some(start), Some(stop)) if start.starts_with(stop) => {
                format!("`.tinyb` from {} up to {}", start.display(), stop.display())
            }
            (Some(start), _) => format!("`.tinyb` from {} upward", start.display()),
        }
    }
}

/// The fields of Tinybird's CLI config file this client uses.
#[derive(Deserialize, Default)]
struct TinybFile {
    token: Option<String>,
    host: Option<String>,
    #[serde(default)]
    tokens: BTreeMap<String, String>,
}

fn read_tinyb(path: &Path) -> Result<TinybFile> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Config(format!("could not read `{}`: {e}", path.display())))?;
    // Only the position: serde_json's message can quote a value, and the file holds tokens.
    serde_json::from_str(&text).map_err(|e| {
        Error::Config(format!(
            "`{}` is not a valid `.tinyb` file (line {}, column {})",
            path.display(),
            e.line(),
            e.column()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roots(url: &str) -> TlsRoots {
        TlsRoots::for_base_url(&parse_base_url(url).unwrap())
    }

    #[test]
    fn only_http_urls_skip_the_root_certificates() {
        assert_eq!(roots(TINYBIRD_LOCAL_URL), TlsRoots::None);
        assert_eq!(roots("http://127.0.0.1:7181/"), TlsRoots::None);
        // The scheme is matched after parsing, which lowercases it.
        assert_eq!(roots("HTTP://localhost:7181"), TlsRoots::None);
    }

    #[test]
    fn https_urls_verify_against_the_platform_roots() {
        assert_eq!(roots(DEFAULT_BASE_URL), TlsRoots::Platform);
        assert_eq!(
            roots("https://api.europe-west2.gcp.tinybird.co"),
            TlsRoots::Platform
        );
        assert_eq!(roots("HTTPS://localhost:7181"), TlsRoots::Platform);
        // An `http` host name or path does not make an `https` URL skip verification.
        assert_eq!(roots("https://http.example/http://"), TlsRoots::Platform);
    }

    #[test]
    fn both_kinds_of_client_build() {
        for url in ["http://localhost:7181", "https://api.tinybird.co"] {
            let client = TinybirdClientBuilder::default()
                .token("p.test")
                .base_url(url)
                .build()
                .unwrap();
            assert_eq!(client.origin(), url);
        }
    }
}
