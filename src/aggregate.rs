//! Several logical records in one Kinesis or Firehose record (`--aggregate N`).
//!
//! This module owns the two packings, their exact size accounting, and reading them back:
//!
//! * **Kinesis: KPL aggregation.** [`KplAggregator`] packs sub-records into the aggregated record
//!   format of the Kinesis Producer Library, which the KCL, the Lambda de-aggregation modules and
//!   Firehose (reading from a stream) take apart again. [`deaggregate`] reads such a record back.
//! * **Firehose: newline packing.** [`LinePacker`] joins records into one Firehose record, each
//!   newline-terminated, which is how line-oriented consumers of the delivered S3 objects split
//!   them anyway. [`split_lines`] reads such a record back.
//!
//! Both packers accumulate records internally, say at every step exactly how many bytes the
//! finished record will count against the service's per-record limit, refuse a record that would
//! cross their limit ([`KplAggregator::try_add`], [`LinePacker::try_push`]), and write the finished
//! record into a caller's buffer ([`KplAggregator::finish`], [`LinePacker::finish`]), after which
//! they are empty and reuse their buffers: no allocation per record once warmed up.
//!
//! # The aggregated record format
//!
//! ```text
//! F3 89 9A C2  ‖  protobuf AggregatedRecord  ‖  MD5(protobuf bytes), 16 bytes
//!
//! message AggregatedRecord {                        message Record {
//!   repeated string partition_key_table     = 1;      required uint64 partition_key_index     = 1;
//!   repeated string explicit_hash_key_table = 2;      optional uint64 explicit_hash_key_index = 2;
//!   repeated Record records                 = 3;      required bytes  data                    = 3;
//! }                                                   repeated Tag    tags                    = 4;
//!                                                   }
//! message Tag { required string key = 1; optional string value = 2; }
//! ```
//!
//! (proto2; <https://github.com/awslabs/amazon-kinesis-producer/blob/master/aggregation-format.md>.)
//! Keys are stored once in their tables and referred to by index. The encoder is hand-written:
//! the format needs only varints and length-delimited fields, and writing them straight into
//! reused buffers keeps the hot path free of allocations. Tables are written before the records,
//! as protobuf's own serializers do; no tags are written.
//!
//! Choices, and where they follow or differ from the KPL:
//!
//! * A finished aggregator holding **one** record writes that record's data as it is, not
//!   aggregated, as the KPL does: a consumer sees an ordinary record. Two or more are aggregated.
//! * The aggregated record is sent with the **first sub-record's partition key** (and explicit
//!   hash key, if it has one), as the Lambda aggregation modules do, so it lands on the first
//!   sub-record's shard. (The KPL sends partition key `"a"` with the first sub-record's hash key
//!   as explicit hash key: the same shard.) The KPL also groups sub-records by predicted shard;
//!   kdg does not, so sub-records with other keys ride along on the first one's shard.
//! * [`deaggregate`] is stricter than the KCL and `aws_kinesis_agg`, which hand back a record
//!   whose digest does not match, or whose protobuf does not parse, as one plain record: kdg reads
//!   back what it wrote, where either means corruption, so both are errors. A record without the
//!   magic number is one plain record, as everywhere. (The magic number is not valid UTF-8, so no
//!   text record is ever taken for an aggregated one.)

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;

use md5::{Digest, Md5};

use crate::sink::limits::{FIREHOSE_MAX_RECORD_BYTES, KINESIS_MAX_RECORD_BYTES};

/// The four bytes an aggregated record starts with.
pub const KPL_MAGIC: [u8; 4] = [0xF3, 0x89, 0x9A, 0xC2];

/// Length of the MD5 digest that ends an aggregated record.
pub const KPL_DIGEST_LEN: usize = 16;

/// Bytes an aggregated record has besides its protobuf message: magic number and digest.
pub const KPL_OVERHEAD: usize = KPL_MAGIC.len() + KPL_DIGEST_LEN;

// Protobuf field keys, (field number << 3) | wire type; 0 is a varint, 2 length-delimited.
const AGG_PARTITION_KEY: u8 = (1 << 3) | 2;
const AGG_EXPLICIT_HASH_KEY: u8 = (2 << 3) | 2;
const AGG_RECORD: u8 = (3 << 3) | 2;
const REC_PARTITION_KEY_INDEX: u8 = 1 << 3;
const REC_EXPLICIT_HASH_KEY_INDEX: u8 = 2 << 3;
const REC_DATA: u8 = (3 << 3) | 2;

