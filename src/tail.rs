//! `kdg tail`: read every shard of a Kinesis stream and print its records.
//!
//! One reader task per shard follows `GetRecords` iterators; a coordinator lists the shards
//! again when one closes, and starts a closed shard's children (after a split, or the merged
//! shard after a merge) once all of their parents are read, so records come out in order per
//! key. Output goes through one writer: records one per line, or JSON objects with `--json`.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use aws_sdk_kinesis::types::{Shard, ShardIteratorType};
use aws_sdk_kinesis::Client;
use base64::Engine as _;
use tokio::sync::mpsc;

use crate::cli::TailArgs;
use crate::sink::aws::{classify, AwsOptions};

/// How long a reader waits after an empty `GetRecords` before asking again.
const EMPTY_POLL: Duration = Duration::from_millis(200);
/// How often shards are listed again, to find new ones.
const RELIST: Duration = Duration::from_secs(5);

/// Where to start reading.
#[derive(Debug, Clone, Copy, PartialEq)]
enum From {
    Latest,
    TrimHorizon,
    At(i64),
}

fn parse_from(s: &str) -> anyhow::Result<From> {
    match s {
        "latest" => Ok(From::Latest),
        "trim-horizon" | "trim_horizon" => Ok(From::TrimHorizon),
        t => t
            .parse::<jiff::Timestamp>()
            .map(|ts| From::At(ts.as_millisecond()))
            .map_err(|_| {
                anyhow::anyhow!(
                    "--from: `{t}` is not latest, trim-horizon or an RFC 3339 time such as 2026-11-23T10:00:00Z"
                )
            }),
    }
}

enum Event {
    Record {
        shard: String,
        record: aws_sdk_kinesis::types::Record,
    },
    Closed(String),
    Failed(String),
}

/// Run `kdg tail`.
///
/// # Errors
/// Setup problems (unknown stream, no credentials, unreachable endpoint).
pub fn run(args: &TailArgs) -> anyhow::Result<ExitCode> {
    let from = parse_from(&args.from)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let result = rt.block_on(tail(args, from));
    rt.shutdown_background();
    result
}

fn stream_name(args: &TailArgs) -> String {
    args.stream
        .clone()
        .or_else(|| {
            args.stream_arn
                .as_ref()
                .map(|a| a.rsplit('/').next().unwrap_or(a).to_string())
        })
        .unwrap_or_default()
}

/// Every shard of `stream`, open and closed.
///
/// # Errors
/// The stream cannot be described.
pub(crate) async fn list(client: &Client, stream: &str) -> anyhow::Result<Vec<Shard>> {
    let mut shards = Vec::new();
    let mut start: Option<String> = None;
    loop {
        let out = client
            .describe_stream()
            .stream_name(stream)
            .set_exclusive_start_shard_id(start.clone())
            .send()
            .await
            .map_err(|e| {
                let e = classify(&e);
                match e.code.as_str() {
                    "ResourceNotFoundException" => anyhow::anyhow!(
                        "--stream: the stream `{stream}` does not exist in this region and account; check --stream and --region"
                    ),
                    "AccessDeniedException" => anyhow::anyhow!(
                        "--stream: access denied reading `{stream}`; the credentials need kinesis:DescribeStream, GetShardIterator and GetRecords"
                    ),
                    "transport:dispatch" | "transport:timeout" => {
                        anyhow::anyhow!("cannot reach the Kinesis endpoint ({}): check --endpoint-url and --region", e.code)
                    }
                    code => anyhow::anyhow!("describing `{stream}` failed: {code}: {}", e.message),
                }
            })?;
        let d = out
            .stream_description()
            .context("the service returned no stream description")?;
        shards.extend(d.shards().iter().cloned());
        if !d.has_more_shards() || d.shards().is_empty() {
            return Ok(shards);
        }
        start = d.shards().last().map(|s| s.shard_id().to_string());
    }
}

fn is_open(s: &Shard) -> bool {
    s.sequence_number_range()
        .and_then(|r| r.ending_sequence_number())
        .is_none()
}

async fn tail(args: &TailArgs, from: From) -> anyhow::Result<ExitCode> {
    let conf = crate::sink::aws::load(&AwsOptions::from(&args.conn)).await?;
    let client = Client::new(&conf);
    let stream = stream_name(args);
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
            From::Latest => is_open(s),
            _ => s.parent_shard_id().is_none_or(|p| !shards.contains_key(p)),
        })
        .map(|s| s.shard_id().to_string())
        .collect();
    let out = std::io::stdout();
    let mut out = std::io::BufWriter::new(out.lock());
    let mut printed = 0u64;
    let deadline = args.duration.map(|d| tokio::time::Instant::now() + d);
    let mut relist = tokio::time::interval(RELIST);
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
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
                .all(|p| closed.contains(p) || (!shards.contains_key(p) && from != From::Latest));
            let position = if roots.contains(id) {
                from
            } else if parents_done {
                From::TrimHorizon
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
                    if let Err(e) = write_record(&mut out, &shard, &record, args.json) {
                        if e.kind() == std::io::ErrorKind::BrokenPipe {
                            return Ok(ExitCode::SUCCESS);
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
            _ = &mut ctrl_c => break,
        }
    }
    match out.flush() {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e).context("writing to stdout"),
        _ => Ok(ExitCode::SUCCESS),
    }
}

async fn read_shard(client: Client, stream: String, shard: String, from: From, tx: mpsc::Sender<Event>) {
    let (kind, ts) = match from {
        From::Latest => (ShardIteratorType::Latest, None),
        From::TrimHorizon => (ShardIteratorType::TrimHorizon, None),
        From::At(ms) => (
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
        assert_eq!(parse_from("latest").unwrap(), From::Latest);
        assert_eq!(parse_from("trim-horizon").unwrap(), From::TrimHorizon);
        assert_eq!(parse_from("2026-11-23T10:00:00Z").unwrap(), From::At(1_795_428_000_000));
        assert!(parse_from("yesterday").unwrap_err().to_string().starts_with("--from: "));
    }
}
