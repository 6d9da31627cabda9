//! The Data Sources API: imports (append, replace, partial replace) from bytes, a file or a URL in
//! NDJSON, CSV or Parquet; truncate; delete by condition; jobs; listing datasources and pipes.
//!
//! Imports go where Tinybird's CLI sends them: `POST /v1/datasources/{name}/{append|replace}?format=…`
//! with the file as the body (or `url=…`), answered with a job that [`TinybirdClient::wait_for_job`]
//! polls at `GET /v0/jobs/{id}`. Requests that change data are sent at most once: retried only when
//! Tinybird surely did not act on them (no connection, 429, 503).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::header::{CONTENT_ENCODING, CONTENT_TYPE};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::transport::{MAX_ERROR_BODY, Reply, api_error};
use super::validate::ColumnMeta;
use super::{TinybirdClient, ndjson};
use crate::error::{Error, Result, truncate};
use crate::resource::Datasource;

/// How often [`TinybirdClient::wait_for_job`] asks by default: the CLI asks every 2 s; a small import
/// is done well within one second.
pub const DEFAULT_JOB_POLL_INTERVAL: Duration = Duration::from_millis(500);

/// The format of imported data.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ImportFormat {
    /// One JSON object per line, read through the datasource's JSON paths (`format=ndjson`).
    #[default]
    Ndjson,
    /// CSV (`format=csv`), with a header row or not, in the columns' order.
    Csv(CsvDialect),
    /// Apache Parquet (`format=parquet`).
    Parquet,
}

impl ImportFormat {
    fn name(&self) -> &'static str {
        match self {
            Self::Ndjson => "ndjson",
            Self::Csv(_) => "csv",
            Self::Parquet => "parquet",
        }
    }

    fn content_type(&self) -> &'static str {
        match self {
            Self::Ndjson => "application/x-ndjson",
            Self::Csv(_) => "text/csv",
            Self::Parquet => "application/vnd.apache.parquet",
        }
    }
}

/// CSV dialect options; `None` leaves the choice to Tinybird (which detects them).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CsvDialect {
    /// The field delimiter (`dialect_delimiter`), e.g. `;` or `\t`.
    pub delimiter: Option<char>,
    /// The line terminator (`dialect_new_line`).
    pub new_line: Option<String>,
    /// The escape character (`dialect_escapechar`).
    pub escape_char: Option<char>,
}

/// Where imported data comes from.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ImportSource {
    /// Bytes in memory, sent as the body.
    Bytes(Bytes),
    /// A local file, read and sent as the body (`Content-Encoding: gzip` when it ends in `.gz`).
    File(PathBuf),
    /// A URL Tinybird downloads itself (`url=`); nothing is uploaded.
    Url(String),
}

/// What an import does besides its data.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    format: ImportFormat,
    replace_condition: Option<String>,
    wait: Option<Duration>,
    poll_interval: Option<Duration>,
}

impl ImportOptions {
    /// Defaults: NDJSON, no condition, the job returned without waiting for it.
    pub fn new() -> Self {
        Self::default()
    }

    /// The data's format.
    #[must_use]
    pub fn format(mut self, format: ImportFormat) -> Self {
        self.format = format;
        self
    }

    /// For a replace: only the rows matching this SQL condition are replaced, by the imported rows
    /// matching it (a partial replace); the rest of the datasource is kept.
    #[must_use]
    pub fn replace_condition(mut self, condition: impl Into<String>) -> Self {
        self.replace_condition = Some(condition.into());
        self
    }

    /// Waits for the job to finish, for at most `bound` (see [`TinybirdClient::wait_for_job`]).
    #[must_use]
    pub fn wait(mut self, bound: Duration) -> Self {
        self.wait = Some(bound);
        self
    }

    /// How often the job is polled while waiting (default [`DEFAULT_JOB_POLL_INTERVAL`]).
    #[must_use]
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = Some(interval);
        self
    }
}

/// A Tinybird job (an import, a delete), as last seen.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// The job id.
    pub id: String,
    /// `import`, `delete_data`, …
    pub kind: Option<String>,
    /// `waiting`, `working`, `done`, `error`, `cancelled`.
    pub status: String,
    /// Rows written (imports: the sum of the blocks' `lines`).
    pub rows: u64,
    /// Rows sent to quarantine (imports).
    pub quarantined_rows: u64,
    /// Rows deleted (delete jobs).
    pub rows_affected: Option<u64>,
    /// The error Tinybird reported, for a failed job.
    pub error: Option<String>,
    /// The whole job as Tinybird returned it.
    pub raw: Value,
}

