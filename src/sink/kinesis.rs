//! Amazon Kinesis Data Streams: `PutRecords`, and the pre-flight description of the stream.

use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{PutRecordsRequestEntry, Shard};
use aws_sdk_kinesis::Client;

use super::aws::{classify, AwsOptions, Entry, ErrorClass, Preflight, RequestError, Service, SetupError};
use super::limits::{
    KINESIS_MAX_PARTITION_KEY_CHARS, KINESIS_MAX_RECORDS, KINESIS_MAX_RECORD_BYTES, KINESIS_MAX_REQUEST_BYTES,
    KINESIS_SHARD_BYTES_PER_SEC, KINESIS_SHARD_RECORDS_PER_SEC, ON_DEMAND_INITIAL_WRITE_MB_S,
};
use super::Batch;

/// How the stream is named.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamId {
    /// `--stream NAME`.
    Name(String),
    /// `--stream-arn ARN`.
    Arn(String),
}

impl std::fmt::Display for StreamId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StreamId::Name(n) | StreamId::Arn(n) => f.write_str(n),
        }
    }
}

/// What pre-flight learned about the stream.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct StreamInfo {
    /// The stream's name.
    pub name: String,
    /// `PROVISIONED` or `ON_DEMAND`, when the server says.
    pub mode: Option<String>,
    /// Open shards.
    pub open_shards: Option<u64>,
}

/// A Kinesis data stream to put records into.
pub struct Kinesis {
    client: Client,
    stream: StreamId,
    /// The endpoint it talks to, for errors.
    endpoint: String,
}

/// Bytes of protobuf framing around each record inside a KPL aggregate (field tags, lengths,
/// key index; `src/aggregate.rs` writes them): an estimate, for the capacity warnings.
const KPL_RECORD_FRAMING: f64 = 8.0;

impl Kinesis {
    /// Connect, check credentials, and describe the stream so that an unknown stream, a missing
    /// permission or an unreachable endpoint is reported before the load starts.
    ///
    /// # Errors
    /// Any of those. With [`Preflight::Lenient`] a missing permission to describe the stream gives no
    /// [`StreamInfo`] and a warning instead of an error.
    pub async fn connect(
        opts: &AwsOptions,
        stream: StreamId,
        preflight: Preflight,
    ) -> Result<(Kinesis, Option<StreamInfo>, Option<String>), SetupError> {
        let conf = super::aws::load(opts).await?;
        let client = Client::new(&conf);
        let k = Kinesis {
            client,
            stream,
            endpoint: super::aws::endpoint_of(&conf, "kinesis"),
        };
        let (info, warning) = preflight.describe(k.describe()).await?;
        Ok((k, info, warning))
    }

    /// The SDK client (for reading back).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The stream's name (the last part of an ARN).
    pub fn stream_name(&self) -> &str {
        match &self.stream {
            StreamId::Name(n) => n,
            StreamId::Arn(a) => a.rsplit('/').next().unwrap_or(a),
        }
    }

    /// What reaches the stream when `peak_rps` records/s of `record_bytes` each are packed up to
    /// `most` to a Kinesis record (`--aggregate`; 1 is no packing): Kinesis records/s, and bytes
    /// and records per Kinesis record. A packed record holds as many as fit in
    /// [`KINESIS_MAX_RECORD_BYTES`], each with a few bytes of framing.
    pub fn packed_load(peak_rps: f64, record_bytes: f64, most: usize) -> (f64, f64, usize) {
        if most <= 1 {
            return (peak_rps, record_bytes, 1);
        }
        let framed = record_bytes + KPL_RECORD_FRAMING;
        let fit = ((KINESIS_MAX_RECORD_BYTES - crate::aggregate::KPL_OVERHEAD) as f64 / framed).floor() as usize;
        let per = most.min(fit.max(1));
        let bytes = per as f64 * framed + crate::aggregate::KPL_OVERHEAD as f64;
        (peak_rps / per as f64, bytes, per)
    }

