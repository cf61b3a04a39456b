//! Validated run configuration: the command line is checked once here, then trusted.
//!
//! [`RunConfig::from_args`] does every cross-flag check and turns strings into domain values;
//! the engine never looks at a flag again. Errors are one line naming the flag and what is
//! accepted.

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use crate::cli::{CompatArg, Pacing, RateArg, RunArgs, TemplateArgs};
use crate::engine::periodic::Periodic;
use crate::engine::schedule::{Arrivals, Backfill, Profile};
use crate::faker::Compat;
use crate::sink::aws::{AwsOptions, RetryPolicy};
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

/// The target rate.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rate {
    /// Records per second on a fixed schedule.
    PerSecond(f64),
    /// A rate that changes over the run (`--ramp`, `--steps`).
    Profile(crate::engine::schedule::Profile),
    /// KDG's periodic mode: a mean and deviation per weekday and hour (`--periodic FILE`).
    #[serde(serialize_with = "periodic_name")]
    Periodic(std::sync::Arc<crate::engine::periodic::Periodic>),
    /// As fast as the generator and the destination allow.
    Max,
}

fn periodic_name<S: serde::Serializer>(
    _: &std::sync::Arc<crate::engine::periodic::Periodic>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str("weekday and hour table")
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
    /// The seed of the run.
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

/// Everything a run needs, validated.
#[derive(Debug, Clone, Serialize)]
pub struct RunConfig {
    /// The template.
    pub template: TemplateConfig,
    /// Templates mixed in (`--mix`), with their weights; the positional template weighs 1.
    pub mix: Vec<(PathBuf, f64)>,
    /// A file to replay (`--from`).
    pub replay: Option<crate::replay::ReplaySpec>,
    /// Share of records sent twice (`--duplicates`).
    pub duplicates: f64,
    /// Most records packed into one destination record (`--aggregate`); `None` = one each.
    pub aggregate: Option<NonZeroUsize>,
    /// The target rate.
    pub rate: Rate,
    /// Stop after this many records.
    pub count: Option<u64>,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Render workers.
    pub workers: NonZeroUsize,
    /// Where records go.
    pub destination: Destination,
    /// How to reach AWS.
    pub aws: AwsOptions,
    /// Partition key template (Kinesis); `None` = a random key per record.
    pub partition_key: Option<String>,
    /// Explicit hash key template (Kinesis).
    pub explicit_hash_key: Option<String>,
    /// Most requests in flight (AWS destinations).
    pub max_in_flight: NonZeroUsize,
    /// Longest a record waits for its batch.
    pub linger: Duration,
    /// kdg's retry policy (AWS destinations).
    pub retry: RetryPolicy,
    /// Gzip each record.
    pub gzip: bool,
    /// How much to check before sending.
    pub preflight: crate::sink::aws::Preflight,
    /// Read back and prove delivery after the run (`--verify`).
    pub verify: Option<Verify>,
    /// End each record with `\n`.
    pub newline: bool,
    /// Pacing within a second.
    pub pacing: Pacing,
    /// Evenly spaced or Poisson arrivals.
    pub arrivals: crate::engine::schedule::Arrivals,
    /// Walk simulated time instead of the wall clock (`--backfill`).
    pub backfill: Option<crate::engine::schedule::Backfill>,
    /// Most records per batch.
    pub batch_size: NonZeroUsize,
    /// No progress or text report.
    pub quiet: bool,
    /// Where to write the JSON report.
    pub report_json: Option<PathBuf>,
    /// Where to write the per-second timeline.
    pub timeline: Option<PathBuf>,
    /// Where to write the HTML report.
    pub report_html: Option<PathBuf>,
    /// This process's share of a run split across instances.
    pub instance: Option<Instance>,
    /// Conditions checked at the end (`--threshold`), as given.
    pub threshold_exprs: Vec<String>,
    /// The same, parsed.
    #[serde(skip)]
    pub thresholds: Vec<crate::threshold::Threshold>,
    /// Wall-clock start, ms since the epoch.
    pub start_at_ms: Option<i64>,
}

/// How `--verify` marks and reads back records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verify {
    /// The JSON field carrying `RUNID-N`; `None` marks the partition key instead.
    pub field: Option<String>,
    /// How long to keep reading for records not seen yet.
    pub timeout: Duration,
    /// Firehose: the bucket and key prefix it delivers to.
    pub s3: Option<(String, String)>,
}

/// One of N processes sharing a run (`--instance I/N`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Instance {
    /// This instance, `0..count`.
    pub index: u64,
    /// How many instances share the run.
    pub count: u64,
}

