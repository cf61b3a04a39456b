//! `kdg run --verify`: read the stream back and prove what arrived.
//!
//! Every record of the run carries a marker, `RUNID-N` (in a JSON field, or in the partition key
//! `kdg-RUNID-N` for records that are not JSON objects). After the run every shard is read from
//! shortly before the run started until each acknowledged record has been seen or the timeout
//! passes. Records are delivered (seen), missing (acknowledged, never seen), duplicated (seen more
//! than once: retries after a timeout can write a record twice) or foreign (no marker of this run).
//! Success is never claimed on partial evidence: a record not seen by the deadline is missing.
//!
//! The read-back is bounded: it ends at `--verify-timeout` even when the endpoint stalls (a
//! request still unanswered [`STALL_GRACE`] past the deadline is abandoned), on the stop signal,
//! or on an error, and then reports what it found as *incomplete*, with the reason; the run's
//! own report is never lost to its last phase.

use std::collections::HashMap;
use std::time::Duration;

use crate::report::VerifySummary;
use crate::stats::Latency;
use aws_sdk_kinesis::types::ShardIteratorType;
use aws_sdk_kinesis::Client;

/// How long past the deadline an unanswered read-back request may take before the read-back is
/// abandoned as stalled.
pub const STALL_GRACE: Duration = Duration::from_secs(1);

/// Run `read` (which stops by itself at `deadline`), but give up when it stalls past the
/// deadline or `stop` resolves: why the read-back is incomplete, if it is.
async fn bounded(
    deadline: tokio::time::Instant,
    stop: impl std::future::Future<Output = ()>,
    read: impl std::future::Future<Output = anyhow::Result<()>>,
) -> Option<String> {
    tokio::select! {
        r = read => r.err().map(|e| format!("{e:#}")),
        () = tokio::time::sleep_until(deadline + STALL_GRACE) => {
            Some("the endpoint stopped answering: the read-back was cut off at --verify-timeout".to_string())
        }
        () = stop => Some("stopped by a signal".to_string()),
    }
}

/// The marker of record `n`, if `data`/`key` carry one of run `run_id`. `Err(())`: foreign.
fn marker(data: &[u8], key: &str, field: Option<&str>, run_id: &str) -> Result<u64, ()> {
    let parse = |text: &str| -> Option<u64> {
        let (id, n) = text.rsplit_once('-')?;
        (id == run_id).then(|| n.parse().ok()).flatten()
    };
    if let Some(rest) = key.strip_prefix("kdg-") {
        if let Some(n) = parse(rest) {
            return Ok(n);
        }
    }
    if let Some(field) = field {
        let needle = format!("\"{field}\":\"");
        let text = String::from_utf8_lossy(data);
        if let Some(at) = text.find(&needle) {
            let value = text[at + needle.len()..].split('"').next().unwrap_or_default();
            return parse(value).ok_or(());
        }
    }
    Err(())
}

/// Accounts for records as they are read back.
struct Tally<'a> {
    acked: &'a [(u64, i64)],
    sent_at: HashMap<u64, i64>,
    seen: HashMap<u64, u32>,
    unseen: usize,
    summary: VerifySummary,
    arrival: Latency,
    readable: Latency,
    started: std::time::Instant,
}

