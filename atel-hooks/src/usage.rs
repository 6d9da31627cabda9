//! What the pipes report, in the shape the report and the `SessionStart` context use: the row types
//! of `atel_sdk::telemetry::pipes`, under shorter names, and [`Usage`] bundling all four tables.

use atel_sdk::TinybirdClient;
use atel_sdk::telemetry::pipes::{
    AgentUsageSummary, CostByModel, OptimizationInsights, SessionOverview, SkillFrequency,
};
use serde::Serialize;

/// One agent type over the window (`agent_usage_summary`).
pub use atel_sdk::telemetry::pipes::AgentUsageSummaryRow as AgentUsage;
/// One model over the window (`cost_by_model`).
pub use atel_sdk::telemetry::pipes::CostByModelRow as ModelCost;
/// One agent type's efficiency over the window (`optimization_insights`).
pub use atel_sdk::telemetry::pipes::OptimizationInsightsRow as AgentInsight;
/// One session over the window (`session_overview`).
pub use atel_sdk::telemetry::pipes::SessionOverviewRow as SessionSummary;
/// One skill over the window (`skill_frequency`).
pub use atel_sdk::telemetry::pipes::SkillFrequencyRow as SkillUsage;

/// Everything `atel-hooks report` shows.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Usage {
    /// The window in days.
    pub days: u16,
    /// By agent type, most expensive first.
    pub agents: Vec<AgentUsage>,
    /// By skill, most used first.
    pub skills: Vec<SkillUsage>,
    /// By model, most expensive first.
    pub models: Vec<ModelCost>,
    /// By session, most expensive first.
    pub sessions: Vec<SessionSummary>,
}

impl Usage {
    /// Queries the four report pipes at once.
    pub async fn fetch(client: &TinybirdClient, days: u16) -> atel_sdk::error::Result<Self> {
        let (agents, skills, models) = (
            AgentUsageSummary { days },
            SkillFrequency { days },
            CostByModel { days },
        );
        let sessions = SessionOverview {
            session_id: None,
            days,
        };
        let (agents, skills, models, sessions) = tokio::join!(
            client.query(&agents),
            client.query(&skills),
            client.query(&models),
            client.query(&sessions),
        );
        Ok(Self {
            days,
            agents: agents?,
            skills: skills?,
            models: models?,
            sessions: sessions?,
        })
    }
}

/// What the `SessionStart` context is made of: `agent_usage_summary` and `optimization_insights`.
pub async fn session_start_usage(
    client: &TinybirdClient,
    days: u16,
) -> atel_sdk::error::Result<(Vec<AgentUsage>, Vec<AgentInsight>)> {
    let (agents, insights) = (AgentUsageSummary { days }, OptimizationInsights { days });
    let (agents, insights) = tokio::join!(client.query(&agents), client.query(&insights));
    Ok((agents?, insights?))
}
