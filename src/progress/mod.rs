//! Everything kdg writes for people: the live progress line on stderr (one per job for a
//! scenario).
//!
//! The engine hands over [`Live`] views; this module decides how (and whether) to show them: an
//! indicatif line redrawn in place when stderr is a terminal, one plain line every 5 s when it is
//! not, nothing with `--quiet`. It never writes to stdout, which may be carrying records; when
//! both share a terminal, the stdout sink writes inside [`Progress::around_records`], so the live
//! line stays below the records.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::engine::Live;
use crate::sink::Around;
use crate::units::{human_bytes, human_count};

/// How often the plain (non-terminal) progress line is printed.
const PLAIN_EVERY: Duration = Duration::from_secs(5);

/// The live progress display.
pub struct Progress {
    mode: Mode,
}

enum Mode {
    Quiet,
    Bar(ProgressBar),
    Plain { last: Instant },
}

impl Progress {
    /// A display for stderr: hidden with `quiet`, plain when stderr is not a terminal.
    pub fn stderr(quiet: bool) -> Progress {
        let mode = if quiet {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(4));
            bar.set_style(ProgressStyle::with_template("{spinner} {msg}").expect("valid template"));
            Mode::Bar(bar)
        } else {
            Mode::Plain { last: Instant::now() }
        };
        Progress { mode }
    }

    /// Show a live view.
    pub fn update(&mut self, live: &Live) {
        match &mut self.mode {
            Mode::Quiet => {}
            Mode::Bar(bar) => {
                bar.set_message(line(live));
                bar.tick();
            }
            Mode::Plain { last } => {
                if last.elapsed() >= PLAIN_EVERY {
                    *last = Instant::now();
                    eprintln!("{}", line(live));
                }
            }
        }
    }

    /// When records on stdout and this line share the terminal: what each write of records
    /// runs inside, so the line is cleared before the records and redrawn below them, and
    /// stays the last line (no stale copies between records).
    pub fn around_records(&self) -> Option<Around> {
        match &self.mode {
            Mode::Bar(bar) if std::io::stdout().is_terminal() => {
                let bar = bar.clone();
                Some(Box::new(move |write: &mut dyn FnMut()| bar.suspend(write)))
            }
            _ => None,
        }
    }

    /// Remove the live line before the report is printed.
    pub fn finish(&mut self) {
        if let Mode::Bar(bar) = &self.mode {
            bar.finish_and_clear();
        }
    }
}

/// The live display of a scenario: one line per job, each prefixed with its name.
pub struct JobsProgress {
    names: Vec<String>,
    mode: JobsMode,
}

enum JobsMode {
    Quiet,
    Bars(indicatif::MultiProgress, Vec<ProgressBar>),
    Plain { last: Vec<Instant> },
}

impl JobsProgress {
    /// A display for stderr: hidden with `quiet`, plain lines when stderr is not a terminal.
    pub fn stderr(quiet: bool, names: &[String]) -> JobsProgress {
        let mode = if quiet {
            JobsMode::Quiet
        } else if std::io::stderr().is_terminal() {
            let multi = indicatif::MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(4));
            let style = ProgressStyle::with_template("{prefix:.bold} {msg}").expect("valid template");
            let width = names.iter().map(String::len).max().unwrap_or(0);
            let bars = names
                .iter()
                .map(|n| {
                    let bar = multi.add(ProgressBar::hidden());
                    bar.set_style(style.clone());
                    bar.set_prefix(format!("{n:<width$}"));
                    bar
                })
                .collect();
            JobsMode::Bars(multi, bars)
        } else {
            JobsMode::Plain {
                last: vec![Instant::now(); names.len()],
            }
        };
        JobsProgress {
            names: names.to_vec(),
            mode,
        }
    }

    /// Show job `i`'s live view.
    pub fn update(&mut self, i: usize, live: &Live) {
        match &mut self.mode {
            JobsMode::Quiet => {}
            JobsMode::Bars(_, bars) => {
                bars[i].set_message(line(live));
                bars[i].tick();
            }
            JobsMode::Plain { last } => {
                if last[i].elapsed() >= PLAIN_EVERY {
                    last[i] = Instant::now();
                    eprintln!("{}: {}", self.names[i], line(live));
                }
            }
        }
    }

    /// As [`Progress::around_records`], for every job's line at once.
    pub fn around_records(&self) -> Option<Around> {
        match &self.mode {
            JobsMode::Bars(multi, _) if std::io::stdout().is_terminal() => {
                let multi = multi.clone();
                Some(Box::new(move |write: &mut dyn FnMut()| multi.suspend(write)))
            }
            _ => None,
        }
    }

    /// Remove the live lines before the reports are printed.
    pub fn finish(&mut self) {
        if let JobsMode::Bars(multi, bars) = &self.mode {
            for b in bars {
                b.finish_and_clear();
            }
            let _ = multi.clear();
        }
    }
}

