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
use clap::{CommandFactory, FromArgMatches, Parser};

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
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let result = match cli.command {
        Command::Run(args) if args.scenario.is_some() => {
            let run_matches = matches.subcommand_matches("run").expect("the run subcommand");
            run_scenario(&args, run_matches)
        }
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
    let rt = runtime(cfg.workers.get())?;
    let (source, keys, sink) = connect(cfg, &rt, None)?;
    Ok(Prepared { source, keys, sink, rt })
}

/// A multi-threaded runtime with `workers` threads.
fn runtime(workers: usize) -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .context("starting the runtime")
}

/// Compile the templates and connect to the destination (pre-flight) on `rt`. Jobs that write
/// to stdout share `stdout`, so their records never interleave mid-record.
fn connect(
    cfg: &RunConfig,
    rt: &tokio::runtime::Runtime,
    stdout: Option<&Arc<Sink>>,
) -> anyhow::Result<(Arc<Source>, engine::Keys, Arc<Sink>)> {
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
    if let (Destination::Local(SinkSpec::Stdout), Some(shared)) = (&cfg.destination, stdout) {
        return Ok((source, keys, Arc::clone(shared)));
    }
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
    Ok((source, keys, sink))
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
        let shutdown = stopped(ctrl_c_flag());
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
    let (out, checks) = conclude(&cfg, out, &verify_sink)?;
    if !cfg.quiet {
        print_report(&out.report, &checks, None)?;
    }
    let files = ReportFiles {
        json: cfg.report_json.clone(),
        timeline: cfg.timeline.clone(),
        html: cfg.report_html.clone(),
    };
    files.write(&out.report.to_json_pretty(), &out.report, out.timeline.rows())?;
    Ok(ExitCode::from(out.report.outcome.exit_code.clamp(0, 255) as u8))
}

/// A flag that turns true at the first Ctrl-C (runs drain and report); a second Ctrl-C aborts
/// the process. Call inside the runtime.
fn ctrl_c_flag() -> tokio::sync::watch::Receiver<bool> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = tx.send(true);
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("kdg: aborted by a second Ctrl-C; no report written");
                std::process::exit(130);
            }
        }
        // Without signal handling, runs end by their own limits.
        std::future::pending::<()>().await;
    });
    rx
}

/// Resolves when `flag` turns true.
async fn stopped(mut flag: tokio::sync::watch::Receiver<bool>) {
    let _ = flag.wait_for(|stop| *stop).await;
}

