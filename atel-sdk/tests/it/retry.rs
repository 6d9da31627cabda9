//! Retries: what is retried, how long the client waits, when it stops.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use atel_sdk::Error;
use atel_sdk::TinybirdClient;
use atel_sdk::error::Report;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{TOKEN, activations, catch_all, client, fast_retry};

const OK_BODY: &str = r#"{"successful_rows": 3, "quarantined_rows": 0}"#;

async fn events_ok(server: &MockServer, times: u64) {
    Mock::given(method("POST"))
        .and(path("/v0/events"))
        .respond_with(ResponseTemplate::new(200).set_body_string(OK_BODY))
        .expect(times)
        .mount(server)
        .await;
}

async fn events_fail_once(server: &MockServer, response: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path("/v0/events"))
        .respond_with(response)
        .up_to_n_times(1)
        .expect(1)
        .with_priority(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_503_is_retried_once_then_succeeds() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    events_fail_once(
        &server,
        ResponseTemplate::new(503).set_body_string("upstream down"),
    )
    .await;
    events_ok(&server, 1).await;

    let summary = client(&server).ingest(&activations(3)).await.unwrap();
    assert_eq!(summary.successful_rows, 3);
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 2);
    assert_eq!(
        received[0].body, received[1].body,
        "the retry sends the same rows"
    );
}

#[tokio::test]
async fn a_429_waits_retry_after_seconds() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    events_fail_once(
        &server,
        ResponseTemplate::new(429)
            .insert_header("retry-after", "1")
            .set_body_string(r#"{"error": "Too many requests"}"#),
    )
    .await;
    events_ok(&server, 1).await;

    let started = Instant::now();
    let _ = client(&server).ingest(&activations(3)).await.unwrap();
    let waited = started.elapsed();
    // The backoff alone is at most 4 ms; only Retry-After explains a one-second wait.
    assert!(waited >= Duration::from_secs(1), "waited {waited:?}");
    assert!(waited < Duration::from_secs(3), "waited {waited:?}");
}

#[tokio::test]
async fn a_429_without_retry_after_uses_x_ratelimit_reset() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    events_fail_once(
        &server,
        ResponseTemplate::new(429).insert_header("x-ratelimit-reset", "1"),
    )
    .await;
    events_ok(&server, 1).await;

    let started = Instant::now();
    let _ = client(&server).ingest(&activations(3)).await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1));
}

#[tokio::test]
async fn rate_limited_until_attempts_run_out() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v0/events"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .expect(3)
        .mount(&server)
        .await;

    let err = client(&server).ingest(&activations(1)).await.unwrap_err();
    assert!(
        matches!(err, Error::RateLimited { retry_after: Some(wait) } if wait.is_zero()),
        "{err:?}"
    );
}

#[tokio::test]
async fn retry_after_past_the_deadline_gives_up_at_once() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v0/events"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "30"))
        .expect(1)
        .mount(&server)
        .await;
    let client = TinybirdClient::builder()
        .token(TOKEN)
        .base_url(server.uri())
        .retry(fast_retry(5))
        .deadline(Duration::from_secs(5))
        .build()
        .unwrap();

    let started = Instant::now();
    let err = client.ingest(&activations(1)).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(
        matches!(err, Error::RateLimited { retry_after: Some(wait) } if wait == Duration::from_secs(30)),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "rate limited by Tinybird (retry after 30s)"
    );
}

#[tokio::test]
async fn client_errors_are_never_retried() {
    for status in [400, 403, 404, 413] {
        let server = MockServer::start().await;
        catch_all(&server).await;
        Mock::given(method("POST"))
            .and(path("/v0/events"))
            .respond_with(ResponseTemplate::new(status).set_body_string(
                r#"{"error": "nope", "documentation": "https://www.tinybird.co/docs/api-reference"}"#,
            ))
            .expect(1)
            .mount(&server)
            .await;

        let err = client(&server).ingest(&activations(1)).await.unwrap_err();
        match err {
            Error::Api {
                status: got,
                message,
                documentation,
            } => {
                assert_eq!(got, status);
                assert_eq!(message, "nope");
                assert_eq!(
                    documentation.as_deref(),
                    Some("https://www.tinybird.co/docs/api-reference")
                );
            }
            other => panic!("{status}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn server_errors_are_retried_until_attempts_run_out() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v0/events"))
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>Bad Gateway</html>\n"))
        .expect(3)
        .mount(&server)
        .await;

    let err = client(&server).ingest(&activations(1)).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "Tinybird API error 502: <html>Bad Gateway</html>"
    );
}

