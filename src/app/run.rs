//! `kdg run`: one load from flags to report, and the steps the other load commands share:
//! building the records' source, connecting to the destination, and concluding a run (reading
//! it back with `--verify`, checking `--threshold`s).

use std::sync::Arc;

use anyhow::Context as _;

use super::{after_writing, print_report, runtime, Exit, ReportFiles, StopFlag};
use crate::cli::RunArgs;
use crate::config::{Destination, MetricsOutput, RunConfig, SinkSpec};
use crate::engine;
use crate::metrics::{JobLabels, Metrics, Snapshot};
use crate::progress::Progress;
use crate::sink::firehose::Firehose;
use crate::sink::kinesis::Kinesis;
use crate::sink::kinesis::StreamId;
use crate::sink::Sink;
use crate::source::Source;
use crate::template::Template;

/// `kdg run` without `--scenario`.
pub(super) fn run(args: &RunArgs) -> anyhow::Result<Exit> {
    let cfg = RunConfig::from_args(args)?;
    let rt = runtime(cfg.load.workers.get())?;
    let stop = StopFlag::install(&rt)?;
    let metrics = start_metrics(cfg.outputs.metrics.as_ref(), &rt)?;
    let job = metrics.as_ref().map(|m| m.add_job(job_labels("run", &cfg)));
    let Connected { source, keys, sink } = connect(&cfg, &rt, None, &stop)?;
    let mut files = ReportFiles::of(&cfg.outputs, &cfg.aws.conn, &rt, &stop)?;
    let mut progress = Progress::stderr(cfg.outputs.quiet);
    if let Some(around) = progress.around_records() {
        sink.step_around(around);
    }
    let outcome = rt.block_on(engine::run(
        &cfg.load,
        source,
        keys,
        Arc::clone(&sink),
        stop.stopped(),
        &mut |live| {
            progress.update(live);
            files.stream_timeline(&live.new_seconds);
            if let Some(j) = &job {
                j.observe(live);
            }
        },
    ));
    progress.finish();
    let out = match outcome {
        Ok(mut out) => {
            out.report.signal = stop.signal().map(str::to_owned);
            out
        }
        Err(e) => {
            rt.shutdown_background();
            eprintln!("kdg: error: {}", crate::redact::redact(&e.to_string()));
            return Ok(Exit::Failed);
        }
    };
    if let Some(j) = &job {
        j.update(Snapshot::from_report(&out.report, &out.run_id));
    }
    let concluded = conclude(&cfg, out, &sink, &rt, &stop);
    let (out, checks) = match concluded {
        Ok(c) => c,
        Err(e) => {
            rt.shutdown_background();
            return Err(e);
        }
    };
    // `kdg run … | head`: the reader is done, and so is the user; the report files are still
    // written, but no report lands on the terminal.
    let reader_left = out.report.stopped_by == crate::report::StopReason::Interrupt
        && out.report.signal.is_none()
        && cfg.destination == Destination::Local(SinkSpec::Stdout);
    if !cfg.outputs.quiet && !reader_left {
        print_report(&out.report, &checks, None)?;
    }
    let written = files.write(&out.report.to_json_pretty(), &out.report, out.timeline.rows());
    linger(cfg.outputs.metrics.as_ref(), &rt, &stop);
    rt.shutdown_background();
    Ok(after_writing(written, Exit::of(&out.report.outcome)))
}

/// `--metrics-listen`: bind now, before anything is sent (a port in use is a setup error), and
/// serve on `rt` until it shuts down.
pub(super) fn start_metrics(
    out: Option<&MetricsOutput>,
    rt: &tokio::runtime::Runtime,
) -> anyhow::Result<Option<Metrics>> {
    let Some(m) = out else { return Ok(None) };
    let listener =
        crate::metrics::bind(m.addr).context("--metrics-listen (give a free port, or stop what holds it)")?;
    let metrics = Metrics::new();
    rt.spawn(crate::metrics::serve(listener, metrics.clone()));
    Ok(Some(metrics))
}

