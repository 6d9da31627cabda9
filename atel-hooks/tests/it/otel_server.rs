//! The real binary as an OTLP/HTTP receiver (`atel-hooks otel`), Claude Code's recorded bodies posted
//! to it, the rows delivered through the spool into `tinybird/local` (real ClickHouse). The `otel_*`
//! datasources are not on main yet: the test deploys minimal ones (a few of the exporter's keys as
//! columns) written here.

use std::fmt::Write as _;
use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use atel_sdk::client::DeployOptions;
use atel_tests::server::LocalServer;
use serde_json::Value;

use crate::otel_rows::{Case, fixture_files, oracle};
use crate::support::Sandbox;

const LOGS: &str = "SCHEMA >
    `timestamp` String `json:$.timestamp`,
    `service_name` String `json:$.service_name`,
    `body` String `json:$.body`,
    `log_attributes` Map(String, String) `json:$.log_attributes`

ENGINE \"MergeTree\"
ENGINE_SORTING_KEY \"timestamp\"
";

const SUM: &str = "SCHEMA >
    `timestamp` String `json:$.timestamp`,
    `metric_name` String `json:$.metric_name`,
    `value` Float64 `json:$.value`,
    `aggregation_temporality` Int32 `json:$.aggregation_temporality`,
    `metric_attributes` Map(String, String) `json:$.metric_attributes`

ENGINE \"MergeTree\"
ENGINE_SORTING_KEY \"timestamp\"
";

/// One HTTP/1.1 request; the status and the body.
pub(crate) fn post(
    addr: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).unwrap();
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        let _ = write!(head, "{name}: {value}\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let status = std::str::from_utf8(&answer[9..12])
        .unwrap()
        .parse()
        .unwrap();
    (status, answer[split + 4..].to_vec())
}

pub(crate) fn free_addr() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().to_string()
}

pub(crate) fn wait_for_port(addr: &str) {
    let start = Instant::now();
    while TcpStream::connect(addr).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "receiver did not listen"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn fixture_bodies_posted_to_the_receiver_arrive_in_tinybird() {
    let server = LocalServer::start();
    let client = server.client();
    let project = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(project.path().join("datasources")).unwrap();
    std::fs::write(
        project.path().join("datasources/otel_logs.datasource"),
        LOGS,
    )
    .unwrap();
    std::fs::write(
        project
            .path()
            .join("datasources/otel_metrics_sum.datasource"),
        SUM,
    )
    .unwrap();
    client
        .deploy(project.path(), DeployOptions::default())
        .await
        .expect("deploy the otel datasources");

    let mut sandbox = Sandbox::new(&server.url);
    sandbox.set("TINYBIRD_TOKEN", &server.token);
    let addr = free_addr();
    let mut receiver = sandbox
        .command(&["otel", "--listen", &addr, "--idle-exit", "600"])
        .spawn()
        .unwrap();
    wait_for_port(&addr);

    // A second receiver on the same state dir refuses to start.
    let second = sandbox.run(&["otel", "--listen", &free_addr()], b"");
    assert_eq!(second.code, Some(1), "{second:?}");
    assert!(
        second.stderr.contains("another `atel-hooks otel`"),
        "{second:?}"
    );

    let (mut logs, mut points) = (0, 0);
    let mut request_ids = std::collections::BTreeSet::new();
    for (n, file) in fixture_files().iter().enumerate() {
        let cases: Vec<Case> = oracle(file);
        for (i, case) in cases.iter().enumerate() {
            // Alternate encodings; every third body gzipped.
            let (content_type, body) = if (n + i) % 2 == 0 {
                ("application/json", case.json.clone())
            } else {
                ("application/x-protobuf", case.protobuf.clone())
            };
            let mut headers = vec![("Content-Type", content_type)];
            let body = if i % 3 == 0 {
                headers.push(("Content-Encoding", "gzip"));
                gzip(&body)
            } else {
                body
            };
            let (status, answer) = post(&addr, &case.path, &headers, &body);
            assert_eq!(
                status,
                200,
                "{} #{i}: {}",
                file.display(),
                String::from_utf8_lossy(&answer)
            );
            if content_type == "application/json" {
                assert_eq!(answer, b"{}");
            } else {
                assert!(answer.is_empty(), "an empty Export*ServiceResponse");
            }
            for (ds, row) in &case.rows {
                let row: Value = serde_json::from_str(row).unwrap();
                if ds == "otel_logs" {
                    logs += 1;
                    if let Some(id) = row["log_attributes"]["request_id"].as_str()
                        && row["body"] == "claude_code.api_request"
                    {
                        request_ids.insert(format!("{}:{id}", file.display()));
                    }
                } else {
                    points += 1;
                }
            }
        }
    }
    // Faults: bad bodies lose nothing else.
    let json = [("Content-Type", "application/json")];
    assert_eq!(post(&addr, "/v1/logs", &json, b"{not json").0, 400);
    assert_eq!(
        post(
            &addr,
            "/v1/logs",
            &[("Content-Type", "application/x-protobuf")],
            b"\xff\xff\xff"
        )
        .0,
        400
    );
    assert_eq!(
        post(&addr, "/v1/logs", &[("Content-Type", "text/plain")], b"{}").0,
        415
    );
    assert_eq!(post(&addr, "/v1/nothing", &json, b"{}").0, 404);
    let bomb = gzip(&vec![b' '; 21 * 1024 * 1024]);
    let gz = [
        ("Content-Type", "application/json"),
        ("Content-Encoding", "gzip"),
    ];
    assert_eq!(post(&addr, "/v1/logs", &gz, &bomb).0, 413);

    // Delivered within a few seconds: every row of every body, exactly once.
    let count = |sql: &'static str| {
        let client = client.clone();
        async move {
            let answer = client.sql_json(sql).await.unwrap();
            answer["data"][0]["n"].as_u64().unwrap_or_default()
        }
    };
    let start = Instant::now();
    loop {
        let got = (
            count("SELECT toUInt32(count()) AS n FROM otel_logs").await,
            count("SELECT toUInt32(count()) AS n FROM otel_metrics_sum").await,
        );
        if got == (logs, points) {
            break;
        }
        if start.elapsed() > Duration::from_secs(30) {
            let _ = receiver.kill();
            let out = receiver.wait_with_output().unwrap();
            let files: Vec<String> = std::fs::read_dir(sandbox.state())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            let backoff =
                std::fs::read_to_string(sandbox.state().join("delivery.json")).unwrap_or_default();
            let rejected =
                std::fs::read_to_string(sandbox.state().join("spool.rejected")).unwrap_or_default();
            panic!(
                "{got:?} != {:?}; stderr {}; files {files:?}; backoff {backoff}; rejected {}",
                (logs, points),
                String::from_utf8_lossy(&out.stderr),
                rejected.chars().take(300).collect::<String>()
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!((logs, points), (433, 160));
    let api = count(
        "SELECT toUInt32(count()) AS n FROM otel_logs WHERE body = 'claude_code.api_request' \
         AND log_attributes['request_id'] != ''",
    )
    .await;
    assert_eq!(usize::try_from(api).unwrap(), request_ids.len());
    assert_eq!(sandbox.spooled_lines(), 0);
    let _ = receiver.kill();
    let _ = receiver.wait();
}

#[test]
fn the_receiver_exits_when_idle() {
    let sandbox = Sandbox::new(&crate::support::dead_url());
    let addr = free_addr();
    let start = Instant::now();
    let run = sandbox.run(&["otel", "--listen", &addr, "--idle-exit", "1"], b"");
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
}
