//! The command line: clap definitions only. Cross-flag validation lives in [`crate::config`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::units;

/// The exit codes, as text (a macro so that [`AFTER_HELP`] can `concat!` it).
macro_rules! exit_codes {
    () => {
        "\
Exit codes:
  0  the run finished and every record was delivered
  1  the run finished but records failed or were rejected, or a threshold was missed
  2  usage, template or setup error: nothing was sent
  130, 143, 129  a second stop signal (SIGINT, SIGTERM, SIGHUP) aborted the run"
    };
}

/// What `--help` says about exit codes, and the README repeats.
pub const EXIT_CODES: &str = exit_codes!();

/// `kdg --help`'s closing: examples (each one a README command, which CI runs) and exit codes.
pub const AFTER_HELP: &str = concat!(
    "\
Examples:
  kdg render templates/transaction.hbs -n 5 --seed 7
      look at records (KDG's \"Test template\")
  kdg methods random
      template methods: both spellings, arguments, samples
  kdg run templates/price.hbs --rps max --count 1M --sink null
      measure the generator: unpaced, to nowhere
  kdg run templates/price.hbs --rps 1000 --duration 10s --stream prices
      send to a Kinesis data stream (PutRecords)
  kdg run templates/transaction.hbs --rps 100 -d 10s --delivery-stream trades
      send to a Firehose delivery stream (PutRecordBatch)
  kdg tail --stream s --from trim-horizon --count 1000
      read a stream back
  kdg man > kdg.1
      this help as a manual page, for `man ./kdg.1` (`kdg man run`: one command's)

",
    exit_codes!()
);

/// kdg: fill Amazon Kinesis Data Streams and Firehose with realistic fake records.
///
/// Renders records from a template (every Kinesis Data Generator template works unchanged, and
/// Handlebars syntax with faker helpers too) and sends them at a steady, measured rate.
#[derive(Debug, Parser)]
#[command(name = "kdg", version, after_help = AFTER_HELP, max_term_width = 100)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// kdg's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render records from a template and send them at a steady rate.
    ///
    /// With no destination, records go to stdout, one per line. Stops after --count records or
    /// --duration, whichever comes first, or at Ctrl-C (the report is still written; a second
    /// Ctrl-C aborts).
    #[command(after_help = EXIT_CODES)]
    Run(Box<RunArgs>),
    /// Print records from a template, one per line (KDG's "Test template").
    Render(RenderArgs),
    /// Read a Kinesis stream: every shard, following splits and merges, one record per line.
    Tail(Box<TailArgs>),
    /// Size a stream or delivery stream for a target rate: shards, on-demand advice, quotas, cost hints.
    Plan(PlanArgs),
    /// Work with JSON reports: `kdg report merge a.json b.json …` combines the reports of several
    /// instances exactly (counters add, latency histograms merge).
    #[command(subcommand)]
    Report(ReportCommand),
    /// Find the highest rate a stream holds: steps up (×2, then bisecting) until throttling or
    /// latency say stop. Takes `kdg run`'s flags; the rate and duration are the search's.
    FindMax(Box<FindMaxArgs>),
    /// List the template methods: both spellings, arguments with defaults, and a sample value.
    ///
    /// `kdg methods` lists every faker method, `kdg methods random` one namespace,
    /// `kdg methods random.number` one method. Samples are rendered live from --seed.
    Methods(MethodsArgs),
    /// Print the manual page (roff), generated from these definitions: `kdg man | man -l -`.
    Man {
        /// One command's page (`run`, `tail`, …) instead of kdg's.
        #[arg(value_name = "COMMAND")]
        command: Option<String>,
    },
    /// Print a shell completion script, e.g. `kdg completions bash > /etc/bash_completion.d/kdg`.
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
}

/// How a template is read.
#[derive(Debug, Args, Clone)]
pub struct TemplateArgs {
    /// The template file: KDG syntax (`{{random.number(50)}}`) or Handlebars syntax
    /// (`{{random.number min=1 max=50}}`). `kdg run` may instead take --mix, --from or --scenario.
    pub template: Option<PathBuf>,

    /// Seed for the random data; the same seed gives the same records. Default: a random seed,
    /// printed in the report.
    #[arg(long)]
    pub seed: Option<u64>,

    /// How closely to follow KDG's quirks: `tolerant` accepts more templates (nested JSON braces,
    /// comma argument lists); `strict` rejects what KDG rejects.
    #[arg(long, value_enum, default_value_t = CompatArg::Tolerant)]
    pub compat: CompatArg,

    /// Time zone for `{{date.now}}` and friends: `local` (like KDG), `UTC`, or an IANA name such
    /// as `America/Chicago`.
    #[arg(long, default_value = "local", value_name = "ZONE")]
    pub tz: String,
}

/// `--compat` values.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum CompatArg {
    /// Accept every KDG template and more.
    Tolerant,
    /// Reproduce KDG's errors and quirks.
    Strict,
}

