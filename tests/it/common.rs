//! Shared pieces of the integration tests: local servers on 127.0.0.1 and free ports, the kdg
//! binary with a sealed AWS environment, and read-back helpers.
//!
//! The servers (kinesalite from npm, moto from PyPI, Prometheus from Debian) are installed by `scripts/local-servers.sh`
//! under `$KDG_SERVERS` (default `~/.cache/kdg/servers`). When they are missing the tests that
//! need them say so and pass, unless `KDG_REQUIRE_SERVERS=1` (set by `scripts/test.sh` and CI),
//! which makes a missing server a failure.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use aws_sdk_kinesis::config::{BehaviorVersion, Credentials, Region};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn servers_dir() -> PathBuf {
    std::env::var_os("KDG_SERVERS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/kdg/servers"))
}

/// A free TCP port on loopback.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind 127.0.0.1:0")
        .local_addr()
        .expect("addr")
        .port()
}

/// Tests that measure rates (find-max) run alone: every test holding a server shares this lock,
/// a measuring test takes it exclusively.
static MACHINE: std::sync::RwLock<()> = std::sync::RwLock::new(());

/// Hold the machine for a test that measures rates: no other server test runs meanwhile.
pub fn exclusive() -> std::sync::RwLockWriteGuard<'static, ()> {
    MACHINE.write().unwrap_or_else(|e| e.into_inner())
}

/// Hold the machine shared, for a test that loads it without a server (the faker.js oracle, a
/// Prometheus): a measuring test then waits for it instead of competing for the cores.
pub fn shared() -> std::sync::RwLockReadGuard<'static, ()> {
    MACHINE.read().unwrap_or_else(|e| e.into_inner())
}

/// A server process, killed when dropped.
pub struct Server {
    child: Child,
    /// Its loopback port.
    pub port: u16,
    _shared: Option<std::sync::RwLockReadGuard<'static, ()>>,
}

impl Server {
    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn missing(what: &str) -> Option<Server> {
    if std::env::var("KDG_REQUIRE_SERVERS").as_deref() == Ok("1") {
        panic!("{what} is not installed: run scripts/local-servers.sh install");
    }
    eprintln!("skipped: {what} is not installed (scripts/local-servers.sh install)");
    None
}

/// Start `cmd` and wait until a line of its output contains `ready`.
fn spawn_until(mut cmd: Command, ready: &str, port: u16) -> Server {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).stdin(Stdio::null());
    let mut child = cmd.spawn().expect("server starts");
    let (tx, rx) = mpsc::channel::<String>();
    for stream in [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        child.stderr.take().map(|s| Box::new(s) as _),
    ]
    .into_iter()
    .flatten()
    {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
    }
    let mut seen = Vec::new();
    loop {
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(line) if line.contains(ready) => break,
            Ok(line) => seen.push(line),
            Err(_) => {
                let _ = child.kill();
                panic!("server did not report `{ready}`; its output:\n{}", seen.join("\n"));
            }
        }
    }
    Server {
        child,
        port,
        _shared: None,
    }
}

/// kinesalite (Kinesis), in memory; shares the machine with other tests.
pub fn kinesalite() -> Option<Server> {
    let guard = MACHINE.read().unwrap_or_else(|e| e.into_inner());
    kinesalite_unlocked().map(|mut s| {
        s._shared = Some(guard);
        s
    })
}

/// kinesalite for a test that already holds [`exclusive`].
pub fn kinesalite_unlocked() -> Option<Server> {
    let cli = servers_dir().join("kinesalite/node_modules/kinesalite/cli.js");
    if !cli.exists() {
        return missing("kinesalite");
    }
    let port = free_port();
    let mut cmd = Command::new("node");
    cmd.arg("-r")
        .arg(root().join("scripts/local-servers/force-loopback.cjs"))
        .arg(cli);
    cmd.args([
        "--port",
        &port.to_string(),
        "--createStreamMs",
        "0",
        "--deleteStreamMs",
        "0",
        "--updateStreamMs",
        "0",
    ]);
    cmd.args(["--shardLimit", "100"]);
    Some(spawn_until(cmd, "Listening at", port))
}

