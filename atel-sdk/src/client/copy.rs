//! Copy pipes on demand: `POST /v0/pipes/{name}/copy`, then the job it starts polled at
//! `GET /v0/jobs/{id}` until it is over.
//!
//! A copy writes rows, so its request is sent at most once (again only when Tinybird surely did not act
//! on it: no connection, 429, 503), like an import; the job polls are plain reads and retried as any.

use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::TinybirdClient;
use super::datasources::{Job, parse, segment};
use super::transport::MAX_ERROR_BODY;
use crate::error::{Error, Result, truncate};
use crate::resource::CopyPipe;

/// How long [`TinybirdClient::copy`] waits for the job by default: a copy of a few million rows takes
/// seconds; a copy still running after this is left to run (see [`Error::JobTimeout`]).
pub const DEFAULT_COPY_WAIT: Duration = Duration::from_mins(5);

/// The first wait between job polls; it doubles after each poll up to [`MAX_COPY_POLL_INTERVAL`], so a
/// quick copy is seen done quickly and a long one is not asked about many times a second.
pub const DEFAULT_COPY_POLL_INTERVAL: Duration = Duration::from_millis(200);

/// The longest wait between two job polls (the CLI asks every 2 s; a little more is fine for long
/// copies).
pub const MAX_COPY_POLL_INTERVAL: Duration = Duration::from_secs(5);

/// How a copy writes into its target datasource (`_mode`); without one, the pipe's `COPY_MODE`
/// (Tinybird's default is append).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CopyMode {
    /// Adds the query's rows to the target's.
    Append,
    /// Replaces the target's rows with the query's.
    Replace,
}

impl CopyMode {
    /// The name Tinybird uses, `append` or `replace`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Append => "append",
            Self::Replace => "replace",
        }
    }
}

/// A finished copy job.
#[derive(Debug, Clone, PartialEq)]
pub struct CopyJob {
    /// The job as Tinybird last returned it (`status` is `done`, unless the copy was not waited for).
    pub job: Job,
    /// The mode it ran with, as Tinybird reports it.
    pub mode: Option<String>,
    /// The target datasource's name, when the job names it.
    pub target: Option<String>,
    /// Rows written into the target, when Tinybird reports them (`processed_data.written_rows`).
    pub written_rows: Option<u64>,
}

impl CopyJob {
    fn new(job: Job) -> Self {
        let raw = &job.raw;
        let mode = raw.get("mode").and_then(Value::as_str).map(str::to_owned);
        let target = raw
            .pointer("/datasource/name")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let written_rows = raw.pointer("/processed_data/written_rows").and_then(|v| {
            v.as_u64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        });
        Self {
            job,
            mode,
            target,
            written_rows,
        }
    }
}

