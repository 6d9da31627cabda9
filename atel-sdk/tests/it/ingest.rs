//! Ingest: the request shape, compression (zstd, gzip, none), splitting, retries, counts and quarantine.

use atel_sdk::Error;
use atel_sdk::TinybirdClient;
use atel_sdk::client::{COMPRESSION_THRESHOLD_BYTES, Compression, IngestSummary};
use wiremock::matchers::{bearer_token, header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{
    Activation, CountRows, TOKEN, activations, catch_all, client, fast_retry, ndjson, plain_body,
};

#[tokio::test]
async fn rows_go_as_ndjson_with_name_wait_and_token() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v0/events"))
        .and(query_param("name", "agent_activations"))
        .and(query_param("wait", "true"))
        .and(bearer_token(TOKEN))
        .and(header("content-type", "application/x-ndjson"))
        .respond_with(CountRows)
        .expect(1)
        .mount(&server)
        .await;

    let rows = activations(3);
    let summary = client(&server).ingest(&rows).await.unwrap();
    assert_eq!(
        summary,
        IngestSummary {
            successful_rows: 3,
            quarantined_rows: 0
        }
    );
    let request = &server.received_requests().await.unwrap()[0];
    assert!(request.body.len() <= COMPRESSION_THRESHOLD_BYTES);
    assert!(request.headers.get("content-encoding").is_none());
    assert_eq!(request.body, ndjson(&rows));
    assert!(
        !request.url.as_str().contains(TOKEN),
        "the token goes in a header only"
    );
}

#[tokio::test]
async fn wait_off_leaves_the_parameter_out() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v0/events"))
        .and(query_param_is_missing("wait"))
        .respond_with(CountRows)
        .expect(1)
        .mount(&server)
        .await;
    let client = TinybirdClient::builder()
        .token(TOKEN)
        .base_url(server.uri())
        .wait(false)
        .build()
        .unwrap();

    let summary = client.ingest(&activations(2)).await.unwrap();
    assert_eq!(summary.successful_rows, 2);
}

/// A client for `server` with `compression` and fast retries.
fn client_with(server: &MockServer, compression: Compression) -> TinybirdClient {
    TinybirdClient::builder()
        .token(TOKEN)
        .base_url(server.uri())
        .retry(fast_retry(3))
        .compression(compression)
        .build()
        .unwrap()
}

/// Sends 200 rows (over the threshold) with `compression`, and checks the one request's
/// `Content-Encoding` and that its body decodes to the NDJSON of the rows.
async fn round_trip(compression: Compression, encoding: &str, magic: &[u8]) {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v0/events"))
        .and(header("content-encoding", encoding))
        .and(header("content-type", "application/x-ndjson"))
        .respond_with(CountRows)
        .expect(1)
        .mount(&server)
        .await;

    let rows = activations(200);
    let expected = ndjson(&rows);
    assert!(expected.len() > COMPRESSION_THRESHOLD_BYTES);
    let summary = client_with(&server, compression)
        .ingest(&rows)
        .await
        .unwrap();
    assert_eq!(summary.successful_rows, 200);
    let request = &server.received_requests().await.unwrap()[0];
    assert!(
        request.body.starts_with(magic),
        "{encoding}: the body starts with {:02x?}",
        &request.body[..4]
    );
    assert!(
        request.body.len() < expected.len() / 3,
        "{encoding} shrinks NDJSON"
    );
    assert_eq!(plain_body(request), expected);
}

#[tokio::test]
async fn large_bodies_are_zstd_by_default_and_decode_to_the_same_ndjson() {
    assert_eq!(Compression::default(), Compression::Zstd(1));
    round_trip(Compression::default(), "zstd", &[0x28, 0xb5, 0x2f, 0xfd]).await;
    round_trip(Compression::Zstd(19), "zstd", &[0x28, 0xb5, 0x2f, 0xfd]).await;
}

#[tokio::test]
async fn gzip_is_selectable_and_decodes_to_the_same_ndjson() {
    round_trip(Compression::GZIP_FAST, "gzip", &[0x1f, 0x8b]).await;
    round_trip(Compression::Gzip(9), "gzip", &[0x1f, 0x8b]).await;
}

#[tokio::test]
async fn compression_off_sends_plain_ndjson() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v0/events"))
        .respond_with(CountRows)
        .expect(1)
        .mount(&server)
        .await;

    let rows = activations(200);
    let _ = client_with(&server, Compression::None)
        .ingest(&rows)
        .await
        .unwrap();
    let request = &server.received_requests().await.unwrap()[0];
    assert!(request.headers.get("content-encoding").is_none());
    assert_eq!(request.body, ndjson(&rows));
}

#[tokio::test]
async fn a_bad_level_is_a_config_error() {
    for bad in [Compression::Gzip(10), Compression::Zstd(23)] {
        let err = TinybirdClient::builder()
            .token(TOKEN)
            .compression(bad)
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{err}");
    }
}

#[tokio::test]
async fn a_retried_request_sends_the_same_bytes() {
    for (compression, rows) in [
        (Compression::default(), 200),
        (Compression::GZIP_FAST, 200),
        (Compression::None, 200),
        // Under the threshold: plain whatever the setting.
        (Compression::default(), 2),
    ] {
        let server = MockServer::start().await;
        catch_all(&server).await;
        Mock::given(method("POST"))
            .and(path("/v0/events"))
            .respond_with(ResponseTemplate::new(503))
            .up_to_n_times(2)
            .expect(2)
            .with_priority(1)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path("/v0/events"))
            .respond_with(CountRows)
            .expect(1)
            .mount(&server)
            .await;

        let rows = activations(rows);
        let summary = client_with(&server, compression)
            .ingest(&rows)
            .await
            .unwrap();
        assert_eq!(summary.successful_rows, rows.len() as u64);
        let requests = server.received_requests().await.unwrap();
        assert_eq!(requests.len(), 3, "{compression:?}");
        for retry in &requests[1..] {
            assert_eq!(retry.body, requests[0].body, "{compression:?}");
            assert_eq!(
                retry.headers.get("content-encoding"),
                requests[0].headers.get("content-encoding")
            );
        }
        assert_eq!(plain_body(&requests[2]), ndjson(&rows));
    }
}

