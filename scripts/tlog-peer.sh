#!/usr/bin/env bash
# Real-peer check of the audit log's tlog-tiles face: aics-tlog (PyPI, pinned
# in peers/tlog/requirements.txt), a tlog-tiles, tlog-checkpoint and
# signed-note client written independently from the C2SP specs, verifies the
# log of the reference authority binary on loopback: checkpoint signature,
# inclusion and consistency proofs from tiles, every entry, and refusals of a
# foreign key and an altered tile (peers/tlog/check_tiles.py).
#
# aics-tlog declares Python >= 3.12 but its code runs on 3.11 (checked by this
# very run); it is installed with --ignore-requires-python where 3.11 is the
# interpreter.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/tlog-peer-venv
if ! command -v python3 >/dev/null 2>&1; then
  if [ -n "${CI:-}" ] || [ -n "${AGENT_AUTH_CONFORMANCE_REQUIRED:-}" ]; then
    echo "FAIL: python3 is missing: the tlog-tiles peer cannot run"; exit 1
  fi
  echo "tlog-tiles peer NOT run: python3 is missing"; exit 0
fi
if [ ! -x "$venv/bin/python" ] || ! cmp -s peers/tlog/requirements.txt "$venv/requirements.txt"; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check --ignore-requires-python \
    -r peers/tlog/requirements.txt
  cp peers/tlog/requirements.txt "$venv/requirements.txt"
fi
"$venv/bin/python" -c "import aics_tlog.verified, cryptography" \
  || { echo "FAIL: aics-tlog is not installed in $venv"; exit 1; }
cargo build -q -p reference-authority --bin reference-authority
"$venv/bin/python" peers/tlog/check_tiles.py target/debug/reference-authority