impl<'a> Tally<'a> {
    fn new(acked: &'a [(u64, i64)]) -> Tally<'a> {
        let seen: HashMap<u64, u32> = acked.iter().map(|(n, _)| (*n, 0)).collect();
        let summary = VerifySummary {
            acknowledged: seen.len() as u64,
            ..VerifySummary::default()
        };
        Tally {
            acked,
            sent_at: acked.iter().copied().collect(),
            unseen: seen.len(),
            seen,
            summary,
            arrival: Latency::new(),
            readable: Latency::new(),
            started: std::time::Instant::now(),
        }
    }

    /// One record read back: its marker (or `Err` for a foreign record) and, if known, when it arrived.
    fn observe(&mut self, marker: Result<u64, ()>, arrival_ms: Option<i64>) {
        self.summary.read += 1;
        let Ok(n) = marker else {
            self.summary.foreign += 1;
            return;
        };
        let ms = |d: i64| Duration::from_millis(d.max(0) as u64);
        match self.seen.get_mut(&n) {
            Some(count) => {
                *count += 1;
                if *count > 1 {
                    self.summary.duplicated += 1;
                    return;
                }
                self.unseen -= 1;
                let sent = self.sent_at.get(&n).copied().unwrap_or_default();
                if let Some(at) = arrival_ms {
                    self.arrival.record(ms(at - sent));
                }
                self.readable.record(ms(jiff::Timestamp::now().as_millisecond() - sent));
            }
            // Ours but never acknowledged (a request that timed out after writing).
            None => {
                self.seen.insert(n, 1);
            }
        }
    }

    fn finish(mut self, incomplete: Option<String>) -> VerifySummary {
        self.summary.incomplete = incomplete;
        self.summary.arrival = self.arrival.summary();
        self.summary.readable = self.readable.summary();
        self.summary.read_back_ms = crate::units::duration_ms(self.started.elapsed());
        let mut missing: Vec<u64> = self
            .acked
            .iter()
            .map(|(n, _)| *n)
            .filter(|n| self.seen.get(n) == Some(&0))
            .collect();
        missing.sort_unstable();
        self.summary.missing = missing.len() as u64;
        self.summary.delivered = self.summary.acknowledged - self.summary.missing;
        self.summary.missing_examples = missing.into_iter().take(10).collect();
        self.summary
    }
}

/// Read the objects under `s3://bucket/prefix` (where a delivery stream writes) and account for
/// the `acked` records of run `run_id`, one record per line, for at most `timeout` or until
/// `stop`. A listing or read that fails makes the summary incomplete.
#[allow(clippy::too_many_arguments)]
pub async fn verify_s3(
    conf: &aws_config::SdkConfig,
    bucket: &str,
    prefix: &str,
    run_id: &str,
    field: &str,
    acked: &[(u64, i64)],
    timeout: Duration,
    stop: impl std::future::Future<Output = ()>,
) -> VerifySummary {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut tally = Tally::new(acked);
    let incomplete = bounded(
        deadline,
        stop,
        read_s3(conf, bucket, prefix, run_id, field, deadline, &mut tally),
    )
    .await;
    tally.finish(incomplete)
}

async fn read_s3(
    conf: &aws_config::SdkConfig,
    bucket: &str,
    prefix: &str,
    run_id: &str,
    field: &str,
    deadline: tokio::time::Instant,
    tally: &mut Tally<'_>,
) -> anyhow::Result<()> {
    let s3 = crate::s3::client(conf);
    let mut read: std::collections::HashSet<String> = std::collections::HashSet::new();
    loop {
        let mut token: Option<String> = None;
        loop {
            let page = s3
                .list_objects_v2()
                .bucket(bucket)
                .prefix(prefix)
                .set_continuation_token(token.clone())
                .send()
                .await
                .map_err(|e| {
                    anyhow::anyhow!(
                        "--verify-s3: listing s3://{bucket}/{prefix} failed: {}",
                        aws_sdk_s3::error::DisplayErrorContext(&e)
                    )
                })?;
            for obj in page.contents() {
                let Some(key) = obj.key() else { continue };
                if !read.insert(key.to_string()) {
                    continue;
                }
                let body = s3
                    .get_object()
                    .bucket(bucket)
                    .key(key)
                    .send()
                    .await
                    .map_err(|e| {
                        anyhow::anyhow!(
                            "--verify-s3: reading s3://{bucket}/{key} failed: {}",
                            aws_sdk_s3::error::DisplayErrorContext(&e)
                        )
                    })?
                    .body
                    .collect()
                    .await
                    .map_err(|e| anyhow::anyhow!("--verify-s3: reading s3://{bucket}/{key} failed: {e}"))?
                    .into_bytes();
                let arrival = obj.last_modified().and_then(|t| t.to_millis().ok());
                for line in body.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                    tally.observe(marker(line, "", Some(field), run_id), arrival);
                }
            }
            token = page.next_continuation_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        if tally.unseen == 0 || tokio::time::Instant::now() >= deadline {
            return Ok(());
        }
        // Firehose delivers after its buffer interval: look again shortly.
        tokio::time::sleep_until((tokio::time::Instant::now() + Duration::from_secs(1)).min(deadline)).await;
    }
}

/// Read `stream` back from `since_ms` and account for the `acked` records of run `run_id`, for
/// at most `timeout` or until `stop`. A stream that cannot be described or read makes the
/// summary incomplete.
#[allow(clippy::too_many_arguments)]
pub async fn verify(
    client: &Client,
    stream: &str,
    run_id: &str,
    field: Option<&str>,
    acked: &[(u64, i64)],
    since_ms: i64,
    timeout: Duration,
    stop: impl std::future::Future<Output = ()>,
) -> VerifySummary {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut tally = Tally::new(acked);
    let incomplete = bounded(
        deadline,
        stop,
        read_stream(client, stream, run_id, field, since_ms, deadline, &mut tally),
    )
    .await;
    tally.finish(incomplete)
}

async fn read_stream(
    client: &Client,
    stream: &str,
    run_id: &str,
    field: Option<&str>,
    since_ms: i64,
    deadline: tokio::time::Instant,
    tally: &mut Tally<'_>,
) -> anyhow::Result<()> {
    let shards = crate::sink::kinesis::list_shards(client, stream).await?;
    let mut iterators = Vec::new();
    for s in &shards {
        let at = client
            .get_shard_iterator()
            .stream_name(stream)
            .shard_id(s.shard_id())
            .shard_iterator_type(ShardIteratorType::AtTimestamp)
            .timestamp(aws_sdk_kinesis::primitives::DateTime::from_millis(since_ms))
            .send()
            .await;
        let it = match at {
            Ok(o) => o.shard_iterator().map(str::to_string),
            // A server without AT_TIMESTAMP: read everything and count older records as foreign.
            Err(_) => client
                .get_shard_iterator()
                .stream_name(stream)
                .shard_id(s.shard_id())
                .shard_iterator_type(ShardIteratorType::TrimHorizon)
                .send()
                .await
                .map_err(|e| {
                    anyhow::anyhow!(
                        "--verify: reading shard {}: {}",
                        s.shard_id(),
                        crate::sink::aws::classify(&e).code
                    )
                })?
                .shard_iterator()
                .map(str::to_string),
        };
        iterators.extend(it);
    }
    while tally.unseen > 0 && !iterators.is_empty() && tokio::time::Instant::now() < deadline {
        let mut got_any = false;
        let mut next = Vec::with_capacity(iterators.len());
        for it in iterators.drain(..) {
            let r = match client.get_records().shard_iterator(&it).limit(10_000).send().await {
                Ok(r) => r,
                Err(e) => {
                    let e = crate::sink::aws::classify(&e);
                    if e.class == crate::sink::aws::ErrorClass::Fatal {
                        anyhow::bail!("--verify: reading the stream failed: {}: {}", e.code, e.message);
                    }
                    next.push(it);
                    continue;
                }
            };
            for rec in r.records() {
                got_any = true;
                let arrival = rec.approximate_arrival_timestamp().and_then(|t| t.to_millis().ok());
                let (data, key) = (rec.data().as_ref(), rec.partition_key().unwrap_or_default());
                // KPL aggregated records (`--aggregate`) carry several records, each with its key.
                match crate::aggregate::deaggregate(data, key) {
                    Ok(subs) => {
                        for sub in subs {
                            tally.observe(marker(sub.data, sub.partition_key, field, run_id), arrival);
                        }
                    }
                    Err(_) => tally.observe(Err(()), arrival),
                }
            }
            next.extend(r.next_shard_iterator().map(str::to_string));
        }
        iterators = next;
        if !got_any && tally.unseen > 0 {
            tokio::time::sleep_until((tokio::time::Instant::now() + Duration::from_millis(250)).min(deadline)).await;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_read_from_the_field_or_the_key() {
        assert_eq!(
            marker(br#"{"_kdg":"abc-42","x":1}"#, "123", Some("_kdg"), "abc"),
            Ok(42)
        );
        assert_eq!(marker(b"plain text", "kdg-abc-7", Some("_kdg"), "abc"), Ok(7));
        assert_eq!(marker(br#"{"_kdg":"other-42"}"#, "1", Some("_kdg"), "abc"), Err(()));
        assert_eq!(marker(b"{}", "1", Some("_kdg"), "abc"), Err(()));
        assert_eq!(marker(b"x", "kdg-abc-9", None, "abc"), Ok(9));
    }
}
