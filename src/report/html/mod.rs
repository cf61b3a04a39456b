//! The end-of-run report as one self-contained HTML page (`--report-html`).
//!
//! Everything is in the file: a small inline stylesheet, system fonts, and charts drawn here as
//! inline SVG, so the page renders offline, without scripts, in any browser, and can be attached
//! to a ticket or a CI run as it is. A Content-Security-Policy forbids every network load and
//! every script, so a hostile value cannot make the page fetch or run anything. All text from
//! the run (config values, error codes, shard ids, reasons) is HTML-escaped.
//!
//! The page holds what a capacity report needs (`docs/measurement.md#capacity-report`): the
//! verdict, the run identity and configuration, totals, per-second plots of offered vs achieved load, throttling and failures,
//! latency p99 and schedule lag, per-shard load, the latency percentile table and errors by code.
//! The report JSON (with its histograms) and the timeline are embedded as
//! `<script type="application/json">` blocks (`kdg-report`, `kdg-timeline`), so tools can get
//! the exact numbers back out of the page.
//!
//! This module lays out the page and its sections; the SVG line charts and their axes are in
//! `chart`, the stylesheet in `style.css`.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};

use serde::Serialize;
use serde_json::Value;

use super::finite;
use super::text::{bytes, count, ms, rate, secs};
use super::Report;
use crate::sink::limits::KINESIS_SHARD_RECORDS_PER_SEC;
use crate::stats::{LatencySummary, TimelineRow};

/// Write `report` and its per-second `rows` (see [`crate::stats::Timeline::rows`]) as one
/// self-contained HTML page.
///
/// # Errors
/// Writing to `w` failed.
pub fn write_html(report: &Report, rows: &[TimelineRow], w: &mut impl Write) -> io::Result<()> {
    w.write_all(page(report, rows, &[]).as_bytes())
}

/// Write a scenario's page: the `total` of its jobs with the merged per-second `rows`, and a
/// section per job (its outcome, numbers and settings).
///
/// # Errors
/// Writing to `w` failed.
pub fn write_scenario_html(
    total: &Report,
    jobs: &[(String, Report)],
    rows: &[TimelineRow],
    w: &mut impl Write,
) -> io::Result<()> {
    w.write_all(page(total, rows, jobs).as_bytes())
}

/// Append formatted text to a `String` (which cannot fail).
macro_rules! put {
    ($dst:expr, $($arg:tt)*) => {{
        let _ = write!($dst, $($arg)*);
    }};
}

// After `put!`, which the chart code uses too.
mod capacity;
mod chart;

pub use capacity::write_capacity_html;

use chart::{chart, nice_axis, tick_labels, time_label, Series, W};

/// The contents of the page's `<style>` element: a newline, then `style.css`.
const CSS: &str = concat!("\n", include_str!("style.css"));

/// Series colours.
const C_TARGET: &str = "#6b7280";
const C_OFFERED: &str = "#93c5fd";
const C_DELIVERED: &str = "#1d4ed8";
const C_THROTTLED: &str = "#ea580c";
const C_FAILED: &str = "#dc2626";
const C_P99: &str = "#7c3aed";
const C_LAG: &str = "#0d9488";
const C_BYTES: &str = "#0891b2";

/// A last timeline row that ends more than this many seconds after the run is partial.
const PARTIAL: f64 = 0.05;
/// Longest timeline shown row by row in the per-second table.
const MAX_TABLE_ROWS: usize = 3600;

