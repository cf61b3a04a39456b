//! The engine's contract: a [`LoadPlan`] holds everything the engine reads, and nothing else.
//!
//! The command line, output paths, thresholds, pre-flight and AWS options stay in
//! [`crate::config`]; the engine sees only the schedule (rate, pacing, arrivals, backfill),
//! when to stop (count, duration), how to batch (workers, batch size, linger), which share of
//! a split run this is, the seed, and how each record is shaped on its way to the sink.

use std::num::NonZeroUsize;
use std::time::Duration;

use serde::Serialize;

use super::schedule::{Arrivals, Backfill, Pacing, Rate};

/// What the engine runs: a schedule, a stop condition and the shape of each record.
#[derive(Debug, Clone)]
pub struct LoadPlan {
    /// The target rate.
    pub rate: Rate,
    /// Pacing within a second.
    pub pacing: Pacing,
    /// Evenly spaced or Poisson arrivals.
    pub arrivals: Arrivals,
    /// Walk simulated time instead of the wall clock (`--backfill`).
    pub backfill: Option<Backfill>,
    /// Stop after this many records.
    pub count: Option<u64>,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// After a stop (the duration, a signal), how long requests in flight and their retries
    /// may still take (`--drain-timeout`); what is pending then fails as `DrainTimeout`.
    pub drain_timeout: Duration,
    /// Threads of the runtime that renders (`--workers`).
    pub workers: NonZeroUsize,
    /// Tasks that render and send: one per worker locally, one per request in flight remotely.
    pub tasks: NonZeroUsize,
    /// Most records per batch.
    pub batch_size: NonZeroUsize,
    /// Longest a record waits for its batch.
    pub linger: Duration,
    /// This process's share of a run split across instances.
    pub instance: Option<Instance>,
    /// Wall-clock start, ms since the epoch (`--start-at`).
    pub start_at_ms: Option<i64>,
    /// The seed of the run (the template section of the report shows it).
    pub seed: u64,
    /// How each record is shaped on its way to the sink.
    pub shaping: Shaping,
}

impl Default for LoadPlan {
    /// 100 records/s, smooth and uniform, one worker and task, no limit: what a plain
    /// `kdg run t.hbs` to stdout does, with seed 0.
    fn default() -> LoadPlan {
        LoadPlan {
            rate: Rate::per_second(100.0),
            pacing: Pacing::Smooth,
            arrivals: Arrivals::Uniform,
            backfill: None,
            count: None,
            duration: None,
            drain_timeout: DEFAULT_DRAIN_TIMEOUT,
            workers: NonZeroUsize::MIN,
            tasks: NonZeroUsize::MIN,
            batch_size: NonZeroUsize::new(DEFAULT_LOCAL_BATCH).expect("non-zero"),
            linger: DEFAULT_LOCAL_LINGER,
            instance: None,
            start_at_ms: None,
            seed: 0,
            shaping: Shaping::default(),
        }
    }
}

/// How long a stopped run may drain by default: a few seconds past `--duration`, and well
/// inside the 30 s Kubernetes gives a pod between SIGTERM and SIGKILL
/// (<https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination>).
pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(10);
/// A paced run behind schedule at its end still sends the records that are at most this late;
/// the rest of its backlog is not sent (the report's lag says how far behind it was).
pub const LATE_RECORDS: Duration = Duration::from_secs(1);

/// The default most records per batch for local sinks (stdout, file, null).
pub const DEFAULT_LOCAL_BATCH: usize = 1024;
/// How long a record may wait for its batch by default: local sinks.
pub const DEFAULT_LOCAL_LINGER: Duration = Duration::from_millis(1);
/// How long a record may wait for its batch by default: AWS destinations (the KPL's default
/// `RecordMaxBufferedTime`).
pub const DEFAULT_AWS_LINGER: Duration = Duration::from_millis(100);

/// What happens to each rendered record before it is sent.
#[derive(Debug, Clone)]
pub struct Shaping {
    /// End each record with `\n`.
    pub newline: bool,
    /// Gzip each record on its own.
    pub gzip: bool,
    /// Share of records sent twice (`--duplicates`).
    pub duplicates: f64,
    /// Pack several records into one destination record (`--aggregate`).
    pub aggregate: Option<Aggregate>,
    /// Mark records so they can be found again (`--verify`); the engine then keeps the numbers
    /// of the records the destination acknowledged.
    pub mark: Option<Mark>,
}

impl Default for Shaping {
    fn default() -> Shaping {
        Shaping {
            newline: true,
            gzip: false,
            duplicates: 0.0,
            aggregate: None,
            mark: None,
        }
    }
}

/// How records are packed (`--aggregate N`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Aggregate {
    /// Most records per packed record.
    pub most: NonZeroUsize,
    /// The packing.
    pub format: PackFormat,
}

/// A packing of several records into one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackFormat {
    /// KPL aggregation, for Kinesis.
    Kpl,
    /// Newline-separated lines, for Firehose.
    Lines,
}

/// How a record carries its `RUNID-N` marker for `--verify`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    /// The JSON field that carries it; `None`, or a record that is not a JSON object, marks
    /// the partition key (`kdg-RUNID-N`) instead.
    pub field: Option<String>,
}

/// One of N processes sharing a run (`--instance I/N`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Instance {
    /// This instance, `0..count`.
    pub index: u64,
    /// How many instances share the run.
    pub count: u64,
}

impl Instance {
    /// The global record number of this instance's `k`th record.
    pub fn global(&self, k: u64) -> u64 {
        k * self.count + self.index
    }

    /// This instance's share of `total` records.
    pub fn share(&self, total: u64) -> u64 {
        total / self.count + u64::from(self.index < total % self.count)
    }
}
