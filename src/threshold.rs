//! `--threshold` conditions: parsed before the run, checked against the final report.
//!
//! Grammar: `METRIC OP VALUE[UNIT]` with `OP` one of `<`, `<=`, `>`, `>=`, `==`, `!=`.
//! Latency metrics (`p50`, `p90`, `p99`, `p999`/`p99.9`, `max`, `mean`: corrected record latency;
//! `send_p99`…: uncorrected; `request_p99`…: per request) take `ms` (default), `s` or `us`.
//! Count metrics (`throttled`, `failed`, `lost` = failed, `rejected`, `retried`) are counts, or a
//! share of attempted records when the value ends in `%`. `achieved_rps`/`rps` is records/s
//! (`10k` works); `lag` is the final schedule lag in ms.

use crate::report::Report;

/// A threshold that could not be parsed: where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--threshold '{expr}': column {column}: {message}")]
pub struct ThresholdError {
    /// The expression as given.
    pub expr: String,
    /// 1-based column of the problem.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
}

impl Op {
    fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Op::Lt => a < b,
            Op::Le => a <= b,
            Op::Gt => a > b,
            Op::Ge => a >= b,
            Op::Eq => a == b,
            Op::Ne => a != b,
        }
    }
}

/// One parsed `--threshold`.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// The expression as given.
    pub expr: String,
    metric: Metric,
    op: Op,
    value: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Metric {
    /// A latency percentile (0..=100; 100 = max; -1 = mean) of a histogram, in ms.
    Latency(Histogram, f64),
    /// A count, or its share of attempted records.
    Count(CountKind, bool),
    Rps,
    Lag,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Histogram {
    E2e,
    Send,
    Request,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum CountKind {
    Throttled,
    Failed,
    Rejected,
    Retried,
}

const METRICS: &str = "p50, p90, p99, p999, max, mean (also send_… and request_…), throttled, failed, lost, \
                       rejected, retried, achieved_rps, lag";

/// The result of checking one threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// Whether the run met it.
    pub passed: bool,
    /// The measured value, formatted.
    pub actual: String,
    /// `p99<200ms: 153.2 ms (passed)`.
    pub text: String,
}

impl Threshold {
    /// Parse an expression such as `p99<200ms` or `throttled<1%`.
    ///
    /// # Errors
    /// An unknown metric, a missing or unknown operator, a value that is not a number.
    pub fn parse(expr: &str) -> Result<Threshold, ThresholdError> {
        let err = |column: usize, message: String| ThresholdError {
            expr: expr.to_string(),
            column,
            message,
        };
        let op_at = expr
            .find(['<', '>', '=', '!'])
            .ok_or_else(|| err(expr.len() + 1, "expected <, <=, >, >=, == or !=".into()))?;
        let name = expr[..op_at].trim();
        let rest = &expr[op_at..];
        let (op, len) = match rest.as_bytes() {
            [b'<', b'=', ..] => (Op::Le, 2),
            [b'>', b'=', ..] => (Op::Ge, 2),
            [b'=', b'=', ..] => (Op::Eq, 2),
            [b'!', b'=', ..] => (Op::Ne, 2),
            [b'<', ..] => (Op::Lt, 1),
            [b'>', ..] => (Op::Gt, 1),
            _ => return Err(err(op_at + 1, "expected <, <=, >, >=, == or !=".into())),
        };
        let value_at = op_at + len;
        let raw = expr[value_at..].trim();
        let value_col = value_at + (expr[value_at..].len() - expr[value_at..].trim_start().len()) + 1;
        if name.is_empty() {
            return Err(err(1, format!("expected a metric ({METRICS})")));
        }
        let latency = |h: Histogram, p: &str| -> Option<Metric> {
            let q = match p {
                "p50" => 50.0,
                "p90" => 90.0,
                "p99" => 99.0,
                "p999" | "p99.9" => 99.9,
                "max" => 100.0,
                "mean" => -1.0,
                _ => return None,
            };
            Some(Metric::Latency(h, q))
        };
        let percent = raw.ends_with('%');
        let metric = match name {
            "throttled" => Metric::Count(CountKind::Throttled, percent),
            "failed" | "lost" => Metric::Count(CountKind::Failed, percent),
            "rejected" => Metric::Count(CountKind::Rejected, percent),
            "retried" => Metric::Count(CountKind::Retried, percent),
            "achieved_rps" | "rps" => Metric::Rps,
            "lag" => Metric::Lag,
            n => n
                .strip_prefix("send_")
                .map(|p| latency(Histogram::Send, p))
                .or_else(|| n.strip_prefix("request_").map(|p| latency(Histogram::Request, p)))
                .unwrap_or_else(|| latency(Histogram::E2e, n))
                .ok_or_else(|| err(1, format!("unknown metric `{n}` ({METRICS})")))?,
        };
        let number = |s: &str| crate::units::parse_count_f64(s).ok();
        let value = match metric {
            Metric::Latency(..) | Metric::Lag => {
                let (num, scale) = if let Some(v) = raw.strip_suffix("ms") {
                    (v, 1.0)
                } else if let Some(v) = raw.strip_suffix("us") {
                    (v, 0.001)
                } else if let Some(v) = raw.strip_suffix('s') {
                    (v, 1000.0)
                } else {
                    (raw, 1.0)
                };
                number(num.trim()).map(|v| v * scale)
            }
            Metric::Count(_, true) => number(raw.trim_end_matches('%').trim()).map(|v| v / 100.0),
            Metric::Count(_, false) | Metric::Rps => number(raw),
        }
        .ok_or_else(|| err(value_col, format!("expected a number, got `{raw}`")))?;
        Ok(Threshold {
            expr: expr.to_string(),
            metric,
            op,
            value,
        })
    }

    /// Check against a finished run.
    pub fn check(&self, r: &Report) -> Check {
        let t = &r.totals;
        let (actual, shown) = match self.metric {
            Metric::Latency(h, q) => {
                let s = match h {
                    Histogram::E2e => &r.latency.record_e2e,
                    Histogram::Send => &r.latency.record_send,
                    Histogram::Request => &r.latency.request,
                };
                let v = match q {
                    x if x < 0.0 => s.mean_ms,
                    50.0 => s.p50_ms,
                    90.0 => s.p90_ms,
                    99.0 => s.p99_ms,
                    99.9 => s.p999_ms,
                    _ => s.max_ms,
                };
                (v, format!("{v:.3} ms"))
            }
            Metric::Count(kind, share) => {
                let n = match kind {
                    CountKind::Throttled => t.throttled,
                    CountKind::Failed => t.failed,
                    CountKind::Rejected => t.rejected,
                    CountKind::Retried => t.retried,
                } as f64;
                if share {
                    let v = if t.attempted == 0 { 0.0 } else { n / t.attempted as f64 };
                    (v, format!("{:.3}%", v * 100.0))
                } else {
                    (n, format!("{n:.0}"))
                }
            }
            Metric::Rps => (r.achieved_rps, format!("{:.1} records/s", r.achieved_rps)),
            Metric::Lag => (r.lag.final_ms, format!("{:.3} ms", r.lag.final_ms)),
        };
        let passed = self.op.holds(actual, self.value);
        let text = format!("{}: {shown} ({})", self.expr, if passed { "passed" } else { "MISSED" });
        Check {
            passed,
            actual: shown,
            text,
        }
    }
}

/// Check every threshold.
pub fn check_all(thresholds: &[Threshold], report: &Report) -> Vec<Check> {
    thresholds.iter().map(|t| t.check(report)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{ReportInput, StopReason};
    use crate::stats::Recorder;
    use std::time::Duration;

    fn report() -> Report {
        let mut rec = Recorder::default();
        rec.counters.attempted = 1000;
        rec.counters.delivered = 990;
        rec.counters.throttled = 20;
        rec.counters.failed = 10;
        for v in 1..=1000u64 {
            rec.e2e.record(Duration::from_micros(v * 100));
        }
        let t0: jiff::Timestamp = "2026-11-23T10:00:00Z".parse().unwrap();
        Report::build(ReportInput {
            started_at: t0,
            ended_at: t0,
            elapsed: Duration::from_secs(10),
            config: serde_json::json!({}),
            target_rps: Some(100.0),
            total: &rec,
            final_lag: Duration::from_millis(3),
            generator_bound: false,
            sink_bound: false,
            stopped_by: StopReason::Count,
            drain: None,
        })
    }

    fn check(expr: &str) -> bool {
        Threshold::parse(expr)
            .unwrap_or_else(|e| panic!("{e}"))
            .check(&report())
            .passed
    }

    #[test]
    fn latency_thresholds_take_units() {
        assert!(check("p99<200ms"));
        assert!(!check("p99<50ms"));
        assert!(check("p99 < 0.2s"));
        assert!(check("max<=100.1ms"));
        assert!(check("p50>=49ms"));
        assert!(check("send_p99==0"));
    }

    #[test]
    fn counts_and_shares() {
        assert!(check("throttled<3%"));
        assert!(!check("throttled<1%"));
        assert!(!check("lost==0"));
        assert!(check("failed<=10"));
        assert!(check("rejected==0"));
        assert!(check("achieved_rps>=99"));
        assert!(check("lag<5ms"));
    }

    #[test]
    fn errors_point_at_the_problem() {
        let e = Threshold::parse("p99<2x0ms").unwrap_err();
        assert_eq!(e.column, 5, "{e}");
        assert!(e
            .to_string()
            .starts_with("--threshold 'p99<2x0ms': column 5: expected a number"));
        assert!(Threshold::parse("p98<1ms")
            .unwrap_err()
            .message
            .contains("unknown metric `p98`"));
        assert_eq!(Threshold::parse("p99 200ms").unwrap_err().column, 10);
        assert_eq!(Threshold::parse("<1").unwrap_err().column, 1);
    }

    #[test]
    fn check_text_says_what_was_measured() {
        let c = Threshold::parse("lost==0").unwrap().check(&report());
        assert_eq!(c.text, "lost==0: 10 (MISSED)");
    }
}