/// `kdg render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The template.
    #[command(flatten)]
    pub template: TemplateArgs,

    /// How many records to print.
    #[arg(short = 'n', long = "count", default_value = "5", value_parser = units::parse_count)]
    pub count: u64,

    /// Number of the first record (records are a function of the seed and their number).
    #[arg(long, default_value_t = 0)]
    pub start: u64,
}

/// `kdg methods`.
#[derive(Debug, Args)]
pub struct MethodsArgs {
    /// A namespace (`random`) or one method (`random.number`); default: all.
    #[arg(value_name = "NAMESPACE|METHOD")]
    pub filter: Option<String>,

    /// Seed for the sample values.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Print the methods as a JSON array, for tools.
    #[arg(long)]
    pub json: bool,
}

/// A target rate: records per second, or as fast as possible.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RateArg {
    /// Records per second.
    PerSecond(f64),
    /// Flat out.
    Max,
}

fn parse_rate(s: &str) -> Result<RateArg, String> {
    if s.eq_ignore_ascii_case("max") {
        Ok(RateArg::Max)
    } else {
        units::parse_rate(s).map(RateArg::PerSecond)
    }
}

/// `--pacing` values (mapped to [`crate::engine::schedule::Pacing`] by `config`).
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum PacingArg {
    /// Spread records evenly over each second (open model, fixed schedule).
    Smooth,
    /// KDG's way: each second's records all at once at the start of the second.
    Burst,
}

/// `--arrivals` values.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ArrivalsArg {
    /// Evenly spaced.
    Uniform,
    /// Random, as independent devices send: a Poisson process at the target rate.
    Poisson,
}

/// `--on-bad-row` values.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum OnBadRowArg {
    /// Stop the run at the first bad row (the report says which; exit code 1).
    Fail,
    /// Skip bad rows; they are counted and the first few listed in the report.
    Skip,
}

/// `--from-format` values.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum FromFormatArg {
    /// Comma-separated values with a header line.
    Csv,
    /// One JSON object per line (JSON lines).
    Ndjson,
}

