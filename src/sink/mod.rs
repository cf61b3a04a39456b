//! Destinations for batches of rendered records.
//!
//! A [`Sink`] takes a [`Batch`] and says what became of each record in an [`Delivery`]: delivered,
//! failed (by stable error code), rejected. Per-record failures are data, never `Err`; `Err` is
//! kept for "this destination is gone" ([`SinkError::Closed`], e.g. a reader of stdout went away)
//! and for fatal setup problems.
//!
//! The local sinks live here: stdout, file, null, and a scripted sink for engine tests; the AWS
//! ones in [`kinesis`] and [`firehose`], sharing [`aws`]'s retry loop and [`limits`].

pub mod aws;
pub mod firehose;
pub mod kinesis;
pub mod limits;
#[cfg(test)]
mod scripted;

#[cfg(test)]
pub use scripted::Scripted;

use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

/// Rendered records handed to a sink together. Records are stored back to back in `data`;
/// `ends[i]` is where record `i` ends.
#[derive(Debug, Default, Clone)]
pub struct Batch {
    /// The record number of the first record.
    pub first: u64,
    /// Record bytes, back to back.
    pub data: Vec<u8>,
    /// End offset of each record in `data`.
    pub ends: Vec<usize>,
    /// Partition keys (Kinesis), one per record, back to back.
    pub keys: Column,
    /// Explicit hash keys (Kinesis), one per record when used.
    pub hash_keys: Column,
}

/// Variable-length values stored back to back, one per record.
#[derive(Debug, Default, Clone)]
pub struct Column {
    /// The bytes.
    pub data: Vec<u8>,
    /// End offset of each value.
    pub ends: Vec<usize>,
}

impl Column {
    /// Value `i`.
    pub fn get(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.data[start..self.ends[i]]
    }

    /// Mark the end of the value just written into `data`.
    #[inline]
    pub fn end(&mut self) {
        self.ends.push(self.data.len());
    }

    /// Whether no values are stored.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    fn clear(&mut self) {
        self.data.clear();
        self.ends.clear();
    }
}

impl Batch {
    /// An empty batch with room for `records` records of about `bytes_each` bytes.
    pub fn with_capacity(records: usize, bytes_each: usize) -> Batch {
        Batch {
            first: 0,
            data: Vec::with_capacity(records * bytes_each),
            ends: Vec::with_capacity(records),
            keys: Column::default(),
            hash_keys: Column::default(),
        }
    }

    /// Empty the batch, keeping its memory, for records starting at number `first`.
    pub fn reset(&mut self, first: u64) {
        self.first = first;
        self.data.clear();
        self.ends.clear();
        self.keys.clear();
        self.hash_keys.clear();
    }

    /// Mark the end of the record just written into `data`.
    #[inline]
    pub fn end_record(&mut self) {
        self.ends.push(self.data.len());
    }

    /// Append a copy of the last record (with its keys) as one more record.
    pub fn repeat_last(&mut self) {
        let i = self.ends.len() - 1;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.data.extend_from_within(start..self.ends[i]);
        self.end_record();
        for col in [&mut self.keys, &mut self.hash_keys] {
            if col.ends.len() == i + 1 {
                let start = if i == 0 { 0 } else { col.ends[i - 1] };
                col.data.extend_from_within(start..col.ends[i]);
                col.end();
            }
        }
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the batch holds no records.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Record `i`'s bytes.
    pub fn record(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.data[start..self.ends[i]]
    }
}

/// What became of a batch.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Records the destination acknowledged.
    pub delivered: u64,
    /// Bytes of the delivered records.
    pub bytes: u64,
    /// Requests made.
    pub requests: u64,
    /// Throttled entry attempts.
    pub throttled: u64,
    /// Entry retries.
    pub retried: u64,
    /// Records that finally failed, by error code.
    pub failed: Vec<(String, u64)>,
    /// Records never sent because they were invalid, by reason.
    pub rejected: Vec<(String, u64)>,
    /// When records were acknowledged: `(instant, indices in the batch)`. Empty means every
    /// delivered record was acknowledged when `send` returned.
    pub acked: Vec<(tokio::time::Instant, Vec<u32>)>,
    /// Per Kinesis shard: `(shard id, records accepted, entries throttled)`.
    pub shards: Vec<(String, u64, u64)>,
}

impl Delivery {
    /// Count `n` records as finally failed with `code`.
    pub fn fail(&mut self, code: &str, n: u64) {
        add(&mut self.failed, code, n);
    }

    /// Count one record as rejected for `why`.
    pub fn reject(&mut self, why: &str) {
        add(&mut self.rejected, why, 1);
    }

