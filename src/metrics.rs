//! Live metrics for scrapers: the OpenMetrics text format at `/metrics` (`--metrics-listen`).
//!
//! [`Metrics`] holds the latest [`Snapshot`] of each job of a run (one for `kdg run`, one per
//! job of a scenario) and renders them with `prometheus-client`'s OpenMetrics encoder: counters
//! of records offered, delivered, failed, rejected (and by error code), throttled and retried
//! entries, bytes and requests, per-shard counters for Kinesis; gauges of the target rate, the
//! schedule lag and the requests in flight; the corrected end-to-end latency as a histogram.
//! Every series carries the labels `job`, `instance`, `run_id` and `destination` ([`JobLabels`]).
//!
//! Values are snapshots of the engine's own totals, not counted a second time: a snapshot taken
//! from the final report ([`Snapshot::from_report`]) makes the counters equal the report's.
//!
//! [`serve`] answers HTTP/1 on a listener bound beforehand ([`bind`], so a port in use is a setup
//! error before anything is sent). A scraper cannot slow the run: the body is rendered at most
//! once per snapshot and shared by every request in between, at most [`MAX_CONNECTIONS`] are
//! served at once (others are closed at once), and each connection is closed after
//! [`CONNECTION_TIMEOUT`] whatever it does. Each connection is its own task.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::Full;
use hyper::body::Bytes;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

use crate::engine::Live;
use crate::report::Report;
use crate::stats::{Counters, Latency, ShardCounts};

/// Upper bounds of the latency histogram's buckets, in seconds (`+Inf` is added): 1 ms to 60 s,
/// about three per decade, covering a local sink (sub-millisecond) to a throttled stream
/// retrying for tens of seconds.
pub const LATENCY_BUCKETS_S: [f64; 16] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0,
];
/// Most scrape connections served at once; more are closed unanswered.
pub const MAX_CONNECTIONS: usize = 16;
/// A connection is closed this long after it was accepted, read or not.
pub const CONNECTION_TIMEOUT: Duration = Duration::from_secs(10);
/// The OpenMetrics text format's content type.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Why the metrics endpoint could not start.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    /// The address could not be bound (in use, not local, no permission).
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// The labels every series of one job carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobLabels {
    /// The scenario job's name, or `run`.
    pub job: String,
    /// `I/N` (`0/1` when not split).
    pub instance: String,
    /// Where records go: a stream or delivery stream name, `stdout`, `null` or `file`. Never a
    /// URL or credentials.
    pub destination: String,
}

/// One job's numbers at one moment.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// The run's id, as in the report.
    pub run_id: String,
    /// Totals so far.
    pub totals: Counters,
    /// Failed and rejected records by error code.
    pub errors: BTreeMap<String, u64>,
    /// Per Kinesis shard.
    pub shards: BTreeMap<String, ShardCounts>,
    /// Target records per second (`None` when flat out).
    pub target_rps: Option<f64>,
    /// Current schedule lag.
    pub lag: Duration,
    /// What the run waits on while it lags ([`crate::engine::LagCause::label`]).
    pub lag_cause: Option<&'static str>,
    /// Requests in flight.
    pub in_flight: u64,
    /// Corrected end-to-end latency: cumulative counts at [`LATENCY_BUCKETS_S`].
    pub latency_buckets: Vec<u64>,
    /// Number of latencies recorded.
    pub latency_count: u64,
    /// Their sum in seconds (from the histogram's mean: exact to its 3 significant figures).
    pub latency_sum_s: f64,
    /// The run is over: these are the report's final values.
    pub finished: bool,
}

impl Snapshot {
    /// The engine's live view.
    pub fn from_live(live: &Live) -> Snapshot {
        let mut s = Snapshot {
            run_id: live.run_id.clone(),
            totals: live.total,
            errors: live.errors.clone(),
            shards: live.shards.clone(),
            target_rps: live.target_now.or(live.target_rps),
            lag: live.lag,
            lag_cause: live.lag_cause.map(crate::engine::LagCause::label),
            in_flight: live.in_flight,
            ..Snapshot::default()
        };
        s.set_latency(&live.e2e);
        s
    }

