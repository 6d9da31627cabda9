//! The token never shows: not in `Debug`, not in any error, not in tracing events.

use std::fmt::Write as _;
use std::time::Duration;

use atel_sdk::client::{DeployOptions, RetryPolicy};
use atel_sdk::{Error, TinybirdClient};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{TOKEN, TopAgents, activations, catch_all, fast_retry};

#[test]
fn error_is_send_sync_static() {
    fn assert_bounds<T: std::error::Error + Send + Sync + 'static>() {}
    assert_bounds::<Error>();
}

#[test]
fn debug_redacts_the_token_and_shows_only_the_origin() {
    let client = TinybirdClient::builder()
        .token(TOKEN)
        .base_url("https://tb.example.com:8443/some/prefix")
        .build()
        .unwrap();
    let debug = format!("{client:?}");
    assert!(!debug.contains(TOKEN), "{debug}");
    assert!(debug.contains("<redacted>"), "{debug}");
    assert!(debug.contains("\"https://tb.example.com:8443\""), "{debug}");
    assert!(!debug.contains("prefix"), "{debug}");

    let builder = TinybirdClient::builder().token(TOKEN);
    assert!(!format!("{builder:?}").contains(TOKEN));
    let source = atel_sdk::client::ConfigSource::empty().var("TINYBIRD_TOKEN", TOKEN);
    assert!(!format!("{source:?}").contains(TOKEN));
}

fn client_for(url: &str) -> TinybirdClient {
    TinybirdClient::builder()
        .token(TOKEN)
        .base_url(url)
        .retry(fast_retry(2))
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap()
}

/// One error of every kind, each produced by a real call with the token configured.
async fn every_error() -> Vec<Error> {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let respond = |route: &'static str, response: ResponseTemplate| {
        Mock::given(path(route)).respond_with(response)
    };
    respond(
        "/v0/events",
        ResponseTemplate::new(403).set_body_string(r#"{"error": "invalid token"}"#),
    )
    .mount(&server)
    .await;
    respond(
        "/v0/pipes/top_agents.json",
        ResponseTemplate::new(200).set_body_string("{\"data\": [1]}"),
    )
    .mount(&server)
    .await;
    respond(
        "/v0/sql",
        ResponseTemplate::new(429).insert_header("retry-after", "0"),
    )
    .mount(&server)
    .await;
    respond("/v1/deploy", ResponseTemplate::new(200).set_body_string(
        r#"{"result": "failed", "deployment": {"errors": [{"filename": "x.pipe", "error": "bad"}]}}"#,
    ))
    .mount(&server)
    .await;
    Mock::given(method("POST"))
        .and(path("/v0/slow/v0/events"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(2)))
        .mount(&server)
        .await;
    let client = client_for(&server.uri());
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join("x.pipe"),
        "NODE n\nSQL >\n    SELECT 1\n",
    )
    .unwrap();

    let slow = TinybirdClient::builder()
        .token(TOKEN)
        .base_url(format!("{}/v0/slow", server.uri()))
        .retry(RetryPolicy::none())
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();

    vec![
        TinybirdClient::builder()
            .token(format!("{TOKEN}\nx"))
            .build()
            .unwrap_err(),
        client_for(&format!("http://{closed}"))
            .ingest(&activations(1))
            .await
            .unwrap_err(),
        slow.ingest_ndjson("x", b"{}\n").await.unwrap_err(),
        client.ingest(&activations(1)).await.unwrap_err(),
        client
            .query(&TopAgents {
                days: 1,
                session_id: None,
            })
            .await
            .unwrap_err(),
        client.sql_json("SELECT 1").await.unwrap_err(),
        client
            .deploy(project.path(), DeployOptions::default())
            .await
            .unwrap_err(),
        atel_sdk::client::IngestSummary {
            successful_rows: 1,
            quarantined_rows: 1,
        }
        .check()
        .unwrap_err(),
    ]
}

#[tokio::test]
async fn no_error_shows_the_token() {
    let errors = every_error().await;
    let kinds: Vec<&str> = errors
        .iter()
        .map(|e| match e {
            Error::Config(_) => "config",
            Error::Transport(_) => "transport",
            Error::Timeout { .. } => "timeout",
            Error::Api { .. } => "api",
            Error::Decode { .. } => "decode",
            Error::RateLimited { .. } => "rate-limited",
            Error::Deploy { .. } => "deploy",
            Error::Quarantined { .. } => "quarantined",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "config",
            "transport",
            "timeout",
            "api",
            "decode",
            "rate-limited",
            "deploy",
            "quarantined"
        ]
    );
    for error in &errors {
        let mut text = format!("{error}\n{error:?}");
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            let _ = write!(text, "\n{cause}\n{cause:?}");
            source = cause.source();
        }
        assert!(!text.contains(TOKEN), "{text}");
        assert!(!text.contains("SECRET"), "{text}");
    }
}
