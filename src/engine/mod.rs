//! The load engine: paces, renders, hands batches to a sink, and measures.
//!
//! **Open model.** Record *n* has an intended send time fixed before the run starts:
//! `start + n / rate` (smooth) or the start of second `floor(n / rate)` (KDG's bursts). Workers
//! claim blocks of record numbers in order from one counter, sleep until the block's last record
//! is due, render it and send it. A slow destination never slows the schedule down: records go
//! out late, the *schedule lag* grows and is reported, and latency is measured from the intended
//! time (corrected for coordinated omission) as well as from the actual send.
//!
//! **Stopping** (`docs/stopping.md`). `--count` and, for paced runs, `--duration` both become a
//! last record number, so a paced run sends exactly `min(count, rate × duration)` records. No
//! block is claimed after the planned end (a paced run behind schedule: after
//! [`plan::LATE_RECORDS`] more). The shutdown future (a stop signal) stops claiming at once. From
//! the planned end or the shutdown, requests in flight get the drain timeout; then the sink's
//! [`Cutoff`] fails what is still pending as `DrainTimeout`.
//!
//! **Stats.** Each worker records into its own [`Recorder`] and hands it over every 50 ms; the
//! collector (this module's `run`) merges them for the live view, the per-second timeline and the
//! final report. Nothing on the per-record path takes a lock.
//!
//! This is the only module that spawns tasks. It never touches the terminal.

pub mod pack;
pub mod periodic;
pub mod plan;
pub mod schedule;

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::replay::{Feed, Row};
use crate::report::{BackfillSummary, Drain, Report, ReportInput, StopReason};
use crate::sink::{Batch, Cutoff, Delivery, Sink, SinkError, DRAIN_TIMEOUT};
use crate::source::Source;
use crate::stats::{Recorder, Timeline};
use crate::template::Template;

pub use plan::LoadPlan;
use schedule::Backfill;
pub use schedule::{Block, Schedule};

/// How often workers hand their recorders to the collector.
const FLUSH_EVERY: Duration = Duration::from_millis(50);
/// How long after each second's end its timeline row is closed: the workers hand over the
/// stats of a second as soon as they see it end ([`Handover`]), and this leaves them the time.
const SECOND_GRACE: Duration = Duration::from_millis(250);
/// How often the observer sees a [`Live`] view.
const OBSERVE_EVERY: Duration = Duration::from_millis(250);
/// The window of the live "now" rates: a second at least, so that handovers every
/// [`FLUSH_EVERY`] do not make them jump.
const RATE_WINDOW: Duration = Duration::from_secs(1);

/// Schedule lag at or above this is attributed to a cause in the live view.
const LAG_SHOWN: Duration = Duration::from_millis(100);

/// What a run that fell behind its schedule was waiting on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LagCause {
    /// The destination throttled: records were retried.
    Throttled,
    /// The workers' time went to waiting on the sink's responses.
    Destination,
    /// The workers' time went to rendering: the limit is this machine.
    Generator,
}

impl LagCause {
    /// The cause, from what happened over the same span: throttled entries, and the workers'
    /// time rendering and in the sink.
    pub fn of(throttled: u64, render_ns: u64, send_ns: u64) -> LagCause {
        if throttled > 0 {
            LagCause::Throttled
        } else if send_ns > render_ns {
            LagCause::Destination
        } else {
            LagCause::Generator
        }
    }

    /// As the live line and the text report say it.
    pub fn label(self) -> &'static str {
        match self {
            LagCause::Throttled => "throttled",
            LagCause::Destination => "destination-bound",
            LagCause::Generator => "generator-bound",
        }
    }
}

/// Templates for the keys of Kinesis records.
#[derive(Default, Clone)]
pub struct Keys {
    /// `--partition-key`; `None` = a random 10-digit decimal per record, as KDG does.
    pub partition: Option<Arc<Template>>,
    /// `--explicit-hash-key`.
    pub hash: Option<Arc<Template>>,
}

/// What the live progress display shows, a few times a second.
#[derive(Debug, Clone, Default)]
pub struct Live {
    /// Time since the start.
    pub elapsed: Duration,
    /// The planned duration, if any.
    pub planned: Option<Duration>,
    /// The planned record count, if any.
    pub planned_records: Option<u64>,
    /// Target records per second, if paced.
    pub target_rps: Option<f64>,
    /// Delivered records per second over the last second (`RATE_WINDOW`).
    pub rps_now: f64,
    /// Delivered records per second since the start.
    pub rps_avg: f64,
    /// Delivered bytes per second over the last second.
    pub bytes_per_s: f64,
    /// Totals so far.
    pub total: crate::stats::Counters,
    /// Corrected latency percentiles so far, in ms.
    pub p50_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Corrected latency percentiles of the records delivered over the last second, in ms.
    pub p50_window_ms: f64,
    /// 99th percentile over the last second.
    pub p99_window_ms: f64,
    /// When the schedule lag is at least 100 ms: what the workers waited on over the last
    /// second.
    pub lag_cause: Option<LagCause>,
    /// Batches being sent now.
    pub in_flight: u64,
    /// Current schedule lag.
    pub lag: Duration,
    /// While the run drains after its stop: how long the drain may still take.
    pub draining: Option<Duration>,
    /// The target rate now (a ramp's or step's current rate); `None` when flat out.
    pub target_now: Option<f64>,
    /// The run's id (as in the report), for labelling live metrics.
    pub run_id: String,
    /// Failed and rejected records by error code so far.
    pub errors: std::collections::BTreeMap<String, u64>,
    /// Per Kinesis shard so far.
    pub shards: std::collections::BTreeMap<String, crate::stats::ShardCounts>,
    /// Corrected end-to-end latency so far (for histograms).
    pub e2e: crate::stats::Latency,
    /// The timeline rows of the seconds completed since the previous view, oldest first (the
    /// run's last, partial second is only in [`RunOutput::timeline`]).
    pub new_seconds: Vec<crate::stats::TimelineRow>,
}