impl Instance {
    /// Parse `I/N`.
    ///
    /// # Errors
    /// Not two whole numbers with `I < N`.
    pub fn parse(s: &str) -> Result<Instance, ConfigError> {
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

    /// The global record number of this instance's `k`th record.
    pub fn global(&self, k: u64) -> u64 {
        k * self.count + self.index
    }

    /// This instance's share of `total` records.
    pub fn share(&self, total: u64) -> u64 {
        total / self.count + u64::from(self.index < total % self.count)
    }
}

/// Parse `--mix FILE[=WEIGHT]`.
fn parse_mix(s: &str) -> Result<(PathBuf, f64), ConfigError> {
    match s.rsplit_once('=') {
        Some((path, w)) if !path.is_empty() => match w.trim().parse::<f64>() {
            Ok(w) if w.is_finite() && w > 0.0 => Ok((PathBuf::from(path), w)),
            _ => Err(bad(
                "--mix",
                format!("`{w}` in `{s}` is not a weight; use a positive number, e.g. --mix prices.hbs=3"),
            )),
        },
        _ if s.is_empty() => Err(bad("--mix", "needs a template file")),
        _ => Ok((PathBuf::from(s), 1.0)),
    }
}

/// Parse a share: `0.05` or `5%`, between 0 and 1.
pub fn parse_share(s: &str) -> Option<f64> {
    let v = match s.trim().strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().ok()? / 100.0,
        None => s.trim().parse::<f64>().ok()?,
    };
    (0.0..=1.0).contains(&v).then_some(v)
}

/// The default most records per batch for local sinks (stdout, file, null).
pub const DEFAULT_LOCAL_BATCH: usize = 1024;
/// How long a record may wait for its batch by default: local sinks.
pub const DEFAULT_LOCAL_LINGER: Duration = Duration::from_millis(1);
/// How long a record may wait for its batch by default: AWS destinations (the KPL's default
/// `RecordMaxBufferedTime`).
pub const DEFAULT_AWS_LINGER: Duration = Duration::from_millis(100);

impl Rate {
    /// The same rate shape, `factor` times as fast.
    pub fn scaled(self, factor: f64) -> Rate {
        use crate::engine::schedule::Profile;
        match self {
            Rate::PerSecond(r) => Rate::PerSecond(r * factor),
            Rate::Profile(Profile::Constant(r)) => Rate::Profile(Profile::Constant(r * factor)),
            Rate::Profile(Profile::Ramp { from, to, over }) => Rate::Profile(Profile::Ramp {
                from: from * factor,
                to: to * factor,
                over,
            }),
            Rate::Profile(Profile::Steps { rates, hold }) => Rate::Profile(Profile::Steps {
                rates: rates.iter().map(|r| r * factor).collect(),
                hold,
            }),
            other => other,
        }
    }
}

impl RunConfig {
    /// The highest target rate of the run, if paced.
    pub fn peak_rps(&self) -> Option<f64> {
        use crate::engine::schedule::Profile;
        match &self.rate {
            Rate::PerSecond(r) => Some(*r),
            Rate::Profile(Profile::Constant(r)) => Some(*r),
            Rate::Profile(Profile::Ramp { from, to, .. }) => Some(from.max(*to)),
            Rate::Profile(Profile::Steps { rates, .. }) => rates.iter().copied().reduce(f64::max),
            Rate::Periodic(_) | Rate::Max => None,
        }
    }

