//! `atel-hooks reconcile` and `atel-hooks report --otel`: what Claude Code's own OpenTelemetry says,
//! and where it disagrees with what the hooks recorded.
//!
//! The two routes are independent measurements of the same API requests: the hooks read the
//! transcripts (and price them like Claude Code does), the OpenTelemetry route carries Claude Code's
//! own numbers. `reconcile` lists every request id one route has and the other lacks or records
//! differently; none is expected.

use std::fmt::Write as _;

use atel_sdk::TinybirdClient;
use atel_sdk::telemetry::otel_pipes::{
    OtelApiRequestRow, OtelApiRequestsExt as _, OtelToolResultRow, OtelToolResultsExt as _,
    OtelUsageByDayExt as _, OtelUsageByDayRow, ReconcileExt as _, ReconcileRow,
};
use serde::Serialize;

use crate::table::{
    Align, TERMINAL_WIDTH, Table, duration_ms, percent, plural, thousands, tokens, usd,
};

/// Every request of the window as both routes saw it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reconciliation {
    /// The window in days.
    pub days: u16,
    /// Request ids compared (either route has them).
    pub requests: usize,
    /// Those both routes recorded alike.
    pub matches: usize,
    /// The others.
    pub mismatches: Vec<ReconcileRow>,
}

impl Reconciliation {
    /// Asks the `reconcile` endpoint for every request of the last `days` days.
    pub async fn fetch(client: &TinybirdClient, days: u16) -> Result<Self, atel_sdk::Error> {
        let rows = client.reconcile().days(days).include_matches(1).await?;
        let requests = rows.len();
        let mismatches: Vec<ReconcileRow> =
            rows.into_iter().filter(|r| r.status != "match").collect();
        Ok(Self {
            days,
            requests,
            matches: requests - mismatches.len(),
            mismatches,
        })
    }

    /// One line of counts, then a table of the mismatches.
    pub fn render(&self) -> String {
        let days = self.days;
        let mut out = format!(
            "Hooks vs OpenTelemetry, last {days} day{}: {} request{} compared, {} match, {} mismatch{}.\n",
            plural(days),
            thousands(self.requests as u64),
            plural(self.requests),
            thousands(self.matches as u64),
            thousands(self.mismatches.len() as u64),
            if self.mismatches.len() == 1 { "" } else { "es" },
        );
        if self.requests == 0 {
            out.push_str(
                "No API request from either route: install the hooks (`atel-hooks install`) and \
                 Claude Code's telemetry (`atel-hooks install --otel`), then use Claude Code.\n",
            );
        }
        if self.mismatches.is_empty() {
            return out;
        }
        out.push('\n');
        let mut table = Table::new(
            "Mismatches (tokens: input/output/cache read/cache write)",
            &[
                ("Request", Align::Left),
                ("Status", Align::Left),
                ("Hooks", Align::Right),
                ("OTel", Align::Right),
            ],
        );
        for row in &self.mismatches {
            let side = |tokens: &[u64; 4], cost: f64, present: bool| {
                if present {
                    format!("{} {}", tokens.map(|n| n.to_string()).join("/"), usd(cost))
                } else {
                    "—".to_owned()
                }
            };
            table.row(vec![
                row.request_id.clone(),
                row.status.replace('_', " "),
                side(
                    &row.hook_tokens,
                    row.hook_cost_usd,
                    row.status != "missing_in_hooks",
                ),
                side(
                    &row.otel_tokens,
                    row.otel_cost_usd,
                    row.status != "missing_in_otel",
                ),
            ]);
        }
        out.push_str(&table.render(TERMINAL_WIDTH));
        out
    }
}

/// What Claude Code's own telemetry says about the window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OtelUsage {
    /// The window in days.
    pub days: u16,
    /// Cost and tokens per day and model, from the metrics.
    pub by_day: Vec<OtelUsageByDayRow>,
    /// The `api_request` events.
    pub requests: Vec<OtelApiRequestRow>,
    /// Tool calls per tool.
    pub tools: Vec<OtelToolResultRow>,
}

impl OtelUsage {
    /// Asks the three OpenTelemetry endpoints.
    pub async fn fetch(client: &TinybirdClient, days: u16) -> Result<Self, atel_sdk::Error> {
        Ok(Self {
            days,
            by_day: client.otel_usage_by_day().days(days).await?,
            requests: client.otel_api_requests().days(days).await?,
            tools: client.otel_tool_results().days(days).await?,
        })
    }

