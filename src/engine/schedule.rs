//! The fixed send schedule of an open-model run: when record *n* is due.
//!
//! A rate [`Profile`] (constant, linear ramp, steps) defines how many records are due by time
//! *t*; the schedule inverts that, so record *n* is due at the instant the profile's running
//! count reaches *n*. With Poisson arrivals the same profile drives an inhomogeneous Poisson
//! process: unit-rate exponential gaps (drawn from the seed and the record number, so they are
//! reproducible) are mapped through the same inverse. Times are offsets from the start, never
//! accumulated sleeps, so the schedule cannot drift however late a worker wakes.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::engine::periodic::Periodic;

/// The highest target rate a profile may ask for (`--rps`, `--ramp`, `--steps`): 10 G records/s,
/// far beyond what one machine renders. Above it, `--rps max` says what is meant.
pub const MAX_RATE: f64 = 1e10;
/// The lowest non-zero target rate: 10⁻⁶ records/s, one record in about 11.6 days. A zero step or
/// ramp end is allowed (a pause); a rate between zero and this is a typo, not a plan.
pub const MIN_RATE: f64 = 1e-6;
/// The slowest `--speed` of a backfill: a thousandth of real time. Slower, a one-second span would
/// take longer than any run anyone waits for.
pub const MIN_SPEED: f64 = 1e-3;
/// The fastest `--speed` of a backfill other than `max`: 10⁹ simulated seconds per real second.
pub const MAX_SPEED: f64 = 1e9;
/// The furthest into the schedule a record may be due: 100 years. A record due later is never
/// due, so every due time stays a finite, representable instant.
pub const MAX_OFFSET_SECS: f64 = 100.0 * 365.25 * 86_400.0;

/// Check one target rate against [`MIN_RATE`] and [`MAX_RATE`]; zero passes (a pause).
///
/// # Errors
/// A message naming the limit.
pub fn check_rate(r: f64) -> Result<(), String> {
    if !r.is_finite() || r > MAX_RATE {
        Err(format!(
            "{r:e} records/s is above the limit of 10G records/s (MAX_RATE); use `--rps max` for as fast as possible"
        ))
    } else if r > 0.0 && r < MIN_RATE {
        Err(format!(
            "{r:e} records/s is below the lowest non-zero rate, 0.000001 records/s (MIN_RATE); use 0 for a pause"
        ))
    } else {
        Ok(())
    }
}

/// Check a backfill `--speed` against [`MIN_SPEED`] and [`MAX_SPEED`].
///
/// # Errors
/// A message naming the limit.
pub fn check_speed(speed: f64) -> Result<(), String> {
    if speed.is_finite() && (MIN_SPEED..=MAX_SPEED).contains(&speed) {
        Ok(())
    } else {
        Err(format!(
            "`{speed}` is outside 0.001..1e9 simulated seconds per real second (MIN_SPEED..MAX_SPEED); use `max` for as fast as the destination takes"
        ))
    }
}

/// The target rate of a run.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rate {
    /// A rate [`Profile`] on a fixed schedule: constant (`--rps`), a ramp or steps.
    Profile(Profile),
    /// KDG's periodic mode: a mean and deviation per weekday and hour (`--periodic FILE`).
    #[serde(serialize_with = "periodic_name")]
    Periodic(std::sync::Arc<Periodic>),
    /// As fast as the generator and the destination allow.
    Max,
}

fn periodic_name<S: serde::Serializer>(_: &std::sync::Arc<Periodic>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str("weekday and hour table")
}

impl Rate {
    /// A constant rate of `r` records per second.
    pub fn per_second(r: f64) -> Rate {
        Rate::Profile(Profile::Constant(r))
    }

    /// The same rate shape, `factor` times as fast.
    pub fn scaled(self, factor: f64) -> Rate {
        match self {
            Rate::Profile(Profile::Constant(r)) => Rate::Profile(Profile::Constant(r * factor)),
            Rate::Profile(Profile::Ramp { from, to, over }) => Rate::Profile(Profile::Ramp {
                from: from * factor,
                to: to * factor,
                over,
            }),
            Rate::Profile(Profile::Steps { rates, hold }) => Rate::Profile(Profile::Steps {
                rates: rates.iter().map(|r| r * factor).collect(),
                hold,
            }),
            other => other,
        }
    }

