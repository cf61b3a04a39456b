//! Scenarios and replays end to end: `kdg run --scenario` against moto's Firehose (two delivery
//! streams, two rates), `kdg run --from` against kinesalite, checked by reading everything back.

use crate::common::*;

#[test]
fn the_finance_scenario_fills_two_delivery_streams_each_at_its_own_rate() {
    let Some(server) = moto() else { return };
    let endpoint = server.endpoint();
    create_hose(&endpoint, "finance", "kdg-prices", "prices/");
    create_hose(&endpoint, "finance", "kdg-transactions", "transactions/");
    let dir = tempfile::tempdir().unwrap();
    let report_path = dir.path().join("scenario.json");
    // The shipped file, with the duration and endpoint overridden from the command line.
    let o = run(kdg(&[
        "run",
        "--scenario",
        "scenarios/finance.toml",
        "--duration",
        "3s",
        "--endpoint-url",
        &endpoint,
        "--seed",
        "11",
        "--report-json",
        report_path.to_str().unwrap(),
    ]));
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("== job prices ==")
            && err.contains("== job transactions ==")
            && err.contains("== total of 2 jobs =="),
        "{err}"
    );
    for (prefix, want, field) in [("prices/", 3000, "price"), ("transactions/", 300, "book_id")] {
        let text = s3_text(&endpoint, "finance", prefix);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines.len(),
            want,
            "{prefix}: rate x duration records, no more, no fewer"
        );
        for l in &lines {
            let v: serde_json::Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}"));
            assert!(v.get(field).is_some(), "{prefix} record {l}");
        }
    }
    let r = report(&report_path);
    let jobs = r["jobs"].as_array().unwrap();
    let by_name = |n: &str| &jobs.iter().find(|j| j["name"] == n).unwrap()["report"];
    for (name, rate, count) in [("prices", 1000.0, 3000), ("transactions", 100.0, 300)] {
        let job = by_name(name);
        assert_eq!(job["target_rps"].as_f64(), Some(rate), "{name}");
        assert_eq!(job["totals"]["delivered"], count, "{name}");
        assert_eq!(job["config"]["destination"]["firehose"], format!("kdg-{name}"));
    }
    assert_eq!(r["total"]["totals"]["delivered"], 3300);
    assert_eq!(r["total"]["target_rps"].as_f64(), Some(1100.0));
}

#[test]
fn a_scenario_with_a_mistake_names_file_line_and_fix() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.toml");
    let template = root().join("templates/price.hbs");
    let t = template.to_str().unwrap();
    for (text, want) in [
        (
            format!("[[job]]\nname = \"a\"\ntemplate = {t:?}\nrpss = 5\n"),
            ":4:1: unknown key `rpss`; did you mean `rps`?",
        ),
        (
            format!("[[job]]\nname = \"a\"\ntemplate = {t:?}\n[[job]]\nname = \"a\"\ntemplate = {t:?}\n"),
            ":5:1: a second job named `a`",
        ),
        (
            format!("[[job]]\nname = \"a\"\ntemplate = {t:?}\nrps = \"fast\"\n"),
            ":4:1: job `a`: invalid value 'fast'",
        ),
        (
            "[[job]]\nname = \"a\"\ntemplate = \"nope.hbs\"\n".to_string(),
            ":3:12: template `nope.hbs` not found",
        ),
    ] {
        std::fs::write(&file, &text).unwrap();
        let o = run(kdg(&["run", "--scenario", file.to_str().unwrap()]));
        assert_eq!(o.status.code(), Some(2), "{text}");
        let err = stderr(&o);
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(err.contains(&format!("{}{want}", file.display())), "{text}\n{err}");
    }
}

/// A CSV with quoting, empty fields, numbers that must stay numbers (and `007`, which must not),
/// a line break inside a field and non-ASCII text.
const CSV: &str = "id,name,city,price,note,code\n\
1,\"Smith, Jane\",Z\u{fc}rich,1.50,\"she said \"\"hi\"\"\",007\n\
2,,\u{65e5}\u{672c},-3,,42\n\
3,\"multi\nline\",\u{1f680} Mars,6.02e23,\u{e9}t\u{e9},\n";

/// Python's csv module reads the file; each record read back is parsed with numbers kept as
/// their text, and must carry the same keys in the same order and the same values (empty =
/// null, numbers byte for byte).
const COMPARE: &str = r#"
import csv, json, sys
rows = list(csv.reader(open(sys.argv[1], newline='', encoding='utf-8')))
header, rows = rows[0], rows[1:]
got = [json.loads(l, parse_float=str, parse_int=str) for l in open(sys.argv[2], encoding='utf-8').read().split('\x1e') if l]
assert len(got) == len(rows), (len(got), len(rows))
for row, rec in zip(rows, got):
    assert list(rec.keys()) == header, (rec, header)
    for k, v in zip(header, row):
        want = None if v == '' else v
        assert rec[k] == want, (k, rec[k], want)
        if k == 'price':
            assert isinstance(rec[k], str), 'parse_float saw a number'
print('ok', len(got))
"#;

#[test]
fn a_csv_replayed_into_kinesis_round_trips_exactly() {
    let Some(server) = kinesalite() else { return };
    let endpoint = server.endpoint();
    let client = kinesis_client(&endpoint);
    let rt = rt();
    rt.block_on(create_stream(&client, "replay", 1));
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("rows.csv");
    std::fs::write(&csv, CSV).unwrap();
    let o = run(kdg(&[
        "run",
        "--from",
        csv.to_str().unwrap(),
        "--stream",
        "replay",
        "--endpoint-url",
        &endpoint,
        "--partition-key",
        "one",
        "--rps",
        "50",
        "--quiet",
        "--no-newline",
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    let records = rt.block_on(read_all(&client, "replay"));
    assert_eq!(records.len(), 3);
    let joined: Vec<u8> = records
        .iter()
        .flat_map(|(_, d)| d.iter().copied().chain([0x1e]))
        .collect();
    let got = dir.path().join("got");
    std::fs::write(&got, joined).unwrap();
    let check = std::process::Command::new(python())
        .args(["-c", COMPARE, csv.to_str().unwrap(), got.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
}

#[test]
fn a_replay_through_a_template_and_a_bad_row_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("rows.csv");
    std::fs::write(&csv, "sym,px\nAAPL,1.5\nbroken\nMSFT,2\n").unwrap();
    let t = dir.path().join("t.hbs");
    std::fs::write(&t, "{{row.sym}} at {{row.px}}").unwrap();
    let args = |extra: &[&str]| {
        let mut a = vec![
            "run",
            t.to_str().unwrap(),
            "--from",
            csv.to_str().unwrap(),
            "--rps",
            "1000",
            "--quiet",
        ];
        a.extend_from_slice(extra);
        run(kdg(&a))
    };
    let o = args(&["--on-bad-row", "skip"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "AAPL at 1.5\nMSFT at 2\n");
    let o = args(&[]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "AAPL at 1.5\n");
    std::fs::write(&t, "{{row.price}}").unwrap();
    let o = args(&[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no column `price`; its columns are: sym, px"),
        "{}",
        stderr(&o)
    );
}
