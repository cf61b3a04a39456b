//! The `date` namespace of faker.js 3.1.0 as bundled by KDG (`docs/templates.md`: KDG additions,
//! Method semantics, Namespaces).
//!
//! * `now(fmt)`, `utc(fmt)`, `simTime(fmt)` (KDG's additions) format the record's instant with a
//!   moment.js format ([`super::moment`]); the text is cached per call site and per second (per
//!   millisecond for formats that print fractions of a second).
//! * `past(years)`, `future(years)`, `recent(days)`, `between(from, to)` return a JavaScript
//!   `Date`, which KDG prints as `Date.prototype.toString()`.
//! * `month({abbr})`, `weekday({abbr})` pick an English name.

use jiff::tz::TimeZone;
use serde_json::Value;

use super::moment::{self, MomentFormat, JS_MAX_MS};
use super::{boxed, ArgError, Args, BuildCtx, Builder, Compat, Ctx, Gen, Pick};

/// The methods of `date`.
pub const METHODS: &[&str] = &[
    "past", "future", "between", "recent", "month", "weekday", "now", "utc", "simTime",
];

/// The builder for `date.<method>`.
pub fn lookup(method: &str) -> Option<Builder> {
    Some(match method {
        "now" => build_now,
        "utc" => build_utc,
        "simTime" => build_sim_time,
        "past" => build_past,
        "future" => build_future,
        "recent" => build_recent,
        "between" => build_between,
        "month" => build_month,
        "weekday" => build_weekday,
        _ => return None,
    })
}

/// Milliseconds in faker's year (365 days) and day.
const MS_PER_YEAR: f64 = 365.0 * 24.0 * 3600.0 * 1000.0;
const MS_PER_DAY: f64 = 24.0 * 3600.0 * 1000.0;

/// Which instant a clock call formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Instant {
    /// The record's instant (`date.now`, `date.utc`).
    Now,
    /// The backfill run's simulated instant (`date.simTime`), else the record's instant.
    Sim,
}

/// `date.now`, `date.utc` and `date.simTime`: a moment format applied to an instant, cached in a
/// per-call-site slot keyed by the second (or millisecond) it was formatted for.
struct Clock {
    format: MomentFormat,
    tz: TimeZone,
    utc: bool,
    instant: Instant,
    slot: usize,
}

impl Gen for Clock {
    fn emit(&self, ctx: &mut Ctx, out: &mut Vec<u8>) {
        let ms = match self.instant {
            Instant::Now => ctx.now_ms,
            Instant::Sim => ctx.sim_ms.unwrap_or(ctx.now_ms),
        };
        let key = if self.format.uses_subsecond() {
            ms
        } else {
            ms.div_euclid(1000)
        };
        let slot = &mut ctx.slots[self.slot];
        if !slot.valid || slot.key != key {
            slot.text.clear();
            self.format.format(ms, &self.tz, self.utc, &mut slot.text);
            slot.key = key;
            slot.valid = true;
        }
        out.extend_from_slice(&slot.text);
    }
}

/// The optional moment format of `now`/`utc`/`simTime`: the first positional argument or
/// `format=`; absent, `null` or `""` mean moment's default format.
fn format_arg(args: &Args) -> Result<MomentFormat, ArgError> {
    if args.positional.len() > 1 || args.named.keys().any(|k| k != "format") {
        return Err(ArgError::new("takes at most one argument, a moment.js format string"));
    }
    match args.named.get("format").or_else(|| args.positional.first()) {
        None | Some(Value::Null) => Ok(MomentFormat::default()),
        Some(Value::String(s)) => Ok(MomentFormat::parse(s)),
        Some(v) => Err(ArgError::new(format!(
            "the format must be a moment.js format string such as \"YYYY-MM-DD\", got {v} \
             (KDG throws `format.match is not a function` here)"
        ))),
    }
}

fn clock(args: &Args, cx: &mut BuildCtx, utc: bool, instant: Instant) -> Result<Box<dyn Gen>, ArgError> {
    let format = format_arg(args)?;
    let tz = if utc { TimeZone::UTC } else { cx.tz.clone() };
    boxed(Clock {
        format,
        tz,
        utc,
        instant,
        slot: cx.slot(),
    })
}

