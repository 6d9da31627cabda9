//! Materialized, copy and sink pipes and `TOKEN` lines: the exact datafile text, what Tinybird's own
//! parser reads in it, and a materialized view deployed to `tinybird/local` whose target holds exactly
//! what a hand count of the ingested rows says.

use atel_sdk::client::DeployOptions;
use atel_sdk::project::Project;
use atel_sdk::{Datasource, Pipe, PipeKind, pipe};
use atel_tests::server::LocalServer;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::oracle::describe_file;

/// The source: one row per page view.
#[derive(Debug, Serialize, Deserialize, Datasource)]
#[tinybird(name = "shop_views", sorting_key = "path, user_id")]
struct View {
    #[tinybird(low_cardinality)]
    path: String,
    user_id: u64,
}

/// What the materialized view writes: views per path, one row per path and insert.
#[derive(Debug, Serialize, Deserialize, Datasource)]
#[tinybird(name = "shop_views_by_path", sorting_key = "path")]
struct ViewsByPath {
    path: String,
    views: u64,
}

/// What the copy writes on demand: a snapshot of the distinct viewers per path.
#[derive(Debug, Serialize, Deserialize, Datasource)]
#[tinybird(name = "shop_viewers_snapshot", sorting_key = "path")]
struct ViewerSnapshot {
    path: String,
    viewers: u64,
}

#[pipe(
    name = "shop_views_by_path_mv",
    description = "Views per path, on every insert into shop_views.",
    materialized = ViewsByPath,
    node(name = "count_views", sql = "SELECT path, count() AS views FROM shop_views GROUP BY path")
)]
struct ViewsByPathMv;

#[pipe(
    name = "shop_viewers_copy",
    copy(target = ViewerSnapshot, schedule = "@on-demand", mode = "replace"),
    token = "ops",
    node(
        name = "snapshot",
        sql = "SELECT path, uniqExact(user_id) AS viewers FROM shop_views GROUP BY path"
    )
)]
struct ViewersCopy;

#[pipe(
    name = "shop_views_export",
    sink(
        connection = "shop_s3",
        bucket_uri = "s3://shop-exports/views",
        file_template = "views_{date}",
        format = "csv",
        schedule = "0 * * * *"
    ),
    node(name = "export", sql = "SELECT path, user_id FROM shop_views")
)]
struct ViewsExport;

#[derive(Debug, Deserialize)]
struct PathViews {
    path: String,
    views: u64,
}

#[pipe(
    name = "shop_top_paths",
    output = PathViews,
    token = "dashboard",
    token = "ops",
    node(
        name = "top",
        sql = "SELECT path, sum(views) AS views FROM shop_views_by_path GROUP BY path ORDER BY views DESC, path"
    )
)]
struct TopPaths;

#[derive(Deserialize)]
struct Count {
    n: u64,
}

#[test]
fn each_kind_renders_tinybirds_layout() {
    assert_eq!(
        ViewsByPathMv::datafile(),
        "DESCRIPTION >\n    Views per path, on every insert into shop_views.\n\n\
         NODE count_views\nSQL >\n    SELECT path, count() AS views FROM shop_views GROUP BY path\n\n\
         TYPE materialized\nDATASOURCE shop_views_by_path\n"
    );
    assert_eq!(
        ViewersCopy::datafile(),
        "TOKEN \"ops\" READ\n\n\
         NODE snapshot\nSQL >\n    SELECT path, uniqExact(user_id) AS viewers FROM shop_views GROUP BY path\n\n\
         TYPE copy\nTARGET_DATASOURCE shop_viewers_snapshot\nCOPY_MODE replace\nCOPY_SCHEDULE @on-demand\n"
    );
    assert_eq!(
        ViewsExport::datafile(),
        "NODE export\nSQL >\n    SELECT path, user_id FROM shop_views\n\n\
         TYPE sink\nEXPORT_CONNECTION_NAME shop_s3\nEXPORT_BUCKET_URI s3://shop-exports/views\n\
         EXPORT_FILE_TEMPLATE views_{date}\nEXPORT_FORMAT csv\nEXPORT_SCHEDULE 0 * * * *\n"
    );
    assert_eq!(
        TopPaths::schema().tokens,
        ["dashboard", "ops"],
        "tokens keep their order"
    );
    // The target's name comes from its type, so renaming the datasource renames it here too.
    assert_eq!(
        ViewsByPathMv::schema().kind,
        PipeKind::Materialized {
            datasource: ViewsByPath::NAME
        }
    );
}

