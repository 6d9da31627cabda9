//! `build` and `deploy`: the multipart `tb` sends, polling, promotion, failures.

use std::path::Path;
use std::time::Duration;

use atel_sdk::Error;
use atel_sdk::client::DeployOptions;
use serde_json::json;
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{catch_all, client};

const DATASOURCE: &str = "SCHEMA >\n    `n` UInt64 `json:$.n`\n";
const PIPE: &str = "NODE endpoint\nSQL >\n    SELECT n FROM things\n\nTYPE endpoint\n";

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let write = |relative: &str, text: &str| {
        let file = dir.path().join(relative);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    };
    write("datasources/things.datasource", DATASOURCE);
    write("endpoints/top_things.pipe", PIPE);
    write("README.md", "not a datafile");
    dir
}

fn fast(options: DeployOptions) -> DeployOptions {
    DeployOptions {
        poll_interval: Duration::from_millis(5),
        wait_timeout: Duration::from_secs(5),
        ..options
    }
}

/// The parts of a multipart body: (name, filename, content), in order.
fn parts(request: &wiremock::Request) -> Vec<(String, String, String)> {
    let content_type = request
        .headers
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap();
    let text = String::from_utf8_lossy(&request.body);
    assert!(
        !text.contains("name*="),
        "names must not be RFC 2231-encoded"
    );
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap_or_else(|| panic!("not multipart: {content_type}"));
    let body = String::from_utf8(request.body.clone()).unwrap();
    body.split(&format!("--{boundary}"))
        .filter_map(|part| {
            let (head, content) = part.split_once("\r\n\r\n")?;
            let disposition = head
                .lines()
                .find(|l| l.to_ascii_lowercase().starts_with("content-disposition"))?;
            let field = |key: &str| {
                disposition.split(';').find_map(|param| {
                    let value = param.trim().strip_prefix(key)?.strip_prefix("=\"")?;
                    Some(value.strip_suffix('"')?.to_owned())
                })
            };
            let content = content.strip_suffix("\r\n").unwrap_or(content);
            Some((field("name")?, field("filename")?, content.to_owned()))
        })
        .collect()
}

async fn accept_deploy(server: &MockServer, id: serde_json::Value) {
    Mock::given(method("POST"))
        .and(path("/v1/deploy"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "result": "success",
            "deployment": {"id": id, "status": "calculating", "live": false, "feedback": []}
        })))
        .expect(1)
        .mount(server)
        .await;
}

async fn poll_answers(server: &MockServer, id: &str, statuses: &[(&str, bool)]) {
    for (i, (status, live)) in statuses.iter().enumerate() {
        let is_last = i + 1 == statuses.len();
        let mut mock = Mock::given(method("GET"))
            .and(path(format!("/v1/deployments/{id}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "deployment": {
                    "id": id, "status": status, "live": live,
                    "feedback": [{"resource": "endpoints/top_things.pipe", "level": "WARNING", "message": "no TOKEN"}]
                }
            })))
            .expect(1)
            .with_priority(u8::try_from(i + 1).unwrap());
        if !is_last {
            mock = mock.up_to_n_times(1);
        }
        mock.mount(server).await;
    }
}

#[tokio::test]
async fn deploy_sends_tb_multipart_then_polls_until_live() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    accept_deploy(&server, json!(7)).await;
    poll_answers(
        &server,
        "7",
        &[
            ("calculating", false),
            ("data_ready", false),
            ("data_ready", true),
        ],
    )
    .await;

    let dir = project();
    let outcome = client(&server)
        .deploy(dir.path(), fast(DeployOptions::default()))
        .await
        .unwrap();
    assert_eq!(outcome.deployment_id.as_deref(), Some("7"));
    assert_eq!(outcome.status.as_deref(), Some("data_ready"));
    assert!(outcome.live);
    assert_eq!(outcome.feedback[0].message, "no TOKEN");

    let requests = server.received_requests().await.unwrap();
    let deploy = &requests[0];
    assert_eq!(deploy.url.query(), Some("auto_promote=true"));
    assert_eq!(
        parts(deploy),
        [
            (
                "context://".to_owned(),
                "cli-version".to_owned(),
                "1.0.0".to_owned()
            ),
            (
                "data_project://".to_owned(),
                "datasources/things.datasource".to_owned(),
                DATASOURCE.to_owned()
            ),
            (
                "data_project://".to_owned(),
                "endpoints/top_things.pipe".to_owned(),
                PIPE.to_owned()
            ),
        ]
    );
    assert_eq!(requests.len(), 4, "one deploy, three polls");
}

#[tokio::test]
async fn without_auto_promote_the_client_sets_it_live() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/deploy"))
        .and(query_param_is_missing("auto_promote"))
        .and(query_param("allow_destructive_operations", "true"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "result": "success", "deployment": {"id": "12", "status": "calculating"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    poll_answers(&server, "12", &[("data_ready", false)]).await;
    Mock::given(method("POST"))
        .and(path("/v1/deployments/12/set-live"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"result": "success"})))
        .expect(1)
        .mount(&server)
        .await;

    let dir = project();
    let outcome = client(&server)
        .deploy(
            dir.path(),
            fast(DeployOptions {
                auto_promote: false,
                allow_destructive: true,
                ..DeployOptions::default()
            }),
        )
        .await
        .unwrap();
    assert!(outcome.live);
}

