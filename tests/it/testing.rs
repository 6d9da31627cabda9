//! `atel_sdk::testing::MockTinybird`: ingested rows recorded typed, endpoint answers and failures
//! served in order, through the real client (retries, timeouts) in process.

use std::time::Duration;

use atel_sdk::Error;
use atel_sdk::telemetry::pipes::{SkillFrequency, SkillFrequencyRow};
use atel_sdk::telemetry::{AgentActivation, SkillActivation};
use atel_sdk::testing::{Failure, MockTinybird};
use atel_tests::factories::{make_agent_activation_row, make_skill_activation_row};

fn row(skill_name: &str, activations: u64) -> SkillFrequencyRow {
    SkillFrequencyRow {
        skill_name: skill_name.into(),
        activations,
        successes: activations,
        avg_duration_ms: 1.5,
    }
}

#[tokio::test]
async fn ingested_rows_are_recorded_typed_through_failures_and_retries() {
    let mock = MockTinybird::start().await;
    let client = mock.client();
    let skills = [make_skill_activation_row(), make_skill_activation_row()];
    let agent = make_agent_activation_row();

    mock.fail_ingest(Failure::Status(503));
    mock.fail_ingest(Failure::RateLimited {
        retry_after_secs: 0,
    });
    let written = client.ingest(&skills).await.unwrap().check().unwrap();
    assert_eq!(written.successful_rows, 2);
    let written = client.ingest(std::slice::from_ref(&agent)).await.unwrap();
    assert_eq!(written.successful_rows, 1);
    assert_eq!(mock.recorded::<SkillActivation>(), skills);
    assert_eq!(mock.recorded::<AgentActivation>(), [agent]);

    // A refusal is not retried and nothing is recorded.
    mock.fail_ingest(Failure::Status(400));
    let err = client
        .ingest(&[make_skill_activation_row()])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Api { status: 400, .. }), "{err:?}");
    assert_eq!(mock.recorded::<SkillActivation>().len(), 2);
}

#[tokio::test]
async fn endpoint_answers_and_failures_come_in_order() {
    let mock = MockTinybird::start().await;
    let client = mock.client();
    mock.serve::<SkillFrequency>(&[row("pdf", 3)]);
    mock.fail::<SkillFrequency>(Failure::Status(500));
    mock.fail::<SkillFrequency>(Failure::Stall(Duration::from_secs(5)));
    mock.fail::<SkillFrequency>(Failure::Status(403));
    mock.serve::<SkillFrequency>(&[row("xlsx", 1), row("pdf", 9)]);

    let params = SkillFrequency { days: 3 };
    assert_eq!(client.query(&params).await.unwrap(), [row("pdf", 3)]);
    // 500, then the stall (a timeout, retried), then 403: the 403 is what the caller sees.
    let err = client.query(&params).await.unwrap_err();
    assert!(matches!(err, Error::Api { status: 403, .. }), "{err:?}");
    // The last answer stays.
    for _ in 0..2 {
        assert_eq!(
            client.query(&params).await.unwrap(),
            [row("xlsx", 1), row("pdf", 9)]
        );
    }
    let streamed = client
        .query_stream(&params)
        .await
        .unwrap()
        .collect_rows()
        .await
        .unwrap();
    assert_eq!(streamed, [row("xlsx", 1), row("pdf", 9)]);
    let calls = mock.calls::<SkillFrequency>();
    assert_eq!(calls.len(), 7);
    assert!(
        calls
            .iter()
            .all(|call| call == &[("days".to_owned(), "3".to_owned())])
    );
}
