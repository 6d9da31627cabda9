//! Streamed rows against wiremock: rows split across chunks, a row that does not fit, retries of the
//! request before the body, refusals.

use atel_sdk::Error;
use atel_sdk::error::Report;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{AgentRow, TopAgents, catch_all, client};

fn params() -> TopAgents {
    TopAgents {
        days: 7,
        session_id: None,
    }
}

const NDJSON: &str = "{\"agent_type\":\"Explore\",\"runs\":\"3\",\"total_tokens\":\"-1\",\"avg_ms\":1.5}\n\n\
{\"agent_type\":\"Plan\",\"runs\":4,\"total_tokens\":2,\"avg_ms\":\"0.5\"}";

#[tokio::test]
async fn rows_stream_from_ndjson_and_the_request_is_retried_before_the_body() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("GET"))
        .and(path("/v0/pipes/top_agents.ndjson"))
        .and(query_param("days", "7"))
        .respond_with(ResponseTemplate::new(503).set_body_string("busy"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v0/pipes/top_agents.ndjson"))
        .respond_with(ResponseTemplate::new(200).set_body_string(NDJSON))
        .expect(1)
        .mount(&server)
        .await;
    let mut stream = client(&server).query_stream(&params()).await.unwrap();
    let first = stream.next_row().await.unwrap().unwrap();
    assert_eq!(
        first,
        AgentRow {
            agent_type: "Explore".into(),
            runs: 3,
            total_tokens: -1,
            avg_ms: 1.5
        }
    );
    // The last line has no newline: still a row.
    let second = stream.next_row().await.unwrap().unwrap();
    assert_eq!((second.agent_type.as_str(), second.runs), ("Plan", 4));
    assert!(stream.next_row().await.is_none());
    assert!(stream.next_row().await.is_none());
    assert_eq!(stream.bytes_received(), NDJSON.len() as u64);
}

#[tokio::test]
async fn a_row_that_does_not_fit_ends_the_stream_with_its_index_and_column() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let body = format!(
        "{NDJSON}\n{{\"agent_type\":\"x\",\"runs\":\"many\",\"total_tokens\":0,\"avg_ms\":0}}\n"
    );
    Mock::given(method("GET"))
        .and(path("/v0/pipes/top_agents.ndjson"))
        .respond_with(ResponseTemplate::new(200).set_body_string(body))
        .mount(&server)
        .await;
    let mut stream = client(&server).query_stream(&params()).await.unwrap();
    assert!(stream.next_row().await.unwrap().is_ok());
    assert!(stream.next_row().await.unwrap().is_ok());
    let err = stream.next_row().await.unwrap().unwrap_err();
    assert_eq!(
        Report(&err).to_string(),
        "could not decode the stream of pipe `top_agents` (row 2, column `runs`): \
         invalid type: string \"many\", expected u64"
    );
    assert!(stream.next_row().await.is_none(), "the first error ends it");
}

#[tokio::test]
async fn a_refused_stream_is_an_api_error_sent_once() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("GET"))
        .and(path("/v0/sql"))
        .and(query_param("q", "SELECT 1 AS n FORMAT JSONEachRow"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(serde_json::json!({"error": "bad query"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .sql_stream::<serde_json::Value>("SELECT 1 AS n;")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Api { status: 400, .. }), "{err:?}");
}