    /// Warnings about a target the stream cannot take, before sending: `peak_rps` Kinesis
    /// records/s of `record_bytes` each (data plus partition key), each packing `packed` of the
    /// run's records (see [`Kinesis::packed_load`]).
    pub fn capacity_warnings(info: &StreamInfo, peak_rps: f64, record_bytes: f64, packed: usize) -> Vec<String> {
        let mut out = Vec::new();
        let unit = if packed > 1 {
            format!("Kinesis records/s ({packed} records each, --aggregate)")
        } else {
            "records/s".to_string()
        };
        let mib_s = peak_rps * record_bytes / (1024.0 * 1024.0);
        match (info.mode.as_deref(), info.open_shards) {
            (Some("ON_DEMAND"), _) => {
                let mb_s = peak_rps * record_bytes / 1e6;
                if mb_s > ON_DEMAND_INITIAL_WRITE_MB_S {
                    out.push(format!(
                        "on-demand stream `{}`: the target peak of {mb_s:.1} MB/s is above the {ON_DEMAND_INITIAL_WRITE_MB_S} MB/s a new on-demand stream takes; \
                         it absorbs up to double its previous peak, and more than double within 15 minutes throttles: ramp up (--ramp) or set warm throughput",
                        info.name
                    ));
                }
            }
            (_, Some(shards)) if shards > 0 => {
                let records = shards as f64 * KINESIS_SHARD_RECORDS_PER_SEC as f64;
                let bytes = shards as f64 * KINESIS_SHARD_BYTES_PER_SEC as f64 / (1024.0 * 1024.0);
                if peak_rps > records {
                    out.push(format!(
                        "stream `{}`: the target peak of {peak_rps:.0} {unit} is above what {shards} shards take \
                         ({shards} × 1,000 = {records:.0} records/s): expect throttling",
                        info.name
                    ));
                }
                if mib_s > bytes {
                    out.push(format!(
                        "stream `{}`: the target peak of {mib_s:.2} MiB/s is above what {shards} shards take \
                         ({shards} × 1 MiB/s): expect throttling",
                        info.name
                    ));
                }
            }
            _ => {}
        }
        out
    }

    async fn describe(&self) -> Result<StreamInfo, SetupError> {
        let req = self.client.describe_stream_summary();
        let req = match &self.stream {
            StreamId::Name(n) => req.stream_name(n),
            StreamId::Arn(a) => req.stream_arn(a),
        };
        match req.send().await {
            Ok(out) => {
                let s = out.stream_description_summary();
                Ok(StreamInfo {
                    name: s.map_or_else(|| self.stream.to_string(), |s| s.stream_name().to_string()),
                    mode: s
                        .and_then(|s| s.stream_mode_details())
                        .map(|m| m.stream_mode().as_str().to_string()),
                    open_shards: s.map(|s| s.open_shard_count().max(0) as u64),
                })
            }
            Err(e) => {
                let e = classify(&e);
                // Servers without DescribeStreamSummary (kinesalite): fall back to DescribeStream.
                if e.code.contains("UnknownOperation") || e.code.contains("InvalidAction") {
                    return self.describe_stream().await;
                }
                Err(setup_error(&e, &self.stream, &self.endpoint))
            }
        }
    }

    async fn describe_stream(&self) -> Result<StreamInfo, SetupError> {
        let req = self.client.describe_stream();
        let req = match &self.stream {
            StreamId::Name(n) => req.stream_name(n),
            StreamId::Arn(a) => req.stream_arn(a),
        };
        let out = req
            .send()
            .await
            .map_err(|e| setup_error(&classify(&e), &self.stream, &self.endpoint))?;
        let d = out.stream_description();
        Ok(StreamInfo {
            name: d.map_or_else(|| self.stream.to_string(), |d| d.stream_name().to_string()),
            mode: None,
            open_shards: d.map(|d| {
                d.shards()
                    .iter()
                    .filter(|s| {
                        s.sequence_number_range()
                            .and_then(|r| r.ending_sequence_number())
                            .is_none()
                    })
                    .count() as u64
            }),
        })
    }
}

