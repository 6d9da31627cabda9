//! The client's tracing events: one per request attempt with method, path, status, attempt and
//! elapsed time, and never the token or row data.
//!
//! Its own test binary with a global subscriber: tracing caches per callsite whether anyone listens,
//! and tests on other threads of a shared binary can cache "no" while a scoped subscriber is set.

use std::fmt::{self, Write as _};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use atel_sdk::TinybirdClient;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

#[allow(
    dead_code,
    reason = "the helpers are shared with the `it` binary; this one uses a few"
)]
#[path = "it/common.rs"]
mod common;

use common::{TOKEN, activations, catch_all, fast_retry};

fn client_for(url: &str) -> TinybirdClient {
    TinybirdClient::builder()
        .token(TOKEN)
        .base_url(url)
        .retry(fast_retry(2))
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap()
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
    tracing::subscriber::set_global_default(capture.clone()).expect("the only subscriber");
    let _ = client_for(&server.uri())
        .ingest(&activations(3))
        .await
        .unwrap();

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
