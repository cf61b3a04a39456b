//! Validated run configuration: the command line is checked once here, then trusted.
//!
//! [`RunConfig::from_args`] does every cross-flag check and turns strings into domain values,
//! one validator per flag group; the engine never looks at a flag again. Errors are one line
//! naming the flag and what is accepted. This module and `app/` are the only ones that read
//! [`crate::cli`]: the `*Arg` mirrors of domain enums are mapped here.

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use crate::cli::{
    ArrivalsArg, AwsConnArgs, CompatArg, FromFormatArg, OnBadRowArg, PacingArg, RateArg, RunArgs, TailArgs,
    TemplateArgs,
};
use crate::engine::periodic::Periodic;
use crate::engine::plan::{
    Aggregate, Instance, LoadPlan, Mark, PackFormat, Shaping, DEFAULT_AWS_LINGER, DEFAULT_LOCAL_BATCH,
    DEFAULT_LOCAL_LINGER,
};
use crate::engine::schedule::{Arrivals, Backfill, Pacing, Profile, Rate};
use crate::faker::Compat;
use crate::replay::OnBadRow;
use crate::sink::aws::{AwsOptions, Preflight, RetryPolicy};
use crate::sink::kinesis::StreamId;
use crate::sink::limits::{FIREHOSE_MAX_RECORDS, KINESIS_MAX_RECORDS};
use crate::template;

/// A configuration error: which flag, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{flag}: {message}")]
pub struct ConfigError {
    /// The flag at fault, e.g. `--count`.
    pub flag: &'static str,
    /// What is wrong and what is accepted.
    pub message: String,
}

fn bad(flag: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        flag,
        message: message.into(),
    }
}

/// Where records go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Destination {
    /// A local sink.
    Local(SinkSpec),
    /// A Kinesis data stream.
    Kinesis(StreamId),
    /// A Firehose delivery stream.
    Firehose(String),
}

impl Destination {
    /// Whether records go to AWS (or an AWS-compatible endpoint).
    pub fn is_remote(&self) -> bool {
        !matches!(self, Destination::Local(_))
    }
}

/// A local destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SinkSpec {
    /// Standard output.
    Stdout,
    /// Nowhere: for measuring the generator.
    Null,
    /// A file, created or truncated.
    File(PathBuf),
}

impl SinkSpec {
    /// Parse `stdout`, `null` or `file:PATH`.
    ///
    /// # Errors
    /// Anything else.
    pub fn parse(s: &str) -> Result<SinkSpec, ConfigError> {
        match s {
            "stdout" | "-" => Ok(SinkSpec::Stdout),
            "null" => Ok(SinkSpec::Null),
            _ => match s.strip_prefix("file:") {
                Some(p) if !p.is_empty() => Ok(SinkSpec::File(PathBuf::from(p))),
                _ => Err(bad(
                    "--sink",
                    format!("`{s}` is not a sink; use stdout, null or file:PATH"),
                )),
            },
        }
    }
}

/// How a template is compiled and seeded.
#[derive(Debug, Clone, Serialize)]
pub struct TemplateConfig {
    /// The template file (`kdg run` may do without one: --mix, --from).
    pub path: Option<PathBuf>,
    /// The seed of the run (a string in JSON: it may not fit a double).
    #[serde(serialize_with = "crate::units::as_string")]
    pub seed: u64,
    /// KDG compatibility mode.
    pub compat: Compat,
    /// The time zone name, as given.
    pub tz_name: String,
    /// The resolved time zone.
    #[serde(skip)]
    pub tz: jiff::tz::TimeZone,
}

impl TemplateConfig {
    /// Validate the template flags. The seed defaults to a random one.
    ///
    /// # Errors
    /// An unknown time zone.
    pub fn from_args(a: &TemplateArgs) -> Result<TemplateConfig, ConfigError> {
        let tz = match a.tz.as_str() {
            "local" => jiff::tz::TimeZone::system(),
            "UTC" | "utc" | "Z" => jiff::tz::TimeZone::UTC,
            name => jiff::tz::TimeZone::get(name).map_err(|_| {
                bad(
                    "--tz",
                    format!("unknown time zone `{name}`; use local, UTC or a name like America/Chicago"),
                )
            })?,
        };
        let seed = a.seed.unwrap_or_else(|| {
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            crate::faker::splitmix64(t.as_nanos() as u64 ^ u64::from(std::process::id()))
        });
        let compat = match a.compat {
            CompatArg::Tolerant => Compat::Tolerant,
            CompatArg::Strict => Compat::Strict,
        };
        Ok(TemplateConfig {
            path: a.template.clone(),
            seed,
            compat,
            tz_name: a.tz.clone(),
            tz,
        })
    }

    /// The template compiler options.
    pub fn options(&self) -> template::Options {
        template::Options {
            compat: self.compat,
            tz: self.tz.clone(),
            row_fields: None,
        }
    }
}

/// Everything a run needs, validated, in groups: what to render, the load the engine runs,
/// where records go and how, and what happens after.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// The template.
    pub template: TemplateConfig,
    /// Other inputs: templates mixed in, a file to replay.
    pub input: InputConfig,
    /// What the engine runs.
    pub load: LoadPlan,
    /// Where records go.
    pub destination: Destination,
    /// How to reach AWS and address records there.
    pub aws: AwsConfig,
    /// kdg's retry policy (AWS destinations).
    pub retry: RetryPolicy,
    /// Read back and prove delivery after the run (`--verify`).
    pub verify: Option<Verify>,
    /// Where the report goes.
    pub outputs: Outputs,
    /// Conditions checked at the end (`--threshold`).
    pub thresholds: Thresholds,
}

/// Inputs besides the template.
#[derive(Debug, Clone, Default)]
pub struct InputConfig {
    /// Templates mixed in (`--mix`), with their weights; the positional template weighs 1.
    pub mix: Vec<MixPart>,
    /// A file to replay (`--from`).
    pub replay: Option<crate::replay::ReplaySpec>,
}

/// One `--mix FILE=WEIGHT`.
#[derive(Debug, Clone, PartialEq)]
pub struct MixPart {
    /// The template file.
    pub path: PathBuf,
    /// Its weight.
    pub weight: f64,
}

/// How to reach AWS, and the keys of Kinesis records.
#[derive(Debug, Clone)]
pub struct AwsConfig {
    /// Region, profile, endpoint.
    pub conn: AwsOptions,
    /// Partition key template (Kinesis); `None` = a random key per record.
    pub partition_key: Option<String>,
    /// Explicit hash key template (Kinesis).
    pub explicit_hash_key: Option<String>,
    /// How much to check before sending.
    pub preflight: Preflight,
    /// Most requests in flight (AWS destinations).
    pub max_in_flight: NonZeroUsize,
}

