//! The command-line application: parsed arguments in, exit code out.
//!
//! This is the edge of the program: it opens files, builds the tokio runtime, installs the
//! Ctrl-C handling, prints errors as one line (`kdg: error: …`) and maps outcomes to exit codes
//! (0 success, 1 records failed, 2 usage or setup error). The library below it never prints or
//! exits.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{CommandFactory, Parser};

use crate::cli::{Cli, Command, FindMaxArgs, RenderArgs, ReportCommand, RunArgs};
use crate::config::{Destination, RunConfig, SinkSpec, TemplateConfig};
use crate::engine;
use crate::findmax;
use crate::output::Progress;
use crate::sink::firehose::Firehose;
use crate::sink::kinesis::Kinesis;
use crate::sink::Sink;
use crate::source::Source;
use crate::template::Template;

/// Exit code: usage, template or setup error.
pub const EXIT_SETUP: u8 = 2;
/// Exit code: the run finished but records failed.
pub const EXIT_FAILED: u8 = 1;

/// Run the `kdg` command line.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run(&args),
        Command::Render(args) => render(&args),
        Command::Tail(args) => crate::tail::run(&args),
        Command::Plan(args) => crate::plan::run(&args),
        Command::FindMax(args) => find_max(&args),
        Command::Report(ReportCommand::Merge {
            reports,
            output,
            report_html,
            timelines,
            timeline_out,
        }) => merge_reports(
            &reports,
            output.as_deref(),
            report_html.as_deref(),
            &timelines,
            timeline_out.as_deref(),
        ),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "kdg", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
    };
    result.unwrap_or_else(|e| {
        eprintln!("kdg: error: {e:#}");
        ExitCode::from(EXIT_SETUP)
    })
}

/// A run ready to start: template compiled, destination connected.
struct Prepared {
    source: Arc<Source>,
    keys: engine::Keys,
    sink: Arc<Sink>,
    rt: tokio::runtime::Runtime,
}

/// Compile the templates, start the runtime and connect to the destination (pre-flight).
fn prepare(cfg: &RunConfig) -> anyhow::Result<Prepared> {
    let source = Arc::new(build_source(cfg)?);
    let key_template = |text: &Option<String>, flag: &str| -> anyhow::Result<Option<Arc<Template>>> {
        match text {
            None => Ok(None),
            Some(t) => Ok(Some(Arc::new(Template::compile(t, flag, &cfg.template.options())?))),
        }
    };
    let keys = engine::Keys {
        partition: key_template(&cfg.partition_key, "--partition-key")?,
        hash: key_template(&cfg.explicit_hash_key, "--explicit-hash-key")?,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cfg.workers.get())
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let sink = Arc::new(match &cfg.destination {
        Destination::Local(SinkSpec::Stdout) => Sink::stdout(),
        Destination::Local(SinkSpec::Null) => Sink::Null,
        Destination::Local(SinkSpec::File(p)) => {
            Sink::file(p).with_context(|| format!("--sink: cannot create `{}`", p.display()))?
        }
        Destination::Kinesis(stream) => {
            let (k, info, warning) = rt.block_on(Kinesis::connect(&cfg.aws, stream.clone(), cfg.preflight))?;
            let mut warnings: Vec<String> = warning.into_iter().collect();
            if let Some(info) = &info {
                if !cfg.quiet {
                    let shards = info.open_shards.map_or_else(|| "?".to_string(), |n| n.to_string());
                    let mode = info.mode.as_deref().unwrap_or("unknown mode");
                    eprintln!("kdg: stream {} ({mode}, {shards} open shards)", info.name);
                }
                if let Some(peak) = cfg.peak_rps() {
                    let size = source.mean_size(cfg.template.seed, 200) + f64::from(u8::from(cfg.newline)) + 10.0;
                    warnings.extend(Kinesis::capacity_warnings(info, peak, size));
                }
            }
            for w in warnings {
                eprintln!("kdg: warning: {w}");
            }
            Sink::Kinesis(k, cfg.retry)
        }
        Destination::Firehose(name) => {
            let (f, info, warning) = rt.block_on(Firehose::connect(&cfg.aws, name.clone(), cfg.preflight))?;
            if let (Some(info), false) = (&info, cfg.quiet) {
                eprintln!("kdg: delivery stream {} ({}, {})", info.name, info.source, info.status);
            }
            if let Some(w) = warning {
                eprintln!("kdg: warning: {w}");
            }
            Sink::Firehose(Box::new(f), cfg.retry)
        }
    });
    Ok(Prepared { source, keys, sink, rt })
}

