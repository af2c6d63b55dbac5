#!/usr/bin/env bash
# The security console in a real browser: Debian's Chromium, driven by
# playwright-core (pinned in peers/package-lock.json), signs in to the
# `security-console` program as the security admin, registers the
# discovered agent, certifies a review and fires the kill switch
# (peers/console/console.test.mjs). Screenshots go to target/console-screenshots.
#
# Chromium comes from the distribution (apt package `chromium`); no tool
# downloads a browser of its own. Set CHROMIUM to use another binary.
set -euo pipefail
cd "$(dirname "$0")/.."
browser="${CHROMIUM:-$(command -v chromium || true)}"
if [ -z "$browser" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's chromium for the console test"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    browser="$(command -v chromium)"
  else
    echo "FAIL: the console test needs Chromium: install the chromium package or set CHROMIUM"
    exit 1
  fi
fi
[ -d peers/node_modules/playwright-core ] \
  || (cd peers && npm ci --no-audit --no-fund --loglevel=error)
cargo build -q -p examples --bin security-console
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
CHROMIUM="$browser" node peers/console/console.test.mjs \
  "$target_dir/debug/security-console" "$target_dir/console-screenshots"
