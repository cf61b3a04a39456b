//! The final run report: what was asked for, what happened, and whether the run passed.
//!
//! [`Report`] is built once from the merged [`Recorder`] at the end of a run (or on Ctrl-C) and
//! is the JSON contract written by `--report-json`: its shape is pinned by
//! `schema/report.schema.json` and a test here validates real output against it. Human-readable
//! output lives in [`text`]. The report carries each histogram in HdrHistogram's encoding, so
//! runs can be re-analysed or merged exactly later (`docs/measurement.md#hdrhistogram`,
//! `docs/report-style.md#stats-and-output`).
//!
//! This module only formats what the engine measured; it decides nothing but the exit code.

pub mod capacity;
pub mod html;
pub mod text;

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::stats::{Counters, Latency, LatencySummary, Recorder, StatsError};

mod summaries;
pub use summaries::{InputSummary, VerifySummary};

/// What ended the run.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum StopReason {
    /// `--count` records were sent.
    Count,
    /// `--duration` was up.
    Duration,
    /// Ctrl-C, or the destination closed (e.g. a broken pipe on stdout).
    Interrupt,
    /// The run stopped on an error.
    Error,
    /// The `--from` file ended (without `--loop`).
    #[serde(rename = "end_of_input")]
    EndOfInput,
}

impl StopReason {
    /// The lower-case name used in the JSON report.
    pub fn as_str(self) -> &'static str {
        match self {
            StopReason::Count => "count",
            StopReason::Duration => "duration",
            StopReason::Interrupt => "interrupt",
            StopReason::Error => "error",
            StopReason::EndOfInput => "end_of_input",
        }
    }
}

/// How a stopped run drained: from the stop (the planned end, a signal) until the last request
/// in flight finished or was cut off at the drain timeout.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
pub struct Drain {
    /// From the stop to the end of the run, ms.
    pub ms: f64,
    /// The drain timeout (`--drain-timeout`), ms.
    pub timeout_ms: f64,
    /// Records still pending at the timeout, failed as `DrainTimeout`.
    pub cut_off: u64,
}

/// A backfill's simulated time (`--backfill FROM..TO --speed X`), beside the report's real
/// rates: `target_rps` and `achieved_rps` are records per real second, these per simulated one.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct BackfillSummary {
    /// Simulated start, RFC 3339 UTC.
    pub from: String,
    /// Simulated end, RFC 3339 UTC.
    pub to: String,
    /// Simulated seconds per real second; `None` for `--speed max`.
    pub speed: Option<f64>,
    /// Simulated seconds the run covered (the whole span unless it was stopped early).
    pub simulated_s: f64,
    /// The schedule's mean target over the span, records per simulated second.
    pub simulated_target_rps: Option<f64>,
    /// Delivered records per simulated second covered.
    pub simulated_achieved_rps: f64,
}

/// Latency percentiles for records and requests.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
pub struct Latencies {
    /// Record intended time → final ack: corrected for coordinated omission. The headline.
    pub record_e2e: LatencySummary,
    /// Record actual dispatch → final ack: uncorrected.
    pub record_send: LatencySummary,
    /// One sink request.
    pub request: LatencySummary,
}

/// How far the sending fell behind the schedule, in ms.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
pub struct LagSummary {
    /// 99th percentile of the lag at dispatch.
    pub p99_ms: f64,
    /// Largest lag at dispatch.
    pub max_ms: f64,
    /// Lag of the last dispatch: a run that ends far behind could not keep up.
    pub final_ms: f64,
}

/// Pass or fail, and why.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The process exit code: 0 passed, 1 records were lost or rejected, or a check failed.
    /// Kept in step with `reasons` by [`Verdict::from_reasons`] and [`Verdict::fail`].
    pub exit_code: i32,
    /// One sentence per reason the run failed; empty when it passed.
    pub reasons: Vec<String>,
}

impl Verdict {
    /// The exit code of a run that failed for some reason.
    pub const FAILED: i32 = 1;

    /// Passed when there are no reasons to fail.
    pub fn from_reasons(reasons: Vec<String>) -> Verdict {
        Verdict {
            exit_code: if reasons.is_empty() { 0 } else { Verdict::FAILED },
            reasons: reasons.iter().map(|r| crate::redact::redact(r).into_owned()).collect(),
        }
    }