/// The records' source: the template(s), and the file to replay. A replay's file is opened
/// here once, so a missing, empty or headerless file is a setup error before anything is sent.
fn build_source(cfg: &RunConfig) -> anyhow::Result<Source> {
    let mut opts = cfg.template.options();
    if let Some(spec) = &cfg.replay {
        let mut reader = crate::replay::Reader::open(spec, false)?;
        reader.next_into(&mut crate::replay::Row::default())?;
        if spec.format == crate::replay::Format::Csv {
            opts.row_fields = Some(reader.header());
        }
    }
    let main = cfg
        .template
        .path
        .as_ref()
        .map(|p| Template::from_file(p, &opts))
        .transpose()?;
    if let Some(spec) = &cfg.replay {
        return Ok(Source::replay(spec.clone(), main));
    }
    if cfg.mix.is_empty() {
        return Ok(Source::single(main.expect("config requires a template")));
    }
    let mut parts: Vec<(Template, f64)> = main.into_iter().map(|t| (t, 1.0)).collect();
    for (path, weight) in &cfg.mix {
        parts.push((Template::from_file(path, &opts)?, *weight));
    }
    Ok(Source::mix(parts))
}

fn run(args: &RunArgs) -> anyhow::Result<ExitCode> {
    let cfg = RunConfig::from_args(args)?;
    let Prepared { source, keys, sink, rt } = prepare(&cfg)?;
    let verify_sink = Arc::clone(&sink);
    let mut progress = Progress::stderr(cfg.quiet);
    let outcome = rt.block_on(async {
        let (first_tx, first_rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                let _ = first_tx.send(());
                if tokio::signal::ctrl_c().await.is_ok() {
                    eprintln!("kdg: aborted by a second Ctrl-C; no report written");
                    std::process::exit(130);
                }
            }
        });
        let shutdown = async {
            let _ = first_rx.await;
        };
        engine::run(&cfg, source, keys, sink, shutdown, &mut |live| progress.update(live)).await
    });
    progress.finish();
    rt.shutdown_background();
    let out = match outcome {
        Ok(out) => out,
        Err(e) => {
            eprintln!("kdg: error: {e}");
            return Ok(ExitCode::from(EXIT_FAILED));
        }
    };
    let mut out = out;
    if let Some(v) = &cfg.verify {
        let since = out
            .report
            .started_at
            .parse::<jiff::Timestamp>()
            .map(|t| t.as_millisecond())
            .unwrap_or(0)
            - 5_000;
        if !cfg.quiet {
            eprintln!(
                "kdg: verifying {} acknowledged records by reading them back…",
                out.acked.len()
            );
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the runtime")?;
        let summary = match (&*verify_sink, &v.s3) {
            (Sink::Kinesis(k, _), _) => rt.block_on(crate::verify::verify(
                k.client(),
                k.stream_name(),
                &out.run_id,
                v.field.as_deref(),
                &out.acked,
                since,
                v.timeout,
            ))?,
            (Sink::Firehose(f, _), Some((bucket, prefix))) => rt.block_on(crate::verify::verify_s3(
                f.sdk_config(),
                bucket,
                prefix,
                &out.run_id,
                v.field.as_deref().unwrap_or("_kdg"),
                &out.acked,
                v.timeout,
            ))?,
            _ => unreachable!("config allows --verify only for Kinesis, or Firehose with --verify-s3"),
        };
        out.report.set_verify(summary);
    }
    let checks = crate::threshold::check_all(&cfg.thresholds, &out.report);
    for c in checks.iter().filter(|c| !c.passed) {
        out.report.outcome.exit_code = out.report.outcome.exit_code.max(i32::from(EXIT_FAILED));
        out.report.outcome.reasons.push(format!("threshold missed: {}", c.text));
    }
    if !cfg.quiet {
        let mut err = std::io::stderr().lock();
        crate::report::text::write_text(&out.report, &mut err).context("writing the report")?;
        if !checks.is_empty() {
            writeln!(err, "\nThresholds").context("writing the report")?;
            for c in &checks {
                writeln!(err, "  {}", c.text).context("writing the report")?;
            }
        }
    }
    if let Some(path) = &cfg.report_json {
        let json = out.report.to_json_pretty();
        if path.as_os_str() == "-" {
            println!("{json}");
        } else {
            std::fs::write(path, json + "\n")
                .with_context(|| format!("--report-json: writing `{}`", path.display()))?;
        }
    }
    if let Some(path) = &cfg.timeline {
        let mut f = std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("--timeline: creating `{}`", path.display()))?,
        );
        out.timeline
            .write_ndjson(&mut f)
            .and_then(|_| f.flush())
            .context("--timeline: writing")?;
    }
    if let Some(path) = &cfg.report_html {
        let mut f = std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("--report-html: creating `{}`", path.display()))?,
        );
        crate::report::html::write_html(&out.report, out.timeline.rows(), &mut f)
            .and_then(|_| f.flush())
            .context("--report-html: writing")?;
    }
    Ok(ExitCode::from(out.report.outcome.exit_code.clamp(0, 255) as u8))
}