/// `date.now(fmt)`: `moment().format(fmt)` in the run's zone.
fn build_now(args: &Args, cx: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    clock(args, cx, false, Instant::Now)
}

/// `date.utc(fmt)`: `moment().utc().format(fmt)`.
fn build_utc(args: &Args, cx: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    clock(args, cx, true, Instant::Now)
}

/// `date.simTime(fmt)`: the simulated instant of a backfill run, formatted in the run's zone.
///
/// Outside a backfill run (`Ctx::sim_ms` is `None`) simulated time is real time, so this prints
/// the same as `date.now(fmt)`. (KDG throws there: `faker.simTime` is undefined.)
fn build_sim_time(args: &Args, cx: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    clock(args, cx, false, Instant::Sim)
}

/// The `Date` a generator prints with `Date.prototype.toString()` in zone `tz`.
fn write_date(out: &mut Vec<u8>, ms: Option<i64>, tz: &TimeZone) {
    match ms {
        Some(ms) => moment::js_date_string(ms, tz, out),
        None => out.extend_from_slice(b"Invalid Date"),
    }
}

/// faker's `random.number({min: 1000, max})`: `floor(random * (max + 1 - min) + min)` for
/// `max >= 0`, `floor(random * (max - min) + min)` below. `None`: `max` is NaN.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Draw {
    /// A uniform integer in `lo..=hi`.
    Int(i64, i64),
    /// `floor(random * span + lo)`, for limits that are not exact integers.
    Float(f64, f64),
}

impl Draw {
    fn from_max(max: f64) -> Option<Draw> {
        if max.is_nan() {
            return None;
        }
        if max.fract() == 0.0 && (1000.0..9.0e15).contains(&max) {
            return Some(Draw::Int(1000, max as i64));
        }
        let hi = if max >= 0.0 { max + 1.0 } else { max };
        Some(Draw::Float(1000.0, hi - 1000.0))
    }

    fn draw(self, ctx: &mut Ctx) -> f64 {
        match self {
            Draw::Int(lo, hi) => ctx.int(lo, hi) as f64,
            Draw::Float(lo, span) => (ctx.unit() * span + lo).floor(),
        }
    }
}

/// `past`/`future`/`recent`: a base instant moved back or forward by a random number of
/// milliseconds.
struct Shift {
    tz: TimeZone,
    /// `None`: the record's instant; else faker's `refDate`.
    base: Option<i64>,
    /// -1 into the past, +1 into the future.
    sign: f64,
    /// `None`: the range is NaN, so the result is an invalid date (strict mode only).
    draw: Option<Draw>,
}

impl Gen for Shift {
    fn emit(&self, ctx: &mut Ctx, out: &mut Vec<u8>) {
        let ms = self.draw.and_then(|d| {
            let base = self.base.unwrap_or(ctx.now_ms) as f64;
            let t = base + self.sign * d.draw(ctx);
            (t.abs() <= JS_MAX_MS as f64).then_some(t as i64)
        });
        write_date(out, ms, &self.tz);
    }
}

/// A count argument coerced the way faker uses it, `(n || 1) * unit`: absent, `null`, `0`, `""`
/// and NaN mean 1. Numbers and numeric strings are accepted; anything else is an argument error,
/// or in strict mode NaN (KDG then prints `Invalid Date`).
fn count_arg(v: Option<&Value>, name: &str, compat: Compat) -> Result<Option<f64>, ArgError> {
    let n = match v {
        None | Some(Value::Null) => Some(1.0),
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) if s.is_empty() => Some(1.0),
        Some(Value::String(s)) => s.trim().parse::<f64>().ok().filter(|n| n.is_finite()),
        Some(_) => None,
    };
    match n {
        Some(n) if n == 0.0 || n.is_nan() => Ok(Some(1.0)),
        Some(n) => Ok(Some(n)),
        None if compat == Compat::Strict => Ok(None),
        None => Err(ArgError::new(format!(
            "`{name}` must be a number, got {}",
            v.map_or_else(String::new, Value::to_string)
        ))),
    }
}