    /// The highest target rate, if paced by a profile.
    pub fn peak_rps(&self) -> Option<f64> {
        match self {
            Rate::Profile(Profile::Constant(r)) => Some(*r),
            Rate::Profile(Profile::Ramp { from, to, .. }) => Some(from.max(*to)),
            Rate::Profile(Profile::Steps { rates, .. }) => rates.iter().copied().reduce(f64::max),
            Rate::Periodic(_) | Rate::Max => None,
        }
    }
}

/// How records are spread within a second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Pacing {
    /// Spread records evenly over each second (open model, fixed schedule).
    #[default]
    Smooth,
    /// KDG's way: each second's records all at once at the start of the second.
    Burst,
}

/// How the target rate changes over the run.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// A constant rate, records per second.
    Constant(f64),
    /// From `from` to `to` records/s linearly over `over`, then `to`.
    Ramp {
        /// Starting rate.
        from: f64,
        /// Final rate.
        to: f64,
        /// How long the ramp takes.
        #[serde(rename = "over_ms", serialize_with = "crate::units::ms")]
        over: Duration,
    },
    /// Each rate held for `hold`; the last one continues.
    Steps {
        /// The rates, in order.
        rates: Vec<f64>,
        /// How long each is held.
        #[serde(rename = "hold_ms", serialize_with = "crate::units::ms")]
        hold: Duration,
    },
}

/// How arrivals are spread around the profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Arrivals {
    /// Evenly spaced.
    #[default]
    Uniform,
    /// Random, as independent devices send: a Poisson process at the profile's rate.
    Poisson,
}

impl Profile {
    /// Records/s at `t` seconds.
    pub fn rate_at(&self, t: f64) -> f64 {
        match self {
            Profile::Constant(r) => *r,
            Profile::Ramp { from, to, over } => {
                let d = over.as_secs_f64();
                if t >= d {
                    *to
                } else {
                    from + (to - from) * t / d
                }
            }
            Profile::Steps { rates, hold } => {
                let i = (t / hold.as_secs_f64()).floor().max(0.0) as usize;
                rates[i.min(rates.len() - 1)]
            }
        }
    }

    /// Records due by `t` seconds (the integral of the rate).
    pub fn count_at(&self, t: f64) -> f64 {
        match self {
            Profile::Constant(r) => r * t,
            Profile::Ramp { from, to, over } => {
                let d = over.as_secs_f64();
                if t <= d {
                    from * t + (to - from) * t * t / (2.0 * d)
                } else {
                    (from + to) * d / 2.0 + to * (t - d)
                }
            }
            Profile::Steps { rates, hold } => {
                let h = hold.as_secs_f64();
                let mut n = 0.0;
                for (i, r) in rates.iter().enumerate() {
                    let start = i as f64 * h;
                    if t <= start {
                        break;
                    }
                    let end = if i + 1 == rates.len() { f64::INFINITY } else { start + h };
                    n += r * (t.min(end) - start);
                }
                n
            }
        }
    }

    /// The time (seconds) at which `n` records are due; infinite if never.
    pub fn time_of(&self, n: f64) -> f64 {
        match self {
            Profile::Constant(r) => n / r,
            Profile::Ramp { from, to, over } => {
                let d = over.as_secs_f64();
                let at_end = (from + to) * d / 2.0;
                if n <= 0.0 {
                    // Record 0 is due at the start (from zero, the formula below is 0/0).
                    0.0
                } else if n <= at_end {
                    let k = (to - from) / d;
                    if k.abs() < 1e-12 {
                        n / from
                    } else {
                        // Solve k/2·t² + from·t − n = 0 in the form that stays accurate when k is small.
                        let disc = (from * from + 2.0 * k * n).max(0.0);
                        2.0 * n / (from + disc.sqrt())
                    }
                } else if *to > 0.0 {
                    d + (n - at_end) / to
                } else {
                    f64::INFINITY
                }
            }
            Profile::Steps { rates, hold } => {
                let h = hold.as_secs_f64();
                let mut before = 0.0;
                for (i, r) in rates.iter().enumerate() {
                    let last = i + 1 == rates.len();
                    let in_step = r * h;
                    if last || n < before + in_step {
                        return if *r > 0.0 {
                            i as f64 * h + (n - before) / r
                        } else {
                            f64::INFINITY
                        };
                    }
                    before += in_step;
                }
                f64::INFINITY
            }
        }
    }

