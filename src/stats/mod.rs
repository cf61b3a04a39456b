//! Measurement: counters and latency histograms for a run, and the per-second timeline.
//!
//! Each worker owns a [`Recorder`] and records into it with plain field updates: no locks, no
//! atomics and no allocation on the per-record path (`docs/report-style.md#hot-paths`). On a tick
//! the worker swaps its recorder out with [`Recorder::take`] and sends it to the collector, which
//! merges it with `+=` into the running total, the current second and the live view
//! (`docs/report-style.md#stats-and-output`). Once a second the collector turns the second's
//! recorder into a [`TimelineRow`].
//!
//! Latency is kept as HdrHistograms ([`Latency`]) from several start points, because batching and
//! retries make one number insufficient (`docs/measurement.md#coordinated-omission`): from the
//! record's *intended* time (corrected for coordinated omission, the headline), from its actual
//! dispatch (uncorrected, to show the gap), per sink request, and the schedule lag itself.
//!
//! This module knows nothing about sinks, the engine or output formats.

mod latency;

use std::collections::BTreeMap;
use std::io;
use std::ops::AddAssign;
use std::ops::Bound;

use serde::{Deserialize, Serialize};

pub use latency::{Latency, LatencySummary};

/// Why a stored histogram could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    /// The text is not base64.
    #[error("histogram text is not base64 (at character {position})")]
    Base64 {
        /// Offset of the first character that is wrong.
        position: usize,
    },
    /// The bytes are not an HdrHistogram V2 encoding.
    #[error("histogram is not an HdrHistogram V2 encoding: {0}")]
    Histogram(String),
}

/// Record counts for a run or part of one. Summed with `+=`.
///
/// Every record that is offered ends up delivered, failed, rejected, or still in flight when a
/// snapshot is taken (or dropped by an interrupt before it was sent).
#[derive(Default, Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
pub struct Counters {
    /// Records whose intended send time came (scheduled), whether or not they went out on time.
    pub offered: u64,
    /// Records handed to the sink at least once.
    pub attempted: u64,
    /// Records acknowledged by the sink.
    pub delivered: u64,
    /// Records that finally failed: lost after retries.
    pub failed: u64,
    /// Records never sent because they were invalid (e.g. larger than the service allows).
    pub rejected: u64,
    /// Entry attempts the service throttled (a record throttled twice counts twice).
    pub throttled: u64,
    /// Entry retry attempts.
    pub retried: u64,
    /// Bytes of delivered records.
    pub bytes: u64,
    /// Sink requests made (`PutRecords` / `PutRecordBatch` calls, or writes for local sinks).
    pub requests: u64,
    /// Records sent a second time on purpose (`--duplicates`); included in the counts above.
    #[serde(default)]
    pub duplicates: u64,
    /// Records as the destination counted them: fewer than `delivered` with `--aggregate`
    /// (each carries several), otherwise the same.
    #[serde(default)]
    pub destination_records: u64,
}

impl AddAssign for Counters {
    fn add_assign(&mut self, o: Counters) {
        self.offered += o.offered;
        self.attempted += o.attempted;
        self.delivered += o.delivered;
        self.failed += o.failed;
        self.rejected += o.rejected;
        self.throttled += o.throttled;
        self.retried += o.retried;
        self.bytes += o.bytes;
        self.requests += o.requests;
        self.duplicates += o.duplicates;
        self.destination_records += o.destination_records;
    }
}

impl AddAssign<&Counters> for Counters {
    fn add_assign(&mut self, o: &Counters) {
        *self += *o;
    }
}

/// Everything one worker measured since its last hand-over. Merged with `+=`.
#[derive(Default, Clone, Debug)]
pub struct Recorder {
    /// Record counts.
    pub counters: Counters,
    /// Record intended time → final ack: corrected for coordinated omission (the headline).
    pub e2e: Latency,
    /// Record actual dispatch → final ack: uncorrected, to show the coordinated-omission gap.
    pub send: Latency,
    /// One sink request, send → response.
    pub request: Latency,
    /// Schedule lag: record intended time → dispatch.
    pub lag: Latency,
    /// Failed and rejected records by stable error code (e.g. `ProvisionedThroughputExceededException`).
    pub errors: BTreeMap<String, u64>,
    /// Requests in flight when this was taken. A gauge, not summed: merging keeps the latest.
    pub in_flight: u64,
    /// Per Kinesis shard, from `ShardId` in responses and the shard named in throttling messages.
    pub shards: BTreeMap<String, ShardCounts>,
}

