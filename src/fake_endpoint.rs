//! A minimal, fast Kinesis- and Firehose-compatible endpoint, for benchmarks and tests only.
//!
//! Local servers (kinesalite, moto) top out near 19k records/s, so they measure themselves, not
//! kdg. This endpoint speaks just enough of the AWS JSON 1.1 protocol over HTTP/1.1 keep-alive
//! to measure kdg's own sending path: `PutRecords` and `PutRecordBatch` always succeed (or
//! throttle every k-th record when asked), `DescribeStreamSummary` and `DescribeDeliveryStream`
//! answer for any name. It counts records by their `"Data"` keys without parsing the body, and
//! binds 127.0.0.1 only. It keeps the `Content-Type` of the last request so a test can check
//! the wire protocol.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// How the endpoint behaves.
#[derive(Debug, Clone, Copy)]
pub struct FakeOptions {
    /// Shards reported, and spread over in responses.
    pub shards: u32,
    /// Throttle every k-th record (`ProvisionedThroughputExceededException` for Kinesis,
    /// `ServiceUnavailableException` for Firehose).
    pub throttle_every: Option<u64>,
}

impl Default for FakeOptions {
    fn default() -> FakeOptions {
        FakeOptions {
            shards: 4,
            throttle_every: None,
        }
    }
}

/// What the endpoint has seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FakeStats {
    /// Requests answered.
    pub requests: u64,
    /// Records received in put calls.
    pub records: u64,
    /// Records answered as throttled.
    pub throttled: u64,
}

#[derive(Default)]
struct Shared {
    requests: AtomicU64,
    records: AtomicU64,
    throttled: AtomicU64,
    last_content_type: Mutex<Option<String>>,
}

/// A running endpoint; stops when dropped.
pub struct FakeEndpoint {
    /// Where it listens (127.0.0.1).
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeEndpoint {
    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Counts so far.
    pub fn stats(&self) -> FakeStats {
        FakeStats {
            requests: self.shared.requests.load(Ordering::Relaxed),
            records: self.shared.records.load(Ordering::Relaxed),
            throttled: self.shared.throttled.load(Ordering::Relaxed),
        }
    }

    /// The `Content-Type` of the last request.
    pub fn last_content_type(&self) -> Option<String> {
        self.shared.last_content_type.lock().expect("lock").clone()
    }
}

impl Drop for FakeEndpoint {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Start on `127.0.0.1:port` (0 picks a free port).
///
/// # Errors
/// The port cannot be bound.
pub async fn start(port: u16, opts: FakeOptions) -> std::io::Result<FakeEndpoint> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    let shared = Arc::new(Shared::default());
    let s = Arc::clone(&shared);
    let task = tokio::spawn(async move {
        while let Ok((conn, _)) = listener.accept().await {
            let s = Arc::clone(&s);
            tokio::spawn(async move {
                let _ = serve(conn, s, opts).await;
            });
        }
    });
    Ok(FakeEndpoint { addr, shared, task })
}

async fn serve(conn: TcpStream, shared: Arc<Shared>, opts: FakeOptions) -> std::io::Result<()> {
    conn.set_nodelay(true)?;
    let (read, mut write) = conn.into_split();
    let mut read = BufReader::with_capacity(1 << 16, read);
    let mut line = String::new();
    let mut body = Vec::new();
    let mut out = Vec::with_capacity(1 << 16);
    loop {
        line.clear();
        if read.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let mut length = 0usize;
        let mut target = String::new();
        let mut content_type = None;
        let mut expect_continue = false;
        loop {
            line.clear();
            if read.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let h = line.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                let v = v.trim();
                match k.to_ascii_lowercase().as_str() {
                    "content-length" => length = v.parse().unwrap_or(0),
                    "x-amz-target" => target = v.to_string(),
                    "content-type" => content_type = Some(v.to_string()),
                    "expect" => expect_continue = v.eq_ignore_ascii_case("100-continue"),
                    _ => {}
                }
            }
        }
        if expect_continue {
            write.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await?;
        }
        body.resize(length, 0);
        read.read_exact(&mut body).await?;
        *shared.last_content_type.lock().expect("lock") = content_type;
        shared.requests.fetch_add(1, Ordering::Relaxed);
        let (status, json) = answer(&target, &body, &shared, opts);
        out.clear();
        out.extend_from_slice(format!("HTTP/1.1 {status}\r\nContent-Type: application/x-amz-json-1.1\r\nx-amzn-RequestId: fake\r\nContent-Length: {}\r\n\r\n", json.len()).as_bytes());
        out.extend_from_slice(json.as_bytes());
        write.write_all(&out).await?;
    }
}

fn count_records(body: &[u8]) -> u64 {
    body.windows(6).filter(|w| w == b"\"Data\"").count() as u64
}

