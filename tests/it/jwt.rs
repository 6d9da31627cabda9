//! JWTs signed by the SDK, accepted by `tinybird/local` (which verifies them with `PyJWT`, a second
//! implementation) for the scoped pipe with its params fixed, refused everywhere else.

use atel_sdk::client::Jwt;
use atel_sdk::telemetry::AgentActivation;
use atel_sdk::telemetry::pipes::{AgentUsageSummary, SkillFrequency};
use atel_sdk::{Error, TinybirdClient};
use atel_tests::factories::{ago, make_agent_activation_row, next_agent_id};
use chrono::{TimeDelta, Utc};

use super::deployed;

#[tokio::test]
async fn a_jwt_reads_its_pipe_with_fixed_params_and_nothing_else() {
    let (server, client) = deployed().await;
    let old = AgentActivation {
        timestamp: ago(TimeDelta::days(10)),
        agent_id: next_agent_id(),
        ..make_agent_activation_row()
    };
    let written = client
        .ingest(&[make_agent_activation_row(), old])
        .await
        .unwrap()
        .check()
        .unwrap();
    assert_eq!(written.successful_rows, 2);

    let workspace = client.workspace_id().await.unwrap();
    assert_eq!(workspace, "00000000-0000-0000-0000-000000000001");
    let token = Jwt::new(&workspace, "dashboard")
        .expires_at(Utc::now() + TimeDelta::minutes(10))
        .pipe(&AgentUsageSummary { days: 7 })
        .rps(5)
        .sign(&server.token)
        .unwrap();
    let claims = Jwt::decode(&token, &server.token).unwrap();
    assert_eq!(claims.scopes[0].resource, "agent_usage_summary");
    assert_eq!(claims.scopes[0].fixed_params.as_ref().unwrap()["days"], "7");

    let reader = TinybirdClient::builder()
        .base_url(&server.url)
        .token(&token)
        .build()
        .unwrap();
    // Both runs are within 30 days, but the token fixes `days` to 7: only the recent one counts.
    let all = client.query(&AgentUsageSummary { days: 30 }).await.unwrap();
    assert_eq!(all[0].invocations, 2);
    let rows = reader.query(&AgentUsageSummary { days: 30 }).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].invocations, 1);

    for err in [
        reader.query(&SkillFrequency { days: 7 }).await.unwrap_err(),
        reader.sql_json("SELECT 1").await.unwrap_err(),
    ] {
        assert!(matches!(err, Error::Api { status: 403, .. }), "{err:?}");
    }
    let forged = Jwt::new(&workspace, "forged")
        .pipe(&AgentUsageSummary { days: 7 })
        .sign("p.not-the-admin-token")
        .unwrap();
    let forged = TinybirdClient::builder()
        .base_url(&server.url)
        .token(forged)
        .build()
        .unwrap();
    let err = forged
        .query(&AgentUsageSummary { days: 7 })
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "Tinybird API error 403: Invalid token");

    // The admin token, then the one token `tinybird/`'s datafiles declare: the OTel template's
    // `OTEL_TINYBIRD_TOKEN`, with APPEND on its six datasources (files by path).
    let tokens = client.tokens().await.unwrap();
    assert_eq!(tokens.len(), 2);
    assert_eq!(tokens[0].scopes, ["ADMIN"]);
    assert_eq!(tokens[1].name, "OTEL_TINYBIRD_TOKEN");
    assert_eq!(
        tokens[1].scopes,
        [
            "DATASOURCES:APPEND:otel_logs",
            "DATASOURCES:APPEND:otel_metrics_exponential_histogram",
            "DATASOURCES:APPEND:otel_metrics_gauge",
            "DATASOURCES:APPEND:otel_metrics_histogram",
            "DATASOURCES:APPEND:otel_metrics_sum",
            "DATASOURCES:APPEND:otel_traces",
        ]
    );
}