    /// Fail the run for `reason` (on top of any other).
    pub fn fail(&mut self, reason: String) {
        self.reasons.push(crate::redact::redact(&reason).into_owned());
        self.exit_code = self.exit_code.max(Verdict::FAILED);
    }

    /// Whether the run passed.
    pub fn passed(&self) -> bool {
        self.exit_code == 0
    }
}

/// The final report of a run.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct Report {
    /// Version of kdg that ran.
    pub kdg_version: String,
    /// Wall-clock start, RFC 3339 UTC (for correlating with CloudWatch).
    pub started_at: String,
    /// Wall-clock end, RFC 3339 UTC.
    pub ended_at: String,
    /// Run time on the monotonic clock, in seconds.
    pub elapsed_s: f64,
    /// Echo of the validated run configuration.
    pub config: Value,
    /// Target records per second; `None` when sending flat out.
    pub target_rps: Option<f64>,
    /// Delivered records per second over the whole run.
    pub achieved_rps: f64,
    /// Delivered bytes per second over the whole run.
    pub bytes_per_s: f64,
    /// Record counts for the whole run.
    pub totals: Counters,
    /// Latency percentiles.
    pub latency: Latencies,
    /// Schedule lag.
    pub lag: LagSummary,
    /// Failed and rejected records by stable error code.
    pub errors: BTreeMap<String, u64>,
    /// Per Kinesis shard: records accepted and entry attempts throttled (empty for other sinks).
    pub shards: BTreeMap<String, crate::stats::ShardCounts>,
    /// What `--verify` found reading the stream back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify: Option<VerifySummary>,
    /// What a replay (`--from`) read: rows, bad rows, passes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<InputSummary>,
    /// A backfill's simulated time and rates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backfill: Option<BackfillSummary>,
    /// The schedule lag grew while the sink reported no throttling: the generator, not the
    /// service, was the limit, so the numbers describe this machine.
    pub generator_bound: bool,
    /// The schedule lag grew while the sink reported no throttling and the workers spent most of
    /// their time waiting on the destination: its responses, not this machine, were the limit.
    #[serde(default)]
    pub sink_bound: bool,
    /// What ended the run.
    pub stopped_by: StopReason,
    /// The signal that stopped the run (`SIGINT`, `SIGTERM`, `SIGHUP`), when one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<String>,
    /// How the run drained after it was stopped, when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drain: Option<Drain>,
    /// Pass or fail.
    pub outcome: Verdict,
    /// HdrHistogram V2+DEFLATE encodings in base64, by name: `record_e2e`, `record_send`,
    /// `request`, `lag` (microseconds). Read them with [`crate::stats::Latency::decode`].
    pub histograms: BTreeMap<String, String>,
}

/// One run in a report: its id and its instance (`--instance I/N`; `None` alone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartId {
    /// The run id (empty in a report without one).
    pub run_id: String,
    /// (I, N).
    pub instance: Option<(u64, u64)>,
}

impl std::fmt::Display for PartId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "run {}", self.run_id)?;
        match self.instance {
            Some((i, n)) => write!(f, ", instance {i}/{n}"),
            None => Ok(()),
        }
    }
}

/// What [`Report::build`] needs from the engine.
#[derive(Debug)]
pub struct ReportInput<'a> {
    /// Wall-clock start.
    pub started_at: jiff::Timestamp,
    /// Wall-clock end.
    pub ended_at: jiff::Timestamp,
    /// Run time on the monotonic clock.
    pub elapsed: Duration,
    /// Echo of the validated run configuration.
    pub config: Value,
    /// Target records per second; `None` when flat out.
    pub target_rps: Option<f64>,
    /// Everything recorded during the run, merged.
    pub total: &'a Recorder,
    /// Schedule lag of the last dispatch.
    pub final_lag: Duration,
    /// See [`Report::generator_bound`].
    pub generator_bound: bool,
    /// See [`Report::sink_bound`].
    pub sink_bound: bool,
    /// What ended the run.
    pub stopped_by: StopReason,
    /// How it drained, if it was stopped.
    pub drain: Option<Drain>,
}

