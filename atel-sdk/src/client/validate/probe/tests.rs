//! Unit tests of the parent module.
use std::collections::HashMap;

use serde::Deserialize;

use super::*;

#[allow(dead_code, reason = "only its Deserialize is probed")]
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Row {
    agent_type: String,
    #[serde(rename = "n")]
    runs: u64,
    delta: i32,
    #[serde(default)]
    avg_ms: f64,
    maybe: Option<u8>,
    tags: Vec<Option<String>>,
    counts: HashMap<String, u16>,
    #[serde(with = "crate::client::de::datetime")]
    at: chrono::DateTime<chrono::Utc>,
    day: chrono::NaiveDate,
    flag: bool,
}

#[test]
fn a_struct_is_seen_as_serde_reads_it() {
    let fields = fields::<Row>().unwrap();
    let seen: Vec<(&str, String, bool)> = fields
        .iter()
        .map(|f| (f.name, f.want.to_string(), f.required))
        .collect();
    assert_eq!(
        seen,
        [
            ("agentType", "String".to_owned(), true),
            ("n", "u64".to_owned(), true),
            ("delta", "i32".to_owned(), true),
            ("avgMs", "f64".to_owned(), false),
            ("maybe", "Option<u8>".to_owned(), false),
            ("tags", "Vec<Option<String>>".to_owned(), true),
            ("counts", "Map<String, u16>".to_owned(), true),
            ("at", "String".to_owned(), true),
            ("day", "String".to_owned(), true),
            ("flag", "bool".to_owned(), true),
        ]
    );
}

#[test]
fn what_is_not_a_struct_has_no_fields() {
    assert_eq!(fields::<HashMap<String, u64>>(), None);
    assert_eq!(fields::<(u64, String)>(), None);
    assert_eq!(fields::<serde_json::Value>(), None);
}