/// What one Kinesis shard did.
#[derive(Default, Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ShardCounts {
    /// Records the shard accepted.
    pub accepted: u64,
    /// Entry attempts the shard throttled.
    pub throttled: u64,
}

impl Recorder {
    /// Merge `other` into this one: counters, histograms and error counts add up; `in_flight`
    /// takes `other`'s value.
    pub fn merge(&mut self, other: &Recorder) {
        self.counters += other.counters;
        self.e2e.add(&other.e2e);
        self.send.add(&other.send);
        self.request.add(&other.request);
        self.lag.add(&other.lag);
        for (code, n) in &other.errors {
            self.error(code, *n);
        }
        for (shard, c) in &other.shards {
            self.shard(shard, c.accepted, c.throttled);
        }
        self.in_flight = other.in_flight;
    }

    /// Hand over everything recorded so far and start again from empty.
    pub fn take(&mut self) -> Recorder {
        std::mem::take(self)
    }

    /// Count records a shard accepted and entry attempts it throttled.
    pub fn shard(&mut self, shard: &str, accepted: u64, throttled: u64) {
        let c = match self.shards.get_mut(shard) {
            Some(c) => c,
            None => self.shards.entry(shard.to_owned()).or_default(),
        };
        c.accepted += accepted;
        c.throttled += throttled;
    }

    /// Count `n` records under error `code`. Allocates only the first time a code is seen.
    pub fn error(&mut self, code: &str, n: u64) {
        if n == 0 {
            return;
        }
        match self.errors.get_mut(code) {
            Some(count) => *count += n,
            None => {
                self.errors.insert(code.to_owned(), n);
            }
        }
    }
}

impl AddAssign<&Recorder> for Recorder {
    fn add_assign(&mut self, other: &Recorder) {
        self.merge(other);
    }
}

impl AddAssign for Recorder {
    fn add_assign(&mut self, other: Recorder) {
        self.merge(&other);
    }
}

/// One second of a run: a line of the `--timeline` NDJSON file.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Default)]
pub struct TimelineRow {
    /// Seconds since the start (row 0 covers the first second).
    pub t_s: u64,
    /// The wall-clock second this row covers (Unix time), to align the timelines of instances.
    #[serde(default)]
    pub unix_s: i64,
    /// Records whose intended time fell in this second.
    pub offered: u64,
    /// Records delivered (acknowledged) in this second.
    pub sent: u64,
    /// Records that finally failed in this second.
    pub failed: u64,
    /// Throttled entry attempts in this second.
    pub throttled: u64,
    /// Delivered bytes in this second.
    pub bytes: u64,
    /// 99th percentile of the corrected end-to-end latency of records acknowledged in this
    /// second, in ms (0 when none were).
    pub p99_ms: f64,
    /// Largest schedule lag seen in this second, in ms.
    pub lag_ms: f64,
    /// The run ended during this second (the last row): its counts cover part of a second, so
    /// they are not a rate. Written only when true.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
}

/// The per-second series of a run (`docs/measurement.md#per-second-series`).
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    rows: Vec<TimelineRow>,
    start_unix_s: i64,
}

impl Timeline {
    /// An empty timeline.
    pub fn new() -> Self {
        Timeline::default()
    }

    /// An empty timeline whose second 0 is the Unix second `start_unix_s`.
    pub fn starting_at(start_unix_s: i64) -> Self {
        Timeline {
            rows: Vec::new(),
            start_unix_s,
        }
    }

    /// Merge the timelines of several instances by wall-clock second: counts add; the p99 and
    /// lag of a second are the largest of the instances' (an upper bound, since per-second
    /// histograms are not kept).
    pub fn merge(parts: &[Vec<TimelineRow>]) -> Vec<TimelineRow> {
        let mut m = MergedTimeline::new(parts.len());
        for (job, rows) in parts.iter().enumerate() {
            m.push(job, rows);
        }
        m.rows()
    }

