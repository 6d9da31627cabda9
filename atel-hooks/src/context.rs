//! The `SessionStart` context: a few lines Claude reads at the start of a session about what its
//! subagents cost over the last days, with one to three hints derived from the numbers.

use std::fmt::Write as _;

use serde_json::json;

use crate::table::{percent, plural, usd};
use crate::usage::{AgentInsight, AgentUsage};

/// How many agents the summary names.
const TOP_AGENTS: usize = 3;
/// Below this prompt-cache hit rate (percent) an agent gets the cache hint.
const LOW_CACHE_HIT: f64 = 50.0;
/// An agent needs this many runs before a hint is based on it (one run proves nothing).
const MIN_RUNS_FOR_HINT: u64 = 2;
/// A run costing this many times the other agents' mean gets the "narrower task" hint.
const EXPENSIVE_FACTOR: f64 = 2.0;
/// Above this many tokens per run, the run-size hint.
const LARGE_RUN_TOKENS: f64 = 200_000.0;

/// The context text, or `None` when there is nothing to say (no agent ran in the window).
pub fn context_text(days: u16, usage: &[AgentUsage], insights: &[AgentInsight]) -> Option<String> {
    let mut agents: Vec<&AgentUsage> = usage.iter().filter(|a| a.invocations > 0).collect();
    if agents.is_empty() {
        return None;
    }
    agents.sort_by(|a, b| b.est_cost_usd.total_cmp(&a.est_cost_usd));
    // Each agent with its insight row, looked up once.
    let agents: Vec<Agent<'_>> = agents
        .into_iter()
        .map(|usage| Agent {
            usage,
            insight: insights.iter().find(|i| i.agent_type == usage.agent_type),
        })
        .collect();
    let runs: u64 = agents.iter().map(|a| a.usage.invocations).sum();
    let cost: f64 = agents.iter().map(|a| a.usage.est_cost_usd).sum();

    let mut text = String::new();
    let _ = write!(
        text,
        "Subagent usage, last {days} day{} (atel): {runs} run{}, est. {} in all.\nTop agents by cost:",
        plural(days),
        plural(runs),
        usd(cost),
    );
    for (i, agent) in agents.iter().take(TOP_AGENTS).enumerate() {
        let usage = agent.usage;
        let _ = write!(
            text,
            "{} {} {} ({} run{}",
            if i == 0 { "" } else { ";" },
            usage.agent_type,
            usd(usage.est_cost_usd),
            usage.invocations,
            plural(usage.invocations),
        );
        if let Some(insight) = agent.insight {
            let _ = write!(
                text,
                ", {}/run, cache hit {}",
                usd(insight.avg_cost_per_invocation),
                percent(insight.efficiency_score)
            );
        }
        text.push(')');
    }
    text.push('.');

    let hints = hints(&agents);
    if !hints.is_empty() {
        text.push_str("\nHints:");
        for hint in hints {
            let _ = write!(text, "\n- {hint}");
        }
    }
    Some(text)
}

/// The hook's stdout for `SessionStart`.
pub fn session_start_output(context: &str) -> String {
    json!({
        "hookSpecificOutput": {
            "hookEventName": "SessionStart",
            "additionalContext": context,
        }
    })
    .to_string()
}

/// One agent's usage and, when the insights pipe has it, its insight row.
struct Agent<'a> {
    usage: &'a AgentUsage,
    insight: Option<&'a AgentInsight>,
}

impl Agent<'_> {
    /// The insight, for an agent with enough runs to base a hint on.
    fn hint_basis(&self) -> Option<&AgentInsight> {
        self.insight
            .filter(|_| self.usage.invocations >= MIN_RUNS_FOR_HINT)
    }
}

