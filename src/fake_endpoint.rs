//! A minimal, fast Kinesis- and Firehose-compatible endpoint: a test and benchmark double, never
//! a server for real use. It binds 127.0.0.1 only.
//!
//! Local servers (kinesalite, moto) top out near 19k records/s, so against them a benchmark
//! measures the server, not kdg. This endpoint speaks just enough of the AWS JSON 1.1 protocol
//! over HTTP/1.1 keep-alive connections (`POST /`, `X-Amz-Target: Kinesis_20131202.<Op>` or
//! `Firehose_20150804.<Op>`, `Content-Length` or chunked bodies, `Expect: 100-continue`) to
//! measure kdg's own sending path:
//!
//! * `Kinesis_20131202.PutRecords` and `Firehose_20150804.PutRecordBatch` accept every record,
//!   or answer every k-th record (counted over the endpoint's life) as throttled when
//!   [`FakeOptions::throttle_every`] is set;
//! * `Kinesis_20131202.DescribeStreamSummary`, `Kinesis_20131202.DescribeStream` and
//!   `Firehose_20150804.DescribeDeliveryStream` describe an ACTIVE stream of any name;
//! * anything else is a 400 `UnknownOperationException`.
//!
//! Records are counted by the `"Data"` keys of the request body, without decoding it. Totals are
//! kept in atomics ([`FakeEndpoint::stats`]), and the headers of the last request are kept so a
//! test can check the wire protocol ([`FakeEndpoint::last_content_type`]).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// How the endpoint behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FakeOptions {
    /// Open shards reported; accepted records are spread over them in turn.
    pub shards: u32,
    /// Answer every k-th record as throttled (`ProvisionedThroughputExceededException` for
    /// Kinesis, `ServiceUnavailableException` for Firehose). `None` or `Some(0)`: never.
    /// Records are numbered over the endpoint's life and record n is on shard n mod `shards`,
    /// so when `shards` divides k every throttle names the same shard (a hot shard).
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

/// What the endpoint has seen so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FakeStats {
    /// Requests answered, of any operation.
    pub requests: u64,
    /// Records received in `PutRecords` and `PutRecordBatch` calls, throttled ones included.
    pub records: u64,
    /// Records answered as throttled.
    pub throttled: u64,
}

#[derive(Default)]
struct Shared {
    requests: AtomicU64,
    records: AtomicU64,
    throttled: AtomicU64,
    last_headers: Mutex<Vec<(String, String)>>,
}

/// A running endpoint. It stops, and drops its connections, when dropped.
pub struct FakeEndpoint {
    /// Where it listens (always on 127.0.0.1).
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeEndpoint {
    /// Start on `127.0.0.1` on a free port.
    ///
    /// # Errors
    /// No port can be bound.
    pub async fn start(opts: FakeOptions) -> std::io::Result<FakeEndpoint> {
        FakeEndpoint::start_on(0, opts).await
    }

    /// Start on `127.0.0.1:port` (0 picks a free port).
    ///
    /// # Errors
    /// The port cannot be bound.
    pub async fn start_on(port: u16, opts: FakeOptions) -> std::io::Result<FakeEndpoint> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let server = Arc::new(Server::new(opts, Arc::clone(&shared)));
        let task = tokio::spawn(accept(listener, server));
        Ok(FakeEndpoint { addr, shared, task })
    }

    /// `http://127.0.0.1:PORT`, for `--endpoint-url`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Totals so far.
    pub fn stats(&self) -> FakeStats {
        FakeStats {
            requests: self.shared.requests.load(Ordering::Relaxed),
            records: self.shared.records.load(Ordering::Relaxed),
            throttled: self.shared.throttled.load(Ordering::Relaxed),
        }
    }

    /// The headers of the last request, names lowercased, in the order they came.
    pub fn last_headers(&self) -> Vec<(String, String)> {
        self.shared.last_headers.lock().expect("lock").clone()
    }

    /// The `Content-Type` of the last request.
    pub fn last_content_type(&self) -> Option<String> {
        let headers = self.shared.last_headers.lock().expect("lock");
        headers
            .iter()
            .find(|(k, _)| k == "content-type")
            .map(|(_, v)| v.clone())
    }
}

