//! What the Kinesis and Firehose sinks share: SDK configuration, error classification and the
//! retry loop that kdg owns.
//!
//! The SDK's own retries are switched off, so every throttle and failure is seen and counted
//! here. A batch is cut into requests by record count and bytes; records larger than the
//! service allows are rejected before sending. Entries that fail inside a 200 response with a
//! retryable code, and whole requests that are throttled, time out or get a 5xx, are retried —
//! only those entries — with full-jitter exponential backoff, until the per-record budget
//! (attempts and time) runs out; then they count as failed under their last error code.
//! Only this module and its two siblings know the SDK's types.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_kinesis::error::{ProvideErrorMetadata, SdkError};
use rand::RngExt;
use tokio::time::Instant;

use super::{Batch, Cutoff, Delivery, DRAIN_TIMEOUT};

/// Where and as whom to talk to AWS.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct AwsOptions {
    /// `--region`; else the default chain (AWS_REGION, profile).
    pub region: Option<String>,
    /// `--profile`; else AWS_PROFILE or `default`.
    pub profile: Option<String>,
    /// `--endpoint-url`, for LocalStack, kinesalite, moto.
    pub endpoint_url: Option<String>,
}

/// A problem found before any record is sent.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// No region anywhere in the chain.
    #[error("no AWS region: pass --region or set AWS_REGION")]
    NoRegion,
    /// `--profile` or `AWS_PROFILE` names a profile that neither AWS file has.
    #[error("the AWS profile `{name}` was not found in {files} ({known}); name one that exists with --profile or AWS_PROFILE")]
    NoProfile {
        /// The profile asked for.
        name: String,
        /// The files looked in.
        files: String,
        /// The profiles they have.
        known: String,
    },
    /// The profile in use has no region, and neither has the command line nor the environment.
    #[error(
        "the AWS profile `{name}` has no region (in {file}): add `region = …` to it, pass --region or set AWS_REGION"
    )]
    NoRegionInProfile {
        /// The profile.
        name: String,
        /// The config file looked in.
        file: String,
    },
    /// The profile's `credential_process` failed.
    #[error("the credential_process of the AWS profile `{name}` failed ({cause}): fix the command in {file}, or use another profile")]
    CredentialProcess {
        /// The profile.
        name: String,
        /// What the SDK said (the command's exit status and standard error, secrets redacted).
        cause: String,
        /// The config file that holds it.
        file: String,
    },
    /// The credential chain found nothing usable.
    #[error("no AWS credentials ({0}): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, use AWS_PROFILE or --profile, or run where an instance role is available")]
    NoCredentials(String),
    /// The stream or delivery stream is not there.
    #[error("{0}")]
    NotFound(String),
    /// The credentials may not describe it.
    #[error("{0}")]
    AccessDenied(String),
    /// The endpoint did not answer: refused, timed out, no route.
    #[error(
        "cannot reach the {service} endpoint {endpoint} ({cause}): check --endpoint-url, --region and the network"
    )]
    Unreachable {
        /// `Kinesis`, `Firehose`.
        service: &'static str,
        /// The URL it was sent to: `--endpoint-url`, or the regional AWS one.
        endpoint: String,
        /// Why, as the connection said it.
        cause: String,
    },
    /// Anything else.
    #[error("{0}")]
    Other(String),
}

/// Load the SDK configuration with kdg's settings: no SDK retries (kdg retries and counts),
/// bounded connect and attempt timeouts, and credentials checked now rather than mid-run.
///
/// # Errors
/// No region, or no credentials.
pub async fn load(opts: &AwsOptions) -> Result<SdkConfig, SetupError> {
    let profile = check_profile(opts.profile.as_deref()).await?;
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(3))
                .operation_attempt_timeout(Duration::from_secs(30))
                .build(),
        );
    if let Some(r) = &opts.region {
        loader = loader.region(Region::new(r.clone()));
    }
    if let Some(p) = &opts.profile {
        loader = loader.profile_name(p);
    }
    if let Some(u) = &opts.endpoint_url {
        loader = loader.endpoint_url(u);
    }
    let conf = loader.load().await;
    if conf.region().is_none() {
        return Err(match profile {
            Some(p) => SetupError::NoRegionInProfile {
                name: p.name,
                file: config_file(),
            },
            None => SetupError::NoRegion,
        });
    }
    let provider = conf
        .credentials_provider()
        .ok_or_else(|| SetupError::NoCredentials("no provider".into()))?;
    provider.provide_credentials().await.map_err(|e| {
        // The whole chain of causes: the top one alone says only that loading failed.
        // The whole chain: the top error alone says only that loading failed.
        let cause = error_chain(&e);
        match profile {
            Some(p) if p.credential_process => SetupError::CredentialProcess {
                name: p.name,
                cause,
                file: config_file(),
            },
            _ => SetupError::NoCredentials(cause),
        }
    })?;
    Ok(conf)
}

