//! Stateful-looking data that stays a pure function of `(seed, n)`: entities, random walks and
//! event timestamps.
//!
//! Nothing here keeps state between records. Each value is computed from the run's seed, the
//! record number and the names written in the template, so records can be rendered by any worker
//! in any order (and split across processes with `--instance`) and still come out the same.
//!
//! * **Entities** (`{{#entity NAME COUNT}}…{{/entity}}`, compiled by [`crate::template`]): record
//!   `n` belongs to entity `k` of `COUNT`. With `pick="cycle"` (the default) records are dealt in
//!   rounds of `COUNT`: round `r = n / COUNT`, position `p = n % COUNT`, and
//!   `k = permute(key(seed, NAME, r), p)`, a bijection of `0..COUNT` ([`permute`]: a Feistel
//!   network with cycle walking). Every entity appears exactly once per round, in an order that
//!   changes every round, and its own sequence number is `r` (0, 1, 2, … in record order).
//!   With `pick="random"`, `k` is a hash of `(seed, NAME, n)`, uniform; the sequence number is
//!   then the record number `n`. [`EntityCur`] is the entity a record is in; entity attributes
//!   ([`attr_rng`]) are generated from an rng seeded by `(seed, NAME, k, attribute)`, so they are
//!   the same in every record of entity `k`. An attribute is identified by its method, its
//!   arguments and an optional `key=` (not by its position in the template), so the same
//!   `{{entity.attr "address.city"}}` written twice prints the same city, and editing other parts
//!   of a template does not change it. The record's own rng is restored afterwards, so attributes
//!   do not shift any other value of the record.
//! * **Random walk** (`{{walk KEY start= step=}}`, [`build_walk`]): `W(t) = start + step·B(t)`
//!   where `B` is a standard Brownian motion sampled at whole `t` ([`brownian`]). `B(2^j)` are
//!   sums of independent increments; inside `[2^j, 2^(j+1)]` the path is filled in by Brownian
//!   bridges at dyadic midpoints, each midpoint's noise hashed from `(seed, KEY, midpoint)`. So
//!   `W(t)` costs `O(log t)` with no state, and `W(t+1) - W(t)` is `N(0, step²)`, independent
//!   across `t`. `min=`/`max=` reflect the path at the bounds. Outside an entity block time is
//!   the record number and the walk is keyed by `(seed, KEY)`; inside one, time is `entity.seq`
//!   and the key is `(seed, NAME, k, KEY)`, so each entity has its own walk that moves one step
//!   per appearance. `start=[lo, hi]` gives each key a start drawn uniformly from the range.
//!   Each worker keeps the last descent per call site and entity ([`Path`], up to 64 entities),
//!   so a step to `t + 1` usually recomputes one or two midpoints; the cache only saves work and
//!   gives bit-for-bit the numbers of the stateless [`brownian`].
//! * **Event timestamps** (`{{timestamp jitter= late= late_by= format=}}`, [`build_timestamp`]):
//!   the record's instant (the simulated instant in a backfill run) plus a uniform jitter in
//!   `[-jitter, +jitter]` ms; with probability `late` the event is moved back by a uniform
//!   `(0, late_by]` ms (default one minute). Drawn from the record's rng: one draw for the
//!   jitter, two for lateness (the amount is drawn even when the event is on time, so the draws
//!   after it do not depend on the outcome).

use jiff::tz::TimeZone;
use serde_json::Value;

use super::moment::MomentFormat;
use super::{splitmix64, write_int, write_js_fixed, ArgError, Args, BuildCtx, Ctx, Gen, Rng};

/// The entity the record being rendered is in (the innermost `#entity` block).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EntityCur {
    /// The entity's number, `0..COUNT` (`{{entity.id}}`).
    pub id: u64,
    /// The entity's own sequence number (`{{entity.seq}}`).
    pub seq: u64,
    /// A hash of `(NAME, id)`: the key of walks inside the block.
    pub key: u64,
}

