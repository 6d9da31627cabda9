//! The token never shows: not in `Debug`, not in any error, not in tracing events.

use std::fmt::{self, Write as _};
use std::sync::{Arc, Mutex};
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

/// Collects every tracing event as `name=value` text.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<String>>>);

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        struct Fields(String);
        impl tracing::field::Visit for Fields {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn fmt::Debug) {
                let _ = write!(self.0, "{}={value:?} ", field.name());
            }
        }
        let mut fields = Fields(format!("{} ", event.metadata().level()));
        event.record(&mut fields);
        self.0.lock().unwrap().push(fields.0);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[tokio::test]
async fn tracing_events_describe_requests_without_token_or_rows() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(path("/v0/events"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path("/v0/events"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(r#"{"successful_rows": 2, "quarantined_rows": 1}"#),
        )
        .mount(&server)
        .await;

    let capture = Capture::default();
    let guard = tracing::subscriber::set_default(capture.clone());
    // Other tests, on other threads without a subscriber, may have cached "never" for the client's
    // callsites while this subscriber was being registered; recompute.
    tracing::callsite::rebuild_interest_cache();
    let _ = client_for(&server.uri())
        .ingest(&activations(3))
        .await
        .unwrap();
    drop(guard);

    let events = capture.0.lock().unwrap().clone();
    let all = events.join("\n");
    assert!(!all.contains(TOKEN), "{all}");
    assert!(!all.contains("session-"), "row data leaked: {all}");
    let requests: Vec<&String> = events
        .iter()
        .filter(|e| e.contains("message=tinybird request "))
        .collect();
    assert_eq!(requests.len(), 2, "{all}");
    for (event, (status, attempt)) in requests.iter().zip([(503, 1), (200, 2)]) {
        for field in [
            "method=\"POST\"".to_owned(),
            "path=\"/v0/events\"".to_owned(),
            format!("status={status}"),
            format!("attempt={attempt}"),
            "elapsed_ms=".to_owned(),
        ] {
            assert!(event.contains(&field), "{field} missing from {event}");
        }
    }
    assert!(
        events
            .iter()
            .any(|e| e.starts_with("WARN") && e.contains("quarantined_rows=1")),
        "{all}"
    );
}