/// `--metrics-linger`: keep serving the final values a while after the report is written,
/// unless a stop signal came (an orchestrator's grace period is short) or comes meanwhile.
pub(super) fn linger(out: Option<&MetricsOutput>, rt: &tokio::runtime::Runtime, stop: &StopFlag) {
    if let Some(m) = out.filter(|m| !m.linger.is_zero()) {
        rt.block_on(async {
            tokio::select! {
                () = tokio::time::sleep(m.linger) => {}
                () = stop.stopped() => {}
            }
        });
    }
}

/// The metric labels of job `job` run by `cfg` (its id comes with each snapshot).
pub(super) fn job_labels(job: &str, cfg: &RunConfig) -> JobLabels {
    let destination = match &cfg.destination {
        Destination::Local(SinkSpec::Stdout) => "stdout".to_string(),
        Destination::Local(SinkSpec::Null) => "null".to_string(),
        Destination::Local(SinkSpec::File(_)) => "file".to_string(),
        Destination::Kinesis(StreamId::Name(n)) | Destination::Firehose(n) => n.clone(),
        Destination::Kinesis(StreamId::Arn(arn)) => arn.rsplit('/').next().unwrap_or(arn).to_string(),
    };
    let instance = cfg.load.instance.map_or((0, 1), |i| (i.index, i.count));
    JobLabels {
        job: job.to_string(),
        instance: format!("{}/{}", instance.0, instance.1),
        destination,
    }
}

/// A run ready to start: the records' source, their keys, and the connected destination.
pub(super) struct Connected {
    /// Where records come from.
    pub source: Arc<Source>,
    /// Kinesis key templates.
    pub keys: engine::Keys,
    /// Where records go.
    pub sink: Arc<Sink>,
}

/// Compile the templates and connect to the destination (pre-flight) on `rt`. Jobs that write
/// to stdout share `stdout`, so their records never interleave mid-record. A stop signal during
/// the pre-flight ends it: nothing was sent.
pub(super) fn connect(
    cfg: &RunConfig,
    rt: &tokio::runtime::Runtime,
    stdout: Option<&Arc<Sink>>,
    stop: &StopFlag,
) -> anyhow::Result<Connected> {
    let source = Arc::new(build_source(cfg)?);
    let key_template = |text: &Option<String>, flag: &str| -> anyhow::Result<Option<Arc<Template>>> {
        match text {
            None => Ok(None),
            Some(t) => Ok(Some(Arc::new(Template::compile(t, flag, &cfg.template.options())?))),
        }
    };
    let keys = engine::Keys {
        partition: key_template(&cfg.aws.partition_key, "--partition-key")?,
        hash: key_template(&cfg.aws.explicit_hash_key, "--explicit-hash-key")?,
    };
    // Every job, a scenario's second stdout job too, before any sink is opened.
    check_first_record(cfg, &source)?;
    if let (Destination::Local(SinkSpec::Stdout), Some(shared)) = (&cfg.destination, stdout) {
        return Ok(Connected {
            source,
            keys,
            sink: Arc::clone(shared),
        });
    }
    let quiet = cfg.outputs.quiet;
    let sink = Arc::new(match &cfg.destination {
        Destination::Local(SinkSpec::Stdout) => Sink::stdout().context("standard output is closed")?,
        Destination::Local(SinkSpec::Null) => Sink::Null,
        Destination::Local(SinkSpec::File(p)) => {
            Sink::file(p).with_context(|| format!("--sink: cannot create `{}`", p.display()))?
        }
        Destination::Kinesis(stream) => {
            let connecting = Kinesis::connect(&cfg.aws.conn, stream.clone(), cfg.aws.preflight);
            let (k, info, warning) = until_stopped(rt, stop, PREFLIGHT, connecting)??;
            let mut warnings: Vec<String> = warning.into_iter().collect();
            if let Some(info) = &info {
                if !quiet {
                    let shards = info.open_shards.map_or_else(|| "?".to_string(), |n| n.to_string());
                    let mode = info.mode.as_deref().unwrap_or("unknown mode");
                    eprintln!("kdg: stream {} ({mode}, {shards} open shards)", info.name);
                }
                if let Some(peak) = cfg.peak_rps() {
                    let newline = f64::from(u8::from(cfg.load.shaping.newline));
                    let size = source.mean_size(cfg.template.seed, 200) + newline + 10.0;
                    // What the stream sees: with --aggregate, packed records.
                    let most = cfg.load.shaping.aggregate.map_or(1, |a| a.most.get());
                    let (peak, size, packed) = Kinesis::packed_load(peak, size, most);
                    warnings.extend(Kinesis::capacity_warnings(info, peak, size, packed));
                }
            }
            for w in warnings {
                eprintln!("kdg: warning: {}", crate::redact::redact(&w));
            }
            Sink::Kinesis(k, cfg.retry)
        }
        Destination::Firehose(name) => {
            let connecting = Firehose::connect(&cfg.aws.conn, name.clone(), cfg.aws.preflight);
            let (f, info, warning) = until_stopped(rt, stop, PREFLIGHT, connecting)??;
            if let (Some(info), false) = (&info, quiet) {
                eprintln!("kdg: delivery stream {} ({}, {})", info.name, info.source, info.status);
            }
            if let Some(w) = warning {
                eprintln!("kdg: warning: {}", crate::redact::redact(&w));
            }
            Sink::Firehose(Box::new(f), cfg.retry)
        }
    });
    Ok(Connected { source, keys, sink })
}

