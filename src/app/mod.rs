//! The command-line application: parsed arguments in, exit code out.
//!
//! This is the edge of the program, one file per command: it opens files, builds the tokio
//! runtime (`runtime`), installs the Ctrl-C handling (`stop_flag`), prints errors as one line
//! (`kdg: error: …`) and decides the exit code ([`Exit`]). The library below it never prints
//! or exits.

mod find_max;
mod plan;
mod render;
mod report_merge;
mod run;
mod scenario;
mod tail;

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{CommandFactory, FromArgMatches};

use crate::cli::{Cli, Command, ReportCommand};
use crate::report::{Report, Verdict};

/// How kdg ends: the exit codes of `--help` ([`crate::cli::EXIT_CODES`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    /// 0: the run finished and every record was delivered.
    Success,
    /// 1: the run finished but records failed or were rejected, or a threshold was missed.
    Failed,
    /// 2: usage, template or setup error: nothing was sent.
    Setup,
    /// 130: a second Ctrl-C aborted the run (the shell's code for SIGINT).
    Aborted,
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Failed => 1,
            Exit::Setup => 2,
            Exit::Aborted => 130,
        }
    }

    /// The exit of a run whose report gave `verdict`.
    pub fn of(verdict: &Verdict) -> Exit {
        if verdict.passed() {
            Exit::Success
        } else {
            Exit::Failed
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e.code())
    }
}

/// Run the `kdg` command line.
pub fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let result = match cli.command {
        Command::Run(args) if args.scenario.is_some() => {
            let run_matches = matches.subcommand_matches("run").expect("the run subcommand");
            scenario::run(&args, run_matches)
        }
        Command::Run(args) => run::run(&args),
        Command::Render(args) => render::run(&args),
        Command::Tail(args) => tail::run(&args),
        Command::Plan(args) => plan::run(&args),
        Command::FindMax(args) => find_max::run(&args),
        Command::Report(ReportCommand::Merge {
            reports,
            output,
            report_html,
            timelines,
            timeline_out,
        }) => report_merge::run(&report_merge::Paths {
            reports: &reports,
            output: output.as_deref(),
            html: report_html.as_deref(),
            timelines: &timelines,
            timeline_out: timeline_out.as_deref(),
        }),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "kdg", &mut std::io::stdout());
            Ok(Exit::Success)
        }
    };
    ExitCode::from(result.unwrap_or_else(|e| {
        eprintln!("kdg: error: {}", crate::redact::redact(&format!("{e:#}")));
        Exit::Setup
    }))
}

/// A multi-threaded runtime with `threads` worker threads: the one way kdg builds a runtime.
fn runtime(threads: usize) -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .enable_all()
        .build()
        .context("starting the runtime")
}

/// A flag that turns true at the first Ctrl-C (runs drain and report); a second Ctrl-C aborts
/// the process. Call inside the runtime.
fn stop_flag() -> tokio::sync::watch::Receiver<bool> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = tx.send(true);
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("kdg: aborted by a second Ctrl-C; no report written");
                #[allow(clippy::disallowed_methods)] // the one place kdg exits at once
                std::process::exit(i32::from(Exit::Aborted.code()));
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

/// Print a text report (and threshold results) to stderr, under `title` if given.
fn print_report(report: &Report, checks: &[crate::threshold::Check], title: Option<&str>) -> anyhow::Result<()> {
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

/// Where a run's (or a scenario's, or a merge's) report goes besides the terminal. Each path
/// comes with the flag that named it, for error messages.
#[derive(Default)]
struct ReportFiles<'a> {
    json: Option<(&'a std::path::Path, &'static str)>,
    timeline: Option<(&'a std::path::Path, &'static str)>,
    html: Option<(&'a std::path::Path, &'static str)>,
}

impl<'a> ReportFiles<'a> {
    /// The files of `kdg run`'s output flags.
    fn of(outputs: &'a crate::config::Outputs) -> ReportFiles<'a> {
        ReportFiles {
            json: outputs.report_json.as_deref().map(|p| (p, "--report-json")),
            timeline: outputs.timeline.as_deref().map(|p| (p, "--timeline")),
            html: outputs.report_html.as_deref().map(|p| (p, "--report-html")),
        }
    }

    /// Write `json` (the JSON report text; `-` is stdout), the timeline and the HTML page, where
    /// asked.
    fn write(&self, json: &str, report: &Report, rows: &[crate::stats::TimelineRow]) -> anyhow::Result<()> {
        if let Some((path, flag)) = self.json {
            if path.as_os_str() == "-" {
                let mut out = std::io::stdout().lock();
                writeln!(out, "{json}")
                    .and_then(|_| out.flush())
                    .or_else(broken_pipe_is_fine)
                    .context("writing the report to stdout")?;
            } else {
                std::fs::write(path, format!("{json}\n"))
                    .with_context(|| format!("{flag}: writing `{}`", path.display()))?;
            }
        }
        if let Some((path, flag)) = self.timeline {
            let mut f = std::io::BufWriter::new(
                std::fs::File::create(path).with_context(|| format!("{flag}: creating `{}`", path.display()))?,
            );
            for row in rows {
                serde_json::to_writer(&mut f, row).with_context(|| format!("{flag}: writing"))?;
                f.write_all(b"\n").with_context(|| format!("{flag}: writing"))?;
            }
            f.flush().with_context(|| format!("{flag}: writing"))?;
        }
        if let Some((path, flag)) = self.html {
            let mut f = std::io::BufWriter::new(
                std::fs::File::create(path).with_context(|| format!("{flag}: creating `{}`", path.display()))?,
            );
            crate::report::html::write_html(report, rows, &mut f)
                .and_then(|_| f.flush())
                .with_context(|| format!("{flag}: writing"))?;
        }
        Ok(())
    }
}

/// A reader that closes the pipe early (`kdg … | head`) is done, like any Unix filter's.
fn broken_pipe_is_fine(e: std::io::Error) -> std::io::Result<()> {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Ok(())
    } else {
        Err(e)
    }
}
