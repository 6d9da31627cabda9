//! The Claude Code telemetry schema: three datasources, the five report pipes, the dashboard's four
//! ([`dashboard`]), and the price table; the six `otel_*` datasources Claude Code's OpenTelemetry
//! lands in ([`otel`]) and the endpoints on them ([`otel_pipes`]).

pub mod cost_sql;
pub mod dashboard;
pub mod datasources;
pub mod otel;
pub mod otel_pipes;
pub mod pipes;
pub mod pricing;

pub use datasources::{AgentActivation, AgentEvent, ApiRequest, SkillActivation};

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
        (
            otel_pipes::OtelApiRequests::NAME,
            otel_pipes::OtelApiRequests::datafile(),
        ),
        (
            otel_pipes::OtelUsageByDay::NAME,
            otel_pipes::OtelUsageByDay::datafile(),
        ),
        (
            otel_pipes::OtelToolResults::NAME,
            otel_pipes::OtelToolResults::datafile(),
        ),
        (
            otel_pipes::Reconcile::NAME,
            otel_pipes::Reconcile::datafile(),
        ),
    ];
    let datasources = datasources
        .into_iter()
        .map(|(name, text)| (format!("datasources/{name}.datasource"), text));
    let endpoints = endpoints
        .into_iter()
        .chain(dashboard::endpoints())
        .map(|(name, text)| (format!("endpoints/{name}.pipe"), text));
    datasources.chain(endpoints).collect()
}
