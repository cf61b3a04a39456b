//! `kdg find-max`: step the rate up against a destination until throttling or latency say stop.

use std::io::Write as _;
use std::sync::Arc;

use super::run::{connect, Connected};
use super::{runtime, Exit};
use crate::cli::FindMaxArgs;
use crate::config::RunConfig;
use crate::engine;
use crate::engine::schedule::Rate;
use crate::findmax;

/// Run the search and print its steps and answer.
pub(super) fn run(args: &FindMaxArgs) -> anyhow::Result<Exit> {
    let mut cfg = RunConfig::from_args(&args.run)?;
    if cfg.outputs.metrics.is_some() {
        anyhow::bail!("--metrics-listen: find-max does not serve metrics; drop the flag (its steps are printed)");
    }
    if !cfg.destination.is_remote() {
        anyhow::bail!("find-max needs a destination to probe: --stream, --stream-arn or --delivery-stream");
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
    let Connected { source, keys, sink } = connect(&cfg, &rt, None)?;
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
            std::future::pending(),
            &mut |_| {},
        ));
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
        s
    });
    rt.shutdown_background();
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &serde_json::json!({"criteria": criteria, "search": result}))?;
        writeln!(out)?;
    } else {
        findmax::write_text(&result, &criteria, &mut out)?;
    }
    Ok(if result.max_rps.is_some() {
        Exit::Success
    } else {
        Exit::Failed
    })
}
