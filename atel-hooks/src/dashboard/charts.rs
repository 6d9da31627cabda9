//! The dashboard's charts: SVG drawn by `plotters` (its SVG backend only: text stays `<text>` for
//! the browser to lay out, no font files), with a transparent `<rect>` over every bar carrying a
//! `<title>` with the exact value, so hovering (or a screen reader) gives the number.
//!
//! Colours: the series palette reads on light and dark backgrounds; axis text and lines are drawn in
//! [`INK`] and [`GRID`], which the page's stylesheet recolours under `prefers-color-scheme: dark`.

use std::fmt::Write as _;

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

use super::html::escape;

/// Intrinsic chart size; the page scales it to the column's width (`viewBox`).
pub(crate) const WIDTH: u32 = 520;
/// Intrinsic height of the per-day charts.
pub(crate) const HEIGHT: u32 = 300;
/// Axis text and lines (recoloured in the dark theme).
pub(crate) const INK: RGBColor = RGBColor(0x55, 0x55, 0x55);
/// Grid lines (recoloured in the dark theme).
pub(crate) const GRID: RGBColor = RGBColor(0xDD, 0xDD, 0xDD);
/// Series colours (Tableau 10): mid-tones that read on white and on near-black.
pub(crate) const PALETTE: [RGBColor; 10] = [
    RGBColor(0x4E, 0x79, 0xA7),
    RGBColor(0xF2, 0x8E, 0x2B),
    RGBColor(0x59, 0xA1, 0x4F),
    RGBColor(0xE1, 0x57, 0x59),
    RGBColor(0x76, 0xB7, 0xB2),
    RGBColor(0xED, 0xC9, 0x48),
    RGBColor(0xB0, 0x7A, 0xA1),
    RGBColor(0xFF, 0x9D, 0xA7),
    RGBColor(0x9C, 0x75, 0x5F),
    RGBColor(0xBA, 0xB0, 0xAC),
];
const FONT: &str = "sans-serif";
const FONT_SIZE: u32 = 17;

/// The CSS colour of a palette entry, for the HTML legends.
pub(crate) fn css_color(index: usize) -> String {
    let RGBColor(r, g, b) = color(index);
    format!("#{r:02X}{g:02X}{b:02X}")
}

fn color(index: usize) -> RGBColor {
    PALETTE
        .get(index % PALETTE.len())
        .copied()
        .unwrap_or(RGBColor(0x4E, 0x79, 0xA7))
}

/// Vertical stacked bars, one per x label, one segment per series, with an optional line on a
/// 0–100 % secondary axis.
#[derive(Debug, Clone)]
pub(crate) struct Stacked<'a> {
    /// One per bar (a day: `11-25`).
    pub(crate) x_labels: Vec<String>,
    /// The series names (the legend), in stacking order from the bottom.
    pub(crate) series: Vec<String>,
    /// `values[bar][series]`.
    pub(crate) values: Vec<Vec<f64>>,
    /// `titles[bar][series]`: the hover text of each segment (exact values).
    pub(crate) titles: Vec<Vec<String>>,
    /// The y axis' description, with its unit.
    pub(crate) y_desc: &'a str,
    /// How y tick values are written.
    pub(crate) y_format: fn(f64) -> String,
    /// A percentage per bar, drawn as a line against the right axis, with its hover texts.
    pub(crate) line: Option<Line<'a>>,
}

/// A percentage series drawn over a [`Stacked`] chart.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Line<'a> {
    /// The right axis' description.
    pub(crate) desc: &'a str,
    /// One per bar, 0–100; `None` draws no point (no data that day).
    pub(crate) values: Vec<Option<f64>>,
    /// One hover text per bar.
    pub(crate) titles: Vec<String>,
}

type Chart<'a, X, Y> = ChartContext<'a, SVGBackend<'a>, Cartesian2d<X, Y>>;

