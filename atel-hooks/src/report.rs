//! `atel-hooks report`: the four usage tables, sized for an 80-column terminal.

use std::fmt::Write as _;

use crate::table::{
    Align, TERMINAL_WIDTH, Table, duration_ms, percent, plural, thousands, tokens, usd,
};
use crate::usage::{AgentUsage, Usage};

/// The tables, one after another; a line saying so when there is no data at all.
#[expect(clippy::cast_precision_loss, reason = "counts stay far below 2^53")]
pub(crate) fn render(usage: &Usage) -> String {
    let days = usage.days;
    let mut out = String::new();
    if usage.agents.is_empty()
        && usage.skills.is_empty()
        && usage.models.is_empty()
        && usage.sessions.is_empty()
    {
        let _ = writeln!(
            out,
            "No Claude Code usage recorded in the last {days} day{}.",
            plural(days)
        );
        return out;
    }
    let window = format!("last {days} day{}", plural(days));

    if !usage.models.is_empty() {
        let mut table = Table::new(
            format!("API requests by model ({window})"),
            &[
                ("Model", Align::Left),
                ("Requests", Align::Right),
                ("Input", Align::Right),
                ("Output", Align::Right),
                ("Cost", Align::Right),
            ],
        );
        for m in &usage.models {
            table.row(vec![
                m.model.clone(),
                thousands(m.request_count),
                tokens(m.total_input),
                tokens(m.total_output),
                usd(m.total_cost_usd),
            ]);
        }
        table.total(vec![
            "Total".into(),
            thousands(usage.models.iter().map(|m| m.request_count).sum()),
            tokens(usage.models.iter().map(|m| m.total_input).sum()),
            tokens(usage.models.iter().map(|m| m.total_output).sum()),
            usd(usage.models.iter().map(|m| m.total_cost_usd).sum()),
        ]);
        out.push_str(&table.render(TERMINAL_WIDTH));
        out.push('\n');
    }

    if !usage.agents.is_empty() {
        let mut table = Table::new(
            format!("Subagents ({window})"),
            &[
                ("Agent", Align::Left),
                ("Runs", Align::Right),
                ("Input", Align::Right),
                ("Output", Align::Right),
                ("Cache read", Align::Right),
                ("Avg time", Align::Right),
                ("Est. cost", Align::Right),
            ],
        );
        for a in &usage.agents {
            table.row(vec![
                a.agent_type.clone(),
                thousands(a.invocations),
                tokens(a.total_input),
                tokens(a.total_output),
                tokens(a.total_cache_read),
                duration_ms(a.avg_duration_ms),
                usd(a.est_cost_usd),
            ]);
        }
        let runs: u64 = usage.agents.iter().map(|a| a.invocations).sum();
        // The average time is over the runs with usage (a run recorded without it has no duration).
        let measured = |a: &AgentUsage| a.invocations.saturating_sub(a.runs_without_usage);
        let measured_runs: u64 = usage.agents.iter().map(measured).sum();
        let weighted: f64 = usage
            .agents
            .iter()
            .map(|a| a.avg_duration_ms * measured(a) as f64)
            .sum();
        table.total(vec![
            "Total".into(),
            thousands(runs),
            tokens(usage.agents.iter().map(|a| a.total_input).sum()),
            tokens(usage.agents.iter().map(|a| a.total_output).sum()),
            tokens(usage.agents.iter().map(|a| a.total_cache_read).sum()),
            duration_ms(if measured_runs == 0 {
                0.0
            } else {
                weighted / measured_runs as f64
            }),
            usd(usage.agents.iter().map(|a| a.est_cost_usd).sum()),
        ]);
        out.push_str(&table.render(TERMINAL_WIDTH));
        out.push('\n');
    }

    if !usage.skills.is_empty() {
        let mut table = Table::new(
            format!("Skills ({window})"),
            &[
                ("Skill", Align::Left),
                ("Uses", Align::Right),
                ("Succeeded", Align::Right),
                ("Avg time", Align::Right),
            ],
        );
        let rate = |ok: u64, all: u64| {
            if all == 0 {
                "-".to_owned()
            } else {
                percent(ok as f64 * 100.0 / all as f64)
            }
        };
        for s in &usage.skills {
            table.row(vec![
                s.skill_name.clone(),
                thousands(s.activations),
                rate(s.successes, s.activations),
                duration_ms(s.avg_duration_ms),
            ]);
        }
        let uses: u64 = usage.skills.iter().map(|s| s.activations).sum();
        let ok: u64 = usage.skills.iter().map(|s| s.successes).sum();
        let weighted: f64 = usage
            .skills
            .iter()
            .map(|s| s.avg_duration_ms * s.activations as f64)
            .sum();
        table.total(vec![
            "Total".into(),
            thousands(uses),
            rate(ok, uses),
            duration_ms(if uses == 0 {
                0.0
            } else {
                weighted / uses as f64
            }),
        ]);
        out.push_str(&table.render(TERMINAL_WIDTH));
        out.push('\n');
    }

    if !usage.sessions.is_empty() {
        let mut table = Table::new(
            format!("Sessions ({window})"),
            &[
                ("Session", Align::Left),
                ("Agents", Align::Right),
                ("Skills", Align::Right),
                ("Tokens", Align::Right),
                ("Cost", Align::Right),
            ],
        );
        for s in &usage.sessions {
            table.row(vec![
                s.session_id.clone(),
                thousands(s.agents_used),
                thousands(s.skills_used),
                tokens(s.total_tokens),
                usd(s.total_cost_usd),
            ]);
        }
        table.total(vec![
            format!(
                "Total ({} session{})",
                usage.sessions.len(),
                plural(usage.sessions.len())
            ),
            String::new(),
            String::new(),
            tokens(usage.sessions.iter().map(|s| s.total_tokens).sum()),
            usd(usage.sessions.iter().map(|s| s.total_cost_usd).sum()),
        ]);
        out.push_str(&table.render(TERMINAL_WIDTH));
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usage::{ModelCost, SessionSummary, SkillUsage};

    fn usage() -> Usage {
        Usage {
            days: 7,
            agents: vec![
                AgentUsage {
                    agent_type: "general-purpose".into(),
                    invocations: 12,
                    runs_without_usage: 0,
                    total_input: 1_234_567,
                    total_output: 98_765,
                    total_cache_read: 45_678_901,
                    avg_duration_ms: 42_500.0,
                    est_cost_usd: 31.416,
                },
                AgentUsage {
                    agent_type: "a-very-long-custom-agent-name-that-does-not-fit".into(),
                    invocations: 3,
                    runs_without_usage: 0,
                    total_input: 310,
                    total_output: 99,
                    total_cache_read: 15_600,
                    avg_duration_ms: 900.0,
                    est_cost_usd: 0.0123,
                },
            ],
            skills: vec![SkillUsage {
                skill_name: "fake-skill".into(),
                activations: 4,
                successes: 3,
                avg_duration_ms: 14.0,
            }],
            models: vec![ModelCost {
                model: "claude-opus-5-5".into(),
                total_input: 836,
                total_output: 276,
                total_cost_usd: 0.1234,
                request_count: 8,
            }],
            sessions: vec![SessionSummary {
                session_id: "4d63b439-5f55-4fd7-8af2-6edbd86ed35f".into(),
                agents_used: 1,
                skills_used: 1,
                total_tokens: 59_780,
                total_cost_usd: 0.1234,
            }],
        }
    }

    #[test]
    fn tables_fit_80_columns_with_totals() {
        let text = render(&usage());
        for line in text.lines() {
            assert!(line.chars().count() <= 80, "too wide: {line:?}");
        }
        assert_eq!(
            text,
            "\
API requests by model (last 7 days)
Model            Requests  Input  Output     Cost
─────────────────────────────────────────────────
claude-opus-5-5         8    836     276  $0.1234
─────────────────────────────────────────────────
Total                   8    836     276  $0.1234

Subagents (last 7 days)
Agent                   Runs      Input  Output  Cache read  Avg time  Est. cost
────────────────────────────────────────────────────────────────────────────────
general-purpose           12  1,234,567  98,765       45.7M     42.5s     $31.42
a-very-long-custom-ag…     3        310      99      15,600     900ms    $0.0123
────────────────────────────────────────────────────────────────────────────────
Total                     15  1,234,877  98,864       45.7M     34.2s     $31.43

Skills (last 7 days)
Skill       Uses  Succeeded  Avg time
─────────────────────────────────────
fake-skill     4        75%      14ms
─────────────────────────────────────
Total          4        75%      14ms

Sessions (last 7 days)
Session                               Agents  Skills  Tokens     Cost
─────────────────────────────────────────────────────────────────────
4d63b439-5f55-4fd7-8af2-6edbd86ed35f       1       1  59,780  $0.1234
─────────────────────────────────────────────────────────────────────
Total (1 session)                                     59,780  $0.1234
"
        );
    }

    #[test]
    fn no_data_says_so() {
        assert_eq!(
            render(&Usage {
                days: 1,
                ..Usage::default()
            }),
            "No Claude Code usage recorded in the last 1 day.\n"
        );
    }
}
