//! Reports in S3 (moto) and merging them: `--report-json`/`--timeline s3://…` uploaded after
//! the run, a missing bucket refused before anything is sent, an upload that fails after the run,
//! `kdg report merge s3://…/prefix/`, a report merged twice refused; and a local `--timeline`
//! that grows while the run goes on.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Stdio};

use crate::common::*;

const TEMPLATE: &str = "tests/fixtures/it-record.hbs";

/// Start `kdg args` with stderr piped.
fn start(args: &[&str]) -> Child {
    kdg(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kdg starts")
}

fn exit_and_stderr(mut child: Child) -> (Option<i32>, String) {
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    (child.wait().unwrap().code(), err)
}

#[test]
fn three_instances_upload_reports_to_one_prefix_and_merging_the_prefix_gives_their_sum() {
    let Some(server) = moto() else { return };
    let endpoint = server.endpoint();
    boto3(&endpoint, "boto3.client('s3', **kw).create_bucket(Bucket='kdg-runs')");
    let children: Vec<Child> = (0..3)
        .map(|i| {
            start(&[
                "run",
                TEMPLATE,
                "--sink",
                "null",
                "-n",
                "301",
                "--rps",
                "3000",
                "--instance",
                &format!("{i}/3"),
                "--endpoint-url",
                &endpoint,
                "--quiet",
                "--report-json",
                &format!("s3://kdg-runs/run/{i}.json"),
                "--timeline",
                &format!("s3://kdg-runs/run/{i}.ndjson"),
            ])
        })
        .collect();
    for c in children {
        let (code, err) = exit_and_stderr(c);
        assert_eq!(code, Some(0), "{err}");
    }
    let parts: Vec<serde_json::Value> = (0..3)
        .map(|i| serde_json::from_str(&s3_text(&endpoint, "kdg-runs", &format!("run/{i}.json"))).unwrap())
        .collect();
    for p in &parts {
        assert!(schema_errors(p).is_empty(), "{:?}", schema_errors(p));
    }
    let sum = |key: &str| parts.iter().map(|p| p["totals"][key].as_u64().unwrap()).sum::<u64>();
    assert_eq!(sum("delivered"), 301, "the instances split the count");

    let dir = tempfile::tempdir().unwrap();
    let (merged, timeline) = (dir.path().join("m.json"), dir.path().join("m.ndjson"));
    let o = run(kdg(&[
        "report",
        "merge",
        "s3://kdg-runs/run/",
        "--endpoint-url",
        &endpoint,
        "-o",
        merged.to_str().unwrap(),
        "--timeline-out",
        timeline.to_str().unwrap(),
    ]));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let m = report(&merged);
    for key in ["offered", "delivered", "failed", "bytes"] {
        assert_eq!(m["totals"][key].as_u64(), Some(sum(key)), "{key}");
    }
    assert_eq!(m["config"]["merged"].as_array().unwrap().len(), 3);
    let sent: u64 = timeline_sent(&timeline);
    assert_eq!(sent, 301, "the prefix's timelines were merged too");

    // One of the reports again, as an object beside its prefix: refused, nothing written.
    let again = dir.path().join("again.json");
    let o = run(kdg(&[
        "report",
        "merge",
        "s3://kdg-runs/run/",
        "s3://kdg-runs/run/1.json",
        "--endpoint-url",
        &endpoint,
        "-o",
        again.to_str().unwrap(),
    ]));
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(
        err.contains("s3://kdg-runs/run/1.json") && err.contains("instance 1/3"),
        "{err}"
    );
    assert!(!again.exists(), "nothing merged");

    // A prefix with no reports under it is an error, not an empty merge.
    let o = run(kdg(&[
        "report",
        "merge",
        "s3://kdg-runs/nothing/",
        "--endpoint-url",
        &endpoint,
    ]));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("no reports"), "{}", stderr(&o));
}

