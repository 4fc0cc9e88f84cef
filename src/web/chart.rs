//! A bar chart of complaints per day, computed here and drawn by the templates as inline SVG.
//!
//! Pure: numbers in, numbers and our own labels out. The template writes every value through
//! askama's escaping (no `|safe`), and uses SVG presentation attributes only, since the
//! Content-Security-Policy blocks inline `style=` attributes and scripts.
use chrono::NaiveDate;

/// Room for the y-axis labels on the left.
const MARGIN_LEFT: f64 = 30.0;
const MARGIN_RIGHT: f64 = 6.0;
const MARGIN_TOP: f64 = 8.0;
/// Room for the date labels below the bars.
const MARGIN_BOTTOM: f64 = 20.0;
/// The part of each day's slot the bar fills; the rest is the gap between bars.
const BAR_FILL: f64 = 0.8;

/// One day's bar, with a hit area as tall as the plot so days without complaints still show
/// their tooltip.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    pub count: i64,
    /// The tooltip, e.g. "2024-03-08: 3 complaints".
    pub title: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AxisLabel {
    pub x: f64,
    pub y: f64,
    pub text: String,
    /// SVG `text-anchor`: `start`, `middle` or `end`.
    pub anchor: &'static str,
}

/// Everything the template needs to draw the chart.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartSvg {
    pub width: u32,
    pub height: u32,
    /// The plot area: bars stand on `plot_bottom` and reach at most `plot_top`.
    pub plot_left: f64,
    pub plot_right: f64,
    pub plot_top: f64,
    pub plot_bottom: f64,
    pub plot_height: f64,
    pub bars: Vec<Bar>,
    pub x_labels: Vec<AxisLabel>,
    pub y_labels: Vec<AxisLabel>,
    /// The largest day's count (0 when there were none).
    pub max: i64,
    pub total: i64,
    /// A sentence for screen readers (`aria-label`).
    pub summary: String,
}

/// Rounds to hundredths, so the SVG carries short numbers.
fn r(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn plural(n: i64) -> &'static str {
    if n == 1 { "complaint" } else { "complaints" }
}

