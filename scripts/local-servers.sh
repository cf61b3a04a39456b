#!/usr/bin/env bash
# Install the local AWS-compatible servers the integration tests run against:
#   kinesalite (npm) for Kinesis, moto (PyPI) for Kinesis, Firehose and S3, with boto3 for
#   independent read-back and aws_kinesis_agg to decode KPL aggregated records; faker.js 3.1.0
#   with moment 2.17.1 (npm), the oracle of the template fidelity test; and Prometheus (Debian's
#   apt package) for the live-metrics test. Idempotent; everything but Prometheus goes under
#   $KDG_SERVERS (default ~/.cache/kdg/servers). The tests start and stop
#   the servers themselves, on 127.0.0.1 and free ports.
#   scripts/local-servers.sh install
#   scripts/local-servers.sh path      # print $KDG_SERVERS
set -euo pipefail
KDG_SERVERS=${KDG_SERVERS:-$HOME/.cache/kdg/servers}
case "${1:-install}" in
  path) echo "$KDG_SERVERS"; exit 0 ;;
  install) ;;
  *) echo "usage: $0 install|path" >&2; exit 2 ;;
esac
mkdir -p "$KDG_SERVERS/kinesalite"
t0=$(date +%s)
if [ ! -x "$KDG_SERVERS/venv/bin/moto_server" ]; then
  python3 -m venv "$KDG_SERVERS/venv"
  "$KDG_SERVERS/venv/bin/pip" install -q --upgrade pip
  # Enough for moto_server's Kinesis + Firehose + S3 (moto[server] pulls in much more).
  "$KDG_SERVERS/venv/bin/pip" install -q 'moto[s3]==5.2.5' flask flask-cors boto3
fi
# An independent decoder of KPL aggregated records (tests/it/aggregate.rs). Its deaggregator
# imports six without declaring it.
"$KDG_SERVERS/venv/bin/python" -c 'import aws_kinesis_agg.deaggregator' 2>/dev/null \
  || "$KDG_SERVERS/venv/bin/pip" install -q 'aws_kinesis_agg==1.2.3' six
if [ ! -f "$KDG_SERVERS/kinesalite/node_modules/kinesalite/cli.js" ]; then
  (cd "$KDG_SERVERS/kinesalite" && { [ -f package.json ] || npm init -y >/dev/null; } \
    && npm install --no-audit --no-fund --loglevel=error kinesalite@3.3.3)
fi
# Prometheus (Debian's package) for tests/it/metrics.rs, which starts its own on 127.0.0.1 with
# a temporary config; the package's own service is not used.
if ! [ -x /usr/bin/prometheus ]; then
  sudo=(); [ "$(id -u)" = 0 ] || sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get install -y -q --no-install-recommends prometheus >/dev/null \
    || { "${sudo[@]}" apt-get update -q >/dev/null \
      && "${sudo[@]}" apt-get install -y -q --no-install-recommends prometheus >/dev/null; }
fi
# The differential test's oracle (tests/it/fidelity.rs): the faker.js and moment.js KDG ships.
mkdir -p "$KDG_SERVERS/fakerjs"
if [ ! -f "$KDG_SERVERS/fakerjs/node_modules/faker/package.json" ] \
  || [ ! -f "$KDG_SERVERS/fakerjs/node_modules/moment/package.json" ]; then
  (cd "$KDG_SERVERS/fakerjs" && { [ -f package.json ] || npm init -y >/dev/null; } \
    && npm install --no-audit --no-fund --loglevel=error faker@3.1.0 moment@2.17.1)
fi
echo "local servers ready under $KDG_SERVERS ($(( $(date +%s) - t0 ))s)"
