//! One latency distribution: an HdrHistogram of microseconds with 3 significant figures.
//!
//! Values are kept in µs (not ns) because Kinesis latencies are milliseconds to seconds and µs
//! keeps the counts array small; the lowest discernible value is 1 µs and the histogram grows on
//! demand, so no run is too long for it. Percentiles come back in milliseconds, the unit the
//! report uses. A histogram can be written as the standard HdrHistogram "V2 + DEFLATE" encoding
//! in base64 (what `HistogramLogProcessor` and HdrHistogram's other ports read), so reports can
//! be merged exactly later (`docs/measurement.md#hdrhistogram`).

use std::fmt;
use std::time::Duration;

use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::StatsError;

/// Significant decimal digits kept: values are exact to within 0.1%.
const SIGFIG: u8 = 3;

/// A latency histogram in microseconds (3 significant figures, auto-resizing, lowest value 1 µs).
///
/// Cheap to record into; merge with [`Latency::add`]. Each worker owns its own, so nothing here
/// is synchronised.
#[derive(Clone)]
pub struct Latency {
    hist: Histogram<u64>,
}

/// The percentiles the report shows for one [`Latency`], in milliseconds.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, Default, PartialEq)]
pub struct LatencySummary {
    /// Number of values recorded.
    pub count: u64,
    /// Mean.
    pub mean_ms: f64,
    /// Median.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// 99.9th percentile.
    pub p999_ms: f64,
    /// Largest value recorded.
    pub max_ms: f64,
}

impl Latency {
    /// An empty histogram.
    pub fn new() -> Self {
        // `Histogram::new` starts tiny (lowest 1, highest 2) with auto-resize on: a recorder is
        // created for every 50 ms hand-over, so an empty one must be cheap; it grows to the
        // latencies actually seen within the first few records.
        let hist = Histogram::new(SIGFIG).expect("3 significant figures is a valid histogram");
        Latency { hist }
    }

    /// Record one duration (clamped to at least 1 µs). Never panics.
    #[inline]
    pub fn record(&mut self, d: Duration) {
        self.record_n(d, 1);
    }

    /// Record the same duration `n` times (clamped to at least 1 µs). Never panics.
    #[inline]
    pub fn record_n(&mut self, d: Duration, n: u64) {
        if n == 0 {
            // `record_n(v, 0)` would still move the histogram's min and max.
            return;
        }
        let us = micros(d);
        if self.hist.record_n(us, n).is_err() {
            // Only past the auto-resize ceiling (i64::MAX / 2 µs, ~146,000 years): clamp instead.
            self.hist.saturating_record_n(us, n);
        }
    }

    /// Add every value of `other` to this histogram.
    pub fn add(&mut self, other: &Latency) {
        if self.hist.add(&other.hist).is_err() {
            // Cannot happen with auto-resize on, but a decoded histogram from elsewhere might
            // have odd bounds: fall back to re-recording its values, clamped.
            for v in other.hist.iter_recorded() {
                self.hist.saturating_record_n(v.value_iterated_to(), v.count_at_value());
            }
        }
    }

    /// For each of `bounds` (ascending), how many values are at most it, to the histogram's 3
    /// significant figures: the cumulative counts of histogram buckets. One pass over the
    /// recorded values, however many bounds.
    pub fn cumulative_counts(&self, bounds: &[Duration]) -> Vec<u64> {
        let bounds_us: Vec<u64> = bounds.iter().map(|b| micros(*b)).collect();
        let mut counts = vec![0u64; bounds.len()];
        // Values come in ascending order: the first bound each one fits under, and every bound
        // after it, counts it.
        let mut first = 0;
        for v in self.hist.iter_recorded() {
            let value = self.hist.highest_equivalent(v.value_iterated_to());
            while first < bounds_us.len() && value > bounds_us[first] {
                first += 1;
            }
            if first == bounds_us.len() {
                break;
            }
            counts[first] += v.count_at_value();
        }
        let mut total = 0;
        for c in &mut counts {
            total += *c;
            *c = total;
        }
        counts
    }

    /// Number of values recorded.
    pub fn count(&self) -> u64 {
        self.hist.len()
    }

    /// The value at percentile `q` (0..=100, clamped) in milliseconds; 0 when empty.
    pub fn percentile_ms(&self, q: f64) -> f64 {
        if self.hist.is_empty() {
            return 0.0;
        }
        let q = if q.is_nan() { 100.0 } else { q.clamp(0.0, 100.0) };
        if q == 0.0 {
            return us_to_ms(self.hist.min());
        }
        us_to_ms(self.hist.value_at_quantile(rank_quantile(q, self.hist.len())))
    }