impl Job {
    /// Whether the job is over: `done`, `error` or `cancelled`.
    pub fn is_finished(&self) -> bool {
        matches!(self.status.as_str(), "done" | "error" | "cancelled")
    }

    pub(super) fn from_value(raw: Value) -> Option<Self> {
        let text = |key: &str| raw.get(key).and_then(Value::as_str).map(str::to_owned);
        let id = text("id")
            .or_else(|| text("job_id"))
            .or_else(|| text("import_id"))?;
        let (mut rows, mut quarantined_rows) = (0, 0);
        for block in raw
            .get("blocks")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let returns = block.get("process_return").and_then(Value::as_array);
            for ret in returns.into_iter().flatten() {
                rows += ret.get("lines").and_then(Value::as_u64).unwrap_or(0);
                quarantined_rows += ret.get("quarantine").and_then(Value::as_u64).unwrap_or(0);
            }
        }
        // `error` may be `false`, a message, or absent with `errors` holding the messages.
        let error = match raw.get("error") {
            Some(Value::String(message)) => Some(message.clone()),
            _ => raw
                .get("errors")
                .and_then(Value::as_array)
                .filter(|errors| !errors.is_empty())
                .map(|errors| {
                    errors
                        .iter()
                        .map(|e| e.as_str().map_or_else(|| e.to_string(), str::to_owned))
                        .collect::<Vec<_>>()
                        .join("; ")
                }),
        };
        Some(Self {
            id,
            kind: text("kind"),
            status: text("status").unwrap_or_else(|| "waiting".to_owned()),
            rows,
            quarantined_rows,
            rows_affected: raw.get("rows_affected").and_then(Value::as_u64),
            error,
            raw,
        })
    }
}

/// A datasource as `GET /v0/datasources[/{name}]` describes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DatasourceInfo {
    /// The datasource name.
    pub name: String,
    /// Its columns, names and ClickHouse types (check a row type against them with
    /// [`check_columns`](super::check_columns)).
    #[serde(default)]
    pub columns: Vec<ColumnMeta>,
    /// Rows in it, when Tinybird says.
    #[serde(default, deserialize_with = "row_count")]
    #[serde(rename = "statistics")]
    pub row_count: Option<u64>,
}

fn row_count<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<u64>, D::Error> {
    let statistics = Option::<Value>::deserialize(de)?;
    Ok(statistics
        .as_ref()
        .and_then(|s| s.get("row_count"))
        .and_then(Value::as_u64))
}

/// A pipe as `GET /v0/pipes` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PipeInfo {
    /// The pipe name.
    pub name: String,
    /// `endpoint`, `materialized`, `copy`, or none.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Its nodes' names, in order.
    #[serde(default, deserialize_with = "node_names")]
    pub nodes: Vec<String>,
}

fn node_names<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    struct Node {
        name: String,
    }
    Ok(Option::<Vec<Node>>::deserialize(de)?
        .unwrap_or_default()
        .into_iter()
        .map(|n| n.name)
        .collect())
}

impl TinybirdClient {
    /// Appends data to datasource `name` from `source` (see [`ImportOptions`]); returns the job,
    /// finished when the options ask to wait.
    pub async fn append_data(
        &self,
        name: &str,
        source: ImportSource,
        options: &ImportOptions,
    ) -> Result<Job> {
        self.import("append", name, source, options).await
    }

    /// Replaces the rows of datasource `name` with the data from `source`; with
    /// [`ImportOptions::replace_condition`], only the rows matching it.
    pub async fn replace_data(
        &self,
        name: &str,
        source: ImportSource,
        options: &ImportOptions,
    ) -> Result<Job> {
        self.import("replace", name, source, options).await
    }

    /// Appends typed rows through the Data Sources API (NDJSON), to `D`'s datasource. For a stream of
    /// small batches prefer [`ingest`](Self::ingest) (the Events API); this is the bulk path, a job
    /// that can be waited for.
    pub async fn append<D: Datasource + Serialize>(
        &self,
        rows: &[D],
        options: &ImportOptions,
    ) -> Result<Job> {
        let options = options.clone().format(ImportFormat::Ndjson);
        self.append_data(D::NAME, ndjson_source(rows)?, &options)
            .await
    }

    /// Replaces `D`'s datasource's rows with typed rows (all of them, or those matching the
    /// options' replace condition).
    pub async fn replace<D: Datasource + Serialize>(
        &self,
        rows: &[D],
        options: &ImportOptions,
    ) -> Result<Job> {
        let options = options.clone().format(ImportFormat::Ndjson);
        self.replace_data(D::NAME, ndjson_source(rows)?, &options)
            .await
    }

