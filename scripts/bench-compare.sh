#!/usr/bin/env bash
# Record generation speed of kdg against the peers in benches/peers, in one run on this machine:
#   KDG's own faker.js under Node, a Python Faker producer, and the hand-written Rust ceiling.
# Same templates as the peers (PRICE and TRANSACTION, KDG syntax, one line), one process each.
#   scripts/bench-compare.sh             # ~3 minutes
#   SECONDS_PER_RUN=5 RUNS=3 scripts/bench-compare.sh
# Peer tooling (a Python venv, npm packages, the ceiling's build) goes under /tmp; nothing is written here.
# See benches/peers/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
PEERS=${PEERS:-benches/peers}
S=${SECONDS_PER_RUN:-3}
R=${RUNS:-1}
N=${KDG_RECORDS:-50000000}
OUT=${OUT:-/tmp/kdg-compare}
mkdir -p "$OUT"

PRICE='{"instrument_id": {{random.number(50)}}, "price": {{random.number({"min":1,"max":15})}}, "ts": "{{date.now}}"}'
TRANSACTION='{"book_id": {{random.number({"min":1,"max":10})}}, "trader_id": {{random.number({"min":1,"max":20})}}, "instrument_id": {{random.number({"min":1,"max":50})}}, "qty": {{random.number({"min":1000,"max":5000})}}, "price": {{random.number({"min":1,"max":15})}}, "ts": "{{date.now}}"}'
printf '%s\n' "$PRICE" > "$OUT/price.hbs"
printf '%s\n' "$TRANSACTION" > "$OUT/transaction.hbs"

cargo build --release -q
KDG=target/release/kdg

echo "== setup peers (under /tmp)"
[ -x /tmp/pypeer-venv-deb/bin/python ] || { /usr/bin/python3 -m venv /tmp/pypeer-venv-deb && /tmp/pypeer-venv-deb/bin/pip install -q faker; }
[ -d /tmp/nodepeer/node_modules/faker ] || npm install --prefix /tmp/nodepeer --no-save --loglevel=error faker@3.1.0 moment@2.17.1
CEILING_TARGET=${CEILING_TARGET:-/tmp/kdg-ceiling-target}
(cd "$PEERS/ceiling" && CARGO_TARGET_DIR="$CEILING_TARGET" cargo build --release --locked -q)
CEILING=$CEILING_TARGET/release/kdg-peer-ceiling

kdg_rate() { # template workers sink -> records/s (the JSON report's achieved_rps)
  "$KDG" run "$OUT/$1.hbs" --rps max --count "$N" --workers "$2" --sink "$3" --tz UTC --quiet --report-json "$OUT/r.json"
  python3 -c "import json;print(round(json.load(open('$OUT/r.json'))['achieved_rps']))"
}
kdg_pipe_rate() { # template -> records/s through stdout | cat > /dev/null
  local t0 t1
  t0=$(date +%s.%N)
  "$KDG" run "$OUT/$1.hbs" --rps max --count "$N" --workers 1 --tz UTC --quiet | cat > /dev/null
  t1=$(date +%s.%N)
  python3 -c "print(round($N / ($t1 - $t0)))"
}

{
  echo "| template | engine | records/s |"
  echo "|---|---|---:|"
  for t in price transaction; do
    echo "| $t | kdg, 1 worker, --sink null (whole pipeline) | $(kdg_rate $t 1 null) |"
    echo "| $t | kdg, 2 workers, --sink null | $(kdg_rate $t 2 null) |"
    echo "| $t | kdg, 1 worker, stdout \| cat > /dev/null | $(kdg_pipe_rate $t) |"
    node_rate=$(NODE_PATH=/tmp/nodepeer/node_modules node "$PEERS/node/bench_node_kdg.js" -t $t -m render -s "$S" -r "$R" --json 2>/dev/null \
      | python3 -c "import json,sys;print(round([json.loads(l) for l in sys.stdin if l.startswith('{')][0]['median_rec_s']))")
    echo "| $t | KDG's faker.js 3.1.0 under Node (render only) | $node_rate |"
    py_rate=$(/tmp/pypeer-venv-deb/bin/python "$PEERS/python/bench_python.py" -t $t -m dict -s "$S" -r "$R" --json 2>/dev/null \
      | python3 -c "import json,sys;print(round([json.loads(l) for l in sys.stdin if l.startswith('{')][0]['median_rec_s']))")
    echo "| $t | Python Faker producer (dict + json.dumps) | $py_rate |"
    for threads in 1 2; do
      c=$("$CEILING" -t $t --clock record --threads $threads -s "$S" -r "$R" --json 2>/dev/null \
        | python3 -c "import json,sys;print(round([json.loads(l) for l in sys.stdin if l.startswith('{')][0]['median_rec_s']))")
      echo "| $t | hand-written Rust ceiling, $threads thread(s), clock per record | $c |"
    done
  done
} | tee "$OUT/table.md"