/// Bytes the varint encoding of `v` takes.
fn varint_len(v: u64) -> usize {
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Bytes a length-delimited field with a one-byte key and `len` bytes of payload takes.
fn delimited_len(len: usize) -> usize {
    1 + varint_len(len as u64) + len
}

/// Bytes the `records` field of one sub-record takes.
fn record_field_len(pk_index: u32, ehk_index: Option<u32>, data_len: usize) -> usize {
    let inner =
        1 + varint_len(pk_index.into()) + ehk_index.map_or(0, |i| 1 + varint_len(i.into())) + delimited_len(data_len);
    delimited_len(inner)
}

const NONE: u32 = u32::MAX;

/// A deduplicated key table: keys back to back, found by hash without allocating per key.
#[derive(Debug, Default)]
struct KeyTable {
    text: String,
    ends: Vec<usize>,
    /// Key hash → the latest index with that hash; `chain[i]` is the index before `i` with the
    /// same hash, or `NONE`.
    heads: HashMap<u64, u32>,
    chain: Vec<u32>,
    hasher: RandomState,
    /// Bytes of this table's protobuf fields.
    encoded: usize,
}

/// Where a key is or would go in a [`KeyTable`].
#[derive(Debug, Clone, Copy)]
struct Slot {
    index: u32,
    hash: u64,
    new: bool,
}

impl KeyTable {
    fn len(&self) -> usize {
        self.ends.len()
    }

    fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }

    fn slot(&self, key: &str) -> Slot {
        let hash = self.hasher.hash_one(key);
        let mut i = self.heads.get(&hash).copied().unwrap_or(NONE);
        while i != NONE {
            if self.get(i as usize) == key {
                return Slot {
                    index: i,
                    hash,
                    new: false,
                };
            }
            i = self.chain[i as usize];
        }
        Slot {
            index: self.len() as u32,
            hash,
            new: true,
        }
    }

    /// Bytes the table grows by if `key` goes into `slot`.
    fn growth(slot: Slot, key: &str) -> usize {
        if slot.new {
            delimited_len(key.len())
        } else {
            0
        }
    }

    fn insert(&mut self, slot: Slot, key: &str) {
        if slot.new {
            self.text.push_str(key);
            self.ends.push(self.text.len());
            self.chain
                .push(self.heads.insert(slot.hash, slot.index).unwrap_or(NONE));
            self.encoded += delimited_len(key.len());
        }
    }

    fn write(&self, key: u8, out: &mut Vec<u8>) {
        for i in 0..self.len() {
            let k = self.get(i);
            out.push(key);
            put_varint(out, k.len() as u64);
            out.extend_from_slice(k.as_bytes());
        }
    }

    fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
        self.heads.clear();
        self.chain.clear();
        self.encoded = 0;
    }
}

/// Accumulates sub-records into one KPL aggregated Kinesis record.
///
/// ```
/// use kdg::aggregate::{deaggregate, KplAggregator};
///
/// let mut agg = KplAggregator::new();
/// assert!(agg.try_add(b"{\"a\":1}\n", "k1", None));
/// assert!(agg.try_add(b"{\"a\":2}\n", "k2", None));
/// let expected = agg.data_len();
/// let mut data = Vec::new();
/// let done = agg.finish(&mut data).unwrap();
/// assert_eq!((done.partition_key, done.records, done.aggregated), ("k1", 2, true));
/// assert_eq!(data.len(), expected);
/// let subs = deaggregate(&data, "k1").unwrap();
/// assert_eq!(subs[1].data, b"{\"a\":2}\n");
/// assert_eq!(subs[1].partition_key, "k2");
/// ```
#[derive(Debug)]
pub struct KplAggregator {
    limit: usize,
    pks: KeyTable,
    ehks: KeyTable,
    /// The encoded `records` fields, back to back.
    records: Vec<u8>,
    count: usize,
    /// Where the first sub-record's data is in `records`, for the one-record case.
    first_data: std::ops::Range<usize>,
    first_has_ehk: bool,
    /// The keys the last finished record is sent with.
    outer_pk: String,
    outer_ehk: String,
}

/// What [`KplAggregator::finish`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finished<'a> {
    /// The partition key to send the Kinesis record with: its first sub-record's.
    pub partition_key: &'a str,
    /// The explicit hash key to send it with: its first sub-record's, if that has one.
    pub explicit_hash_key: Option<&'a str>,
    /// Logical records in it.
    pub records: usize,
    /// Whether it was written in the aggregated format (two or more records) rather than as the
    /// one record's own data.
    pub aggregated: bool,
}

impl Default for KplAggregator {
    fn default() -> Self {
        KplAggregator::new()
    }
}

impl KplAggregator {
    /// An empty aggregator that keeps a Kinesis record within
    /// [`KINESIS_MAX_RECORD_BYTES`] (data plus partition key).
    pub fn new() -> KplAggregator {
        KplAggregator::with_limit(KINESIS_MAX_RECORD_BYTES)
    }

    /// An empty aggregator whose [`try_add`](Self::try_add) keeps [`kinesis_len`](Self::kinesis_len)
    /// at most `limit`.
    pub fn with_limit(limit: usize) -> KplAggregator {
        KplAggregator {
            limit,
            pks: KeyTable::default(),
            ehks: KeyTable::default(),
            records: Vec::new(),
            count: 0,
            first_data: 0..0,
            first_has_ehk: false,
            outer_pk: String::new(),
            outer_ehk: String::new(),
        }
    }