    /// Parse `FROM..TO/DURATION`, e.g. `1k..10k/5m`.
    ///
    /// # Errors
    /// A message with the column of the problem.
    pub fn parse_ramp(s: &str) -> Result<Profile, String> {
        let err = |col: usize, what: &str| {
            format!(
                "`{s}`: column {}: {what} (expected FROM..TO/DURATION, e.g. 1k..10k/5m)",
                col + 1
            )
        };
        let dots = s.find("..").ok_or_else(|| err(0, "missing `..`"))?;
        let slash = s
            .rfind('/')
            .filter(|p| *p > dots)
            .ok_or_else(|| err(s.len(), "missing `/DURATION`"))?;
        let from = crate::units::parse_count_f64(&s[..dots]).map_err(|_| err(0, "FROM is not a rate"))?;
        let to = crate::units::parse_count_f64(&s[dots + 2..slash]).map_err(|_| err(dots + 2, "TO is not a rate"))?;
        let over = crate::units::parse_duration(&s[slash + 1..]).map_err(|_| err(slash + 1, "not a duration"))?;
        if from == 0.0 && to == 0.0 {
            return Err(err(0, "both rates are zero"));
        }
        check_rate(from).map_err(|e| err(0, &e))?;
        check_rate(to).map_err(|e| err(dots + 2, &e))?;
        Ok(Profile::Ramp { from, to, over })
    }

    /// Parse `--steps 1k,2k,4k` with `--hold`.
    ///
    /// # Errors
    /// A message with the column of the problem.
    pub fn parse_steps(s: &str, hold: Duration) -> Result<Profile, String> {
        let mut rates = Vec::new();
        let mut col = 0;
        for part in s.split(',') {
            let r = crate::units::parse_count_f64(part).map_err(|_| {
                format!(
                    "`{s}`: column {}: `{part}` is not a rate (expected e.g. 1k,2k,4k)",
                    col + 1
                )
            })?;
            check_rate(r).map_err(|e| format!("`{s}`: column {}: {e}", col + 1))?;
            rates.push(r);
            col += part.len() + 1;
        }
        if rates.iter().all(|r| *r == 0.0) {
            return Err(format!("`{s}`: every step is zero"));
        }
        Ok(Profile::Steps { rates, hold })
    }
}

/// Records claimed by a worker, with their due times.
#[derive(Debug, Default)]
pub struct Block {
    /// First record number.
    pub first: u64,
    /// Due times as seconds after the start, one per record; empty when running flat out.
    pub offsets: Vec<f64>,
    /// Number of records.
    pub len: u64,
}

struct Cursor {
    next: u64,
    /// Poisson: unit-rate time of the last arrival handed out.
    u: f64,
    /// Periodic: the current second, the records due before it, and its own count.
    second: u64,
    before: u64,
    in_second: u64,
    started: bool,
}

/// Simulated time for a backfill: the clock starts at `start_ms` and runs `speed` times faster
/// than real time (`None`: as fast as the destination takes).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Backfill {
    /// Simulated start, ms since the epoch.
    pub start_ms: i64,
    /// Simulated end, ms since the epoch.
    pub end_ms: i64,
    /// Simulated seconds per real second; `None` runs flat out.
    pub speed: Option<f64>,
}

/// When each record is due, and the counter that hands out record numbers in order.
pub struct Schedule {
    start: Instant,
    start_wall_ms: i64,
    profile: Option<Profile>,
    periodic: Option<std::sync::Arc<super::periodic::Periodic>>,
    backfill: Option<Backfill>,
    pacing: Pacing,
    arrivals: Arrivals,
    seed: u64,
    cursor: Mutex<Cursor>,
}

impl std::fmt::Debug for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schedule")
            .field("profile", &self.profile)
            .field("pacing", &self.pacing)
            .finish()
    }
}