/// moto (Kinesis, Firehose, S3).
pub fn moto() -> Option<Server> {
    let guard = MACHINE.read().unwrap_or_else(|e| e.into_inner());
    let bin = servers_dir().join("venv/bin/moto_server");
    if !bin.exists() {
        return missing("moto");
    }
    let port = free_port();
    let mut cmd = Command::new(bin);
    cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
    let mut s = spawn_until(cmd, "Running on", port);
    s._shared = Some(guard);
    Some(s)
}

/// Prometheus (Debian's `prometheus` package), on a free loopback port, scraping `target`
/// (`127.0.0.1:PORT`) every second with `honor_labels` (kdg's own `job`/`instance` labels
/// stay); its configuration and storage go in `dir`. Shares the machine with other tests.
pub fn prometheus(dir: &Path, target: &str) -> Option<Server> {
    let guard = MACHINE.read().unwrap_or_else(|e| e.into_inner());
    let bin = ["/usr/bin/prometheus", "/usr/local/bin/prometheus"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists());
    let Some(bin) = bin else {
        return missing("prometheus");
    };
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: kdg\n    honor_labels: true\n    static_configs:\n      - targets: ['{target}']\n"
        ),
    )
    .expect("write the Prometheus config");
    let port = free_port();
    let mut cmd = Command::new(bin);
    cmd.arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.tsdb.path={}", dir.join("data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"));
    let mut s = spawn_until(cmd, "Server is ready to receive web requests", port);
    s._shared = Some(guard);
    Some(s)
}

/// `GET path` from `127.0.0.1:port` over plain HTTP/1.1: the status line's code and the body.
pub fn http_get(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")?;
    let mut text = String::new();
    s.read_to_string(&mut text)?;
    let code = text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((code, body))
}

/// The fault-injecting proxy in front of `upstream`.
pub fn proxy(upstream: &Server, args: &[&str]) -> Server {
    let port = free_port();
    let mut cmd = Command::new(python());
    cmd.arg(root().join("scripts/local-servers/throttle_proxy.py"));
    cmd.args([
        "--listen",
        &port.to_string(),
        "--upstream",
        &upstream.port.to_string(),
        "--seed",
        "7",
    ]);
    cmd.args(args);
    spawn_until(cmd, "throttle_proxy", port)
}

/// The Python with boto3 (the servers' venv), for independent read-back.
pub fn python() -> PathBuf {
    let venv = servers_dir().join("venv/bin/python");
    if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
    }
}

/// What the proxy says it injected.
pub fn proxy_stats(p: &Server) -> serde_json::Value {
    let out = Command::new(python())
        .arg("-c")
        .arg(format!(
            "import urllib.request;print(urllib.request.urlopen('http://127.0.0.1:{}/__proxy_stats').read().decode())",
            p.port
        ))
        .output()
        .expect("python runs");
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("proxy stats: {e}: {}", String::from_utf8_lossy(&out.stderr)))
}

/// The kdg binary with a sealed AWS environment: test credentials, a region, no instance
/// metadata lookups, no config files from the machine.
pub fn kdg(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kdg"));
    cmd.args(args).current_dir(root());
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("AWS_ACCESS_KEY_ID", "AKIDKDGTEST")
        .env("AWS_SECRET_ACCESS_KEY", "kdg-test-secret")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/kdg-test-config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/kdg-test-credentials");
    cmd
}

/// Run and collect the output.
pub fn run(mut cmd: Command) -> Output {
    cmd.stdin(Stdio::null()).output().expect("kdg runs")
}

/// stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A Kinesis client for `endpoint` with test credentials.
pub fn kinesis_client(endpoint: &str) -> aws_sdk_kinesis::Client {
    let conf = aws_sdk_kinesis::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("AKIDKDGTEST", "kdg-test-secret", None, None, "test"))
        .endpoint_url(endpoint)
        .build();
    aws_sdk_kinesis::Client::from_conf(conf)
}

