# Throwaway PostgreSQL and Redis for tests (issue 21), sourced by scripts/test.sh and test
# scripts. Nothing here touches a system cluster or service: each server runs from a new
# temporary directory, listens on 127.0.0.1 only on a port the kernel found free, as an
# unprivileged user (`keyward-test`, created when running as root; else the current
# user), with a random password that is written to a file and never put on a command
# line. The sourcing script installs the cleanup itself:
#
#   source scripts/services.sh
#   trap stop_services EXIT
#   start_postgres   # exports KEYWARD_TEST_POSTGRES_URL (superuser `keyward`, db `postgres`)
#   start_redis      # exports KEYWARD_TEST_REDIS_URL
#
# Safe under `set -euo pipefail`. Each function says on stderr what went wrong and
# where the server's log is.

keyward_test_user=keyward-test
_keyward_pg_dir=""
_keyward_pg_bin=""
_keyward_redis_dir=""
_keyward_redis_pid=""

# Runs a command as the unprivileged service user (root) or as ourselves (not root).
_keyward_as_service_user() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "$keyward_test_user" -- "$@"
  else
    "$@"
  fi
}

# A new temporary directory owned by the service user, readable by it alone.
_keyward_service_dir() {
  local dir
  if [ "$(id -u)" -eq 0 ] && ! id "$keyward_test_user" >/dev/null 2>&1; then
    # Another test script may be creating it at the same moment.
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
      "$keyward_test_user" 2>/dev/null || id "$keyward_test_user" >/dev/null
  fi
  dir=$(mktemp -d "${TMPDIR:-/tmp}/keyward-$1.XXXXXXXX")
  if [ "$(id -u)" -eq 0 ]; then chown "$keyward_test_user:" "$dir"; fi
  chmod 700 "$dir"
  printf '%s\n' "$dir"
}

# A random password of URL-safe characters (hex), 48 of them.
_keyward_password() {
  od -An -N24 -tx1 /dev/urandom | tr -d ' \n'
}

# A port on 127.0.0.1 that the kernel found free just now. Another process could take it
# before the server binds it; the start functions retry with a new port when that happens.
_keyward_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits until `$@` succeeds, at most $1 seconds.
_keyward_wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then return 1; fi
    sleep 0.1
  done
}

start_postgres() {
  if [ -n "$_keyward_pg_dir" ]; then
    echo "start_postgres: already running (its directory is $_keyward_pg_dir)" >&2
    return 1
  fi
  local version
  version=$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/postgres' 2>/dev/null |
    sed -E 's|^/usr/lib/postgresql/([^/]+)/bin/postgres$|\1|' | sort -V | tail -n 1)
  if [ -z "$version" ]; then
    echo "start_postgres: no PostgreSQL server under /usr/lib/postgresql; scripts/setup.sh installs Debian's postgresql package." >&2
    return 1
  fi
  _keyward_pg_bin=/usr/lib/postgresql/$version/bin
  _keyward_pg_dir=$(_keyward_service_dir postgres)
  local dir=$_keyward_pg_dir password port attempt
  password=$(_keyward_password)
  (umask 077 && printf '%s\n' "$password" >"$dir/password")
  if [ "$(id -u)" -eq 0 ]; then chown "$keyward_test_user:" "$dir/password"; fi
  # --no-sync: a throwaway cluster need not survive a power cut.
  if ! _keyward_as_service_user "$_keyward_pg_bin/initdb" --pgdata="$dir/data" \
    --username=keyward --pwfile="$dir/password" --auth=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1; then
    echo "start_postgres: initdb failed; its output is in $dir/initdb.log" >&2
    return 1
  fi
  rm -f "$dir/password"
  for attempt in 1 2 3 4 5; do
    port=$(_keyward_free_port)
    # postgresql.auto.conf is read after postgresql.conf and overrides it; rewritten on
    # each attempt so a retry only changes the port.
    cat >"$dir/data/postgresql.auto.conf" <<EOF