/// Where the report goes besides the exit code.
#[derive(Debug, Clone, Default)]
pub struct Outputs {
    /// No progress or text report.
    pub quiet: bool,
    /// Where to write the JSON report.
    pub report_json: Option<Output>,
    /// Where to write the per-second timeline.
    pub timeline: Option<Output>,
    /// Where to write the HTML report.
    pub report_html: Option<Output>,
    /// `--metrics-listen` and `--metrics-linger`.
    pub metrics: Option<MetricsOutput>,
}

/// Where one report output goes: a local file (`-` is standard output), or an S3 object it is
/// uploaded to at the end of the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// A file, or `-`.
    File(PathBuf),
    /// `s3://bucket/key`.
    S3(crate::s3::S3Url),
}

impl Output {
    /// The local file, if it is one (`-` included).
    pub fn file(&self) -> Option<&std::path::Path> {
        match self {
            Output::File(p) => Some(p),
            Output::S3(_) => None,
        }
    }

    /// The S3 object, if it is one.
    pub fn s3(&self) -> Option<&crate::s3::S3Url> {
        match self {
            Output::S3(u) => Some(u),
            Output::File(_) => None,
        }
    }
}

impl Serialize for Output {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Output::File(p) => p.serialize(s),
            Output::S3(u) => s.serialize_str(&u.to_string()),
        }
    }
}

/// Read the value of output flag `flag`: `s3://bucket/key` is an S3 object (no bucket or no key
/// is an error), anything else a file whose directory must exist.
///
/// # Errors
/// A malformed `s3://` address, or a file in a directory that does not exist.
pub fn output_flag(p: &std::path::Path, flag: &'static str) -> Result<Output, ConfigError> {
    match p.to_str() {
        Some(text) if crate::s3::S3Url::is_s3(text) => crate::s3::S3Url::object(text)
            .map(Output::S3)
            .map_err(|e| bad(flag, e.to_string())),
        _ => {
            check_parent(p, flag)?;
            Ok(Output::File(p.to_path_buf()))
        }
    }
}

/// Where live metrics are served, and for how long after the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricsOutput {
    /// The address to bind.
    pub addr: std::net::SocketAddr,
    /// How long the final values stay up after the run.
    pub linger: Duration,
}

/// Most `--metrics-linger`: longer keeps a finished pod around for nothing.
pub const MAX_METRICS_LINGER: Duration = Duration::from_secs(600);

/// `--metrics-listen` and `--metrics-linger` (also read by the scenario runner, for the whole
/// scenario).
///
/// # Errors
/// Not an address and port, or a linger above [`MAX_METRICS_LINGER`].
pub fn metrics_flags(a: &RunArgs) -> Result<Option<MetricsOutput>, ConfigError> {
    let Some(text) = &a.metrics_listen else { return Ok(None) };
    let addr = crate::metrics::parse_listen(text).map_err(|e| bad("--metrics-listen", e))?;
    let linger = a.metrics_linger.unwrap_or(Duration::ZERO);
    if linger > MAX_METRICS_LINGER {
        return Err(bad("--metrics-linger", "must be at most 10m"));
    }
    Ok(Some(MetricsOutput { addr, linger }))
}

/// `--threshold` conditions.
#[derive(Debug, Clone, Default)]
pub struct Thresholds {
    /// As given.
    pub exprs: Vec<String>,
    /// The same, parsed.
    pub parsed: Vec<crate::threshold::Threshold>,
}

/// How `--verify` marks and reads back records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verify {
    /// The JSON field carrying `RUNID-N`; `None` marks the partition key instead.
    pub field: Option<String>,
    /// How long to keep reading for records not seen yet.
    pub timeout: Duration,
    /// Firehose: where it delivers.
    pub s3: Option<S3Location>,
}

/// An S3 bucket and key prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    /// The bucket.
    pub bucket: String,
    /// The key prefix (may be empty).
    pub prefix: String,
}

/// Parse `--instance I/N`.
///
/// # Errors
/// Not two whole numbers with `I < N`.
pub fn parse_instance(s: &str) -> Result<Instance, ConfigError> {
    let bad_value = || bad("--instance", format!("`{s}` is not I/N with 0 <= I < N, e.g. 0/4"));
    let (i, n) = s.split_once('/').ok_or_else(bad_value)?;
    let (index, count): (u64, u64) = (
        i.trim().parse().map_err(|_| bad_value())?,
        n.trim().parse().map_err(|_| bad_value())?,
    );
    if count == 0 || index >= count {
        return Err(bad_value());
    }
    Ok(Instance { index, count })
}

/// Parse `--mix FILE[=WEIGHT]`.
fn parse_mix(s: &str) -> Result<MixPart, ConfigError> {
    match s.rsplit_once('=') {
        Some((path, w)) if !path.is_empty() => match w.trim().parse::<f64>() {
            Ok(w) if w.is_finite() && w > 0.0 => Ok(MixPart {
                path: PathBuf::from(path),
                weight: w,
            }),
            _ => Err(bad(
                "--mix",
                format!("`{w}` in `{s}` is not a weight; use a positive number, e.g. --mix prices.hbs=3"),
            )),
        },
        _ if s.is_empty() => Err(bad("--mix", "needs a template file")),
        _ => Ok(MixPart {
            path: PathBuf::from(s),
            weight: 1.0,
        }),
    }
}

/// The record numbers `kdg render` prints: `--start` and the `--count` - 1 after it (`None`
/// for none).
///
/// # Errors
/// The last of them would pass the last record number, `u64::MAX`.
pub fn render_range(start: u64, count: u64) -> Result<Option<std::ops::RangeInclusive<u64>>, ConfigError> {
    let Some(before) = count.checked_sub(1) else {
        return Ok(None);
    };
    let last = start.checked_add(before).ok_or_else(|| {
        bad(
            "--count",
            format!(
                "{count} records from --start {start} pass the last record number, {} (u64::MAX); give at most {}",
                u64::MAX,
                u64::MAX - start + 1
            ),
        )
    })?;
    Ok(Some(start..=last))
}

/// Parse a share: `0.05` or `5%`, between 0 and 1.
pub fn parse_share(s: &str) -> Option<f64> {
    let v = match s.trim().strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().ok()? / 100.0,
        None => s.trim().parse::<f64>().ok()?,
    };
    (0.0..=1.0).contains(&v).then_some(v)
}

/// How to reach AWS, from the flags every AWS command shares.
pub fn aws_options(a: &AwsConnArgs) -> AwsOptions {
    AwsOptions {
        region: a.region.clone(),
        profile: a.profile.clone(),
        endpoint_url: a.endpoint_url.clone(),
    }
}

/// Validate `kdg tail`'s flags.
///
/// # Errors
/// A start position that is not `latest`, `trim-horizon` or a time.
pub fn tail_options(a: &TailArgs) -> Result<crate::tail::TailOptions, ConfigError> {
    let stream = a
        .stream
        .clone()
        .or_else(|| {
            a.stream_arn
                .as_ref()
                .map(|arn| arn.rsplit('/').next().unwrap_or(arn).to_string())
        })
        .unwrap_or_default();
    Ok(crate::tail::TailOptions {
        stream,
        from: crate::tail::StartPosition::parse(&a.from).map_err(|e| bad("--from", e))?,
        json: a.json,
        count: a.count,
        duration: a.duration,
        aws: aws_options(&a.conn),
    })
}