fn page(r: &Report, rows: &[TimelineRow], jobs: &[(String, Report)]) -> String {
    let mut h = String::with_capacity(64 * 1024 + rows.len() * 400);
    let pass = r.outcome.exit_code == 0;
    let verdict = if pass { "PASS" } else { "FAIL" };
    page_head(&mut h, &r.kdg_version);
    put!(
        h,
        "<title>kdg report: {verdict}, {} records/s, {}</title>\n",
        rate(r.achieved_rps),
        esc(&r.started_at)
    );
    put!(h, "<style>{CSS}</style>\n</head>\n<body>\n<main>\n");

    header(&mut h, r, pass, verdict, !jobs.is_empty());
    totals(&mut h, r);
    jobs_section(&mut h, jobs);
    timeline_charts(&mut h, r, rows);
    shards(&mut h, r);
    latency_table(&mut h, r);
    errors(&mut h, r);
    identity(&mut h, r, !jobs.is_empty());
    per_second_table(&mut h, rows);

    put!(
        h,
        "<footer>Written by kdg {}. The report JSON (with HdrHistogram encodings) and the timeline are \
         embedded in this page as <code>script#kdg-report</code> and <code>script#kdg-timeline</code>.</footer>\n",
        esc(&r.kdg_version)
    );
    h.push_str("</main>\n");
    put!(
        h,
        "<script type=\"application/json\" id=\"kdg-report\">{}</script>\n",
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

fn header(h: &mut String, r: &Report, pass: bool, verdict: &str, scenario: bool) {
    put!(
        h,
        "<header class=\"verdict {}\" id=\"outcome\">\n<div class=\"badge\">{verdict}</div>\n<div>\n",
        if pass { "pass" } else { "fail" }
    );
    h.push_str(if scenario {
        "<h1>kdg scenario report</h1>\n"
    } else {
        "<h1>kdg run report</h1>\n"
    });
    put!(
        h,
        "<p>exit code {} · stopped by {} · {} records/s achieved{} · {} elapsed</p>\n",
        r.outcome.exit_code,
        r.stopped_by.as_str(),
        rate(r.achieved_rps),
        match r.target_rps {
            Some(t) => format!(" of {} target", rate(t)),
            None => " (flat out)".to_owned(),
        },
        secs(r.elapsed_s)
    );
    put!(
        h,
        "<p class=\"muted\">kdg {}{} · {} → {} UTC</p>\n",
        esc(&r.kdg_version),
        match r.config.get("run_id").and_then(Value::as_str) {
            Some(id) => format!(" · run {}", esc(id)),
            None => String::new(),
        },
        esc(&r.started_at),
        esc(&r.ended_at)
    );
    outcome(h, r);
    h.push_str("</div>\n</header>\n");
    if r.generator_bound {
        h.push_str(
            "<p class=\"note\"><strong>Generator-bound:</strong> the schedule fell behind without throttling; \
             the numbers measure this machine, not the stream.</p>\n",
        );
    }
    if r.sink_bound {
        h.push_str(
            "<p class=\"note\"><strong>Destination-bound:</strong> the schedule fell behind without throttling \
             while the workers waited on the destination's responses: slow or stalled requests, not this machine, \
             were the limit.</p>\n",
        );
    }
    h.push_str("<nav><a href=\"#totals\">Totals</a>");
    if scenario {
        h.push_str("<a href=\"#jobs\">Jobs</a>");
    }
    h.push_str(
        "<a href=\"#timeline\">Over time</a><a href=\"#shards\">Shards</a>\
         <a href=\"#latency\">Latency</a><a href=\"#errors\">Errors</a><a href=\"#run\">Run and configuration</a></nav>\n",
    );
}

/// A scenario's jobs: one summary row each, then a section each with its outcome and settings.
fn jobs_section(h: &mut String, jobs: &[(String, Report)]) {
    if jobs.is_empty() {
        return;
    }
    h.push_str(
        "<section id=\"jobs\">\n<h2>Jobs</h2>\n<table>\n<tr><th>job</th><th>result</th><th>target</th>\
                <th>achieved</th><th>delivered</th><th>failed</th><th>rejected</th><th>p99</th></tr>\n",
    );
    for (i, (name, r)) in jobs.iter().enumerate() {
        let c = &r.totals;
        put!(
            h,
            "<tr><td><a href=\"#job-{i}\">{}</a></td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}/s</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
            esc(name),
            if r.outcome.passed() { "PASS" } else { "FAIL" },
            r.target_rps.map_or_else(|| "flat out".to_owned(), |t| format!("{}/s", rate(t))),
            rate(r.achieved_rps),
            count(c.delivered),
            count(c.failed),
            count(c.rejected),
            ms(r.latency.record_e2e.p99_ms),
        );
    }
    h.push_str("</table>\n");
    for (i, (name, r)) in jobs.iter().enumerate() {
        put!(h, "<section class=\"job\" id=\"job-{i}\">\n<h3>{}</h3>\n", esc(name));
        outcome(h, r);
        settings_table(h, Some(&r.config));
        h.push_str("</section>\n");
    }
    h.push_str("</section>\n");
}

fn identity(h: &mut String, r: &Report, scenario: bool) {
    h.push_str("<section id=\"run\">\n<h2>Run and configuration</h2>\n<div class=\"kv\">\n<div>\n<table>\n");
    let mut row = |k: &str, v: &str| put!(h, "<tr><td>{k}</td><td class=\"wrap\">{}</td></tr>\n", esc(v));
    row("kdg version", &r.kdg_version);
    if let Some(id) = r.config.get("run_id").and_then(Value::as_str) {
        row("run id", id);
    }
    row("started (UTC)", &r.started_at);
    row("ended (UTC)", &r.ended_at);
    row("elapsed", &secs(r.elapsed_s));
    row("stopped by", r.stopped_by.as_str());
    row(
        "target rate",
        &match r.target_rps {
            Some(t) => format!("{} records/s", rate(t)),
            None => "flat out (no rate limit)".to_owned(),
        },
    );
    row("exit code", &r.outcome.exit_code.to_string());
    h.push_str("</table>\n</div>\n<div>\n");
    // A scenario total's settings are its jobs': each job's section lists its own.
    settings_table(h, (!scenario).then_some(&r.config));
    h.push_str("</div>\n</div>\n</section>\n");
}

/// The verdict's words: that every record was delivered, or the reasons the run failed.
fn outcome(h: &mut String, r: &Report) {
    if r.outcome.passed() {
        h.push_str("<p class=\"muted\">Every offered record was delivered; none failed or was rejected.</p>\n");
    } else {
        h.push_str("<ul class=\"reasons\">\n");
        for reason in &r.outcome.reasons {
            put!(h, "<li>{}</li>\n", esc(reason));
        }
        h.push_str("</ul>\n");
    }
}

/// The settings table of a run's echo; `None` for a scenario's total, whose settings are its
/// jobs'.
fn settings_table(h: &mut String, settings: Option<&Value>) {
    h.push_str("<table class=\"config\">\n<tr><th>setting</th><th>value</th></tr>\n");
    match settings {
        None => h.push_str(
            "<tr><td colspan=\"2\" class=\"empty\">each job's settings are in its section under \
             <a href=\"#jobs\">Jobs</a></td></tr>\n",
        ),
        Some(settings) if !setting_rows(h, settings) => {
            h.push_str("<tr><td colspan=\"2\" class=\"empty\">no configuration recorded</td></tr>\n");
        }
        Some(_) => {}
    }
    h.push_str("</table>\n");
}

/// The start of a page up to its `<title>`: nothing may be fetched and nothing may run, the
/// page is data, styles and inline SVG.
fn page_head(h: &mut String, kdg_version: &str) {
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; \
         base-uri 'none'; form-action 'none'\">\n",
    );
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    put!(h, "<meta name=\"generator\" content=\"kdg {}\">\n", esc(kdg_version));
}

/// One table row per setting of the echo `settings` (see [`flatten`]); false when it has none.
fn setting_rows(h: &mut String, settings: &Value) -> bool {
    let mut flat = Vec::new();
    flatten("", settings, &mut flat);
    let any = !flat.is_empty();
    for (k, v) in flat {
        match v {
            Some(v) => put!(
                h,
                "<tr><td class=\"mono\">{}</td><td class=\"wrap\">{}</td></tr>\n",
                esc(&k),
                esc(&v)
            ),
            None => put!(
                h,
                "<tr><td class=\"mono\">{}</td><td class=\"muted\">—</td></tr>\n",
                esc(&k)
            ),
        }
    }
    any
}

/// The config echo as `(dotted.path, value)` rows; `None` for null (not set). A number under a
/// `_ms` key is a duration, shown as one under the key without the suffix (`linger: 1 ms`), as
/// are the `{secs, nanos}` objects of older reports.
fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, Option<String>)>) {
    let key = |k: &str| {
        if prefix.is_empty() {
            k.to_owned()
        } else {
            format!("{prefix}.{k}")
        }
    };
    match v {
        Value::Object(m) if m.is_empty() => {
            if !prefix.is_empty() {
                out.push((prefix.to_owned(), Some("{}".to_owned())));
            }
        }
        Value::Object(m) => {
            if let Some(d) = duration(m) {
                out.push((prefix.to_owned(), Some(d)));
                return;
            }
            for (k, v) in m {
                flatten(&key(k), v, out);
            }
        }
        Value::Array(a) if a.iter().all(|x| !x.is_object() && !x.is_array()) => {
            let items: Vec<String> = a.iter().map(scalar).collect();
            out.push((prefix.to_owned(), Some(format!("[{}]", items.join(", ")))));
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), v, out);
            }
        }
        Value::Null => out.push((or_config(prefix), None)),
        Value::Number(n) if prefix.ends_with("_ms") && n.as_f64().is_some() => {
            let ms = n.as_f64().unwrap_or_default();
            out.push((
                prefix.trim_end_matches("_ms").to_owned(),
                Some(readable_duration(ms / 1e3)),
            ));
        }
        other => out.push((or_config(prefix), Some(scalar(other)))),
    }
}

