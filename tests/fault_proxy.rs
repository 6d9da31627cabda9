//! A fault-injecting HTTP/1.1 proxy in front of `tinybird/local`, switched between faults at run time.
//!
//! It listens on `127.0.0.1`, reads each request whole (head, then a `Content-Length` or chunked body),
//! and decides what to do with it by the fault in force *when the request arrives*, so a kept-alive
//! connection sees a switch at its next request:
//!
//! | fault | what the client sees | does the server see the request? |
//! |---|---|---|
//! | [`Fault::PassThrough`] | the server's answer, byte for byte | yes |
//! | [`Fault::Refuse`] | connection refused (the proxy stops listening; open connections are closed at their next request) | no |
//! | [`Fault::TooManyRequests`] | `429` with `Retry-After` | no |
//! | [`Fault::ServerError`] | `500` with a Tinybird-style JSON error | no |
//! | [`Fault::Hang`] | a connection that never answers | no |
//! | [`Fault::AnswerLate`] | the server's answer, written only after a delay | yes: the server writes at once |
//! | [`Fault::Reset`] | the connection reset (RST) once the request is in | no |
//! | [`Fault::Flapping`] | every other request gets the inner fault, the rest pass through | every other one |
//!
//! Requests and their bodies are forwarded unchanged (gzip bodies stay gzip); answers likewise. The
//! proxy also counts what it saw ([`Stats`]), notably the rows the server said it wrote
//! (`successful_rows` of every `/v0/events` answer it got, delivered to the client or not): the rows
//! that really reached the table, whatever later merges drop.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;

/// The most a request or answer head may hold.
const MAX_HEAD: usize = 64 * 1024;

/// What the proxy does with the next requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Forward the request and its answer unchanged.
    PassThrough,
    /// Stop listening: new connections are refused, open ones closed at their next request.
    Refuse,
    /// Answer `429 Too Many Requests` with `Retry-After` (whole seconds, rounded up).
    TooManyRequests {
        /// What `Retry-After` says.
        retry_after: Duration,
    },
    /// Answer `500` with `{"error": …}`.
    ServerError,
    /// Take the request and never answer (until the client closes the connection).
    Hang,
    /// Forward the request at once (the server acts on it), hold its answer for this long, then send it.
    AnswerLate(Duration),
    /// Reset the connection (RST) once the request has been read, without forwarding it.
    Reset,
    /// Alternate per request: the first gets the inner fault, the next passes through, and so on.
    Flapping(Box<Self>),
}

/// What the proxy saw since it started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Requests read from clients.
    pub requests: u64,
    /// Requests forwarded to the server.
    pub forwarded: u64,
    /// Rows the server said it wrote (`successful_rows` of its `/v0/events` answers).
    pub written_rows: u64,
}

/// A running proxy; stops when dropped (the runtime's tasks end with the runtime).
#[derive(Debug)]
pub struct FaultProxy {
    /// The proxy's base URL, e.g. `http://127.0.0.1:40123`.
    pub url: String,
    listening: watch::Receiver<bool>,
    shared: Arc<Shared>,
    accept: tokio::task::JoinHandle<()>,
}

#[derive(Debug)]
struct Shared {
    upstream: SocketAddr,
    /// Requests seen by [`Fault::Flapping`]: odd ones pass.
    flaps: AtomicU64,
    requests: AtomicU64,
    forwarded: AtomicU64,
    written_rows: AtomicU64,
    /// The fault in force.
    fault: watch::Sender<Fault>,
}

