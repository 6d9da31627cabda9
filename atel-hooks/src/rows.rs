//! The rows the hooks produce, tagged with their datasource so one spool can hold all three.

use atel_sdk::Datasource;
use atel_sdk::telemetry::{AgentActivation, ApiRequest, SkillActivation};
use serde::{Deserialize, Serialize};

/// One row for one of the three telemetry datasources.
///
/// Serialized as `{"ds":"<datasource>","row":{…}}`: the spool's line format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "ds", content = "row")]
pub enum Row {
    /// `agent_activations`.
    #[serde(rename = "agent_activations")]
    Agent(AgentActivation),
    /// `skill_activations`.
    #[serde(rename = "skill_activations")]
    Skill(SkillActivation),
    /// `api_requests`.
    #[serde(rename = "api_requests")]
    Request(ApiRequest),
}

impl Row {
    /// The datasource the row belongs to.
    pub fn datasource(&self) -> &'static str {
        match self {
            Self::Agent(_) => AgentActivation::NAME,
            Self::Skill(_) => SkillActivation::NAME,
            Self::Request(_) => ApiRequest::NAME,
        }
    }
}

/// Rows split by datasource, in their original order within each.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batches {
    /// `agent_activations` rows.
    pub agents: Vec<AgentActivation>,
    /// `skill_activations` rows.
    pub skills: Vec<SkillActivation>,
    /// `api_requests` rows.
    pub requests: Vec<ApiRequest>,
}

impl Batches {
    /// Splits `rows` by datasource.
    pub fn split(rows: impl IntoIterator<Item = Row>) -> Self {
        let mut batches = Self::default();
        for row in rows {
            match row {
                Row::Agent(row) => batches.agents.push(row),
                Row::Skill(row) => batches.skills.push(row),
                Row::Request(row) => batches.requests.push(row),
            }
        }
        batches
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn tags_are_the_datasource_names() {
        let row = Row::Skill(SkillActivation {
            timestamp: Utc.timestamp_millis_opt(1_764_000_000_123).unwrap(),
            session_id: "s".into(),
            skill_name: "fake-skill".into(),
            duration_ms: 14,
            success: true,
        });
        let line = serde_json::to_string(&row).unwrap();
        assert_eq!(
            line,
            r#"{"ds":"skill_activations","row":{"timestamp":"2025-11-24 16:00:00.123","session_id":"s","skill_name":"fake-skill","duration_ms":14,"success":true}}"#
        );
        assert_eq!(row.datasource(), "skill_activations");
        let back: Row = serde_json::from_str(&line).unwrap();
        assert_eq!(back, row);
    }
}
