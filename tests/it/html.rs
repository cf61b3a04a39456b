//! The HTML report from a real run, opened in a real headless browser (Debian's chromium).
//!
//! The report and timeline come from `kdg run --report-json --timeline` and are rendered with
//! `kdg::report::html::write_html`. Chromium parses the page (`--dump-dom`) and screenshots it.
//! Without `/usr/bin/chromium` the browser checks are skipped (the page is still rendered and
//! checked as text), unless `KDG_REQUIRE_CHROMIUM=1` (set by `scripts/browser-check.sh test`),
//! which makes a missing browser a failure. `KDG_HTML_OUT=DIR` keeps the pages and screenshots.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kdg::report::html::write_html;
use kdg::report::Report;
use kdg::stats::{ShardCounts, TimelineRow};

use crate::common::*;

const CHROMIUM: &str = "/usr/bin/chromium";
/// Longest a browser run may take before it is killed.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(60);

/// The browser, or `None` (after saying so) when it is missing and not required.
pub(crate) fn chromium() -> Option<&'static str> {
    if Path::new(CHROMIUM).exists() {
        return Some(CHROMIUM);
    }
    if std::env::var("KDG_REQUIRE_CHROMIUM").as_deref() == Ok("1") {
        panic!("chromium is not installed at {CHROMIUM}: run scripts/browser-check.sh");
    }
    eprintln!("skipped: chromium not installed (scripts/browser-check.sh installs it)");
    None
}

/// Where the pages go: `$KDG_HTML_OUT` when set (kept), else a temporary directory.
fn out_dir() -> (PathBuf, Option<tempfile::TempDir>) {
    match std::env::var_os("KDG_HTML_OUT") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            std::fs::create_dir_all(&dir).expect("create KDG_HTML_OUT");
            (dir, None)
        }
        None => {
            let tmp = tempfile::tempdir().expect("tempdir");
            (tmp.path().to_path_buf(), Some(tmp))
        }
    }
}

/// A real run's report and timeline, from the binary's JSON files.
fn real_run(dir: &Path, name: &str) -> (Report, Vec<TimelineRow>) {
    let report = dir.join(format!("{name}.json"));
    let timeline = dir.join(format!("{name}.ndjson"));
    let o = run(kdg(&[
        "run",
        "templates/price.hbs",
        "--rps",
        "2000",
        "-n",
        "6000",
        "--sink",
        "null",
        "--quiet",
        "--report-json",
        report.to_str().expect("utf-8 path"),
        "--timeline",
        timeline.to_str().expect("utf-8 path"),
    ]));
    assert!(o.status.success(), "kdg run failed: {}", stderr(&o));
    let report: Report =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("report written")).expect("report parses");
    let rows: Vec<TimelineRow> = std::fs::read_to_string(&timeline)
        .expect("timeline written")
        .lines()
        .map(|l| serde_json::from_str(l).expect("timeline row parses"))
        .collect();
    assert!(!rows.is_empty(), "a 3 s run has timeline rows");
    (report, rows)
}

fn render(report: &Report, rows: &[TimelineRow], path: &Path) -> String {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("create html"));
    write_html(report, rows, &mut f).expect("html written");
    drop(f);
    std::fs::read_to_string(path).expect("html readable")
}

/// What one browser run printed.
struct Browser {
    stdout: String,
    stderr: String,
}

/// Run headless chromium on `page` with `extra` flags, killed after [`BROWSER_TIMEOUT`].
fn browser(bin: &str, profile: &Path, page: &Path, extra: &[&str]) -> Browser {
    let mut cmd = Command::new(bin);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(extra)
    .arg(format!("file://{}", page.display()))
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("chromium starts");
    let drain = |s: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut s) = s {
                let _ = s.read_to_end(&mut buf);
            }
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = drain(child.stdout.take().map(|s| Box::new(s) as _));
    let err = drain(child.stderr.take().map(|s| Box::new(s) as _));
    let deadline = Instant::now() + BROWSER_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for chromium") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium {extra:?} did not finish within {BROWSER_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let b = Browser {
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
    };
    assert!(
        status.success(),
        "chromium {extra:?} exited with {status}:\n{}",
        b.stderr
    );
    b
}