    /// The limit [`try_add`](Self::try_add) keeps to.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Sub-records held.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether no sub-record is held.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Exactly the bytes [`finish`](Self::finish) would write now: 0 when empty, the record's
    /// own data for one record, magic number, protobuf message and digest for more.
    pub fn data_len(&self) -> usize {
        match self.count {
            0 => 0,
            1 => self.first_data.len(),
            _ => self.aggregated_len(),
        }
    }

    /// Exactly the bytes the finished record counts against Kinesis's per-record limit:
    /// [`data_len`](Self::data_len) plus the partition key it is sent with.
    pub fn kinesis_len(&self) -> usize {
        match self.count {
            0 => 0,
            _ => self.data_len() + self.pks.get(0).len(),
        }
    }

    /// What [`kinesis_len`](Self::kinesis_len) would be after adding this sub-record.
    pub fn kinesis_len_with(&self, data: &[u8], partition_key: &str, explicit_hash_key: Option<&str>) -> usize {
        self.plan(data, partition_key, explicit_hash_key).kinesis_len
    }

    fn aggregated_len(&self) -> usize {
        KPL_OVERHEAD + self.pks.encoded + self.ehks.encoded + self.records.len()
    }

    fn plan(&self, data: &[u8], partition_key: &str, explicit_hash_key: Option<&str>) -> Plan {
        let pk = self.pks.slot(partition_key);
        let ehk = explicit_hash_key.map(|k| self.ehks.slot(k));
        let kinesis_len = if self.count == 0 {
            data.len() + partition_key.len()
        } else {
            self.aggregated_len()
                + KeyTable::growth(pk, partition_key)
                + ehk.map_or(0, |s| KeyTable::growth(s, explicit_hash_key.unwrap_or_default()))
                + record_field_len(pk.index, ehk.map(|s| s.index), data.len())
                + self.pks.get(0).len()
        };
        Plan { pk, ehk, kinesis_len }
    }

    /// Add a sub-record if the finished record would stay within the limit; `false` (and nothing
    /// added) otherwise. `false` on an empty aggregator means the record is over the limit even
    /// alone.
    pub fn try_add(&mut self, data: &[u8], partition_key: &str, explicit_hash_key: Option<&str>) -> bool {
        let plan = self.plan(data, partition_key, explicit_hash_key);
        if plan.kinesis_len > self.limit {
            return false;
        }
        self.commit(plan, data, partition_key, explicit_hash_key);
        true
    }

    /// Add a sub-record whatever the size.
    pub fn add(&mut self, data: &[u8], partition_key: &str, explicit_hash_key: Option<&str>) {
        let plan = self.plan(data, partition_key, explicit_hash_key);
        self.commit(plan, data, partition_key, explicit_hash_key);
    }

    fn commit(&mut self, plan: Plan, data: &[u8], partition_key: &str, explicit_hash_key: Option<&str>) {
        self.pks.insert(plan.pk, partition_key);
        if let (Some(slot), Some(key)) = (plan.ehk, explicit_hash_key) {
            self.ehks.insert(slot, key);
        }
        let inner = 1
            + varint_len(plan.pk.index.into())
            + plan.ehk.map_or(0, |s| 1 + varint_len(s.index.into()))
            + delimited_len(data.len());
        let r = &mut self.records;
        r.push(AGG_RECORD);
        put_varint(r, inner as u64);
        r.push(REC_PARTITION_KEY_INDEX);
        put_varint(r, plan.pk.index.into());
        if let Some(s) = plan.ehk {
            r.push(REC_EXPLICIT_HASH_KEY_INDEX);
            put_varint(r, s.index.into());
        }
        r.push(REC_DATA);
        put_varint(r, data.len() as u64);
        let start = r.len();
        r.extend_from_slice(data);
        if self.count == 0 {
            self.first_data = start..r.len();
            self.first_has_ehk = explicit_hash_key.is_some();
        }
        self.count += 1;
    }

    /// Append the finished record to `out` and empty the aggregator; `None` (and nothing written)
    /// when it is empty. The keys returned are the ones to send the record with.
    pub fn finish(&mut self, out: &mut Vec<u8>) -> Option<Finished<'_>> {
        if self.count == 0 {
            return None;
        }
        let records = self.count;
        let aggregated = records > 1;
        if aggregated {
            out.reserve(self.aggregated_len());
            out.extend_from_slice(&KPL_MAGIC);
            let start = out.len();
            self.pks.write(AGG_PARTITION_KEY, out);
            self.ehks.write(AGG_EXPLICIT_HASH_KEY, out);
            out.extend_from_slice(&self.records);
            let digest = Md5::digest(&out[start..]);
            out.extend_from_slice(&digest);
        } else {
            out.extend_from_slice(&self.records[self.first_data.clone()]);
        }
        self.outer_pk.clear();
        self.outer_pk.push_str(self.pks.get(0));
        self.outer_ehk.clear();
        let has_ehk = self.first_has_ehk;
        if has_ehk {
            self.outer_ehk.push_str(self.ehks.get(0));
        }
        self.pks.clear();
        self.ehks.clear();
        self.records.clear();
        self.count = 0;
        self.first_data = 0..0;
        self.first_has_ehk = false;
        Some(Finished {
            partition_key: &self.outer_pk,
            explicit_hash_key: has_ehk.then_some(self.outer_ehk.as_str()),
            records,
            aggregated,
        })
    }
}

