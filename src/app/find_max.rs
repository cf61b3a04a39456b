//! `kdg find-max`: step the rate up against a destination until throttling or latency say stop.

use std::io::Write as _;
use std::sync::Arc;

use super::run::{connect, Connected};
use super::{runtime, write_stdout, Exit, StopFlag};
use crate::cli::FindMaxArgs;
use crate::config::RunConfig;
use crate::engine;
use crate::engine::schedule::Rate;
use crate::findmax;

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
    (
        "report_json",
        "--report-json",
        "find-max prints its steps and answer on stdout (--json for JSON)",
    ),
    (
        "report_html",
        "--report-html",
        "find-max prints its steps and answer on stdout (--json for JSON)",
    ),
    (
        "timeline",
        "--timeline",
        "find-max prints its steps and answer on stdout (--json for JSON)",
    ),
    ("scenario", "--scenario", "find-max probes one destination"),
];

/// Run the search and print its steps and answer.
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
    let quiet = cfg.outputs.quiet;
    cfg.outputs.quiet = true;
    let rt = runtime(cfg.load.workers.get())?;
    let stop = StopFlag::install(&rt)?;
    let Connected { source, keys, sink } = connect(&cfg, &rt, None, &stop)?;
    let criteria = findmax::Criteria {
        max_throttle: args.max_throttle / 100.0,
        max_p99: args.max_p99,
        min_achieved: 0.95,
    };
    let result = findmax::search(args.start, args.max_rate, args.precision / 100.0, |rate| {
        let step = engine::LoadPlan {
            rate: Rate::per_second(rate),
            duration: Some(args.step_time),
            ..cfg.load.clone()
        };
        let out = rt.block_on(engine::run(
            &step,
            Arc::clone(&source),
            keys.clone(),
            Arc::clone(&sink),
            stop.stopped(),
            &mut |_| {},
        ));
        if stop.signal().is_some() {
            return None;
        }
        let (achieved, ratio, p99) = match out {
            Ok(o) => {
                let t = &o.report.totals;
                let ratio = if t.attempted == 0 {
                    1.0
                } else {
                    t.throttled as f64 / t.attempted as f64
                };
                (o.report.achieved_rps, ratio, o.report.latency.record_e2e.p99_ms)
            }
            Err(_) => (0.0, 1.0, f64::INFINITY),
        };
        let s = findmax::Step {
            target_rps: rate,
            achieved_rps: achieved,
            throttle_ratio: ratio,
            p99_ms: p99,
            held: criteria.holds(rate, achieved, ratio, p99),
        };
        if !quiet {
            eprintln!(
                "kdg: step {rate:.0}/s: achieved {achieved:.0}/s, throttled {:.2}%, p99 {p99:.1} ms: {}",
                ratio * 100.0,
                if s.held { "held" } else { "failed" }
            );
        }
        Some(s)
    });
    rt.shutdown_background();
    if let (Some(signal), false) = (stop.signal(), quiet) {
        eprintln!("kdg: find-max stopped by {signal}");
    }
    let mut out = Vec::new();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &serde_json::json!({"criteria": criteria, "search": result}))?;
        writeln!(out)?;
    } else {
        findmax::write_text(&result, &criteria, &mut out)?;
    }
    write_stdout(&out)?;
    Ok(if result.max_rps.is_some() {
        Exit::Success
    } else {
        Exit::Failed
    })
}