/// One progress line: `12.0s/30s  1.00k/s (avg 998/s, target 1.00k/s)  sent 12.0k  failed 0 ...`.
pub fn line(l: &Live) -> String {
    let elapsed = match l.planned {
        Some(p) => format!("{:.1}s/{}s", l.elapsed.as_secs_f64(), p.as_secs()),
        None => format!("{:.1}s", l.elapsed.as_secs_f64()),
    };
    let target = l
        .target_now
        .or(l.target_rps)
        .map_or_else(|| "max".to_string(), |t| format!("{}/s", human_count(t)));
    let retries = if l.total.throttled + l.total.retried > 0 {
        format!(
            "  throttled {} retried {}",
            human_count(l.total.throttled as f64),
            human_count(l.total.retried as f64)
        )
    } else {
        String::new()
    };
    let sent = match l.planned_records {
        Some(n) => format!("{}/{}", human_count(l.total.delivered as f64), human_count(n as f64)),
        None => human_count(l.total.delivered as f64),
    };
    let draining = l.draining.map_or_else(String::new, |left| {
        format!(
            "  draining: {} requests in flight, cut off in {:.1}s",
            l.in_flight,
            left.as_secs_f64()
        )
    });
    let cause = l.lag_cause.map_or_else(String::new, |c| format!(" ({})", c.label()));
    format!(
        "{elapsed}  {}/s (avg {}/s, target {target})  sent {sent}  failed {}{retries}  {}/s  p50 {:.1}ms p99 {:.1}ms (since start {:.1}/{:.1}ms)  in flight {}  lag {:.0}ms{cause}{draining}",
        human_count(l.rps_now),
        human_count(l.rps_avg),
        human_count((l.total.failed + l.total.rejected) as f64),
        human_bytes(l.bytes_per_s),
        l.p50_window_ms,
        l.p99_window_ms,
        l.p50_ms,
        l.p99_ms,
        l.in_flight,
        l.lag.as_secs_f64() * 1000.0,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::LagCause;

    #[test]
    fn progress_line_shows_rates_totals_latency_and_lag() {
        let mut live = Live {
            elapsed: Duration::from_millis(12_000),
            planned: Some(Duration::from_secs(30)),
            target_rps: Some(1000.0),
            rps_now: 1000.0,
            rps_avg: 998.0,
            bytes_per_s: 70_000.0,
            p50_ms: 1.25,
            p99_ms: 3.5,
            p50_window_ms: 1.5,
            p99_window_ms: 4.25,
            lag: Duration::from_millis(2),
            ..Live::default()
        };
        live.total.delivered = 12_000;
        let s = line(&live);
        for want in [
            "12.0s/30s",
            "1000/s (avg 998/s, target 1000/s)",
            "sent 12.0k",
            "failed 0",
            "p50 1.5ms p99 4.2ms (since start 1.2/3.5ms)",
            "lag 2ms",
        ] {
            assert!(s.contains(want), "{want:?} not in {s:?}");
        }
        assert!(!s.contains("-bound"), "no cause under 100 ms of lag: {s}");
        assert!(!s.contains("draining"), "{s}");
        assert!(!s.contains("throttled"), "{s}");
        live.total.throttled = 1500;
        live.total.retried = 1200;
        live.target_now = Some(250.0);
        let s = line(&live);
        assert!(s.contains("throttled 1500 retried 1200"), "{s}");
        assert!(s.contains("target 250/s"), "the ramp's current target: {s}");
        live.lag = Duration::from_millis(1500);
        for (cause, says) in [
            (LagCause::Destination, "lag 1500ms (destination-bound)"),
            (LagCause::Generator, "lag 1500ms (generator-bound)"),
            (LagCause::Throttled, "lag 1500ms (throttled)"),
        ] {
            live.lag_cause = Some(cause);
            assert!(line(&live).contains(says), "{says:?} not in {}", line(&live));
        }
        // Flat out (`--rps max`), and a run bounded by `--count` instead of a duration.
        let mut max = Live {
            elapsed: Duration::from_millis(2_500),
            planned_records: Some(50_000),
            ..Live::default()
        };
        max.total.delivered = 12_000;
        let s = line(&max);
        assert!(
            s.starts_with("2.5s  ") && s.contains("target max)") && s.contains("sent 12.0k/50.0k"),
            "{s}"
        );
        live.in_flight = 3;
        live.draining = Some(Duration::from_millis(4_500));
        let s = line(&live);
        assert!(s.contains("draining: 3 requests in flight, cut off in 4.5s"), "{s}");
    }
}
