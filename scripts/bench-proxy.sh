#!/usr/bin/env bash
# Data-plane proxy benchmark (issues #6, #15): the same load through keyward-gateway and
# through a bare nginx `proxy_pass` to the same local upstream, in one run, like with like.
#
# 1. Throughput: wrk at full speed (-t1 -c32) for every combination of
#    - upstream: the fake OpenAI-compatible server (examples/fake_upstream.rs), and a fast
#      static upstream (a second nginx answering a fixed chat completion from memory, far
#      faster than either proxy, so the proxy is the bottleneck);
#    - workers: 1 and N (default nproc) — nginx's `worker_processes` and the gateway's
#      `--workers` always equal, both restarted for each count;
#    nginx and the gateway in alternating rounds (N G, G N, N G …) so a drift in the VM's
#    other load hits both alike; the ratio of each round, and the median over the rounds,
#    are printed, with each proxy's CPU per request (all its processes/threads).
# 2. Added latency: oha at a fixed rate well under saturation (LATENCY_ROUNDS, default
#    10, of LATENCY_SECONDS, default 5, at RATE requests/s; latency measured from each
#    request's scheduled start, so a stall is not hidden by the requests it delayed)
#    straight to the fake upstream, through nginx and through the gateway (both at N
#    workers), in rotating order; what each proxy adds to the direct path at p99, from each
#    path's median p99 over the rounds (one round's tail is noise on a shared VM).
#
# BREAKDOWN=1 (issue #22) measures where each proxy's time goes instead, one worker each,
# static upstream, with the same wrk load: perf stat (CPU time, context switches,
# migrations, page faults per request), strace -c (system calls per request, by name;
# strace slows the proxy, the counts per request stay) and perf record (the functions
# and libraries the CPU samples land in, self time). Needs perf and strace (installed
# from Debian if missing).
#
# Prints Markdown tables for docs/benchmarks.md. Installs nginx-light and wrk from
# Debian and oha from crates.io (`cargo install`, about 12 minutes once) if missing.
# Loopback only. ROUNDS (default 3) and SECONDS_PER_ROUND (default 10) set the
# throughput rounds; LATENCY_ROUNDS=0 skips the latency part (and oha); WORKERS (default "1 $(nproc)") the worker counts; RATE (default 2000)
# the latency rate. The gateway measured is the release build that ships: profile-guided,
# from scripts/build-gateway.sh (two release builds and a training run, ~10 min when
# nothing is cached). GATEWAY_BIN benchmarks another build instead (e.g. the previous
# commit's, or a plain `cargo build --release`) against the same upstreams and nginx.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source "$root/scripts/bench-lib.sh"
need=()
if [ "${BREAKDOWN:-0}" = 1 ]; then
  command -v perf >/dev/null || need+=(linux-perf)
  command -v strace >/dev/null || need+=(strace)
