//! The *Sending* chart: recipients per hour over the last day, external and internal stacked,
//! with the hourly external limit drawn across when it fits. Pure, like [`super::chart`]: the
//! template draws it as inline SVG with presentation attributes only (the CSP forbids styles).
use chrono::{DateTime, Utc};

const MARGIN_LEFT: f64 = 40.0;
const MARGIN_RIGHT: f64 = 6.0;
const MARGIN_TOP: f64 = 8.0;
const MARGIN_BOTTOM: f64 = 20.0;
const BAR_FILL: f64 = 0.8;

fn r(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// One hour: the external part at the bottom, the internal part on top of it.
#[derive(Debug, Clone, PartialEq)]
pub struct HourBar {
    pub x: f64,
    pub w: f64,
    pub external_y: f64,
    pub external_h: f64,
    pub internal_y: f64,
    pub internal_h: f64,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub x: f64,
    pub y: f64,
    pub text: String,
    pub anchor: &'static str,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SendingChart {
    pub width: u32,
    pub height: u32,
    pub plot_left: f64,
    pub plot_right: f64,
    pub plot_top: f64,
    pub plot_bottom: f64,
    pub plot_height: f64,
    pub bars: Vec<HourBar>,
    pub x_labels: Vec<Label>,
    pub y_labels: Vec<Label>,
    /// The hourly external limit's line, when the chart's scale reaches it.
    pub limit_y: Option<f64>,
    pub limit: Option<u32>,
    pub external: u64,
    pub internal: u64,
    pub summary: String,
}

/// Lays out one stacked bar per hour, oldest first; the scale fits the busiest hour (or the
/// hourly external limit, if higher, so the line shows how close the sender came).
pub fn sending_chart(
    hours: &[(DateTime<Utc>, u32, u32)],
    external_limit: Option<u32>,
    width: u32,
    height: u32,
) -> SendingChart {
    let plot_left = MARGIN_LEFT;
    let plot_right = (f64::from(width) - MARGIN_RIGHT).max(plot_left + 1.0);
    let plot_top = MARGIN_TOP;
    let plot_bottom = (f64::from(height) - MARGIN_BOTTOM).max(plot_top + 1.0);
    let plot_h = plot_bottom - plot_top;
    let busiest = hours.iter().map(|(_, e, i)| u64::from(*e) + u64::from(*i)).max().unwrap_or(0);
    // The limit widens the scale only when it is within reach (under 4 times the busiest hour):
    // a line far above empty bars tells nothing.
    let limit_in_view = external_limit.filter(|l| busiest > 0 && u64::from(*l) <= busiest * 4);
    let scale = busiest.max(limit_in_view.map_or(0, u64::from));
    let n = hours.len();
    let slot = if n == 0 { 0.0 } else { (plot_right - plot_left) / n as f64 };
    let bar_w = slot * BAR_FILL;
    let height_of = |v: u64| if scale == 0 { 0.0 } else { plot_h * v as f64 / scale as f64 };
    let bars = hours
        .iter()
        .enumerate()
        .map(|(i, (at, external, internal))| {
            let eh = height_of(u64::from(*external));
            let ih = height_of(u64::from(*internal));
            HourBar {
                x: r(plot_left + slot * i as f64 + (slot - bar_w) / 2.0),
                w: r(bar_w),
                external_y: r(plot_bottom - eh),
                external_h: r(eh),
                internal_y: r(plot_bottom - eh - ih),
                internal_h: r(ih),
                title: format!(
                    "{} UTC: {external} external, {internal} internal recipients",
                    at.format("%Y-%m-%d %H:00")
                ),
            }
        })
        .collect();
    let label_y = r(plot_bottom + 14.0);
    let x_labels = hours
        .iter()
        .enumerate()
        .filter(|(i, _)| (n - 1 - i).is_multiple_of(6))
        .map(|(i, (at, _, _))| {
            let centre = plot_left + slot * (i as f64 + 0.5);
            let (x, anchor) = if i + 1 == n && n > 1 { (plot_right, "end") } else { (centre, "middle") };
            Label { x: r(x), y: label_y, text: at.format("%H:00").to_string(), anchor }
        })
        .collect();
    let axis_x = r(plot_left - 4.0);
    let mut y_labels = vec![Label { x: axis_x, y: r(plot_bottom), text: "0".into(), anchor: "end" }];
    if scale > 0 {
        y_labels.push(Label { x: axis_x, y: r(plot_top + 8.0), text: scale.to_string(), anchor: "end" });
    }
    let external: u64 = hours.iter().map(|(_, e, _)| u64::from(*e)).sum();
    let internal: u64 = hours.iter().map(|(_, _, i)| u64::from(*i)).sum();
    let summary = format!(
        "Recipients per hour over the last {n} hours: {external} external and {internal} internal, at most {busiest} in one hour."
    );
    SendingChart {
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
        limit_y: limit_in_view.map(|l| r(plot_bottom - height_of(u64::from(l)))),
        limit: external_limit,
        external,
        internal,
        summary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn hours(counts: &[(u32, u32)]) -> Vec<(DateTime<Utc>, u32, u32)> {
        let first = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        counts
            .iter()
            .enumerate()
            .map(|(i, (e, n))| (first + chrono::Duration::hours(i as i64), *e, *n))
            .collect()
    }

    #[test]
    fn internal_stacks_on_external_and_the_busiest_hour_fills_the_plot() {
        let c = sending_chart(&hours(&[(10, 0), (30, 10), (0, 0)]), None, 400, 140);
        let busiest = &c.bars[1];
        assert_eq!(busiest.internal_y, c.plot_top, "40 of 40 reach the top");
        assert!((busiest.external_h - c.plot_height * 0.75).abs() < 0.02);
        assert!((busiest.internal_y + busiest.internal_h - busiest.external_y).abs() < 0.02, "stacked");
        assert_eq!(c.bars[2].external_h + c.bars[2].internal_h, 0.0);
        assert_eq!((c.external, c.internal), (40, 10));
        assert!(c.bars[1].title.contains("30 external, 10 internal"));
    }

    #[test]
    fn a_limit_within_reach_is_drawn_and_widens_the_scale() {
        let c = sending_chart(&hours(&[(10, 0), (20, 0)]), Some(50), 400, 140);
        assert_eq!(c.limit_y, Some(c.plot_top));
        assert!(c.bars[1].external_y > c.plot_top, "20 of 50 stays below the line");
        let far = sending_chart(&hours(&[(1, 0)]), Some(1000), 400, 140);
        assert_eq!(far.limit_y, None, "a limit far above is not drawn");
        let empty = sending_chart(&hours(&[(0, 0); 24]), Some(10), 400, 140);
        assert_eq!(empty.limit_y, None);
        assert!(empty.bars.iter().all(|b| b.external_h == 0.0 && b.w > 0.0));
    }
}
