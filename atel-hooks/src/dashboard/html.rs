//! The dashboard page as HTML text: totals, charts, tables, the `SessionStart` hints, empty states.
//!
//! Everything from the data (session ids, agent, skill and model names) goes through [`escape`];
//! the page has no script, and its `Content-Security-Policy` lets it load nothing but inline style.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

use super::charts::{self, Bars, Line, Stacked};
use super::{Dashboard, SessionPage, Totals};
use crate::context;
use crate::table::{duration_ms, percent, plural, thousands, tokens, usd};

const STYLE: &str = include_str!("style.css");
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/// Text escaped for HTML text and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A path segment with everything but unreserved characters percent-encoded.
pub(crate) fn path_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// Where a session's row links to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Links {
    /// The server's `/session/ID` page.
    Server,
    /// The details inline in the same file (`#session-N`), for the sessions that have them.
    Inline,
}

/// The page around `body`.
fn document(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n\
         <link rel=\"icon\" href=\"data:,\">\n\
         <title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n{body}\
         <footer>atel {} · numbers from the Tinybird pipes; days are UTC.</footer>\n</body>\n</html>\n",
        escape(title),
        env!("CARGO_PKG_VERSION"),
    )
}

fn window(days: u16) -> String {
    format!("last {days} day{}", plural(days))
}

/// The report's totals as cards, each with a `data-total` key.
pub(crate) fn totals(t: &Totals) -> String {
    #[expect(clippy::cast_precision_loss, reason = "counts stay far below 2^53")]
    let rate = if t.skill_uses == 0 {
        "-".to_owned()
    } else {
        percent(t.skill_successes as f64 * 100.0 / t.skill_uses as f64)
    };
    let cards = [
        ("api-cost", "API cost", usd(t.api_cost_usd)),
        ("requests", "API requests", thousands(t.requests)),
        ("input-tokens", "Input tokens", tokens(t.input_tokens)),
        ("output-tokens", "Output tokens", tokens(t.output_tokens)),
        (
            "sessions",
            "Sessions",
            thousands(u64::try_from(t.sessions).unwrap_or(u64::MAX)),
        ),
        ("agent-runs", "Subagent runs", thousands(t.agent_runs)),
        ("agent-cost", "Subagent est. cost", usd(t.agent_cost_usd)),
        ("skill-uses", "Skill uses", thousands(t.skill_uses)),
        ("skill-success", "Skills succeeded", rate),
    ];
    let mut out = String::from("<section class=\"totals\" aria-label=\"Totals\">\n");
    for (key, label, value) in cards {
        let _ = writeln!(
            out,
            "<div class=\"total\" data-total=\"{key}\"><span class=\"label\">{label}</span>\
             <span class=\"value\">{}</span></div>",
            escape(&value)
        );
    }
    out.push_str("</section>\n");
    out
}

/// What to do when nothing is recorded.
fn getting_started(days: u16) -> String {
    format!(
        "<section class=\"notice\" id=\"empty\"><h2>No Claude Code usage recorded in the {}.</h2>\
         <p>Record new sessions by installing the hooks: <code>atel-hooks install --project .</code> \
         (or <code>--user</code>) and <code>atel-hooks deploy tinybird</code>. Import the sessions \
         already on disk with <code>atel-hooks backfill</code>. Then reload this page, or widen the \
         window with <code>--days</code>.</p></section>\n",
        window(days)
    )
}

fn empty(text: &str) -> String {
    format!("<p class=\"empty\">{text}</p>\n")
}

