//! Running the real binary against a wiremock Tinybird, with the Claude Code fixtures placed where
//! their payloads point.

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

pub(crate) use atel_tests::fixtures_dir;
use serde_json::Value;
use tempfile::TempDir;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_atel-hooks");

/// The binary the sandboxes run: `$ATEL_HOOKS_BIN` when set and non-empty (another build, say the one
/// before a change, to measure it against the same tests), else this build's.
pub(crate) fn bin() -> PathBuf {
    std::env::var_os("ATEL_HOOKS_BIN")
        .filter(|b| !b.is_empty())
        .map_or_else(|| PathBuf::from(BIN), PathBuf::from)
}
pub(crate) const TOKEN: &str = "p.test-token-never-printed";

/// A throwaway `HOME` (holding `~/.claude/projects`), state dir and working directory.
pub(crate) struct Sandbox {
    pub(crate) root: TempDir,
    pub(crate) url: String,
    pub(crate) extra: Vec<(String, String)>,
    pub(crate) unset: Vec<String>,
}

/// The output of one run.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    pub(crate) elapsed: Duration,
}

impl Sandbox {
    /// A sandbox whose Tinybird is `url`.
    pub(crate) fn new(url: &str) -> Self {
        let root = tempfile::tempdir().unwrap();
        for dir in ["home", "state", "cwd"] {
            std::fs::create_dir_all(root.path().join(dir)).unwrap();
        }
        Self {
            root,
            url: url.to_owned(),
            extra: Vec::new(),
            unset: Vec::new(),
        }
    }

    pub(crate) fn home(&self) -> PathBuf {
        self.root.path().join("home")
    }

    pub(crate) fn state(&self) -> PathBuf {
        self.root.path().join("state")
    }

    pub(crate) fn set(&mut self, key: &str, value: &str) {
        self.extra.push((key.to_owned(), value.to_owned()));
    }

    /// Copies `<version>/<scenario>/transcripts/*` to `~/.claude/projects/`.
    pub(crate) fn place_transcripts(&self, version: &str, scenario: &str) {
        let from = fixtures_dir()
            .join(version)
            .join(scenario)
            .join("transcripts");
        copy_tree(&from, &self.home().join(".claude/projects"));
    }

    /// A fixture payload with its `/home/dev` paths pointing into this sandbox.
    pub(crate) fn localize(&self, payload: &Value) -> String {
        payload
            .to_string()
            .replace("/home/dev/", &format!("{}/", self.home().display()))
    }

    /// Runs without `key` (one the sandbox sets by default, like `TINYBIRD_TOKEN`).
    pub(crate) fn unset(&mut self, key: &str) {
        self.unset.push(key.to_owned());
    }

    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(bin());
        command
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home())
            .env("ATEL_STATE_DIR", self.state())
            .env("TINYBIRD_URL", &self.url)
            .env("TINYBIRD_TOKEN", TOKEN)
            .current_dir(self.root.path().join("cwd"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, value) in &self.extra {
            command.env(key, value);
        }
        for key in &self.unset {
            command.env_remove(key);
        }
        command
    }

    /// Runs `atel-hooks <args>` with `stdin`.
    pub(crate) fn run(&self, args: &[&str], stdin: &[u8]) -> Run {
        let start = Instant::now();
        let mut child = self.command(args).spawn().unwrap();
        let mut pipe = child.stdin.take().unwrap();
        let input = stdin.to_vec();
        // Write from a thread: the binary may stop reading early (size cap).
        let writer = std::thread::spawn(move || {
            let _ = pipe.write_all(&input);
        });
        let output: Output = child.wait_with_output().unwrap();
        let _ = writer.join();
        Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            elapsed: start.elapsed(),
        }
    }

    pub(crate) fn hook(&self, payload: &str) -> Run {
        self.run(&["hook"], payload.as_bytes())
    }

    /// Ends the delivery backoff as if its wait were over (the rest of `delivery.json` stays).
    pub(crate) fn end_backoff(&self) {
        let path = self.state().join("delivery.json");
        let mut state: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        state["retry_at_ms"] = 0.into();
        std::fs::write(&path, state.to_string()).unwrap();
    }

    /// The delivery backoff's state (`delivery.json`); `Null` when there is none.
    pub(crate) fn backoff(&self) -> Value {
        std::fs::read_to_string(self.state().join("delivery.json"))
            .map_or(Value::Null, |text| serde_json::from_str(&text).unwrap())
    }

    /// Rows waiting in the spool files.
    pub(crate) fn spooled_lines(&self) -> usize {
        let mut lines = 0;
        for entry in std::fs::read_dir(self.state()).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name == "spool.ndjson" || name.starts_with("claimed-") {
                lines += std::fs::read_to_string(&path)
                    .unwrap()
                    .lines()
                    .filter(|l| !l.is_empty())
                    .count();
            }
        }
        lines
    }
}