    /// Every record of `batch` delivered in one request.
    pub fn all_delivered(batch: &Batch) -> Delivery {
        Delivery {
            delivered: batch.len() as u64,
            bytes: batch.data.len() as u64,
            requests: 1,
            ..Delivery::default()
        }
    }
}

fn add(list: &mut Vec<(String, u64)>, code: &str, n: u64) {
    match list.iter_mut().find(|(c, _)| c == code) {
        Some((_, count)) => *count += n,
        None => list.push((code.to_string(), n)),
    }
}

/// A destination that can no longer take records.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// The reader went away (broken pipe): a normal way for a run to end.
    #[error("the destination was closed")]
    Closed,
    /// The destination failed for good.
    #[error("{0}")]
    Fatal(String),
}

fn io_error(e: std::io::Error) -> SinkError {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        SinkError::Closed
    } else {
        SinkError::Fatal(format!("write failed: {e}"))
    }
}

/// A destination for records.
pub enum Sink {
    /// Standard output.
    Stdout(Mutex<std::io::BufWriter<std::io::Stdout>>),
    /// A file.
    File(Mutex<std::io::BufWriter<std::fs::File>>),
    /// Discards everything (for measuring the generator).
    Null,
    /// Test double with scripted latency and failures (unit tests only).
    #[cfg(test)]
    Scripted(Scripted),
    /// A Kinesis data stream.
    Kinesis(kinesis::Kinesis, aws::RetryPolicy),
    /// A Firehose delivery stream.
    Firehose(Box<firehose::Firehose>, aws::RetryPolicy),
}

impl Sink {
    /// Standard output.
    pub fn stdout() -> Sink {
        Sink::Stdout(Mutex::new(std::io::BufWriter::with_capacity(
            1 << 16,
            std::io::stdout(),
        )))
    }

    /// A file, created or truncated.
    ///
    /// # Errors
    /// The file cannot be created.
    pub fn file(path: &Path) -> std::io::Result<Sink> {
        let f = std::fs::File::create(path)?;
        Ok(Sink::File(Mutex::new(std::io::BufWriter::with_capacity(1 << 16, f))))
    }

    /// Deliver a batch.
    ///
    /// # Errors
    /// The destination is gone or failed for good.
    pub async fn send(&self, batch: &Batch) -> Result<Delivery, SinkError> {
        match self {
            Sink::Stdout(w) => write_batch(w, batch),
            Sink::File(w) => write_batch(w, batch),
            Sink::Null => Ok(Delivery::all_delivered(batch)),
            #[cfg(test)]
            Sink::Scripted(s) => s.send(batch).await,
            Sink::Kinesis(k, policy) => Ok(aws::send(k, batch, policy).await),
            Sink::Firehose(f, policy) => Ok(aws::send(&**f, batch, policy).await),
        }
    }

    /// Whether records need partition keys (Kinesis).
    pub fn needs_keys(&self) -> bool {
        matches!(self, Sink::Kinesis(..))
    }

    /// Flush buffered output.
    ///
    /// # Errors
    /// As for [`Sink::send`].
    pub async fn flush(&self) -> Result<(), SinkError> {
        match self {
            Sink::Stdout(w) => w.lock().expect("sink lock").flush().map_err(io_error),
            Sink::File(w) => w.lock().expect("sink lock").flush().map_err(io_error),
            Sink::Null | Sink::Kinesis(..) | Sink::Firehose(..) => Ok(()),
            #[cfg(test)]
            Sink::Scripted(_) => Ok(()),
        }
    }
}

fn write_batch<W: Write>(w: &Mutex<W>, batch: &Batch) -> Result<Delivery, SinkError> {
    let mut w = w.lock().expect("sink lock");
    w.write_all(&batch.data).map_err(io_error)?;
    Ok(Delivery::all_delivered(batch))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_records_are_addressable() {
        let mut b = Batch::with_capacity(2, 4);
        b.reset(7);
        b.data.extend_from_slice(b"ab\n");
        b.end_record();
        b.data.extend_from_slice(b"cde\n");
        b.end_record();
        assert_eq!((b.first, b.len()), (7, 2));
        assert_eq!(b.record(0), b"ab\n");
        assert_eq!(b.record(1), b"cde\n");
    }

    #[tokio::test]
    async fn scripted_sink_fails_the_records_it_is_told_to() {
        let s = Sink::Scripted(Scripted {
            fail_every: Some(2),
            ..Scripted::default()
        });
        let mut b = Batch::default();
        b.reset(0);
        for _ in 0..4 {
            b.data.push(b'x');
            b.end_record();
        }
        let out = s.send(&b).await.unwrap();
        assert_eq!(out.delivered, 2);
        assert_eq!(out.failed, vec![("ThrottledForTest".to_string(), 2)]);
    }
}