impl RunConfig {
    /// The highest target rate of the run, if paced.
    pub fn peak_rps(&self) -> Option<f64> {
        self.load.rate.peak_rps()
    }

    /// What the report echoes of this configuration, with the run's id: one flat object whose
    /// keys follow the flags (`rate`, `count`, `linger`, `destination`, …), the shape reports
    /// have always had.
    /// Secrets in any value (a password in `--endpoint-url`, a signed URL) are redacted.
    /// Every duration is a number of milliseconds under a `_ms` key, and the seed a string.
    pub fn echo(&self, run_id: &str) -> serde_json::Value {
        use crate::units::duration_ms;
        fn v<T: Serialize>(x: &T) -> serde_json::Value {
            serde_json::to_value(x).unwrap_or_default()
        }
        let l = &self.load;
        let rate = match &l.rate {
            Rate::Profile(Profile::Constant(r)) => serde_json::json!({ "per_second": r }),
            other => v(other),
        };
        let mut echo = serde_json::json!({
            "template": v(&self.template),
            "mix": self.input.mix.iter().map(|m| serde_json::json!([m.path, m.weight])).collect::<Vec<_>>(),
            "replay": v(&self.input.replay),
            "duplicates": l.shaping.duplicates,
            "aggregate": l.shaping.aggregate.map(|a| a.most.get()),
            "rate": rate,
            "count": l.count,
            "duration_ms": l.duration.map(duration_ms),
            "workers": l.workers.get(),
            "destination": v(&self.destination),
            "aws": v(&self.aws.conn),
            "partition_key": self.aws.partition_key,
            "explicit_hash_key": self.aws.explicit_hash_key,
            "max_in_flight": self.aws.max_in_flight.get(),
            "linger_ms": duration_ms(l.linger),
            "retry": v(&self.retry),
            "gzip": l.shaping.gzip,
            "preflight": v(&self.aws.preflight),
            "verify": self.verify.as_ref().map(|x| serde_json::json!({
                "field": x.field,
                "timeout_ms": duration_ms(x.timeout),
                "s3": x.s3.as_ref().map(|s3| serde_json::json!([s3.bucket, s3.prefix])),
            })),
            "newline": l.shaping.newline,
            "pacing": v(&l.pacing),
            "arrivals": v(&l.arrivals),
            "backfill": v(&l.backfill),
            "batch_size": l.batch_size.get(),
            "quiet": self.outputs.quiet,
            "report_json": self.outputs.report_json,
            "timeline": self.outputs.timeline,
            "report_html": self.outputs.report_html,
            "instance": v(&l.instance),
            "threshold_exprs": self.thresholds.exprs,
            "start_at_ms": l.start_at_ms,
            "drain_timeout_ms": duration_ms(l.drain_timeout),
            "run_id": run_id,
        });
        crate::redact::redact_json(&mut echo);
        echo
    }

    /// Validate `kdg run`'s flags, one group at a time.
    ///
    /// # Errors
    /// The first flag that is wrong, with what is accepted.
    pub fn from_args(a: &RunArgs) -> Result<RunConfig, ConfigError> {
        let template = TemplateConfig::from_args(&a.template)?;
        if a.scenario.is_some() {
            return Err(bad("--scenario", "is read by the scenario runner, not as one run"));
        }
        let input = input_flags(a, &template)?;
        let duplicates = duplicates_flag(a)?;
        let (rate, instance, thresholds) = rate_flags(a, &template)?;
        let start_at_ms = start_at_flag(a)?;
        let backfill = backfill_flags(a, &rate)?;
        let arrivals = arrivals_flag(a, &rate)?;
        let count = count_flag(a, instance)?;
        let workers = workers_flag(a)?;
        let destination = destination_flags(a)?;
        let batch_size = batch_size_flag(a, &destination)?;
        let verify = verify_flags(a, &destination)?;
        let outputs = output_flags(a, &destination)?;
        check_aws_flags(a, &destination, outputs.any_s3())?;
        let (max_in_flight, retry) = retry_flags(a)?;
        let aws = AwsConfig {
            conn: aws_options(&a.aws.conn),
            partition_key: a.aws.partition_key.clone(),
            explicit_hash_key: a.aws.explicit_hash_key.clone(),
            preflight: match (a.aws.no_preflight, a.aws.strict_preflight) {
                (true, _) => Preflight::Skip,
                (_, true) => Preflight::Strict,
                _ => Preflight::Lenient,
            },
            max_in_flight,
        };
        let linger = a.aws.linger.unwrap_or(if destination.is_remote() {
            DEFAULT_AWS_LINGER
        } else {
            DEFAULT_LOCAL_LINGER
        });
        let pacing = match a.pacing {
            PacingArg::Smooth => Pacing::Smooth,
            PacingArg::Burst if matches!(rate, Rate::Max) => {
                return Err(bad(
                    "--pacing",
                    "burst needs a rate; it cannot be combined with --rps max",
                ))
            }
            PacingArg::Burst => Pacing::Burst,
        };
        let aggregate = aggregate_flag(a, &destination)?;
        // Against a remote service each task keeps one request in flight, so --max-in-flight
        // tasks render and send; locally, one task per worker, except that a replay written to
        // a file or stdout has one task, so its records come out in the input's order.
        let tasks = match &destination {
            _ if destination.is_remote() => max_in_flight,
            Destination::Local(SinkSpec::File(_) | SinkSpec::Stdout) if input.replay.is_some() => NonZeroUsize::MIN,
            _ => workers,
        };
        let load = LoadPlan {
            rate,
            pacing,
            arrivals,
            backfill,
            count,
            duration: a.duration,
            drain_timeout: drain_timeout_flag(a)?,
            workers,
            tasks,
            batch_size,
            linger,
            instance,
            start_at_ms,
            seed: template.seed,
            shaping: Shaping {
                newline: !a.no_newline,
                gzip: a.aws.gzip,
                duplicates,
                aggregate,
                mark: verify.as_ref().map(|v| Mark { field: v.field.clone() }),
            },
        };
        let cfg = RunConfig {
            template,
            input,
            load,
            destination,
            aws,
            retry,
            verify,
            outputs,
            thresholds,
        };
        let files: Vec<_> = run_files(&cfg)
            .into_iter()
            .map(|(flag, p)| (flag.to_string(), flag, p))
            .collect();
        check_clashes(&files)?;
        let objects: Vec<_> = cfg
            .outputs
            .each()
            .filter_map(|(flag, o)| o.s3().map(|u| (flag.to_string(), flag, u)))
            .collect();
        check_s3_clashes(&objects)?;
        Ok(cfg)
    }
}

