#!/usr/bin/env bash
# Run every `kdg …` command in the README's ```sh code blocks, as written, and fail on the first
# one that exits non-zero or does not write a file it names (--report-json, --report-html,
# --timeline, --sink file:, -o). The commands run from a temporary copy of the inputs they read
# (templates/, examples/, scenarios/), never in the repository. AWS commands go to kinesalite
# (Kinesis) and moto (Firehose, S3) on 127.0.0.1 and free ports (installed by
# scripts/local-servers.sh) through AWS_ENDPOINT_URL_KINESIS and AWS_ENDPOINT_URL, with test
# credentials; the streams and delivery streams the README names are created first.
# A command marked `# not run in CI` in the README is skipped, deliberately.
#   scripts/readme-examples.sh            # `kdg` on PATH (CI puts the debug build there)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v kdg >/dev/null || { echo "readme-examples: no kdg on PATH (cargo build, then PATH=\$CARGO_TARGET_DIR/debug:\$PATH)" >&2; exit 2; }
export KDG_SERVERS=${KDG_SERVERS:-$HOME/.cache/kdg/servers}
scripts/local-servers.sh install >/dev/null
venv=$KDG_SERVERS/venv/bin

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
cp -r templates examples scenarios "$work/"

# The commands: lines of ```sh blocks that run kdg (alone or at the end of a pipe), with
# backslash continuations joined.
awk '
  /^```sh[[:space:]]*$/ { inblock = 1; next }
  /^```/ { inblock = 0; next }
  inblock {
    line = $0
    if (cont != "") { line = cont " " line; cont = "" }
    if (line ~ /\\[[:space:]]*$/) { sub(/\\[[:space:]]*$/, "", line); cont = line; next }
    if (line ~ /^[[:space:]]*kdg / || line ~ /\|[[:space:]]*kdg /) print line
  }
' README.md >"$work/commands.txt"
total=$(wc -l <"$work/commands.txt")
[ "$total" -gt 0 ] || { echo "readme-examples: no kdg commands found in README.md" >&2; exit 1; }

# kinesalite for Kinesis and moto for Firehose and S3 (as tests/it/common.rs starts them), on
# loopback and free ports.
free_port() { "$venv/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
start() { # LOG READY-TEXT COMMAND…
  local log=$1 ready=$2
  shift 2
  "$@" >"$log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 150); do
    grep -q "$ready" "$log" && return 0
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.2
  done
  echo "readme-examples: $* did not start" >&2; cat "$log" >&2; exit 1
}
kport=$(free_port)
start "$work/kinesalite.log" 'Listening at' node -r "$PWD/scripts/local-servers/force-loopback.cjs" \
  "$KDG_SERVERS/kinesalite/node_modules/kinesalite/cli.js" --port "$kport" \
  --createStreamMs 0 --deleteStreamMs 0 --updateStreamMs 0 --shardLimit 100
mport=$(free_port)
start "$work/moto.log" 'Running on' "$venv/moto_server" -H 127.0.0.1 -p "$mport"

# A sealed AWS environment: test credentials, no files or instance metadata from the machine.
for v in $(env | sed -n 's/^\(AWS_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
export AWS_ACCESS_KEY_ID=AKIDKDGEXAMPLES AWS_SECRET_ACCESS_KEY=kdg-examples-secret
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE=/nonexistent/kdg-config AWS_SHARED_CREDENTIALS_FILE=/nonexistent/kdg-credentials
export AWS_ENDPOINT_URL_KINESIS="http://127.0.0.1:$kport" AWS_ENDPOINT_URL="http://127.0.0.1:$mport"

# The destinations the README's examples name.
"$venv/python" - <<'PY'
import os, boto3
url = os.environ["AWS_ENDPOINT_URL"]
kinesis = boto3.client("kinesis", endpoint_url=os.environ["AWS_ENDPOINT_URL_KINESIS"])
for name, shards in [("prices", 2), ("iot", 6), ("s", 2)]:
    kinesis.create_stream(StreamName=name, ShardCount=shards)
boto3.client("s3", endpoint_url=url).create_bucket(Bucket="kdg-examples")
firehose = boto3.client("firehose", endpoint_url=url)
for name in ["trades", "raw", "kdg-prices", "kdg-transactions"]:
    firehose.create_delivery_stream(
        DeliveryStreamName=name,
        ExtendedS3DestinationConfiguration={
            "RoleARN": "arn:aws:iam::123456789012:role/kdg-examples",
            "BucketARN": "arn:aws:s3:::kdg-examples",
            "Prefix": name + "/",
        },
    )
PY

n=0 ran=0 skipped=0
while IFS= read -r -u 3 cmd; do
  n=$((n + 1))
  if [[ $cmd == *"# not run in CI"* ]]; then
    skipped=$((skipped + 1))
    printf 'skip %2d/%d  %s\n' "$n" "$total" "$cmd"
    continue
  fi
  printf 'run  %2d/%d  %s\n' "$n" "$total" "$cmd"
  t0=$(date +%s)
  set +e
  (cd "$work" && timeout 120 bash -o pipefail -c "$cmd" </dev/null >"$work/out.log" 2>"$work/err.log")
  rc=$?
  set -e
  if [ "$rc" -ne 0 ]; then
    echo "readme-examples: exit code $rc from: $cmd" >&2
    tail -n 20 "$work/err.log" >&2
    exit 1
  fi
  # Every file the command was asked to write must be there.
  for f in $(grep -oE '(--report-json|--report-html|--timeline|--timeline-out|-o) [^ ]+|--sink file:[^ ]+' <<<"${cmd%%#*}" \
    | sed -E 's/^--sink file://; s/^[^ ]+ //'); do
    [ "$f" = - ] && continue
    [ -s "$work/$f" ] || { echo "readme-examples: \`$cmd\` did not write $f" >&2; exit 1; }
  done
  ran=$((ran + 1))
  printf '     ok in %ds\n' "$(( $(date +%s) - t0 ))"
done 3<"$work/commands.txt"
echo "readme-examples: $ran passed, $skipped skipped (not run in CI), of $total kdg commands in README.md"