fn or_config(prefix: &str) -> String {
    if prefix.is_empty() {
        "config".to_owned()
    } else {
        prefix.to_owned()
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "null".to_owned(),
        other => other.to_string(),
    }
}

/// `{"secs": 0, "nanos": 1000000}` (a serialized `Duration`) as `1 ms`.
fn duration(m: &serde_json::Map<String, Value>) -> Option<String> {
    if m.len() != 2 {
        return None;
    }
    let s = m.get("secs")?.as_u64()?;
    let n = m.get("nanos")?.as_u64()?;
    Some(readable_duration(s as f64 + n as f64 / 1e9))
}

/// `total` seconds as `0 s`, `1 ms`, `2.5 s`.
fn readable_duration(total: f64) -> String {
    if total == 0.0 {
        "0 s".to_owned()
    } else if total < 1.0 {
        format!("{} ms", trim(&format!("{:.3}", total * 1e3)))
    } else {
        format!("{} s", trim(&format!("{total:.3}")))
    }
}

fn totals(h: &mut String, r: &Report) {
    let c = &r.totals;
    h.push_str("<section id=\"totals\">\n<h2>Totals</h2>\n<div class=\"cards\">\n");
    let mut card = |class: &str, k: &str, v: String, s: String| {
        put!(
            h,
            "<div class=\"card {class}\"><div class=\"k\">{k}</div><div class=\"v\">{}</div><div class=\"s\">{}</div></div>\n",
            esc(&v),
            esc(&s)
        );
    };
    let share = match r.target_rps {
        Some(t) if t > 0.0 => format!("{:.1}% of target", 100.0 * r.achieved_rps / t),
        _ => "flat out".to_owned(),
    };
    card("", "achieved records/s", rate(r.achieved_rps), share);
    card(
        "",
        "target records/s",
        r.target_rps.map_or_else(|| "—".to_owned(), rate),
        if r.target_rps.is_some() {
            "paced"
        } else {
            "no rate limit"
        }
        .to_owned(),
    );
    card(
        "",
        "throughput",
        format!("{}/s", bytes(r.bytes_per_s)),
        format!("{} delivered", bytes(c.bytes as f64)),
    );
    card("", "offered", count(c.offered), "records scheduled".to_owned());
    card(
        "",
        "delivered",
        count(c.delivered),
        if c.delivered > 0 {
            format!("{} per record", bytes(c.bytes as f64 / c.delivered as f64))
        } else {
            String::new()
        },
    );
    card(
        if c.failed > 0 { "bad" } else { "" },
        "failed",
        count(c.failed),
        "lost after retries".to_owned(),
    );
    card(
        if c.rejected > 0 { "bad" } else { "" },
        "rejected",
        count(c.rejected),
        "invalid, never sent".to_owned(),
    );
    card(
        if c.throttled > 0 { "warn" } else { "" },
        "throttled",
        count(c.throttled),
        if c.attempted > 0 {
            format!(
                "{:.2}% of attempts",
                100.0 * c.throttled as f64 / (c.attempted + c.retried) as f64
            )
        } else {
            "entry attempts".to_owned()
        },
    );
    card("", "retried", count(c.retried), "entry retries".to_owned());
    card(
        "",
        "requests",
        count(c.requests),
        if c.requests > 0 {
            format!("{:.1} records/request", c.delivered as f64 / c.requests as f64)
        } else {
            String::new()
        },
    );
    card(
        "",
        "record e2e p99",
        ms(r.latency.record_e2e.p99_ms),
        format!("max {}", ms(r.latency.record_e2e.max_ms)),
    );
    card(
        "",
        "schedule lag p99",
        ms(r.lag.p99_ms),
        format!("max {}, final {}", ms(r.lag.max_ms), ms(r.lag.final_ms)),
    );
    h.push_str("</div>\n</section>\n");
}

