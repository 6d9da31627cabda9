//! `atel-hooks dashboard`: a local HTTP server rendering the page on every request.
//!
//! Routes (GET and HEAD only): `/` the dashboard (`?days=N` for another window), `/session/ID` one
//! session's requests (`?days=N`). Pages are rendered here with the Tinybird client's token, which
//! never reaches the browser. Bound to a loopback address (the default), it answers only requests
//! whose `Host` is that address or `localhost` with its port, so a web page elsewhere cannot read it
//! through a DNS name pointed at 127.0.0.1 (DNS rebinding).

use std::convert::Infallible;
use std::io::{self, Write as _};
use std::net::SocketAddr;
use std::time::Duration;

use atel_sdk::TinybirdClient;
use atel_sdk::error::Report;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use super::html::{self, Links};
use super::{Dashboard, SessionPage};

/// How long one page may wait for Tinybird.
const PAGE_BUDGET: Duration = Duration::from_secs(30);

/// What a request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    /// The dashboard over `days`.
    Dashboard { days: u16 },
    /// One session over `days`.
    Session { id: String, days: u16 },
    /// A `Host` this server does not answer for.
    WrongHost,
    /// Not GET or HEAD.
    MethodNotAllowed,
    /// A query that cannot be read (`days=abc`).
    BadRequest(String),
    /// Nothing here.
    NotFound,
}

/// Which request targets the server answers: `loopback` binds accept only their own address or
/// `localhost` (with `port`) as `Host`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hosts {
    pub(crate) addr: SocketAddr,
    pub(crate) loopback_only: bool,
}

impl Hosts {
    fn allows(&self, host: Option<&str>) -> bool {
        if !self.loopback_only {
            return true;
        }
        let Some(host) = host else { return false };
        let port = self.addr.port();
        let ip = self.addr.ip();
        let own = match ip {
            std::net::IpAddr::V4(v4) => format!("{v4}:{port}"),
            std::net::IpAddr::V6(v6) => format!("[{v6}]:{port}"),
        };
        host.eq_ignore_ascii_case(&own) || host.eq_ignore_ascii_case(&format!("localhost:{port}"))
    }
}

/// Reads a request line: method, path and query, `Host`.
pub(crate) fn route(
    method: &Method,
    path: &str,
    query: Option<&str>,
    host: Option<&str>,
    hosts: Hosts,
    default_days: u16,
) -> Route {
    if !hosts.allows(host) {
        return Route::WrongHost;
    }
    if method != Method::GET && method != Method::HEAD {
        return Route::MethodNotAllowed;
    }
    let mut days = default_days;
    for pair in query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if key == "days" {
            match value.parse::<u16>() {
                Ok(n) if n > 0 => days = n,
                _ => {
                    return Route::BadRequest(format!(
                        "days must be a whole number from 1 to {}, not `{value}`",
                        u16::MAX
                    ));
                }
            }
        }
    }
    if path == "/" {
        return Route::Dashboard { days };
    }
    match path.strip_prefix("/session/").map(percent_decode) {
        Some(Some(id)) if !id.is_empty() && !id.contains('/') => Route::Session { id, days },
        _ => Route::NotFound,
    }
}

/// `%XX` decoded; `None` when the result is not UTF-8 or an escape is cut.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// An HTML response with the headers every page gets.
fn page(status: StatusCode, body: String, head_only: bool) -> Response<Full<Bytes>> {
    let body = if head_only { String::new() } else { body };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
        ),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// Answers one request.
pub(crate) async fn respond(
    route: Route,
    client: &TinybirdClient,
    head_only: bool,
) -> Response<Full<Bytes>> {
    let failed = |err: &atel_sdk::Error| {
        page(
            StatusCode::BAD_GATEWAY,
            html::error_page(
                "Tinybird did not answer",
                &format!("The pipes could not be read: {}", Report(err)),
            ),
            head_only,
        )
    };
    let timed_out = || {
        page(
            StatusCode::GATEWAY_TIMEOUT,
            html::error_page(
                "Tinybird did not answer in time",
                "No answer from the pipes within 30 s.",
            ),
            head_only,
        )
    };
    match route {
        Route::Dashboard { days } => {
            match tokio::time::timeout(PAGE_BUDGET, Dashboard::fetch(client, days, 0)).await {
                Ok(Ok(d)) => page(StatusCode::OK, html::page(&d, Links::Server), head_only),
                Ok(Err(err)) => failed(&err),
                Err(_) => timed_out(),
            }
        }
        Route::Session { id, days } => {
            match tokio::time::timeout(PAGE_BUDGET, SessionPage::fetch(client, &id, days)).await {
                Ok(Ok(p)) => page(StatusCode::OK, html::session_page(&p), head_only),
                Ok(Err(err)) => failed(&err),
                Err(_) => timed_out(),
            }
        }
        Route::WrongHost => page(
            StatusCode::MISDIRECTED_REQUEST,
            html::error_page(
                "Wrong host",
                "This dashboard answers only on its own address.",
            ),
            head_only,
        ),
        Route::MethodNotAllowed => {
            let mut response = page(
                StatusCode::METHOD_NOT_ALLOWED,
                html::error_page("Method not allowed", "Only GET and HEAD."),
                head_only,
            );
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            response
        }
        Route::BadRequest(why) => page(
            StatusCode::BAD_REQUEST,
            html::error_page("Bad request", &why),
            head_only,
        ),
        Route::NotFound => page(
            StatusCode::NOT_FOUND,
            html::error_page(
                "Not found",
                "The dashboard is at /, a session at /session/ID.",
            ),
            head_only,
        ),
    }
}

