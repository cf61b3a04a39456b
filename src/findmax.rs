//! `kdg find-max`: the highest rate a destination holds, found by running steps.
//!
//! Each step is an ordinary open-model run at a constant rate for `--step-time`. A step *holds*
//! when the throttled share of attempted records is at most `--max-throttle`, the corrected p99
//! latency is at most `--max-p99`, and the achieved rate is within 5% of the target (so a step
//! where this machine fell behind does not count as the stream's success). The search doubles the
//! rate from `--start` until a step fails, then bisects between the last step that held and the
//! first that did not until they are within `--precision`. Steps send each record once
//! (`--max-attempts 1` unless given), so retries do not blur the throttle ratio.

use std::time::Duration;

use serde::Serialize;

/// What one step measured.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Step {
    /// The target rate, records/s.
    pub target_rps: f64,
    /// Delivered records/s.
    pub achieved_rps: f64,
    /// Throttled entry attempts per attempted record.
    pub throttle_ratio: f64,
    /// Corrected p99 record latency, ms.
    pub p99_ms: f64,
    /// Whether the step met every condition.
    pub held: bool,
}

/// The conditions a step must meet.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Criteria {
    /// Most throttled share, 0..1.
    pub max_throttle: f64,
    /// Highest corrected p99.
    pub max_p99: Duration,
    /// Least achieved / target.
    pub min_achieved: f64,
}

impl Criteria {
    /// Whether a step's measurements meet the criteria.
    pub fn holds(&self, target: f64, achieved: f64, throttle_ratio: f64, p99_ms: f64) -> bool {
        throttle_ratio <= self.max_throttle
            && p99_ms <= self.max_p99.as_secs_f64() * 1000.0
            && achieved >= target * self.min_achieved
    }
}

/// The search's result.
#[derive(Debug, Clone, Serialize)]
pub struct Search {
    /// Every step, in the order run.
    pub steps: Vec<Step>,
    /// The highest target rate that held, if any did.
    pub max_rps: Option<f64>,
    /// The search was stopped (a signal) before it finished: `max_rps` is a lower bound.
    pub stopped: bool,
}

