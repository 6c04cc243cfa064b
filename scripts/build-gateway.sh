#!/usr/bin/env bash
# The release keyward-gateway, built with profile-guided optimisation (PGO): what the
# Debian package ships and what the proxy benchmarks measure (docs/benchmarks.md, issue
# #22: 10–15 % more requests per second than the plain release build on the same
# machine, the same upstream and worker count).
#
#   1. an instrumented release build (target/pgo-generate; kept between runs);
#   2. a training run on loopback: the instrumented gateway serves a mix of what it
#      serves in production for ~20 s — chat completions plain and streamed, legacy
#      completions, embeddings (examples/fake_upstream.rs), chat against a static nginx
#      upstream, keys with and without rate limits, a share of refused requests (unknown
#      key, unknown model, malformed body) and control-plane reads — then stops
#      gracefully, which writes the profile;
#   3. llvm-profdata merges the profile (rustup's llvm-tools, installed if missing: it
#      must match rustc's LLVM);
#   4. the optimised build (target/pgo), named after the profile's checksum so a new
#      profile always rebuilds every crate with it.
#
# Usage: scripts/build-gateway.sh [--deb]
#   The binary's path is the last line printed. --deb also packages it with cargo-deb:
#   target/pgo/debian/keyward-gateway_<version>-1_amd64.deb.
# scripts/build-gateway.sh --check-training GATEWAY_BIN
#   Runs only the training run, for 3 s, against GATEWAY_BIN (e.g. the debug build) and
#   fails if the mix is not served: the test suite's guard that the training still
#   matches the gateway's API, without the two release builds.
# Loopback only; installs wrk and nginx from Debian if missing. Takes two release builds
# of the gateway (~10 min on 2 cores when nothing is cached).
set -euo pipefail
deb=false
check=""
case "${1:-}" in
  --deb) deb=true ;;
  --check-training) check="$(realpath -- "${2:?usage: scripts/build-gateway.sh --check-training GATEWAY_BIN}")" ;;
  "") ;;
  *) echo "usage: scripts/build-gateway.sh [--deb | --check-training GATEWAY_BIN]" >&2; exit 64 ;;
