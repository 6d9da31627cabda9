//! `atel-hooks dashboard` and `report --html` on `tinybird/local`: the real binary serving the page
//! from the real pipes, asked over HTTP like a browser would (the browser itself is
//! `scripts/dashboard-e2e`).

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::Child;

use atel_sdk::telemetry::ApiRequest;
use atel_tests::factories::make_api_request_row;

use crate::local::deployed_sandbox;
use crate::support::{Sandbox, TOKEN};

/// A session id with every character HTML and URLs care about.
const SESSION: &str = "s<1>&'x \"y\"";
const SESSION_IN_HTML: &str = "s&lt;1&gt;&amp;&#39;x &quot;y&quot;";
const SESSION_IN_PATH: &str = "s%3C1%3E%26%27x%20%22y%22";

/// The dashboard's process, killed on drop.
struct Served {
    child: Child,
    addr: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Status and body of `METHOD target` with `Host: host`.
fn request(addr: &str, method: &str, target: &str, host: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// Starts `atel-hooks dashboard` on a free port and reads its address from stderr.
fn serve(sandbox: &Sandbox) -> Served {
    let mut child = sandbox
        .command(&["dashboard", "--listen", "127.0.0.1:0"])
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut line = String::new();
    BufReader::new(stderr).read_line(&mut line).unwrap();
    let addr = line
        .strip_prefix("atel-hooks: dashboard at http://")
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("no URL on stderr: {line:?}"))
        .to_owned();
    Served { child, addr }
}

fn get(served: &Served, target: &str) -> (u16, String) {
    request(&served.addr, "GET", target, &served.addr)
}

/// The totals cards of a page.
fn totals(page: &str) -> &str {
    let start = page.find("<section class=\"totals\"").expect("totals");
    let end = start + page[start..].find("</section>").expect("end of totals");
    &page[start..end]
}

#[tokio::test(flavor = "multi_thread")]
async fn the_server_renders_the_pipes_and_answers_only_its_routes() {
    let (_server, client, sandbox) = deployed_sandbox().await;
    // Two requests of one session, each delivered twice: $0.0163925 each, counted once.
    let rows: Vec<ApiRequest> = (0..2)
        .map(|_| ApiRequest {
            session_id: SESSION.into(),
            ..make_api_request_row()
        })
        .collect();
    for _ in 0..2 {
        let summary = client.ingest(&rows).await.expect("ingest");
        assert_eq!(summary.quarantined_rows, 0);
    }

    let served = serve(&sandbox);

    let (status, page) = get(&served, "/");
    assert_eq!(status, 200, "{page}");
    // 2 × 0.0163925 = 0.032785 → $0.0328; the factory's tokens: input 2 × 101, output 2 × 31.
    let cards = totals(&page);
    for (key, value) in [
        ("api-cost", "$0.0328"),
        ("requests", "2"),
        ("input-tokens", "202"),
        ("output-tokens", "62"),
        ("sessions", "1"),
        ("agent-runs", "0"),
    ] {
        assert!(
            cards.contains(&format!("data-total=\"{key}\"><span class=\"label\">"))
                && cards.contains(&format!("<span class=\"value\">{value}</span>")),
            "{key} {value} not in {cards}"
        );
    }
    assert!(page.contains(&format!(
        "<a href=\"/session/{SESSION_IN_PATH}?days=3650\">{SESSION_IN_HTML}</a>"
    )));
    assert!(!page.contains(SESSION));

    let (status, one) = get(&served, &format!("/session/{SESSION_IN_PATH}"));
    assert_eq!(status, 200, "{one}");
    assert!(one.contains(
        "data-total=\"session-cost\"><span class=\"label\">Cost</span><span class=\"value\">$0.0328</span>"
    ));
    for row in &rows {
        assert!(one.contains(&format!("<td class=\"id\">{}</td>", row.request_id)));
    }

    assert_eq!(get(&served, "/nope").0, 404);
    assert_eq!(get(&served, "/?days=abc").0, 400);
    assert_eq!(request(&served.addr, "POST", "/", &served.addr).0, 405);
    // A name pointed at 127.0.0.1 by someone else's page (DNS rebinding) gets nothing.
    let port = served.addr.rsplit(':').next().unwrap();
    let (status, body) = request(
        &served.addr,
        "GET",
        "/",
        &format!("attacker.example:{port}"),
    );
    assert_eq!(status, 421);
    assert!(!body.contains("$0.0328"));
    let (status, head) = request(&served.addr, "HEAD", "/", &format!("localhost:{port}"));
    assert_eq!((status, head.as_str()), (200, ""));

    // The file has the same totals, and the session's requests inline.
    let file = sandbox.root.path().join("usage.html");
    let run = sandbox.run(&["report", "--html", file.to_str().unwrap()], b"");
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(run.stdout, format!("wrote {}\n", file.display()));
    let html = std::fs::read_to_string(&file).unwrap();
    assert_eq!(totals(&html), cards);
    assert!(html.contains(&format!("<a href=\"#session-0\">{SESSION_IN_HTML}</a>")));
    assert!(html.contains(&format!("<td class=\"id\">{}</td>", rows[1].request_id)));
}

#[test]
fn with_tinybird_down_a_page_says_so_without_the_token() {
    // Nothing listens on port 9 (discard) here: every pipe request fails to connect.
    let sandbox = Sandbox::new("http://127.0.0.1:9");
    let served = serve(&sandbox);
    let (status, page) = get(&served, "/");
    assert_eq!(status, 502, "{page}");
    assert!(page.contains("The pipes could not be read"), "{page}");
    assert!(!page.contains(TOKEN));
    assert_eq!(get(&served, "/session/x").0, 502);
}