fn find_max(args: &FindMaxArgs) -> anyhow::Result<ExitCode> {
    let mut cfg = RunConfig::from_args(&args.run)?;
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
    cfg.count = None;
    let quiet = cfg.quiet;
    cfg.quiet = true;
    let Prepared { source, keys, sink, rt } = prepare(&cfg)?;
    let criteria = findmax::Criteria {
        max_throttle: args.max_throttle / 100.0,
        max_p99: args.max_p99,
        min_achieved: 0.95,
    };
    let result = findmax::search(args.start, args.max_rate, args.precision / 100.0, |rate| {
        let mut step = cfg.clone();
        step.rate = crate::config::Rate::PerSecond(rate);
        step.duration = Some(args.step_time);
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
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
    })
}

fn merge_reports(
    paths: &[std::path::PathBuf],
    output: Option<&std::path::Path>,
    html: Option<&std::path::Path>,
    timelines: &[std::path::PathBuf],
    timeline_out: Option<&std::path::Path>,
) -> anyhow::Result<ExitCode> {
    let mut parts = Vec::with_capacity(timelines.len());
    for p in timelines {
        let text = std::fs::read_to_string(p).with_context(|| format!("--timeline: reading `{}`", p.display()))?;
        let rows = text
            .lines()
            .enumerate()
            .map(|(i, l)| {
                serde_json::from_str::<crate::stats::TimelineRow>(l)
                    .with_context(|| format!("--timeline: `{}` line {} is not a timeline row", p.display(), i + 1))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        parts.push(rows);
    }
    let merged_rows = crate::stats::Timeline::merge(&parts);
    let mut reports = Vec::with_capacity(paths.len());
    for p in paths {
        let text = std::fs::read_to_string(p).with_context(|| format!("reading `{}`", p.display()))?;
        let r: crate::report::Report =
            serde_json::from_str(&text).with_context(|| format!("`{}` is not a kdg JSON report", p.display()))?;
        reports.push(r);
    }
    let merged = crate::report::Report::merge(&reports).context("merging the reports")?;
    let json = merged.to_json_pretty() + "\n";
    match output {
        Some(p) => std::fs::write(p, json).with_context(|| format!("--output: writing `{}`", p.display()))?,
        None => std::io::stdout()
            .write_all(json.as_bytes())
            .context("writing to stdout")?,
    }
    if let Some(p) = html {
        let mut f = std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("--report-html: creating `{}`", p.display()))?,
        );
        crate::report::html::write_html(&merged, &merged_rows, &mut f)
            .and_then(|_| f.flush())
            .context("--report-html: writing")?;
    }
    if let Some(p) = timeline_out {
        let mut text = String::new();
        for row in &merged_rows {
            text.push_str(&serde_json::to_string(row)?);
            text.push('\n');
        }
        std::fs::write(p, text).with_context(|| format!("--timeline-out: writing `{}`", p.display()))?;
    }
    Ok(ExitCode::from(merged.outcome.exit_code.clamp(0, 255) as u8))
}

fn render(args: &RenderArgs) -> anyhow::Result<ExitCode> {
    let tcfg = TemplateConfig::from_args(&args.template)?;
    let path = tcfg.path.as_ref().context("kdg render needs a template file")?;
    let template = Template::from_file(path, &tcfg.options())?;
    let mut ctx = template.context(tcfg.seed, "render");
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut buf = Vec::with_capacity(1024);
    for n in args.start..args.start.saturating_add(args.count) {
        buf.clear();
        template.render(&mut ctx, n, jiff::Timestamp::now().as_millisecond(), &mut buf);
        buf.push(b'\n');
        if let Err(e) = out.write_all(&buf) {
            return broken_pipe_is_success(e);
        }
    }
    match out.flush() {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => broken_pipe_is_success(e),
    }
}

/// `kdg render | head` closes the pipe early: that is success, like any Unix filter.
fn broken_pipe_is_success(e: std::io::Error) -> anyhow::Result<ExitCode> {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Ok(ExitCode::SUCCESS)
    } else {
        Err(e).context("writing to stdout")
    }
}
