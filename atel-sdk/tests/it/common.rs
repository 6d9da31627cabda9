//! Shared fixtures: a row type, a pipe, a client aimed at a mock server, a loud catch-all.

use std::time::Duration;

use atel_sdk::TinybirdClient;
use atel_sdk::client::RetryPolicy;
use atel_sdk::schema::{ChType, Column, DatasourceSchema, Engine, PipeSchema};
use atel_sdk::{Datasource, Pipe};
use serde::{Deserialize, Serialize};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A token that must never show up in any output.
pub(crate) const TOKEN: &str = "p.SECRET-token-4f9c2a";

/// Retries with waits of at most a few milliseconds, so the suite stays fast.
pub(crate) fn fast_retry(attempts: u32) -> RetryPolicy {
    RetryPolicy::new(attempts).backoff(Duration::from_millis(1), Duration::from_millis(4))
}

/// A client for `server` with fast retries.
pub(crate) fn client(server: &MockServer) -> TinybirdClient {
    TinybirdClient::builder()
        .token(TOKEN)
        .base_url(server.uri())
        .retry(fast_retry(3))
        .build()
        .unwrap()
}

/// Fails the test (on drop) if any request reaches the server that no other mock expects.
pub(crate) async fn catch_all(server: &MockServer) {
    Mock::given(any())
        .respond_with(ResponseTemplate::new(418).set_body_string("unexpected request"))
        .with_priority(u8::MAX)
        .named("catch-all: no request should get here")
        .expect(0)
        .mount(server)
        .await;
}

/// A row shaped like `agent_activations`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Activation {
    pub(crate) timestamp: String,
    pub(crate) session_id: String,
    pub(crate) agent_type: String,
    pub(crate) seq: u64,
}

impl Datasource for Activation {
    const NAME: &'static str = "agent_activations";

    fn schema() -> DatasourceSchema {
        DatasourceSchema {
            name: Self::NAME,
            description: None,
            tokens: Vec::new(),
            columns: vec![
                Column::new("timestamp", ChType::DateTime64(3)),
                Column::new("session_id", ChType::String),
                Column::new("agent_type", ChType::String),
                Column::new("seq", ChType::UInt64),
            ],
            indexes: Vec::new(),
            engine: Engine::default(),
            forward_query: None,
            connector: Vec::new(),
        }
    }
}

/// `n` distinct rows, `seq` 0..n.
pub(crate) fn activations(n: u64) -> Vec<Activation> {
    (0..n)
        .map(|seq| Activation {
            timestamp: "2026-11-25 09:00:00.123".into(),
            session_id: format!("session-{}", seq % 7),
            agent_type: "Explore".into(),
            seq,
        })
        .collect()
}

/// The NDJSON `ingest` is expected to send for `rows`.
pub(crate) fn ndjson(rows: &[Activation]) -> Vec<u8> {
    let mut out = Vec::new();
    for row in rows {
        serde_json::to_writer(&mut out, row).unwrap();
        out.push(b'\n');
    }
    out
}

/// The parameters of a `top_agents` endpoint.
#[derive(Debug, Clone)]
pub(crate) struct TopAgents {
    pub(crate) days: u32,
    pub(crate) session_id: Option<String>,
}

/// One row of `top_agents`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct AgentRow {
    pub(crate) agent_type: String,
    pub(crate) runs: u64,
    pub(crate) total_tokens: i64,
    pub(crate) avg_ms: f64,
}

impl Pipe for TopAgents {
    const NAME: &'static str = "top_agents";
    type Output = AgentRow;

    fn params(&self) -> Vec<(&'static str, String)> {
        let mut params = vec![("days", self.days.to_string())];
        if let Some(session_id) = &self.session_id {
            params.push(("session_id", session_id.clone()));
        }
        params
    }

    fn schema() -> PipeSchema {
        PipeSchema {
            name: Self::NAME,
            description: None,
            nodes: Vec::new(),
            params: Vec::new(),
            kind: atel_sdk::PipeKind::Endpoint,
            tokens: Vec::new(),
        }
    }
}

/// A request body as sent before compression (gzip or zstd, by its `Content-Encoding`).
pub(crate) fn plain_body(request: &wiremock::Request) -> Vec<u8> {
    use std::io::Read as _;
    let encoding = request
        .headers
        .get("content-encoding")
        .map(|v| v.to_str().unwrap().to_owned());
    match encoding.as_deref() {
        None => request.body.clone(),
        Some("gzip") => {
            let mut plain = Vec::new();
            flate2::read::GzDecoder::new(&request.body[..])
                .read_to_end(&mut plain)
                .unwrap();
            plain
        }
        Some("zstd") => zstd::decode_all(&request.body[..]).unwrap(),
        Some(other) => panic!("unexpected content-encoding {other}"),
    }
}

/// Answers an Events API request as Tinybird does, counting the rows it got.
pub(crate) struct CountRows;

impl wiremock::Respond for CountRows {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        let rows = plain_body(request)
            .split(|&b| b == b'\n')
            .filter(|line| !line.is_empty())
            .count();
        ResponseTemplate::new(200)
            .set_body_json(serde_json::json!({"successful_rows": rows, "quarantined_rows": 0}))
    }
}
