//! `atel-hooks otel --listen ADDR`: the OTLP/HTTP receiver.
//!
//! `POST /v1/logs`, `/v1/metrics`, `/v1/traces` with `application/x-protobuf` or
//! `application/json` (optionally gzip): 200 and an empty `Export*ServiceResponse` in the request's
//! encoding (a partial success when the exporter would drop points); 400 for a body that is not
//! OTLP; 413 past [`MAX_BODY_BYTES`] (compressed or not); 415 for another content type or
//! encoding; 404 elsewhere, 405 for another method; 503 when the spool cannot be written (the
//! client retries). Rows go to the hooks' spool first, then a delivery loop sends the spool about
//! every second (sooner past 1 MiB) through the hooks' delivery path and backoff.
//!
//! One receiver per state directory (`otel.lock`); it exits after `--idle-exit` seconds without a
//! request, after one last delivery.

use std::convert::Infallible;
use std::fs::OpenOptions;
use std::io::Read as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use prost::Message as _;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::proto::{ExportResponse, PartialSuccess};
use super::{Encoding, Redaction, Signal};
use crate::backoff::{self, Turn};
use crate::cli::Outcome;
use crate::config::Config;
use crate::deliver;
use crate::rows::{OtelRow, Row};
use crate::spool::Spool;

/// The largest request body, compressed or decompressed (the collector's and rotel's 20 MiB).
pub const MAX_BODY_BYTES: usize = 20 * 1024 * 1024;

/// How often the spool is delivered while rows arrive.
pub const DELIVERY_PERIOD: Duration = Duration::from_secs(1);

/// Spooled bytes that trigger a delivery before the period ends.
pub const DELIVERY_BYTES: u64 = 1024 * 1024;

/// The bound on one delivery (the receiver has no hook budget to keep).
const DELIVERY_BUDGET: Duration = Duration::from_secs(10);

/// The receiver's options.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where to listen.
    pub listen: SocketAddr,
    /// Exit after this long without a request.
    pub idle_exit: Duration,
    /// Whether content attributes are redacted.
    pub redaction: Redaction,
}

struct State {
    spool: Spool,
    redaction: Redaction,
    /// Bytes spooled since the last delivery.
    pending: AtomicU64,
    /// Milliseconds since `started` of the last request.
    last_request_ms: AtomicU64,
    started: Instant,
    wake: Notify,
    /// Set when the receiver stops: the delivery thread ends.
    stopping: AtomicBool,
}

/// Runs the receiver until it has been idle for `options.idle_exit`.
pub fn run(options: &Options) -> Outcome {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => return Outcome::fail(err),
    };
    let spool = match Spool::open(&config.state_dir) {
        Ok(spool) => spool,
        Err(err) => {
            return Outcome::fail(format!(
                "cannot open the spool in {}: {err}",
                config.state_dir.display()
            ));
        }
    };
    let lock_path = config.state_dir.join("otel.lock");
    let lock = match OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
    {
        Ok(file) => file,
        Err(err) => return Outcome::fail(format!("cannot open {}: {err}", lock_path.display())),
    };
    if lock.try_lock().is_err() {
        return Outcome::fail(format!(
            "another `atel-hooks otel` is running for {}",
            config.state_dir.display()
        ));
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => return Outcome::fail(format!("cannot start the async runtime: {err}")),
    };
    let outcome = runtime.block_on(serve(options, spool));
    runtime.shutdown_background();
    drop(lock);
    outcome.with_warnings(&config.warnings)
}

