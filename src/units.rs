//! Parsing of human-friendly quantities on the command line: `10k`, `1.5M`, `10s`, `5m`, `1h30m`.
//!
//! Pure functions returning `Result<_, String>` so clap can show the message next to the flag.

use std::time::Duration;

/// Parse a count with an optional SI suffix: `500`, `10k`, `1.5M`, `2G` (also `_` separators).
///
/// # Errors
/// Not a non-negative whole number after applying the suffix.
pub fn parse_count(s: &str) -> Result<u64, String> {
    let v = parse_scaled(s)?;
    if v.fract() != 0.0 || v > u64::MAX as f64 {
        return Err(format!("`{s}` is not a whole number (examples: 1000, 10k, 1.5M)"));
    }
    Ok(v as u64)
}

/// Parse a rate in records per second: like [`parse_count`], but fractions are allowed (`0.5`).
///
/// # Errors
/// Not a positive finite number.
pub fn parse_rate(s: &str) -> Result<f64, String> {
    let v = parse_scaled(s)?;
    if v <= 0.0 {
        return Err(format!(
            "`{s}` must be greater than zero (examples: 1000, 10k, 0.5, max)"
        ));
    }
    Ok(v)
}

/// Parse a non-negative number with an optional SI suffix (`0`, `2.5k`): a rate in a profile.
///
/// # Errors
/// Not a non-negative finite number.
pub fn parse_count_f64(s: &str) -> Result<f64, String> {
    parse_scaled(s)
}

fn parse_scaled(s: &str) -> Result<f64, String> {
    let t: String = s.trim().chars().filter(|c| *c != '_').collect();
    let (num, mult) = match t.chars().last() {
        Some('k' | 'K') => (&t[..t.len() - 1], 1e3),
        Some('m' | 'M') => (&t[..t.len() - 1], 1e6),
        Some('g' | 'G') => (&t[..t.len() - 1], 1e9),
        _ => (&t[..], 1.0),
    };
    let v: f64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a number (examples: 1000, 10k, 1.5M)"))?;
    if !v.is_finite() || v < 0.0 {
        return Err(format!("`{s}` must be a non-negative number"));
    }
    Ok(v * mult)
}

/// Parse a duration: `500ms`, `10s`, `5m`, `2h`, `1h30m`, or a bare number of seconds.
///
/// # Errors
/// Unknown unit, missing number, or a zero duration.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let bad = || format!("`{s}` is not a duration (examples: 500ms, 10s, 5m, 1h30m)");
    if t.is_empty() {
        return Err(bad());
    }
    if let Ok(secs) = t.parse::<f64>() {
        return positive(Duration::try_from_secs_f64(secs).map_err(|_| bad())?, s);
    }
    let mut total = Duration::ZERO;
    let mut rest = t;
    while !rest.is_empty() {
        let n_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).ok_or_else(bad)?;
        if n_end == 0 {
            return Err(bad());
        }
        let n: f64 = rest[..n_end].parse().map_err(|_| bad())?;
        rest = &rest[n_end..];
        let u_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let secs = match &rest[..u_end] {
            "ms" => n / 1000.0,
            "s" | "sec" => n,
            "m" | "min" => n * 60.0,
            "h" => n * 3600.0,
            "d" => n * 86400.0,
            _ => return Err(bad()),
        };
        total += Duration::try_from_secs_f64(secs).map_err(|_| bad())?;
        rest = &rest[u_end..];
    }
    positive(total, s)
}

fn positive(d: Duration, s: &str) -> Result<Duration, String> {
    if d.is_zero() {
        Err(format!("`{s}` must be longer than zero"))
    } else {
        Ok(d)
    }
}

/// Format a count compactly for humans: `999`, `12.3k`, `4.56M`.
pub fn human_count(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{:.2}G", v / 1e9)
    } else if a >= 1e6 {
        format!("{:.2}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.1}k", v / 1e3)
    } else if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// Format bytes with binary units: `512 B`, `1.50 KiB`, `3.25 MiB`; nothing, or nonsense, is `0 B`.
pub fn human_bytes(v: f64) -> String {
    if !v.is_finite() || v <= 0.0 {
        return "0 B".to_owned();
    }
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = v;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{v:.0} {}", UNITS[u])
    } else {
        format!("{v:.2} {}", UNITS[u])
    }
}

/// Durations in JSON as a number of milliseconds (`"budget_ms": 60000`), never serde's
/// `{"secs", "nanos"}` object: `#[serde(serialize_with = "crate::units::ms")]`.
///
/// # Errors
/// As the serializer's.
pub fn ms<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(duration_ms(*d))
}

/// A duration in milliseconds, exactly to the nanosecond (`as_secs_f64() * 1000.0` turns
/// 420 µs into 0.42000000000000004).
pub fn duration_ms(d: Duration) -> f64 {
    d.as_nanos() as f64 / 1e6
}

/// A 64-bit integer in JSON as a string: seeds go above 2^53, where JavaScript and jq 1.6
/// round numbers (and a copied seed would give other data).
///
/// # Errors
/// As the serializer's.
pub fn as_string<S: serde::Serializer>(n: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_take_si_suffixes() {
        assert_eq!(parse_count("10k"), Ok(10_000));
        assert_eq!(parse_count("1.5M"), Ok(1_500_000));
        assert_eq!(parse_count("50_000"), Ok(50_000));
        assert_eq!(parse_count("0"), Ok(0));
        assert!(parse_count("1.5").is_err());
        assert!(parse_count("-3").is_err());
        assert!(parse_count("ten").is_err());
    }

    #[test]
    fn rates_must_be_positive() {
        assert_eq!(parse_rate("2.5k"), Ok(2500.0));
        assert_eq!(parse_rate("0.5"), Ok(0.5));
        assert!(parse_rate("0").is_err());
        assert!(parse_rate("-1").is_err());
        assert!(parse_rate("inf").is_err());
    }

    #[test]
    fn durations_take_units_and_combinations() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("10x").is_err());
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn human_formats() {
        assert_eq!(human_count(999.0), "999");
        assert_eq!(human_count(12_345.0), "12.3k");
        assert_eq!(human_count(4_560_000.0), "4.56M");
        assert_eq!(human_bytes(512.0), "512 B");
        assert_eq!(human_bytes(1536.0), "1.50 KiB");
    }
}