/// `kdg run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The template.
    #[command(flatten)]
    pub template: TemplateArgs,

    /// Target rate in records per second (`1000`, `10k`, `0.5`), or `max` for as fast as
    /// possible. The schedule is kept even when the destination is slow: the lag is reported,
    /// never hidden.
    #[arg(short = 'r', long, default_value = "100", value_parser = parse_rate, value_name = "RATE", allow_negative_numbers = true)]
    pub rps: RateArg,

    /// Stop after this long (`10s`, `5m`, `1h30m`).
    #[arg(short = 'd', long, value_parser = units::parse_duration, value_name = "DURATION")]
    pub duration: Option<std::time::Duration>,

    /// Stop after this many records (`50000`, `10k`, `1.5M`).
    #[arg(short = 'n', long, value_parser = units::parse_count, value_name = "N")]
    pub count: Option<u64>,

    /// After the run is stopped (its --duration is up, Ctrl-C, SIGTERM, SIGHUP), how long
    /// requests in flight and their retries may still take. Records still pending then are
    /// counted as failed with the code `DrainTimeout`.
    #[arg(long, value_parser = units::parse_duration, value_name = "DURATION", default_value = "10s")]
    pub drain_timeout: std::time::Duration,

    /// Render workers. Default: the number of cores.
    #[arg(short = 'w', long, value_name = "N")]
    pub workers: Option<usize>,

    /// Where records go when no AWS destination is given: `stdout`, `null` (discard, for
    /// measuring), or `file:PATH`.
    #[arg(long, value_name = "SINK")]
    pub sink: Option<String>,

    /// Do not end each record with a newline (KDG adds one).
    #[arg(long)]
    pub no_newline: bool,

    /// How records are spread within a second.
    #[arg(long, value_enum, default_value_t = PacingArg::Smooth)]
    pub pacing: PacingArg,

    /// Ramp the rate linearly: `FROM..TO/DURATION`, e.g. `1k..10k/5m` (then hold TO).
    #[arg(long, value_name = "RAMP", conflicts_with_all = ["rps", "steps"])]
    pub ramp: Option<String>,

    /// Step through rates, each held for --hold: `1k,2k,4k,8k` (the last one continues).
    #[arg(long, value_name = "RATES", conflicts_with = "rps")]
    pub steps: Option<String>,

    /// How long each --steps rate is held.
    #[arg(long, value_parser = units::parse_duration, value_name = "DURATION")]
    pub hold: Option<std::time::Duration>,

    /// KDG's periodic mode: a file of `DAYS HOURS MEAN DEVIATION` rules giving records/s per
    /// weekday and hour (e.g. `mon-fri 9-17 1000 100`), smoothed within each hour.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["rps", "ramp", "steps"])]
    pub periodic: Option<PathBuf>,

    /// With --periodic: keep each hour's rate flat instead of moving toward the next hour's.
    #[arg(long, requires = "periodic")]
    pub no_smooth: bool,

    /// Walk simulated time from FROM to TO (RFC 3339) instead of the clock, stamping it through
    /// `{{date.simTime}}`; the run ends at TO.
    #[arg(long, value_name = "FROM..TO")]
    pub backfill: Option<String>,

    /// With --backfill: simulated seconds per real second (default 60), or `max`.
    #[arg(long, value_name = "N", requires = "backfill")]
    pub speed: Option<String>,

    /// `uniform` spacing, or `poisson`: random arrivals at the target rate, as independent
    /// devices send.
    #[arg(long, value_enum, default_value_t = ArrivalsArg::Uniform)]
    pub arrivals: ArrivalsArg,

    /// Most records in one batch handed to the destination.
    #[arg(long, value_name = "N", value_parser = units::parse_count)]
    pub batch_size: Option<u64>,

    /// No live progress and no text report on stderr.
    #[arg(short, long)]
    pub quiet: bool,

    /// Write the final report as JSON to this file (`-` for stdout).
    #[arg(long, value_name = "PATH")]
    pub report_json: Option<PathBuf>,

    /// Write one JSON line per second (offered, sent, failed, p99, lag) to this file, for plots.
    #[arg(long, value_name = "PATH")]
    pub timeline: Option<PathBuf>,

    /// Write the final report as one self-contained HTML page (charts and tables; opens offline).
    #[arg(long, value_name = "PATH")]
    pub report_html: Option<PathBuf>,

    /// Serve live metrics (OpenMetrics text, for Prometheus) at http://ADDR:PORT/metrics while
    /// the run goes on: `:9464` is loopback only; all interfaces only as written (`0.0.0.0:9464`).
    #[arg(long, value_name = "ADDR:PORT")]
    pub metrics_listen: Option<String>,

    /// With --metrics-listen: keep serving the final values this long after the run (`30s`), so
    /// a scraper with a long interval still sees them.
    #[arg(long, value_parser = units::parse_duration, value_name = "DURATION", requires = "metrics_listen")]
    pub metrics_linger: Option<std::time::Duration>,

    /// Run as instance I of N (`0/4`): this process takes 1/N of the rate and of --count, and the
    /// record numbers n with n mod N = I, so N instances with one seed send exactly the records one
    /// run would.
    #[arg(long, value_name = "I/N")]
    pub instance: Option<String>,

    /// Wait until this time (RFC 3339) before starting, so instances begin together; `now`
    /// starts at once. A time more than 5 s in the past is an error (a stale barrier would let
    /// instances start apart).
    #[arg(long, value_name = "TIME")]
    pub start_at: Option<String>,

    /// A condition the run must meet, checked at the end (repeatable): `p99<200ms`,
    /// `throttled<1%`, `lost==0`, `achieved_rps>=950`. A missed threshold makes the exit code 1.
    #[arg(long = "threshold", value_name = "EXPR")]
    pub thresholds: Vec<String>,

    /// Mix in another template (repeatable): `FILE` or `FILE=WEIGHT`. Each record comes from one
    /// template, chosen by weight (the positional template, if any, has weight 1).
    #[arg(long, value_name = "FILE[=WEIGHT]")]
    pub mix: Vec<String>,

    /// Replay a file: each row of a CSV (header = keys; numbers stay numbers, empty = null) or
    /// NDJSON file becomes one JSON record, in order, at the given rate. With a template, the
    /// template renders each record and reads the row as `{{row.NAME}}` (`{{row}}` = the row).
    /// `-` reads standard input; a FIFO or `<(command)` works too (each is read once).
    #[arg(long, value_name = "FILE", conflicts_with = "mix")]
    pub from: Option<PathBuf>,

    /// With --from: the input's format (default: from the file name: .csv, or .ndjson/.jsonl/.json);
    /// needed for `--from -` and names without those extensions.
    #[arg(long, value_enum, value_name = "FORMAT", requires = "from")]
    pub from_format: Option<FromFormatArg>,

    /// With --from: start again at the first row after the last (else the run ends there). Only
    /// a regular file can be read again: not standard input or a pipe.
    #[arg(long = "loop", requires = "from")]
    pub looped: bool,

    /// With --from: what to do with a row that does not parse; either way it is counted and
    /// reported with its line number.
    #[arg(long, value_enum, default_value_t = OnBadRowArg::Fail, requires = "from")]
    pub on_bad_row: OnBadRowArg,

    /// Send this share of records twice (`0.01` or `1%`), the copy right after the original, to
    /// test consumers' de-duplication. Copies are counted as records and in the report.
    #[arg(long, value_name = "SHARE", allow_negative_numbers = true)]
    pub duplicates: Option<String>,

    /// Pack up to N records into each Kinesis record (KPL aggregation, which the KCL and Lambda
    /// de-aggregate) or each Firehose record (newline-separated). The report counts records
    /// and, separately, the destination records that carried them.
    #[arg(long, value_name = "N")]
    pub aggregate: Option<u32>,

    /// Run the jobs of a scenario file (TOML): several templates, rates and destinations at once.
    /// Flags given here override every job's settings.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["template", "mix", "from"])]
    pub scenario: Option<PathBuf>,

    /// The AWS destination and how to reach it.
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// How to reach AWS (shared by every command that talks to it).
#[derive(Debug, Args, Clone, Default)]
pub struct AwsConnArgs {
    /// AWS region (default: AWS_REGION or the profile's region).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// Named profile from the AWS config files.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// Send to this endpoint instead of AWS's (LocalStack, kinesalite, moto).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

/// `kdg tail`.
#[derive(Debug, Args)]
pub struct TailArgs {
    /// The Kinesis data stream to read.
    #[arg(
        long,
        value_name = "NAME",
        required_unless_present = "stream_arn",
        conflicts_with = "stream_arn"
    )]
    pub stream: Option<String>,

    /// The stream's ARN, instead of its name.
    #[arg(long, value_name = "ARN")]
    pub stream_arn: Option<String>,

    /// Where to start in every shard: `latest` (only new records), `trim-horizon` (everything
    /// retained), or an RFC 3339 time such as `2026-11-23T10:00:00Z`.
    #[arg(long, default_value = "latest", value_name = "POSITION")]
    pub from: String,

    /// Print each record as a JSON object with its shard, sequence number, partition key and
    /// arrival time (data as text when it is UTF-8, else base64).
    #[arg(long)]
    pub json: bool,

    /// Stop after this many records.
    #[arg(short = 'n', long, value_parser = units::parse_count, value_name = "N")]
    pub count: Option<u64>,

    /// Stop after this long.
    #[arg(short = 'd', long, value_parser = units::parse_duration, value_name = "DURATION")]
    pub duration: Option<std::time::Duration>,

    /// How to reach AWS.
    #[command(flatten)]
    pub conn: AwsConnArgs,
}

