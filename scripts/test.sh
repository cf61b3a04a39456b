#!/usr/bin/env bash
# Run every test: install the local Kinesis/Firehose servers if needed (kinesalite from npm,
# moto from PyPI), then `cargo test`. The integration tests start the servers on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
export KDG_SERVERS=${KDG_SERVERS:-$HOME/.cache/kdg/servers}
scripts/local-servers.sh install
export KDG_REQUIRE_SERVERS=1
exec cargo test --locked --features test-utils "$@"