/// Where a sub-record would go, and the size after.
#[derive(Debug, Clone, Copy)]
struct Plan {
    pk: Slot,
    ehk: Option<Slot>,
    kinesis_len: usize,
}

/// One logical record read back from a Kinesis record, borrowing from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubRecord<'a> {
    /// The record's data.
    pub data: &'a [u8],
    /// Its partition key.
    pub partition_key: &'a str,
    /// Its explicit hash key, if it had one.
    pub explicit_hash_key: Option<&'a str>,
}

/// Why an aggregated record could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AggError {
    /// Magic number, but no room for a message and its digest.
    #[error("aggregated record of {0} bytes is too short for a message and its MD5 digest")]
    Truncated(usize),
    /// The digest does not match the message.
    #[error("aggregated record's MD5 digest does not match its contents")]
    Digest,
    /// The protobuf message is malformed.
    #[error("aggregated record's protobuf is malformed at byte {offset}: {what}")]
    Malformed {
        /// Offset in the Kinesis record's data.
        offset: usize,
        /// What is wrong.
        what: &'static str,
    },
    /// A sub-record refers to a key its table does not have.
    #[error("sub-record {record} refers to {table} {index}, but the table has {len}")]
    Index {
        /// Which sub-record, from 0.
        record: usize,
        /// "partition key" or "explicit hash key".
        table: &'static str,
        /// The index it gives.
        index: u64,
        /// Keys in the table.
        len: usize,
    },
}

/// Whether `data` starts with the aggregated record's magic number.
pub fn is_aggregated(data: &[u8]) -> bool {
    data.starts_with(&KPL_MAGIC)
}

/// The logical records in one Kinesis record with this data and partition key (GetRecords gives
/// no explicit hash key). A record without the magic number is one plain record; one with it
/// must have a matching MD5 digest and a well-formed message (see the [module docs](self)).
pub fn deaggregate<'a>(data: &'a [u8], partition_key: &'a str) -> Result<Vec<SubRecord<'a>>, AggError> {
    if !is_aggregated(data) {
        return Ok(vec![SubRecord {
            data,
            partition_key,
            explicit_hash_key: None,
        }]);
    }
    if data.len() <= KPL_OVERHEAD {
        return Err(AggError::Truncated(data.len()));
    }
    let (message, digest) = data[KPL_MAGIC.len()..].split_at(data.len() - KPL_OVERHEAD);
    if Md5::digest(message).as_slice() != digest {
        return Err(AggError::Digest);
    }
    let mut pks: Vec<&str> = Vec::new();
    let mut ehks: Vec<&str> = Vec::new();
    let mut raw: Vec<(u64, Option<u64>, &[u8])> = Vec::new();
    let mut r = Reader {
        buf: message,
        pos: 0,
        base: KPL_MAGIC.len(),
    };
    while !r.done() {
        let (field, wire) = r.key()?;
        match (field, wire) {
            (1, 2) => pks.push(r.string()?),
            (2, 2) => ehks.push(r.string()?),
            (3, 2) => {
                let base = r.base + r.pos;
                let body = r.delimited()?;
                raw.push(read_record(Reader {
                    buf: body,
                    pos: 0,
                    base,
                })?);
            }
            (1..=3, _) => return Err(r.error("wrong wire type for an AggregatedRecord field")),
            _ => r.skip(wire)?,
        }
    }
    raw.into_iter()
        .enumerate()
        .map(|(record, (pk, ehk, data))| {
            let lookup = |table: &'static str, keys: &[&'a str], index: u64| {
                keys.get(index as usize).copied().ok_or(AggError::Index {
                    record,
                    table,
                    index,
                    len: keys.len(),
                })
            };
            Ok(SubRecord {
                data,
                partition_key: lookup("partition key", &pks, pk)?,
                explicit_hash_key: ehk.map(|i| lookup("explicit hash key", &ehks, i)).transpose()?,
            })
        })
        .collect()
}

