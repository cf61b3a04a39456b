//! The capacity report of `kdg find-max` as one self-contained HTML page, in the run report's
//! style and under the same rules (inline CSS and SVG, no scripts, nothing fetched, every value
//! escaped).
//!
//! The page answers first (the maximum sustainable rate and which limit bound, in words), then
//! shows the capacity chart (achieved vs target rate per step, held steps green, failed red, the
//! answer marked), throttled share and p99 per step against their criteria, the steps table,
//! the criteria, the per-shard load at the knee, and the settings. The report JSON and the
//! timeline are embedded as `script#kdg-findmax` and `script#kdg-timeline`.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::chart::{nice_axis, tick_labels, y_gridline, W};
use super::{esc, page_head, script_json, setting_rows, CSS, C_DELIVERED, C_FAILED, C_P99, C_TARGET, C_THROTTLED};
use crate::findmax::Step;
use crate::report::capacity::{CapacityReport, CapacityRow};
use crate::report::text::{bytes, count, ms, rate, secs};
use crate::sink::limits::{KINESIS_SHARD_BYTES_PER_SEC, KINESIS_SHARD_RECORDS_PER_SEC};

/// A step that held.
const C_HELD: &str = "#15803d";

/// Chart geometry, in SVG user units.
const H: f64 = 300.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 18.0;
const TOP: f64 = 24.0;
const BOTTOM: f64 = 40.0;

/// Write the capacity report `r` and its timeline `rows` as one self-contained HTML page.
///
/// # Errors
/// Writing to `w` failed.
pub fn write_capacity_html(r: &CapacityReport, rows: &[CapacityRow], w: &mut impl Write) -> io::Result<()> {
    w.write_all(page(r, rows).as_bytes())
}

fn page(r: &CapacityReport, rows: &[CapacityRow]) -> String {
    let mut h = String::with_capacity(32 * 1024 + r.steps.len() * 2048);
    let found = r.answer.max_rps.is_some();
    let badge = match r.answer.max_rps {
        Some(max) => format!("{}/s", rate(max)),
        None => "NONE".to_owned(),
    };
    page_head(&mut h, &r.kdg_version);
    put!(
        h,
        "<title>kdg find-max: {}, {}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n",
        match r.answer.max_rps {
            Some(max) => format!("{} records/s", rate(max)),
            None => "no step held".to_owned(),
        },
        esc(&r.destination.name)
    );
    put!(
        h,
        "<header class=\"verdict {}\" id=\"outcome\">\n<div class=\"badge\">{}</div>\n<div>\n\
         <h1>kdg find-max capacity report</h1>\n<p id=\"answer\">{}</p>\n",
        if found { "pass" } else { "fail" },
        esc(&badge),
        esc(&r.answer.summary)
    );
    put!(
        h,
        "<p class=\"muted\">{} <code>{}</code> · region {} · endpoint {} · {} {} · {} → {} UTC</p>\n</div>\n</header>\n",
        esc(&r.destination.kind),
        esc(&r.destination.name),
        esc(r.destination.region.as_deref().unwrap_or("unknown")),
        esc(r.destination.endpoint.as_deref().unwrap_or("the SDK's for the region")),
        r.steps.len(),
        if r.steps.len() == 1 { "step" } else { "steps" },
        esc(&r.started_at),
        esc(&r.ended_at)
    );
    if let Some(signal) = &r.signal {
        put!(
            h,
            "<p class=\"note\"><strong>Stopped by {}:</strong> the search did not finish; the answer is a lower bound.</p>\n",
            esc(signal)
        );
    }
    h.push_str(
        "<nav><a href=\"#capacity\">Capacity</a><a href=\"#steps\">Steps</a><a href=\"#criteria\">Criteria</a>\
         <a href=\"#shards\">Shards at the knee</a><a href=\"#run\">Settings</a></nav>\n",
    );
    charts(&mut h, r);
    steps_table(&mut h, r);
    criteria(&mut h, r);
    shards(&mut h, r);
    settings(&mut h, r);
    put!(
        h,
        "<footer>Written by kdg {}. The report JSON (<code>schema/findmax.schema.json</code>) and the per-second \
         timeline of every step are embedded in this page as <code>script#kdg-findmax</code> and \
         <code>script#kdg-timeline</code>.</footer>\n</main>\n",
        esc(&r.kdg_version)
    );
    put!(
        h,
        "<script type=\"application/json\" id=\"kdg-findmax\">{}</script>\n",
        script_json(r)
    );
    put!(
        h,
        "<script type=\"application/json\" id=\"kdg-timeline\">{}</script>\n",
        script_json(&rows)
    );
    h.push_str("</body>\n</html>\n");
    h
}