/// `--mix`, `--from`, `--loop`, `--on-bad-row`; and that there is something to render.
fn input_flags(a: &RunArgs, template: &TemplateConfig) -> Result<InputConfig, ConfigError> {
    let mix = a.mix.iter().map(|m| parse_mix(m)).collect::<Result<Vec<_>, _>>()?;
    let replay = a.from.as_ref().map(|path| replay_flags(a, path)).transpose()?;
    if template.path.is_none() && mix.is_empty() && replay.is_none() {
        return Err(bad(
            "TEMPLATE",
            "give a template file (or --mix FILE, --from DATA, --scenario FILE)",
        ));
    }
    Ok(InputConfig { mix, replay })
}

/// `--from`, `--from-format`, `--loop`, `--on-bad-row`.
fn replay_flags(a: &RunArgs, path: &std::path::Path) -> Result<crate::replay::ReplaySpec, ConfigError> {
    use crate::replay::{Format, ReplaySpec};
    let format = match a.from_format {
        Some(FromFormatArg::Csv) => Format::Csv,
        Some(FromFormatArg::Ndjson) => Format::Ndjson,
        None if path.as_os_str() == crate::replay::STDIN => {
            return Err(bad(
                "--from",
                "standard input has no file name to tell its format: add --from-format csv or --from-format ndjson",
            ))
        }
        None => Format::from_path(path).ok_or_else(|| {
            bad(
                "--from",
                format!(
                    "cannot tell the format of `{}`: name it .csv, or .ndjson/.jsonl for JSON lines, or give --from-format",
                    path.display()
                ),
            )
        })?,
    };
    let spec = ReplaySpec {
        path: path.to_path_buf(),
        format,
        looped: a.looped,
        on_bad_row: match a.on_bad_row {
            OnBadRowArg::Fail => OnBadRow::Fail,
            OnBadRowArg::Skip => OnBadRow::Skip,
        },
    };
    // A missing file is reported when it is opened; one that exists must be re-readable to loop.
    let exists = spec.is_stdin() || path.exists();
    if spec.looped && exists && !spec.rereadable() {
        return Err(bad(
            "--loop",
            format!(
                "`{}` is standard input or a pipe, which can be read only once; replay a regular file to loop",
                spec.name()
            ),
        ));
    }
    Ok(spec)
}

/// `--duplicates`.
fn duplicates_flag(a: &RunArgs) -> Result<f64, ConfigError> {
    match &a.duplicates {
        None => Ok(0.0),
        Some(text) => parse_share(text).ok_or_else(|| {
            bad(
                "--duplicates",
                format!("`{text}` is not a share between 0 and 1 (e.g. 0.01 or 1%)"),
            )
        }),
    }
}

/// `--rps`, `--ramp`, `--steps`, `--hold`, `--periodic`, `--instance` (which scales the rate)
/// and `--threshold`, in the order a user reading errors expects.
fn rate_flags(a: &RunArgs, template: &TemplateConfig) -> Result<(Rate, Option<Instance>, Thresholds), ConfigError> {
    let rate = match a.rps {
        RateArg::PerSecond(r) => {
            crate::engine::schedule::check_rate(r).map_err(|e| bad("--rps", e))?;
            Rate::per_second(r)
        }
        RateArg::Max => Rate::Max,
    };
    let rate = match (&a.ramp, &a.steps) {
        (Some(r), _) => Rate::Profile(Profile::parse_ramp(r).map_err(|e| bad("--ramp", e))?),
        (None, Some(s)) => {
            let hold = a
                .hold
                .ok_or_else(|| bad("--steps", "needs --hold, how long each step lasts (e.g. --hold 30s)"))?;
            Rate::Profile(Profile::parse_steps(s, hold).map_err(|e| bad("--steps", e))?)
        }
        (None, None) if a.hold.is_some() => return Err(bad("--hold", "goes with --steps")),
        (None, None) => rate,
    };
    let rate = match &a.periodic {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| bad("--periodic", format!("cannot read `{}`: {e}", path.display())))?;
            let p = Periodic::parse(&text, &path.display().to_string(), !a.no_smooth, template.tz.clone())
                .map_err(|e| bad("--periodic", e))?;
            Rate::Periodic(std::sync::Arc::new(p))
        }
        None => rate,
    };
    let instance = a.instance.as_deref().map(parse_instance).transpose()?;
    let parsed = a
        .thresholds
        .iter()
        .map(|t| crate::threshold::Threshold::parse(t))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            bad(
                "--threshold",
                format!("'{}': column {}: {}", e.expr, e.column, e.message),
            )
        })?;
    let rate = match (instance, rate) {
        (None, r) => r,
        (Some(_), Rate::Periodic(_)) => {
            return Err(bad(
                "--instance",
                "cannot split a --periodic run; give each instance its own table",
            ))
        }
        (Some(inst), r) => r.scaled(1.0 / inst.count as f64),
    };
    let thresholds = Thresholds {
        exprs: a.thresholds.clone(),
        parsed,
    };
    Ok((rate, instance, thresholds))
}

/// Longest `--drain-timeout`: a drain is a bounded wait, not a second run.
const MAX_DRAIN_TIMEOUT: Duration = Duration::from_secs(3600);

/// `--drain-timeout`.
fn drain_timeout_flag(a: &RunArgs) -> Result<Duration, ConfigError> {
    if a.drain_timeout > MAX_DRAIN_TIMEOUT {
        return Err(bad("--drain-timeout", "must be at most 1h"));
    }
    Ok(a.drain_timeout)
}

/// How far in the past `--start-at` may be and still be honoured (the run then starts at once).
/// Pods or processes launched together start a few seconds apart (image pull already done,
/// scheduling, process start); a time further back than this is a stale, copied or mistyped
/// start barrier, which would silently let the instances start apart, so it is refused.
pub const START_AT_TOLERANCE: Duration = Duration::from_secs(5);

/// `--start-at`.
fn start_at_flag(a: &RunArgs) -> Result<Option<i64>, ConfigError> {
    match &a.start_at {
        None => Ok(None),
        Some(t) => parse_start_at(t, jiff::Timestamp::now().as_millisecond()),
    }
}

/// Parse a `--start-at` value against the wall clock `now_ms`: `now` (start at once), or an
/// RFC 3339 time no more than [`START_AT_TOLERANCE`] in the past.
fn parse_start_at(t: &str, now_ms: i64) -> Result<Option<i64>, ConfigError> {
    if t.trim().eq_ignore_ascii_case("now") {
        return Ok(None);
    }
    let at = t
        .parse::<jiff::Timestamp>()
        .map_err(|e| {
            bad(
                "--start-at",
                format!("`{t}` is not an RFC 3339 time ({e}); give e.g. 2026-01-01T12:00:00Z or `now`"),
            )
        })?
        .as_millisecond();
    let late_ms = now_ms.saturating_sub(at);
    if late_ms > START_AT_TOLERANCE.as_millis() as i64 {
        return Err(bad(
            "--start-at",
            format!(
                "`{t}` is {}s in the past (more than the {}s tolerance), so instances would not start \
                 together; give a time ahead (e.g. computed when the job is created) or `now`",
                late_ms / 1000,
                START_AT_TOLERANCE.as_secs()
            ),
        ));
    }
    Ok(Some(at))
}

