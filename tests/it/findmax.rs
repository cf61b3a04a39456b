//! `kdg find-max` against the fault-injecting proxy in front of kinesalite: the answer on a
//! stream of 4 shards of 1,000 records/s, and the capacity report (JSON valid against
//! `schema/findmax.schema.json`, the HTML page in headless Chromium, the timeline of every step).

use std::path::Path;
use std::process::Stdio;

use crate::common::*;

const SCHEMA: &str = include_str!("../../schema/findmax.schema.json");

/// Validate `doc` against `schema/findmax.schema.json`; the errors, one line each.
fn schema_errors(doc: &serde_json::Value) -> Vec<String> {
    let schema: serde_json::Value = serde_json::from_str(SCHEMA).expect("schema is JSON");
    let v = jsonschema::validator_for(&schema).expect("schema compiles");
    v.iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

#[test]
fn finds_four_thousand_records_per_second_on_four_shards() {
    // Measuring a rate: nothing else runs meanwhile.
    let _alone = exclusive();
    let Some(server) = kinesalite_unlocked() else { return };
    let rt = rt();
    let client = kinesis_client(&server.endpoint());
    rt.block_on(create_stream(&client, "probe", 4));
    // A small burst allowance, so a short step cannot borrow much beyond the per-second limit.
    let p = proxy(&server, &["--records-per-shard", "1000", "--burst-seconds", "0.2"]);
    let o = run(kdg(&[
        "find-max",
        "tests/fixtures/it-record.hbs",
        "--stream",
        "probe",
        "--endpoint-url",
        &p.endpoint(),
        "--start",
        "1k",
        "--max-rate",
        "64k",
        "--step-time",
        "4s",
        "--precision",
        "6",
        "--json",
        "--quiet",
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert!(
        !String::from_utf8_lossy(&o.stdout).contains("nanos"),
        "durations are ms"
    );
    assert_eq!(schema_errors(&v), Vec::<String>::new());
    assert_eq!(v["criteria"]["max_p99_ms"], 1000.0);
    let found = v["answer"]["max_rps"].as_f64().expect("an answer");
    assert!(
        (3600.0..=4400.0).contains(&found),
        "found {found} records/s, expected 4,000 ± 10%: {v}"
    );
    let steps = v["steps"].as_array().unwrap();
    assert!(
        steps.iter().any(|s| s["verdict"] == "fail"),
        "the search saw a failing step"
    );
    assert_eq!(v["answer"]["limit"], "records_per_s", "{}", v["answer"]["summary"]);
    let busiest = &v["answer"]["busiest_shard"];
    assert!(busiest["records_share"].as_f64().unwrap() > busiest["bytes_share"].as_f64().unwrap());
    assert_eq!(busiest["hot"], false, "random keys spread evenly: {busiest}");
}

/// A search on `stream`, 2 shards of 100 records/s behind the proxy, from 50/s up to
/// `max_rate`; without `extra` flags it writes all three report files into `dir`. Returns what
/// kdg printed and the proxy.
fn small_search(
    server: &Server,
    stream: &str,
    dir: &Path,
    max_rate: &str,
    extra: &[&str],
) -> (std::process::Output, Server) {
    rt().block_on(create_stream(&kinesis_client(&server.endpoint()), stream, 2));
    let p = proxy(server, &["--records-per-shard", "100", "--burst-seconds", "0.2"]);
    let endpoint = p.endpoint();
    let paths: Vec<String> = ["fm.json", "fm.html", "fm.ndjson"]
        .iter()
        .map(|f| dir.join(f).to_str().expect("utf-8 path").to_owned())
        .collect();
    let mut args = vec![
        "find-max",
        "tests/fixtures/it-record.hbs",
        "--stream",
        stream,
        "--endpoint-url",
        &endpoint,
        "--start",
        "50",
        "--max-rate",
        max_rate,
        "--step-time",
        "1s",
        "--precision",
        "30",
        "--quiet",
    ];
    if extra.is_empty() {
        args.extend([
            "--report-json",
            &paths[0],
            "--report-html",
            &paths[1],
            "--timeline",
            &paths[2],
        ]);
    }
    args.extend(extra);
    (run(kdg(&args)), p)
}

#[test]
fn find_max_writes_its_capacity_report_json_html_and_timeline() {
    let Some(server) = kinesalite() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let (o, _proxy) = small_search(&server, "reports", tmp.path(), "800", &[]);
    assert!(
        o.status.code() == Some(0) || o.status.code() == Some(1),
        "{}",
        stderr(&o)
    );
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("limit: "), "the table on stdout names the limit: {text}");

    let json = std::fs::read_to_string(tmp.path().join("fm.json")).expect("--report-json written");
    assert!(!json.contains("nanos"), "durations are ms: {json}");
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(schema_errors(&v), Vec::<String>::new());
    assert_eq!(v["exit_code"].as_i64(), o.status.code().map(i64::from));
    assert_eq!(v["destination"]["name"], "reports");
    assert_eq!(v["destination"]["region"], "us-east-1");
    assert!(v["destination"]["endpoint"]
        .as_str()
        .unwrap()
        .starts_with("http://127.0.0.1:"));
    assert!(v["settings"]["template"]["seed"].is_string());
    assert_eq!(v["settings"]["find_max"]["step_time_ms"], 1000.0);
    assert!(v["settings"].get("rate").is_none(), "the search sets the rate");
    let steps = v["steps"].as_array().unwrap();
    assert!(steps.len() >= 2, "{v}");
    assert!(steps.iter().all(|s| s["shards"].as_object().unwrap().len() == 2));

    // The timeline: the rows of every step, in order, with the search's seconds counting on.
    let rows: Vec<serde_json::Value> = std::fs::read_to_string(tmp.path().join("fm.ndjson"))
        .expect("--timeline written")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON row"))
        .collect();
    let numbers: std::collections::BTreeSet<u64> = rows.iter().map(|r| r["step"].as_u64().unwrap()).collect();
    assert_eq!(numbers, (1..=steps.len() as u64).collect(), "every step has rows");
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r["t_s"].as_u64(), Some(i as u64), "{r}");
        let step = &steps[r["step"].as_u64().unwrap() as usize - 1];
        assert_eq!(r["target_rps"], step["target_rps"]);
        for key in [
            "unix_s",
            "offered",
            "sent",
            "failed",
            "throttled",
            "bytes",
            "p99_ms",
            "lag_ms",
            "step_t_s",
        ] {
            assert!(r.get(key).is_some(), "a run timeline row's {key}: {r}");
        }
    }
    let sent: u64 = rows.iter().map(|r| r["sent"].as_u64().unwrap()).sum();
    let delivered: u64 = steps.iter().map(|s| s["delivered"].as_u64().unwrap()).sum();
    assert_eq!(sent, delivered, "the timeline counts every delivered record");

    // The page, in a real browser: the capacity chart, and the answer in words.
    let page = tmp.path().join("fm.html");
    let html = std::fs::read_to_string(&page).expect("--report-html written");
    assert!(html.contains("id=\"chart-capacity\""));
    let summary = v["answer"]["summary"].as_str().unwrap();
    let Some(bin) = crate::html::chromium() else { return };
    let dom = crate::html::check_in_browser(bin, tmp.path(), &page, "find-max");
    assert!(dom.contains("id=\"chart-capacity\""), "{dom:.600}");
    assert_eq!(dom.matches("<circle class=\"step").count(), 3 * steps.len());
    assert!(dom.contains("<p id=\"answer\">"), "{dom:.600}");
    let limit_words = summary.split(": ").nth(1).expect("Limit: …");
    assert!(html.contains(limit_words.split(' ').next().unwrap()), "{summary}");
    match v["answer"]["max_rps"].as_f64() {
        Some(max) => assert!(dom.contains(&format!("The maximum sustainable rate is {max:.0} records/s"))),
        None => assert!(dom.contains("No step held")),
    }
    let back: serde_json::Value =
        serde_json::from_str(crate::html::embedded(&dom, "kdg-findmax")).expect("embedded report parses");
    assert_eq!(back, v);
}

#[test]
fn json_on_stdout_is_the_report_document() {
    let Some(server) = kinesalite() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let (o, _proxy) = small_search(&server, "json", tmp.path(), "100", &["--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON document on stdout");
    assert_eq!(schema_errors(&v), Vec::<String>::new());
    assert_eq!(v["answer"]["limit"], "ceiling", "{v}");
    assert!(!String::from_utf8_lossy(&o.stdout).contains("nanos"));
}

#[test]
fn an_unwritable_report_path_sends_nothing_and_a_failed_write_fails_the_search() {
    let Some(server) = kinesalite() else { return };
    let tmp = tempfile::tempdir().unwrap();
    // A directory where the report should go: it cannot be created, before the first step.
    let dir = tmp.path().to_str().unwrap().to_owned();
    let (o, p) = small_search(&server, "unwritable", tmp.path(), "800", &["--report-json", &dir]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--report-json: cannot create"), "{}", stderr(&o));
    assert_eq!(proxy_stats(&p)["rec_in"], 0, "nothing was sent");
    // A file that opens but cannot be written: the search ran, the report is lost, exit 1.
    let (o, p) = small_search(&server, "full", tmp.path(), "50", &["--timeline", "/dev/full"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("--timeline: writing `/dev/full`"), "{}", stderr(&o));
    assert!(proxy_stats(&p)["rec_in"].as_u64().unwrap() > 0);
    // Standard output is the table's (or --json's): a page or timeline on it is refused.
    let o = run(kdg(&[
        "find-max",
        "tests/fixtures/it-record.hbs",
        "--stream",
        "s",
        "--timeline",
        "-",
    ]));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--timeline: find-max prints its table"),
        "{}",
        stderr(&o)
    );
}

/// Bytes of each record of [`search_fifty_kb_records`]: 8 + 50,000 + 2 bytes, a newline, and
/// the 3-byte key.
const FIFTY_KB_RECORD: f64 = 50_014.0;

/// find-max on `stream` (4 shards behind the proxy, 1 MiB/s each) with records of about 50 KB,
/// steps of 4 s and the search's `flags`; its JSON document, checked against the schema.
fn search_fifty_kb_records(stream: &str, flags: &[&str]) -> serde_json::Value {
    let Some(server) = kinesalite_unlocked() else {
        return serde_json::Value::Null;
    };
    rt().block_on(create_stream(&kinesis_client(&server.endpoint()), stream, 4));
    let p = proxy(&server, &["--burst-seconds", "0.2"]);
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("50kb.hbs");
    std::fs::write(
        &template,
        format!("{{\"pad\":\"{{{{#repeat 500}}}}{}{{{{/repeat}}}}\"}}", "x".repeat(100)),
    )
    .unwrap();
    let endpoint = p.endpoint();
    let mut args = vec![
        "find-max",
        template.to_str().unwrap(),
        "--stream",
        stream,
        "--endpoint-url",
        &endpoint,
        "--step-time",
        "4s",
        "--json",
        "--quiet",
    ];
    args.extend(flags);
    let o = run(kdg(&args));
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(schema_errors(&v), Vec::<String>::new());
    v
}

/// Issue 15: a byte-limited stream with one hot key. Records of 50 KB all go to one of 4 shards
/// (a fixed partition key), so that shard's 1 MiB/s binds at about 21 records/s, long before
/// 1,000 records/s: the answer says bytes bound and names the hot shard.
#[test]
fn a_byte_limited_hot_shard_is_the_answer_and_is_named() {
    let _alone = exclusive();
    let v = search_fifty_kb_records(
        "hot",
        &[
            "--partition-key",
            "hot",
            "--start",
            "5",
            "--max-rate",
            "200",
            "--precision",
            "3",
        ],
    );
    if v.is_null() {
        return;
    }
    let expected = 1_048_576.0 / FIFTY_KB_RECORD;
    let found = v["answer"]["max_rps"].as_f64().expect("an answer");
    assert!(
        (0.95 * expected..=1.05 * expected).contains(&found),
        "found {found} records/s, expected {expected:.1} ± 5%: {}",
        v["answer"]
    );
    assert_eq!(v["answer"]["limit"], "bytes_per_s", "{}", v["answer"]["summary"]);
    let busiest = &v["answer"]["busiest_shard"];
    assert_eq!(busiest["hot"], true, "one key, one shard: {busiest}");
    let shard = busiest["shard"].as_str().unwrap();
    assert!(shard.starts_with("shardId-"), "{busiest}");
    assert!(
        v["answer"]["summary"].as_str().unwrap().contains(shard),
        "the summary names the hot shard: {}",
        v["answer"]["summary"]
    );
}

/// Issue 15: with `--aggregate 10` the stream sees packed records of several records each, so
/// 2 shards that take 100 records/s each (the proxy's limit) take about 2,000 records/s packed
/// ten to a record. Each step counts the packed records apart from the records, and the answer
/// judges the shards by the packed records they were sent.
#[test]
fn an_aggregated_search_finds_more_records_than_the_shards_take_unpacked() {
    let _alone = exclusive();
    let Some(server) = kinesalite_unlocked() else { return };
    rt().block_on(create_stream(&kinesis_client(&server.endpoint()), "packed", 2));
    let p = proxy(&server, &["--records-per-shard", "100", "--burst-seconds", "0.2"]);
    let o = run(kdg(&[
        "find-max",
        "tests/fixtures/it-record.hbs",
        "--stream",
        "packed",
        "--aggregate",
        "10",
        "--endpoint-url",
        &p.endpoint(),
        "--start",
        "500",
        "--max-rate",
        "4k",
        "--step-time",
        "2s",
        "--precision",
        "15",
        "--json",
        "--quiet",
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(schema_errors(&v), Vec::<String>::new());
    let found = v["answer"]["max_rps"].as_f64().expect("an answer");
    assert!(
        (1500.0..=2200.0).contains(&found),
        "found {found} records/s, expected about 2,000 (200 unpacked): {}",
        v["answer"]
    );
    for s in v["steps"].as_array().unwrap() {
        let (delivered, packed) = (
            s["delivered"].as_u64().unwrap(),
            s["destination_records"].as_u64().unwrap(),
        );
        assert!(
            packed > 0 && packed * 5 < delivered,
            "packed {packed} for {delivered} records: {s}"
        );
    }
    // The busiest shard was sent about the 100 packed records/s it takes.
    let busiest = &v["answer"]["busiest_shard"];
    let demand = busiest["demand_rps"].as_f64().unwrap();
    assert!((80.0..150.0).contains(&demand), "{busiest}");
    let summary = v["answer"]["summary"].as_str().unwrap();
    assert!(summary.contains("packed records of"), "{summary}");
}

/// Issue 13: find-max's `--timeline` is written as each second of each step completes, not at
/// the end: a one-step search has rows in the file while the step still runs, and they are
/// not rewritten.
#[test]
fn find_max_writes_its_timeline_while_the_steps_run() {
    let Some(server) = kinesalite() else { return };
    rt().block_on(create_stream(&kinesis_client(&server.endpoint()), "live-tl", 1));
    let dir = tempfile::tempdir().unwrap();
    let timeline = dir.path().join("fm.ndjson");
    let mut child = kdg(&[
        "find-max",
        "tests/fixtures/it-record.hbs",
        "--stream",
        "live-tl",
        "--endpoint-url",
        &server.endpoint(),
        "--start",
        "50",
        "--max-rate",
        "50",
        "--step-time",
        "6s",
        "--quiet",
        "--timeline",
        timeline.to_str().unwrap(),
    ])
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .expect("kdg starts");
    let early = wait_for_lines(&timeline, 2);
    let running = child.try_wait().unwrap().is_none();
    let o = child.wait_with_output().unwrap();
    assert!(running, "the step was still running when the rows were there");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&timeline).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert!(rows.len() >= 6, "{text}");
    assert_eq!(
        rows[..2],
        [early[0].as_str(), early[1].as_str()],
        "rows are not rewritten"
    );
    let first: serde_json::Value = serde_json::from_str(rows[0]).unwrap();
    assert_eq!(
        (first["step"].as_u64(), first["t_s"].as_u64()),
        (Some(1), Some(0)),
        "{first}"
    );
}

/// Issue 15: the byte-limited stream with random keys spread over its 4 shards. Records of
/// 50 KB, so the shards' 4 × 1 MiB/s bind at about 84 records/s on average, long before 4,000
/// records/s. With random keys each shard's second is a draw: at 84/s a shard is sent more than
/// its 21 records in many seconds, so throttling passes 1% well before the mean limit (the runs
/// here found 45 to 55/s). The answer is below the mean limit, above half of it, says bytes
/// bound, and no shard is hot.
#[test]
fn a_byte_limited_stream_with_random_keys_binds_below_its_mean_limit() {
    let _alone = exclusive();
    let v = search_fifty_kb_records("bytes", &["--start", "30", "--max-rate", "240", "--precision", "10"]);
    if v.is_null() {
        return;
    }
    let mean_limit = 4.0 * 1_048_576.0 / FIFTY_KB_RECORD;
    let found = v["answer"]["max_rps"].as_f64().expect("an answer");
    assert!(
        (0.5 * mean_limit..0.95 * mean_limit).contains(&found),
        "found {found} records/s, the mean limit is {mean_limit:.0}: {}",
        v["answer"]
    );
    assert_eq!(v["answer"]["limit"], "bytes_per_s", "{}", v["answer"]["summary"]);
    let busiest = &v["answer"]["busiest_shard"];
    assert_eq!(busiest["hot"], false, "{busiest}");
    assert!(busiest["bytes_share"].as_f64().unwrap() > busiest["records_share"].as_f64().unwrap());
}