/// The result of a run.
#[derive(Debug)]
pub struct RunOutput {
    /// The final report.
    pub report: Report,
    /// One row per second.
    pub timeline: Timeline,
    /// The run's id (it marks records for `--verify`).
    pub run_id: String,
    /// With `--verify`: the records the destination acknowledged, with the wall-clock time
    /// (ms) their batch was sent.
    pub acked: Vec<(u64, i64)>,
}

/// Why the engine could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The destination failed for good.
    #[error("destination failed: {0}")]
    Sink(String),
    /// The input file could not be read.
    #[error("{0}")]
    Input(String),
}

struct Shared {
    schedule: Schedule,
    /// Last record number + 1 (from --count).
    limit: u64,
    /// When paced: no record due at or after this many seconds (from --duration).
    until: Option<f64>,
    /// Most records per block, and how long a record may wait for its block.
    block_max: u64,
    linger: Duration,
    /// No block is claimed from then on (from --duration).
    deadline: Option<Instant>,
    stop: watch::Receiver<bool>,
    /// When sends still pending give up: set when the run starts to drain.
    cutoff: Cutoff,
    closed: AtomicBool,
    /// The destination can take no more records: why (from [`Delivery::halt`]).
    halted: std::sync::Mutex<Option<String>>,
    in_flight: AtomicU64,
    last_lag_us: AtomicU64,
    /// Time the workers spent rendering and in the sink, ns: what a lagging run waited on.
    render_ns: AtomicU64,
    send_ns: AtomicU64,
    fatal: std::sync::Mutex<Option<String>>,
    /// With `--verify`: acknowledged record numbers.
    acked: Option<std::sync::Mutex<Vec<(u64, i64)>>>,
    /// With `--from`: the file being replayed.
    replay: Option<std::sync::Mutex<Feed>>,
    instance: Option<plan::Instance>,
    /// The run's id.
    run_id: String,
}

impl Shared {
    /// Claim the next block of records; with a replay, read their rows into `rows`.
    fn claim(&self, rows: &mut Vec<Row>) -> Option<Block> {
        if *self.stop.borrow() || self.closed.load(Ordering::Relaxed) || self.is_halted() {
            return None;
        }
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return None;
        }
        let Some(replay) = &self.replay else {
            return self.schedule.claim(self.block_max, self.linger, self.limit, self.until);
        };
        // Rows are read while the lock is held, so blocks and rows stay in the same order.
        let mut feed = replay.lock().expect("replay lock");
        if feed.done() {
            return None;
        }
        let mut block = self
            .schedule
            .claim(self.block_max, self.linger, self.limit, self.until)?;
        // An instance takes the rows whose index belongs to it and passes over the others.
        let row_of = |k: u64| self.instance.map_or(k, |i| i.global(k));
        let got = feed.fill(block.first, block.len, row_of, rows);
        block.len = got as u64;
        block.offsets.truncate(got);
        (got > 0).then_some(block)
    }

    fn is_halted(&self) -> bool {
        self.halted.lock().expect("lock").is_some()
    }
}