    /// The largest value recorded, in milliseconds; 0 when empty.
    pub fn max_ms(&self) -> f64 {
        if self.hist.is_empty() {
            return 0.0;
        }
        us_to_ms(self.hist.max())
    }

    /// The mean, in milliseconds to the microsecond; 0 when empty.
    pub fn mean_ms(&self) -> f64 {
        // Rounded to whole µs: the histogram is no more precise than that, and it keeps
        // float noise (15.452000000000002) out of the report.
        us_to_ms(self.hist.mean().round() as u64)
    }

    /// Count, mean, p50, p90, p99, p99.9 and max.
    pub fn summary(&self) -> LatencySummary {
        LatencySummary {
            count: self.count(),
            mean_ms: self.mean_ms(),
            p50_ms: self.percentile_ms(50.0),
            p90_ms: self.percentile_ms(90.0),
            p99_ms: self.percentile_ms(99.0),
            p999_ms: self.percentile_ms(99.9),
            max_ms: self.max_ms(),
        }
    }

    /// The histogram as HdrHistogram's compressed V2 encoding (DEFLATE), in standard base64
    /// with padding: the format HdrHistogram's interval logs use.
    ///
    /// Returns an empty string only if the histogram cannot be encoded (a single count above
    /// `i64::MAX`); [`Latency::decode`] rejects that.
    pub fn encode(&self) -> String {
        let mut bytes = Vec::new();
        match V2DeflateSerializer::new().serialize(&self.hist, &mut bytes) {
            Ok(_) => base64_encode(&bytes),
            Err(_) => String::new(),
        }
    }

    /// Read a histogram written by [`Latency::encode`] (or any HdrHistogram V2 encoding in
    /// base64, compressed or not).
    ///
    /// # Errors
    /// The text is not base64, or the bytes are not an HdrHistogram V2 encoding.
    pub fn decode(text: &str) -> Result<Latency, StatsError> {
        let bytes = base64_decode(text.trim())?;
        let mut hist: Histogram<u64> = Deserializer::new()
            .deserialize(&mut bytes.as_slice())
            .map_err(|e| StatsError::Histogram(e.to_string()))?;
        hist.auto(true);
        Ok(Latency { hist })
    }
}

impl Default for Latency {
    fn default() -> Self {
        Latency::new()
    }
}

impl PartialEq for Latency {
    /// Same parameters and the same count at every value.
    fn eq(&self, other: &Latency) -> bool {
        self.hist == other.hist
    }
}

impl fmt::Debug for Latency {
    // The derived form would print every bucket.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Latency")
            .field("count", &self.count())
            .field("p50_ms", &self.percentile_ms(50.0))
            .field("p99_ms", &self.percentile_ms(99.0))
            .field("max_ms", &self.max_ms())
            .finish()
    }
}

/// A quantile that makes HdrHistogram pick the nearest-rank value for percentile `q` (0, 100].
///
/// HdrHistogram takes `ceil(quantile × n)` as the rank, so float noise in `q / 100` (99.9 / 100
/// is 0.9990000000000001) would pick the next value up: p99.9 of 1..=1000 would be 1000, not
/// 999. Snap the rank to a whole number when it is one within rounding, then ask for the middle
/// of that rank.
fn rank_quantile(q: f64, n: u64) -> f64 {
    let n = n as f64;
    let exact = q / 100.0 * n;
    let nearest = exact.round();
    let rank = if (exact - nearest).abs() <= 1e-9 * nearest.max(1.0) {
        nearest
    } else {
        exact.ceil()
    };
    ((rank - 0.5) / n).clamp(f64::MIN_POSITIVE, 1.0)
}

/// Whole microseconds, at least 1, saturating. Cheaper than `as_micros` (no u128 division).
#[inline]
fn micros(d: Duration) -> u64 {
    let us = d
        .as_secs()
        .saturating_mul(1_000_000)
        .saturating_add(u64::from(d.subsec_micros()));
    us.max(1)
}

fn us_to_ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

/// Standard base64 (RFC 4648 §4): `=` padding written, optional when read.
const BASE64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

fn base64_encode(bytes: &[u8]) -> String {
    base64::Engine::encode(&BASE64, bytes)
}