fn timeline_charts(h: &mut String, r: &Report, rows: &[TimelineRow]) {
    h.push_str("<section id=\"timeline\">\n<h2>Over time (per second)</h2>\n");
    if rows.is_empty() {
        h.push_str("<p class=\"empty\">No per-second data: the run ended within its first second.</p>\n</section>\n");
        return;
    }
    // The last row usually covers only the end of the run: plotted as a full second it would
    // show a drop to nearly nothing that did not happen.
    let all = rows;
    let rows = match all.split_last() {
        Some((last, before)) if !before.is_empty() && last.t_s as f64 + 1.0 - r.elapsed_s > PARTIAL => {
            put!(
                h,
                "<p class=\"muted\" id=\"partial-second\">The last row ({}, {:.2} s long) covers only part of a \
                 second and is not plotted; it is in the per-second table.</p>\n",
                time_label(last.t_s),
                (r.elapsed_s - last.t_s as f64).clamp(0.0, 1.0)
            );
            before
        }
        _ => all,
    };
    let x_max = rows.iter().map(|r| r.t_s).max().unwrap_or(0).max(1) as f64;
    let pts = |f: &dyn Fn(&TimelineRow) -> f64| -> Vec<(f64, f64)> {
        rows.iter().map(|row| (row.t_s as f64, finite(f(row)))).collect()
    };
    let flat = |y: f64| vec![(0.0, y), (x_max, y)];

    let mut rate_series = vec![
        Series::line("offered", C_OFFERED, pts(&|r| r.offered as f64)),
        Series::line("delivered", C_DELIVERED, pts(&|r| r.sent as f64)),
    ];
    match r.target_rps {
        Some(t) => rate_series.push(Series::dashed("target", C_TARGET, flat(t))),
        None => rate_series.push(Series::note("no target: flat out")),
    }
    chart(
        h,
        "chart-rate",
        "Records per second: target vs achieved",
        "records/s",
        true,
        x_max,
        &rate_series,
    );

    chart(
        h,
        "chart-throttles",
        "Throttled entry attempts and failed records per second",
        "per second",
        true,
        x_max,
        &[
            Series::line("throttled", C_THROTTLED, pts(&|r| r.throttled as f64)),
            Series::line("failed", C_FAILED, pts(&|r| r.failed as f64)),
        ],
    );

    chart(
        h,
        "chart-p99",
        "Record latency p99 per second (intended time → ack, corrected)",
        "ms",
        false,
        x_max,
        &[
            Series::line("p99 in the second", C_P99, pts(&|r| r.p99_ms)),
            Series::dashed("whole-run p99", C_TARGET, flat(finite(r.latency.record_e2e.p99_ms))),
        ],
    );

    chart(
        h,
        "chart-lag",
        "Schedule lag per second (largest in the second)",
        "ms",
        false,
        x_max,
        &[
            Series::line("max lag in the second", C_LAG, pts(&|r| r.lag_ms)),
            Series::dashed("whole-run p99", C_TARGET, flat(finite(r.lag.p99_ms))),
        ],
    );

    let peak = rows.iter().map(|r| r.bytes).max().unwrap_or(0) as f64;
    let (div, unit) = binary_unit(peak);
    chart(
        h,
        "chart-bytes",
        "Delivered bytes per second",
        &format!("{unit}/s"),
        false,
        x_max,
        &[Series::line("delivered bytes", C_BYTES, pts(&|r| r.bytes as f64 / div))],
    );
    h.push_str("</section>\n");
}