    /// The final report of run `run_id` (its `record_e2e` histogram gives the latency).
    pub fn from_report(report: &Report, run_id: &str) -> Snapshot {
        let mut s = Snapshot {
            run_id: run_id.to_string(),
            totals: report.totals,
            errors: report.errors.clone(),
            shards: report.shards.clone(),
            target_rps: report.target_rps,
            lag: Duration::from_secs_f64(report.lag.final_ms.max(0.0) / 1000.0),
            lag_cause: if report.sink_bound {
                Some(crate::engine::LagCause::Destination.label())
            } else if report.generator_bound {
                Some(crate::engine::LagCause::Generator.label())
            } else {
                None
            },
            in_flight: 0,
            finished: true,
            ..Snapshot::default()
        };
        let e2e = report
            .histograms
            .get("record_e2e")
            .and_then(|h| Latency::decode(h).ok())
            .unwrap_or_default();
        s.set_latency(&e2e);
        s
    }

    fn set_latency(&mut self, e2e: &Latency) {
        let bounds = LATENCY_BUCKETS_S.map(Duration::from_secs_f64);
        self.latency_buckets = e2e.cumulative_counts(&bounds);
        self.latency_count = e2e.count();
        self.latency_sum_s = e2e.mean_ms() * e2e.count() as f64 / 1000.0;
    }
}

/// The jobs' latest snapshots, and the rendered body while it is current.
#[derive(Debug, Default)]
struct State {
    jobs: Vec<(JobLabels, Option<Snapshot>)>,
    body: Option<Bytes>,
}

/// The metrics of a run: shared by the observers that update it and the server that renders it.
#[derive(Clone)]
pub struct Metrics {
    state: Arc<Mutex<State>>,
    registry: Arc<Registry>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// No jobs yet.
    pub fn new() -> Metrics {
        let state = Arc::new(Mutex::new(State::default()));
        let mut registry = Registry::default();
        registry.register_collector(Box::new(Jobs(Arc::clone(&state))));
        Metrics {
            state,
            registry: Arc::new(registry),
        }
    }

