//! `kdg find-max`: the highest rate a destination holds, found by running steps.
//!
//! Each step is an ordinary open-model run at a constant rate for `--step-time`. A step *holds*
//! when the throttled share of attempted records is at most `--max-throttle`, the corrected p99
//! latency is at most `--max-p99`, and the achieved rate is within 5% of the target (so a step
//! where this machine fell behind does not count as the stream's success). The search doubles the
//! rate from `--start` until a step fails, then bisects between the last step that held and the
//! first that did not until they are within `--precision`. Steps send each record once
//! (`--max-attempts 1` unless given), so retries do not blur the throttle ratio.
//!
//! After the search, [`limit`] says which limit bound at the knee (the lowest step that failed
//! above the answer): a shard's records/s or bytes/s (`docs/aws-limits.md`), throttling the
//! destination does not break down, latency, errors, or this machine. The capacity report built
//! from a search is in [`crate::report::capacity`].

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::sink::limits::{KINESIS_SHARD_BYTES_PER_SEC, KINESIS_SHARD_RECORDS_PER_SEC};
use crate::stats::ShardCounts;

/// Whether a step met every condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// It held.
    Pass,
    /// It did not (the step's `why` says which condition).
    #[default]
    Fail,
}

/// What one step measured.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Step {
    /// The target rate, records/s.
    pub target_rps: f64,
    /// Delivered records/s.
    pub achieved_rps: f64,
    /// Delivered bytes/s.
    pub bytes_per_s: f64,
    /// How long the step ran, drain included, ms.
    pub elapsed_ms: f64,
    /// Records due in the step.
    pub offered: u64,
    /// Records sent.
    pub attempted: u64,
    /// Records acknowledged.
    pub delivered: u64,
    /// Records that failed (a throttled record fails: each is sent once).
    pub failed: u64,
    /// Throttled entry attempts.
    pub throttled: u64,
    /// Bytes of delivered records (as sent: with `--aggregate`, of the packed records).
    pub bytes: u64,
    /// Records the destination accepted, as it counts them: with `--aggregate`, the packed
    /// Kinesis records (fewer than `delivered`); otherwise `delivered`. 0 in reports from
    /// before kdg counted them, read as `delivered`.
    #[serde(default)]
    pub destination_records: u64,
    /// Throttled entry attempts per attempted entry (with `--aggregate`, per packed record).
    pub throttle_ratio: f64,
    /// Corrected median record latency, ms.
    pub p50_ms: f64,
    /// Corrected p99 record latency, ms.
    pub p99_ms: f64,
    /// Whether the step met every condition.
    pub verdict: Verdict,
    /// Why it failed: one sentence per condition missed; empty when it held.
    pub why: Vec<String>,
    /// Failed records by error code.
    pub errors: BTreeMap<String, u64>,
    /// Per Kinesis shard: records accepted and entry attempts throttled (empty for Firehose).
    pub shards: BTreeMap<String, ShardCounts>,
}

impl Step {
    /// Whether the step held.
    pub fn held(&self) -> bool {
        self.verdict == Verdict::Pass
    }

    /// Judge the step by `criteria`: set its verdict and why from its measurements. A step
    /// that already has a reason (it stopped on an error) fails whatever it measured.
    pub fn judge(mut self, criteria: &Criteria) -> Step {
        let mut why = std::mem::take(&mut self.why);
        why.extend(criteria.missed(self.target_rps, self.achieved_rps, self.throttle_ratio, self.p99_ms));
        self.verdict = if why.is_empty() { Verdict::Pass } else { Verdict::Fail };
        self.why = why;
        self
    }

    /// Failed records that were not throttled: errors of the destination (or of kdg).
    pub fn errored(&self) -> u64 {
        self.failed
            .saturating_sub(self.throttled.saturating_mul(self.records_per_entry().round() as u64))
    }

    /// Bytes of each entry the destination was sent (with `--aggregate`, of a packed record);
    /// 0 when nothing was delivered.
    pub fn bytes_per_entry(&self) -> f64 {
        let entries = self.delivered as f64 / self.records_per_entry();
        if entries > 0.0 {
            self.bytes as f64 / entries
        } else {
            0.0
        }
    }

    /// Records per entry the destination saw: above 1 with `--aggregate` (each packed Kinesis
    /// record carries several), 1 otherwise or when nothing was delivered to tell.
    pub fn records_per_entry(&self) -> f64 {
        if self.destination_records > 0 && self.delivered > self.destination_records {
            self.delivered as f64 / self.destination_records as f64
        } else {
            1.0
        }
    }
}

