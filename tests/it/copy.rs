//! Copy pipes run through `client.copy()` against `tinybird/local` (append, a param, a replace), the
//! target's rows checked against a hand count; and the tokens the datafiles declare, read from
//! `/v0/tokens`, allowed exactly what their `TOKEN` lines say.

use atel_sdk::client::{CopyMode, DeployOptions};
use atel_sdk::project::Project;
use atel_sdk::{Datasource, Error, TinybirdClient, pipe};
use atel_tests::server::LocalServer;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One page view; `shop_ingest` may append to it.
#[derive(Debug, Clone, Serialize, Deserialize, Datasource)]
#[tinybird(
    name = "copy_views",
    sorting_key = "path, user_id",
    token = "shop_ingest APPEND"
)]
struct View {
    path: String,
    user_id: u64,
}

/// What the copy writes: distinct viewers per path.
#[derive(Debug, Serialize, Deserialize, Datasource)]
#[tinybird(name = "copy_viewers", sorting_key = "path")]
struct Viewers {
    path: String,
    viewers: u64,
}

#[pipe(
    name = "copy_viewers_copy",
    copy(target = Viewers, schedule = "@on-demand"),
    token = "ops",
    node(
        name = "snapshot",
        sql = "%\nSELECT path, uniqExact(user_id) AS viewers FROM copy_views WHERE user_id >= {{ UInt64(min_user, 0) }} GROUP BY path"
    )
)]
struct ViewersCopy {
    #[param(default = 0)]
    min_user: u64,
}

#[derive(Debug, Deserialize)]
struct PathViews {
    path: String,
    views: u64,
}

#[pipe(
    name = "copy_views_by_path",
    output = PathViews,
    token = "dashboard",
    node(
        name = "by_path",
        sql = "SELECT path, count() AS views FROM copy_views GROUP BY path ORDER BY path"
    )
)]
struct ViewsByPath;

#[pipe(
    name = "copy_viewers_list",
    output = Viewers,
    node(
        name = "listed",
        sql = "SELECT path, viewers FROM copy_viewers ORDER BY path, viewers"
    )
)]
struct ViewersList;

fn view(path: &str, user_id: u64) -> View {
    View {
        path: path.to_owned(),
        user_id,
    }
}

/// "/" users 1, 2, 2; "/cart" 3, 1; "/pay" 3.
fn views() -> Vec<View> {
    vec![
        view("/", 1),
        view("/", 2),
        view("/", 2),
        view("/cart", 3),
        view("/cart", 1),
        view("/pay", 3),
    ]
}

async fn deployed() -> (LocalServer, TinybirdClient, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp project");
    Project::new()
        .datasource::<View>()
        .datasource::<Viewers>()
        .pipe::<ViewersCopy>()
        .pipe::<ViewsByPath>()
        .pipe::<ViewersList>()
        .write(dir.path())
        .expect("write the project");
    let server = LocalServer::start();
    let client = server.client();
    let outcome = client
        .deploy(dir.path(), DeployOptions::default())
        .await
        .expect("deploy");
    assert_eq!(outcome.result, "success", "{outcome:?}");
    let summary = client.ingest(&views()).await.expect("ingest");
    assert_eq!(summary.successful_rows, 6);
    (server, client, dir)
}

async fn target(client: &TinybirdClient) -> Vec<(String, u64)> {
    let rows = client.query(&ViewersList).await.expect("copy_viewers_list");
    rows.into_iter().map(|r| (r.path, r.viewers)).collect()
}

fn pairs(expected: &[(&str, u64)]) -> Vec<(String, u64)> {
    expected
        .iter()
        .map(|(p, n)| ((*p).to_owned(), *n))
        .collect()
}

