//! The batching `Inserter`: flush by rows, bytes and period; `end` sends the rest.

use std::time::Duration;

use atel_sdk::Error;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{Activation, CountRows, activations, catch_all, client, ndjson, plain_body};

async fn events(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/v0/events"))
        .respond_with(CountRows)
        .mount(server)
        .await;
}

async fn rows_per_request(server: &MockServer) -> Vec<usize> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| atel_sdk::client::ndjson::count_rows(&plain_body(r)))
        .collect()
}

#[tokio::test]
async fn flushes_every_max_rows_and_end_sends_the_rest() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    events(&server).await;

    let mut inserter = client(&server).inserter::<Activation>().with_max_rows(3);
    let mut flushed = Vec::new();
    for row in &activations(7) {
        flushed.push(
            inserter
                .write(row)
                .await
                .unwrap()
                .map(|s| s.successful_rows),
        );
    }
    assert_eq!(
        flushed,
        [None, None, Some(3), None, None, Some(3), None],
        "a flush runs on the write that reaches the limit"
    );
    assert_eq!(inserter.pending_rows(), 1);
    let total = inserter.end().await.unwrap();
    assert_eq!(total.successful_rows, 7);
    assert_eq!(rows_per_request(&server).await, [3, 3, 1]);
}

#[tokio::test]
async fn flushes_on_max_bytes() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    events(&server).await;
    let rows = activations(4);
    let one_row = ndjson(&rows[..1]).len();

    let mut inserter = client(&server)
        .inserter::<Activation>()
        .with_max_bytes(2 * one_row);
    for row in &rows {
        let _ = inserter.write(row).await.unwrap();
    }
    assert_eq!(inserter.pending_bytes(), 0);
    assert_eq!(inserter.end().await.unwrap().successful_rows, 4);
    assert_eq!(rows_per_request(&server).await, [2, 2]);
}

#[tokio::test]
async fn flushes_when_the_period_has_passed_on_commit() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    events(&server).await;

    let mut inserter = client(&server)
        .inserter::<Activation>()
        .with_period(Some(Duration::from_millis(50)));
    assert_eq!(inserter.write(&activations(1)[0]).await.unwrap(), None);
    assert_eq!(inserter.commit().await.unwrap(), None, "too early");
    tokio::time::sleep(Duration::from_millis(60)).await;
    let flushed = inserter
        .commit()
        .await
        .unwrap()
        .expect("the period has passed");
    assert_eq!(flushed.successful_rows, 1);
    assert_eq!(inserter.end().await.unwrap().successful_rows, 1);
    assert_eq!(
        rows_per_request(&server).await,
        [1],
        "`end` with nothing left sends nothing"
    );
}

#[tokio::test]
async fn a_failed_flush_keeps_its_rows_for_the_next_one() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v0/events"))
        .respond_with(ResponseTemplate::new(400).set_body_string(r#"{"error": "bad"}"#))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    events(&server).await;

    let mut inserter = client(&server).inserter::<Activation>().with_max_rows(2);
    let rows = activations(3);
    assert_eq!(inserter.write(&rows[0]).await.unwrap(), None);
    let err = inserter.write(&rows[1]).await.unwrap_err();
    assert!(matches!(err, Error::Api { status: 400, .. }), "{err:?}");
    assert_eq!(inserter.pending_rows(), 2);
    let flushed = inserter.write(&rows[2]).await.unwrap().unwrap();
    assert_eq!(flushed.successful_rows, 3);
    assert_eq!(inserter.end().await.unwrap().successful_rows, 3);
}

#[tokio::test]
async fn pending_rows_can_be_taken_out_as_ndjson() {
    let server = MockServer::start().await;
    catch_all(&server).await;

    let rows = activations(2);
    let mut inserter = client(&server).inserter::<Activation>();
    for row in &rows {
        assert_eq!(inserter.write(row).await.unwrap(), None);
    }
    assert_eq!(inserter.take_pending(), ndjson(&rows));
    assert_eq!(inserter.pending_rows(), 0);
    assert_eq!(inserter.end().await.unwrap().successful_rows, 0);
}

/// Answers like the Events API after `delay`, and notes when each request arrived.
struct Slow {
    delay: Duration,
    started: std::time::Instant,
    arrivals: std::sync::Arc<std::sync::Mutex<Vec<Duration>>>,
}

impl wiremock::Respond for Slow {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        self.arrivals.lock().unwrap().push(self.started.elapsed());
        CountRows.respond(request).set_delay(self.delay)
    }
}

#[tokio::test]
async fn several_requests_in_flight_and_back_pressure_when_the_server_stalls() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let arrivals = std::sync::Arc::default();
    let delay = Duration::from_millis(300);
    Mock::given(method("POST"))
        .and(path("/v0/events"))
        .respond_with(Slow {
            delay,
            started: std::time::Instant::now(),
            arrivals: std::sync::Arc::clone(&arrivals),
        })
        .mount(&server)
        .await;

    let mut inserter = client(&server)
        .inserter::<Activation>()
        .with_max_rows(2)
        .with_max_in_flight(2);
    let mut reported = 0;
    for row in &activations(10) {
        if let Some(done) = inserter.write(row).await.unwrap() {
            reported += done.successful_rows;
        }
        assert!(inserter.in_flight() <= 2, "{}", inserter.in_flight());
        assert!(inserter.pending_rows() < 2);
    }
    let total = inserter.end().await.unwrap();
    assert_eq!(total.successful_rows, 10);
    assert!(reported <= 10);

    // Five batches. Two went out together; a third only once the first was answered.
    let mut at = arrivals.lock().unwrap().clone();
    at.sort();
    assert_eq!(at.len(), 5);
    assert!(
        at[1].saturating_sub(at[0]) < delay / 2,
        "{at:?}: the second did not wait"
    );
    for pair in at.windows(3) {
        assert!(
            pair[2].saturating_sub(pair[0]) >= delay.saturating_sub(Duration::from_millis(20)),
            "{at:?}: three requests were in flight at once"
        );
    }
    // Every row sent exactly once.
    let mut seqs: Vec<u64> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .flat_map(|r| {
            String::from_utf8(plain_body(r))
                .unwrap()
                .lines()
                .map(|line| serde_json::from_str::<Activation>(line).unwrap().seq)
                .collect::<Vec<_>>()
        })
        .collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (0..10).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_failed_batch_in_flight_is_reported_once_and_the_others_still_land() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v0/events"))
        .and(wiremock::matchers::body_string_contains("\"seq\":1}"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(serde_json::json!({"error": "bad row"})),
        )
        .mount(&server)
        .await;
    events(&server).await;
    let mut inserter = client(&server)
        .inserter::<Activation>()
        .with_max_rows(1)
        .with_max_in_flight(3);
    let mut errors = Vec::new();
    for row in &activations(4) {
        if let Err(e) = inserter.write(row).await {
            errors.push(e);
        }
    }
    match inserter.end().await {
        Ok(total) => assert_eq!(total.successful_rows, 3),
        Err(e) => errors.push(e),
    }
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(matches!(errors[0], Error::Api { status: 400, .. }));
    assert_eq!(rows_per_request(&server).await, [1, 1, 1, 1]);
}
