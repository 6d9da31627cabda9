//! `build_project` and `deploy` of a Tinybird project folder, the way `tb build` / `tb deploy` send it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use reqwest::multipart::{Form, Part};
use serde::Deserialize;
use serde_json::Value;

use super::TinybirdClient;
use super::transport::{MAX_ERROR_BODY, Reply, api_error};
use crate::error::{Error, Result, truncate};

/// The datafile kinds `tb` sends, in its order.
const EXTENSIONS: [&str; 3] = ["datasource", "pipe", "connection"];

/// `tb` looks this many folder levels deep: `dir/*.ext` and `dir/*/*.ext`.
const MAX_DEPTH: usize = 2;

/// How a [`TinybirdClient::deploy`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeployOptions {
    /// Only validate (`check=true`): nothing is deployed, nothing is polled.
    pub check: bool,
    /// Let Tinybird promote the deployment when its data is ready (`auto_promote=true`), and wait until it
    /// is live. Off: the client waits for `data_ready`, then promotes it itself with `set-live`.
    pub auto_promote: bool,
    /// Allow changes that drop data (`allow_destructive_operations=true`).
    pub allow_destructive: bool,
    /// The wait between polls of the deployment (default 1 s; `tb` uses 5 s).
    pub poll_interval: Duration,
    /// How long to poll before giving up with [`Error::Timeout`] (default 10 min).
    pub wait_timeout: Duration,
}

impl Default for DeployOptions {
    fn default() -> Self {
        Self {
            check: false,
            auto_promote: true,
            allow_destructive: false,
            poll_interval: Duration::from_secs(1),
            wait_timeout: Duration::from_mins(10),
        }
    }
}

/// One feedback item of a build or deployment.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Feedback {
    /// The file or resource it is about, when given.
    #[serde(default)]
    pub resource: Option<String>,
    /// `INFO`, `WARNING` or `ERROR`.
    #[serde(default)]
    pub level: String,
    /// The text.
    #[serde(default)]
    pub message: String,
}

/// A deployment that succeeded (or was valid, with `check`).
#[derive(Debug, Clone, PartialEq)]
pub struct DeployOutcome {
    /// Tinybird's `result`: `success` or `no_changes`.
    pub result: String,
    /// The deployment id, when one was created.
    pub deployment_id: Option<String>,
    /// The last status seen (`data_ready` once deployed; the first status with `check`).
    pub status: Option<String>,
    /// Whether the deployment is live.
    pub live: bool,
    /// Tinybird's feedback (warnings, info).
    pub feedback: Vec<Feedback>,
    /// The last `deployment` object as Tinybird sent it (changes, timestamps, …).
    pub deployment: Value,
}

/// A build that succeeded.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildOutcome {
    /// Tinybird's `result`: `success` or `no_changes`.
    pub result: String,
    /// Tinybird's feedback.
    pub feedback: Vec<Feedback>,
    /// The `build` object as Tinybird sent it (new / changed / deleted resources, …).
    pub build: Value,
}

impl TinybirdClient {
    /// Builds the project in `dir` (`tb build`: `POST /v1/build`, Tinybird Local's dev loop): every `*.datasource`,
    /// `*.pipe` and `*.connection` up to one folder deep, sent as `tb build` sends them. A `failed` build is
    /// an [`Error::Deploy`] carrying Tinybird's errors. Like a deployment's upload, the build is sent
    /// again only when Tinybird surely did not act on it (no connection, 429, 503).
    pub async fn build_project(&self, dir: impl AsRef<Path>) -> Result<BuildOutcome> {
        let files = project_files(dir.as_ref())?;
        let url = self.url("/v1/build");
        let reply = self
            .send_at_most_once("POST", "/v1/build", |http| {
                http.post(&url).multipart(multipart(&files))
            })
            .await?;
        let answer: BuildAnswer = parse_answer(&reply, "build")?;
        let build = answer.build.unwrap_or(Value::Null);
        let feedback = feedback_of(&build);
        if !matches!(answer.result.as_str(), "success" | "no_changes") {
            let mut problems = problems_of(answer.errors.as_ref());
            problems.extend(problems_of(build.get("errors")));
            return Err(Error::Deploy {
                what: "build",
                status: answer.result,
                messages: messages(problems, &feedback),
            });
        }
        Ok(BuildOutcome {
            result: answer.result,
            feedback,
            build,
        })
    }