impl Schedule {
    /// A schedule starting at `start` (wall clock `start_wall_ms`).
    pub fn new(
        start: Instant,
        start_wall_ms: i64,
        rate: &Rate,
        pacing: Pacing,
        arrivals: Arrivals,
        seed: u64,
    ) -> Schedule {
        let (profile, periodic) = match rate {
            Rate::Profile(p) => (Some(p.clone()), None),
            Rate::Periodic(p) => (None, Some(std::sync::Arc::clone(p))),
            Rate::Max => (None, None),
        };
        let cursor = Cursor {
            next: 0,
            u: 0.0,
            second: 0,
            before: 0,
            in_second: 0,
            started: false,
        };
        Schedule {
            start,
            start_wall_ms,
            profile,
            periodic,
            backfill: None,
            pacing,
            arrivals,
            seed,
            cursor: Mutex::new(cursor),
        }
    }

    /// Run on a simulated clock instead of the wall clock.
    pub fn with_backfill(mut self, backfill: Backfill) -> Schedule {
        self.backfill = Some(backfill);
        self
    }

    /// Whether records are due at set times (as opposed to flat out).
    pub fn is_paced(&self) -> bool {
        (self.profile.is_some() || self.periodic.is_some()) && self.backfill.is_none_or(|b| b.speed.is_some())
    }

    /// Where the clock of the rate profile starts (the wall clock, or the backfill's).
    fn clock_start_ms(&self) -> i64 {
        self.backfill.map_or(self.start_wall_ms, |b| b.start_ms)
    }

    /// The simulated instant of an offset (ms since the epoch), in a backfill.
    pub fn sim_ms(&self, offset: f64) -> Option<i64> {
        self.backfill.map(|b| b.start_ms + (offset * 1000.0) as i64)
    }

    /// Seconds of schedule a backfill covers.
    pub fn backfill_span(&self) -> Option<f64> {
        self.backfill.map(|b| (b.end_ms - b.start_ms) as f64 / 1000.0)
    }

    /// The profile, if paced.
    pub fn profile(&self) -> Option<&Profile> {
        self.profile.as_ref()
    }

    /// The instant an offset (seconds of schedule after the start) is due; `None` when it is not
    /// paced (flat out, or a backfill at full speed).
    pub fn at(&self, offset: f64) -> Option<Instant> {
        if !self.is_paced() {
            return None;
        }
        let speed = self.speed();
        // Offsets are at most MAX_OFFSET_SECS and speeds at least MIN_SPEED, so this is finite;
        // the clamp and the checked sum keep it so whatever a caller passes.
        let secs = (offset / speed).clamp(0.0, MAX_OFFSET_SECS / MIN_SPEED);
        let wait = Duration::try_from_secs_f64(secs).unwrap_or(Duration::ZERO);
        Some(
            self.start
                .checked_add(wait)
                .unwrap_or_else(|| self.start + Duration::from_secs_f64(MAX_OFFSET_SECS)),
        )
    }

    /// The wall-clock instant (ms since the epoch) of an offset, for `{{date.now}}`; `None` when
    /// not paced (the caller reads the clock).
    pub fn wall_ms(&self, offset: f64) -> Option<i64> {
        let speed = self.speed();
        self.is_paced()
            .then(|| self.start_wall_ms + (offset / speed * 1000.0) as i64)
    }