#[tokio::test]
async fn a_payload_over_twice_the_limit_is_split_at_row_boundaries() {
    let rows = activations(150);
    let encoded = ndjson(&rows);
    let limit = 2048;
    assert!(encoded.len() > 2 * limit, "{} bytes", encoded.len());
    for compression in [
        Compression::default(),
        Compression::GZIP_FAST,
        Compression::None,
    ] {
        for raw in [false, true] {
            let server = MockServer::start().await;
            catch_all(&server).await;
            Mock::given(method("POST"))
                .and(path("/v0/events"))
                .respond_with(CountRows)
                .mount(&server)
                .await;
            let client = TinybirdClient::builder()
                .token(TOKEN)
                .base_url(server.uri())
                .retry(fast_retry(1))
                .compression(compression)
                .max_body_bytes(limit)
                .build()
                .unwrap();

            // `ingest` encodes into a buffer it owns; `ingest_ndjson` borrows the caller's.
            let summary = if raw {
                client.ingest_ndjson("agent_activations", &encoded).await
            } else {
                client.ingest(&rows).await
            };
            assert_eq!(
                summary.unwrap().successful_rows,
                150,
                "counts are summed over requests"
            );

            let requests = server.received_requests().await.unwrap();
            assert!(requests.len() >= 3, "{} requests", requests.len());
            let mut seen = Vec::new();
            for request in &requests {
                let body = plain_body(request);
                assert!(body.len() <= limit, "a request of {} bytes", body.len());
                assert!(body.ends_with(b"\n"), "a request ends inside a row");
                let encoding = request.headers.get("content-encoding");
                if body.len() > COMPRESSION_THRESHOLD_BYTES {
                    assert_eq!(
                        encoding.map(|v| v.to_str().unwrap()),
                        compression.content_encoding()
                    );
                }
                for line in body.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                    let row: Activation =
                        serde_json::from_slice(line).expect("every line is a whole row");
                    seen.push(row.seq);
                }
            }
            assert_eq!(
                seen,
                (0..150).collect::<Vec<u64>>(),
                "every row exactly once, in order ({compression:?}, raw {raw})"
            );
        }
    }
}

#[tokio::test]
async fn a_failing_request_stops_the_ingest_after_the_earlier_ones() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v0/events"))
        .respond_with(CountRows)
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v0/events"))
        .respond_with(ResponseTemplate::new(400).set_body_string(r#"{"error": "bad rows"}"#))
        .expect(1)
        .mount(&server)
        .await;
    let client = TinybirdClient::builder()
        .token(TOKEN)
        .base_url(server.uri())
        .retry(fast_retry(3))
        .max_body_bytes(2048)
        .build()
        .unwrap();

    let err = client.ingest(&activations(150)).await.unwrap_err();
    assert!(matches!(err, Error::Api { status: 400, .. }), "{err}");
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        2,
        "the first request went, the second failed for good, no third"
    );
}

#[tokio::test]
async fn no_rows_no_request() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let summary = client(&server).ingest::<Activation>(&[]).await.unwrap();
    assert_eq!(summary, IngestSummary::default());
}

#[tokio::test]
async fn quarantined_rows_are_reported() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v0/events"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(r#"{"successful_rows": 2, "quarantined_rows": 1}"#),
        )
        .expect(1)
        .mount(&server)
        .await;

    let summary = client(&server).ingest(&activations(3)).await.unwrap();
    assert!(summary.has_quarantine());
    assert_eq!(summary.quarantined_rows, 1);
    let err = summary.check().unwrap_err();
    assert!(matches!(
        err,
        Error::Quarantined {
            successful_rows: 2,
            quarantined_rows: 1
        }
    ));
    assert_eq!(
        err.to_string(),
        "1 row(s) went to quarantine (2 written); see the `<datasource>_quarantine` datasource"
    );
}

#[tokio::test]
async fn raw_ndjson_is_ingested_under_the_given_name() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v0/events"))
        .and(query_param("name", "spooled"))
        .respond_with(CountRows)
        .expect(1)
        .mount(&server)
        .await;

    let summary = client(&server)
        .ingest_ndjson("spooled", b"{\"a\":1}\n{\"a\":2}\n")
        .await
        .unwrap();
    assert_eq!(summary.successful_rows, 2);
}

#[tokio::test]
async fn an_accepted_request_with_an_unreadable_answer_counts_its_rows_and_is_not_resent() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v0/events"))
        .respond_with(ResponseTemplate::new(202).set_body_string("accepted"))
        .expect(1)
        .mount(&server)
        .await;

    // Tinybird took the rows (2xx): an error here would make callers send them twice.
    let summary = client(&server).ingest(&activations(3)).await.unwrap();
    assert_eq!(
        summary,
        IngestSummary {
            successful_rows: 3,
            quarantined_rows: 0
        }
    );
}

#[tokio::test]
async fn an_answer_with_only_some_counts_defaults_the_rest_to_zero() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v0/events"))
        .respond_with(ResponseTemplate::new(202).set_body_string(r#"{"successful_rows": 2}"#))
        .expect(1)
        .mount(&server)
        .await;

    let summary = client(&server).ingest(&activations(2)).await.unwrap();
    assert_eq!((summary.successful_rows, summary.quarantined_rows), (2, 0));
}
