//! The rows the hooks and the OTLP receiver produce, tagged with their datasource so one spool
//! can hold them all.

use atel_sdk::Datasource as _;
use atel_sdk::telemetry::{AgentActivation, AgentEvent, ApiRequest, SkillActivation};
use chrono::{DateTime, Utc};
use serde::de::Error as _;
use serde::ser::SerializeStruct as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::otel::Datasource as OtelDatasource;
use crate::transcript::{ApiRequestUsage, TranscriptSummary};

/// One row for one of the telemetry datasources.
///
/// Serialized as `{"ds":"<datasource>","row":{…}}`: the spool's line format.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Row {
    /// `agent_activations`.
    Agent(AgentActivation),
    /// `skill_activations`.
    Skill(SkillActivation),
    /// `api_requests`.
    Request(ApiRequest),
    /// One of the `otel_*` datasources: the collector exporter's JSON object, kept as text.
    Otel(OtelRow),
}

/// A row of an `otel_*` datasource, as the `tinybird` exporter writes it.
#[derive(Debug, Clone)]
pub(crate) struct OtelRow {
    /// Where it goes.
    pub ds: OtelDatasource,
    /// The JSON object, sent as is.
    pub json: Box<RawValue>,
}

impl PartialEq for OtelRow {
    fn eq(&self, other: &Self) -> bool {
        self.ds == other.ds && self.json.get() == other.json.get()
    }
}

impl Serialize for Row {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut line = serializer.serialize_struct("Row", 2)?;
        match self {
            Self::Agent(row) => {
                line.serialize_field("ds", AgentActivation::NAME)?;
                line.serialize_field("row", row)?;
            }
            Self::Skill(row) => {
                line.serialize_field("ds", SkillActivation::NAME)?;
                line.serialize_field("row", row)?;
            }
            Self::Request(row) => {
                line.serialize_field("ds", ApiRequest::NAME)?;
                line.serialize_field("row", row)?;
            }
            Self::Otel(row) => {
                line.serialize_field("ds", row.ds.name())?;
                line.serialize_field("row", &row.json)?;
            }
        }
        line.end()
    }
}

impl<'de> Deserialize<'de> for Row {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Line {
            ds: String,
            row: Box<RawValue>,
        }
        let line = Line::deserialize(deserializer)?;
        let typed = |err: serde_json::Error| D::Error::custom(err.to_string());
        match line.ds.as_str() {
            AgentActivation::NAME => serde_json::from_str(line.row.get())
                .map(Self::Agent)
                .map_err(typed),
            SkillActivation::NAME => serde_json::from_str(line.row.get())
                .map(Self::Skill)
                .map_err(typed),
            ApiRequest::NAME => serde_json::from_str(line.row.get())
                .map(Self::Request)
                .map_err(typed),
            name => match OtelDatasource::from_name(name) {
                Some(ds) if line.row.get().starts_with('{') => {
                    Ok(Self::Otel(OtelRow { ds, json: line.row }))
                }
                Some(_) => Err(D::Error::custom("an otel row must be a JSON object")),
                None => Err(D::Error::custom(format!("unknown datasource `{name}`"))),
            },
        }
    }
}

/// The `api_requests` row of one unique request of a transcript, as `SessionEnd` and `backfill` send
/// it: stamped with the request's first transcript line (`now` when no line had a timestamp), in the
/// session that made it — `requestSessionId` for a request a fork replayed from its parent, else the
/// line's `sessionId`, else `session_id` (the transcript's own session) — priced like Claude Code
/// prices it. Every copy of a request gets the same ids, so re-sending it makes no second request.
pub(crate) fn request_row(
    request: &ApiRequestUsage,
    session_id: &str,
    now: DateTime<Utc>,
) -> ApiRequest {
    ApiRequest {
        timestamp: request.first_ts.unwrap_or(now),
        session_id: request
            .session_id
            .clone()
            .unwrap_or_else(|| session_id.to_owned()),
        model: request.model.clone(),
        input_tokens: request.usage.input,
        output_tokens: request.usage.output,
        cache_read_tokens: request.usage.cache_read,
        cache_creation_tokens: request.usage.cache_creation,
        cost_usd: request.cost().usd,
        duration_ms: request.duration_ms().unwrap_or(0),
        request_id: request.request_id.clone(),
        message_id: request.message_id.clone(),
    }
}

/// An `agent_activations` row without usage: a `start` row, or a `stop` row whose transcript could
/// not be read (see [`add_run_usage`]).
pub(crate) fn agent_row(
    event: AgentEvent,
    timestamp: DateTime<Utc>,
    session_id: &str,
    agent_type: &str,
    agent_id: &str,
) -> AgentActivation {
    AgentActivation {
        timestamp,
        session_id: session_id.to_owned(),
        agent_type: agent_type.to_owned(),
        agent_id: agent_id.to_owned(),
        event,
        input_tokens: 0,
        output_tokens: 0,
        cache_read_tokens: 0,
        cache_creation_tokens: 0,
        duration_ms: 0,
        model: String::new(),
    }
}

