//! KDG's periodic mode: a mean and a deviation of records per second for each weekday and hour
//! (`docs/periodic.md`), read from a small text file.
//!
//! Each second's count is drawn from a normal distribution with that hour's mean and deviation
//! (reproducibly, from the seed and the second), and never below zero. With smoothing (the
//! default, as in KDG) mean and deviation move linearly from one hour's values to the next hour's
//! over the hour; at 23:00 the next hour is midnight of the *next* day (KDG interpolates toward
//! Sunday midnight there, a bug not copied).
//!
//! File format, one rule per line, later rules overriding earlier ones; `#` starts a comment:
//!
//! ```text
//! # DAYS     HOURS   MEAN   DEVIATION
//! *          *       100    10
//! mon-fri    9-17    1000   100
//! sat,sun    *       50     5
//! ```
//!
//! DAYS: `*`, a day (`sun`..`sat`), a range `mon-fri`, or a comma list; HOURS: `*`, `0`..`23`,
//! a range `9-17` (inclusive), or a comma list.

use jiff::tz::TimeZone;

/// Mean and deviation (records/s) for every weekday (0 = Sunday, as JavaScript's `getDay`) and hour.
#[derive(Debug, Clone, PartialEq)]
pub struct Periodic {
    cells: Vec<[(f64, f64); 24]>,
    /// Interpolate within the hour toward the next hour's values.
    pub smooth: bool,
    tz: TimeZone,
}

const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

impl Periodic {
    /// Parse the rules in `text`; `name` is used in error messages.
    ///
    /// # Errors
    /// `name:line:column: what is wrong`.
    pub fn parse(text: &str, name: &str, smooth: bool, tz: TimeZone) -> Result<Periodic, String> {
        let mut cells = vec![[(0.0, 0.0); 24]; 7];
        let mut rules = 0;
        for (i, line) in text.lines().enumerate() {
            let content = line.split('#').next().unwrap_or_default();
            if content.trim().is_empty() {
                continue;
            }
            let mut fields = Vec::new();
            let mut col = 0;
            for part in content.split_whitespace() {
                col = content[col..].find(part).map_or(col, |p| col + p);
                fields.push((col + 1, part));
                col += part.len();
            }
            let err = |col: usize, what: String| format!("{name}:{}:{col}: {what}", i + 1);
            let [(dc, days), (hc, hours), (mc, mean), (sc, dev)] = fields[..] else {
                return Err(err(
                    1,
                    format!("expected DAYS HOURS MEAN DEVIATION, got {} fields", fields.len()),
                ));
            };
            let days = list(days, 0, 6, day_number).map_err(|w| err(dc, w))?;
            let hours = list(hours, 0, 23, |s| s.parse().ok().filter(|h| *h < 24)).map_err(|w| err(hc, w))?;
            let number = |s: &str, c: usize| {
                crate::units::parse_count_f64(s).map_err(|_| err(c, format!("`{s}` is not a non-negative number")))
            };
            let (mean, dev) = (number(mean, mc)?, number(dev, sc)?);
            for d in &days {
                for h in &hours {
                    cells[*d][*h] = (mean, dev);
                }
            }
            rules += 1;
        }
        if rules == 0 {
            return Err(format!(
                "{name}:1:1: no rules; write e.g. `* * 100 10` (every day, every hour, mean 100/s)"
            ));
        }
        Ok(Periodic { cells, smooth, tz })
    }

    /// Mean and deviation at wall-clock instant `ms`.
    pub fn at(&self, ms: i64) -> (f64, f64) {
        let Ok(ts) = jiff::Timestamp::from_millisecond(ms) else {
            return (0.0, 0.0);
        };
        let dt = self.tz.to_datetime(ts);
        let day = dt.weekday().to_sunday_zero_offset() as usize;
        let hour = dt.hour() as usize;
        let here = self.cells[day][hour];
        if !self.smooth {
            return here;
        }
        let (next_day, next_hour) = if hour == 23 {
            ((day + 1) % 7, 0)
        } else {
            (day, hour + 1)
        };
        let next = self.cells[next_day][next_hour];
        let f = (f64::from(dt.minute()) + f64::from(dt.second()) / 60.0) / 60.0;
        (here.0 + (next.0 - here.0) * f, here.1 + (next.1 - here.1) * f)
    }

    /// Records in second `s` of a run whose clock starts at `start_ms`: a normal draw, rounded
    /// up, never below zero.
    pub fn count(&self, seed: u64, start_ms: i64, s: u64) -> u64 {
        let (mean, dev) = self.at(start_ms + s as i64 * 1000);
        let z = standard_normal(seed, s);
        (mean + dev * z).ceil().max(0.0) as u64
    }
}

