//! The binary's contract: exit codes, one-line errors, reports, pipes. No servers needed.

use std::io::Read;
use std::process::{Command, Stdio};

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
    let problems = schema_errors(&r);
    assert!(problems.is_empty(), "{problems:?}");
    // Durations are milliseconds and the seed a string, in every JSON output.
    assert!(!std::fs::read_to_string(&json).unwrap().contains("nanos"));
    assert!(
        r["config"]["template"]["seed"].is_string(),
        "{}",
        r["config"]["template"]
    );
    assert!(
        r["config"]["retry"]["budget_ms"].is_number(),
        "{}",
        r["config"]["retry"]
    );
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
    // With or without --quiet: the reader is done, so no report lands on the terminal; a report
    // file asked for is still written.
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    for extra in [&["--quiet"][..], &["--report-json", json.to_str().unwrap()][..]] {
        let mut args = vec!["run", "templates/price.hbs", "--rps", "max"];
        args.extend(extra);
        let mut child = kdg(&args)
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
        assert!(err.is_empty(), "{args:?}: {err}");
    }
    assert_eq!(report(&json)["stopped_by"], "interrupt");
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
    // Ten simulated seconds of the table at `speed`.
    let (t_path, table_path) = (t.to_str().unwrap(), table.to_str().unwrap());
    let backfill = |speed: &str, extra: &[&str]| {
        let base = [
            "run",
            t_path,
            "--periodic",
            table_path,
            "--backfill",
            "2026-11-23T09:00:00Z..2026-11-23T09:00:10Z",
            "--speed",
            speed,
        ];
        run(kdg(&[&base[..], extra].concat()))
    };
    let o = backfill("max", &["--tz", "UTC", "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lines: Vec<&str> = std::str::from_utf8(&o.stdout).unwrap().lines().collect();
    assert_eq!(lines.len(), 200, "20 records in each of 10 simulated seconds");
    assert_eq!(lines.iter().filter(|l| **l == "09:00:00").count(), 20);
    assert_eq!(lines.iter().filter(|l| **l == "09:00:09").count(), 20);

    // At 10× the report's rates are per real second, and the backfill's per simulated one.
    let json = dir.path().join("r.json");
    let o = backfill("10", &["--sink", "null", "--report-json", json.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r = report(&json);
    assert_eq!(schema_errors(&r), Vec::<String>::new());
    assert_eq!(r["totals"]["delivered"], 200);
    assert_eq!(
        r["target_rps"], 200.0,
        "20 records/s simulated at 10×: {}",
        r["backfill"]
    );
    let b = &r["backfill"];
    assert_eq!(
        (b["from"].as_str(), b["to"].as_str()),
        (Some("2026-11-23T09:00:00Z"), Some("2026-11-23T09:00:10Z"))
    );
    assert_eq!(
        (b["speed"].as_f64(), b["simulated_target_rps"].as_f64()),
        (Some(10.0), Some(20.0))
    );
    let achieved = b["simulated_achieved_rps"].as_f64().unwrap();
    assert!((20.0..20.5).contains(&achieved), "{b}");
    let err = stderr(&o);
    assert!(
        err.contains("simulated") && err.contains("2026-11-23T09:00:00Z .. 2026-11-23T09:00:10Z"),
        "{err}"
    );

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

/// Every command that writes to stdout, with arguments that make it write plenty; `REPORT` is
/// a report file to merge.
const STDOUT_COMMANDS: &[&[&str]] = &[
    &["render", "templates/price.hbs", "-n", "100000"],
    &["run", "templates/price.hbs", "--rps", "max", "-n", "200000", "-q"],
    &[
        "run",
        "templates/price.hbs",
        "-n",
        "10",
        "--sink",
        "null",
        "-q",
        "--report-json",
        "-",
    ],
    &["plan", "--rps", "5000", "--record-size", "300"],
    &["plan", "--rps", "5000", "--record-size", "300", "--json"],
    &["methods"],
    &["man"],
    &["man", "run"],
    &["methods", "--json"],
    &["completions", "bash"],
    &["completions", "zsh"],
    &["completions", "fish"],
    &["report", "merge", "REPORT"],
];

/// Commands that need a server to write to stdout (`tail`, `find-max`): covered by their own
/// tests against kinesalite.
const SERVER_COMMANDS: &[&str] = &["tail", "find-max"];

#[test]
fn every_command_that_writes_to_stdout_ends_quietly_when_the_reader_leaves() {
    // The list covers every subcommand `kdg --help` shows.
    let help = String::from_utf8(run(kdg(&["--help"])).stdout).unwrap();
    let listed: Vec<&str> = help
        .split("Commands:")
        .nth(1)
        .unwrap()
        .lines()
        .skip(1)
        .take_while(|l| !l.is_empty())
        // Command lines start with two spaces and the name; wrapped descriptions with more.
        .filter_map(|l| l.strip_prefix("  ").filter(|l| !l.starts_with(' ')))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .collect();
    assert!(listed.len() >= 7, "{help}");
    for c in &listed {
        assert!(
            STDOUT_COMMANDS.iter().any(|args| args[0] == *c) || SERVER_COMMANDS.contains(c),
            "`kdg {c}` is not covered by the closed-pipe test"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.json");
    let report = report.to_str().unwrap();
    let made = run(kdg(&[
        "run",
        "templates/price.hbs",
        "-n",
        "10",
        "--sink",
        "null",
        "-q",
        "--report-json",
        report,
    ]));
    assert!(made.status.success(), "{}", stderr(&made));
    for args in STDOUT_COMMANDS {
        let args: Vec<&str> = args.iter().map(|a| if *a == "REPORT" { report } else { a }).collect();
        let mut child = kdg(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let mut err = String::new();
        child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(0), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(!err.contains("error"), "{args:?}: {err}");
    }
}

#[test]
fn two_outputs_naming_one_file_are_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.ndjson");
    std::fs::write(&out, "evidence\n").unwrap();
    let d = dir.path().to_str().unwrap();
    for args in [
        vec![
            format!("--sink=file:{d}/out.ndjson"),
            format!("--report-json={d}/./out.ndjson"),
        ],
        vec![
            format!("--sink=file:{d}/out.ndjson"),
            format!("--timeline={d}/out.ndjson"),
        ],
        vec![
            format!("--report-html={d}/out.ndjson"),
            format!("--report-json={d}/out.ndjson"),
        ],
        vec![format!("--from={d}/out.ndjson"), format!("--sink=file:{d}/out.ndjson")],
    ] {
        let mut argv = vec!["run", "templates/price.hbs", "-n", "100"];
        if args[0].starts_with("--from") {
            argv = vec!["run", "-n", "100"];
        }
        argv.extend(args.iter().map(String::as_str));
        let o = run(kdg(&argv));
        assert_eq!(o.status.code(), Some(2), "{argv:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("both name"), "{}", stderr(&o));
        assert!(o.stdout.is_empty());
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "evidence\n", "{argv:?}");
    }
}

#[test]
fn an_unwritable_report_path_fails_before_any_record_is_sent() {
    for flag in ["--report-json", "--timeline", "--report-html"] {
        let o = run(kdg(&[
            "run",
            "templates/price.hbs",
            "-n",
            "100",
            flag,
            "/proc/kdg-r.out",
        ]));
        assert_eq!(o.status.code(), Some(2), "{flag}: {}", stderr(&o));
        assert!(o.stdout.is_empty(), "{flag}: records were sent");
        assert!(
            stderr(&o).contains(&format!("{flag}: cannot create `/proc/kdg-r.out`")),
            "{}",
            stderr(&o)
        );
    }
}

#[test]
fn a_report_that_cannot_be_written_after_the_load_fails_the_run_and_the_text_report_still_prints() {
    let o = run(kdg(&[
        "run",
        "templates/price.hbs",
        "-n",
        "100",
        "--sink",
        "null",
        "--report-json",
        "/dev/full",
    ]));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("Result: PASS"), "{err}");
    assert!(
        err.contains("--report-json: writing `/dev/full`: No space left on device"),
        "{err}"
    );
}

#[test]
fn a_full_destination_is_reported_with_exact_counts_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let o = kdg(&[
        "run",
        "templates/price.hbs",
        "--rps",
        "max",
        "-n",
        "5000",
        "-q",
        "--report-json",
        json.to_str().unwrap(),
    ])
    .stdin(Stdio::null())
    .stdout(full)
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let r = report(&json);
    assert!(schema_errors(&r).is_empty(), "{:?}", schema_errors(&r));
    let offered = r["totals"]["offered"].as_u64().unwrap();
    assert!(offered > 0);
    assert_eq!(r["totals"]["delivered"].as_u64(), Some(0), "nothing reached /dev/full");
    assert_eq!(r["errors"]["WriteFailed"].as_u64(), Some(offered));
    assert_eq!(r["stopped_by"], "error");
    let reasons = r["outcome"]["reasons"].to_string();
    assert!(
        reasons.contains("the destination failed: write failed: No space left on device"),
        "{reasons}"
    );
}

#[test]
fn an_unknown_profile_is_named_with_the_files_looked_in() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    std::fs::write(&config, "[profile dev]\nregion = eu-west-1\n").unwrap();
    let want = format!(
        "kdg: error: the AWS profile `nosuch` was not found in {} or /nonexistent/kdg-test-credentials (they have: dev)",
        config.display()
    );
    let by_flag = kdg(&[
        "run",
        "templates/price.hbs",
        "--stream",
        "s",
        "--profile",
        "nosuch",
        "-n",
        "1",
    ]);
    let mut by_env = kdg(&["run", "templates/price.hbs", "--stream", "s", "-n", "1"]);
    by_env.env("AWS_PROFILE", "nosuch");
    for mut cmd in [by_flag, by_env] {
        cmd.env("AWS_CONFIG_FILE", &config);
        let o = run(cmd);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).starts_with(&want), "{}", stderr(&o));
        assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    }
}

/// A profile without a region, and a profile whose `credential_process` fails: each a one-line
/// error naming the profile, the file and the command's own complaint (secrets redacted), exit 2.
#[test]
fn a_profile_without_region_or_with_a_failing_credential_process_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    let helper = dir.path().join("creds.sh");
    std::fs::write(
        &helper,
        "#!/bin/sh\necho 'the SSO token of ASIAKDGTESTSECRET123 expired' >&2\nexit 3\n",
    )
    .unwrap();
    std::fs::set_permissions(&helper, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    std::fs::write(
        &config,
        format!(
            "[profile noregion]\noutput = json\n[profile broken]\nregion = eu-west-1\ncredential_process = {}\n",
            helper.display()
        ),
    )
    .unwrap();
    let args = ["run", "templates/price.hbs", "--stream", "s", "-n", "1"];
    let mut cmd = kdg(&args);
    cmd.args(["--profile", "noregion"])
        .env("AWS_CONFIG_FILE", &config)
        .env_remove("AWS_REGION");
    let o = run(cmd);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(
        stderr(&o).trim_end(),
        format!(
            "kdg: error: the AWS profile `noregion` has no region (in {}): add `region = …` to it, pass --region or set AWS_REGION",
            config.display()
        )
    );

    let mut cmd = kdg(&args);
    cmd.env("AWS_PROFILE", "broken")
        .env("AWS_CONFIG_FILE", &config)
        .env_remove("AWS_REGION")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY");
    let o = run(cmd);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("kdg: error: the credential_process of the AWS profile `broken` failed ("),
        "{err}"
    );
    assert!(
        err.contains("the SSO token of *** expired"),
        "the command's stderr is shown: {err}"
    );
    assert!(!err.contains("KDGTESTSECRET"), "a key id is redacted: {err}");
    assert!(err.contains(&config.display().to_string()), "{err}");
}