impl Report {
    /// Build the report and decide the outcome: exit code 1 when any record finally failed or
    /// was rejected (or the run stopped on an error), else 0.
    pub fn build(input: ReportInput<'_>) -> Report {
        let total = input.total;
        let c = total.counters;
        let secs = input.elapsed.as_secs_f64();
        let per_s = |n: u64| if secs > 0.0 { finite(n as f64 / secs) } else { 0.0 };
        let histograms = [
            ("record_e2e", &total.e2e),
            ("record_send", &total.send),
            ("request", &total.request),
            ("lag", &total.lag),
        ]
        .into_iter()
        .map(|(name, h)| (name.to_owned(), h.encode()))
        .collect();
        Report {
            kdg_version: env!("CARGO_PKG_VERSION").to_owned(),
            started_at: format!("{:.3}", input.started_at),
            ended_at: format!("{:.3}", input.ended_at),
            elapsed_s: finite(secs),
            config: input.config,
            // JSON has no infinity: an unbounded rate is "flat out".
            target_rps: input.target_rps.filter(|r| r.is_finite() && *r > 0.0),
            achieved_rps: per_s(c.delivered),
            bytes_per_s: per_s(c.bytes),
            totals: c,
            latency: Latencies {
                record_e2e: total.e2e.summary(),
                record_send: total.send.summary(),
                request: total.request.summary(),
            },
            lag: LagSummary {
                p99_ms: total.lag.percentile_ms(99.0),
                max_ms: total.lag.max_ms(),
                // Via nanoseconds: `as_secs_f64() * 1000.0` turns 420 µs into 0.42000000000000004.
                final_ms: finite(input.final_lag.as_nanos() as f64 / 1e6),
            },
            errors: total.errors.clone(),
            shards: total.shards.clone(),
            verify: None,
            input: None,
            backfill: None,
            generator_bound: input.generator_bound,
            sink_bound: input.sink_bound,
            stopped_by: input.stopped_by,
            signal: None,
            drain: input.drain,
            outcome: outcome(&c, &total.errors, input.stopped_by),
            histograms,
        }
    }

    /// Combine the reports of several instances of one run, exactly: counters, errors and
    /// per-shard counts add, latency histograms merge, the span runs from the earliest start to
    /// the latest end, and target rates add. Merging is associative.
    ///
    /// # Errors
    /// No reports, or a report whose histograms or times cannot be read.
    pub fn merge(reports: &[Report]) -> Result<Report, StatsError> {
        let first = reports
            .first()
            .ok_or_else(|| StatsError::Histogram("no reports to merge".into()))?;
        let mut total = Recorder::default();
        let mut configs = Vec::new();
        let mut target = Some(0.0);
        let mut final_lag_ms: f64 = 0.0;
        let mut started: Option<jiff::Timestamp> = None;
        let mut ended: Option<jiff::Timestamp> = None;
        for r in reports {
            let time = |t: &str| {
                t.parse::<jiff::Timestamp>()
                    .map_err(|e| StatsError::Histogram(format!("bad time `{t}`: {e}")))
            };
            let (s, e) = (time(&r.started_at)?, time(&r.ended_at)?);
            started = Some(started.map_or(s, |x| x.min(s)));
            ended = Some(ended.map_or(e, |x| x.max(e)));
            let mut part = Recorder {
                counters: r.totals,
                errors: r.errors.clone(),
                shards: r.shards.clone(),
                ..Recorder::default()
            };
            for (name, h) in [
                ("record_e2e", &mut part.e2e),
                ("record_send", &mut part.send),
                ("request", &mut part.request),
                ("lag", &mut part.lag),
            ] {
                if let Some(text) = r.histograms.get(name) {
                    *h = Latency::decode(text)?;
                }
            }
            total.merge(&part);
            target = match (target, r.target_rps) {
                (Some(a), Some(b)) => Some(a + b),
                _ => None,
            };
            final_lag_ms = final_lag_ms.max(r.lag.final_ms);
            // Keep the list flat, so merging merged reports gives the same result.
            match r.config.get("merged") {
                Some(Value::Array(inner)) => configs.extend(inner.iter().cloned()),
                _ => configs.push(r.config.clone()),
            }
        }
        let (started, ended) = (
            started.expect("at least one report"),
            ended.expect("at least one report"),
        );
        let elapsed = Duration::try_from(ended.duration_since(started)).unwrap_or_default();
        let stopped_by = reports
            .iter()
            .map(|r| r.stopped_by)
            .find(|s| *s != first.stopped_by)
            .map_or(first.stopped_by, |_| StopReason::Interrupt);
        let mut merged = Report::build(ReportInput {
            started_at: started,
            ended_at: ended,
            elapsed,
            config: serde_json::json!({ "merged": configs }),
            target_rps: target,
            total: &total,
            final_lag: Duration::from_nanos((final_lag_ms * 1e6) as u64),
            generator_bound: reports.iter().any(|r| r.generator_bound),
            sink_bound: reports.iter().any(|r| r.sink_bound),
            stopped_by,
            // The longest drain; every instance's cut-off records.
            drain: reports.iter().filter_map(|r| r.drain).reduce(|a, b| Drain {
                ms: a.ms.max(b.ms),
                timeout_ms: a.timeout_ms.max(b.timeout_ms),
                cut_off: a.cut_off + b.cut_off,
            }),
        });
        merged.signal = reports.iter().find_map(|r| r.signal.clone());
        merged.kdg_version = first.kdg_version.clone();
        Ok(merged)
    }

