//! The dashboard's sections: one chart (or table) each, answering one question, with its empty state.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use atel_sdk::telemetry::dashboard::SessionDrilldownRow;
use chrono::{NaiveDate, TimeDelta};

use super::Dashboard;
use super::charts::{self, Bars, Line, Stacked};
use super::html::{Links, empty, escape, path_segment, time, u64_f64, window};
use crate::context;
use crate::table::{duration_ms, percent, plural, thousands, tokens, usd};

/// Every UTC day from the window's first day with data (or its start) to the day it was generated,
/// or to the last day with data should a clock have run ahead.
fn day_axis(
    d: &Dashboard,
    days_with_data: impl Iterator<Item = NaiveDate> + Clone,
) -> Vec<NaiveDate> {
    let today = d.generated.date_naive();
    let window_start = (d.generated - TimeDelta::days(i64::from(d.usage.days))).date_naive();
    let first = days_with_data.clone().min();
    let end = days_with_data.max().map_or(today, |last| last.max(today));
    let start = first.map_or(today, |f| f.max(window_start).min(end));
    start.iter_days().take_while(|day| *day <= end).collect()
}

fn legend(names: &[String]) -> String {
    let mut out = String::from("<ul class=\"legend\">");
    for (i, name) in names.iter().enumerate() {
        let _ = write!(
            out,
            "<li><span class=\"swatch\" style=\"background:{}\"></span>{}</li>",
            charts::css_color(i),
            escape(name)
        );
    }
    out.push_str("</ul>\n");
    out
}

fn chart_or_note(svg: Result<String, String>) -> String {
    svg.unwrap_or_else(|err| empty(&format!("The chart could not be drawn: {}", escape(&err))))
}

fn usd_axis(v: f64) -> String {
    if v == 0.0 {
        "$0".to_owned()
    } else if v >= 10.0 {
        format!("${v:.0}")
    } else if v >= 0.1 {
        format!("${v:.2}")
    } else {
        format!("${v:.3}")
    }
}

fn tokens_axis(v: f64) -> String {
    if v >= 1e9 {
        format!("{:.1}B", v / 1e9)
    } else if v >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.0}k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

pub(super) fn spend(d: &Dashboard) -> String {
    let mut out = String::from(
        "<section class=\"card\" id=\"spend\"><h2>Spend per day, by model</h2>\
         <p class=\"muted\">USD per UTC day, each request priced as Claude Code prices it</p>\n",
    );
    if d.daily_cost.is_empty() {
        out.push_str(&empty(
            "No API requests in the window. The SessionEnd hook records them when a session ends; \
             <code>atel-hooks backfill</code> imports past sessions.",
        ));
        out.push_str("</section>\n");
        return out;
    }
    // Models in the report's order (most expensive first), then any other.
    let mut models: Vec<String> = d.usage.models.iter().map(|m| m.model.clone()).collect();
    for row in &d.daily_cost {
        if !models.contains(&row.model) {
            models.push(row.model.clone());
        }
    }
    let axis = day_axis(d, d.daily_cost.iter().map(|r| r.day));
    let cell: BTreeMap<(NaiveDate, &str), (f64, u64)> = d
        .daily_cost
        .iter()
        .map(|r| {
            (
                (r.day, r.model.as_str()),
                (r.total_cost_usd, r.request_count),
            )
        })
        .collect();
    let (mut values, mut titles) = (Vec::new(), Vec::new());
    for day in &axis {
        let mut v = Vec::new();
        let mut t = Vec::new();
        for model in &models {
            let (cost, n) = cell
                .get(&(*day, model.as_str()))
                .copied()
                .unwrap_or((0.0, 0));
            v.push(cost);
            t.push(format!(
                "{day} · {model}: {} ({} request{})",
                usd(cost),
                thousands(n),
                plural(n)
            ));
        }
        values.push(v);
        titles.push(t);
    }
    out.push_str(&legend(&models));
    out.push_str(&chart_or_note(charts::stacked(&Stacked {
        x_labels: axis.iter().map(|d| d.format("%m-%d").to_string()).collect(),
        series: models.clone(),
        values,
        titles,
        y_desc: "USD per day",
        y_format: usd_axis,
        line: None,
    })));
    out.push_str("<details><summary>Exact values</summary><div class=\"scroll\"><table><thead><tr><th>Day</th><th class=\"l\">Model</th><th>Requests</th><th>Cost</th></tr></thead><tbody>\n");
    for r in &d.daily_cost {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td></tr>",
            r.day,
            escape(&r.model),
            thousands(r.request_count),
            usd(r.total_cost_usd)
        );
    }
    out.push_str("</tbody></table></div></details>\n</section>\n");
    out
}

