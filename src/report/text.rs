//! The human-readable end-of-run summary (printed to stderr unless `--quiet`).
//!
//! Plain aligned text, no colour or terminal control, so it reads the same in a terminal, a CI
//! log or a file. Modelled on hyperfine's and oha's summaries and kafka-producer-perf-test's
//! one-liner: the rate first, then the counts, then the latency table, then the verdict.

use std::io::{self, Write};

use super::Report;
use crate::stats::LatencySummary;

/// Width of the label column.
const LABEL: usize = 27;
/// Width of each number column in the latency table.
const CELL: usize = 11;

/// Write `report` as an aligned text summary.
///
/// # Errors
/// Writing to `w` failed.
pub fn write_text(report: &Report, w: &mut impl Write) -> io::Result<()> {
    let r = report;
    let c = &r.totals;
    let by = match &r.signal {
        Some(signal) => format!("{} ({signal})", r.stopped_by.as_str()),
        None => r.stopped_by.as_str().to_owned(),
    };
    writeln!(w, "kdg {}: stopped by {by}", r.kdg_version)?;
    writeln!(w, "  {:<LABEL$}{}", "started", r.started_at)?;
    writeln!(w, "  {:<LABEL$}{}", "ended", r.ended_at)?;
    writeln!(w, "  {:<LABEL$}{}", "elapsed", secs(r.elapsed_s))?;
    // The seed that reproduces the records (`--seed`), as the configuration echo holds it.
    if let Some(seed) = r.config.pointer("/template/seed").filter(|s| !s.is_null()) {
        writeln!(
            w,
            "  {:<LABEL$}{}",
            "seed",
            seed.as_str().map_or_else(|| seed.to_string(), str::to_owned)
        )?;
    }
    if let Some(d) = &r.drain {
        let cut = if d.cut_off > 0 {
            format!(
                "; {} records still pending at the {} timeout failed as DrainTimeout",
                count(d.cut_off),
                secs(d.timeout_ms / 1e3)
            )
        } else {
            String::new()
        };
        writeln!(w, "  {:<LABEL$}{}{cut}", "drained in", secs(d.ms / 1e3))?;
    }

    writeln!(w)?;
    writeln!(w, "Rate")?;
    match r.target_rps {
        Some(t) => writeln!(w, "  {:<LABEL$}{} records/s", "target", rate(t))?,
        None => writeln!(w, "  {:<LABEL$}flat out (no rate limit)", "target")?,
    }
    let share = match r.target_rps {
        Some(t) if t > 0.0 => format!(" ({:.1}% of target)", 100.0 * r.achieved_rps / t),
        _ => String::new(),
    };
    writeln!(w, "  {:<LABEL$}{} records/s{share}", "achieved", rate(r.achieved_rps))?;
    writeln!(
        w,
        "  {:<LABEL$}{}/s ({} delivered)",
        "throughput",
        bytes(r.bytes_per_s),
        bytes(c.bytes as f64)
    )?;
    if let Some(b) = &r.backfill {
        // The rates above are per real second; a backfill's own are per simulated one.
        let speed = b
            .speed
            .map_or_else(|| "flat out".to_string(), |x| format!("{}×", rate(x)));
        writeln!(
            w,
            "  {:<LABEL$}{} .. {} ({} at {speed})",
            "simulated",
            b.from,
            b.to,
            secs(b.simulated_s)
        )?;
        let target = b
            .simulated_target_rps
            .map_or_else(String::new, |t| format!("target {} records/s, ", rate(t)));
        writeln!(
            w,
            "  {:<LABEL$}{target}delivered {} records/s",
            "per sim. second",
            rate(b.simulated_achieved_rps)
        )?;
    }

    writeln!(w)?;
    writeln!(w, "Records")?;
    let rows = [
        ("offered", c.offered),
        ("delivered", c.delivered),
        ("failed", c.failed),
        ("rejected", c.rejected),
        ("throttled", c.throttled),
        ("retried", c.retried),
        ("requests", c.requests),
    ];
    let width = rows.iter().map(|(_, n)| count(*n).len()).max().unwrap_or(1);
    for (label, n) in rows {
        if label == "requests" && n == 0 {
            // Local sinks (stdout, a file, null) make no requests.
            continue;
        }
        let extra = match label {
            "requests" if n > 0 => format!("   ({:.1} records/request)", c.delivered as f64 / n as f64),
            "delivered" if n > 0 => format!("   ({} per record)", bytes(c.bytes as f64 / n as f64)),
            _ => String::new(),
        };
        writeln!(w, "  {:<LABEL$}{:>width$}{extra}", label, count(n))?;
    }
    if c.destination_records > 0 && c.destination_records != c.delivered {
        writeln!(
            w,
            "  {:<LABEL$}{:>width$}   ({:.1} records each, --aggregate)",
            "packed into",
            count(c.destination_records),
            c.delivered as f64 / c.destination_records as f64
        )?;
    }
    if c.duplicates > 0 {
        writeln!(
            w,
            "  {:<LABEL$}{:>width$}   (sent twice on purpose, included above)",
            "duplicates",
            count(c.duplicates)
        )?;
    }

    let latencies = [
        ("record e2e (corrected)", &r.latency.record_e2e),
        ("record send (uncorrected)", &r.latency.record_send),
        ("request", &r.latency.request),
    ];
    if latencies.iter().any(|(_, s)| s.count > 0) {
        writeln!(w)?;
        write!(w, "{:<w$}", "Latency", w = LABEL + 2)?;
        for h in ["count", "p50", "p90", "p99", "p99.9", "max"] {
            write!(w, "{h:>CELL$}")?;
        }
        writeln!(w)?;
        for (label, s) in latencies {
            if s.count > 0 {
                latency_row(w, label, s)?;
            }
        }
    }

    writeln!(w)?;
    writeln!(
        w,
        "{:<w$}p99 {}, max {}, final {}",
        "Schedule lag",
        ms(r.lag.p99_ms),
        ms(r.lag.max_ms),
        ms(r.lag.final_ms),
        w = LABEL + 2
    )?;

    if r.errors.values().any(|n| *n > 0) {
        writeln!(w)?;
        writeln!(w, "Errors")?;
        let mut errors: Vec<(&String, &u64)> = r.errors.iter().filter(|(_, n)| **n > 0).collect();
        errors.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        let code_w = errors
            .iter()
            .map(|(code, _)| code.len() + 2)
            .max()
            .unwrap_or(0)
            .max(LABEL);
        let n_w = errors.iter().map(|(_, n)| count(**n).len()).max().unwrap_or(1);
        for (code, n) in errors {
            writeln!(w, "  {code:<code_w$}{:>n_w$}", count(*n))?;
        }
    }

    if let Some(v) = &r.verify {
        writeln!(w)?;
        match &v.incomplete {
            None => writeln!(w, "Verified by reading the stream back")?,
            Some(why) => writeln!(w, "Verification incomplete: {why}")?,
        }
        writeln!(
            w,
            "  acknowledged {}, delivered {}, missing {}, duplicated {}, foreign {} ({} records read)",
            count(v.acknowledged),
            count(v.delivered),
            count(v.missing),
            count(v.duplicated),
            count(v.foreign),
            count(v.read)
        )?;
        writeln!(
            w,
            "  send → arrival (the stream's ApproximateArrivalTimestamp) p50 {} p99 {}",
            ms(v.arrival.p50_ms),
            ms(v.arrival.p99_ms),
        )?;
        // Read back after the load: the wait is the verifier's, not the stream's.
        writeln!(
            w,
            "  read back after the run in {:.1} s (send → read back p99 {}: mostly that wait)",
            v.read_back_ms / 1e3,
            ms(v.readable.p99_ms)
        )?;
    }

    if !r.shards.is_empty() {
        writeln!(w)?;
        let secs = r.elapsed_s.max(1e-9);
        writeln!(
            w,
            "{:<w$}{:>12}{:>12}{:>12}",
            "Shards",
            "accepted",
            "per second",
            "throttled",
            w = LABEL + 2
        )?;
        for (shard, c) in &r.shards {
            let rate = c.accepted as f64 / secs;
            writeln!(
                w,
                "  {shard:<LABEL$}{:>12}{:>12}{:>12}",
                count(c.accepted),
                format!("{rate:.0}"),
                count(c.throttled)
            )?;
        }
    }

    if r.generator_bound {
        writeln!(w)?;
        writeln!(
            w,
            "generator-bound: the schedule fell behind without throttling; the numbers measure this machine, not the stream"
        )?;
    }
    if r.sink_bound {
        writeln!(w)?;
        writeln!(
            w,
            "destination-bound: the schedule fell behind without throttling while the workers waited on the destination's \
             responses (request p99 {}): slow or stalled requests, not this machine, were the limit",
            ms(r.latency.request.p99_ms)
        )?;
    }

    writeln!(w)?;
    if r.outcome.exit_code == 0 {
        writeln!(w, "Result: PASS (exit 0)")?;
    } else {
        writeln!(w, "Result: FAIL (exit {})", r.outcome.exit_code)?;
        for reason in &r.outcome.reasons {
            writeln!(w, "  - {reason}")?;
        }
    }
    Ok(())
}

