//! kdg peer: the ceiling for generating KDG-shaped records on one machine.
//!
//! Writes the PRICE or TRANSACTION record of `scripts/bench-compare.sh` (same fields, same
//! inclusive ranges, same bytes as KDG renders them, `ts` in moment's default format for UTC:
//! `2026-11-22T19:26:12+00:00`) followed by `\n`, as fast as a hand-written loop can: no template,
//! no allocation per record, a small xorshift generator, digits written by hand, and the
//! timestamp text rebuilt only when the second changes. Output goes to /dev/null (or stdout) in
//! 64 KiB writes. No dependencies.
//!
//! ```text
//! kdg-peer-ceiling [-t price|transaction|all] [--clock record|chunk|all] [--threads 1,2]
//!                  [-s SECONDS] [-r RUNS] [--json] [--stdout] [--emit N]
//! ```
//!
//! * `--clock record` reads the system clock for every record (as a real generator must);
//!   `--clock chunk` once per 65,536 records, to show what the clock read costs.
//! * `--threads 1,2` runs each configuration with 1 and then 2 threads (each its own output).
//! * `--stdout` writes to stdout, to measure a pipe: `kdg-peer-ceiling --stdout | cat > /dev/null`.
//! * `--emit N` prints N records of each template and exits.
//!
//! Each configuration prints one result line (to stderr with `--stdout`); with `--json` it is a JSON
//! object with `median_rec_s` among its keys.

use std::fs::File;
use std::io::{self, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Records between clock reads with `--clock chunk`.
const CHUNK: u64 = 65_536;
/// Records between deadline checks.
const CHECK: u64 = 4_096;
/// Output buffer size.
const FLUSH_AT: usize = 64 * 1024;

#[derive(Clone, Copy, PartialEq)]
enum Template {
    Price,
    Transaction,
}

impl Template {
    fn name(self) -> &'static str {
        match self {
            Template::Price => "price",
            Template::Transaction => "transaction",
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Clock {
    Record,
    Chunk,
}

impl Clock {
    fn name(self) -> &'static str {
        match self {
            Clock::Record => "record",
            Clock::Chunk => "chunk",
        }
    }
}

/// xorshift64*: small, fast, and good enough to pick field values.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    /// Uniform in `lo..=hi` (multiply-shift; the bias is far below what matters here).
    #[inline]
    fn between(&mut self, lo: u32, hi: u32) -> u32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let r = (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as u32;
        lo + ((u64::from(r) * u64::from(hi - lo + 1)) >> 32) as u32
    }
}

/// Append `v` in decimal.
#[inline]
fn push_u32(out: &mut Vec<u8>, mut v: u32) {
    let mut digits = [0u8; 10];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// `YYYY-MM-DDTHH:mm:ss+00:00` for the current UNIX second, rebuilt when the second changes.
struct Stamp {
    second: u64,
    text: [u8; 25],
}

impl Stamp {
    fn new() -> Stamp {
        let mut s = Stamp {
            second: u64::MAX,
            text: [0; 25],
        };
        s.update();
        s
    }

    #[inline]
    fn update(&mut self) {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        if now != self.second {
            self.second = now;
            self.text = format_utc(now);
        }
    }
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (the usual era arithmetic).
fn date_of(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = (if mp < 10 { mp + 3 } else { mp - 9 }) as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn format_utc(unix: u64) -> [u8; 25] {
    let (year, month, day) = date_of((unix / 86_400) as i64);
    let secs = unix % 86_400;
    let text = format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}+00:00",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
    let mut out = [0u8; 25];
    out.copy_from_slice(&text.as_bytes()[..25]);
    out
}

#[inline]
fn write_record(t: Template, rng: &mut Rng, ts: &[u8; 25], out: &mut Vec<u8>) {
    match t {
        Template::Price => {
            out.extend_from_slice(b"{\"instrument_id\": ");
            push_u32(out, rng.between(0, 50));
            out.extend_from_slice(b", \"price\": ");
            push_u32(out, rng.between(1, 15));
        }
        Template::Transaction => {
            out.extend_from_slice(b"{\"book_id\": ");
            push_u32(out, rng.between(1, 10));
            out.extend_from_slice(b", \"trader_id\": ");
            push_u32(out, rng.between(1, 20));
            out.extend_from_slice(b", \"instrument_id\": ");
            push_u32(out, rng.between(1, 50));
            out.extend_from_slice(b", \"qty\": ");
            push_u32(out, rng.between(1000, 5000));
            out.extend_from_slice(b", \"price\": ");
            push_u32(out, rng.between(1, 15));
        }
    }
    out.extend_from_slice(b", \"ts\": \"");
    out.extend_from_slice(ts);
    out.extend_from_slice(b"\"}\n");
}

/// One thread's run: (records, bytes).
fn worker(t: Template, clock: Clock, seed: u64, run_for: Duration, to_stdout: bool) -> io::Result<(u64, u64)> {
    let mut sink: Box<dyn Write> = if to_stdout {
        Box::new(io::stdout().lock())
    } else {
        Box::new(File::create("/dev/null")?)
    };
    let mut rng = Rng::new(seed);
    let mut stamp = Stamp::new();
    let mut buf = Vec::with_capacity(FLUSH_AT + 256);
    let (mut records, mut bytes) = (0u64, 0u64);
    let start = Instant::now();
    loop {
        for _ in 0..CHECK {
            if clock == Clock::Record || records % CHUNK == 0 {
                stamp.update();
            }
            write_record(t, &mut rng, &stamp.text, &mut buf);
            records += 1;
            if buf.len() >= FLUSH_AT {
                sink.write_all(&buf)?;
                bytes += buf.len() as u64;
                buf.clear();
            }
        }
        if start.elapsed() >= run_for {
            break;
        }
    }
    sink.write_all(&buf)?;
    sink.flush()?;
    bytes += buf.len() as u64;
    Ok((records, bytes))
}

/// One timed run over `threads` threads: (records/s, bytes per record).
fn run(
    t: Template,
    clock: Clock,
    threads: usize,
    run_for: Duration,
    to_stdout: bool,
    seed: u64,
) -> io::Result<(f64, f64)> {
    let start = Instant::now();
    let results: Vec<io::Result<(u64, u64)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|i| s.spawn(move || worker(t, clock, seed.wrapping_add(i as u64 * 0x9E37_79B9), run_for, to_stdout)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("worker panicked"))
            .collect()
    });
    let elapsed = start.elapsed().as_secs_f64();
    let (mut records, mut bytes) = (0u64, 0u64);
    for r in results {
        let (n, b) = r?;
        records += n;
        bytes += b;
    }
    Ok((records as f64 / elapsed, bytes as f64 / records as f64))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

struct Options {
    templates: Vec<Template>,
    clocks: Vec<Clock>,
    threads: Vec<usize>,
    seconds: f64,
    runs: usize,
    json: bool,
    stdout: bool,
    emit: usize,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        templates: vec![Template::Price, Template::Transaction],
        clocks: vec![Clock::Record, Clock::Chunk],
        threads: vec![1],
        seconds: 5.0,
        runs: 3,
        json: false,
        stdout: false,
        emit: 0,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "-t" | "--template" => {
                o.templates = match value()?.as_str() {
                    "price" => vec![Template::Price],
                    "transaction" => vec![Template::Transaction],
                    "all" => vec![Template::Price, Template::Transaction],
                    other => return Err(format!("unknown template {other}")),
                }
            }
            "--clock" => {
                o.clocks = match value()?.as_str() {
                    "record" => vec![Clock::Record],
                    "chunk" => vec![Clock::Chunk],
                    "all" => vec![Clock::Record, Clock::Chunk],
                    other => return Err(format!("unknown clock {other}")),
                }
            }
            "--threads" => {
                o.threads = value()?
                    .split(',')
                    .map(|s| s.parse().ok().filter(|n| *n > 0).ok_or(format!("bad thread count {s}")))
                    .collect::<Result<_, _>>()?
            }
            "-s" | "--seconds" => o.seconds = value()?.parse().map_err(|_| "bad --seconds".to_string())?,
            "-r" | "--runs" => o.runs = value()?.parse().map_err(|_| "bad --runs".to_string())?,
            "--emit" => o.emit = value()?.parse().map_err(|_| "bad --emit".to_string())?,
            "--json" => o.json = true,
            "--stdout" => o.stdout = true,
            "-h" | "--help" => return Err("see the header of benches/peers/ceiling/src/main.rs".to_string()),
            other => return Err(format!("unknown option {other}")),
        }
    }
    if o.runs == 0 || !(o.seconds > 0.0) {
        return Err("--runs and --seconds must be positive".to_string());
    }
    Ok(o)
}