#[test]
fn tinybirds_parser_reads_each_kind_as_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |name: &str, text: String| {
        let path = dir.path().join(format!("{name}.pipe"));
        std::fs::write(&path, text).expect("write pipe");
        describe_file(&path)
    };
    let node = |seen: &Value| seen["nodes"][0].clone();

    let mv = write(ViewsByPathMv::NAME, ViewsByPathMv::datafile());
    assert_eq!(node(&mv)["type"], "materialized");
    assert_eq!(node(&mv)["datasource"], "shop_views_by_path");

    let copy = write(ViewersCopy::NAME, ViewersCopy::datafile());
    assert_eq!(node(&copy)["type"], "copy");
    assert_eq!(node(&copy)["target_datasource"], "shop_viewers_snapshot");
    assert_eq!(node(&copy)["mode"], "replace");
    assert_eq!(node(&copy)["copy_schedule"], "@on-demand");
    assert_eq!(copy["tokens"], json!([["ops", "READ"]]));

    let sink = write(ViewsExport::NAME, ViewsExport::datafile());
    let sink = node(&sink);
    assert_eq!(sink["type"], "sink");
    assert_eq!(sink["export_connection_name"], "shop_s3");
    assert_eq!(sink["export_bucket_uri"], "s3://shop-exports/views");
    assert_eq!(sink["export_file_template"], "views_{date}");
    assert_eq!(sink["export_format"], "csv");
    assert_eq!(sink["export_schedule"], "0 * * * *");

    let top = write(TopPaths::NAME, TopPaths::datafile());
    assert_eq!(node(&top)["type"], "endpoint");
    assert_eq!(
        top["tokens"],
        json!([["dashboard", "READ"], ["ops", "READ"]])
    );
}

#[tokio::test]
async fn a_materialized_view_fills_its_target_on_every_insert() {
    let project = tempfile::tempdir().expect("temp project");
    let shop = Project::new()
        .datasource::<View>()
        .datasource::<ViewsByPath>()
        .datasource::<ViewerSnapshot>()
        .pipe::<ViewsByPathMv>()
        .pipe::<ViewersCopy>()
        .pipe::<TopPaths>();
    let written = shop.write(project.path()).expect("write the project");
    // Tinybird's folder conventions, by pipe kind.
    assert_eq!(
        written.written,
        [
            "copies/shop_viewers_copy.pipe",
            "datasources/shop_viewers_snapshot.datasource",
            "datasources/shop_views.datasource",
            "datasources/shop_views_by_path.datasource",
            "endpoints/shop_top_paths.pipe",
            "materializations/shop_views_by_path_mv.pipe",
        ]
    );
    shop.check(project.path())
        .expect("no drift right after writing");

    let server = LocalServer::start();
    let client = server.client();
    let outcome = client
        .deploy(project.path(), DeployOptions::default())
        .await
        .expect("deploy the shop project");
    assert_eq!(outcome.result, "success", "{outcome:?}");

    let view = |path: &str, user_id: u64| View {
        path: path.to_owned(),
        user_id,
    };
    // Two inserts: the view runs on each, so the target holds one row per path per insert.
    let first = [view("/", 1), view("/", 2), view("/cart", 1)];
    let second = [
        view("/", 1),
        view("/pay", 3),
        view("/cart", 2),
        view("/cart", 2),
    ];
    for batch in [&first[..], &second[..]] {
        let summary = client
            .ingest(batch)
            .await
            .expect("ingest")
            .check()
            .expect("no quarantine");
        assert_eq!(summary.successful_rows, batch.len() as u64);
    }

    // By hand: "/" 2 + 1 = 3 views, "/cart" 1 + 2 = 3, "/pay" 1.
    let top = client.shop_top_paths().await.expect("shop_top_paths");
    let top: Vec<(&str, u64)> = top.iter().map(|r| (r.path.as_str(), r.views)).collect();
    assert_eq!(top, [("/", 3), ("/cart", 3), ("/pay", 1)]);
    let raw: Vec<Count> = client
        .sql("SELECT count() AS n FROM shop_views_by_path")
        .await
        .expect("count target rows");
    // "/" and "/cart" from the first insert, "/", "/pay", "/cart" from the second.
    assert_eq!(raw[0].n, 5);
}