/// One `Record` message: partition key index, explicit hash key index, data. Tags are skipped.
fn read_record<'a>(mut r: Reader<'a>) -> Result<(u64, Option<u64>, &'a [u8]), AggError> {
    let (mut pk, mut ehk, mut data) = (None, None, None);
    while !r.done() {
        let (field, wire) = r.key()?;
        match (field, wire) {
            (1, 0) => pk = Some(r.varint()?),
            (2, 0) => ehk = Some(r.varint()?),
            (3, 2) => data = Some(r.delimited()?),
            (4, 2) => drop(r.delimited()?), // a tag: kdg has no use for them
            (1..=4, _) => return Err(r.error("wrong wire type for a Record field")),
            _ => r.skip(wire)?,
        }
    }
    match (pk, data) {
        (Some(pk), Some(data)) => Ok((pk, ehk, data)),
        (None, _) => Err(r.error("Record without its required partition_key_index")),
        (_, None) => Err(r.error("Record without its required data")),
    }
}

/// A protobuf reader over a slice that starts at `base` in the Kinesis record's data.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Reader<'a> {
    fn done(&self) -> bool {
        self.pos >= self.buf.len()
    }

    fn error(&self, what: &'static str) -> AggError {
        AggError::Malformed {
            offset: self.base + self.pos,
            what,
        }
    }

    fn varint(&mut self) -> Result<u64, AggError> {
        let mut v: u64 = 0;
        for i in 0..10 {
            let Some(&b) = self.buf.get(self.pos) else {
                return Err(self.error("varint runs past the end"));
            };
            self.pos += 1;
            if i == 9 && b > 1 {
                return Err(self.error("varint overflows 64 bits"));
            }
            v |= u64::from(b & 0x7F) << (7 * i);
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err(self.error("varint longer than 10 bytes"))
    }

    fn key(&mut self) -> Result<(u64, u8), AggError> {
        let k = self.varint()?;
        if k >> 3 == 0 {
            return Err(self.error("field number 0"));
        }
        Ok((k >> 3, (k & 7) as u8))
    }

    fn take(&mut self, n: u64) -> Result<&'a [u8], AggError> {
        let left = (self.buf.len() - self.pos) as u64;
        if n > left {
            return Err(self.error("field runs past the end"));
        }
        let s = &self.buf[self.pos..self.pos + n as usize];
        self.pos += n as usize;
        Ok(s)
    }

    fn delimited(&mut self) -> Result<&'a [u8], AggError> {
        let n = self.varint()?;
        self.take(n)
    }

    fn string(&mut self) -> Result<&'a str, AggError> {
        let at = self.pos;
        let bytes = self.delimited()?;
        std::str::from_utf8(bytes).map_err(|_| AggError::Malformed {
            offset: self.base + at,
            what: "key is not UTF-8",
        })
    }

    fn skip(&mut self, wire: u8) -> Result<(), AggError> {
        match wire {
            0 => self.varint().map(drop),
            1 => self.take(8).map(drop),
            2 => self.delimited().map(drop),
            5 => self.take(4).map(drop),
            _ => Err(self.error("unsupported wire type")),
        }
    }
}

/// Packs records into one Firehose record, each newline-terminated.
///
/// A record that already ends with `\n` (kdg's default) is copied as it is; any other gets one
/// appended. A record with newlines inside will read back as several lines: that is the format.
///
/// ```
/// use kdg::aggregate::{split_lines, LinePacker};
///
/// let mut p = LinePacker::new();
/// assert!(p.try_push(b"{\"a\":1}\n"));
/// assert!(p.try_push(b"{\"a\":2}"));
/// let mut data = Vec::new();
/// assert_eq!(p.finish(&mut data), 2);
/// assert_eq!(data, b"{\"a\":1}\n{\"a\":2}\n");
/// assert_eq!(split_lines(&data).count(), 2);
/// ```
#[derive(Debug)]
pub struct LinePacker {
    limit: usize,
    buf: Vec<u8>,
    count: usize,
}

impl Default for LinePacker {
    fn default() -> Self {
        LinePacker::new()
    }
}

impl LinePacker {
    /// An empty packer that keeps a Firehose record within [`FIREHOSE_MAX_RECORD_BYTES`].
    pub fn new() -> LinePacker {
        LinePacker::with_limit(FIREHOSE_MAX_RECORD_BYTES)
    }

    /// An empty packer whose [`try_push`](Self::try_push) keeps [`data_len`](Self::data_len) at
    /// most `limit`.
    pub fn with_limit(limit: usize) -> LinePacker {
        LinePacker {
            limit,
            buf: Vec::new(),
            count: 0,
        }
    }

    /// The limit [`try_push`](Self::try_push) keeps to.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Bytes `record` takes in a packed record: its length, plus one unless it ends with `\n`.
    pub fn line_len(record: &[u8]) -> usize {
        record.len() + usize::from(!record.ends_with(b"\n"))
    }

    /// Records held.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether no record is held.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Exactly the bytes [`finish`](Self::finish) would write now.
    pub fn data_len(&self) -> usize {
        self.buf.len()
    }

    /// Add a record if the packed record would stay within the limit; `false` (and nothing added)
    /// otherwise. `false` on an empty packer means the record is over the limit even alone.
    pub fn try_push(&mut self, record: &[u8]) -> bool {
        if self.buf.len() + LinePacker::line_len(record) > self.limit {
            return false;
        }
        self.push(record);
        true
    }

