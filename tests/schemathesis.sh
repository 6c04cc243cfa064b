#!/usr/bin/env bash
# Property-based contract test of keyward-gateway (issue #3): schemathesis generates
# requests from the gateway's own OpenAPI document and checks that no response is a
# 5xx and that every status, content type, header and body matches the document.
# Bounded: a fixed number of examples per operation and a hard timeout.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/target/schemathesis-venv"
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==4.32.5"
fi
cargo build --quiet -p keyward-gateway --bin keyward-gateway
gateway="${CARGO_TARGET_DIR:-$root/target}/debug/keyward-gateway"

work="$(mktemp -d)"
token="$("$gateway" init --data-dir "$work/data" 2>/dev/null)"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
KEYWARD_LOG=warn "$gateway" serve --data-dir "$work/data" --listen "127.0.0.1:$port" 2>"$work/gateway.log" &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT

base="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -fs -o /dev/null "$base/openapi.json" && break; sleep 0.1; done
project="$(curl -fs -H "Authorization: Bearer $token" "$base/v1/whoami" | python3 -c 'import json, sys; print(json.load(sys.stdin)["project"]["id"])')"
# Real ids for the path parameters, so the fuzzer reaches the handlers behind the checks.
key="$(curl -fs -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d '{"name":"fuzz target"}' "$base/v1/projects/$project/inference/keys" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')"
cat > "$work/schemathesis.toml" <<TOML
[parameters]
project_id = "$project"
key_id = "$key"
TOML

# Run from the scratch directory: schemathesis keeps a cache in its working directory.
cd "$work"
timeout 600 "$venv/bin/schemathesis" --config-file "$work/schemathesis.toml" run "$base/openapi.json" \
  -H "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
  --max-examples 25 --seed 20261122 --no-color
