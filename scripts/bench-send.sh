#!/usr/bin/env bash
# Sending-path benchmark: kdg and a boto3 producer against the same fast fake Kinesis endpoint.
#
#   scripts/bench-send.sh                       # 20 s each
#   BENCH_SECONDS=10 scripts/bench-send.sh --max-in-flight 64 --workers 2   # extra flags go to kdg
#
# Starts examples/fake_kinesis (release; src/fake_endpoint.rs) on a free 127.0.0.1 port, then
#   1. target/release/kdg run templates/price.hbs --rps max (500-record PutRecords) for BENCH_SECONDS,
#   2. scripts/bench_boto3_producer.py (500-record PutRecords, one request at a time) for BENCH_SECONDS,
# and prints records/s and CPU (user+system over wall time, % of one core) of each, the endpoint's
# own CPU over each run (it shares the machine's cores), and the ratio. Dummy credentials only;
# nothing leaves 127.0.0.1. The endpoint is stopped on exit.
# BOTO3_PYTHON overrides the interpreter (default: the local-servers venv, which has boto3).
set -euo pipefail
cd "$(dirname "$0")/.."

S=${BENCH_SECONDS:-20}
PY=${BOTO3_PYTHON:-${KDG_SERVERS:-$HOME/.cache/kdg/servers}/venv/bin/python}
OUT=$(mktemp -d /tmp/kdg-bench-send.XXXXXX)
KDG_REPORT=${KDG_REPORT:-/tmp/kdg-send.json}
TICKS=$(getconf CLK_TCK)

[ -x "$PY" ] || { echo "no Python with boto3 at $PY (set BOTO3_PYTHON or KDG_SERVERS)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is needed (apt-get install time)" >&2; exit 2; }

cargo build --release -q --bin kdg --example fake_kinesis

target/release/examples/fake_kinesis 0 > "$OUT/fake.log" 2>&1 &
FAKE_PID=$!
cleanup() {
  kill "$FAKE_PID" 2>/dev/null || true
  wait "$FAKE_PID" 2>/dev/null || true
  rm -rf "$OUT"
}
trap cleanup EXIT INT TERM

for _ in $(seq 100); do
  grep -q '^listening on ' "$OUT/fake.log" 2>/dev/null && break
  kill -0 "$FAKE_PID" 2>/dev/null || { cat "$OUT/fake.log" >&2; exit 1; }
  sleep 0.05
done
ADDR=$(sed -n 's/^listening on //p' "$OUT/fake.log")
[ -n "$ADDR" ] || { echo "the fake endpoint did not start" >&2; exit 1; }
URL="http://$ADDR"

# Dummy credentials; no profile, config file or instance metadata is consulted.
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL
export AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x AWS_EC2_METADATA_DISABLED=true \
  AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent

fake_ticks() { awk '{print $14 + $15}' "/proc/$FAKE_PID/stat"; }

# run NAME CMD... : time CMD; leaves "$OUT/NAME.time" (wall user sys) and "$OUT/NAME.fake" (endpoint CPU s).
run() {
  local name=$1 before after
  shift
  before=$(fake_ticks)
  /usr/bin/time -f '%e %U %S' -o "$OUT/$name.time" "$@" > "$OUT/$name.out" 2> "$OUT/$name.err" || {
    echo "$name failed:" >&2
    cat "$OUT/$name.err" >&2
    exit 1
  }
  after=$(fake_ticks)
  echo "$(( after - before )) $TICKS" > "$OUT/$name.fake"
}

echo "fake endpoint: $URL (pid $FAKE_PID); $S s per run on $(nproc) cores"

KDG_CMD=(target/release/kdg run templates/price.hbs --rps max --duration "${S}s" --stream bench
  --endpoint-url "$URL" --region us-east-1 --quiet --report-json "$KDG_REPORT" "$@")
echo "\$ ${KDG_CMD[*]}"
run kdg "${KDG_CMD[@]}"

BOTO_CMD=("$PY" scripts/bench_boto3_producer.py --endpoint "$URL" --stream bench --seconds "$S" --batch 500)
echo "\$ ${BOTO_CMD[*]}"
run boto3 "${BOTO_CMD[@]}"

python3 - "$OUT" "$KDG_REPORT" <<'EOF'
import json, sys
out, report = sys.argv[1], sys.argv[2]

def cpu(name):
    """CPU of the run and of the endpoint meanwhile, in % of one core: (total, user, system, endpoint)."""
    wall, user, system = map(float, open(f"{out}/{name}.time").read().split()[-3:])
    ticks, hz = map(int, open(f"{out}/{name}.fake").read().split())
    return (user + system) / wall * 100, user / wall * 100, system / wall * 100, ticks / hz / wall * 100

r = json.load(open(report))
t, lat = r["totals"], r["latency"]
kdg_rps = r["achieved_rps"]
kc, ku, ks, kf = cpu("kdg")
print(f"kdg:   {kdg_rps:>10,.0f} records/s delivered ({t['delivered']:,} records, failed {t['failed']:,}, "
      f"{t['requests'] / r['elapsed_s']:,.0f} requests/s, request p50 {lat['request']['p50_ms']:.1f} ms, "
      f"record p99 {lat['record_e2e']['p99_ms']:.1f} ms)")
print(f"       CPU {kc:.0f}% of one core (user {ku:.0f}%, system {ks:.0f}%); the endpoint meanwhile {kf:.0f}%")

py = json.loads(open(f"{out}/boto3.out").read().strip().splitlines()[-1])
pc, pu, ps, pf = cpu("boto3")
print(f"boto3: {py['records_per_s']:>10,.0f} records/s accepted ({py['records']:,} records, failed {py['failed']:,}, "
      f"{py['requests'] / py['seconds']:,.0f} requests/s)")
print(f"       CPU {pc:.0f}% of one core (user {pu:.0f}%, system {ps:.0f}%); the endpoint meanwhile {pf:.0f}%")
print(f"ratio: kdg sends {kdg_rps / py['records_per_s']:.1f}x the boto3 producer's records/s; per core-second of "
      f"its own CPU {kdg_rps / kc * 100:,.0f} vs {py['records_per_s'] / pc * 100:,.0f} records "
      f"({kdg_rps / kc / (py['records_per_s'] / pc):.1f}x)")
EOF