/// Run a load: render `source` records and send them to `sink` per `load`, until a stop
/// condition or `shutdown` resolves. `observe` is called a few times a second with a live view.
/// The report's `config` is left empty: the caller echoes its own configuration there.
///
/// # Errors
/// The sink failed for good (per-record failures are counted, not errors).
pub async fn run(
    load: &LoadPlan,
    source: Arc<Source>,
    keys: Keys,
    sink: Arc<Sink>,
    shutdown: impl Future<Output = ()>,
    observe: &mut (dyn FnMut(&Live) + Send),
) -> Result<RunOutput, EngineError> {
    tokio::pin!(shutdown);
    let (stop_tx, stop_rx) = watch::channel(false);
    // A start barrier for instances: wait for the agreed wall-clock instant, unless stopped
    // first (the run then sends nothing and reports the interrupt).
    let mut interrupted = wait_for_start(load.start_at_ms, &mut shutdown).await;
    if interrupted {
        let _ = stop_tx.send(true);
    }
    let started_at = jiff::Timestamp::now();
    let start = Instant::now();
    let schedule = Schedule::new(
        start,
        started_at.as_millisecond(),
        &load.rate,
        load.pacing,
        load.arrivals,
        load.seed,
    );
    let schedule = match load.backfill {
        Some(b) => schedule.with_backfill(b),
        None => schedule,
    };
    let paced = schedule.is_paced();
    let until = match schedule.backfill_span() {
        Some(span) => Some(span),
        None if paced => load.duration.map(|d| d.as_secs_f64()),
        None => None,
    };
    let target_rps = schedule.mean_rate(load.duration);
    // The planned end: the drain starts there. A paced run behind schedule may still claim the
    // records that are a little late; a flat-out run stops claiming at once.
    let planned_end = load.duration.map(|d| start + d);
    let deadline = planned_end.map(|end| if paced { end + plan::LATE_RECORDS } else { end });
    let (set_cutoff, cutoff) = Cutoff::new();
    // The replay's input as setup opened it (what setup read is replayed too), never reopened.
    let replay = match source.take_feed() {
        Some(feed) => Some(std::sync::Mutex::new(
            feed.map_err(|e| EngineError::Input(e.to_string()))?,
        )),
        None => None,
    };
    let run_id = format!(
        "{:016x}",
        crate::faker::splitmix64(load.seed ^ started_at.as_nanosecond() as u64)
    );
    let shared = Arc::new(Shared {
        schedule,
        limit: load.count.unwrap_or(u64::MAX),
        until,
        block_max: load.batch_size.get() as u64,
        linger: load.linger,
        deadline,
        stop: stop_rx,
        cutoff,
        closed: AtomicBool::new(false),
        halted: std::sync::Mutex::new(None),
        in_flight: AtomicU64::new(0),
        last_lag_us: AtomicU64::new(0),
        render_ns: AtomicU64::new(0),
        send_ns: AtomicU64::new(0),
        fatal: std::sync::Mutex::new(None),
        acked: load.shaping.mark.as_ref().map(|_| std::sync::Mutex::new(Vec::new())),
        replay,
        instance: load.instance,
        run_id: run_id.clone(),
    });
    let tasks = load.tasks.get();

    let (tx, mut rx) = mpsc::unbounded_channel::<Handover>();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..tasks {
        let w = Worker {
            shared: Arc::clone(&shared),
            source: Arc::clone(&source),
            keys: keys.clone(),
            shaping: load.shaping.clone(),
            instance: load.instance,
            sink: Arc::clone(&sink),
            tx: tx.clone(),
            start,
            seed: load.seed,
            run_id: run_id.clone(),
        };
        let packer = load.shaping.aggregate.map(|a| {
            let packer = match a.format {
                plan::PackFormat::Lines => pack::Packer::Lines(crate::aggregate::LinePacker::new()),
                plan::PackFormat::Kpl => pack::Packer::Kpl(Box::default()),
            };
            (a.most.get(), packer)
        });
        workers.spawn(w.run(packer));
    }
    drop(tx);

    let mut total = Recorder::default();
    // The seconds not closed yet, by index: the current one, and the next once a worker saw it.
    let mut open: std::collections::BTreeMap<u64, Recorder> = std::collections::BTreeMap::new();
    // Corrected latency of the records delivered since the last observation.
    let mut interval_e2e = crate::stats::Latency::default();
    let mut timeline = Timeline::starting_at(started_at.as_second());
    let mut observe_tick = tokio::time::interval_at(start + OBSERVE_EVERY, OBSERVE_EVERY);
    let mut second_tick =
        tokio::time::interval_at(start + Duration::from_secs(1) + SECOND_GRACE, Duration::from_secs(1));
    let mut seconds = 0u64;
    let mut rows_observed = 0usize;
    // The observations within the last RATE_WINDOW, oldest first.
    let mut window: std::collections::VecDeque<Observed> = std::collections::VecDeque::from([Observed::at(start)]);
    // Once stopped (the planned end, a signal), in-flight work may take `drain_timeout` more.
    let mut drain_from: Option<Instant> = None;
    let start_drain = |at: Instant, drain_from: &mut Option<Instant>| {
        if drain_from.is_none() {
            *drain_from = Some(at);
            let _ = set_cutoff.send(Some(at + load.drain_timeout));
        }
    };
    if interrupted {
        start_drain(start, &mut drain_from);
    }
    let end_of_plan = async {
        match planned_end {
            Some(end) => tokio::time::sleep_until(end).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(end_of_plan);
    loop {
        tokio::select! {
            msg = rx.recv() => match msg {
                Some(Handover { second, rec: r }) => {
                    total += &r;
                    // A second already closed (a send that outlasted the grace) counts in the
                    // first one still open.
                    *open.entry(second.max(seconds)).or_default() += &r;
                    interval_e2e.add(&r.e2e);
                }
                None => break,
            },
            _ = &mut shutdown, if !interrupted => {
                interrupted = true;
                let _ = stop_tx.send(true);
                start_drain(Instant::now(), &mut drain_from);
            }
            () = &mut end_of_plan, if drain_from.is_none() => {
                start_drain(planned_end.expect("a planned end"), &mut drain_from);
            }
            _ = second_tick.tick() => {
                timeline.push_interval(seconds, &open.remove(&seconds).unwrap_or_default());
                seconds += 1;
            }
            _ = observe_tick.tick() => {
                let now = Instant::now();
                while window.len() > 1 && now - window[1].at >= RATE_WINDOW {
                    window.pop_front();
                }
                let c = &total.counters;
                window.push_back(Observed {
                    at: now,
                    delivered: c.delivered,
                    bytes: c.bytes,
                    throttled: c.throttled,
                    render_ns: shared.render_ns.load(Ordering::Relaxed),
                    send_ns: shared.send_ns.load(Ordering::Relaxed),
                    e2e: std::mem::take(&mut interval_e2e),
                });
                let mut view = live(load, &shared, target_rps, &total, now - start, &window, paced);
                view.draining = drain_from.map(|at| (at + load.drain_timeout).saturating_duration_since(now));
                view.target_now = shared.schedule.rate_now(now - start);
                view.new_seconds = timeline.rows()[rows_observed..].to_vec();
                rows_observed = timeline.rows().len();
                observe(&view);
            }
        }
    }
    while workers.join_next().await.is_some() {}
    // The seconds still open: every one up to the last with records, that one partial.
    if let Some(&last) = open.keys().next_back() {
        for s in seconds..last {
            timeline.push_interval(s, &open.remove(&s).unwrap_or_default());
        }
        let rec = open.remove(&last).unwrap_or_default();
        if rec.counters.offered > 0 || rec.counters.delivered > 0 {
            timeline.push_last(last, &rec);
        }
    }
    let ended = Instant::now();
    let elapsed = ended - start;
    if let Some(msg) = shared.fatal.lock().expect("lock").take() {
        return Err(EngineError::Sink(msg));
    }
    let closed = shared.closed.load(Ordering::Relaxed);
    let halted = shared.halted.lock().expect("lock").take();
    let (input, input_ended) = match &shared.replay {
        Some(r) => {
            let feed = r.lock().expect("replay lock");
            (Some(feed.summary().clone()), feed.done())
        }
        None => (None, false),
    };
    let stopped_by = if halted.is_some() {
        StopReason::Error
    } else if interrupted || closed {
        StopReason::Interrupt
    } else if input.as_ref().is_some_and(|i| i.failed.is_some()) {
        StopReason::Error
    } else if input_ended {
        StopReason::EndOfInput
    } else if load.count.is_some_and(|c| total.counters.offered >= c) {
        StopReason::Count
    } else {
        StopReason::Duration
    };
    let final_lag = Duration::from_micros(shared.last_lag_us.load(Ordering::Relaxed));
    // Behind schedule without throttling: the workers' time went to rendering (this machine) or
    // to waiting on the sink (the destination's responses).
    let lagging = paced && total.counters.throttled == 0 && final_lag > Duration::from_millis(100).max(elapsed / 100);
    let cause = LagCause::of(
        total.counters.throttled,
        shared.render_ns.load(Ordering::Relaxed),
        shared.send_ns.load(Ordering::Relaxed),
    );
    let (generator_bound, sink_bound) = (
        lagging && cause == LagCause::Generator,
        lagging && cause == LagCause::Destination,
    );
    let mut report = Report::build(ReportInput {
        started_at,
        ended_at: jiff::Timestamp::now(),
        elapsed,
        config: serde_json::Value::Null,
        target_rps,
        total: &total,
        final_lag,
        generator_bound,
        sink_bound,
        stopped_by,
        drain: drain_from.map(|at| Drain {
            ms: crate::units::duration_ms(ended.saturating_duration_since(at)),
            timeout_ms: crate::units::duration_ms(load.drain_timeout),
            cut_off: total.errors.get(DRAIN_TIMEOUT).copied().unwrap_or(0),
        }),
    });
    if let Some(why) = halted {
        report.outcome.fail(format!("the destination failed: {why}"));
    }
    if let Some(input) = input {
        report.set_input(input);
    }
    if let Some(b) = load.backfill {
        report.backfill = Some(backfill_summary(&b, &shared.schedule, elapsed, report.totals.delivered));
    }
    let acked = shared
        .acked
        .as_ref()
        .map(|a| std::mem::take(&mut *a.lock().expect("lock")))
        .unwrap_or_default();
    Ok(RunOutput {
        report,
        timeline,
        run_id,
        acked,
    })
}

/// Sleep until `start_at_ms` (wall clock), if given and in the future. Returns true when
/// `shutdown` resolved first.
async fn wait_for_start(start_at_ms: Option<i64>, shutdown: &mut (impl Future<Output = ()> + Unpin)) -> bool {
    let Some(at) = start_at_ms else { return false };
    let wait = at - jiff::Timestamp::now().as_millisecond();
    if wait <= 0 {
        return false;
    }
    tokio::select! {
        _ = tokio::time::sleep(Duration::from_millis(wait as u64)) => false,
        _ = shutdown => true,
    }
}

/// The live view at `elapsed`, its "now" numbers over `window`: from its oldest observation (a
/// second or more ago, or the start) to its newest (this one).
fn live(
    load: &LoadPlan,
    shared: &Shared,
    target_rps: Option<f64>,
    total: &Recorder,
    elapsed: Duration,
    window: &std::collections::VecDeque<Observed>,
    paced: bool,
) -> Live {
    let secs = elapsed.as_secs_f64().max(1e-9);
    let (then, here) = (&window[0], &window[window.len() - 1]);
    let dt = (here.at - then.at).as_secs_f64().max(1e-9);
    let mut recent = crate::stats::Latency::default();
    for o in window.iter().skip(1) {
        recent.add(&o.e2e);
    }
    let lag = Duration::from_micros(shared.last_lag_us.load(Ordering::Relaxed));
    Live {
        elapsed,
        planned: load.duration,
        planned_records: (shared.limit != u64::MAX).then_some(shared.limit),
        target_rps,
        rps_now: (here.delivered - then.delivered) as f64 / dt,
        rps_avg: total.counters.delivered as f64 / secs,
        bytes_per_s: (here.bytes - then.bytes) as f64 / dt,
        total: total.counters,
        p50_ms: total.e2e.percentile_ms(50.0),
        p99_ms: total.e2e.percentile_ms(99.0),
        p50_window_ms: recent.percentile_ms(50.0),
        p99_window_ms: recent.percentile_ms(99.0),
        lag_cause: (paced && lag >= LAG_SHOWN).then(|| {
            LagCause::of(
                here.throttled - then.throttled,
                here.render_ns - then.render_ns,
                here.send_ns - then.send_ns,
            )
        }),
        in_flight: shared.in_flight.load(Ordering::Relaxed),
        lag,
        draining: None,
        target_now: None,
        run_id: shared.run_id.clone(),
        errors: total.errors.clone(),
        shards: total.shards.clone(),
        e2e: total.e2e.clone(),
        new_seconds: Vec::new(),
    }
}

/// The totals at one live observation, for the rates and causes over the last second.
struct Observed {
    at: Instant,
    delivered: u64,
    bytes: u64,
    throttled: u64,
    render_ns: u64,
    send_ns: u64,
    /// Corrected latency of the records delivered since the previous observation.
    e2e: crate::stats::Latency,
}

impl Observed {
    fn at(at: Instant) -> Observed {
        Observed {
            at,
            delivered: 0,
            bytes: 0,
            throttled: 0,
            render_ns: 0,
            send_ns: 0,
            e2e: crate::stats::Latency::default(),
        }
    }
}

/// A worker's stats for the collector: what it recorded in one second of the run (by when its
/// requests completed), so each second's timeline row gets exactly its own records.
struct Handover {
    /// The second since the start.
    second: u64,
    /// What was recorded.
    rec: Recorder,
}

struct Worker {
    shared: Arc<Shared>,
    source: Arc<Source>,
    keys: Keys,
    shaping: plan::Shaping,
    instance: Option<plan::Instance>,
    sink: Arc<Sink>,
    tx: mpsc::UnboundedSender<Handover>,
    /// The run's start: seconds count from here.
    start: Instant,
    seed: u64,
    run_id: String,
}

/// A worker's reusable buffers and render contexts, and what it has recorded since it last
/// handed its stats over.
struct WorkerState {
    sc: crate::source::SourceCtx,
    /// Replayed rows of the current block.
    rows: Vec<Row>,
    /// With `--duplicates`: entry i of the batch carries record `first + entry_record[i]`.
    entry_record: Vec<u32>,
    /// Keys draw from their own random stream, so adding a key template leaves records as they were.
    key_seed: u64,
    pk_ctx: Option<crate::faker::Ctx>,
    hk_ctx: Option<crate::faker::Ctx>,
    /// A gzipped record before compression.
    plain: Vec<u8>,
    batch: Batch,
    /// `--aggregate N`: most records per packed record, and the packer.
    packer: Option<(usize, pack::Packer)>,
    /// With `--aggregate`: the packed batch and which records each packed record holds.
    packed: Batch,
    packs: pack::Packs,
    rec: Recorder,
}

/// When the records of a block are due, relative to the block.
struct Due<'a> {
    block: &'a Block,
    schedule: &'a Schedule,
}

impl Due<'_> {
    /// When record `n` (a local number in the block) is due; `None` when flat out.
    fn of(&self, n: u64) -> Option<Instant> {
        self.block
            .offsets
            .get((n - self.block.first) as usize)
            .and_then(|o| self.schedule.at(*o))
    }

    /// When the block's last record is due.
    fn last(&self) -> Option<Instant> {
        self.of(self.block.first + self.block.len - 1)
    }
}

