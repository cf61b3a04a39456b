//! `kdg run --from` through pipes (a FIFO, standard input), `kdg render`'s record-number limit,
//! and secrets kept out of every output of a real run.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::common::*;

/// `n` distinct NDJSON lines, each ending in a newline.
fn lines(n: u64) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..n {
        writeln!(
            out,
            "{{\"i\":{i},\"pad\":\"z\u{fc}rich-{:08x}\",\"x\":[1,2,3]}}",
            i.wrapping_mul(2_654_435_761)
        )
        .unwrap();
    }
    out
}

/// A FIFO at `dir/name`, made by `mkfifo`.
fn mkfifo(dir: &Path, name: &str) -> std::path::PathBuf {
    let fifo = dir.join(name);
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
    assert!(made.success(), "mkfifo {}", fifo.display());
    fifo
}

fn assert_identical(input: &[u8], out: &Path) {
    let got = std::fs::read(out).unwrap();
    let (want_lines, got_lines) = (input.split(|&b| b == b'\n').count(), got.split(|&b| b == b'\n').count());
    assert_eq!(got_lines, want_lines, "line count");
    assert!(got == input, "the output differs from the input");
}

#[test]
fn a_replay_through_a_fifo_sends_every_line_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let input = lines(100_000);
    let file = dir.path().join("in.ndjson");
    std::fs::write(&file, &input).unwrap();
    let fifo = mkfifo(dir.path(), "pipe.ndjson");
    // The writer is a process, so it can be ended whatever kdg does with the FIFO.
    let mut writer = Command::new("sh")
        .arg("-c")
        .arg("cat \"$0\" > \"$1\"")
        .arg(&file)
        .arg(&fifo)
        .spawn()
        .expect("sh runs");
    let out = dir.path().join("out.ndjson");
    let o = run(kdg(&[
        "run",
        "--from",
        fifo.to_str().unwrap(),
        "--rps",
        "max",
        "--sink",
        &format!("file:{}", out.display()),
        "--quiet",
    ]));
    let _ = writer.kill();
    let _ = writer.wait();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_identical(&input, &out);
}

#[test]
fn a_replay_from_standard_input_sends_every_line_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let input = lines(100_000);
    let out = dir.path().join("out.ndjson");
    let report = dir.path().join("r.json");
    let mut child = kdg(&[
        "run",
        "--from",
        "-",
        "--from-format",
        "ndjson",
        "--rps",
        "max",
        "--sink",
        &format!("file:{}", out.display()),
        "--quiet",
        "--report-json",
        report.to_str().unwrap(),
    ])
    .stdin(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("kdg runs");
    let mut stdin = child.stdin.take().expect("stdin");
    let feed = {
        let input = input.clone();
        std::thread::spawn(move || stdin.write_all(&input))
    };
    let o = child.wait_with_output().expect("kdg ends");
    feed.join().unwrap().expect("kdg read all of its input");
    assert!(o.status.success(), "{}", stderr(&o));
    assert_identical(&input, &out);
    let r = crate::common::report(&report);
    assert_eq!(r["totals"]["delivered"], 100_000);
    assert_eq!(r["stopped_by"], "end_of_input");
    assert_eq!(r["input"]["file"], "standard input");
}

#[test]
fn inputs_read_once_refuse_loop_and_stdin_needs_a_format() {
    for (args, flag, words) in [
        (
            &["run", "--from", "-", "--from-format", "csv", "--loop", "--sink", "null"][..],
            "--loop",
            "read only once",
        ),
        (&["run", "--from", "-", "--sink", "null"], "--from", "--from-format"),
    ] {
        let o = run(kdg(args));
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = stderr(&o);
        assert!(err.contains(flag) && err.contains(words), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    }
    let dir = tempfile::tempdir().unwrap();
    let fifo = mkfifo(dir.path(), "p.csv");
    let o = run(kdg(&[
        "run",
        "--from",
        fifo.to_str().unwrap(),
        "--loop",
        "--sink",
        "null",
    ]));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--loop"), "{}", stderr(&o));
    // find-max reads its input at every step.
    let o = run(kdg(&[
        "find-max",
        "--from",
        fifo.to_str().unwrap(),
        "--stream",
        "s",
        "--endpoint-url",
        "http://127.0.0.1:1",
    ]));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("read only once"), "{}", stderr(&o));
}