pub(super) fn token_chart(d: &Dashboard) -> String {
    let mut out = String::from(
        "<section class=\"card\" id=\"tokens\"><h2>Tokens per day, by type</h2>\
         <p class=\"muted\">tokens per UTC day; the line is the prompt-cache hit rate (cache reads / all prompt tokens)</p>\n",
    );
    if d.daily_tokens.is_empty() {
        out.push_str(&empty(
            "No API requests in the window, so no tokens. Run <code>atel-hooks backfill</code> \
             to import past sessions.",
        ));
        out.push_str("</section>\n");
        return out;
    }
    let kinds: Vec<String> = ["Input", "Output", "Cache read", "Cache write"]
        .map(str::to_owned)
        .to_vec();
    let axis = day_axis(d, d.daily_tokens.iter().map(|r| r.day));
    let by_day: BTreeMap<NaiveDate, _> = d.daily_tokens.iter().map(|r| (r.day, r)).collect();
    let (mut values, mut titles, mut rates, mut rate_titles) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for day in &axis {
        let row = by_day.get(day);
        let counts = row.map_or([0; 4], |r| {
            [
                r.total_input,
                r.total_output,
                r.total_cache_read,
                r.total_cache_write,
            ]
        });
        values.push(counts.iter().map(|n| u64_f64(*n)).collect());
        titles.push(
            kinds
                .iter()
                .zip(counts)
                .map(|(kind, n)| format!("{day} · {kind}: {} tokens", thousands(n)))
                .collect(),
        );
        let rate = row.map(|r| r.cache_hit_rate);
        rates.push(rate);
        rate_titles.push(format!(
            "{day} · cache hit rate {:.1}%",
            rate.unwrap_or_default()
        ));
    }
    out.push_str(&legend(&kinds));
    out.push_str(&chart_or_note(charts::stacked(&Stacked {
        x_labels: axis.iter().map(|d| d.format("%m-%d").to_string()).collect(),
        series: kinds,
        values,
        titles,
        y_desc: "tokens per day",
        y_format: tokens_axis,
        line: Some(Line {
            desc: "cache hit rate",
            values: rates,
            titles: rate_titles,
        }),
    })));
    out.push_str("<details><summary>Exact values</summary><div class=\"scroll\"><table><thead><tr><th>Day</th><th>Input</th><th>Output</th><th>Cache read</th><th>Cache write</th><th>Cache hit</th></tr></thead><tbody>\n");
    for r in &d.daily_tokens {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.1}%</td></tr>",
            r.day,
            thousands(r.total_input),
            thousands(r.total_output),
            thousands(r.total_cache_read),
            thousands(r.total_cache_write),
            r.cache_hit_rate
        );
    }
    out.push_str("</tbody></table></div></details>\n</section>\n");
    out
}

/// How many agents and skills the bar charts show.
const TOP_BARS: usize = 10;

pub(super) fn agents(d: &Dashboard) -> String {
    let mut out = String::from(
        "<section class=\"card\" id=\"agents\"><h2>Top subagents by cost</h2>\
         <p class=\"muted\">estimated USD over the window, from each run's tokens at list prices</p>\n",
    );
    if d.usage.agents.is_empty() {
        out.push_str(&empty(
            "No subagent runs in the window. The SubagentStop hook records them; \
             <code>atel-hooks backfill</code> imports past ones.",
        ));
        out.push_str("</section>\n");
        return out;
    }
    let insight = |name: &str| d.insights.iter().find(|i| i.agent_type == name);
    let top: Vec<_> = d.usage.agents.iter().take(TOP_BARS).collect();
    let titles = top
        .iter()
        .map(|a| {
            let mut t = format!(
                "{}: est. {}, {} run{}",
                a.agent_type,
                usd(a.est_cost_usd),
                thousands(a.invocations),
                plural(a.invocations)
            );
            if let Some(i) = insight(&a.agent_type) {
                let _ = write!(
                    t,
                    ", {}/run, cache hit {:.1}%",
                    usd(i.avg_cost_per_invocation),
                    i.efficiency_score
                );
            }
            t
        })
        .collect();
    out.push_str(&chart_or_note(charts::bars(&Bars {
        labels: top.iter().map(|a| a.agent_type.clone()).collect(),
        values: top.iter().map(|a| vec![a.est_cost_usd]).collect(),
        colors: vec![0],
        titles,
        x_desc: "estimated USD",
        x_format: usd_axis,
    })));
    out.push_str("<div class=\"scroll\"><table><thead><tr><th>Agent</th><th>Runs</th><th>Est. cost</th><th>Per run</th><th>Cache hit</th><th>Avg time</th></tr></thead><tbody>\n");
    for a in &d.usage.agents {
        let i = insight(&a.agent_type);
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&a.agent_type),
            thousands(a.invocations),
            usd(a.est_cost_usd),
            i.map_or("-".to_owned(), |i| usd(i.avg_cost_per_invocation)),
            i.map_or("-".to_owned(), |i| format!("{:.1}%", i.efficiency_score)),
            duration_ms(a.avg_duration_ms),
        );
    }
    out.push_str("</tbody></table></div>\n</section>\n");
    out
}

