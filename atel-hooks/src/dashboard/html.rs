//! The dashboard page as HTML text: totals, charts, tables, the `SessionStart` hints, empty states.
//!
//! Everything from the data (session ids, agent, skill and model names) goes through [`escape`];
//! the page has no script, and its `Content-Security-Policy` lets it load nothing but inline style.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use super::sections::{agents, hints, requests_table, sessions, skills, spend, token_chart, tools};
use super::{Dashboard, SessionPage, Totals};
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

pub(super) fn window(days: u16) -> String {
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

pub(super) fn empty(text: &str) -> String {
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
    body.push_str(&tools(d));
    body.push_str("</div>\n");
    if links == Links::Inline {
        for (i, (id, requests)) in d.details.iter().enumerate() {
            let overview = d.top_sessions.iter().find(|s| s.session_id == *id);
            let _ = writeln!(
                body,
                "<section class=\"card wide detail\" id=\"session-{i}\"><h2>Session <code>{}</code></h2>\
                 <p><a href=\"#sessions\">back to the sessions</a></p>",
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
pub(super) fn u64_f64(n: u64) -> f64 {
    n as f64
}

pub(super) fn time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}