/// Binds `listen`, prints the URL on stderr (and opens it when `open`), then serves until killed.
pub(crate) async fn serve(
    client: TinybirdClient,
    listen: SocketAddr,
    days: u16,
    open: bool,
) -> io::Result<()> {
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let hosts = Hosts {
        addr,
        loopback_only: addr.ip().is_loopback(),
    };
    let url = match addr {
        SocketAddr::V4(v4) => format!("http://{v4}/"),
        SocketAddr::V6(v6) => format!("http://[{}]:{}/", v6.ip(), v6.port()),
    };
    let _ = writeln!(
        io::stderr(),
        "atel-hooks: dashboard at {url} (last {days} days; Ctrl-C to stop)"
    );
    if open {
        open_browser(&url);
    }
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of file descriptors and the like: wait a little, keep serving.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let client = client.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request: Request<Incoming>| {
                let client = client.clone();
                async move {
                    let host = request
                        .headers()
                        .get(header::HOST)
                        .and_then(|h| h.to_str().ok());
                    let route = route(
                        request.method(),
                        request.uri().path(),
                        request.uri().query(),
                        host,
                        hosts,
                        days,
                    );
                    let head_only = request.method() == Method::HEAD;
                    Ok::<_, Infallible>(respond(route, &client, head_only).await)
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Asks the desktop to open `url`; one stderr line when it cannot.
fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let spawned = std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if let Err(err) = spawned {
        let _ = writeln!(
            io::stderr(),
            "atel-hooks: cannot open a browser ({opener}: {err}); open {url} yourself"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(loopback_only: bool) -> Hosts {
        Hosts {
            addr: "127.0.0.1:4321".parse().unwrap(),
            loopback_only,
        }
    }

    fn get(path: &str, query: Option<&str>) -> Route {
        route(
            &Method::GET,
            path,
            query,
            Some("127.0.0.1:4321"),
            hosts(true),
            7,
        )
    }

    #[test]
    fn routes() {
        assert_eq!(get("/", None), Route::Dashboard { days: 7 });
        assert_eq!(get("/", Some("days=30")), Route::Dashboard { days: 30 });
        assert_eq!(
            get("/session/4d63b439-5f55", Some("days=2&x=1")),
            Route::Session {
                id: "4d63b439-5f55".into(),
                days: 2
            }
        );
        assert_eq!(
            get("/session/a%3Cb%3E%20c", None),
            Route::Session {
                id: "a<b> c".into(),
                days: 7
            }
        );
        assert_eq!(get("/session/", None), Route::NotFound);
        assert_eq!(get("/session/a%2Fb", None), Route::NotFound);
        assert_eq!(get("/session/%FF", None), Route::NotFound);
        assert_eq!(get("/session/%4", None), Route::NotFound);
        assert_eq!(get("/favicon.ico", None), Route::NotFound);
        assert!(matches!(get("/", Some("days=abc")), Route::BadRequest(m) if m.contains("`abc`")));
        assert!(matches!(get("/", Some("days=0")), Route::BadRequest(_)));
        assert_eq!(
            route(
                &Method::POST,
                "/",
                None,
                Some("127.0.0.1:4321"),
                hosts(true),
                7
            ),
            Route::MethodNotAllowed
        );
        assert_eq!(
            route(
                &Method::HEAD,
                "/",
                None,
                Some("localhost:4321"),
                hosts(true),
                7
            ),
            Route::Dashboard { days: 7 }
        );
    }

    #[test]
    fn a_loopback_server_answers_only_its_own_host() {
        for host in [
            Some("evil.example:4321"),
            Some("127.0.0.1:80"),
            Some("localhost"),
            None,
        ] {
            assert_eq!(
                route(&Method::GET, "/", None, host, hosts(true), 7),
                Route::WrongHost,
                "{host:?}"
            );
        }
        assert_eq!(
            route(
                &Method::GET,
                "/",
                None,
                Some("LOCALHOST:4321"),
                hosts(true),
                7
            ),
            Route::Dashboard { days: 7 }
        );
        assert_eq!(
            route(
                &Method::GET,
                "/",
                None,
                Some("box.lan:4321"),
                hosts(false),
                7
            ),
            Route::Dashboard { days: 7 }
        );
    }

    #[test]
    fn every_page_forbids_scripts_and_caching() {
        let response = page(StatusCode::OK, "<p>x</p>".into(), false);
        let csp = response
            .headers()
            .get(header::CONTENT_SECURITY_POLICY)
            .unwrap();
        assert_eq!(
            csp,
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
        );
        assert_eq!(
            response.headers().get(header::CACHE_CONTROL).unwrap(),
            "no-store"
        );
    }
}