/// Draws `chart`; `Err` with plotters' message when drawing fails.
pub(crate) fn stacked(chart: &Stacked<'_>) -> Result<String, String> {
    let bars = chart.x_labels.len();
    let top = chart
        .values
        .iter()
        .map(|v| v.iter().sum::<f64>())
        .fold(0.0_f64, f64::max);
    let top = nice_top(top);
    let mut svg = String::new();
    let mut overlay = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        let mut builder = ChartBuilder::on(&root);
        builder
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(80);
        if chart.line.is_some() {
            builder.right_y_label_area_size(64);
        }
        // plotters' integer ranges include their end, and a range of one value is drawn at the
        // wrong place: at least two slots, the last one empty when there is one bar.
        let slots = bars.max(2);
        // The secondary coordinates exist from the start so that the primary axes keep to the left
        // and bottom label areas (the right one belongs to the hit-rate axis).
        let mut ctx = builder
            .build_cartesian_2d((0..slots - 1).into_segmented(), 0.0..top)
            .map_err(|e| e.to_string())?
            .set_secondary_coord((0..slots - 1).into_segmented(), 0.0..100.0);
        let labels = &chart.x_labels;
        let x_format = |v: &SegmentValue<usize>| match v {
            SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
            _ => String::new(),
        };
        let y_format = |v: &f64| (chart.y_format)(*v);
        ctx.configure_mesh()
            .disable_x_mesh()
            .x_labels(bars.clamp(1, 10))
            .y_labels(6)
            .x_label_formatter(&x_format)
            .y_label_formatter(&y_format)
            .y_desc(chart.y_desc)
            .label_style((FONT, FONT_SIZE).into_font().color(&INK))
            .axis_desc_style((FONT, FONT_SIZE).into_font().color(&INK))
            .axis_style(INK)
            .bold_line_style(GRID)
            .light_line_style(TRANSPARENT)
            .draw()
            .map_err(|e| e.to_string())?;
        for (s, _) in chart.series.iter().enumerate() {
            let fill = color(s).filled();
            let rects = (0..bars).filter_map(|bar| {
                let (low, high) = segment(&chart.values, bar, s)?;
                (high > low).then(|| {
                    let mut rect = Rectangle::new(
                        [
                            (SegmentValue::Exact(bar), low),
                            (SegmentValue::Exact(bar + 1), high),
                        ],
                        fill,
                    );
                    rect.set_margin(0, 0, 3, 3);
                    rect
                })
            });
            ctx.draw_series(rects).map_err(|e| e.to_string())?;
        }
        for bar in 0..bars {
            for s in 0..chart.series.len() {
                let Some((low, high)) = segment(&chart.values, bar, s) else {
                    continue;
                };
                if high <= low {
                    continue;
                }
                let title = chart
                    .titles
                    .get(bar)
                    .and_then(|t| t.get(s))
                    .map_or("", String::as_str);
                hit_rect(
                    &mut overlay,
                    &ctx,
                    &(SegmentValue::Exact(bar), high),
                    &(SegmentValue::Exact(bar + 1), low),
                    title,
                );
            }
        }
        if let Some(line) = &chart.line {
            ctx.configure_secondary_axes()
                .y_desc(line.desc)
                .y_labels(6)
                .y_label_formatter(&|v: &f64| format!("{v:.0}%"))
                .label_style((FONT, FONT_SIZE).into_font().color(&INK))
                .axis_desc_style((FONT, FONT_SIZE).into_font().color(&INK))
                .axis_style(INK)
                .draw()
                .map_err(|e| e.to_string())?;
            // Only the bars with a value: a day without requests has no hit rate, not 0 %.
            let points: Vec<((SegmentValue<usize>, f64), &String)> = line
                .values
                .iter()
                .zip(&line.titles)
                .enumerate()
                .filter_map(|(i, (v, title))| Some(((SegmentValue::CenterOf(i), (*v)?), title)))
                .collect();
            // One line per run of consecutive days with a rate: no line across a day without.
            let ink = INK.stroke_width(2);
            let mut runs: Vec<Vec<(SegmentValue<usize>, f64)>> = Vec::new();
            let mut previous = None;
            for (i, v) in line.values.iter().enumerate() {
                let Some(v) = v else { continue };
                match runs.last_mut() {
                    Some(run) if previous == Some(i.wrapping_sub(1)) => {
                        run.push((SegmentValue::CenterOf(i), *v));
                    }
                    _ => runs.push(vec![(SegmentValue::CenterOf(i), *v)]),
                }
                previous = Some(i);
            }
            for run in runs.into_iter().filter(|run| run.len() > 1) {
                ctx.draw_secondary_series(LineSeries::new(run, ink))
                    .map_err(|e| e.to_string())?;
            }
            ctx.draw_secondary_series(
                points
                    .iter()
                    .map(|p| Circle::new(p.0.clone(), 4, INK.filled())),
            )
            .map_err(|e| e.to_string())?;
            for (point, title) in &points {
                let (x, y) = ctx.borrow_secondary().backend_coord(point);
                let _ = write!(
                    overlay,
                    "<circle class=\"hit\" cx=\"{x}\" cy=\"{y}\" r=\"8\"><title>{}</title></circle>",
                    escape(title)
                );
            }
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(with_overlay(svg, &overlay))
}

/// Horizontal bars, largest on top, each split into segments (e.g. succeeded and failed).
#[derive(Debug, Clone)]
pub(crate) struct Bars<'a> {
    /// One per bar, top to bottom (shortened on the axis; whole in the hover text).
    pub(crate) labels: Vec<String>,
    /// `values[bar][segment]`, left to right.
    pub(crate) values: Vec<Vec<f64>>,
    /// The segments' colours, as palette indices.
    pub(crate) colors: Vec<usize>,
    /// One hover text per bar.
    pub(crate) titles: Vec<String>,
    /// The x axis' description, with its unit.
    pub(crate) x_desc: &'a str,
    /// How x tick values are written.
    pub(crate) x_format: fn(f64) -> String,
}