/// The conditions a step must meet.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Criteria {
    /// Most throttled share, 0..1.
    pub max_throttle: f64,
    /// Highest corrected p99.
    #[serde(rename = "max_p99_ms", serialize_with = "crate::units::ms")]
    pub max_p99: Duration,
    /// Least achieved / target.
    pub min_achieved: f64,
}

impl Criteria {
    /// Whether a step's measurements meet the criteria.
    pub fn holds(&self, target: f64, achieved: f64, throttle_ratio: f64, p99_ms: f64) -> bool {
        self.missed(target, achieved, throttle_ratio, p99_ms).is_empty()
    }

    /// The conditions a step's measurements miss, one sentence each.
    pub fn missed(&self, target: f64, achieved: f64, throttle_ratio: f64, p99_ms: f64) -> Vec<String> {
        let mut why = Vec::new();
        if throttle_ratio > self.max_throttle {
            why.push(format!(
                "throttled {:.2}% > {:.2}%",
                throttle_ratio * 100.0,
                self.max_throttle * 100.0
            ));
        }
        let max_p99_ms = crate::units::duration_ms(self.max_p99);
        if p99_ms > max_p99_ms {
            why.push(format!("p99 {p99_ms:.1} ms > {max_p99_ms} ms"));
        }
        if achieved < target * self.min_achieved {
            why.push(format!(
                "achieved {achieved:.0}/s < {:.0}% of {target:.0}/s",
                self.min_achieved * 100.0
            ));
        }
        why
    }
}

/// The search's result.
#[derive(Debug, Clone, Serialize)]
pub struct Search {
    /// Every step, in the order run.
    pub steps: Vec<Step>,
    /// The highest target rate that held, if any did.
    pub max_rps: Option<f64>,
    /// The search was stopped (a signal) before it finished: `max_rps` is a lower bound.
    pub stopped: bool,
}

impl Search {
    /// The step at the answer: the one that ran at `max_rps`.
    pub fn answer_step(&self) -> Option<usize> {
        let r = self.max_rps?;
        self.steps.iter().position(|s| s.held() && s.target_rps == r)
    }

    /// The knee: the lowest step that failed above the answer (or the lowest that failed, when
    /// none held).
    pub fn knee_step(&self) -> Option<usize> {
        let floor = self.max_rps.unwrap_or(f64::NEG_INFINITY);
        self.steps
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.held() && s.target_rps > floor)
            .min_by(|a, b| a.1.target_rps.total_cmp(&b.1.target_rps))
            .map(|(i, _)| i)
    }
}