fn shards(h: &mut String, r: &Report) {
    h.push_str("<section id=\"shards\">\n<h2>Per-shard load</h2>\n");
    if r.shards.is_empty() {
        h.push_str(
            "<p class=\"empty\">No per-shard data (only Kinesis Data Streams reports shards).</p>\n</section>\n",
        );
        return;
    }
    let secs = r.elapsed_s.max(1e-9);
    let n = r.shards.len();
    let accepted: u64 = r.shards.values().map(|c| c.accepted).sum();
    let (hot_id, hot) = r
        .shards
        .iter()
        .max_by(|a, b| a.1.accepted.cmp(&b.1.accepted).then_with(|| b.0.cmp(a.0)))
        .map(|(k, v)| (k.as_str(), *v))
        .unwrap_or_default();
    let mean = accepted as f64 / n as f64;
    put!(
        h,
        "<p>{n} {} · mean {} records/s per shard · hottest <code>{}</code> at {} records/s{}</p>\n",
        if n == 1 { "shard" } else { "shards" },
        rate(mean / secs),
        esc(hot_id),
        rate(hot.accepted as f64 / secs),
        if mean > 0.0 && n > 1 {
            format!(" ({:.2}× the mean)", hot.accepted as f64 / mean)
        } else {
            String::new()
        }
    );

    // Horizontal bars: one row per shard, accepted above throttled, on one scale.
    let label_w = r
        .shards
        .keys()
        .map(|k| k.chars().count())
        .max()
        .unwrap_or(8)
        .clamp(8, 40) as f64
        * 7.4
        + 12.0;
    let row_h = 30.0;
    let top = 8.0;
    let value_w = 86.0;
    let height = top + row_h * n as f64 + 26.0;
    let peak = r
        .shards
        .values()
        .map(|c| c.accepted.max(c.throttled))
        .max()
        .unwrap_or(0) as f64;
    let (step, x_top) = nice_axis(peak, 5);
    let pw = W - label_w - value_w;
    let sx = |v: f64| pw * (v / x_top).clamp(0.0, 1.0);
    put!(
        h,
        "<div class=\"chart\" id=\"chart-shards\">\n<ul class=\"legend\">\
         <li><span class=\"sw bar\" style=\"background:{C_DELIVERED}\"></span>accepted records</li>\
         <li><span class=\"sw bar\" style=\"background:{C_THROTTLED}\"></span>throttled entry attempts</li></ul>\n\
         <svg viewBox=\"0 0 {W} {height:.0}\" role=\"img\" aria-label=\"Accepted and throttled per shard\">\n"
    );
    let axis_y = top + row_h * n as f64;
    for (i, label) in tick_labels(step, x_top).iter().enumerate() {
        let x = label_w + sx(step * i as f64);
        put!(
            h,
            "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{top:.1}\" y2=\"{axis_y:.1}\" stroke=\"{}\"/>\
             <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{label}</text>\n",
            if i == 0 { "#9ca3af" } else { "#eef0f3" },
            axis_y + 16.0
        );
    }
    for (i, (id, c)) in r.shards.iter().enumerate() {
        let y = top + row_h * i as f64 + 4.0;
        put!(
            h,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" class=\"mono\">{}</text>\n",
            label_w - 8.0,
            y + 14.0,
            esc(id)
        );
        for (j, (v, color, what)) in [
            (c.accepted, C_DELIVERED, "accepted"),
            (c.throttled, C_THROTTLED, "throttled"),
        ]
        .into_iter()
        .enumerate()
        {
            let by = y + j as f64 * 11.0;
            let bw = sx(v as f64);
            put!(
                h,
                "<rect class=\"bar\" x=\"{label_w:.1}\" y=\"{by:.1}\" width=\"{bw:.1}\" height=\"10\" fill=\"{color}\">\
                 <title>{}: {} {what}</title></rect>\
                 <text x=\"{:.1}\" y=\"{:.1}\">{}</text>\n",
                esc(id),
                count(v),
                label_w + bw + 5.0,
                by + 9.5,
                count(v)
            );
        }
    }
    h.push_str("</svg>\n</div>\n");

    h.push_str(
        "<table>\n<tr><th>shard</th><th class=\"n\">accepted</th><th class=\"n\">records/s</th>\
         <th class=\"n\">of 1,000/s limit</th><th class=\"n\">throttled</th><th class=\"n\">share of accepted</th></tr>\n",
    );
    for (id, c) in &r.shards {
        let per_s = c.accepted as f64 / secs;
        put!(
            h,
            "<tr><td class=\"mono\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{:.1}%</td>\
             <td class=\"n\">{}</td><td class=\"n\">{:.1}%</td></tr>\n",
            esc(id),
            count(c.accepted),
            rate(per_s),
            100.0 * per_s / KINESIS_SHARD_RECORDS_PER_SEC as f64,
            count(c.throttled),
            if accepted > 0 {
                100.0 * c.accepted as f64 / accepted as f64
            } else {
                0.0
            }
        );
    }
    h.push_str("</table>\n</section>\n");
}

fn latency_table(h: &mut String, r: &Report) {
    h.push_str("<section id=\"latency\">\n<h2>Latency percentiles</h2>\n<table>\n<tr><th>measure</th>");
    for col in ["count", "mean", "p50", "p90", "p99", "p99.9", "max"] {
        put!(h, "<th class=\"n\">{col}</th>");
    }
    h.push_str("</tr>\n");
    let rows: [(&str, &str, &LatencySummary); 3] = [
        (
            "record e2e (corrected)",
            "intended send time → final ack; includes schedule lag (coordinated omission corrected)",
            &r.latency.record_e2e,
        ),
        (
            "record send (uncorrected)",
            "actual dispatch → final ack",
            &r.latency.record_send,
        ),
        ("request", "one sink request, send → response", &r.latency.request),
    ];
    for (name, what, s) in rows {
        put!(
            h,
            "<tr><td>{name}<div class=\"muted\" style=\"font-size:12px\">{what}</div></td>"
        );
        put!(h, "<td class=\"n\">{}</td>", count(s.count));
        for v in [s.mean_ms, s.p50_ms, s.p90_ms, s.p99_ms, s.p999_ms, s.max_ms] {
            if s.count == 0 {
                h.push_str("<td class=\"n muted\">—</td>");
            } else {
                put!(h, "<td class=\"n\">{}</td>", ms(v));
            }
        }
        h.push_str("</tr>\n");
    }
    put!(
        h,
        "<tr><td>schedule lag<div class=\"muted\" style=\"font-size:12px\">intended send time → dispatch</div></td>\
         <td class=\"n muted\">—</td><td class=\"n muted\">—</td><td class=\"n muted\">—</td><td class=\"n muted\">—</td>\
         <td class=\"n\">{}</td><td class=\"n muted\">—</td><td class=\"n\">{}</td></tr>\n",
        ms(r.lag.p99_ms),
        ms(r.lag.max_ms)
    );
    h.push_str("</table>\n</section>\n");
}

fn errors(h: &mut String, r: &Report) {
    h.push_str("<section id=\"errors\">\n<h2>Errors by code</h2>\n");
    let mut v: Vec<(&String, &u64)> = r.errors.iter().filter(|(_, n)| **n > 0).collect();
    if v.is_empty() {
        h.push_str("<p class=\"empty\">No errors: no record failed or was rejected.</p>\n</section>\n");
        return;
    }
    v.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    let offered = r.totals.offered.max(1) as f64;
    h.push_str("<table>\n<tr><th>code</th><th class=\"n\">records</th><th class=\"n\">of offered</th></tr>\n");
    for (code, n) in v {
        put!(
            h,
            "<tr><td class=\"mono wrap\">{}</td><td class=\"n\">{}</td><td class=\"n\">{:.3}%</td></tr>\n",
            esc(code),
            count(*n),
            100.0 * *n as f64 / offered
        );
    }
    h.push_str("</table>\n</section>\n");
}

