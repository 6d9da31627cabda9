//! The Data Sources API on real ClickHouse: typed append and (partial) replace as jobs, delete by
//! condition with a dry run, truncate, listing datasources and pipes, one datasource's schema.

use std::time::Duration;

use atel_sdk::client::{ImportOptions, ImportSource, check_columns};
use atel_sdk::telemetry::SkillActivation;
use atel_sdk::{Datasource, Error};
use atel_tests::factories::make_skill_activation_row;
use atel_tests::server::repo_root;
use serde::Deserialize;

use super::deployed;

const WAIT: Duration = Duration::from_mins(1);

fn skill(name: &str, id: &str, duration_ms: u64) -> SkillActivation {
    SkillActivation {
        skill_name: name.into(),
        tool_use_id: id.into(),
        duration_ms,
        ..make_skill_activation_row()
    }
}

#[derive(Debug, PartialEq, Deserialize)]
struct PerSkill {
    skill_name: String,
    uses: u64,
    total_ms: u64,
}

async fn per_skill(client: &atel_sdk::TinybirdClient) -> Vec<(String, u64, u64)> {
    let rows: Vec<PerSkill> = client
        .sql(
            "SELECT skill_name, count() AS uses, sum(duration_ms) AS total_ms \
             FROM skill_activations GROUP BY skill_name ORDER BY skill_name",
        )
        .await
        .unwrap();
    rows.into_iter()
        .map(|r| (r.skill_name, r.uses, r.total_ms))
        .collect()
}

#[tokio::test]
async fn append_replace_delete_and_truncate_are_jobs_with_exact_results() {
    let (_server, client) = deployed().await;
    let wait = ImportOptions::new().wait(WAIT);

    let job = client
        .append(
            &[
                skill("pdf", "t1", 10),
                skill("pdf", "t2", 20),
                skill("xlsx", "t3", 5),
            ],
            &wait,
        )
        .await
        .unwrap();
    assert_eq!(
        (job.status.as_str(), job.rows, job.quarantined_rows),
        ("done", 3, 0)
    );
    assert_eq!(job.kind.as_deref(), Some("import"));
    assert_eq!(
        per_skill(&client).await,
        [("pdf".into(), 2, 30), ("xlsx".into(), 1, 5)]
    );

    // Without waiting: the job comes back and is waited for separately.
    let job = client
        .append(&[skill("docx", "t4", 7)], &ImportOptions::new())
        .await
        .unwrap();
    let done = client
        .wait_for_job(&job.id, WAIT, Duration::from_millis(50))
        .await
        .unwrap();
    assert_eq!((done.status.as_str(), done.rows), ("done", 1));

    // Partial replace: the `pdf` rows become the file's `pdf` row; the file's `zip` row is dropped.
    let job = client
        .replace(
            &[skill("pdf", "t5", 100), skill("zip", "t6", 1)],
            &wait.clone().replace_condition("skill_name = 'pdf'"),
        )
        .await
        .unwrap();
    assert_eq!(job.rows, 1);
    assert_eq!(
        per_skill(&client).await,
        [
            ("docx".into(), 1, 7),
            ("pdf".into(), 1, 100),
            ("xlsx".into(), 1, 5)
        ]
    );

    // Delete by condition: the dry run counts and deletes nothing; the job says how many went.
    let condition = "duration_ms < 10";
    assert_eq!(
        client
            .delete_dry_run(SkillActivation::NAME, condition)
            .await
            .unwrap(),
        2
    );
    assert_eq!(per_skill(&client).await.len(), 3);
    let job = client
        .delete_rows(SkillActivation::NAME, condition, Some(WAIT))
        .await
        .unwrap();
    assert_eq!((job.status.as_str(), job.rows_affected), ("done", Some(2)));
    assert_eq!(per_skill(&client).await, [("pdf".into(), 1, 100)]);

    // A whole replace from bytes: only the new rows remain.
    let body = format!(
        "{}\n",
        serde_json::to_string(&skill("csv", "t7", 3)).unwrap()
    );
    let job = client
        .replace_data(
            SkillActivation::NAME,
            ImportSource::Bytes(body.into()),
            &wait,
        )
        .await
        .unwrap();
    assert_eq!(job.rows, 1);
    assert_eq!(per_skill(&client).await, [("csv".into(), 1, 3)]);

    client.truncate(SkillActivation::NAME).await.unwrap();
    assert_eq!(per_skill(&client).await, []);

    // A failing job is an error with Tinybird's message.
    let err = client
        .replace(
            &[skill("pdf", "t8", 1)],
            &wait.clone().replace_condition("no_such_column = 1"),
        )
        .await
        .unwrap_err();
    let Error::Job {
        status, message, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(status, "error");
    assert!(
        message.as_deref().unwrap_or("").contains("no_such_column"),
        "{err}"
    );
    // A datasource that does not exist is Tinybird's 404.
    let err = client
        .append_data(
            "nope",
            ImportSource::Bytes("{}\n".into()),
            &ImportOptions::new(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Api { status: 404, .. }), "{err:?}");
}

/// The file stems of `tinybird/<dir>/*.<ext>`, sorted: what was deployed.
fn stems(dir: &str, ext: &str) -> Vec<String> {
    let mut stems: Vec<String> = std::fs::read_dir(repo_root().join("tinybird").join(dir))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == ext))
        .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    stems.sort();
    stems
}

#[tokio::test]
async fn datasources_and_pipes_are_listed_and_a_schema_is_read() {
    let (_server, client) = deployed().await;
    let mut names: Vec<String> = client
        .datasources()
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.name)
        .collect();
    names.sort();
    assert_eq!(names, stems("datasources", "datasource"));
    let mut pipes: Vec<String> = client
        .pipes()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    pipes.sort();
    assert_eq!(pipes, stems("endpoints", "pipe"));
    assert!(pipes.iter().any(|p| p == "agent_usage_summary"));

    let info = client.datasource(SkillActivation::NAME).await.unwrap();
    assert_eq!(info.row_count, Some(0));
    let columns: Vec<(String, String)> = info
        .columns
        .iter()
        .map(|c| (c.name.clone(), c.ty.clone()))
        .collect();
    // The same columns, in the same order, as the Rust type declares.
    let expected: Vec<(String, String)> = SkillActivation::schema()
        .columns
        .iter()
        .map(|c| (c.name.to_owned(), c.ty.to_string()))
        .collect();
    assert_eq!(columns, expected);
    // And the row type reads them.
    check_columns::<SkillActivation>("datasource `skill_activations`", &info.columns).unwrap();
}
