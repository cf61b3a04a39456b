#!/usr/bin/env bash
# The cost of --metrics-listen with a scraper polling every second, against the same run without:
# instructions executed (valgrind --tool=callgrind, all threads), which other load on the machine
# does not move, and the achieved rate of alternating plain runs.
#   scripts/bench-metrics.sh [COUNT]          # default 2M records, release build
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-2M}
kdg=${KDG:-${CARGO_TARGET_DIR:-target}/release/kdg}
[ -x "$kdg" ] || cargo build --release --locked --bin kdg
tmp=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
( while :; do curl -s -o /dev/null "http://127.0.0.1:$port/metrics" || true; sleep 1; done ) &
base=(run templates/price.hbs --rps max --count "$count" --sink null -q --workers 2 --seed 1)
with=(--metrics-listen "127.0.0.1:$port")
instructions() { # the callgrind total of one run
  valgrind --tool=callgrind --callgrind-out-file="$tmp/cg" "$kdg" "$@" >/dev/null 2>"$tmp/vg"
  grep -o 'Collected : [0-9]*' "$tmp/vg" | grep -o '[0-9]*$'
}
a=$(instructions "${base[@]}"); b=$(instructions "${base[@]}" "${with[@]}")
python3 -c "print(f'callgrind: without {$a:,} instructions, with metrics {$b:,}: {($b-$a)/$a*100:+.2f}%')"
for i in 1 2 3; do
  "$kdg" "${base[@]}" --report-json "$tmp/a$i.json"
  "$kdg" "${base[@]}" "${with[@]}" --report-json "$tmp/b$i.json"
done
python3 - "$tmp" <<'PY'
import json, sys, statistics
d = sys.argv[1]
rate = lambda p: json.load(open(f"{d}/{p}.json"))["achieved_rps"]
a = [rate(f"a{i}") for i in (1, 2, 3)]
b = [rate(f"b{i}") for i in (1, 2, 3)]
print("achieved records/s without:", [f"{x/1e6:.2f}M" for x in a], "with metrics:", [f"{x/1e6:.2f}M" for x in b])
print(f"median with/without: {statistics.median(b)/statistics.median(a)*100-100:+.1f}%")
PY
