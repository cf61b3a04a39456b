//! `kdg tail`: read every shard of a Kinesis stream and print its records.
//!
//! One reader task per shard follows `GetRecords` iterators; a coordinator lists the shards
//! again when one closes, and starts a closed shard's children (after a split, or the merged
//! shard after a merge) once all of their parents are read, so records come out in order per
//! key. Output goes through one writer: records one per line, or JSON objects with `--json`.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::io::Write;
use std::time::Duration;

use anyhow::Context as _;
use aws_sdk_kinesis::types::{Shard, ShardIteratorType};
use aws_sdk_kinesis::Client;
use base64::Engine as _;
use tokio::sync::mpsc;

use crate::sink::aws::{classify, AwsOptions};
use crate::sink::kinesis::list_shards as list;

/// How long a reader waits after an empty `GetRecords` before asking again.
const EMPTY_POLL: Duration = Duration::from_millis(200);
/// How often shards are listed again, to find new ones.
const RELIST: Duration = Duration::from_secs(5);

/// Where to start reading every shard.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StartPosition {
    /// Only records that arrive from now on.
    Latest,
    /// Everything the stream retains.
    TrimHorizon,
    /// Records that arrived at or after this instant (ms since the epoch).
    At(i64),
}

impl StartPosition {
    /// Parse `latest`, `trim-horizon` or an RFC 3339 time.
    ///
    /// # Errors
    /// Anything else, with what is accepted.
    pub fn parse(s: &str) -> Result<StartPosition, String> {
        match s {
            "latest" => Ok(StartPosition::Latest),
            "trim-horizon" | "trim_horizon" => Ok(StartPosition::TrimHorizon),
            t => t
                .parse::<jiff::Timestamp>()
                .map(|ts| StartPosition::At(ts.as_millisecond()))
                .map_err(|_| {
                    format!("`{t}` is not latest, trim-horizon or an RFC 3339 time such as 2026-11-23T10:00:00Z")
                }),
        }
    }
}

/// What to read and how to print it.
#[derive(Debug, Clone)]
pub struct TailOptions {
    /// The stream's name.
    pub stream: String,
    /// Where to start in every shard.
    pub from: StartPosition,
    /// One JSON object per record (shard, sequence number, key, arrival, data).
    pub json: bool,
    /// Stop after this many records.
    pub count: Option<u64>,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// How to reach AWS.
    pub aws: AwsOptions,
}

enum Event {
    Record {
        shard: String,
        record: aws_sdk_kinesis::types::Record,
    },
    Closed(String),
    Failed(String),
}

fn is_open(s: &Shard) -> bool {
    s.sequence_number_range()
        .and_then(|r| r.ending_sequence_number())
        .is_none()
}

/// Read every shard of the stream and write its records to `out` until `opts.count` records,
/// `opts.duration`, `stop`, or a reader that closed `out` (a broken pipe ends the tail quietly).
/// Returns how many records were written.
///
/// # Errors
/// Setup problems (unknown stream, no credentials, unreachable endpoint), a shard that cannot
/// be read, and write errors other than a closed pipe.
pub async fn tail(opts: &TailOptions, out: &mut impl Write, stop: impl Future<Output = ()>) -> anyhow::Result<u64> {
    let args = opts;
    let from = opts.from;
    let conf = crate::sink::aws::load(&opts.aws).await?;
    let client = Client::new(&conf);
    let stream = opts.stream.clone();
    let mut shards: HashMap<String, Shard> = list(&client, &stream)
        .await?
        .into_iter()
        .map(|s| (s.shard_id().to_string(), s))
        .collect();
    let (tx, mut rx) = mpsc::channel::<Event>(64);
    let mut started: HashSet<String> = HashSet::new();
    let mut closed: HashSet<String> = HashSet::new();
    // With `latest` only the open shards matter; otherwise start at the roots and follow children.
    let roots: HashSet<String> = shards
        .values()
        .filter(|s| match from {
            StartPosition::Latest => is_open(s),
            _ => s.parent_shard_id().is_none_or(|p| !shards.contains_key(p)),
        })
        .map(|s| s.shard_id().to_string())
        .collect();
    let mut printed = 0u64;
    let deadline = args.duration.map(|d| tokio::time::Instant::now() + d);
    let mut relist = tokio::time::interval(RELIST);
    tokio::pin!(stop);
    loop {
        // Start every shard that is due: a root, or a child whose parents are all read.
        for (id, s) in &shards {
            if started.contains(id) {
                continue;
            }
            // A child starts from its beginning once we have read every parent to its end (a
            // parent past retention counts as read, unless we only follow new records).
            let parents_done = [s.parent_shard_id(), s.adjacent_parent_shard_id()]
                .into_iter()
                .flatten()
                .all(|p| closed.contains(p) || (!shards.contains_key(p) && from != StartPosition::Latest));
            let position = if roots.contains(id) {
                from
            } else if parents_done {
                StartPosition::TrimHorizon
            } else {
                continue;
            };
            started.insert(id.clone());
            tokio::spawn(read_shard(
                client.clone(),
                stream.clone(),
                id.clone(),
                position,
                tx.clone(),
            ));
        }
        if args.count.is_some_and(|c| printed >= c) {
            break;
        }
        let sleep_until_deadline = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            ev = rx.recv() => match ev {
                Some(Event::Record { shard, record }) => {
                    if let Err(e) = write_record(out, &shard, &record, args.json) {
                        if e.kind() == std::io::ErrorKind::BrokenPipe {
                            return Ok(printed);
                        }
                        return Err(e).context("writing to stdout");
                    }
                    printed += 1;
                    // Flush when nothing else is waiting, so a slow stream shows up at once.
                    if rx.is_empty() {
                        out.flush().ok();
                    }
                }
                Some(Event::Closed(id)) => {
                    closed.insert(id);
                    for s in list(&client, &stream).await? {
                        shards.entry(s.shard_id().to_string()).or_insert(s);
                    }
                }
                Some(Event::Failed(msg)) => anyhow::bail!("{msg}"),
                None => break,
            },
            _ = relist.tick() => {
                for s in list(&client, &stream).await? {
                    shards.entry(s.shard_id().to_string()).or_insert(s);
                }
            }
            _ = sleep_until_deadline => break,
            _ = &mut stop => break,
        }
    }
    match out.flush() {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e).context("writing to stdout"),
        _ => Ok(printed),
    }
}

