//! Plain-text tables and number formats for the terminal: thousands separators, dollars with two to
//! four decimals, durations a person reads at a glance.

use std::fmt::Write as _;

/// The width tables aim to fit.
pub(crate) const TERMINAL_WIDTH: usize = 80;

/// Column alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    /// Text.
    Left,
    /// Numbers.
    Right,
}

/// A table: a title, headers, body rows and an optional totals row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Table {
    title: String,
    headers: Vec<(&'static str, Align)>,
    rows: Vec<Vec<String>>,
    total: Option<Vec<String>>,
}

impl Table {
    /// An empty table.
    pub(crate) fn new(title: impl Into<String>, headers: &[(&'static str, Align)]) -> Self {
        Self {
            title: title.into(),
            headers: headers.to_vec(),
            rows: Vec::new(),
            total: None,
        }
    }

    /// Adds a body row (one cell per header; missing cells are blank, extra ones ignored).
    pub(crate) fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Sets the totals row.
    pub(crate) fn total(&mut self, cells: Vec<String>) {
        self.total = Some(cells);
    }

    /// Renders the table; the first column is shortened (with `…`) so lines fit `width`.
    pub(crate) fn render(&self, width: usize) -> String {
        let columns = self.headers.len();
        let cell = |row: &[String], i: usize| row.get(i).map_or("", String::as_str).to_owned();
        let mut widths: Vec<usize> = self
            .headers
            .iter()
            .map(|(h, _)| h.chars().count())
            .collect();
        for row in self.rows.iter().chain(self.total.iter()) {
            for (i, w) in widths.iter_mut().enumerate() {
                *w = (*w).max(cell(row, i).chars().count());
            }
        }
        let gap = 2;
        let rest: usize = widths.iter().skip(1).map(|w| w + gap).sum();
        if let Some(first) = widths.first_mut() {
            let room = width.saturating_sub(rest).max(8);
            *first = (*first).min(room);
        }
        let line_width: usize = widths.iter().sum::<usize>() + gap * columns.saturating_sub(1);

        let mut out = String::new();
        let _ = writeln!(out, "{}", self.title);
        let headers: Vec<String> = self.headers.iter().map(|(h, _)| (*h).to_owned()).collect();
        self.line(&mut out, &headers, &widths);
        let _ = writeln!(out, "{}", "─".repeat(line_width));
        for row in &self.rows {
            self.line(&mut out, row, &widths);
        }
        if let Some(total) = &self.total {
            let _ = writeln!(out, "{}", "─".repeat(line_width));
            self.line(&mut out, total, &widths);
        }
        out
    }

    fn line(&self, out: &mut String, row: &[String], widths: &[usize]) {
        let mut text = String::new();
        for (i, ((_, align), width)) in self.headers.iter().zip(widths).enumerate() {
            let value = row.get(i).map_or("", String::as_str);
            let value = shorten(value, *width);
            if i > 0 {
                text.push_str("  ");
            }
            match align {
                Align::Left => {
                    let _ = write!(text, "{value:<width$}");
                }
                Align::Right => {
                    let _ = write!(text, "{value:>width$}");
                }
            }
        }
        let _ = writeln!(out, "{}", text.trim_end());
    }
}

fn shorten(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(width.saturating_sub(1)).collect();
    short.push('…');
    short
}

/// `""` for one, `"s"` for any other count: `format!("{n} row{}", plural(n))`.
pub(crate) fn plural(n: impl TryInto<u64>) -> &'static str {
    if n.try_into().ok() == Some(1) {
        ""
    } else {
        "s"
    }
}

/// `1234567` → `1,234,567`.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Token counts: thousands separators up to 9,999,999, then `12.3M` / `4.56B` so columns stay narrow.
#[expect(clippy::cast_precision_loss, reason = "display only")]
pub(crate) fn tokens(n: u64) -> String {
    if n < 10_000_000 {
        thousands(n)
    } else if n < 10_000_000_000 {
        format!("{:.1}M", n as f64 / 1e6)
    } else {
        format!("{:.2}B", n as f64 / 1e9)
    }
}

/// Dollars: `$1,234.57` from one dollar up, `$0.0123` below (four decimals so small costs are not
/// all `$0.00`).
pub(crate) fn usd(value: f64) -> String {
    if !value.is_finite() {
        return "-".to_owned();
    }
    let sign = if value < 0.0 { "-" } else { "" };
    let value = value.abs();
    if value >= 1.0 {
        let cents = (value * 100.0).round();
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "finite, positive"
        )]
        let cents = cents as u64;
        format!("{sign}${}.{:02}", thousands(cents / 100), cents % 100)
    } else {
        format!("{sign}${value:.4}")
    }
}

/// Milliseconds: `850ms`, `4.2s`, `3m 04s`, `2h 05m`.
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "clamped to a non-negative finite value first"
)]
pub(crate) fn duration_ms(ms: f64) -> String {
    let ms = if ms.is_finite() { ms.max(0.0) } else { 0.0 };
    if ms < 1000.0 {
        return format!("{}ms", ms.round() as u64);
    }
    let secs = ms / 1000.0;
    if secs < 60.0 {
        return format!("{secs:.1}s");
    }
    let whole = secs.round() as u64;
    if whole < 3600 {
        format!("{}m {:02}s", whole / 60, whole % 60)
    } else {
        format!("{}h {:02}m", whole / 3600, whole % 3600 / 60)
    }
}

/// A percentage with no decimals: `92%`.
pub(crate) fn percent(value: f64) -> String {
    if value.is_finite() {
        format!("{value:.0}%")
    } else {
        "-".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(tokens(9_999_999), "9,999,999");
        assert_eq!(tokens(12_345_678), "12.3M");
        assert_eq!(tokens(12_345_678_901), "12.35B");
        assert_eq!(usd(0.0), "$0.0000");
        assert_eq!(usd(0.012_34), "$0.0123");
        assert_eq!(usd(1.005_1), "$1.01");
        assert_eq!(usd(1234.567), "$1,234.57");
        assert_eq!(usd(f64::NAN), "-");
        assert_eq!(duration_ms(850.4), "850ms");
        assert_eq!(duration_ms(4200.0), "4.2s");
        assert_eq!(duration_ms(184_000.0), "3m 04s");
        assert_eq!(duration_ms(7_500_000.0), "2h 05m");
        assert_eq!(percent(91.6), "92%");
    }

    #[test]
    fn table_renders_aligned_with_totals_and_fits_width() {
        let mut table = Table::new("Agents", &[("Agent", Align::Left), ("Runs", Align::Right)]);
        table.row(vec!["general-purpose".into(), "12".into()]);
        table.row(vec!["Explore".into(), "3".into()]);
        table.total(vec!["Total".into(), "15".into()]);
        assert_eq!(
            table.render(80),
            "Agents\n\
             Agent            Runs\n\
             ─────────────────────\n\
             general-purpose    12\n\
             Explore             3\n\
             ─────────────────────\n\
             Total              15\n"
        );
        let narrow = table.render(16);
        assert!(narrow.lines().all(|l| l.chars().count() <= 16), "{narrow}");
        assert!(narrow.contains("general-p…    12"), "{narrow}");
    }
}
