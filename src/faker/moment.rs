//! moment.js 2.17.1 format strings and JavaScript `Date.prototype.toString()`, as KDG's
//! `date.*` methods print them (`docs/templates.md#dates-and-moment-formats`).
//!
//! [`MomentFormat`] compiles a moment format string once, with moment's own tokenizer (locale
//! macros `LT`…`llll` of the `en` locale expanded first, `[...]` and `\x` escapes, unknown letters
//! kept as text), into a list of tokens. [`MomentFormat::format`] then writes an instant with no
//! allocation beyond growing the output buffer: the broken-down fields are computed once per call
//! with plain integer arithmetic, and only the zone offset is looked up in jiff's tzdb.
//!
//! [`js_date_string`] prints an instant the way `String(new Date(ms))` does in a browser or Node,
//! including the long zone name in parentheses (ICU's English names for common zones).
//!
//! Instants are milliseconds since the Unix epoch, over JavaScript's whole `Date` range
//! (±8.64e15 ms); outside it moment prints `Invalid date` and `Date` prints `Invalid Date`.

use jiff::tz::TimeZone;
use jiff::Timestamp;

use super::write_int;

/// The largest instant a JavaScript `Date` can hold, in milliseconds from the epoch (either sign).
pub const JS_MAX_MS: i64 = 8_640_000_000_000_000;

/// English month names (moment `MMMM`, faker `date.month`).
pub const MONTHS: &[&str] = &[
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// English abbreviated month names (moment `MMM`, faker `date.month({"abbr":true})`).
pub const MONTHS_SHORT: &[&str] = &[
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// English weekday names, Sunday first (moment `dddd`, faker `date.weekday`).
pub const WEEKDAYS: &[&str] = &[
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// English abbreviated weekday names (moment `ddd`, faker `date.weekday({"abbr":true})`).
pub const WEEKDAYS_SHORT: &[&str] = &["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// English two-letter weekday names (moment `dd`).
const WEEKDAYS_MIN: &[&str] = &["Su", "Mo", "Tu", "We", "Th", "Fr", "Sa"];

const MS_PER_DAY: i64 = 86_400_000;

/// A date field a numeric token prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Year,
    Month,
    Quarter,
    Day,
    DayOfYear,
    /// 0 = Sunday (`d`).
    Weekday,
    /// Day of the locale week, 0 = Sunday for `en` (`e`).
    LocaleWeekday,
    /// 1 = Monday … 7 = Sunday (`E`).
    IsoWeekday,
    /// Locale week of the year (`w`): weeks start on Sunday, the week with 1 January is week 1.
    Week,
    IsoWeek,
    WeekYear,
    IsoWeekYear,
    Hour,
    /// 1–12 (`h`).
    Hour12,
    /// 1–24 (`k`).
    Hour24,
    Minute,
    Second,
}

/// One piece of a compiled format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    /// Literal text: `lits[start..end]`.
    Lit(u32, u32),
    /// A number, zero-padded to the width (0: as is), moment's `zeroFill`.
    Num(Field, u8),
    /// The field modulo 100, padded to 2 (`YY`, `gg`, `GG`).
    Mod100(Field),
    /// The field as an English ordinal (`Mo`, `Do`, `DDDo`, `do`, `wo`, `Wo`, `Qo`).
    Ord(Field),
    /// `Y`: the year as is, `+` and the year above 9999.
    YearPlain,
    /// `YYYYYY`: the year with a sign, padded to 6.
    YearSigned6,
    MonthShort,
    MonthLong,
    WeekdayMin,
    WeekdayShort,
    WeekdayLong,
    /// `a` (lower case) / `A`.
    Meridiem(bool),
    /// `S` … `SSSSSSSSS`: fraction of the second with this many digits.
    Frac(u8),
    /// `hmm`, `hmmss`, `Hmm`, `Hmmss`.
    HourMin {
        h12: bool,
        secs: bool,
    },
    /// `X`: seconds since the epoch.
    Unix,
    /// `x`: milliseconds since the epoch.
    UnixMs,
    /// `z`: `UTC` in UTC mode, else empty (moment without moment-timezone).
    ZoneAbbr,
    /// `zz`: `Coordinated Universal Time` in UTC mode, else empty.
    ZoneName,
    /// `Z` (`-06:00`, with the colon) / `ZZ` (`-0600`).
    Offset(bool),
    /// The end of the default format: `Z` in local mode, a literal `Z` in UTC mode.
    DefaultZ,
}

/// A moment.js 2.17.1 format string, compiled once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MomentFormat {
    toks: Vec<Tok>,
    lits: String,
    subsecond: bool,
}

impl Default for MomentFormat {
    /// moment's default format: `YYYY-MM-DDTHH:mm:ssZ`, or `YYYY-MM-DDTHH:mm:ss[Z]` in UTC mode.
    fn default() -> MomentFormat {
        let mut f = MomentFormat::parse("YYYY-MM-DDTHH:mm:ss");
        f.toks.push(Tok::DefaultZ);
        f
    }
}

impl MomentFormat {
    /// Compile a moment format string, exactly as moment 2.17.1 reads it with the `en` locale.
    ///
    /// This never fails: letters that are not tokens are printed as they are, `[text]` prints
    /// `text`, and `\X` prints `X` (a whole token after a backslash: `\YYYY` prints `YYYY`). Line
    /// breaks outside brackets are dropped, as moment's tokenizer skips them. The empty string
    /// means moment's default format (see [`MomentFormat::default`]).
    pub fn parse(format: &str) -> MomentFormat {
        if format.is_empty() {
            return MomentFormat::default();
        }
        let expanded = expand_macros(format);
        let mut f = MomentFormat {
            toks: Vec::new(),
            lits: String::new(),
            subsecond: false,
        };
        f.tokenize(&expanded);
        f.subsecond = f.toks.iter().any(|t| matches!(t, Tok::Frac(_) | Tok::UnixMs));
        f
    }

    /// Whether the output changes within a second (any `S…` or `x` token): callers caching the
    /// text must key it by millisecond rather than by second.
    pub fn uses_subsecond(&self) -> bool {
        self.subsecond
    }

    fn push_lit(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        let start = self.lits.len() as u32;
        self.lits.push_str(text);
        let end = self.lits.len() as u32;
        if let Some(Tok::Lit(_, e)) = self.toks.last_mut() {
            if *e == start {
                *e = end;
                return;
            }
        }
        self.toks.push(Tok::Lit(start, end));
    }

    /// moment's `formattingTokens` regex, applied left to right.
    fn tokenize(&mut self, s: &str) {
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'[' {
                if let Some(k) = bracket_end(b, i) {
                    self.push_lit(&s[i + 1..k]);
                    i = k + 1;
                    continue;
                }
            }
            if b[i] == b'\\' {
                // `(\\)?TOKEN`: an escaped token prints its own text without backslashes. A
                // backslash with nothing (or a line break) after it is matched alone by `.` and
                // prints nothing.
                if let Some((len, _)) = token_at(s, i + 1) {
                    let text = &s[i + 1..i + 1 + len];
                    if text != "\\" {
                        self.push_lit(text);
                    }
                    i += 1 + len;
                } else {
                    i += 1;
                }
                continue;
            }
            match token_at(s, i) {
                Some((len, Some(tok))) => {
                    self.toks.push(tok);
                    i += len;
                }
                Some((len, None)) => {
                    self.push_lit(&s[i..i + len]);
                    i += len;
                }
                // A line terminator: JavaScript's `.` does not match it, so moment drops it.
                None => i += char_len(b[i]),
            }
        }
    }

    /// Append the instant `ts_ms` (milliseconds since the epoch) formatted in zone `tz`, or in
    /// UTC when `utc_mode` (moment's `moment().utc()`: `z`/`zz` print `UTC`/`Coordinated
    /// Universal Time`, `Z` prints `+00:00`, and the default format ends in a literal `Z`).
    pub fn format(&self, ts_ms: i64, tz: &TimeZone, utc_mode: bool, out: &mut Vec<u8>) {
        if !(-JS_MAX_MS..=JS_MAX_MS).contains(&ts_ms) {
            out.extend_from_slice(b"Invalid date");
            return;
        }
        let offset_s = if utc_mode {
            0
        } else {
            tz.to_offset(jiff_ts(ts_ms)).seconds()
        };
        let p = Parts::new(ts_ms, offset_s);
        for tok in &self.toks {
            match *tok {
                Tok::Lit(s, e) => out.extend_from_slice(&self.lits.as_bytes()[s as usize..e as usize]),
                Tok::Num(f, 0) => write_int(out, p.get(f)),
                Tok::Num(f, w) => zero_fill(out, p.get(f), w as usize, false),
                Tok::Mod100(f) => zero_fill(out, p.get(f) % 100, 2, false),
                Tok::Ord(f) => write_ordinal(out, p.get(f)),
                Tok::YearPlain => {
                    if p.year > 9999 {
                        out.push(b'+');
                    }
                    write_int(out, p.year);
                }
                Tok::YearSigned6 => zero_fill(out, p.year, 6, true),
                Tok::MonthShort => out.extend_from_slice(MONTHS_SHORT[p.month as usize - 1].as_bytes()),
                Tok::MonthLong => out.extend_from_slice(MONTHS[p.month as usize - 1].as_bytes()),
                Tok::WeekdayMin => out.extend_from_slice(WEEKDAYS_MIN[p.wday as usize].as_bytes()),
                Tok::WeekdayShort => out.extend_from_slice(WEEKDAYS_SHORT[p.wday as usize].as_bytes()),
                Tok::WeekdayLong => out.extend_from_slice(WEEKDAYS[p.wday as usize].as_bytes()),
                Tok::Meridiem(lower) => out.extend_from_slice(match (p.hour > 11, lower) {
                    (true, true) => b"pm",
                    (true, false) => b"PM",
                    (false, true) => b"am",
                    (false, false) => b"AM",
                }),
                Tok::Frac(n) => {
                    let ms = p.ms;
                    match n {
                        1 => write_int(out, ms / 100),
                        2 => zero_fill(out, ms / 10, 2, false),
                        _ => zero_fill(out, ms * 10i64.pow(n as u32 - 3), n as usize, false),
                    }
                }
                Tok::HourMin { h12, secs } => {
                    write_int(out, p.get(if h12 { Field::Hour12 } else { Field::Hour }));
                    zero_fill(out, p.minute, 2, false);
                    if secs {
                        zero_fill(out, p.second, 2, false);
                    }
                }
                Tok::Unix => write_int(out, ts_ms.div_euclid(1000)),
                Tok::UnixMs => write_int(out, ts_ms),
                Tok::ZoneAbbr => {
                    if utc_mode {
                        out.extend_from_slice(b"UTC");
                    }
                }
                Tok::ZoneName => {
                    if utc_mode {
                        out.extend_from_slice(b"Coordinated Universal Time");
                    }
                }
                Tok::Offset(colon) => write_moment_offset(out, offset_s, colon),
                Tok::DefaultZ => {
                    if utc_mode {
                        out.push(b'Z');
                    } else {
                        write_moment_offset(out, offset_s, true);
                    }
                }
            }
        }
    }
}