/// `kdg report …`.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Merge JSON reports of instances of one run into one report.
    ///
    /// A report given twice (the same run id and instance) is refused.
    Merge {
        /// The reports (`--report-json` files), an S3 object `s3://BUCKET/KEY`, or every report
        /// under a prefix, `s3://BUCKET/PREFIX/` (`*.json`; `*.ndjson` there are timelines).
        #[arg(required = true, num_args = 1..)]
        reports: Vec<PathBuf>,
        /// Write the merged report here instead of stdout (a file or `s3://BUCKET/KEY`).
        #[arg(short, long, value_name = "PATH")]
        output: Option<PathBuf>,
        /// Also write the merged report as an HTML page.
        #[arg(long, value_name = "PATH")]
        report_html: Option<PathBuf>,
        /// Timelines (`--timeline` files or `s3://` objects) to merge by wall-clock second
        /// (repeatable).
        #[arg(long = "timeline", value_name = "PATH")]
        timelines: Vec<PathBuf>,
        /// Where to write the merged timeline (NDJSON): of the `--timeline`s, and of the
        /// `*.ndjson` under an `s3://` prefix.
        #[arg(long, value_name = "PATH")]
        timeline_out: Option<PathBuf>,
        /// How to reach S3.
        #[command(flatten)]
        conn: AwsConnArgs,
    },
}