/// The steps ordered by target rate, with their numbers (from 1).
fn by_target(steps: &[Step]) -> Vec<(usize, &Step)> {
    let mut v: Vec<(usize, &Step)> = steps.iter().enumerate().map(|(i, s)| (i + 1, s)).collect();
    v.sort_by(|a, b| a.1.target_rps.total_cmp(&b.1.target_rps).then(a.0.cmp(&b.0)));
    v
}

fn charts(h: &mut String, r: &CapacityReport) {
    h.push_str("<section id=\"capacity\">\n<h2>Capacity</h2>\n");
    if r.steps.is_empty() {
        h.push_str("<p class=\"empty\">No step finished: nothing to plot.</p>\n</section>\n");
        return;
    }
    let steps = by_target(&r.steps);
    let x_peak = steps.iter().map(|s| s.1.target_rps).fold(0.0, f64::max);
    let y_peak = steps
        .iter()
        .map(|s| s.1.target_rps.max(s.1.achieved_rps))
        .fold(0.0, f64::max);
    let answer = r.answer.max_rps;
    let plot = Plot::new(x_peak, y_peak);
    plot.open(
        h,
        "chart-capacity",
        "Achieved vs target rate per step",
        "records/s achieved",
        &[
            ("achieved", C_DELIVERED, false),
            ("target (achieved = target)", C_TARGET, true),
            ("maximum sustainable rate", C_HELD, true),
        ],
    );
    plot.line(h, "target", C_TARGET, true, &[(0.0, 0.0), (plot.x_top, plot.x_top)]);
    let achieved: Vec<(f64, f64)> = steps.iter().map(|s| (s.1.target_rps, s.1.achieved_rps)).collect();
    plot.line(h, "achieved", C_DELIVERED, false, &achieved);
    if let Some(max) = answer {
        plot.vline(h, max, &format!("{}/s", rate(max)));
    }
    for (n, s) in &steps {
        plot.marker(
            h,
            *n,
            s,
            s.achieved_rps,
            &format!(
                "step {n}: target {}/s, achieved {}/s",
                rate(s.target_rps),
                rate(s.achieved_rps)
            ),
        );
    }
    plot.close(h);

    let max_throttle = r.criteria.max_throttle * 100.0;
    let throttle: Vec<(f64, f64)> = steps
        .iter()
        .map(|s| (s.1.target_rps, s.1.throttle_ratio * 100.0))
        .collect();
    let plot = Plot::new(x_peak, throttle.iter().map(|p| p.1).fold(max_throttle, f64::max));
    plot.open(
        h,
        "chart-throttle",
        "Throttled share of attempts per step",
        "% throttled",
        &[("throttled", C_THROTTLED, false), ("--max-throttle", C_FAILED, true)],
    );
    plot.line(
        h,
        "--max-throttle",
        C_FAILED,
        true,
        &[(0.0, max_throttle), (plot.x_top, max_throttle)],
    );
    plot.line(h, "throttled", C_THROTTLED, false, &throttle);
    for (i, (n, s)) in steps.iter().enumerate() {
        plot.marker(
            h,
            *n,
            s,
            throttle[i].1,
            &format!("step {n}: {:.2}% throttled at {}/s", throttle[i].1, rate(s.target_rps)),
        );
    }
    plot.close(h);

    let max_p99 = r.criteria.max_p99_ms;
    let p99: Vec<(f64, f64)> = steps.iter().map(|s| (s.1.target_rps, s.1.p99_ms)).collect();
    let plot = Plot::new(x_peak, p99.iter().map(|p| p.1).fold(max_p99, f64::max));
    plot.open(
        h,
        "chart-step-p99",
        "Record latency p99 per step (intended time → ack, corrected)",
        "ms",
        &[("p99", C_P99, false), ("--max-p99", C_FAILED, true)],
    );
    plot.line(h, "--max-p99", C_FAILED, true, &[(0.0, max_p99), (plot.x_top, max_p99)]);
    plot.line(h, "p99", C_P99, false, &p99);
    for (i, (n, s)) in steps.iter().enumerate() {
        plot.marker(
            h,
            *n,
            s,
            p99[i].1,
            &format!("step {n}: p99 {} at {}/s", ms(p99[i].1), rate(s.target_rps)),
        );
    }
    plot.close(h);
    h.push_str(
        "<p class=\"muted\">Each point is a step at its target rate (x): green held, red failed; the number is the \
         step's place in the order run.</p>\n</section>\n",
    );
}