/// Domain separators, so the hashes of different uses never collide by construction.
const ROUND: u64 = 0x5eed_0001;
const RANDOM_PICK: u64 = 0x5eed_0002;
const ATTR: u64 = 0x5eed_0003;
const WALK: u64 = 0x5eed_0004;
const POWERS: u64 = 0x5eed_0005;
const BRIDGE: u64 = 0x5eed_0006;
const START: u64 = 0x5eed_0007;

/// Hash two words into one.
#[inline]
pub fn mix(a: u64, b: u64) -> u64 {
    splitmix64(a ^ splitmix64(b).rotate_left(17))
}

/// Hash a name (an entity NAME, a walk KEY, an attribute).
pub fn hash_str(s: &str) -> u64 {
    let mut h = splitmix64(s.len() as u64);
    for chunk in s.as_bytes().chunks(8) {
        let mut w = [0u8; 8];
        w[..chunk.len()].copy_from_slice(chunk);
        h = mix(h, u64::from_le_bytes(w));
    }
    h
}

/// A bijection of `0..count` keyed by `key`: a 4-round balanced Feistel network over the
/// smallest even number of bits that holds `count - 1`, walked until it lands inside `0..count`
/// (at most 4 values out of range per value in range, so a handful of steps on average).
pub fn permute(key: u64, count: u64, x: u64) -> u64 {
    debug_assert!(x < count);
    if count <= 1 {
        return 0;
    }
    let bits = 64 - (count - 1).leading_zeros();
    let half = bits.div_ceil(2);
    let mask = (1u64 << half) - 1;
    let mut v = x;
    loop {
        let (mut l, mut r) = (v >> half, v & mask);
        for round in 0..4u64 {
            let f = mix(key ^ round, r) & mask;
            (l, r) = (r, l ^ f);
        }
        v = (l << half) | r;
        if v < count {
            return v;
        }
    }
}

/// A uniform number in `0..count` from a hash.
#[inline]
fn below(h: u64, count: u64) -> u64 {
    ((h as u128 * count as u128) >> 64) as u64
}

/// How an `#entity` block chooses the entity of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickMode {
    /// Each entity once per round of `COUNT` records, in a shuffled order.
    Cycle,
    /// A uniform entity per record.
    Random,
}

/// The compiled selection of one `#entity` block.
#[derive(Debug, Clone, Copy)]
pub struct Selector {
    /// [`hash_str`] of the block's NAME.
    pub name: u64,
    /// How many entities.
    pub count: u64,
    /// How they are chosen.
    pub pick: PickMode,
}

impl Selector {
    /// The entity of record `n` in a run with `seed`.
    #[inline]
    pub fn select(&self, seed: u64, n: u64) -> EntityCur {
        let (id, seq) = match self.pick {
            PickMode::Cycle => {
                let (round, pos) = (n / self.count, n % self.count);
                let key = mix(mix(seed ^ ROUND, self.name), round);
                (permute(key, self.count, pos), round)
            }
            PickMode::Random => (below(mix(mix(seed ^ RANDOM_PICK, self.name), n), self.count), n),
        };
        EntityCur {
            id,
            seq,
            key: mix(self.name, id),
        }
    }
}

/// The rng an entity attribute is generated from: the same for every record of the entity.
/// `attr` identifies the attribute (a hash of its method, arguments and `key=`).
pub fn attr_rng(seed: u64, entity: &EntityCur, attr: u64) -> Rng {
    let a = mix(mix(seed ^ ATTR, entity.key), attr);
    let b = splitmix64(a ^ 0x9e37_79b9_7f4a_7c15);
    Rng::new(((a as u128) << 64) | b as u128)
}