/// `kdg find-max`.
#[derive(Debug, Args)]
pub struct FindMaxArgs {
    /// Everything `kdg run` takes (template, destination, workers, keys).
    #[command(flatten)]
    pub run: RunArgs,

    /// The first rate to try.
    #[arg(long, default_value = "1k", value_parser = units::parse_rate, value_name = "RATE")]
    pub start: f64,

    /// The highest rate to try.
    #[arg(long, default_value = "1M", value_parser = units::parse_rate, value_name = "RATE")]
    pub max_rate: f64,

    /// How long each step runs.
    #[arg(long, default_value = "20s", value_parser = units::parse_duration, value_name = "DURATION")]
    pub step_time: std::time::Duration,

    /// Most throttled records, in percent of attempted, for a step to hold.
    #[arg(long, default_value_t = 1.0, value_name = "PERCENT")]
    pub max_throttle: f64,

    /// Highest corrected p99 record latency for a step to hold.
    #[arg(long, default_value = "1s", value_parser = units::parse_duration, value_name = "DURATION")]
    pub max_p99: std::time::Duration,

    /// Stop bisecting when the rates that held and failed are this close, in percent.
    #[arg(long, default_value_t = 5.0, value_name = "PERCENT")]
    pub precision: f64,

    /// Print the steps and the answer as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `kdg plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Target rate in records per second (`1000`, `50k`, `1.5M`).
    #[arg(short = 'r', long, value_parser = units::parse_rate, value_name = "RATE")]
    pub rps: f64,