/// The byte length of the UTF-8 sequence starting with `lead`.
fn char_len(lead: u8) -> usize {
    match lead {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// The index of the `]` closing the `[` at `i`, as the regex `\[[^\[]*\]` finds it: the last `]`
/// before the next `[`.
fn bracket_end(b: &[u8], i: usize) -> Option<usize> {
    let mut end = None;
    for (k, &c) in b.iter().enumerate().skip(i + 1) {
        match c {
            b'[' => break,
            b']' => end = Some(k),
            _ => {}
        }
    }
    end
}

/// The locale macro at `j` (`LTS|LT|LL?L?L?|l{1,4}`), with its length and `en` expansion.
fn macro_at(b: &[u8], j: usize) -> Option<(usize, &'static str)> {
    let rest = b.get(j..)?;
    if rest.starts_with(b"LTS") {
        return Some((3, "h:mm:ss A"));
    }
    if rest.starts_with(b"LT") {
        return Some((2, "h:mm A"));
    }
    let c = *rest.first()?;
    if c != b'L' && c != b'l' {
        return None;
    }
    let n = rest.iter().take(4).take_while(|&&x| x == c).count();
    let exp = match (c, n) {
        (b'L', 1) => "MM/DD/YYYY",
        (b'L', 2) => "MMMM D, YYYY",
        (b'L', 3) => "MMMM D, YYYY h:mm A",
        (b'L', _) => "dddd, MMMM D, YYYY h:mm A",
        (_, 1) => "M/D/YYYY",
        (_, 2) => "MMM D, YYYY",
        (_, 3) => "MMM D, YYYY h:mm A",
        _ => "ddd, MMM D, YYYY h:mm A",
    };
    Some((n, exp))
}

/// moment's `expandFormat`: replace the locale macros outside brackets, leaving escaped ones
/// (`\LT`) for the tokenizer. The expansions contain no macros, so one pass is enough.
fn expand_macros(s: &str) -> std::borrow::Cow<'_, str> {
    let b = s.as_bytes();
    if !b.iter().any(|&c| c == b'L' || c == b'l') {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 32);
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'[' {
            if let Some(k) = bracket_end(b, i) {
                out.push_str(&s[i..=k]);
                i = k + 1;
                continue;
            }
        }
        let esc = b[i] == b'\\';
        let j = i + usize::from(esc);
        if let Some((len, exp)) = macro_at(b, j) {
            out.push_str(if esc { &s[i..j + len] } else { exp });
            i = j + len;
            continue;
        }
        let n = char_len(b[i]);
        out.push_str(&s[i..i + n]);
        i += n;
    }
    std::borrow::Cow::Owned(out)
}