/// Search between `start` and `ceiling` records/s, stopping when the bracket is within
/// `precision` (relative). `probe` runs one step at a rate; `None` means the search was stopped
/// during the step, which then counts for nothing.
pub fn search(start: f64, ceiling: f64, precision: f64, mut probe: impl FnMut(f64) -> Option<Step>) -> Search {
    let mut steps = Vec::new();
    let mut good: Option<f64> = None;
    let mut bad: Option<f64> = None;
    let mut rate = start.min(ceiling);
    let stopped = |steps, good| Search {
        steps,
        max_rps: good,
        stopped: true,
    };
    // Grow ×2 until a step fails or the ceiling holds.
    loop {
        let Some(s) = probe(rate) else {
            return stopped(steps, good);
        };
        steps.push(s);
        if s.held {
            good = Some(rate);
            if rate >= ceiling {
                break;
            }
            rate = (rate * 2.0).min(ceiling);
        } else {
            bad = Some(rate);
            break;
        }
    }
    // Bisect.
    if let (Some(mut lo), Some(mut hi)) = (good, bad) {
        while (hi - lo) / hi > precision && steps.len() < 64 {
            let mid = ((lo + hi) / 2.0).round();
            if mid <= lo || mid >= hi {
                break;
            }
            let Some(s) = probe(mid) else {
                return stopped(steps, Some(lo));
            };
            steps.push(s);
            if s.held {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        good = Some(lo);
    }
    Search {
        steps,
        max_rps: good,
        stopped: false,
    }
}

/// The table of steps and the answer, for people.
pub fn write_text(search: &Search, criteria: &Criteria, w: &mut impl std::io::Write) -> std::io::Result<()> {
    writeln!(
        w,
        "{:>12} {:>12} {:>10} {:>10}  verdict",
        "target/s", "achieved/s", "throttled", "p99 ms"
    )?;
    for s in &search.steps {
        writeln!(
            w,
            "{:>12.0} {:>12.0} {:>9.2}% {:>10.1}  {}",
            s.target_rps,
            s.achieved_rps,
            s.throttle_ratio * 100.0,
            s.p99_ms,
            if s.held { "held" } else { "failed" }
        )?;
    }
    let conditions = format!(
        "throttled <= {:.2}%, p99 <= {} ms, achieved >= {:.0}% of target",
        criteria.max_throttle * 100.0,
        criteria.max_p99.as_millis(),
        criteria.min_achieved * 100.0
    );
    match (search.max_rps, search.stopped) {
        (Some(r), false) => writeln!(w, "\nmaximum sustainable rate: {r:.0} records/s ({conditions})"),
        (None, false) => writeln!(w, "\nno step held ({conditions}); try a lower --start"),
        (Some(r), true) => writeln!(
            w,
            "\nstopped before the search ended: at least {r:.0} records/s held ({conditions})"
        ),
        (None, true) => writeln!(w, "\nstopped before any step finished ({conditions})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A destination that takes `capacity` records/s: above it, the excess is throttled.
    fn stream(capacity: f64, criteria: Criteria) -> impl FnMut(f64) -> Option<Step> {
        move |rate| {
            let throttle_ratio = ((rate - capacity) / rate).max(0.0);
            let achieved = rate.min(capacity);
            let p99_ms = 20.0;
            Some(Step {
                target_rps: rate,
                achieved_rps: achieved,
                throttle_ratio,
                p99_ms,
                held: criteria.holds(rate, achieved, throttle_ratio, p99_ms),
            })
        }
    }

    fn criteria() -> Criteria {
        Criteria {
            max_throttle: 0.01,
            max_p99: Duration::from_secs(1),
            min_achieved: 0.95,
        }
    }

    #[test]
    fn finds_the_capacity_within_the_precision() {
        let s = search(1000.0, 1e6, 0.02, stream(4000.0, criteria()));
        let found = s.max_rps.unwrap();
        assert!((3960.0..=4041.0).contains(&found), "{found}");
        assert_eq!(
            s.steps[..3].iter().map(|s| s.target_rps).collect::<Vec<_>>(),
            vec![1000.0, 2000.0, 4000.0]
        );
        assert!(s.steps.len() < 15, "{}", s.steps.len());
    }

    #[test]
    fn a_ceiling_that_holds_ends_the_search() {
        let s = search(1000.0, 3000.0, 0.02, stream(1e9, criteria()));
        assert_eq!(s.max_rps, Some(3000.0));
        assert_eq!(s.steps.len(), 3);
    }

    #[test]
    fn a_stopped_search_keeps_what_held_and_says_it_stopped() {
        let mut capacity = stream(4000.0, criteria());
        let mut steps = 0;
        let s = search(1000.0, 1e6, 0.02, |rate| {
            steps += 1;
            // The third step (4000/s) is interrupted.
            (steps < 3).then(|| capacity(rate)).flatten()
        });
        assert_eq!((s.max_rps, s.stopped, s.steps.len()), (Some(2000.0), true, 2));
        let mut text = Vec::new();
        write_text(&s, &criteria(), &mut text).unwrap();
        assert!(String::from_utf8(text)
            .unwrap()
            .contains("at least 2000 records/s held"));
    }

    #[test]
    fn nothing_holds_below_the_start() {
        let s = search(1000.0, 1e6, 0.02, stream(500.0, criteria()));
        assert_eq!(s.max_rps, None);
        assert_eq!(s.steps.len(), 1);
    }

    #[test]
    fn slow_latency_fails_a_step() {
        let c = criteria();
        assert!(!c.holds(1000.0, 1000.0, 0.0, 1500.0));
        assert!(
            !c.holds(1000.0, 900.0, 0.0, 10.0),
            "a step that fell behind does not count"
        );
        assert!(c.holds(1000.0, 990.0, 0.005, 10.0));
    }
}
