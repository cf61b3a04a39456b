//! Stopping a run from outside, as orchestrators do: SIGTERM (Kubernetes, ECS, `timeout`),
//! SIGHUP and Ctrl-C in each phase (pre-flight, load, drain, read-back), and a second signal.
//! Each test waits for the phase by what kdg or a server does, never by time.

use std::io::{BufRead, BufReader, Read};
use std::process::Stdio;

use crate::common::*;

/// Start `kdg args` with stdout and stderr piped.
fn start(args: &[&str]) -> std::process::Child {
    kdg(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kdg starts")
}

fn rest(mut r: impl Read) -> String {
    let mut s = String::new();
    r.read_to_string(&mut s).expect("readable");
    s
}

/// Once `child` has written its first record to stdout, send it `sig`; then read to the end.
/// The records it wrote in all, its stderr, and how it exited.
fn signal_after_the_first_record(mut child: std::process::Child, sig: &str) -> (u64, String, std::process::ExitStatus) {
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    signal(&child, sig);
    let records = 1 + rest(out).lines().count() as u64;
    let err = rest(child.stderr.take().unwrap());
    (records, err, child.wait().unwrap())
}

#[test]
fn sigterm_mid_run_drains_writes_every_report_and_exits_with_the_runs_own_code() {
    let dir = tempfile::tempdir().unwrap();
    let (json, html, timeline) = (
        dir.path().join("r.json"),
        dir.path().join("r.html"),
        dir.path().join("t.ndjson"),
    );
    let child = start(&[
        "run",
        "templates/price.hbs",
        "--rps",
        "200",
        "-d",
        "10m",
        "--report-json",
        json.to_str().unwrap(),
        "--report-html",
        html.to_str().unwrap(),
        "--timeline",
        timeline.to_str().unwrap(),
    ]);
    let (records, err, status) = signal_after_the_first_record(child, "TERM");
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(err.contains("kdg: SIGTERM: stopping"), "{err}");
    assert!(err.contains("stopped by interrupt (SIGTERM)"), "{err}");
    let r = report(&json);
    assert!(schema_errors(&r).is_empty(), "{:?}", schema_errors(&r));
    assert_eq!(
        (r["stopped_by"].as_str(), r["signal"].as_str()),
        (Some("interrupt"), Some("SIGTERM"))
    );
    assert_eq!(
        r["totals"]["delivered"].as_u64(),
        Some(records),
        "every record on stdout is counted"
    );
    assert_eq!(r["totals"]["failed"].as_u64(), Some(0));
    assert!(r["drain"]["ms"].is_number(), "{}", r["drain"]);
    assert!(std::fs::read_to_string(&html).unwrap().contains("<html"));
    let sent: u64 = timeline_sent(&timeline);
    assert_eq!(sent, records);
}

#[test]
fn sighup_stops_a_scenario_and_every_job_reports() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("s.toml");
    let root = root();
    std::fs::write(
        &scenario,
        format!(
            "duration = \"10m\"\n\n[[job]]\nname = \"a\"\ntemplate = \"{0}/templates/price.hbs\"\nrps = 100\n\n\
             [[job]]\nname = \"b\"\ntemplate = \"{0}/templates/transaction.hbs\"\nrps = 10\nsink = \"null\"\n",
            root.display()
        ),
    )
    .unwrap();
    let json = dir.path().join("r.json");
    let child = start(&[
        "run",
        "--scenario",
        scenario.to_str().unwrap(),
        "--report-json",
        json.to_str().unwrap(),
    ]);
    let (records, err, status) = signal_after_the_first_record(child, "HUP");
    assert_eq!(status.code(), Some(0), "{err}");
    let r = report(&json);
    let jobs = r["jobs"].as_array().unwrap();
    assert_eq!(jobs.len(), 2, "{r}");
    for job in jobs {
        assert_eq!(job["report"]["signal"], "SIGHUP", "{job}");
        assert!(schema_errors(&job["report"]).is_empty());
    }
    assert_eq!(jobs[0]["report"]["totals"]["delivered"].as_u64(), Some(records));
}

#[test]
fn a_signal_during_the_pre_flight_ends_it_with_nothing_sent() {
    let (endpoint, url) = stalled_endpoint();
    let mut child = start(&[
        "run",
        "templates/price.hbs",
        "--stream",
        "s",
        "--endpoint-url",
        &url,
        "-n",
        "10",
    ]);
    // kdg connected: it is describing the stream, which never answers.
    let _conn = endpoint.accept().unwrap();
    signal(&child, "TERM");
    let err = rest(child.stderr.take().unwrap());
    assert_eq!(child.wait().unwrap().code(), Some(2), "{err}");
    assert!(
        err.contains("stopped by SIGTERM during the pre-flight: nothing was sent"),
        "{err}"
    );
    assert_eq!(err.matches("kdg: error").count(), 1, "{err}");
}

