//! The page's text: totals equal to the report's, escaping of user data, empty states, links.

use atel_sdk::telemetry::dashboard::{
    DailyCostByModelRow, DailyTokensRow, SessionDrilldownRow, TopSessionsRow,
};
use atel_sdk::telemetry::otel_pipes::OtelToolResultRow;
use chrono::{DateTime, NaiveDate, Utc};

use super::html::{Links, escape, page, path_segment, session_page, totals};
use super::{Dashboard, SessionPage, Totals};
use crate::usage::{AgentInsight, AgentUsage, ModelCost, SessionSummary, SkillUsage, Usage};

const EVIL: &str = "<script>alert('x')</script>&\"";

fn at(text: &str) -> DateTime<Utc> {
    atel_sdk::client::de::parse_datetime(text).unwrap()
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn dashboard() -> Dashboard {
    let usage = Usage {
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
                agent_type: EVIL.into(),
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
        models: vec![
            ModelCost {
                model: "claude-opus-5-5".into(),
                total_input: 836,
                total_output: 276,
                total_cost_usd: 0.1234,
                request_count: 8,
            },
            ModelCost {
                model: "claude-haiku-4-5".into(),
                total_input: 10_000_000,
                total_output: 1_000,
                total_cost_usd: 1.004_9,
                request_count: 1_200,
            },
        ],
        sessions: vec![SessionSummary {
            session_id: EVIL.into(),
            agents_used: 1,
            skills_used: 1,
            total_tokens: 59_780,
            total_cost_usd: 1.25,
        }],
    };
    Dashboard {
        usage,
        insights: vec![AgentInsight {
            agent_type: "general-purpose".into(),
            avg_cost_per_invocation: 2.618,
            avg_tokens: 60_000.0,
            frequency: 12,
            efficiency_score: 92.4,
        }],
        daily_cost: vec![
            DailyCostByModelRow {
                day: day("2026-11-25"),
                model: "claude-opus-5-5".into(),
                total_cost_usd: 0.1234,
                request_count: 8,
            },
            DailyCostByModelRow {
                day: day("2026-11-27"),
                model: "claude-haiku-4-5".into(),
                total_cost_usd: 1.004_9,
                request_count: 1_200,
            },
        ],
        daily_tokens: vec![DailyTokensRow {
            day: day("2026-11-25"),
            total_input: 836,
            total_output: 276,
            total_cache_read: 40_000,
            total_cache_write: 2_000,
            cache_hit_rate: 93.1,
        }],
        top_sessions: vec![TopSessionsRow {
            session_id: EVIL.into(),
            started: at("2026-11-25 09:00:00.000"),
            duration_ms: 125_000,
            request_count: 1_208,
            agents_used: 1,
            agent_runs: 15,
            total_tokens: 59_780,
            total_cost_usd: 1.25,
        }],
        details: vec![(
            EVIL.into(),
            vec![SessionDrilldownRow {
                timestamp: at("2026-11-25 09:00:01.500"),
                model: "claude-opus-5-5".into(),
                input_tokens: 101,
                output_tokens: 31,
                cache_read_tokens: 5_100,
                cache_write_tokens: 2_010,
                cost_usd: 0.016_392_5,
                duration_ms: 2_000,
                request_id: "req_1".into(),
            }],
        )],
        tools: vec![
            OtelToolResultRow {
                tool_name: "Bash".into(),
                calls: 3,
                successes: 2,
                success_rate: 2.0 / 3.0,
                p50_duration_ms: 20.0,
                p95_duration_ms: 30.0,
            },
            OtelToolResultRow {
                tool_name: EVIL.into(),
                calls: 1,
                successes: 1,
                success_rate: 1.0,
                p50_duration_ms: 5.0,
                p95_duration_ms: 5.0,
            },
        ],
        generated: at("2026-11-28 12:00:00.000"),
    }
}

#[test]
fn totals_are_the_reports_sums_in_its_formats() {
    let d = dashboard();
    let t = Totals::of(&d.usage);
    // The report's totals rows for the same usage: models $1.13 / 1,208 / 10,000,836 → 10.0M / 1,276;
    // subagents 15 runs, $31.43; skills 4 uses, 75%; 1 session.
    assert_eq!(
        totals(&t),
        "<section class=\"totals\" aria-label=\"Totals\">\n\
<div class=\"total\" data-total=\"api-cost\"><span class=\"label\">API cost</span><span class=\"value\">$1.13</span></div>\n\
<div class=\"total\" data-total=\"requests\"><span class=\"label\">API requests</span><span class=\"value\">1,208</span></div>\n\
<div class=\"total\" data-total=\"input-tokens\"><span class=\"label\">Input tokens</span><span class=\"value\">10.0M</span></div>\n\
<div class=\"total\" data-total=\"output-tokens\"><span class=\"label\">Output tokens</span><span class=\"value\">1,276</span></div>\n\
<div class=\"total\" data-total=\"sessions\"><span class=\"label\">Sessions</span><span class=\"value\">1</span></div>\n\
<div class=\"total\" data-total=\"agent-runs\"><span class=\"label\">Subagent runs</span><span class=\"value\">15</span></div>\n\
<div class=\"total\" data-total=\"agent-cost\"><span class=\"label\">Subagent est. cost</span><span class=\"value\">$31.43</span></div>\n\
<div class=\"total\" data-total=\"skill-uses\"><span class=\"label\">Skill uses</span><span class=\"value\">4</span></div>\n\
<div class=\"total\" data-total=\"skill-success\"><span class=\"label\">Skills succeeded</span><span class=\"value\">75%</span></div>\n\
</section>\n"
    );
    // The same strings as the report's totals rows.
    let report = crate::report::render(&d.usage);
    for value in ["$1.13", "1,208", "10.0M", "1,276", "$31.43", "75%"] {
        assert!(report.contains(value), "{value} not in\n{report}");
    }
}

#[test]
fn user_data_is_escaped_everywhere() {
    assert_eq!(
        escape(EVIL),
        "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"
    );
    for links in [Links::Server, Links::Inline] {
        let html = page(&dashboard(), links);
        assert!(!html.contains("<script"), "{links:?}");
        assert!(!html.contains("alert('x')"), "{links:?}");
        assert!(
            html.contains("&lt;script&gt;alert(&#39;x&#39;)"),
            "{links:?}"
        );
    }
    let server = page(&dashboard(), Links::Server);
    assert!(server.contains(&format!(
        "<a href=\"/session/{}?days=7\">",
        "%3Cscript%3Ealert%28%27x%27%29%3C%2Fscript%3E%26%22"
    )));
    assert_eq!(path_segment("4d63b439-5f55_a.b~"), "4d63b439-5f55_a.b~");
    let one = session_page(&SessionPage {
        session_id: EVIL.into(),
        days: 7,
        overview: None,
        requests: Vec::new(),
    });
    assert!(!one.contains("<script"));
    assert!(one.contains("No API requests of this session in the last 7 days."));
}

#[test]
fn the_page_has_every_section_and_inline_details_in_the_file() {
    let html = page(&dashboard(), Links::Inline);
    for id in [
        "spend", "tokens", "agents", "skills", "sessions", "hints", "tools",
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
    }
    // Spend: two models over 2026-11-25..2026-11-28 (four days, the axis runs to the day generated).
    assert!(html.contains("<title>2026-11-25 · claude-opus-5-5: $0.1234 (8 requests)</title>"));
    assert!(html.contains("<title>2026-11-27 · claude-haiku-4-5: $1.00 (1,200 requests)</title>"));
    assert!(html.contains("<title>2026-11-25 · cache hit rate 93.1%</title>"));
    assert!(html.contains("<title>2026-11-25 · Cache read: 40,000 tokens</title>"));
    assert!(html.contains(
        "<title>general-purpose: est. $31.42, 12 runs, $2.62/run, cache hit 92.4%</title>"
    ));
    assert!(html.contains("<title>fake-skill: 4 uses, 75% succeeded</title>"));
    // Tools, from the OpenTelemetry endpoint: 2 of 3 Bash calls succeeded, p95 30 ms.
    assert!(html.contains("<title>Bash: 3 calls, 67% succeeded, p95 30ms</title>"));
    assert!(
        html.contains("<tr><td>Bash</td><td>3</td><td>67%</td><td>20ms</td><td>30ms</td></tr>")
    );
    assert_eq!(html.matches("<svg").count(), 5);
    // The costliest session links to its details below, which list its request.
    assert!(html.contains("<a href=\"#session-0\">"));
    assert!(html.contains("id=\"session-0\""));
    assert!(
        html.contains(
            "<td>2026-11-25 09:00:01</td><td class=\"l\">claude-opus-5-5</td><td>101</td>"
        )
    );
    // The hints are the SessionStart context, word for word.
    let context =
        crate::context::context_text(7, &dashboard().usage.agents, &dashboard().insights).unwrap();
    assert!(html.contains(&format!("<pre>{}</pre>", escape(&context))));
    // Nothing is fetched: no script, no external URL.
    let without_namespaces = html
        .replace("xmlns=\"http://www.w3.org/2000/svg\"", "")
        .replace("<link rel=\"icon\" href=\"data:,\">", "");
    for fetch in ["http://", "https://", "src=", "<script", "<link", "url("] {
        assert!(!without_namespaces.contains(fetch), "{fetch}");
    }
    assert!(!html.contains("id=\"empty\""));
}

#[test]
fn an_empty_window_says_what_to_do() {
    let html = page(
        &Dashboard {
            usage: Usage {
                days: 1,
                ..Usage::default()
            },
            generated: at("2026-11-28 12:00:00.000"),
            ..Dashboard::default()
        },
        Links::Server,
    );
    assert!(html.contains("No Claude Code usage recorded in the last 1 day."));
    assert!(html.contains("<code>atel-hooks install --project .</code>"));
    assert!(html.contains("<code>atel-hooks backfill</code>"));
    assert!(!html.contains("<svg"));
    assert!(html.contains("data-total=\"api-cost\"><span class=\"label\">API cost</span><span class=\"value\">$0.0000</span>"));
    assert!(html.contains("Nothing yet: Claude gets a summary once subagents have run"));
    assert!(html.contains(
        "No OpenTelemetry tool results in the window. Run <code>atel-hooks install --otel</code>"
    ));
}

#[test]
fn the_day_axis_runs_from_the_first_day_with_data_to_today_or_a_later_day() {
    let mut d = dashboard();
    // A day after the one generated (a clock ahead) still gets its bar.
    d.daily_cost.push(DailyCostByModelRow {
        day: day("2026-11-30"),
        model: "claude-opus-5-5".into(),
        total_cost_usd: 0.5,
        request_count: 1,
    });
    let html = page(&d, Links::Server);
    assert!(html.contains("<title>2026-11-30 · claude-opus-5-5: $0.5000 (1 request)</title>"));
    // Days without requests are on the axis (no bar, no title), days before the first are not.
    assert!(html.contains("11-26\n</text>"), "11-26 on the axis");
    assert!(!html.contains("11-24"));
    assert!(!html.contains("<title>2026-11-26 · claude-opus-5-5"));
}