impl Worker {
    /// The worker loop, as the module docs tell it: claim a block, wait until it is due, render
    /// it, send it, account for what the sink said; hand the stats over now and then.
    async fn run(self, packer: Option<(usize, pack::Packer)>) {
        let key_seed = crate::faker::splitmix64(self.seed ^ 0x6b65_7973);
        let mut st = WorkerState {
            sc: self.source.context(self.seed, &self.run_id),
            rows: Vec::new(),
            entry_record: Vec::new(),
            key_seed,
            pk_ctx: self.keys.partition.as_ref().map(|t| t.context(key_seed, &self.run_id)),
            hk_ctx: self.keys.hash.as_ref().map(|t| t.context(key_seed ^ 1, &self.run_id)),
            plain: Vec::new(),
            batch: Batch::with_capacity(self.shared.block_max.min(4096) as usize, 128),
            packer,
            packed: Batch::with_capacity(0, 0),
            packs: pack::Packs::new(),
            rec: Recorder::default(),
        };
        let mut stop = self.shared.stop.clone();
        let mut last_flush = Instant::now();
        // The second the recorder's contents belong to.
        let mut rec_second = self.second_of(last_flush);
        let shared = &*self.shared;
        while let Some(block) = shared.claim(&mut st.rows) {
            let due = Due {
                block: &block,
                schedule: &shared.schedule,
            };
            // About to wait: hand over first, so a slow worker's records reach their second's
            // row before it closes.
            if due
                .last()
                .is_some_and(|d| d.saturating_duration_since(Instant::now()) > FLUSH_EVERY)
            {
                self.hand_over(rec_second, &mut st.rec);
                last_flush = Instant::now();
            }
            if !wait_until(due.last(), &mut stop).await {
                break;
            }
            let dispatch = Instant::now();
            // Records are offered in the second they are sent (due, on schedule) and delivered
            // in the one their request completes: a new second hands over the one that ended.
            self.enter_second(dispatch, &mut rec_second, &mut st.rec);
            let wall_ms = jiff::Timestamp::now().as_millisecond();
            self.render(&block, wall_ms, &mut st);
            let rendered = Instant::now();
            shared
                .render_ns
                .fetch_add(nanos(rendered - dispatch), Ordering::Relaxed);
            let k = st.batch.len() as u64;
            st.rec.counters.offered += k;
            st.rec.counters.attempted += k;
            let lag = due
                .last()
                .map_or(Duration::ZERO, |d| dispatch.saturating_duration_since(d));
            st.rec.lag.record(lag);
            shared.last_lag_us.store(lag.as_micros() as u64, Ordering::Relaxed);
            let result = self.send(&mut st).await;
            let done = Instant::now();
            shared.send_ns.fetch_add(nanos(done - rendered), Ordering::Relaxed);
            self.enter_second(done, &mut rec_second, &mut st.rec);
            match result {
                Ok(mut out) => {
                    if let Some(why) = out.halt.take() {
                        shared.halted.lock().expect("lock").get_or_insert(why);
                    }
                    self.account(&due, out, dispatch, done, wall_ms, &mut st);
                }
                Err(SinkError::Closed) => {
                    st.rec.counters.offered -= k;
                    st.rec.counters.attempted -= k;
                    shared.closed.store(true, Ordering::Relaxed);
                    break;
                }
                Err(SinkError::Fatal(msg)) => {
                    *shared.fatal.lock().expect("lock") = Some(msg);
                    shared.closed.store(true, Ordering::Relaxed);
                    break;
                }
            }
            if done - last_flush >= FLUSH_EVERY {
                self.hand_over(rec_second, &mut st.rec);
                last_flush = done;
                // A flat-out worker against a sink that never waits (null, a fast pipe) would
                // otherwise never give its thread back: the runtime's timers (the collector's
                // per-second and live ticks) are driven by threads that yield.
                tokio::task::yield_now().await;
            }
        }
        self.hand_over(rec_second, &mut st.rec);
    }

