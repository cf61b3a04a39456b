//! `kdg run --stream` against kinesalite (and the fault-injecting proxy in front of it).

use std::collections::BTreeSet;

use crate::common::*;

const TEMPLATE: &str = "tests/fixtures/it-record.hbs";

fn seq_of(record: &[u8]) -> u64 {
    let v: serde_json::Value =
        serde_json::from_slice(record).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(record)));
    v["seq"].as_u64().expect("seq")
}

#[test]
fn sends_exactly_n_records_that_read_back_byte_identical() {
    let Some(server) = kinesalite() else { return };
    let rt = rt();
    let client = kinesis_client(&server.endpoint());
    rt.block_on(create_stream(&client, "exact", 4));
    let dir = tempfile::tempdir().unwrap();
    let report_path = dir.path().join("report.json");
    let o = run(kdg(&[
        "run",
        TEMPLATE,
        "--stream",
        "exact",
        "--endpoint-url",
        &server.endpoint(),
        "--count",
        "3000",
        "--rps",
        "6000",
        "--seed",
        "11",
        "--quiet",
        "--report-json",
        report_path.to_str().unwrap(),
    ]));
    assert!(o.status.success(), "kdg failed: {}", stderr(&o));

    let mut got = rt.block_on(read_all(&client, "exact"));
    assert_eq!(got.len(), 3000, "exactly the records sent are in the stream");
    got.sort_by_key(|(_, data)| seq_of(data));
    let want = rendered(&root().join(TEMPLATE), 11, 3000);
    for (i, ((_, data), expected)) in got.iter().zip(&want).enumerate() {
        assert_eq!(data, expected, "record {i} differs from `kdg render`");
    }

    let r = report(&report_path);
    assert_eq!(r["totals"]["delivered"], 3000);
    assert_eq!(r["totals"]["failed"], 0);
    let shards = r["shards"].as_object().expect("per-shard counts");
    assert_eq!(shards.len(), 4, "{shards:?}");
    let mut by_shard = std::collections::BTreeMap::<String, u64>::new();
    for (shard, _) in &got {
        *by_shard.entry(shard.clone()).or_default() += 1;
    }
    for (shard, counts) in shards {
        assert_eq!(
            counts["accepted"].as_u64(),
            by_shard.get(shard).copied(),
            "shard {shard}"
        );
    }
}