    /// Deploys the project in `dir` (`POST /v1/deploy`), sent as `tb deploy` sends it, then polls
    /// `GET /v1/deployments/{id}` until the deployment is ready and live (see [`DeployOptions`]).
    ///
    /// A `failed` result, or a deployment that fails or is deleted while polled, is an [`Error::Deploy`]
    /// whose messages are Tinybird's errors and error-level feedback.
    ///
    /// The upload creates a deployment, so it is sent again only when Tinybird surely did not act on
    /// it: no connection could be made, or it answered 429 or 503. After a timeout, a connection broken
    /// mid-request or any other 5xx the error is returned at once, as a deployment may have been created.
    /// The polls that follow a successful upload are retried like any call.
    pub async fn deploy(
        &self,
        dir: impl AsRef<Path>,
        options: DeployOptions,
    ) -> Result<DeployOutcome> {
        let files = project_files(dir.as_ref())?;
        let mut query = Vec::new();
        if options.check {
            query.push(("check", "true"));
        } else if options.auto_promote {
            query.push(("auto_promote", "true"));
        }
        if options.allow_destructive {
            query.push(("allow_destructive_operations", "true"));
        }
        let url = self.url("/v1/deploy");
        let reply = self
            .send_at_most_once("POST", "/v1/deploy", |http| {
                http.post(&url).query(&query).multipart(multipart(&files))
            })
            .await?;
        let answer: DeployAnswer = parse_answer(&reply, "deployment")?;
        let deployment = answer.deployment.unwrap_or(Value::Null);
        if !matches!(answer.result.as_str(), "success" | "no_changes") {
            return Err(deploy_error(&answer.result, &deployment));
        }
        let id = deployment.get("id").and_then(id_text);
        let outcome = DeployOutcome {
            result: answer.result,
            deployment_id: id.clone(),
            status: deployment
                .get("status")
                .and_then(Value::as_str)
                .map(str::to_owned),
            live: deployment
                .get("live")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            feedback: feedback_of(&deployment),
            deployment,
        };
        match id {
            Some(id) if !options.check && outcome.result == "success" => {
                self.wait_until_live(&id, options).await
            }
            _ => Ok(outcome),
        }
    }

    async fn wait_until_live(&self, id: &str, options: DeployOptions) -> Result<DeployOutcome> {
        let started = Instant::now();
        let path = format!("/v1/deployments/{id}");
        let url = self.url(&path);
        loop {
            let reply = self
                .send("GET", "/v1/deployments/{id}", |http| http.get(&url))
                .await?;
            let answer: PollAnswer = parse_answer(&reply, "deployment")?;
            let deployment = answer.deployment;
            let status = deployment
                .get("status")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let live = deployment
                .get("live")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            tracing::debug!(deployment = id, status, live, "deployment polled");
            match status.as_str() {
                "failed" | "deleting" | "deleted" => {
                    return Err(deploy_error(&status, &deployment));
                }
                "data_ready" if live || !options.auto_promote => {
                    let live = live || {
                        let url = self.url(&format!("{path}/set-live"));
                        self.send("POST", "/v1/deployments/{id}/set-live", |http| {
                            http.post(&url)
                        })
                        .await?;
                        true
                    };
                    return Ok(DeployOutcome {
                        result: "success".to_owned(),
                        deployment_id: Some(id.to_owned()),
                        status: Some(status),
                        live,
                        feedback: feedback_of(&deployment),
                        deployment,
                    });
                }
                _ => {}
            }
            if started.elapsed() + options.poll_interval > options.wait_timeout {
                return Err(Error::Timeout {
                    elapsed: started.elapsed(),
                });
            }
            tokio::time::sleep(options.poll_interval).await;
        }
    }
}

#[derive(Deserialize)]
struct BuildAnswer {
    result: String,
    build: Option<Value>,
    errors: Option<Value>,
}

#[derive(Deserialize)]
struct DeployAnswer {
    result: String,
    deployment: Option<Value>,
}

#[derive(Deserialize)]
struct PollAnswer {
    deployment: Value,
}