impl FaultProxy {
    /// Starts a pass-through proxy to `upstream` (a base URL like `http://127.0.0.1:7181`) on a free
    /// port, within the current tokio runtime.
    ///
    /// # Panics
    /// When `upstream` is not an `http://host:port` URL or no port can be bound.
    pub async fn start(upstream: &str) -> Self {
        let authority = upstream
            .strip_prefix("http://")
            .expect("an http:// upstream")
            .trim_end_matches('/');
        let upstream = tokio::net::lookup_host(authority)
            .await
            .expect("resolve the upstream")
            .next()
            .expect("an upstream address");
        let listener = bind("127.0.0.1:0".parse().expect("an address")).expect("bind the proxy");
        let addr = listener.local_addr().expect("the proxy's address");
        let (fault, fault_rx) = watch::channel(Fault::PassThrough);
        let (listening_tx, listening) = watch::channel(true);
        let shared = Arc::new(Shared {
            upstream,
            flaps: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            forwarded: AtomicU64::new(0),
            written_rows: AtomicU64::new(0),
            fault,
        });
        let accept = tokio::spawn(accept_loop(
            listener,
            addr,
            fault_rx,
            listening_tx,
            Arc::clone(&shared),
        ));
        Self {
            url: format!("http://{addr}"),
            listening,
            shared,
            accept,
        }
    }

    /// Switches to `fault`; returns once the listener is in the matching state (closed for
    /// [`Fault::Refuse`], open otherwise).
    ///
    /// # Panics
    /// When the accept task is gone (it panicked: the port could not be bound again).
    pub async fn set(&self, fault: Fault) {
        let listen = fault != Fault::Refuse;
        self.shared.flaps.store(0, Ordering::Relaxed);
        self.shared.fault.send_replace(fault);
        let mut listening = self.listening.clone();
        listening
            .wait_for(|now| *now == listen)
            .await
            .expect("the proxy's accept task is running");
    }