    /// The second since the run's start that `at` falls in.
    fn second_of(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.start).as_secs()
    }

    /// At `at`, in a second after `rec_second`: hand over what `rec` holds (it belongs to the
    /// second that ended) and go on in the new one.
    fn enter_second(&self, at: Instant, rec_second: &mut u64, rec: &mut Recorder) {
        let now = self.second_of(at);
        if now != *rec_second {
            self.hand_over(*rec_second, rec);
            *rec_second = now;
        }
    }

    /// Give the collector what `rec` holds, recorded in `second`.
    fn hand_over(&self, second: u64, rec: &mut Recorder) {
        let _ = self.tx.send(Handover {
            second,
            rec: rec.take(),
        });
    }

    /// Render the block's records into `st.batch`: data (marked, gzipped, newline-ended as the
    /// shaping says), keys when the sink needs them, and duplicates.
    fn render(&self, block: &Block, wall_ms: i64, st: &mut WorkerState) {
        let schedule = &self.shared.schedule;
        let replaying = self.shared.replay.is_some();
        let needs_keys = self.sink.needs_keys();
        let a = block.first;
        let batch = &mut st.batch;
        batch.reset(a);
        st.entry_record.clear();
        // Once a record is dropped (too large), entries no longer match records one to one.
        let mut mapped = self.shaping.duplicates > 0.0;
        for local in a..a + block.len {
            let offset = block.offsets.get((local - a) as usize);
            // Instances render the global record numbers that belong to them.
            let n = self.instance.map_or(local, |i| i.global(local));
            // --verify marks the partition key when the record cannot carry a field.
            let mut marked_key = self.shaping.mark.as_ref().is_some_and(|m| m.field.is_none());
            let now_ms = offset.and_then(|o| schedule.wall_ms(*o)).unwrap_or(wall_ms);
            st.sc.set_sim_ms(offset.and_then(|o| schedule.sim_ms(*o)));
            let row = st.rows.get_mut((local - a) as usize).filter(|_| replaying);
            let start = batch.data.len();
            let into = if self.shaping.gzip {
                &mut st.plain
            } else {
                &mut batch.data
            };
            if self.shaping.gzip {
                into.clear();
            }
            if !self.source.render(&mut st.sc, n, now_ms, row, into) {
                // Too large to render: rejected here, never sent (nor kept in memory).
                batch.data.truncate(start);
                st.rec.counters.offered += 1;
                st.rec.counters.attempted += 1;
                st.rec.counters.rejected += 1;
                st.rec.error(crate::template::RECORD_TOO_LARGE, 1);
                if !mapped {
                    st.entry_record.extend(0..batch.len() as u32);
                    mapped = true;
                }
                continue;
            }
            if self.shaping.gzip {
                if self.shaping.newline {
                    st.plain.push(b'\n');
                }
                gzip_into(&st.plain, &mut batch.data);
            } else {
                if let Some(field) = self.shaping.mark.as_ref().and_then(|m| m.field.as_deref()) {
                    marked_key = !mark_json(&mut batch.data, start, field, &self.run_id, n);
                }
                if self.shaping.newline {
                    batch.data.push(b'\n');
                }
            }
            batch.end_record();
            if needs_keys {
                match (&self.keys.partition, &mut st.pk_ctx) {
                    (None, _) if marked_key => {
                        use std::io::Write as _;
                        let _ = write!(batch.keys.data, "kdg-{}-{n}", self.run_id);
                    }
                    (Some(t), Some(c)) => {
                        t.render(c, n, now_ms, &mut batch.keys.data);
                    }
                    _ => crate::faker::write_int(
                        &mut batch.keys.data,
                        (crate::faker::splitmix64(st.key_seed ^ n) % 10_000_000_000) as i64,
                    ),
                }
                batch.keys.end();
                if let (Some(t), Some(c)) = (&self.keys.hash, &mut st.hk_ctx) {
                    t.render(c, n, now_ms, &mut batch.hash_keys.data);
                    batch.hash_keys.end();
                }
            }
            if mapped {
                st.entry_record.push((local - a) as u32);
                if self.shaping.duplicates > 0.0 && duplicate(self.seed, n, self.shaping.duplicates) {
                    batch.repeat_last();
                    st.entry_record.push((local - a) as u32);
                    st.rec.counters.duplicates += 1;
                }
            }
        }
    }

    /// Hand the batch (packed, with `--aggregate`) to the sink, counting it in flight.
    async fn send(&self, st: &mut WorkerState) -> Result<Delivery, SinkError> {
        self.shared.in_flight.fetch_add(1, Ordering::Relaxed);
        let to_send = match &mut st.packer {
            Some((most, packer)) => {
                packer.pack(&st.batch, *most, &mut st.packed, &mut st.packs);
                &st.packed
            }
            None => &st.batch,
        };
        let result = self.sink.send(to_send, &self.shared.cutoff).await;
        self.shared.in_flight.fetch_sub(1, Ordering::Relaxed);
        result
    }

    /// Count what the sink said of the batch: delivered, failed and rejected records by code,
    /// shards, acknowledgements for `--verify`, and latencies from each record's due time.
    fn account(
        &self,
        due: &Due<'_>,
        out: Delivery,
        dispatch: Instant,
        done: Instant,
        wall_ms: i64,
        st: &mut WorkerState,
    ) {
        let a = due.block.first;
        let k = st.batch.len() as u64;
        // Entry i of the batch carries record a + record_of(i) (copies repeat a record).
        let entry_record = &st.entry_record;
        let record_of = |i: u64| entry_record.get(i as usize).map_or(i, |&r| u64::from(r));
        let rec = &mut st.rec;
        let (out, entries) = match st.packer {
            Some(_) => pack::unpack(out, &st.packs),
            None => {
                let delivered = out.delivered;
                (out, delivered)
            }
        };
        let c = &mut rec.counters;
        c.destination_records += entries;
        c.delivered += out.delivered;
        c.bytes += out.bytes;
        c.requests += out.requests;
        c.throttled += out.throttled;
        c.retried += out.retried;
        for (code, n) in &out.failed {
            rec.counters.failed += n;
            rec.error(code, *n);
        }
        if let Some(acked) = &self.shared.acked {
            let global = |i: u64| {
                let local = a + record_of(i);
                (self.instance.map_or(local, |inst| inst.global(local)), wall_ms)
            };
            let mut acked = acked.lock().expect("lock");
            if out.acked.is_empty() && out.failed.is_empty() && out.rejected.is_empty() {
                acked.extend((0..k).map(global));
            } else {
                acked.extend(
                    out.acked
                        .iter()
                        .flat_map(|(_, which)| which.iter().map(|i| global(u64::from(*i)))),
                );
            }
        }
        for (shard, accepted, throttled) in &out.shards {
            rec.shard(shard, *accepted, *throttled);
        }
        for (code, n) in &out.rejected {
            rec.counters.rejected += n;
            rec.error(code, *n);
        }
        rec.request
            .record_n((done - dispatch) / out.requests.max(1) as u32, out.requests.max(1));
        if !out.acked.is_empty() {
            // Each record is charged to its own acknowledgement, not the batch's last.
            for (at, which) in &out.acked {
                rec.send
                    .record_n(at.saturating_duration_since(dispatch), which.len() as u64);
                for &i in which {
                    let due = due.of(a + record_of(u64::from(i))).unwrap_or(dispatch);
                    rec.e2e.record(at.saturating_duration_since(due));
                }
            }
        } else {
            rec.send.record_n(done - dispatch, out.delivered);
            if due.block.offsets.is_empty() {
                // Flat out: every record was intended at dispatch.
                rec.e2e.record_n(done - dispatch, out.delivered);
            } else {
                // Charge each record from its own intended time. With failures we do not know
                // which records they were, so charge the earliest.
                for i in 0..out.delivered {
                    let due = due.of(a + record_of(i)).unwrap_or(dispatch);
                    rec.e2e.record(done.saturating_duration_since(due));
                }
            }
        }
    }
}