/// An error and its causes, each said once, on one line, secrets redacted: the SDK's top-level
/// errors say only what failed ("dispatch failure", "an error occurred while loading
/// credentials"), their sources say why ("Connection refused", the command's stderr).
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut causes = vec![e.to_string()];
    let mut source = e.source();
    while let Some(err) = source {
        let text = err.to_string();
        if !causes.iter().any(|c| c.contains(&text)) {
            causes.push(text);
        }
        source = err.source();
    }
    let line = causes.join(": ").split_whitespace().collect::<Vec<_>>().join(" ");
    crate::redact::redact(&line).into_owned()
}

/// The endpoint a client of `conf` talks to for the service whose endpoint prefix is `prefix`
/// (`kinesis`, `firehose`): `--endpoint-url`, else the service's regional endpoint.
pub(super) fn endpoint_of(conf: &SdkConfig, prefix: &str) -> String {
    match conf.endpoint_url() {
        Some(url) => crate::redact::redact(url).into_owned(),
        None => format!(
            "https://{prefix}.{}.amazonaws.com",
            conf.region().map_or("?", |r| r.as_ref())
        ),
    }
}

/// The profile a run uses, as the AWS config files describe it.
struct ProfileInUse {
    name: String,
    /// Whether it gets its credentials from a `credential_process`.
    credential_process: bool,
}

/// The AWS config file the SDK reads (`AWS_CONFIG_FILE`, else `~/.aws/config`).
fn config_file() -> String {
    std::env::var("AWS_CONFIG_FILE").unwrap_or_else(|_| "~/.aws/config".to_string())
}

/// The profile that `flag` (`--profile`) or `AWS_PROFILE` names must exist: without this check
/// the SDK goes on without it and the user hears of a missing region or credentials instead.
/// Returns the profile in use (the named one, else `default` if the files have it).
async fn check_profile(flag: Option<&str>) -> Result<Option<ProfileInUse>, SetupError> {
    let env = std::env::var("AWS_PROFILE").ok();
    let named = flag.or(env.as_deref()).filter(|p| !p.is_empty());
    let name = named.unwrap_or("default");
    let profiles = aws_config::profile::load(
        &aws_types::os_shim_internal::Fs::real(),
        &aws_types::os_shim_internal::Env::real(),
        &aws_runtime::env_config::file::EnvConfigFiles::default(),
        Some(name.to_string().into()),
    )
    .await
    .map_err(|e| SetupError::Other(format!("reading the AWS config files: {e}")))?;
    if let Some(p) = profiles.get_profile(name) {
        return Ok(Some(ProfileInUse {
            name: name.to_string(),
            credential_process: p.get("credential_process").is_some(),
        }));
    }
    if named.is_none() {
        return Ok(None);
    }
    let file = |var: &str, default: &str| std::env::var(var).unwrap_or_else(|_| default.to_string());
    let mut known: Vec<&str> = profiles.profiles().collect();
    known.sort_unstable();
    Err(SetupError::NoProfile {
        name: name.to_string(),
        files: format!(
            "{} or {}",
            file("AWS_CONFIG_FILE", "~/.aws/config"),
            file("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials")
        ),
        known: if known.is_empty() {
            "they have no profiles".to_string()
        } else {
            format!("they have: {}", known.join(", "))
        },
    })
}

/// How much checking happens before the load starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Preflight {
    /// Describe the destination; a missing permission to describe it is only a warning.
    #[default]
    Lenient,
    /// Describe it; any failure stops the run.
    Strict,
    /// Do not describe it (credentials and region are still checked).
    Skip,
}