#[test]
fn a_stalled_destination_is_bounded_by_the_drain_timeout_and_pending_records_are_counted() {
    let (_endpoint, url) = stalled_endpoint();
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let o = run(kdg(&[
        "run",
        "templates/price.hbs",
        "--stream",
        "s",
        "--endpoint-url",
        &url,
        "--no-preflight",
        "--rps",
        "100",
        "-d",
        "1s",
        "--drain-timeout",
        "1s",
        "-q",
        "--report-json",
        json.to_str().unwrap(),
    ]));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let r = report(&json);
    assert!(schema_errors(&r).is_empty(), "{:?}", schema_errors(&r));
    let offered = r["totals"]["offered"].as_u64().unwrap();
    assert!(offered > 0);
    assert_eq!(r["totals"]["delivered"].as_u64(), Some(0));
    assert_eq!(r["errors"]["DrainTimeout"].as_u64(), Some(offered), "{}", r["errors"]);
    assert_eq!(r["drain"]["cut_off"].as_u64(), Some(offered));
    assert_eq!(r["stopped_by"], "duration");
    assert_eq!(
        r["generator_bound"], false,
        "a stalled endpoint is not this machine's limit"
    );
}

#[test]
fn a_second_signal_aborts_at_once_with_the_signals_exit_code() {
    let (endpoint, url) = stalled_endpoint();
    let mut child = start(&[
        "run",
        "templates/price.hbs",
        "--stream",
        "s",
        "--endpoint-url",
        &url,
        "--no-preflight",
        "--drain-timeout",
        "1h",
    ]);
    let mut err = BufReader::new(child.stderr.take().unwrap());
    // kdg connected: it is sending, and its requests never finish.
    let _conn = endpoint.accept().unwrap();
    signal(&child, "INT");
    read_until(&mut err, "stopping");
    signal(&child, "TERM");
    let rest = rest(err);
    assert_eq!(child.wait().unwrap().code(), Some(143), "{rest}");
    assert!(
        rest.contains("aborted by a second stop signal (SIGTERM after SIGINT)"),
        "{rest}"
    );
}

#[test]
fn a_stalled_read_back_ends_at_the_verify_timeout_and_the_send_is_still_reported() {
    let Some(server) = kinesalite() else { return };
    let proxy = proxy(&server, &["--stall", "GetRecords"]);
    let rt = rt();
    let client = kinesis_client(&server.endpoint());
    rt.block_on(create_stream(&client, "stalled-verify", 1));
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let o = run(kdg(&[
        "run",
        "tests/fixtures/it-record.hbs",
        "--stream",
        "stalled-verify",
        "--endpoint-url",
        &proxy.endpoint(),
        "-n",
        "300",
        "--rps",
        "1000",
        "--verify",
        "--verify-timeout",
        "2s",
        "-q",
        "--report-json",
        json.to_str().unwrap(),
    ]));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let r = report(&json);
    assert!(schema_errors(&r).is_empty(), "{:?}", schema_errors(&r));
    assert_eq!(r["totals"]["delivered"].as_u64(), Some(300));
    assert_eq!(rt.block_on(read_all(&client, "stalled-verify")).len(), 300);
    let why = r["verify"]["incomplete"].as_str().unwrap_or_default();
    assert!(why.contains("stopped answering"), "{}", r["verify"]);
    assert!(
        r["outcome"]["reasons"][0]
            .as_str()
            .unwrap()
            .starts_with("verification incomplete"),
        "{}",
        r["outcome"]
    );
}

#[test]
fn sigterm_during_the_read_back_ends_it_and_the_report_says_how_far_it_got() {
    let Some(server) = kinesalite() else { return };
    let proxy = proxy(&server, &["--stall", "GetRecords"]);
    let rt = rt();
    let client = kinesis_client(&server.endpoint());
    rt.block_on(create_stream(&client, "signal-verify", 1));
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let mut child = start(&[
        "run",
        "tests/fixtures/it-record.hbs",
        "--stream",
        "signal-verify",
        "--endpoint-url",
        &proxy.endpoint(),
        "-n",
        "200",
        "--rps",
        "1000",
        "--verify",
        "--verify-timeout",
        "1h",
        "--report-json",
        json.to_str().unwrap(),
    ]);
    let mut err = BufReader::new(child.stderr.take().unwrap());
    read_until(&mut err, "verifying 200 acknowledged records");
    signal(&child, "TERM");
    let rest = rest(err);
    assert_eq!(child.wait().unwrap().code(), Some(1), "{rest}");
    assert!(rest.contains("Verification incomplete: stopped by a signal"), "{rest}");
    let r = report(&json);
    assert!(schema_errors(&r).is_empty(), "{:?}", schema_errors(&r));
    assert_eq!(r["totals"]["delivered"].as_u64(), Some(200));
    assert_eq!(r["verify"]["acknowledged"].as_u64(), Some(200));
    assert_eq!(r["verify"]["incomplete"], "stopped by a signal");
    assert_eq!(r["stopped_by"], "count", "the load itself ended by its count");
}
