//! `--metrics-listen`: a real Prometheus scrapes a running kdg, and the values it holds after
//! the run equal the report's; the endpoint read directly agrees; a scenario serves each job;
//! a port in use is a setup error.

use std::process::Stdio;
use std::time::Duration;

use crate::common::*;

/// kdg with `args`, serving metrics on `port`, writing its JSON report to `report`, and
/// lingering (a minute) after it until dropped.
fn lingering(args: &[&str], port: u16, report: &std::path::Path) -> Killed {
    let listen = format!("127.0.0.1:{port}");
    let mut all = args.to_vec();
    all.extend(["--metrics-listen", &listen, "--metrics-linger", "60s", "--report-json"]);
    all.push(report.to_str().unwrap());
    let child = kdg(&all)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("kdg starts");
    Killed(child)
}

/// The value of the one sample of `name` in OpenMetrics `text`.
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(&format!("{name}{{")))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[test]
fn prometheus_scrapes_a_run_and_holds_the_reports_totals_after_it() {
    let _machine = shared();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let Some(prom) = prometheus(dir.path(), &format!("127.0.0.1:{port}")) else {
        return;
    };
    let report = dir.path().join("r.json");
    let _kdg = lingering(
        &[
            "run",
            "templates/price.hbs",
            "--rps",
            "2000",
            "-d",
            "4s",
            "--sink",
            "null",
        ],
        port,
        &report,
    );

    // While the run goes on: the endpoint serves OpenMetrics with the run's labels.
    let live = poll(400, Duration::from_millis(25), || {
        let (code, body) = http_get(port, "/metrics").ok()?;
        (code == 200 && sample(&body, "kdg_records_delivered_total").is_some_and(|v| v > 0.0)).then_some(body)
    })
    .expect("live metrics while the run goes on");
    assert!(
        live.contains(r#"job="run",instance="0/1""#) && live.contains(r#"destination="null""#),
        "{live}"
    );
    assert_eq!(sample(&live, "kdg_run_finished"), Some(0.0), "{live}");
    assert_eq!(sample(&live, "kdg_target_rate_records_per_second"), Some(2000.0));
    assert!(live.ends_with("# EOF\n"));
    assert_eq!(http_get(port, "/other").unwrap().0, 404);

    // After the run (the report is written, kdg lingers): the counters equal the report's.
    let r = written(&report);
    let delivered = r["totals"]["delivered"].as_u64().unwrap();
    let run_id = r["config"]["run_id"].as_str().unwrap().to_string();
    assert_eq!(delivered, 8000, "2000/s for 4 s");
    let (_, end) = http_get(port, "/metrics").unwrap();
    assert!(end.contains(&format!(r#"run_id="{run_id}""#)), "{end}");
    assert_eq!(sample(&end, "kdg_run_finished"), Some(1.0), "{end}");
    for (metric, total) in [
        ("kdg_records_delivered_total", "delivered"),
        ("kdg_records_offered_total", "offered"),
        ("kdg_delivered_bytes_total", "bytes"),
        ("kdg_requests_total", "requests"),
    ] {
        assert_eq!(sample(&end, metric), r["totals"][total].as_f64(), "{metric}");
    }
    assert_eq!(
        sample(&end, "kdg_record_latency_seconds_count"),
        r["latency"]["record_e2e"]["count"].as_f64()
    );

    // Prometheus scraped the final values: its query API returns the report's count.
    let query = format!("/api/v1/query?query=kdg_records_delivered_total%7Brun_id%3D%22{run_id}%22%7D");
    let series = poll(300, Duration::from_millis(100), || {
        let (code, body) = http_get(prom.port, &query).ok()?;
        let v: serde_json::Value = serde_json::from_str(&body).ok()?;
        let s = v["data"]["result"].get(0)?.clone();
        (code == 200 && s["value"][1].as_str()? == delivered.to_string()).then_some(s)
    })
    .expect("Prometheus holds the final delivered count");
    assert_eq!(
        series["metric"]["job"], "run",
        "honor_labels keeps kdg's job label: {series}"
    );
    assert_eq!(series["metric"]["instance"], "0/1");
}

#[test]
fn a_metrics_port_in_use_is_a_setup_error_before_anything_is_sent() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let o = run(kdg(&[
        "run",
        "templates/price.hbs",
        "-n",
        "10",
        "--metrics-listen",
        &addr,
    ]));
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty(), "no record went out");
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("--metrics-listen") && err.contains(&addr), "{err}");
    // find-max does not serve metrics: the flag is refused, not ignored.
    let o = run(kdg(&[
        "find-max",
        "templates/price.hbs",
        "--stream",
        "s",
        "--metrics-listen",
        ":9464",
    ]));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--metrics-listen"), "{}", stderr(&o));
}

#[test]
fn a_scenario_serves_each_job_under_its_name_and_ends_with_each_jobs_totals() {
    let _machine = shared();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let report = dir.path().join("s.json");
    let _kdg = lingering(&FINANCE_SCENARIO_LOCALLY, port, &report);
    let r = written(&report);
    let (_, text) = http_get(port, "/metrics").unwrap();
    for job in r["jobs"].as_array().unwrap() {
        let name = job["name"].as_str().unwrap();
        let delivered = job["report"]["totals"]["delivered"].as_u64().unwrap();
        assert!(delivered > 0);
        let series = format!(r#"kdg_records_delivered_total{{job="{name}",instance="0/1","#);
        let line = text
            .lines()
            .find(|l| l.starts_with(&series))
            .unwrap_or_else(|| panic!("{name}: {text}"));
        assert!(
            line.ends_with(&format!(r#"destination="null"}} {delivered}"#)),
            "{line}"
        );
    }
}

/// Scrapers that connect and never send a request, or send one and never read, cannot stall
/// the run or the endpoint: the run delivers every record, and once they hang up a real scrape
/// is answered with the final totals.
#[test]
fn scrapers_that_never_read_neither_stall_the_run_nor_keep_the_endpoint() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let report = dir.path().join("r.json");
    let _kdg = lingering(
        &[
            "run",
            "templates/price.hbs",
            "--rps",
            "500",
            "-n",
            "1500",
            "--sink",
            "null",
            "-q",
        ],
        port,
        &report,
    );
    let endpoint = poll(400, Duration::from_millis(25), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).ok()
    });
    assert!(endpoint.is_some(), "the metrics endpoint listens");
    // Four times the connections the endpoint serves at once, half of them silent, half asking
    // and never reading.
    let flood: Vec<std::net::TcpStream> = (0..4 * kdg::metrics::MAX_CONNECTIONS)
        .filter_map(|i| {
            let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
            if i % 2 == 1 {
                let _ = s.write_all(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            }
            Some(s)
        })
        .collect();
    assert!(!flood.is_empty(), "the flood connected");
    let r = written(&report);
    assert_eq!(r["totals"]["delivered"], 1500, "every record went out under the flood");
    assert_eq!(r["stopped_by"], "count");
    drop(flood);
    let delivered = poll(400, Duration::from_millis(25), || {
        let (code, body) = http_get(port, "/metrics").ok()?;
        (code == 200).then(|| sample(&body, "kdg_records_delivered_total"))?
    });
    assert_eq!(
        delivered,
        Some(1500.0),
        "a scrape after the flood reads the final total"
    );
}