async fn serve(options: &Options, spool: Spool) -> Outcome {
    let listener = match TcpListener::bind(options.listen).await {
        Ok(listener) => listener,
        Err(err) => return Outcome::fail(format!("cannot listen on {}: {err}", options.listen)),
    };
    let state = Arc::new(State {
        spool,
        redaction: options.redaction,
        pending: AtomicU64::new(0),
        last_request_ms: AtomicU64::new(0),
        started: Instant::now(),
        wake: Notify::new(),
        stopping: AtomicBool::new(false),
    });
    // Deliveries (claiming the spool, compressing, the HTTP round trip) run on their own thread, so a
    // request arriving meanwhile is answered at once.
    let delivery = {
        let state = Arc::clone(&state);
        std::thread::spawn(move || {
            if let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                runtime.block_on(deliver_loop(state));
                runtime.shutdown_background();
            }
        })
    };
    loop {
        let last = Duration::from_millis(state.last_request_ms.load(Ordering::Relaxed));
        let idle_at = state.started + last + options.idle_exit;
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let state = Arc::clone(&state);
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let state = Arc::clone(&state);
                        async move { Ok::<_, Infallible>(handle(&state, request).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
            () = tokio::time::sleep_until(idle_at) => {
                let last_now = Duration::from_millis(state.last_request_ms.load(Ordering::Relaxed));
                if last_now == last {
                    break;
                }
            }
        }
    }
    state.stopping.store(true, Ordering::Relaxed);
    state.wake.notify_one();
    let _ = delivery.join();
    // One last delivery of what the idle period left.
    deliver_once(&state).await;
    Outcome::default()
}

async fn deliver_loop(state: Arc<State>) {
    let mut tick = tokio::time::interval(DELIVERY_PERIOD);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !state.stopping.load(Ordering::Relaxed) {
        tokio::select! {
            _ = tick.tick() => {}
            () = state.wake.notified() => {}
        }
        if !state.stopping.load(Ordering::Relaxed) {
            deliver_once(&state).await;
        }
    }
}

/// Delivers the spool once, when rows wait and the hooks' backoff and delivery lock allow it.
async fn deliver_once(state: &State) {
    if !state.spool.has_rows() {
        return;
    }
    let turn = match Turn::try_take(state.spool.dir()) {
        Ok(Some(turn)) if !turn.backoff.is_waiting(backoff::now_ms()) => turn,
        _ => return,
    };
    state.pending.store(0, Ordering::Relaxed);
    let deadline = Instant::now() + DELIVERY_BUDGET;
    let client = deliver::connect(DELIVERY_BUDGET, deadline).await;
    let delivery = deliver::deliver(
        &state.spool,
        client.as_ref().map_err(String::as_str),
        Some(turn.backoff.claim_cap()),
        deadline,
    )
    .await;
    let _ = turn.record(&delivery);
}

fn respond(status: StatusCode, content_type: &str, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    if let Ok(value) = content_type.parse() {
        response.headers_mut().insert(CONTENT_TYPE, value);
    }
    response
}

/// `google.rpc.Status` (code 1, message 2), the OTLP error body.
#[derive(Clone, PartialEq, prost::Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

fn error(status: StatusCode, encoding: Option<Encoding>, message: &str) -> Response<Full<Bytes>> {
    // gRPC codes: 3 invalid argument, 8 resource exhausted, 14 unavailable, 12 unimplemented.
    let code = match status {
        StatusCode::BAD_REQUEST => 3,
        StatusCode::PAYLOAD_TOO_LARGE => 8,
        StatusCode::SERVICE_UNAVAILABLE => 14,
        _ => 12,
    };
    match encoding {
        Some(Encoding::Protobuf) => respond(
            status,
            "application/x-protobuf",
            RpcStatus {
                code,
                message: message.to_owned(),
            }
            .encode_to_vec(),
        ),
        Some(Encoding::Json) => respond(
            status,
            "application/json",
            serde_json::json!({ "code": code, "message": message })
                .to_string()
                .into_bytes(),
        ),
        None => respond(status, "text/plain", message.as_bytes().to_vec()),
    }
}

fn success(signal: Signal, encoding: Encoding, rejected: i64) -> Response<Full<Bytes>> {
    let message = "a NaN or infinite value: the exporter drops the whole request";
    match encoding {
        Encoding::Protobuf => respond(
            StatusCode::OK,
            "application/x-protobuf",
            ExportResponse {
                partial_success: (rejected > 0).then(|| PartialSuccess {
                    rejected,
                    error_message: message.to_owned(),
                }),
            }
            .encode_to_vec(),
        ),
        Encoding::Json => {
            let body = if rejected > 0 {
                let key = match signal {
                    Signal::Logs => "rejectedLogRecords",
                    Signal::Traces => "rejectedSpans",
                    Signal::Metrics => "rejectedDataPoints",
                };
                serde_json::json!({
                    "partialSuccess": { key: rejected.to_string(), "errorMessage": message }
                })
                .to_string()
            } else {
                "{}".to_owned()
            };
            respond(StatusCode::OK, "application/json", body.into_bytes())
        }
    }
}

