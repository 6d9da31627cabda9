//! Typed queries of pipes and SQL: GET or POST, decoding, decode errors.

use atel_sdk::Error;
use atel_sdk::error::Report;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use wiremock::matchers::{
    body_string_contains, header, method, path, query_param, query_param_is_missing,
};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{AgentRow, TopAgents, catch_all, client};

fn pipe_answer(data: &serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "meta": [
            {"name": "agent_type", "type": "LowCardinality(String)"},
            {"name": "runs", "type": "UInt64"},
            {"name": "total_tokens", "type": "Int64"},
            {"name": "avg_ms", "type": "Float64"}
        ],
        "data": data,
        "rows": 2,
        "statistics": {"elapsed": 0.001, "rows_read": 10, "bytes_read": 100}
    }))
}

#[tokio::test]
async fn a_pipe_is_queried_with_its_params_and_64_bit_ints_as_strings_decode() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("GET"))
        .and(path("/v0/pipes/top_agents.json"))
        .and(query_param("days", "7"))
        .and(query_param("session_id", "s-1"))
        .respond_with(pipe_answer(&json!([
            {"agent_type": "Explore", "runs": "18446744073709551615", "total_tokens": "-12", "avg_ms": 1.5},
            {"agent_type": "Plan", "runs": 3, "total_tokens": 40, "avg_ms": "2.25"}
        ])))
        .expect(1)
        .mount(&server)
        .await;

    let rows = client(&server)
        .query(&TopAgents {
            days: 7,
            session_id: Some("s-1".into()),
        })
        .await
        .unwrap();
    assert_eq!(
        rows,
        [
            AgentRow {
                agent_type: "Explore".into(),
                runs: u64::MAX,
                total_tokens: -12,
                avg_ms: 1.5
            },
            AgentRow {
                agent_type: "Plan".into(),
                runs: 3,
                total_tokens: 40,
                avg_ms: 2.25
            },
        ]
    );
}

#[tokio::test]
async fn absent_params_are_left_out_and_empty_data_is_no_rows() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("GET"))
        .and(path("/v0/pipes/top_agents.json"))
        .and(query_param("days", "1"))
        .and(query_param_is_missing("session_id"))
        .respond_with(pipe_answer(&json!([])))
        .expect(1)
        .mount(&server)
        .await;

    let rows = client(&server)
        .query(&TopAgents {
            days: 1,
            session_id: None,
        })
        .await
        .unwrap();
    assert!(rows.is_empty());
}

#[tokio::test]
async fn a_long_query_switches_to_a_post_form() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let long = "x".repeat(5000);
    Mock::given(method("POST"))
        .and(path("/v0/pipes/top_agents.json"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string_contains(format!("days=30&session_id={long}")))
        .respond_with(pipe_answer(&json!([])))
        .expect(1)
        .mount(&server)
        .await;

    let rows = client(&server)
        .query(&TopAgents {
            days: 30,
            session_id: Some(long),
        })
        .await
        .unwrap();
    assert!(rows.is_empty());
    let request = &server.received_requests().await.unwrap()[0];
    assert_eq!(request.url.query(), None, "nothing left in the URL");
}

#[tokio::test]
async fn a_row_that_does_not_fit_names_pipe_row_and_column() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("GET"))
        .and(path("/v0/pipes/top_agents.json"))
        .respond_with(pipe_answer(&json!([
            {"agent_type": "Explore", "runs": 1, "total_tokens": 2, "avg_ms": 3.0},
            {"agent_type": "Plan", "runs": "many", "total_tokens": 2, "avg_ms": 3.0}
        ])))
        .expect(1)
        .mount(&server)
        .await;

    let err = client(&server)
        .query(&TopAgents {
            days: 7,
            session_id: None,
        })
        .await
        .unwrap_err();
    assert_eq!(
        Report(&err).to_string(),
        "could not decode the response of pipe `top_agents` (row 1, column `runs`): \
         invalid type: string \"many\", expected u64"
    );
    let Error::Decode { body, column, .. } = err else {
        unreachable!()
    };
    assert_eq!(column.as_deref(), Some("runs"));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["runs"],
        "many"
    );
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_decode_error_with_a_truncated_body() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("GET"))
        .and(path("/v0/pipes/top_agents.json"))
        .respond_with(ResponseTemplate::new(200).set_body_string("y".repeat(5000)))
        .expect(1)
        .mount(&server)
        .await;

    let err = client(&server)
        .query(&TopAgents {
            days: 7,
            session_id: None,
        })
        .await
        .unwrap_err();
    let Error::Decode {
        context, row, body, ..
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!(context, "the response of pipe `top_agents`");
    assert_eq!(row, None);
    assert_eq!(body, format!("{}… (5000 bytes in all)", "y".repeat(1024)));
}

#[tokio::test]
async fn a_template_error_is_an_api_error() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let message = "[Error] Template Syntax Error: Error validating 'abc' to type Int32";
    Mock::given(method("GET"))
        .and(path("/v0/pipes/top_agents.json"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": message})))
        .expect(1)
        .mount(&server)
        .await;

    let err = client(&server)
        .query(&TopAgents {
            days: 7,
            session_id: None,
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Api { status: 400, message: m, documentation: None } if m == message),
        "{err:?}"
    );
}

#[derive(Debug, PartialEq, Deserialize)]
struct Recent {
    session_id: String,
    #[serde(with = "atel_sdk::client::de::datetime")]
    last_seen: DateTime<Utc>,
    rows: u64,
}

#[tokio::test]
async fn sql_appends_format_json_and_decodes_datetime64() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("GET"))
        .and(path("/v0/sql"))
        .and(query_param(
            "q",
            "SELECT session_id, max(timestamp) AS last_seen, count() AS rows FROM agent_activations GROUP BY session_id FORMAT JSON",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "meta": [{"name": "session_id", "type": "String"}, {"name": "last_seen", "type": "DateTime64(3)"}, {"name": "rows", "type": "UInt64"}],
            "data": [{"session_id": "s-1", "last_seen": "2026-11-25 09:00:00.123", "rows": "5"}],
            "rows": 1
        })))
        .expect(2)
        .mount(&server)
        .await;

    let sql = "SELECT session_id, max(timestamp) AS last_seen, count() AS rows FROM agent_activations GROUP BY session_id;";
    let client = client(&server);
    let rows: Vec<Recent> = client.sql(sql).await.unwrap();
    assert_eq!(
        rows,
        [Recent {
            session_id: "s-1".into(),
            last_seen: "2026-11-25T09:00:00.123Z".parse().unwrap(),
            rows: 5,
        }]
    );
    let whole = client.sql_json(sql).await.unwrap();
    assert_eq!(whole["rows"], 1);
    assert_eq!(whole["meta"][1]["type"], "DateTime64(3)");
}

#[tokio::test]
async fn sql_refuses_another_format_without_sending() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let err = client(&server)
        .sql::<serde_json::Value>("SELECT 1 FORMAT CSV")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}