fn setup_error(e: &RequestError, stream: &StreamId, endpoint: &str) -> SetupError {
    match (e.code.as_str(), e.class) {
        ("ResourceNotFoundException", _) => SetupError::NotFound(format!(
            "--stream: the stream `{stream}` does not exist in this region and account (ResourceNotFoundException); check --stream and --region"
        )),
        ("AccessDeniedException", _) => SetupError::AccessDenied(format!(
            "--stream: access denied describing `{stream}` (AccessDeniedException); the credentials need kinesis:DescribeStreamSummary and kinesis:PutRecords"
        )),
        ("transport:dispatch", _) | ("transport:timeout", _) => SetupError::Unreachable {
            service: "Kinesis",
            endpoint: endpoint.to_string(),
            cause: e.message.clone(),
        },
        (code, _) => SetupError::Other(format!("describing the stream `{stream}` failed: {code}: {}", e.message)),
    }
}

impl Service for Kinesis {
    const MAX_RECORDS: usize = KINESIS_MAX_RECORDS;
    const MAX_REQUEST_BYTES: usize = KINESIS_MAX_REQUEST_BYTES;
    const MAX_RECORD_BYTES: usize = KINESIS_MAX_RECORD_BYTES;

    fn size(&self, batch: &Batch, i: usize) -> usize {
        batch.record(i).len() + batch.keys.get(i).len()
    }

    fn invalid(&self, batch: &Batch, i: usize) -> Option<&'static str> {
        let key = batch.keys.get(i);
        match std::str::from_utf8(key) {
            _ if key.is_empty() => Some("EmptyPartitionKey"),
            Err(_) => Some("InvalidPartitionKey"),
            Ok(k) if k.chars().count() > KINESIS_MAX_PARTITION_KEY_CHARS => Some("PartitionKeyTooLong"),
            Ok(_) => None,
        }
    }

    async fn put(&self, batch: &Batch, which: &[u32]) -> Result<Vec<Entry>, RequestError> {
        let mut request = Vec::with_capacity(which.len());
        for &i in which {
            let i = i as usize;
            let key = String::from_utf8_lossy(batch.keys.get(i)).into_owned();
            let hash =
                (!batch.hash_keys.is_empty()).then(|| String::from_utf8_lossy(batch.hash_keys.get(i)).into_owned());
            let entry = PutRecordsRequestEntry::builder()
                .data(Blob::new(batch.record(i).to_vec()))
                .partition_key(key)
                .set_explicit_hash_key(hash)
                .build()
                .map_err(|e| RequestError {
                    code: "sdk:construction".into(),
                    class: ErrorClass::Fatal,
                    message: e.to_string(),
                })?;
            request.push(entry);
        }
        let req = self.client.put_records().set_records(Some(request));
        let req = match &self.stream {
            StreamId::Name(n) => req.stream_name(n),
            StreamId::Arn(a) => req.stream_arn(a),
        };
        let out = req.send().await.map_err(|e| classify(&e))?;
        Ok(entries(&out))
    }
}

/// What became of each record of a `PutRecords` response, in request order: accepted on a
/// shard, or failed with the entry's error code (an empty code counts as accepted).
pub fn entries(out: &aws_sdk_kinesis::operation::put_records::PutRecordsOutput) -> Vec<Entry> {
    out.records()
        .iter()
        .map(|r| Entry::of(r.error_code(), r.error_message(), r.shard_id()))
        .collect()
}