impl Drop for FakeEndpoint {
    fn drop(&mut self) {
        // The accept task owns the connection tasks: aborting it drops them too.
        self.task.abort();
    }
}

/// Start on `127.0.0.1:port` (0 picks a free port); the same as [`FakeEndpoint::start_on`].
///
/// # Errors
/// The port cannot be bound.
pub async fn start(port: u16, opts: FakeOptions) -> std::io::Result<FakeEndpoint> {
    FakeEndpoint::start_on(port, opts).await
}

async fn accept(listener: TcpListener, server: Arc<Server>) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((conn, _)) => {
                    let server = Arc::clone(&server);
                    conns.spawn(async move {
                        // A broken or malformed connection is simply closed.
                        let _ = serve(conn, &server).await;
                    });
                }
                // Out of file descriptors and the like: wait a little rather than spin.
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
}

/// What every connection shares: the options, the totals, and text prepared once.
struct Server {
    opts: FakeOptions,
    shared: Arc<Shared>,
    /// `"shardId-000000000000"` … per shard.
    shard_ids: Vec<String>,
}

impl Server {
    fn new(opts: FakeOptions, shared: Arc<Shared>) -> Server {
        let shard_ids = (0..opts.shards.max(1)).map(|i| format!("shardId-{i:012}")).collect();
        Server {
            opts,
            shared,
            shard_ids,
        }
    }
}

/// A request's head, as far as the endpoint cares.
#[derive(Default)]
struct Head {
    target: String,
    length: Option<usize>,
    chunked: bool,
    expect_continue: bool,
    close: bool,
    headers: Vec<(String, String)>,
}

fn bad_request(msg: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, msg.to_string())
}

/// Read one request head; `None` at a clean end of the connection.
async fn read_head<R: AsyncBufReadExt + Unpin>(read: &mut R, line: &mut Vec<u8>) -> std::io::Result<Option<Head>> {
    // The request line (skipping stray blank lines between requests, as RFC 9112 allows).
    loop {
        line.clear();
        if read.read_until(b'\n', line).await? == 0 {
            return Ok(None);
        }
        if !trim_crlf(line).is_empty() {
            break;
        }
    }
    let request_line = trim_crlf(line);
    let http10 = request_line.ends_with(b"HTTP/1.0");
    let mut head = Head {
        close: http10,
        ..Head::default()
    };
    loop {
        line.clear();
        if read.read_until(b'\n', line).await? == 0 {
            return Err(bad_request("connection closed inside a request head"));
        }
        let h = trim_crlf(line);
        if h.is_empty() {
            return Ok(Some(head));
        }
        let colon = h
            .iter()
            .position(|&b| b == b':')
            .ok_or_else(|| bad_request("header without a colon"))?;
        let name = String::from_utf8_lossy(&h[..colon]).trim().to_ascii_lowercase();
        let value = String::from_utf8_lossy(&h[colon + 1..]).trim().to_string();
        match name.as_str() {
            "content-length" => {
                head.length = Some(value.parse().map_err(|_| bad_request("bad content-length"))?);
            }
            "transfer-encoding" => head.chunked = value.to_ascii_lowercase().contains("chunked"),
            "x-amz-target" => head.target.clone_from(&value),
            "expect" => head.expect_continue = value.eq_ignore_ascii_case("100-continue"),
            "connection" => {
                let v = value.to_ascii_lowercase();
                if v.contains("close") {
                    head.close = true;
                } else if v.contains("keep-alive") {
                    head.close = false;
                }
            }
            _ => {}
        }
        head.headers.push((name, value));
    }
}

