//! The Data Sources API's failure modes: a failed job, a wait that runs out, refused requests, and
//! which failures are sent again (imports change data: only when Tinybird surely did not act).

use std::time::Duration;

use atel_sdk::Error;
use atel_sdk::client::{CsvDialect, ImportFormat, ImportOptions, ImportSource};
use serde_json::json;
use wiremock::matchers::{body_string, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{catch_all, client};

const POLL: Duration = Duration::from_millis(5);

fn job(status: &str) -> serde_json::Value {
    json!({"id": "j-1", "kind": "import", "status": status, "job_url": "http://x/v0/jobs/j-1"})
}

fn csv_options() -> ImportOptions {
    ImportOptions::new()
        .format(ImportFormat::Csv(CsvDialect {
            delimiter: Some(';'),
            ..CsvDialect::default()
        }))
        .poll_interval(POLL)
}

#[tokio::test]
async fn an_import_is_sent_like_the_cli_and_its_job_polled_until_done() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/datasources/events/append"))
        .and(query_param("format", "csv"))
        .and(query_param("dialect_delimiter", ";"))
        .and(header("content-type", "text/csv"))
        .and(body_string("a;1\nb;2\n"))
        .respond_with(ResponseTemplate::new(200).set_body_json(job("waiting")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v0/jobs/j-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(job("working")))
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    let mut done = job("done");
    done["blocks"] = json!([
        {"process_return": [{"lines": 2, "quarantine": 1, "bytes": 8}]},
        {"process_return": [{"lines": 3, "quarantine": 0, "bytes": 8}]}
    ]);
    Mock::given(method("GET"))
        .and(path("/v0/jobs/j-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(done))
        .expect(1)
        .mount(&server)
        .await;

    let job = client(&server)
        .append_data(
            "events",
            ImportSource::Bytes("a;1\nb;2\n".into()),
            &csv_options().wait(Duration::from_secs(5)),
        )
        .await
        .unwrap();
    assert_eq!(
        (
            job.id.as_str(),
            job.status.as_str(),
            job.rows,
            job.quarantined_rows
        ),
        ("j-1", "done", 5, 1)
    );
}

#[tokio::test]
async fn a_failed_job_is_an_error_with_its_message_and_a_long_one_times_out() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/datasources/events/replace"))
        .and(query_param("url", "https://example.com/rows.ndjson"))
        .and(query_param("replace_condition", "day = today()"))
        .respond_with(ResponseTemplate::new(200).set_body_json(job("waiting")))
        .mount(&server)
        .await;
    let mut failed = job("error");
    failed["error"] = json!("[Error] Cannot parse input");
    Mock::given(method("GET"))
        .and(path("/v0/jobs/j-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(failed))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let options = ImportOptions::new()
        .replace_condition("day = today()")
        .poll_interval(POLL);
    let source = || ImportSource::Url("https://example.com/rows.ndjson".into());

    let err = client
        .replace_data(
            "events",
            source(),
            &options.clone().wait(Duration::from_secs(5)),
        )
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "job j-1 error: [Error] Cannot parse input");
    assert!(matches!(err, Error::Job { .. }));

    // Now the job never ends: the wait is bounded.
    Mock::given(method("GET"))
        .and(path("/v0/jobs/j-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(job("working")))
        .mount(&server)
        .await;
    let err = client
        .replace_data("events", source(), &options.wait(Duration::from_millis(60)))
        .await
        .unwrap_err();
    let Error::JobTimeout { id, status, waited } = &err else {
        panic!("{err:?}")
    };
    assert_eq!((id.as_str(), status.as_str()), ("j-1", "working"));
    // Given up at the poll that would have ended past the bound: within one poll of it.
    assert!(
        *waited > Duration::from_millis(50) && *waited < Duration::from_millis(500),
        "{waited:?}"
    );
    // Without a wait the job is returned as it is.
    let job = client
        .replace_data(
            "events",
            source(),
            &ImportOptions::new().replace_condition("day = today()"),
        )
        .await
        .unwrap();
    assert_eq!(job.status, "waiting");
}

#[tokio::test]
async fn refused_imports_are_api_errors_and_only_503_is_sent_again() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/datasources/missing/append"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({"error": "Data Source 'missing' not found"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/datasources/busy/append"))
        .respond_with(ResponseTemplate::new(503).set_body_string("busy"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/datasources/busy/append"))
        .respond_with(ResponseTemplate::new(200).set_body_json(job("done")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/datasources/broken/append"))
        .respond_with(ResponseTemplate::new(500).set_body_string("oops"))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let bytes = || ImportSource::Bytes("{}\n".into());
    let options = ImportOptions::new();

    let err = client
        .append_data("missing", bytes(), &options)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Tinybird API error 404: Data Source 'missing' not found"
    );
    assert!(err.is_permanent());
    // 503: Tinybird did not take it, so it is sent again.
    let job = client.append_data("busy", bytes(), &options).await.unwrap();
    assert_eq!(job.status, "done");
    // 500: it may have been imported; sending it again could import it twice.
    let err = client
        .append_data("broken", bytes(), &options)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Api { status: 500, .. }), "{err:?}");
    // A name that is not one never reaches the server.
    let err = client.truncate("../tokens").await.unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

#[tokio::test]
async fn delete_dry_run_and_truncate_shapes() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v0/datasources/events/delete"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string("delete_condition=n+%3E+1&dry_run=true"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"rows_to_be_deleted": 42})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v0/datasources/events/truncate"))
        .respond_with(ResponseTemplate::new(205))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v0/datasources/events/delete"))
        .and(body_string("delete_condition=n+%3E+1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "d-1", "job_id": "d-1", "status": "waiting", "kind": "delete_data",
            "job": {"id": "d-1", "status": "waiting", "kind": "delete_data"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    assert_eq!(client.delete_dry_run("events", "n > 1").await.unwrap(), 42);
    client.truncate("events").await.unwrap();
    let job = client.delete_rows("events", "n > 1", None).await.unwrap();
    assert_eq!(
        (job.id.as_str(), job.kind.as_deref(), job.status.as_str()),
        ("d-1", Some("delete_data"), "waiting")
    );
}
