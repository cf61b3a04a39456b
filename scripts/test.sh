#!/usr/bin/env bash
# Run every test: install the local Kinesis/Firehose servers if needed (kinesalite from npm,
# moto from PyPI), then `cargo test`. The integration tests start the servers on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
export KDG_SERVERS=${KDG_SERVERS:-$HOME/.cache/kdg/servers}
scripts/local-servers.sh install
export KDG_REQUIRE_SERVERS=1
# Every test binary runs (no fail-fast), then one line adds them all up; the exit code is cargo's.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --locked --features test-utils --no-fail-fast "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
awk '/^test result:/ {
  for (i = 1; i < NF; i++) {
    if ($(i + 1) ~ /^passed/) passed += $i
    if ($(i + 1) ~ /^failed/) failed += $i
    if ($(i + 1) ~ /^ignored/) ignored += $i
  }
  binaries++
}
END { printf "tests: %d passed, %d failed, %d ignored, in %d test binaries\n", passed, failed, ignored, binaries }' "$log"
exit "$status"