/// Sleep until `due` unless the run is stopped first; false when it was.
async fn wait_until(due: Option<Instant>, stop: &mut watch::Receiver<bool>) -> bool {
    match due {
        Some(due) if Instant::now() < due => tokio::select! {
            _ = tokio::time::sleep_until(due) => true,
            _ = stop.changed() => false,
        },
        _ => true,
    }
}

/// Whether record `n` is sent twice (`--duplicates`): a pure function of the seed and `n`.
fn duplicate(seed: u64, n: u64, share: f64) -> bool {
    const SALT: u64 = 0x6475_705f_7368_6172;
    crate::faker::record_unit(seed, SALT, n) < share
}

/// Add `"field":"RUNID-N"` as the first member of the JSON object that starts at `start` in
/// `data`. Returns false (and changes nothing) when the record is not a JSON object.
fn mark_json(data: &mut Vec<u8>, start: usize, field: &str, run_id: &str, n: u64) -> bool {
    let Some(open) = data[start..]
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map(|p| start + p)
    else {
        return false;
    };
    if data[open] != b'{' {
        return false;
    }
    let empty = data[open + 1..].iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'}');
    let mut marker = Vec::with_capacity(field.len() + run_id.len() + 28);
    crate::faker::row::write_json_escaped(&mut marker, field.as_bytes(), true);
    marker.push(b':');
    crate::faker::row::write_json_escaped(&mut marker, format!("{run_id}-{n}").as_bytes(), true);
    if !empty {
        marker.push(b',');
    }
    data.splice(open + 1..open + 1, marker);
    true
}