# Written by scripts/services.sh for a throwaway test cluster.
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 200
# Tests only: durability off. A crash may lose or corrupt this cluster, which is deleted
# after the run anyway; never copy these lines to a real server.
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
    if [ "$(id -u)" -eq 0 ]; then chown "$keyward_test_user:" "$dir/data/postgresql.auto.conf"; fi
    : >"$dir/postgres.log"
    if [ "$(id -u)" -eq 0 ]; then chown "$keyward_test_user:" "$dir/postgres.log"; fi
    if _keyward_as_service_user "$_keyward_pg_bin/pg_ctl" --pgdata="$dir/data" \
      --log="$dir/postgres.log" --wait --timeout=60 --silent start >/dev/null 2>&1; then
      export KEYWARD_TEST_POSTGRES_URL="postgres://keyward:$password@127.0.0.1:$port/postgres"
      if PGPASSWORD=$password _keyward_wait_for 30 "$_keyward_pg_bin/psql" \
        --no-psqlrc --quiet --host=127.0.0.1 --port="$port" --username=keyward \
        --dbname=postgres --command='SELECT 1'; then
        return 0
      fi
      echo "start_postgres: the server started but refuses connections; its log is $dir/postgres.log" >&2
      return 1
    fi
    grep -q 'could not bind\|could not create listen socket' "$dir/postgres.log" || break
  done
  echo "start_postgres: the server did not start; its log is $dir/postgres.log" >&2
  return 1
}

start_redis() {
  if [ -n "$_keyward_redis_dir" ]; then
    echo "start_redis: already running (its directory is $_keyward_redis_dir)" >&2
    return 1
  fi
  if ! command -v redis-server >/dev/null; then
    echo "start_redis: redis-server is not installed; scripts/setup.sh installs Debian's redis-server package." >&2
    return 1
  fi
  _keyward_redis_dir=$(_keyward_service_dir redis)
  local dir=$_keyward_redis_dir password port attempt
  password=$(_keyward_password)
  for attempt in 1 2 3 4 5; do
    port=$(_keyward_free_port)
    rm -f "$dir/redis.pid"
    (
      umask 077
      # No persistence: no RDB snapshots, no append-only file.
      cat >"$dir/redis.conf" <<EOF
bind 127.0.0.1
port $port
protected-mode yes
requirepass $password
daemonize yes
pidfile $dir/redis.pid
logfile $dir/redis.log
dir $dir
save ""
appendonly no
EOF
    )
    if [ "$(id -u)" -eq 0 ]; then chown "$keyward_test_user:" "$dir/redis.conf"; fi
    if _keyward_as_service_user redis-server "$dir/redis.conf" >/dev/null 2>&1 &&
      _keyward_wait_for 30 test -s "$dir/redis.pid"; then
      _keyward_redis_pid=$(cat "$dir/redis.pid")
      if REDISCLI_AUTH=$password _keyward_wait_for 30 _keyward_redis_answers "$port"; then
        export KEYWARD_TEST_REDIS_URL="redis://:$password@127.0.0.1:$port/"
        return 0
      fi
    fi
    _keyward_stop_redis_process
    grep -q 'Address already in use' "$dir/redis.log" 2>/dev/null || break
  done
  echo "start_redis: the server did not start; its log is $dir/redis.log" >&2
  return 1
}

_keyward_redis_answers() {
  [ "$(redis-cli -h 127.0.0.1 -p "$1" --no-auth-warning ping 2>/dev/null)" = PONG ]
}

# Ends the Redis this file started, by its pid, and waits until it is gone.
_keyward_stop_redis_process() {
  if [ -n "$_keyward_redis_pid" ] && kill -0 "$_keyward_redis_pid" 2>/dev/null; then
    kill -TERM "$_keyward_redis_pid" 2>/dev/null || true
    _keyward_wait_for 30 _keyward_gone "$_keyward_redis_pid" ||
      kill -KILL "$_keyward_redis_pid" 2>/dev/null || true
  fi
  _keyward_redis_pid=""
}

_keyward_gone() {
  ! kill -0 "$1" 2>/dev/null
}

# Stops whatever start_postgres and start_redis started and deletes their directories.
# Idempotent, never fails, and keeps the caller's exit status (it runs on EXIT).
stop_services() {
  local status=$?
  if [ -n "$_keyward_pg_dir" ]; then
    if [ -f "$_keyward_pg_dir/data/postmaster.pid" ]; then
      _keyward_as_service_user "$_keyward_pg_bin/pg_ctl" --pgdata="$_keyward_pg_dir/data" \
        --mode=fast --wait --timeout=30 --silent stop >/dev/null 2>&1 ||
        _keyward_as_service_user "$_keyward_pg_bin/pg_ctl" --pgdata="$_keyward_pg_dir/data" \
          --mode=immediate --wait --timeout=30 --silent stop >/dev/null 2>&1 || true
    fi
    rm -rf "$_keyward_pg_dir"
    _keyward_pg_dir=""
    unset KEYWARD_TEST_POSTGRES_URL
  fi
  if [ -n "$_keyward_redis_dir" ]; then
    _keyward_stop_redis_process
    rm -rf "$_keyward_redis_dir"
    _keyward_redis_dir=""
    unset KEYWARD_TEST_REDIS_URL
  fi
  return "$status"
}