/// Reads a deploy-family answer; an error status without Tinybird's `result` is an [`Error::Api`].
fn parse_answer<T: serde::de::DeserializeOwned>(reply: &Reply, what: &str) -> Result<T> {
    match serde_json::from_slice::<T>(&reply.body) {
        Ok(answer) => Ok(answer),
        Err(_) if !(200..300).contains(&reply.status) => Err(api_error(reply.status, &reply.body)),
        Err(e) => Err(Error::Decode {
            context: format!("the {what} answer"),
            row: None,
            column: None,
            source: Box::new(e),
            body: truncate(&String::from_utf8_lossy(&reply.body), MAX_ERROR_BODY),
        }),
    }
}

fn deploy_error(status: &str, deployment: &Value) -> Error {
    let problems = problems_of(deployment.get("errors"));
    Error::Deploy {
        what: "deployment",
        status: status.to_owned(),
        messages: messages(problems, &feedback_of(deployment)),
    }
}

fn id_text(id: &Value) -> Option<String> {
    match id {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn feedback_of(object: &Value) -> Vec<Feedback> {
    object
        .get("feedback")
        .and_then(|f| serde_json::from_value(f.clone()).ok())
        .unwrap_or_default()
}

/// One error Tinybird reported: the file or resource it names, and its text.
#[derive(Debug, PartialEq)]
struct Problem {
    file: Option<String>,
    message: String,
}

impl Problem {
    /// Whether `other` is this error said again: the same text about the same file, where Tinybird
    /// names a file by its path in `errors` (`datasources/a.datasource`) and by its resource in
    /// `feedback` (`a`, or the path again).
    fn repeats(&self, other: &Self) -> bool {
        fn stem(name: &str) -> &str {
            let base = name.rsplit('/').next().unwrap_or(name);
            base.split_once('.').map_or(base, |(stem, _)| stem)
        }
        self.message.trim() == other.message.trim()
            && match (&self.file, &other.file) {
                (Some(a), Some(b)) => a == b || stem(a) == stem(b),
                _ => true,
            }
    }

    fn into_message(self) -> String {
        match self.file {
            Some(file) => format!("{file}: {}", self.message),
            None => self.message,
        }
    }
}

/// The messages of a failed build or deployment, each error once: Tinybird lists an error in `errors`
/// and again as an `ERROR` feedback item, so feedback that repeats an error is left out.
fn messages(mut problems: Vec<Problem>, feedback: &[Feedback]) -> Vec<String> {
    let errors = feedback
        .iter()
        .filter(|f| f.level.eq_ignore_ascii_case("error"))
        .map(|f| Problem {
            file: f.resource.clone(),
            message: f.message.clone(),
        });
    for problem in errors {
        if !problems.iter().any(|seen| seen.repeats(&problem)) {
            problems.push(problem);
        }
    }
    problems.into_iter().map(Problem::into_message).collect()
}

/// Tinybird's `errors`: objects `{filename?, error}` (or `{resource?, message}`), or plain strings.
fn problems_of(errors: Option<&Value>) -> Vec<Problem> {
    let Some(Value::Array(errors)) = errors else {
        return Vec::new();
    };
    errors
        .iter()
        .map(|error| match error {
            Value::String(text) => Problem {
                file: None,
                message: text.clone(),
            },
            Value::Object(fields) => {
                let text = |key: &str| fields.get(key).and_then(Value::as_str);
                Problem {
                    file: text("filename")
                        .or_else(|| text("resource"))
                        .map(str::to_owned),
                    message: text("error")
                        .or_else(|| text("message"))
                        .unwrap_or("unknown error")
                        .to_owned(),
                }
            }
            other => Problem {
                file: None,
                message: other.to_string(),
            },
        })
        .collect()
}

/// The project's datafiles as (path relative to `dir` with `/`, text), ordered like `tb`: by kind, then
/// by path. `vendor/` is left out.
fn project_files(dir: &Path) -> Result<Vec<(String, String)>> {
    let mut found: Vec<(usize, String, PathBuf)> = Vec::new();
    collect(dir, dir, 1, &mut found)?;
    if found.is_empty() {
        return Err(Error::Config(format!(
            "no .datasource, .pipe or .connection files in `{}`",
            dir.display()
        )));
    }
    found.sort();
    found
        .into_iter()
        .map(|(_, relative, path)| {
            std::fs::read_to_string(&path)
                .map(|text| (relative, text))
                .map_err(|e| Error::Config(format!("could not read `{}`: {e}", path.display())))
        })
        .collect()
}

fn collect(
    root: &Path,
    dir: &Path,
    depth: usize,
    found: &mut Vec<(usize, String, PathBuf)>,
) -> Result<()> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Error::Config(format!("could not read `{}`: {e}", dir.display())))?;
    for entry in entries {
        let path = entry
            .map_err(|e| Error::Config(format!("could not read `{}`: {e}", dir.display())))?
            .path();
        if path.is_dir() {
            if depth < MAX_DEPTH && path.file_name().is_some_and(|n| n != "vendor") {
                collect(root, &path, depth + 1, found)?;
            }
            continue;
        }
        let kind = path
            .extension()
            .and_then(|ext| EXTENSIONS.iter().position(|known| ext == *known));
        if let (Some(kind), Ok(relative)) = (kind, path.strip_prefix(root)) {
            let relative = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            found.push((kind, relative, path));
        }
    }
    Ok(())
}