fi
command -v nginx >/dev/null || need+=(nginx-light)
command -v wrk >/dev/null || need+=(wrk)
if [ ${#need[@]} -gt 0 ]; then
  sudo_if apt-get update -qq
  sudo_if env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
[ "${LATENCY_ROUNDS:-10}" = 0 ] || command -v oha >/dev/null || cargo install --quiet --locked oha --version 1.16.0
cargo build --quiet --release -p keyward-gateway --example fake_upstream
bin="${CARGO_TARGET_DIR:-$root/target}/release"
[ -n "${GATEWAY_BIN:-}" ] || GATEWAY_BIN="$("$root/scripts/build-gateway.sh" | tail -n1)"
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}" ${gw_pid:-} ${nginx_pid:-}; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
up_port="$(free_port)"; gw_port="$(free_port)"; nginx_port="$(free_port)"
static_port="$(free_port)"
n_cpus="$(nproc)"
worker_counts="${WORKERS:-1 $n_cpus}"
"$bin/examples/fake_upstream" "127.0.0.1:$up_port" & pids+=($!)
static_upstream "$static_port" "$work"; pids+=($!)
gateway_bin="${GATEWAY_BIN:-$bin/keyward-gateway}"
token="$("$gateway_bin" init --data-dir "$work/data" 2>/dev/null)"
gw="http://127.0.0.1:$gw_port"
gw_pid=""
start_gateway() { # workers
  [ -z "$gw_pid" ] || { kill "$gw_pid"; wait "$gw_pid" 2>/dev/null || true; }
  KEYWARD_LOG=warn "$gateway_bin" serve --data-dir "$work/data" --listen "127.0.0.1:$gw_port" --workers "$1" & gw_pid=$!
  wait_for_gateway "$gw"
}
start_gateway 1
project="$(gateway_project "$gw" "$token")"
add_workload "$gw" "$token" "$project" chat chat "http://127.0.0.1:$up_port"
add_workload "$gw" "$token" "$project" static static "http://127.0.0.1:$static_port"
key="$(new_inference_key "$gw" "$token" "$project" '{"name":"bench"}')"

nginx_pid=""
start_nginx() { # workers
  [ -z "$nginx_pid" ] || { kill "$nginx_pid"; wait "$nginx_pid" 2>/dev/null || true; }
  cat > "$work/nginx.conf" <<NGINX
worker_processes $1;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  upstream chat { server 127.0.0.1:$up_port; keepalive 64; }
  upstream static { server 127.0.0.1:$static_port; keepalive 64; }
  server {
    listen 127.0.0.1:$nginx_port;
    location /chat/ { proxy_pass http://chat/; proxy_http_version 1.1; proxy_set_header Connection ""; }
    location /static/ { proxy_pass http://static/; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
NGINX
  nginx -c "$work/nginx.conf" -g 'daemon off;' & nginx_pid=$!
  for _ in $(seq 100); do [ "$(pgrep -c -P "$nginx_pid")" -ge "$1" ] && return; sleep 0.1; done
}

body() { echo "{\"model\":\"$1\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}"; }
for model in chat static; do
  cat > "$work/$model.lua" <<LUA
wrk.method = "POST"
wrk.body = '$(body "$model")'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $key"
done = function(summary, latency, requests)
  io.write(string.format("RESULT %.1f %.3f %.3f %d %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout))
end
LUA
done
sed -e 's/wrk.method = "POST"/wrk.method = "GET"/' -e '/wrk.body/d' "$work/chat.lua" > "$work/get.lua"
rounds="${ROUNDS:-3}"
latency_rounds="${LATENCY_ROUNDS:-10}"
latency_secs="${LATENCY_SECONDS:-5}"
secs="${SECONDS_PER_ROUND:-10}"
rate="${RATE:-2000}"
run() { wrk -t1 -c32 "-d${secs}s" --latency -s "$2" "$1" | grep '^RESULT'; }
# CPU time (user + system, all threads) of a process, or of a process and its children
# (nginx's workers), in clock ticks.
cpu_ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat"))); done; echo "$t"; }
# Microseconds of the proxy's CPU per request: what the proxy costs, whatever else
# shares the machine (the requests/s of one run move with the VM's other load).
cpu_per_request() { python3 -c "import os, sys; print(f'{(int(sys.argv[2]) - int(sys.argv[1])) / os.sysconf(\"SC_CLK_TCK\") * 1e6 / int(sys.argv[3]):.1f}')" "$@"; }
# One measured wrk run: "<rps> <p50> <p99> <requests> <errors> <cpu µs/request>".
measure() { # url script pid...
  local url="$1" script="$2" before result; shift 2
  before="$(cpu_ticks "$@")"
  result="$(run "$url" "$script")"
  read -r _ rps p50 p99 req err <<<"$result"
  echo "$rps $p50 $p99 $req $err $(cpu_per_request "$before" "$(cpu_ticks "$@")" "$req")"
}
if [ "${BREAKDOWN:-0}" = 1 ]; then
  start_gateway 1; start_nginx 1
  nginx_workers=($(pgrep -P "$nginx_pid"))
  nginx_url="http://127.0.0.1:$nginx_port/static/v1/chat/completions"
  gw_url="$gw/v1/chat/completions"
  wrk -t1 -c4 -d2s -s "$work/static.lua" "$nginx_url" >/dev/null
  wrk -t1 -c4 -d2s -s "$work/static.lua" "$gw_url" >/dev/null
  for proxy in nginx gateway; do
    if [ "$proxy" = nginx ]; then url="$nginx_url"; pid="${nginx_workers[0]}"; else url="$gw_url"; pid="$gw_pid"; fi
    echo "### $proxy, 1 worker, static upstream, wrk -t1 -c32"
    echo
    # perf stat over one wrk run: software counters of every thread of the process.
    perf stat -x, -e task-clock,context-switches,cpu-migrations,page-faults -p "$pid" \
      -o "$work/stat-$proxy" -- sleep "$secs" & stat_pid=$!
    read -r _ rps _ _ req _ <<<"$(run "$url" "$work/static.lua")"
    wait "$stat_pid" || true
    python3 - "$work/stat-$proxy" "$req" "$rps" <<'PY'
import sys
req, rps = int(sys.argv[2]), float(sys.argv[3])
print(f"perf stat over {req:,} requests ({rps:,.0f} req/s):")
print()
print("| counter | per request |")
print("| --- | ---: |")
for line in open(sys.argv[1]):
    f = line.strip().split(",")
    if len(f) < 3 or not f[0].replace(".", "").isdigit():
        continue
    value, name = float(f[0]), f[2]
    shown = f"{value * 1000 / req:.1f} µs" if name == "task-clock" else f"{value / req:.3f}"
    print(f"| {name} | {shown} |")
print()
PY
    # System calls per request, by name (strace follows every thread).
    strace -c -f -q -p "$pid" -o "$work/strace-$proxy" & strace_pid=$!
    sleep 1
    read -r _ _ _ _ req _ <<<"$(run "$url" "$work/static.lua")"
    kill -INT "$strace_pid"; wait "$strace_pid" 2>/dev/null || true
    python3 - "$work/strace-$proxy" "$req" <<'PY'
import sys
req = int(sys.argv[2])
rows = []
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) >= 5 and f[0].replace(".", "").isdigit() and f[-1] != "total":
        calls = int(f[3])
        rows.append((calls / req, f[-1]))
rows.sort(reverse=True)
total = sum(r[0] for r in rows)
print(f"system calls per request, strace -c over {req:,} requests: {total:.2f} in all")
print()
print("| call | per request |")
print("| --- | ---: |")
for per, name in rows[:12]:
    print(f"| {name} | {per:.2f} |")
print()
PY
    # Where the CPU samples land (self time), by library and function.
    perf record -q -e cpu-clock -F 999 -p "$pid" -o "$work/perf-$proxy.data" -- sleep "$secs" \
      >/dev/null 2>&1 & record_pid=$!
    run "$url" "$work/static.lua" >/dev/null
    wait "$record_pid" || true
    echo "perf record -e cpu-clock -F 999, self time by library, then by function (≥ 1.5 %):"
    echo
    echo '```'
    perf report -q -i "$work/perf-$proxy.data" --stdio --no-children --sort dso \
      --percent-limit 0.5 2>/dev/null | sed -e 's/[[:space:]]*$//' | grep -v '^$' | head -12
    echo
    perf report -q -i "$work/perf-$proxy.data" --stdio --no-children --fields overhead,dso,sym \
      --percent-limit 1.5 2>/dev/null | sed -e 's/[[:space:]]*$//' | grep -v '^$' | head -25
    echo '```'
    echo
  done
  exit 0
fi
: > "$work/summary"
for workers in $worker_counts; do
  start_gateway "$workers"; start_nginx "$workers"
  nginx_workers=($(pgrep -P "$nginx_pid"))
  for model in chat static; do
    case "$model" in chat) upstream="fake upstream" ;; static) upstream="static upstream" ;; esac
    nginx_url="http://127.0.0.1:$nginx_port/$model/v1/chat/completions"
    gw_url="$gw/v1/chat/completions"
    # Warm both paths, then measure.
    wrk -t1 -c4 -d2s -s "$work/$model.lua" "$nginx_url" >/dev/null
    wrk -t1 -c4 -d2s -s "$work/$model.lua" "$gw_url" >/dev/null
    echo "### Throughput: $upstream, $workers worker(s) each, wrk -t1 -c32, ${rounds} alternating rounds of ${secs} s"
    echo
    echo "| round | nginx req/s | gateway req/s | ratio | nginx p99 ms | gateway p99 ms | p99 ratio | nginx CPU µs/req | gateway CPU µs/req |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    : > "$work/rounds"
    for r in $(seq "$rounds"); do
      if [ $((r % 2)) -eq 1 ]; then
        n="$(measure "$nginx_url" "$work/$model.lua" "${nginx_workers[@]}")"; g="$(measure "$gw_url" "$work/$model.lua" "$gw_pid")"
      else
        g="$(measure "$gw_url" "$work/$model.lua" "$gw_pid")"; n="$(measure "$nginx_url" "$work/$model.lua" "${nginx_workers[@]}")"
      fi
      echo "$n $g" >> "$work/rounds"
      python3 - "$r" $n $g <<'PY'
import sys
r = sys.argv[1]
n_rps, n_p50, n_p99, n_req, n_err, n_cpu, g_rps, g_p50, g_p99, g_req, g_err, g_cpu = map(float, sys.argv[2:])
assert n_err == 0 and g_err == 0, f"errors: nginx {n_err:.0f}, gateway {g_err:.0f}"
print(f"| {r} | {n_rps:,.0f} | {g_rps:,.0f} | {g_rps / n_rps:.0%} | {n_p99:.2f} | {g_p99:.2f} | {g_p99 / n_p99:.2f}× | {n_cpu:.1f} | {g_cpu:.1f} |")
PY
    done
    python3 - "$work/rounds" "$upstream" "$workers" "$work/summary" <<'PY'
import statistics, sys
rows = [list(map(float, line.split())) for line in open(sys.argv[1])]
med = lambda i: statistics.median(r[i] for r in rows)
ratio = statistics.median(r[6] / r[0] for r in rows)
p99 = statistics.median(r[8] / r[2] for r in rows)
print(f"| **median** | {med(0):,.0f} | {med(6):,.0f} | **{ratio:.0%}** | {med(2):.2f} | {med(8):.2f} | {p99:.2f}× | {med(5):.1f} | {med(11):.1f} |")
print()
with open(sys.argv[4], "a") as out:
    out.write(f"| {sys.argv[2]} | {sys.argv[3]} | {med(0):,.0f} | {med(6):,.0f} | **{ratio:.0%}** | {med(5):.1f} | {med(11):.1f} |\n")
PY
  done
done
echo "### Summary: medians, nginx and the gateway at equal worker counts"
echo
echo "| upstream | workers each | nginx req/s | gateway req/s | gateway / nginx | nginx CPU µs/req | gateway CPU µs/req |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
cat "$work/summary"
nginx_url="http://127.0.0.1:$nginx_port/chat/v1/chat/completions"
gw_url="$gw/v1/chat/completions"
before="$(cpu_ticks "$gw_pid")"
read -r _ m_rps m_p50 m_p99 m_req m_err <<<"$(run "$gw/v1/models" "$work/get.lua")"
m_cpu="$(cpu_per_request "$before" "$(cpu_ticks "$gw_pid")" "$m_req")"
echo
echo "diagnostic, the gateway answering GET /v1/models itself (auth + caches, no upstream): $m_rps req/s, p99 $m_p99 ms, $m_cpu µs CPU/request"

if [ "$latency_rounds" -gt 0 ]; then
# Added latency at a fixed rate: oha, 8 connections, RATE requests/s in all.
latency() { # url → "<requests> <p50 s> <p99 s>"
  oha -z "${latency_secs}s" -c 8 -q "$rate" --latency-correction --no-tui --output-format json \
    -m POST -T application/json -H "Authorization: Bearer $key" \
    -d '{"model":"chat","max_tokens":16,"messages":[{"role":"user","content":"Hello"}]}' "$1" |
    python3 -c 'import json, sys; d = json.load(sys.stdin); c = d["statusCodeDistribution"]; assert set(c) == {"200"}, c; p = d["latencyPercentiles"]; print(c["200"], p["p50"], p["p99"])'
}
up_url="http://127.0.0.1:$up_port/v1/chat/completions"
: > "$work/latency"
for r in $(seq "$latency_rounds"); do
  order=(direct nginx gateway)
  for i in 0 1 2; do
    target="${order[$(((i + r) % 3))]}"
    case "$target" in direct) url="$up_url" ;; nginx) url="$nginx_url" ;; gateway) url="$gw_url" ;; esac
    echo "$r $target $(latency "$url")" >> "$work/latency"
  done