fn day_number(s: &str) -> Option<usize> {
    DAYS.iter().position(|d| s.eq_ignore_ascii_case(d))
}

/// `*`, `a`, `a-b` or comma lists of those.
fn list(s: &str, lo: usize, hi: usize, one: impl Fn(&str) -> Option<usize>) -> Result<Vec<usize>, String> {
    if s == "*" {
        return Ok((lo..=hi).collect());
    }
    let mut out = Vec::new();
    for part in s.split(',') {
        let bad = || format!("`{part}` is not a day (sun..sat) or hour (0..23), a range like mon-fri or 9-17, or *");
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (one(a).ok_or_else(bad)?, one(b).ok_or_else(bad)?);
                if a > b {
                    return Err(format!("the range `{part}` runs backwards"));
                }
                out.extend(a..=b);
            }
            None => out.push(one(part).ok_or_else(bad)?),
        }
    }
    Ok(out)
}

/// A standard normal draw for second `s` (Box–Muller on two hashed uniforms).
fn standard_normal(seed: u64, s: u64) -> f64 {
    let a = crate::faker::splitmix64(seed ^ 0x6e6f_726d ^ crate::faker::splitmix64(s));
    let b = crate::faker::splitmix64(a);
    let u1 = ((a >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
    let u2 = crate::faker::unit_of(b);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str, smooth: bool) -> Periodic {
        Periodic::parse(text, "p.txt", smooth, TimeZone::UTC).unwrap()
    }

    /// 2026-11-23 is a Monday; this is 09:00 UTC.
    const MON_9: i64 = 1_795_424_400_000;

    #[test]
    fn later_rules_override_earlier_ones() {
        let p = utc(
            "* * 100 10\nmon-fri 9-17 1000 100 # office hours\nsat,sun * 50 5\n",
            false,
        );
        assert_eq!(p.at(MON_9), (1000.0, 100.0));
        assert_eq!(p.at(MON_9 - 3_600_000), (100.0, 10.0));
        assert_eq!(p.at(MON_9 - 2 * 86_400_000), (50.0, 5.0), "Saturday");
    }

    #[test]
    fn smoothing_moves_toward_the_next_hour_and_wraps_to_the_next_day() {
        let p = utc("* * 100 0\nmon 10 200 0\ntue 0 400 0\n", true);
        assert_eq!(p.at(MON_9 + 30 * 60_000).0, 150.0, "half way from 9:00 to 10:00");
        // Monday 23:30 moves toward Tuesday 00:00, not Sunday's (KDG's bug).
        let mon_2330 = MON_9 + 14 * 3_600_000 + 30 * 60_000;
        assert_eq!(p.at(mon_2330).0, 250.0);
    }

    #[test]
    fn counts_follow_mean_and_deviation() {
        let p = utc("* * 100 10", false);
        let counts: Vec<f64> = (0..5000).map(|s| p.count(3, MON_9, s) as f64).collect();
        let mean = counts.iter().sum::<f64>() / counts.len() as f64;
        let sd = (counts.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / counts.len() as f64).sqrt();
        // Rounding up adds half a record on average.
        assert!((mean - 100.5).abs() < 0.8, "{mean}");
        assert!((sd - 10.0).abs() < 0.8, "{sd}");
        assert_eq!(p.count(3, MON_9, 7), p.count(3, MON_9, 7));
        // Draws below zero become zero records, not a panic or a wrap-around.
        let night = utc("* * 0 5", false);
        assert!((0..200).map(|s| night.count(1, MON_9, s)).any(|c| c == 0));
        assert!((0..200).all(|s| night.count(1, MON_9, s) < 30));
    }

    #[test]
    fn errors_name_line_and_column() {
        let e = Periodic::parse("* * 1 1\nmon-fry 9 1 1", "p.txt", true, TimeZone::UTC).unwrap_err();
        assert!(e.starts_with("p.txt:2:1: "), "{e}");
        let e = Periodic::parse("* 25 1 1", "p.txt", true, TimeZone::UTC).unwrap_err();
        assert!(e.starts_with("p.txt:1:3: "), "{e}");
        let e = Periodic::parse("*  *  x 1", "p.txt", true, TimeZone::UTC).unwrap_err();
        assert!(e.starts_with("p.txt:1:7: "), "{e}");
        assert!(Periodic::parse("# nothing\n", "p.txt", true, TimeZone::UTC)
            .unwrap_err()
            .contains("no rules"));
    }
}
