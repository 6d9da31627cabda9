//! Copy pipes on demand: the request as the CLI sends it (params, `_mode`), the job polled with a
//! growing interval until done, a failed job's message, and a copy sent once (it writes rows).

use std::time::Duration;

use atel_sdk::client::CopyMode;
use atel_sdk::{Datasource, Error, pipe};
use serde::{Deserialize, Serialize};
use serde_json::json;
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{catch_all, client};

const POLL: Duration = Duration::from_millis(5);

#[derive(Serialize, Deserialize, Datasource)]
#[tinybird(name = "viewers", sorting_key = "path")]
struct Viewers {
    path: String,
    viewers: u64,
}

#[pipe(
    name = "viewers_copy",
    copy(target = Viewers, schedule = "@on-demand"),
    node(
        name = "snapshot",
        sql = "%\nSELECT path, uniqExact(user_id) AS viewers FROM views WHERE user_id >= {{ UInt64(min_user, 0) }} GROUP BY path"
    )
)]
struct ViewersCopy {
    #[param(default = 0)]
    min_user: u64,
}

fn job(status: &str) -> serde_json::Value {
    json!({
        "id": "c-1", "job_id": "c-1", "kind": "copy", "status": status, "mode": "replace",
        "job_url": "http://x/v0/jobs/c-1", "datasource": {"id": "t_1", "name": "viewers"},
        "pipe_name": "viewers_copy"
    })
}

/// Tinybird's answer: the copy node, with the job under `job`.
fn answer(status: &str) -> serde_json::Value {
    json!({"id": "t_node", "name": "snapshot", "tags": {"copy_target_datasource": "t_1"}, "job": job(status)})
}

#[tokio::test]
async fn a_copy_sends_its_params_and_mode_and_polls_its_job_until_done() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v0/pipes/viewers_copy/copy"))
        .and(query_param("min_user", "7"))
        .and(query_param("_mode", "replace"))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer("waiting")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v0/jobs/c-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(job("working")))
        .up_to_n_times(3)
        .expect(3)
        .mount(&server)
        .await;
    let mut done = job("done");
    done["processed_data"] = json!({"read_rows": 10, "written_rows": 4});
    Mock::given(method("GET"))
        .and(path("/v0/jobs/c-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(done))
        .expect(1)
        .mount(&server)
        .await;

    let started = std::time::Instant::now();
    let copied = client(&server)
        .copy(&ViewersCopy { min_user: 7 })
        .mode(CopyMode::Replace)
        .poll_interval(POLL)
        .wait(Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(
        (copied.job.id.as_str(), copied.job.status.as_str()),
        ("c-1", "done")
    );
    assert_eq!(copied.job.kind.as_deref(), Some("copy"));
    assert_eq!(copied.mode.as_deref(), Some("replace"));
    assert_eq!(copied.target.as_deref(), Some("viewers"));
    assert_eq!(copied.written_rows, Some(4));

    // The waits doubled: 5 + 10 + 20 + 40 ms before the four polls (a fixed 5 ms would be 20).
    assert!(
        started.elapsed() >= Duration::from_millis(75),
        "{:?}",
        started.elapsed()
    );
    let polls: Vec<_> = server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == "/v0/jobs/c-1")
        .collect();
    assert_eq!(polls.len(), 4);
}

#[tokio::test]
async fn a_failed_copy_is_an_error_with_the_jobs_message_and_is_not_sent_again() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v0/pipes/viewers_copy/copy"))
        .and(query_param("min_user", "0"))
        .and(query_param_is_missing("_mode"))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer("waiting")))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    let mut failed = job("error");
    failed["error"] = json!("[Error] Memory limit exceeded");
    Mock::given(method("GET"))
        .and(path("/v0/jobs/c-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(failed))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let err = client
        .copy(&ViewersCopy { min_user: 0 })
        .poll_interval(POLL)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "job c-1 error: [Error] Memory limit exceeded"
    );
    assert!(matches!(err, Error::Job { .. }));

    // A 500 may have started the copy: it is not sent again (the client retries 3 times otherwise).
    Mock::given(method("POST"))
        .and(path("/v0/pipes/viewers_copy/copy"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({"error": "boom"})))
        .expect(1)
        .mount(&server)
        .await;
    let err = client.copy(&ViewersCopy { min_user: 0 }).await.unwrap_err();
    assert!(
        matches!(&err, Error::Api { status: 500, message, .. } if message == "boom"),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_copy_not_waited_for_is_its_first_answer_and_a_refusal_is_an_api_error() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v0/pipes/viewers_copy/copy"))
        .and(query_param("_mode", "append"))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer("waiting")))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let copied = client
        .copy(&ViewersCopy { min_user: 0 })
        .mode(CopyMode::Append)
        .no_wait()
        .await
        .unwrap();
    assert_eq!(copied.job.status, "waiting");
    assert_eq!(copied.written_rows, None);

    Mock::given(method("POST"))
        .and(path("/v0/pipes/viewers_copy/copy"))
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_json(json!({"error": "The pipe 'viewers_copy' should be a copy pipe"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = client.copy(&ViewersCopy { min_user: 0 }).await.unwrap_err();
    assert!(
        matches!(&err, Error::Api { status: 403, message, .. }
            if message == "The pipe 'viewers_copy' should be a copy pipe"),
        "{err:?}"
    );

    // A job still running when the wait ends.
    Mock::given(method("POST"))
        .and(path("/v0/pipes/viewers_copy/copy"))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer("working")))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v0/jobs/c-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(job("working")))
        .mount(&server)
        .await;
    let err = client
        .copy(&ViewersCopy { min_user: 0 })
        .poll_interval(POLL)
        .wait(Duration::from_millis(60))
        .await
        .unwrap_err();
    let Error::JobTimeout { id, status, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!((id.as_str(), status.as_str()), ("c-1", "working"));
}
