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

use crate::project::Project;

/// The whole telemetry project: what `cargo run --example dump-schemas` writes into `tinybird/` and
/// what its `--check` compares.
pub fn project() -> Project {
    Project::new()
        .datasource::<AgentActivation>()
        .datasource::<SkillActivation>()
        .datasource::<ApiRequest>()
        .pipe::<pipes::AgentUsageSummary>()
        .pipe::<pipes::SkillFrequency>()
        .pipe::<pipes::CostByModel>()
        .pipe::<pipes::SessionOverview>()
        .pipe::<pipes::OptimizationInsights>()
        .pipe::<otel_pipes::OtelApiRequests>()
        .pipe::<otel_pipes::OtelUsageByDay>()
        .pipe::<otel_pipes::OtelToolResults>()
        .pipe::<otel_pipes::Reconcile>()
        .merge(dashboard::project())
        .merge(otel::project())
}