fn trim_crlf(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Read a chunked body into `body`.
async fn read_chunked<R: AsyncBufReadExt + Unpin>(
    read: &mut R,
    line: &mut Vec<u8>,
    body: &mut Vec<u8>,
) -> std::io::Result<()> {
    body.clear();
    loop {
        line.clear();
        read.read_until(b'\n', line).await?;
        let size_text = trim_crlf(line);
        let size_text = size_text.split(|&b| b == b';').next().unwrap_or_default();
        let size = std::str::from_utf8(size_text)
            .ok()
            .and_then(|s| usize::from_str_radix(s.trim(), 16).ok())
            .ok_or_else(|| bad_request("bad chunk size"))?;
        if size == 0 {
            // Trailers, up to the blank line.
            loop {
                line.clear();
                if read.read_until(b'\n', line).await? == 0 || trim_crlf(line).is_empty() {
                    return Ok(());
                }
            }
        }
        let at = body.len();
        body.resize(at + size, 0);
        read.read_exact(&mut body[at..]).await?;
        line.clear();
        read.read_until(b'\n', line).await?;
    }
}

async fn serve(conn: TcpStream, server: &Server) -> std::io::Result<()> {
    conn.set_nodelay(true)?;
    let (read, mut write) = conn.into_split();
    let mut read = BufReader::with_capacity(1 << 16, read);
    let mut line = Vec::with_capacity(256);
    let mut body = Vec::new();
    let mut json = Vec::with_capacity(1 << 16);
    let mut out = Vec::with_capacity(1 << 16);
    while let Some(head) = read_head(&mut read, &mut line).await? {
        if head.expect_continue {
            write.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await?;
        }
        if head.chunked {
            read_chunked(&mut read, &mut line, &mut body).await?;
        } else {
            body.resize(head.length.unwrap_or(0), 0);
            read.read_exact(&mut body).await?;
        }
        let close = head.close;
        *server.shared.last_headers.lock().expect("lock") = head.headers;
        server.shared.requests.fetch_add(1, Ordering::Relaxed);
        json.clear();
        let status = answer(&head.target, &body, server, &mut json);
        out.clear();
        out.extend_from_slice(b"HTTP/1.1 ");
        out.extend_from_slice(status.as_bytes());
        out.extend_from_slice(b"\r\nContent-Type: application/x-amz-json-1.1\r\n");
        out.extend_from_slice(b"x-amzn-RequestId: 00000000-0000-4000-8000-000000000000\r\nContent-Length: ");
        out.extend_from_slice(itoa::Buffer::new().format(json.len()).as_bytes());
        out.extend_from_slice(if close {
            b"\r\nConnection: close\r\n\r\n".as_slice()
        } else {
            b"\r\n\r\n".as_slice()
        });
        out.extend_from_slice(&json);
        write.write_all(&out).await?;
        if close {
            write.shutdown().await?;
            return Ok(());
        }
    }
    Ok(())
}

/// Write the JSON answer to `target` into `out`; returns the HTTP status line's tail.
fn answer(target: &str, body: &[u8], server: &Server, out: &mut Vec<u8>) -> &'static str {
    match target {
        "Kinesis_20131202.PutRecords" => {
            put(body, server, true, out);
            "200 OK"
        }
        "Firehose_20150804.PutRecordBatch" => {
            put(body, server, false, out);
            "200 OK"
        }
        "Kinesis_20131202.DescribeStreamSummary" => {
            let name = stream_name(body);
            out.extend_from_slice(
                format!(
                    "{{\"StreamDescriptionSummary\":{{\"StreamName\":\"{name}\",\"StreamARN\":\"{arn}\",\
                     \"StreamStatus\":\"ACTIVE\",\"StreamModeDetails\":{{\"StreamMode\":\"PROVISIONED\"}},\
                     \"RetentionPeriodHours\":24,\"StreamCreationTimestamp\":1700000000,\
                     \"EnhancedMonitoring\":[{{\"ShardLevelMetrics\":[]}}],\"EncryptionType\":\"NONE\",\
                     \"OpenShardCount\":{shards},\"ConsumerCount\":0}}}}",
                    arn = stream_arn(&name),
                    shards = server.shard_ids.len(),
                )
                .as_bytes(),
            );
            "200 OK"
        }
        "Kinesis_20131202.DescribeStream" => {
            let name = stream_name(body);
            let n = server.shard_ids.len() as u128;
            let width = u128::MAX / n;
            let shards: Vec<String> = (0..n)
                .map(|i| {
                    let end = if i + 1 == n { u128::MAX } else { width * (i + 1) - 1 };
                    format!(
                        "{{\"ShardId\":\"{id}\",\"HashKeyRange\":{{\"StartingHashKey\":\"{start}\",\"EndingHashKey\":\"{end}\"}},\
                         \"SequenceNumberRange\":{{\"StartingSequenceNumber\":\"{seq}\"}}}}",
                        id = server.shard_ids[i as usize],
                        start = width * i,
                        seq = sequence_number(0),
                    )
                })
                .collect();
            out.extend_from_slice(
                format!(
                    "{{\"StreamDescription\":{{\"StreamName\":\"{name}\",\"StreamARN\":\"{arn}\",\
                     \"StreamStatus\":\"ACTIVE\",\"StreamModeDetails\":{{\"StreamMode\":\"PROVISIONED\"}},\
                     \"Shards\":[{shards}],\"HasMoreShards\":false,\"RetentionPeriodHours\":24,\
                     \"StreamCreationTimestamp\":1700000000,\"EnhancedMonitoring\":[{{\"ShardLevelMetrics\":[]}}],\
                     \"EncryptionType\":\"NONE\"}}}}",
                    arn = stream_arn(&name),
                    shards = shards.join(","),
                )
                .as_bytes(),
            );
            "200 OK"
        }
        "Firehose_20150804.DescribeDeliveryStream" => {
            let name = field(body, b"\"DeliveryStreamName\"").unwrap_or_else(|| "bench".into());
            out.extend_from_slice(
                format!(
                    "{{\"DeliveryStreamDescription\":{{\"DeliveryStreamName\":\"{name}\",\
                     \"DeliveryStreamARN\":\"arn:aws:firehose:us-east-1:000000000000:deliverystream/{name}\",\
                     \"DeliveryStreamStatus\":\"ACTIVE\",\"DeliveryStreamType\":\"DirectPut\",\"VersionId\":\"1\",\
                     \"CreateTimestamp\":1700000000,\"Destinations\":[],\"HasMoreDestinations\":false}}}}"
                )
                .as_bytes(),
            );
            "200 OK"
        }
        other => {
            let other: String = other.chars().filter(|c| *c != '"' && *c != '\\').collect();
            out.extend_from_slice(
                format!(
                    "{{\"__type\":\"UnknownOperationException\",\"message\":\"the fake endpoint does not serve `{other}`\"}}"
                )
                .as_bytes(),
            );
            "400 Bad Request"
        }
    }
}