/// Parse the page in the browser and screenshot it; returns the DOM as the browser serializes it.
pub(crate) fn check_in_browser(bin: &str, dir: &Path, page: &Path, name: &str) -> String {
    let profile = tempfile::tempdir().expect("profile dir");
    let dom = browser(bin, profile.path(), page, &["--dump-dom"]);
    for line in dom.stderr.lines() {
        // The page has no scripts and may load nothing: the CSP would report any attempt.
        assert!(
            !line.contains("Content Security Policy") && !line.contains("Uncaught") && !line.contains("CONSOLE"),
            "browser complained about the page: {line}"
        );
    }

    let png = dir.join(format!("{name}.png"));
    let _ = std::fs::remove_file(&png);
    let shot = browser(
        bin,
        profile.path(),
        page,
        &[&format!("--screenshot={}", png.display()), "--window-size=1280,2000"],
    );
    let bytes =
        std::fs::read(&png).unwrap_or_else(|e| panic!("no screenshot at {}: {e}\n{}", png.display(), shot.stderr));
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    let (w, h) = (
        u32::from_be_bytes(bytes[16..20].try_into().expect("4 bytes")),
        u32::from_be_bytes(bytes[20..24].try_into().expect("4 bytes")),
    );
    assert_eq!((w, h), (1280, 2000), "screenshot size");
    // A blank page compresses to a few KiB; text, tables and charts do not.
    assert!(
        bytes.len() > 40_000,
        "screenshot is nearly empty: {} bytes",
        bytes.len()
    );
    dom.stdout
}

pub(crate) fn embedded<'d>(dom: &'d str, id: &str) -> &'d str {
    let start = format!("<script type=\"application/json\" id=\"{id}\">");
    let from = dom.find(&start).unwrap_or_else(|| panic!("no {id} block")) + start.len();
    &dom[from..from + dom[from..].find("</script>").expect("end of block")]
}

#[test]
fn html_report_of_a_real_run_renders_in_a_browser() {
    let (dir, _keep) = out_dir();
    let (report, rows) = real_run(&dir, "run");
    let page = dir.join("run.html");
    let html = render(&report, &rows, &page);
    assert!(html.contains("<div class=\"badge\">PASS</div>"));
    assert!(html.contains("<td class=\"mono\">template.path</td><td class=\"wrap\">templates/price.hbs</td>"));
    assert!(
        html.contains("<td class=\"mono\">linger</td><td class=\"wrap\">1 ms</td>"),
        "durations are readable"
    );
    assert!(html.contains("No per-shard data"));

    let Some(bin) = chromium() else { return };
    let dom = check_in_browser(bin, &dir, &page, "run");
    assert!(dom.contains("<title>kdg report: PASS, "), "{dom:.400}");
    assert_eq!(dom.matches("<svg").count(), 5, "five per-second charts");
    assert_eq!(
        dom.matches("<polyline").count(),
        10,
        "offered, delivered, target, throttled, failed, p99 ×2, lag ×2, bytes"
    );
    assert!(dom.contains("data-series=\"target\""));
    let back: Report = serde_json::from_str(embedded(&dom, "kdg-report")).expect("embedded report parses");
    assert_eq!(back.totals, report.totals);
    assert_eq!(back.histograms, report.histograms);
    let tl: Vec<TimelineRow> = serde_json::from_str(embedded(&dom, "kdg-timeline")).expect("timeline parses");
    assert_eq!(tl, rows);
}