/// The dashboard page.
pub(crate) fn page(d: &Dashboard, links: Links) -> String {
    let days = d.usage.days;
    let mut body = format!(
        "<header><h1>Claude Code usage</h1><p>{} · generated {} UTC</p></header>\n",
        window(days),
        d.generated.format("%Y-%m-%d %H:%M")
    );
    body.push_str(&totals(&Totals::of(&d.usage)));
    let u = &d.usage;
    if u.agents.is_empty() && u.skills.is_empty() && u.models.is_empty() && u.sessions.is_empty() {
        body.push_str(&getting_started(days));
    }
    body.push_str("<div class=\"grid\">\n");
    body.push_str(&spend(d));
    body.push_str(&token_chart(d));
    body.push_str(&agents(d));
    body.push_str(&skills(d));
    body.push_str(&sessions(d, links));
    body.push_str(&hints(d));
    // OTel charts (tool calls by tool, from the otel_* datasources) are sections of this grid too.
    body.push_str("</div>\n");
    if links == Links::Inline {
        for (i, (id, requests)) in d.details.iter().enumerate() {
            let overview = d.top_sessions.iter().find(|s| s.session_id == *id);
            let _ = writeln!(
                body,
                "<section class=\"card wide detail\" id=\"session-{i}\"><h2>Session <code>{}</code></h2>",
                escape(id)
            );
            if let Some(s) = overview {
                let _ = writeln!(
                    body,
                    "<p class=\"muted\">started {} UTC · {} · {} request{} · {}</p>",
                    s.started.format("%Y-%m-%d %H:%M"),
                    duration_ms(u64_f64(s.duration_ms)),
                    thousands(s.request_count),
                    plural(s.request_count),
                    usd(s.total_cost_usd)
                );
            }
            body.push_str(&requests_table(requests, days));
            body.push_str("</section>\n");
        }
    }
    document(&format!("atel: Claude Code usage, {}", window(days)), &body)
}

/// One session's page (the server's drill-down).
pub(crate) fn session_page(p: &SessionPage) -> String {
    let mut body = format!(
        "<header><h1>Session <code>{}</code></h1><p>{} · <a href=\"/?days={}\">back to the dashboard</a></p></header>\n",
        escape(&p.session_id),
        window(p.days),
        p.days
    );
    if let Some(o) = &p.overview {
        let _ = writeln!(
            body,
            "<section class=\"totals\"><div class=\"total\" data-total=\"session-cost\"><span class=\"label\">Cost</span><span class=\"value\">{}</span></div>\
             <div class=\"total\"><span class=\"label\">Tokens</span><span class=\"value\">{}</span></div>\
             <div class=\"total\"><span class=\"label\">Subagent types</span><span class=\"value\">{}</span></div>\
             <div class=\"total\"><span class=\"label\">Skills</span><span class=\"value\">{}</span></div></section>",
            usd(o.total_cost_usd),
            tokens(o.total_tokens),
            thousands(o.agents_used),
            thousands(o.skills_used),
        );
    }
    body.push_str("<section class=\"card\">\n<h2>API requests</h2>\n");
    body.push_str(&requests_table(&p.requests, p.days));
    body.push_str("</section>\n");
    document(&format!("atel: session {}", p.session_id), &body)
}

/// A page saying what went wrong (the server's errors).
pub(crate) fn error_page(title: &str, message: &str) -> String {
    document(
        title,
        &format!(
            "<header><h1>{}</h1></header>\n<section class=\"notice\"><p>{}</p></section>\n",
            escape(title),
            escape(message)
        ),
    )
}

#[expect(clippy::cast_precision_loss, reason = "display only")]
fn u64_f64(n: u64) -> f64 {
    n as f64
}

/// Every UTC day from the window's first day with data (or its start) to the day it was generated.
fn day_axis(d: &Dashboard, first_with_data: Option<NaiveDate>) -> Vec<NaiveDate> {
    let today = d.generated.date_naive();
    let window_start = (d.generated - TimeDelta::days(i64::from(d.usage.days))).date_naive();
    let start = first_with_data.map_or(today, |f| f.max(window_start).min(today));
    start.iter_days().take_while(|day| *day <= today).collect()
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

fn spend(d: &Dashboard) -> String {
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
    let axis = day_axis(d, d.daily_cost.first().map(|r| r.day));
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

fn token_chart(d: &Dashboard) -> String {
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
    let axis = day_axis(d, d.daily_tokens.first().map(|r| r.day));
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

fn agents(d: &Dashboard) -> String {
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

fn skills(d: &Dashboard) -> String {
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

fn sessions(d: &Dashboard, links: Links) -> String {
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

fn hints(d: &Dashboard) -> String {
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

fn requests_table(
    rows: &[atel_sdk::telemetry::dashboard::SessionDrilldownRow],
    days: u16,
) -> String {
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

fn time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}
