#!/usr/bin/env bash
# Replicas benchmark (issue #21): 1, 2 and 3 keyward-gateway replicas on one PostgreSQL
# database and one Redis, behind one nginx round-robin, against the single node on
# SQLite behind the same nginx — the same upstream, the same load (wrk -t1 -c32), in one
# run; then the meter's flush into PostgreSQL with three replicas flushing at once.
#
# Why these figures: on a machine with as few cores as this one, every process (wrk,
# nginx, the replicas, Redis, PostgreSQL, the upstream) shares the same CPUs, so adding
# replicas cannot add throughput. What replicas cost, and what scales with more
# machines, is the CPU each request takes in each process and the Redis round trips it
# makes: those are measured per request and printed next to the throughput.
#
# 1. Starts a throwaway PostgreSQL and Redis (scripts/services.sh), creates a database,
#    runs `keyward-gateway migrate` and `init` (the URL in KEYWARD_DATABASE_URL, never in
#    argv), starts REPLICAS_MAX (3) replicas with KEYWARD_REDIS_URL, creates a workload
#    on the upstream and two keys through the control API: `open` (no limits) and
#    `limited` (rpm and tpm far above the load, so the shared GCRA script runs on every
#    request and never refuses). The baseline is one gateway on SQLite with no Redis
#    (`--data-dir`, as a single node runs today), with the same workload and keys.
# 2. One nginx (NGINX_WORKERS, default 1) listens on one port per configuration:
#    `single` (the SQLite node), `1`, `2` and `3` replicas (an `upstream` block each,
#    round-robin, keepalive 64). Every gateway serves with `--workers WORKERS` (default 1).
#    All gateways run during the whole benchmark, so a configuration differs from another
#    only in where nginx sends the requests. Each (configuration, key) pair is measured
#    for SECONDS_PER_ROUND (default 10) in each of ROUNDS (default 3) rounds, in
#    alternating order (forward, then backward: … 3 3 2 1 single …), so a drift in
#    the machine's other load hits every configuration alike. Per measurement: wrk's
#    requests/s, p50 and p99; CPU (utime + stime from /proc, whole process trees,
#    reaped children included) per request of the gateways nginx sends to, of nginx, of
#    Redis and of PostgreSQL; the gateways' context switches per request; Redis round
#    trips and the commands Redis ran per request (INFO commandstats delta: MGET and
#    EVALSHA are round trips, the GET, SET and TIME inside the limits script are not).
# 3. Unless METERING=0: `cargo bench -p keyward-gateway --bench data_plane` with
#    KEYWARD_BENCH_POSTGRES_URL set: its SQLite rows, then the same metering into
#    PostgreSQL through one meter, and through three gateways flushing at once.
#
# Prints Markdown for docs/benchmarks.md. UPSTREAM=fake (default: the OpenAI-compatible
# examples/fake_upstream.rs, as scripts/bench-proxy.sh) or static (an nginx answering
# one completion from memory, far faster than the gateway). GATEWAY_BIN benchmarks
# another build. Installs nginx-light and wrk from Debian if missing. Loopback only.
# Everything started here is stopped on exit, also on failure or Ctrl-C.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# shellcheck source=scripts/services.sh
source scripts/services.sh

rounds="${ROUNDS:-3}"
secs="${SECONDS_PER_ROUND:-10}"
workers="${WORKERS:-1}"
nginx_workers="${NGINX_WORKERS:-1}"
replicas_max=3
upstream_kind="${UPSTREAM:-fake}"
case "$upstream_kind" in fake | static) ;; *)
  echo "UPSTREAM is 'fake' or 'static', not '$upstream_kind'" >&2
  exit 2
  ;;
esac