/// Search between `start` and `ceiling` records/s, stopping when the bracket is within
/// `precision` (relative). `probe` runs one step at a rate; `None` means the search was stopped
/// during the step, which then counts for nothing.
pub fn search(start: f64, ceiling: f64, precision: f64, mut probe: impl FnMut(f64) -> Option<Step>) -> Search {
    let mut steps = Vec::new();
    let mut good: Option<f64> = None;
    let mut bad: Option<f64> = None;
    let mut rate = start.min(ceiling);
    let stopped = |steps, good| Search {
        steps,
        max_rps: good,
        stopped: true,
    };
    // Grow ×2 until a step fails or the ceiling holds.
    loop {
        let Some(s) = probe(rate) else {
            return stopped(steps, good);
        };
        let held = s.held();
        steps.push(s);
        if held {
            good = Some(rate);
            if rate >= ceiling {
                break;
            }
            rate = (rate * 2.0).min(ceiling);
        } else {
            bad = Some(rate);
            break;
        }
    }
    // Bisect.
    if let (Some(mut lo), Some(mut hi)) = (good, bad) {
        while (hi - lo) / hi > precision && steps.len() < 64 {
            let mid = ((lo + hi) / 2.0).round();
            if mid <= lo || mid >= hi {
                break;
            }
            let Some(s) = probe(mid) else {
                return stopped(steps, Some(lo));
            };
            let held = s.held();
            steps.push(s);
            if held {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        good = Some(lo);
    }
    Search {
        steps,
        max_rps: good,
        stopped: false,
    }
}

/// The table of steps and the answer, for people.
pub fn write_text(search: &Search, criteria: &Criteria, w: &mut impl std::io::Write) -> std::io::Result<()> {
    writeln!(
        w,
        "{:>12} {:>12} {:>10} {:>10}  verdict",
        "target/s", "achieved/s", "throttled", "p99 ms"
    )?;
    for s in &search.steps {
        writeln!(
            w,
            "{:>12.0} {:>12.0} {:>9.2}% {:>10.1}  {}",
            s.target_rps,
            s.achieved_rps,
            s.throttle_ratio * 100.0,
            s.p99_ms,
            if s.held() { "held" } else { "failed" }
        )?;
    }
    let conditions = format!(
        "throttled <= {:.2}%, p99 <= {} ms, achieved >= {:.0}% of target",
        criteria.max_throttle * 100.0,
        criteria.max_p99.as_millis(),
        criteria.min_achieved * 100.0
    );
    match (search.max_rps, search.stopped) {
        (Some(r), false) => writeln!(w, "\nmaximum sustainable rate: {r:.0} records/s ({conditions})"),
        (None, false) => writeln!(w, "\nno step held ({conditions}); try a lower --start"),
        (Some(r), true) => writeln!(
            w,
            "\nstopped before the search ended: at least {r:.0} records/s held ({conditions})"
        ),
        (None, true) => writeln!(w, "\nstopped before any step finished ({conditions})"),
    }?;
    writeln!(w, "limit: {}", explain(search))
}

/// Which limit bound `search`, in words (the text table, the JSON answer and the HTML page say
/// the same).
pub fn explain(search: &Search) -> String {
    let knee = search.knee_step().map(|i| &search.steps[i]);
    let mut words =
        match (limit(search), knee) {
            (Limit::Ceiling, _) => format!(
                "every step held up to --max-rate ({:.0} records/s): the destination takes at least that",
                search.max_rps.unwrap_or_default()
            ),
            (Limit::Unknown, _) | (_, None) => "unknown: the search stopped before any step failed".to_owned(),
            (l @ (Limit::RecordsPerS | Limit::BytesPerS), Some(k)) => {
                let p = shard_peak(k).expect("a per-shard limit comes from per-shard counts");
                // With `--aggregate` the shards are sent packed records of several records.
                let per_entry = k.records_per_entry();
                let records = if per_entry > 1.0 {
                    format!("packed records of {per_entry:.1} records")
                } else {
                    "records".to_owned()
                };
                let (what, share, limit) = if l == Limit::RecordsPerS {
                    (
                        format!("{:.0} {records}/s", p.demand_rps),
                        p.records_share,
                        format!("{KINESIS_SHARD_RECORDS_PER_SEC} records/s"),
                    )
                } else {
                    let each = k.bytes_per_entry();
                    (
                        format!(
                            "{}/s ({records}, {} each)",
                            crate::units::human_bytes(p.demand_rps * each),
                            crate::units::human_bytes(each)
                        ),
                        p.bytes_share,
                        "1 MiB/s".to_owned(),
                    )
                };
                format!(
                "{} per shard: at {:.0} records/s the busiest shard ({}) was sent {what}, {:.0}% of a shard's {limit}",
                if l == Limit::RecordsPerS { "records/s" } else { "bytes/s" },
                k.target_rps,
                p.shard,
                share * 100.0
            )
            }
            (Limit::Throttling, Some(k)) => format!(
            "throttling: at {:.0} records/s {:.2}% of attempts were throttled (no per-shard counts say which quota)",
            k.target_rps,
            k.throttle_ratio * 100.0
        ),
            (Limit::Latency, Some(k)) => format!(
                "latency: at {:.0} records/s the corrected p99 was {:.1} ms, before throttling",
                k.target_rps, k.p99_ms
            ),
            (Limit::Errors, Some(k)) => {
                let codes: Vec<String> = k.errors.iter().map(|(c, n)| format!("{c}: {n}")).collect();
                format!(
                    "errors: at {:.0} records/s {} records failed{}",
                    k.target_rps,
                    k.errored(),
                    if codes.is_empty() {
                        k.why.first().map(|w| format!(" ({w})")).unwrap_or_default()
                    } else {
                        format!(" ({})", codes.join(", "))
                    }
                )
            }
            (Limit::Generator, Some(k)) => format!(
                "this machine: at {:.0} records/s it delivered only {:.0}/s without throttling or errors; \
             the destination may take more (more --workers, or several instances)",
                k.target_rps, k.achieved_rps
            ),
        };
    if let Some(p) = knee.and_then(shard_peak).filter(|p| p.hot) {
        words.push_str(&format!(
            "; shard {} was hot: {:.1}× the mean shard's load (skewed partition keys)",
            p.shard, p.vs_mean
        ));
    }
    words
}

/// Which limit bound the search, judged at the knee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    /// A shard's records/s ([`KINESIS_SHARD_RECORDS_PER_SEC`]): the busiest shard came closer to
    /// it than to its bytes/s.
    RecordsPerS,
    /// A shard's bytes/s ([`KINESIS_SHARD_BYTES_PER_SEC`]): large records bind before the
    /// record count does.
    BytesPerS,
    /// The destination throttled, and without per-shard counts (Firehose) kdg cannot say which
    /// of its quotas bound.
    Throttling,
    /// The corrected p99 went above `--max-p99` before anything throttled.
    Latency,
    /// Records failed with errors other than throttling.
    Errors,
    /// The achieved rate fell short without throttling or errors: this machine (or the network)
    /// could not send faster, so the answer describes it, not the destination.
    Generator,
    /// Every step held up to `--max-rate`: the destination takes at least that.
    Ceiling,
    /// No step failed before the search was stopped.
    Unknown,
}

impl Limit {
    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            Limit::RecordsPerS => "records_per_s",
            Limit::BytesPerS => "bytes_per_s",
            Limit::Throttling => "throttling",
            Limit::Latency => "latency",
            Limit::Errors => "errors",
            Limit::Generator => "generator",
            Limit::Ceiling => "ceiling",
            Limit::Unknown => "unknown",
        }
    }
}

