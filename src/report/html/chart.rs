//! The report's charts: line charts over the run's seconds drawn as inline SVG, with their
//! geometry, the min/max envelope that keeps long series small, and the round axes, tick labels
//! and time labels that the page's other plots (per-shard bars) and tables share.

use std::borrow::Cow;
use std::fmt::Write as _;

use super::{esc, trim};

/// One line of a chart.
pub(super) struct Series<'a> {
    name: &'a str,
    color: &'a str,
    points: Vec<(f64, f64)>,
    dashed: bool,
}

impl<'a> Series<'a> {
    pub(super) fn line(name: &'a str, color: &'a str, points: Vec<(f64, f64)>) -> Self {
        Series {
            name,
            color,
            points,
            dashed: false,
        }
    }
    pub(super) fn dashed(name: &'a str, color: &'a str, points: Vec<(f64, f64)>) -> Self {
        Series {
            name,
            color,
            points,
            dashed: true,
        }
    }
    /// A legend entry without a line.
    pub(super) fn note(name: &'a str) -> Self {
        Series {
            name,
            color: "",
            points: Vec::new(),
            dashed: false,
        }
    }
}

/// Chart geometry, in SVG user units (the SVG scales to the page width).
pub(super) const W: f64 = 1000.0;
const H: f64 = 240.0;
pub(super) const LEFT: f64 = 64.0;
pub(super) const RIGHT: f64 = 14.0;
pub(super) const TOP: f64 = 24.0;
const BOTTOM: f64 = 28.0;
/// Above this many points a series is reduced to a min/max envelope per bucket.
pub(super) const MAX_POINTS: usize = 1600;

/// A line chart of `series` over `0..=x_max` seconds; `whole` for counts (no fractional ticks).
pub(super) fn chart(h: &mut String, id: &str, title: &str, unit: &str, whole: bool, x_max: f64, series: &[Series<'_>]) {
    put!(
        h,
        "<div class=\"chart\" id=\"{id}\">\n<h3>{}</h3>\n<ul class=\"legend\">",
        esc(title)
    );
    for s in series {
        if s.color.is_empty() {
            put!(h, "<li><em>{}</em></li>", esc(s.name));
        } else {
            put!(
                h,
                "<li><span class=\"sw{}\" style=\"border-color:{}\"></span>{}</li>",
                if s.dashed { " dash" } else { "" },
                s.color,
                esc(s.name)
            );
        }
    }
    let y_peak = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .fold(0.0_f64, f64::max);
    if y_peak == 0.0 {
        h.push_str("<li><em>all zero during the run</em></li>");
    }
    h.push_str("</ul>\n");
    let (step, y_top) = match nice_axis(y_peak, 5) {
        _ if y_peak == 0.0 => (1.0, 1.0),
        (step, _) if whole && step < 1.0 => (1.0, y_peak.ceil().max(1.0)),
        axis => axis,
    };
    let pw = W - LEFT - RIGHT;
    let ph = H - TOP - BOTTOM;
    let sx = |x: f64| LEFT + pw * (x / x_max).clamp(0.0, 1.0);
    let sy = |y: f64| TOP + ph * (1.0 - (y / y_top).clamp(0.0, 1.0));

    put!(
        h,
        "<svg viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{}\" preserveAspectRatio=\"xMidYMid meet\">\n",
        esc(title)
    );
    // Horizontal grid and y labels.
    let labels = tick_labels(step, y_top);
    for (i, label) in labels.iter().enumerate() {
        y_gridline(h, i, sy(step * i as f64), label, LEFT, W - RIGHT);
    }
    put!(
        h,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"start\" class=\"unit\">{}</text>\n",
        2.0,
        TOP - 10.0,
        esc(unit)
    );
    // X ticks.
    let xs = time_step(x_max);
    let mut t = 0.0;
    while t <= x_max + 1e-9 {
        let x = sx(t);
        put!(
            h,
            "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#9ca3af\"/>\
             <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\n",
            H - BOTTOM,
            H - BOTTOM + 4.0,
            H - BOTTOM + 17.0,
            time_label(t as u64)
        );
        t += xs;
    }
    // Series, dashed reference lines last so they stay visible where the data runs along them.
    let mut ordered: Vec<&Series<'_>> = series.iter().filter(|s| !s.points.is_empty()).collect();
    ordered.sort_by_key(|s| s.dashed);
    for s in ordered {
        let pts = envelope(&s.points);
        let mut d = String::with_capacity(pts.len() * 14);
        for (x, y) in pts.iter() {
            put!(d, "{:.1},{:.1} ", sx(*x), sy(*y));
        }
        put!(
            h,
            "<polyline class=\"series\" data-series=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{}\" \
             stroke-linejoin=\"round\"{} points=\"{}\"><title>{}</title></polyline>\n",
            esc(s.name),
            s.color,
            if s.dashed { "1.5" } else { "2" },
            if s.dashed { " stroke-dasharray=\"6 4\"" } else { "" },
            d.trim_end(),
            esc(s.name)
        );
        // With few points a line alone hides where the samples are (one point draws nothing).
        if !s.dashed && s.points.len() <= 30 {
            for (x, y) in pts.iter() {
                put!(
                    h,
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{}\"><title>{}: {} at {}</title></circle>\n",
                    sx(*x),
                    sy(*y),
                    s.color,
                    esc(s.name),
                    trim(&format!("{y:.3}")),
                    time_label(*x as u64)
                );
            }
        }
    }
    h.push_str("</svg>\n</div>\n");
}

/// A long series as the min and max of each of about `MAX_POINTS / 2` buckets, so spikes stay
/// visible and the file stays small.
fn envelope(points: &[(f64, f64)]) -> Cow<'_, [(f64, f64)]> {
    if points.len() <= MAX_POINTS {
        return Cow::Borrowed(points);
    }
    let per = points.len().div_ceil(MAX_POINTS / 2);
    let mut out = Vec::with_capacity(MAX_POINTS + 2);
    for chunk in points.chunks(per) {
        let (mut lo, mut hi) = (chunk[0], chunk[0]);
        for p in chunk {
            if p.1 < lo.1 {
                lo = *p;
            }
            if p.1 > hi.1 {
                hi = *p;
            }
        }
        if lo.0 <= hi.0 {
            out.extend([lo, hi]);
        } else {
            out.extend([hi, lo]);
        }
    }
    Cow::Owned(out)
}