    /// Average record size in bytes (`200`, `1.5k`); or give --template to measure it.
    #[arg(long, value_parser = units::parse_count, value_name = "BYTES", conflicts_with = "template")]
    pub record_size: Option<u64>,

    /// A template whose average rendered size (with its newline) is measured over 10,000 records.
    #[arg(long, value_name = "PATH")]
    pub template: Option<PathBuf>,

    /// Partition key length in bytes, counted against Kinesis limits (KDG's keys are 10 digits).
    #[arg(long, default_value_t = 10, value_name = "BYTES")]
    pub key_size: u64,

    /// Spare capacity to plan for, in percent.
    #[arg(long, default_value_t = 20.0, value_name = "PERCENT")]
    pub headroom: f64,

    /// Plan for `kdg run --aggregate N`: up to N records packed into each Kinesis record (KPL
    /// aggregation), so the stream sees fewer, larger records.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub aggregate: Option<u32>,

    /// Print the plan as JSON.
    #[arg(long)]
    pub json: bool,
}

/// AWS destination flags of `kdg run`.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "AWS destination")]
pub struct AwsArgs {
    /// Send to this Kinesis data stream (PutRecords).
    #[arg(long, value_name = "NAME", conflicts_with_all = ["stream_arn", "delivery_stream", "sink"])]
    pub stream: Option<String>,

    /// Send to the Kinesis data stream with this ARN.
    #[arg(long, value_name = "ARN", conflicts_with_all = ["delivery_stream", "sink"])]
    pub stream_arn: Option<String>,

    /// Send to this Firehose delivery stream (PutRecordBatch).
    #[arg(long, value_name = "NAME", conflicts_with = "sink")]
    pub delivery_stream: Option<String>,

    /// How to reach AWS.
    #[command(flatten)]
    pub conn: AwsConnArgs,

    /// Partition key per record, as a template (`{{uuid}}`, `device-{{random.number 50}}`, or a
    /// fixed string). Default: a random 10-digit number per record, as KDG does.
    #[arg(long, value_name = "TEMPLATE")]
    pub partition_key: Option<String>,

    /// Explicit hash key per record, as a template rendering a decimal 128-bit number (pins
    /// records to a shard, e.g. to test one hot shard).
    #[arg(long, value_name = "TEMPLATE")]
    pub explicit_hash_key: Option<String>,

    /// Most requests in flight at once.
    #[arg(long, value_name = "N", default_value_t = 32)]
    pub max_in_flight: usize,

    /// Longest a record waits for its batch to fill before the batch is sent.
    #[arg(long, value_parser = units::parse_duration, value_name = "DURATION")]
    pub linger: Option<std::time::Duration>,

    /// Most attempts per record (the first included) before it counts as failed.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub max_attempts: u32,

    /// Give up retrying a record after this long.
    #[arg(long, value_parser = units::parse_duration, value_name = "DURATION", default_value = "60s")]
    pub retry_timeout: std::time::Duration,

    /// Gzip each record on its own (KDG's "Compress Records"); the newline, if any, is inside.
    #[arg(long)]
    pub gzip: bool,

    /// After the run, read the stream back and prove delivery: each record carries a marker
    /// (a JSON field, see --verify-field); the report counts delivered, missing, duplicated and
    /// foreign records. Missing records make the exit code 1.
    #[arg(long)]
    pub verify: bool,

    /// For --delivery-stream: where Firehose delivers (`s3://bucket/prefix`); --verify reads the
    /// objects there. Implies --verify.
    #[arg(long, value_name = "S3_URL", requires = "delivery_stream")]
    pub verify_s3: Option<String>,

    /// The JSON field that marks records for --verify (`_kdg`); empty: mark the partition key
    /// instead (`kdg-RUNID-N`), for templates that are not JSON objects.
    #[arg(long, default_value = "_kdg", value_name = "NAME")]
    pub verify_field: String,

    /// How long --verify keeps reading for records it has not seen yet.
    #[arg(long, default_value = "30s", value_parser = units::parse_duration, value_name = "DURATION")]
    pub verify_timeout: std::time::Duration,