/// Fills a `stop` row with what `SubagentStop` records of a run: the tokens of the unique API
/// responses of its transcript, the model with the most output tokens, and the first-to-last span.
/// A transcript without a complete response leaves the row without usage (`model` empty).
pub(crate) fn add_run_usage(row: &mut AgentActivation, summary: &TranscriptSummary) {
    if summary.requests == 0 {
        return;
    }
    row.input_tokens = summary.usage.input;
    row.output_tokens = summary.usage.output;
    row.cache_read_tokens = summary.usage.cache_read;
    row.cache_creation_tokens = summary.usage.cache_creation;
    row.duration_ms = summary.duration_ms.unwrap_or(0);
    row.model = summary.model.clone().unwrap_or_default();
}

/// An id for a row whose source gave none (a payload without `tool_use_id` or `agent_id`, a spool
/// line written before rows had ids): `derived:` + a name-based UUID (v5) of what the row holds, so
/// every copy of the row gets the same one and is still counted once.
pub(crate) fn derived_id(parts: &[&str]) -> String {
    let name = parts.join("\u{1f}");
    let id = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, name.as_bytes());
    format!("derived:{}", id.simple())
}

fn timestamp_key(ts: &chrono::DateTime<chrono::Utc>) -> String {
    ts.timestamp_millis().to_string()
}

/// Gives a row without an id from its source its [`derived_id`].
fn ensure_id(row: &mut Row) {
    match row {
        Row::Agent(agent) if agent.agent_id.is_empty() => {
            agent.agent_id = derived_id(&[
                "agent",
                &agent.session_id,
                &timestamp_key(&agent.timestamp),
                &agent.agent_type,
            ]);
        }
        Row::Skill(skill) if skill.tool_use_id.is_empty() => {
            skill.tool_use_id = derived_id(&[
                "skill",
                &skill.session_id,
                &timestamp_key(&skill.timestamp),
                &skill.skill_name,
                &skill.duration_ms.to_string(),
                if skill.success { "1" } else { "0" },
            ]);
        }
        _ => {}
    }
}

/// Rows split by datasource, in their original order within each.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Batches {
    /// `agent_activations` rows.
    pub agents: Vec<AgentActivation>,
    /// `skill_activations` rows.
    pub skills: Vec<SkillActivation>,
    /// `api_requests` rows.
    pub requests: Vec<ApiRequest>,
    /// `otel_*` rows.
    pub otel: Vec<OtelRow>,
}

impl Batches {
    /// Splits `rows` by datasource, giving every row without a source id its [`derived_id`].
    pub(crate) fn split(rows: impl IntoIterator<Item = Row>) -> Self {
        let mut batches = Self::default();
        for mut row in rows {
            ensure_id(&mut row);
            match row {
                Row::Agent(row) => batches.agents.push(row),
                Row::Skill(row) => batches.skills.push(row),
                Row::Request(row) => batches.requests.push(row),
                Row::Otel(row) => batches.otel.push(row),
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
            tool_use_id: "toolu_1".into(),
        });
        let line = serde_json::to_string(&row).unwrap();
        assert_eq!(
            line,
            r#"{"ds":"skill_activations","row":{"timestamp":"2025-11-24 16:00:00.123","session_id":"s","skill_name":"fake-skill","duration_ms":14,"success":true,"tool_use_id":"toolu_1"}}"#
        );
        assert!(line.starts_with(&format!(r#"{{"ds":"{}","#, SkillActivation::NAME)));
        let back: Row = serde_json::from_str(&line).unwrap();
        assert_eq!(back, row);
    }

    #[test]
    fn otel_rows_are_spooled_as_they_came() {
        let line = r#"{"ds":"otel_logs","row":{"body":"x","log_attributes":{"a":"1"}}}"#;
        let row: Row = serde_json::from_str(line).unwrap();
        let Row::Otel(otel) = &row else {
            panic!("not an otel row: {row:?}");
        };
        assert_eq!(otel.ds, OtelDatasource::Logs);
        assert_eq!(serde_json::to_string(&row).unwrap(), line);
        for bad in [
            r#"{"ds":"otel_nope","row":{}}"#,
            r#"{"ds":"otel_logs","row":[1]}"#,
            r#"{"ds":"agent_activations","row":{}}"#,
        ] {
            assert!(serde_json::from_str::<Row>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rows_without_a_source_id_get_the_same_derived_id_every_time() {
        // A spool line written before rows had ids.
        let old = r#"{"ds":"skill_activations","row":{"timestamp":"2025-11-24 16:00:00.123","session_id":"s","skill_name":"fake-skill","duration_ms":14,"success":true}}"#;
        let first = Batches::split([serde_json::from_str::<Row>(old).unwrap()]);
        let again = Batches::split([serde_json::from_str::<Row>(old).unwrap()]);
        let id = &first.skills[0].tool_use_id;
        assert!(id.starts_with("derived:"), "{id}");
        assert_eq!(id.len(), "derived:".len() + 32);
        assert_eq!(id, &again.skills[0].tool_use_id);
        // Another call (a different duration) gets another id; a source id is kept as it is.
        let other = old.replace(r#""duration_ms":14"#, r#""duration_ms":15"#);
        let other = Batches::split([serde_json::from_str::<Row>(&other).unwrap()]);
        assert_ne!(id, &other.skills[0].tool_use_id);
        let with_id = old.replace(
            r#""success":true"#,
            r#""success":true,"tool_use_id":"toolu_9""#,
        );
        let kept = Batches::split([serde_json::from_str::<Row>(&with_id).unwrap()]);
        assert_eq!(kept.skills[0].tool_use_id, "toolu_9");
    }
}
