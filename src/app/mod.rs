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
            conn,
        }) => report_merge::run(&report_merge::Paths {
            reports: &reports,
            output: output.as_deref(),
            html: report_html.as_deref(),
            timelines: &timelines,
            timeline_out: timeline_out.as_deref(),
            conn: crate::config::aws_options(&conn),
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
/// before the load: a report path that cannot be created, or an `s3://` output whose bucket is
/// not there, is a setup error before anything is sent, and a file is never left for another
/// output to clobber. A local `--timeline` file gets each second's row while the run goes on
/// ([`ReportFiles::stream_timeline`]); everything else is written, or uploaded, at the end.
#[derive(Default)]
struct ReportFiles {
    json: Option<ReportFile>,
    timeline: Option<ReportFile>,
    html: Option<ReportFile>,
    /// The client that uploads the `s3://` outputs.
    s3: Option<S3>,
    /// Timeline rows already in the local timeline file.
    rows_written: usize,
    /// The first failure to write the timeline while the run went on.
    timeline_error: Option<anyhow::Error>,
}

/// One report output: standard output (`-`, JSON only), a file created for it, or an S3 object.
struct ReportFile {
    flag: &'static str,
    to: Target,
}

enum Target {
    Stdout,
    File(std::path::PathBuf, std::fs::File),
    S3(crate::s3::S3Url),
}

/// The S3 client of a command's `s3://` outputs or inputs, with the runtime it runs on.
#[derive(Clone)]
struct S3 {
    rt: tokio::runtime::Handle,
    client: aws_sdk_s3::Client,
}

impl S3 {
    /// Connect with the AWS settings `conn` (region, profile, `--endpoint-url`) on `rt`, and
    /// check that the bucket of each of `objects` (with the flag that named it) exists, so a
    /// typo is a setup error before anything is sent. A stop signal (`stop`) ends the check.
    fn connect(
        conn: &crate::sink::aws::AwsOptions,
        objects: &[(&'static str, &crate::s3::S3Url)],
        rt: &tokio::runtime::Runtime,
        stop: Option<&StopFlag>,
    ) -> anyhow::Result<S3> {
        let check = async {
            let conf = crate::sink::aws::load(conn).await?;
            let client = crate::s3::client(&conf);
            let mut checked: Vec<&str> = Vec::new();
            for (flag, url) in objects {
                if !checked.contains(&url.bucket.as_str()) {
                    crate::s3::check_bucket(&client, &url.bucket)
                        .await
                        .with_context(|| flag.to_string())?;
                    checked.push(&url.bucket);
                }
            }
            anyhow::Ok(client)
        };
        let client = match stop {
            Some(stop) => run::until_stopped(rt, stop, "while checking the S3 buckets: nothing was sent", check)??,
            None => rt.block_on(check)?,
        };
        Ok(S3 {
            rt: rt.handle().clone(),
            client,
        })
    }

    /// [`S3::connect`] when any of `objects` is there.
    fn connect_for(
        conn: &crate::sink::aws::AwsOptions,
        objects: &[(&'static str, &crate::s3::S3Url)],
        rt: &tokio::runtime::Runtime,
        stop: Option<&StopFlag>,
    ) -> anyhow::Result<Option<S3>> {
        if objects.is_empty() {
            return Ok(None);
        }
        S3::connect(conn, objects, rt, stop).map(Some)
    }

    /// Upload `body` to `url`.
    fn put(&self, url: &crate::s3::S3Url, body: Vec<u8>, content_type: &str) -> Result<(), crate::s3::S3Error> {
        self.rt.block_on(crate::s3::put(&self.client, url, body, content_type))
    }
}

impl ReportFile {
    /// Create (truncate) `to` for `flag`; `-` is standard output, an S3 object is uploaded later.
    fn create(to: &crate::config::Output, flag: &'static str) -> anyhow::Result<ReportFile> {
        let to = match to {
            crate::config::Output::S3(url) => Target::S3(url.clone()),
            crate::config::Output::File(p) if p.as_os_str() == "-" => Target::Stdout,
            crate::config::Output::File(p) => Target::File(
                p.clone(),
                std::fs::File::create(p).with_context(|| format!("{flag}: cannot create `{}`", p.display()))?,
            ),
        };
        Ok(ReportFile { flag, to })
    }

    /// Write `bytes` into it and make sure they reached the disk's cache, or upload them.
    fn put(self, bytes: Vec<u8>, content_type: &str, s3: Option<&S3>) -> anyhow::Result<()> {
        match self.to {
            Target::Stdout => write_stdout(&bytes).context("writing the report"),
            Target::File(path, mut f) => f
                .write_all(&bytes)
                .and_then(|()| f.sync_data())
                .with_context(|| format!("{}: writing `{}`", self.flag, path.display())),
            Target::S3(url) => s3
                .expect("S3::connect made the client of every s3:// output")
                .put(&url, bytes, content_type)
                .with_context(|| self.flag),
        }
    }
}

/// Timeline rows as NDJSON.
fn ndjson<T: serde::Serialize>(rows: &[T]) -> Vec<u8> {
    let mut text = Vec::new();
    for row in rows {
        serde_json::to_writer(&mut text, row).expect("a timeline row serializes");
        text.push(b'\n');
    }
    text
}

impl ReportFiles {
    /// Create the outputs `json`, `timeline` and `html` name, each with its flag; `s3` uploads
    /// the `s3://` ones.
    fn create(
        json: Option<(&crate::config::Output, &'static str)>,
        timeline: Option<(&crate::config::Output, &'static str)>,
        html: Option<(&crate::config::Output, &'static str)>,
        s3: Option<S3>,
    ) -> anyhow::Result<ReportFiles> {
        let open = |o: Option<(&crate::config::Output, &'static str)>| {
            o.map(|(to, flag)| ReportFile::create(to, flag)).transpose()
        };
        Ok(ReportFiles {
            json: open(json)?,
            timeline: open(timeline)?,
            html: open(html)?,
            s3,
            ..ReportFiles::default()
        })
    }

    /// The outputs of `kdg run`'s output flags; `conn` reaches the buckets of `s3://` ones,
    /// which are checked now.
    fn of(
        outputs: &crate::config::Outputs,
        conn: &crate::sink::aws::AwsOptions,
        rt: &tokio::runtime::Runtime,
        stop: &StopFlag,
    ) -> anyhow::Result<ReportFiles> {
        let objects: Vec<_> = outputs
            .each()
            .filter_map(|(flag, o)| o.s3().map(|u| (flag, u)))
            .collect();
        let s3 = S3::connect_for(conn, &objects, rt, Some(stop))?;
        ReportFiles::create(
            outputs.report_json.as_ref().map(|p| (p, "--report-json")),
            outputs.timeline.as_ref().map(|p| (p, "--timeline")),
            outputs.report_html.as_ref().map(|p| (p, "--report-html")),
            s3,
        )
    }

    /// Append the rows of the seconds that just completed to a local timeline file, so it can be
    /// followed while the run goes on. A failure is kept for [`ReportFiles::write`] to report;
    /// the run goes on.
    fn stream_timeline<T: serde::Serialize>(&mut self, rows: &[T]) {
        let Some(ReportFile {
            flag,
            to: Target::File(path, f),
        }) = &mut self.timeline
        else {
            return;
        };
        if rows.is_empty() || self.timeline_error.is_some() {
            return;
        }
        match f.write_all(&ndjson(rows)) {
            Ok(()) => self.rows_written += rows.len(),
            Err(e) => {
                self.timeline_error =
                    Some(anyhow::Error::new(e).context(format!("{flag}: writing `{}`", path.display())));
            }
        }
    }

    /// Write `json` (the JSON report text), the timeline (the rows not streamed yet) and the
    /// HTML page, or upload them, where asked. Every output is attempted; the first failure is
    /// returned.
    fn write(self, json: &str, report: &Report, rows: &[crate::stats::TimelineRow]) -> anyhow::Result<()> {
        self.write_with_jobs(json, report, &[], rows)
    }

    /// As [`ReportFiles::write`], for a scenario: `report` is the total of `jobs`, and the HTML
    /// page has a section per job.
    fn write_with_jobs(
        self,
        json: &str,
        report: &Report,
        jobs: &[(String, Report)],
        rows: &[crate::stats::TimelineRow],
    ) -> anyhow::Result<()> {
        let mut first_error = self.timeline_error;
        let mut keep = |r: anyhow::Result<()>| {
            if let Err(e) = r {
                first_error.get_or_insert(e);
            }
        };
        let s3 = self.s3.as_ref();
        if let Some(f) = self.json {
            keep(f.put(format!("{json}\n").into_bytes(), "application/json", s3));
        }
        if let Some(f) = self.timeline {
            let rest = match f.to {
                Target::File(..) => rows.get(self.rows_written..).unwrap_or_default(),
                _ => rows,
            };
            keep(f.put(ndjson(rest), "application/x-ndjson", s3));
        }
        if let Some(f) = self.html {
            let mut page = Vec::new();
            crate::report::html::write_scenario_html(report, jobs, rows, &mut page).expect("writing into memory");
            keep(f.put(page, "text/html; charset=utf-8", s3));
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