/// The token moment's `formattingTokens` regex matches at `p`, with its length; `None` as the
/// token means the text is printed as it is (a character that is no token, or `w|`/`W|`, which
/// the regex's `[o|w]` class matches but that have no formatter). `None` overall: a line
/// terminator or the end, which nothing matches.
fn token_at(s: &str, p: usize) -> Option<(usize, Option<Tok>)> {
    use Field::*;
    let b = s.as_bytes();
    let c = *b.get(p)?;
    let at = |k: usize| b.get(p + k).copied().unwrap_or(0);
    let run = |max: usize| b[p..].iter().take(max).take_while(|&&x| x == c).count();
    let tok = match c {
        b'H' | b'h' if at(1) == b'm' && at(2) == b'm' => {
            let secs = at(3) == b's' && at(4) == b's';
            return Some((if secs { 5 } else { 3 }, Some(Tok::HourMin { h12: c == b'h', secs })));
        }
        b'M' if at(1) == b'o' => (2, Tok::Ord(Month)),
        b'M' => match run(4) {
            1 => (1, Tok::Num(Month, 0)),
            2 => (2, Tok::Num(Month, 2)),
            3 => (3, Tok::MonthShort),
            _ => (4, Tok::MonthLong),
        },
        b'D' if at(1) == b'o' => (2, Tok::Ord(Day)),
        b'D' if at(1) == b'D' && at(2) == b'D' && at(3) == b'o' => (4, Tok::Ord(DayOfYear)),
        b'D' => match run(4) {
            1 => (1, Tok::Num(Day, 0)),
            2 => (2, Tok::Num(Day, 2)),
            3 => (3, Tok::Num(DayOfYear, 0)),
            _ => (4, Tok::Num(DayOfYear, 3)),
        },
        b'd' => match run(4) {
            2 => (2, Tok::WeekdayMin),
            3 => (3, Tok::WeekdayShort),
            4 => (4, Tok::WeekdayLong),
            _ if at(1) == b'o' => (2, Tok::Ord(Weekday)),
            _ => (1, Tok::Num(Weekday, 0)),
        },
        b'w' | b'W' => {
            let f = if c == b'w' { Week } else { IsoWeek };
            match at(1) {
                b'o' => (2, Tok::Ord(f)),
                x if x == c => (2, Tok::Num(f, 2)),
                b'|' => return Some((2, None)),
                _ => (1, Tok::Num(f, 0)),
            }
        }
        b'Q' if at(1) == b'o' => (2, Tok::Ord(Quarter)),
        b'Q' => (1, Tok::Num(Quarter, 0)),
        b'Y' => match run(6) {
            6 => (6, Tok::YearSigned6),
            5 => (5, Tok::Num(Year, 5)),
            4 => (4, Tok::Num(Year, 4)),
            2 | 3 => (2, Tok::Mod100(Year)),
            _ => (1, Tok::YearPlain),
        },
        b'g' | b'G' => {
            let f = if c == b'g' { WeekYear } else { IsoWeekYear };
            match run(5) {
                5 => (5, Tok::Num(f, 5)),
                4 => (4, Tok::Num(f, 4)),
                2 | 3 => (2, Tok::Mod100(f)),
                _ => return Some((1, None)),
            }
        }
        b'e' => (1, Tok::Num(LocaleWeekday, 0)),
        b'E' => (1, Tok::Num(IsoWeekday, 0)),
        b'a' => (1, Tok::Meridiem(true)),
        b'A' => (1, Tok::Meridiem(false)),
        b'h' | b'H' | b'k' | b'm' | b's' => {
            let f = match c {
                b'h' => Hour12,
                b'H' => Hour,
                b'k' => Hour24,
                b'm' => Minute,
                _ => Second,
            };
            let n = run(2);
            (n, Tok::Num(f, if n == 2 { 2 } else { 0 }))
        }
        b'S' => {
            let n = run(9);
            (n, Tok::Frac(n as u8))
        }
        b'x' => (1, Tok::UnixMs),
        b'X' => (1, Tok::Unix),
        b'z' => match run(2) {
            2 => (2, Tok::ZoneName),
            _ => (1, Tok::ZoneAbbr),
        },
        b'Z' => match run(2) {
            2 => (2, Tok::Offset(false)),
            _ => (1, Tok::Offset(true)),
        },
        b'\n' | b'\r' => return None,
        _ => {
            let n = char_len(c);
            // U+2028 and U+2029 are line terminators too.
            if matches!(&b[p..(p + n).min(b.len())], [0xE2, 0x80, 0xA8 | 0xA9]) {
                return None;
            }
            return Some((n, None));
        }
    };
    Some((tok.0, Some(tok.1)))
}