fn answer(target: &str, body: &[u8], shared: &Shared, opts: FakeOptions) -> (&'static str, String) {
    let name = || -> String {
        let text = String::from_utf8_lossy(body);
        ["\"StreamName\":\"", "\"DeliveryStreamName\":\""]
            .iter()
            .find_map(|k| {
                text.find(k)
                    .map(|i| text[i + k.len()..].split('"').next().unwrap_or_default().to_string())
            })
            .unwrap_or_else(|| "bench".into())
    };
    match target {
        "Kinesis_20131202.PutRecords" | "Firehose_20150804.PutRecordBatch" => {
            let kinesis = target.starts_with("Kinesis");
            let n = count_records(body);
            let base = shared.records.fetch_add(n, Ordering::Relaxed);
            let mut failed = 0;
            let mut json = String::with_capacity(n as usize * 64 + 64);
            json.push_str(if kinesis {
                "{\"Records\":["
            } else {
                "{\"RequestResponses\":["
            });
            for i in 0..n {
                if i > 0 {
                    json.push(',');
                }
                let shard = (base + i) % u64::from(opts.shards.max(1));
                if opts
                    .throttle_every
                    .is_some_and(|k| k > 0 && (base + i + 1).is_multiple_of(k))
                {
                    failed += 1;
                    if kinesis {
                        json.push_str(&format!("{{\"ErrorCode\":\"ProvisionedThroughputExceededException\",\"ErrorMessage\":\"Rate exceeded for shard shardId-{shard:012} in stream bench under account 000000000000.\"}}"));
                    } else {
                        json.push_str(
                            "{\"ErrorCode\":\"ServiceUnavailableException\",\"ErrorMessage\":\"Slow down.\"}",
                        );
                    }
                } else if kinesis {
                    json.push_str(&format!(
                        "{{\"SequenceNumber\":\"{}\",\"ShardId\":\"shardId-{shard:012}\"}}",
                        base + i
                    ));
                } else {
                    json.push_str(&format!("{{\"RecordId\":\"{}\"}}", base + i));
                }
            }
            shared.throttled.fetch_add(failed, Ordering::Relaxed);
            if kinesis {
                json.push_str(&format!("],\"FailedRecordCount\":{failed}}}"));
            } else {
                json.push_str(&format!("],\"FailedPutCount\":{failed},\"Encrypted\":false}}"));
            }
            ("200 OK", json)
        }
        "Kinesis_20131202.DescribeStreamSummary" => {
            let n = name();
            (
                "200 OK",
                format!(
                    "{{\"StreamDescriptionSummary\":{{\"StreamName\":\"{n}\",\"StreamARN\":\"arn:aws:kinesis:us-east-1:000000000000:stream/{n}\",\"StreamStatus\":\"ACTIVE\",\"StreamModeDetails\":{{\"StreamMode\":\"PROVISIONED\"}},\"RetentionPeriodHours\":24,\"StreamCreationTimestamp\":1700000000,\"EnhancedMonitoring\":[],\"EncryptionType\":\"NONE\",\"OpenShardCount\":{},\"ConsumerCount\":0}}}}",
                    opts.shards
                ),
            )
        }
        "Firehose_20150804.DescribeDeliveryStream" => {
            let n = name();
            (
                "200 OK",
                format!("{{\"DeliveryStreamDescription\":{{\"DeliveryStreamName\":\"{n}\",\"DeliveryStreamARN\":\"arn:aws:firehose:us-east-1:000000000000:deliverystream/{n}\",\"DeliveryStreamStatus\":\"ACTIVE\",\"DeliveryStreamType\":\"DirectPut\",\"VersionId\":\"1\",\"Destinations\":[],\"HasMoreDestinations\":false}}}}"),
            )
        }
        other => (
            "400 Bad Request",
            format!(
                "{{\"__type\":\"UnknownOperationException\",\"message\":\"the fake endpoint does not serve {other}\"}}"
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_kinesis::config::{BehaviorVersion, Credentials, Region};
    use aws_sdk_kinesis::primitives::Blob;
    use aws_sdk_kinesis::types::PutRecordsRequestEntry;

    fn client(url: &str) -> aws_sdk_kinesis::Client {
        let conf = aws_sdk_kinesis::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
            .endpoint_url(url)
            .build();
        aws_sdk_kinesis::Client::from_conf(conf)
    }

    fn entries(n: usize) -> Vec<PutRecordsRequestEntry> {
        (0..n)
            .map(|i| {
                PutRecordsRequestEntry::builder()
                    .data(Blob::new(format!("{{\"Data\":{i}}}")))
                    .partition_key(i.to_string())
                    .build()
                    .unwrap()
            })
            .collect()
    }

    #[tokio::test]
    async fn the_real_sdk_puts_and_describes() {
        let fake = start(0, FakeOptions::default()).await.unwrap();
        let c = client(&fake.url());
        let out = c
            .put_records()
            .stream_name("s")
            .set_records(Some(entries(500)))
            .send()
            .await
            .unwrap();
        assert_eq!(out.records().len(), 500);
        assert_eq!(out.failed_record_count(), Some(0));
        let d = c.describe_stream_summary().stream_name("s").send().await.unwrap();
        assert_eq!(d.stream_description_summary().unwrap().open_shard_count(), 4);
        assert_eq!(
            fake.stats(),
            FakeStats {
                requests: 2,
                records: 500,
                throttled: 0
            }
        );
        assert_eq!(fake.last_content_type().as_deref(), Some("application/x-amz-json-1.1"));
    }

    #[tokio::test]
    async fn throttles_every_kth_record_when_asked() {
        let fake = start(
            0,
            FakeOptions {
                shards: 2,
                throttle_every: Some(10),
            },
        )
        .await
        .unwrap();
        let out = client(&fake.url())
            .put_records()
            .stream_name("s")
            .set_records(Some(entries(100)))
            .send()
            .await
            .unwrap();
        assert_eq!(out.failed_record_count(), Some(10));
        assert_eq!(out.records().iter().filter(|r| r.error_code().is_some()).count(), 10);
        assert_eq!(fake.stats().throttled, 10);
    }
}
