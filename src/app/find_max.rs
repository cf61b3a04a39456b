//! `kdg find-max`: step the rate up against a destination until throttling or latency say stop,
//! and write the capacity report: the table (or `--json`) on stdout, `--report-json`,
//! `--report-html` and `--timeline` files, opened before the first step like `kdg run`'s.

use std::io::Write as _;
use std::sync::Arc;

use super::run::{connect, Connected};
use super::{after_writing, runtime, write_stdout, Exit, ReportFiles, StopFlag, Target};
use crate::cli::FindMaxArgs;
use crate::config::{Destination, RunConfig};
use crate::engine;
use crate::engine::schedule::Rate;
use crate::findmax;
use crate::report::capacity::{self, CapacityInput, CapacityReport, CapacityRow};
use crate::sink::kinesis::StreamId;
use crate::sink::Sink;

/// `kdg run`'s flags that find-max sets itself or cannot honour, by clap id, with why: given
/// on the command line they are an error, never accepted and ignored.
const NOT_FOR_FIND_MAX: &[(&str, &str, &str)] = &[
    ("rps", "--rps", "the search sets the rate: use --start and --max-rate"),
    ("duration", "--duration", "each step lasts --step-time"),
    ("count", "--count", "each step lasts --step-time"),
    ("ramp", "--ramp", "the search sets the rate: use --start and --max-rate"),
    (
        "steps",
        "--steps",
        "the search sets the rate: use --start and --max-rate",
    ),
    ("hold", "--hold", "each step lasts --step-time"),
    (
        "periodic",
        "--periodic",
        "the search sets the rate: use --start and --max-rate",
    ),
    ("backfill", "--backfill", "the search runs on the wall clock"),
    (
        "thresholds",
        "--threshold",
        "a step holds by --max-throttle and --max-p99",
    ),
    (
        "verify",
        "--verify",
        "find-max sends each record once to measure, not to verify",
    ),
    (
        "verify_s3",
        "--verify-s3",
        "find-max sends each record once to measure, not to verify",
    ),
    ("scenario", "--scenario", "find-max probes one destination"),
];

/// The settings of `kdg run` that find-max sets itself: dropped from its settings echo.
const SET_BY_THE_SEARCH: [&str; 7] = [
    "rate",
    "count",
    "duration_ms",
    "backfill",
    "verify",
    "threshold_exprs",
    "run_id",
];

