#!/usr/bin/env bash
# Install Debian's chromium for the headless-browser check of the HTML report
# (tests/it/html.rs), if it is not installed yet. Idempotent: does nothing when /usr/bin/chromium
# exists, and runs `apt-get update` at most once. Needs root (or sudo) and a Debian/Ubuntu apt.
#   scripts/browser-check.sh            # install if missing
#   scripts/browser-check.sh test       # install if missing, then run the HTML tests with
#                                       # KDG_REQUIRE_CHROMIUM=1 (a missing browser fails)
set -euo pipefail
cd "$(dirname "$0")/.."
CHROMIUM=/usr/bin/chromium

t0=$(date +%s)
if [ ! -x "$CHROMIUM" ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "browser-check: $CHROMIUM is missing and there is no apt-get to install it" >&2
    exit 1
  fi
  SUDO=
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
  export DEBIAN_FRONTEND=noninteractive
  # Fonts: chromium without recommends has none, and a headless screenshot would show boxes.
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi
echo "browser-check: $("$CHROMIUM" --version 2>/dev/null || echo chromium) ready ($(( $(date +%s) - t0 ))s)"

case "${1:-install}" in
  install) ;;
  test)
    export KDG_REQUIRE_CHROMIUM=1
    cargo test --locked --lib report::html
    exec cargo test --locked --test it html
    ;;
  *) echo "usage: $0 [install|test]" >&2; exit 2 ;;
esac