/// `--backfill` and `--speed`.
fn backfill_flags(a: &RunArgs, rate: &Rate) -> Result<Option<Backfill>, ConfigError> {
    let Some(span) = &a.backfill else { return Ok(None) };
    if a.duration.is_some() {
        return Err(bad(
            "--duration",
            "a backfill ends at the end of its span; drop --duration",
        ));
    }
    if *rate == Rate::Max {
        return Err(bad("--backfill", "needs a rate: --rps, --ramp, --steps or --periodic"));
    }
    Ok(Some(parse_backfill(span, a.speed.as_deref())?))
}

/// `--arrivals`.
fn arrivals_flag(a: &RunArgs, rate: &Rate) -> Result<Arrivals, ConfigError> {
    match a.arrivals {
        ArrivalsArg::Uniform => Ok(Arrivals::Uniform),
        ArrivalsArg::Poisson if matches!(rate, Rate::Max | Rate::Periodic(_)) => Err(bad(
            "--arrivals",
            "poisson needs a rate; it cannot be combined with --rps max",
        )),
        ArrivalsArg::Poisson => Ok(Arrivals::Poisson),
    }
}

/// `--count`, as this instance's share.
fn count_flag(a: &RunArgs, instance: Option<Instance>) -> Result<Option<u64>, ConfigError> {
    if a.count == Some(0) {
        return Err(bad(
            "--count",
            "must be at least 1 (omit it to run until --duration or Ctrl-C)",
        ));
    }
    Ok(match (a.count, instance) {
        (Some(c), Some(inst)) => Some(inst.share(c)),
        (c, _) => c,
    })
}

/// `--workers`.
fn workers_flag(a: &RunArgs) -> Result<NonZeroUsize, ConfigError> {
    match a.workers {
        Some(0) => Err(bad("--workers", "must be at least 1")),
        Some(n) if n > 1024 => Err(bad("--workers", "must be at most 1024")),
        Some(n) => Ok(NonZeroUsize::new(n).expect("checked")),
        None => Ok(std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN)),
    }
}

/// `--stream`, `--stream-arn`, `--delivery-stream`, `--sink`.
fn destination_flags(a: &RunArgs) -> Result<Destination, ConfigError> {
    let aws = &a.aws;
    Ok(match (&aws.stream, &aws.stream_arn, &aws.delivery_stream) {
        (Some(n), _, _) => Destination::Kinesis(StreamId::Name(nonempty(n, "--stream")?)),
        (_, Some(arn), _) => {
            if !arn.starts_with("arn:") || !arn.contains(":stream/") {
                return Err(bad(
                    "--stream-arn",
                    format!("`{arn}` is not a stream ARN (arn:aws:kinesis:REGION:ACCOUNT:stream/NAME)"),
                ));
            }
            Destination::Kinesis(StreamId::Arn(arn.clone()))
        }
        (_, _, Some(n)) => Destination::Firehose(nonempty(n, "--delivery-stream")?),
        _ => Destination::Local(SinkSpec::parse(a.sink.as_deref().unwrap_or("stdout"))?),
    })
}

/// `--batch-size`, within the destination's limit.
fn batch_size_flag(a: &RunArgs, destination: &Destination) -> Result<NonZeroUsize, ConfigError> {
    let service_max = match destination {
        Destination::Local(_) => 1_000_000,
        Destination::Kinesis(_) => KINESIS_MAX_RECORDS as u64,
        Destination::Firehose(_) => FIREHOSE_MAX_RECORDS as u64,
    };
    match a.batch_size {
        None => Ok(NonZeroUsize::new(service_max.min(DEFAULT_LOCAL_BATCH as u64) as usize).expect("non-zero")),
        Some(n) if (1..=service_max).contains(&n) => Ok(NonZeroUsize::new(n as usize).expect("checked")),
        Some(_) => Err(bad(
            "--batch-size",
            format!("must be between 1 and {service_max} for this destination"),
        )),
    }
}

/// The keys and `--endpoint-url`, which only some destinations take (`--endpoint-url` also
/// serves `s3://` outputs, `s3_outputs`).
fn check_aws_flags(a: &RunArgs, destination: &Destination, s3_outputs: bool) -> Result<(), ConfigError> {
    let aws = &a.aws;
    if !destination.is_remote() {
        for (set, flag) in [
            (aws.partition_key.is_some(), "--partition-key"),
            (aws.explicit_hash_key.is_some(), "--explicit-hash-key"),
            (aws.conn.endpoint_url.is_some() && !s3_outputs, "--endpoint-url"),
        ] {
            if set {
                return Err(bad(
                    flag,
                    "needs an AWS destination (--stream, --stream-arn or --delivery-stream)",
                ));
            }
        }
    }
    if matches!(destination, Destination::Firehose(_)) {
        for (set, flag) in [
            (aws.partition_key.is_some(), "--partition-key"),
            (aws.explicit_hash_key.is_some(), "--explicit-hash-key"),
        ] {
            if set {
                return Err(bad(
                    flag,
                    "applies to Kinesis streams only; Firehose records have no keys",
                ));
            }
        }
    }
    if let Some(u) = &aws.conn.endpoint_url {
        if !(u.starts_with("http://") || u.starts_with("https://")) {
            return Err(bad(
                "--endpoint-url",
                format!("`{u}` must start with http:// or https://"),
            ));
        }
    }
    Ok(())
}

/// `--verify`, `--verify-s3`, `--verify-field`, `--verify-timeout`.
fn verify_flags(a: &RunArgs, destination: &Destination) -> Result<Option<Verify>, ConfigError> {
    let aws = &a.aws;
    if !(aws.verify || aws.verify_s3.is_some()) {
        return Ok(None);
    }
    let s3 = match (destination, &aws.verify_s3) {
        (Destination::Kinesis(_), _) => None,
        (Destination::Firehose(_), Some(url)) => {
            let rest = url
                .strip_prefix("s3://")
                .filter(|r| !r.is_empty())
                .ok_or_else(|| bad("--verify-s3", format!("`{url}` is not s3://bucket/prefix")))?;
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            Some(S3Location {
                bucket: bucket.to_string(),
                prefix: prefix.to_string(),
            })
        }
        (Destination::Firehose(_), None) => {
            return Err(bad(
                "--verify",
                "for a delivery stream, give --verify-s3 s3://bucket/prefix where it delivers",
            ))
        }
        (Destination::Local(_), _) => {
            return Err(bad(
                "--verify",
                "reads the destination back: it needs --stream, --stream-arn or --delivery-stream",
            ))
        }
    };
    if aws.gzip {
        return Err(bad(
            "--verify",
            "cannot find markers inside gzipped records; drop --gzip",
        ));
    }
    let field = Some(aws.verify_field.clone()).filter(|f| !f.is_empty());
    if field.is_none() && (aws.partition_key.is_some() || s3.is_some()) {
        return Err(bad(
            "--verify-field",
            "an empty field marks the partition key, which --partition-key sets (and Firehose records have none)",
        ));
    }
    Ok(Some(Verify {
        field,
        timeout: aws.verify_timeout,
        s3,
    }))
}