    /// Claim the next records: at most `max` of them, fewer when paced so that no record waits
    /// longer than `linger` for its batch, none at or after `until` (seconds) or at or past
    /// `limit` (record number).
    pub fn claim(&self, max: u64, linger: Duration, limit: u64, until: Option<f64>) -> Option<Block> {
        let mut c = self.cursor.lock().expect("schedule lock");
        if c.next >= limit {
            return None;
        }
        let first = c.next;
        if let Some(p) = &self.periodic {
            let p = std::sync::Arc::clone(p);
            return self.claim_periodic(&mut c, &p, max, linger, limit, until);
        }
        let Some(profile) = &self.profile else {
            let len = max.min(limit - first);
            c.next += len;
            return Some(Block {
                first,
                offsets: Vec::new(),
                len,
            });
        };
        let t0 = self.offset_of(profile, first, c.u);
        let rate = profile.rate_at(t0).max(0.0);
        let k = match self.pacing {
            Pacing::Smooth => ((rate * linger.as_secs_f64()) as u64).clamp(1, max),
            // A burst second's records are all due at once.
            Pacing::Burst => (rate.ceil() as u64).clamp(1, max),
        }
        .min(limit - first);
        let mut offsets = Vec::with_capacity(k as usize);
        let mut u = c.u;
        for n in first..first + k {
            let (off, u_next) = match self.arrivals {
                Arrivals::Uniform => (profile.time_of(n as f64), u),
                Arrivals::Poisson => {
                    let u_next = u + exponential(self.seed, n);
                    (profile.time_of(u_next), u_next)
                }
            };
            let off = if self.pacing == Pacing::Burst { off.floor() } else { off };
            // Never due (a zero last rate), or not within the run or the representable future.
            if !off.is_finite() || off > MAX_OFFSET_SECS || until.is_some_and(|d| off >= d) {
                break;
            }
            offsets.push(off);
            u = u_next;
        }
        if offsets.is_empty() {
            c.next = limit;
            return None;
        }
        let len = offsets.len() as u64;
        c.next += len;
        c.u = u;
        Some(Block { first, offsets, len })
    }

    fn claim_periodic(
        &self,
        c: &mut Cursor,
        p: &super::periodic::Periodic,
        max: u64,
        linger: Duration,
        limit: u64,
        until: Option<f64>,
    ) -> Option<Block> {
        /// Give up when a week of schedule has no records at all.
        const EMPTY_SECONDS: u64 = 7 * 86_400;
        let clock = self.clock_start_ms();
        if !c.started {
            c.started = true;
            c.in_second = p.count(self.seed, clock, 0);
        }
        let first = c.next;
        let rate = p.at(clock + c.second as i64 * 1000).0;
        let k = match self.pacing {
            Pacing::Smooth => ((rate * linger.as_secs_f64()) as u64).clamp(1, max),
            Pacing::Burst => (rate.ceil() as u64).clamp(1, max),
        }
        .min(limit - first);
        let mut offsets = Vec::with_capacity(k as usize);
        for n in first..first + k {
            let mut empty = 0;
            while n >= c.before + c.in_second {
                c.before += c.in_second;
                c.second += 1;
                c.in_second = p.count(self.seed, clock, c.second);
                empty = if c.in_second == 0 { empty + 1 } else { 0 };
                if empty > EMPTY_SECONDS || until.is_some_and(|d| c.second as f64 >= d) {
                    break;
                }
            }
            if n >= c.before + c.in_second {
                break;
            }
            let off = match self.pacing {
                Pacing::Smooth => c.second as f64 + (n - c.before) as f64 / c.in_second as f64,
                Pacing::Burst => c.second as f64,
            };
            if until.is_some_and(|d| off >= d) {
                break;
            }
            offsets.push(off);
        }
        if offsets.is_empty() {
            c.next = limit;
            return None;
        }
        let len = offsets.len() as u64;
        c.next += len;
        Some(Block { first, offsets, len })
    }

    fn offset_of(&self, profile: &Profile, n: u64, u: f64) -> f64 {
        match self.arrivals {
            Arrivals::Uniform => profile.time_of(n as f64),
            Arrivals::Poisson => profile.time_of(u),
        }
    }

    /// The target rate `elapsed` into the run (the ramp's or step's current rate, the hour's
    /// for a periodic profile); `None` when not paced.
    pub fn rate_now(&self, elapsed: Duration) -> Option<f64> {
        if !self.is_paced() {
            return None;
        }
        let speed = self.speed();
        let offset = elapsed.as_secs_f64() * speed;
        let simulated = match &self.periodic {
            Some(p) => p.at(self.clock_start_ms() + (offset * 1000.0) as i64).0,
            None => self.profile.as_ref()?.rate_at(offset),
        };
        // Real records/s: a backfill runs `speed` simulated seconds in each real one.
        Some(simulated * speed)
    }