impl TinybirdClient {
    /// Runs the copy pipe `P` on demand with `params` (its template parameters) and waits for the
    /// job: set [`mode`](CopyCall::mode), [`wait`](CopyCall::wait) or
    /// [`no_wait`](CopyCall::no_wait) on the returned [`CopyCall`], then `.await` it.
    ///
    /// A job that ends in `error` (or `cancelled`) is [`Error::Job`] with Tinybird's message; one still
    /// running when the wait ends is [`Error::JobTimeout`] (it goes on at Tinybird: ask with
    /// [`job`](Self::job)). Only `#[pipe(copy(...))]` types implement [`CopyPipe`], so running an
    /// endpoint as a copy is a compile error.
    ///
    /// ```no_run
    /// use atel_sdk::client::CopyMode;
    /// use atel_sdk::{Datasource, TinybirdClient, pipe};
    /// use serde::{Deserialize, Serialize};
    ///
    /// #[derive(Serialize, Deserialize, Datasource)]
    /// #[tinybird(name = "daily_viewers", sorting_key = "path")]
    /// struct DailyViewers {
    ///     path: String,
    ///     viewers: u64,
    /// }
    ///
    /// /// Distinct viewers per path among users from `min_user` on, into `daily_viewers`.
    /// #[pipe(
    ///     name = "daily_viewers_copy",
    ///     copy(target = DailyViewers, schedule = "@on-demand"),
    ///     node(
    ///         name = "snapshot",
    ///         sql = "%\nSELECT path, uniqExact(user_id) AS viewers FROM page_views \
    ///                WHERE user_id >= {{ UInt64(min_user, 0) }} GROUP BY path"
    ///     )
    /// )]
    /// struct DailyViewersCopy {
    ///     #[param(default = 0)]
    ///     min_user: u64,
    /// }
    ///
    /// # async fn run(client: TinybirdClient) -> Result<(), atel_sdk::Error> {
    /// let params = DailyViewersCopy { min_user: 100 };
    /// let done = client.copy(&params).mode(CopyMode::Replace).await?;
    /// println!("{} rows copied", done.written_rows.unwrap_or(0));
    /// # Ok(())
    /// # }
    /// ```
    pub fn copy<P: CopyPipe>(&self, params: &P) -> CopyCall<'_, P> {
        CopyCall {
            client: self,
            params: params.params(),
            mode: None,
            wait: Some(DEFAULT_COPY_WAIT),
            poll_interval: DEFAULT_COPY_POLL_INTERVAL,
            pipe: PhantomData,
        }
    }

    async fn run_copy(
        &self,
        name: &str,
        params: &[(&'static str, String)],
        mode: Option<CopyMode>,
    ) -> Result<Job> {
        let path = format!("/v0/pipes/{}/copy", segment(name)?);
        let url = self.url(&path);
        let mut query: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        if let Some(mode) = mode {
            query.push(("_mode", mode.as_str()));
        }
        let reply = self
            .send_at_most_once("POST", &path, |http| http.post(&url).query(&query))
            .await?;
        let answer: Value = parse(&reply, "the copy's answer")?;
        // Tinybird answers the copy node, with the job it started under `job`.
        answer
            .get("job")
            .cloned()
            .and_then(Job::from_value)
            .ok_or_else(|| Error::Decode {
                context: "the copy's answer".to_owned(),
                row: None,
                column: None,
                source: "no job with an id in it".into(),
                body: truncate(&answer.to_string(), MAX_ERROR_BODY),
            })
    }

    /// Polls `job` until it is over, for at most `bound`, the wait between polls starting at
    /// `interval` and doubling up to [`MAX_COPY_POLL_INTERVAL`].
    async fn finish_copy(&self, mut job: Job, bound: Duration, interval: Duration) -> Result<Job> {
        let started = Instant::now();
        let mut interval = interval;
        loop {
            match job.status.as_str() {
                "done" => return Ok(job),
                "error" | "cancelled" => {
                    return Err(Error::Job {
                        id: job.id,
                        status: job.status,
                        message: job.error,
                    });
                }
                _ => {}
            }
            let waited = started.elapsed();
            if waited + interval > bound {
                return Err(Error::JobTimeout {
                    id: job.id,
                    status: job.status,
                    waited,
                });
            }
            tokio::time::sleep(interval).await;
            interval = interval
                .saturating_mul(2)
                .min(MAX_COPY_POLL_INTERVAL.max(interval));
            job = self.job(&job.id).await?;
        }
    }
}

/// A run of copy pipe `P` ([`TinybirdClient::copy`]); `.await` sends it and waits for its job.
#[must_use = "a copy does nothing until it is awaited"]
pub struct CopyCall<'a, P> {
    client: &'a TinybirdClient,
    params: Vec<(&'static str, String)>,
    mode: Option<CopyMode>,
    wait: Option<Duration>,
    poll_interval: Duration,
    pipe: PhantomData<fn() -> P>,
}

impl<P> std::fmt::Debug for CopyCall<'_, P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CopyCall")
            .field("pipe", &std::any::type_name::<P>())
            .field("mode", &self.mode)
            .field("wait", &self.wait)
            .field("poll_interval", &self.poll_interval)
            .finish_non_exhaustive()
    }
}

impl<P> CopyCall<'_, P> {
    /// Overrides the pipe's `COPY_MODE` for this run.
    pub fn mode(mut self, mode: CopyMode) -> Self {
        self.mode = Some(mode);
        self
    }

    /// Waits for the job for at most `bound` (default [`DEFAULT_COPY_WAIT`]).
    pub fn wait(mut self, bound: Duration) -> Self {
        self.wait = Some(bound);
        self
    }

    /// Returns the job as the copy request answered it, without polling it.
    pub fn no_wait(mut self) -> Self {
        self.wait = None;
        self
    }

    /// The first wait between job polls (default [`DEFAULT_COPY_POLL_INTERVAL`]); it doubles after
    /// each poll up to [`MAX_COPY_POLL_INTERVAL`].
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }
}

impl<'a, P: CopyPipe> IntoFuture for CopyCall<'a, P> {
    type Output = Result<CopyJob>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<CopyJob>> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let job = self
                .client
                .run_copy(P::NAME, &self.params, self.mode)
                .await?;
            let job = match self.wait {
                Some(bound) => {
                    self.client
                        .finish_copy(job, bound, self.poll_interval)
                        .await?
                }
                None => job,
            };
            Ok(CopyJob::new(job))
        })
    }
}
