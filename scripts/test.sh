#!/usr/bin/env bash
# The whole test suite. Installs the test peers it needs, reports which external
# conformance suites will not run, then runs every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."

conformance="${AGENT_AUTH_CONFORMANCE_DIR:-$(cd .. && pwd)/shared/conformance}"
export AGENT_AUTH_CONFORMANCE_DIR="$conformance"
missing=()
for suite in wycheproof rfc7520 openfga openfga-language secret-rules authzen; do
  [ -d "$conformance/$suite" ] || missing+=("$suite")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "conformance suites NOT run (data not found under $conformance): ${missing[*]}"
  echo "  to run them, set AGENT_AUTH_CONFORMANCE_DIR to the conformance data folder"
else
  echo "conformance suites: all found under $conformance"
fi

# The PostgreSQL suites start their own throwaway cluster (initdb + pg_ctl on a
# loopback port) from the server binaries: PG_BIN, pg_config --bindir or
# /usr/lib/postgresql/<version>/bin.
pg_bin="${PG_BIN:-}"
[ -n "$pg_bin" ] || pg_bin="$(pg_config --bindir 2>/dev/null || true)"
[ -x "$pg_bin/initdb" ] || pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
if [ -n "$pg_bin" ] && [ -x "$pg_bin/initdb" ]; then
  echo "PostgreSQL suites: server binaries in $pg_bin"
else
  echo "PostgreSQL suites NOT run (server binaries not found)"
  echo "  to run them, install the postgresql package or set PG_BIN to the folder of initdb and pg_ctl"
fi

# The npm peers, exactly as the lock file pins them. A registry hiccup gets two
# more tries; a failure that stays prints the end of npm's own log.
if [ -f peers/package-lock.json ]; then
  for attempt in 1 2 3; do
    if (cd peers && npm ci --no-audit --no-fund --loglevel=error); then
      break
    fi
    npm_log="$(ls -t "${npm_config_cache:-$HOME/.npm}"/_logs/*-debug-*.log 2>/dev/null | head -1 || true)"
    if [ -n "$npm_log" ]; then
      echo "npm ci failed (attempt $attempt of 3); the end of $npm_log:"
      tail -n 40 "$npm_log"
    fi
    if [ "$attempt" = 3 ]; then
      echo "npm ci failed three times: the node peers could not be installed" >&2
      exit 1
    fi
    sleep $((attempt * 15))
  done
fi

if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --all-features --no-fail-fast
else
  cargo test --workspace --all-features --no-fail-fast --lib --bins --tests
fi
cargo test --workspace --all-features --doc
bash scripts/mcp-guard-peers.sh
bash scripts/scim-peer.sh
bash scripts/tlog-peer.sh
bash scripts/console-peer.sh