async fn read_shard(client: Client, stream: String, shard: String, from: StartPosition, tx: mpsc::Sender<Event>) {
    let (kind, ts) = match from {
        StartPosition::Latest => (ShardIteratorType::Latest, None),
        StartPosition::TrimHorizon => (ShardIteratorType::TrimHorizon, None),
        StartPosition::At(ms) => (
            ShardIteratorType::AtTimestamp,
            Some(aws_sdk_kinesis::primitives::DateTime::from_millis(ms)),
        ),
    };
    let it = client
        .get_shard_iterator()
        .stream_name(&stream)
        .shard_id(&shard)
        .shard_iterator_type(kind)
        .set_timestamp(ts)
        .send()
        .await;
    let mut iterator = match it {
        Ok(o) => o.shard_iterator().map(str::to_string),
        Err(e) => {
            let _ = tx
                .send(Event::Failed(format!(
                    "shard {shard}: cannot get an iterator: {}",
                    classify(&e).code
                )))
                .await;
            return;
        }
    };
    let mut backoff = Duration::from_millis(100);
    while let Some(i) = iterator.take() {
        match client.get_records().shard_iterator(&i).limit(10_000).send().await {
            Ok(r) => {
                backoff = Duration::from_millis(100);
                let empty = r.records().is_empty();
                for rec in r.records() {
                    if tx
                        .send(Event::Record {
                            shard: shard.clone(),
                            record: rec.clone(),
                        })
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                iterator = r.next_shard_iterator().map(str::to_string);
                if empty && iterator.is_some() {
                    tokio::time::sleep(EMPTY_POLL).await;
                }
            }
            Err(e) => {
                let e = classify(&e);
                if e.class == crate::sink::aws::ErrorClass::Fatal {
                    let _ = tx
                        .send(Event::Failed(format!(
                            "shard {shard}: reading failed: {}: {}",
                            e.code, e.message
                        )))
                        .await;
                    return;
                }
                // Throttled or transient: back off and ask again with the same iterator.
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
                iterator = Some(i);
            }
        }
    }
    let _ = tx.send(Event::Closed(shard)).await;
}

/// Write one record, or each record inside a KPL aggregated record (with `--json`, each line
/// says which sub-record it was).
fn write_record(
    out: &mut impl Write,
    shard: &str,
    r: &aws_sdk_kinesis::types::Record,
    json: bool,
) -> std::io::Result<()> {
    let data = r.data().as_ref();
    let key = r.partition_key().unwrap_or_default();
    let subs = crate::aggregate::deaggregate(data, key).unwrap_or_else(|_| {
        vec![crate::aggregate::SubRecord {
            data,
            partition_key: key,
            explicit_hash_key: None,
        }]
    });
    let aggregated = crate::aggregate::is_aggregated(data);
    for (i, sub) in subs.iter().enumerate() {
        if !json {
            out.write_all(sub.data)?;
            if !sub.data.ends_with(b"\n") {
                out.write_all(b"\n")?;
            }
            continue;
        }
        let arrival = r
            .approximate_arrival_timestamp()
            .and_then(|t| t.to_millis().ok())
            .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
            .map(|t| format!("{t:.3}"));
        let mut obj = serde_json::json!({
            "shard": shard,
            "sequence_number": r.sequence_number(),
            "partition_key": sub.partition_key,
            "arrival": arrival,
        });
        if aggregated {
            obj["sub_sequence"] = i.into();
        }
        match std::str::from_utf8(sub.data) {
            Ok(text) => obj["data"] = text.strip_suffix('\n').unwrap_or(text).into(),
            Err(_) => obj["data_base64"] = base64::engine::general_purpose::STANDARD.encode(sub.data).into(),
        }
        serde_json::to_writer(&mut *out, &obj)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_accepts_positions_and_times() {
        assert_eq!(StartPosition::parse("latest").unwrap(), StartPosition::Latest);
        assert_eq!(
            StartPosition::parse("trim-horizon").unwrap(),
            StartPosition::TrimHorizon
        );
        assert_eq!(
            StartPosition::parse("2026-11-23T10:00:00Z").unwrap(),
            StartPosition::At(1_795_428_000_000)
        );
        assert!(StartPosition::parse("yesterday").unwrap_err().contains("trim-horizon"));
    }
}