#[test]
fn partition_key_template_and_explicit_hash_key_pin_records() {
    let Some(server) = kinesalite() else { return };
    let rt = rt();
    let client = kinesis_client(&server.endpoint());
    rt.block_on(create_stream(&client, "pinned", 4));
    let o = run(kdg(&[
        "run",
        TEMPLATE,
        "--stream",
        "pinned",
        "--endpoint-url",
        &server.endpoint(),
        "--count",
        "200",
        "--rps",
        "2000",
        "--partition-key",
        "fixed-key",
        "--explicit-hash-key",
        "0",
        "--quiet",
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    let got = rt.block_on(read_all(&client, "pinned"));
    assert_eq!(got.len(), 200);
    let shards: BTreeSet<&str> = got.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(
        shards.len(),
        1,
        "hash key 0 pins every record to the first shard: {shards:?}"
    );
}

#[test]
fn throttles_and_failures_are_retried_and_counted_as_the_proxy_injected_them() {
    let Some(server) = kinesalite() else { return };
    let rt = rt();
    let client = kinesis_client(&server.endpoint());
    rt.block_on(create_stream(&client, "throttled", 4));
    // 4 shards of 250 records/s each (a quarter of the real limit, so that 8,000 records/s
    // offered throttle even on a loaded machine), 3% of entries failing, 3% of requests
    // throttled whole.
    let p = proxy(
        &server,
        &[
            "--records-per-shard",
            "250",
            "--fail-prob",
            "0.03",
            "--req-throttle-prob",
            "0.03",
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let report_path = dir.path().join("report.json");
    let o = run(kdg(&[
        "run",
        TEMPLATE,
        "--stream",
        "throttled",
        "--endpoint-url",
        &p.endpoint(),
        "--count",
        "4000",
        "--rps",
        "8000",
        "--seed",
        "5",
        "--max-attempts",
        "100",
        "--retry-timeout",
        "120s",
        "--quiet",
        "--report-json",
        report_path.to_str().unwrap(),
    ]));
    assert!(o.status.success(), "no record may be lost: {}", stderr(&o));

    let got = rt.block_on(read_all(&client, "throttled"));
    let seqs: BTreeSet<u64> = got.iter().map(|(_, d)| seq_of(d)).collect();
    assert_eq!(got.len(), 4000, "no duplicates");
    assert_eq!(seqs, (0..4000).collect(), "no record missing");

    let r = report(&report_path);
    let stats = proxy_stats(&p);
    let injected_throttles = stats["rec_throttled"].as_u64().unwrap() + stats["rec_in_throttled_req"].as_u64().unwrap();
    let injected_failures = injected_throttles + stats["rec_faulted"].as_u64().unwrap();
    assert!(
        stats["rec_throttled"].as_u64().unwrap() > 0,
        "the test must actually throttle: {stats}"
    );
    assert_eq!(
        r["totals"]["throttled"].as_u64(),
        Some(injected_throttles),
        "report {r} vs proxy {stats}"
    );
    assert_eq!(
        r["totals"]["retried"].as_u64(),
        Some(injected_failures),
        "every injected failure is retried once"
    );
    assert_eq!(r["totals"]["delivered"], 4000);
    let shard_throttles: u64 = r["shards"]
        .as_object()
        .unwrap()
        .values()
        .map(|s| s["throttled"].as_u64().unwrap())
        .sum();
    assert_eq!(
        shard_throttles,
        stats["rec_throttled"].as_u64().unwrap(),
        "per-shard throttles come from the messages"
    );
}

#[test]
fn oversize_records_are_rejected_counted_and_fail_the_run() {
    let Some(server) = kinesalite() else { return };
    let rt = rt();
    let client = kinesis_client(&server.endpoint());
    rt.block_on(create_stream(&client, "big", 1));
    let dir = tempfile::tempdir().unwrap();
    // A replay whose first row fits and whose next three, 1.13 MiB each, are over the 1 MiB
    // record limit: rows past the limit mid-run are rejected one by one (a first record over
    // it is refused before the run, see cli::a_first_record_over_the_destinations_limit…).
    let input = dir.path().join("rows.ndjson");
    let big = format!("{{\"pad\":\"{}\"}}\n", "0123456789abcdef".repeat(70_000));
    std::fs::write(&input, format!("{{\"small\":1}}\n{big}{big}{big}")).unwrap();
    let report_path = dir.path().join("report.json");
    let o = run(kdg(&[
        "run",
        "--from",
        input.to_str().unwrap(),
        "--stream",
        "big",
        "--endpoint-url",
        &server.endpoint(),
        "--rps",
        "10",
        "--quiet",
        "--report-json",
        report_path.to_str().unwrap(),
    ]));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let r = report(&report_path);
    assert_eq!(r["totals"]["delivered"], 1);
    assert_eq!(r["totals"]["rejected"], 3);
    assert_eq!(r["errors"]["RecordTooLarge"], 3);
    assert_eq!(rt.block_on(read_all(&client, "big")).len(), 1, "only the row that fits");
}

#[test]
fn unknown_stream_is_a_one_line_setup_error() {
    let Some(server) = kinesalite() else { return };
    let o = run(kdg(&[
        "run",
        TEMPLATE,
        "--stream",
        "nope",
        "--endpoint-url",
        &server.endpoint(),
        "--count",
        "1",
    ]));
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("`nope` does not exist"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
fn server_not_listening_is_a_setup_error() {
    let port = free_port();
    let o = run(kdg(&[
        "run",
        TEMPLATE,
        "--stream",
        "s",
        "--endpoint-url",
        &format!("http://127.0.0.1:{port}"),
        "--count",
        "1",
    ]));
    assert_eq!(o.status.code(), Some(2));
    let want = format!("kdg: error: cannot reach the Kinesis endpoint http://127.0.0.1:{port} (");
    assert!(stderr(&o).starts_with(&want), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("Connection refused"),
        "names the cause: {}",
        stderr(&o)
    );
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
}

#[test]
fn missing_credentials_and_region_are_setup_errors() {
    let port = free_port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let mut cmd = kdg(&[
        "run",
        TEMPLATE,
        "--stream",
        "s",
        "--endpoint-url",
        &endpoint,
        "--count",
        "1",
    ]);
    cmd.env_remove("AWS_ACCESS_KEY_ID").env_remove("AWS_SECRET_ACCESS_KEY");
    let o = run(cmd);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no AWS credentials"), "{}", stderr(&o));

    let mut cmd = kdg(&[
        "run",
        TEMPLATE,
        "--stream",
        "s",
        "--endpoint-url",
        &endpoint,
        "--count",
        "1",
    ]);
    cmd.env_remove("AWS_REGION");
    let o = run(cmd);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no AWS region"), "{}", stderr(&o));
}

#[test]
fn preflight_warns_when_the_target_exceeds_the_shards() {
    let Some(server) = kinesalite() else { return };
    let rt = rt();
    let client = kinesis_client(&server.endpoint());
    rt.block_on(create_stream(&client, "small", 1));
    let endpoint = server.endpoint();
    // 10 records at a peak of 2,000 records/s into the one-shard stream.
    let small = |extra: &[&str]| {
        let base = [
            "run",
            TEMPLATE,
            "--stream",
            "small",
            "--endpoint-url",
            &endpoint,
            "-n",
            "10",
            "--rps",
            "2000",
        ];
        run(kdg(&[&base[..], extra].concat()))
    };
    let o = small(&[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("kdg: stream small (") && err.contains("1 open shards"),
        "{err}"
    );
    assert!(
        err.contains("warning: stream `small`: the target peak of 2000 records/s is above what 1 shards take"),
        "{err}"
    );
    let o = small(&["--no-preflight"]);
    assert!(o.status.success());
    assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
    // Packed 50 to a Kinesis record, 2,000 records/s are 40 Kinesis records/s: one shard takes it.
    let o = small(&["--aggregate", "50"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
}

#[test]
fn requests_use_the_aws_json_1_1_protocol() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let fake = rt.block_on(kdg::fake_endpoint::start(0, Default::default())).unwrap();
    let o = run(kdg(&[
        "run",
        TEMPLATE,
        "--stream",
        "s",
        "--endpoint-url",
        &fake.url(),
        "-n",
        "1000",
        "--rps",
        "10k",
        "--quiet",
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(fake.last_content_type().as_deref(), Some("application/x-amz-json-1.1"));
    assert_eq!(fake.stats().records, 1000);
}

#[test]
fn a_stream_can_be_named_by_its_arn() {
    // kinesalite has no ARN addressing; moto does.
    let Some(server) = moto() else { return };
    let rt = rt();
    let client = kinesis_client(&server.endpoint());
    rt.block_on(create_stream(&client, "by-arn", 2));
    let arn = rt.block_on(async {
        let d = client
            .describe_stream_summary()
            .stream_name("by-arn")
            .send()
            .await
            .unwrap();
        d.stream_description_summary().unwrap().stream_arn().to_string()
    });
    let o = run(kdg(&[
        "run",
        TEMPLATE,
        "--stream-arn",
        &arn,
        "--endpoint-url",
        &server.endpoint(),
        "-n",
        "300",
        "--rps",
        "3000",
        "--quiet",
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(rt.block_on(read_all(&client, "by-arn")).len(), 300);
}
