//! An in-process Tinybird stand-in for your tests (feature `testing`): it records the rows your code
//! ingests, typed, and answers your endpoints with the rows and failures you queue, in order.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), atel_sdk::Error> {
//! use atel_sdk::testing::{Failure, MockTinybird};
//! use atel_sdk::{Datasource, pipe};
//!
//! #[derive(serde::Serialize, serde::Deserialize, Datasource, Debug, PartialEq)]
//! struct PageView { path: String, user_id: u64 }
//!
//! #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
//! struct TopPage { path: String, views: u64 }
//!
//! #[pipe(name = "top_pages", output = TopPage,
//!        node(name = "top", sql = "SELECT path, count() AS views FROM page_view GROUP BY path"))]
//! struct TopPages {}
//!
//! let mock = MockTinybird::start().await;
//! let client = mock.client();
//!
//! mock.fail_ingest(Failure::Status(503)); // the first ingest is refused, the retry lands
//! client.ingest(&[PageView { path: "/".into(), user_id: 7 }]).await?.check()?;
//! assert_eq!(mock.recorded::<PageView>(), [PageView { path: "/".into(), user_id: 7 }]);
//!
//! mock.serve::<TopPages>(&[TopPage { path: "/".into(), views: 3 }]);
//! mock.fail::<TopPages>(Failure::Status(400));
//! assert_eq!(client.query(&TopPages {}).await?, [TopPage { path: "/".into(), views: 3 }]);
//! assert!(client.query(&TopPages {}).await.is_err());
//! # Ok(())
//! # }
//! ```

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::io::Read as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::{TcpListener, TcpStream};

use crate::client::{RetryPolicy, TinybirdClient};
use crate::resource::{Datasource, Pipe};

/// The token the mock's client sends (the mock accepts any).
pub const MOCK_TOKEN: &str = "p.mock-token";

/// A failure the mock answers with instead of the next success.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// This status, with Tinybird's `{"error": …}` body.
    Status(u16),
    /// 429 with `Retry-After` in whole seconds.
    RateLimited {
        /// The `Retry-After` value.
        retry_after_secs: u64,
    },
    /// No answer for this long (longer than the client's timeout makes it a timeout).
    Stall(Duration),
}

#[derive(Debug, Default)]
struct State {
    /// NDJSON lines ingested, per datasource.
    rows: HashMap<String, Vec<String>>,
    ingest_failures: VecDeque<Failure>,
    /// Per pipe: the answers, in order; the last one stays.
    answers: HashMap<String, VecDeque<Answer>>,
    /// Per pipe: the query pairs of every call.
    calls: HashMap<String, Vec<Vec<(String, String)>>>,
}

#[derive(Debug, Clone)]
enum Answer {
    Rows(Vec<Value>),
    Fail(Failure),
}

/// A Tinybird stand-in on `127.0.0.1`, serving `/v0/events` and `/v0/pipes/NAME.json|.ndjson` from
/// memory. Stops when dropped.
#[derive(Debug)]
pub struct MockTinybird {
    url: String,
    state: Arc<Mutex<State>>,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for MockTinybird {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

impl MockTinybird {
    /// Starts it on a free port (a tokio runtime must be running).
    ///
    /// # Panics
    /// When no local port can be bound: a test cannot go on without it.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a local port for MockTinybird");
        let url = format!(
            "http://{}",
            listener.local_addr().expect("MockTinybird's address")
        );
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::clone(&state);
        let accept = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, Arc::clone(&shared)));
            }
        });
        Self { url, state, accept }
    }

    /// Its base URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A client for it, with retries that wait milliseconds rather than seconds and a 2 s timeout.
    ///
    /// # Panics
    /// Never in practice: the URL and token are valid.
    pub fn client(&self) -> TinybirdClient {
        TinybirdClient::builder()
            .base_url(&self.url)
            .token(MOCK_TOKEN)
            .retry(RetryPolicy::new(3).backoff(Duration::from_millis(1), Duration::from_millis(10)))
            .timeout(Duration::from_secs(2))
            .build()
            .expect("a client for MockTinybird")
    }

    /// The rows ingested into `D`'s datasource so far, decoded as `D`.
    ///
    /// # Panics
    /// When a recorded row does not decode as `D` (the test's rows and types disagree).
    pub fn recorded<D: Datasource + DeserializeOwned>(&self) -> Vec<D> {
        lock(&self.state)
            .rows
            .get(D::NAME)
            .into_iter()
            .flatten()
            .map(|line| serde_json::from_str(line).expect("a recorded row decodes as the type"))
            .collect()
    }

    /// The next ingest (any datasource) gets `failure` instead of success; queued in order.
    pub fn fail_ingest(&self, failure: Failure) {
        lock(&self.state).ingest_failures.push_back(failure);
    }

    /// Queues `rows` as the next answer of pipe `P`. Answers are given in order; the last one is
    /// given again to every later call.
    ///
    /// # Panics
    /// When a row does not serialize.
    pub fn serve<P: Pipe>(&self, rows: &[P::Output])
    where
        P::Output: Serialize,
    {
        let rows = rows
            .iter()
            .map(|row| serde_json::to_value(row).expect("a served row serializes"))
            .collect();
        self.answer(P::NAME, Answer::Rows(rows));
    }

    /// Queues `failure` as the next answer of pipe `P`.
    pub fn fail<P: Pipe>(&self, failure: Failure) {
        self.answer(P::NAME, Answer::Fail(failure));
    }

    /// The query parameters of every call of pipe `P` so far, in order.
    pub fn calls<P: Pipe>(&self) -> Vec<Vec<(String, String)>> {
        lock(&self.state)
            .calls
            .get(P::NAME)
            .cloned()
            .unwrap_or_default()
    }

    fn answer(&self, pipe: &str, answer: Answer) {
        lock(&self.state)
            .answers
            .entry(pipe.to_owned())
            .or_default()
            .push_back(answer);
    }
}