/// The longest bar label drawn on the axis, in characters.
const LABEL_CHARS: usize = 16;

/// Draws `chart`; `Err` with plotters' message when drawing fails.
pub(crate) fn bars(chart: &Bars<'_>) -> Result<String, String> {
    let n = chart.labels.len();
    let slots = n.max(2);
    let height = 80 + 36 * u32::try_from(slots.min(20)).unwrap_or(20);
    let right = nice_top(
        chart
            .values
            .iter()
            .map(|v| v.iter().sum::<f64>())
            .fold(0.0_f64, f64::max),
    );
    let mut svg = String::new();
    let mut overlay = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        let mut ctx = ChartBuilder::on(&root)
            .margin(10)
            .margin_right(28)
            .x_label_area_size(48)
            .y_label_area_size(160)
            .build_cartesian_2d(0.0..right, (0..slots - 1).into_segmented())
            .map_err(|e| e.to_string())?;
        // Row 0 is drawn on top: slot `slots - 1 - row` (see `stacked` for why two slots at least).
        let labels = &chart.labels;
        let y_format = |v: &SegmentValue<usize>| match v {
            SegmentValue::CenterOf(i) if *i < slots => labels
                .get(slots - 1 - i)
                .map(|l| shorten(l, LABEL_CHARS))
                .unwrap_or_default(),
            _ => String::new(),
        };
        let x_format = |v: &f64| (chart.x_format)(*v);
        ctx.configure_mesh()
            .disable_y_mesh()
            .y_labels(slots)
            .x_labels(5)
            .y_label_formatter(&y_format)
            .x_label_formatter(&x_format)
            .x_desc(chart.x_desc)
            .label_style((FONT, FONT_SIZE).into_font().color(&INK))
            .axis_desc_style((FONT, FONT_SIZE).into_font().color(&INK))
            .axis_style(INK)
            .bold_line_style(GRID)
            .light_line_style(TRANSPARENT)
            .draw()
            .map_err(|e| e.to_string())?;
        for (row, values) in chart.values.iter().enumerate() {
            let slot = slots - 1 - row;
            let mut left = 0.0;
            for (s, value) in values.iter().enumerate() {
                if *value > 0.0 {
                    let fill = color(chart.colors.get(s).copied().unwrap_or(s)).filled();
                    let mut rect = Rectangle::new(
                        [
                            (left, SegmentValue::Exact(slot)),
                            (left + value, SegmentValue::Exact(slot + 1)),
                        ],
                        fill,
                    );
                    rect.set_margin(5, 5, 0, 0);
                    ctx.draw_series(std::iter::once(rect))
                        .map_err(|e| e.to_string())?;
                }
                left += value;
            }
            let title = chart.titles.get(row).map_or("", String::as_str);
            // The whole row is the hover target: short bars are hard to point at.
            hit_rect(
                &mut overlay,
                &ctx,
                &(0.0, SegmentValue::Exact(slot + 1)),
                &(right, SegmentValue::Exact(slot)),
                title,
            );
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(with_overlay(svg, &overlay))
}

/// The (bottom, top) of series `s` in bar `bar` of a stack.
fn segment(values: &[Vec<f64>], bar: usize, s: usize) -> Option<(f64, f64)> {
    let stack = values.get(bar)?;
    let low: f64 = stack.iter().take(s).sum();
    Some((low, low + stack.get(s)?))
}

/// A transparent rectangle from `upper_left` to `lower_right` (chart coordinates) with a `<title>`.
fn hit_rect<X: Ranged, Y: Ranged>(
    out: &mut String,
    ctx: &Chart<'_, X, Y>,
    upper_left: &(X::ValueType, Y::ValueType),
    lower_right: &(X::ValueType, Y::ValueType),
    title: &str,
) {
    let (x0, y0) = ctx.backend_coord(upper_left);
    let (x1, y1) = ctx.backend_coord(lower_right);
    let (x, w) = (x0.min(x1), (x1 - x0).abs());
    let (y, h) = (y0.min(y1), (y1 - y0).abs().max(2));
    let _ = write!(
        out,
        "<rect class=\"hit\" x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\"><title>{}</title></rect>",
        escape(title)
    );
}

/// `svg` with `overlay` as its last children (drawn on top, so the hover targets are reachable).
fn with_overlay(svg: String, overlay: &str) -> String {
    match svg.rfind("</svg>") {
        Some(end) => {
            let (body, close) = svg.split_at(end);
            format!("{body}{overlay}\n{close}")
        }
        None => svg,
    }
}

/// An axis top a little above `max`: 1, 2 or 5 times a power of ten (1 when there is nothing).
pub(crate) fn nice_top(max: f64) -> f64 {
    if !max.is_finite() || max <= 0.0 {
        return 1.0;
    }
    let magnitude = 10_f64.powf(max.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|top| *top >= max * 1.05)
        .unwrap_or(10.0 * magnitude)
}

/// `text` cut to `max` characters with `…`.
pub(crate) fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut short: String = text.chars().take(max.saturating_sub(1)).collect();
        short.push('…');
        short
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd_axis(v: f64) -> String {
        format!("${v:.2}")
    }

    #[test]
    fn nice_tops() {
        assert!((nice_top(0.0) - 1.0).abs() < f64::EPSILON);
        assert!((nice_top(0.0173) - 0.02).abs() < 1e-12);
        assert!((nice_top(96.8) - 100.0).abs() < 1e-9);
        assert!((nice_top(1_950.0) - 2_500.0).abs() < 1e-9);
        assert!((nice_top(3.0) - 5.0).abs() < 1e-12);
    }

    #[test]
    fn stacked_bars_have_a_hover_title_per_segment_escaped() {
        let svg = stacked(&Stacked {
            x_labels: vec!["11-25".into(), "11-26".into()],
            series: vec!["<opus>".into(), "haiku".into()],
            values: vec![vec![0.5, 0.25], vec![0.0, 1.0]],
            titles: vec![
                vec!["a <b> & c".into(), "two".into()],
                vec!["never".into(), "three".into()],
            ],
            y_desc: "USD",
            y_format: usd_axis,
            line: Some(Line {
                desc: "Cache hit rate (%)",
                values: vec![Some(50.0), None],
                titles: vec!["50%".into(), "75%".into()],
            }),
        })
        .unwrap();
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.trim_end().ends_with("</svg>"));
        // Three segments with a value (the empty one has no target), two line points.
        assert_eq!(svg.matches("<rect class=\"hit\"").count(), 3);
        // One line point: the second bar has no rate.
        assert_eq!(svg.matches("<circle class=\"hit\"").count(), 1);
        assert!(svg.contains("<title>50%</title>") && !svg.contains("<title>75%</title>"));
        assert!(svg.contains("<title>a &lt;b&gt; &amp; c</title>"));
        assert!(!svg.contains("never"));
        assert!(svg.contains("11-25\n</text>") && svg.contains("11-26\n</text>"));
        assert!(svg.contains("Cache hit rate (%)"));
    }

    #[test]
    fn the_rate_line_breaks_at_a_bar_without_a_rate() {
        // The rate lines are the only 2-pixel polylines.
        let lines = |values: Vec<Option<f64>>| {
            let svg = stacked(&Stacked {
                x_labels: vec!["a".into(); values.len()],
                series: vec!["s".into()],
                values: vec![vec![1.0]; values.len()],
                titles: vec![vec!["t".into()]; values.len()],
                y_desc: "n",
                y_format: usd_axis,
                line: Some(Line {
                    desc: "rate",
                    titles: vec!["r".into(); values.len()],
                    values,
                }),
            })
            .unwrap();
            svg.lines()
                .filter(|l| l.starts_with("<polyline") && l.contains("stroke-width=\"2\""))
                .count()
        };
        assert_eq!(lines(vec![Some(10.0), Some(20.0), Some(30.0)]), 1);
        assert_eq!(lines(vec![Some(10.0), None, Some(30.0)]), 0);
        assert_eq!(
            lines(vec![Some(10.0), Some(20.0), None, Some(30.0), Some(40.0)]),
            2
        );
    }

    #[test]
    fn horizontal_bars_put_the_first_row_on_top_and_shorten_long_labels() {
        let svg = bars(&Bars {
            labels: vec![
                "general-purpose".into(),
                "a-very-long-custom-agent-name-that-does-not-fit".into(),
            ],
            values: vec![vec![2.0], vec![1.0]],
            colors: vec![0],
            titles: vec!["gp: $2.00".into(), "long: $1.00".into()],
            x_desc: "USD",
            x_format: usd_axis,
        })
        .unwrap();
        assert!(svg.contains("a-very-long-cus…"));
        assert!(!svg.contains("a-very-long-custom-agent-name-that-does-not-fit<"));
        let first = svg.find("<title>gp: $2.00</title>").unwrap();
        let second = svg.find("<title>long: $1.00</title>").unwrap();
        assert!(first < second);
        // The first row's target is above the second's.
        let y = |title: &str| -> i32 {
            let at = svg.find(title).unwrap();
            let rect = svg[..at].rfind("<rect class=\"hit\"").unwrap();
            let y = &svg[rect..at];
            let start = y.find(" y=\"").unwrap() + 4;
            y[start..].split('"').next().unwrap().parse().unwrap()
        };
        assert!(y("<title>gp:") < y("<title>long:"));
    }
}
