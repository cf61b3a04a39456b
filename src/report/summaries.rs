//! The sections other parts of a run add to its report: what `--verify` read back, and what a
//! replay (`--from`) read.

use serde::{Deserialize, Serialize};

use crate::stats::LatencySummary;

/// What reading the stream back showed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VerifySummary {
    /// Records the service acknowledged during the run.
    pub acknowledged: u64,
    /// Acknowledged records found in the stream.
    pub delivered: u64,
    /// Acknowledged records not found by the deadline.
    pub missing: u64,
    /// Extra copies of this run's records (retries after timeouts can duplicate).
    pub duplicated: u64,
    /// Records in the stream without this run's marker.
    pub foreign: u64,
    /// Records read in all.
    pub read: u64,
    /// Up to 10 missing record numbers.
    pub missing_examples: Vec<u64>,
    /// Send → `ApproximateArrivalTimestamp`, for the records found.
    pub arrival: LatencySummary,
    /// Send → read back by the verifier. The read-back starts after the load ends, so this is
    /// mostly the wait for it, not a latency of the stream; `arrival` is the stream's.
    pub readable: LatencySummary,
    /// How long the read-back took, ms (it runs after the load).
    #[serde(default)]
    pub read_back_ms: f64,
    /// Why the read-back ended before it could see every record (a stalled endpoint, an
    /// error, a stop signal); `missing` then counts records not yet seen, not proven lost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incomplete: Option<String>,
}

/// What a replay read (`--from`), for the report.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InputSummary {
    /// The file.
    pub file: String,
    /// Rows read and sent (or handed to the sink).
    pub rows: u64,
    /// Rows that did not parse.
    pub bad_rows: u64,
    /// The first few bad rows: `FILE:LINE: what is wrong`.
    pub bad_examples: Vec<String>,
    /// Complete passes over the file.
    pub passes: u64,
    /// Why reading stopped early, if it did (a bad row with `--on-bad-row fail`, or an I/O error).
    pub failed: Option<String>,
}