fn latency_row(w: &mut impl Write, label: &str, s: &LatencySummary) -> io::Result<()> {
    write!(w, "  {label:<LABEL$}{:>CELL$}", count(s.count))?;
    for v in [s.p50_ms, s.p90_ms, s.p99_ms, s.p999_ms, s.max_ms] {
        write!(w, "{:>CELL$}", ms(v))?;
    }
    writeln!(w)
}

/// `1,234,567`.
pub(super) fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// A rate: `12.34`, `998.7`, `12,345.6`, `1.23M`.
pub(super) fn rate(x: f64) -> String {
    if !x.is_finite() || x < 0.0 {
        return "0".to_owned();
    }
    if x >= 1e6 {
        format!("{:.2}M", x / 1e6)
    } else if x >= 100.0 {
        let tenths = (x * 10.0).round() as u64;
        format!("{}.{}", count(tenths / 10), tenths % 10)
    } else {
        format!("{x:.2}")
    }
}

/// Milliseconds with about three significant figures: `0.123 ms`, `1.23 ms`, `12.3 ms`,
/// `123 ms`, `12,345 ms`.
pub(super) fn ms(x: f64) -> String {
    if !x.is_finite() || x <= 0.0 {
        "0 ms".to_owned()
    } else if x < 1.0 {
        format!("{x:.3} ms")
    } else if x < 10.0 {
        format!("{x:.2} ms")
    } else if x < 100.0 {
        format!("{x:.1} ms")
    } else {
        format!("{} ms", count(x.round() as u64))
    }
}