/// A tick step of 1, 2, 2.5 or 5 × 10ⁿ giving about `ticks` intervals, and the axis top.
pub(super) fn nice_axis(peak: f64, ticks: usize) -> (f64, f64) {
    let peak = if peak.is_finite() && peak > 0.0 { peak } else { 1.0 };
    let raw = peak / ticks as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * mag);
    let top = (peak / step - 1e-9).ceil().max(1.0) * step;
    (step, top)
}

/// Labels for 0, step, …, top: `k`/`M`/`G` suffixes from the top, as many decimals as the step
/// needs.
pub(super) fn tick_labels(step: f64, top: f64) -> Vec<String> {
    let (div, suffix) = if top >= 1e9 {
        (1e9, "G")
    } else if top >= 1e6 {
        (1e6, "M")
    } else if top >= 1e4 {
        (1e3, "k")
    } else {
        (1.0, "")
    };
    let s = step / div;
    let decimals = (0..6).find(|d| {
        let scaled = s * 10f64.powi(*d);
        (scaled - scaled.round()).abs() < 1e-6 * scaled.max(1.0)
    });
    let decimals = decimals.unwrap_or(6) as usize;
    let n = (top / step).round() as usize;
    (0..=n)
        .map(|i| {
            let v = step * i as f64 / div;
            if i == 0 {
                "0".to_owned()
            } else {
                format!("{v:.decimals$}{suffix}")
            }
        })
        .collect()
}

/// Seconds between x ticks: at most about 10 ticks.
fn time_step(x_max: f64) -> f64 {
    const STEPS: [f64; 18] = [
        1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0, 10800.0, 21600.0,
        43200.0, 86400.0,
    ];
    STEPS
        .iter()
        .copied()
        .find(|s| x_max / s <= 10.0)
        .unwrap_or_else(|| (x_max / 10.0 / 86400.0).ceil() * 86400.0)
}

/// `45s`, `2m`, `2m30s`, `1h05m`.
pub(super) fn time_label(s: u64) -> String {
    if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        if s.is_multiple_of(60) {
            format!("{}m", s / 60)
        } else {
            format!("{}m{:02}s", s / 60, s % 60)
        }
    } else {
        format!("{}h{:02}m", s / 3600, s / 60 % 60)
    }
}

/// The `i`-th horizontal grid line of a chart (the axis itself for 0) at height `y`, from `left`
/// to `right`, with its `label` left of the axis.
pub(super) fn y_gridline(h: &mut String, i: usize, y: f64, label: &str, left: f64, right: f64) {
    put!(
        h,
        "<line x1=\"{left}\" x2=\"{right:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"{}\"/>\
         <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{label}</text>\n",
        if i == 0 { "#9ca3af" } else { "#eef0f3" },
        left - 6.0,
        y + 4.0
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_and_labels_are_round() {
        assert_eq!(nice_axis(1000.0, 5), (200.0, 1000.0));
        assert_eq!(nice_axis(1001.0, 5), (250.0, 1250.0));
        assert_eq!(nice_axis(0.0, 5), (0.2, 1.0));
        assert_eq!(nice_axis(3.0, 5), (1.0, 3.0));
        assert_eq!(tick_labels(0.5, 2.0), ["0", "0.5", "1.0", "1.5", "2.0"]);
        assert_eq!(tick_labels(250.0, 1000.0), ["0", "250", "500", "750", "1000"]);
        assert_eq!(tick_labels(5000.0, 20000.0), ["0", "5k", "10k", "15k", "20k"]);
        assert_eq!(tick_labels(2.5e5, 1e6), ["0", "0.25M", "0.50M", "0.75M", "1.00M"]);
        assert_eq!(time_step(59.0), 10.0);
        assert_eq!(time_step(3600.0), 600.0);
        assert_eq!(time_label(45), "45s");
        assert_eq!(time_label(150), "2m30s");
        assert_eq!(time_label(3900), "1h05m");
    }
}
