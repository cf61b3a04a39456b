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
    /// The destination can take no more records (a full disk): why. The records it did not
    /// take are counted as failed; the run stops and reports.
    pub halt: Option<String>,
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

    /// Every record of `batch` delivered by a local sink, which makes no requests.
    pub fn all_delivered(batch: &Batch) -> Delivery {
        Delivery {
            delivered: batch.len() as u64,
            bytes: batch.data.len() as u64,
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

/// The error code of records whose send was still pending when the drain ended
/// (`--drain-timeout`): whether the destination took them is unknown, so they count as failed.
pub const DRAIN_TIMEOUT: &str = "DrainTimeout";

/// When pending sends give up: unset while a run goes on, set to the end of its drain once it
/// stops. Sends that are still waiting for an answer or a retry then fail as [`DRAIN_TIMEOUT`].
#[derive(Debug, Clone)]
pub struct Cutoff(tokio::sync::watch::Receiver<Option<tokio::time::Instant>>);

impl Cutoff {
    /// A cutoff, unset, and the sender that sets it.
    pub fn new() -> (tokio::sync::watch::Sender<Option<tokio::time::Instant>>, Cutoff) {
        let (tx, rx) = tokio::sync::watch::channel(None);
        (tx, Cutoff(rx))
    }

    /// A cutoff that never comes.
    pub fn never() -> Cutoff {
        Cutoff::new().1
    }

    /// Resolves once the cutoff is set and has passed; never, if it is never set.
    pub async fn passed(&self) {
        let mut rx = self.0.clone();
        loop {
            let at = *rx.borrow_and_update();
            if let Some(at) = at {
                tokio::time::sleep_until(at).await;
                return;
            }
            if rx.changed().await.is_err() {
                return std::future::pending().await;
            }
        }
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

/// The error code of records a local sink could not write (a full disk, an I/O error).
pub const WRITE_FAILED: &str = "WriteFailed";

/// A display that shares the terminal with the records on stdout (the live line): each write
/// of records runs inside it, so it can clear itself first and redraw below them.
pub type Around = Box<dyn Fn(&mut dyn FnMut()) + Send + Sync>;

/// A destination for records.
///
/// The local sinks write each batch straight to the file descriptor, with no buffer of their
/// own: a batch is a buffer already (up to `--batch-size` records), a record reaches a pipe as
/// soon as its batch is sent (within `--linger` of being rendered), and when a write fails the
/// records that reached the file are known exactly.
pub enum Sink {
    /// Standard output, and the display it steps around (see [`Sink::step_around`]).
    Stdout(Mutex<std::fs::File>, std::sync::OnceLock<Around>),
    /// A file.
    File(Mutex<std::fs::File>),
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
    /// Standard output (its file descriptor, past std's line buffer).
    ///
    /// # Errors
    /// Standard output is closed.
    pub fn stdout() -> std::io::Result<Sink> {
        use std::os::fd::AsFd as _;
        let fd = std::io::stdout().as_fd().try_clone_to_owned()?;
        let file = grow_pipe(std::fs::File::from(fd));
        Ok(Sink::Stdout(Mutex::new(file), std::sync::OnceLock::new()))
    }

    /// Write records to standard output inside `around` from now on (the first one given
    /// counts); other sinks ignore it.
    pub fn step_around(&self, around: Around) {
        if let Sink::Stdout(_, slot) = self {
            let _ = slot.set(around);
        }
    }

    /// A file, created or truncated.
    ///
    /// # Errors
    /// The file cannot be created.
    pub fn file(path: &Path) -> std::io::Result<Sink> {
        Ok(Sink::File(Mutex::new(grow_pipe(std::fs::File::create(path)?))))
    }

    /// Deliver a batch; what is still pending at `cutoff` fails as [`DRAIN_TIMEOUT`].
    ///
    /// # Errors
    /// The destination is gone or failed for good.
    pub async fn send(&self, batch: &Batch, cutoff: &Cutoff) -> Result<Delivery, SinkError> {
        match self {
            Sink::Stdout(w, around) => match around.get() {
                None => write_batch(w, batch),
                Some(around) => {
                    let mut out = None;
                    around(&mut || out = Some(write_batch(w, batch)));
                    out.unwrap_or_else(|| write_batch(w, batch))
                }
            },
            Sink::File(w) => write_batch(w, batch),
            Sink::Null => Ok(Delivery::all_delivered(batch)),
            #[cfg(test)]
            Sink::Scripted(s) => tokio::select! {
                out = s.send(batch) => out,
                () = cutoff.passed() => {
                    let mut out = Delivery::default();
                    out.fail(DRAIN_TIMEOUT, batch.len() as u64);
                    Ok(out)
                }
            },
            Sink::Kinesis(k, policy) => Ok(aws::send(k, batch, policy, cutoff).await),
            Sink::Firehose(f, policy) => Ok(aws::send(&**f, batch, policy, cutoff).await),
        }
    }

    /// Whether records need partition keys (Kinesis).
    pub fn needs_keys(&self) -> bool {
        matches!(self, Sink::Kinesis(..))
    }
}

/// The pipe buffer asked for when stdout (or a `file:` sink) is a pipe: 1 MiB, the most an
/// unprivileged process gets by default on Linux (`/proc/sys/fs/pipe-max-size`). With the
/// default 64 KiB a flat-out run hands the reader its batches in 64 KiB pieces, waiting for it
/// after each; `docs/measurement.md#pipes` has the numbers. It changes capacity, not latency:
/// a record still reaches the reader as soon as its batch is written.
pub const PIPE_BUFFER_BYTES: usize = 1 << 20;

/// `file` with a [`PIPE_BUFFER_BYTES`] buffer when it is a pipe; unchanged otherwise (a file, a
/// terminal, a system that refuses).
fn grow_pipe(file: std::fs::File) -> std::fs::File {
    #[cfg(target_os = "linux")]
    if file
        .metadata()
        .is_ok_and(|m| std::os::unix::fs::FileTypeExt::is_fifo(&m.file_type()))
    {
        let _ = rustix::pipe::fcntl_setpipe_size(&file, PIPE_BUFFER_BYTES);
    }
    file
}

/// Write `batch` to `w`, counting the records that reached it. A reader that went away ends
/// the run quietly ([`SinkError::Closed`]); any other failure fails the records not written
/// as [`WRITE_FAILED`] and halts the run.
fn write_batch<W: Write>(w: &Mutex<W>, batch: &Batch) -> Result<Delivery, SinkError> {
    let mut w = w.lock().expect("sink lock");
    let mut written = 0;
    let failure = loop {
        if written == batch.data.len() {
            break None;
        }
        match w.write(&batch.data[written..]) {
            Ok(0) => break Some(std::io::Error::from(std::io::ErrorKind::WriteZero)),
            Ok(n) => written += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Err(SinkError::Closed),
            Err(e) => break Some(e),
        }
    };
    let Some(e) = failure else {
        return Ok(Delivery::all_delivered(batch));
    };
    let whole = batch.ends.partition_point(|end| *end <= written);
    let mut out = Delivery {
        delivered: whole as u64,
        bytes: batch.ends.get(whole.wrapping_sub(1)).copied().unwrap_or(0) as u64,
        halt: Some(format!("write failed: {e}")),
        ..Delivery::default()
    };
    out.fail(WRITE_FAILED, (batch.len() - whole) as u64);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn a_pipe_gets_the_larger_buffer_and_a_file_is_left_alone() {
        let (_reader, writer) = std::io::pipe().unwrap();
        let max: usize = std::fs::read_to_string("/proc/sys/fs/pipe-max-size")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
        let pipe = grow_pipe(std::fs::File::from(std::os::fd::OwnedFd::from(writer)));
        let size = rustix::pipe::fcntl_getpipe_size(&pipe).unwrap();
        assert_eq!(
            size,
            if max >= PIPE_BUFFER_BYTES {
                PIPE_BUFFER_BYTES
            } else {
                64 << 10
            }
        );
        let file = grow_pipe(tempfile::tempfile().unwrap());
        assert!(rustix::pipe::fcntl_getpipe_size(&file).is_err(), "not a pipe");
    }

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

    /// Takes `room` bytes, then fails as a full disk does.
    struct Full {
        room: usize,
        got: Vec<u8>,
    }

    impl Write for Full {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.room == 0 {
                return Err(std::io::Error::from_raw_os_error(28)); // ENOSPC
            }
            // Short writes, as a nearly full disk gives.
            let n = buf.len().min(self.room).min(3);
            self.room -= n;
            self.got.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_full_disk_counts_the_records_that_reached_it_and_fails_the_rest() {
        let mut b = Batch::default();
        for r in ["ab\n", "cde\n", "fg\n"] {
            b.data.extend_from_slice(r.as_bytes());
            b.end_record();
        }
        let w = Mutex::new(Full {
            room: 8,
            got: Vec::new(),
        });
        let out = write_batch(&w, &b).unwrap();
        assert_eq!((out.delivered, out.bytes), (2, 7));
        assert_eq!(out.failed, vec![(WRITE_FAILED.to_string(), 1)]);
        assert!(out.halt.as_deref().unwrap().contains("No space left"), "{:?}", out.halt);
        assert_eq!(w.lock().unwrap().got, b"ab\ncde\nf");
        let whole = write_batch(
            &Mutex::new(Full {
                room: 100,
                got: Vec::new(),
            }),
            &b,
        )
        .unwrap();
        assert_eq!((whole.delivered, whole.halt), (3, None));
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
        let out = s.send(&b, &Cutoff::never()).await.unwrap();
        assert_eq!(out.delivered, 2);
        assert_eq!(out.failed, vec![("ThrottledForTest".to_string(), 2)]);
    }
}