fn shift(
    args: &Args,
    cx: &mut BuildCtx,
    key: &str,
    unit_ms: f64,
    sign: f64,
    ref_date: bool,
) -> Result<Box<dyn Gen>, ArgError> {
    let max_args = if ref_date { 2 } else { 1 };
    let known = |k: &str| k == key || (ref_date && k == "refDate");
    if args.positional.len() > max_args || !args.named.keys().all(|k| known(k)) {
        return Err(ArgError::new(if ref_date {
            format!("takes at most two arguments: {key} and refDate")
        } else {
            format!("takes at most one argument: {key}")
        }));
    }
    let n = count_arg(args.named.get(key).or_else(|| args.positional.first()), key, cx.compat)?;
    let mut base = None;
    let mut valid = true;
    if ref_date {
        match args.named.get("refDate").or_else(|| args.positional.get(1)) {
            None | Some(Value::Null) => {}
            Some(v) => match parse_js_date(v, &cx.tz) {
                Some(ms) => base = Some(ms),
                None if cx.compat == Compat::Strict => valid = false,
                None => return Err(bad_date("refDate", v)),
            },
        }
    }
    let draw = n.filter(|_| valid).and_then(|n| Draw::from_max(n * unit_ms));
    boxed(Shift {
        tz: cx.tz.clone(),
        base,
        sign,
        draw,
    })
}

/// `date.past(years=1)`: up to `years` × 365 days before now.
fn build_past(args: &Args, cx: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    shift(args, cx, "years", MS_PER_YEAR, -1.0, true)
}

/// `date.future(years=1)`: up to `years` × 365 days after now.
fn build_future(args: &Args, cx: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    shift(args, cx, "years", MS_PER_YEAR, 1.0, true)
}

/// `date.recent(days=1)`: up to `days` days before now.
fn build_recent(args: &Args, cx: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    shift(args, cx, "days", MS_PER_DAY, -1.0, false)
}

fn bad_date(name: &str, v: &Value) -> ArgError {
    ArgError::new(format!(
        "`{name}` must be a date such as \"2015-01-01\" or \"2015-01-01T10:00:00Z\", or \
         milliseconds since 1970, got {v}"
    ))
}

/// `date.between(from, to)`: uniform between two instants, both included.
struct Between {
    tz: TimeZone,
    lo: i64,
    hi: i64,
}

impl Gen for Between {
    fn emit(&self, ctx: &mut Ctx, out: &mut Vec<u8>) {
        let ms = ctx.int(self.lo, self.hi);
        moment::js_date_string(ms, &self.tz, out);
    }
}

/// `date.between(from, to)`: `from` and `to` are dates (`Date.parse` forms: ISO 8601 dates and
/// date-times; date-times without an offset are in the run's zone) or milliseconds since 1970,
/// as two positional arguments or `from=`/`to=`. KDG's own syntax can pass only one argument,
/// so there `between` always prints `Invalid Date`; strict mode does the same for dates it
/// cannot read.
fn build_between(args: &Args, cx: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    if args.positional.len() > 2 || !args.named.keys().all(|k| k == "from" || k == "to") {
        return Err(ArgError::new("takes two arguments: from and to"));
    }
    let from = args.named.get("from").or_else(|| args.positional.first());
    let to = args.named.get("to").or_else(|| args.positional.get(1));
    let parse = |name: &str, v: Option<&Value>| -> Result<Option<i64>, ArgError> {
        let parsed = v.and_then(|v| parse_js_date(v, &cx.tz));
        match (parsed, v) {
            (Some(ms), _) => Ok(Some(ms)),
            _ if cx.compat == Compat::Strict => Ok(None),
            (None, Some(v)) => Err(bad_date(name, v)),
            (None, None) => Err(ArgError::new(format!("`{name}` is missing: between takes from and to"))),
        }
    };
    let (from, to) = (parse("from", from)?, parse("to", to)?);
    let (Some(from), Some(to)) = (from, to) else {
        return boxed(|_: &mut Ctx, out: &mut Vec<u8>| out.extend_from_slice(b"Invalid Date"));
    };
    boxed(Between {
        tz: cx.tz.clone(),
        lo: from.min(to),
        hi: from.max(to),
    })
}