/// A standard normal number from a hash (Box–Muller on two 53-bit uniforms).
fn normal(h: u64) -> f64 {
    const SCALE: f64 = 1.0 / (1u64 << 53) as f64;
    let a = splitmix64(h);
    let b = splitmix64(h ^ 0x6a09_e667_f3bc_c909);
    let u1 = ((a >> 11) as f64 + 0.5) * SCALE;
    let u2 = (b >> 11) as f64 * SCALE;
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// `B(t)` of the standard Brownian motion keyed by `key`, at whole time `t`.
///
/// `B(0) = 0`, `B(1) = Z₀`, `B(2^(j+1)) = B(2^j) + √(2^j)·Zⱼ₊₁` (the `Z` hashed from
/// `(key, j)`); between `a = 2^j` and `b = 2^(j+1)` the midpoint `m` of the interval holding `t`
/// is `(B(a) + B(b))/2 + √((b-a)/4)·Z(m)` (hashed from `(key, m)`), halving until `t` is a
/// midpoint. Each dyadic midpoint belongs to exactly one interval, so its noise is keyed by `m`.
pub fn brownian(key: u64, t: u64) -> f64 {
    if t == 0 {
        return 0.0;
    }
    let powers = mix(key, POWERS);
    let j = 63 - t.leading_zeros();
    let mut wa = normal(mix(powers, 0));
    for i in 1..=j {
        wa += ((1u64 << (i - 1)) as f64).sqrt() * normal(mix(powers, u64::from(i)));
    }
    let mut a = 1u64 << j;
    if t == a {
        return wa;
    }
    let bridge = mix(key, BRIDGE);
    let mut b = a << 1;
    let mut wb = wa + (a as f64).sqrt() * normal(mix(powers, u64::from(j) + 1));
    loop {
        let m = a + (b - a) / 2;
        let wm = 0.5 * (wa + wb) + ((b - a) as f64 * 0.25).sqrt() * normal(mix(bridge, m));
        if t == m {
            return wm;
        }
        if t < m {
            (b, wb) = (m, wm);
        } else {
            (a, wa) = (m, wm);
        }
    }
}

/// The last descent of [`brownian`] for one key, so that the next nearby `t` (usually `t + 1`)
/// reuses most of it: amortised O(1) per step instead of O(log t). Lives in a [`super::Slot`].
#[derive(Debug, Clone, Default)]
pub struct Path {
    key: u64,
    valid: bool,
    /// The band `[2^j, 2^(j+1)]` the levels are in.
    j: u32,
    /// `(a, b, B(a), B(b))` from the band down to the last interval visited.
    levels: Vec<(u64, u64, f64, f64)>,
}

/// [`brownian`], reusing and updating `path`. Gives bit-for-bit the same numbers.
pub fn brownian_cached(key: u64, t: u64, path: &mut Path) -> f64 {
    if t == 0 {
        return 0.0;
    }
    let j = 63 - t.leading_zeros();
    if !(path.valid && path.key == key && path.j == j) {
        let powers = mix(key, POWERS);
        let mut wa = normal(mix(powers, 0));
        for i in 1..=j {
            wa += ((1u64 << (i - 1)) as f64).sqrt() * normal(mix(powers, u64::from(i)));
        }
        let a = 1u64 << j;
        let wb = wa + (a as f64).sqrt() * normal(mix(powers, u64::from(j) + 1));
        path.levels.clear();
        path.levels.push((a, a << 1, wa, wb));
        path.key = key;
        path.j = j;
        path.valid = true;
    }
    while path.levels.len() > 1 && path.levels.last().is_some_and(|&(a, b, _, _)| t < a || t > b) {
        path.levels.pop();
    }
    let bridge = mix(key, BRIDGE);
    let (mut a, mut b, mut wa, mut wb) = path.levels[path.levels.len() - 1];
    if t == a {
        return wa;
    }
    loop {
        if t == b {
            return wb;
        }
        let m = a + (b - a) / 2;
        let wm = 0.5 * (wa + wb) + ((b - a) as f64 * 0.25).sqrt() * normal(mix(bridge, m));
        if t < m {
            (b, wb) = (m, wm);
        } else {
            (a, wa) = (m, wm);
        }
        path.levels.push((a, b, wa, wb));
        if t == m {
            // Keep the interval right of `t`: the next call is most likely `t + 1`.
            return wm;
        }
    }
}

/// Fold `x` into `[lo, hi]` by reflecting at the bounds (either may be infinite).
pub fn reflect(x: f64, lo: f64, hi: f64) -> f64 {
    if x >= lo && x <= hi {
        return x;
    }
    if lo.is_infinite() {
        return 2.0 * hi - x;
    }
    if hi.is_infinite() {
        return 2.0 * lo - x;
    }
    let span = hi - lo;
    if span == 0.0 {
        return lo;
    }
    let y = (x - lo).rem_euclid(2.0 * span);
    lo + if y > span { 2.0 * span - y } else { y }
}

/// `{{walk KEY start= step= min= max= decimals=}}`.
struct Walk {
    /// [`hash_str`] of KEY (0 without one).
    key: u64,
    /// Inside an `#entity` block: the walk belongs to the entity and moves with `entity.seq`.
    in_entity: bool,
    /// `start`, or a range to draw each key's start from.
    start: (f64, f64),
    step: f64,
    min: f64,
    max: f64,
    decimals: u8,
    slot: usize,
}

/// How many cached descents a walk call site keeps per worker: one per entity for up to this many
/// entities (more share lines, and then recompute).
const PATH_LINES: usize = 64;

impl Walk {
    fn value(&self, seed: u64, key: u64, t: u64, path: &mut Path) -> f64 {
        let key = mix(mix(seed ^ WALK, key), self.key);
        let (lo, hi) = self.start;
        let start = if lo == hi {
            lo
        } else {
            lo + (hi - lo) * super::unit_of(mix(key, START))
        };
        reflect(start + self.step * brownian_cached(key, t, path), self.min, self.max)
    }
}

impl Gen for Walk {
    fn emit(&self, ctx: &mut Ctx, out: &mut Vec<u8>) {
        let (key, t, line) = if self.in_entity {
            (ctx.entity.key, ctx.entity.seq, ctx.entity.id as usize % PATH_LINES)
        } else {
            (0, ctx.seq, 0)
        };
        let paths = &mut ctx.slots[self.slot].paths;
        if paths.len() <= line {
            paths.resize_with(line + 1, Path::default);
        }
        let v = self.value(ctx.seed, key, t, &mut paths[line]);
        write_js_fixed(out, v, self.decimals);
    }
}

/// Reject named arguments outside `known`.
fn only(args: &Args, known: &[&str]) -> Result<(), ArgError> {
    match args.named.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(ArgError::new(format!(
            "unknown option `{k}=` (options: {})",
            known.join(", ")
        ))),
        None => Ok(()),
    }
}

