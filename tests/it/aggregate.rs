//! `kdg::aggregate`'s KPL records, de-aggregated by an independent decoder: the Python
//! `aws_kinesis_agg` module (installed by `scripts/local-servers.sh` in the servers' venv).

use std::process::Command;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use kdg::aggregate::KplAggregator;
use serde_json::{json, Value};

use crate::common::*;

/// Reads JSON lines `{"data": base64, "pk": key}`, one per Kinesis record, de-aggregates each as
/// a boto3 GetRecords record and prints one JSON line per logical record.
pub const DEAGGREGATE: &str = r#"
import base64, json, sys
from aws_kinesis_agg.deaggregator import iter_deaggregate_records
for n, line in enumerate(open(sys.argv[1])):
    rec = json.loads(line)
    boto3_record = {'Data': base64.b64decode(rec['data']), 'PartitionKey': rec['pk'],
                    'SequenceNumber': str(n), 'ApproximateArrivalTimestamp': 0}
    for r in iter_deaggregate_records(boto3_record, data_format='Boto3'):
        k = r['kinesis']
        aggregated = bool(k.get('aggregated'))
        # Sub-records come back base64-encoded (as Lambda delivers them); a plain record as it is.
        data = base64.b64decode(k['data']) if aggregated else k['data']
        print(json.dumps({'record': n, 'aggregated': aggregated, 'data': base64.b64encode(data).decode(),
                          'pk': k['partitionKey'], 'ehk': k.get('explicitHashKey')}))
"#;