/// Binary units: `412 B`, `1.50 KiB`, `23.57 MiB`.
pub(super) fn bytes(x: f64) -> String {
    crate::units::human_bytes(x)
}

/// `4.20 s`, `60.25 s (1m 00s)`.
pub(super) fn secs(x: f64) -> String {
    if x >= 60.0 {
        let whole = x.round() as u64;
        let (h, m, s) = (whole / 3600, whole / 60 % 60, whole % 60);
        let hms = if h > 0 {
            format!("{h}h {m:02}m {s:02}s")
        } else {
            format!("{m}m {s:02}s")
        };
        format!("{x:.2} s ({hms})")
    } else {
        format!("{x:.2} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::realistic;
    use crate::report::StopReason;

    fn text(r: &Report) -> String {
        let mut out = Vec::new();
        write_text(r, &mut out).expect("writes");
        String::from_utf8(out).expect("utf-8")
    }

    fn line<'t>(text: &'t str, start: &str) -> &'t str {
        text.lines()
            .find(|l| l.trim_start().starts_with(start))
            .unwrap_or_else(|| panic!("no `{start}` line in\n{text}"))
    }

    #[test]
    fn a_clean_run_shows_rate_counts_latency_and_pass() {
        let t = text(&realistic(0, 0));
        assert!(
            t.starts_with(&format!("kdg {}: stopped by duration\n", env!("CARGO_PKG_VERSION"))),
            "{t}"
        );
        assert!(line(&t, "target").ends_with("1,000.0 records/s"), "{t}");
        assert!(
            line(&t, "achieved").contains("995.9 records/s (99.6% of target)"),
            "{t}"
        );
        assert!(line(&t, "throughput").contains("KiB/s") && line(&t, "throughput").contains("23.57 MiB delivered"));
        assert!(line(&t, "elapsed").ends_with("60.25 s (1m 00s)"));
        assert!(line(&t, "offered").ends_with("60,000"));
        assert!(line(&t, "delivered").contains("60,000   (412 B per record)"), "{t}");
        assert!(line(&t, "throttled").ends_with("1,234"));
        assert!(line(&t, "requests").contains("(461.5 records/request)"));
        let header = line(&t, "Latency");
        for col in ["count", "p50", "p90", "p99", "p99.9", "max"] {
            assert!(header.contains(col), "{header}");
        }
        let e2e = line(&t, "record e2e (corrected)");
        assert!(e2e.contains("60,000") && e2e.contains(" ms"), "{e2e}");
        assert!(line(&t, "record send (uncorrected)").contains(" ms"));
        assert!(line(&t, "request").contains("130"));
        assert!(line(&t, "Schedule lag").contains("final 0.420 ms"), "{t}");
        assert!(!t.contains("Errors"));
        assert!(!t.contains("generator-bound"));
        assert!(t.ends_with("Result: PASS (exit 0)\n"), "{t}");
    }

    #[test]
    fn columns_line_up() {
        let t = text(&realistic(0, 0));
        let header = line(&t, "Latency");
        let row = line(&t, "record e2e");
        assert_eq!(header.len(), row.len(), "\n{header}\n{row}");
        let counts: Vec<usize> = ["offered", "delivered", "failed"]
            .iter()
            .map(|l| line(&t, l).find(|c: char| c.is_ascii_digit()).unwrap_or(0))
            .collect();
        assert!(counts[2] > counts[0], "small numbers are right-aligned: {counts:?}");
    }

    #[test]
    fn a_destination_bound_run_says_so_and_not_generator_bound() {
        let mut r = realistic(2, 5);
        r.sink_bound = true;
        let t = text(&r);
        assert!(
            t.contains("destination-bound: the schedule fell behind without throttling"),
            "{t}"
        );
        assert!(!t.contains("generator-bound"), "{t}");
    }

    #[test]
    fn failures_show_errors_by_count_and_the_verdict() {
        let mut r = realistic(2, 5);
        r.generator_bound = true;
        let t = text(&r);
        let errors = t.split("Errors\n").nth(1).expect("an Errors section");
        let first = errors.lines().next().expect("a line");
        assert!(
            first.trim_start().starts_with("RecordTooLarge") && first.ends_with('5'),
            "{t}"
        );
        let second = errors.lines().nth(1).expect("a line");
        assert_eq!(
            second.split_whitespace().collect::<Vec<_>>(),
            ["ProvisionedThroughputExceededException", "2"]
        );
        assert_eq!(first.len(), second.len(), "counts line up:\n{first}\n{second}");
        assert!(t.contains(
            "generator-bound: the schedule fell behind without throttling; the numbers measure this machine, not the stream"
        ));
        assert!(
            t.contains("Result: FAIL (exit 1)\n  - 2 records failed\n  - 5 records were rejected as invalid\n"),
            "{t}"
        );
    }

    #[test]
    fn empty_latency_rows_and_flat_out_target() {
        let mut r = realistic(0, 0);
        r.latency.request.count = 0;
        r.target_rps = None;
        r.stopped_by = StopReason::Interrupt;
        r.signal = Some("SIGTERM".into());
        r.config = serde_json::json!({"template": {"seed": 1234567890123456789u64}});
        r.drain = Some(crate::report::Drain {
            ms: 2500.0,
            timeout_ms: 2000.0,
            cut_off: 42,
        });
        let t = text(&r);
        assert!(
            line(&t, "drained in").contains("42 records still pending at the 2.00 s timeout"),
            "{t}"
        );
        assert!(line(&t, "seed").ends_with("1234567890123456789"), "{t}");
        assert!(!t.lines().any(|l| l.trim_start().starts_with("request ")), "{t}");
        assert!(line(&t, "target").ends_with("flat out (no rate limit)"));
        assert!(!line(&t, "achieved").contains("of target"));
        assert!(t.starts_with(&format!(
            "kdg {}: stopped by interrupt (SIGTERM)",
            env!("CARGO_PKG_VERSION")
        )));

        r.latency.record_e2e.count = 0;
        r.latency.record_send.count = 0;
        assert!(!text(&r).contains("Latency"));
    }

    #[test]
    fn numbers_are_readable() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(rate(12.345), "12.35");
        assert_eq!(rate(998.66), "998.7");
        assert_eq!(rate(12_345.64), "12,345.6");
        assert_eq!(rate(1_234_567.0), "1.23M");
        assert_eq!(ms(0.0), "0 ms");
        assert_eq!(ms(0.1234), "0.123 ms");
        assert_eq!(ms(1.234), "1.23 ms");
        assert_eq!(ms(12.34), "12.3 ms");
        assert_eq!(ms(123.4), "123 ms");
        assert_eq!(ms(12_345.6), "12,346 ms");
        assert_eq!(bytes(412.0), "412 B");
        assert_eq!(bytes(1536.0), "1.50 KiB");
        assert_eq!(bytes(5.0 * 1024.0 * 1024.0), "5.00 MiB");
        assert_eq!(bytes(3.0 * 1024f64.powi(3)), "3.00 GiB");
        assert_eq!(secs(4.2), "4.20 s");
        assert_eq!(secs(3725.0), "3725.00 s (1h 02m 05s)");
    }
}