fn per_second_table(h: &mut String, rows: &[TimelineRow]) {
    if rows.is_empty() {
        return;
    }
    put!(
        h,
        "<details>\n<summary>Per-second data ({} {})</summary>\n<table>\n<tr><th class=\"n\">t</th>\
         <th class=\"n\">offered</th><th class=\"n\">delivered</th><th class=\"n\">failed</th>\
         <th class=\"n\">throttled</th><th class=\"n\">bytes</th><th class=\"n\">p99</th><th class=\"n\">max lag</th></tr>\n",
        count(rows.len() as u64),
        if rows.len() == 1 { "row" } else { "rows" }
    );
    for row in rows.iter().take(MAX_TABLE_ROWS) {
        put!(
            h,
            "<tr><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
            time_label(row.t_s),
            count(row.offered),
            count(row.sent),
            count(row.failed),
            count(row.throttled),
            bytes(row.bytes as f64),
            ms(row.p99_ms),
            ms(row.lag_ms)
        );
    }
    if rows.len() > MAX_TABLE_ROWS {
        put!(
            h,
            "<tr><td colspan=\"8\" class=\"empty\">… {} more rows in <code>script#kdg-timeline</code></td></tr>\n",
            rows.len() - MAX_TABLE_ROWS
        );
    }
    h.push_str("</table>\n</details>\n");
}

/// HTML-escape text for element content and quoted attribute values.
fn esc(s: &str) -> Cow<'_, str> {
    if !s.contains(['&', '<', '>', '"', '\'']) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// JSON for a `<script type="application/json">` block: `<`, `>` and `&` only occur inside JSON
/// strings, where their `\u` escapes mean the same, so `</script>` and `<!--` cannot appear.
fn script_json(v: &impl Serialize) -> String {
    let json = serde_json::to_string(v).unwrap_or_else(|_| "null".to_owned());
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// `1.500` → `1.5`, `2.000` → `2`.
fn trim(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s.to_owned()
    }
}

/// The binary unit that suits `peak` bytes, as (divisor, name).
fn binary_unit(peak: f64) -> (f64, &'static str) {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut div = 1.0;
    let mut unit = UNITS[0];
    for u in &UNITS[1..] {
        if peak < div * 1024.0 {
            break;
        }
        div *= 1024.0;
        unit = u;
    }
    (div, unit)
}

#[cfg(test)]
mod tests {
    use super::chart::{LEFT, MAX_POINTS, RIGHT, TOP};
    use super::*;
    use crate::report::tests::realistic;
    use crate::stats::ShardCounts;

    /// 60 seconds at about 1,000 records/s with a throttling burst in the middle.
    fn rows(n: u64) -> Vec<TimelineRow> {
        (0..n)
            .map(|t| {
                let burst = (20..30).contains(&t);
                TimelineRow {
                    unix_s: 0,
                    t_s: t,
                    offered: 1000,
                    sent: if burst { 850 } else { 1000 },
                    failed: u64::from(t == 25),
                    throttled: if burst { 40 + t } else { 0 },
                    bytes: 412_000,
                    p99_ms: if burst { 180.0 } else { 40.0 + (t % 7) as f64 },
                    lag_ms: 0.4 + (t % 5) as f64 * 0.1,
                    partial: false,
                }
            })
            .collect()
    }

    fn html(r: &Report, rows: &[TimelineRow]) -> String {
        let mut out = Vec::new();
        write_html(r, rows, &mut out).expect("writes");
        String::from_utf8(out).expect("utf-8")
    }

    fn with_shards(mut r: Report) -> Report {
        r.shards.insert(
            "shardId-000000000000".into(),
            ShardCounts {
                accepted: 31_000,
                throttled: 900,
            },
        );
        r.shards.insert(
            "shardId-000000000001".into(),
            ShardCounts {
                accepted: 28_997,
                throttled: 334,
            },
        );
        r
    }

