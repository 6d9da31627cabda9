//! The fault proxy against a tiny upstream that answers every request `200` with
//! `{"successful_rows": <lines in the body>}`, driven by a raw HTTP/1.1 client.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use atel_tests::fault_proxy::{Fault, FaultProxy};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// Starts the upstream; returns its URL and how many requests it has read.
async fn upstream() -> (String, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let counter = Arc::clone(&counter);
            tokio::spawn(async move {
                let mut buffer = Vec::new();
                while let Some((_, body)) = read_one(&mut stream, &mut buffer).await {
                    counter.fetch_add(1, Ordering::SeqCst);
                    let rows = body
                        .split(|b| *b == b'\n')
                        .filter(|l| !l.is_empty())
                        .count();
                    let answer = format!(r#"{{"successful_rows":{rows},"quarantined_rows":0}}"#);
                    let reply = format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{answer}",
                        answer.len()
                    );
                    if stream.write_all(reply.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (url, seen)
}

/// Reads one message with a `Content-Length` (or none: no body); returns its head and body.
async fn read_one(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<(String, Vec<u8>)> {
    loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..at]).into_owned();
            let length = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap())
                })
                .unwrap_or(0);
            while buffer.len() < at + 4 + length {
                if stream.read_buf(buffer).await.ok()? == 0 {
                    return None;
                }
            }
            let body = buffer[at + 4..at + 4 + length].to_vec();
            buffer.drain(..at + 4 + length);
            return Some((head, body));
        }
        if stream.read_buf(buffer).await.ok()? == 0 {
            return None;
        }
    }
}

fn events_request(lines: usize) -> Vec<u8> {
    let body = "{}\n".repeat(lines);
    format!(
        "POST /v0/events?name=x HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

async fn connect(proxy: &FaultProxy) -> std::io::Result<TcpStream> {
    TcpStream::connect(proxy.url.trim_start_matches("http://")).await
}

/// Sends a request on `stream` and reads the answer's head and body.
async fn exchange(stream: &mut TcpStream, lines: usize) -> Option<(String, Vec<u8>)> {
    stream.write_all(&events_request(lines)).await.ok()?;
    read_one(stream, &mut Vec::new()).await
}

#[tokio::test]
async fn pass_through_keeps_the_connection_alive_and_counts_written_rows() {
    let (url, seen) = upstream().await;
    let proxy = FaultProxy::start(&url).await;
    let mut stream = connect(&proxy).await.unwrap();
    for lines in [3, 4] {
        let (head, body) = exchange(&mut stream, lines).await.unwrap();
        assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
        assert_eq!(
            String::from_utf8(body).unwrap(),
            format!(r#"{{"successful_rows":{lines},"quarantined_rows":0}}"#)
        );
    }
    assert_eq!(seen.load(Ordering::SeqCst), 2);
    let stats = proxy.stats();
    assert_eq!(
        (stats.requests, stats.forwarded, stats.written_rows),
        (2, 2, 7)
    );
}

#[tokio::test]
async fn answers_429_and_500_without_forwarding() {
    let (url, seen) = upstream().await;
    let proxy = FaultProxy::start(&url).await;
    proxy
        .set(Fault::TooManyRequests {
            retry_after: Duration::from_millis(1500),
        })
        .await;
    let mut stream = connect(&proxy).await.unwrap();
    let (head, _) = exchange(&mut stream, 1).await.unwrap();
    assert!(head.starts_with("HTTP/1.1 429"), "{head}");
    assert!(head.contains("Retry-After: 2"), "{head}");
    proxy.set(Fault::ServerError).await;
    // The same kept-alive connection gets the new fault.
    let (head, body) = exchange(&mut stream, 1).await.unwrap();
    assert!(head.starts_with("HTTP/1.1 500"), "{head}");
    assert!(String::from_utf8(body).unwrap().contains("\"error\""));
    assert_eq!(seen.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn refuse_stops_listening_and_pass_through_listens_again_on_the_same_port() {
    let (url, _) = upstream().await;
    let proxy = FaultProxy::start(&url).await;
    let mut open = connect(&proxy).await.unwrap();
    proxy.set(Fault::Refuse).await;
    let refused = connect(&proxy).await.unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
    // A connection opened before is closed at its next request.
    assert!(exchange(&mut open, 1).await.is_none());
    proxy.set(Fault::PassThrough).await;
    let mut stream = connect(&proxy).await.unwrap();
    let (head, _) = exchange(&mut stream, 1).await.unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
}

#[tokio::test]
async fn answer_late_forwards_at_once_and_answers_after_the_delay() {
    let (url, seen) = upstream().await;
    let proxy = FaultProxy::start(&url).await;
    proxy
        .set(Fault::AnswerLate(Duration::from_millis(400)))
        .await;
    let mut stream = connect(&proxy).await.unwrap();
    let started = Instant::now();
    stream.write_all(&events_request(2)).await.unwrap();
    let mut buffer = Vec::new();
    let early = tokio::time::timeout(
        Duration::from_millis(200),
        read_one(&mut stream, &mut buffer),
    )
    .await;
    assert!(early.is_err(), "no answer yet");
    assert_eq!(seen.load(Ordering::SeqCst), 1, "the server has the request");
    assert_eq!(proxy.stats().written_rows, 2);
    let (head, _) = read_one(&mut stream, &mut buffer).await.unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(started.elapsed() >= Duration::from_millis(400));
}

#[tokio::test]
async fn hang_never_answers_and_reset_resets() {
    let (url, seen) = upstream().await;
    let proxy = FaultProxy::start(&url).await;
    proxy.set(Fault::Hang).await;
    let mut stream = connect(&proxy).await.unwrap();
    let hung = tokio::time::timeout(Duration::from_millis(300), exchange(&mut stream, 1)).await;
    assert!(hung.is_err());

    proxy.set(Fault::Reset).await;
    let mut stream = connect(&proxy).await.unwrap();
    stream.write_all(&events_request(1)).await.unwrap();
    let mut byte = [0_u8; 1];
    let err = stream.read(&mut byte).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset);
    assert_eq!(seen.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn flapping_alternates_between_the_fault_and_pass_through() {
    let (url, seen) = upstream().await;
    let proxy = FaultProxy::start(&url).await;
    proxy
        .set(Fault::Flapping(Box::new(Fault::ServerError)))
        .await;
    let mut stream = connect(&proxy).await.unwrap();
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let (head, _) = exchange(&mut stream, 1).await.unwrap();
        statuses.push(head[9..12].to_owned());
    }
    assert_eq!(statuses, ["500", "200", "500", "200"]);
    assert_eq!(seen.load(Ordering::SeqCst), 2);
}