fn main() -> ExitCode {
    match real_main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kdg-peer-ceiling: {e}");
            ExitCode::FAILURE
        }
    }
}

fn real_main() -> Result<(), String> {
    let o = options()?;
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64);
    if o.emit > 0 {
        let mut rng = Rng::new(seed);
        let stamp = Stamp::new();
        let mut out = Vec::new();
        for &t in &o.templates {
            for _ in 0..o.emit {
                write_record(t, &mut rng, &stamp.text, &mut out);
            }
        }
        return io::stdout().write_all(&out).map_err(|e| e.to_string());
    }
    let run_for = Duration::from_secs_f64(o.seconds);
    let sink = if o.stdout { "stdout" } else { "/dev/null" };
    for &t in &o.templates {
        for &clock in &o.clocks {
            for &threads in &o.threads {
                // An untimed short run first: page faults, frequency ramp-up.
                run(t, clock, threads, Duration::from_millis(200), o.stdout, seed).map_err(|e| e.to_string())?;
                let mut rates = Vec::with_capacity(o.runs);
                let mut per_line = 0.0;
                for r in 0..o.runs {
                    let (rate, b) =
                        run(t, clock, threads, run_for, o.stdout, seed ^ r as u64).map_err(|e| e.to_string())?;
                    rates.push(rate);
                    per_line = b;
                }
                let med = median(rates.clone());
                let runs: Vec<String> = rates.iter().map(|r| format!("{}", r.round() as u64)).collect();
                let line = if o.json {
                    format!(
                        "{{\"peer\":\"rust-ceiling\",\"sink\":\"{sink}\",\"template\":\"{}\",\"clock\":\"{}\",\
                         \"threads\":{threads},\"runs_rec_s\":[{}],\"median_rec_s\":{},\"bytes_per_line\":{:.1},\
                         \"median_MB_s\":{:.1}}}",
                        t.name(),
                        clock.name(),
                        runs.join(","),
                        med.round() as u64,
                        per_line,
                        med * per_line / 1e6
                    )
                } else {
                    format!(
                        "{:<12} clock={:<6} threads={threads}  median {:>12.0} rec/s  runs=[{}]  {:.1} B/line  {:.0} MB/s",
                        t.name(),
                        clock.name(),
                        med,
                        runs.join(", "),
                        per_line,
                        med * per_line / 1e6
                    )
                };
                // With --stdout the records own stdout, so results go to stderr.
                if o.stdout {
                    eprintln!("{line}");
                } else {
                    println!("{line}");
                }
            }
        }
    }
    Ok(())
}