    /// The values of every `attr="…"` in `h`.
    fn attr_values<'h>(h: &'h str, attr: &str) -> Vec<&'h str> {
        let needle = format!("{attr}=\"");
        h.match_indices(&needle)
            .map(|(i, _)| {
                let rest = &h[i + needle.len()..];
                &rest[..rest.find('"').expect("closing quote")]
            })
            .collect()
    }

    #[test]
    fn a_passing_run_has_every_section_and_the_plots() {
        let r = with_shards(realistic(0, 0));
        let h = html(&r, &rows(60));
        assert!(h.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
        assert!(h.ends_with("</html>\n"));
        assert!(h.contains("<title>kdg report: PASS, 995.9 records/s, 2026-03-01T12:00:00.250Z</title>"));
        assert!(h.contains("<header class=\"verdict pass\" id=\"outcome\">\n<div class=\"badge\">PASS</div>"));
        for id in [
            "id=\"run\"",
            "id=\"totals\"",
            "id=\"timeline\"",
            "id=\"shards\"",
            "id=\"latency\"",
            "id=\"errors\"",
            "id=\"chart-rate\"",
            "id=\"chart-throttles\"",
            "id=\"chart-p99\"",
            "id=\"chart-lag\"",
            "id=\"chart-bytes\"",
            "id=\"chart-shards\"",
        ] {
            assert!(h.contains(id), "missing {id}");
        }
        // Run identity and the config echo as a table.
        assert!(h.contains(&format!(
            "<td>kdg version</td><td class=\"wrap\">{}</td>",
            env!("CARGO_PKG_VERSION")
        )));
        assert!(h.contains("<td>started (UTC)</td><td class=\"wrap\">2026-03-01T12:00:00.250Z</td>"));
        assert!(h.contains("<td>elapsed</td><td class=\"wrap\">60.25 s (1m 00s)</td>"));
        assert!(h.contains("<td class=\"mono\">target.kinesis</td><td class=\"wrap\">orders</td>"));
        assert!(h.contains("<td class=\"mono\">rate</td><td class=\"wrap\">1000.0</td>"));
        // Totals.
        assert!(h.contains("<div class=\"v\">995.9</div><div class=\"s\">99.6% of target</div>"));
        assert!(h.contains("<div class=\"k\">throttled</div><div class=\"v\">1,234</div>"));
        // One polyline per line: offered, delivered, target; throttled, failed; p99 ×2; lag ×2;
        // bytes.
        let series = attr_values(&h, "data-series");
        assert_eq!(
            series,
            [
                "offered",
                "delivered",
                "target",
                "throttled",
                "failed",
                "p99 in the second",
                "whole-run p99",
                "max lag in the second",
                "whole-run p99",
                "delivered bytes"
            ]
        );
        assert_eq!(h.matches("<polyline").count(), 10);
        let delivered = h
            .split("data-series=\"delivered\"")
            .nth(1)
            .and_then(|s| attr_values(s, "points").first().copied())
            .expect("delivered points");
        assert_eq!(delivered.split(' ').count(), 60, "one point per second");
        // The flat target line sits at 1,000 records/s on a 0–1,000 axis: the top of the plot.
        let target = between(&h, "data-series=\"target\"", "</polyline>");
        let target = attr_values(target, "points")[0];
        assert_eq!(target, format!("{LEFT:.1},{TOP:.1} {:.1},{TOP:.1}", W - RIGHT));
        // Shards: bars, and the hottest one named.
        assert_eq!(h.matches("<rect class=\"bar\"").count(), 4);
        assert!(h.contains("hottest <code>shardId-000000000000</code> at 514.5 records/s (1.03× the mean)"));
        // Latency table and errors.
        for row in ["record e2e (corrected)", "record send (uncorrected)", "<td>request<"] {
            assert!(h.contains(row), "missing {row}");
        }
        assert!(h.contains("No errors: no record failed or was rejected."));
        // The embedded JSON parses back to the report and the timeline.
        let json = between(&h, "<script type=\"application/json\" id=\"kdg-report\">", "</script>");
        let back: Report = serde_json::from_str(json).expect("embedded report parses");
        assert_eq!(back.totals, r.totals);
        assert_eq!(back.histograms, r.histograms);
        let tl = between(
            &h,
            "<script type=\"application/json\" id=\"kdg-timeline\">",
            "</script>",
        );
        let tl: Vec<TimelineRow> = serde_json::from_str(tl).expect("embedded timeline parses");
        assert_eq!(tl, rows(60));
    }

    fn between<'h>(h: &'h str, start: &str, end: &str) -> &'h str {
        let from = h.find(start).unwrap_or_else(|| panic!("no {start}")) + start.len();
        &h[from..from + h[from..].find(end).expect("end")]
    }

    #[test]
    fn a_failed_run_shows_fail_reasons_errors_and_the_generator_note() {
        let mut r = realistic(2, 5);
        r.generator_bound = true;
        let h = html(&r, &rows(60));
        assert!(h.contains("<header class=\"verdict fail\" id=\"outcome\">\n<div class=\"badge\">FAIL</div>"));
        assert!(h.contains("<li>2 records failed</li>\n<li>5 records were rejected as invalid</li>"));
        assert!(h.contains("<title>kdg report: FAIL,"));
        assert!(h.contains("<strong>Generator-bound:</strong>"));
        let errors = between(&h, "<h2>Errors by code</h2>", "</section>");
        let first = errors.find("RecordTooLarge").expect("RecordTooLarge");
        let second = errors.find("ProvisionedThroughputExceededException").expect("PTEE");
        assert!(first < second, "largest count first");
        assert!(h.contains("<div class=\"card bad\"><div class=\"k\">failed</div><div class=\"v\">2</div>"));
        assert!(h.contains("No per-shard data"));
    }

    #[test]
    fn text_from_the_run_is_escaped() {
        let mut r = realistic(1, 0);
        let evil = "<script>alert(\"x\")</script>&'";
        r.errors.insert(evil.into(), 7);
        r.config["note"] = Value::String(evil.into());
        r.config["<img src=x onerror=alert(1)>"] = Value::Bool(true);
        r.shards.insert(evil.into(), ShardCounts::default());
        r.outcome.reasons.push(evil.into());
        let h = html(&r, &rows(3));
        let escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;";
        assert!(h.contains(&format!("<td class=\"mono wrap\">{escaped}</td><td class=\"n\">7</td>")));
        assert!(h.contains(&format!(
            "<td class=\"mono\">note</td><td class=\"wrap\">{escaped}</td>"
        )));
        assert!(h.contains(&format!("<li>{escaped}</li>")));
        assert!(h.contains("&lt;img src=x onerror=alert(1)&gt;"));
        assert!(!h.contains("<img"));
        assert!(!h.contains("alert(\""), "no raw quote-bearing payload anywhere");
        // Only the two JSON data blocks are script elements, and the payload cannot close them.
        assert_eq!(h.matches("<script").count(), 2);
        assert_eq!(h.matches("</script>").count(), 2);
        let json = between(&h, "id=\"kdg-report\">", "</script>");
        assert!(json.contains("\\u003cscript\\u003ealert"));
        let back: Report = serde_json::from_str(json).expect("parses");
        assert_eq!(back.errors[evil], 7);
        assert_eq!(back.config["note"], evil);
    }

    #[test]
    fn nothing_is_loaded_from_the_network() {
        let mut r = with_shards(realistic(3, 0));
        // A URL in the config is shown as text, never used as a resource.
        r.config["endpoint_url"] = Value::String("https://kinesis.example.com/".into());
        let h = html(&r, &rows(60));
        for attr in ["src", "href", "xlink:href", "action", "srcset"] {
            for v in attr_values(&h, attr) {
                assert!(v.starts_with('#'), "{attr}=\"{v}\" is not a local anchor");
            }
        }
        assert!(!h.contains("@import") && !h.contains("url("));
        assert!(!h.contains("<link") && !h.contains("<iframe") && !h.contains("<img"));
        assert!(h.contains("content=\"default-src 'none';"));
        let without_config = h.replace("https://kinesis.example.com/", "");
        assert!(
            !without_config.contains("http://") && !without_config.contains("https://"),
            "no network address other than the config value"
        );
    }

    #[test]
    fn empty_inputs_still_make_a_page() {
        let mut r = realistic(0, 0);
        r.target_rps = None;
        r.config = Value::Object(Default::default());
        r.latency.request.count = 0;
        let h = html(&r, &[]);
        assert!(h.contains("No per-second data"));
        assert!(h.contains("No per-shard data"));
        assert!(h.contains("no configuration recorded"));
        assert!(h.contains("flat out (no rate limit)"));
        assert!(!h.contains("<polyline"));
        assert!(h.ends_with("</html>\n"));

        // One second: markers, since a one-point line draws nothing; no target line.
        let h = html(&r, &rows(1));
        assert!(h.contains("<em>no target: flat out</em>"));
        assert!(!attr_values(&h, "data-series").contains(&"target"));
        assert!(h.contains("<circle cx="));
    }

    #[test]
    fn a_partial_last_second_is_not_plotted() {
        let r = realistic(0, 0);
        // 60.25 s: rows 0–59 are whole seconds, row 60 covers 0.25 s.
        let mut tail = rows(61);
        tail[60].sent = 250;
        let h = html(&r, &tail);
        assert!(h.contains("The last row (1m, 0.25 s long) covers only part of a second and is not plotted"));
        let delivered = between(&h, "data-series=\"delivered\"", "</polyline>");
        assert_eq!(attr_values(delivered, "points")[0].split(' ').count(), 60);
        assert!(h.contains("Per-second data (61 rows)"), "the table keeps it");
        // Whole seconds only, or a single row: everything is plotted.
        assert!(!html(&r, &rows(60)).contains("id=\"partial-second\""));
        assert!(html(&r, &rows(1)[..]).contains("<polyline"));
    }

    #[test]
    fn long_runs_are_reduced_to_an_envelope_that_keeps_spikes() {
        let base = rows(1)[0];
        let long: Vec<TimelineRow> = (0..86_400u64)
            .map(|t| TimelineRow {
                unix_s: 0,
                t_s: t,
                throttled: if t == 40_001 { 10_000 } else { 0 },
                ..base
            })
            .collect();
        let r = realistic(0, 0);
        let h = html(&r, &long);
        let throttled = between(&h, "data-series=\"throttled\"", "</polyline>");
        let pts = attr_values(throttled, "points")[0];
        assert!(pts.split(' ').count() <= MAX_POINTS + 2);
        assert!(
            pts.contains(&format!(",{TOP:.1}")),
            "the one-second spike reaches the top"
        );
        assert!(h.contains("86,400 rows"));
        assert!(h.contains("more rows in <code>script#kdg-timeline</code>"));
        let svg: usize = h.split("<svg").skip(1).map(|s| s.find("</svg>").unwrap_or(0)).sum();
        assert!(svg < 400_000, "the plots stay small: {svg} bytes");
    }

    #[test]
    fn count_charts_have_whole_ticks_and_say_when_all_zero() {
        let r = realistic(0, 0);
        let mut few = rows(60);
        for row in &mut few {
            row.throttled = 0;
            row.failed = u64::from(row.t_s == 3) * 3;
        }
        let h = html(&r, &few);
        let throttles = between(&h, "id=\"chart-throttles\"", "</svg>");
        for label in ["0", "1", "2", "3"] {
            assert!(
                throttles.contains(&format!("text-anchor=\"end\">{label}</text>")),
                "{throttles}"
            );
        }
        assert!(!throttles.contains(".5</text>") && !throttles.contains("all zero"));
        for row in &mut few {
            row.failed = 0;
        }
        let h = html(&r, &few);
        let throttles = between(&h, "id=\"chart-throttles\"", "</svg>");
        assert!(throttles.contains("<li><em>all zero during the run</em></li>"));
        assert!(throttles.contains("text-anchor=\"end\">1</text>"));
    }

    #[test]
    fn durations_and_escapes_are_exact() {
        let d = |s: u64, n: u64| {
            let v = serde_json::json!({ "secs": s, "nanos": n });
            duration(v.as_object().expect("object"))
        };
        assert_eq!(d(0, 1_000_000).as_deref(), Some("1 ms"));
        assert_eq!(d(60, 0).as_deref(), Some("60 s"));
        assert_eq!(d(1, 500_000_000).as_deref(), Some("1.5 s"));
        assert_eq!(esc("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
        assert_eq!(
            script_json(&"</script><!--&"),
            r#""\u003c/script\u003e\u003c!--\u0026""#
        );
    }
}
