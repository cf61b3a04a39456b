//! `kdg run --scenario FILE`: every job of the file at once, one live line per job, a report per
//! job and one for the total.

use std::sync::Arc;

use anyhow::Context as _;
use clap::{CommandFactory, Parser};

use super::run::{conclude, connect, job_labels, linger, start_metrics, Connected};
use super::{after_writing, print_report, runtime, Exit, ReportFiles, StopFlag};
use crate::cli::{Cli, Command, RunArgs};
use crate::config::{Destination, RunConfig, SinkSpec};
use crate::engine;
use crate::scenario::{Scenario, Setting, SCENARIO_FLAGS};
use crate::sink::Sink;

/// Run the scenario that `args.scenario` names; `matches` tells which flags the command line
/// set, so they override every job.
pub(super) fn run(args: &RunArgs, matches: &clap::ArgMatches) -> anyhow::Result<Exit> {
    let path = args.scenario.as_ref().expect("checked by the caller");
    let text =
        std::fs::read_to_string(path).with_context(|| format!("--scenario: cannot read `{}`", path.display()))?;
    let file = path.display().to_string();
    let scenario = parse(&file, &text, matches)?;
    let jobs = configs(&scenario, args.quiet)?;
    let mut files: Vec<(String, &'static str, &std::path::Path)> = Vec::new();
    for (name, cfg) in &jobs {
        for (flag, p) in crate::config::run_files(cfg) {
            files.push((format!("job `{name}` {flag}"), flag, p));
        }
    }
    let out =
        |p: &Option<std::path::PathBuf>, flag| p.as_deref().map(|p| crate::config::output_flag(p, flag)).transpose();
    let outputs = [
        (out(&args.report_json, "--report-json")?, "--report-json"),
        (out(&args.timeline, "--timeline")?, "--timeline"),
        (out(&args.report_html, "--report-html")?, "--report-html"),
    ];
    for (o, flag) in &outputs {
        if let Some(p) = o.as_ref().and_then(|o| o.file()).filter(|p| p.as_os_str() != "-") {
            files.push((format!("the scenario's {flag}"), flag, p));
        }
    }
    crate::config::check_clashes(&files)?;
    let mut objects: Vec<(String, &'static str, &crate::s3::S3Url)> = Vec::new();
    for (name, cfg) in &jobs {
        for (flag, o) in cfg.outputs.each() {
            objects.extend(o.s3().map(|u| (format!("job `{name}` {flag}"), flag, u)));
        }
    }
    for (o, flag) in &outputs {
        objects.extend(
            o.as_ref()
                .and_then(|o| o.s3())
                .map(|u| (format!("the scenario's {flag}"), *flag, u)),
        );
    }
    crate::config::check_s3_clashes(&objects)?;
    let metrics_out = crate::config::metrics_flags(args)?;
    let rt = runtime(std::thread::available_parallelism().map_or(1, usize::from))?;
    let stop = StopFlag::install(&rt)?;
    let metrics = start_metrics(metrics_out.as_ref(), &rt)?;
    let observers: Vec<Option<crate::metrics::Job>> = jobs
        .iter()
        .map(|(name, cfg)| metrics.as_ref().map(|m| m.add_job(job_labels(name, cfg))))
        .collect();
    let mut stdout: Option<Arc<Sink>> = None;
    let mut prepared: Vec<Connected> = Vec::with_capacity(jobs.len());
    for (name, cfg) in &jobs {
        let c = connect(cfg, &rt, stdout.as_ref(), &stop).with_context(|| format!("job `{name}`"))?;
        if matches!(cfg.destination, Destination::Local(SinkSpec::Stdout)) {
            stdout = Some(Arc::clone(&c.sink));
        }
        prepared.push(c);
    }
    let mut job_files = jobs
        .iter()
        .map(|(name, cfg)| {
            ReportFiles::of(&cfg.outputs, &cfg.aws.conn, &rt, &stop).with_context(|| format!("job `{name}`"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let own: Vec<_> = outputs
        .iter()
        .filter_map(|(o, flag)| o.as_ref().and_then(|o| o.s3()).map(|u| (*flag, u)))
        .collect();
    let s3 = super::S3::connect_for(&crate::config::aws_options(&args.aws.conn), &own, &rt, Some(&stop))?;
    let [(json, _), (timeline, _), (html, _)] = &outputs;
    let files = ReportFiles::create(
        json.as_ref().map(|o| (o, "--report-json")),
        timeline.as_ref().map(|o| (o, "--timeline")),
        html.as_ref().map(|o| (o, "--report-html")),
        s3,
    )?;
    let names: Vec<String> = jobs.iter().map(|(n, _)| n.clone()).collect();
    let progress = crate::progress::JobsProgress::stderr(args.quiet, &names);
    if let (Some(stdout), Some(around)) = (&stdout, progress.around_records()) {
        stdout.step_around(around);
    }
    let progress = Arc::new(std::sync::Mutex::new(progress));
    // The scenario's own `--timeline` is the jobs' merged series, written as its seconds complete.
    let merged = Arc::new(std::sync::Mutex::new((
        crate::stats::MergedTimeline::new(jobs.len()),
        files,
    )));
    let results = rt.block_on(async {
        let mut tasks = tokio::task::JoinSet::new();
        for (i, ((_, cfg), c)) in jobs.iter().zip(&prepared).enumerate() {
            let (load, source, keys, sink) = (
                cfg.load.clone(),
                Arc::clone(&c.source),
                c.keys.clone(),
                Arc::clone(&c.sink),
            );
            let stop = stop.clone();
            let progress = Arc::clone(&progress);
            let observer = observers[i].clone();
            let mut files = std::mem::take(&mut job_files[i]);
            let merged = Arc::clone(&merged);
            tasks.spawn(async move {
                let mut pushed = 0;
                let out = engine::run(&load, source, keys, sink, stop.stopped(), &mut |live| {
                    progress.lock().expect("progress lock").update(i, live);
                    files.stream_timeline(&live.new_seconds);
                    stream_merged(&merged, i, &live.new_seconds, false);
                    pushed += live.new_seconds.len();
                    if let Some(o) = &observer {
                        o.observe(live);
                    }
                })
                .await;
                let rest = out
                    .as_ref()
                    .map_or(&[][..], |o| o.timeline.rows().get(pushed..).unwrap_or_default());
                stream_merged(&merged, i, rest, true);
                (i, out, files)
            });
        }
        let mut results: Vec<Option<Result<engine::RunOutput, engine::EngineError>>> =
            (0..jobs.len()).map(|_| None).collect();
        while let Some(done) = tasks.join_next().await {
            let (i, out, files) = done.expect("a job task does not panic");
            results[i] = Some(out);
            job_files[i] = files;
        }
        results
    });
    progress.lock().expect("progress lock").finish();
    let mut reports = Vec::with_capacity(jobs.len());
    let mut exit = Exit::Success;
    for (i, ((((name, cfg), c), result), observer)) in
        jobs.iter().zip(&prepared).zip(results).zip(&observers).enumerate()
    {
        let out = match result.expect("every job ran") {
            Ok(mut out) => {
                // A job that ended by itself before the signal was not stopped by it.
                if out.report.stopped_by == crate::report::StopReason::Interrupt {
                    out.report.signal = stop.signal().map(str::to_owned);
                }
                out
            }
            Err(e) => {
                eprintln!("kdg: error: job `{name}`: {}", crate::redact::redact(&e.to_string()));
                exit = exit.max(Exit::Failed);
                continue;
            }
        };
        if let Some(o) = observer {
            o.update(crate::metrics::Snapshot::from_report(&out.report, &out.run_id));
        }
        let (out, checks) = conclude(cfg, out, &c.sink, &rt, &stop)?;
        if !args.quiet {
            print_report(&out.report, &checks, Some(&format!("job {name}")))?;
        }
        let written =
            std::mem::take(&mut job_files[i]).write(&out.report.to_json_pretty(), &out.report, out.timeline.rows());
        exit = after_writing(written, exit.max(Exit::of(&out.report.outcome)));
        reports.push((name.clone(), out.report));
    }
    if reports.is_empty() {
        rt.shutdown_background();
        return Ok(Exit::Failed);
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
    // One job alone is its own total: its page needs no job sections.
    let per_job: &[(String, crate::report::Report)] = if reports.len() > 1 { &reports } else { &[] };
    let (merged, files) = Arc::into_inner(merged)
        .expect("the jobs are done")
        .into_inner()
        .expect("timeline lock");
    let written = files.write_with_jobs(&json, &total, per_job, &merged.rows());
    linger(metrics_out.as_ref(), &rt, &stop);
    rt.shutdown_background();
    Ok(after_writing(written, exit))
}

/// Read the scenario file against `kdg run`'s flags; the flags the command line set override
/// every job.
fn parse(file: &str, text: &str, matches: &clap::ArgMatches) -> anyhow::Result<Scenario> {
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
    Ok(Scenario::parse(file, text, &flags, &overrides)?)
}

/// Each job's settings through the same parser and validation as `kdg run`; errors point at the
/// job's line in the file.
fn configs(scenario: &Scenario, quiet: bool) -> anyhow::Result<Vec<(String, RunConfig)>> {
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
        if cfg.outputs.metrics.is_some() {
            return Err(scenario
                .job_error(
                    job,
                    "--metrics-listen",
                    "serves the whole scenario: give it on the command line, not in a job",
                )
                .into());
        }
        cfg.outputs.quiet = quiet;
        jobs.push((job.name.clone(), cfg));
    }
    Ok(jobs)
}

/// Add job `job`'s new timeline rows (all the rest, when it `ended`) to the scenario's merged
/// series, and append the seconds that became complete to the scenario's `--timeline` file.
fn stream_merged(
    merged: &std::sync::Mutex<(crate::stats::MergedTimeline, ReportFiles)>,
    job: usize,
    rows: &[crate::stats::TimelineRow],
    ended: bool,
) {
    if rows.is_empty() && !ended {
        return;
    }
    let mut guard = merged.lock().expect("timeline lock");
    let (m, files) = &mut *guard;
    m.push(job, rows);
    if ended {
        m.end(job);
    }
    files.stream_timeline(&m.complete());
}