fn finite(args: &Args, key: &str) -> Result<Option<f64>, ArgError> {
    match args.named.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_f64() {
            Some(x) if x.is_finite() => Ok(Some(x)),
            _ => Err(ArgError::new(format!("`{key}` must be a number, got {v}"))),
        },
    }
}

/// Build `{{walk KEY start=150 step=0.5 min= max= decimals=2}}`. `in_entity`: the call is inside
/// an `#entity` block (KEY is then optional, and time is the entity's sequence number).
///
/// # Errors
/// Unknown options, a missing KEY outside an entity block, a negative step, `min > max`, a
/// start outside the bounds.
pub fn build_walk(args: &Args, cx: &mut BuildCtx, in_entity: bool) -> Result<Box<dyn Gen>, ArgError> {
    only(args, &["start", "step", "min", "max", "decimals"])?;
    let key = match args.positional.as_slice() {
        [] if in_entity => 0,
        [] => {
            return Err(ArgError::new(
                "needs a KEY outside an #entity block, e.g. {{walk \"AAPL\" start=150 step=0.5}}",
            ))
        }
        [Value::String(s)] => hash_str(s),
        [v @ Value::Number(_)] => hash_str(&v.to_string()),
        _ => {
            return Err(ArgError::new(
                "takes one KEY (a string), e.g. {{walk \"AAPL\" start=150 step=0.5}}",
            ))
        }
    };
    let start = match args.named.get("start") {
        None | Some(Value::Null) => (0.0, 0.0),
        Some(Value::Array(r)) if r.len() == 2 && r.iter().all(|x| x.as_f64().is_some_and(f64::is_finite)) => {
            let (lo, hi) = (r[0].as_f64().unwrap_or(0.0), r[1].as_f64().unwrap_or(0.0));
            if lo > hi {
                return Err(ArgError::new(format!("`start` range [{lo},{hi}] is empty")));
            }
            (lo, hi)
        }
        Some(_) => {
            let s = finite(args, "start")?.unwrap_or(0.0);
            (s, s)
        }
    };
    let step = finite(args, "step")?.unwrap_or(1.0);
    if step < 0.0 {
        return Err(ArgError::new(format!("`step` must not be negative, got {step}")));
    }
    let min = finite(args, "min")?.unwrap_or(f64::NEG_INFINITY);
    let max = finite(args, "max")?.unwrap_or(f64::INFINITY);
    if min > max {
        return Err(ArgError::new(format!("`min` ({min}) is greater than `max` ({max})")));
    }
    if start.0 < min || start.1 > max {
        return Err(ArgError::new("`start` must lie between `min` and `max`"));
    }
    let decimals = match finite(args, "decimals")? {
        None => 2,
        Some(d) if d.fract() == 0.0 && (0.0..=20.0).contains(&d) => d as u8,
        Some(d) => {
            return Err(ArgError::new(format!(
                "`decimals` must be a whole number 0..20, got {d}"
            )))
        }
    };
    Ok(Box::new(Walk {
        key,
        in_entity,
        start,
        step,
        min,
        max,
        decimals,
        slot: cx.slot(),
    }))
}

