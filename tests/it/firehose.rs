//! `kdg run --delivery-stream` against moto's Firehose, delivering to moto's S3.

use crate::common::*;

const TEMPLATE: &str = "tests/fixtures/it-record.hbs";

#[test]
fn firehose_delivers_exactly_n_newline_terminated_records_to_s3() {
    let Some(server) = moto() else { return };
    let endpoint = server.endpoint();
    create_hose(&endpoint, "kdg-out", "hose", "kdg/");
    let dir = tempfile::tempdir().unwrap();
    let report_path = dir.path().join("report.json");
    let o = run(kdg(&[
        "run",
        TEMPLATE,
        "--delivery-stream",
        "hose",
        "--endpoint-url",
        &endpoint,
        "--count",
        "1234",
        "--rps",
        "5000",
        "--seed",
        "3",
        "--quiet",
        "--report-json",
        report_path.to_str().unwrap(),
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    let body = s3_text(&endpoint, "kdg-out", "");
    let mut lines: Vec<String> = body.split_inclusive('\n').map(str::to_string).collect();
    assert_eq!(lines.len(), 1234, "exactly N records reach S3");
    assert!(lines.iter().all(|l| l.ends_with('\n')));
    let seq = |l: &String| {
        serde_json::from_str::<serde_json::Value>(l).unwrap()["seq"]
            .as_u64()
            .unwrap()
    };
    lines.sort_by_key(seq);
    let want: Vec<String> = rendered(&root().join(TEMPLATE), 3, 1234)
        .into_iter()
        .map(|b| String::from_utf8(b).unwrap())
        .collect();
    assert_eq!(lines, want, "S3 holds exactly what `kdg render` gives");
    let r = report(&report_path);
    assert_eq!(r["totals"]["delivered"], 1234);
}

#[test]
fn unknown_delivery_stream_is_a_setup_error() {
    let Some(server) = moto() else { return };
    let o = run(kdg(&[
        "run",
        TEMPLATE,
        "--delivery-stream",
        "nope",
        "--endpoint-url",
        &server.endpoint(),
        "-n",
        "1",
    ]));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("`nope` does not exist"), "{}", stderr(&o));
}

#[test]
fn gzip_records_decompress_to_the_plain_records() {
    let Some(server) = moto() else { return };
    let endpoint = server.endpoint();
    create_hose(&endpoint, "kdg-gz", "gzhose", "");
    let o = run(kdg(&[
        "run",
        TEMPLATE,
        "--delivery-stream",
        "gzhose",
        "--endpoint-url",
        &endpoint,
        "-n",
        "50",
        "--rps",
        "1000",
        "--seed",
        "9",
        "--gzip",
        "--quiet",
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    // Concatenated gzip members decompress to the concatenated records.
    let body = boto3(
        &endpoint,
        "import gzip, sys\ns3 = boto3.client('s3', **kw)\nkeys = sorted(o['Key'] for o in s3.list_objects_v2(Bucket='kdg-gz')['Contents'])\n\
         sys.stdout.write(gzip.decompress(b''.join(s3.get_object(Bucket='kdg-gz', Key=k)['Body'].read() for k in keys)).decode())",
    );
    let mut lines: Vec<&str> = body.split_inclusive('\n').collect();
    assert_eq!(lines.len(), 50);
    lines.sort_by_key(|l| {
        serde_json::from_str::<serde_json::Value>(l).unwrap()["seq"]
            .as_u64()
            .unwrap()
    });
    let want = rendered(&root().join(TEMPLATE), 9, 50);
    assert_eq!(lines.iter().map(|l| l.as_bytes().to_vec()).collect::<Vec<_>>(), want);
}

#[test]
fn aggregated_firehose_records_arrive_as_one_line_per_record() {
    let Some(server) = moto() else { return };
    let endpoint = server.endpoint();
    create_hose(&endpoint, "kdg-packed", "packed", "");
    let dir = tempfile::tempdir().unwrap();
    let report_path = dir.path().join("report.json");
    let o = run(kdg(&[
        "run",
        TEMPLATE,
        "--delivery-stream",
        "packed",
        "--endpoint-url",
        &endpoint,
        "--aggregate",
        "10",
        "--count",
        "100",
        "--rps",
        "5000",
        "--seed",
        "8",
        "--quiet",
        "--report-json",
        report_path.to_str().unwrap(),
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    let body = s3_text(&endpoint, "kdg-packed", "");
    let mut lines: Vec<String> = body.split_inclusive('\n').map(str::to_string).collect();
    lines.sort();
    let mut want: Vec<String> = rendered(&root().join(TEMPLATE), 8, 100)
        .into_iter()
        .map(|b| String::from_utf8(b).unwrap())
        .collect();
    want.sort();
    assert_eq!(lines, want, "every record, once, one per line");
    let r = report(&report_path);
    assert_eq!(r["totals"]["delivered"], 100);
    assert_eq!(r["totals"]["destination_records"], 10);
}