/// One connection: requests one after another (keep-alive).
async fn serve(stream: TcpStream, state: Arc<Mutex<State>>) {
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let (method, target) = (
            parts.next().unwrap_or("").to_owned(),
            parts.next().unwrap_or("").to_owned(),
        );
        let (mut length, mut encoding) = (0_usize, String::new());
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).await.unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                match name.trim().to_ascii_lowercase().as_str() {
                    "content-length" => length = value.trim().parse().unwrap_or(0),
                    "content-encoding" => encoding = value.trim().to_ascii_lowercase(),
                    _ => {}
                }
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).await.is_err() {
            return;
        }
        let body = decode(&encoding, body);
        let (status, headers, payload, stall) = route(&method, &target, &body, &state);
        if let Some(stall) = stall {
            tokio::time::sleep(stall).await;
        }
        let mut response = format!(
            "HTTP/1.1 {status} {}\r\nContent-Length: {}\r\nContent-Type: application/json\r\n",
            if (200..300).contains(&status) {
                "OK"
            } else {
                "Error"
            },
            payload.len()
        );
        for (name, value) in headers {
            let _ = write!(response, "{name}: {value}\r\n");
        }
        response.push_str("\r\n");
        let stream = reader.get_mut();
        if stream.write_all(response.as_bytes()).await.is_err()
            || stream.write_all(&payload).await.is_err()
        {
            return;
        }
    }
}

fn decode(encoding: &str, body: Vec<u8>) -> Vec<u8> {
    match encoding {
        "zstd" => zstd::stream::decode_all(body.as_slice()).unwrap_or_default(),
        "gzip" => {
            let mut out = Vec::new();
            let _ = flate2::read::MultiGzDecoder::new(body.as_slice()).read_to_end(&mut out);
            out
        }
        _ => body,
    }
}

type Routed = (u16, Vec<(&'static str, String)>, Vec<u8>, Option<Duration>);

fn route(method: &str, target: &str, body: &[u8], state: &Mutex<State>) -> Routed {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
    if method == "POST" && path.starts_with("/v0/pipes/") {
        pairs.extend(
            serde_urlencoded::from_bytes::<Vec<(String, String)>>(body).unwrap_or_default(),
        );
    }
    let mut state = lock(state);
    if method == "POST" && path == "/v0/events" {
        if let Some(failure) = state.ingest_failures.pop_front() {
            return failed(&failure);
        }
        let Some(name) = pairs
            .iter()
            .find(|(k, _)| k == "name")
            .map(|(_, v)| v.clone())
        else {
            return error(400, "The 'name' parameter is required");
        };
        let text = String::from_utf8_lossy(body);
        let lines: Vec<String> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_owned)
            .collect();
        let count = lines.len();
        state.rows.entry(name).or_default().extend(lines);
        let answer = json!({"successful_rows": count, "quarantined_rows": 0});
        return (200, Vec::new(), answer.to_string().into_bytes(), None);
    }
    let Some((pipe, format)) = path
        .strip_prefix("/v0/pipes/")
        .and_then(|rest| rest.rsplit_once('.'))
    else {
        return error(404, &format!("MockTinybird does not serve {method} {path}"));
    };
    let pipe = pipe.to_owned();
    pairs.retain(|(k, _)| k != "token");
    state.calls.entry(pipe.clone()).or_default().push(pairs);
    let queue = state.answers.entry(pipe.clone()).or_default();
    let answer = if queue.len() > 1 {
        queue.pop_front()
    } else {
        queue.front().cloned()
    };
    match answer {
        None => error(404, &format!("The pipe '{pipe}' does not exist")),
        Some(Answer::Fail(failure)) => failed(&failure),
        Some(Answer::Rows(rows)) => {
            let payload = if format == "ndjson" {
                rows.iter().fold(String::new(), |mut out, r| {
                    let _ = writeln!(out, "{r}");
                    out
                })
            } else {
                json!({"meta": [], "data": rows, "rows": rows.len(),
                       "statistics": {"elapsed": 0.0, "rows_read": 0, "bytes_read": 0}})
                .to_string()
            };
            (200, Vec::new(), payload.into_bytes(), None)
        }
    }
}

fn error(status: u16, message: &str) -> Routed {
    let body = json!({ "error": message }).to_string().into_bytes();
    (status, Vec::new(), body, None)
}

fn failed(failure: &Failure) -> Routed {
    match failure {
        Failure::Status(status) => error(*status, &format!("MockTinybird failure {status}")),
        Failure::RateLimited { retry_after_secs } => {
            let (status, _, body, _) = error(429, "Too many requests");
            (
                status,
                vec![("Retry-After", retry_after_secs.to_string())],
                body,
                None,
            )
        }
        Failure::Stall(stall) => {
            let (status, headers, body, _) = error(504, "stalled");
            (status, headers, body, Some(*stall))
        }
    }
}
