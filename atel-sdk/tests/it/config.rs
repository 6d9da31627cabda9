//! Building clients: validation, and `build_from_env` precedence with isolated sources.

use std::path::Path;
use std::time::Duration;

use atel_sdk::client::{ConfigSource, DEFAULT_BASE_URL};
use atel_sdk::{Error, TinybirdClient};
use serde_json::json;
use wiremock::matchers::{bearer_token, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::catch_all;

/// A mock server that expects exactly one `/v0/sql` call with `token` (or none when `None`).
async fn server_expecting(token: Option<&str>) -> MockServer {
    let server = MockServer::start().await;
    catch_all(&server).await;
    if let Some(token) = token {
        Mock::given(method("GET"))
            .and(path("/v0/sql"))
            .and(bearer_token(token))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": []})))
            .expect(1)
            .mount(&server)
            .await;
    }
    server
}

/// Tinybird Local's token endpoint on `server`.
async fn serve_local_tokens(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/tokens"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "user_token": "local-user", "admin_token": "local-admin", "workspace_admin_token": "local-ws-admin"
        })))
        .expect(1)
        .mount(server)
        .await;
}

fn write_tinyb(dir: &Path, body: &serde_json::Value) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(".tinyb"), body.to_string()).unwrap();
}

/// A source seeing nothing outside `root`.
fn isolated(root: &Path) -> ConfigSource {
    ConfigSource::empty().start_dir(root).stop_dir(root)
}

async fn call(client: &TinybirdClient) {
    client.sql_json("SELECT 1").await.unwrap();
}

#[tokio::test]
async fn explicit_settings_beat_the_environment() {
    let chosen = server_expecting(Some("explicit")).await;
    let ignored = server_expecting(None).await;
    let root = tempfile::tempdir().unwrap();
    let source = isolated(root.path())
        .var("TINYBIRD_TOKEN", "from-env")
        .var("TINYBIRD_URL", ignored.uri());

    let client = TinybirdClient::builder()
        .token("explicit")
        .base_url(chosen.uri())
        .config_source(source)
        .build_from_env()
        .await
        .unwrap();
    call(&client).await;
}

#[tokio::test]
async fn tinybird_variables_beat_tb_variables() {
    let chosen = server_expecting(Some("tinybird-token")).await;
    let ignored = server_expecting(None).await;
    let root = tempfile::tempdir().unwrap();
    let source = isolated(root.path())
        .var("TINYBIRD_TOKEN", "tinybird-token")
        .var("TINYBIRD_URL", chosen.uri())
        .var("TB_TOKEN", "tb-token")
        .var("TB_HOST", ignored.uri());

    let client = TinybirdClient::builder()
        .config_source(source)
        .build_from_env()
        .await
        .unwrap();
    call(&client).await;
}

#[tokio::test]
async fn tb_variables_beat_a_tinyb_file_and_empty_values_count_as_unset() {
    let chosen = server_expecting(Some("tb-token")).await;
    let ignored = server_expecting(None).await;
    let root = tempfile::tempdir().unwrap();
    write_tinyb(
        root.path(),
        &json!({"token": "file-token", "host": ignored.uri()}),
    );
    let source = isolated(root.path())
        .var("TINYBIRD_TOKEN", "  ")
        .var("TINYBIRD_URL", "")
        .var("TB_TOKEN", "tb-token")
        .var("TB_HOST", chosen.uri());

    let client = TinybirdClient::builder()
        .config_source(source)
        .build_from_env()
        .await
        .unwrap();
    call(&client).await;
}

#[tokio::test]
async fn a_tinyb_file_is_found_from_a_subdirectory_upward() {
    let chosen = server_expecting(Some("file-token")).await;
    let root = tempfile::tempdir().unwrap();
    write_tinyb(
        root.path(),
        &json!({"token": "file-token", "host": chosen.uri(), "name": "ws"}),
    );
    let deep = root.path().join("a/b/c");
    std::fs::create_dir_all(&deep).unwrap();

    let client = TinybirdClient::builder()
        .config_source(ConfigSource::empty().start_dir(&deep).stop_dir(root.path()))
        .build_from_env()
        .await
        .unwrap();
    call(&client).await;
}

#[tokio::test]
async fn a_tinyb_file_gives_the_token_for_a_url_chosen_above_it() {
    let chosen = server_expecting(Some("token-for-chosen")).await;
    let root = tempfile::tempdir().unwrap();
    write_tinyb(
        root.path(),
        &json!({
            "token": "default-token",
            "host": "https://api.tinybird.co",
            "tokens": {chosen.uri(): "token-for-chosen"}
        }),
    );
    let source = isolated(root.path()).var("TINYBIRD_URL", chosen.uri());

    let client = TinybirdClient::builder()
        .config_source(source)
        .build_from_env()
        .await
        .unwrap();
    call(&client).await;
}