    /// The runs this report counts, by run id and instance: one for a run's report, each part's
    /// for a merged report. Merging a report twice would count its records twice, so
    /// `kdg report merge` refuses reports that share one.
    pub fn parts(&self) -> Vec<PartId> {
        let part = |config: &Value| PartId {
            run_id: config
                .get("run_id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            instance: config
                .get("instance")
                .and_then(|i| Some((i.get("index")?.as_u64()?, i.get("count")?.as_u64()?))),
        };
        match self.config.get("merged") {
            Some(Value::Array(inner)) => inner.iter().map(part).collect(),
            _ => vec![part(&self.config)],
        }
    }

    /// Record what `--verify` found; missing records fail the run.
    pub fn set_verify(&mut self, v: VerifySummary) {
        if let Some(why) = &v.incomplete {
            self.outcome.fail(format!(
                "verification incomplete ({why}): {} of {} acknowledged records seen",
                v.delivered, v.acknowledged
            ));
        } else if v.missing > 0 {
            self.outcome.fail(format!(
                "{} acknowledged records are missing from the stream (e.g. record {})",
                v.missing,
                v.missing_examples
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        self.verify = Some(v);
    }

    /// Attach what a replay read; a replay that stopped on a bad row or a read error fails the run.
    pub fn set_input(&mut self, input: InputSummary) {
        if let Some(why) = &input.failed {
            self.outcome.fail(format!("the input stopped early: {why}"));
        }
        self.input = Some(input);
    }

    /// The report as indented JSON (no trailing newline).
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report serializes: string map keys and plain data")
    }
}

/// The exit-code rule. Failed and rejected records share one error map, so the codes are
/// attached to whichever of the two happened, or listed on their own when both did.
fn outcome(c: &Counters, errors: &BTreeMap<String, u64>, stopped_by: StopReason) -> Verdict {
    let by_code = codes_by_count(errors);
    let mut reasons = Vec::new();
    let both = c.failed > 0 && c.rejected > 0;
    let detail = |s: String| {
        if by_code.is_empty() || both {
            s
        } else {
            format!("{s} ({by_code})")
        }
    };
    if c.failed > 0 {
        reasons.push(detail(format!(
            "{} {} failed",
            c.failed,
            plural(c.failed, "record", "records")
        )));
    }
    if c.rejected > 0 {
        reasons.push(detail(format!(
            "{} {} rejected as invalid",
            c.rejected,
            plural(c.rejected, "record was", "records were")
        )));
    }
    if both && !by_code.is_empty() {
        reasons.push(format!("errors by code: {by_code}"));
    }
    if stopped_by == StopReason::Error {
        reasons.push("the run stopped on an error".to_owned());
    }
    Verdict::from_reasons(reasons)
}

/// `A: 3, B: 1`, largest count first, then by code.
fn codes_by_count(errors: &BTreeMap<String, u64>) -> String {
    let mut v: Vec<(&String, &u64)> = errors.iter().filter(|(_, n)| **n > 0).collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    v.iter()
        .map(|(code, n)| format!("{code}: {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn plural<'s>(n: u64, one: &'s str, many: &'s str) -> &'s str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// JSON cannot hold NaN or infinity.
pub(crate) fn finite(x: f64) -> f64 {
    if x.is_finite() {
        x
    } else {
        0.0
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::stats::Latency;

    const SCHEMA: &str = include_str!("../../schema/report.schema.json");

    /// A report as a 60 s paced run against a throttling stream would produce.
    pub(crate) fn realistic(failed: u64, rejected: u64) -> Report {
        let counters = Counters {
            offered: 60_000,
            attempted: 60_000 - rejected,
            delivered: 60_000 - failed - rejected,
            failed,
            rejected,
            throttled: 1_234,
            retried: 1_300,
            bytes: 60_000 * 412,
            requests: 130,
            duplicates: 0,
            destination_records: 60_000 - failed - rejected,
        };
        let mut total = Recorder {
            counters,
            ..Recorder::default()
        };
        for i in 0..60_000u64 {
            total.e2e.record(Duration::from_micros(8_000 + (i * 7919) % 40_000));
            total.send.record(Duration::from_micros(6_000 + (i * 104_729) % 20_000));
            total.lag.record(Duration::from_micros(50 + (i * 31) % 900));
        }
        for i in 0..130u64 {
            total.request.record(Duration::from_micros(9_000 + i * 100));
        }
        total.error("ProvisionedThroughputExceededException", failed);
        total.error("RecordTooLarge", rejected);
        let started_at: jiff::Timestamp = "2026-03-01T12:00:00.25Z".parse().expect("timestamp");
        Report::build(ReportInput {
            started_at,
            ended_at: "2026-03-01T12:01:00.5Z".parse().expect("timestamp"),
            elapsed: Duration::from_millis(60_250),
            config: serde_json::json!({ "target": { "kinesis": "orders" }, "rate": 1000.0, "seed": 1 }),
            target_rps: Some(1000.0),
            total: &total,
            final_lag: Duration::from_micros(420),
            generator_bound: false,
            sink_bound: false,
            stopped_by: StopReason::Duration,
            drain: None,
        })
    }

    fn validator() -> jsonschema::Validator {
        validator_of(SCHEMA)
    }

    /// A validator for the JSON Schema text `schema`.
    pub(crate) fn validator_of(schema: &str) -> jsonschema::Validator {
        let schema: Value = serde_json::from_str(schema).expect("schema is JSON");
        jsonschema::validator_for(&schema).expect("schema compiles")
    }

    /// What `v` finds wrong with `instance`, each with where.
    pub(crate) fn errors(v: &jsonschema::Validator, instance: &Value) -> Vec<String> {
        v.iter_errors(instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect()
    }

    #[test]
    fn a_clean_run_passes() {
        let r = realistic(0, 0);
        assert_eq!(
            r.outcome,
            Verdict {
                exit_code: 0,
                reasons: vec![]
            }
        );
        assert!(r.errors.is_empty());
        assert_eq!(r.totals.delivered, 60_000);
        assert!((r.achieved_rps - 60_000.0 / 60.25).abs() < 1e-9);
        assert!((r.bytes_per_s - 60_000.0 * 412.0 / 60.25).abs() < 1e-6);
        assert_eq!(r.started_at, "2026-03-01T12:00:00.250Z");
        assert_eq!(r.ended_at, "2026-03-01T12:01:00.500Z");
        assert_eq!(r.kdg_version, env!("CARGO_PKG_VERSION"));
        assert_eq!(r.latency.record_e2e.count, 60_000);
        assert_eq!(r.latency.request.count, 130);
        assert!((r.lag.final_ms - 0.42).abs() < 1e-9);
        assert!(r.lag.max_ms >= r.lag.p99_ms && r.lag.p99_ms > 0.0);
    }

    #[test]
    fn failed_records_fail_the_run_and_name_their_codes() {
        let r = realistic(3, 0);
        assert_eq!(r.outcome.exit_code, 1);
        assert_eq!(
            r.outcome.reasons,
            vec!["3 records failed (ProvisionedThroughputExceededException: 3)"]
        );
        assert_eq!(r.errors["ProvisionedThroughputExceededException"], 3);
    }

    #[test]
    fn rejected_records_fail_the_run() {
        let r = realistic(0, 1);
        assert_eq!(r.outcome.exit_code, 1);
        assert_eq!(
            r.outcome.reasons,
            vec!["1 record was rejected as invalid (RecordTooLarge: 1)"]
        );
    }

    #[test]
    fn failed_and_rejected_list_codes_once_by_count() {
        let r = realistic(2, 5);
        assert_eq!(r.outcome.exit_code, 1);
        assert_eq!(
            r.outcome.reasons,
            vec![
                "2 records failed",
                "5 records were rejected as invalid",
                "errors by code: RecordTooLarge: 5, ProvisionedThroughputExceededException: 2",
            ]
        );
    }

    #[test]
    fn an_error_stop_fails_the_run_and_zero_elapsed_gives_zero_rates() {
        let total = Recorder::default();
        let now = jiff::Timestamp::UNIX_EPOCH;
        let r = Report::build(ReportInput {
            started_at: now,
            ended_at: now,
            elapsed: Duration::ZERO,
            config: Value::Object(Default::default()),
            target_rps: Some(f64::INFINITY),
            total: &total,
            final_lag: Duration::ZERO,
            generator_bound: false,
            sink_bound: false,
            stopped_by: StopReason::Error,
            drain: None,
        });
        assert_eq!(r.outcome.exit_code, 1);
        assert_eq!((r.achieved_rps, r.bytes_per_s, r.target_rps), (0.0, 0.0, None));
        assert_eq!(r.started_at, "1970-01-01T00:00:00.000Z");
        assert!(jsonschema::is_valid(
            &serde_json::from_str(SCHEMA).expect("JSON"),
            &serde_json::to_value(&r).expect("JSON")
        ));
    }

    #[test]
    fn merging_reports_adds_exactly_and_is_associative() {
        let parts: Vec<Report> = (1..=3)
            .map(|k| {
                let mut rec = Recorder::default();
                rec.counters.delivered = 100 * k;
                rec.counters.attempted = 100 * k;
                rec.counters.offered = 100 * k;
                rec.error("InternalFailure", k);
                rec.counters.failed = k;
                rec.shard("shardId-0", 10 * k, k);
                for v in 1..=(50 * k) {
                    rec.e2e.record(Duration::from_micros(v * 100));
                }
                let t0: jiff::Timestamp = "2026-11-23T10:00:00Z".parse().unwrap();
                Report::build(ReportInput {
                    started_at: t0,
                    ended_at: t0 + jiff::SignedDuration::from_secs(10 + k as i64),
                    elapsed: Duration::from_secs(10 + k),
                    config: serde_json::json!({"instance": k}),
                    target_rps: Some(100.0),
                    total: &rec,
                    final_lag: Duration::ZERO,
                    generator_bound: false,
                    sink_bound: false,
                    stopped_by: StopReason::Count,
                    drain: None,
                })
            })
            .collect();
        let all = Report::merge(&parts).unwrap();
        assert_eq!(all.totals.delivered, 600);
        assert_eq!(all.errors["InternalFailure"], 6);
        assert_eq!(all.shards["shardId-0"].accepted, 60);
        assert_eq!(all.latency.record_e2e.count, 300);
        assert_eq!(all.target_rps, Some(300.0));
        assert_eq!(all.elapsed_s, 13.0);
        assert_eq!(all.outcome.exit_code, 1);
        let ab = Report::merge(&parts[..2]).unwrap();
        let ab_c = Report::merge(&[ab, parts[2].clone()]).unwrap();
        let bc = Report::merge(&parts[1..]).unwrap();
        let a_bc = Report::merge(&[parts[0].clone(), bc]).unwrap();
        // Encoded histograms may differ in layout; their contents must not.
        let json = |r: &Report| {
            let mut v = serde_json::to_value(r).unwrap();
            v.as_object_mut().unwrap().remove("histograms");
            v
        };
        let e2e = |r: &Report| Latency::decode(&r.histograms["record_e2e"]).unwrap();
        for other in [&ab_c, &a_bc] {
            assert_eq!(json(other), json(&all));
            assert!(e2e(other) == e2e(&all));
        }
    }

    #[test]
    fn a_report_names_its_runs_and_a_merged_one_each_part() {
        let part = |id: &str, i: u64| {
            let mut r = realistic(0, 0);
            r.config = serde_json::json!({"run_id": id, "instance": {"index": i, "count": 2}});
            r
        };
        let (a, b) = (part("aa", 0), part("bb", 1));
        let id = |run_id: &str, i| PartId {
            run_id: run_id.into(),
            instance: Some((i, 2)),
        };
        assert_eq!(a.parts(), [id("aa", 0)]);
        assert_eq!(a.parts()[0].to_string(), "run aa, instance 0/2");
        let merged = Report::merge(&[a, b]).expect("merges");
        assert_eq!(merged.parts(), [id("aa", 0), id("bb", 1)], "merging keeps every part");
        let alone = PartId {
            run_id: "cc".into(),
            instance: None,
        };
        let mut c = realistic(0, 0);
        c.config = serde_json::json!({"run_id": "cc", "instance": null});
        assert_eq!(c.parts(), [alone]);
    }

    #[test]
    fn json_round_trips_and_histograms_merge_exactly() {
        let r = realistic(3, 0);
        let json = r.to_json_pretty();
        let back: Report = serde_json::from_str(&json).expect("parses back");
        assert_eq!(back.totals, r.totals);
        assert_eq!(back.latency, r.latency);
        assert_eq!(back.stopped_by, StopReason::Duration);
        assert!(json.contains(r#""stopped_by": "duration""#));
        assert_eq!(
            back.histograms.keys().collect::<Vec<_>>(),
            ["lag", "record_e2e", "record_send", "request"]
        );
        let e2e = Latency::decode(&back.histograms["record_e2e"]).expect("decodes");
        assert_eq!(e2e.summary(), r.latency.record_e2e);
        // Two runs' histograms add up exactly.
        let mut merged = e2e.clone();
        merged.add(&e2e);
        assert_eq!(merged.count(), 120_000);
        assert_eq!(merged.percentile_ms(99.0), e2e.percentile_ms(99.0));
    }

    #[test]
    fn a_real_report_matches_the_schema() {
        let v = validator();
        for (failed, rejected) in [(0, 0), (3, 0), (2, 5)] {
            let mut r = realistic(failed, rejected);
            r.generator_bound = failed > 0;
            let instance = serde_json::to_value(&r).expect("serializes");
            assert_eq!(errors(&v, &instance), Vec::<String>::new());
        }
        let mut flat_out = realistic(0, 0);
        flat_out.target_rps = None;
        flat_out.stopped_by = StopReason::Interrupt;
        let instance = serde_json::to_value(&flat_out).expect("serializes");
        assert_eq!(errors(&v, &instance), Vec::<String>::new());
    }

    #[test]
    fn the_schema_rejects_unknown_fields_and_wrong_types() {
        let v = validator();
        let good = serde_json::to_value(realistic(0, 0)).expect("serializes");
        assert!(v.is_valid(&good));
        type Breaks = fn(&mut Value);
        let broken: [(&str, Breaks); 7] = [
            ("unknown top-level field", |j| {
                j["surprise"] = 1.into();
            }),
            ("unknown field in totals", |j| {
                j["totals"]["dropped"] = 1.into();
            }),
            ("unknown field in a latency summary", |j| {
                j["latency"]["request"]["p9999_ms"] = 1.0.into();
            }),
            ("unknown histogram", |j| {
                j["histograms"]["buffering"] = "HISTFA==".into();
            }),
            ("missing field", |j| {
                j.as_object_mut().expect("object").remove("outcome");
            }),
            ("negative count", |j| {
                j["totals"]["delivered"] = (-1).into();
            }),
            ("unknown stop reason", |j| {
                j["stopped_by"] = "timeout".into();
            }),
        ];
        for (what, breaks) in broken {
            let mut bad = good.clone();
            breaks(&mut bad);
            assert!(!v.is_valid(&bad), "{what} should fail validation");
        }
    }
}