pub(super) fn skills(d: &Dashboard) -> String {
    let mut out = String::from(
        "<section class=\"card\" id=\"skills\"><h2>Skills by uses</h2>\
         <p class=\"muted\">uses over the window: succeeded, then failed</p>\n",
    );
    if d.usage.skills.is_empty() {
        out.push_str(&empty(
            "No skill uses in the window. The PostToolUse hook records each use of the Skill tool.",
        ));
        out.push_str("</section>\n");
        return out;
    }
    let top: Vec<_> = d.usage.skills.iter().take(TOP_BARS).collect();
    let rate = |ok: u64, all: u64| {
        if all == 0 {
            "-".to_owned()
        } else {
            percent(u64_f64(ok) * 100.0 / u64_f64(all))
        }
    };
    out.push_str(&legend(&["Succeeded".to_owned(), "Failed".to_owned()]));
    out.push_str(&chart_or_note(charts::bars(&Bars {
        labels: top.iter().map(|s| s.skill_name.clone()).collect(),
        values: top
            .iter()
            .map(|s| {
                vec![
                    u64_f64(s.successes),
                    u64_f64(s.activations.saturating_sub(s.successes)),
                ]
            })
            .collect(),
        colors: vec![0, 1],
        titles: top
            .iter()
            .map(|s| {
                format!(
                    "{}: {} use{}, {} succeeded",
                    s.skill_name,
                    thousands(s.activations),
                    plural(s.activations),
                    rate(s.successes, s.activations)
                )
            })
            .collect(),
        x_desc: "uses",
        x_format: |v| {
            if v.fract() == 0.0 {
                format!("{v:.0}")
            } else {
                String::new()
            }
        },
    })));
    out.push_str("<div class=\"scroll\"><table><thead><tr><th>Skill</th><th>Uses</th><th>Succeeded</th><th>Avg time</th></tr></thead><tbody>\n");
    for s in &d.usage.skills {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&s.skill_name),
            thousands(s.activations),
            rate(s.successes, s.activations),
            duration_ms(s.avg_duration_ms)
        );
    }
    out.push_str("</tbody></table></div>\n</section>\n");
    out
}

pub(super) fn sessions(d: &Dashboard, links: Links) -> String {
    let mut out = String::from(
        "<section class=\"card wide\" id=\"sessions\"><h2>Costliest sessions</h2>\
         <p class=\"muted\">start and duration from the first to the last API request; subagents are completed runs</p>\n",
    );
    if d.top_sessions.is_empty() {
        out.push_str(&empty(
            "No session made API requests in the window. Run <code>atel-hooks backfill</code> to \
             import past sessions.",
        ));
        out.push_str("</section>\n");
        return out;
    }
    out.push_str("<div class=\"scroll\"><table><thead><tr><th>Session</th><th>Start (UTC)</th><th>Duration</th><th>Requests</th><th>Subagents</th><th>Tokens</th><th>Cost</th></tr></thead><tbody>\n");
    for s in &d.top_sessions {
        let id = escape(&s.session_id);
        let cell = match links {
            Links::Server => format!(
                "<a href=\"/session/{}?days={}\">{id}</a>",
                path_segment(&s.session_id),
                d.usage.days
            ),
            Links::Inline => match d.details.iter().position(|(i, _)| *i == s.session_id) {
                Some(n) => format!("<a href=\"#session-{n}\">{id}</a>"),
                None => id,
            },
        };
        let _ = writeln!(
            out,
            "<tr><td class=\"id\">{cell}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            s.started.format("%Y-%m-%d %H:%M"),
            duration_ms(u64_f64(s.duration_ms)),
            thousands(s.request_count),
            thousands(s.agent_runs),
            tokens(s.total_tokens),
            usd(s.total_cost_usd)
        );
    }
    out.push_str("</tbody></table></div>\n</section>\n");
    out
}