/// How `{{timestamp}}` prints its instant.
enum TsFormat {
    /// RFC 3339 in UTC with milliseconds: `2010-02-14T15:25:50.123Z`.
    Iso(MomentFormat),
    /// Whole seconds since the epoch.
    Unix,
    /// Milliseconds since the epoch.
    UnixMs,
    /// A moment.js format in the template's zone.
    Moment(MomentFormat, TimeZone),
}

/// `{{timestamp jitter="2s" late=0.05 late_by="10m" format="iso"}}`.
struct Timestamp {
    jitter_ms: i64,
    late: f64,
    late_by_ms: i64,
    format: TsFormat,
    slot: usize,
}

impl Timestamp {
    /// The event instant of the current record.
    fn instant(&self, ctx: &mut Ctx) -> i64 {
        let mut ms = ctx.sim_ms.unwrap_or(ctx.now_ms);
        if self.jitter_ms > 0 {
            ms += ctx.int(-self.jitter_ms, self.jitter_ms);
        }
        if self.late > 0.0 {
            let late = ctx.unit() < self.late;
            let by = ctx.int(1, self.late_by_ms);
            if late {
                ms -= by;
            }
        }
        ms
    }
}

impl Gen for Timestamp {
    fn emit(&self, ctx: &mut Ctx, out: &mut Vec<u8>) {
        let ms = self.instant(ctx);
        let (format, tz, utc) = match &self.format {
            TsFormat::Unix => return write_int(out, ms.div_euclid(1000)),
            TsFormat::UnixMs => return write_int(out, ms),
            TsFormat::Iso(f) => (f, &TimeZone::UTC, true),
            TsFormat::Moment(f, tz) => (f, tz, false),
        };
        let key = if format.uses_subsecond() {
            ms
        } else {
            ms.div_euclid(1000)
        };
        let slot = &mut ctx.slots[self.slot];
        if !slot.valid || slot.key != key {
            slot.text.clear();
            format.format(ms, tz, utc, &mut slot.text);
            slot.key = key;
            slot.valid = true;
        }
        out.extend_from_slice(&slot.text);
    }
}

/// A duration option in milliseconds: a string such as `"2s"` or `"1h30m"`, or a number of
/// seconds; `0` means none.
fn duration_ms(args: &Args, key: &str) -> Result<Option<i64>, ArgError> {
    let text = match args.named.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => s.clone(),
        Some(v @ Value::Number(_)) => v.to_string(),
        Some(v) => {
            return Err(ArgError::new(format!(
                "`{key}` must be a duration such as \"2s\", got {v}"
            )))
        }
    };
    if text.trim().parse::<f64>() == Ok(0.0) {
        return Ok(Some(0));
    }
    let d = crate::units::parse_duration(&text).map_err(|e| ArgError::new(format!("`{key}`: {e}")))?;
    Ok(Some(i64::try_from(d.as_millis()).unwrap_or(i64::MAX).max(1)))
}