/// At most three hints, each tied to one agent and one number.
#[expect(clippy::cast_precision_loss, reason = "run counts stay far below 2^53")]
fn hints(agents: &[Agent<'_>]) -> Vec<String> {
    let mut hints = Vec::new();

    // 1. The costliest agent that mostly misses the prompt cache.
    if let Some((agent, hit)) = agents.iter().find_map(|a| {
        let hit = a.hint_basis()?.efficiency_score;
        (hit.is_finite() && hit < LOW_CACHE_HIT).then_some((a.usage, hit))
    }) {
        hints.push(format!(
            "{} reads only {} of its prompt from cache: start its tasks with the same stable \
             instructions and batch small lookups into one run so the cache is reused.",
            agent.agent_type,
            percent(hit)
        ));
    }

    // 2. An agent whose run costs far more than the others' average.
    if agents.len() >= 2 {
        let candidate = agents
            .iter()
            .filter_map(|a| Some((a.usage, a.hint_basis()?.avg_cost_per_invocation)))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((agent, per_run)) = candidate {
            let others = agents
                .iter()
                .map(|a| a.usage)
                .filter(|a| a.agent_type != agent.agent_type);
            let (others_cost, others_runs) = others.fold((0.0, 0_u64), |(cost, runs), a| {
                (cost + a.est_cost_usd, runs + a.invocations)
            });
            if others_runs > 0 {
                let others_per_run = others_cost / others_runs as f64;
                let factor = per_run / others_per_run;
                if others_per_run > 0.0 && factor >= EXPENSIVE_FACTOR {
                    hints.push(format!(
                        "A {} run costs {} on average, {factor:.1}x the other agents: give it \
                         narrower tasks, or use a cheaper agent for routine work.",
                        agent.agent_type,
                        usd(per_run),
                    ));
                }
            }
        }
    }

    // 3. Very large runs.
    if let Some((agent, tokens)) = agents.iter().find_map(|a| {
        let tokens = a.hint_basis()?.avg_tokens;
        (tokens > LARGE_RUN_TOKENS).then_some((a.usage, tokens))
    }) {
        hints.push(format!(
            "{} runs average {:.0}k tokens: ask for a short summary back instead of raw output, \
             and point it at specific files.",
            agent.agent_type,
            tokens / 1000.0
        ));
    }
    hints.truncate(3);
    hints
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(name: &str, runs: u64, cost: f64) -> AgentUsage {
        AgentUsage {
            agent_type: name.into(),
            invocations: runs,
            runs_without_usage: 0,
            total_input: 1000 * runs,
            total_output: 300 * runs,
            total_cache_read: 50_000 * runs,
            avg_duration_ms: 12_000.0,
            est_cost_usd: cost,
        }
    }

    fn insight(name: &str, runs: u64, cost_per_run: f64, tokens: f64, hit: f64) -> AgentInsight {
        AgentInsight {
            agent_type: name.into(),
            avg_cost_per_invocation: cost_per_run,
            avg_tokens: tokens,
            frequency: runs,
            efficiency_score: hit,
        }
    }

    #[test]
    fn nothing_to_say_without_runs() {
        assert_eq!(context_text(7, &[], &[]), None);
        assert_eq!(context_text(7, &[agent("Explore", 0, 0.0)], &[]), None);
    }

    #[test]
    fn names_top_agents_with_cost_per_run_cache_hit_and_hints() {
        let usage = [
            agent("Explore", 4, 1.0),
            agent("general-purpose", 8, 2.4),
            agent("Plan", 2, 2.0),
        ];
        let insights = [
            insight("general-purpose", 8, 0.3, 60_000.0, 92.4),
            insight("Explore", 4, 0.25, 250_000.0, 41.0),
            insight("Plan", 2, 1.0, 90_000.0, 88.0),
        ];
        let text = context_text(7, &usage, &insights).unwrap();
        assert_eq!(
            text,
            "Subagent usage, last 7 days (atel): 14 runs, est. $5.40 in all.\n\
             Top agents by cost: general-purpose $2.40 (8 runs, $0.3000/run, cache hit 92%); \
             Plan $2.00 (2 runs, $1.00/run, cache hit 88%); \
             Explore $1.00 (4 runs, $0.2500/run, cache hit 41%).\n\
             Hints:\n\
             - Explore reads only 41% of its prompt from cache: start its tasks with the same \
             stable instructions and batch small lookups into one run so the cache is reused.\n\
             - A Plan run costs $1.00 on average, 3.5x the other agents: give it narrower tasks, \
             or use a cheaper agent for routine work.\n\
             - Explore runs average 250k tokens: ask for a short summary back instead of raw \
             output, and point it at specific files."
        );
    }

    #[test]
    fn healthy_numbers_give_no_hints() {
        let text = context_text(
            1,
            &[agent("general-purpose", 1, 0.2)],
            &[insight("general-purpose", 1, 0.2, 9000.0, 90.0)],
        )
        .unwrap();
        assert_eq!(
            text,
            "Subagent usage, last 1 day (atel): 1 run, est. $0.2000 in all.\n\
             Top agents by cost: general-purpose $0.2000 (1 run, $0.2000/run, cache hit 90%)."
        );
    }

    #[test]
    fn cost_per_run_is_the_pipes_and_missing_without_an_insight_row() {
        // The pipe's per-run cost (0.5) is shown, not cost / runs (0.25).
        let text = context_text(
            7,
            &[agent("Explore", 4, 1.0), agent("Plan", 1, 0.5)],
            &[insight("Explore", 4, 0.5, 9000.0, 90.0)],
        )
        .unwrap();
        assert_eq!(
            text,
            "Subagent usage, last 7 days (atel): 5 runs, est. $1.50 in all.\n\
             Top agents by cost: Explore $1.00 (4 runs, $0.5000/run, cache hit 90%); \
             Plan $0.5000 (1 run)."
        );
    }

    #[test]
    fn output_has_the_shape_claude_code_reads() {
        let out: serde_json::Value = serde_json::from_str(&session_start_output("hi")).unwrap();
        assert_eq!(
            out,
            json!({"hookSpecificOutput": {"hookEventName": "SessionStart", "additionalContext": "hi"}})
        );
    }
}
