//! Service limits a producer must respect, each with the AWS page that states it.
//!
//! Sizes are in bytes of *unencoded* data: the SDK base64-encodes record data on the wire, and
//! the limits apply before that (`docs/aws-limits.md`).

/// Most records in one Kinesis `PutRecords` call.
/// <https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html>
pub const KINESIS_MAX_RECORDS: usize = 500;

/// Most bytes (data plus partition keys) in one Kinesis `PutRecords` call: 5 MiB, the long-standing
/// limit and the KPL's default. <https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html>
pub const KINESIS_MAX_REQUEST_BYTES: usize = 5 * 1024 * 1024;

/// Most bytes (data plus partition key) in one Kinesis record at the default maximum record size.
/// <https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html>
pub const KINESIS_MAX_RECORD_BYTES: usize = 1024 * 1024;

/// Longest partition key, in Unicode characters.
/// <https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecordsRequestEntry.html>
pub const KINESIS_MAX_PARTITION_KEY_CHARS: usize = 256;

/// Records per second one Kinesis shard accepts for writes.
/// <https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html>
pub const KINESIS_SHARD_RECORDS_PER_SEC: u64 = 1000;

/// Bytes per second one Kinesis shard accepts for writes (data plus partition keys).
/// <https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html>
pub const KINESIS_SHARD_BYTES_PER_SEC: u64 = 1024 * 1024;

/// Most records in one Firehose `PutRecordBatch` call.
/// <https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatch.html>
pub const FIREHOSE_MAX_RECORDS: usize = 500;

/// Most bytes in one Firehose `PutRecordBatch` call (4 MiB, "whichever is smaller" with the
/// record count). <https://docs.aws.amazon.com/firehose/latest/dev/limits.html>
pub const FIREHOSE_MAX_REQUEST_BYTES: usize = 4 * 1024 * 1024;

/// Most bytes in one Firehose record, before base64 (1,000 KiB).
/// <https://docs.aws.amazon.com/firehose/latest/dev/limits.html>
pub const FIREHOSE_MAX_RECORD_BYTES: usize = 1000 * 1024;

/// Write throughput a new on-demand stream takes, MB/s; it then absorbs up to double its
/// previous peak, and doubling within 15 minutes throttles.
/// <https://docs.aws.amazon.com/streams/latest/dev/how-do-i-size-a-stream.html>
pub const ON_DEMAND_INITIAL_WRITE_MB_S: f64 = 4.0;