    async fn import(
        &self,
        mode: &str,
        name: &str,
        source: ImportSource,
        options: &ImportOptions,
    ) -> Result<Job> {
        let mut query: Vec<(&str, String)> = vec![("format", options.format.name().to_owned())];
        if let Some(condition) = &options.replace_condition {
            query.push(("replace_condition", condition.clone()));
        }
        if let ImportFormat::Csv(dialect) = &options.format {
            if let Some(c) = dialect.delimiter {
                query.push(("dialect_delimiter", c.to_string()));
            }
            if let Some(n) = &dialect.new_line {
                query.push(("dialect_new_line", n.clone()));
            }
            if let Some(c) = dialect.escape_char {
                query.push(("dialect_escapechar", c.to_string()));
            }
        }
        let (body, gzipped) = match source {
            ImportSource::Bytes(bytes) => (bytes, false),
            ImportSource::File(path) => {
                let gzipped = path.extension().is_some_and(|ext| ext == "gz");
                let read = path.clone();
                let bytes = tokio::task::spawn_blocking(move || std::fs::read(read))
                    .await
                    .map_err(|e| Error::Config(format!("could not read the file: {e}")))?
                    .map_err(|e| {
                        Error::Config(format!("could not read `{}`: {e}", path.display()))
                    })?;
                (Bytes::from(bytes), gzipped)
            }
            ImportSource::Url(url) => {
                query.push(("url", url));
                (Bytes::new(), false)
            }
        };
        let path = format!("/v1/datasources/{}/{mode}", segment(name)?);
        let url = self.url(&path);
        let content_type = options.format.content_type();
        let reply = self
            .send_at_most_once("POST", &path, |http| {
                let request = http
                    .post(&url)
                    .query(&query)
                    .header(CONTENT_TYPE, content_type)
                    .body(body.clone());
                if gzipped {
                    request.header(CONTENT_ENCODING, "gzip")
                } else {
                    request
                }
            })
            .await?;
        let job = job_of(&reply, "the import's answer")?;
        match options.wait {
            Some(bound) => {
                let interval = options.poll_interval.unwrap_or(DEFAULT_JOB_POLL_INTERVAL);
                self.finish_job(job, bound, interval).await
            }
            None => Ok(job),
        }
    }

    /// The job `id` as it is now (`GET /v0/jobs/{id}`).
    pub async fn job(&self, id: &str) -> Result<Job> {
        let path = format!("/v0/jobs/{}", segment(id)?);
        let url = self.url(&path);
        let reply = self.send("GET", &path, |http| http.get(&url)).await?;
        job_of(&reply, "the job")
    }

    /// Polls job `id` every `interval` until it is over, for at most `bound`: a `done` job is
    /// returned; an `error` or `cancelled` one is [`Error::Job`]; one still running after `bound` is
    /// [`Error::JobTimeout`] (the job goes on at Tinybird: ask again with [`job`](Self::job)). No poll
    /// starts once the next wait would pass `bound`, so the call ends within `bound` plus one poll.
    pub async fn wait_for_job(&self, id: &str, bound: Duration, interval: Duration) -> Result<Job> {
        let job = self.job(id).await?;
        self.finish_job(job, bound, interval).await
    }