/// A chart of per-step values over the target rate.
struct Plot {
    x_step: f64,
    x_top: f64,
    y_step: f64,
    y_top: f64,
}

impl Plot {
    fn new(x_peak: f64, y_peak: f64) -> Plot {
        let (x_step, x_top) = nice_axis(x_peak, 8);
        let (y_step, y_top) = nice_axis(y_peak, 5);
        Plot {
            x_step,
            x_top,
            y_step,
            y_top,
        }
    }

    fn sx(&self, x: f64) -> f64 {
        LEFT + (W - LEFT - RIGHT) * (x / self.x_top).clamp(0.0, 1.0)
    }

    fn sy(&self, y: f64) -> f64 {
        let y = if y.is_finite() { y } else { 0.0 };
        TOP + (H - TOP - BOTTOM) * (1.0 - (y / self.y_top).clamp(0.0, 1.0))
    }

    /// The title, legend, axes and grid.
    fn open(&self, h: &mut String, id: &str, title: &str, unit: &str, legend: &[(&str, &str, bool)]) {
        put!(
            h,
            "<div class=\"chart\" id=\"{id}\">\n<h3>{}</h3>\n<ul class=\"legend\">",
            esc(title)
        );
        for (name, color, dashed) in legend {
            put!(
                h,
                "<li><span class=\"sw{}\" style=\"border-color:{color}\"></span>{}</li>",
                if *dashed { " dash" } else { "" },
                esc(name)
            );
        }
        put!(
            h,
            "</ul>\n<svg viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{}\" preserveAspectRatio=\"xMidYMid meet\">\n",
            esc(title)
        );
        for (i, label) in tick_labels(self.y_step, self.y_top).iter().enumerate() {
            y_gridline(h, i, self.sy(self.y_step * i as f64), label, LEFT, W - RIGHT);
        }
        for (i, label) in tick_labels(self.x_step, self.x_top).iter().enumerate() {
            let x = self.sx(self.x_step * i as f64);
            put!(
                h,
                "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#9ca3af\"/>\
                 <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{label}</text>\n",
                H - BOTTOM,
                H - BOTTOM + 4.0,
                H - BOTTOM + 17.0
            );
        }
        put!(
            h,
            "<text x=\"2\" y=\"{:.1}\" text-anchor=\"start\" class=\"unit\">{}</text>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" class=\"unit\">target records/s</text>\n",
            TOP - 10.0,
            esc(unit),
            W - RIGHT,
            H - 4.0
        );
    }

    fn line(&self, h: &mut String, name: &str, color: &str, dashed: bool, pts: &[(f64, f64)]) {
        let mut d = String::with_capacity(pts.len() * 14);
        for (x, y) in pts {
            put!(d, "{:.1},{:.1} ", self.sx(*x), self.sy(*y));
        }
        put!(
            h,
            "<polyline class=\"series\" data-series=\"{}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"{}\"{} \
             points=\"{}\"><title>{}</title></polyline>\n",
            esc(name),
            if dashed { "1.5" } else { "2" },
            if dashed { " stroke-dasharray=\"6 4\"" } else { "" },
            d.trim_end(),
            esc(name)
        );
    }

    /// A vertical line at the answer.
    fn vline(&self, h: &mut String, x: f64, label: &str) {
        let sx = self.sx(x);
        put!(
            h,
            "<line class=\"answer\" x1=\"{sx:.1}\" x2=\"{sx:.1}\" y1=\"{TOP:.1}\" y2=\"{:.1}\" stroke=\"{C_HELD}\" \
             stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"start\" \
             fill=\"{C_HELD}\">max {}</text>\n",
            H - BOTTOM,
            sx + 5.0,
            TOP + 12.0,
            esc(label)
        );
    }

    /// Step `n`'s point at (its target, `y`): green when it held, red when it failed.
    fn marker(&self, h: &mut String, n: usize, s: &Step, y: f64, what: &str) {
        let (x, y) = (self.sx(s.target_rps), self.sy(y));
        put!(
            h,
            "<circle class=\"step {}\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"5\" fill=\"{}\"><title>{}: {}</title></circle>\
             <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{n}</text>\n",
            if s.held() { "pass" } else { "fail" },
            if s.held() { C_HELD } else { C_FAILED },
            esc(what),
            if s.held() {
                "held".to_owned()
            } else {
                esc(&s.why.join("; ")).into_owned()
            },
            y - 9.0
        );
    }