/// The jiff timestamp whose zone offset is the offset at `ts_ms`: `ts_ms` itself inside jiff's
/// range (years ±9999), else shifted by whole 400-year Gregorian cycles into it, over which the
/// zone's rules repeat.
fn jiff_ts(ts_ms: i64) -> Timestamp {
    const CYCLE_MS: i64 = 146_097 * MS_PER_DAY;
    let min = Timestamp::MIN.as_millisecond();
    let max = Timestamp::MAX.as_millisecond();
    let mut t = ts_ms;
    if t < min {
        t += (min - t + CYCLE_MS - 1) / CYCLE_MS * CYCLE_MS;
    } else if t > max {
        t -= (t - max + CYCLE_MS - 1) / CYCLE_MS * CYCLE_MS;
    }
    Timestamp::from_millisecond(t).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day number since 1970-01-01.
pub(crate) fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// The number of days in month `m` (1–12) of year `y`.
pub(crate) fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// 0 = Sunday.
fn weekday_of(days: i64) -> i64 {
    (days + 4).rem_euclid(7)
}

/// moment's `firstWeekOffset`: start of the first week minus start of the year, in days.
fn first_week_offset(year: i64, dow: i64, doy: i64) -> i64 {
    let fwd = 7 + dow - doy;
    let fwdlw = (7 + weekday_of(days_from_civil(year, 1, fwd)) - dow) % 7;
    -fwdlw + fwd - 1
}

fn weeks_in_year(year: i64, dow: i64, doy: i64) -> i64 {
    let days = if is_leap(year) { 366 } else { 365 };
    (days - first_week_offset(year, dow, doy) + first_week_offset(year + 1, dow, doy)) / 7
}

/// The broken-down local time of one instant.
struct Parts {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    ms: i64,
    /// 0 = Sunday.
    wday: i64,
    /// 1-based.
    yday: i64,
}

impl Parts {
    fn new(ts_ms: i64, offset_s: i32) -> Parts {
        let local = ts_ms + i64::from(offset_s) * 1000;
        let days = local.div_euclid(MS_PER_DAY);
        let tod = local.rem_euclid(MS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        Parts {
            year,
            month,
            day,
            hour: tod / 3_600_000,
            minute: tod / 60_000 % 60,
            second: tod / 1000 % 60,
            ms: tod % 1000,
            wday: weekday_of(days),
            yday: days - days_from_civil(year, 1, 1) + 1,
        }
    }

    /// moment's `weekOfYear`: (week, week-year) for a locale whose weeks start on `dow` and whose
    /// first week contains 1 January + (`7 + dow - doy` − 1) days.
    fn week_of_year(&self, dow: i64, doy: i64) -> (i64, i64) {
        let off = first_week_offset(self.year, dow, doy);
        let week = (self.yday - off - 1).div_euclid(7) + 1;
        if week < 1 {
            (week + weeks_in_year(self.year - 1, dow, doy), self.year - 1)
        } else if week > weeks_in_year(self.year, dow, doy) {
            (week - weeks_in_year(self.year, dow, doy), self.year + 1)
        } else {
            (week, self.year)
        }
    }

    fn get(&self, f: Field) -> i64 {
        match f {
            Field::Year => self.year,
            Field::Month => self.month,
            Field::Quarter => (self.month + 2) / 3,
            Field::Day => self.day,
            Field::DayOfYear => self.yday,
            Field::Weekday | Field::LocaleWeekday => self.wday,
            Field::IsoWeekday => {
                if self.wday == 0 {
                    7
                } else {
                    self.wday
                }
            }
            Field::Week => self.week_of_year(0, 6).0,
            Field::IsoWeek => self.week_of_year(1, 4).0,
            Field::WeekYear => self.week_of_year(0, 6).1,
            Field::IsoWeekYear => self.week_of_year(1, 4).1,
            Field::Hour => self.hour,
            Field::Hour12 => {
                if self.hour % 12 == 0 {
                    12
                } else {
                    self.hour % 12
                }
            }
            Field::Hour24 => {
                if self.hour == 0 {
                    24
                } else {
                    self.hour
                }
            }
            Field::Minute => self.minute,
            Field::Second => self.second,
        }
    }
}

/// moment's `zeroFill(number, width, forceSign)`.
fn zero_fill(out: &mut Vec<u8>, v: i64, width: usize, force_sign: bool) {
    if v < 0 {
        out.push(b'-');
    } else if force_sign {
        out.push(b'+');
    }
    let mut buf = itoa::Buffer::new();
    let digits = buf.format(v.unsigned_abs());
    for _ in digits.len()..width {
        out.push(b'0');
    }
    out.extend_from_slice(digits.as_bytes());
}

/// The `en` locale's ordinal: `1st`, `2nd`, `3rd`, `4th`, `11th`, `12th`, `13th`, `21st`.
fn write_ordinal(out: &mut Vec<u8>, n: i64) {
    write_int(out, n);
    let suffix: &[u8] = if (n % 100) / 10 == 1 {
        b"th"
    } else {
        match n % 10 {
            1 => b"st",
            2 => b"nd",
            3 => b"rd",
            _ => b"th",
        }
    };
    out.extend_from_slice(suffix);
}

/// moment's `Z`/`ZZ` for a local moment: `utcOffset()` is `-round(getTimezoneOffset() / 15) *
/// 15`, and `getTimezoneOffset()` is whole minutes (truncated), so historical offsets with
/// seconds print rounded to a quarter hour.
fn write_moment_offset(out: &mut Vec<u8>, offset_s: i32, colon: bool) {
    let tzo = -offset_s / 60;
    let rounded = ((f64::from(tzo) / 15.0 + 0.5).floor() as i64) * 15;
    let utc_offset = -rounded;
    out.push(if utc_offset < 0 { b'-' } else { b'+' });
    let a = utc_offset.abs();
    zero_fill(out, a / 60, 2, false);
    if colon {
        out.push(b':');
    }
    zero_fill(out, a % 60, 2, false);
}

/// Append `String(new Date(ts_ms))` as a browser or Node in zone `tz` prints it:
/// `Sun Mar 22 2026 20:22:30 GMT-0500 (Central Daylight Time)`, or `Invalid Date` outside
/// JavaScript's date range.
///
/// The name in parentheses comes from ICU in JavaScript engines. kdg knows the English names of
/// the common zones (by IANA name where the abbreviation is ambiguous or numeric, else by
/// abbreviation); for other zones it prints the abbreviation, or `GMT+05:30` when the zone has
/// only a numeric one.
pub fn js_date_string(ts_ms: i64, tz: &TimeZone, out: &mut Vec<u8>) {
    if !(-JS_MAX_MS..=JS_MAX_MS).contains(&ts_ms) {
        out.extend_from_slice(b"Invalid Date");
        return;
    }
    let jts = jiff_ts(ts_ms);
    let info = tz.to_offset_info(jts);
    let offset_s = info.offset().seconds();
    let p = Parts::new(ts_ms, offset_s);
    out.extend_from_slice(WEEKDAYS_SHORT[p.wday as usize].as_bytes());
    out.push(b' ');
    out.extend_from_slice(MONTHS_SHORT[p.month as usize - 1].as_bytes());
    out.push(b' ');
    zero_fill(out, p.day, 2, false);
    out.push(b' ');
    zero_fill(out, p.year, 4, false);
    out.push(b' ');
    zero_fill(out, p.hour, 2, false);
    out.push(b':');
    zero_fill(out, p.minute, 2, false);
    out.push(b':');
    zero_fill(out, p.second, 2, false);
    out.extend_from_slice(b" GMT");
    let minutes = offset_s / 60;
    out.push(if minutes < 0 { b'-' } else { b'+' });
    zero_fill(out, i64::from(minutes.abs() / 60), 2, false);
    zero_fill(out, i64::from(minutes.abs() % 60), 2, false);
    out.extend_from_slice(b" (");
    write_zone_name(out, tz, info.abbreviation(), info.dst().is_dst(), offset_s);
    out.push(b')');
}

/// The long English name of zone `tz` at an instant with this abbreviation and DST flag.
fn write_zone_name(out: &mut Vec<u8>, tz: &TimeZone, abbr: &str, dst: bool, offset_s: i32) {
    let iana = tz.iana_name();
    if let Some(name) = long_zone_name(iana, abbr, dst) {
        out.extend_from_slice(name.as_bytes());
        return;
    }
    // Local mean time, war time and other historical abbreviations: ICU names the zone as it is
    // named today, in standard or daylight time.
    let mut fallback = None;
    for s in [1_579_046_400, 1_594_771_200] {
        let Ok(ts) = Timestamp::from_second(s) else { continue };
        let now = tz.to_offset_info(ts);
        let now_dst = now.dst().is_dst();
        if let Some(name) = long_zone_name(iana, now.abbreviation(), now_dst) {
            if now_dst == dst {
                fallback = Some(name);
                break;
            }
            if !now_dst {
                fallback = Some(name);
            }
        }
    }
    if let Some(name) = fallback {
        out.extend_from_slice(name.as_bytes());
        return;
    }
    let numeric = abbr.starts_with(['+', '-']) || abbr.bytes().all(|c| c.is_ascii_digit());
    if !numeric && !abbr.is_empty() {
        out.extend_from_slice(abbr.as_bytes());
        return;
    }
    // ICU's long localized GMT format.
    out.extend_from_slice(b"GMT");
    let minutes = offset_s / 60;
    if minutes != 0 {
        out.push(if minutes < 0 { b'-' } else { b'+' });
        zero_fill(out, i64::from(minutes.abs() / 60), 2, false);
        out.push(b':');
        zero_fill(out, i64::from(minutes.abs() % 60), 2, false);
    }
}

/// ICU's English long name for a zone, by IANA name first (zones whose abbreviation is ambiguous
/// or numeric), then by abbreviation.
fn long_zone_name(iana: Option<&str>, abbr: &str, dst: bool) -> Option<&'static str> {
    if let Some(zone) = iana {
        let by_zone = match (zone, abbr) {
            ("Europe/Dublin" | "Eire", "IST") => Some("Irish Standard Time"),
            ("Asia/Jerusalem" | "Asia/Tel_Aviv" | "Israel", "IST") => Some("Israel Standard Time"),
            ("Asia/Jerusalem" | "Asia/Tel_Aviv" | "Israel", "IDT") => Some("Israel Daylight Time"),
            ("Asia/Taipei" | "ROC", "CST") => Some("Taiwan Standard Time"),
            ("America/Havana" | "Cuba", "CST") => Some("Cuba Standard Time"),
            ("America/Havana" | "Cuba", "CDT") => Some("Cuba Daylight Time"),
            ("Asia/Manila", "PST") => Some("Philippine Standard Time"),
            ("Asia/Manila", "PDT") => Some("Philippine Summer Time"),
            (z, "CST") if z.starts_with("Asia/") || z == "PRC" => Some("China Standard Time"),
            _ => None,
        };
        if by_zone.is_some() {
            return by_zone;
        }
        let (std, summer) = match zone {
            "Asia/Dubai" | "Asia/Muscat" => ("Gulf Standard Time", None),
            "Asia/Singapore" | "Singapore" => ("Singapore Standard Time", None),
            "Asia/Kuala_Lumpur" => ("Malaysia Time", None),
            "Asia/Kathmandu" | "Asia/Katmandu" => ("Nepal Time", None),
            "Asia/Bangkok" | "Asia/Ho_Chi_Minh" | "Asia/Saigon" | "Asia/Phnom_Penh" | "Asia/Vientiane" => {
                ("Indochina Time", None)
            }
            "Asia/Riyadh" | "Asia/Kuwait" | "Asia/Aden" | "Asia/Qatar" | "Asia/Bahrain" | "Asia/Baghdad" => {
                ("Arabian Standard Time", None)
            }
            "Asia/Tehran" | "Iran" => ("Iran Standard Time", Some("Iran Daylight Time")),
            "Asia/Dhaka" => ("Bangladesh Standard Time", None),
            "Asia/Kabul" => ("Afghanistan Time", None),
            "Asia/Yangon" | "Asia/Rangoon" => ("Myanmar Time", None),
            "Asia/Colombo" => ("India Standard Time", None),
            "Asia/Tashkent" => ("Uzbekistan Standard Time", None),
            "Europe/Istanbul" | "Asia/Istanbul" | "Turkey" => ("Türkiye Standard Time", None),
            "America/Sao_Paulo" | "Brazil/East" => ("Brasilia Standard Time", Some("Brasilia Summer Time")),
            "America/Argentina/Buenos_Aires" | "America/Buenos_Aires" => {
                ("Argentina Standard Time", Some("Argentina Summer Time"))
            }
            "America/Bogota" => ("Colombia Standard Time", Some("Colombia Summer Time")),
            "America/Lima" => ("Peru Standard Time", Some("Peru Summer Time")),
            "America/Santiago" => ("Chile Standard Time", Some("Chile Summer Time")),
            "America/Caracas" => ("Venezuela Time", None),
            "America/Montevideo" => ("Uruguay Standard Time", Some("Uruguay Summer Time")),
            _ => ("", None),
        };
        if !std.is_empty() && (abbr.starts_with(['+', '-']) || abbr == "LMT") {
            return Some(if dst { summer.unwrap_or(std) } else { std });
        }
    }
    Some(match abbr {
        "UTC" | "UCT" | "Zulu" => "Coordinated Universal Time",
        "GMT" => "Greenwich Mean Time",
        "BST" => "British Summer Time",
        "IST" => "India Standard Time",
        "WET" => "Western European Standard Time",
        "WEST" => "Western European Summer Time",
        "CET" => "Central European Standard Time",
        "CEST" => "Central European Summer Time",
        "EET" => "Eastern European Standard Time",
        "EEST" => "Eastern European Summer Time",
        "MSK" => "Moscow Standard Time",
        "EST" => "Eastern Standard Time",
        "EDT" => "Eastern Daylight Time",
        "CST" => "Central Standard Time",
        "CDT" => "Central Daylight Time",
        "MST" => "Mountain Standard Time",
        "MDT" => "Mountain Daylight Time",
        "PST" => "Pacific Standard Time",
        "PDT" => "Pacific Daylight Time",
        "AKST" => "Alaska Standard Time",
        "AKDT" => "Alaska Daylight Time",
        "HST" => "Hawaii-Aleutian Standard Time",
        "HDT" => "Hawaii-Aleutian Daylight Time",
        "AST" => "Atlantic Standard Time",
        "ADT" => "Atlantic Daylight Time",
        "NST" => "Newfoundland Standard Time",
        "NDT" => "Newfoundland Daylight Time",
        "IDT" => "Israel Daylight Time",
        "JST" => "Japan Standard Time",
        "KST" => "Korean Standard Time",
        "HKT" => "Hong Kong Standard Time",
        "PKT" => "Pakistan Standard Time",
        "WIB" => "Western Indonesia Time",
        "WITA" => "Central Indonesia Time",
        "WIT" => "Eastern Indonesia Time",
        "AEST" => "Australian Eastern Standard Time",
        "AEDT" => "Australian Eastern Daylight Time",
        "ACST" => "Australian Central Standard Time",
        "ACDT" => "Australian Central Daylight Time",
        "AWST" => "Australian Western Standard Time",
        "NZST" => "New Zealand Standard Time",
        "NZDT" => "New Zealand Daylight Time",
        "SAST" => "South Africa Standard Time",
        "CAT" => "Central Africa Time",
        "EAT" => "East Africa Time",
        "WAT" => "West Africa Time",
        "ChST" => "Chamorro Standard Time",
        "SST" => "American Samoa Standard Time",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2010-02-14T15:25:50.123Z, the instant of the golden table in `docs/templates.md#golden-table`.
    const GOLDEN: i64 = 1_266_161_150_123;

    fn chicago() -> TimeZone {
        TimeZone::get("America/Chicago").unwrap()
    }

    fn fmt(format: &str, ts: i64, tz: &TimeZone, utc: bool) -> String {
        let mut out = Vec::new();
        MomentFormat::parse(format).format(ts, tz, utc, &mut out);
        String::from_utf8(out).unwrap()
    }

    /// Check `(format, local, utc)` rows at `ts` in Chicago.
    fn check(rows: &[(&str, &str, &str)], ts: i64) {
        let tz = chicago();
        for &(format, local, utc) in rows {
            assert_eq!(fmt(format, ts, &tz, false), local, "local {format:?}");
            assert_eq!(fmt(format, ts, &tz, true), utc, "utc {format:?}");
        }
    }

    #[test]
    fn moment_golden_table() {
        check(
            &[
                ("YYYY", "2010", "2010"),
                ("YY", "10", "10"),
                ("Y", "2010", "2010"),
                ("Q", "1", "1"),
                ("Qo", "1st", "1st"),
                ("M", "2", "2"),
                ("MM", "02", "02"),
                ("MMM", "Feb", "Feb"),
                ("MMMM", "February", "February"),
                ("Mo", "2nd", "2nd"),
                ("D", "14", "14"),
                ("DD", "14", "14"),
                ("Do", "14th", "14th"),
                ("DDD", "45", "45"),
                ("DDDD", "045", "045"),
                ("DDDo", "45th", "45th"),
                ("d", "0", "0"),
                ("do", "0th", "0th"),
                ("dd", "Su", "Su"),
                ("ddd", "Sun", "Sun"),
                ("dddd", "Sunday", "Sunday"),
                ("e", "0", "0"),
                ("E", "7", "7"),
                ("w", "8", "8"),
                ("ww", "08", "08"),
                ("wo", "8th", "8th"),
                ("W", "6", "6"),
                ("WW", "06", "06"),
                ("Wo", "6th", "6th"),
                ("gg", "10", "10"),
                ("gggg", "2010", "2010"),
                ("GG", "10", "10"),
                ("GGGG", "2010", "2010"),
                ("LLL", "February 14, 2010 9:25 AM", "February 14, 2010 3:25 PM"),
                ("l", "2/14/2010", "2/14/2010"),
                ("ll", "Feb 14, 2010", "Feb 14, 2010"),
                ("lll", "Feb 14, 2010 9:25 AM", "Feb 14, 2010 3:25 PM"),
                ("llll", "Sun, Feb 14, 2010 9:25 AM", "Sun, Feb 14, 2010 3:25 PM"),
                ("", "2010-02-14T09:25:50-06:00", "2010-02-14T15:25:50Z"),
                ("H", "9", "15"),
                ("HH", "09", "15"),
                ("h", "9", "3"),
                ("hh", "09", "03"),
                ("k", "9", "15"),
                ("kk", "09", "15"),
                ("m", "25", "25"),
                ("mm", "25", "25"),
                ("s", "50", "50"),
                ("ss", "50", "50"),
                ("S", "1", "1"),
                ("SS", "12", "12"),
                ("SSS", "123", "123"),
                ("SSSS", "1230", "1230"),
                ("SSSSSS", "123000", "123000"),
                ("a", "am", "pm"),
                ("A", "AM", "PM"),
                ("Z", "-06:00", "+00:00"),
                ("ZZ", "-0600", "+0000"),
                ("X", "1266161150", "1266161150"),
                ("x", "1266161150123", "1266161150123"),
                ("z", "", "UTC"),
                ("zz", "", "Coordinated Universal Time"),
                ("LT", "9:25 AM", "3:25 PM"),
                ("LTS", "9:25:50 AM", "3:25:50 PM"),
                ("L", "02/14/2010", "02/14/2010"),
                ("LL", "February 14, 2010", "February 14, 2010"),
                (
                    "LLLL",
                    "Sunday, February 14, 2010 9:25 AM",
                    "Sunday, February 14, 2010 3:25 PM",
                ),
                ("[T]", "T", "T"),
                (
                    "YYYY-MM-DDTHH:mm:ss.SSSZ",
                    "2010-02-14T09:25:50.123-06:00",
                    "2010-02-14T15:25:50.123+00:00",
                ),
            ],
            GOLDEN,
        );
    }

    #[test]
    fn formats_seen_in_the_wild() {
        check(
            &[
                (
                    "dddd, MMMM Do YYYY, h:mm:ss a",
                    "Sunday, February 14th 2010, 9:25:50 am",
                    "Sunday, February 14th 2010, 3:25:50 pm",
                ),
                ("ddd, hA", "Sun, 9AM", "Sun, 3PM"),
                (
                    "DD/MMM/YYYY:HH:mm:ss Z",
                    "14/Feb/2010:09:25:50 -06:00",
                    "14/Feb/2010:15:25:50 +00:00",
                ),
                (
                    "DD/MMM/YYYY:HH:mm:ss ZZ",
                    "14/Feb/2010:09:25:50 -0600",
                    "14/Feb/2010:15:25:50 +0000",
                ),
                (
                    "YYYY-MM-DD HH:mm:ss.SSS",
                    "2010-02-14 09:25:50.123",
                    "2010-02-14 15:25:50.123",
                ),
                ("YYYY/MM/DD HH:mm:ss", "2010/02/14 09:25:50", "2010/02/14 15:25:50"),
                ("YYYY-MM-DDTHH:mm:ss", "2010-02-14T09:25:50", "2010-02-14T15:25:50"),
                (
                    "YYYY-MM-DDTHH:mm:ss.SSS",
                    "2010-02-14T09:25:50.123",
                    "2010-02-14T15:25:50.123",
                ),
                (
                    "YYYY-MM-DD[T]HH:mm:ss.SSS[Z]",
                    "2010-02-14T09:25:50.123Z",
                    "2010-02-14T15:25:50.123Z",
                ),
                ("x", "1266161150123", "1266161150123"),
                ("X", "1266161150", "1266161150"),
                ("YYYY-MM-DD", "2010-02-14", "2010-02-14"),
            ],
            GOLDEN,
        );
    }

    #[test]
    fn default_formats() {
        let tz = chicago();
        let mut out = Vec::new();
        MomentFormat::default().format(GOLDEN, &tz, false, &mut out);
        assert_eq!(out, b"2010-02-14T09:25:50-06:00");
        out.clear();
        MomentFormat::default().format(GOLDEN, &tz, true, &mut out);
        assert_eq!(out, b"2010-02-14T15:25:50Z");
        assert_eq!(MomentFormat::parse(""), MomentFormat::default());
        // A local zone of UTC still prints an offset, as `moment().format()` does there.
        assert_eq!(fmt("", GOLDEN, &TimeZone::UTC, false), "2010-02-14T15:25:50+00:00");
        // Summer time in Chicago.
        assert_eq!(fmt("", 1_774_228_950_000, &tz, false), "2026-03-22T20:22:30-05:00");
    }

    /// Quirks of moment's tokenizer, checked against moment 2.17.1 under Node.
    #[test]
    fn tokenizer_quirks_match_moment() {
        check(
            &[
                ("YYYYY", "02010", "02010"),
                ("YYYYYY", "+002010", "+002010"),
                ("YYY", "102010", "102010"),
                ("ggg", "10g", "10g"),
                ("ggggg", "02010", "02010"),
                ("GGGGG", "02010", "02010"),
                ("SSSSSSSSS", "123000000", "123000000"),
                ("SSSSSSSSSS", "1230000001", "1230000001"),
                // `w[o|w]?`: the character class also matches `|`, which has no formatter.
                ("w|W|", "w|W|", "w|W|"),
                ("\\YYYY", "YYYY", "YYYY"),
                ("\\\\", "", ""),
                ("x\\", "1266161150123", "1266161150123"),
                ("[a]b]", "a]b", "a]b"),
                ("a[b[c]d]e", "am[bc]d0", "pm[bc]d0"),
                ("[unclosed", "[unc2/14/2010o5000", "[unc2/14/2010o5000"),
                ("a\nb", "amb", "pmb"),
                (
                    "LLLLL",
                    "Sunday, February 14, 2010 9:25 AM02/14/2010",
                    "Sunday, February 14, 2010 3:25 PM02/14/2010",
                ),
                ("\\LT", "LT", "LT"),
                ("[LT]", "LT", "LT"),
                ("\\[LT]", "[LT]", "[LT]"),
                (
                    "Hmmss hmm hmmss Hmm HHmm",
                    "92550 925 92550 925 0925",
                    "152550 325 32550 1525 1525",
                ),
                ("DDDDo ddo Mom", "045o Suo 2nd25", "045o Suo 2nd25"),
                (
                    "kkk EeE ZZZ zzz",
                    "099 707 -0600-06:00 ",
                    "1515 707 +0000+00:00 Coordinated Universal TimeUTC",
                ),
                ("ÄYYYYé😀", "Ä2010é😀", "Ä2010é😀"),
                ("\u{2028}Y", "2010", "2010"),
                ("\\\n", "", ""),
            ],
            GOLDEN,
        );
    }

    #[test]
    fn ordinals() {
        let mut out = Vec::new();
        for (n, want) in [
            (0, "0th"),
            (1, "1st"),
            (2, "2nd"),
            (3, "3rd"),
            (4, "4th"),
            (11, "11th"),
            (12, "12th"),
            (13, "13th"),
            (21, "21st"),
            (22, "22nd"),
            (23, "23rd"),
            (101, "101st"),
            (111, "111th"),
            (112, "112th"),
            (366, "366th"),
        ] {
            out.clear();
            write_ordinal(&mut out, n);
            assert_eq!(out, want.as_bytes(), "{n}");
        }
    }

    /// Week numbers around the turn of the year (values from moment 2.17.1).
    #[test]
    fn weeks_at_year_boundaries() {
        let utc = TimeZone::UTC;
        let f = "YYYY-MM-DD ddd w gggg W GGGG";
        let cases = [
            // Saturday 1 January 2011: locale week 1 of 2011, ISO week 52 of 2010.
            (1_293_840_000_000, "2011-01-01 Sat 1 2011 52 2010"),
            // Monday 31 December 2012: locale week 1 of 2013, ISO week 1 of 2013.
            (1_356_912_000_000, "2012-12-31 Mon 1 2013 1 2013"),
            // Thursday 31 December 2020: locale week 1 of 2021, ISO week 53 of 2020.
            (1_609_372_800_000, "2020-12-31 Thu 1 2021 53 2020"),
            // Friday 1 January 2021: ISO week 53 of 2020.
            (1_609_459_200_000, "2021-01-01 Fri 1 2021 53 2020"),
            // Sunday 3 January 2010: locale week 2, ISO week 53 of 2009.
            (1_262_476_800_000, "2010-01-03 Sun 2 2010 53 2009"),
        ];
        for (ts, want) in cases {
            assert_eq!(fmt(f, ts, &utc, true), want, "{ts}");
        }
    }

    #[test]
    fn extreme_and_invalid_instants() {
        let tz = chicago();
        // Year 1 BCE and year 10000 (values from moment 2.17.1 and Node).
        assert_eq!(
            fmt("YYYY YY Y YYYYYY", -62_198_755_200_000, &tz, false),
            "-0002 -02 -2 -000002"
        );
        assert_eq!(
            fmt("YYYY Y YYYYYY", 253_402_300_800_000, &TimeZone::UTC, true),
            "10000 +10000 +010000"
        );
        // Local mean time: moment rounds the offset to a quarter hour, the fields use it exactly.
        assert_eq!(
            fmt("Z YYYY-MM-DD HH:mm:ss", -6_000_000_000_000, &tz, false),
            "-05:45 1779-11-13 07:29:24"
        );
        let berlin = TimeZone::get("Europe/Berlin").unwrap();
        assert_eq!(fmt("Z HH:mm:ss", -5_000_000_000_000, &berlin, false), "+01:00 16:00:08");
        // Beyond jiff's range the zone's rules repeat every 400 years (Node prints CDT here).
        assert_eq!(
            fmt("YYYY-MM-DD HH:mm Z", JS_MAX_MS, &tz, false),
            "275760-09-12 19:00 -05:00"
        );
        assert_eq!(fmt("YYYY", JS_MAX_MS + 1, &tz, false), "Invalid date");
        let mut out = Vec::new();
        js_date_string(-JS_MAX_MS - 1, &tz, &mut out);
        assert_eq!(out, b"Invalid Date");
    }

    #[test]
    fn subsecond_detection() {
        assert!(MomentFormat::parse("HH:mm:ss.SSS").uses_subsecond());
        assert!(MomentFormat::parse("x").uses_subsecond());
        assert!(!MomentFormat::parse("X").uses_subsecond());
        assert!(!MomentFormat::parse("").uses_subsecond());
        assert!(!MomentFormat::parse("[SSS x]").uses_subsecond());
        assert!(!MomentFormat::parse("\\SSS").uses_subsecond());
    }

    fn js(ts: i64, zone: &str) -> String {
        let mut out = Vec::new();
        js_date_string(ts, &TimeZone::get(zone).unwrap(), &mut out);
        String::from_utf8(out).unwrap()
    }

    /// `String(new Date(ms))` as Node 20 prints it in each zone.
    #[test]
    fn js_date_strings() {
        let summer = 1_774_228_950_000; // 2026-03-23T01:22:30Z
        let winter = 1_705_320_000_000; // 2024-01-15T12:00:00Z
        let july = 1_721_044_800_000; // 2024-07-15T12:00:00Z
        assert_eq!(
            js(summer, "America/Chicago"),
            "Sun Mar 22 2026 20:22:30 GMT-0500 (Central Daylight Time)"
        );
        assert_eq!(
            js(GOLDEN, "America/Chicago"),
            "Sun Feb 14 2010 09:25:50 GMT-0600 (Central Standard Time)"
        );
        assert_eq!(
            js(summer, "UTC"),
            "Mon Mar 23 2026 01:22:30 GMT+0000 (Coordinated Universal Time)"
        );
        let mut out = Vec::new();
        js_date_string(GOLDEN, &TimeZone::UTC, &mut out);
        assert_eq!(out, b"Sun Feb 14 2010 15:25:50 GMT+0000 (Coordinated Universal Time)");
        for (zone, jan, jul) in [
            (
                "Europe/London",
                "GMT+0000 (Greenwich Mean Time)",
                "GMT+0100 (British Summer Time)",
            ),
            (
                "Europe/Dublin",
                "GMT+0000 (Greenwich Mean Time)",
                "GMT+0100 (Irish Standard Time)",
            ),
            (
                "Europe/Paris",
                "GMT+0100 (Central European Standard Time)",
                "GMT+0200 (Central European Summer Time)",
            ),
            (
                "Asia/Kolkata",
                "GMT+0530 (India Standard Time)",
                "GMT+0530 (India Standard Time)",
            ),
            (
                "Asia/Jerusalem",
                "GMT+0200 (Israel Standard Time)",
                "GMT+0300 (Israel Daylight Time)",
            ),
            (
                "Asia/Shanghai",
                "GMT+0800 (China Standard Time)",
                "GMT+0800 (China Standard Time)",
            ),
            (
                "Asia/Taipei",
                "GMT+0800 (Taiwan Standard Time)",
                "GMT+0800 (Taiwan Standard Time)",
            ),
            (
                "Asia/Tokyo",
                "GMT+0900 (Japan Standard Time)",
                "GMT+0900 (Japan Standard Time)",
            ),
            (
                "Asia/Dubai",
                "GMT+0400 (Gulf Standard Time)",
                "GMT+0400 (Gulf Standard Time)",
            ),
            (
                "Australia/Sydney",
                "GMT+1100 (Australian Eastern Daylight Time)",
                "GMT+1000 (Australian Eastern Standard Time)",
            ),
            (
                "Australia/Adelaide",
                "GMT+1030 (Australian Central Daylight Time)",
                "GMT+0930 (Australian Central Standard Time)",
            ),
            (
                "Pacific/Auckland",
                "GMT+1300 (New Zealand Daylight Time)",
                "GMT+1200 (New Zealand Standard Time)",
            ),
            (
                "America/St_Johns",
                "GMT-0330 (Newfoundland Standard Time)",
                "GMT-0230 (Newfoundland Daylight Time)",
            ),
            (
                "America/Havana",
                "GMT-0500 (Cuba Standard Time)",
                "GMT-0400 (Cuba Daylight Time)",
            ),
            (
                "America/Sao_Paulo",
                "GMT-0300 (Brasilia Standard Time)",
                "GMT-0300 (Brasilia Standard Time)",
            ),
            (
                "Pacific/Honolulu",
                "GMT-1000 (Hawaii-Aleutian Standard Time)",
                "GMT-1000 (Hawaii-Aleutian Standard Time)",
            ),
            ("Etc/GMT-5", "GMT+0500 (GMT+05:00)", "GMT+0500 (GMT+05:00)"),
        ] {
            assert!(js(winter, zone).ends_with(jan), "{zone}: {}", js(winter, zone));
            assert!(js(july, zone).ends_with(jul), "{zone}: {}", js(july, zone));
        }
        // Historical offsets print whole minutes; local mean time is named as the zone is now.
        assert_eq!(
            js(-6_000_000_000_000, "America/Chicago"),
            "Sat Nov 13 1779 07:29:24 GMT-0550 (Central Standard Time)"
        );
        assert_eq!(
            js(-62_198_755_200_000, "America/Chicago"),
            "Thu Dec 31 -0002 18:09:24 GMT-0550 (Central Standard Time)"
        );
        assert_eq!(
            js(JS_MAX_MS, "UTC"),
            "Sat Sep 13 275760 00:00:00 GMT+0000 (Coordinated Universal Time)"
        );
    }
}