/// Answer a `PutRecords` (`kinesis`) or `PutRecordBatch` request: one entry per record.
fn put(body: &[u8], server: &Server, kinesis: bool, out: &mut Vec<u8>) {
    let n = count_records(body);
    let shared = &server.shared;
    // Record numbers are global over the endpoint's life, so throttling is every k-th record
    // however the records are cut into requests and connections.
    let base = shared.records.fetch_add(n, Ordering::Relaxed);
    let every = server.opts.throttle_every.filter(|k| *k > 0);
    let stream = if kinesis && every.is_some() {
        stream_name(body)
    } else {
        String::new()
    };
    let mut failed = 0u64;
    let mut digits = itoa::Buffer::new();
    out.reserve(n as usize * 100 + 64);
    out.extend_from_slice(if kinesis {
        b"{\"Records\":[".as_slice()
    } else {
        b"{\"RequestResponses\":[".as_slice()
    });
    for i in 0..n {
        let seq = base + i;
        if i > 0 {
            out.push(b',');
        }
        let shard = &server.shard_ids[(seq % server.shard_ids.len() as u64) as usize];
        if every.is_some_and(|k| (seq + 1).is_multiple_of(k)) {
            failed += 1;
            if kinesis {
                out.extend_from_slice(
                    b"{\"ErrorCode\":\"ProvisionedThroughputExceededException\",\"ErrorMessage\":\"Rate exceeded for shard ",
                );
                out.extend_from_slice(shard.as_bytes());
                out.extend_from_slice(b" in stream ");
                out.extend_from_slice(stream.as_bytes());
                out.extend_from_slice(b" under account 000000000000.\"}");
            } else {
                out.extend_from_slice(
                    b"{\"ErrorCode\":\"ServiceUnavailableException\",\"ErrorMessage\":\"Slow down.\"}",
                );
            }
        } else if kinesis {
            out.extend_from_slice(b"{\"SequenceNumber\":\"");
            push_sequence_number(out, seq, &mut digits);
            out.extend_from_slice(b"\",\"ShardId\":\"");
            out.extend_from_slice(shard.as_bytes());
            out.extend_from_slice(b"\"}");
        } else {
            out.extend_from_slice(b"{\"RecordId\":\"");
            push_sequence_number(out, seq, &mut digits);
            out.extend_from_slice(b"\"}");
        }
    }
    if failed > 0 {
        shared.throttled.fetch_add(failed, Ordering::Relaxed);
    }
    out.extend_from_slice(if kinesis {
        b"],\"FailedRecordCount\":".as_slice()
    } else {
        b"],\"FailedPutCount\":".as_slice()
    });
    out.extend_from_slice(digits.format(failed).as_bytes());
    out.extend_from_slice(if kinesis {
        b"}".as_slice()
    } else {
        b",\"Encrypted\":false}".as_slice()
    });
}