/// `--max-in-flight`, `--max-attempts`, `--retry-timeout`.
fn retry_flags(a: &RunArgs) -> Result<(NonZeroUsize, RetryPolicy), ConfigError> {
    let aws = &a.aws;
    let max_in_flight = match aws.max_in_flight {
        0 => return Err(bad("--max-in-flight", "must be at least 1")),
        n if n > 4096 => return Err(bad("--max-in-flight", "must be at most 4096")),
        n => NonZeroUsize::new(n).expect("checked"),
    };
    if aws.max_attempts == 0 {
        return Err(bad("--max-attempts", "must be at least 1"));
    }
    let retry = RetryPolicy {
        max_attempts: aws.max_attempts,
        budget: aws.retry_timeout,
        ..RetryPolicy::default()
    };
    Ok((max_in_flight, retry))
}

/// `--quiet`, `--report-json`, `--timeline`, `--report-html`, and the directories of every
/// output file.
fn output_flags(a: &RunArgs, destination: &Destination) -> Result<Outputs, ConfigError> {
    if let Destination::Local(SinkSpec::File(p)) = destination {
        check_parent(p, "--sink")?;
    }
    let out = |p: &Option<PathBuf>, flag| p.as_deref().map(|p| output_flag(p, flag)).transpose();
    let outputs = Outputs {
        quiet: a.quiet,
        report_json: out(&a.report_json, "--report-json")?,
        timeline: out(&a.timeline, "--timeline")?,
        report_html: out(&a.report_html, "--report-html")?,
        metrics: metrics_flags(a)?,
    };
    if *destination == Destination::Local(SinkSpec::Stdout)
        && outputs.report_json == Some(Output::File(PathBuf::from("-")))
    {
        return Err(bad(
            "--report-json",
            "cannot write to stdout while records go there; give a file",
        ));
    }
    Ok(outputs)
}

impl Outputs {
    /// The outputs, each with its flag.
    pub fn each(&self) -> impl Iterator<Item = (&'static str, &Output)> {
        [
            (&self.report_json, "--report-json"),
            (&self.timeline, "--timeline"),
            (&self.report_html, "--report-html"),
        ]
        .into_iter()
        .filter_map(|(o, flag)| o.as_ref().map(|o| (flag, o)))
    }

    /// Whether any output is an S3 object.
    pub fn any_s3(&self) -> bool {
        self.each().any(|(_, o)| o.s3().is_some())
    }
}

/// `--aggregate`.
fn aggregate_flag(a: &RunArgs, destination: &Destination) -> Result<Option<Aggregate>, ConfigError> {
    let format = match destination {
        Destination::Firehose(_) => PackFormat::Lines,
        _ => PackFormat::Kpl,
    };
    match a.aggregate {
        None | Some(1) => Ok(None),
        Some(0) => Err(bad("--aggregate", "must be at least 1")),
        Some(_) if !destination.is_remote() => Err(bad(
            "--aggregate",
            "packs records for --stream or --delivery-stream; local sinks write one record per line",
        )),
        Some(n) => Ok(NonZeroUsize::new(n as usize).map(|most| Aggregate { most, format })),
    }
}

/// `FROM..TO` (RFC 3339 instants) and `--speed N|max`.
fn parse_backfill(span: &str, speed: Option<&str>) -> Result<Backfill, ConfigError> {
    let usage = "expected FROM..TO as RFC 3339 times, e.g. 2026-11-01T00:00:00Z..2026-11-02T00:00:00Z";
    let (from, to) = span
        .split_once("..")
        .ok_or_else(|| bad("--backfill", format!("`{span}`: {usage}")))?;
    let at = |s: &str, col: usize| {
        s.trim()
            .parse::<jiff::Timestamp>()
            .map_err(|e| bad("--backfill", format!("`{span}`: column {col}: {e}; {usage}")))
    };
    let (start, end) = (at(from, 1)?, at(to, from.len() + 3)?);
    if end <= start {
        return Err(bad("--backfill", format!("`{span}`: the end is not after the start")));
    }
    let speed = match speed.unwrap_or("60") {
        "max" => None,
        s => match s.parse::<f64>() {
            Ok(v) if v > 0.0 && v.is_finite() => {
                crate::engine::schedule::check_speed(v).map_err(|e| bad("--speed", e))?;
                Some(v)
            }
            _ => return Err(bad("--speed", format!("`{s}` is not a positive number or `max`"))),
        },
    };
    Ok(Backfill {
        start_ms: start.as_millisecond(),
        end_ms: end.as_millisecond(),
        speed,
    })
}

fn nonempty(s: &str, flag: &'static str) -> Result<String, ConfigError> {
    if s.trim().is_empty() {
        Err(bad(flag, "must not be empty"))
    } else {
        Ok(s.to_string())
    }
}

/// Where `p` points once `.`, `..` and links are resolved, whether or not it exists yet: two
/// outputs clash when these are equal (`./a`, `a` and `d/../a` are one file).
fn canonical(p: &std::path::Path) -> std::path::PathBuf {
    if let Ok(c) = std::fs::canonicalize(p) {
        return c;
    }
    let dir = match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    match (std::fs::canonicalize(dir), p.file_name()) {
        (Ok(d), Some(name)) => d.join(name),
        _ => p.to_path_buf(),
    }
}

/// The files a run reads and writes, with the flag that named each: the input it replays,
/// the sink file and the report files (`-`, standard output, is not a file).
pub fn run_files(cfg: &RunConfig) -> Vec<(&'static str, &std::path::Path)> {
    let mut files = Vec::new();
    if let Some(spec) = &cfg.input.replay {
        files.push(("--from", spec.path.as_path()));
    }
    if let Destination::Local(SinkSpec::File(p)) = &cfg.destination {
        files.push(("--sink", p.as_path()));
    }
    for (flag, o) in cfg.outputs.each() {
        if let Some(p) = o.file().filter(|p| p.as_os_str() != "-") {
            files.push((flag, p));
        }
    }
    files
}