esac
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source "$root/scripts/bench-lib.sh"

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || need+=(nginx-light)
if [ ${#need[@]} -gt 0 ]; then
  sudo_if apt-get update -qq
  sudo_if env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
host="$(rustc -vV | sed -n 's/^host: //p')"
if [ -n "$check" ]; then
  trainee="$check"
  train_seconds=3
  cargo build --quiet -p keyward-gateway --example fake_upstream
  fake_upstream="${CARGO_TARGET_DIR:-$root/target}/debug/examples/fake_upstream"
else
  profdata="$(rustc --print sysroot)/lib/rustlib/$host/bin/llvm-profdata"
  if [ ! -x "$profdata" ]; then
    echo "build-gateway: installing rustup's llvm-tools (llvm-profdata)" >&2
    rustup component add llvm-tools >&2
  fi
  # --target: RUSTFLAGS then apply to the gateway and its dependencies only, not to
  # build scripts and proc macros (which would write profiles of their own while
  # compiling).
  generate="$root/target/pgo-generate"
  profiles="$generate/profiles"
  rm -rf "$profiles"
  echo "build-gateway: 1/4 instrumented build" >&2
  CARGO_TARGET_DIR="$generate" RUSTFLAGS="-Cprofile-generate=$profiles" \
    cargo build --quiet --release --target "$host" -p keyward-gateway --bin keyward-gateway
  cargo build --quiet --release -p keyward-gateway --example fake_upstream
  trainee="$generate/$host/release/keyward-gateway"
  train_seconds=15
  fake_upstream="${CARGO_TARGET_DIR:-$root/target}/release/examples/fake_upstream"
fi

if [ -n "$check" ]; then echo "build-gateway: the training run, against $check" >&2; else echo "build-gateway: 2/4 training run" >&2; fi
work="$(mktemp -d)"
pids=()
gw_pid=""
cleanup() { for p in "${pids[@]}" $gw_pid; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
up_port="$(free_port)"; static_port="$(free_port)"; gw_port="$(free_port)"
"$fake_upstream" "127.0.0.1:$up_port" & pids+=($!)
static_upstream "$static_port" "$work"; pids+=($!)
token="$("$trainee" init --data-dir "$work/data" 2>/dev/null)"
KEYWARD_LOG=error "$trainee" serve --data-dir "$work/data" --listen "127.0.0.1:$gw_port" & gw_pid=$!
gw="http://127.0.0.1:$gw_port"
wait_for_gateway "$gw"
project="$(gateway_project "$gw" "$token")"
add_workload "$gw" "$token" "$project" chat chat "http://127.0.0.1:$up_port"
add_workload "$gw" "$token" "$project" static static "http://127.0.0.1:$static_port"
unlimited="$(new_inference_key "$gw" "$token" "$project" '{"name":"training"}')"
# Limits far above what the run reaches: the limiters count every request, none refused.
limited="$(new_inference_key "$gw" "$token" "$project" '{"name":"training, limited","rpm":100000000,"tpm":1000000000}')"
cat >"$work/mix.lua" <<LUA
-- Each kind of request in turn, the ones served twice as often as the refused ones.
local chat = '{"model":"chat","max_tokens":16,"messages":[{"role":"user","content":"Hello"}]}'
local served = {
  {"$unlimited", "/v1/chat/completions", chat},
  {"$limited", "/v1/chat/completions", chat},
  {"$unlimited", "/v1/chat/completions", '{"model":"static","max_tokens":16,"messages":[{"role":"user","content":"Hello"}]}'},
  {"$limited", "/v1/chat/completions", '{"model":"chat","stream":true,"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hello"}]}'},
  {"$unlimited", "/v1/chat/completions", '{"model":"chat","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Hi"}]}'},
  {"$unlimited", "/v1/completions", '{"model":"chat","prompt":"Hello","max_tokens":8}'},
  {"$limited", "/v1/embeddings", '{"model":"chat","input":"Hello there"}'},
  {"$unlimited", "/v1/embeddings", '{"model":"chat","input":["one","two"]}'},
}
local refused = {
  {"kw-not-a-key", "/v1/chat/completions", chat},
  {"$unlimited", "/v1/chat/completions", '{"model":"nobody","messages":[{"role":"user","content":"Hello"}]}'},
  {"$limited", "/v1/chat/completions", '{"model":"chat","messages":'},
}
local mix = {}
for _, list in ipairs({served, served, refused}) do
  for _, m in ipairs(list) do mix[#mix + 1] = m end
end
local i = 0
request = function()
  i = i + 1
  local m = mix[(i % #mix) + 1]
  return wrk.format("POST", m[2], {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. m[1]}, m[3])
end
LUA
wrk -t1 -c16 -d"${train_seconds}s" -s "$work/mix.lua" "$gw" >"$work/mix.out"
cat >"$work/control.lua" <<LUA
local paths = {"/v1/whoami", "/v1/projects/$project/inference/keys", "/api/projects/$project/workloads"}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1], {["Authorization"] = "Bearer $token"})
end
LUA
wrk -t1 -c4 -d"$((train_seconds / 5 + 1))s" -s "$work/control.lua" "$gw" >"$work/control.out"
kill -TERM "$gw_pid"; wait "$gw_pid" || true; gw_pid=""
# The mix refuses 3 of its 19 requests on purpose; far more refusals mean the set-up
# failed and the profile would teach the compiler the error paths.
python3 - "$work/mix.out" <<'PY'
import re, sys
out = open(sys.argv[1]).read()
total = int(re.search(r"(\d+) requests in", out).group(1))
refused = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
refused = int(refused.group(1)) if refused else 0
print(f"build-gateway: training served {total} requests, {refused} refused", file=sys.stderr)
if total < 1000 or refused > total * 0.25:
    sys.exit("build-gateway: the training run did not serve its mix; not building from its profile")
PY
# The control-plane reads must all succeed.
if grep -q "Non-2xx" "$work/control.out"; then
  echo "build-gateway: the training's control-plane reads were refused:" >&2
  cat "$work/control.out" >&2
  exit 1
fi
[ -z "$check" ] || { echo "build-gateway: the training mix is served" >&2; exit 0; }

echo "build-gateway: 3/4 merging the profile" >&2
"$profdata" merge -o "$work/gateway.profdata" "$profiles"
sum="$(sha256sum "$work/gateway.profdata" | cut -c1-16)"
optimised="$root/target/pgo"
mkdir -p "$optimised/profiles"
find "$optimised/profiles" -name '*.profdata' -delete
cp "$work/gateway.profdata" "$optimised/profiles/$sum.profdata"

echo "build-gateway: 4/4 optimised build" >&2
CARGO_TARGET_DIR="$optimised" RUSTFLAGS="-Cprofile-use=$optimised/profiles/$sum.profdata" \
  cargo build --quiet --release --target "$host" -p keyward-gateway --bin keyward-gateway
if $deb; then
  CARGO_TARGET_DIR="$optimised" cargo deb --no-build --target "$host" -p keyward-gateway >&2
fi
echo "$optimised/$host/release/keyward-gateway"