/// Run [`DEAGGREGATE`] on `input`; it must succeed without complaint (the decoder reports some
/// failures on stderr and passes the record through: none are expected).
fn python_deaggregate(input: &std::path::Path) -> std::process::Output {
    let o = Command::new(python())
        .arg("-c")
        .arg(DEAGGREGATE)
        .arg(input)
        .output()
        .expect("python runs");
    assert!(
        o.status.success() && o.stderr.is_empty(),
        "aws_kinesis_agg failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

pub fn have_aws_kinesis_agg() -> bool {
    let ok = Command::new(python())
        .args(["-c", "import aws_kinesis_agg.deaggregator"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var("KDG_REQUIRE_SERVERS").as_deref() == Ok("1") {
            panic!("aws_kinesis_agg is not installed: run scripts/local-servers.sh install");
        }
        eprintln!("skipped: aws_kinesis_agg is not installed (scripts/local-servers.sh install)");
    }
    ok
}

type Logical = (Vec<u8>, String, Option<String>);

/// Finish `agg`, holding `group`: the Kinesis record goes to `out`, what the decoder should give
/// back for it to `expect`.
fn flush(agg: &mut KplAggregator, group: &[Logical], out: &mut Vec<Value>, expect: &mut Vec<Value>) {
    let mut data = Vec::new();
    let f = agg.finish(&mut data).expect("not empty");
    assert_eq!(f.records, group.len());
    let n = out.len();
    out.push(json!({"data": B64.encode(&data), "pk": f.partition_key}));
    for (d, pk, ehk) in group {
        expect.push(json!({
            "record": n,
            "aggregated": f.aggregated,
            "data": B64.encode(d),
            "pk": pk,
            // GetRecords gives no explicit hash key for a plain record.
            "ehk": ehk.as_ref().filter(|_| f.aggregated),
        }));
    }
}

/// Aggregate `records` (in order) into Kinesis records of at most `limit` bytes.
fn aggregate(records: &[Logical], limit: usize, out: &mut Vec<Value>, expect: &mut Vec<Value>) {
    let mut agg = KplAggregator::with_limit(limit);
    let mut start = 0;
    for (i, (d, pk, ehk)) in records.iter().enumerate() {
        if !agg.try_add(d, pk, ehk.as_deref()) {
            flush(&mut agg, &records[start..i], out, expect);
            start = i;
            assert!(agg.try_add(d, pk, ehk.as_deref()), "fits alone");
        }
    }
    flush(&mut agg, &records[start..], out, expect);
}

#[test]
fn aws_kinesis_agg_deaggregates_what_kdg_aggregates() {
    if !have_aws_kinesis_agg() {
        return;
    }
    let mut kinesis = Vec::new();
    let mut expect = Vec::new();

    // Text as templates render it: quoting, unicode, newlines; distinct and repeated keys.
    let texts: Vec<Logical> = (0..60)
        .map(|i| {
            let data = match i % 5 {
                0 => format!("{{\"id\":{i},\"s\":\"quote \\\" and \\\\ backslash\"}}\n"),
                1 => format!("ünïcødé – 日本語 – 🔑 {i}\n"),
                2 => format!("line one {i}\nline two\r\n\ttabbed\n"),
                3 => String::new(),
                _ => format!("{i}"),
            };
            let pk = if i % 3 == 0 {
                format!("ключ-{}", i % 4)
            } else {
                format!("key-{i}")
            };
            (data.into_bytes(), pk, None)
        })
        .collect();
    aggregate(&texts, usize::MAX, &mut kinesis, &mut expect);

    // Binary-ish bytes, including the magic number and invalid UTF-8.
    let binary: Vec<Logical> = (0..20u8)
        .map(|i| {
            let data = [
                &[0xF3, 0x89, 0x9A, 0xC2][..],
                &[0, 0xFF, i, 0x80, b'\n'],
                &vec![i; usize::from(i) * 13],
            ]
            .concat();
            (data, format!("bin-{}", i % 2), None)
        })
        .collect();
    aggregate(&binary, usize::MAX, &mut kinesis, &mut expect);

    // Explicit hash keys on every sub-record, repeated ones shared in the table.
    let hashed: Vec<Logical> = (0..10)
        .map(|i| {
            let ehk = [
                "0",
                "170141183460469231731687303715884105728",
                "340282366920938463463374607431768211455",
            ][i % 3];
            (
                format!("hashed {i}\n").into_bytes(),
                format!("h{i}"),
                Some(ehk.to_string()),
            )
        })
        .collect();
    aggregate(&hashed, usize::MAX, &mut kinesis, &mut expect);

    // One record alone is sent plain; the decoder passes it through.
    aggregate(
        &[(b"alone\n".to_vec(), "solo".into(), None)],
        usize::MAX,
        &mut kinesis,
        &mut expect,
    );

    // A byte limit splits a run into several Kinesis records, each within it.
    let many: Vec<Logical> = (0..300)
        .map(|i| {
            (
                format!("{{\"n\":{i},\"pad\":\"{}\"}}\n", "x".repeat(i % 50)).into_bytes(),
                format!("k{}", i % 7),
                None,
            )
        })
        .collect();
    let before = kinesis.len();
    aggregate(&many, 4096, &mut kinesis, &mut expect);
    assert!(kinesis.len() - before > 3, "the limit split the run");
    for k in &kinesis[before..] {
        let len = B64.decode(k["data"].as_str().unwrap()).unwrap().len() + k["pk"].as_str().unwrap().len();
        assert!(len <= 4096, "{len}");
    }

    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("kinesis.jsonl");
    let lines: Vec<String> = kinesis.iter().map(Value::to_string).collect();
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let o = python_deaggregate(&input);
    let got: Vec<Value> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(got.len(), expect.len());
    for (g, e) in got.iter().zip(&expect) {
        assert_eq!(g, e);
    }
}

/// `kdg run --aggregate` into kinesalite: the stream holds fewer, larger records, the report
/// counts both, and aws_kinesis_agg turns what is in the stream back into exactly the records
/// `kdg render` gives; `--verify` de-aggregates too and finds every record.
#[test]
fn an_aggregated_run_deaggregates_to_exactly_the_rendered_records() {
    if !have_aws_kinesis_agg() {
        return;
    }
    let Some(server) = kinesalite() else { return };
    let endpoint = server.endpoint();
    let client = kinesis_client(&endpoint);
    let rt = rt();
    rt.block_on(create_stream(&client, "agg", 2));
    rt.block_on(create_stream(&client, "agg-verify", 2));
    let template = "tests/fixtures/it-record.hbs";
    let dir = tempfile::tempdir().unwrap();
    let report_path = dir.path().join("r.json");
    let o = run(kdg(&[
        "run",
        template,
        "--stream",
        "agg",
        "--endpoint-url",
        &endpoint,
        "--aggregate",
        "40",
        "--count",
        "1000",
        "--rps",
        "5000",
        "--seed",
        "4",
        "--quiet",
        "--report-json",
        report_path.to_str().unwrap(),
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    let records = rt.block_on(read_records(&client, "agg"));
    let r = report(&report_path);
    assert_eq!(r["totals"]["delivered"], 1000);
    assert_eq!(
        r["totals"]["destination_records"],
        records.len() as u64,
        "the report counts Kinesis records"
    );
    assert!(
        records.len() >= 25 && records.len() < 100,
        "{} Kinesis records for 1000",
        records.len()
    );
    let input = dir.path().join("kinesis.jsonl");
    let lines: Vec<String> = records
        .iter()
        .map(|(_, rec)| json!({"data": B64.encode(rec.data().as_ref()), "pk": rec.partition_key()}).to_string())
        .collect();
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let o = python_deaggregate(&input);
    let mut got: Vec<Vec<u8>> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            B64.decode(v["data"].as_str().unwrap()).unwrap()
        })
        .collect();
    let mut want = rendered(&root().join(template), 4, 1000);
    got.sort();
    want.sort();
    assert_eq!(got.len(), 1000);
    assert!(got == want, "de-aggregated records differ from `kdg render`");

    let verify_path = dir.path().join("v.json");
    let o = run(kdg(&[
        "run",
        template,
        "--stream",
        "agg-verify",
        "--endpoint-url",
        &endpoint,
        "--aggregate",
        "40",
        "--count",
        "500",
        "--rps",
        "5000",
        "--quiet",
        "--verify",
        "--report-json",
        verify_path.to_str().unwrap(),
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    let v = report(&verify_path);
    assert_eq!(v["verify"]["delivered"], 500);
    assert_eq!(v["verify"]["missing"], 0);
    assert_eq!(v["verify"]["foreign"], 0);
}
