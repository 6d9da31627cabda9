use atel_sdk::Error;
use atel_sdk::client::DeployOptions;
use atel_tests::server::{LocalServer, repo_root};

#[tokio::test]
async fn deploying_the_project_twice_is_no_change_and_a_broken_file_fails_naming_it() {
    let server = LocalServer::start();
    let client = server.client();
    let first = client
        .deploy(repo_root().join("tinybird"), DeployOptions::default())
        .await
        .expect("first deploy");
    assert_eq!(first.result, "success");
    assert!(first.live, "auto-promoted deployment is live: {first:?}");

    let again = client
        .deploy(repo_root().join("tinybird"), DeployOptions::default())
        .await
        .expect("second deploy");
    assert_eq!(again.result, "no_changes");

    let broken = tempfile::tempdir().expect("temp project");
    std::fs::create_dir_all(broken.path().join("datasources")).expect("mkdir");
    std::fs::write(
        broken.path().join("datasources/bad.datasource"),
        "SCHEMA >\n    `x` NotAType `json:$.x`\n",
    )
    .expect("write bad datasource");
    let check = DeployOptions {
        check: true,
        ..DeployOptions::default()
    };
    let error = client
        .deploy(broken.path(), check)
        .await
        .expect_err("invalid datafile");
    let Error::Deploy { messages, .. } = &error else {
        panic!("expected Error::Deploy, got {error:?}");
    };
    assert!(
        messages.iter().any(|m| m.contains("bad.datasource")),
        "feedback names the file: {messages:?}"
    );
}
