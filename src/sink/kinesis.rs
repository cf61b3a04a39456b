//! Amazon Kinesis Data Streams: `PutRecords`, and the pre-flight description of the stream.

use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use aws_sdk_kinesis::Client;

use super::aws::{classify, AwsOptions, Entry, ErrorClass, RequestError, Service, SetupError};
use super::limits::{
    KINESIS_MAX_PARTITION_KEY_CHARS, KINESIS_MAX_RECORDS, KINESIS_MAX_RECORD_BYTES, KINESIS_MAX_REQUEST_BYTES,
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
}

impl Kinesis {
    /// Connect, check credentials, and describe the stream so that an unknown stream, a missing
    /// permission or an unreachable endpoint is reported before the load starts.
    ///
    /// # Errors
    /// Any of those.
    pub async fn connect(opts: &AwsOptions, stream: StreamId) -> Result<(Kinesis, StreamInfo), SetupError> {
        let conf = super::aws::load(opts).await?;
        let client = Client::new(&conf);
        let k = Kinesis { client, stream };
        let info = k.describe().await?;
        Ok((k, info))
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
                Err(setup_error(&e, &self.stream))
            }
        }
    }

    async fn describe_stream(&self) -> Result<StreamInfo, SetupError> {
        let req = self.client.describe_stream();
        let req = match &self.stream {
            StreamId::Name(n) => req.stream_name(n),
            StreamId::Arn(a) => req.stream_arn(a),
        };
        let out = req.send().await.map_err(|e| setup_error(&classify(&e), &self.stream))?;
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

fn setup_error(e: &RequestError, stream: &StreamId) -> SetupError {
    match (e.code.as_str(), e.class) {
        ("ResourceNotFoundException", _) => SetupError::NotFound(format!(
            "--stream: the stream `{stream}` does not exist in this region and account (ResourceNotFoundException); check --stream and --region"
        )),
        ("AccessDeniedException", _) => SetupError::Other(format!(
            "--stream: access denied describing `{stream}` (AccessDeniedException); the credentials need kinesis:DescribeStreamSummary and kinesis:PutRecords"
        )),
        ("transport:dispatch", _) | ("transport:timeout", _) => SetupError::Other(format!(
            "cannot reach the Kinesis endpoint ({}): check --endpoint-url, --region and the network",
            e.code
        )),
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
        let mut entries = Vec::with_capacity(which.len());
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
            entries.push(entry);
        }
        let req = self.client.put_records().set_records(Some(entries));
        let req = match &self.stream {
            StreamId::Name(n) => req.stream_name(n),
            StreamId::Arn(a) => req.stream_arn(a),
        };
        let out = req.send().await.map_err(|e| classify(&e))?;
        Ok(out
            .records()
            .iter()
            .map(|r| match r.error_code() {
                None | Some("") => Entry::Ok {
                    shard: r.shard_id().map(str::to_string),
                },
                Some(code) => Entry::Failed {
                    code: code.to_string(),
                    message: r.error_message().unwrap_or_default().to_string(),
                },
            })
            .collect())
    }
}