#[tokio::test]
async fn a_slow_attempt_times_out_and_is_retried() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v0/events"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(OK_BODY)
                .set_delay(Duration::from_secs(5)),
        )
        .expect(2)
        .mount(&server)
        .await;
    let client = TinybirdClient::builder()
        .token(TOKEN)
        .base_url(server.uri())
        .retry(fast_retry(2))
        .timeout(Duration::from_millis(150))
        .build()
        .unwrap();

    let started = Instant::now();
    let err = client.ingest(&activations(1)).await.unwrap_err();
    let elapsed = started.elapsed();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
}

#[tokio::test]
async fn the_deadline_stops_retries() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v0/events"))
        .respond_with(ResponseTemplate::new(503).set_delay(Duration::from_millis(150)))
        .mount(&server)
        .await;
    let client = TinybirdClient::builder()
        .token(TOKEN)
        .base_url(server.uri())
        .retry(fast_retry(50))
        .deadline(Duration::from_millis(400))
        .build()
        .unwrap();

    let started = Instant::now();
    let err = client.ingest(&activations(1)).await.unwrap_err();
    let elapsed = started.elapsed();
    let attempts = server.received_requests().await.unwrap().len();
    // 50 attempts were allowed; the 400 ms deadline leaves room for three 150 ms ones at most.
    assert!((2..=3).contains(&attempts), "{attempts} attempts");
    assert!(elapsed < Duration::from_millis(700), "{elapsed:?}");
    assert!(
        matches!(err, Error::Timeout { .. } | Error::Api { status: 503, .. }),
        "{err:?}"
    );
}

/// A bare HTTP server that reads each request, resets the first `resets` connections, and answers the
/// rest with `body`. Returns its URL and the number of connections it saw.
async fn resetting_server(resets: usize, body: &'static str) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            read_request(&mut socket).await;
            if n < resets {
                // RST instead of FIN: the client sees "connection reset by peer".
                socket.set_zero_linger().unwrap();
                drop(socket);
                continue;
            }
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            socket.write_all(response.as_bytes()).await.unwrap();
        }
    });
    (url, seen)
}

async fn read_request(socket: &mut TcpStream) {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = socket.read(&mut buf).await.unwrap_or(0);
        if n == 0 {
            return;
        }
        data.extend_from_slice(&buf[..n]);
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if data.len() >= end + 4 + length {
                return;
            }
        }
    }
}

#[tokio::test]
async fn a_reset_connection_is_retried() {
    let (url, seen) = resetting_server(1, OK_BODY).await;
    let client = TinybirdClient::builder()
        .token(TOKEN)
        .base_url(url)
        .retry(fast_retry(3))
        .build()
        .unwrap();

    let summary = client.ingest(&activations(3)).await.unwrap();
    assert_eq!(summary.successful_rows, 3);
    assert_eq!(seen.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error_after_all_attempts() {
    // Bind then drop: nothing listens on this port any more.
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = TinybirdClient::builder()
        .token(TOKEN)
        .base_url(format!("http://127.0.0.1:{port}"))
        .retry(fast_retry(2))
        .build()
        .unwrap();

    let err = client.ingest(&activations(1)).await.unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert!(
        Report(&err)
            .to_string()
            .starts_with("could not reach Tinybird: "),
        "{err}"
    );
}

#[tokio::test]
async fn an_absurd_retry_after_gives_up_at_once_without_panicking() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v0/events"))
        .respond_with(
            ResponseTemplate::new(429).insert_header("retry-after", "18446744073709551615"),
        )
        .expect(1)
        .mount(&server)
        .await;

    let started = Instant::now();
    let err = client(&server).ingest(&activations(1)).await.unwrap_err();
    assert!(matches!(err, Error::RateLimited { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
}