/// The sink's S3 connection and a Kafka one, as typed values: the project writes them where
/// Tinybird looks (`connections/`), and Tinybird's parser reads back every setting, credentials
/// only as `tb_secret` references.
#[test]
fn connections_are_written_for_tinybirds_parser() {
    use atel_sdk::connection::{KafkaConnection, S3Connection, SaslMechanism, Secret};
    let project = Project::new()
        .pipe::<ViewsExport>()
        .connection(S3Connection::new(
            "shop_s3",
            "eu-west-1",
            Secret::new("SHOP_S3_ROLE_ARN"),
        ))
        .connection(
            KafkaConnection::new(
                "shop_kafka",
                Secret::with_default("KAFKA_SERVERS", "localhost:9092"),
            )
            .sasl(
                SaslMechanism::ScramSha512,
                Secret::new("KAFKA_KEY"),
                Secret::new("KAFKA_SECRET"),
            )
            .schema_registry_url("https://registry.example.com"),
        );
    let dir = tempfile::tempdir().expect("temp dir");
    project.write(dir.path()).expect("write");
    let paths: Vec<&str> = project.files().map(|(path, _)| path).collect();
    assert_eq!(
        paths,
        [
            "connections/shop_kafka.connection",
            "connections/shop_s3.connection",
            "sinks/shop_views_export.pipe"
        ]
    );
    let s3 = describe_file(&dir.path().join("connections/shop_s3.connection"));
    assert_eq!(
        s3["settings"],
        json!({"type": "s3", "s3_region": "eu-west-1", "s3_arn": "{{ tb_secret(\"SHOP_S3_ROLE_ARN\") }}"})
    );
    let kafka = describe_file(&dir.path().join("connections/shop_kafka.connection"));
    let settings = &kafka["settings"];
    assert_eq!(settings["type"], "kafka");
    assert_eq!(settings["kafka_security_protocol"], "SASL_SSL");
    assert_eq!(settings["kafka_sasl_mechanism"], "SCRAM-SHA-512");
    assert_eq!(settings["kafka_key"], "{{ tb_secret(\"KAFKA_KEY\") }}");
    assert_eq!(
        settings["kafka_secret"],
        "{{ tb_secret(\"KAFKA_SECRET\") }}"
    );
    assert_eq!(
        settings["kafka_schema_registry_url"],
        "https://registry.example.com"
    );
    assert!(
        settings["kafka_bootstrap_servers"]
            .as_str()
            .is_some_and(|s| s.contains("KAFKA_SERVERS") && s.contains("localhost:9092")),
        "{settings}"
    );
    // Without SASL the protocol is written out: Tinybird reads a missing one as `SASL_SSL`.
    let plain_dir = tempfile::tempdir().expect("temp dir");
    Project::new()
        .connection(KafkaConnection::new("lan_kafka", "kafka.lan:9092"))
        .write(plain_dir.path())
        .expect("write");
    let plain = describe_file(&plain_dir.path().join("connections/lan_kafka.connection"));
    assert_eq!(
        plain["settings"],
        json!({"type": "kafka", "kafka_bootstrap_servers": "kafka.lan:9092", "kafka_security_protocol": "PLAINTEXT"})
    );
    // The sink names the connection the project holds.
    let sink = describe_file(&dir.path().join("sinks/shop_views_export.pipe"));
    assert_eq!(sink["nodes"][0]["export_connection_name"], "shop_s3");
}