done
echo
echo "### Added latency: fake upstream, ${workers} worker(s) each, oha at ${rate} requests/s (8 connections, latency correction), ${latency_rounds} rounds of ${latency_secs} s per path"
echo
python3 - "$work/latency" <<'PY'
import statistics, sys
from collections import defaultdict
runs = defaultdict(dict)
for line in open(sys.argv[1]):
    r, target, n, p50, p99 = line.split()
    runs[int(r)][target] = (int(n), float(p50) * 1000, float(p99) * 1000)
print("| round | direct p50 / p99 ms | nginx p50 / p99 ms | gateway p50 / p99 ms | nginx adds at p99 ms | gateway adds at p99 ms | ratio | requests per path |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
ratios = []
for r in sorted(runs):
    d, n, g = (runs[r][t] for t in ("direct", "nginx", "gateway"))
    n_add, g_add = n[2] - d[2], g[2] - d[2]
    ratio = g_add / n_add if n_add > 0 else float("inf")
    ratios.append(ratio)
    print(f"| {r} | {d[1]:.3f} / {d[2]:.3f} | {n[1]:.3f} / {n[2]:.3f} | {g[1]:.3f} / {g[2]:.3f} | {n_add:.3f} | {g_add:.3f} | {ratio:.2f}× | {min(d[0], n[0], g[0]):,} |")
# A round's ratio divides two differences of noisy tails (this VM's direct p99 alone
# moves by a factor of 3 between rounds); the robust figure compares each path's
# median p99 over all rounds.
med = {t: (statistics.median(runs[r][t][1] for r in runs), statistics.median(runs[r][t][2] for r in runs)) for t in ("direct", "nginx", "gateway")}
n_add, g_add = med["nginx"][1] - med["direct"][1], med["gateway"][1] - med["direct"][1]
print(f"| **median** | {med['direct'][0]:.3f} / {med['direct'][1]:.3f} | {med['nginx'][0]:.3f} / {med['nginx'][1]:.3f} | {med['gateway'][0]:.3f} / {med['gateway'][1]:.3f} | {n_add:.3f} | {g_add:.3f} | **{g_add / n_add:.2f}×** | |")
print(f"\nadded p99 latency (median p99 of each path over the rounds): {g_add / n_add:.2f}× nginx's (target ≤ 1.5×); median of the per-round ratios {statistics.median(ratios):.2f}×")
PY
fi
# Everything served was metered.
sleep 1.5
echo "metered requests: $(curl -fs -H "Authorization: Bearer $token" "$gw/v1/projects/$project/inference/keys?limit=1" | python3 -c 'import json, sys; print(json.load(sys.stdin)["keys"][0]["request_count"])')"