/// The busiest Kinesis shard of a step and how close it came to each per-shard limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardPeak {
    /// The shard's id.
    pub shard: String,
    /// Entries sent to it per second (accepted + throttled).
    pub demand_rps: f64,
    /// Its demand over [`KINESIS_SHARD_RECORDS_PER_SEC`].
    pub records_share: f64,
    /// Its demand in bytes (at the step's mean record size) over [`KINESIS_SHARD_BYTES_PER_SEC`].
    pub bytes_share: f64,
    /// Its demand over the mean shard's: above [`HOT_SHARD`] the keys are skewed.
    pub vs_mean: f64,
    /// Whether it is hot: `vs_mean` ≥ [`HOT_SHARD`] with more than one shard.
    pub hot: bool,
}

/// A shard with this many times the mean shard's load is hot (the partition keys are skewed).
pub const HOT_SHARD: f64 = 1.5;

/// The busiest shard of `step`, by entries sent to it; `None` without per-shard counts.
pub fn shard_peak(step: &Step) -> Option<ShardPeak> {
    let demand = |c: &ShardCounts| (c.accepted + c.throttled) as f64;
    let (id, busiest) = step
        .shards
        .iter()
        .max_by(|a, b| demand(a.1).total_cmp(&demand(b.1)).then_with(|| b.0.cmp(a.0)))?;
    let secs = (step.elapsed_ms / 1e3).max(1e-9);
    let total: f64 = step.shards.values().map(demand).sum();
    let mean = total / step.shards.len() as f64;
    let record_bytes = step.bytes_per_entry();
    let demand_rps = demand(busiest) / secs;
    let vs_mean = if mean > 0.0 { demand(busiest) / mean } else { 1.0 };
    Some(ShardPeak {
        shard: id.clone(),
        demand_rps,
        records_share: demand_rps / KINESIS_SHARD_RECORDS_PER_SEC as f64,
        bytes_share: demand_rps * record_bytes / KINESIS_SHARD_BYTES_PER_SEC as f64,
        vs_mean,
        hot: step.shards.len() > 1 && vs_mean >= HOT_SHARD,
    })
}