/// Whether a JSON value is truthy in JavaScript.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// The `abbr` option of `month`/`weekday` (`{"abbr":true}` or `abbr=true`). `context` changes
/// nothing in the `en` locale; any other argument is ignored, as faker ignores it.
fn abbr_option(args: &Args) -> bool {
    match args.options() {
        Some(Value::Object(o)) => o.get("abbr").is_some_and(truthy),
        _ => false,
    }
}

/// `date.month({abbr, context})`: `January` … `December`, or `Jan` … `Dec`.
fn build_month(args: &Args, _: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    boxed(Pick(if abbr_option(args) {
        moment::MONTHS_SHORT
    } else {
        moment::MONTHS
    }))
}

/// `date.weekday({abbr, context})`: `Sunday` … `Saturday`, or `Sun` … `Sat`.
fn build_weekday(args: &Args, _: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    boxed(Pick(if abbr_option(args) {
        moment::WEEKDAYS_SHORT
    } else {
        moment::WEEKDAYS
    }))
}

/// `Date.parse` for the forms a template passes: ISO 8601 dates (`2015`, `2015-06`,
/// `2015-06-01`, UTC) and date-times (`2015-06-01T10:00[:00[.000]]`, `T` or a space, with `Z` or
/// `±HH:MM`/`±HHMM`, else in zone `tz`), `+002015-06-01` years, and, beyond `Date.parse`, a
/// number or a string of 7 or more digits as milliseconds since 1970.
pub fn parse_js_date(v: &Value, tz: &TimeZone) -> Option<i64> {
    let ms = match v {
        Value::Number(n) => {
            let f = n.as_f64()?;
            if !f.is_finite() {
                return None;
            }
            f.trunc() as i64
        }
        Value::String(s) => {
            let s = s.trim();
            let digits = s.strip_prefix('-').unwrap_or(s);
            if digits.len() >= 7 && digits.bytes().all(|c| c.is_ascii_digit()) {
                s.parse::<i64>().ok()?
            } else {
                parse_iso(s, tz)?
            }
        }
        _ => return None,
    };
    (ms.abs() <= JS_MAX_MS).then_some(ms)
}

