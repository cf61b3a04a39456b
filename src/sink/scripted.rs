//! A test double of a sink, compiled for unit tests only: scripted latency, failures and
//! closing, and a record of everything it was given.

use std::sync::Mutex;
use std::time::Duration;

use super::{Batch, Delivery, SinkError};

/// A sink for tests: takes `delay` per batch (on tokio's clock, so paused time works), fails
/// every `fail_every`th record with `ThrottledForTest`, and remembers what it was given.
#[derive(Default)]
pub struct Scripted {
    /// Time each batch takes.
    pub delay: Duration,
    /// Fail every record whose number is a multiple of this.
    pub fail_every: Option<u64>,
    /// Close (as a broken pipe would) after this many records.
    pub close_after: Option<u64>,
    /// `(first record number, records)` of every batch received, in arrival order.
    pub seen: Mutex<Vec<(u64, usize)>>,
    /// Every record's bytes, if `keep` is set.
    pub records: Mutex<Vec<Vec<u8>>>,
    /// Keep record bytes.
    pub keep: bool,
    /// When each batch arrived (tokio's clock) and its size.
    pub arrivals: Mutex<Vec<(tokio::time::Instant, usize)>>,
}

impl Scripted {
    pub(super) async fn send(&self, batch: &Batch) -> Result<Delivery, SinkError> {
        self.arrivals
            .lock()
            .expect("lock")
            .push((tokio::time::Instant::now(), batch.len()));
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        let total: u64 = {
            let mut seen = self.seen.lock().expect("lock");
            seen.push((batch.first, batch.len()));
            seen.iter().map(|(_, n)| *n as u64).sum()
        };
        if self.close_after.is_some_and(|c| total > c) {
            return Err(SinkError::Closed);
        }
        if self.keep {
            let mut r = self.records.lock().expect("lock");
            r.extend((0..batch.len()).map(|i| batch.record(i).to_vec()));
        }
        let mut out = Delivery::all_delivered(batch);
        out.requests = 1;
        if let Some(k) = self.fail_every {
            let failed: Vec<usize> = (0..batch.len())
                .filter(|i| (batch.first + *i as u64).is_multiple_of(k))
                .collect();
            out.delivered -= failed.len() as u64;
            out.bytes -= failed.iter().map(|i| batch.record(*i).len() as u64).sum::<u64>();
            if !failed.is_empty() {
                out.failed.push(("ThrottledForTest".into(), failed.len() as u64));
            }
        }
        Ok(out)
    }
}