/// Append `plain` as one gzip member.
fn gzip_into(plain: &[u8], out: &mut Vec<u8>) {
    use std::io::Write as _;
    let mut enc = flate2::write::GzEncoder::new(out, flate2::Compression::fast());
    enc.write_all(plain).expect("writing to memory cannot fail");
    enc.finish().expect("writing to memory cannot fail");
}

#[cfg(test)]
mod tests;

/// A backfill's simulated span and rates: over the whole span, or, when the run was stopped
/// early, over the simulated time its real `elapsed` covered.
fn backfill_summary(b: &Backfill, schedule: &Schedule, elapsed: Duration, delivered: u64) -> BackfillSummary {
    let span = (b.end_ms - b.start_ms) as f64 / 1e3;
    let covered = b.speed.map_or(span, |x| (elapsed.as_secs_f64() * x).min(span));
    let stamp = |ms: i64| jiff::Timestamp::from_millisecond(ms).map_or_else(|_| ms.to_string(), |t| format!("{t:.0}"));
    BackfillSummary {
        from: stamp(b.start_ms),
        to: stamp(b.end_ms),
        speed: b.speed,
        simulated_s: crate::report::finite(covered),
        simulated_target_rps: schedule
            .simulated_mean_rate(Some(Duration::from_secs_f64(span.max(0.0))))
            .filter(|r| r.is_finite()),
        simulated_achieved_rps: if covered > 0.0 {
            crate::report::finite(delivered as f64 / covered)
        } else {
            0.0
        },
    }
}

/// `d` in nanoseconds, saturating.
fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}