/// A runtime for SDK calls made by the tests themselves.
pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Create a stream with `shards` shards and wait until it is active.
pub async fn create_stream(client: &aws_sdk_kinesis::Client, name: &str, shards: i32) {
    client
        .create_stream()
        .stream_name(name)
        .shard_count(shards)
        .send()
        .await
        .expect("create stream");
    for _ in 0..200 {
        let d = client
            .describe_stream()
            .stream_name(name)
            .send()
            .await
            .expect("describe");
        if d.stream_description().map(|d| d.stream_status().as_str()) == Some("ACTIVE") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("stream {name} never became active");
}

/// Every record in every shard of `name`, as `(shard id, data)`.
pub async fn read_all(client: &aws_sdk_kinesis::Client, name: &str) -> Vec<(String, Vec<u8>)> {
    read_records(client, name)
        .await
        .into_iter()
        .map(|(shard, r)| (shard, r.data().as_ref().to_vec()))
        .collect()
}

/// Every record in every shard of `name`, as `(shard id, record)`.
pub async fn read_records(
    client: &aws_sdk_kinesis::Client,
    name: &str,
) -> Vec<(String, aws_sdk_kinesis::types::Record)> {
    let d = client
        .describe_stream()
        .stream_name(name)
        .send()
        .await
        .expect("describe");
    let shards: Vec<String> = d
        .stream_description()
        .expect("description")
        .shards()
        .iter()
        .map(|s| s.shard_id().to_string())
        .collect();
    let mut out = Vec::new();
    for shard in shards {
        let mut it = client
            .get_shard_iterator()
            .stream_name(name)
            .shard_id(&shard)
            .shard_iterator_type(aws_sdk_kinesis::types::ShardIteratorType::TrimHorizon)
            .send()
            .await
            .expect("iterator")
            .shard_iterator()
            .map(str::to_string);
        while let Some(i) = it {
            let r = client
                .get_records()
                .shard_iterator(i)
                .limit(10_000)
                .send()
                .await
                .expect("get records");
            if r.records().is_empty() {
                break;
            }
            out.extend(r.records().iter().map(|rec| (shard.clone(), rec.clone())));
            it = r.next_shard_iterator().map(str::to_string);
        }
    }
    out
}

/// The records `kdg render` gives for a template and seed, each with its newline.
pub fn rendered(template: &Path, seed: u64, n: u64) -> Vec<Vec<u8>> {
    let o = run(kdg(&[
        "render",
        template.to_str().expect("utf8"),
        "-n",
        &n.to_string(),
        "--seed",
        &seed.to_string(),
    ]));
    assert!(o.status.success(), "render failed: {}", stderr(&o));
    o.stdout.split_inclusive(|b| *b == b'\n').map(<[u8]>::to_vec).collect()
}

/// Read a JSON report.
pub fn report(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("report written")).expect("report is JSON")
}

/// What is wrong with `report` by `schema/report.schema.json`; empty when it is valid.
pub fn schema_errors(report: &serde_json::Value) -> Vec<String> {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("schema/report.schema.json")).unwrap()).unwrap();
    let v = jsonschema::validator_for(&schema).expect("schema compiles");
    v.iter_errors(report)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// Send `signal` (`TERM`, `INT`, `HUP`) to `child`.
pub fn signal(child: &std::process::Child, signal: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .expect("kill runs")
        .success();
    assert!(ok, "kill -{signal} {}", child.id());
}

/// Read lines from `from` until one contains `needle`; everything read so far (panics at the
/// end of the stream without it).
pub fn read_until(from: &mut impl std::io::BufRead, needle: &str) -> String {
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        let n = from.read_line(&mut line).expect("readable");
        seen.push_str(&line);
        if line.contains(needle) {
            return seen;
        }
        assert!(n > 0, "`{needle}` never came; got:\n{seen}");
    }
}

/// A TCP endpoint that accepts connections and never answers: a stalled service.
pub fn stalled_endpoint() -> (std::net::TcpListener, String) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let url = format!("http://{}", l.local_addr().unwrap());
    (l, url)
}