    /// Add a job; its series appear with its first snapshot.
    pub fn add_job(&self, labels: JobLabels) -> Job {
        let mut st = self.lock();
        st.jobs.push((labels, None));
        Job {
            metrics: self.clone(),
            index: st.jobs.len() - 1,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panicked updater leaves a consistent State (each field is replaced whole).
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The OpenMetrics text of the latest snapshots (rendered once per change).
    pub fn render(&self) -> Bytes {
        if let Some(body) = &self.lock().body {
            return body.clone();
        }
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        let body = Bytes::from(text);
        self.lock().body = Some(body.clone());
        body
    }
}

/// One job's handle on [`Metrics`].
#[derive(Debug, Clone)]
pub struct Job {
    metrics: Metrics,
    index: usize,
}

impl Job {
    /// Replace this job's snapshot.
    pub fn update(&self, snapshot: Snapshot) {
        let mut st = self.metrics.lock();
        st.jobs[self.index].1 = Some(snapshot);
        st.body = None;
    }

    /// Replace this job's snapshot with the engine's live view.
    pub fn observe(&self, live: &Live) {
        self.update(Snapshot::from_live(live));
    }
}

/// The collector that turns the snapshots into metric families at render time.
#[derive(Debug)]
struct Jobs(Arc<Mutex<State>>);

type Labels = Vec<(&'static str, String)>;

fn labels(l: &JobLabels, s: &Snapshot) -> Labels {
    vec![
        ("job", l.job.clone()),
        ("instance", l.instance.clone()),
        ("run_id", s.run_id.clone()),
        ("destination", l.destination.clone()),
    ]
}

/// A metric's name, help text, and how to read its value.
type Family<T, V> = (&'static str, &'static str, fn(&T) -> V);

/// The counters of [`Counters`], by metric name (without `_total`, which the encoder adds).
const COUNTERS: [Family<Counters, u64>; 9] = [
    ("kdg_records_offered", "Records whose intended send time came.", |c| {
        c.offered
    }),
    ("kdg_records_delivered", "Records the destination acknowledged.", |c| {
        c.delivered
    }),
    ("kdg_records_failed", "Records lost after retries.", |c| c.failed),
    (
        "kdg_records_rejected",
        "Records never sent because they were invalid.",
        |c| c.rejected,
    ),
    ("kdg_entries_throttled", "Entry attempts the service throttled.", |c| {
        c.throttled
    }),
    ("kdg_entries_retried", "Entry retry attempts.", |c| c.retried),
    ("kdg_delivered_bytes", "Bytes of delivered records.", |c| c.bytes),
    ("kdg_requests", "Requests made to the destination.", |c| c.requests),
    (
        "kdg_destination_records",
        "Records as the destination counts them (fewer with --aggregate).",
        |c| c.destination_records,
    ),
];

impl Collector for Jobs {
    fn encode(&self, mut enc: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let st = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let jobs: Vec<(Labels, &Snapshot)> = st
            .jobs
            .iter()
            .filter_map(|(l, s)| s.as_ref().map(|s| (labels(l, s), s)))
            .collect();
        for (name, help, get) in COUNTERS {
            let mut m = enc.encode_descriptor(name, help, None, MetricType::Counter)?;
            for (l, s) in &jobs {
                ConstCounter::new(get(&s.totals)).encode(m.encode_family(l)?)?;
            }
        }
        let mut m = enc.encode_descriptor(
            "kdg_record_errors",
            "Failed and rejected records by error code.",
            None,
            MetricType::Counter,
        )?;
        for (l, s) in &jobs {
            for (code, n) in &s.errors {
                let mut l = l.clone();
                l.push(("code", code.clone()));
                ConstCounter::new(*n).encode(m.encode_family(&l)?)?;
            }
        }
        for (name, help, get) in [
            (
                "kdg_shard_records_accepted",
                "Records a Kinesis shard accepted.",
                (|c: &ShardCounts| c.accepted) as fn(&ShardCounts) -> u64,
            ),
            (
                "kdg_shard_entries_throttled",
                "Entry attempts a Kinesis shard throttled.",
                |c| c.throttled,
            ),
        ] {
            let mut m = enc.encode_descriptor(name, help, None, MetricType::Counter)?;
            for (l, s) in &jobs {
                for (shard, c) in &s.shards {
                    let mut l = l.clone();
                    l.push(("shard", shard.clone()));
                    ConstCounter::new(get(c)).encode(m.encode_family(&l)?)?;
                }
            }
        }
        let gauges: [Family<Snapshot, Option<f64>>; 4] = [
            (
                "kdg_target_rate_records_per_second",
                "Target records per second (absent when sending flat out).",
                |s| s.target_rps,
            ),
            (
                "kdg_schedule_lag_seconds",
                "How late records go out against the schedule.",
                |s| Some(s.lag.as_secs_f64()),
            ),
            ("kdg_requests_in_flight", "Requests being sent now.", |s| {
                Some(s.in_flight as f64)
            }),
            (
                "kdg_run_finished",
                "1 once the run is over and the values are final.",
                |s| Some(f64::from(u8::from(s.finished))),
            ),
        ];
        for (name, help, get) in gauges {
            let mut m = enc.encode_descriptor(name, help, None, MetricType::Gauge)?;
            for (l, s) in &jobs {
                if let Some(v) = get(s) {
                    ConstGauge::new(v).encode(m.encode_family(l)?)?;
                }
            }
        }
        let mut m = enc.encode_descriptor(
            "kdg_schedule_lag_cause",
            "1 while the run is 100 ms or more behind its schedule, labelled with what it waits on: throttled, destination-bound or generator-bound.",
            None,
            MetricType::Gauge,
        )?;
        for (l, s) in &jobs {
            if let Some(cause) = s.lag_cause {
                let mut l = l.clone();
                l.push(("cause", cause.to_string()));
                ConstGauge::new(1.0).encode(m.encode_family(&l)?)?;
            }
        }
        let mut m = enc.encode_descriptor(
            "kdg_record_latency_seconds",
            "Record latency from its intended send time to its final acknowledgement (corrected for coordinated omission).",
            None,
            MetricType::Histogram,
        )?;
        for (l, s) in &jobs {
            // The encoder takes each bucket's own count and adds them up itself.
            let mut below = 0;
            let mut buckets: Vec<(f64, u64)> = LATENCY_BUCKETS_S
                .iter()
                .zip(&s.latency_buckets)
                .map(|(le, cumulative)| {
                    let own = cumulative.saturating_sub(below);
                    below = below.max(*cumulative);
                    (*le, own)
                })
                .collect();
            buckets.push((f64::INFINITY, s.latency_count.saturating_sub(below)));
            m.encode_family(l)?
                .encode_histogram::<prometheus_client::encoding::NoLabelSet>(
                    s.latency_sum_s,
                    s.latency_count,
                    &buckets,
                    None,
                )?;
        }
        Ok(())
    }
}

/// Bind `addr` for [`serve`], before the run starts.
///
/// # Errors
/// The address is in use or cannot be bound.
pub fn bind(addr: SocketAddr) -> Result<std::net::TcpListener, MetricsError> {
    let l = std::net::TcpListener::bind(addr).map_err(|source| MetricsError::Bind { addr, source })?;
    l.set_nonblocking(true)
        .map_err(|source| MetricsError::Bind { addr, source })?;
    Ok(l)
}

/// Parse `--metrics-listen`: `ADDR:PORT`, `[V6]:PORT`, or `:PORT` for 127.0.0.1. Port 0 is
/// refused: scrapers need to know the port.
///
/// # Errors
/// Not an address and port, with what is accepted.
pub fn parse_listen(s: &str) -> Result<SocketAddr, String> {
    let text = s.trim();
    let full = match text.strip_prefix(':') {
        Some(port) => format!("127.0.0.1:{port}"),
        None => text.to_string(),
    };
    let addr: SocketAddr = full.parse().map_err(|_| {
        format!("`{s}` is not ADDR:PORT; use e.g. 127.0.0.1:9464, :9464 (loopback) or 0.0.0.0:9464 (all interfaces)")
    })?;
    if addr.port() == 0 {
        return Err(format!("`{s}` has port 0; give the port scrapers will use, e.g. :9464"));
    }
    Ok(addr)
}

/// Serve `metrics` on `listener` until the future is dropped (with the runtime). Needs a tokio
/// runtime (it is spawned on the run's).
pub async fn serve(listener: std::net::TcpListener, metrics: Metrics) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    let permits = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of file descriptors and the like: wait a little rather than spin.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
            drop(stream);
            continue;
        };
        let metrics = metrics.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let metrics = metrics.clone();
                async move { Ok::<_, std::convert::Infallible>(respond(&req, &metrics)) }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .keep_alive(false)
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            let _ = tokio::time::timeout(CONNECTION_TIMEOUT, conn).await;
            drop(permit);
        });
    }
}