    fn close(&self, h: &mut String) {
        h.push_str("</svg>\n</div>\n");
    }
}

fn steps_table(h: &mut String, r: &CapacityReport) {
    h.push_str(
        "<section id=\"steps\">\n<h2>Steps</h2>\n<table>\n<tr><th class=\"n\">step</th><th class=\"n\">target/s</th>\
         <th class=\"n\">achieved/s</th><th class=\"n\">of target</th><th class=\"n\">bytes/s</th>\
         <th class=\"n\">sent</th><th class=\"n\">failed</th><th class=\"n\">throttled</th><th class=\"n\">p50</th>\
         <th class=\"n\">p99</th><th class=\"n\">time</th><th>verdict</th></tr>\n",
    );
    if r.steps.is_empty() {
        h.push_str("<tr><td colspan=\"12\" class=\"empty\">no step finished</td></tr>\n");
    }
    for (i, s) in r.steps.iter().enumerate() {
        let mark = match (Some(i + 1) == r.answer.answer_step, Some(i + 1) == r.answer.knee_step) {
            (true, _) => " (the answer)",
            (_, true) => " (the knee)",
            _ => "",
        };
        put!(
            h,
            "<tr class=\"{}\"><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{:.1}%</td><td class=\"n\">{}/s</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{:.2}%</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td>{}{mark}</td></tr>\n",
            if s.held() { "pass" } else { "fail" },
            i + 1,
            rate(s.target_rps),
            rate(s.achieved_rps),
            if s.target_rps > 0.0 {
                100.0 * s.achieved_rps / s.target_rps
            } else {
                0.0
            },
            bytes(s.bytes_per_s),
            count(s.attempted),
            count(s.failed),
            s.throttle_ratio * 100.0,
            ms(s.p50_ms),
            ms(s.p99_ms),
            secs(s.elapsed_ms / 1e3),
            if s.held() {
                "held".to_owned()
            } else {
                format!("failed: {}", esc(&s.why.join("; ")))
            }
        );
    }
    h.push_str("</table>\n</section>\n");
}

fn criteria(h: &mut String, r: &CapacityReport) {
    let c = &r.criteria;
    put!(
        h,
        "<section id=\"criteria\">\n<h2>Criteria</h2>\n<p>A step holds when all of these are met; the answer is \
         the highest target rate that held.</p>\n<ul>\n<li>throttled entry attempts at most {:.2}% of attempted \
         records (<code>--max-throttle</code>)</li>\n<li>corrected p99 record latency at most {} \
         (<code>--max-p99</code>)</li>\n<li>achieved at least {:.0}% of the target rate (below that, this machine fell \
         behind)</li>\n</ul>\n<p class=\"muted\">Each record is sent once, so retries do not blur the throttled share.</p>\n</section>\n",
        c.max_throttle * 100.0,
        ms(c.max_p99_ms),
        c.min_achieved * 100.0
    );
}

fn shards(h: &mut String, r: &CapacityReport) {
    h.push_str("<section id=\"shards\">\n<h2>Per-shard load at the knee</h2>\n");
    let knee = r.answer.knee_step.and_then(|n| r.steps.get(n - 1));
    let Some(knee) = knee.filter(|k| !k.shards.is_empty()) else {
        h.push_str(
            "<p class=\"empty\">No per-shard data: no step failed above the answer, or the destination gives no \
             per-shard counts (only Kinesis Data Streams does).</p>\n</section>\n",
        );
        return;
    };
    let n = r.answer.knee_step.unwrap_or_default();
    let secs = (knee.elapsed_ms / 1e3).max(1e-9);
    let each = if knee.delivered > 0 {
        knee.bytes as f64 / knee.delivered as f64
    } else {
        0.0
    };
    put!(
        h,
        "<p>Step {n}, at {} records/s: what each shard accepted and throttled, per second, against a shard's \
         {} records/s and 1 MiB/s (at the step's mean record of {}).",
        rate(knee.target_rps),
        count(KINESIS_SHARD_RECORDS_PER_SEC),
        bytes(each)
    );
    if let Some(p) = &r.answer.busiest_shard {
        put!(
            h,
            " The busiest is <code>{}</code>, {:.2}× the mean shard{}.",
            esc(&p.shard),
            p.vs_mean,
            if p.hot {
                ": a hot shard (skewed partition keys)"
            } else {
                ""
            }
        );
    }
    h.push_str(
        "</p>\n<table>\n<tr><th>shard</th><th class=\"n\">accepted/s</th><th class=\"n\">throttled/s</th>\
         <th class=\"n\">sent/s of 1,000/s</th><th class=\"n\">bytes/s sent</th><th class=\"n\">of 1 MiB/s</th></tr>\n",
    );
    for (id, c) in &knee.shards {
        let sent = (c.accepted + c.throttled) as f64 / secs;
        let hot = r.answer.busiest_shard.as_ref().is_some_and(|p| p.shard == *id);
        put!(
            h,
            "<tr{}><td class=\"mono\">{}{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{:.1}%</td>\
             <td class=\"n\">{}/s</td><td class=\"n\">{:.1}%</td></tr>\n",
            if hot { " class=\"busiest\"" } else { "" },
            esc(id),
            if hot { " (busiest)" } else { "" },
            rate(c.accepted as f64 / secs),
            rate(c.throttled as f64 / secs),
            100.0 * sent / KINESIS_SHARD_RECORDS_PER_SEC as f64,
            bytes(sent * each),
            100.0 * sent * each / KINESIS_SHARD_BYTES_PER_SEC as f64
        );
    }
    h.push_str("</table>\n</section>\n");
}