/// Run the search; print its steps and answer, and write its report files.
pub(super) fn run(args: &FindMaxArgs, matches: &clap::ArgMatches) -> anyhow::Result<Exit> {
    for (id, flag, why) in NOT_FOR_FIND_MAX {
        if matches.value_source(id) == Some(clap::parser::ValueSource::CommandLine) {
            anyhow::bail!("{flag}: not a find-max flag: {why}");
        }
    }
    let mut cfg = RunConfig::from_args(&args.run)?;
    if cfg.outputs.metrics.is_some() {
        anyhow::bail!("--metrics-listen: find-max does not serve metrics; drop the flag (its steps are printed)");
    }
    if !cfg.destination.is_remote() {
        anyhow::bail!("find-max needs a destination to probe: --stream, --stream-arn or --delivery-stream");
    }
    for (path, flag) in [
        (&cfg.outputs.timeline, "--timeline"),
        (&cfg.outputs.report_html, "--report-html"),
    ] {
        if path.as_ref().and_then(|o| o.file()) == Some(std::path::Path::new("-")) {
            anyhow::bail!("{flag}: find-max prints its table (or --json) on stdout; give a file");
        }
    }
    if let Some(spec) = cfg.input.replay.as_ref().filter(|s| !s.rereadable()) {
        anyhow::bail!(
            "--from: find-max replays the input at every step, and `{}` can be read only once; give a regular file",
            spec.name()
        );
    }
    for (v, flag) in [(args.max_throttle, "--max-throttle"), (args.precision, "--precision")] {
        if !(0.0..100.0).contains(&v) {
            anyhow::bail!("{flag}: must be a percentage from 0 to 100, got {v}");
        }
    }
    if args.start > args.max_rate {
        anyhow::bail!("--start: must not be above --max-rate");
    }
    // Each record is sent once, so retries do not blur the throttle ratio.
    cfg.retry.max_attempts = 1;
    cfg.load.count = None;
    let settings = settings(&cfg, args);
    let quiet = cfg.outputs.quiet;
    cfg.outputs.quiet = true;
    let rt = runtime(cfg.load.workers.get())?;
    let stop = StopFlag::install(&rt)?;
    let Connected { source, keys, sink } = connect(&cfg, &rt, None, &stop)?;
    let open_shards = open_shards(&sink, &rt);
    // Before the first step: a report path that cannot be created is a setup error, nothing sent.
    let mut files = ReportFiles::of(&cfg.outputs, &cfg.aws.conn, &rt, &stop)?;
    // `--report-json -` is `--json`: one document on stdout, printed once.
    let json_on_stdout = args.json || files.json.as_ref().is_some_and(|f| matches!(f.to, Target::Stdout));
    files.json = files.json.filter(|f| !matches!(f.to, Target::Stdout));
    let criteria = findmax::Criteria {
        max_throttle: args.max_throttle / 100.0,
        max_p99: args.max_p99,
        min_achieved: 0.95,
    };
    let mut rows: Vec<CapacityRow> = Vec::new();
    let mut steps_run = 0;
    let started_at = jiff::Timestamp::now();
    let result = findmax::search(args.start, args.max_rate, args.precision / 100.0, |rate| {
        let plan = engine::LoadPlan {
            rate: Rate::per_second(rate),
            duration: Some(args.step_time),
            ..cfg.load.clone()
        };
        // The step's seconds go into the search's timeline (and its file) as they complete.
        let (offset, step) = (capacity::next_second(&rows), steps_run + 1);
        let mut pushed = 0;
        let mut add = |step_rows: &[crate::stats::TimelineRow], files: &mut ReportFiles| {
            let from = rows.len();
            rows.extend(capacity::step_rows_at(offset, step, rate, step_rows));
            files.stream_timeline(&rows[from..]);
        };
        let out = rt.block_on(engine::run(
            &plan,
            Arc::clone(&source),
            keys.clone(),
            Arc::clone(&sink),
            stop.stopped(),
            &mut |live| {
                add(&live.new_seconds, &mut files);
                pushed += live.new_seconds.len();
            },
        ));
        if let Ok(o) = &out {
            add(o.timeline.rows().get(pushed..).unwrap_or_default(), &mut files);
        }
        if stop.signal().is_some() {
            return None;
        }
        steps_run += 1;
        let s = match out {
            Ok(o) => measured(rate, &o.report, &open_shards),
            Err(e) => findmax::Step {
                target_rps: rate,
                why: vec![crate::redact::redact(&format!("the step stopped on an error: {e}")).into_owned()],
                ..findmax::Step::default()
            },
        }
        .judge(&criteria);
        if !quiet {
            eprintln!(
                "kdg: step {rate:.0}/s: achieved {:.0}/s, throttled {:.2}%, p99 {:.1} ms: {}",
                s.achieved_rps,
                s.throttle_ratio * 100.0,
                s.p99_ms,
                if s.held() { "held" } else { "failed" }
            );
        }
        Some(s)
    });
    let ended_at = jiff::Timestamp::now();
    rt.shutdown_background();
    if let (Some(signal), false) = (stop.signal(), quiet) {
        eprintln!("kdg: find-max stopped by {signal}");
    }
    let report = CapacityReport::build(
        &result,
        CapacityInput {
            started_at,
            ended_at,
            settings,
            destination: destination(&cfg, &sink),
            criteria: &criteria,
            signal: stop.signal().map(str::to_owned),
        },
    );
    let json = report.to_json_pretty();
    let mut out = Vec::new();
    if json_on_stdout {
        writeln!(out, "{json}")?;
    } else {
        findmax::write_text(&result, &criteria, &mut out)?;
    }
    write_stdout(&out)?;
    let written = write_files(files, &json, &report, &rows);
    let exit = if result.max_rps.is_some() {
        Exit::Success
    } else {
        Exit::Failed
    };
    Ok(after_writing(written, exit))
}