#[tokio::test]
async fn check_only_validates_and_does_not_poll() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/deploy"))
        .and(query_param("check", "true"))
        .and(query_param_is_missing("auto_promote"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "result": "success", "deployment": {"id": "3", "status": "calculating", "feedback": []}
        })))
        .expect(1)
        .mount(&server)
        .await;

    let dir = project();
    let outcome = client(&server)
        .deploy(
            dir.path(),
            fast(DeployOptions {
                check: true,
                ..DeployOptions::default()
            }),
        )
        .await
        .unwrap();
    assert_eq!(outcome.result, "success");
    assert!(!outcome.live);
}

#[tokio::test]
async fn a_failed_deploy_carries_the_feedback() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/deploy"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "result": "failed",
            "deployment": {
                "id": "4", "status": "failed",
                "errors": [{"filename": "endpoints/top_things.pipe", "error": "Resource 'thingz' not found"}],
                "feedback": [
                    {"resource": "datasources/things.datasource", "level": "ERROR", "message": "Unknown type 'UInt65'"},
                    {"resource": null, "level": "INFO", "message": "fine"}
                ]
            }
        })))
        .expect(1)
        .mount(&server)
        .await;

    let dir = project();
    let err = client(&server)
        .deploy(dir.path(), fast(DeployOptions::default()))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "deployment failed: endpoints/top_things.pipe: Resource 'thingz' not found; \
         datasources/things.datasource: Unknown type 'UInt65'"
    );
}

/// Tinybird (and `tinybird/local`) report a failure in `errors`, by file, and again as `ERROR` feedback, by
/// resource: the error names it once.
#[tokio::test]
async fn an_error_reported_in_errors_and_feedback_is_shown_once() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/deploy"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "result": "failed",
            "deployment": {
                "id": "4", "status": "failed",
                "errors": [{"filename": "datasources/things.datasource", "error": "Nested type Array(String) cannot be inside Nullable type"}],
                "feedback": [
                    {"resource": "things", "level": "ERROR", "message": "Nested type Array(String) cannot be inside Nullable type"}
                ]
            }
        })))
        .expect(1)
        .mount(&server)
        .await;

    let dir = project();
    let err = client(&server)
        .deploy(dir.path(), fast(DeployOptions::default()))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "deployment failed: datasources/things.datasource: Nested type Array(String) cannot be inside \
         Nullable type"
    );
}

#[tokio::test]
async fn a_deployment_that_fails_while_polled_is_an_error() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    accept_deploy(&server, json!("5")).await;
    Mock::given(method("GET"))
        .and(path("/v1/deployments/5"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "deployment": {"id": "5", "status": "failed", "errors": ["populate failed"]}
        })))
        .expect(1)
        .mount(&server)
        .await;

    let dir = project();
    let err = client(&server)
        .deploy(dir.path(), fast(DeployOptions::default()))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Deploy { status, messages, .. } if status == "failed" && messages == &["populate failed"]),
        "{err:?}"
    );
}

#[tokio::test]
async fn polling_gives_up_after_the_wait_timeout() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    accept_deploy(&server, json!("6")).await;
    Mock::given(method("GET"))
        .and(path("/v1/deployments/6"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "deployment": {"id": "6", "status": "calculating"}
        })))
        .mount(&server)
        .await;

    let dir = project();
    let err = client(&server)
        .deploy(
            dir.path(),
            DeployOptions {
                poll_interval: Duration::from_millis(20),
                wait_timeout: Duration::from_millis(100),
                ..DeployOptions::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    let polls = server.received_requests().await.unwrap().len() - 1;
    assert!((3..=7).contains(&polls), "{polls} polls");
}

#[tokio::test]
async fn build_sends_the_same_multipart_and_reports_failures() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/build"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "result": "success",
            "build": {"new_datasource_names": ["things"], "feedback": []}
        })))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/build"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "result": "failed",
            "errors": [{"filename": "endpoints/top_things.pipe", "error": "Syntax error"}]
        })))
        .expect(1)
        .mount(&server)
        .await;

    let dir = project();
    let client = client(&server);
    let outcome = client.build_project(dir.path()).await.unwrap();
    assert_eq!(outcome.result, "success");
    assert_eq!(outcome.build["new_datasource_names"][0], "things");
    let request = &server.received_requests().await.unwrap()[0];
    assert_eq!(parts(request).len(), 3);

    let err = client.build_project(dir.path()).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "build failed: endpoints/top_things.pipe: Syntax error"
    );
}

#[tokio::test]
async fn an_empty_project_is_a_config_error_before_sending() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let empty = tempfile::tempdir().unwrap();
    let err = client(&server)
        .deploy(empty.path(), DeployOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    let missing = client(&server)
        .build_project(Path::new("/definitely/not/here"))
        .await
        .unwrap_err();
    assert!(matches!(missing, Error::Config(_)), "{missing:?}");
}

#[tokio::test]
async fn a_deploy_that_may_have_started_is_never_sent_twice() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    // A 500 may come after the deployment was created: a retry could start a second one.
    Mock::given(method("POST"))
        .and(path("/v1/deploy"))
        .respond_with(ResponseTemplate::new(500).set_body_string("boom"))
        .expect(1)
        .mount(&server)
        .await;

    let dir = project();
    let err = client(&server)
        .deploy(dir.path(), fast(DeployOptions::default()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Api { status: 500, .. }), "{err:?}");
}

#[tokio::test]
async fn a_deploy_refused_with_503_is_retried() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/deploy"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    accept_deploy(&server, json!("7")).await;
    poll_answers(&server, "7", &[("data_ready", true)]).await;

    let dir = project();
    let outcome = client(&server)
        .deploy(dir.path(), fast(DeployOptions::default()))
        .await
        .unwrap();
    assert_eq!(outcome.deployment_id.as_deref(), Some("7"));
}
