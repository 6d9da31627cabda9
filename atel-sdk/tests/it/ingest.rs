//! Ingest: the request shape, gzip, splitting, counts and quarantine.

use std::collections::BTreeSet;

use atel_sdk::Error;
use atel_sdk::TinybirdClient;
use atel_sdk::client::{GZIP_THRESHOLD_BYTES, IngestSummary};
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
    assert!(request.body.len() <= GZIP_THRESHOLD_BYTES);
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

#[tokio::test]
async fn large_bodies_are_gzipped_and_decode_to_the_same_ndjson() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v0/events"))
        .and(header("content-encoding", "gzip"))
        .respond_with(CountRows)
        .expect(1)
        .mount(&server)
        .await;

    let rows = activations(200);
    let expected = ndjson(&rows);
    assert!(expected.len() > GZIP_THRESHOLD_BYTES);
    let summary = client(&server).ingest(&rows).await.unwrap();
    assert_eq!(summary.successful_rows, 200);
    let request = &server.received_requests().await.unwrap()[0];
    assert!(
        request.body.len() < expected.len() / 3,
        "gzip shrinks NDJSON"
    );
    assert_eq!(plain_body(request), expected);
}

#[tokio::test]
async fn gzip_off_sends_plain_ndjson() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v0/events"))
        .respond_with(CountRows)
        .expect(1)
        .mount(&server)
        .await;
    let client = TinybirdClient::builder()
        .token(TOKEN)
        .base_url(server.uri())
        .gzip(false)
        .build()
        .unwrap();

    let rows = activations(200);
    let _ = client.ingest(&rows).await.unwrap();
    let request = &server.received_requests().await.unwrap()[0];
    assert!(request.headers.get("content-encoding").is_none());
    assert_eq!(request.body, ndjson(&rows));
}

#[tokio::test]
async fn a_payload_over_twice_the_limit_is_split_at_row_boundaries() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v0/events"))
        .respond_with(CountRows)
        .mount(&server)
        .await;
    let limit = 2048;
    let client = TinybirdClient::builder()
        .token(TOKEN)
        .base_url(server.uri())
        .retry(fast_retry(1))
        .max_body_bytes(limit)
        .build()
        .unwrap();

    let rows = activations(150);
    let total = ndjson(&rows).len();
    assert!(total > 2 * limit, "{total} bytes");
    let summary = client.ingest(&rows).await.unwrap();
    assert_eq!(
        summary.successful_rows, 150,
        "counts are summed over requests"
    );

    let requests = server.received_requests().await.unwrap();
    assert!(requests.len() >= 3, "{} requests", requests.len());
    let mut seen = BTreeSet::new();
    for request in &requests {
        let body = plain_body(request);
        assert!(body.len() <= limit, "a request of {} bytes", body.len());
        assert!(body.ends_with(b"\n"), "a request ends inside a row");
        for line in body.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let row: Activation = serde_json::from_slice(line).expect("every line is a whole row");
            assert!(seen.insert(row.seq), "row {} sent twice", row.seq);
        }
    }
    assert_eq!(
        seen,
        (0..150).collect::<BTreeSet<u64>>(),
        "every row exactly once"
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