/// After a run: read back (`--verify`) and check `--threshold`s, updating the outcome.
fn conclude(
    cfg: &RunConfig,
    mut out: engine::RunOutput,
    sink: &Sink,
) -> anyhow::Result<(engine::RunOutput, Vec<crate::threshold::Check>)> {
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
        let summary = match (sink, &v.s3) {
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
    Ok((out, checks))
}

/// Print a text report (and threshold results) to stderr, under `title` if given.
fn print_report(
    report: &crate::report::Report,
    checks: &[crate::threshold::Check],
    title: Option<&str>,
) -> anyhow::Result<()> {
    let mut err = std::io::stderr().lock();
    if let Some(t) = title {
        writeln!(err, "\n== {t} ==").context("writing the report")?;
    }
    crate::report::text::write_text(report, &mut err).context("writing the report")?;
    if !checks.is_empty() {
        writeln!(err, "\nThresholds").context("writing the report")?;
        for c in checks {
            writeln!(err, "  {}", c.text).context("writing the report")?;
        }
    }
    Ok(())
}

/// Where a run's (or a scenario's) report goes besides the terminal.
struct ReportFiles {
    json: Option<std::path::PathBuf>,
    timeline: Option<std::path::PathBuf>,
    html: Option<std::path::PathBuf>,
}

impl ReportFiles {
    /// Write `json` (the JSON report text), the timeline and the HTML page, where asked.
    fn write(
        &self,
        json: &str,
        report: &crate::report::Report,
        rows: &[crate::stats::TimelineRow],
    ) -> anyhow::Result<()> {
        if let Some(path) = &self.json {
            if path.as_os_str() == "-" {
                println!("{json}");
            } else {
                std::fs::write(path, format!("{json}\n"))
                    .with_context(|| format!("--report-json: writing `{}`", path.display()))?;
            }
        }
        if let Some(path) = &self.timeline {
            let mut f = std::io::BufWriter::new(
                std::fs::File::create(path).with_context(|| format!("--timeline: creating `{}`", path.display()))?,
            );
            for row in rows {
                serde_json::to_writer(&mut f, row).context("--timeline: writing")?;
                f.write_all(b"\n").context("--timeline: writing")?;
            }
            f.flush().context("--timeline: writing")?;
        }
        if let Some(path) = &self.html {
            let mut f = std::io::BufWriter::new(
                std::fs::File::create(path).with_context(|| format!("--report-html: creating `{}`", path.display()))?,
            );
            crate::report::html::write_html(report, rows, &mut f)
                .and_then(|_| f.flush())
                .context("--report-html: writing")?;
        }
        Ok(())
    }
}

/// `kdg run --scenario FILE`: every job of the file at once, one live line per job, a report per
/// job and one for the total.
fn run_scenario(args: &RunArgs, matches: &clap::ArgMatches) -> anyhow::Result<ExitCode> {
    use crate::scenario::{Scenario, Setting, SCENARIO_FLAGS};
    let path = args.scenario.as_ref().expect("checked by the caller");
    let text =
        std::fs::read_to_string(path).with_context(|| format!("--scenario: cannot read `{}`", path.display()))?;
    let run_cmd = Cli::command();
    let run_cmd = run_cmd.find_subcommand("run").expect("the run subcommand");
    let mut flags = crate::scenario::FlagTable::new();
    let mut overrides = std::collections::BTreeMap::new();
    for arg in run_cmd.get_arguments() {
        let Some(long) = arg.get_long() else { continue };
        let key = long.replace('-', "_");
        let takes_values = arg.get_action().takes_values();
        flags.insert(key.clone(), takes_values);
        let id = arg.get_id().as_str();
        if SCENARIO_FLAGS.contains(&key.as_str())
            || matches.value_source(id) != Some(clap::parser::ValueSource::CommandLine)
        {
            continue;
        }
        let setting = if takes_values {
            Setting::Values(
                matches
                    .get_raw(id)
                    .into_iter()
                    .flatten()
                    .map(|v| v.to_string_lossy().into_owned())
                    .collect(),
            )
        } else {
            Setting::Switch
        };
        overrides.insert(key, setting);
    }
    let file = path.display().to_string();
    let scenario = Scenario::parse(&file, &text, &flags, &overrides)?;
    let mut jobs = Vec::with_capacity(scenario.jobs.len());
    for job in &scenario.jobs {
        let argv = ["kdg", "run"]
            .into_iter()
            .map(String::from)
            .chain(job.args.iter().cloned());
        let parsed = Cli::try_parse_from(argv).map_err(|e| {
            let flag = e
                .get(clap::error::ContextKind::InvalidArg)
                .map(|a| a.to_string())
                .unwrap_or_default();
            let flag = flag.split_whitespace().next().unwrap_or_default().to_string();
            let text = e.to_string();
            let first = text
                .lines()
                .next()
                .unwrap_or_default()
                .trim_start_matches("error: ")
                .to_string();
            scenario.job_error(job, &flag, &first)
        })?;
        let Command::Run(run_args) = parsed.command else {
            unreachable!("parsed as kdg run")
        };
        let mut cfg = RunConfig::from_args(&run_args).map_err(|e| scenario.job_error(job, e.flag, &e.message))?;
        cfg.quiet = args.quiet;
        jobs.push((job.name.clone(), cfg));
    }
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    let rt = runtime(workers)?;
    let mut stdout: Option<Arc<Sink>> = None;
    let mut prepared = Vec::with_capacity(jobs.len());
    for (name, cfg) in &jobs {
        let (source, keys, sink) = connect(cfg, &rt, stdout.as_ref()).with_context(|| format!("job `{name}`"))?;
        if matches!(cfg.destination, Destination::Local(SinkSpec::Stdout)) {
            stdout = Some(Arc::clone(&sink));
        }
        prepared.push((source, keys, sink));
    }
    let names: Vec<String> = jobs.iter().map(|(n, _)| n.clone()).collect();
    let progress = Arc::new(std::sync::Mutex::new(crate::output::JobsProgress::stderr(
        args.quiet, &names,
    )));
    let results = rt.block_on(async {
        let flag = ctrl_c_flag();
        let mut tasks = tokio::task::JoinSet::new();
        for (i, ((_, cfg), (source, keys, sink))) in jobs.iter().zip(&prepared).enumerate() {
            let (cfg, source, keys, sink) = (cfg.clone(), Arc::clone(source), keys.clone(), Arc::clone(sink));
            let shutdown = stopped(flag.clone());
            let progress = Arc::clone(&progress);
            tasks.spawn(async move {
                let out = engine::run(&cfg, source, keys, sink, shutdown, &mut |live| {
                    progress.lock().expect("progress lock").update(i, live)
                })
                .await;
                (i, out)
            });
        }
        let mut results: Vec<Option<Result<engine::RunOutput, engine::EngineError>>> =
            (0..jobs.len()).map(|_| None).collect();
        while let Some(done) = tasks.join_next().await {
            let (i, out) = done.expect("a job task does not panic");
            results[i] = Some(out);
        }
        results
    });
    progress.lock().expect("progress lock").finish();
    rt.shutdown_background();
    let mut reports = Vec::with_capacity(jobs.len());
    let mut timelines = Vec::with_capacity(jobs.len());
    let mut exit = 0;
    for (((name, cfg), (_, _, sink)), result) in jobs.iter().zip(&prepared).zip(results) {
        let out = match result.expect("every job ran") {
            Ok(out) => out,
            Err(e) => {
                eprintln!("kdg: error: job `{name}`: {e}");
                exit = exit.max(i32::from(EXIT_FAILED));
                continue;
            }
        };
        let (out, checks) = conclude(cfg, out, sink)?;
        if !args.quiet {
            print_report(&out.report, &checks, Some(&format!("job {name}")))?;
        }
        let files = ReportFiles {
            json: cfg.report_json.clone(),
            timeline: cfg.timeline.clone(),
            html: cfg.report_html.clone(),
        };
        files.write(&out.report.to_json_pretty(), &out.report, out.timeline.rows())?;
        exit = exit.max(out.report.outcome.exit_code);
        timelines.push(out.timeline.rows().to_vec());
        reports.push((name.clone(), out.report));
    }
    if reports.is_empty() {
        return Ok(ExitCode::from(EXIT_FAILED));
    }
    let all: Vec<crate::report::Report> = reports.iter().map(|(_, r)| r.clone()).collect();
    let total = crate::report::Report::merge(&all).context("adding up the jobs' reports")?;
    if !args.quiet && reports.len() > 1 {
        print_report(&total, &[], Some(&format!("total of {} jobs", reports.len())))?;
    }
    let json = serde_json::to_string_pretty(&serde_json::json!({
        "scenario": file,
        "jobs": reports.iter().map(|(name, r)| serde_json::json!({"name": name, "report": r})).collect::<Vec<_>>(),
        "total": total,
    }))
    .context("writing the scenario report")?;
    let files = ReportFiles {
        json: args.report_json.clone(),
        timeline: args.timeline.clone(),
        html: args.report_html.clone(),
    };
    files.write(&json, &total, &crate::stats::Timeline::merge(&timelines))?;
    Ok(ExitCode::from(exit.clamp(0, 255) as u8))
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