fn base64_decode(text: &str) -> Result<Vec<u8>, StatsError> {
    base64::Engine::decode(&BASE64, text).map_err(|e| StatsError::Base64 {
        position: match e {
            base64::DecodeError::InvalidByte(at, _) | base64::DecodeError::InvalidLastSymbol(at, _) => at,
            _ => text.trim_end_matches('=').len(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    #[test]
    fn percentiles_of_one_to_a_thousand_microseconds_are_exact() {
        let mut l = Latency::new();
        for us in 1..=1000 {
            l.record(Duration::from_micros(us));
        }
        assert_eq!(l.count(), 1000);
        assert_eq!(l.percentile_ms(50.0), 0.5);
        assert_eq!(l.percentile_ms(90.0), 0.9);
        assert_eq!(l.percentile_ms(99.0), 0.99);
        assert_eq!(l.percentile_ms(99.9), 0.999);
        assert_eq!(l.percentile_ms(100.0), 1.0);
        assert_eq!(l.max_ms(), 1.0);
        assert_eq!(l.mean_ms(), 0.501, "500.5 µs, to the µs");
        let s = l.summary();
        assert_eq!((s.count, s.p50_ms, s.p999_ms, s.max_ms), (1000, 0.5, 0.999, 1.0));
    }

    #[test]
    fn large_values_keep_three_significant_figures() {
        let mut l = Latency::new();
        l.record_n(ms(10), 99);
        l.record(Duration::from_secs(90));
        assert_eq!(l.count(), 100);
        let p50 = l.percentile_ms(50.0);
        assert!((p50 - 10.0).abs() / 10.0 < 0.001, "{p50}");
        assert!((l.max_ms() - 90_000.0).abs() / 90_000.0 < 0.001, "{}", l.max_ms());
        assert!((l.percentile_ms(99.0) - 10.0).abs() < 0.01);
    }

    #[test]
    fn tiny_durations_count_as_one_microsecond_and_nothing_panics() {
        let mut l = Latency::new();
        l.record(Duration::ZERO);
        l.record(Duration::from_nanos(10));
        l.record(Duration::MAX);
        l.record_n(ms(1), 0);
        assert_eq!(l.count(), 3);
        assert_eq!(l.percentile_ms(0.0), 0.001);
        assert!(l.max_ms() > 1e12);
        assert!(l.percentile_ms(f64::NAN) > 0.0);
        assert!(l.percentile_ms(-5.0) > 0.0 && l.percentile_ms(500.0) > 0.0);
    }

    #[test]
    fn an_empty_histogram_reports_zeros() {
        let l = Latency::default();
        assert_eq!(l.summary(), LatencySummary::default());
    }

    #[test]
    fn add_merges_counts_and_grows() {
        let mut a = Latency::new();
        a.record_n(ms(1), 10);
        let mut b = Latency::new();
        b.record_n(ms(1000), 10);
        a.add(&b);
        assert_eq!(a.count(), 20);
        assert!((a.max_ms() - 1000.0).abs() < 1.0);
        assert!((a.percentile_ms(50.0) - 1.0).abs() < 0.01);
    }

    #[test]
    fn encode_then_decode_is_the_same_histogram() {
        let mut l = Latency::new();
        for i in 0..10_000u64 {
            l.record(Duration::from_micros(1 + i * i % 5_000_000));
        }
        let text = l.encode();
        // The V2 compressed cookie 0x1c849314: what HdrHistogram's interval logs start with.
        assert!(text.starts_with("HISTF"), "{}", &text[..8]);
        let back = Latency::decode(&text).expect("decodes");
        assert_eq!(back, l);
        assert_eq!(back.summary(), l.summary());
        // Still auto-resizing after decoding.
        let mut back = back;
        back.record(Duration::from_secs(3600));
        assert_eq!(back.count(), 10_001);
        // Empty histograms round-trip too.
        assert_eq!(
            Latency::decode(&Latency::new().encode()).expect("decodes"),
            Latency::new()
        );
    }

    #[test]
    fn decode_rejects_garbage() {
        assert!(matches!(
            Latency::decode("not base64!"),
            Err(StatsError::Base64 { position: 3 })
        ));
        assert!(matches!(Latency::decode("AAAA"), Err(StatsError::Histogram(_))));
        assert!(Latency::decode("").is_err());
    }

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        let cases: [(&str, &str); 7] = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, enc) in cases {
            assert_eq!(base64_encode(plain.as_bytes()), enc);
            assert_eq!(base64_decode(enc).expect("decodes"), plain.as_bytes());
        }
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(base64_decode(&base64_encode(&all)).expect("decodes"), all);
        assert!(base64_decode("Zg===").is_err());
        assert!(base64_decode("Z").is_err());
    }
}