#[tokio::test]
async fn the_tinyb_search_stops_at_the_stop_dir_then_asks_tinybird_local() {
    let local = server_expecting(Some("local-ws-admin")).await;
    serve_local_tokens(&local).await;
    let root = tempfile::tempdir().unwrap();
    write_tinyb(
        root.path(),
        &json!({"token": "above-home", "host": "https://api.tinybird.co"}),
    );
    let home = root.path().join("home");
    let project = home.join("project");
    std::fs::create_dir_all(&project).unwrap();

    let source = ConfigSource::empty()
        .start_dir(&project)
        .stop_dir(&home)
        .local_url(local.uri());
    let client = TinybirdClient::builder()
        .config_source(source)
        .build_from_env()
        .await
        .unwrap();
    call(&client).await;
}

#[tokio::test]
async fn a_url_without_a_token_is_asked_for_its_local_token() {
    let local = server_expecting(Some("local-ws-admin")).await;
    serve_local_tokens(&local).await;
    let root = tempfile::tempdir().unwrap();

    let client = TinybirdClient::builder()
        .config_source(isolated(root.path()).var("TB_HOST", local.uri()))
        .build_from_env()
        .await
        .unwrap();
    call(&client).await;
}

#[tokio::test]
async fn a_token_without_a_url_goes_to_the_default_host() {
    let root = tempfile::tempdir().unwrap();
    let client = TinybirdClient::builder()
        .config_source(isolated(root.path()).var("TB_TOKEN", "t"))
        .build_from_env()
        .await
        .unwrap();
    assert_eq!(client.origin(), DEFAULT_BASE_URL);
}

#[tokio::test]
async fn no_token_anywhere_says_where_it_looked() {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let root = tempfile::tempdir().unwrap();
    let source = isolated(root.path()).local_url(format!("http://{closed}"));

    let err = TinybirdClient::builder()
        .connect_timeout(Duration::from_millis(500))
        .config_source(source)
        .build_from_env()
        .await
        .unwrap_err();
    let Error::Config(message) = &err else {
        panic!("{err:?}")
    };
    for place in [
        "`.token()`",
        "$TINYBIRD_TOKEN",
        "$TB_TOKEN",
        "`.tinyb` from",
        &format!("Tinybird Local at http://{closed}/"),
    ] {
        assert!(
            message.contains(place),
            "{place:?} missing from {message:?}"
        );
    }
}

#[tokio::test]
async fn a_broken_tinyb_file_is_a_config_error_that_does_not_quote_it() {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join(".tinyb"), r#"{"tokens": "p.leaked"}"#).unwrap();

    let err = TinybirdClient::builder()
        .config_source(isolated(root.path()))
        .build_from_env()
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("is not a valid `.tinyb` file (line 1"),
        "{message}"
    );
    assert!(!message.contains("p.leaked"), "{message}");
}

#[test]
fn build_checks_its_settings() {
    let config_error = |builder: atel_sdk::client::TinybirdClientBuilder| match builder.build() {
        Err(Error::Config(message)) => message,
        other => panic!("{other:?}"),
    };
    assert!(config_error(TinybirdClient::builder()).contains("no Tinybird token"));
    assert!(config_error(TinybirdClient::builder().token("")).contains("empty"));
    assert!(
        config_error(TinybirdClient::builder().token("t").base_url("not a url"))
            .starts_with("invalid Tinybird base URL")
    );
    assert!(
        config_error(TinybirdClient::builder().token("t").base_url("ftp://x")).contains("`ftp`")
    );
    let message = config_error(
        TinybirdClient::builder()
            .token("t")
            .base_url("https://api.tinybird.co/?token=p.leaked"),
    );
    assert!(!message.contains("p.leaked"), "{message}");
    assert!(
        config_error(TinybirdClient::builder().token("t").timeout(Duration::ZERO))
            .contains("above zero")
    );
    let client = TinybirdClient::builder()
        .token("t")
        .base_url("http://localhost:7181/")
        .build()
        .unwrap();
    assert_eq!(client.origin(), "http://localhost:7181");
}

#[tokio::test]
async fn a_tinyb_host_never_receives_a_token_from_another_source() {
    let other_workspace = server_expecting(None).await;
    let root = tempfile::tempdir().unwrap();
    write_tinyb(
        root.path(),
        &json!({"host": other_workspace.uri(), "token": "tinyb-token"}),
    );
    let source = isolated(root.path()).var("TINYBIRD_TOKEN", "env-token");

    let client = TinybirdClient::builder()
        .config_source(source)
        .build_from_env()
        .await
        .unwrap();
    // The environment's token goes with the environment's (here: the default) URL, not `.tinyb`'s host.
    assert_eq!(client.origin(), DEFAULT_BASE_URL.trim_end_matches('/'));
}