    /// Validate `kdg run`'s flags.
    ///
    /// # Errors
    /// The first flag that is wrong, with what is accepted.
    pub fn from_args(a: &RunArgs) -> Result<RunConfig, ConfigError> {
        let template = TemplateConfig::from_args(&a.template)?;
        if a.scenario.is_some() {
            return Err(bad("--scenario", "is read by the scenario runner, not as one run"));
        }
        let mix = a.mix.iter().map(|m| parse_mix(m)).collect::<Result<Vec<_>, _>>()?;
        let replay = match &a.from {
            None => None,
            Some(path) => Some(crate::replay::ReplaySpec {
                format: crate::replay::Format::from_path(path).ok_or_else(|| {
                    bad(
                        "--from",
                        format!(
                            "cannot tell the format of `{}`: name it .csv, or .ndjson/.jsonl for JSON lines",
                            path.display()
                        ),
                    )
                })?,
                path: path.clone(),
                looped: a.looped,
                on_bad_row: a.on_bad_row,
            }),
        };
        if template.path.is_none() && mix.is_empty() && replay.is_none() {
            return Err(bad(
                "TEMPLATE",
                "give a template file (or --mix FILE, --from DATA, --scenario FILE)",
            ));
        }
        let duplicates = match &a.duplicates {
            None => 0.0,
            Some(text) => parse_share(text).ok_or_else(|| {
                bad(
                    "--duplicates",
                    format!("`{text}` is not a share between 0 and 1 (e.g. 0.01 or 1%)"),
                )
            })?,
        };
        let rate = match a.rps {
            RateArg::PerSecond(r) if r > 10_000_000_000.0 => {
                return Err(bad(
                    "--rps",
                    "is above 10G records/s; use `max` for as fast as possible",
                ))
            }
            RateArg::PerSecond(r) => Rate::PerSecond(r),
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
        let instance = a.instance.as_deref().map(Instance::parse).transpose()?;
        let thresholds = a
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
        let start_at_ms = match &a.start_at {
            None => None,
            Some(t) => Some(
                t.parse::<jiff::Timestamp>()
                    .map_err(|e| bad("--start-at", format!("`{t}` is not an RFC 3339 time ({e})")))?
                    .as_millisecond(),
            ),
        };
        let backfill = match &a.backfill {
            None => None,
            Some(span) => {
                if a.duration.is_some() {
                    return Err(bad(
                        "--duration",
                        "a backfill ends at the end of its span; drop --duration",
                    ));
                }
                if rate == Rate::Max {
                    return Err(bad("--backfill", "needs a rate: --rps, --ramp, --steps or --periodic"));
                }
                Some(parse_backfill(span, a.speed.as_deref())?)
            }
        };
        if a.arrivals == Arrivals::Poisson && matches!(rate, Rate::Max | Rate::Periodic(_)) {
            return Err(bad(
                "--arrivals",
                "poisson needs a rate; it cannot be combined with --rps max",
            ));
        }
        if a.count == Some(0) {
            return Err(bad(
                "--count",
                "must be at least 1 (omit it to run until --duration or Ctrl-C)",
            ));
        }
        let workers = match a.workers {
            Some(0) => return Err(bad("--workers", "must be at least 1")),
            Some(n) if n > 1024 => return Err(bad("--workers", "must be at most 1024")),
            Some(n) => NonZeroUsize::new(n).expect("checked"),
            None => std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN),
        };
        let aws = &a.aws;
        let destination = match (&aws.stream, &aws.stream_arn, &aws.delivery_stream) {
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
        };
        let service_max = match &destination {
            Destination::Local(_) => 1_000_000,
            Destination::Kinesis(_) => KINESIS_MAX_RECORDS as u64,
            Destination::Firehose(_) => FIREHOSE_MAX_RECORDS as u64,
        };
        let batch_size = match a.batch_size {
            None => NonZeroUsize::new(service_max.min(DEFAULT_LOCAL_BATCH as u64) as usize).expect("non-zero"),
            Some(n) if (1..=service_max).contains(&n) => NonZeroUsize::new(n as usize).expect("checked"),
            Some(_) => {
                return Err(bad(
                    "--batch-size",
                    format!("must be between 1 and {service_max} for this destination"),
                ))
            }
        };
        if !destination.is_remote() {
            for (set, flag) in [
                (aws.partition_key.is_some(), "--partition-key"),
                (aws.explicit_hash_key.is_some(), "--explicit-hash-key"),
                (aws.conn.endpoint_url.is_some(), "--endpoint-url"),
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
        let verify = if aws.verify || aws.verify_s3.is_some() {
            let s3 = match (&destination, &aws.verify_s3) {
                (Destination::Kinesis(_), _) => None,
                (Destination::Firehose(_), Some(url)) => {
                    let rest = url
                        .strip_prefix("s3://")
                        .filter(|r| !r.is_empty())
                        .ok_or_else(|| bad("--verify-s3", format!("`{url}` is not s3://bucket/prefix")))?;
                    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
                    Some((bucket.to_string(), prefix.to_string()))
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
            Some(Verify {
                field,
                timeout: aws.verify_timeout,
                s3,
            })
        } else {
            None
        };
        let max_in_flight = match aws.max_in_flight {
            0 => return Err(bad("--max-in-flight", "must be at least 1")),
            n if n > 4096 => return Err(bad("--max-in-flight", "must be at most 4096")),
            n => NonZeroUsize::new(n).expect("checked"),
        };
        if aws.max_attempts == 0 {
            return Err(bad("--max-attempts", "must be at least 1"));
        }
        let linger = aws.linger.unwrap_or(if destination.is_remote() {
            DEFAULT_AWS_LINGER
        } else {
            DEFAULT_LOCAL_LINGER
        });
        let retry = RetryPolicy {
            max_attempts: aws.max_attempts,
            budget: aws.retry_timeout,
            ..RetryPolicy::default()
        };
        if matches!(rate, Rate::Max) && a.pacing == Pacing::Burst {
            return Err(bad(
                "--pacing",
                "burst needs a rate; it cannot be combined with --rps max",
            ));
        }
        if let Destination::Local(SinkSpec::File(p)) = &destination {
            check_parent(p, "--sink")?;
        }
        for (p, flag) in [
            (&a.report_json, "--report-json"),
            (&a.timeline, "--timeline"),
            (&a.report_html, "--report-html"),
        ] {
            if let Some(p) = p {
                check_parent(p, flag)?;
            }
        }
        if destination == Destination::Local(SinkSpec::Stdout)
            && a.report_json.as_deref() == Some(std::path::Path::new("-"))
        {
            return Err(bad(
                "--report-json",
                "cannot write to stdout while records go there; give a file",
            ));
        }
        let aggregate = match a.aggregate {
            None | Some(1) => None,
            Some(0) => return Err(bad("--aggregate", "must be at least 1")),
            Some(_) if !destination.is_remote() => {
                return Err(bad(
                    "--aggregate",
                    "packs records for --stream or --delivery-stream; local sinks write one record per line",
                ))
            }
            Some(n) => NonZeroUsize::new(n as usize),
        };
        Ok(RunConfig {
            template,
            mix,
            replay,
            duplicates,
            aggregate,
            rate,
            count: match (a.count, instance) {
                (Some(c), Some(inst)) => Some(inst.share(c)),
                (c, _) => c,
            },
            duration: a.duration,
            workers,
            destination,
            aws: AwsOptions::from(&aws.conn),
            partition_key: aws.partition_key.clone(),
            explicit_hash_key: aws.explicit_hash_key.clone(),
            max_in_flight,
            linger,
            retry,
            gzip: aws.gzip,
            verify,
            preflight: match (aws.no_preflight, aws.strict_preflight) {
                (true, _) => crate::sink::aws::Preflight::Skip,
                (_, true) => crate::sink::aws::Preflight::Strict,
                _ => crate::sink::aws::Preflight::Lenient,
            },
            newline: !a.no_newline,
            pacing: a.pacing,
            arrivals: a.arrivals,
            backfill,
            batch_size,
            quiet: a.quiet,
            report_json: a.report_json.clone(),
            timeline: a.timeline.clone(),
            report_html: a.report_html.clone(),
            instance,
            start_at_ms,
            threshold_exprs: a.thresholds.clone(),
            thresholds,
        })
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
            Ok(v) if v > 0.0 && v.is_finite() => Some(v),
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

    fn config(args: &[&str]) -> Result<RunConfig, ConfigError> {
        let cli = Cli::try_parse_from(["kdg", "run", "t.hbs"].iter().chain(args)).expect("parses");
        let Command::Run(r) = cli.command else { panic!("run") };
        RunConfig::from_args(&r)
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
        assert_eq!((k.batch_size.get(), k.linger), (500, DEFAULT_AWS_LINGER));
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
        assert!(matches!(r.rate, Rate::Profile(Profile::Ramp { .. })));
        assert_eq!(config(&["--instance", "4/4"]).unwrap_err().flag, "--instance");
        assert!(config(&["--threshold", "p99<2x"])
            .unwrap_err()
            .to_string()
            .contains("column 5"));
        assert_eq!(config(&["--start-at", "soon"]).unwrap_err().flag, "--start-at");
        let i = config(&["--rps", "1000", "-n", "10", "--instance", "1/3"]).unwrap();
        assert_eq!((i.rate.clone(), i.count), (Rate::PerSecond(1000.0 / 3.0), Some(3)));
        let c = config(&["--rps", "2k", "-n", "10", "--seed", "5", "--tz", "UTC", "--no-newline"]).unwrap();
        assert_eq!(
            (c.rate, c.count, c.template.seed, c.newline),
            (Rate::PerSecond(2000.0), Some(10), 5, false)
        );
    }

    #[test]
    fn mix_replay_and_duplicates_are_validated() {
        let c = config(&["--mix", "b.hbs=3", "--mix", "c.hbs", "--duplicates", "2%"]).unwrap();
        assert_eq!(c.mix, [(PathBuf::from("b.hbs"), 3.0), (PathBuf::from("c.hbs"), 1.0)]);
        assert!((c.duplicates - 0.02).abs() < 1e-12);
        for bad_mix in ["b.hbs=0", "b.hbs=-1", "b.hbs=x", ""] {
            assert_eq!(config(&["--mix", bad_mix]).unwrap_err().flag, "--mix", "{bad_mix}");
        }
        for bad_share in ["2", "-0.1", "150%", "lots"] {
            assert_eq!(config(&["--duplicates", bad_share]).unwrap_err().flag, "--duplicates");
        }
        let r = config(&["--from", "rows.csv", "--loop", "--on-bad-row", "skip"]).unwrap();
        let spec = r.replay.expect("replay");
        assert_eq!(
            (spec.format, spec.looped, spec.on_bad_row),
            (crate::replay::Format::Csv, true, crate::replay::OnBadRow::Skip)
        );
        let e = config(&["--from", "rows.txt"]).unwrap_err();
        assert!(e.flag == "--from" && e.message.contains(".csv"), "{e}");
    }
}