    /// Add a record whatever the size.
    pub fn push(&mut self, record: &[u8]) {
        self.buf.extend_from_slice(record);
        if !record.ends_with(b"\n") {
            self.buf.push(b'\n');
        }
        self.count += 1;
    }

    /// Append the packed record to `out`, empty the packer, and say how many records it held
    /// (0, and nothing written, when empty).
    pub fn finish(&mut self, out: &mut Vec<u8>) -> usize {
        out.extend_from_slice(&self.buf);
        self.buf.clear();
        std::mem::take(&mut self.count)
    }
}

/// The records in a newline-packed Firehose record, without their newlines; a last record without
/// a newline is included.
pub fn split_lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    data.split_inclusive(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\n").unwrap_or(line))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Aggregate `recs` with no limit and check the size accounting at every step.
    fn aggregate(recs: &[(&[u8], &str, Option<&str>)]) -> (Vec<u8>, String, Option<String>, bool) {
        let mut agg = KplAggregator::with_limit(usize::MAX);
        for &(data, pk, ehk) in recs {
            let predicted = agg.kinesis_len_with(data, pk, ehk);
            agg.add(data, pk, ehk);
            assert_eq!(agg.kinesis_len(), predicted);
        }
        let (len, klen) = (agg.data_len(), agg.kinesis_len());
        let mut out = b"prefix".to_vec();
        let f = agg.finish(&mut out).expect("not empty");
        assert_eq!(out.len() - 6, len, "data_len is exact");
        assert_eq!(len + f.partition_key.len(), klen);
        assert_eq!(f.records, recs.len());
        let r = (
            out[6..].to_vec(),
            f.partition_key.to_string(),
            f.explicit_hash_key.map(str::to_string),
            f.aggregated,
        );
        assert!(agg.is_empty() && agg.data_len() == 0 && agg.kinesis_len() == 0);
        r
    }

    fn round_trip(recs: &[(&[u8], &str, Option<&str>)]) -> Vec<u8> {
        let (data, pk, ehk, aggregated) = aggregate(recs);
        assert_eq!(pk, recs[0].1);
        assert_eq!(ehk.as_deref(), recs[0].2);
        assert_eq!(aggregated, recs.len() > 1);
        let subs = deaggregate(&data, &pk).unwrap();
        let want: Vec<SubRecord> = recs
            .iter()
            .map(|&(data, partition_key, explicit_hash_key)| SubRecord {
                data,
                partition_key,
                // A plain record read back has no explicit hash key: GetRecords gives none.
                explicit_hash_key: explicit_hash_key.filter(|_| recs.len() > 1),
            })
            .collect();
        assert_eq!(subs, want);
        data
    }

    #[test]
    fn varint_lengths_match_encoding() {
        for v in [
            0,
            1,
            127,
            128,
            300,
            16_383,
            16_384,
            u32::MAX as u64,
            u64::MAX >> 1,
            u64::MAX,
        ] {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            assert_eq!(out.len(), varint_len(v), "{v}");
            let mut r = Reader {
                buf: &out,
                pos: 0,
                base: 0,
            };
            assert_eq!(r.varint().unwrap(), v);
        }
    }

    #[test]
    fn one_record_is_sent_plain() {
        let data = round_trip(&[(b"hello\n", "pk", None)]);
        assert_eq!(data, b"hello\n");
    }

    #[test]
    fn two_records_round_trip_with_known_bytes() {
        let data = round_trip(&[(b"a", "k", None), (b"bc", "k", None)]);
        let message = [
            0x0A, 1, b'k', // partition_key_table: "k"
            0x1A, 5, 0x08, 0, 0x1A, 1, b'a', // record: pk 0, data "a"
            0x1A, 6, 0x08, 0, 0x1A, 2, b'b', b'c', // record: pk 0, data "bc"
        ];
        assert_eq!(&data[..4], &KPL_MAGIC);
        assert_eq!(&data[4..data.len() - 16], &message);
        assert_eq!(&data[data.len() - 16..], Md5::digest(message).as_slice());
    }

    #[test]
    fn many_records_and_empty_data_round_trip() {
        let bodies: Vec<Vec<u8>> = (0..1000).map(|i| vec![b'x'; i % 300]).collect();
        let keys: Vec<String> = (0..1000).map(|i| format!("key-{}", i % 37)).collect();
        let recs: Vec<(&[u8], &str, Option<&str>)> = bodies
            .iter()
            .zip(&keys)
            .map(|(b, k)| (b.as_slice(), k.as_str(), None))
            .collect();
        round_trip(&recs);
        round_trip(&[(b"", "e", None), (b"", "e", None), (b"", "f", None)]);
    }

    #[test]
    fn unicode_keys_and_binary_data_round_trip() {
        round_trip(&[
            (b"\x00\xff\xfe\n\"quoted\"", "ключ-🔑", None),
            ("日本語\n".as_bytes(), "キー", None),
            (&KPL_MAGIC, "ключ-🔑", None),
        ]);
    }

    #[test]
    fn key_tables_are_deduplicated() {
        let (data, ..) = aggregate(&[
            (b"1", "a", Some("1")),
            (b"2", "b", Some("2")),
            (b"3", "a", Some("2")),
            (b"4", "b", Some("1")),
        ]);
        let subs = deaggregate(&data, "a").unwrap();
        assert_eq!(subs[2].partition_key, "a");
        assert_eq!(subs[3].explicit_hash_key, Some("1"));
        // Two partition keys and two hash keys in the tables, each once.
        let message = &data[4..data.len() - 16];
        assert_eq!(&message[..6], &[0x0A, 1, b'a', 0x0A, 1, b'b']);
        assert_eq!(&message[6..12], &[0x12, 1, b'1', 0x12, 1, b'2']);
        assert_eq!(message[12], 0x1A);
    }

    #[test]
    fn explicit_hash_keys_round_trip_even_when_mixed() {
        let ehk = "170141183460469231731687303715884105728";
        round_trip(&[(b"1", "a", Some(ehk)), (b"2", "b", Some("0")), (b"3", "a", Some(ehk))]);
        round_trip(&[(b"1", "a", None), (b"2", "b", Some(ehk)), (b"3", "c", None)]);
        round_trip(&[(b"1", "a", Some(ehk)), (b"2", "b", None)]);
    }

    #[test]
    fn many_distinct_keys_index_past_one_byte_varints() {
        let keys: Vec<String> = (0..500).map(|i| format!("k{i}")).collect();
        let recs: Vec<(&[u8], &str, Option<&str>)> = keys
            .iter()
            .map(|k| (k.as_bytes(), k.as_str(), Some(k.as_str())))
            .collect();
        round_trip(&recs);
    }

    #[test]
    fn try_add_stops_exactly_at_the_limit() {
        let mut probe = KplAggregator::with_limit(usize::MAX);
        for _ in 0..3 {
            probe.add(b"0123456789", "key", None);
        }
        let three = probe.kinesis_len();
        for (limit, fit) in [(three, 3), (three - 1, 2)] {
            let mut agg = KplAggregator::with_limit(limit);
            let mut n = 0;
            while agg.try_add(b"0123456789", "key", None) {
                n += 1;
            }
            assert_eq!(n, fit);
            assert!(agg.kinesis_len() <= limit);
        }
        let mut tiny = KplAggregator::with_limit(5);
        assert!(!tiny.try_add(b"0123", "ab", None), "too big even alone");
        assert!(tiny.is_empty());
    }

    #[test]
    fn default_limit_is_kinesis_record_limit() {
        let mut agg = KplAggregator::new();
        assert_eq!(agg.limit(), KINESIS_MAX_RECORD_BYTES);
        let chunk = vec![b'z'; 100 * 1024];
        let mut n = 0;
        while agg.try_add(&chunk, "pk", None) {
            n += 1;
        }
        assert_eq!(n, 10);
        let mut out = Vec::new();
        let f = agg.finish(&mut out).unwrap();
        assert!(out.len() + f.partition_key.len() <= KINESIS_MAX_RECORD_BYTES);
    }

    #[test]
    fn finish_resets_for_reuse_and_empty_finish_writes_nothing() {
        let mut agg = KplAggregator::new();
        let mut out = Vec::new();
        assert!(agg.finish(&mut out).is_none());
        assert!(out.is_empty());
        agg.add(b"1", "first", Some("9"));
        agg.add(b"2", "second", None);
        agg.finish(&mut out).unwrap();
        let first = out.clone();
        agg.add(b"3", "third", None);
        agg.add(b"4", "third", None);
        let mut again = Vec::new();
        let f = agg.finish(&mut again).unwrap();
        assert_eq!((f.partition_key, f.explicit_hash_key), ("third", None));
        let subs = deaggregate(&again, "third").unwrap();
        assert_eq!(subs.iter().map(|s| s.data).collect::<Vec<_>>(), [b"3", b"4"]);
        assert_eq!(deaggregate(&first, "first").unwrap()[0].explicit_hash_key, Some("9"));
    }

    #[test]
    fn plain_records_pass_through() {
        let subs = deaggregate(b"{\"x\":1}\n", "pk").unwrap();
        assert_eq!(
            subs,
            [SubRecord {
                data: b"{\"x\":1}\n",
                partition_key: "pk",
                explicit_hash_key: None
            }]
        );
        assert_eq!(deaggregate(b"", "pk").unwrap().len(), 1);
        assert_eq!(deaggregate(&KPL_MAGIC[..3], "pk").unwrap()[0].data, &KPL_MAGIC[..3]);
    }

    #[test]
    fn digest_mismatch_and_truncation_are_errors() {
        let (mut data, ..) = aggregate(&[(b"a", "k", None), (b"b", "k", None)]);
        let last = data.len() - 1;
        data[last] ^= 1;
        assert_eq!(deaggregate(&data, "k"), Err(AggError::Digest));
        data[last] ^= 1;
        data[6] ^= 1; // the key byte: message changed, digest not
        assert_eq!(deaggregate(&data, "k"), Err(AggError::Digest));
        let mut short = KPL_MAGIC.to_vec();
        short.extend_from_slice(&Md5::digest(b""));
        assert_eq!(deaggregate(&short, "k"), Err(AggError::Truncated(20)));
    }

    /// Magic number, `message`, and its correct digest.
    fn framed(message: &[u8]) -> Vec<u8> {
        let mut v = KPL_MAGIC.to_vec();
        v.extend_from_slice(message);
        v.extend_from_slice(&Md5::digest(message));
        v
    }

    #[test]
    fn bad_protobuf_is_an_error() {
        let malformed = |m: &[u8]| matches!(deaggregate(&framed(m), "k"), Err(AggError::Malformed { .. }));
        assert!(malformed(&[0x0A, 5, b'k']), "length past the end");
        assert!(malformed(&[0x0A]), "length missing");
        assert!(malformed(&[0x0A, 2, 0xC3, 0x28]), "key not UTF-8");
        assert!(malformed(&[0x08, 1]), "table field as varint");
        assert!(
            malformed(&[0x0A, 1, b'k', 0x1A, 3, 0x1A, 1, b'a']),
            "no partition key index"
        );
        assert!(malformed(&[0x0A, 1, b'k', 0x1A, 2, 0x08, 0]), "no data");
        assert!(malformed(&[0x1A, 0x80]), "varint runs past the end");
        assert!(malformed(&[0x03]), "group wire type");
        assert!(malformed(&[0x00]), "field number 0");
        assert!(
            malformed(&[0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]),
            "overflow"
        );
        assert_eq!(
            deaggregate(&framed(&[0x0A, 1, b'k', 0x1A, 5, 0x08, 1, 0x1A, 1, b'a']), "k"),
            Err(AggError::Index {
                record: 0,
                table: "partition key",
                index: 1,
                len: 1
            })
        );
        assert!(matches!(
            deaggregate(&framed(&[0x0A, 1, b'k', 0x1A, 7, 0x08, 0, 0x10, 0, 0x1A, 1, b'a']), "k"),
            Err(AggError::Index {
                table: "explicit hash key",
                ..
            })
        ));
    }

    #[test]
    fn unknown_fields_and_tags_are_skipped_and_tables_may_come_last() {
        let message = [
            0x1A, 15, // a record of 15 bytes:
            0x08, 0, // partition key 0
            0x22, 3, 0x0A, 1, b't', // a tag {key: "t"}
            0x1A, 1, b'a', // data "a"
            0x2D, 0, 0, 0, 0, // unknown field 5, fixed32
            0x0A, 1, b'k', // the partition key table, after the record
            0x21, 1, 2, 3, 4, 5, 6, 7, 8, // unknown field 4, fixed64
        ];
        let data = framed(&message);
        let subs = deaggregate(&data, "outer").unwrap();
        assert_eq!(
            subs,
            [SubRecord {
                data: b"a",
                partition_key: "k",
                explicit_hash_key: None
            }]
        );
    }

    #[test]
    fn lines_are_newline_terminated_once_and_counted_exactly() {
        let mut p = LinePacker::with_limit(usize::MAX);
        let recs: [&[u8]; 4] = [b"a\n", b"b", b"", "ü\n".as_bytes()];
        let mut want = 0;
        for r in recs {
            want += LinePacker::line_len(r);
            p.push(r);
            assert_eq!(p.data_len(), want);
        }
        let mut out = b">".to_vec();
        assert_eq!(p.finish(&mut out), 4);
        assert_eq!(out, ">a\nb\n\nü\n".as_bytes());
        assert!(p.is_empty() && p.data_len() == 0);
        assert_eq!(
            split_lines(&out[1..]).collect::<Vec<_>>(),
            [&b"a"[..], b"b", b"", "ü".as_bytes()]
        );
        assert_eq!(split_lines(b"x\ny").collect::<Vec<_>>(), [&b"x"[..], b"y"]);
        assert_eq!(split_lines(b"").count(), 0);
        assert_eq!(split_lines(b"\n").collect::<Vec<_>>(), [&b""[..]]);
    }

    #[test]
    fn lines_stop_at_the_limit() {
        let mut p = LinePacker::with_limit(10);
        assert!(p.try_push(b"1234"));
        assert!(p.try_push(b"abcd\n"));
        assert!(!p.try_push(b"x"));
        assert_eq!((p.len(), p.data_len()), (2, 10));
        let mut out = Vec::new();
        p.finish(&mut out);
        assert!(!p.try_push(&[b'y'; 10]), "too big even alone");
        assert_eq!(LinePacker::new().limit(), FIREHOSE_MAX_RECORD_BYTES);
    }
}