    /// What the proxy saw so far.
    pub fn stats(&self) -> Stats {
        Stats {
            requests: self.shared.requests.load(Ordering::Relaxed),
            forwarded: self.shared.forwarded.load(Ordering::Relaxed),
            written_rows: self.shared.written_rows.load(Ordering::Relaxed),
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// A listener on `addr` with `SO_REUSEADDR`, so the port can be bound again after [`Fault::Refuse`].
fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

async fn accept_loop(
    listener: TcpListener,
    addr: SocketAddr,
    mut fault: watch::Receiver<Fault>,
    listening: watch::Sender<bool>,
    shared: Arc<Shared>,
) {
    let mut listener = Some(listener);
    loop {
        let refuse = *fault.borrow_and_update() == Fault::Refuse;
        if refuse {
            listener = None;
        } else if listener.is_none() {
            listener = Some(bind(addr).expect("bind the proxy's port again"));
        }
        listening.send_replace(listener.is_some());
        match &listener {
            Some(open) => tokio::select! {
                accepted = open.accept() => {
                    if let Ok((stream, _)) = accepted {
                        let _ = stream.set_nodelay(true);
                        tokio::spawn(serve(stream, Arc::clone(&shared)));
                    }
                }
                changed = fault.changed() => if changed.is_err() { return },
            },
            None => {
                if fault.changed().await.is_err() {
                    return;
                }
            }
        }
    }
}

/// What one request gets, decided when it arrives.
enum Action {
    Forward { delay: Option<Duration> },
    Answer(Vec<u8>),
    Close,
    Hang,
    Reset,
}

impl Shared {
    fn action(&self) -> Action {
        let fault = self.fault.borrow().clone();
        self.action_for(&fault)
    }

    fn action_for(&self, fault: &Fault) -> Action {
        match fault {
            Fault::PassThrough => Action::Forward { delay: None },
            Fault::Refuse => Action::Close,
            Fault::TooManyRequests { retry_after } => {
                let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
                Action::Answer(answer(
                    "429 Too Many Requests",
                    &[("Retry-After", &secs.to_string())],
                    r#"{"error":"Too many requests (fault proxy)"}"#,
                ))
            }
            Fault::ServerError => Action::Answer(answer(
                "500 Internal Server Error",
                &[],
                r#"{"error":"Internal server error (fault proxy)"}"#,
            )),
            Fault::Hang => Action::Hang,
            Fault::AnswerLate(delay) => Action::Forward {
                delay: Some(*delay),
            },
            Fault::Reset => Action::Reset,
            Fault::Flapping(inner) => {
                if self.flaps.fetch_add(1, Ordering::Relaxed).is_multiple_of(2) {
                    self.action_for(inner)
                } else {
                    Action::Forward { delay: None }
                }
            }
        }
    }
}

fn answer(status: &str, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut text = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (key, value) in headers {
        let _ = write!(text, "{key}: {value}\r\n");
    }
    text.push_str("\r\n");
    text.push_str(body);
    text.into_bytes()
}

/// Serves one client connection, request after request, until either side closes it.
async fn serve(mut client: TcpStream, shared: Arc<Shared>) {
    let mut from_client = Vec::new();
    let mut upstream: Option<(TcpStream, Vec<u8>)> = None;
    loop {
        let Ok(Some(request)) = read_message(&mut client, &mut from_client, Kind::Request).await
        else {
            return;
        };
        shared.requests.fetch_add(1, Ordering::Relaxed);
        match shared.action() {
            Action::Close => return,
            Action::Answer(bytes) => {
                if client.write_all(&bytes).await.is_err() {
                    return;
                }
            }
            Action::Hang => {
                // Wait for the client to give up; what it sends meanwhile is dropped.
                let mut sink = Vec::new();
                while matches!(client.read_buf(&mut sink).await, Ok(n) if n > 0) {
                    sink.clear();
                }
                return;
            }
            Action::Reset => {
                let _ = client.set_zero_linger();
                return;
            }
            Action::Forward { delay } => {
                let Some(reply) = forward(&shared, &mut upstream, &request).await else {
                    return;
                };
                if let Some(delay) = delay {
                    tokio::time::sleep(delay).await;
                }
                if client.write_all(&reply.bytes).await.is_err() || reply.close {
                    return;
                }
            }
        }
    }
}

/// Sends `request` on the kept-alive upstream connection (opening one when there is none or the
/// server closed it) and reads the answer. `None`: the server could not be reached or broke off.
async fn forward(
    shared: &Shared,
    upstream: &mut Option<(TcpStream, Vec<u8>)>,
    request: &Message,
) -> Option<Reply> {
    // A kept-alive connection the server closed meanwhile fails on first use: retry once, fresh.
    for fresh in [upstream.is_none(), true] {
        if fresh {
            let stream = TcpStream::connect(shared.upstream).await.ok()?;
            let _ = stream.set_nodelay(true);
            *upstream = Some((stream, Vec::new()));
        }
        let (stream, buffer) = upstream.as_mut()?;
        if stream.write_all(&request.bytes).await.is_err() {
            continue;
        }
        shared.forwarded.fetch_add(1, Ordering::Relaxed);
        let kind = Kind::Answer {
            head_request: request.method == "HEAD",
        };
        if let Ok(Some(answer)) = read_message(stream, buffer, kind).await {
            if request.path.starts_with("/v0/events") && answer.status / 100 == 2 {
                let rows = written_rows(&answer);
                shared.written_rows.fetch_add(rows, Ordering::Relaxed);
            }
            let close = answer.close || request.close;
            if close {
                *upstream = None;
            }
            return Some(Reply {
                bytes: answer.bytes,
                close,
            });
        }
        // Written but not answered: the server may have acted on it, so never send it twice.
        *upstream = None;
        return None;
    }
    None
}

struct Reply {
    bytes: Vec<u8>,
    close: bool,
}

/// `successful_rows` of an events answer (its body is JSON with a `Content-Length`).
fn written_rows(answer: &Message) -> u64 {
    let body = answer.bytes.get(answer.body_start..).unwrap_or_default();
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["successful_rows"].as_u64())
        .unwrap_or(0)
}

#[derive(Clone, Copy)]
enum Kind {
    Request,
    Answer { head_request: bool },
}

/// One whole HTTP/1.1 message, as the bytes read.
struct Message {
    bytes: Vec<u8>,
    body_start: usize,
    method: String,
    path: String,
    status: u16,
    /// `Connection: close`, or an answer delimited by the end of the connection.
    close: bool,
}

/// Reads one message from `stream`, `buffer` holding what was read past the previous one. `Ok(None)`:
/// the connection closed cleanly before a new message started.
async fn read_message(
    stream: &mut (impl AsyncRead + Unpin),
    buffer: &mut Vec<u8>,
    kind: Kind,
) -> std::io::Result<Option<Message>> {
    let head_len = loop {
        if let Some(at) = find(buffer, b"\r\n\r\n") {
            break at + 4;
        }
        if buffer.len() > MAX_HEAD {
            return Err(std::io::Error::other("head too large"));
        }
        if fill(stream, buffer).await? == 0 {
            return if buffer.is_empty() {
                Ok(None)
            } else {
                Err(std::io::ErrorKind::UnexpectedEof.into())
            };
        }
    };
    let head = String::from_utf8_lossy(buffer.get(..head_len).unwrap_or_default()).into_owned();
    let mut lines = head.split("\r\n");
    let start = lines.next().unwrap_or_default();
    let mut words = start.split(' ');
    let (first, second) = (
        words.next().unwrap_or_default(),
        words.next().unwrap_or_default(),
    );
    let (mut length, mut chunked, mut close) = (None, false, false);
    for line in lines {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = value.parse::<usize>().ok(),
            "transfer-encoding" => chunked = value.to_ascii_lowercase().contains("chunked"),
            "connection" => close = value.eq_ignore_ascii_case("close"),
            _ => {}
        }
    }
    let (method, path, status) = match kind {
        Kind::Request => (first.to_owned(), second.to_owned(), 0),
        Kind::Answer { .. } => (String::new(), String::new(), second.parse().unwrap_or(0)),
    };
    let bodiless = match kind {
        Kind::Request => !chunked && length.is_none(),
        Kind::Answer { head_request } => {
            head_request || status / 100 == 1 || status == 204 || status == 304
        }
    };
    let end = if bodiless {
        head_len
    } else if chunked {
        chunked_end(stream, buffer, head_len).await?
    } else if let Some(length) = length {
        while buffer.len() < head_len + length {
            if fill(stream, buffer).await? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
        }
        head_len + length
    } else {
        // An answer without a length ends with the connection.
        while fill(stream, buffer).await? > 0 {}
        close = true;
        buffer.len()
    };
    let rest = buffer.split_off(end);
    let bytes = std::mem::replace(buffer, rest);
    Ok(Some(Message {
        bytes,
        body_start: head_len,
        method,
        path,
        status,
        close,
    }))
}

/// Where a chunked body starting at `from` ends (after its last chunk and trailers), reading as needed.
async fn chunked_end(
    stream: &mut (impl AsyncRead + Unpin),
    buffer: &mut Vec<u8>,
    mut at: usize,
) -> std::io::Result<usize> {
    loop {
        let line_end = loop {
            if let Some(i) = find(buffer.get(at..).unwrap_or_default(), b"\r\n") {
                break at + i;
            }
            if fill(stream, buffer).await? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
        };
        let line = String::from_utf8_lossy(buffer.get(at..line_end).unwrap_or_default());
        let size = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16)
            .map_err(std::io::Error::other)?;
        at = line_end + 2;
        if size == 0 {
            // Trailers, then an empty line.
            loop {
                let line_end = loop {
                    if let Some(i) = find(buffer.get(at..).unwrap_or_default(), b"\r\n") {
                        break at + i;
                    }
                    if fill(stream, buffer).await? == 0 {
                        return Err(std::io::ErrorKind::UnexpectedEof.into());
                    }
                };
                let empty = line_end == at;
                at = line_end + 2;
                if empty {
                    return Ok(at);
                }
            }
        }
        while buffer.len() < at + size + 2 {
            if fill(stream, buffer).await? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
        }
        at += size + 2;
    }
}

async fn fill(
    stream: &mut (impl AsyncRead + Unpin),
    buffer: &mut Vec<u8>,
) -> std::io::Result<usize> {
    buffer.reserve(16 * 1024);
    stream.read_buf(buffer).await
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