#[tokio::test]
async fn a_copy_appends_then_replaces_its_target() {
    let (_server, client, _dir) = deployed().await;

    // COPY_MODE is Tinybird's default, append. Distinct users: "/" {1, 2}, "/cart" {1, 3}, "/pay" {3}.
    let first = client
        .copy(&ViewersCopy { min_user: 0 })
        .await
        .expect("copy");
    assert_eq!(first.job.status, "done");
    assert_eq!(first.job.kind.as_deref(), Some("copy"));
    assert_eq!(first.mode.as_deref(), Some("append"));
    assert_eq!(first.target.as_deref(), Some(Viewers::NAME));
    assert_eq!(first.written_rows, Some(3));
    assert_eq!(
        target(&client).await,
        pairs(&[("/", 2), ("/cart", 2), ("/pay", 1)])
    );
    // The job reads back the same through the Jobs API.
    assert_eq!(client.job(&first.job.id).await.expect("job").status, "done");

    // Appended again with a param: users >= 2 are "/" {2}, "/cart" {3}, "/pay" {3}.
    let second = client
        .copy(&ViewersCopy { min_user: 2 })
        .await
        .expect("copy");
    assert_eq!(second.written_rows, Some(3));
    assert_eq!(
        target(&client).await,
        pairs(&[
            ("/", 1),
            ("/", 2),
            ("/cart", 1),
            ("/cart", 2),
            ("/pay", 1),
            ("/pay", 1)
        ])
    );

    // Replace: only this run's rows are left; users >= 3 are "/cart" {3}, "/pay" {3}.
    let third = client
        .copy(&ViewersCopy { min_user: 3 })
        .mode(CopyMode::Replace)
        .await
        .expect("copy");
    assert_eq!(third.mode.as_deref(), Some("replace"));
    assert_eq!(third.written_rows, Some(2));
    assert_eq!(target(&client).await, pairs(&[("/cart", 1), ("/pay", 1)]));
}

/// `GET /v0/tokens` by hand: the SDK's `tokens()` never keeps token values.
async fn token_value(server: &LocalServer, name: &str) -> String {
    let host = server.url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.expect("connect");
    let request = format!(
        "GET /v0/tokens HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
        server.token
    );
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.expect("read");
    let (_, body) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
    let tokens: Value = serde_json::from_str(body).expect("JSON");
    tokens["tokens"]
        .as_array()
        .expect("tokens")
        .iter()
        .find(|t| t["name"] == name)
        .and_then(|t| t["token"].as_str())
        .unwrap_or_else(|| panic!("no token {name}"))
        .to_owned()
}

fn as_token(server: &LocalServer, token: &str) -> TinybirdClient {
    TinybirdClient::builder()
        .base_url(&server.url)
        .token(token)
        .build()
        .expect("client")
}

fn forbidden<T: std::fmt::Debug>(result: Result<T, Error>) -> String {
    match result {
        Err(Error::Api {
            status: 403,
            message,
            ..
        }) => message,
        other => panic!("expected a 403, got {other:?}"),
    }
}

#[tokio::test]
async fn declared_tokens_read_and_append_only_where_their_lines_say() {
    let (server, client, _dir) = deployed().await;
    let scopes: Vec<(String, Vec<String>)> = client
        .tokens()
        .await
        .expect("tokens")
        .into_iter()
        .map(|t| (t.name, t.scopes))
        .collect();
    assert_eq!(
        scopes[1..],
        [
            (
                "shop_ingest".to_owned(),
                vec!["DATASOURCES:APPEND:copy_views".to_owned()]
            ),
            (
                "ops".to_owned(),
                vec!["PIPES:READ:copy_viewers_copy".to_owned()]
            ),
            (
                "dashboard".to_owned(),
                vec!["PIPES:READ:copy_views_by_path".to_owned()]
            ),
        ]
    );

    let dashboard = as_token(&server, &token_value(&server, "dashboard").await);
    // Its endpoint: views per path by hand, "/" 3, "/cart" 2, "/pay" 1.
    let rows = dashboard.query(&ViewsByPath).await.expect("its endpoint");
    let rows: Vec<(&str, u64)> = rows.iter().map(|r| (r.path.as_str(), r.views)).collect();
    assert_eq!(rows, [("/", 3), ("/cart", 2), ("/pay", 1)]);
    // Nothing else: another endpoint, the datasource under its own, a copy, an ingest.
    assert_eq!(
        forbidden(dashboard.query(&ViewersList).await),
        "The token you have provided doesn't have access to this resource"
    );
    assert_eq!(
        forbidden(dashboard.sql_json("SELECT count() FROM copy_views").await),
        "Resource 'copy_views' not found"
    );
    forbidden(dashboard.copy(&ViewersCopy { min_user: 0 }).await);
    forbidden(dashboard.ingest(&[view("/", 9)]).await);

    // The append token writes into its datasource and cannot read it.
    let ingest = as_token(&server, &token_value(&server, "shop_ingest").await);
    let summary = ingest.ingest(&[view("/new", 9)]).await.expect("append");
    assert_eq!(summary.successful_rows, 1);
    forbidden(ingest.query(&ViewsByPath).await);
    let rows = client.query(&ViewsByPath).await.expect("admin reads all");
    assert_eq!(rows.len(), 4, "/new was written");
}