#[test]
fn merging_one_report_twice_is_refused_whatever_the_spelling_or_nesting() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).display().to_string();
    for i in 0..2 {
        let o = run(kdg(&[
            "run",
            TEMPLATE,
            "--sink",
            "null",
            "-n",
            "20",
            "--instance",
            &format!("{i}/2"),
            "--quiet",
            "--report-json",
            &path(&format!("r{i}.json")),
        ]));
        assert!(o.status.success(), "{}", stderr(&o));
    }
    std::fs::copy(path("r0.json"), path("copy.json")).unwrap();
    let o = run(kdg(&[
        "report",
        "merge",
        &path("r0.json"),
        &path("r1.json"),
        "-o",
        &path("m.json"),
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(report(Path::new(&path("m.json")))["totals"]["delivered"], 20);
    for twice in [
        vec![path("r0.json"), path("r0.json")],
        vec![path("r0.json"), path("r1.json"), path("copy.json")],
        vec![path("m.json"), path("r1.json")],
    ] {
        let mut args = vec!["report".to_string(), "merge".to_string()];
        args.extend(twice.iter().cloned());
        let o = run(kdg(&args.iter().map(String::as_str).collect::<Vec<_>>()));
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{twice:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains("again") && err.contains("give each instance's report once"),
            "{err}"
        );
        assert!(o.stdout.is_empty(), "no merged report");
    }
}

#[test]
fn bad_s3_addresses_and_a_missing_bucket_are_setup_errors_before_anything_is_sent() {
    for (flag, url, says) in [
        ("--report-json", "s3://kdg-reports", "names no object"),
        ("--timeline", "s3:///t.ndjson", "has no bucket"),
        ("--report-html", "s3://kdg-reports/dir/", "names no object"),
    ] {
        let o = run(kdg(&["run", TEMPLATE, "--sink", "null", "-n", "5", flag, url]));
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{url}: {err}");
        assert!(err.contains(flag) && err.contains(says), "{err}");
    }
    let Some(server) = moto() else { return };
    let endpoint = server.endpoint();
    let dir = tempfile::tempdir().unwrap();
    let sink = dir.path().join("records.ndjson");
    let o = run(kdg(&[
        "run",
        TEMPLATE,
        "--sink",
        &format!("file:{}", sink.display()),
        "-n",
        "50",
        "--endpoint-url",
        &endpoint,
        "--report-json",
        "s3://kdg-no-such-bucket/r.json",
    ]));
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--report-json") && err.contains("`kdg-no-such-bucket` does not exist"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(std::fs::read(&sink).unwrap_or_default().len(), 0, "nothing was sent");
    assert!(!err.contains("kdg-test-secret"), "no credentials in errors");
}

#[test]
fn an_upload_that_fails_after_the_run_exits_1_with_the_text_report_on_stderr() {
    let Some(server) = moto() else { return };
    let endpoint = server.endpoint();
    boto3(&endpoint, "boto3.client('s3', **kw).create_bucket(Bucket='kdg-gone')");
    let dir = tempfile::tempdir().unwrap();
    let timeline = dir.path().join("t.ndjson");
    let child = start(&[
        "run",
        TEMPLATE,
        "--sink",
        "null",
        "--rps",
        "200",
        "-d",
        "10m",
        "--endpoint-url",
        &endpoint,
        "--report-json",
        "s3://kdg-gone/r.json",
        "--timeline",
        timeline.to_str().unwrap(),
    ]);
    // The bucket was checked and the load is under way: a second of it is in the timeline.
    wait_for_lines(&timeline, 1);
    boto3(&endpoint, "boto3.client('s3', **kw).delete_bucket(Bucket='kdg-gone')");
    signal(&child, "TERM");
    let (code, err) = exit_and_stderr(child);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("delivered"), "the text report is printed: {err}");
    let last = err.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("kdg: error: --report-json: uploading s3://kdg-gone/r.json failed: NoSuchBucket"),
        "{err}"
    );
    assert!(!err.contains("kdg-test-secret"), "no credentials in errors");
}

/// Start `kdg args` (which name `timeline` for `--timeline`), wait for two rows in the file
/// while it runs, stop it with SIGTERM, and check what a streamed timeline must hold: each
/// second once, in order, the early rows not rewritten. Returns the rows.
fn rows_of_a_timeline_written_live(args: &[&str], timeline: &Path) -> Vec<serde_json::Value> {
    let mut child = start(args);
    let early = wait_for_lines(timeline, 2);
    assert!(child.try_wait().unwrap().is_none(), "the run is still going");
    signal(&child, "TERM");
    let (code, err) = exit_and_stderr(child);
    assert_eq!(code, Some(0), "{err}");
    let rows: Vec<serde_json::Value> = std::fs::read_to_string(timeline)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is a row"))
        .collect();
    assert!(rows.len() >= early.len(), "{rows:?}");
    let seconds: Vec<u64> = rows.iter().map(|r| r["t_s"].as_u64().unwrap()).collect();
    assert_eq!(
        seconds,
        (0..rows.len() as u64).collect::<Vec<_>>(),
        "each second once, in order"
    );
    let first: serde_json::Value = serde_json::from_str(&early[0]).unwrap();
    assert_eq!(first, rows[0], "rows are not rewritten");
    rows
}

#[test]
fn the_timeline_file_gets_each_second_while_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let timeline = dir.path().join("t.ndjson");
    let args = [
        "run",
        TEMPLATE,
        "--sink",
        "null",
        "--rps",
        "100",
        "-d",
        "10m",
        "--quiet",
        "--timeline",
        timeline.to_str().unwrap(),
    ];
    rows_of_a_timeline_written_live(&args, &timeline);
}

/// Issue 13: a scenario's `--timeline` is its jobs' merged series, written while they run: each
/// second once, in order, never rewritten, and it adds up to the total report.
#[test]
fn a_scenarios_merged_timeline_is_written_while_its_jobs_run() {
    let dir = tempfile::tempdir().unwrap();
    let timeline = dir.path().join("t.ndjson");
    let report = dir.path().join("r.json");
    let args = [
        "run",
        "--scenario",
        "scenarios/finance.toml",
        "--sink",
        "null",
        "-d",
        "10m",
        "--quiet",
        "--timeline",
        timeline.to_str().unwrap(),
        "--report-json",
        report.to_str().unwrap(),
    ];
    let rows = rows_of_a_timeline_written_live(&args, &timeline);
    // Both jobs are in a full second: 1,000 + 100 records (within the 0.5% a real clock allows).
    let offered = rows[1]["offered"].as_u64().unwrap();
    assert!((1094..=1106).contains(&offered), "{rows:?}");
    let total = written(&report)["total"]["totals"]["delivered"].as_u64().unwrap();
    let sent: u64 = rows.iter().map(|r| r["sent"].as_u64().unwrap()).sum();
    assert_eq!(sent, total, "the merged series adds up to the total");
}