fn respond<B>(req: &hyper::Request<B>, metrics: &Metrics) -> hyper::Response<Full<Bytes>> {
    let (status, content_type, body) = match (req.method(), req.uri().path()) {
        (&hyper::Method::GET | &hyper::Method::HEAD, "/metrics") => {
            (hyper::StatusCode::OK, CONTENT_TYPE, metrics.render())
        }
        (_, "/metrics") => (
            hyper::StatusCode::METHOD_NOT_ALLOWED,
            "text/plain",
            Bytes::from_static(b"use GET\n"),
        ),
        _ => (
            hyper::StatusCode::NOT_FOUND,
            "text/plain",
            Bytes::from_static(b"metrics are at /metrics\n"),
        ),
    };
    let mut resp = hyper::Response::new(Full::new(body));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(content_type),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> JobLabels {
        JobLabels {
            job: "run".into(),
            instance: "1/4".into(),
            destination: "orders".into(),
        }
    }

    fn text(m: &Metrics) -> String {
        String::from_utf8(m.render().to_vec()).unwrap()
    }

    fn line<'a>(text: &'a str, start: &str) -> Option<&'a str> {
        text.lines().find(|l| l.starts_with(start))
    }

    #[test]
    fn the_families_carry_the_totals_with_the_job_labels() {
        let m = Metrics::new();
        let job = m.add_job(labels());
        assert!(
            !text(&m).contains("kdg_records_delivered_total{"),
            "no series before a snapshot"
        );
        let mut e2e = Latency::new();
        e2e.record_n(Duration::from_millis(3), 90);
        e2e.record_n(Duration::from_millis(700), 10);
        let live = Live {
            run_id: "00ab".into(),
            total: Counters {
                offered: 120,
                delivered: 100,
                failed: 7,
                rejected: 2,
                throttled: 30,
                retried: 31,
                bytes: 4096,
                requests: 5,
                ..Counters::default()
            },
            errors: [("ProvisionedThroughputExceededException".to_string(), 7)].into(),
            shards: [(
                "shardId-000000000001".to_string(),
                ShardCounts {
                    accepted: 100,
                    throttled: 30,
                },
            )]
            .into(),
            target_rps: Some(1000.0),
            lag: Duration::from_millis(250),
            lag_cause: Some(crate::engine::LagCause::Destination),
            in_flight: 3,
            e2e,
            ..Live::default()
        };
        job.observe(&live);
        let t = text(&m);
        let l = r#"{job="run",instance="1/4",run_id="00ab",destination="orders"}"#;
        for (name, v) in [
            ("kdg_records_offered_total", "120"),
            ("kdg_records_delivered_total", "100"),
            ("kdg_records_failed_total", "7"),
            ("kdg_records_rejected_total", "2"),
            ("kdg_entries_throttled_total", "30"),
            ("kdg_entries_retried_total", "31"),
            ("kdg_delivered_bytes_total", "4096"),
            ("kdg_requests_total", "5"),
            ("kdg_requests_in_flight", "3.0"),
            ("kdg_target_rate_records_per_second", "1000.0"),
            ("kdg_schedule_lag_seconds", "0.25"),
            ("kdg_run_finished", "0.0"),
        ] {
            assert_eq!(
                line(&t, &format!("{name}{l} ")),
                Some(format!("{name}{l} {v}").as_str()),
                "{t}"
            );
        }
        let cause = r#"kdg_schedule_lag_cause{job="run",instance="1/4",run_id="00ab",destination="orders",cause="destination-bound"} 1"#;
        assert!(t.lines().any(|x| x.starts_with(cause)), "{t}");
        let code = r#"code="ProvisionedThroughputExceededException"}"#;
        assert!(
            t.lines()
                .any(|x| x.starts_with("kdg_record_errors_total{") && x.ends_with(&format!("{code} 7"))),
            "{t}"
        );
        let shard = r#"shard="shardId-000000000001"}"#;
        assert!(t
            .lines()
            .any(|x| x.starts_with("kdg_shard_entries_throttled_total{") && x.ends_with(&format!("{shard} 30"))));
        assert!(t
            .lines()
            .any(|x| x.starts_with("kdg_shard_records_accepted_total{") && x.ends_with(&format!("{shard} 100"))));
        // The histogram is cumulative: 90 values at 3 ms, all 100 by 1 s.
        let bucket = |le: &str| {
            let start = format!(
                r#"kdg_record_latency_seconds_bucket{{le="{le}",job="run",instance="1/4",run_id="00ab",destination="orders"}} "#
            );
            line(&t, &start).map(|x| x[start.len()..].to_string())
        };
        assert_eq!(bucket("0.0025").as_deref(), Some("0"), "{t}");
        assert_eq!(bucket("0.005").as_deref(), Some("90"));
        assert_eq!(bucket("0.5").as_deref(), Some("90"));
        assert_eq!(bucket("1.0").as_deref(), Some("100"));
        assert_eq!(bucket("+Inf").as_deref(), Some("100"));
        assert!(
            line(&t, &format!("kdg_record_latency_seconds_count{l} 100")).is_some(),
            "{t}"
        );
        assert!(t.ends_with("# EOF\n"));
    }

    #[test]
    fn a_flat_out_run_has_no_target_rate_and_the_final_report_replaces_the_live_view() {
        let m = Metrics::new();
        let job = m.add_job(labels());
        job.observe(&Live {
            run_id: "1".into(),
            total: Counters {
                delivered: 5,
                ..Counters::default()
            },
            ..Live::default()
        });
        assert!(!text(&m).contains("kdg_target_rate_records_per_second{"));
        let mut total = crate::stats::Recorder::default();
        total.counters.delivered = 9;
        total.counters.offered = 9;
        total.e2e.record_n(Duration::from_millis(20), 9);
        let report = Report::build(crate::report::ReportInput {
            started_at: jiff::Timestamp::UNIX_EPOCH,
            ended_at: jiff::Timestamp::UNIX_EPOCH,
            elapsed: Duration::from_secs(1),
            config: serde_json::Value::Null,
            target_rps: None,
            total: &total,
            final_lag: Duration::ZERO,
            generator_bound: false,
            sink_bound: false,
            stopped_by: crate::report::StopReason::Count,
            drain: None,
        });
        job.update(Snapshot::from_report(&report, "1"));
        let t = text(&m);
        assert!(
            t.contains(r#"kdg_records_delivered_total{job="run",instance="1/4",run_id="1",destination="orders"} 9"#),
            "{t}"
        );
        assert!(t.contains(r#"kdg_run_finished{job="run",instance="1/4",run_id="1",destination="orders"} 1.0"#));
        assert!(t.contains(
            r#"kdg_record_latency_seconds_count{job="run",instance="1/4",run_id="1",destination="orders"} 9"#
        ));
    }

    #[test]
    fn jobs_share_each_family_and_the_body_is_rendered_once_per_change() {
        let m = Metrics::new();
        let a = m.add_job(labels());
        let b = m.add_job(JobLabels {
            job: "clicks".into(),
            ..labels()
        });
        a.update(Snapshot::default());
        b.update(Snapshot::default());
        let first = m.render();
        assert_eq!(first.as_ptr(), m.render().as_ptr(), "cached until a job changes");
        let t = text(&m);
        assert_eq!(t.matches("# TYPE kdg_records_delivered counter").count(), 1, "{t}");
        assert_eq!(
            t.lines()
                .filter(|l| l.starts_with("kdg_records_delivered_total{"))
                .count(),
            2
        );
        b.update(Snapshot::default());
        assert_ne!(first.as_ptr(), m.render().as_ptr());
    }

    #[test]
    fn listen_addresses_default_to_loopback() {
        assert_eq!(parse_listen(":9464"), Ok("127.0.0.1:9464".parse().unwrap()));
        assert_eq!(parse_listen("0.0.0.0:9464"), Ok("0.0.0.0:9464".parse().unwrap()));
        assert_eq!(parse_listen("[::1]:80"), Ok("[::1]:80".parse().unwrap()));
        assert!(parse_listen("9464").unwrap_err().contains("ADDR:PORT"));
        assert!(parse_listen("localhost:9464").is_err());
        assert!(parse_listen(":0").unwrap_err().contains("port 0"));
    }

    #[test]
    fn a_port_in_use_is_a_bind_error() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let e = bind(taken.local_addr().unwrap()).unwrap_err();
        assert!(e.to_string().starts_with("cannot listen on 127.0.0.1:"), "{e}");
    }
}