fn settings(h: &mut String, r: &CapacityReport) {
    h.push_str(
        "<section id=\"run\">\n<h2>Settings</h2>\n<table class=\"config\">\n<tr><th>setting</th><th>value</th></tr>\n",
    );
    setting_rows(h, &r.settings);
    h.push_str("</table>\n</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::capacity::append_step_rows;
    use crate::report::capacity::tests::realistic;
    use crate::stats::TimelineRow;

    fn html(r: &CapacityReport) -> String {
        let mut rows = Vec::new();
        for (i, s) in r.steps.iter().enumerate() {
            let one = TimelineRow {
                sent: s.achieved_rps as u64,
                ..TimelineRow::default()
            };
            append_step_rows(&mut rows, i + 1, s.target_rps, &[one, TimelineRow { t_s: 1, ..one }]);
        }
        let mut out = Vec::new();
        write_capacity_html(r, &rows, &mut out).expect("writes");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn the_page_names_the_answer_and_plots_every_step() {
        let r = realistic();
        let h = html(&r);
        let max = rate(r.answer.max_rps.unwrap());
        assert!(
            h.contains(&format!("<title>kdg find-max: {max} records/s, probe</title>")),
            "{h:.600}"
        );
        assert!(h.contains("<p id=\"answer\">The maximum sustainable rate is"));
        assert!(h.contains("Limit: records/s per shard"));
        assert!(h.contains("id=\"chart-capacity\"") && h.contains("id=\"chart-throttle\""));
        assert!(h.contains("id=\"chart-step-p99\""));
        // One point per step on each of the three charts.
        assert_eq!(h.matches("<circle class=\"step").count(), 3 * r.steps.len());
        assert_eq!(h.matches("<line class=\"answer\"").count(), 1);
        assert!(h.contains("(the answer)") && h.contains("(the knee)"));
        assert!(h.contains("<td class=\"mono\">find_max.step_time</td><td class=\"wrap\">4 s</td>"));
        assert_eq!(h.matches("<tr class=\"busiest\">").count(), 1);
        assert!(h.contains("region us-east-1 · endpoint http://127.0.0.1:4567"));
        let open = "id=\"kdg-findmax\">";
        let json = &h[h.find(open).unwrap() + open.len()..];
        let back: CapacityReport = serde_json::from_str(&json[..json.find("</script>").unwrap()]).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn hostile_text_stays_text_and_nothing_is_fetched() {
        let mut r = realistic();
        let evil = "</script><script>alert(1)</script>";
        r.destination.name = evil.into();
        r.answer.summary = evil.into();
        r.steps[0].why = vec![evil.into()];
        let h = html(&r);
        assert!(!h.contains("<script>alert"));
        assert_eq!(h.matches("<script").count(), 2, "only the two JSON blocks");
        assert!(!h.contains("src=") && !h.contains("<link") && !h.contains("url("));
    }

    #[test]
    fn an_empty_search_still_makes_a_page() {
        let mut r = realistic();
        r.steps.clear();
        r.answer.max_rps = None;
        r.answer.answer_step = None;
        r.answer.knee_step = None;
        r.answer.busiest_shard = None;
        r.signal = Some("SIGINT".into());
        let h = html(&r);
        assert!(h.contains("<div class=\"badge\">NONE</div>"));
        assert!(h.contains("No step finished: nothing to plot."));
        assert!(h.contains("No per-shard data"));
        assert!(h.contains("Stopped by SIGINT"));
        assert!(h.ends_with("</html>\n"));
    }
}