    /// Add the row for second `t_s` from what was recorded during that second.
    pub fn push_interval(&mut self, t_s: u64, interval: &Recorder) {
        let c = &interval.counters;
        self.rows.push(TimelineRow {
            t_s,
            unix_s: self.start_unix_s + t_s as i64,
            offered: c.offered,
            sent: c.delivered,
            failed: c.failed,
            throttled: c.throttled,
            bytes: c.bytes,
            p99_ms: interval.e2e.percentile_ms(99.0),
            lag_ms: interval.lag.max_ms(),
            partial: false,
        });
    }

    /// Add the last row, second `t_s`, in which the run ended: marked partial.
    pub fn push_last(&mut self, t_s: u64, interval: &Recorder) {
        self.push_interval(t_s, interval);
        if let Some(last) = self.rows.last_mut() {
            last.partial = true;
        }
    }

    /// The rows so far, oldest first.
    pub fn rows(&self) -> &[TimelineRow] {
        &self.rows
    }

    /// Write one JSON object per row, each on its own line.
    ///
    /// # Errors
    /// Writing to `w` failed.
    pub fn write_ndjson(&self, w: &mut impl io::Write) -> io::Result<()> {
        for row in &self.rows {
            serde_json::to_writer(&mut *w, row)?;
            w.write_all(b"\n")?;
        }
        Ok(())
    }
}

/// The merged per-second series of jobs that run at the same time, built as their rows arrive
/// (as [`Timeline::merge`] of everything pushed), so it can be written while they run: a
/// wall-clock second is complete, and no job can add to it, once every job still running has
/// a row for it or a later one.
#[derive(Debug)]
pub struct MergedTimeline {
    /// Per job: the last Unix second it has a row for, and whether it has ended.
    jobs: Vec<(Option<i64>, bool)>,
    by_second: BTreeMap<i64, TimelineRow>,
    /// The last second [`MergedTimeline::complete`] has handed out.
    handed: Option<i64>,
}

impl MergedTimeline {
    /// A merge of `jobs` jobs' timelines, none of them with rows yet.
    pub fn new(jobs: usize) -> Self {
        MergedTimeline {
            jobs: vec![(None, false); jobs],
            by_second: BTreeMap::new(),
            handed: None,
        }
    }

    /// Add job `job`'s next rows (in order, after the ones pushed before).
    pub fn push(&mut self, job: usize, rows: &[TimelineRow]) {
        for row in rows {
            let m = self.by_second.entry(row.unix_s).or_insert(TimelineRow {
                unix_s: row.unix_s,
                ..TimelineRow::default()
            });
            m.offered += row.offered;
            m.sent += row.sent;
            m.failed += row.failed;
            m.throttled += row.throttled;
            m.bytes += row.bytes;
            m.p99_ms = m.p99_ms.max(row.p99_ms);
            m.lag_ms = m.lag_ms.max(row.lag_ms);
            m.partial |= row.partial;
            self.jobs[job].0 = Some(row.unix_s);
        }
    }

    /// Job `job` has ended: every row it has was pushed.
    pub fn end(&mut self, job: usize) {
        self.jobs[job].1 = true;
    }

    /// The merged rows that became complete since the last call, oldest first.
    pub fn complete(&mut self) -> Vec<TimelineRow> {
        let mut horizon = i64::MAX;
        for &(last, ended) in &self.jobs {
            match (last, ended) {
                (_, true) => {}
                (Some(s), false) => horizon = horizon.min(s),
                // A job without rows could still add a second before every other one.
                (None, false) => return Vec::new(),
            }
        }
        if self.handed.is_some_and(|h| h >= horizon) {
            return Vec::new();
        }
        let first = self.first();
        // From the second after the last one handed out: no walk over the whole run each time.
        let after = self.handed.map_or(Bound::Unbounded, Bound::Excluded);
        let rows: Vec<TimelineRow> = self
            .by_second
            .range((after, Bound::Included(horizon)))
            .map(|(_, r)| with_t_s(*r, first))
            .collect();
        if let Some(last) = rows.last() {
            self.handed = Some(last.unix_s);
        }
        rows
    }

