#!/usr/bin/env python3
"""Sending-path benchmark: kdg and a boto3 producer against the same fast fake Kinesis endpoint.

Starts `examples/fake_kinesis` (release) on a free loopback port, then for SECONDS each:
  * kdg run templates/price.hbs --rps max --stream bench (500-record PutRecords batches)
  * a boto3 producer sending 500-record PutRecords batches of the same record shape
and prints records/s and CPU (user+system over wall time, in % of one core) for both.
Dummy credentials only; nothing leaves 127.0.0.1.
Usage: scripts/bench_send.py [--seconds 20] [--python PATH_WITH_BOTO3]
"""
import argparse, json, os, resource, subprocess, sys, tempfile, time

ap = argparse.ArgumentParser()
ap.add_argument("--seconds", type=int, default=20)
ap.add_argument("--python", default=os.path.expanduser("~/.cache/kdg/servers/venv/bin/python"))
A = ap.parse_args()
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.chdir(root)
subprocess.run(["cargo", "build", "--release", "-q", "--bin", "kdg", "--example", "fake_kinesis", "--features", "test-utils"], check=True)
env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDBENCH", AWS_SECRET_ACCESS_KEY="bench", AWS_REGION="us-east-1",
           AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent")
fake = subprocess.Popen(["target/release/examples/fake_kinesis", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
url = "http://" + fake.stdout.readline().split()[-1]


def measured(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if out.returncode != 0:
        sys.exit(f"{cmd[0]} failed: {out.stderr}")
    return out.stdout, cpu / wall * 100


try:
    with tempfile.TemporaryDirectory() as d:
        report = os.path.join(d, "r.json")
        _, kdg_cpu = measured(["target/release/kdg", "run", "templates/price.hbs", "--rps", "max", "--duration", f"{A.seconds}s",
                               "--stream", "bench", "--endpoint-url", url, "--quiet", "--report-json", report])
        r = json.load(open(report))
        kdg_rps = r["achieved_rps"]
        print(f"kdg:   {kdg_rps:,.0f} records/s delivered, CPU {kdg_cpu:.0f}% of one core, "
              f"{r['totals']['requests'] / r['elapsed_s']:,.0f} requests/s, p99 e2e {r['latency']['record_e2e']['p99_ms']:.1f} ms")
        out, py_cpu = measured([A.python, "scripts/bench_boto3_producer.py", "--endpoint", url, "--seconds", str(A.seconds)])
        py = json.loads(out.strip().splitlines()[-1])
        print(f"boto3: {py['records_per_s']:,.0f} records/s, CPU {py_cpu:.0f}% of one core")
        print(f"ratio: kdg sends {kdg_rps / py['records_per_s']:.1f}x the boto3 producer's records/s")
finally:
    fake.terminate()