/// Tool calls by tool, from Claude Code's own OpenTelemetry (`otel_tool_results`).
pub(super) fn tools(d: &Dashboard) -> String {
    let mut out = String::from(
        "<section class=\"card\" id=\"tools\"><h2>Tools by calls</h2>\
         <p class=\"muted\">from Claude Code's OpenTelemetry: calls succeeded, then failed; \
         p50 / p95 duration</p>\n",
    );
    if d.tools.is_empty() {
        out.push_str(&empty(
            "No OpenTelemetry tool results in the window. Run <code>atel-hooks install --otel</code> \
             so Claude Code exports its events (see docs/otel.md).",
        ));
        out.push_str("</section>\n");
        return out;
    }
    let top: Vec<_> = d.tools.iter().take(TOP_BARS).collect();
    out.push_str(&legend(&["Succeeded".to_owned(), "Failed".to_owned()]));
    out.push_str(&chart_or_note(charts::bars(&Bars {
        labels: top.iter().map(|t| t.tool_name.clone()).collect(),
        values: top
            .iter()
            .map(|t| {
                vec![
                    u64_f64(t.successes),
                    u64_f64(t.calls.saturating_sub(t.successes)),
                ]
            })
            .collect(),
        colors: vec![0, 1],
        titles: top
            .iter()
            .map(|t| {
                format!(
                    "{}: {} call{}, {} succeeded, p95 {}",
                    t.tool_name,
                    thousands(t.calls),
                    plural(t.calls),
                    percent(t.success_rate * 100.0),
                    duration_ms(t.p95_duration_ms)
                )
            })
            .collect(),
        x_desc: "calls",
        x_format: |v| {
            if v.fract() == 0.0 {
                format!("{v:.0}")
            } else {
                String::new()
            }
        },
    })));
    out.push_str("<div class=\"scroll\"><table><thead><tr><th>Tool</th><th>Calls</th><th>Succeeded</th><th>p50</th><th>p95</th></tr></thead><tbody>\n");
    for t in &d.tools {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&t.tool_name),
            thousands(t.calls),
            percent(t.success_rate * 100.0),
            duration_ms(t.p50_duration_ms),
            duration_ms(t.p95_duration_ms)
        );
    }
    out.push_str("</tbody></table></div>\n</section>\n");
    out
}

pub(super) fn hints(d: &Dashboard) -> String {
    let mut out = String::from(
        "<section class=\"card wide\" id=\"hints\"><h2>What Claude is told at session start</h2>\
         <p class=\"muted\">the SessionStart context, word for word</p>\n",
    );
    match context::context_text(d.usage.days, &d.usage.agents, &d.insights) {
        Some(text) => {
            let _ = writeln!(out, "<pre>{}</pre>", escape(&text));
        }
        None => out.push_str(&empty(
            "Nothing yet: Claude gets a summary once subagents have run in the window.",
        )),
    }
    out.push_str("</section>\n");
    out
}

pub(super) fn requests_table(rows: &[SessionDrilldownRow], days: u16) -> String {
    if rows.is_empty() {
        return empty(&format!(
            "No API requests of this session in the {}.",
            window(days)
        ));
    }
    let mut out = String::from(
        "<div class=\"scroll\"><table><thead><tr><th>Time (UTC)</th><th class=\"l\">Model</th><th>Input</th><th>Output</th><th>Cache read</th><th>Cache write</th><th>Duration</th><th>Cost</th><th>Request</th></tr></thead><tbody>\n",
    );
    for r in rows {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"id\">{}</td></tr>",
            time(r.timestamp),
            escape(&r.model),
            thousands(r.input_tokens),
            thousands(r.output_tokens),
            thousands(r.cache_read_tokens),
            thousands(r.cache_write_tokens),
            duration_ms(u64_f64(r.duration_ms)),
            usd(r.cost_usd),
            escape(&r.request_id)
        );
    }
    out.push_str("</tbody></table></div>\n");
    out
}
