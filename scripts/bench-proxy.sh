#!/usr/bin/env bash
# Data-plane proxy benchmark (issue #6): the same load through keyward-gateway and
# through a bare nginx `proxy_pass` to the same local upstream, in one run, with wrk.
# Prints a Markdown table for docs/benchmarks.md. Installs nginx-light and wrk from
# Debian if missing. Loopback only.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
sudo_if() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
need=()
command -v nginx >/dev/null || need+=(nginx-light)
command -v wrk >/dev/null || need+=(wrk)
if [ ${#need[@]} -gt 0 ]; then
  sudo_if apt-get update -qq
  sudo_if env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
cargo build --quiet --release -p keyward-gateway --bin keyward-gateway --example fake_upstream
bin="${CARGO_TARGET_DIR:-$root/target}/release"
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
up_port="$(free_port)"; gw_port="$(free_port)"; nginx_port="$(free_port)"
"$bin/examples/fake_upstream" "127.0.0.1:$up_port" & pids+=($!)
token="$("$bin/keyward-gateway" init --data-dir "$work/data" 2>/dev/null)"
KEYWARD_LOG=warn "$bin/keyward-gateway" serve --data-dir "$work/data" --listen "127.0.0.1:$gw_port" & pids+=($!)
gw="http://127.0.0.1:$gw_port"
for _ in $(seq 100); do curl -fs -o /dev/null "$gw/openapi.json" && break; sleep 0.1; done
project="$(curl -fs -H "Authorization: Bearer $token" "$gw/v1/whoami" | python3 -c 'import json, sys; print(json.load(sys.stdin)["project"]["id"])')"
curl -fs -o /dev/null -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d "{\"name\":\"bench\",\"slug\":\"chat\",\"model_name\":\"llama\",\"backend\":\"vllm\",\"upstream_url\":\"http://127.0.0.1:$up_port\"}" \
  "$gw/api/projects/$project/workloads"
key="$(curl -fs -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d '{"name":"bench"}' \
  "$gw/v1/projects/$project/inference/keys" | python3 -c 'import json, sys; print(json.load(sys.stdin)["secret"])')"

cat > "$work/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  upstream fake { server 127.0.0.1:$up_port; keepalive 64; }
  server {
    listen 127.0.0.1:$nginx_port;
    location / { proxy_pass http://fake; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
NGINX
nginx -c "$work/nginx.conf" -g 'daemon off;' & pids+=($!)
sleep 0.5

cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"model":"chat","max_tokens":16,"messages":[{"role":"user","content":"Hello"}]}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $key"
done = function(summary, latency, requests)
  io.write(string.format("RESULT %.1f %.3f %.3f %d %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout))
end
LUA
sed -e 's/wrk.method = "POST"/wrk.method = "GET"/' -e '/wrk.body/d' "$work/post.lua" > "$work/get.lua"
run() { wrk -t2 -c32 -d15s --latency -s "${2:-$work/post.lua}" "$1" | grep '^RESULT'; }
# CPU time (user + system, all threads) a process has used, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# Microseconds of the proxy's CPU per request: what the proxy costs, whatever else
# shares the machine (the requests/s of one run move with the VM's other load).
cpu_per_request() { python3 -c "import os, sys; print(f'{(int(sys.argv[2]) - int(sys.argv[1])) / os.sysconf(\"SC_CLK_TCK\") * 1e6 / int(sys.argv[3]):.1f}')" "$@"; }
# Warm both paths, then measure.
wrk -t1 -c4 -d2s -s "$work/post.lua" "http://127.0.0.1:$nginx_port/v1/chat/completions" >/dev/null
wrk -t1 -c4 -d2s -s "$work/post.lua" "$gw/v1/chat/completions" >/dev/null
nginx_worker="$(pgrep -P "${pids[2]}" | head -n1)"
gw_pid="${pids[1]}"
before="$(cpu_ticks "$nginx_worker")"
read -r _ n_rps n_p50 n_p99 n_req n_err <<<"$(run "http://127.0.0.1:$nginx_port/v1/chat/completions")"
n_cpu="$(cpu_per_request "$before" "$(cpu_ticks "$nginx_worker")" "$n_req")"
before="$(cpu_ticks "$gw_pid")"
read -r _ g_rps g_p50 g_p99 g_req g_err <<<"$(run "$gw/v1/chat/completions")"
g_cpu="$(cpu_per_request "$before" "$(cpu_ticks "$gw_pid")" "$g_req")"
before="$(cpu_ticks "$gw_pid")"
read -r _ m_rps m_p50 m_p99 m_req m_err <<<"$(run "$gw/v1/models" "$work/get.lua")"
m_cpu="$(cpu_per_request "$before" "$(cpu_ticks "$gw_pid")" "$m_req")"
echo "| path | requests/s | p50 ms | p99 ms | requests | errors | proxy CPU µs/request |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
echo "| baseline: nginx proxy_pass → upstream | $n_rps | $n_p50 | $n_p99 | $n_req | $n_err | $n_cpu |"
echo "| keyward-gateway (auth, scopes, limits, metering) → upstream | $g_rps | $g_p50 | $g_p99 | $g_req | $g_err | $g_cpu |"
echo "| diagnostic: keyward-gateway GET /v1/models (auth + cache, no upstream) | $m_rps | $m_p50 | $m_p99 | $m_req | $m_err | $m_cpu |"
python3 - "$n_rps" "$g_rps" "$n_p99" "$g_p99" <<'PY'
import sys
n_rps, g_rps, n_p99, g_p99 = map(float, sys.argv[1:])
print(f"\nthroughput {g_rps / n_rps:.0%} of the baseline (target ≥ 70%); p99 {g_p99 / n_p99:.2f}× the baseline's (target ≤ 1.5×)")
PY
# Everything served was metered.
sleep 1.5
echo "metered requests: $(curl -fs -H "Authorization: Bearer $token" "$gw/v1/projects/$project/inference/keys?limit=1" | python3 -c 'import json, sys; print(json.load(sys.stdin)["keys"][0]["request_count"])')"