/// Lays out one bar per day, oldest first, scaled so the busiest day fills the plot's height.
/// Days with no complaints get a bar of zero height; negative counts are treated as zero.
pub fn bar_chart(days: &[(NaiveDate, i64)], width: u32, height: u32) -> ChartSvg {
    let plot_left = MARGIN_LEFT;
    let plot_right = (f64::from(width) - MARGIN_RIGHT).max(plot_left + 1.0);
    let plot_top = MARGIN_TOP;
    let plot_bottom = (f64::from(height) - MARGIN_BOTTOM).max(plot_top + 1.0);
    let plot_h = plot_bottom - plot_top;
    let counts: Vec<i64> = days.iter().map(|(_, c)| (*c).max(0)).collect();
    let max = counts.iter().copied().max().unwrap_or(0);
    let total: i64 = counts.iter().sum();
    let n = days.len();
    let slot = if n == 0 { 0.0 } else { (plot_right - plot_left) / n as f64 };
    let bar_w = slot * BAR_FILL;

    let bars = days
        .iter()
        .zip(&counts)
        .enumerate()
        .map(|(i, ((date, _), &count))| {
            let h = if max == 0 { 0.0 } else { plot_h * count as f64 / max as f64 };
            Bar {
                x: r(plot_left + slot * i as f64 + (slot - bar_w) / 2.0),
                y: r(plot_bottom - h),
                w: r(bar_w),
                h: r(h),
                count,
                title: format!("{}: {count} {}", date.format("%Y-%m-%d"), plural(count)),
            }
        })
        .collect::<Vec<_>>();

    // A date under the last day and under every seventh day before it.
    let label_y = r(plot_bottom + 14.0);
    let x_labels = days
        .iter()
        .enumerate()
        .filter(|(i, _)| (n - 1 - i).is_multiple_of(7))
        .map(|(i, (date, _))| {
            let centre = plot_left + slot * (i as f64 + 0.5);
            let (x, anchor) = if i + 1 == n && n > 1 {
                (plot_right, "end")
            } else if centre - 18.0 < plot_left {
                (plot_left, "start")
            } else {
                (centre, "middle")
            };
            AxisLabel { x: r(x), y: label_y, text: date.format("%b %-d").to_string(), anchor }
        })
        .collect();

    let axis_x = r(plot_left - 4.0);
    let mut y_labels = vec![AxisLabel { x: axis_x, y: r(plot_bottom), text: "0".into(), anchor: "end" }];
    if max > 0 {
        y_labels.push(AxisLabel { x: axis_x, y: r(plot_top + 8.0), text: max.to_string(), anchor: "end" });
    }

    let summary = match (days.first(), days.last()) {
        (Some((first, _)), Some((last, _))) => format!(
            "Complaints per day from {} to {}: {total} in all, at most {max} on one day.",
            first.format("%Y-%m-%d"),
            last.format("%Y-%m-%d")
        ),
        _ => "No days to chart.".into(),
    };

    ChartSvg {
        width,
        height,
        plot_left: r(plot_left),
        plot_right: r(plot_right),
        plot_top: r(plot_top),
        plot_bottom: r(plot_bottom),
        plot_height: r(plot_h),
        bars,
        x_labels,
        y_labels,
        max,
        total,
        summary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn days(counts: &[i64]) -> Vec<(NaiveDate, i64)> {
        let first = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
        counts.iter().enumerate().map(|(i, c)| (first + Duration::days(i as i64), *c)).collect()
    }

    #[test]
    fn the_busiest_day_fills_the_height() {
        let chart = bar_chart(&days(&[1, 4, 2]), 300, 120);
        let plot_h = chart.plot_bottom - chart.plot_top;
        let busiest = &chart.bars[1];
        assert_eq!(busiest.h, plot_h);
        assert_eq!(busiest.y, chart.plot_top);
        assert_eq!(chart.max, 4);
        assert_eq!(chart.total, 7);
    }

    #[test]
    fn bars_scale_in_proportion_and_stand_on_the_baseline() {
        let chart = bar_chart(&days(&[1, 4, 2]), 300, 120);
        let plot_h = chart.plot_bottom - chart.plot_top;
        assert_eq!(chart.bars[0].h, r(plot_h / 4.0));
        assert_eq!(chart.bars[2].h, r(plot_h / 2.0));
        for bar in &chart.bars {
            assert!((bar.y + bar.h - chart.plot_bottom).abs() < 0.011, "{bar:?} stands on the baseline");
        }
    }

    #[test]
    fn days_without_complaints_have_no_height() {
        let chart = bar_chart(&days(&[0, 3, 0]), 300, 120);
        assert_eq!(chart.bars[0].h, 0.0);
        assert_eq!(chart.bars[0].y, chart.plot_bottom);
        assert_eq!(chart.bars[2].h, 0.0);
        assert_eq!(chart.bars[0].title, "2024-03-01: 0 complaints");
        assert_eq!(chart.bars[1].title, "2024-03-02: 3 complaints");
    }

    #[test]
    fn an_empty_month_draws_flat_bars_without_dividing_by_zero() {
        let chart = bar_chart(&days(&[0; 30]), 600, 140);
        assert_eq!(chart.bars.len(), 30);
        assert!(chart.bars.iter().all(|b| b.h == 0.0 && b.y == chart.plot_bottom && b.w > 0.0));
        assert_eq!(chart.max, 0);
        assert_eq!(chart.y_labels.len(), 1, "only the 0 label");
    }

    #[test]
    fn negative_counts_are_zero() {
        let chart = bar_chart(&days(&[-5, 2]), 300, 120);
        assert_eq!(chart.bars[0].h, 0.0);
        assert_eq!(chart.bars[0].count, 0);
        assert_eq!(chart.total, 2);
    }

    #[test]
    fn bars_sit_side_by_side_inside_the_plot() {
        let chart = bar_chart(&days(&[1; 30]), 600, 140);
        for pair in chart.bars.windows(2) {
            assert!(pair[0].x + pair[0].w < pair[1].x, "bars do not overlap");
        }
        let first = &chart.bars[0];
        let last = &chart.bars[29];
        assert!(first.x >= chart.plot_left);
        assert!(last.x + last.w <= chart.plot_right + 0.01);
    }

    #[test]
    fn the_last_day_and_every_seventh_before_it_are_labelled() {
        let chart = bar_chart(&days(&[0; 30]), 600, 140);
        let texts: Vec<&str> = chart.x_labels.iter().map(|l| l.text.as_str()).collect();
        // Mar 1 .. Mar 30: Mar 30, 23, 16, 9 and 2.
        assert_eq!(texts, ["Mar 2", "Mar 9", "Mar 16", "Mar 23", "Mar 30"]);
        assert_eq!(chart.x_labels.last().unwrap().anchor, "end");
    }

    #[test]
    fn no_days_is_an_empty_chart() {
        let chart = bar_chart(&[], 300, 120);
        assert!(chart.bars.is_empty() && chart.x_labels.is_empty());
        assert_eq!(chart.total, 0);
    }
}
