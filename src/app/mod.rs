//! The command-line application: parsed arguments in, exit code out.
//!
//! This is the edge of the program, one file per command: it opens files, builds the tokio
//! runtime (`runtime`), takes over the stop signals (`StopFlag`), prints errors as one line
//! (`kdg: error: …`) and decides the exit code ([`Exit`]). The library below it never prints
//! or exits.

mod find_max;
mod methods;
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
    /// 128 + the signal's number (130 for Ctrl-C, 143 for SIGTERM): a second stop signal
    /// aborted the run, the shell's convention for a process a signal ended.
    Aborted(i32),
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Failed => 1,
            Exit::Setup => 2,
            Exit::Aborted(signal) => u8::try_from(128 + signal).unwrap_or(u8::MAX),
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
        Command::FindMax(args) => {
            let fm_matches = matches.subcommand_matches("find-max").expect("the find-max subcommand");
            find_max::run(&args, fm_matches)
        }
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
        Command::Methods(args) => methods::run(&args),
        Command::Man { command } => man(command.as_deref()),
        Command::Completions { shell } => {
            // Into memory first: clap_complete panics when its writer fails (`| head`).
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "kdg", &mut script);
            write_stdout(&script).map(|()| Exit::Success)
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

/// Whether, and by which signal, the process was asked to stop. Cloned into every phase that
/// must end early: pre-flight, load, read-back.
///
/// The first stop signal stops a run gracefully (it drains, reports and exits with its own
/// code); a second one aborts at once. SIGINT is Ctrl-C, SIGTERM what orchestrators
/// (Kubernetes, ECS, `timeout`) send, SIGHUP a closed terminal.
#[derive(Clone)]
struct StopFlag(tokio::sync::watch::Receiver<Option<&'static str>>);

impl StopFlag {
    /// Take over the stop signals on `rt`: from now on they no longer kill the process.
    fn install(rt: &tokio::runtime::Runtime) -> anyhow::Result<StopFlag> {
        let _in_runtime = rt.enter();
        let mut signals = StopSignals::new().context("taking over the stop signals")?;
        let (tx, rx) = tokio::sync::watch::channel(None);
        rt.spawn(async move {
            let (first, _) = signals.next().await;
            eprintln!("kdg: {first}: stopping (requests in flight may finish; a second signal aborts at once)");
            let _ = tx.send(Some(first));
            let (second, number) = signals.next().await;
            eprintln!("kdg: aborted by a second stop signal ({second} after {first}); no report written");
            #[allow(clippy::disallowed_methods)] // the one place kdg exits at once
            std::process::exit(Exit::Aborted(number).code().into());
        });
        Ok(StopFlag(rx))
    }

    /// Resolves at the first stop signal.
    async fn stopped(&self) {
        let mut rx = self.0.clone();
        let _ = rx.wait_for(Option::is_some).await;
    }

    /// The first stop signal's name, once it came.
    fn signal(&self) -> Option<&'static str> {
        *self.0.borrow()
    }
}

/// The signals that stop kdg, as streams.
struct StopSignals {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn new() -> std::io::Result<StopSignals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(StopSignals {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
            hup: signal(SignalKind::hangup())?,
        })
    }

    /// The next stop signal: its name and number.
    async fn next(&mut self) -> (&'static str, i32) {
        tokio::select! {
            _ = self.int.recv() => ("SIGINT", 2),
            _ = self.term.recv() => ("SIGTERM", 15),
            _ = self.hup.recv() => ("SIGHUP", 1),
        }
    }
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

/// Where a run's (or a scenario's, or a merge's) report goes besides the terminal, opened
/// before the load: a report path that cannot be created is a setup error before anything is
/// sent, and the file is never left for another output to clobber.
#[derive(Default)]
struct ReportFiles {
    json: Option<ReportFile>,
    timeline: Option<ReportFile>,
    html: Option<ReportFile>,
}

/// One report output: standard output (`-`, JSON only) or a file created for it.
struct ReportFile {
    flag: &'static str,
    path: std::path::PathBuf,
    file: Option<std::fs::File>,
}

impl ReportFile {
    /// Create (truncate) `path` for `flag`; `-` is standard output.
    fn create(path: &std::path::Path, flag: &'static str) -> anyhow::Result<ReportFile> {
        let file = if path.as_os_str() == "-" {
            None
        } else {
            Some(std::fs::File::create(path).with_context(|| format!("{flag}: cannot create `{}`", path.display()))?)
        };
        Ok(ReportFile {
            flag,
            path: path.to_path_buf(),
            file,
        })
    }