impl Preflight {
    /// Run `describe` as this mode says: not at all, failing on any error, or (lenient) turning a
    /// missing permission into a warning. Returns what was learned and the warning, if any.
    ///
    /// # Errors
    /// What `describe` returned, except a lenient access denial.
    pub async fn describe<T>(
        self,
        describe: impl std::future::Future<Output = Result<T, SetupError>>,
    ) -> Result<(Option<T>, Option<String>), SetupError> {
        if self == Preflight::Skip {
            return Ok((None, None));
        }
        match describe.await {
            Ok(info) => Ok((Some(info), None)),
            Err(SetupError::AccessDenied(msg)) if self == Preflight::Lenient => Ok((
                None,
                Some(format!(
                    "{msg}; continuing without pre-flight checks (--strict-preflight makes this an error)"
                )),
            )),
            Err(e) => Err(e),
        }
    }
}

/// How a failed request is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// The service said "slow down": retry, and count as throttled.
    Throttled,
    /// A transient failure (5xx, timeout, connection): retry.
    Retriable,
    /// Retrying cannot help (validation, not found, access denied).
    Fatal,
}

/// A failed request, classified at the SDK boundary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestError {
    /// The stable error key: the AWS error code, or `transport:…`.
    pub code: String,
    /// What to do about it.
    pub class: ErrorClass,
    /// The service's message, if any.
    pub message: String,
}

/// Error codes that mean "over the limit".
pub const THROTTLE_CODES: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "Throttling",
    "LimitExceededException",
    "KMSThrottlingException",
    "ServiceUnavailableException",
    "SlowDown",
];

/// Per-entry error codes worth retrying.
pub const RETRYABLE_ENTRY_CODES: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "InternalFailure",
    "ServiceUnavailableException",
    "KMSThrottlingException",
];

/// Classify an SDK error into a stable code and what to do about it.
pub fn classify<E: ProvideErrorMetadata>(e: &SdkError<E>) -> RequestError {
    let (code, class, message) = match e {
        SdkError::ServiceError(se) => {
            let code = se.err().code().unwrap_or("UnknownError").to_string();
            let status = se.raw().status().as_u16();
            let class = if THROTTLE_CODES.contains(&code.as_str()) || status == 429 {
                ErrorClass::Throttled
            } else if status >= 500 {
                ErrorClass::Retriable
            } else {
                ErrorClass::Fatal
            };
            (code, class, se.err().message().unwrap_or_default().to_string())
        }
        SdkError::TimeoutError(_) => (
            "transport:timeout".into(),
            ErrorClass::Retriable,
            "request timed out".into(),
        ),
        SdkError::DispatchFailure(d) => {
            let msg = d
                .as_connector_error()
                .map_or_else(|| "the request was not sent".to_string(), |c| error_chain(c));
            ("transport:dispatch".into(), ErrorClass::Retriable, msg)
        }
        SdkError::ResponseError(_) => (
            "transport:response".into(),
            ErrorClass::Retriable,
            "unreadable response".into(),
        ),
        _ => (
            "sdk:construction".into(),
            ErrorClass::Fatal,
            "could not build the request".into(),
        ),
    };
    RequestError { code, class, message }
}

/// One entry's result inside a successful response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// Accepted, on this shard (Kinesis).
    Ok {
        /// The shard that took it.
        shard: Option<String>,
    },
    /// Rejected with an error code.
    Failed {
        /// The error code.
        code: String,
        /// The message; for Kinesis throttles it names the shard.
        message: String,
    },
}

impl Entry {
    /// One entry of a response, from its error code and message (an absent or empty code means
    /// accepted) and, for Kinesis, the shard that took it.
    pub fn of(code: Option<&str>, message: Option<&str>, shard: Option<&str>) -> Entry {
        match code {
            None | Some("") => Entry::Ok {
                shard: shard.map(str::to_string),
            },
            Some(code) => Entry::Failed {
                code: code.to_string(),
                message: message.unwrap_or_default().to_string(),
            },
        }
    }
}

/// How long and how often kdg retries a record.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct RetryPolicy {
    /// Most attempts per record, the first included.
    pub max_attempts: u32,
    /// First backoff ceiling; it doubles per attempt.
    #[serde(rename = "base_ms", serialize_with = "crate::units::ms")]
    pub base: Duration,
    /// Largest backoff ceiling.
    #[serde(rename = "cap_ms", serialize_with = "crate::units::ms")]
    pub cap: Duration,
    /// Give up on a record after this long.
    #[serde(rename = "budget_ms", serialize_with = "crate::units::ms")]
    pub budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 10,
            base: Duration::from_millis(100),
            cap: Duration::from_secs(5),
            budget: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// Full-jitter backoff before attempt `attempt + 1` (`attempt` >= 1).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self.base.saturating_mul(1u32 << attempt.min(20)).min(self.cap);
        ceiling.mul_f64(rand::rng().random::<f64>())
    }
}