/// Two outputs that name one S3 object: an error naming both, before anything is sent (the
/// later upload would replace the earlier). Each object comes with how to name it and its flag.
///
/// # Errors
/// The first clash, under the later object's flag.
pub fn check_s3_clashes(objects: &[(String, &'static str, &crate::s3::S3Url)]) -> Result<(), ConfigError> {
    for (i, (label, flag, url)) in objects.iter().enumerate() {
        if let Some((first, _, _)) = objects[..i].iter().find(|(_, _, other)| other == url) {
            return Err(bad(
                flag,
                format!("{label} and {first} both name `{url}`; give each its own key"),
            ));
        }
    }
    Ok(())
}

/// Two of `files` that are one file: an error naming both, before anything is written (the
/// second would overwrite the first, or the run would overwrite what it reads). Each file
/// comes with how to name it (`--sink`, ``job `a` --sink``) and its flag.
///
/// # Errors
/// The first clash, under the later file's flag.
pub fn check_clashes(files: &[(String, &'static str, &std::path::Path)]) -> Result<(), ConfigError> {
    let mut seen: Vec<(std::path::PathBuf, &str)> = Vec::with_capacity(files.len());
    for (label, flag, p) in files {
        let c = canonical(p);
        if let Some((_, first)) = seen.iter().find(|(other, _)| *other == c) {
            return Err(bad(
                flag,
                format!(
                    "{label} and {first} both name `{}`; give each its own file",
                    p.display()
                ),
            ));
        }
        seen.push((c, label));
    }
    Ok(())
}

fn check_parent(p: &std::path::Path, flag: &'static str) -> Result<(), ConfigError> {
    if p == std::path::Path::new("-") {
        return Ok(());
    }
    match p.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && !dir.is_dir() => {
            Err(bad(flag, format!("the directory `{}` does not exist", dir.display())))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    #[test]
    fn two_outputs_naming_one_file_are_an_error_whatever_the_spelling() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display();
        let existing = dir.path().join("out.ndjson");
        std::fs::write(&existing, "keep\n").unwrap();
        for (args, flag) in [
            (
                vec![
                    format!("--sink=file:{d}/out.ndjson"),
                    format!("--report-json={d}/./out.ndjson"),
                ],
                "--report-json",
            ),
            (
                vec![format!("--timeline={d}/t"), format!("--report-html={d}/x/../t")],
                "--report-html",
            ),
            (
                vec![format!("--report-json={d}/r"), format!("--timeline={d}/r")],
                "--timeline",
            ),
        ] {
            std::fs::create_dir_all(dir.path().join("x")).unwrap();
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let e = config(&args).unwrap_err();
            assert_eq!(e.flag, flag, "{args:?}: {}", e.message);
            assert!(e.message.contains("both name"), "{}", e.message);
        }
        assert_eq!(std::fs::read_to_string(&existing).unwrap(), "keep\n");
        let files = [
            ("--from".to_string(), "--from", std::path::Path::new("a.csv")),
            ("job `b` --sink".to_string(), "--sink", std::path::Path::new("./a.csv")),
        ];
        let e = check_clashes(&files).unwrap_err();
        assert_eq!(
            e.message,
            "job `b` --sink and --from both name `./a.csv`; give each its own file"
        );
        assert!(config(&[&format!("--report-json={d}/r1"), &format!("--timeline={d}/r2")]).is_ok());
    }

    fn config(args: &[&str]) -> Result<RunConfig, ConfigError> {
        let cli = Cli::try_parse_from(["kdg", "run", "t.hbs"].iter().chain(args)).expect("parses");
        let Command::Run(r) = cli.command else { panic!("run") };
        RunConfig::from_args(&r)
    }

    #[test]
    fn s3_outputs_are_objects_and_take_the_endpoint_without_an_aws_destination() {
        let cfg = config(&[
            "--sink",
            "null",
            "--report-json",
            "s3://b/runs/0.json",
            "--endpoint-url",
            "http://x",
        ])
        .expect("an s3 report with a local sink");
        let url = cfg
            .outputs
            .report_json
            .as_ref()
            .and_then(Output::s3)
            .expect("an S3 output");
        assert_eq!((url.bucket.as_str(), url.key.as_str()), ("b", "runs/0.json"));
        assert!(cfg.outputs.any_s3() && run_files(&cfg).is_empty(), "not a local file");
        assert_eq!(cfg.echo("id")["report_json"], "s3://b/runs/0.json");
        for (args, flag) in [
            (vec!["--report-json", "s3://b"], "--report-json"),
            (vec!["--timeline", "s3:///k"], "--timeline"),
            (
                vec!["--report-json", "s3://b/k", "--report-html", "s3://b/k"],
                "--report-html",
            ),
            (vec!["--sink", "null", "--endpoint-url", "http://x"], "--endpoint-url"),
        ] {
            assert_eq!(config(&args).map(|_| ()).unwrap_err().flag, flag, "{args:?}");
        }
    }

    #[test]
    fn start_at_in_the_past_is_refused_beyond_the_tolerance() {
        let at = "2026-01-01T12:00:00Z";
        let at_ms = at.parse::<jiff::Timestamp>().unwrap().as_millisecond();
        let tol = START_AT_TOLERANCE.as_millis() as i64;
        // Ahead, or late within the tolerance: honoured (the run starts at once when late).
        assert_eq!(parse_start_at(at, at_ms - 60_000), Ok(Some(at_ms)));
        assert_eq!(parse_start_at(at, at_ms + tol), Ok(Some(at_ms)));
        // Later than that: refused, saying by how much and what to give instead.
        let e = parse_start_at(at, at_ms + tol + 1_000).unwrap_err();
        assert_eq!(e.flag, "--start-at");
        assert!(
            e.message.contains("6s in the past") && e.message.contains("`now`"),
            "{e}"
        );
        assert_eq!(parse_start_at(at, at_ms + 86_400_000).unwrap_err().flag, "--start-at");
        // `now` starts at once; garbage names the accepted forms.
        assert_eq!(parse_start_at("now", at_ms), Ok(None));
        assert_eq!(parse_start_at("NOW", at_ms), Ok(None));
        assert!(parse_start_at("tomorrow", at_ms)
            .unwrap_err()
            .message
            .contains("RFC 3339"));
        // Through the flags, against the real clock.
        assert_eq!(
            config(&["--start-at", "2020-01-01T00:00:00Z"]).unwrap_err().flag,
            "--start-at"
        );
        assert_eq!(config(&["--start-at", "now"]).unwrap().load.start_at_ms, None);
        let ahead = (jiff::Timestamp::now() + jiff::SignedDuration::from_secs(3600)).to_string();
        assert!(config(&["--start-at", &ahead]).unwrap().load.start_at_ms.is_some());
    }

    #[test]
    fn metrics_flags_are_checked() {
        let m = config(&["--metrics-listen", ":9464", "--metrics-linger", "5s"])
            .unwrap()
            .outputs
            .metrics;
        assert_eq!(
            m,
            Some(MetricsOutput {
                addr: "127.0.0.1:9464".parse().unwrap(),
                linger: Duration::from_secs(5)
            })
        );
        assert_eq!(config(&[]).unwrap().outputs.metrics, None);
        assert_eq!(
            config(&["--metrics-listen", "all"]).unwrap_err().flag,
            "--metrics-listen"
        );
        let e = config(&["--metrics-listen", ":9464", "--metrics-linger", "1h"]).unwrap_err();
        assert_eq!(e.flag, "--metrics-linger");
    }

    #[test]
    fn rates_and_speeds_beyond_the_schedule_limits_are_rejected_naming_the_flag() {
        for (args, flag) in [
            (&["--rps", "2e10"][..], "--rps"),
            (&["--rps", "1e-9"][..], "--rps"),
            (&["--ramp", "1..1e308/1s"][..], "--ramp"),
            (&["--steps", "1,1e12", "--hold", "1s"][..], "--steps"),
            (
                &[
                    "--backfill",
                    "2026-01-01T00:00:00Z..2026-01-01T00:00:01Z",
                    "--speed",
                    "1e-9",
                ][..],
                "--speed",
            ),
            (
                &[
                    "--backfill",
                    "2026-01-01T00:00:00Z..2026-01-01T00:00:01Z",
                    "--speed",
                    "1e12",
                ][..],
                "--speed",
            ),
        ] {
            assert_eq!(config(args).unwrap_err().flag, flag, "{args:?}");
        }
        assert!(config(&["--rps", "1e10"]).is_ok());
        assert!(config(&["--steps", "0,1e9", "--hold", "1s"]).is_ok());
    }

    #[test]
    fn count_zero_is_rejected_naming_the_flag() {
        let e = config(&["--count", "0"]).unwrap_err();
        assert_eq!(e.flag, "--count");
        assert!(e.to_string().starts_with("--count: must be at least 1"));
    }

    #[test]
    fn sinks_parse() {
        assert_eq!(SinkSpec::parse("null"), Ok(SinkSpec::Null));
        assert_eq!(SinkSpec::parse("file:/tmp/x"), Ok(SinkSpec::File("/tmp/x".into())));
        assert_eq!(SinkSpec::parse("kafka").unwrap_err().flag, "--sink");
        assert_eq!(
            config(&["--sink", "file:/nonexistent/dir/x"]).unwrap_err().flag,
            "--sink"
        );
    }

    #[test]
    fn flag_relations_are_checked() {
        assert_eq!(config(&["--workers", "0"]).unwrap_err().flag, "--workers");
        assert_eq!(
            config(&["--rps", "max", "--pacing", "burst"]).unwrap_err().flag,
            "--pacing"
        );
        assert_eq!(config(&["--tz", "Mars/Olympus"]).unwrap_err().flag, "--tz");
        assert_eq!(config(&["--report-json", "-"]).unwrap_err().flag, "--report-json");
        assert_eq!(config(&["--batch-size", "0"]).unwrap_err().flag, "--batch-size");
        assert_eq!(config(&["--partition-key", "x"]).unwrap_err().flag, "--partition-key");
        assert_eq!(
            config(&["--delivery-stream", "d", "--partition-key", "x"])
                .unwrap_err()
                .flag,
            "--partition-key"
        );
        assert_eq!(
            config(&["--stream", "s", "--batch-size", "501"]).unwrap_err().flag,
            "--batch-size"
        );
        assert_eq!(config(&["--stream-arn", "nope"]).unwrap_err().flag, "--stream-arn");
        assert_eq!(
            config(&["--stream", "s", "--endpoint-url", "localhost:1"])
                .unwrap_err()
                .flag,
            "--endpoint-url"
        );
        let k = config(&["--stream", "s"]).unwrap();
        assert_eq!((k.load.batch_size.get(), k.load.linger), (500, DEFAULT_AWS_LINGER));
        assert_eq!(config(&["--steps", "1k,2k"]).unwrap_err().flag, "--steps");
        assert_eq!(config(&["--hold", "5s"]).unwrap_err().flag, "--hold");
        assert!(config(&["--ramp", "1k..x/5m"])
            .unwrap_err()
            .to_string()
            .contains("column 5"));
        assert_eq!(
            config(&["--rps", "max", "--arrivals", "poisson"]).unwrap_err().flag,
            "--arrivals"
        );
        let r = config(&["--ramp", "0..1k/1m"]).unwrap();
        assert!(matches!(r.load.rate, Rate::Profile(Profile::Ramp { .. })));
        assert_eq!(config(&["--instance", "4/4"]).unwrap_err().flag, "--instance");
        assert!(config(&["--threshold", "p99<2x"])
            .unwrap_err()
            .to_string()
            .contains("column 5"));
        assert_eq!(config(&["--start-at", "soon"]).unwrap_err().flag, "--start-at");
        let i = config(&["--rps", "1000", "-n", "10", "--instance", "1/3"]).unwrap();
        assert_eq!(
            (i.load.rate.clone(), i.load.count),
            (Rate::per_second(1000.0 / 3.0), Some(3))
        );
        let c = config(&["--rps", "2k", "-n", "10", "--seed", "5", "--tz", "UTC", "--no-newline"]).unwrap();
        assert_eq!(
            (
                c.load.rate,
                c.load.count,
                c.template.seed,
                c.load.seed,
                c.load.shaping.newline
            ),
            (Rate::per_second(2000.0), Some(10), 5, 5, false)
        );
    }

    #[test]
    fn render_ranges_end_at_the_last_record_number() {
        assert_eq!(render_range(3, 2).expect("fits"), Some(3..=4));
        assert_eq!(
            render_range(u64::MAX - 1, 2).expect("fits"),
            Some(u64::MAX - 1..=u64::MAX)
        );
        assert_eq!(render_range(u64::MAX, 0).expect("fits"), None);
        let e = render_range(u64::MAX - 1, 3).expect_err("passes u64::MAX");
        assert_eq!(e.flag, "--count");
        assert!(
            e.message.contains("18446744073709551615") && e.message.contains("at most 2"),
            "{e}"
        );
    }

    #[test]
    fn mix_replay_and_duplicates_are_validated() {
        let c = config(&["--mix", "b.hbs=3", "--mix", "c.hbs", "--duplicates", "2%"]).unwrap();
        let part = |p: &str, weight| MixPart {
            path: PathBuf::from(p),
            weight,
        };
        assert_eq!(c.input.mix, [part("b.hbs", 3.0), part("c.hbs", 1.0)]);
        assert!((c.load.shaping.duplicates - 0.02).abs() < 1e-12);
        for bad_mix in ["b.hbs=0", "b.hbs=-1", "b.hbs=x", ""] {
            assert_eq!(config(&["--mix", bad_mix]).unwrap_err().flag, "--mix", "{bad_mix}");
        }
        for bad_share in ["2", "-0.1", "150%", "lots"] {
            assert_eq!(config(&["--duplicates", bad_share]).unwrap_err().flag, "--duplicates");
        }
        let r = config(&["--from", "rows.csv", "--loop", "--on-bad-row", "skip"]).unwrap();
        let spec = r.input.replay.expect("replay");
        assert_eq!(
            (spec.format, spec.looped, spec.on_bad_row),
            (crate::replay::Format::Csv, true, crate::replay::OnBadRow::Skip)
        );
        let e = config(&["--from", "rows.txt"]).unwrap_err();
        assert!(e.flag == "--from" && e.message.contains(".csv"), "{e}");
    }
}
