//! `kdg run --verify`: read the stream back and prove what arrived.
//!
//! Every record of the run carries a marker, `RUNID-N` (in a JSON field, or in the partition key
//! `kdg-RUNID-N` for records that are not JSON objects). After the run every shard is read from
//! shortly before the run started until each acknowledged record has been seen or the timeout
//! passes. Records are delivered (seen), missing (acknowledged, never seen), duplicated (seen more
//! than once: retries after a timeout can write a record twice) or foreign (no marker of this run).
//! Success is never claimed on partial evidence: a record not seen by the deadline is missing.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_kinesis::types::ShardIteratorType;
use aws_sdk_kinesis::Client;
use serde::{Deserialize, Serialize};

use crate::stats::{Latency, LatencySummary};

/// What reading the stream back showed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VerifySummary {
    /// Records the service acknowledged during the run.
    pub acknowledged: u64,
    /// Acknowledged records found in the stream.
    pub delivered: u64,
    /// Acknowledged records not found by the deadline.
    pub missing: u64,
    /// Extra copies of this run's records (retries after timeouts can duplicate).
    pub duplicated: u64,
    /// Records in the stream without this run's marker.
    pub foreign: u64,
    /// Records read in all.
    pub read: u64,
    /// Up to 10 missing record numbers.
    pub missing_examples: Vec<u64>,
    /// Send → `ApproximateArrivalTimestamp`, for the records found.
    pub arrival: LatencySummary,
    /// Send → read back by the verifier.
    pub readable: LatencySummary,
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

/// Read `stream` back from `since_ms` and account for the `acked` records of run `run_id`.
///
/// # Errors
/// The stream cannot be described or read.
pub async fn verify(
    client: &Client,
    stream: &str,
    run_id: &str,
    field: Option<&str>,
    acked: &[(u64, i64)],
    since_ms: i64,
    timeout: Duration,
) -> anyhow::Result<VerifySummary> {
    let shards = crate::tail::list(client, stream).await?;
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
    let sent_at: HashMap<u64, i64> = acked.iter().copied().collect();
    let mut expected: HashMap<u64, u32> = acked.iter().map(|(n, _)| (*n, 0)).collect();
    let (mut arrival, mut readable) = (Latency::new(), Latency::new());
    let since_ms_ms = |ms: i64| Duration::from_millis(ms.max(0) as u64);
    let mut summary = VerifySummary {
        acknowledged: expected.len() as u64,
        ..VerifySummary::default()
    };
    let mut unseen = expected.len();
    let deadline = tokio::time::Instant::now() + timeout;
    while unseen > 0 && !iterators.is_empty() && tokio::time::Instant::now() < deadline {
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
                summary.read += 1;
                match marker(
                    rec.data().as_ref(),
                    rec.partition_key().unwrap_or_default(),
                    field,
                    run_id,
                ) {
                    Ok(n) => match expected.get_mut(&n) {
                        Some(seen) => {
                            *seen += 1;
                            if *seen == 1 {
                                unseen -= 1;
                                let sent = sent_at.get(&n).copied().unwrap_or_default();
                                if let Some(at) = rec.approximate_arrival_timestamp().and_then(|t| t.to_millis().ok()) {
                                    arrival.record(since_ms_ms(at - sent));
                                }
                                readable.record(since_ms_ms(jiff::Timestamp::now().as_millisecond() - sent));
                            } else {
                                summary.duplicated += 1;
                            }
                        }
                        // Ours but never acknowledged (a request that timed out after writing).
                        None => {
                            expected.insert(n, 1);
                        }
                    },
                    Err(()) => summary.foreign += 1,
                }
            }
            next.extend(r.next_shard_iterator().map(str::to_string));
        }
        iterators = next;
        if !got_any && unseen > 0 {
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
    summary.arrival = arrival.summary();
    summary.readable = readable.summary();
    let mut missing: Vec<u64> = acked
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| expected.get(n) == Some(&0))
        .collect();
    missing.sort_unstable();
    summary.missing = missing.len() as u64;
    summary.delivered = summary.acknowledged - summary.missing;
    summary.missing_examples = missing.into_iter().take(10).collect();
    Ok(summary)
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
