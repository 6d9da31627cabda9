//! The Claude Code telemetry schema: three datasources, five pipes, and the price table.

pub mod cost_sql;
pub mod datasources;
pub mod pipes;
pub mod pricing;

pub use datasources::{AgentActivation, AgentEvent, ApiRequest, SkillActivation};

/// Serde for `DateTime<Utc>` as ClickHouse's `DateTime64(3)` text, `YYYY-MM-DD HH:MM:SS.mmm` in UTC.
///
/// Sent that way, every ClickHouse input format parses it without `best_effort` settings; on the way
/// back it also accepts RFC 3339 and whole seconds.
pub mod timestamp {
    use chrono::{DateTime, NaiveDateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `2026-11-25 09:10:11.123`.
    pub fn serialize<S: Serializer>(
        value: &DateTime<Utc>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        // Same text as chrono's `format("%Y-%m-%d %H:%M:%S%.3f")`, without its ~0.4 µs parse per value.
        crate::client::de::datetime::serialize(value, serializer)
    }

    /// Reads `2026-11-25 09:10:11[.fff]` (UTC) or RFC 3339.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<DateTime<Utc>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format_args!(
                "invalid DateTime64 `{text}`, expected `YYYY-MM-DD HH:MM:SS[.fff]` or RFC 3339"
            ))
        })
    }

    /// Parses ClickHouse date-time text (UTC) or RFC 3339.
    pub fn parse(text: &str) -> Option<DateTime<Utc>> {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
            .map(|naive| naive.and_utc())
            .or_else(|_| DateTime::parse_from_rfc3339(text).map(|dt| dt.with_timezone(&Utc)))
            .ok()
    }
}

use crate::{Datasource as _, Pipe as _};

/// Every datafile of the telemetry project as (path relative to `tinybird/`, text): what
/// `cargo run --example dump-schemas` writes and what its `--check` compares.
pub fn project_files() -> Vec<(String, String)> {
    let datasources = [
        (AgentActivation::NAME, AgentActivation::datafile()),
        (SkillActivation::NAME, SkillActivation::datafile()),
        (ApiRequest::NAME, ApiRequest::datafile()),
    ];
    let endpoints = [
        (
            pipes::AgentUsageSummary::NAME,
            pipes::AgentUsageSummary::datafile(),
        ),
        (
            pipes::SkillFrequency::NAME,
            pipes::SkillFrequency::datafile(),
        ),
        (pipes::CostByModel::NAME, pipes::CostByModel::datafile()),
        (
            pipes::SessionOverview::NAME,
            pipes::SessionOverview::datafile(),
        ),
        (
            pipes::OptimizationInsights::NAME,
            pipes::OptimizationInsights::datafile(),
        ),
    ];
    let datasources = datasources
        .into_iter()
        .map(|(name, text)| (format!("datasources/{name}.datasource"), text));
    let endpoints = endpoints
        .into_iter()
        .map(|(name, text)| (format!("endpoints/{name}.pipe"), text));
    datasources.chain(endpoints).collect()
}
