#!/usr/bin/env bash
# User-space instructions per forwarded request in keyward-gateway, counted by valgrind's
# callgrind: the data plane's cost as a number that does not move with the VM's other
# load (the same binary and inputs give the same count within a few per cent), so two
# builds can be compared on a noisy machine where wall-clock rounds cannot. Kernel time
# (about half the gateway's CPU on loopback) is not counted; bench-proxy.sh measures the
# whole.
#
# Usage: scripts/proxy-instructions.sh [GATEWAY_BIN ...]   (default: this tree's release
# build). Per binary: warm up 3 s, then count over COUNT_SECONDS (default 8) of wrk -t1 -c4 to
# a minimal upstream; prints instructions per request and the top functions by their own
# instructions. KEEP_DUMP=<dir> keeps each binary's callgrind file there, named after it, for
# callgrind_annotate --inclusive=yes --tree=caller. Loopback only; installs valgrind and wrk from Debian if missing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source "$root/scripts/bench-lib.sh"
need=()
command -v valgrind >/dev/null || need+=(valgrind)
command -v wrk >/dev/null || need+=(wrk)
if [ ${#need[@]} -gt 0 ]; then
  sudo_if apt-get update -qq
  sudo_if env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
cargo build --quiet --release -p keyward-gateway --bin keyward-gateway --example fake_upstream
bin="${CARGO_TARGET_DIR:-$root/target}/release"
bins=("$@")
[ ${#bins[@]} -gt 0 ] || bins=("$bin/keyward-gateway")
secs="${COUNT_SECONDS:-8}"
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
up_port="$(free_port)"
"$bin/examples/fake_upstream" "127.0.0.1:$up_port" & pids+=($!)

for gateway_bin in "${bins[@]}"; do
  data="$work/data-$RANDOM"
  port="$(free_port)"
  token="$("$gateway_bin" init --data-dir "$data" 2>/dev/null)"
  out="$work/callgrind-$port.out"
  KEYWARD_LOG=warn valgrind --tool=callgrind --callgrind-out-file="$out" \
    "$gateway_bin" serve --data-dir "$data" --listen "127.0.0.1:$port" 2>/dev/null &
  vg=$!; pids+=($vg)
  gw="http://127.0.0.1:$port"
  wait_for_gateway "$gw" 40 # under valgrind
  project="$(gateway_project "$gw" "$token")"
  add_workload "$gw" "$token" "$project" chat llama "http://127.0.0.1:$up_port"
  key="$(new_inference_key "$gw" "$token" "$project" '{"name":"bench"}')"
  cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"model":"chat","max_tokens":16,"messages":[{"role":"user","content":"Hello"}]}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $key"
LUA
  wrk -t1 -c4 -d3s -s "$work/post.lua" "$gw/v1/chat/completions" >/dev/null
  callgrind_control -z "$vg" >/dev/null 2>&1
  requests="$(wrk -t1 -c4 "-d${secs}s" -s "$work/post.lua" "$gw/v1/chat/completions" | awk '/requests in/ {print $1}')"
  callgrind_control -d "$vg" >/dev/null 2>&1
  kill "$vg"; wait "$vg" 2>/dev/null || true
  dump="$(ls -t "$out".* | head -n1)"
  total="$(callgrind_annotate "$dump" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')"
  [ -z "${KEEP_DUMP:-}" ] || cp "$dump" "$KEEP_DUMP/$(basename "$gateway_bin").callgrind"
  echo "$gateway_bin: $requests requests, $((total / requests)) instructions per request"
  callgrind_annotate --threshold=100 "$dump" 2>/dev/null | sed -n '/file:function/,$p' | sed -n '2,$p' |
    grep -v -E 'clone|start_thread|thread_start|call_once|backtrace|enter_runtime|BlockingTask|pool::Inner::run|Scoped|worker::run$|worker::run |Core<T,S>::poll|Harness|raw::poll|^ *$|^-+$' |
    head -n 12 | awk -v n="$requests" '{gsub(",", "", $1); name = $0; sub(/^[^)]*\) */, "", name); printf "  %7.0f  %s\n", $1 / n, name}' |
    cut -c1-150 || true
done