    /// Every merged row so far, oldest first; `t_s` counts from the earliest second.
    pub fn rows(&self) -> Vec<TimelineRow> {
        let first = self.first();
        self.by_second.values().map(|r| with_t_s(*r, first)).collect()
    }

    fn first(&self) -> i64 {
        self.by_second.keys().next().copied().unwrap_or_default()
    }
}

fn with_t_s(mut row: TimelineRow, first: i64) -> TimelineRow {
    row.t_s = (row.unix_s - first).max(0) as u64;
    row
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn counters(k: u64) -> Counters {
        Counters {
            offered: k,
            attempted: 2 * k,
            delivered: 3 * k,
            failed: 4 * k,
            rejected: 5 * k,
            throttled: 6 * k,
            retried: 7 * k,
            bytes: 8 * k,
            requests: 9 * k,
            duplicates: 10 * k,
            destination_records: 11 * k,
        }
    }

    #[test]
    fn counters_add_field_by_field() {
        let mut c = counters(1);
        c += counters(10);
        assert_eq!(c, counters(11));
        c += &counters(1);
        assert_eq!(c, counters(12));
    }

    #[test]
    fn merging_recorders_adds_counters_histograms_and_errors() {
        let mut a = Recorder {
            counters: counters(1),
            in_flight: 7,
            ..Recorder::default()
        };
        a.e2e.record_n(Duration::from_millis(5), 10);
        a.lag.record(Duration::from_millis(1));
        a.error("ProvisionedThroughputExceededException", 2);

        let mut b = Recorder {
            counters: counters(2),
            in_flight: 2,
            ..Recorder::default()
        };
        b.e2e.record_n(Duration::from_millis(50), 10);
        b.send.record(Duration::from_millis(3));
        b.request.record(Duration::from_millis(4));
        b.error("ProvisionedThroughputExceededException", 3);
        b.error("InternalFailure", 1);
        b.error("Unused", 0);

        let mut total = Recorder::default();
        total += &a;
        total += &b;
        assert_eq!(total.counters, counters(3));
        assert_eq!(total.e2e.count(), 20);
        assert!((total.e2e.max_ms() - 50.0).abs() < 0.1);
        assert!((total.e2e.percentile_ms(50.0) - 5.0).abs() < 0.01);
        assert_eq!(
            (total.send.count(), total.request.count(), total.lag.count()),
            (1, 1, 1)
        );
        assert_eq!(total.errors.len(), 2);
        assert_eq!(total.errors["ProvisionedThroughputExceededException"], 5);
        assert_eq!(total.errors["InternalFailure"], 1);
        assert_eq!(total.in_flight, 2, "a gauge keeps the latest value");

        let mut by_value = a.clone();
        by_value += b;
        assert_eq!(by_value.counters, total.counters);
        assert_eq!(by_value.e2e, total.e2e);
    }

    #[test]
    fn take_hands_over_everything_and_leaves_an_empty_recorder() {
        let mut r = Recorder::default();
        r.counters.delivered = 5;
        r.e2e.record(Duration::from_millis(1));
        r.error("X", 1);
        r.in_flight = 3;
        let got = r.take();
        assert_eq!(got.counters.delivered, 5);
        assert_eq!(got.e2e.count(), 1);
        assert_eq!(got.in_flight, 3);
        assert_eq!(r.counters, Counters::default());
        assert_eq!(r.e2e.count(), 0);
        assert!(r.errors.is_empty());
        assert_eq!(r.in_flight, 0);
    }

    #[test]
    fn timeline_rows_come_from_each_seconds_recorder_and_parse_back_from_ndjson() {
        let mut tl = Timeline::new();
        let counters = Counters {
            offered: 100,
            delivered: 98,
            failed: 2,
            throttled: 4,
            bytes: 9800,
            ..Counters::default()
        };
        let mut second = Recorder {
            counters,
            ..Recorder::default()
        };
        for i in 1..=100 {
            second.e2e.record(Duration::from_millis(i));
        }
        second.lag.record(Duration::from_millis(3));
        second.lag.record(Duration::from_millis(12));
        tl.push_interval(0, &second);
        tl.push_interval(1, &Recorder::default());

        let rows = tl.rows();
        assert_eq!(rows.len(), 2);
        let r = rows[0];
        assert_eq!(
            (r.t_s, r.offered, r.sent, r.failed, r.throttled, r.bytes),
            (0, 100, 98, 2, 4, 9800)
        );
        assert!((r.p99_ms - 99.0).abs() < 0.1, "{}", r.p99_ms);
        assert!((r.lag_ms - 12.0).abs() < 0.01, "{}", r.lag_ms);
        assert_eq!(
            (rows[1].t_s, rows[1].sent, rows[1].p99_ms, rows[1].lag_ms),
            (1, 0, 0.0, 0.0)
        );

        let mut out = Vec::new();
        tl.write_ndjson(&mut out).expect("writes");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(text.ends_with('\n'));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        for (line, row) in lines.iter().zip(rows) {
            let back: TimelineRow = serde_json::from_str(line).expect("each line is one JSON row");
            assert_eq!(&back, row);
        }
        assert!(
            lines[0].starts_with(r#"{"t_s":0,"unix_s":0,"offered":100,"sent":98,"#),
            "{}",
            lines[0]
        );
    }

    #[test]
    fn an_empty_timeline_writes_nothing() {
        let mut out = Vec::new();
        Timeline::new().write_ndjson(&mut out).expect("writes");
        assert!(out.is_empty());
    }
}

#[cfg(test)]
mod merge_tests {
    use super::*;

    #[test]
    fn timelines_of_instances_align_by_wall_clock_second() {
        let row = |unix_s, sent, p99_ms| TimelineRow {
            unix_s,
            sent,
            offered: sent,
            p99_ms,
            ..TimelineRow::default()
        };
        let a = vec![row(100, 10, 5.0), row(101, 10, 7.0)];
        let b = vec![row(101, 20, 3.0), row(102, 20, 9.0)];
        let m = Timeline::merge(&[a, b]);
        assert_eq!(
            m.iter().map(|r| (r.t_s, r.unix_s, r.sent)).collect::<Vec<_>>(),
            vec![(0, 100, 10), (1, 101, 30), (2, 102, 20)]
        );
        assert_eq!(m[1].p99_ms, 7.0, "the larger of the instances' p99s");
    }

    /// Issue 13: a scenario's merged timeline is written while its jobs run: a second is handed
    /// out once every running job is past it, and the rows handed out, in order, are exactly
    /// the merge of everything at the end.
    #[test]
    fn the_live_merge_hands_out_each_second_once_every_job_is_past_it() {
        let row = |unix_s, sent| TimelineRow {
            unix_s,
            sent,
            ..TimelineRow::default()
        };
        let a = vec![row(100, 1), row(101, 2), row(102, 3), row(103, 4)];
        let b = vec![row(101, 10), row(102, 20), row(103, 30), row(104, 40)];
        let mut m = MergedTimeline::new(2);
        let mut out = Vec::new();
        m.push(0, &a[..2]);
        assert!(
            m.complete().is_empty(),
            "job 1 has no rows yet: it may still start first"
        );
        m.push(1, &b[..1]);
        out.extend(m.complete());
        assert_eq!(out.iter().map(|r| r.unix_s).collect::<Vec<_>>(), vec![100, 101]);
        m.push(1, &b[1..3]);
        out.extend(m.complete());
        assert_eq!(out.len(), 2, "job 0 is at 101: 102 may still grow");
        m.push(0, &a[2..]);
        m.end(0);
        out.extend(m.complete());
        assert_eq!(out.last().map(|r| r.unix_s), Some(103));
        m.push(1, &b[3..]);
        m.end(1);
        out.extend(m.complete());
        assert!(m.complete().is_empty(), "nothing is handed out twice");
        assert_eq!(out, Timeline::merge(&[a, b]));
        assert_eq!(out, m.rows());
        assert_eq!(
            out.iter().map(|r| (r.t_s, r.sent)).collect::<Vec<_>>(),
            vec![(0, 1), (1, 12), (2, 23), (3, 34), (4, 40)]
        );
        // A job that ends without a row holds nothing up.
        let mut m = MergedTimeline::new(2);
        m.end(1);
        m.push(0, &[row(7, 1)]);
        assert_eq!(m.complete().len(), 1);
    }
}
