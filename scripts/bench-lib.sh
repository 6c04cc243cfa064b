# Shared by the benchmark scripts (bench-proxy.sh, bench-replicas.sh, build-gateway.sh,
# proxy-instructions.sh, bench-startup-memory.sh, bench-idle-cpu.sh): sourced, defines
# functions only.

# build_packaged_app: the UI and the desktop app as its packages ship it (the `desktop`
# cargo profile, Cargo.toml), from the project root; exports KEYWARD_APP_BIN, which the
# app's benches (tests/e2e/benches) launch.
build_packaged_app() {
  (cd ui && npm run build >/dev/null)
  cargo build -p keyward-app --profile desktop
  export KEYWARD_APP_BIN="${CARGO_TARGET_DIR:-$PWD/target}/desktop/keyward"
}

# app_bench NAME: `cargo bench -p keyward-e2e --bench NAME` inside a private D-Bus session
# with an unlocked gnome-keyring (the app keeps its profiles in the Secret Service).
app_bench() {
  dbus-run-session -- bash -c "printf 'keyward-test' | gnome-keyring-daemon --unlock --components=secrets >/dev/null; cargo bench -p keyward-e2e --bench $1"
}

# Runs a command as root: directly when root, else through sudo.
sudo_if() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# A port on 127.0.0.1 the kernel found free just now.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# static_upstream PORT DIR: the fast static upstream — nginx answering one chat
# completion (with usage) from memory on 127.0.0.1:PORT, far faster than either proxy,
# so the proxy is the bottleneck. Its files go in DIR; it runs in the background (its
# pid is then in $!).
static_upstream() {
  local port="$1" dir="$2"
  local completion='{"id":"chatcmpl-static","object":"chat.completion","created":1,"model":"llama","choices":[{"index":0,"message":{"role":"assistant","content":"Hello there"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}'
  cat >"$dir/static.conf" <<NGINX
worker_processes 1;
pid $dir/static.pid;
error_log $dir/static-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000000;
  server {
    listen 127.0.0.1:$port;
    location / { default_type application/json; return 200 '$completion'; }
  }
}
NGINX
  nginx -c "$dir/static.conf" -g 'daemon off;' &
}

# Setting up a gateway to measure or train, through its control API. GW is its base URL
# (http://127.0.0.1:PORT), TOKEN a control token from `keyward-gateway init`.

# wait_for_gateway GW [SECONDS]: returns once GW answers /openapi.json; fails after
# SECONDS (default 10).
wait_for_gateway() {
  local tries=$((${2:-10} * 10))
  for _ in $(seq "$tries"); do curl -fs -o /dev/null "$1/openapi.json" && return 0; sleep 0.1; done
  echo "the gateway at $1 did not start" >&2
  return 1
}

# gateway_project GW TOKEN: prints the id of the token's project.
gateway_project() {
  curl -fs -H "Authorization: Bearer $2" "$1/v1/whoami" | python3 -c 'import json, sys; print(json.load(sys.stdin)["project"]["id"])'
}

# add_workload GW TOKEN PROJECT SLUG MODEL UPSTREAM_URL: a vLLM workload serving MODEL.
add_workload() {
  curl -fs -o /dev/null -H "Authorization: Bearer $2" -H 'Content-Type: application/json' \
    -d "{\"name\":\"bench $4\",\"slug\":\"$4\",\"model_name\":\"$5\",\"backend\":\"vllm\",\"upstream_url\":\"$6\"}" \
    "$1/api/projects/$3/workloads"
}

# new_inference_key GW TOKEN PROJECT JSON: creates a key from JSON (the create request's
# body) and prints its secret, which the gateway shows only this once.
new_inference_key() {
  curl -fs -H "Authorization: Bearer $2" -H 'Content-Type: application/json' -d "$4" \
    "$1/v1/projects/$3/inference/keys" | python3 -c 'import json, sys; print(json.load(sys.stdin)["secret"])'
}