/// Every shard of `stream`, open and closed.
///
/// # Errors
/// The stream cannot be described.
pub async fn list_shards(client: &Client, stream: &str) -> anyhow::Result<Vec<Shard>> {
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
            .ok_or_else(|| anyhow::anyhow!("the service returned no stream description"))?;
        shards.extend(d.shards().iter().cloned());
        if !d.has_more_shards() || d.shards().is_empty() {
            return Ok(shards);
        }
        start = d.shards().last().map(|s| s.shard_id().to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_kinesis::operation::put_records::PutRecordsOutput;
    use aws_sdk_kinesis::types::PutRecordsResultEntry;

    fn info(mode: Option<&str>, shards: Option<u64>) -> StreamInfo {
        StreamInfo {
            name: "s".into(),
            mode: mode.map(str::to_string),
            open_shards: shards,
        }
    }

    #[test]
    fn warns_when_the_target_exceeds_the_shards() {
        let i = info(Some("PROVISIONED"), Some(4));
        assert!(Kinesis::capacity_warnings(&i, 4000.0, 200.0, 1).is_empty());
        let w = Kinesis::capacity_warnings(&i, 5000.0, 200.0, 1);
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("4 × 1,000 = 4000 records/s"), "{w:?}");
        // 2,000 records/s of 3 KiB is 5.9 MiB/s: over 4 shards' bytes, not their records.
        let w = Kinesis::capacity_warnings(&i, 2000.0, 3072.0, 1);
        assert!(w.len() == 1 && w[0].contains("MiB/s"), "{w:?}");
    }

    /// 5,000 records/s packed 50 to a Kinesis record is 100 Kinesis records/s: 3 shards take
    /// that; 50 KB records fit 20 to a Kinesis record, so `--aggregate 50` packs 20.
    #[test]
    fn aggregated_records_are_counted_as_kinesis_records() {
        let i = info(Some("PROVISIONED"), Some(3));
        let (rps, bytes, per) = Kinesis::packed_load(5000.0, 200.0, 50);
        assert_eq!((rps, per), (100.0, 50));
        assert!(Kinesis::capacity_warnings(&i, rps, bytes, per).is_empty());
        assert_eq!(Kinesis::capacity_warnings(&i, 5000.0, 200.0, 1).len(), 1);
        let (rps, bytes, per) = Kinesis::packed_load(5000.0, 50_000.0, 50);
        assert_eq!(per, 20);
        assert!(bytes <= KINESIS_MAX_RECORD_BYTES as f64);
        assert_eq!(rps, 250.0);
        let w = Kinesis::capacity_warnings(&i, rps, bytes, per);
        assert!(w.len() == 1 && w[0].contains("MiB/s"), "bytes bind, not records: {w:?}");
        let (rps, bytes, per) = Kinesis::packed_load(80_000.0, 200.0, 20);
        let w = Kinesis::capacity_warnings(&i, rps, bytes, per);
        assert!(
            w.iter()
                .any(|w| w.contains("4000 Kinesis records/s (20 records each, --aggregate)")),
            "{w:?}"
        );
        assert_eq!(Kinesis::packed_load(5000.0, 200.0, 1), (5000.0, 200.0, 1));
    }

    #[test]
    fn warns_about_on_demand_ramp_up() {
        let i = info(Some("ON_DEMAND"), Some(4));
        assert!(Kinesis::capacity_warnings(&i, 10_000.0, 100.0, 1).is_empty());
        let w = Kinesis::capacity_warnings(&i, 100_000.0, 100.0, 1);
        assert!(w.len() == 1 && w[0].contains("10.0 MB/s"), "{w:?}");
        assert!(Kinesis::capacity_warnings(&info(None, None), 1e9, 1e3, 1).is_empty());
    }

    #[test]
    fn put_records_entries_keep_order_shards_and_codes() {
        let ok = |shard: &str| {
            PutRecordsResultEntry::builder()
                .shard_id(shard)
                .sequence_number("1")
                .build()
        };
        let failed = PutRecordsResultEntry::builder()
            .error_code("ProvisionedThroughputExceededException")
            .error_message("Rate exceeded for shard shardId-000000000001 in stream s")
            .build();
        let empty_code = PutRecordsResultEntry::builder()
            .error_code("")
            .shard_id("shardId-2")
            .build();
        let out = PutRecordsOutput::builder()
            .failed_record_count(1)
            .records(ok("shardId-0"))
            .records(failed)
            .records(empty_code)
            .build()
            .expect("valid output");
        assert_eq!(
            entries(&out),
            vec![
                Entry::Ok {
                    shard: Some("shardId-0".into())
                },
                Entry::Failed {
                    code: "ProvisionedThroughputExceededException".into(),
                    message: "Rate exceeded for shard shardId-000000000001 in stream s".into(),
                },
                Entry::Ok {
                    shard: Some("shardId-2".into())
                },
            ]
        );
    }
}