#[test]
fn render_refuses_record_numbers_past_the_last() {
    let o = run(kdg(&[
        "render",
        "templates/price.hbs",
        "--start",
        "18446744073709551614",
        "-n",
        "3",
    ]));
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty(), "nothing is printed");
    let err = stderr(&o);
    assert!(err.contains("--count") && err.contains("18446744073709551615"), "{err}");
    let o = run(kdg(&[
        "render",
        "templates/price.hbs",
        "--start",
        "18446744073709551614",
        "-n",
        "2",
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 2);
}

#[test]
fn secrets_reach_no_output() {
    const PASSWORD: &str = "MarkerPassw0rdKDG";
    const KEY_ID: &str = "AKIAKDGMARKER0000042";
    const SECRET: &str = "MarkerSecretKeyKDG/abcdef0123456789";
    const TOKEN: &str = "MarkerSessionTokenKDG+abcdef0123456789";
    let Some(server) = kinesalite() else { return };
    let rt = rt();
    let client = kinesis_client(&server.endpoint());
    rt.block_on(create_stream(&client, "secrets", 1));
    let dir = tempfile::tempdir().unwrap();
    let (json, html, timeline) = (
        dir.path().join("r.json"),
        dir.path().join("r.html"),
        dir.path().join("t.ndjson"),
    );
    let endpoint = format!("http://kdg:{PASSWORD}@127.0.0.1:{}", server.port);
    let metrics = free_port();
    let mut cmd = kdg(&[
        "run",
        "templates/price.hbs",
        "--stream",
        "secrets",
        "--endpoint-url",
        &endpoint,
        "-n",
        "300",
        "--rps",
        "200",
        "--report-json",
        json.to_str().unwrap(),
        "--report-html",
        html.to_str().unwrap(),
        "--timeline",
        timeline.to_str().unwrap(),
        "--metrics-listen",
        &format!("127.0.0.1:{metrics}"),
        "--metrics-linger",
        "60s",
    ]);
    let (out, err) = (dir.path().join("stdout"), dir.path().join("stderr"));
    cmd.env("AWS_ACCESS_KEY_ID", KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_SESSION_TOKEN", TOKEN)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap());
    // The run ends, writes its report and lingers with its final metrics up.
    let lingering = Killed(cmd.spawn().expect("kdg starts"));
    let r = written(&json);
    let (code, scraped) = http_get(metrics, "/metrics").expect("/metrics answers while kdg lingers");
    assert_eq!(code, 200, "{scraped}");
    assert!(scraped.contains("kdg_records_delivered"), "{scraped}");
    drop(lingering);
    assert_eq!(r["totals"]["delivered"], 300, "the run sent through the endpoint");
    assert!(
        r["config"]["aws"]["endpoint_url"]
            .as_str()
            .is_some_and(|u| u.contains("***@127.0.0.1")),
        "the endpoint is still echoed, without its password: {}",
        r["config"]["aws"]
    );
    let mut outputs = vec![("/metrics".to_string(), scraped.into_bytes())];
    for f in [&out, &err, &json, &html, &timeline] {
        outputs.push((f.display().to_string(), std::fs::read(f).unwrap()));
    }
    // A setup error echoes the URL too.
    let mut bad = kdg(&["run", "templates/price.hbs", "--stream", "s", "--endpoint-url"]);
    bad.arg(format!("ftp://kdg:{PASSWORD}@127.0.0.1:1"));
    let o = run(bad);
    assert_eq!(o.status.code(), Some(2));
    outputs.push(("setup error".to_string(), o.stderr.clone()));
    for (name, bytes) in &outputs {
        let text = String::from_utf8_lossy(bytes);
        for marker in [PASSWORD, KEY_ID, SECRET, TOKEN] {
            assert!(!text.contains(marker), "{name} contains `{marker}`:\n{text}");
        }
    }
}