    /// Write `bytes` into it, and make sure they reached the disk's cache.
    fn put(self, bytes: &[u8]) -> anyhow::Result<()> {
        let Some(mut f) = self.file else {
            return write_stdout(bytes).context("writing the report");
        };
        f.write_all(bytes)
            .and_then(|()| f.sync_data())
            .with_context(|| format!("{}: writing `{}`", self.flag, self.path.display()))
    }
}

impl ReportFiles {
    /// Create the files `json`, `timeline` and `html` name, each with its flag.
    fn create(
        json: Option<(&std::path::Path, &'static str)>,
        timeline: Option<(&std::path::Path, &'static str)>,
        html: Option<(&std::path::Path, &'static str)>,
    ) -> anyhow::Result<ReportFiles> {
        let open =
            |o: Option<(&std::path::Path, &'static str)>| o.map(|(p, flag)| ReportFile::create(p, flag)).transpose();
        Ok(ReportFiles {
            json: open(json)?,
            timeline: open(timeline)?,
            html: open(html)?,
        })
    }

    /// The files of `kdg run`'s output flags.
    fn of(outputs: &crate::config::Outputs) -> anyhow::Result<ReportFiles> {
        ReportFiles::create(
            outputs.report_json.as_deref().map(|p| (p, "--report-json")),
            outputs.timeline.as_deref().map(|p| (p, "--timeline")),
            outputs.report_html.as_deref().map(|p| (p, "--report-html")),
        )
    }

    /// Write `json` (the JSON report text), the timeline and the HTML page, where asked. Every
    /// file is attempted; the first failure is returned.
    fn write(self, json: &str, report: &Report, rows: &[crate::stats::TimelineRow]) -> anyhow::Result<()> {
        let mut first_error = None;
        let mut keep = |r: anyhow::Result<()>| {
            if let Err(e) = r {
                first_error.get_or_insert(e);
            }
        };
        if let Some(f) = self.json {
            keep(f.put(format!("{json}\n").as_bytes()));
        }
        if let Some(f) = self.timeline {
            let mut text = Vec::new();
            for row in rows {
                serde_json::to_writer(&mut text, row).expect("a timeline row serializes");
                text.push(b'\n');
            }
            keep(f.put(&text));
        }
        if let Some(f) = self.html {
            let mut page = Vec::new();
            crate::report::html::write_html(report, rows, &mut page).expect("writing into memory");
            keep(f.put(&page));
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// The exit after writing a run's report files: a file that could not be written once records
/// were sent fails the run (exit 1) with a one-line error; the text report was already printed.
fn after_writing(written: anyhow::Result<()>, exit: Exit) -> Exit {
    match written {
        Ok(()) => exit,
        Err(e) => {
            eprintln!("kdg: error: {}", crate::redact::redact(&format!("{e:#}")));
            exit.max(Exit::Failed)
        }
    }
}

/// `kdg man [COMMAND]`: the manual page clap_mangen renders from the clap definitions.
fn man(command: Option<&str>) -> anyhow::Result<Exit> {
    let top = Cli::command();
    let page = match command {
        None => top,
        Some(name) => {
            let names: Vec<&str> = top.get_subcommands().map(|c| c.get_name()).collect();
            let Some(sub) = top.find_subcommand(name) else {
                let near = crate::faker::signatures::closest(name, names.iter().copied());
                let hint = near
                    .first()
                    .map(|n| format!(": did you mean `{n}`?"))
                    .unwrap_or_default();
                anyhow::bail!("no command `{name}`{hint} (commands: {})", names.join(", "));
            };
            let bin = format!("kdg-{name}");
            sub.clone()
                .display_name(bin.clone())
                .bin_name(bin)
                .version(env!("CARGO_PKG_VERSION"))
        }
    };
    let mut roff = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut roff)
        .context("rendering the manual page")?;
    write_stdout(&roff).map(|()| Exit::Success)
}

/// Write `bytes` to stdout and flush; a reader that already left is fine.
fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|_| out.flush())
        .or_else(broken_pipe_is_fine)
        .context("writing to stdout")
}

/// A reader that closes the pipe early (`kdg … | head`) is done, like any Unix filter's.
fn broken_pipe_is_fine(e: std::io::Error) -> std::io::Result<()> {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Ok(())
    } else {
        Err(e)
    }
}