    /// Simulated seconds per real second: a backfill's `--speed`, else 1.
    fn speed(&self) -> f64 {
        self.backfill.and_then(|b| b.speed).unwrap_or(1.0)
    }

    /// The mean target rate over `duration`, in real records/s, for the report; `None` when
    /// flat out. A backfill's is its simulated mean over the simulated span times its speed
    /// ([`Schedule::simulated_mean_rate`] is the simulated one).
    pub fn mean_rate(&self, duration: Option<Duration>) -> Option<f64> {
        let span = self.backfill_span().map(Duration::from_secs_f64).or(duration);
        self.simulated_mean_rate(span).map(|r| r * self.speed())
    }

    /// The mean target rate over `duration` of the schedule's own clock (simulated, in a
    /// backfill); `None` when flat out.
    pub fn simulated_mean_rate(&self, duration: Option<Duration>) -> Option<f64> {
        if !self.is_paced() {
            return None;
        }
        if let Some(p) = &self.periodic {
            // The mean of the hourly means over the planned span (an hour if none), by minute.
            let span = duration.map_or(3600.0, |d| d.as_secs_f64()).max(60.0);
            let minutes = (span / 60.0).ceil() as i64;
            let clock = self.clock_start_ms();
            let sum: f64 = (0..minutes).map(|m| p.at(clock + m * 60_000).0).sum();
            return Some(sum / minutes as f64);
        }
        let p = self.profile.as_ref()?;
        Some(match (p, duration) {
            (Profile::Constant(r), _) => *r,
            (_, Some(d)) if !d.is_zero() => p.count_at(d.as_secs_f64()) / d.as_secs_f64(),
            (_, _) => p.rate_at(f64::MAX),
        })
    }
}

