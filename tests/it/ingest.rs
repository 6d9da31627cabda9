use atel_sdk::TinybirdClient;
use atel_sdk::client::Compression;
use atel_sdk::telemetry::{AgentActivation, ApiRequest, SkillActivation};
use atel_tests::factories::{
    make_agent_activation_row, make_api_request_row, make_skill_activation_row,
};
use serde::Deserialize;

use super::deployed;

#[derive(Debug, Deserialize)]
struct Count {
    n: u64,
}

#[tokio::test]
async fn factory_rows_land_column_for_column() {
    let (_server, client) = deployed().await;
    let agent = make_agent_activation_row();
    let skill = make_skill_activation_row();
    let request = make_api_request_row();
    assert_eq!(
        client
            .ingest(std::slice::from_ref(&agent))
            .await
            .expect("ingest agent")
            .successful_rows,
        1
    );
    assert_eq!(
        client
            .ingest(std::slice::from_ref(&skill))
            .await
            .expect("ingest skill")
            .successful_rows,
        1
    );
    assert_eq!(
        client
            .ingest(std::slice::from_ref(&request))
            .await
            .expect("ingest request")
            .successful_rows,
        1
    );

    let agents: Vec<AgentActivation> = client
        .sql("SELECT * FROM agent_activations")
        .await
        .expect("read agents");
    assert_eq!(agents, vec![agent]);
    let skills: Vec<SkillActivation> = client
        .sql("SELECT * FROM skill_activations")
        .await
        .expect("read skills");
    assert_eq!(skills, vec![skill]);
    let requests: Vec<ApiRequest> = client
        .sql("SELECT * FROM api_requests")
        .await
        .expect("read requests");
    assert_eq!(requests, vec![request]);
}

#[tokio::test]
async fn a_row_with_a_wrong_type_is_quarantined_and_reported() {
    let (_server, client) = deployed().await;
    let good = serde_json::to_string(&make_skill_activation_row()).expect("encode");
    let mut bad: serde_json::Value = serde_json::from_str(&good).expect("decode");
    bad["duration_ms"] = serde_json::Value::from("twelve");
    let body = format!("{good}\n{bad}\n");

    let summary = client
        .ingest_ndjson("skill_activations", body.as_bytes())
        .await
        .expect("ingest");
    assert_eq!((summary.successful_rows, summary.quarantined_rows), (1, 1));
    assert!(
        summary.check().is_err(),
        "check() turns quarantine into an error"
    );

    let landed: Vec<Count> = client
        .sql("SELECT count() AS n FROM skill_activations")
        .await
        .expect("count");
    assert_eq!(landed[0].n, 1);
    let quarantined: Vec<Count> = client
        .sql("SELECT count() AS n FROM skill_activations_quarantine")
        .await
        .expect("count quarantine");
    assert_eq!(quarantined[0].n, 1);
}

#[tokio::test]
async fn compressed_ingests_land_whole_zstd_gzip_and_plain_split_across_requests() {
    let (server, _client) = deployed().await;
    let rows: Vec<AgentActivation> = (0..3_000).map(|_| make_agent_activation_row()).collect();
    let mut expected = 0;
    for compression in [
        Compression::default(),
        Compression::GZIP_FAST,
        Compression::None,
    ] {
        // 3,000 rows are several requests of at most 256 KiB of NDJSON each.
        let client = TinybirdClient::builder()
            .base_url(&server.url)
            .token(&server.token)
            .compression(compression)
            .max_body_bytes(256 * 1024)
            .build()
            .expect("client");
        let summary = client.ingest(&rows).await.expect("ingest");
        assert_eq!(
            (summary.successful_rows, summary.quarantined_rows),
            (3_000, 0),
            "{compression:?}"
        );
        expected += 3_000;
        let landed: Vec<Count> = client
            .sql("SELECT count() AS n FROM agent_activations")
            .await
            .expect("count");
        assert_eq!(landed[0].n, expected, "{compression:?}");
    }
}