#[test]
fn find_max_refuses_run_flags_it_would_ignore() {
    for extra in [
        &["--rps", "5"][..],
        &["-d", "1s"],
        &["-n", "5"],
        &["--ramp", "1..10/1s"],
        &["--steps", "1,2"],
        &["--hold", "1s"],
        &["--periodic", "x.txt"],
        &["--backfill", "2026-01-01T00:00:00Z..2026-01-01T01:00:00Z"],
        &["--threshold", "p99<1s"],
        &["--verify"],
        &["--verify-s3", "s3://b/p"],
        &["--scenario", "s.toml"],
    ] {
        // A scenario names its own templates.
        let mut args = match extra[0] {
            "--scenario" => vec!["find-max", "--stream", "s"],
            _ => vec!["find-max", "templates/price.hbs", "--stream", "s"],
        };
        args.extend(extra);
        let o = run(kdg(&args));
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", stderr(&o));
        let flag = match extra[0] {
            "-d" => "--duration",
            "-n" => "--count",
            f => f,
        };
        let err = stderr(&o);
        assert!(
            err.starts_with(&format!("kdg: error: {flag}: not a find-max flag")),
            "{extra:?}: {err}"
        );
    }
}

#[test]
fn a_flat_out_run_has_records_in_every_second_of_its_timeline() {
    // Workers flat out against the null sink must not starve the collector's clock: the timeline
    // is not one spike in second 0.
    let dir = tempfile::tempdir().unwrap();
    let timeline = dir.path().join("t.ndjson");
    let o = run(kdg(&[
        "run",
        "templates/price.hbs",
        "--rps",
        "max",
        "-d",
        "3s",
        "--sink",
        "null",
        "-q",
        "--timeline",
        timeline.to_str().unwrap(),
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    let sent = timeline_sent_per_row(&timeline);
    assert!(sent.len() >= 3, "{sent:?}");
    assert!(sent[..3].iter().all(|n| *n > 0), "{sent:?}");
}

#[test]
fn man_renders_a_page_for_kdg_and_for_each_command() {
    let o = run(kdg(&["man"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let page = String::from_utf8(o.stdout).unwrap();
    assert!(page.contains(".TH kdg 1"), "{page}");
    for sub in ["run", "render", "tail", "plan", "methods", "find-max"] {
        assert!(
            page.contains(&format!("kdg\\-{}", sub.replace('-', "\\-"))),
            "{sub} in the page"
        );
        let o = run(kdg(&["man", sub]));
        assert!(o.status.success(), "{sub}: {}", stderr(&o));
        let sub_page = String::from_utf8(o.stdout).unwrap();
        assert!(sub_page.contains(&format!(".TH kdg-{sub} 1")), "{sub_page}");
    }
    let run_page = String::from_utf8(run(kdg(&["man", "run"])).stdout).unwrap();
    assert!(
        run_page.contains("\\-\\-rps") && run_page.contains("\\-\\-stream"),
        "{run_page}"
    );

    let o = run(kdg(&["man", "rnu"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("did you mean `run`"), "{}", stderr(&o));
}

#[test]
fn help_examples_are_readme_commands() {
    // The README's commands run in CI (scripts/readme-examples.sh): so do --help's.
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let help = String::from_utf8(run(kdg(&["--help"])).stdout).unwrap();
    let examples: Vec<&str> = help
        .split("Examples:\n")
        .nth(1)
        .expect("an Examples section")
        .lines()
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.strip_prefix("  kdg "))
        .collect();
    assert!(examples.len() >= 5, "{help}");
    for e in examples {
        assert!(
            readme.contains(&format!("kdg {e}")),
            "`kdg {e}` is not a README command"
        );
    }
}

/// Issue 18: rates no machine can honour end at the duration with a report (exit 0), and rates or
/// speeds beyond the schedule's limits are one-line errors naming the limit (exit 2).
#[test]
fn extreme_rates_end_with_a_report_or_are_refused_naming_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let base = ["run", "templates/price.hbs", "--sink", "null", "-q"];
    for (i, extra) in [
        &["--ramp", "1..1000000000/1s", "-d", "2s"][..],
        &["--steps", "1,1e9", "--hold", "1s", "-d", "2s"][..],
        &["--pacing", "burst", "--rps", "1e9", "-d", "2s"][..],
    ]
    .into_iter()
    .enumerate()
    {
        let json = dir.path().join(format!("r{i}.json"));
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--report-json", json.to_str().unwrap()]);
        let o = run(kdg(&args));
        assert_eq!(o.status.code(), Some(0), "{extra:?}: {}", stderr(&o));
        let r = report(&json);
        assert_eq!(r["stopped_by"], "duration", "{extra:?}");
    }
    for (extra, flag, limit) in [
        (&["--ramp", "1..1e308/1s", "-d", "2s"][..], "--ramp", "MAX_RATE"),
        (&["--rps", "1e11", "-d", "2s"][..], "--rps", "MAX_RATE"),
        (&["--rps", "1e-300", "-n", "2"][..], "--rps", "MIN_RATE"),
        (
            &[
                "--backfill",
                "2026-01-01T00:00:00Z..2026-01-01T00:00:01Z",
                "--speed",
                "1e-9",
            ][..],
            "--speed",
            "MIN_SPEED",
        ),
    ] {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        let o = run(kdg(&args));
        assert_eq!(o.status.code(), Some(2), "{extra:?}");
        let err = stderr(&o);
        assert!(err.contains(flag) && err.contains(limit), "{extra:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    }
}

/// Issue 18: a template whose first record no destination of the run could take is refused
/// before anything is sent (exit 2, naming the limit); gzip leaves the judgement to the size
/// sent.
#[test]
fn a_first_record_over_the_destinations_limit_is_refused_before_anything_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    // 80 MB of record for the local sinks, 1.6 MB for the services.
    let huge = dir.path().join("huge.hbs");
    std::fs::write(
        &huge,
        format!(
            "{{{{#repeat 1000}}}}{{{{#repeat 1000}}}}{}{{{{/repeat}}}}{{{{/repeat}}}}",
            "x".repeat(80)
        ),
    )
    .unwrap();
    let big = dir.path().join("big.hbs");
    std::fs::write(&big, format!("{{{{#repeat 20000}}}}{}{{{{/repeat}}}}", "x".repeat(80))).unwrap();
    let (huge, big) = (huge.to_str().unwrap(), big.to_str().unwrap());
    let out = dir.path().join("out.ndjson");
    let file_sink = format!("file:{}", out.display());
    // Nothing listens on port 1: a refusal before the load never gets that far.
    let dead = ["--endpoint-url", "http://127.0.0.1:1", "--no-preflight", "-n", "3"];
    let cases: [(Vec<&str>, &str); 3] = [
        (vec!["run", huge, "-n", "3", "--sink", &file_sink], "MAX_RECORD_BYTES"),
        (
            [&["run", big, "--stream", "s"][..], &dead].concat(),
            "KINESIS_MAX_RECORD_BYTES",
        ),
        (
            [&["run", big, "--delivery-stream", "h"][..], &dead].concat(),
            "FIREHOSE_MAX_RECORD_BYTES",
        ),
    ];
    for (args, limit) in cases {
        let o = run(kdg(&args));
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(limit) && err.contains("the first record") && err.contains("nothing was sent"),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(!err.contains("cannot reach"), "the endpoint was never tried: {err}");
    }
    assert!(!out.exists(), "the file sink was never opened");
    // In a scenario, the second job on stdout shares the first one's sink, and is checked too.
    let scenario = dir.path().join("two.toml");
    std::fs::write(
        &scenario,
        "count = 3\n[[job]]\nname = \"small\"\ntemplate = \"small.hbs\"\n[[job]]\nname = \"huge\"\ntemplate = \"huge.hbs\"\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("small.hbs"), "{}").unwrap();
    let o = run(kdg(&["run", "--scenario", scenario.to_str().unwrap()]));
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("job `huge`") && err.contains("MAX_RECORD_BYTES"), "{err}");
    assert!(o.stdout.is_empty(), "nothing was sent");
    // Gzipped, 1.6 MB of `x` is a few kilobytes: the check lets it through to the send.
    let o = run(kdg(&[&["run", big, "--stream", "s", "--gzip"][..], &dead].concat()));
    assert!(!stderr(&o).contains("KINESIS_MAX_RECORD_BYTES"), "{}", stderr(&o));
}

/// Issue 18: generated templates and flag values, each run under a 1 GiB address-space cap
/// (`ulimit -v`, so an over-allocation fails the process instead of the machine), end with an
/// exit code kdg documents (0, 1 or 2): never a signal, a panic or an allocation abort. Runs are
/// bounded by `-d`, whatever the rate.
#[test]
fn generated_templates_and_flags_end_with_a_code_under_a_memory_cap() {
    const FRAGMENTS: &[&str] = &[
        "{{random.number(100)}}",
        "{{#repeat 1000}}x{{/repeat}}",
        "{{#repeat 1000}}{{#repeat 1000}}",
        "{{/repeat}}",
        "{{json (json (json (json name.firstName)))}}",
        "{{",
        "}}",
        "{{random.number({\"min\":1e308,\"max\":1e309})}}",
        "{{lorem.paragraphs(100000)}}",
        "{{date.now(\"YYYY-MM-DD\")}}",
        "{{#each}}",
        "\"quoted\"",
        "{{helpers.replaceSymbols(\"##-??\")}}",
        "{{nosuch.method}}",
        "{{internet.userAgent}}",
        "{{#repeat 100000}}abcdefghij{{/repeat}}",
        "{{random.arrayElement([1,2,3])}}",
        "\\",
        "{{random.number(-5)}}",
        "{{lorem.words(1000000)}}",
        "{{finance.amount(1e300,1e301,400)}}",
        "{{random.number(\\\"max\\\":5)}}",
        "{{#repeat 3 5}}{{@index}}{{/repeat}}",
        "{{seq}}",
    ];
    const FLAGS: &[&[&str]] = &[
        &["--rps", "1e308"],
        &["--rps", "-1"],
        &["--rps", "NaN"],
        &["--rps", "0"],
        &["--rps", "1e-9"],
        &["--count", "18446744073709551615", "--rps", "max"],
        &["--count", "1e30"],
        &["--ramp", "1..1e308/1s"],
        &["--steps", "1,1e9", "--hold", "1ms"],
        &["--batch-size", "0"],
        &["--batch-size", "1e12"],
        &["--workers", "100000"],
        &["--linger", "1e9s"],
    ];
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_kdg");
    let capped = |args: &[&str]| -> std::process::Output {
        // `ulimit` is the shell's: the cap applies to kdg alone. Arguments pass as "$@".
        let mut cmd = kdg(&[]);
        cmd.env("KDG_BIN", bin);
        let mut sh = Command::new("sh");
        sh.arg("-c")
            .arg("ulimit -v 1048576 && exec \"$KDG_BIN\" \"$@\"")
            .arg("kdg")
            .args(args)
            .current_dir(root())
            .envs(cmd.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))))
            .env("KDG_BIN", bin)
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        sh.output().expect("sh runs")
    };
    let check = |what: &str, o: &std::process::Output| {
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            matches!(o.status.code(), Some(0..=2)),
            "{what}: ended with {:?}\n{err}",
            o.status
        );
        assert!(
            !err.contains("panicked") && !err.contains("memory allocation"),
            "{what}:\n{err}"
        );
    };
    let mut state = 0x6b64_675f_6675_7a7a_u64;
    let mut next = move || {
        state = kdg::faker::splitmix64(state);
        state
    };
    for i in 0..40 {
        let parts = 1 + next() % 5;
        let text: String = (0..parts)
            .map(|_| FRAGMENTS[(next() % FRAGMENTS.len() as u64) as usize])
            .collect();
        let path = dir.path().join(format!("t{i}.hbs"));
        std::fs::write(&path, &text).unwrap();
        let p = path.to_str().unwrap();
        check(
            &format!("render {text:?}"),
            &capped(&["render", p, "-n", "3", "--seed", "7"]),
        );
        if let Some(flags) = FLAGS.get(i) {
            let mut args = vec!["run", "templates/price.hbs", "--sink", "null", "-q", "-d", "1s"];
            args.extend_from_slice(flags);
            check(&format!("{args:?}"), &capped(&args));
        }
    }
}

/// Issue 18: the largest template kdg takes (`MAX_TEMPLATE_BYTES`, 10 MiB), as dense in tags as
/// a template gets, compiles and renders within the memory `docs/templates.md#resource-limits`
/// states: peak RSS as GNU time measures it for the process.
#[test]
fn the_largest_template_compiles_within_its_memory_bound() {
    const BOUND_KIB: u64 = 384 << 10;
    let dir = tempfile::tempdir().unwrap();
    let unit = "{{name.firstName}},";
    let path = dir.path().join("big.hbs");
    std::fs::write(&path, unit.repeat(kdg::template::MAX_TEMPLATE_BYTES / unit.len())).unwrap();
    let rss = dir.path().join("rss");
    let o = Command::new("/usr/bin/time")
        .args(["-f", "%M", "-o"])
        .arg(&rss)
        .arg(env!("CARGO_BIN_EXE_kdg"))
        .args(["render", path.to_str().unwrap(), "-n", "2"])
        .stdin(Stdio::null())
        .output()
        .expect("GNU time (Debian's `time` package) at /usr/bin/time");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let lines: Vec<&[u8]> = o.stdout.split(|b| *b == b'\n').filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|l| l.split(|b| *b == b',').count() > 500_000));
    let kib: u64 = std::fs::read_to_string(&rss)
        .unwrap()
        .trim()
        .parse()
        .expect("a number of KiB");
    assert!(kib < BOUND_KIB, "peak RSS {kib} KiB, the bound is {BOUND_KIB} KiB");
}
