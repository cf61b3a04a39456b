//! The fixed send schedule of an open-model run: when record *n* is due.
//!
//! Times are absolute (`start + n / rate`), never accumulated, so the schedule cannot drift
//! however late a worker wakes up.

use std::time::Duration;

use tokio::time::Instant;

use crate::cli::Pacing;
use crate::config::Rate;

/// When each record is due.
#[derive(Debug, Clone)]
pub struct Schedule {
    start: Instant,
    start_wall_ms: i64,
    rate: Option<f64>,
    pacing: Pacing,
}

impl Schedule {
    /// A schedule starting at `start` (wall clock `start_wall_ms`).
    pub fn new(start: Instant, start_wall_ms: i64, rate: Rate, pacing: Pacing) -> Schedule {
        let rate = match rate {
            Rate::PerSecond(r) => Some(r),
            Rate::Max => None,
        };
        Schedule {
            start,
            start_wall_ms,
            rate,
            pacing,
        }
    }

    /// The target rate, if paced.
    pub fn rate(&self) -> Option<f64> {
        self.rate
    }

    /// Seconds after the start at which record `n` is due.
    fn offset_secs(&self, n: u64) -> Option<f64> {
        let r = self.rate?;
        Some(match self.pacing {
            Pacing::Smooth => n as f64 / r,
            Pacing::Burst => (n as f64 / r).floor(),
        })
    }

    /// When record `n` is due; `None` when running flat out.
    pub fn intended(&self, n: u64) -> Option<Instant> {
        self.offset_secs(n).map(|s| self.start + Duration::from_secs_f64(s))
    }

    /// The wall-clock instant of record `n` (ms since the epoch), for `{{date.now}}`; `None`
    /// when running flat out (then the caller reads the clock).
    pub fn wall_ms(&self, n: u64) -> Option<i64> {
        self.offset_secs(n).map(|s| self.start_wall_ms + (s * 1000.0) as i64)
    }

    /// One past the last record number: the count, and when paced, the records due within the
    /// duration.
    pub fn limit(&self, count: Option<u64>, duration: Option<Duration>) -> u64 {
        let by_time = match (self.rate, duration) {
            (Some(r), Some(d)) => match self.pacing {
                Pacing::Smooth => (r * d.as_secs_f64()).ceil() as u64,
                Pacing::Burst => (r.ceil() * d.as_secs_f64().ceil()) as u64,
            },
            _ => u64::MAX,
        };
        count.unwrap_or(u64::MAX).min(by_time)
    }

    /// How many records to claim at a time: up to `max`, and when paced, no more than are due
    /// within `linger` (so a slow rate sends records one by one, on time).
    pub fn block_size(&self, max: u64, linger: Duration) -> u64 {
        match (self.rate, self.pacing) {
            (None, _) => max,
            (Some(r), Pacing::Smooth) => ((r * linger.as_secs_f64()) as u64).clamp(1, max),
            // A burst second's records are all due at once.
            (Some(r), Pacing::Burst) => (r.ceil() as u64).clamp(1, max),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn smooth(rate: f64) -> Schedule {
        Schedule::new(Instant::now(), 1_000_000, Rate::PerSecond(rate), Pacing::Smooth)
    }

    #[tokio::test(start_paused = true)]
    async fn records_are_due_at_n_over_rate() {
        let s = smooth(4.0);
        assert_eq!(s.intended(0).unwrap() - s.start, Duration::ZERO);
        assert_eq!(s.intended(6).unwrap() - s.start, Duration::from_millis(1500));
        assert_eq!(s.wall_ms(6), Some(1_001_500));
    }

    #[tokio::test(start_paused = true)]
    async fn burst_pacing_sends_each_second_at_its_start() {
        let s = Schedule::new(Instant::now(), 0, Rate::PerSecond(100.0), Pacing::Burst);
        assert_eq!(s.intended(99).unwrap() - s.start, Duration::ZERO);
        assert_eq!(s.intended(100).unwrap() - s.start, Duration::from_secs(1));
        assert_eq!(s.block_size(500, Duration::from_millis(1)), 100);
    }

    #[tokio::test(start_paused = true)]
    async fn count_and_duration_both_limit_a_paced_run() {
        let s = smooth(1000.0);
        assert_eq!(s.limit(None, Some(Duration::from_secs(10))), 10_000);
        assert_eq!(s.limit(Some(500), Some(Duration::from_secs(10))), 500);
        assert_eq!(s.limit(None, None), u64::MAX);
        let max = Schedule::new(Instant::now(), 0, Rate::Max, Pacing::Smooth);
        assert_eq!(max.limit(None, Some(Duration::from_secs(1))), u64::MAX);
        assert_eq!(max.intended(5), None);
    }

    #[tokio::test(start_paused = true)]
    async fn blocks_follow_the_rate() {
        assert_eq!(smooth(1.0).block_size(1024, Duration::from_millis(1)), 1);
        assert_eq!(smooth(1_000_000.0).block_size(1024, Duration::from_millis(1)), 1000);
        assert_eq!(smooth(1e9).block_size(1024, Duration::from_millis(1)), 1024);
    }
}