/// The encoding a `Content-Type` names (parameters and case ignored).
pub fn encoding_of(content_type: &str) -> Option<Encoding> {
    let media = content_type.split(';').next().unwrap_or_default().trim();
    if media.eq_ignore_ascii_case("application/x-protobuf") {
        Some(Encoding::Protobuf)
    } else if media.eq_ignore_ascii_case("application/json") {
        Some(Encoding::Json)
    } else {
        None
    }
}

/// A gzip body decompressed, at most `limit` bytes (`None` past it); `Err` when not gzip.
pub fn gunzip(body: &[u8], limit: usize) -> Result<Option<Vec<u8>>, std::io::Error> {
    let mut out = Vec::with_capacity(body.len().saturating_mul(4).min(limit));
    flate2::read::GzDecoder::new(body)
        .take(limit as u64 + 1)
        .read_to_end(&mut out)?;
    Ok((out.len() <= limit).then_some(out))
}

async fn handle(state: &State, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let elapsed = u64::try_from(state.started.elapsed().as_millis()).unwrap_or(u64::MAX);
    state.last_request_ms.store(elapsed, Ordering::Relaxed);
    let Some(signal) = Signal::from_path(request.uri().path()) else {
        return error(StatusCode::NOT_FOUND, None, "not found");
    };
    if request.method() != Method::POST {
        return error(StatusCode::METHOD_NOT_ALLOWED, None, "use POST");
    }
    let header = |name| {
        request
            .headers()
            .get(name)
            .and_then(|v: &hyper::header::HeaderValue| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let Some(encoding) = encoding_of(&header(CONTENT_TYPE)) else {
        return error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            None,
            "use application/x-protobuf or application/json",
        );
    };
    let gzip = match header(CONTENT_ENCODING)
        .trim()
        .to_ascii_lowercase()
        .as_str()
    {
        "" | "identity" => false,
        "gzip" => true,
        _ => {
            return error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                Some(encoding),
                "unsupported Content-Encoding (gzip or none)",
            );
        }
    };
    if header(CONTENT_LENGTH)
        .parse::<usize>()
        .is_ok_and(|n| n > MAX_BODY_BYTES)
    {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            Some(encoding),
            "body too large",
        );
    }
    let body = match Limited::new(request.into_body(), MAX_BODY_BYTES)
        .collect()
        .await
    {
        Ok(body) => body.to_bytes(),
        Err(err) if err.is::<http_body_util::LengthLimitError>() => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                Some(encoding),
                "body too large",
            );
        }
        Err(_) => return error(StatusCode::BAD_REQUEST, Some(encoding), "body not read"),
    };
    let body = if gzip {
        match gunzip(&body, MAX_BODY_BYTES) {
            Ok(Some(body)) => Bytes::from(body),
            Ok(None) => {
                return error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    Some(encoding),
                    "decompressed body too large",
                );
            }
            Err(_) => return error(StatusCode::BAD_REQUEST, Some(encoding), "invalid gzip body"),
        }
    } else {
        body
    };
    let export = match super::export(signal, encoding, &body, state.redaction) {
        Ok(export) => export,
        Err(err) => return error(StatusCode::BAD_REQUEST, Some(encoding), &err.0),
    };
    let mut rows = Vec::with_capacity(export.rows.len());
    let mut bytes = 0;
    for (ds, text) in export.rows {
        bytes += text.len() as u64;
        match serde_json::value::RawValue::from_string(text) {
            Ok(json) => rows.push(Row::Otel(OtelRow { ds, json })),
            Err(_) => return error(StatusCode::BAD_REQUEST, Some(encoding), "unencodable row"),
        }
    }
    if let Err(err) = state.spool.append(&rows, false) {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            Some(encoding),
            &format!("cannot write the spool: {err}"),
        );
    }
    if state.pending.fetch_add(bytes, Ordering::Relaxed) + bytes >= DELIVERY_BYTES {
        state.wake.notify_one();
    }
    success(signal, encoding, export.rejected)
}