source "$root/scripts/bench-lib.sh"
need=()
command -v nginx >/dev/null || need+=(nginx-light)
command -v wrk >/dev/null || need+=(wrk)
command -v psql >/dev/null || need+=(postgresql-client)
command -v redis-cli >/dev/null || need+=(redis-tools)
if [ ${#need[@]} -gt 0 ]; then
  sudo_if apt-get update -qq
  sudo_if env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# Everything is compiled before anything is measured.
cargo build --quiet --release -p keyward-gateway --bin keyward-gateway --example fake_upstream
# The bench's executable is run directly at the end: `cargo bench` then would rebuild
# it if the sources changed meanwhile (minutes of fat LTO on a small machine).
bench_exe=""
if [ "${METERING:-1}" != 0 ]; then
  bench_exe="$(cargo bench --quiet -p keyward-gateway --bench data_plane --no-run --message-format=json |
    python3 -c 'import json, sys; print(*[m["executable"] for m in map(json.loads, sys.stdin) if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "data_plane"])')"
fi
bin="${CARGO_TARGET_DIR:-$root/target}/release"
gateway_bin="${GATEWAY_BIN:-$bin/keyward-gateway}"

work="$(mktemp -d)"
pids=()
cleanup() {
  local status=$?
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  stop_services || true
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

wait_for_http() { # url what
  for _ in $(seq 200); do curl -fs -o /dev/null "$1" && return; sleep 0.1; done
  echo "$2 did not start (no answer from $1)" >&2
  exit 1
}

# The machine, for the record.
echo "### Machine"
echo
echo "- $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')), $(free -g | awk '/^Mem:/ { print $2 }') GiB of memory"
echo "- $(nginx -v 2>&1 | sed 's/^nginx version: //'), wrk $(wrk -v 2>&1 | head -1 | awk '{ print $2 }'), $(redis-server --version | awk '{ print $3 }' | sed 's/v=/Redis /'), PostgreSQL $(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -1)"
echo "- gateway: $gateway_bin at $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates/keyward-gateway/src || echo ' (with uncommitted changes in crates/keyward-gateway/src)')"
echo "- load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

start_postgres
start_redis
pg_pid="$(head -1 "$_keyward_pg_dir/data/postmaster.pid")"
# URLs hold passwords: they go to processes through the environment, never through argv.
[[ "$KEYWARD_TEST_POSTGRES_URL" =~ ^postgres://([^:]+):([^@]+)@([^:]+):([0-9]+)/ ]]
PGUSER="${BASH_REMATCH[1]}" PGPASSWORD="${BASH_REMATCH[2]}" PGHOST="${BASH_REMATCH[3]}" PGPORT="${BASH_REMATCH[4]}" \
  psql --no-psqlrc --quiet --dbname=postgres --command='CREATE DATABASE keyward_bench' >/dev/null
database_url="${KEYWARD_TEST_POSTGRES_URL%/postgres}/keyward_bench"
[[ "$KEYWARD_TEST_REDIS_URL" =~ ^redis://:([^@]+)@([^:]+):([0-9]+)/ ]]
export REDISCLI_AUTH="${BASH_REMATCH[1]}"
redis_port="${BASH_REMATCH[3]}"
rcli() { redis-cli -h 127.0.0.1 -p "$redis_port" --no-auth-warning "$@"; }
redis_pid="$(rcli INFO server | tr -d '\r' | awk -F: '$1 == "process_id" { print $2 }')"

# The upstream, shared by every configuration.
up_port="$(free_port)"
if [ "$upstream_kind" = fake ]; then
  "$bin/examples/fake_upstream" "127.0.0.1:$up_port" &
  pids+=($!)
else
  static_upstream "$up_port" "$work"
  pids+=($!)
fi

# The baseline: one gateway on SQLite, no Redis.
single_port="$(free_port)"
single_token="$(env -u KEYWARD_DATABASE_URL -u KEYWARD_REDIS_URL "$gateway_bin" init --data-dir "$work/sqlite" 2>/dev/null)"
env -u KEYWARD_DATABASE_URL -u KEYWARD_REDIS_URL KEYWARD_LOG=warn "$gateway_bin" serve --data-dir "$work/sqlite" \
  --listen "127.0.0.1:$single_port" --workers "$workers" --shutdown-grace-secs 1 &
single_pid=$!
pids+=("$single_pid")

# The replicas: one database, one Redis.
KEYWARD_DATABASE_URL="$database_url" KEYWARD_LOG=warn "$gateway_bin" migrate >/dev/null
cluster_token="$(KEYWARD_DATABASE_URL="$database_url" KEYWARD_LOG=warn "$gateway_bin" init 2>/dev/null)"
replica_ports=()
replica_pids=()
for _ in $(seq "$replicas_max"); do
  port="$(free_port)"
  KEYWARD_DATABASE_URL="$database_url" KEYWARD_REDIS_URL="$KEYWARD_TEST_REDIS_URL" KEYWARD_LOG=warn \
    "$gateway_bin" serve --listen "127.0.0.1:$port" --workers "$workers" --shutdown-grace-secs 1 &
  replica_pids+=($!)
  pids+=($!)
  replica_ports+=("$port")
done
wait_for_http "http://127.0.0.1:$single_port/openapi.json" "the SQLite gateway"
for port in "${replica_ports[@]}"; do wait_for_http "http://127.0.0.1:$port/openapi.json" "a replica"; done

# The same workload and keys on both: the owner token, the control API, the answers.
set_up() { # base token prefix → writes $work/<prefix>-{open,limited}.key and the project id
  local base="$1" token="$2" prefix="$3" project
  project="$(curl -fs -H "Authorization: Bearer $token" "$base/v1/whoami" | python3 -c 'import json, sys; print(json.load(sys.stdin)["project"]["id"])')"
  echo "$project" >"$work/$prefix.project"
  curl -fs -o /dev/null -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d "{\"name\":\"bench chat\",\"slug\":\"chat\",\"model_name\":\"chat\",\"backend\":\"vllm\",\"upstream_url\":\"http://127.0.0.1:$up_port\"}" \
    "$base/api/projects/$project/workloads"
  curl -fs -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d '{"name":"bench open"}' \
    "$base/v1/projects/$project/inference/keys" | python3 -c 'import json, sys; print(json.load(sys.stdin)["secret"])' >"$work/$prefix-open.key"
  curl -fs -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"name":"bench limited","rpm":1000000000,"tpm":1000000000}' \
    "$base/v1/projects/$project/inference/keys" | python3 -c 'import json, sys; print(json.load(sys.stdin)["secret"])' >"$work/$prefix-limited.key"
}
set_up "http://127.0.0.1:$single_port" "$single_token" single
set_up "http://127.0.0.1:${replica_ports[0]}" "$cluster_token" cluster

# One nginx, one port per configuration.
declare -A lb_port
lb_servers=""
lb_upstreams="  upstream single { server 127.0.0.1:$single_port; keepalive 64; }"$'\n'
lb_port[single]="$(free_port)"
for n in $(seq "$replicas_max"); do
  servers=""
  for port in "${replica_ports[@]:0:$n}"; do servers+=" server 127.0.0.1:$port;"; done
  lb_upstreams+="  upstream replicas$n {$servers keepalive 64; }"$'\n'
  lb_port[$n]="$(free_port)"
done
for config in single $(seq "$replicas_max"); do
  name="$config"
  [ "$config" = single ] || name="replicas$config"
  lb_servers+="  server { listen 127.0.0.1:${lb_port[$config]}; location / { proxy_pass http://$name; proxy_http_version 1.1; proxy_set_header Connection \"\"; } }"$'\n'
done
cat >"$work/nginx.conf" <<NGINX
worker_processes $nginx_workers;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
$lb_upstreams$lb_servers}
NGINX
nginx -c "$work/nginx.conf" -g 'daemon off;' &
nginx_pid=$!
pids+=("$nginx_pid")
for _ in $(seq 100); do [ "$(pgrep -c -P "$nginx_pid")" -ge "$nginx_workers" ] && break; sleep 0.1; done

for prefix in single cluster; do
  for key in open limited; do
    cat >"$work/$prefix-$key.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"model":"chat","max_tokens":16,"messages":[{"role":"user","content":"Hello"}]}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $(cat "$work/$prefix-$key.key")"
done = function(summary, latency, requests)
  io.write(string.format("RESULT %.1f %.3f %.3f %d %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout))
end
LUA
  done
done

# CPU clock ticks of process trees: utime + stime + cutime + cstime of each live process
# under the given roots (cutime/cstime hold the children already reaped, e.g. a
# PostgreSQL backend that ended during the round).
cpu_ticks() {
  python3 - "$@" <<'PY'
import os, sys
children = {}
stats = {}
for entry in os.listdir("/proc"):
    if not entry.isdigit():
        continue
    try:
        with open(f"/proc/{entry}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        continue
    pid, ppid = int(entry), int(fields[1])
    children.setdefault(ppid, []).append(pid)
    stats[pid] = sum(int(x) for x in fields[11:15])
total, todo = 0, [int(p) for p in sys.argv[1:]]
while todo:
    pid = todo.pop()
    total += stats.get(pid, 0)
    todo.extend(children.get(pid, []))
print(total)
PY
}
# Context switches (voluntary + involuntary) of every thread of the given processes: how
# often they sleep and wake, which is what a request rate split over more processes on
# the same cores makes more frequent.
context_switches() {
  cat /proc/"$1"/task/*/status 2>/dev/null | awk '/^(non)?voluntary_ctxt_switches/ { n += $2 } END { print n + 0 }'
}
# Redis's calls per command since it started, as "name=calls …".
redis_calls() { rcli INFO commandstats | tr -d '\r' | sed -n 's/^cmdstat_\([^:]*\):calls=\([0-9]*\),.*/\1=\2/p' | tr '\n' ' '; }

# One measurement: "config key rps p50 p99 requests errors", the CPU ticks of the
# gateways, nginx, Redis and PostgreSQL, the gateways' context switches, then Redis's calls before and after, after ";"
# (Redis 7 names subcommands with "|", e.g. "client|setinfo").
measure() { # config key
  local config="$1" key="$2" prefix=cluster gw_pids result c0 c1
  if [ "$config" = single ]; then
    prefix=single
    gw_pids=("$single_pid")
  else
    gw_pids=("${replica_pids[@]:0:$config}")
  fi
  local url="http://127.0.0.1:${lb_port[$config]}/v1/chat/completions"
  local g0 n0 r0 p0 w0=0 w1=0 p
  g0="$(cpu_ticks "${gw_pids[@]}")"; n0="$(cpu_ticks "$nginx_pid")"; r0="$(cpu_ticks "$redis_pid")"; p0="$(cpu_ticks "$pg_pid")"
  for p in "${gw_pids[@]}"; do w0=$((w0 + $(context_switches "$p"))); done
  c0="$(redis_calls)"
  result="$(wrk -t1 -c32 "-d${secs}s" --latency -s "$work/$prefix-$key.lua" "$url" | grep '^RESULT')"
  c1="$(redis_calls)"
  for p in "${gw_pids[@]}"; do w1=$((w1 + $(context_switches "$p"))); done
  echo "$config $key ${result#RESULT } $(($(cpu_ticks "${gw_pids[@]}") - g0)) $(($(cpu_ticks "$nginx_pid") - n0)) $(($(cpu_ticks "$redis_pid") - r0)) $(($(cpu_ticks "$pg_pid") - p0)) $((w1 - w0)) ; $c0 ; $c1"
}

units=()
for config in single $(seq "$replicas_max"); do
  for key in open limited; do units+=("$config $key"); done
done
# Warm every path (connections, caches, the first budget and GCRA cells).
for unit in "${units[@]}"; do
  read -r config key <<<"$unit"
  prefix=cluster
  [ "$config" = single ] && prefix=single
  wrk -t1 -c4 -d2s -s "$work/$prefix-$key.lua" "http://127.0.0.1:${lb_port[$config]}/v1/chat/completions" |
    grep '^RESULT' >>"$work/warmup-$prefix"
done
: >"$work/results"
for r in $(seq "$rounds"); do
  order=("${units[@]}")
  if [ $((r % 2)) -eq 0 ]; then
    order=()
    for ((i = ${#units[@]} - 1; i >= 0; i--)); do order+=("${units[$i]}"); done
  fi
  for unit in "${order[@]}"; do
    echo "$r $(measure $unit)" >>"$work/results"
  done
done

echo "### Throughput and CPU per request: upstream $upstream_kind, gateways --workers $workers, nginx $nginx_workers worker(s), wrk -t1 -c32, $rounds alternating rounds of $secs s"
echo
python3 - "$work/results" "$(getconf CLK_TCK)" <<'PY'
import statistics, sys
from collections import defaultdict
tick_us = 1e6 / int(sys.argv[2])
# The commands a gateway sends; the others counted (GET, SET, TIME) run inside the
# limits script, on Redis, without a round trip of their own.
ROUND_TRIPS = {"mget", "evalsha", "eval", "incr", "incrby"}
runs = defaultdict(list)
for line in open(sys.argv[1]):
    head, before, after = line.split(";")
    r, config, key, rps, p50, p99, req, err, gw, nginx, redis, pg, switches = head.split()
    req = int(req)
    assert int(err) == 0, f"round {r}, {config} {key}: {err} errors"
    calls = lambda text: {k: int(v) for k, v in (kv.split("=") for kv in text.split())}
    b, a = calls(before), calls(after)
    deltas = {k: a[k] - b.get(k, 0) for k in a}
    deltas.pop("info", None)  # our own INFO calls
    cmds = {k: v / req for k, v in deltas.items() if v / req >= 0.005}
    runs[(config, key)].append(dict(
        rps=float(rps), p50=float(p50), p99=float(p99), req=req,
        gw=int(gw) * tick_us / req, nginx=int(nginx) * tick_us / req,
        redis=int(redis) * tick_us / req, pg=int(pg) * tick_us / req,
        switches=int(switches) / req,
        cmds=sum(cmds.values()), detail=cmds,
        trips=sum(v for k, v in cmds.items() if k in ROUND_TRIPS)))
names = {"single": "single node, SQLite, no Redis", "1": "1 replica", "2": "2 replicas", "3": "3 replicas"}
med = lambda rows, f: statistics.median(x[f] for x in rows)
spread = lambda rows, f, fmt: f"{fmt.format(min(x[f] for x in rows))}–{fmt.format(max(x[f] for x in rows))}"
print("| configuration | key | req/s (median) | req/s over the rounds | p50 ms | p99 ms (median, range) | gateways CPU µs/req | nginx µs/req | Redis µs/req | PostgreSQL µs/req | sum µs/req | gateways' context switches/req | Redis round trips/req | Redis commands run/req |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
for (config, key), rows in runs.items():
    detail = defaultdict(list)
    for x in rows:
        for k, v in x["detail"].items():
            detail[k].append(v)
    cmd_text = ", ".join(f"{k} {statistics.median(v):.2f}" for k, v in sorted(detail.items()))
    total = med(rows, "gw") + med(rows, "nginx") + med(rows, "redis") + med(rows, "pg")
    print(f"| {names[config]} | {key} | {med(rows, 'rps'):,.0f} | {spread(rows, 'rps', '{:,.0f}')} | {med(rows, 'p50'):.2f} | {med(rows, 'p99'):.2f} ({spread(rows, 'p99', '{:.2f}')}) "
          f"| {med(rows, 'gw'):.1f} | {med(rows, 'nginx'):.1f} | {med(rows, 'redis'):.1f} | {med(rows, 'pg'):.1f} | {total:.1f} "
          f"| {med(rows, 'switches'):.2f} | {med(rows, 'trips'):.2f} | {med(rows, 'cmds'):.2f}{' (' + cmd_text + ')' if cmd_text else ''} |")
print()
print("<details><summary>Every round</summary>")
print()
print("| round | configuration | key | req/s | p99 ms | gateways µs/req | nginx µs/req | Redis µs/req | PostgreSQL µs/req | Redis round trips/req |")
print("| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for (config, key), rows in runs.items():
    for i, x in enumerate(rows, 1):
        print(f"| {i} | {names[config]} | {key} | {x['rps']:,.0f} | {x['p99']:.2f} | {x['gw']:.1f} | {x['nginx']:.1f} | {x['redis']:.1f} | {x['pg']:.1f} | {x['trips']:.2f} |")
print()
print("</details>")
PY
echo
echo "- load average at the end of the rounds: $(cut -d' ' -f1-3 /proc/loadavg)"

# Usage counted once: what the replicas metered against what wrk saw answered. wrk
# stops with up to 32 requests in flight, which the gateways forward and meter without
# wrk counting them.
sleep 1.5
cluster_project="$(cat "$work/cluster.project")"
metered="$(curl -fs -H "Authorization: Bearer $cluster_token" "http://127.0.0.1:${replica_ports[0]}/v1/projects/$cluster_project/inference/keys?limit=100" |
  python3 -c 'import json, sys; print(sum(k["request_count"] for k in json.load(sys.stdin)["keys"]))')"
answered="$(python3 - "$work/warmup-cluster" "$work/results" <<'PY'
import sys
warmed = sum(int(line.split()[4]) for line in open(sys.argv[1]))
# results: round config key rps p50 p99 requests …
measured = sum(int(f[6]) for f in (line.split() for line in open(sys.argv[2])) if f[1] != "single")
print(warmed + measured)
PY
)"
echo "- metered by the replicas: $metered requests; answered to wrk through them: $answered (wrk ends each run with ≤ 32 in flight, metered but not counted by wrk)"
echo

if [ "${METERING:-1}" != 0 ]; then
  echo "### Metering into PostgreSQL: cargo bench -p keyward-gateway --bench data_plane"
  echo
  (cd crates/keyward-gateway && KEYWARD_BENCH_POSTGRES_URL="$KEYWARD_TEST_POSTGRES_URL" "$bench_exe" --bench)
fi