/// A service that takes batches of records: Kinesis `PutRecords` or Firehose `PutRecordBatch`.
pub trait Service: Send + Sync {
    /// Most records per request.
    const MAX_RECORDS: usize;
    /// Most bytes per request.
    const MAX_REQUEST_BYTES: usize;
    /// Most bytes per record.
    const MAX_RECORD_BYTES: usize;

    /// Bytes record `i` counts against the limits (Kinesis: data plus partition key).
    fn size(&self, batch: &Batch, i: usize) -> usize;

    /// Why record `i` cannot be sent at all, if it cannot (besides its size).
    fn invalid(&self, _batch: &Batch, _i: usize) -> Option<&'static str> {
        None
    }

    /// Send records `which` of `batch` in one request.
    fn put(&self, batch: &Batch, which: &[u32]) -> impl Future<Output = Result<Vec<Entry>, RequestError>> + Send;
}

/// The shard named in a Kinesis throttling message: "Rate exceeded for shard shardId-000000000001 in stream …".
pub fn shard_in_message(message: &str) -> Option<&str> {
    let rest = &message[message.find("shard ")? + 6..];
    let end = rest
        .find(|c: char| c.is_whitespace() || c == ',' || c == '.')
        .unwrap_or(rest.len());
    (end > 0).then(|| &rest[..end])
}

/// Send a batch with kdg's retries, and account for every record: entries still waiting for
/// an answer or a retry at `cutoff` fail as [`DRAIN_TIMEOUT`].
pub async fn send<S: Service>(svc: &S, batch: &Batch, policy: &RetryPolicy, cutoff: &Cutoff) -> Delivery {
    let start = Instant::now();
    let mut out = Delivery::default();
    let mut pending: Vec<u32> = Vec::with_capacity(batch.len());
    for i in 0..batch.len() {
        if svc.size(batch, i) > S::MAX_RECORD_BYTES {
            out.reject("RecordTooLarge");
        } else if let Some(why) = svc.invalid(batch, i) {
            out.reject(why);
        } else {
            pending.push(i as u32);
        }
    }
    let mut attempt = 0u32;
    let mut shards: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    'rounds: while !pending.is_empty() {
        let mut retry: Vec<(u32, String)> = Vec::new();
        let round = chunks(svc, batch, &pending);
        for (c, chunk) in round.iter().enumerate() {
            out.requests += 1;
            let answer = tokio::select! {
                answer = svc.put(batch, chunk) => answer,
                () = cutoff.passed() => {
                    let unanswered: usize = round[c..].iter().map(|c| c.len()).sum();
                    out.fail(DRAIN_TIMEOUT, (unanswered + retry.len()) as u64);
                    break 'rounds;
                }
            };
            match answer {
                Ok(entries) => {
                    let now = Instant::now();
                    let mut acked = Vec::with_capacity(chunk.len());
                    for (k, &i) in chunk.iter().enumerate() {
                        match entries.get(k) {
                            Some(Entry::Ok { shard }) => {
                                acked.push(i);
                                out.delivered += 1;
                                out.bytes += batch.record(i as usize).len() as u64;
                                if let Some(s) = shard {
                                    shards.entry(s.clone()).or_default().0 += 1;
                                }
                            }
                            Some(Entry::Failed { code, message }) => {
                                if THROTTLE_CODES.contains(&code.as_str()) {
                                    out.throttled += 1;
                                    if let Some(s) = shard_in_message(message) {
                                        shards.entry(s.to_string()).or_default().1 += 1;
                                    }
                                }
                                if RETRYABLE_ENTRY_CODES.contains(&code.as_str()) {
                                    retry.push((i, code.clone()));
                                } else {
                                    out.fail(code, 1);
                                }
                            }
                            None => out.fail("MalformedResponse", 1),
                        }
                    }
                    if !acked.is_empty() {
                        out.acked.push((now, acked));
                    }
                }
                Err(e) => {
                    if e.class == ErrorClass::Throttled {
                        out.throttled += chunk.len() as u64;
                    }
                    if e.class == ErrorClass::Fatal {
                        out.fail(&e.code, chunk.len() as u64);
                    } else {
                        retry.extend(chunk.iter().map(|i| (*i, e.code.clone())));
                    }
                }
            }
        }
        attempt += 1;
        if retry.is_empty() {
            break;
        }
        if attempt >= policy.max_attempts || start.elapsed() >= policy.budget {
            for (_, code) in &retry {
                out.fail(code, 1);
            }
            break;
        }
        out.retried += retry.len() as u64;
        tokio::select! {
            () = tokio::time::sleep(policy.backoff(attempt)) => {}
            () = cutoff.passed() => {
                out.fail(DRAIN_TIMEOUT, retry.len() as u64);
                break;
            }
        }
        pending = retry.into_iter().map(|(i, _)| i).collect();
    }
    out.shards = shards.into_iter().map(|(k, (a, t))| (k, a, t)).collect();
    out
}