    /// Do not describe the destination before sending (credentials and region are still checked).
    #[arg(long, conflicts_with = "strict_preflight")]
    pub no_preflight: bool,

    /// Stop if the destination cannot be described (default: a missing permission is a warning).
    #[arg(long)]
    pub strict_preflight: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("kdg").chain(args.iter().copied()))
    }

    fn run_args(args: &[&str]) -> RunArgs {
        match parse(args).expect("parses").command {
            Command::Run(r) => *r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn run_defaults() {
        let r = run_args(&["run", "t.hbs"]);
        assert_eq!(r.rps, RateArg::PerSecond(100.0));
        assert_eq!((r.count, r.duration, r.workers), (None, None, None));
        assert_eq!(r.sink, None);
        assert_eq!(r.pacing, PacingArg::Smooth);
        assert!(!r.no_newline && !r.quiet);
        assert_eq!(r.template.compat, CompatArg::Tolerant);
    }

    #[test]
    fn rates_counts_and_durations_take_suffixes() {
        let r = run_args(&["run", "t.hbs", "--rps", "10k", "-n", "1.5M", "-d", "5m"]);
        assert_eq!(r.rps, RateArg::PerSecond(10_000.0));
        assert_eq!(r.count, Some(1_500_000));
        assert_eq!(r.duration, Some(std::time::Duration::from_secs(300)));
        assert_eq!(run_args(&["run", "t.hbs", "--rps", "MAX"]).rps, RateArg::Max);
    }

    #[test]
    fn bad_values_name_the_flag() {
        for (args, flag) in [
            (&["run", "t.hbs", "--rps", "0"][..], "--rps"),
            (&["run", "t.hbs", "--rps", "-5"][..], "--rps"),
            (&["run", "t.hbs", "--duration", "ten"][..], "--duration"),
            (&["run", "t.hbs", "--count", "1.5"][..], "--count"),
            (&["run", "t.hbs", "--compat", "loose"][..], "--compat"),
            (&["run", "t.hbs", "--bogus"][..], "--bogus"),
        ] {
            let e = parse(args).unwrap_err().to_string();
            assert!(e.contains(flag), "{args:?}: {e}");
        }
        let no_template = run_args(&["run"]);
        let e = crate::config::RunConfig::from_args(&no_template)
            .unwrap_err()
            .to_string();
        assert!(e.contains("TEMPLATE") && e.contains("--from"), "{e}");
        assert!(parse(&["run", "--loop"]).is_err(), "--loop needs --from");
        assert!(
            parse(&["run", "t.hbs", "--scenario", "s.toml"]).is_err(),
            "a scenario has its own templates"
        );
    }

    #[test]
    fn aws_destinations_exclude_each_other_and_local_sinks() {
        assert!(parse(&["run", "t.hbs", "--stream", "a", "--delivery-stream", "b"]).is_err());
        assert!(parse(&["run", "t.hbs", "--stream", "a", "--sink", "null"]).is_err());
        assert!(parse(&["run", "t.hbs", "--stream", "a", "--stream-arn", "arn:x"]).is_err());
        let r = run_args(&[
            "run",
            "t.hbs",
            "--stream",
            "prices",
            "--region",
            "us-east-1",
            "--linger",
            "50ms",
        ]);
        assert_eq!(r.aws.stream.as_deref(), Some("prices"));
        assert_eq!(r.aws.linger, Some(std::time::Duration::from_millis(50)));
        assert_eq!((r.aws.max_in_flight, r.aws.max_attempts), (32, 10));
    }

    #[test]
    fn render_takes_a_count() {
        match parse(&["render", "t.hbs", "-n", "3", "--seed", "9"]).unwrap().command {
            Command::Render(r) => {
                assert_eq!(r.count, 3);
                assert_eq!(r.template.seed, Some(9));
            }
            other => panic!("{other:?}"),
        }
    }
}