/// Real sequence numbers are 56 decimal digits; these are too, so responses weigh what real ones do.
fn push_sequence_number(out: &mut Vec<u8>, seq: u64, digits: &mut itoa::Buffer) {
    let d = digits.format(seq).as_bytes();
    out.extend_from_slice(b"49");
    out.extend(std::iter::repeat_n(b'0', 54 - d.len()));
    out.extend_from_slice(d);
}

fn sequence_number(seq: u64) -> String {
    let mut out = Vec::with_capacity(56);
    push_sequence_number(&mut out, seq, &mut itoa::Buffer::new());
    String::from_utf8(out).expect("digits")
}

/// The records in a put request: its `"Data"` keys.
///
/// A quote that opens `"Data"`, is not escaped, and whose closing quote is followed (after
/// optional whitespace) by `:` starts a key named `Data`; inside a string `"Data":` cannot occur
/// unescaped. `PutRecords` and `PutRecordBatch` have no other member of that name, so this
/// counts records exactly without decoding the body. Quotes are found eight bytes at a time,
/// which skips the base64 data quickly.
fn count_records(body: &[u8]) -> u64 {
    let mut n = 0;
    let mut i = 0;
    while let Some(q) = find_quote(body, i) {
        i = q + 1;
        if body[q + 1..].starts_with(b"Data\"") && (q == 0 || body[q - 1] != b'\\') {
            let mut j = q + 6;
            while j < body.len() && matches!(body[j], b' ' | b'\t' | b'\r' | b'\n') {
                j += 1;
            }
            if body.get(j) == Some(&b':') {
                n += 1;
                i = j + 1;
            }
        }
    }
    n
}