/// Which limit bound `search`: the first condition its knee step missed, in the order
/// throttling, latency, achieved rate; a throttled knee with per-shard counts names the
/// per-shard limit its busiest shard came closest to.
pub fn limit(search: &Search) -> Limit {
    let Some(knee) = search.knee_step().map(|i| &search.steps[i]) else {
        return if search.stopped || search.steps.is_empty() {
            Limit::Unknown
        } else {
            Limit::Ceiling
        };
    };
    if knee.throttled > 0 && knee.why.iter().any(|w| w.starts_with("throttled")) {
        return match shard_peak(knee) {
            Some(p) if p.bytes_share > p.records_share => Limit::BytesPerS,
            Some(_) => Limit::RecordsPerS,
            None => Limit::Throttling,
        };
    }
    if knee.why.iter().any(|w| w.starts_with("p99")) {
        return Limit::Latency;
    }
    if knee.errored() > 0 || knee.attempted == 0 {
        return Limit::Errors;
    }
    Limit::Generator
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A destination that takes `capacity` records/s: above it, the excess is throttled.
    fn stream(capacity: f64, criteria: Criteria) -> impl FnMut(f64) -> Option<Step> {
        move |rate| Some(step(rate, capacity, 20.0).judge(&criteria))
    }

    /// A 1 s step at `rate` against `capacity` records/s, spread over four even shards.
    fn step(rate: f64, capacity: f64, p99_ms: f64) -> Step {
        let achieved = rate.min(capacity);
        let throttled = (rate - achieved).round() as u64;
        let shards = (0..4)
            .map(|i| {
                let c = ShardCounts {
                    accepted: (achieved / 4.0) as u64,
                    throttled: throttled / 4,
                };
                (format!("shardId-{i}"), c)
            })
            .collect();
        Step {
            target_rps: rate,
            achieved_rps: achieved,
            bytes_per_s: achieved * 100.0,
            elapsed_ms: 1000.0,
            offered: rate as u64,
            attempted: rate as u64,
            delivered: achieved as u64,
            failed: throttled,
            throttled,
            bytes: achieved as u64 * 100,
            throttle_ratio: (rate - achieved) / rate,
            p50_ms: p99_ms / 2.0,
            p99_ms,
            shards,
            ..Step::default()
        }
    }

    fn criteria() -> Criteria {
        Criteria {
            max_throttle: 0.01,
            max_p99: Duration::from_secs(1),
            min_achieved: 0.95,
        }
    }

    #[test]
    fn finds_the_capacity_within_the_precision() {
        let s = search(1000.0, 1e6, 0.02, stream(4000.0, criteria()));
        let found = s.max_rps.unwrap();
        assert!((3960.0..=4041.0).contains(&found), "{found}");
        assert_eq!(
            s.steps[..3].iter().map(|s| s.target_rps).collect::<Vec<_>>(),
            vec![1000.0, 2000.0, 4000.0]
        );
        assert!(s.steps.len() < 15, "{}", s.steps.len());
    }

    #[test]
    fn a_ceiling_that_holds_ends_the_search() {
        let s = search(1000.0, 3000.0, 0.02, stream(1e9, criteria()));
        assert_eq!(s.max_rps, Some(3000.0));
        assert_eq!(s.steps.len(), 3);
    }

    #[test]
    fn a_stopped_search_keeps_what_held_and_says_it_stopped() {
        let mut capacity = stream(4000.0, criteria());
        let mut steps = 0;
        let s = search(1000.0, 1e6, 0.02, |rate| {
            steps += 1;
            // The third step (4000/s) is interrupted.
            (steps < 3).then(|| capacity(rate)).flatten()
        });
        assert_eq!((s.max_rps, s.stopped, s.steps.len()), (Some(2000.0), true, 2));
        let mut text = Vec::new();
        write_text(&s, &criteria(), &mut text).unwrap();
        assert!(String::from_utf8(text)
            .unwrap()
            .contains("at least 2000 records/s held"));
    }

    #[test]
    fn nothing_holds_below_the_start() {
        let s = search(1000.0, 1e6, 0.02, stream(500.0, criteria()));
        assert_eq!(s.max_rps, None);
        assert_eq!(s.steps.len(), 1);
    }

    #[test]
    fn slow_latency_fails_a_step() {
        let c = criteria();
        assert!(!c.holds(1000.0, 1000.0, 0.0, 1500.0));
        assert!(
            !c.holds(1000.0, 900.0, 0.0, 10.0),
            "a step that fell behind does not count"
        );
        assert!(c.holds(1000.0, 990.0, 0.005, 10.0));
    }

    #[test]
    fn a_failed_step_says_which_conditions_it_missed() {
        let c = criteria();
        assert_eq!(
            c.missed(1000.0, 800.0, 0.2, 1500.0),
            [
                "throttled 20.00% > 1.00%",
                "p99 1500.0 ms > 1000 ms",
                "achieved 800/s < 95% of 1000/s"
            ]
        );
        let s = step(1000.0, 1e9, 10.0).judge(&c);
        assert_eq!((s.verdict, s.why.len()), (Verdict::Pass, 0));
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["verdict"], "pass");
    }

    #[test]
    fn the_limit_is_the_per_shard_limit_the_busiest_shard_came_closest_to() {
        let s = search(1000.0, 1e6, 0.02, stream(4000.0, criteria()));
        assert_eq!(limit(&s), Limit::RecordsPerS);
        let knee = &s.steps[s.knee_step().unwrap()];
        assert!(knee.target_rps > s.max_rps.unwrap());
        let words = explain(&s);
        assert!(words.starts_with("records/s per shard: at "), "{words}");
        assert!(!words.contains("hot"), "{words}");

        // 50 KB records on four shards: 1 MiB/s a shard binds at about 80 records/s.
        let big = |rate: f64| {
            let mut st = step(rate, 84.0, 20.0);
            st.bytes = st.delivered * 50_000;
            Some(st.judge(&criteria()))
        };
        let s = search(10.0, 1e4, 0.02, big);
        assert_eq!(limit(&s), Limit::BytesPerS);
        assert!(explain(&s).starts_with("bytes/s per shard"), "{}", explain(&s));
    }

    #[test]
    fn a_hot_shard_is_named() {
        let mut knee = step(2000.0, 1000.0, 20.0);
        knee.shards.insert(
            "shardId-0".into(),
            ShardCounts {
                accepted: 1000,
                throttled: 750,
            },
        );
        let s = Search {
            steps: vec![step(500.0, 1000.0, 20.0).judge(&criteria()), knee.judge(&criteria())],
            max_rps: Some(500.0),
            stopped: false,
        };
        let p = shard_peak(&s.steps[1]).unwrap();
        assert!(p.hot && p.shard == "shardId-0", "{p:?}");
        assert!(explain(&s).contains("shard shardId-0 was hot"), "{}", explain(&s));
    }

    /// Issue 15: with `--aggregate`, a shard's entries are packed records of several records:
    /// their bytes are the packed size, and a throttled entry fails all the records it carried.
    #[test]
    fn aggregated_steps_are_judged_per_packed_record() {
        // 4 shards, 10 records a packed record of 1,000 bytes: 20,000 records/s delivered
        // as 2,000 packed records/s, 500 a shard; 1,000 packed records throttled.
        let mut k = step(30_000.0, 20_000.0, 20.0);
        k.destination_records = 2_000;
        k.bytes = 2_000 * 1_000;
        k.throttled = 1_000;
        k.failed = 10_000;
        for c in k.shards.values_mut() {
            *c = ShardCounts {
                accepted: 500,
                throttled: 250,
            };
        }
        assert_eq!(k.records_per_entry(), 10.0);
        assert_eq!(k.errored(), 0, "every failed record was in a throttled packed record");
        let p = shard_peak(&k).unwrap();
        assert_eq!(p.demand_rps, 750.0);
        assert!((p.bytes_share - 750.0 * 1_000.0 / 1_048_576.0).abs() < 1e-9, "{p:?}");
        assert!((p.records_share - 0.75).abs() < 1e-9, "{p:?}");
        let s = Search {
            steps: vec![
                step(10_000.0, 1e9, 20.0).judge(&criteria()),
                k.clone().judge(&criteria()),
            ],
            max_rps: Some(10_000.0),
            stopped: false,
        };
        let said = explain(&s);
        assert!(said.contains("750 packed records of 10.0 records/s"), "{said}");
        // Without the count (an older report), each record is its own entry.
        k.destination_records = 0;
        assert_eq!(k.records_per_entry(), 1.0);
    }

    #[test]
    fn latency_errors_this_machine_and_the_ceiling_are_limits_too() {
        let c = criteria();
        let with = |knee: Step| Search {
            steps: vec![step(500.0, 1e9, 20.0).judge(&c), knee.judge(&c)],
            max_rps: Some(500.0),
            stopped: false,
        };
        assert_eq!(limit(&with(step(1000.0, 1e9, 2000.0))), Limit::Latency);
        let mut slow = step(1000.0, 1e9, 20.0);
        slow.achieved_rps = 700.0;
        assert_eq!(limit(&with(slow.clone())), Limit::Generator);
        slow.failed = 300;
        slow.errors.insert("InternalFailure".into(), 300);
        let errors = with(slow);
        assert_eq!(limit(&errors), Limit::Errors);
        assert!(
            explain(&errors).contains("InternalFailure: 300"),
            "{}",
            explain(&errors)
        );
        let mut firehose = step(1000.0, 500.0, 20.0);
        firehose.shards.clear();
        assert_eq!(limit(&with(firehose)), Limit::Throttling);
        let all_held = search(1000.0, 3000.0, 0.02, stream(1e9, c));
        assert_eq!(limit(&all_held), Limit::Ceiling);
        let stopped = Search {
            steps: vec![step(500.0, 1e9, 20.0).judge(&c)],
            max_rps: Some(500.0),
            stopped: true,
        };
        assert_eq!(limit(&stopped), Limit::Unknown);
    }
}
