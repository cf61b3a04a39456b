//! `kdg run --verify` against kinesalite, and against the proxy losing records after acknowledging them.

use crate::common::*;

const TEMPLATE: &str = "tests/fixtures/it-record.hbs";

fn verified_run(
    endpoint: &str,
    stream: &str,
    template: &str,
    n: &str,
    report_path: &std::path::Path,
) -> std::process::Output {
    run(kdg(&[
        "run",
        template,
        "--stream",
        stream,
        "--endpoint-url",
        endpoint,
        "-n",
        n,
        "--rps",
        "5000",
        "--verify",
        "--verify-timeout",
        "5s",
        "--quiet",
        "--report-json",
        report_path.to_str().unwrap(),
    ]))
}

#[test]
fn a_verified_run_finds_every_record_exactly_once() {
    let Some(server) = kinesalite() else { return };
    let rt = rt();
    let client = kinesis_client(&server.endpoint());
    rt.block_on(create_stream(&client, "verified", 3));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.json");
    let o = verified_run(&server.endpoint(), "verified", TEMPLATE, "1500", &path);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = &report(&path)["verify"];
    assert_eq!(
        (
            v["acknowledged"].as_u64(),
            v["delivered"].as_u64(),
            v["missing"].as_u64()
        ),
        (Some(1500), Some(1500), Some(0)),
        "{v}"
    );
    assert_eq!(
        (v["duplicated"].as_u64(), v["foreign"].as_u64()),
        (Some(0), Some(0)),
        "{v}"
    );
    // The marker is a JSON field of each record; the records stay valid JSON.
    for (_, data) in rt.block_on(read_all(&client, "verified")).iter().take(20) {
        let rec: serde_json::Value = serde_json::from_slice(data).unwrap();
        assert!(rec["_kdg"].as_str().unwrap().ends_with(&format!("-{}", rec["seq"])));
    }
}

#[test]
fn records_that_are_not_json_objects_are_marked_by_partition_key() {
    let Some(server) = kinesalite() else { return };
    let rt = rt();
    rt.block_on(create_stream(&kinesis_client(&server.endpoint()), "logs", 2));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.json");
    let o = verified_run(&server.endpoint(), "logs", "templates/weblog.hbs", "400", &path);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(report(&path)["verify"]["delivered"], 400);
}

#[test]
fn records_lost_after_acknowledgement_are_reported_missing() {
    let Some(server) = kinesalite() else { return };
    let rt = rt();
    rt.block_on(create_stream(&kinesis_client(&server.endpoint()), "lossy", 2));
    let p = proxy(&server, &["--records-per-shard", "100000", "--drop-prob", "0.05"]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.json");
    let o = verified_run(&p.endpoint(), "lossy", TEMPLATE, "1000", &path);
    assert_eq!(o.status.code(), Some(1), "missing records fail the run: {}", stderr(&o));
    let r = report(&path);
    let dropped = proxy_stats(&p)["rec_dropped"].as_u64().unwrap();
    assert!(dropped > 0);
    assert_eq!(r["verify"]["missing"].as_u64(), Some(dropped), "{}", r["verify"]);
    assert_eq!(r["verify"]["delivered"].as_u64(), Some(1000 - dropped));
    // Missing records keep the read-back going to its deadline: it took time, and says so.
    assert!(
        r["verify"]["read_back_ms"].as_f64().is_some_and(|ms| ms > 0.0),
        "{}",
        r["verify"]
    );
    assert!(r["outcome"]["reasons"].to_string().contains("missing from the stream"));
}

#[test]
fn firehose_delivery_to_s3_is_verified_and_foreign_objects_are_counted() {
    let Some(server) = moto() else { return };
    let endpoint = server.endpoint();
    // A bucket with a foreign object already under the prefix, and a delivery stream writing there.
    let script = format!(
        "import boto3\nkw = dict(endpoint_url={endpoint:?}, region_name='us-east-1', aws_access_key_id='a', aws_secret_access_key='b')\n\
         s3 = boto3.client('s3', **kw)\ns3.create_bucket(Bucket='kdg-verify')\n\
         s3.put_object(Bucket='kdg-verify', Key='out/old.txt', Body=b'{{\"x\":1}}\\nnot ours\\n')\n\
         boto3.client('firehose', **kw).create_delivery_stream(DeliveryStreamName='vhose', DeliveryStreamType='DirectPut', \
         ExtendedS3DestinationConfiguration={{'RoleARN': 'arn:aws:iam::123456789012:role/kdg', 'BucketARN': 'arn:aws:s3:::kdg-verify', 'Prefix': 'out/'}})"
    );
    let o = std::process::Command::new(python())
        .arg("-c")
        .arg(script)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.json");
    let o = run(kdg(&[
        "run",
        TEMPLATE,
        "--delivery-stream",
        "vhose",
        "--endpoint-url",
        &endpoint,
        "-n",
        "700",
        "--rps",
        "5000",
        "--verify-s3",
        "s3://kdg-verify/out/",
        "--verify-timeout",
        "5s",
        "--quiet",
        "--report-json",
        path.to_str().unwrap(),
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    let v = &report(&path)["verify"];
    assert_eq!(
        (v["delivered"].as_u64(), v["missing"].as_u64()),
        (Some(700), Some(0)),
        "{v}"
    );
    assert_eq!(
        v["foreign"].as_u64(),
        Some(2),
        "the two lines already under the prefix: {v}"
    );

    let o = run(kdg(&[
        "run",
        TEMPLATE,
        "--delivery-stream",
        "vhose",
        "--endpoint-url",
        &endpoint,
        "-n",
        "1",
        "--verify",
    ]));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--verify-s3"), "{}", stderr(&o));
}