/// The stream's open shards (Kinesis), so that a shard no record reached counts in the mean
/// shard's load: with one hot key, three of four shards are idle. Empty when they cannot be
/// listed (then only the shards that answered count).
fn open_shards(sink: &Sink, rt: &tokio::runtime::Runtime) -> Vec<String> {
    let Sink::Kinesis(k, _) = sink else { return Vec::new() };
    let listed = rt.block_on(crate::sink::kinesis::list_shards(k.client(), k.stream_name()));
    listed
        .map(|shards| {
            shards
                .iter()
                .filter(|s| {
                    s.sequence_number_range()
                        .is_some_and(|r| r.ending_sequence_number().is_none())
                })
                .map(|s| s.shard_id().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// What a step's run report measured; `open_shards` that no record reached count as idle.
fn measured(rate: f64, r: &crate::report::Report, open_shards: &[String]) -> findmax::Step {
    let t = &r.totals;
    let mut shards = r.shards.clone();
    if !shards.is_empty() {
        for id in open_shards {
            shards.entry(id.clone()).or_default();
        }
    }
    let step = findmax::Step {
        target_rps: rate,
        achieved_rps: r.achieved_rps,
        bytes_per_s: r.bytes_per_s,
        elapsed_ms: r.elapsed_s * 1e3,
        offered: t.offered,
        attempted: t.attempted,
        delivered: t.delivered,
        failed: t.failed,
        throttled: t.throttled,
        bytes: t.bytes,
        destination_records: t.destination_records,
        ..findmax::Step::default()
    };
    // Throttling is per entry: with `--aggregate`, per packed record of several records.
    let entries_attempted = step.attempted as f64 / step.records_per_entry();
    findmax::Step {
        throttle_ratio: if entries_attempted == 0.0 {
            0.0
        } else {
            step.throttled as f64 / entries_attempted
        },
        p50_ms: r.latency.record_e2e.p50_ms,
        p99_ms: r.latency.record_e2e.p99_ms,
        errors: r.errors.clone(),
        shards,
        ..step
    }
}

/// The settings echo: `kdg run`'s (redacted, durations in ms, the seed a string) without what
/// the search sets, with the search's own under `find_max`.
fn settings(cfg: &RunConfig, args: &FindMaxArgs) -> serde_json::Value {
    let mut echo = cfg.echo("");
    if let Some(m) = echo.as_object_mut() {
        for key in SET_BY_THE_SEARCH {
            m.remove(key);
        }
        m.insert(
            "find_max".to_owned(),
            serde_json::json!({
                "start_rps": args.start,
                "max_rate_rps": args.max_rate,
                "step_time_ms": crate::units::duration_ms(args.step_time),
                "precision_pct": args.precision,
            }),
        );
    }
    echo
}

/// The destination as the client was set up: its region, and the endpoint URL it was given
/// (`--endpoint-url`, else the SDK's `AWS_ENDPOINT_URL_<SERVICE>` / `AWS_ENDPOINT_URL`).
fn destination(cfg: &RunConfig, sink: &Sink) -> capacity::Destination {
    let (kind, name, service_var) = match &cfg.destination {
        Destination::Kinesis(StreamId::Name(n) | StreamId::Arn(n)) => {
            ("kinesis", n.clone(), "AWS_ENDPOINT_URL_KINESIS")
        }
        Destination::Firehose(n) => ("firehose", n.clone(), "AWS_ENDPOINT_URL_FIREHOSE"),
        Destination::Local(_) => unreachable!("find-max probes a remote destination"),
    };
    let region = match sink {
        Sink::Kinesis(k, _) => k.client().config().region().map(ToString::to_string),
        Sink::Firehose(f, _) => f.sdk_config().region().map(ToString::to_string),
        _ => None,
    };
    let from_env = || {
        let ignored = std::env::var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS").is_ok_and(|v| v == "true");
        [service_var, "AWS_ENDPOINT_URL"]
            .into_iter()
            .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty() && !ignored))
    };
    let endpoint = match sink {
        Sink::Firehose(f, _) => f.sdk_config().endpoint_url().map(str::to_owned),
        _ => cfg.aws.conn.endpoint_url.clone().or_else(from_env),
    };
    capacity::Destination {
        kind: kind.to_owned(),
        name: crate::redact::redact(&name).into_owned(),
        region,
        endpoint: endpoint.map(|e| crate::redact::redact(&e).into_owned()),
    }
}

/// Write the report files that were asked for: every file is attempted; the first failure is
/// returned.
fn write_files(files: ReportFiles, json: &str, report: &CapacityReport, rows: &[CapacityRow]) -> anyhow::Result<()> {
    let mut first_error = files.timeline_error;
    let mut keep = |r: anyhow::Result<()>| {
        if let Err(e) = r {
            first_error.get_or_insert(e);
        }
    };
    let s3 = files.s3.as_ref();
    if let Some(f) = files.json {
        keep(f.put(format!("{json}\n").into_bytes(), "application/json", s3));
    }
    if let Some(f) = files.timeline {
        // A local file has the rows streamed while the steps ran; the rest go now.
        let rest = match f.to {
            Target::File(..) => rows.get(files.rows_written..).unwrap_or_default(),
            _ => rows,
        };
        keep(f.put(super::ndjson(rest), "application/x-ndjson", s3));
    }
    if let Some(f) = files.html {
        let mut page = Vec::new();
        crate::report::html::write_capacity_html(report, rows, &mut page).expect("writing into memory");
        keep(f.put(page, "text/html; charset=utf-8", s3));
    }
    first_error.map_or(Ok(()), Err)
}