/// Render record 0 before anything is sent: a template whose first record no destination of
/// this run could take is a setup error (exit 2), not a run of rejected records. Later records
/// that grow past the limit are rejected as `RecordTooLarge` one by one.
fn check_first_record(cfg: &RunConfig, source: &Source) -> anyhow::Result<()> {
    use crate::sink::limits::{FIREHOSE_MAX_RECORD_BYTES, KINESIS_MAX_RECORD_BYTES};
    let Some((bytes, complete)) = source.first_record(cfg.template.seed) else {
        return Ok(());
    };
    let name = cfg
        .template
        .path
        .as_ref()
        .map_or_else(|| "the template".to_string(), |p| format!("`{}`", p.display()));
    if !complete {
        anyhow::bail!(
            "{name}: the first record grows past {} (MAX_RECORD_BYTES, the largest record kdg renders): \
             render fewer or smaller repeats; nothing was sent",
            crate::units::human_bytes(crate::template::MAX_RECORD_BYTES as f64)
        );
    }
    // Gzip shrinks the record before it is sent; the destination judges what it receives.
    let limit = match &cfg.destination {
        _ if cfg.load.shaping.gzip => None,
        Destination::Kinesis(_) => Some(("a Kinesis record", KINESIS_MAX_RECORD_BYTES, "KINESIS_MAX_RECORD_BYTES")),
        Destination::Firehose(_) => Some((
            "a Firehose record",
            FIREHOSE_MAX_RECORD_BYTES,
            "FIREHOSE_MAX_RECORD_BYTES",
        )),
        Destination::Local(_) => None,
    };
    match limit {
        Some((what, most, constant)) if bytes > most => anyhow::bail!(
            "{name}: the first record is {} ({bytes} bytes), above the {} limit of {what} ({constant}, \
             docs/aws-limits.md): make the record smaller or pass --gzip; nothing was sent",
            crate::units::human_bytes(bytes as f64),
            crate::units::human_bytes(most as f64),
        ),
        _ => Ok(()),
    }
}

/// Where a stop during the pre-flight leaves the run.
const PREFLIGHT: &str = "during the pre-flight: nothing was sent";

/// Run `work` on `rt` unless a stop signal comes first: then the error says which signal and
/// `when` it came.
pub(super) fn until_stopped<T>(
    rt: &tokio::runtime::Runtime,
    stop: &StopFlag,
    when: &str,
    work: impl std::future::Future<Output = T>,
) -> anyhow::Result<T> {
    rt.block_on(async {
        tokio::select! {
            done = work => Ok(done),
            () = stop.stopped() => Err(anyhow::anyhow!(
                "stopped by {} {when}",
                stop.signal().unwrap_or("a signal")
            )),
        }
    })
}