/// Cut `pending` into requests within the service's count and byte limits.
fn chunks<'a, S: Service>(svc: &S, batch: &Batch, pending: &'a [u32]) -> Vec<&'a [u32]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (k, &i) in pending.iter().enumerate() {
        let size = svc.size(batch, i as usize);
        if k > start && (k - start >= S::MAX_RECORDS || bytes + size > S::MAX_REQUEST_BYTES) {
            out.push(&pending[start..k]);
            start = k;
            bytes = 0;
        }
        bytes += size;
    }
    if start < pending.len() {
        out.push(&pending[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A scripted service: answers each request from a list of scripts, recording what it got.
    struct Fake {
        scripts: Mutex<Vec<Result<Vec<Entry>, RequestError>>>,
        seen: Mutex<Vec<Vec<u32>>>,
    }

    impl Service for Fake {
        const MAX_RECORDS: usize = 3;
        const MAX_REQUEST_BYTES: usize = 10;
        const MAX_RECORD_BYTES: usize = 6;
        fn size(&self, batch: &Batch, i: usize) -> usize {
            batch.record(i).len()
        }
        async fn put(&self, _: &Batch, which: &[u32]) -> Result<Vec<Entry>, RequestError> {
            self.seen.lock().unwrap().push(which.to_vec());
            let mut s = self.scripts.lock().unwrap();
            if s.is_empty() {
                Ok(which
                    .iter()
                    .map(|_| Entry::Ok {
                        shard: Some("shardId-0".into()),
                    })
                    .collect())
            } else {
                s.remove(0)
            }
        }
    }

    fn batch(sizes: &[usize]) -> Batch {
        let mut b = Batch::default();
        for s in sizes {
            b.data.extend(std::iter::repeat_n(b'x', *s));
            b.end_record();
        }
        b
    }

    fn fake(scripts: Vec<Result<Vec<Entry>, RequestError>>) -> Fake {
        Fake {
            scripts: Mutex::new(scripts),
            seen: Mutex::new(Vec::new()),
        }
    }

    fn fast() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 3,
            base: Duration::from_millis(1),
            cap: Duration::from_millis(2),
            budget: Duration::from_secs(60),
        }
    }

    fn ptee(shard: &str) -> Entry {
        Entry::Failed {
            code: "ProvisionedThroughputExceededException".into(),
            message: format!("Rate exceeded for shard {shard} in stream s under account 1."),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn requests_respect_count_and_byte_limits_and_oversize_records_are_rejected() {
        let f = fake(vec![]);
        let out = send(&f, &batch(&[2, 2, 2, 2, 7, 5, 5]), &fast(), &Cutoff::never()).await;
        assert_eq!(*f.seen.lock().unwrap(), vec![vec![0, 1, 2], vec![3, 5], vec![6]]);
        assert_eq!(out.delivered, 6);
        assert_eq!(out.rejected, vec![("RecordTooLarge".to_string(), 1)]);
        assert_eq!(out.shards, vec![("shardId-0".to_string(), 6, 0)]);
    }

    #[tokio::test(start_paused = true)]
    async fn partial_failure_resends_only_failed_entries() {
        let ok = || Entry::Ok {
            shard: Some("shardId-1".into()),
        };
        let f = fake(vec![Ok(vec![ok(), ptee("shardId-7"), ok()])]);
        let out = send(&f, &batch(&[1, 1, 1]), &fast(), &Cutoff::never()).await;
        assert_eq!(*f.seen.lock().unwrap(), vec![vec![0, 1, 2], vec![1]]);
        assert_eq!((out.delivered, out.throttled, out.retried, out.requests), (3, 1, 1, 2));
        assert!(out.failed.is_empty());
        assert_eq!(out.acked.len(), 2);
        assert!(out.shards.contains(&("shardId-7".to_string(), 0, 1)));
    }

    #[tokio::test(start_paused = true)]
    async fn records_that_exhaust_their_budget_are_failed_by_code() {
        let throttle = || {
            Err(RequestError {
                code: "ProvisionedThroughputExceededException".into(),
                class: ErrorClass::Throttled,
                message: String::new(),
            })
        };
        let f = fake(vec![throttle(), throttle(), throttle()]);
        let out = send(&f, &batch(&[1, 1]), &fast(), &Cutoff::never()).await;
        assert_eq!(out.delivered, 0);
        assert_eq!(
            out.failed,
            vec![("ProvisionedThroughputExceededException".to_string(), 2)]
        );
        assert_eq!((out.throttled, out.retried, out.requests), (6, 4, 3));
    }

    #[tokio::test(start_paused = true)]
    async fn entries_still_retrying_at_the_cutoff_fail_as_drain_timeout_and_the_rest_stay_counted() {
        let ok = || Entry::Ok { shard: None };
        // Record 0 is accepted at once; records 1 and 2 are throttled on every attempt.
        let mut scripts = vec![Ok(vec![ok(), ptee("shardId-1"), ptee("shardId-1")])];
        scripts.extend((0..50).map(|_| Ok(vec![ptee("shardId-1"), ptee("shardId-1")])));
        let f = fake(scripts);
        let slow = RetryPolicy {
            max_attempts: 100,
            base: Duration::from_secs(1),
            cap: Duration::from_secs(1),
            budget: Duration::from_secs(600),
        };
        let (set, cutoff) = Cutoff::new();
        set.send(Some(Instant::now() + Duration::from_secs(5))).unwrap();
        let started = Instant::now();
        let out = send(&f, &batch(&[1, 1, 1]), &slow, &cutoff).await;
        assert!(started.elapsed() <= Duration::from_secs(5), "{:?}", started.elapsed());
        assert_eq!(out.delivered, 1);
        assert_eq!(out.failed, vec![(DRAIN_TIMEOUT.to_string(), 2)]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_unanswered_at_the_cutoff_fails_its_entries_and_the_ones_not_yet_sent() {
        /// Never answers.
        struct Stalled;
        impl Service for Stalled {
            const MAX_RECORDS: usize = 2;
            const MAX_REQUEST_BYTES: usize = 100;
            const MAX_RECORD_BYTES: usize = 10;
            fn size(&self, batch: &Batch, i: usize) -> usize {
                batch.record(i).len()
            }
            async fn put(&self, _: &Batch, _: &[u32]) -> Result<Vec<Entry>, RequestError> {
                std::future::pending().await
            }
        }
        let (set, cutoff) = Cutoff::new();
        set.send(Some(Instant::now() + Duration::from_secs(3))).unwrap();
        let out = send(&Stalled, &batch(&[1, 1, 1, 1, 1]), &fast(), &cutoff).await;
        assert_eq!((out.delivered, out.requests), (0, 1));
        assert_eq!(out.failed, vec![(DRAIN_TIMEOUT.to_string(), 5)]);
    }

    #[tokio::test(start_paused = true)]
    async fn fatal_errors_are_not_retried() {
        let f = fake(vec![Err(RequestError {
            code: "ResourceNotFoundException".into(),
            class: ErrorClass::Fatal,
            message: String::new(),
        })]);
        let out = send(&f, &batch(&[1]), &fast(), &Cutoff::never()).await;
        assert_eq!(f.seen.lock().unwrap().len(), 1);
        assert_eq!(out.failed, vec![("ResourceNotFoundException".to_string(), 1)]);
    }

    #[test]
    fn shard_is_read_from_throttling_messages() {
        let m = "Rate exceeded for shard shardId-000000000003 in stream prices under account 000000000000.";
        assert_eq!(shard_in_message(m), Some("shardId-000000000003"));
        assert_eq!(shard_in_message("Slow down."), None);
    }

    #[test]
    fn backoff_is_full_jitter_under_a_doubling_ceiling() {
        let p = RetryPolicy::default();
        for attempt in 1..12 {
            let ceiling = p.base.saturating_mul(1 << attempt).min(p.cap);
            assert!(p.backoff(attempt) <= ceiling);
        }
    }
}