    async fn finish_job(&self, mut job: Job, bound: Duration, interval: Duration) -> Result<Job> {
        let started = Instant::now();
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
            job = self.job(&job.id).await?;
        }
    }

    /// Deletes every row of datasource `name` (`POST /v0/datasources/{name}/truncate`), and its
    /// quarantine.
    pub async fn truncate(&self, name: &str) -> Result<()> {
        let path = format!("/v0/datasources/{}/truncate", segment(name)?);
        let url = self.url(&path);
        let reply = self
            .send_at_most_once("POST", &path, |http| http.post(&url))
            .await?;
        ok_or_error(&reply)?;
        Ok(())
    }

    /// How many rows of datasource `name` match `condition` (a SQL expression over its columns):
    /// a delete's dry run, which deletes nothing.
    pub async fn delete_dry_run(&self, name: &str, condition: &str) -> Result<u64> {
        #[derive(Deserialize)]
        struct DryRun {
            rows_to_be_deleted: u64,
        }
        let reply = self.delete_request(name, condition, true).await?;
        let answer: DryRun = parse(&reply, "the delete's dry run")?;
        Ok(answer.rows_to_be_deleted)
    }

    /// Deletes the rows of datasource `name` matching `condition` (`POST
    /// /v0/datasources/{name}/delete`): a job, waited for up to `wait` when given (see
    /// [`wait_for_job`](Self::wait_for_job)); its [`Job::rows_affected`] says how many went.
    pub async fn delete_rows(
        &self,
        name: &str,
        condition: &str,
        wait: Option<Duration>,
    ) -> Result<Job> {
        let reply = self.delete_request(name, condition, false).await?;
        let job = job_of(&reply, "the delete's answer")?;
        match wait {
            Some(bound) => self.finish_job(job, bound, DEFAULT_JOB_POLL_INTERVAL).await,
            None => Ok(job),
        }
    }

    async fn delete_request(&self, name: &str, condition: &str, dry_run: bool) -> Result<Reply> {
        let path = format!("/v0/datasources/{}/delete", segment(name)?);
        let url = self.url(&path);
        let mut form = vec![("delete_condition", condition)];
        if dry_run {
            form.push(("dry_run", "true"));
        }
        let body = serde_urlencoded::to_string(&form)
            .map_err(|e| Error::Config(format!("could not encode the condition: {e}")))?;
        let reply = self
            .send_at_most_once("POST", &path, |http| {
                http.post(&url)
                    .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(body.clone())
            })
            .await?;
        ok_or_error(&reply)?;
        Ok(reply)
    }

    /// Every datasource of the workspace (`GET /v0/datasources`).
    pub async fn datasources(&self) -> Result<Vec<DatasourceInfo>> {
        #[derive(Deserialize)]
        struct List {
            datasources: Vec<DatasourceInfo>,
        }
        let url = self.url("/v0/datasources");
        let reply = self
            .send("GET", "/v0/datasources", |http| http.get(&url))
            .await?;
        Ok(parse::<List>(&reply, "the datasource list")?.datasources)
    }

    /// One datasource, with its columns (`GET /v0/datasources/{name}`).
    pub async fn datasource(&self, name: &str) -> Result<DatasourceInfo> {
        let path = format!("/v0/datasources/{}", segment(name)?);
        let url = self.url(&path);
        let reply = self.send("GET", &path, |http| http.get(&url)).await?;
        parse(&reply, "the datasource")
    }

    /// Every pipe of the workspace (`GET /v0/pipes`).
    pub async fn pipes(&self) -> Result<Vec<PipeInfo>> {
        #[derive(Deserialize)]
        struct List {
            pipes: Vec<PipeInfo>,
        }
        let url = self.url("/v0/pipes");
        let reply = self.send("GET", "/v0/pipes", |http| http.get(&url)).await?;
        Ok(parse::<List>(&reply, "the pipe list")?.pipes)
    }
}

fn ndjson_source<D: Serialize>(rows: &[D]) -> Result<ImportSource> {
    let mut body = Vec::new();
    ndjson::encode(rows, &mut body)?;
    Ok(ImportSource::Bytes(Bytes::from(body)))
}

/// A name as one URL path segment: resource names are letters, digits and `_`; anything else would
/// change the path.
pub(super) fn segment(name: &str) -> Result<&str> {
    if !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        Ok(name)
    } else {
        Err(Error::Config(format!(
            "`{name}` is not a Tinybird resource name or id"
        )))
    }
}

/// The at-most-once sender returns refused requests as replies: make them errors.
fn ok_or_error(reply: &Reply) -> Result<()> {
    if (200..300).contains(&reply.status) {
        Ok(())
    } else {
        Err(api_error(reply.status, &reply.body))
    }
}

pub(super) fn parse<T: DeserializeOwned>(reply: &Reply, what: &str) -> Result<T> {
    ok_or_error(reply)?;
    serde_json::from_slice(&reply.body).map_err(|e| decode_error(what, &reply.body, e))
}

/// An answer that is not the JSON expected.
pub(super) fn decode_error(what: &str, body: &[u8], source: serde_json::Error) -> Error {
    Error::Decode {
        context: what.to_owned(),
        row: None,
        column: None,
        source: Box::new(source),
        body: truncate(&String::from_utf8_lossy(body), MAX_ERROR_BODY),
    }
}

fn job_of(reply: &Reply, what: &str) -> Result<Job> {
    let value: Value = parse(reply, what)?;
    // A delete answers with the job at the top level and again under `job`.
    let value = match value.get("job") {
        Some(job @ Value::Object(_)) if value.get("id").is_none() => job.clone(),
        _ => value,
    };
    Job::from_value(value.clone()).ok_or_else(|| Error::Decode {
        context: what.to_owned(),
        row: None,
        column: None,
        source: "no job id in it".into(),
        body: truncate(&value.to_string(), MAX_ERROR_BODY),
    })
}

#[cfg(test)]
mod tests;