/// Build `{{timestamp jitter="2s" late=0.05 late_by="10m" format="iso"}}`.
///
/// # Errors
/// Unknown options or positional arguments, a duration that does not parse, `late` outside
/// `0..=1`.
pub fn build_timestamp(args: &Args, cx: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    only(args, &["jitter", "late", "late_by", "format"])?;
    if !args.positional.is_empty() {
        return Err(ArgError::new(
            "takes only options, e.g. {{timestamp jitter=\"2s\" late=0.05 late_by=\"10m\" format=\"iso\"}}",
        ));
    }
    let jitter_ms = duration_ms(args, "jitter")?.unwrap_or(0);
    let late = finite(args, "late")?.unwrap_or(0.0);
    if !(0.0..=1.0).contains(&late) {
        return Err(ArgError::new(format!("`late` is a share between 0 and 1, got {late}")));
    }
    let late_by_ms = match duration_ms(args, "late_by")? {
        Some(0) if late > 0.0 => return Err(ArgError::new("`late_by` must be longer than zero")),
        Some(ms) => ms,
        None => 60_000,
    };
    let format = match args.named.get("format") {
        None | Some(Value::Null) => TsFormat::Iso(MomentFormat::parse("YYYY-MM-DDTHH:mm:ss.SSS[Z]")),
        Some(Value::String(s)) => match s.as_str() {
            "iso" => TsFormat::Iso(MomentFormat::parse("YYYY-MM-DDTHH:mm:ss.SSS[Z]")),
            "unix" => TsFormat::Unix,
            "unix_ms" => TsFormat::UnixMs,
            other => TsFormat::Moment(MomentFormat::parse(other), cx.tz.clone()),
        },
        Some(v) => {
            return Err(ArgError::new(format!(
                "`format` must be \"iso\", \"unix\", \"unix_ms\" or a moment.js format, got {v}"
            )))
        }
    };
    Ok(Box::new(Timestamp {
        jitter_ms,
        late,
        late_by_ms,
        format,
        slot: cx.slot(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faker::Compat;

    fn cx() -> BuildCtx {
        BuildCtx::new(Compat::Tolerant, TimeZone::UTC)
    }

    fn named(pairs: &[(&str, Value)]) -> Args {
        Args {
            positional: Vec::new(),
            named: pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
        }
    }

    fn mean_sd(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
        (mean, var.sqrt())
    }

    #[test]
    fn permute_is_a_bijection_for_every_count() {
        for count in (1..=300).chain([1000, 1024, 1025, 65_537]) {
            for key in [0, 1, 0xdead_beef] {
                let mut seen = vec![false; count as usize];
                for x in 0..count {
                    let y = permute(key, count, x);
                    assert!(y < count && !seen[y as usize], "count {count} key {key}: {x} -> {y}");
                    seen[y as usize] = true;
                }
            }
        }
        // Different keys give different orders.
        let order = |key| (0..50).map(|x| permute(key, 50, x)).collect::<Vec<_>>();
        assert_ne!(order(1), order(2));
    }

    #[test]
    fn cycle_selection_deals_every_entity_once_per_round() {
        let sel = Selector {
            name: hash_str("device"),
            count: 13,
            pick: PickMode::Cycle,
        };
        let mut orders = Vec::new();
        for round in 0..20u64 {
            let mut ids: Vec<u64> = (0..13).map(|p| sel.select(5, round * 13 + p)).map(|e| e.id).collect();
            orders.push(ids.clone());
            ids.sort_unstable();
            assert_eq!(ids, (0..13).collect::<Vec<_>>());
            assert!((0..13).all(|p| sel.select(5, round * 13 + p).seq == round));
        }
        orders.dedup();
        assert!(orders.len() > 15, "rounds are shuffled differently");
    }

    #[test]
    fn random_selection_is_uniform_and_seq_is_the_record_number() {
        let sel = Selector {
            name: hash_str("user"),
            count: 10,
            pick: PickMode::Random,
        };
        let mut hits = [0u32; 10];
        for n in 0..100_000 {
            let e = sel.select(3, n);
            assert_eq!(e.seq, n);
            hits[e.id as usize] += 1;
        }
        assert!(hits.iter().all(|h| (9_500..10_500).contains(h)), "{hits:?}");
    }

    #[test]
    fn brownian_starts_at_zero_and_has_independent_unit_increments() {
        let key = hash_str("AAPL");
        assert_eq!(brownian(key, 0), 0.0);
        let path: Vec<f64> = (0..100_001).map(|t| brownian(key, t)).collect();
        let steps: Vec<f64> = path.windows(2).map(|w| w[1] - w[0]).collect();
        let (mean, sd) = mean_sd(&steps);
        assert!(mean.abs() < 0.015, "mean {mean}");
        assert!((sd - 1.0).abs() < 0.015, "sd {sd}");
        // Lag-1 correlation of the increments is ~0.
        let lag1 = steps.windows(2).map(|w| (w[0] - mean) * (w[1] - mean)).sum::<f64>() / steps.len() as f64;
        assert!(lag1.abs() < 0.015, "lag-1 covariance {lag1}");
        // Four-sigma increments exist but are rare, as for a Gaussian.
        let big = steps.iter().filter(|s| s.abs() > 3.0).count();
        assert!((150..400).contains(&big), "{big} increments beyond 3 sd (expect ~270)");
    }

    #[test]
    fn brownian_variance_grows_with_time_across_keys() {
        for t in [1u64, 7, 1000, 1 << 20] {
            let xs: Vec<f64> = (0..4000).map(|k| brownian(mix(99, k), t)).collect();
            let (mean, sd) = mean_sd(&xs);
            let want = (t as f64).sqrt();
            assert!(mean.abs() < 0.06 * want, "t={t} mean {mean}");
            assert!((sd / want - 1.0).abs() < 0.05, "t={t} sd {sd}, want {want}");
        }
    }

    #[test]
    fn cached_descents_give_the_same_numbers_as_fresh_ones() {
        let mut path = Path::default();
        let mut state = 17u64;
        let mut t = 0u64;
        for i in 0..20_000u64 {
            // Mostly t + 1, sometimes a jump back or forward, sometimes another key.
            state = splitmix64(state);
            t = match state % 20 {
                0 => state >> 44,
                1 => t.saturating_sub(state >> 58),
                _ => t + 1,
            };
            let key = if state.is_multiple_of(7) { 2 } else { 1 };
            assert_eq!(
                brownian_cached(key, t, &mut path).to_bits(),
                brownian(key, t).to_bits(),
                "step {i}: key {key} t {t}"
            );
        }
    }

    #[test]
    fn reflect_folds_into_the_bounds() {
        assert_eq!(reflect(5.0, 0.0, 10.0), 5.0);
        assert_eq!(reflect(12.0, 0.0, 10.0), 8.0);
        assert_eq!(reflect(-3.0, 0.0, 10.0), 3.0);
        assert_eq!(reflect(23.0, 0.0, 10.0), 3.0);
        assert_eq!(reflect(-3.0, 0.0, f64::INFINITY), 3.0);
        assert_eq!(reflect(13.0, f64::NEG_INFINITY, 10.0), 7.0);
        assert_eq!(reflect(13.0, 4.0, 4.0), 4.0);
    }

    fn emit(g: &dyn Gen, ctx: &mut Ctx, n: u64) -> String {
        ctx.begin_record(n, 1_000_000_000);
        let mut out = Vec::new();
        g.emit(ctx, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn walk_starts_at_start_stays_in_bounds_and_prints_fixed_decimals() {
        let mut b = cx();
        let mut args = named(&[
            ("start", 10.0.into()),
            ("step", 3.0.into()),
            ("min", 0.0.into()),
            ("max", 20.0.into()),
        ]);
        args.positional.push("x".into());
        let g = build_walk(&args, &mut b, false).unwrap();
        let mut ctx = Ctx::new(1, String::new(), b.slots());
        assert_eq!(emit(&*g, &mut ctx, 0), "10.00");
        for n in 0..20_000 {
            let v: f64 = emit(&*g, &mut ctx, n).parse().unwrap();
            assert!((0.0..=20.0).contains(&v), "{v}");
        }
        // Another seed, another path; the same seed, the same path in any context.
        let mut other = Ctx::new(2, String::new(), b.slots());
        let mut again = Ctx::new(1, String::new(), b.slots());
        assert_ne!(emit(&*g, &mut other, 500), emit(&*g, &mut ctx, 500));
        assert_eq!(emit(&*g, &mut again, 500), emit(&*g, &mut ctx, 500));
    }

    #[test]
    fn walk_arguments_are_checked() {
        let key = |mut a: Args| {
            a.positional.push("k".into());
            a
        };
        let err = |a: Args| build_walk(&a, &mut cx(), false).err().expect("an error").0;
        assert!(err(key(named(&[("step", (-1.0).into())]))).contains("negative"));
        assert!(err(key(named(&[("min", 5.0.into()), ("max", 1.0.into())]))).contains("greater"));
        assert!(err(key(named(&[("stride", 1.0.into())]))).contains("unknown option `stride=`"));
        assert!(err(key(named(&[("start", 50.0.into()), ("max", 10.0.into())]))).contains("between"));
        assert!(err(named(&[])).contains("KEY"));
        assert!(
            build_walk(&named(&[]), &mut cx(), true).is_ok(),
            "KEY is optional in an entity"
        );
    }

    fn timestamp(pairs: &[(&str, Value)]) -> (Box<dyn Gen>, Ctx) {
        let mut b = cx();
        let g = build_timestamp(&named(pairs), &mut b).unwrap_or_else(|e| panic!("{e}"));
        (g, Ctx::new(11, String::new(), b.slots()))
    }

    #[test]
    fn timestamp_jitter_stays_within_bounds() {
        let (g, mut ctx) = timestamp(&[("jitter", "2s".into()), ("format", "unix_ms".into())]);
        let offsets: Vec<i64> = (0..5000)
            .map(|n| emit(&*g, &mut ctx, n).parse::<i64>().unwrap() - 1_000_000_000)
            .collect();
        assert!(offsets.iter().all(|o| (-2000..=2000).contains(o)));
        assert!(offsets.iter().any(|o| *o < -1900) && offsets.iter().any(|o| *o > 1900));
    }

    #[test]
    fn timestamp_late_share_and_lateness() {
        let (g, mut ctx) = timestamp(&[
            ("late", 0.05.into()),
            ("late_by", "10m".into()),
            ("format", "unix_ms".into()),
        ]);
        let offsets: Vec<i64> = (0..20_000)
            .map(|n| emit(&*g, &mut ctx, n).parse::<i64>().unwrap() - 1_000_000_000)
            .collect();
        let late: Vec<i64> = offsets.iter().copied().filter(|o| *o != 0).collect();
        let share = late.len() as f64 / offsets.len() as f64;
        assert!((0.045..0.055).contains(&share), "late share {share}");
        assert!(late.iter().all(|o| (-600_000..0).contains(o)));
        assert!(late.iter().any(|o| *o < -500_000) && late.iter().any(|o| *o > -100_000));
    }

    #[test]
    fn timestamp_formats_and_backfill_time() {
        let (g, mut ctx) = timestamp(&[]);
        assert_eq!(emit(&*g, &mut ctx, 0), "1970-01-12T13:46:40.000Z");
        let (g, mut ctx) = timestamp(&[("format", "unix".into())]);
        assert_eq!(emit(&*g, &mut ctx, 0), "1000000");
        let (g, mut ctx) = timestamp(&[("format", "YYYY-MM-DD HH:mm".into())]);
        assert_eq!(emit(&*g, &mut ctx, 0), "1970-01-12 13:46");
        ctx.sim_ms = Some(0);
        let mut out = Vec::new();
        g.emit(&mut ctx, &mut out);
        assert_eq!(out, b"1970-01-01 00:00");
    }

    #[test]
    fn timestamp_arguments_are_checked() {
        let err = |pairs: &[(&str, Value)]| build_timestamp(&named(pairs), &mut cx()).err().expect("an error").0;
        assert!(err(&[("late", 1.5.into())]).contains("between 0 and 1"));
        assert!(err(&[("jitter", "soon".into())]).contains("not a duration"));
        assert!(err(&[("lateness", 0.1.into())]).contains("unknown option"));
        assert!(err(&[("format", 5.into())]).contains("format"));
    }
}
