//! Unit tests of the parent module.
use serde_json::json;

use super::*;

#[test]
fn a_job_is_read_in_each_shape_tinybird_writes() {
    let job = Job::from_value(json!({
        "id": "j", "kind": "import", "status": "done", "error": false,
        "blocks": [{"process_return": [{"lines": 4, "quarantine": 1}]}, {"process_return": null}]
    }))
    .unwrap();
    assert_eq!(
        (job.rows, job.quarantined_rows, job.error.as_deref()),
        (4, 1, None)
    );
    assert!(job.is_finished());
    let job =
        Job::from_value(json!({"import_id": "i", "status": "error", "errors": ["a", {"b": 1}]}))
            .unwrap();
    assert_eq!(
        (job.id.as_str(), job.error.as_deref()),
        ("i", Some("a; {\"b\":1}"))
    );
    let job = Job::from_value(json!({"job_id": "d", "rows_affected": 3})).unwrap();
    assert_eq!(
        (job.status.as_str(), job.rows_affected),
        ("waiting", Some(3))
    );
    assert!(!job.is_finished());
    assert_eq!(Job::from_value(json!({"status": "done"})), None);
}

#[test]
fn names_stay_one_path_segment() {
    assert_eq!(segment("agent_activations").unwrap(), "agent_activations");
    assert_eq!(segment("6f1c-22aa").unwrap(), "6f1c-22aa");
    for bad in ["", "a/b", "../tokens", "a?b", "a b"] {
        assert!(segment(bad).is_err(), "{bad}");
    }
}