    /// The tables, or what to do when there is no OpenTelemetry data.
    pub fn render(&self) -> String {
        let days = self.days;
        let window = format!("last {days} day{}", plural(days));
        let mut out = String::new();
        if self.by_day.is_empty() && self.requests.is_empty() && self.tools.is_empty() {
            let _ = writeln!(
                out,
                "No OpenTelemetry data from Claude Code in the {window}: run `atel-hooks install --otel` \
                 (or point an OpenTelemetry Collector's tinybird exporter at the otel_* datasources)."
            );
            return out;
        }
        let cost: f64 = self.requests.iter().map(|r| r.cost_usd).sum();
        let _ = writeln!(
            out,
            "Claude Code's own telemetry, {window}: {} API request{}, {} by its own prices.\n",
            thousands(self.requests.len() as u64),
            plural(self.requests.len()),
            usd(cost),
        );
        if !self.by_day.is_empty() {
            let mut table = Table::new(
                format!("Cost and tokens per day and model (metrics, {window})"),
                &[
                    ("Day / model", Align::Left),
                    ("Input", Align::Right),
                    ("Output", Align::Right),
                    ("Cache read", Align::Right),
                    ("Cost", Align::Right),
                ],
            );
            for row in &self.by_day {
                table.row(vec![
                    format!("{} {}", row.day, row.model),
                    tokens(row.input_tokens),
                    tokens(row.output_tokens),
                    tokens(row.cache_read_tokens),
                    usd(row.cost_usd),
                ]);
            }
            table.total(vec![
                "Total".into(),
                tokens(self.by_day.iter().map(|r| r.input_tokens).sum()),
                tokens(self.by_day.iter().map(|r| r.output_tokens).sum()),
                tokens(self.by_day.iter().map(|r| r.cache_read_tokens).sum()),
                usd(self.by_day.iter().map(|r| r.cost_usd).sum()),
            ]);
            out.push_str(&table.render(TERMINAL_WIDTH));
            out.push('\n');
        }
        if !self.tools.is_empty() {
            let mut table = Table::new(
                format!("Tools ({window})"),
                &[
                    ("Tool", Align::Left),
                    ("Calls", Align::Right),
                    ("Success", Align::Right),
                    ("p50", Align::Right),
                    ("p95", Align::Right),
                ],
            );
            for row in &self.tools {
                table.row(vec![
                    row.tool_name.clone(),
                    thousands(row.calls),
                    percent(row.success_rate),
                    duration_ms(row.p50_duration_ms),
                    duration_ms(row.p95_duration_ms),
                ]);
            }
            out.push_str(&table.render(TERMINAL_WIDTH));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mismatch(id: &str, status: &str) -> ReconcileRow {
        ReconcileRow {
            request_id: id.into(),
            status: status.into(),
            session_id: "s1".into(),
            hook_tokens: [101, 31, 5100, 2010],
            otel_tokens: if status == "missing_in_otel" {
                [0; 4]
            } else {
                [101, 32, 5100, 2010]
            },
            hook_cost_usd: 0.012_094,
            otel_cost_usd: 0.012_094,
        }
    }

    #[test]
    fn a_clean_reconciliation_is_one_line() {
        let clean = Reconciliation {
            days: 7,
            requests: 1_234,
            matches: 1_234,
            mismatches: Vec::new(),
        };
        assert_eq!(
            clean.render(),
            "Hooks vs OpenTelemetry, last 7 days: 1,234 requests compared, 1,234 match, 0 mismatches.\n"
        );
    }

    #[test]
    fn mismatches_are_listed_with_both_sides() {
        let text = Reconciliation {
            days: 1,
            requests: 3,
            matches: 1,
            mismatches: vec![
                mismatch("req_a", "differs"),
                mismatch("req_b", "missing_in_otel"),
            ],
        }
        .render();
        assert!(
            text.starts_with(
                "Hooks vs OpenTelemetry, last 1 day: 3 requests compared, 1 match, 2 mismatches.\n"
            ),
            "{text}"
        );
        let lines: Vec<&str> = text.lines().collect();
        let a = lines.iter().find(|l| l.starts_with("req_a")).unwrap();
        assert!(
            a.contains("differs")
                && a.contains("101/31/5100/2010")
                && a.contains("101/32/5100/2010"),
            "{a}"
        );
        let b = lines.iter().find(|l| l.starts_with("req_b")).unwrap();
        assert!(
            b.contains("missing in otel") && b.trim_end().ends_with('—'),
            "{b}"
        );
        assert!(
            lines.iter().all(|l| l.chars().count() <= TERMINAL_WIDTH),
            "{text}"
        );
    }

    #[test]
    fn no_otel_data_says_what_to_do() {
        let empty = OtelUsage {
            days: 7,
            by_day: Vec::new(),
            requests: Vec::new(),
            tools: Vec::new(),
        };
        assert!(empty.render().contains("atel-hooks install --otel"));
    }
}