/// An ISO 8601 date or date-time, as `Date.parse` reads it (see [`parse_js_date`]).
fn parse_iso(s: &str, tz: &TimeZone) -> Option<i64> {
    let b = s.as_bytes();
    let mut i = 0;
    let num = |i: &mut usize, n: usize| -> Option<i64> {
        let d = b.get(*i..*i + n)?;
        if !d.iter().all(u8::is_ascii_digit) {
            return None;
        }
        *i += n;
        std::str::from_utf8(d).ok()?.parse().ok()
    };
    let eat = |i: &mut usize, c: u8| -> bool {
        if b.get(*i) == Some(&c) {
            *i += 1;
            true
        } else {
            false
        }
    };
    let year = match b.first()? {
        b'+' | b'-' => {
            let neg = b[0] == b'-';
            i = 1;
            let y = num(&mut i, 6)?;
            if neg {
                -y
            } else {
                y
            }
        }
        _ => num(&mut i, 4)?,
    };
    let (mut month, mut day) = (1, 1);
    if eat(&mut i, b'-') {
        month = num(&mut i, 2)?;
        if eat(&mut i, b'-') {
            day = num(&mut i, 2)?;
        }
    }
    if !(1..=12).contains(&month) || day < 1 || day > moment::days_in_month(year, month) {
        return None;
    }
    let date_days = moment::days_from_civil(year, month, day);
    if i == b.len() {
        // Date-only forms are UTC.
        return Some(date_days * 86_400_000);
    }
    if !(eat(&mut i, b'T') || eat(&mut i, b't') || eat(&mut i, b' ')) {
        return None;
    }
    let hour = num(&mut i, 2)?;
    if !eat(&mut i, b':') {
        return None;
    }
    let minute = num(&mut i, 2)?;
    let (mut second, mut ms) = (0, 0);
    if eat(&mut i, b':') {
        second = num(&mut i, 2)?;
        if eat(&mut i, b'.') || eat(&mut i, b',') {
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == start {
                return None;
            }
            let frac = &s[start..i.min(start + 3)];
            ms = frac.parse::<i64>().ok()? * 10i64.pow(3 - frac.len() as u32);
        }
    }
    if hour > 24 || minute > 59 || second > 59 || (hour == 24 && (minute, second, ms) != (0, 0, 0)) {
        return None;
    }
    let time_ms = ((hour * 60 + minute) * 60 + second) * 1000 + ms;
    let offset_ms = match b.get(i) {
        None => None,
        Some(b'Z' | b'z') => {
            i += 1;
            Some(0)
        }
        Some(&c @ (b'+' | b'-')) => {
            i += 1;
            let oh = num(&mut i, 2)?;
            eat(&mut i, b':');
            let om = if i < b.len() { num(&mut i, 2)? } else { 0 };
            if oh > 23 || om > 59 {
                return None;
            }
            let o = (oh * 60 + om) * 60_000;
            Some(if c == b'-' { -o } else { o })
        }
        Some(_) => return None,
    };
    if i != b.len() {
        return None;
    }
    match offset_ms {
        Some(o) => Some(date_days * 86_400_000 + time_ms - o),
        None => {
            // Local time: the offset in force at that wall-clock time (the earlier one when the
            // time repeats, the later one when it is skipped, as `Date` does).
            let day_ms = date_days * 86_400_000 + time_ms;
            let days = day_ms.div_euclid(86_400_000);
            let tod = day_ms.rem_euclid(86_400_000);
            let (y, m, d) = moment::civil_from_days(days);
            let dt = jiff::civil::DateTime::new(
                i16::try_from(y).ok()?,
                m as i8,
                d as i8,
                (tod / 3_600_000) as i8,
                (tod / 60_000 % 60) as i8,
                (tod / 1000 % 60) as i8,
                (tod % 1000 * 1_000_000) as i32,
            )
            .ok()?;
            tz.to_ambiguous_timestamp(dt)
                .compatible()
                .ok()
                .map(|t| t.as_millisecond())
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// 2010-02-14T15:25:50.123Z (`docs/templates.md#golden-table`).
    const GOLDEN: i64 = 1_266_161_150_123;

    fn chicago() -> TimeZone {
        TimeZone::get("America/Chicago").unwrap()
    }

    fn cx(compat: Compat) -> BuildCtx {
        BuildCtx::new(compat, chicago())
    }

    fn pos(values: &[Value]) -> Args {
        Args {
            positional: values.to_vec(),
            named: Default::default(),
        }
    }

    fn named(pairs: Value) -> Args {
        let Value::Object(named) = pairs else { panic!("object") };
        Args {
            positional: Vec::new(),
            named,
        }
    }

    fn build(method: &str, args: &Args, cx: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
        lookup(method).expect(method)(args, cx)
    }

    /// Render `method(args)` for records at each instant, in one context.
    fn render(method: &str, args: &Args, at: &[i64]) -> Vec<String> {
        let mut cx = cx(Compat::Tolerant);
        let g = build(method, args, &mut cx).unwrap();
        let mut ctx = Ctx::new(7, String::new(), cx.slots());
        at.iter()
            .enumerate()
            .map(|(n, &ms)| {
                ctx.begin_record(n as u64, ms);
                let mut out = Vec::new();
                g.emit(&mut ctx, &mut out);
                String::from_utf8(out).unwrap()
            })
            .collect()
    }

    fn one(method: &str, args: &Args) -> String {
        render(method, args, &[GOLDEN]).remove(0)
    }

    #[test]
    fn now_and_utc_use_moment_formats() {
        assert_eq!(one("now", &Args::default()), "2010-02-14T09:25:50-06:00");
        assert_eq!(one("utc", &Args::default()), "2010-02-14T15:25:50Z");
        assert_eq!(one("now", &pos(&[json!(null)])), "2010-02-14T09:25:50-06:00");
        assert_eq!(one("now", &pos(&[json!("")])), "2010-02-14T09:25:50-06:00");
        assert_eq!(one("now", &pos(&[json!("YYYY-MM-DD")])), "2010-02-14");
        assert_eq!(
            one("utc", &pos(&[json!("YYYY-MM-DDTHH:mm:ss.SSS")])),
            "2010-02-14T15:25:50.123"
        );
        assert_eq!(one("utc", &pos(&[json!("x")])), "1266161150123");
        assert_eq!(one("now", &named(json!({"format": "HH:mm z"}))), "09:25 ");
        assert_eq!(one("utc", &named(json!({"format": "HH:mm z"}))), "15:25 UTC");
    }

    #[test]
    fn sim_time_falls_back_to_the_record_instant() {
        assert_eq!(one("simTime", &pos(&[json!("YYYY-MM-DD HH:mm")])), "2010-02-14 09:25");
        let mut cx = cx(Compat::Tolerant);
        let g = build("simTime", &pos(&[json!("YYYY-MM-DD HH:mm")]), &mut cx).unwrap();
        let mut ctx = Ctx::new(1, String::new(), cx.slots());
        ctx.begin_record(0, GOLDEN);
        ctx.sim_ms = Some(0);
        let mut out = Vec::new();
        g.emit(&mut ctx, &mut out);
        assert_eq!(out, b"1969-12-31 18:00");
    }

    #[test]
    fn the_cache_follows_the_second_or_millisecond() {
        let at = [
            GOLDEN,
            GOLDEN + 500,
            GOLDEN + 877,
            GOLDEN + 1000,
            GOLDEN,
            -1,
            -1000,
            -1001,
        ];
        assert_eq!(
            render("now", &pos(&[json!("ss")]), &at),
            ["50", "50", "51", "51", "50", "59", "59", "58"]
        );
        assert_eq!(
            render("utc", &pos(&[json!("ss.SSS")]), &at),
            ["50.123", "50.623", "51.000", "51.123", "50.123", "59.999", "59.000", "58.999"]
        );
        // Call sites have their own slots.
        let mut cx = cx(Compat::Tolerant);
        let a = build("now", &pos(&[json!("ss")]), &mut cx).unwrap();
        let b = build("utc", &pos(&[json!("HH")]), &mut cx).unwrap();
        assert_eq!(cx.slots(), 2);
        let mut ctx = Ctx::new(1, String::new(), cx.slots());
        let mut out = Vec::new();
        for ms in [GOLDEN, GOLDEN + 3_600_000] {
            ctx.begin_record(0, ms);
            a.emit(&mut ctx, &mut out);
            out.push(b'|');
            b.emit(&mut ctx, &mut out);
            out.push(b'|');
        }
        assert_eq!(out, b"50|15|50|16|");
    }

    #[test]
    fn bad_formats_are_rejected() {
        let mut cx = cx(Compat::Tolerant);
        for args in [
            pos(&[json!(2020)]),
            pos(&[json!(true)]),
            pos(&[json!({"a": 1})]),
            pos(&[json!("YYYY"), json!("MM")]),
            named(json!({"fmt": "YYYY"})),
        ] {
            for m in ["now", "utc", "simTime"] {
                assert!(build(m, &args, &mut cx).is_err(), "{m} {args:?}");
            }
        }
        let e = build("now", &pos(&[json!(2020)]), &mut cx).err().unwrap();
        assert!(e.0.contains("format"), "{e}");
    }

    /// Parse a `Date.prototype.toString()` back to milliseconds (Chicago, whole seconds).
    fn parse_js(s: &str) -> i64 {
        let (date, rest) = s.split_at(24);
        assert!(rest.starts_with(" GMT-0") && rest.contains("(Central "), "{s}");
        let local: jiff::civil::DateTime = jiff::fmt::strtime::parse("%a %b %d %Y %H:%M:%S", date)
            .unwrap()
            .to_datetime()
            .unwrap();
        chicago()
            .to_ambiguous_timestamp(local)
            .compatible()
            .unwrap()
            .as_millisecond()
    }

    #[test]
    fn past_future_and_recent_stay_in_range() {
        let year = 365 * 86_400_000;
        let now = 1_774_228_950_000;
        let at = vec![now; 300];
        let check = |method: &str, args: &Args, lo: i64, hi: i64| {
            let out = render(method, args, &at);
            for s in &out {
                let t = parse_js(s);
                assert!((lo..=hi).contains(&t), "{method}: {s}");
            }
            let distinct: std::collections::HashSet<_> = out.iter().collect();
            assert!(distinct.len() > 250, "{method}: random");
        };
        // Whole seconds are printed, so allow one second of rounding at each end.
        check("past", &Args::default(), now - year - 1000, now - 1000);
        check("past", &pos(&[json!(10)]), now - 10 * year - 1000, now - 1000);
        check("past", &pos(&[json!("10")]), now - 10 * year - 1000, now - 1000);
        check("future", &Args::default(), now, now + year);
        check("future", &named(json!({"years": 2})), now, now + 2 * year);
        check("recent", &Args::default(), now - 86_400_000 - 1000, now - 1000);
        check("recent", &pos(&[json!(7)]), now - 7 * 86_400_000 - 1000, now - 1000);
        // `years || 1`: zero means one.
        check("past", &pos(&[json!(0)]), now - year - 1000, now - 1000);
        // A reference date replaces now.
        let base = 1_420_070_400_000;
        check(
            "past",
            &pos(&[json!(1), json!("2015-01-01")]),
            base - year - 1000,
            base - 1000,
        );
    }

    #[test]
    fn past_output_is_a_js_date_string_and_seeded() {
        let a = render("past", &pos(&[json!(10)]), &[GOLDEN, GOLDEN]);
        let b = render("past", &pos(&[json!(10)]), &[GOLDEN, GOLDEN]);
        assert_eq!(a, b);
        assert_ne!(a[0], a[1]);
        assert!(a[0].contains(" GMT-0") && a[0].ends_with(" Time)"), "{}", a[0]);
    }

    #[test]
    fn bad_counts_are_rejected_or_invalid_in_strict_mode() {
        for args in [
            pos(&[json!("ten")]),
            pos(&[json!([1])]),
            pos(&[json!(1), json!(2), json!(3)]),
        ] {
            assert!(build("past", &args, &mut cx(Compat::Tolerant)).is_err(), "{args:?}");
        }
        assert!(build(
            "recent",
            &pos(&[json!(1), json!("2015-01-01")]),
            &mut cx(Compat::Tolerant)
        )
        .is_err());
        assert!(build("future", &pos(&[json!(1), json!("someday")]), &mut cx(Compat::Tolerant)).is_err());
        let mut strict = cx(Compat::Strict);
        let g = build("past", &pos(&[json!("ten")]), &mut strict).unwrap();
        let mut ctx = Ctx::new(1, String::new(), strict.slots());
        ctx.begin_record(0, GOLDEN);
        let mut out = Vec::new();
        g.emit(&mut ctx, &mut out);
        assert_eq!(out, b"Invalid Date");
    }

    #[test]
    fn between_is_uniform_between_the_dates() {
        let args = pos(&[json!("2015-01-01"), json!("2015-12-31")]);
        let out = render("between", &args, &[GOLDEN; 200]);
        let (lo, hi) = (1_420_070_400_000, 1_451_520_000_000);
        for s in &out {
            let t = parse_js(s);
            assert!((lo - 1000..=hi).contains(&t), "{s}");
        }
        // Reversed limits and milliseconds work too.
        for s in render(
            "between",
            &named(json!({"from": hi, "to": "2015-01-01"})),
            &[GOLDEN; 50],
        ) {
            assert!((lo - 1000..=hi).contains(&parse_js(&s)), "{s}");
        }
        // Equal limits give that instant.
        assert_eq!(
            one(
                "between",
                &pos(&[json!("2015-06-01T12:00:00Z"), json!("2015-06-01T12:00:00Z")])
            ),
            "Mon Jun 01 2015 07:00:00 GMT-0500 (Central Daylight Time)"
        );
    }

    #[test]
    fn between_needs_two_dates() {
        let mut tolerant = cx(Compat::Tolerant);
        for args in [
            Args::default(),
            pos(&[json!("2015-01-01")]),
            pos(&[json!("\"2015-01-01\",\"2015-12-31\"")]),
            pos(&[json!("2015-01-01"), json!("tomorrow")]),
            pos(&[json!("2015-01-01"), json!(true)]),
        ] {
            assert!(build("between", &args, &mut tolerant).is_err(), "{args:?}");
        }
        // KDG's one-argument form prints `Invalid Date`, and strict mode reproduces it.
        let mut strict = cx(Compat::Strict);
        let g = build("between", &pos(&[json!("\"2015-01-01\",\"2015-12-31\"")]), &mut strict).unwrap();
        let mut ctx = Ctx::new(1, String::new(), strict.slots());
        let mut out = Vec::new();
        g.emit(&mut ctx, &mut out);
        assert_eq!(out, b"Invalid Date");
    }

    /// `Date.parse` results from Node 20 with TZ=America/Chicago.
    #[test]
    fn dates_parse_like_date_parse() {
        let tz = chicago();
        for (s, want) in [
            ("2015-01-01", Some(1_420_070_400_000)),
            ("2015", Some(1_420_070_400_000)),
            ("2015-06", Some(1_433_116_800_000)),
            ("2015-01-01T10:00", Some(1_420_128_000_000)),
            ("2015-01-01 10:00", Some(1_420_128_000_000)),
            ("2015-01-01T10:00:00.1234Z", Some(1_420_106_400_123)),
            ("2015-01-01T10:00:00+0530", Some(1_420_086_600_000)),
            ("2015-01-01T10:00:00+05:30", Some(1_420_086_600_000)),
            ("+002015-01-01", Some(1_420_070_400_000)),
            ("2015-01-01T24:00", Some(1_420_178_400_000)),
            (" 1420070400000 ", Some(1_420_070_400_000)),
            ("2015-02-29", None),
            ("2015-13-01", None),
            ("2015-01-01T25:00", None),
            ("2015-01-01T10", None),
            ("someday", None),
            ("", None),
        ] {
            assert_eq!(parse_js_date(&json!(s), &tz), want, "{s:?}");
        }
        assert_eq!(
            parse_js_date(&json!(1_420_070_400_000i64), &tz),
            Some(1_420_070_400_000)
        );
        assert_eq!(parse_js_date(&json!(9e15), &tz), None);
        assert_eq!(parse_js_date(&json!(null), &tz), None);
    }

    #[test]
    fn month_and_weekday_names() {
        let names = |method: &str, args: &Args| -> std::collections::BTreeSet<String> {
            render(method, args, &[GOLDEN; 400]).into_iter().collect()
        };
        let months = names("month", &Args::default());
        assert_eq!(months.len(), 12);
        assert!(months.contains("September"));
        let short = names("month", &pos(&[json!({"abbr": true, "context": true})]));
        assert_eq!(short.len(), 12);
        assert!(short.contains("Sep"));
        assert_eq!(names("month", &named(json!({"abbr": false}))).len(), 12);
        assert!(names("month", &named(json!({"abbr": false}))).contains("May"));
        let days = names("weekday", &Args::default());
        assert_eq!(days.len(), 7);
        assert!(days.contains("Wednesday"));
        let short = names("weekday", &named(json!({"abbr": 1})));
        assert_eq!(
            short,
            ["Fri", "Mon", "Sat", "Sun", "Thu", "Tue", "Wed"]
                .map(String::from)
                .into()
        );
        // A raw string is not an options object: full names.
        assert!(names("weekday", &pos(&[json!("abbr")])).contains("Sunday"));
    }
}
