#!/usr/bin/env bash
# Real-peer check of the SCIM endpoint: scim2-tester (PyPI, pinned in
# peers/scim/requirements.txt) runs its discovery, CRUD, query and PATCH checks
# against /scim/v2 of the reference authority binary on loopback, with an
# access token of the `scim` scope. Any error not listed in
# peers/scim/known-failures.txt fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/scim-peer-venv
if ! command -v python3 >/dev/null 2>&1; then
  if [ -n "${CI:-}" ] || [ -n "${AGENT_AUTH_CONFORMANCE_REQUIRED:-}" ]; then
    echo "FAIL: python3 is missing: the scim2-tester peer cannot run"; exit 1
  fi
  echo "scim2-tester peer NOT run: python3 is missing"; exit 0
fi
if [ ! -x "$venv/bin/python" ] || ! cmp -s peers/scim/requirements.txt "$venv/requirements.txt"; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r peers/scim/requirements.txt
  cp peers/scim/requirements.txt "$venv/requirements.txt"
fi
"$venv/bin/python" -c "import scim2_tester, scim2_client.engines.httpx2" \
  || { echo "FAIL: scim2-tester is not installed in $venv"; exit 1; }
cargo build -q -p reference-authority --bin reference-authority
tmp=$(mktemp -d)
cat > "$tmp/authority.toml" <<TOML
issuer = "http://127.0.0.1:9287"
[[clients]]
client_id = "provisioner"
client_secret = "provisioner-secret-0123456789"
grant_types = ["client_credentials"]
scopes = ["scim"]
TOML
target/debug/reference-authority --config "$tmp/authority.toml" --listen 127.0.0.1:9287 & pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 600); do
  (exec 3<>/dev/tcp/127.0.0.1/9287) 2>/dev/null && break
  sleep 0.1
done
if "$venv/bin/python" peers/scim/check_scim.py http://127.0.0.1:9287/scim/v2 \
  http://127.0.0.1:9287/token provisioner provisioner-secret-0123456789; then
  echo "scim2-tester peer: PASS"
else
  echo "scim2-tester peer: FAIL"
  exit 1
fi