#[test]
fn html_report_of_a_throttled_failing_run_renders_in_a_browser() {
    let (dir, _keep) = out_dir();
    let (mut report, _) = real_run(&dir, "throttled");
    // The same run as if a 4-shard stream had throttled it for ten seconds and lost records,
    // with a hostile error code that must stay text.
    let evil = "</script><script>document.title='pwned'</script>";
    let rows: Vec<TimelineRow> = (0..60u64)
        .map(|t| {
            let burst = (20..30).contains(&t);
            TimelineRow {
                unix_s: 0,
                t_s: t,
                offered: 2000,
                sent: if burst { 1500 + 30 * (t - 20) } else { 2000 - t % 3 },
                failed: if t == 24 || t == 25 { 6 } else { 0 },
                throttled: if burst { 500 - 30 * (t - 20) } else { 0 },
                bytes: 160_000 + 900 * (t % 4),
                p99_ms: if burst {
                    240.0 + 10.0 * (t - 20) as f64
                } else {
                    35.0 + (t % 5) as f64
                },
                lag_ms: if burst { 80.0 } else { 0.5 + 0.1 * (t % 3) as f64 },
                partial: false,
            }
        })
        .collect();
    report.totals.failed = 12;
    report.totals.throttled = rows.iter().map(|r| r.throttled).sum();
    report
        .errors
        .insert("ProvisionedThroughputExceededException".into(), 12);
    report.errors.insert(evil.into(), 1);
    report.outcome.exit_code = 1;
    report.outcome.reasons = vec![
        "12 records failed (ProvisionedThroughputExceededException: 12)".into(),
        evil.into(),
    ];
    report.generator_bound = false;
    for (i, (accepted, throttled)) in [(1_650, 2_300), (1_480, 700), (1_490, 500), (1_380, 150)]
        .into_iter()
        .enumerate()
    {
        report
            .shards
            .insert(format!("shardId-00000000000{i}"), ShardCounts { accepted, throttled });
    }
    let page = dir.join("throttled.html");
    let html = render(&report, &rows, &page);
    assert!(html.contains("<div class=\"badge\">FAIL</div>"));
    assert!(!html.contains(evil) && !html.contains("<script>document"));

    let Some(bin) = chromium() else { return };
    let dom = check_in_browser(bin, &dir, &page, "throttled");
    assert!(
        dom.contains("<title>kdg report: FAIL, "),
        "the hostile code did not change the title"
    );
    assert_eq!(
        dom.matches("<script").count(),
        2,
        "only the two JSON blocks are scripts"
    );
    assert_eq!(
        dom.matches("<svg").count(),
        6,
        "five per-second charts and the shard bars"
    );
    assert_eq!(
        dom.matches("<rect class=\"bar\"").count(),
        8,
        "accepted and throttled for 4 shards"
    );
    assert!(dom.contains("&lt;/script&gt;&lt;script&gt;document.title='pwned'&lt;/script&gt;"));
    let back: Report = serde_json::from_str(embedded(&dom, "kdg-report")).expect("embedded report parses");
    assert_eq!(back.errors[evil], 1);
}

/// A find-max search as a 4-shard stream with one hot shard would answer it, through the
/// library's own search and report builder.
fn capacity_report() -> (
    kdg::report::capacity::CapacityReport,
    Vec<kdg::report::capacity::CapacityRow>,
) {
    use kdg::findmax::{search, Criteria, Step};
    use kdg::report::capacity::{append_step_rows, CapacityInput, CapacityReport, Destination};
    let criteria = Criteria {
        max_throttle: 0.01,
        max_p99: Duration::from_secs(1),
        min_achieved: 0.95,
    };
    let mut rows = Vec::new();
    let s = search(500.0, 16_000.0, 0.05, |rate| {
        // The hot shard takes 40% of the keys and throttles above 1,000/s: the stream holds 2,500/s.
        let hot = (rate * 0.4).min(1000.0);
        let throttled = ((rate * 0.4 - hot) * 2.0) as u64;
        let achieved = rate - throttled as f64 / 2.0;
        let mut shards: std::collections::BTreeMap<String, ShardCounts> = (1..4)
            .map(|i| {
                let c = ShardCounts {
                    accepted: (rate * 0.2 * 2.0) as u64,
                    throttled: 0,
                };
                (format!("shardId-00000000000{i}"), c)
            })
            .collect();
        shards.insert(
            "shardId-000000000000".into(),
            ShardCounts {
                accepted: (hot * 2.0) as u64,
                throttled,
            },
        );
        let step_rows: Vec<TimelineRow> = (0..2)
            .map(|t| TimelineRow {
                t_s: t,
                offered: rate as u64,
                sent: achieved as u64,
                throttled: throttled / 2,
                ..TimelineRow::default()
            })
            .collect();
        let n = rows
            .last()
            .map_or(1, |r: &kdg::report::capacity::CapacityRow| r.step + 1);
        append_step_rows(&mut rows, n, rate, &step_rows);
        Some(
            Step {
                target_rps: rate,
                achieved_rps: achieved,
                bytes_per_s: achieved * 150.0,
                elapsed_ms: 2000.0,
                offered: rate as u64 * 2,
                attempted: rate as u64 * 2,
                delivered: achieved as u64 * 2,
                failed: throttled,
                throttled,
                bytes: achieved as u64 * 300,
                throttle_ratio: throttled as f64 / (rate * 2.0),
                p50_ms: 7.0,
                p99_ms: 30.0 + rate / 500.0,
                shards,
                ..Step::default()
            }
            .judge(&criteria),
        )
    });
    let t0: jiff::Timestamp = "2026-12-02T08:00:00Z".parse().unwrap();
    let report = CapacityReport::build(
        &s,
        CapacityInput {
            started_at: t0,
            ended_at: t0 + jiff::SignedDuration::from_secs(2 * s.steps.len() as i64),
            settings: serde_json::json!({ "linger_ms": 100.0, "find_max": { "step_time_ms": 2000.0 } }),
            destination: Destination {
                kind: "kinesis".into(),
                name: "orders".into(),
                region: Some("eu-west-1".into()),
                endpoint: None,
            },
            criteria: &criteria,
            signal: None,
        },
    );
    (report, rows)
}

