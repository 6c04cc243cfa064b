# Shared by the benchmark scripts (bench-proxy.sh, bench-replicas.sh,
# proxy-instructions.sh): sourced, defines functions only.

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
