//! The binary's contract: exit codes, one-line errors, reports, pipes. No servers needed.

use std::io::Read;
use std::process::Stdio;

use crate::common::*;

#[test]
fn help_documents_exit_codes() {
    let o = run(kdg(&["run", "--help"]));
    assert!(o.status.success());
    let help = String::from_utf8_lossy(&o.stdout);
    assert!(help.contains("Exit codes:") && help.contains("2  usage"), "{help}");
}

#[test]
fn bad_flags_are_one_line_errors_with_exit_2() {
    for (args, flag) in [
        (&["run", "templates/price.hbs", "--rps", "0"][..], "--rps"),
        (&["run", "templates/price.hbs", "--count", "0"][..], "--count"),
        (&["run", "templates/price.hbs", "--duration", "soon"][..], "--duration"),
        (&["run", "templates/price.hbs", "--sink", "kafka"][..], "--sink"),
        (&["run", "templates/price.hbs", "--tz", "Mars/Base"][..], "--tz"),
        (
            &["run", "templates/price.hbs", "--start-at", "2020-01-01T00:00:00Z"][..],
            "--start-at",
        ),
    ] {
        let o = run(kdg(args));
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = stderr(&o);
        assert!(err.contains(flag), "{args:?}: {err}");
    }
}

#[test]
fn template_errors_name_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("bad.hbs");
    std::fs::write(&t, "{\n  \"a\": {{random.nmber(5)}}\n}\n").unwrap();
    let o = run(kdg(&["run", t.to_str().unwrap(), "-n", "1", "--sink", "null"]));
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains(&format!("{}:2:8: unknown method `random.nmber`", t.display())),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");

    let o = run(kdg(&["run", "/nonexistent/t.hbs", "-n", "1"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("/nonexistent/t.hbs:1:1: cannot read the template"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_run_writes_a_report_that_matches_the_schema_and_a_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let timeline = dir.path().join("t.ndjson");
    let o = run(kdg(&[
        "run",
        "templates/transaction.hbs",
        "--rps",
        "5000",
        "-n",
        "12000",
        "--sink",
        "null",
        "--report-json",
        json.to_str().unwrap(),
        "--timeline",
        timeline.to_str().unwrap(),
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("Result: PASS"), "{err}");
    let r = report(&json);
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("schema/report.schema.json")).unwrap()).unwrap();
    let v = jsonschema::validator_for(&schema).expect("schema compiles");
    let problems: Vec<String> = v
        .iter_errors(&r)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(r["totals"]["delivered"], 12000);
    assert_eq!(r["stopped_by"], "count");
    let rows: Vec<serde_json::Value> = std::fs::read_to_string(&timeline)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("NDJSON"))
        .collect();
    assert!(rows.len() >= 2, "{rows:?}");
    assert_eq!(rows.iter().map(|r| r["sent"].as_u64().unwrap()).sum::<u64>(), 12000);
}

#[test]
fn render_is_reproducible_with_a_seed() {
    let a = run(kdg(&[
        "render",
        "tests/fixtures/it-record.hbs",
        "-n",
        "20",
        "--seed",
        "4",
    ]));
    let b = run(kdg(&[
        "render",
        "tests/fixtures/it-record.hbs",
        "-n",
        "20",
        "--seed",
        "4",
    ]));
    assert!(a.status.success());
    assert_eq!(a.stdout, b.stdout);
    assert_eq!(a.stdout.iter().filter(|b| **b == b'\n').count(), 20);
}

#[test]
fn a_closed_pipe_ends_the_run_quietly_with_exit_0() {
    let mut child = kdg(&["run", "templates/price.hbs", "--rps", "max", "--quiet"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut buf = [0u8; 4096];
    stdout.read_exact(&mut buf).unwrap();
    drop(stdout);
    let status = child.wait().unwrap();
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(err.is_empty(), "{err}");
}

#[test]
fn failed_run_has_exit_code_1_and_says_why() {
    // A template whose records are larger than Firehose allows cannot fail locally; use a
    // destination-free check instead: the outcome rules are unit-tested, so here only the
    // shell-visible contract of a clean run is checked.
    let o = run(kdg(&[
        "run",
        "templates/price.hbs",
        "-n",
        "10",
        "--rps",
        "1000",
        "--sink",
        "null",
    ]));
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn completions_are_printed() {
    let o = run(kdg(&["completions", "bash"]));
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("kdg"));
}

#[test]
fn a_periodic_backfill_stamps_simulated_time() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("week.txt");
    std::fs::write(&table, "# every day, every hour: 20 records/s exactly\n* * 20 0\n").unwrap();
    let t = dir.path().join("t.hbs");
    std::fs::write(&t, "{{date.simTime \"HH:mm:ss\"}}").unwrap();
    let o = run(kdg(&[
        "run",
        t.to_str().unwrap(),
        "--periodic",
        table.to_str().unwrap(),
        "--backfill",
        "2026-11-23T09:00:00Z..2026-11-23T09:00:10Z",
        "--speed",
        "max",
        "--tz",
        "UTC",
        "--quiet",
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    let lines: Vec<&str> = std::str::from_utf8(&o.stdout).unwrap().lines().collect();
    assert_eq!(lines.len(), 200, "20 records in each of 10 simulated seconds");
    assert_eq!(lines.iter().filter(|l| **l == "09:00:00").count(), 20);
    assert_eq!(lines.iter().filter(|l| **l == "09:00:09").count(), 20);

    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, "* * 20 0\nmon-fry 9 1 1\n").unwrap();
    let o = run(kdg(&[
        "run",
        t.to_str().unwrap(),
        "--periodic",
        bad.to_str().unwrap(),
        "-n",
        "1",
    ]));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(&format!("{}:2:1: ", bad.display())),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_missed_threshold_fails_the_run_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let o = run(kdg(&[
        "run",
        "templates/price.hbs",
        "--rps",
        "1000",
        "-n",
        "500",
        "--sink",
        "null",
        "--threshold",
        "lost==0",
        "--threshold",
        "achieved_rps>=1000000",
        "--report-json",
        json.to_str().unwrap(),
    ]));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("achieved_rps>=1000000: "), "{}", stderr(&o));
    let r = report(&json);
    assert_eq!(r["outcome"]["exit_code"], 1);
    assert!(r["outcome"]["reasons"][0]
        .as_str()
        .unwrap()
        .starts_with("threshold missed: achieved_rps"));

    let o = run(kdg(&["run", "templates/price.hbs", "-n", "1", "--threshold", "p99<<1"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--threshold"), "{}", stderr(&o));

    let o = run(kdg(&[
        "run",
        "templates/price.hbs",
        "--rps",
        "1000",
        "-n",
        "100",
        "--sink",
        "null",
        "--threshold",
        "lost==0",
    ]));
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn plan_sizes_a_stream_from_a_template() {
    let o = run(kdg(&[
        "plan",
        "--rps",
        "5000",
        "--record-size",
        "10",
        "--headroom",
        "0",
        "--json",
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    let p: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(p["shards"], 5);
    assert_eq!(p["binding_limit"], "records");
    let o = run(kdg(&["plan", "--rps", "1k", "--template", "templates/price.hbs"]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("shards to provision"));
    let o = run(kdg(&["plan", "--rps", "1k"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--record-size or --template"), "{}", stderr(&o));
}