/// Run a boto3 snippet against moto; `ENDPOINT` is defined for it.
pub fn boto3(endpoint: &str, code: &str) -> String {
    let script = format!(
        "import boto3, json\nENDPOINT = {endpoint:?}\nkw = dict(endpoint_url=ENDPOINT, region_name='us-east-1', \
         aws_access_key_id='AKIDKDGTEST', aws_secret_access_key='kdg-test-secret')\n{code}"
    );
    let o = Command::new(python())
        .arg("-c")
        .arg(script)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .expect("python runs");
    assert!(
        o.status.success(),
        "boto3 failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("utf8")
}

/// Create `bucket` (if new) and a DirectPut delivery stream `name` writing to it under `prefix`.
pub fn create_hose(endpoint: &str, bucket: &str, name: &str, prefix: &str) {
    boto3(
        endpoint,
        &format!(
            "s3 = boto3.client('s3', **kw)\n\
             if {bucket:?} not in [b['Name'] for b in s3.list_buckets()['Buckets']]: s3.create_bucket(Bucket={bucket:?})\n\
             boto3.client('firehose', **kw).create_delivery_stream(DeliveryStreamName={name:?}, DeliveryStreamType='DirectPut', \
             ExtendedS3DestinationConfiguration={{'RoleARN': 'arn:aws:iam::123456789012:role/kdg', \
             'BucketARN': 'arn:aws:s3:::{bucket}', 'Prefix': {prefix:?}}})"
        ),
    );
}

/// Every object under `prefix` in `bucket`, concatenated in key order, as text.
pub fn s3_text(endpoint: &str, bucket: &str, prefix: &str) -> String {
    boto3(
        endpoint,
        &format!(
            "import sys\ns3 = boto3.client('s3', **kw)\n\
             objs = s3.list_objects_v2(Bucket={bucket:?}, Prefix={prefix:?}).get('Contents', [])\n\
             sys.stdout.write(''.join(s3.get_object(Bucket={bucket:?}, Key=o['Key'])['Body'].read().decode() \
             for o in sorted(objs, key=lambda o: o['Key'])))"
        ),
    )
}

/// The `node_modules` directory holding faker.js 3.1.0 and moment 2.17.1 (installed by
/// `scripts/local-servers.sh`), or `None` (after saying so) when it or `node` is missing; with
/// `KDG_REQUIRE_SERVERS=1` a missing oracle fails the test instead.
pub fn fakerjs() -> Option<PathBuf> {
    let modules = servers_dir().join("fakerjs/node_modules");
    let node = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if node && modules.join("faker/package.json").is_file() && modules.join("moment/package.json").is_file() {
        return Some(modules);
    }
    let what = if node { "faker.js 3.1.0 (npm)" } else { "node" };
    if std::env::var("KDG_REQUIRE_SERVERS").as_deref() == Ok("1") {
        panic!("{what} is not installed: run scripts/local-servers.sh install");
    }
    eprintln!("skipped: {what} is not installed (scripts/local-servers.sh install)");
    None
}

/// A child process killed when dropped (kdg lingering after its report).
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Poll `f` up to `attempts` times, `every` apart, until it gives a value.
pub fn poll<T>(attempts: u32, every: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    for _ in 0..attempts {
        if let Some(v) = f() {
            return Some(v);
        }
        std::thread::sleep(every);
    }
    None
}

/// The JSON report at `path`, once it is written.
pub fn written(path: &std::path::Path) -> serde_json::Value {
    poll(400, Duration::from_millis(50), || {
        serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
    })
    .expect("the report is written")
}

/// The records each row of the `--timeline` NDJSON file at `path` says were sent.
pub fn timeline_sent_per_row(path: &Path) -> Vec<u64> {
    std::fs::read_to_string(path)
        .expect("the timeline is written")
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).expect("a JSON row")["sent"]
                .as_u64()
                .expect("sent")
        })
        .collect()
}

/// The records a `--timeline` NDJSON file at `path` says were sent, over all its rows.
pub fn timeline_sent(path: &Path) -> u64 {
    timeline_sent_per_row(path).iter().sum()
}

/// `kdg run` of the finance scenario (two jobs) for 2 s to the null sink, quietly: add the
/// outputs to look at.
pub const FINANCE_SCENARIO_LOCALLY: [&str; 8] = [
    "run",
    "--scenario",
    "scenarios/finance.toml",
    "--duration",
    "2s",
    "--sink",
    "null",
    "-q",
];

/// The lines of `path` once it holds at least `n` complete ones; polled every 50 ms for at most
/// 30 s (a run writes one a second).
pub fn wait_for_lines(path: &Path, n: usize) -> Vec<String> {
    for _ in 0..600 {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<String> = text.split_inclusive('\n').map(|l| l.trim_end().to_string()).collect();
        if lines.iter().filter(|l| !l.is_empty()).count() >= n && text.ends_with('\n') {
            return lines;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{} never held {n} lines", path.display());
}