/// The records' source: the template(s), and the input to replay. A replay's input is opened
/// here, once: a missing, empty or headerless input is a setup error before anything is sent,
/// and the reader opened here (with what it has read) is the one the run replays.
fn build_source(cfg: &RunConfig) -> anyhow::Result<Source> {
    let mut opts = cfg.template.options();
    let feed = match &cfg.input.replay {
        Some(spec) => {
            let feed = crate::replay::Feed::open(spec)?;
            if spec.format == crate::replay::Format::Csv {
                opts.row_fields = Some(feed.header());
            }
            Some(feed)
        }
        None => None,
    };
    let main = cfg
        .template
        .path
        .as_ref()
        .map(|p| Template::from_file(p, &opts))
        .transpose()?;
    if let Some(feed) = feed {
        return Ok(Source::replay(feed, main)?);
    }
    if cfg.input.mix.is_empty() {
        return Ok(Source::single(main.expect("config requires a template")));
    }
    let mut parts: Vec<(Template, f64)> = main.into_iter().map(|t| (t, 1.0)).collect();
    for part in &cfg.input.mix {
        parts.push((Template::from_file(&part.path, &opts)?, part.weight));
    }
    Ok(Source::mix(parts))
}

/// After a run: echo the configuration into the report, read back (`--verify`, on the run's
/// runtime `rt`) and check `--threshold`s, updating the verdict.
///
/// The read-back is bounded by `--verify-timeout`, and ends early, incomplete, at a stop signal.
/// After a run that a signal stopped it gets at most the drain timeout (an orchestrator's grace
/// period is short); a second signal then aborts.
pub(super) fn conclude(
    cfg: &RunConfig,
    mut out: engine::RunOutput,
    sink: &Sink,
    rt: &tokio::runtime::Runtime,
    stop: &StopFlag,
) -> anyhow::Result<(engine::RunOutput, Vec<crate::threshold::Check>)> {
    out.report.config = cfg.echo(&out.run_id);
    if let Some(v) = &cfg.verify {
        let since = out
            .report
            .started_at
            .parse::<jiff::Timestamp>()
            .map(|t| t.as_millisecond())
            .unwrap_or(0)
            - 5_000;
        if !cfg.outputs.quiet {
            eprintln!(
                "kdg: verifying {} acknowledged records by reading them back…",
                out.acked.len()
            );
        }
        // A load that a signal stopped still gets its read-back, within the drain timeout; a
        // signal that comes later ends the read-back.
        let signalled = out.report.signal.is_some();
        let timeout = if signalled {
            v.timeout.min(cfg.load.drain_timeout)
        } else {
            v.timeout
        };
        let interrupt = async {
            if signalled {
                std::future::pending::<()>().await;
            }
            stop.stopped().await;
        };
        let summary = match (sink, &v.s3) {
            (Sink::Kinesis(k, _), _) => rt.block_on(crate::verify::verify(
                k.client(),
                k.stream_name(),
                &out.run_id,
                v.field.as_deref(),
                &out.acked,
                since,
                timeout,
                interrupt,
            )),
            (Sink::Firehose(f, _), Some(s3)) => rt.block_on(crate::verify::verify_s3(
                f.sdk_config(),
                &s3.bucket,
                &s3.prefix,
                &out.run_id,
                v.field.as_deref().unwrap_or("_kdg"),
                &out.acked,
                timeout,
                interrupt,
            )),
            _ => unreachable!("config allows --verify only for Kinesis, or Firehose with --verify-s3"),
        };
        out.report.set_verify(summary);
    }
    let checks = crate::threshold::check_all(&cfg.thresholds.parsed, &out.report);
    for c in checks.iter().filter(|c| !c.passed) {
        out.report.outcome.fail(format!("threshold missed: {}", c.text));
    }
    Ok((out, checks))
}