#[test]
fn find_max_capacity_page_renders_in_a_browser() {
    let (dir, _keep) = out_dir();
    let (report, rows) = capacity_report();
    let max = report.answer.max_rps.expect("an answer");
    assert!((2300.0..=2564.0).contains(&max), "{max}");
    let page = dir.join("find-max.html");
    let mut f = std::fs::File::create(&page).expect("create html");
    kdg::report::html::write_capacity_html(&report, &rows, &mut f).expect("html written");
    drop(f);
    let html = std::fs::read_to_string(&page).expect("html readable");
    assert!(
        html.contains("shard shardId-000000000000 was hot"),
        "{}",
        report.answer.summary
    );

    let Some(bin) = chromium() else { return };
    let dom = check_in_browser(bin, &dir, &page, "find-max");
    assert!(dom.contains("<title>kdg find-max: "), "{dom:.400}");
    assert!(dom.contains("id=\"chart-capacity\""), "the capacity chart");
    assert_eq!(dom.matches("<svg").count(), 3, "capacity, throttled share, p99");
    assert_eq!(dom.matches("<circle class=\"step").count(), 3 * report.steps.len());
    assert!(dom.contains(&format!(
        "<p id=\"answer\">The maximum sustainable rate is {max:.0} records/s. Limit: records/s per shard"
    )));
    assert!(dom.contains("shardId-000000000000 (busiest)"));
    assert_eq!(dom.matches("<script").count(), 2, "only the two JSON blocks");
    let back: kdg::report::capacity::CapacityReport =
        serde_json::from_str(embedded(&dom, "kdg-findmax")).expect("embedded report parses");
    assert_eq!(back, report);
}

/// Issue 15: a scenario's page has the total and a section per job, each with its numbers and
/// its settings in readable form.
#[test]
fn a_scenario_page_has_a_section_per_job_with_its_settings() {
    let (dir, _keep) = out_dir();
    let page = dir.join("scenario.html");
    let o = run(kdg(&[
        &FINANCE_SCENARIO_LOCALLY[..],
        &["--report-html", page.to_str().unwrap()],
    ]
    .concat()));
    assert!(o.status.success(), "{}", stderr(&o));
    let html = std::fs::read_to_string(&page).expect("the page is written");
    assert!(html.contains("<h1>kdg scenario report</h1>"), "{html:.600}");
    assert!(html.contains("<a href=\"#jobs\">Jobs</a>"));
    for (i, job, template) in [(0, "prices", "price.hbs"), (1, "transactions", "transaction.hbs")] {
        assert!(
            html.contains(&format!("<a href=\"#job-{i}\">{job}</a>")),
            "summary row for {job}"
        );
        let at = html.find(&format!("id=\"job-{i}\">\n<h3>{job}</h3>"));
        let section = &html[at.unwrap_or_else(|| panic!("a section for {job}"))..];
        let section = &section[..section.find("</section>").unwrap()];
        assert!(
            section.contains(template),
            "{job}'s template among its settings: {section:.800}"
        );
        assert!(
            section.contains("<td class=\"mono\">linger</td><td class=\"wrap\">1 ms</td>"),
            "durations are readable: {section:.800}"
        );
    }
    let Some(bin) = chromium() else { return };
    let dom = check_in_browser(bin, &dir, &page, "scenario");
    assert!(dom.contains("id=\"job-1\""), "the browser keeps both job sections");
}