/// The first `"` at or after `from`.
fn find_quote(b: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const QUOTES: u64 = ONES * b'"' as u64;
    let mut i = from;
    while i + 8 <= b.len() {
        let w = u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes")) ^ QUOTES;
        // The lowest flagged byte is the first zero byte of `w`, i.e. the first quote.
        let zero = w.wrapping_sub(ONES) & !w & HIGHS;
        if zero != 0 {
            return Some(i + (zero.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b.get(i..)?.iter().position(|&c| c == b'"').map(|p| i + p)
}

/// The string value of the last `key` member in a JSON body (keys given with their quotes).
/// Escaped characters are kept escaped, so the value can be put back into JSON as it is.
fn field(body: &[u8], key: &[u8]) -> Option<String> {
    // The stream name follows the records in the SDK's bodies: look from the end.
    let at = body.windows(key.len()).rposition(|w| w == key)?;
    let rest = &body[at + key.len()..];
    let rest = rest
        .trim_ascii_start()
        .strip_prefix(b":")?
        .trim_ascii_start()
        .strip_prefix(b"\"")?;
    let mut end = 0;
    while end < rest.len() && rest[end] != b'"' {
        end += if rest[end] == b'\\' { 2 } else { 1 };
    }
    Some(String::from_utf8_lossy(rest.get(..end)?).into_owned())
}

/// The stream a Kinesis request names, by `StreamName` or else by `StreamARN`.
fn stream_name(body: &[u8]) -> String {
    field(body, b"\"StreamName\"")
        .or_else(|| field(body, b"\"StreamARN\"").and_then(|a| a.rsplit('/').next().map(str::to_string)))
        .unwrap_or_else(|| "bench".into())
}

fn stream_arn(name: &str) -> String {
    format!("arn:aws:kinesis:us-east-1:000000000000:stream/{name}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_kinesis::config::{BehaviorVersion, Credentials, Region};
    use aws_sdk_kinesis::primitives::Blob;
    use aws_sdk_kinesis::types::PutRecordsRequestEntry;

    fn kinesis(fake: &FakeEndpoint) -> aws_sdk_kinesis::Client {
        // Explicit region and credentials: nothing here consults the environment or the network.
        let conf = aws_sdk_kinesis::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
            .endpoint_url(fake.url())
            .build();
        aws_sdk_kinesis::Client::from_conf(conf)
    }

    fn firehose(fake: &FakeEndpoint) -> aws_sdk_firehose::Client {
        let conf = aws_sdk_firehose::Config::builder()
            .behavior_version(aws_sdk_firehose::config::BehaviorVersion::latest())
            .region(aws_sdk_firehose::config::Region::new("us-east-1"))
            .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
            .endpoint_url(fake.url())
            .build();
        aws_sdk_firehose::Client::from_conf(conf)
    }

    /// Records whose data and keys try to look like `"Data":` keys.
    fn entries(n: usize) -> Vec<PutRecordsRequestEntry> {
        (0..n)
            .map(|i| {
                PutRecordsRequestEntry::builder()
                    .data(Blob::new(format!("{{\"Data\":{i}}}\n")))
                    .partition_key(if i % 2 == 0 {
                        "Data".to_string()
                    } else {
                        format!("\"Data\":{i}")
                    })
                    .build()
                    .unwrap()
            })
            .collect()
    }

    #[tokio::test]
    async fn put_records_of_500_all_succeed_over_the_aws_json_protocol() {
        let fake = FakeEndpoint::start(FakeOptions::default()).await.unwrap();
        assert!(fake.addr.ip().is_loopback());
        let c = kinesis(&fake);
        for _ in 0..2 {
            let out = c
                .put_records()
                .stream_name("Data")
                .set_records(Some(entries(500)))
                .send()
                .await
                .unwrap();
            assert_eq!(out.records().len(), 500);
            assert_eq!(out.failed_record_count(), Some(0));
            assert!(out.records().iter().all(|r| r.error_code().is_none()
                && r.sequence_number().is_some_and(|s| s.len() == 56)
                && r.shard_id().is_some_and(|s| s.starts_with("shardId-"))));
        }
        assert_eq!(
            fake.stats(),
            FakeStats {
                requests: 2,
                records: 1000,
                throttled: 0
            }
        );
        assert_eq!(fake.last_content_type().as_deref(), Some("application/x-amz-json-1.1"));
        let headers = fake.last_headers();
        let header = |k: &str| headers.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(header("x-amz-target"), Some("Kinesis_20131202.PutRecords"));
        assert!(header("authorization").is_some_and(|a| a.starts_with("AWS4-HMAC-SHA256")));
    }

    #[tokio::test]
    async fn throttles_every_kth_record_when_asked() {
        let fake = FakeEndpoint::start(FakeOptions {
            shards: 2,
            throttle_every: Some(10),
        })
        .await
        .unwrap();
        let out = kinesis(&fake)
            .put_records()
            .stream_name("prices")
            .set_records(Some(entries(100)))
            .send()
            .await
            .unwrap();
        assert_eq!(out.failed_record_count(), Some(10));
        let failed: Vec<_> = out.records().iter().filter(|r| r.error_code().is_some()).collect();
        assert_eq!(failed.len(), 10);
        assert_eq!(failed[0].error_code(), Some("ProvisionedThroughputExceededException"));
        assert_eq!(
            failed[0].error_message(),
            Some("Rate exceeded for shard shardId-000000000001 in stream prices under account 000000000000.")
        );
        assert!(out.records()[9].error_code().is_some() && out.records()[8].error_code().is_none());
        assert_eq!(
            fake.stats(),
            FakeStats {
                requests: 1,
                records: 100,
                throttled: 10
            }
        );
    }

    #[tokio::test]
    async fn describe_stream_summary_and_describe_stream_deserialize() {
        let fake = FakeEndpoint::start(FakeOptions {
            shards: 3,
            throttle_every: None,
        })
        .await
        .unwrap();
        let c = kinesis(&fake);
        let d = c.describe_stream_summary().stream_name("s1").send().await.unwrap();
        let s = d.stream_description_summary().unwrap();
        assert_eq!(s.stream_name(), "s1");
        assert_eq!(s.stream_arn(), "arn:aws:kinesis:us-east-1:000000000000:stream/s1");
        assert_eq!(s.stream_status().as_str(), "ACTIVE");
        assert_eq!(s.stream_mode_details().unwrap().stream_mode().as_str(), "PROVISIONED");
        assert_eq!(s.open_shard_count(), 3);
        assert_eq!(s.retention_period_hours(), 24);
        assert_eq!(s.stream_creation_timestamp().secs(), 1_700_000_000);

        let d = c.describe_stream().stream_name("s2").send().await.unwrap();
        let s = d.stream_description().unwrap();
        assert_eq!(s.stream_name(), "s2");
        assert_eq!(s.shards().len(), 3);
        assert!(!s.has_more_shards());
        let ranges: Vec<(u128, u128)> = s
            .shards()
            .iter()
            .map(|sh| {
                let r = sh.hash_key_range().unwrap();
                (
                    r.starting_hash_key().parse().unwrap(),
                    r.ending_hash_key().parse().unwrap(),
                )
            })
            .collect();
        assert_eq!(ranges[0].0, 0);
        assert_eq!(ranges[2].1, u128::MAX);
        assert!(ranges.windows(2).all(|w| w[0].1 + 1 == w[1].0));
        assert_eq!(fake.stats().requests, 2);
        assert_eq!(fake.stats().records, 0);
    }

    #[tokio::test]
    async fn unknown_operations_are_a_400_unknown_operation_exception() {
        let fake = FakeEndpoint::start(FakeOptions::default()).await.unwrap();
        let err = kinesis(&fake).list_streams().send().await.unwrap_err();
        let code = aws_sdk_kinesis::error::ProvideErrorMetadata::code(&err);
        assert_eq!(code, Some("UnknownOperationException"), "{err:?}");
        assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(400));
    }

    #[tokio::test]
    async fn firehose_put_record_batch_and_describe_delivery_stream() {
        use aws_sdk_firehose::primitives::Blob;
        use aws_sdk_firehose::types::Record;
        let fake = FakeEndpoint::start(FakeOptions {
            shards: 1,
            throttle_every: Some(4),
        })
        .await
        .unwrap();
        let c = firehose(&fake);
        let records: Vec<Record> = (0..500)
            .map(|i| {
                Record::builder()
                    .data(Blob::new(format!("{{\"n\":{i}}}\n")))
                    .build()
                    .unwrap()
            })
            .collect();
        let out = c
            .put_record_batch()
            .delivery_stream_name("d")
            .set_records(Some(records))
            .send()
            .await
            .unwrap();
        assert_eq!(out.request_responses().len(), 500);
        assert_eq!(out.failed_put_count(), 125);
        assert_eq!(out.encrypted(), Some(false));
        let r = &out.request_responses()[3];
        assert_eq!(r.error_code(), Some("ServiceUnavailableException"));
        assert!(out.request_responses()[0].record_id().is_some());
        let d = c
            .describe_delivery_stream()
            .delivery_stream_name("d")
            .send()
            .await
            .unwrap();
        let s = d.delivery_stream_description().unwrap();
        assert_eq!(s.delivery_stream_name(), "d");
        assert_eq!(s.delivery_stream_status().as_str(), "ACTIVE");
        assert_eq!(s.delivery_stream_type().as_str(), "DirectPut");
        assert_eq!(
            fake.stats(),
            FakeStats {
                requests: 2,
                records: 500,
                throttled: 125
            }
        );
        assert_eq!(fake.last_content_type().as_deref(), Some("application/x-amz-json-1.1"));
    }

    #[tokio::test]
    async fn concurrent_connections_are_counted_exactly() {
        let fake = FakeEndpoint::start(FakeOptions::default()).await.unwrap();
        let mut tasks = JoinSet::new();
        for _ in 0..8 {
            let c = kinesis(&fake);
            tasks.spawn(async move {
                for _ in 0..5 {
                    let out = c
                        .put_records()
                        .stream_name("s")
                        .set_records(Some(entries(500)))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(out.failed_record_count(), Some(0));
                }
            });
        }
        while let Some(r) = tasks.join_next().await {
            r.unwrap();
        }
        assert_eq!(
            fake.stats(),
            FakeStats {
                requests: 40,
                records: 20_000,
                throttled: 0
            }
        );
    }

    #[tokio::test]
    async fn chunked_bodies_expect_continue_and_connection_close_are_served() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let fake = FakeEndpoint::start(FakeOptions::default()).await.unwrap();
        let mut conn = TcpStream::connect(fake.addr).await.unwrap();
        let body = r#"{"Records":[{"Data" : "eyJ9Cg==", "PartitionKey": "Data"},{"Data":"eA=="}], "StreamName": "s"}"#;
        let (a, b) = body.split_at(20);
        let req = format!(
            "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: Kinesis_20131202.PutRecords\r\n\
             Content-Type: application/x-amz-json-1.1\r\nExpect: 100-continue\r\n\
             Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{a}\r\n{:x};ext=1\r\n{b}\r\n0\r\n\r\n",
            a.len(),
            b.len()
        );
        conn.write_all(req.as_bytes()).await.unwrap();
        let mut resp = String::new();
        conn.read_to_string(&mut resp).await.unwrap();
        assert!(
            resp.starts_with("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"),
            "{resp}"
        );
        assert!(resp.contains("\"FailedRecordCount\":0"), "{resp}");
        assert_eq!(fake.stats().records, 2);
    }

    #[test]
    fn records_are_counted_by_data_keys_only() {
        assert_eq!(count_records(br#"{"Records":[],"StreamName":"Data"}"#), 0);
        assert_eq!(
            count_records(br#"{"Records":[{"Data":"QQ==","PartitionKey":"Data"},{"Data":"Qg==","PartitionKey":"\"Data\":"}],"StreamName":"Data"}"#),
            2
        );
        assert_eq!(count_records(br#"{"Records":[{"Data"  :"QQ=="}]}"#), 1);
        assert_eq!(count_records(b"\"Data\":"), 1);
        assert_eq!(count_records(b""), 0);
        let mut big = b"{\"Records\":[".to_vec();
        for i in 0..500 {
            if i > 0 {
                big.push(b',');
            }
            big.extend_from_slice(
                format!("{{\"Data\":\"{}\",\"PartitionKey\":\"{i}\"}}", "A".repeat(i % 97)).as_bytes(),
            );
        }
        big.extend_from_slice(b"],\"StreamName\":\"s\"}");
        assert_eq!(count_records(&big), 500);
    }

    #[test]
    fn quotes_are_found_at_every_offset() {
        for len in 0..40 {
            for at in 0..len {
                let mut b = vec![b'x'; len];
                b[at] = b'"';
                assert_eq!(find_quote(&b, 0), Some(at));
                assert_eq!(find_quote(&b, at + 1), None);
            }
            assert_eq!(find_quote(&vec![b'"'; len], len), None);
        }
    }

    #[test]
    fn names_are_read_from_the_end_of_the_body() {
        let body = br#"{"Records":[{"Data":"eA==","PartitionKey":"StreamName"}],"StreamName" : "a\"b"}"#;
        assert_eq!(stream_name(body), "a\\\"b");
        assert_eq!(
            stream_name(br#"{"StreamARN":"arn:aws:kinesis:us-east-1:1:stream/x"}"#),
            "x"
        );
        assert_eq!(stream_name(b"{}"), "bench");
    }
}