/// A unit-rate exponential gap for record `n`, from the seed alone.
fn exponential(seed: u64, n: u64) -> f64 {
    let bits = crate::faker::splitmix64(seed ^ 0x9015_5015 ^ crate::faker::splitmix64(n));
    // 53 random bits → (0, 1].
    let u = ((bits >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
    -u.ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(rate: Rate, pacing: Pacing, arrivals: Arrivals) -> Schedule {
        Schedule::new(Instant::now(), 1_000_000, &rate, pacing, arrivals, 7)
    }

    fn all_offsets(s: &Schedule, limit: u64, until: Option<f64>) -> Vec<f64> {
        let mut out = Vec::new();
        while let Some(b) = s.claim(1000, Duration::from_millis(100), limit, until) {
            out.extend(b.offsets);
        }
        out
    }

    #[tokio::test(start_paused = true)]
    async fn records_are_due_at_n_over_rate() {
        let s = schedule(Rate::per_second(4.0), Pacing::Smooth, Arrivals::Uniform);
        let offs = all_offsets(&s, 7, None);
        assert_eq!(offs, vec![0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5]);
        assert_eq!(s.wall_ms(1.5), Some(1_001_500));
    }

    #[tokio::test(start_paused = true)]
    async fn burst_pacing_sends_each_second_at_its_start() {
        let s = schedule(Rate::per_second(100.0), Pacing::Burst, Arrivals::Uniform);
        let b = s.claim(500, Duration::from_millis(1), u64::MAX, None).unwrap();
        assert_eq!(b.len, 100);
        assert!(b.offsets.iter().all(|o| *o == 0.0));
        let b = s.claim(500, Duration::from_millis(1), u64::MAX, None).unwrap();
        assert_eq!((b.first, b.offsets[0]), (100, 1.0));
    }

    #[tokio::test(start_paused = true)]
    async fn count_and_duration_both_limit_a_paced_run() {
        let s = schedule(Rate::per_second(1000.0), Pacing::Smooth, Arrivals::Uniform);
        assert_eq!(all_offsets(&s, u64::MAX, Some(10.0)).len(), 10_000);
        let s = schedule(Rate::per_second(1000.0), Pacing::Smooth, Arrivals::Uniform);
        assert_eq!(all_offsets(&s, 500, Some(10.0)).len(), 500);
        let max = schedule(Rate::Max, Pacing::Smooth, Arrivals::Uniform);
        let b = max.claim(1024, Duration::from_millis(1), u64::MAX, None).unwrap();
        assert!(b.offsets.is_empty() && b.len == 1024);
    }

    #[tokio::test(start_paused = true)]
    async fn blocks_follow_the_rate() {
        let block = |r: f64| {
            schedule(Rate::per_second(r), Pacing::Smooth, Arrivals::Uniform)
                .claim(1024, Duration::from_millis(1), u64::MAX, None)
                .unwrap()
                .len
        };
        assert_eq!(block(1.0), 1);
        assert_eq!(block(1_000_000.0), 1000);
        assert_eq!(block(1e9), 1024);
    }

    #[test]
    fn a_ramp_hits_each_rate_on_schedule() {
        let p = Profile::Ramp {
            from: 100.0,
            to: 1100.0,
            over: Duration::from_secs(10),
        };
        assert_eq!(p.rate_at(0.0), 100.0);
        assert_eq!(p.rate_at(5.0), 600.0);
        assert_eq!(p.rate_at(20.0), 1100.0);
        // 6,000 records by the end of the ramp: the area of the trapezoid.
        assert!((p.count_at(10.0) - 6000.0).abs() < 1e-9);
        for t in [0.5, 3.0, 9.99, 10.0, 14.0] {
            assert!((p.time_of(p.count_at(t)) - t).abs() < 1e-6, "t = {t}");
        }
        // Records per second during the ramp rise linearly.
        let s = schedule(Rate::Profile(p), Pacing::Smooth, Arrivals::Uniform);
        let offs = all_offsets(&s, u64::MAX, Some(10.0));
        let mut per_second = [0usize; 10];
        for o in &offs {
            per_second[*o as usize] += 1;
        }
        for (sec, n) in per_second.iter().enumerate() {
            let want = 100.0 + 100.0 * (sec as f64 + 0.5);
            assert!(
                (*n as f64 - want).abs() <= 1.0,
                "second {sec}: {n} records, want {want}"
            );
        }
    }

    #[test]
    fn steps_hold_each_rate() {
        let p = Profile::parse_steps("1k,2k,4k", Duration::from_secs(30)).unwrap();
        assert_eq!(p.rate_at(29.0), 1000.0);
        assert_eq!(p.rate_at(30.0), 2000.0);
        assert_eq!(p.rate_at(1000.0), 4000.0);
        assert_eq!(p.count_at(60.0), 90_000.0);
        assert_eq!(p.time_of(30_000.0), 30.0);
        assert_eq!(p.time_of(90_000.0 + 4000.0), 61.0);
    }

    #[test]
    fn poisson_arrivals_have_the_right_mean_and_variance() {
        let s = schedule(Rate::per_second(50.0), Pacing::Smooth, Arrivals::Poisson);
        let offs = all_offsets(&s, u64::MAX, Some(2000.0));
        let mut counts = vec![0f64; 2000];
        for o in &offs {
            counts[*o as usize] += 1.0;
        }
        let mean = counts.iter().sum::<f64>() / counts.len() as f64;
        let var = counts.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / (counts.len() - 1) as f64;
        assert!((mean - 50.0).abs() < 1.0, "mean {mean}");
        assert!(
            (var - 50.0).abs() < 7.5,
            "variance {var} (a Poisson count's variance equals its mean)"
        );
        // And it is reproducible from the seed.
        let again = all_offsets(
            &schedule(Rate::per_second(50.0), Pacing::Smooth, Arrivals::Poisson),
            100,
            None,
        );
        assert_eq!(again[..], offs[..100]);
    }

    #[test]
    fn rates_and_speeds_outside_their_limits_are_refused_naming_the_limit() {
        for ramp in ["1..1e308/1s", "1e11..1/1s", "0.0000000001..1/1s"] {
            let e = Profile::parse_ramp(ramp).unwrap_err();
            assert!(e.contains("MAX_RATE") || e.contains("MIN_RATE"), "{ramp}: {e}");
        }
        assert!(Profile::parse_ramp("1..1e10/1s").is_ok());
        assert!(Profile::parse_ramp("0..1e-6/1s").is_ok());
        // The rate is written short, not as 309 digits.
        assert!(check_rate(1e308).unwrap_err().starts_with("1e308 records/s is above"));
        assert!(check_rate(1e-9).unwrap_err().starts_with("1e-9 records/s is below"));
        let e = Profile::parse_steps("1,1e11", Duration::from_secs(1)).unwrap_err();
        assert!(e.contains("column 3") && e.contains("MAX_RATE"), "{e}");
        assert!(Profile::parse_steps("1,1e9,0", Duration::from_secs(1)).is_ok());
        assert!(check_speed(1e-9).unwrap_err().contains("MIN_SPEED"));
        assert!(check_speed(1e300).is_err());
        assert!(check_speed(MIN_SPEED).is_ok() && check_speed(MAX_SPEED).is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn due_times_stay_finite_at_the_limits() {
        // A record due after MAX_OFFSET_SECS is never due: the schedule ends instead.
        let s = schedule(Rate::per_second(MIN_RATE), Pacing::Smooth, Arrivals::Uniform);
        let offs = all_offsets(&s, u64::MAX, None);
        assert_eq!(offs.len(), (MAX_OFFSET_SECS * MIN_RATE) as usize + 1);
        // The slowest backfill at the furthest offset is still an instant.
        let slow = schedule(Rate::per_second(1.0), Pacing::Smooth, Arrivals::Uniform).with_backfill(Backfill {
            start_ms: 0,
            end_ms: 1000,
            speed: Some(MIN_SPEED),
        });
        assert!(slow.at(MAX_OFFSET_SECS).is_some());
        assert!(slow.at(f64::INFINITY).is_some() && slow.at(f64::NAN).is_some());
        // A ramp from zero: record 0 is due at the start, not at 0/0.
        let p = Profile::parse_ramp("0..100/1s").unwrap();
        assert_eq!(p.time_of(0.0), 0.0);
    }

    #[test]
    fn profiles_parse_with_positions_in_errors() {
        assert_eq!(
            Profile::parse_ramp("1k..10k/5m"),
            Ok(Profile::Ramp {
                from: 1000.0,
                to: 10_000.0,
                over: Duration::from_secs(300)
            })
        );
        assert!(Profile::parse_ramp("1k..x/5m").unwrap_err().contains("column 5"));
        assert!(Profile::parse_ramp("1k-10k/5m").unwrap_err().contains("missing `..`"));
        assert!(Profile::parse_ramp("1k..2k/soon").unwrap_err().contains("column 8"));
        assert!(Profile::parse_steps("1k,zz,4k", Duration::from_secs(1))
            .unwrap_err()
            .contains("column 4"));
    }
}

#[cfg(test)]
mod periodic_tests {
    use super::*;
    use crate::engine::periodic::Periodic;

    #[tokio::test(start_paused = true)]
    async fn periodic_counts_fill_each_second_and_backfill_runs_on_simulated_time() {
        let p = std::sync::Arc::new(Periodic::parse("* * 20 0", "p", false, jiff::tz::TimeZone::UTC).unwrap());
        let s = Schedule::new(
            Instant::now(),
            0,
            &Rate::Periodic(p.clone()),
            Pacing::Smooth,
            Arrivals::Uniform,
            1,
        );
        let mut offs = Vec::new();
        while let Some(b) = s.claim(1000, Duration::from_millis(100), u64::MAX, Some(3.0)) {
            offs.extend(b.offsets);
        }
        assert_eq!(offs.len(), 60, "20 records in each of 3 seconds");
        assert_eq!(offs[20], 1.0);
        // A backfill at 10x: simulated offsets, real due times a tenth of them.
        let b = Backfill {
            start_ms: 1_000_000,
            end_ms: 1_010_000,
            speed: Some(10.0),
        };
        let s = Schedule::new(
            Instant::now(),
            0,
            &Rate::Periodic(p),
            Pacing::Smooth,
            Arrivals::Uniform,
            1,
        )
        .with_backfill(b);
        let blk = s
            .claim(1000, Duration::from_secs(1), u64::MAX, s.backfill_span())
            .unwrap();
        assert_eq!(s.sim_ms(blk.offsets[19]), Some(1_000_950));
        assert_eq!(s.at(2.0).unwrap() - s.start, Duration::from_millis(200));
    }
}