impl Run {
    /// Exit 0, nothing on stdout, exactly one stderr line.
    pub(crate) fn assert_quiet_failure(&self) {
        assert_eq!(self.code, Some(0), "{self:?}");
        assert_eq!(self.stdout, "", "{self:?}");
        assert_eq!(self.stderr.lines().count(), 1, "{self:?}");
        assert!(self.stderr.starts_with("atel-hooks: "), "{self:?}");
    }

    /// Exit 0, no output at all.
    pub(crate) fn assert_silent(&self) {
        assert_eq!(self.code, Some(0), "{self:?}");
        assert_eq!(self.stdout, "", "{self:?}");
        assert_eq!(self.stderr, "", "{self:?}");
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Every payload of a captured run, in firing order (`_sequence.tsv`).
pub(crate) fn sequence(version: &str, scenario: &str) -> Vec<Value> {
    let dir = fixtures_dir().join(version).join(scenario).join("hooks");
    let tsv = std::fs::read_to_string(dir.join("_sequence.tsv")).unwrap();
    let mut next: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut payloads = Vec::new();
    for line in tsv.lines().skip(1) {
        let label = line.split('\t').next().unwrap();
        // `PreToolUse[Skill]` is the second, matcher-specific hook of the same event: same payload.
        if label.contains('[') {
            continue;
        }
        let all: Vec<Value> = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("{label}.json"))).unwrap(),
        )
        .unwrap();
        let i = next.entry(label.to_owned()).or_default();
        payloads.push(all[*i].clone());
        *i += 1;
    }
    payloads
}

/// The payloads of one event.
pub(crate) fn payloads(version: &str, scenario: &str, event: &str) -> Vec<Value> {
    let file = fixtures_dir()
        .join(version)
        .join(scenario)
        .join("hooks")
        .join(format!("{event}.json"));
    serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap()
}

/// Answers `/v0/events` like Tinybird: every line of the (maybe gzipped) body counts as written.
pub(crate) struct EventsApi;

impl Respond for EventsApi {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let rows = body_text(request).lines().filter(|l| !l.is_empty()).count();
        ResponseTemplate::new(202)
            .set_body_json(serde_json::json!({"successful_rows": rows, "quarantined_rows": 0}))
    }
}

/// A wiremock Tinybird accepting events; any other request gets a loud 418.
pub(crate) async fn tinybird() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v0/events"))
        .respond_with(EventsApi)
        .mount(&server)
        .await;
    server
}

/// The request body, gunzipped when it says so.
pub(crate) fn body_text(request: &Request) -> String {
    let gzipped = request
        .headers
        .get("content-encoding")
        .is_some_and(|v| v.as_bytes() == b"gzip");
    if gzipped {
        let mut text = String::new();
        flate2::read::GzDecoder::new(request.body.as_slice())
            .read_to_string(&mut text)
            .unwrap();
        text
    } else {
        String::from_utf8(request.body.clone()).unwrap()
    }
}

/// Every row sent to `/v0/events`, as `(datasource, row)`.
pub(crate) async fn sent_rows(server: &MockServer) -> Vec<(String, Value)> {
    let mut rows = Vec::new();
    for request in server.received_requests().await.unwrap_or_default() {
        if request.url.path() != "/v0/events" {
            // Only `SessionStart` reads, and only the pipes.
            assert!(
                request.method.as_str() == "GET" && request.url.path().starts_with("/v0/pipes/"),
                "unexpected request {request:?}"
            );
            continue;
        }
        assert_eq!(
            request
                .headers
                .get("authorization")
                .map(|v| v.to_str().unwrap().to_owned()),
            Some(format!("Bearer {TOKEN}"))
        );
        let name = request
            .url
            .query_pairs()
            .find(|(k, _)| k == "name")
            .map(|(_, v)| v.into_owned())
            .unwrap();
        for line in body_text(&request).lines().filter(|l| !l.is_empty()) {
            rows.push((name.clone(), serde_json::from_str(line).unwrap()));
        }
    }
    rows
}

/// A `PostToolUse` payload of the `Skill` tool: one `skill_activations` row whose `duration_ms` is `n`,
/// with its own `tool_use_id` (`toolu_` and `n` in 24 digits), like every real tool call.
pub(crate) fn skill_payload(n: usize) -> String {
    serde_json::json!({
        "session_id": format!("session-{n}"),
        "hook_event_name": "PostToolUse",
        "tool_name": "Skill",
        "tool_input": {"skill": "fake-skill"},
        "tool_response": {"success": true},
        "tool_use_id": format!("toolu_{n:024}"),
        "duration_ms": n,
    })
    .to_string()
}

/// A URL where nothing listens (a port just freed).
pub(crate) fn dead_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// A server that accepts connections and never answers; keep the listener alive while testing.
pub(crate) fn black_hole() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    (listener, url)
}