/// The multipart body `tb` sends: a `context://` part, then one `data_project://` part per file.
fn multipart(files: &[(String, String)]) -> Form {
    let text = |content: String, name: String| {
        Part::text(content)
            .file_name(name)
            .mime_str("text/plain")
            .expect("`text/plain` is a valid MIME type")
    };
    // No percent-encoding: by default reqwest would send `name*=utf-8''data_project:%2F%2F`, which
    // Tinybird's multipart parser does not read; `tb` (Python requests) sends `name="data_project://"`.
    let form = Form::new().percent_encode_noop();
    files.iter().fold(
        form.part("context://", text("1.0.0".into(), "cli-version".into())),
        |form, (relative, content)| {
            form.part("data_project://", text(content.clone(), relative.clone()))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn errors_read_every_shape_tinybird_uses() {
        let errors = json!([
            {"filename": "datasources/a.datasource", "error": "bad type"},
            {"resource": "b.pipe", "message": "no node"},
            "plain",
        ]);
        assert_eq!(
            messages(problems_of(Some(&errors)), &[]),
            [
                "datasources/a.datasource: bad type",
                "b.pipe: no node",
                "plain"
            ]
        );
        assert!(problems_of(None).is_empty());
    }

    /// `tinybird/local` and Tinybird list a failure in `errors` (by file path) and again in `feedback`
    /// (by resource name, level `ERROR`): each is printed once.
    #[test]
    fn an_error_in_errors_and_feedback_is_one_message() {
        let deployment = json!({
            "errors": [
                {"filename": "datasources/shop_orders.datasource", "error": "Nested type Array(String) cannot be inside Nullable type"},
                {"filename": "datasources/b.datasource", "error": "SCHEMA is required"},
            ],
            "feedback": [
                {"resource": "shop_orders", "level": "ERROR", "message": "Nested type Array(String) cannot be inside Nullable type"},
                {"resource": "datasources/b.datasource", "level": "ERROR", "message": "SCHEMA is required"},
                {"resource": "c", "level": "ERROR", "message": "SCHEMA is required"},
                {"resource": "b", "level": "WARNING", "message": "not an error"},
            ],
        });
        let Error::Deploy { messages, .. } = deploy_error("failed", &deployment) else {
            panic!("a deploy error");
        };
        assert_eq!(
            messages,
            [
                "datasources/shop_orders.datasource: Nested type Array(String) cannot be inside Nullable type",
                "datasources/b.datasource: SCHEMA is required",
                "c: SCHEMA is required",
            ]
        );
    }

    #[test]
    fn project_files_follow_tb_layout() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for (path, text) in [
            ("datasources/a.datasource", "A"),
            ("endpoints/p.pipe", "P"),
            ("top.pipe", "T"),
            ("vendor/v.pipe", "V"),
            ("deep/er/x.pipe", "X"),
            ("fixtures/a.ndjson", "{}"),
        ] {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let files = project_files(root).unwrap();
        assert_eq!(
            files,
            [
                ("datasources/a.datasource".to_owned(), "A".to_owned()),
                ("endpoints/p.pipe".to_owned(), "P".to_owned()),
                ("top.pipe".to_owned(), "T".to_owned()),
            ]
        );
        let empty = tempfile::tempdir().unwrap();
        assert!(matches!(project_files(empty.path()), Err(Error::Config(_))));
    }
}
