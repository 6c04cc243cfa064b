#!/usr/bin/env bash
# Proves the keyward-gateway Debian package (issue #20) on this machine, and leaves the
# machine as it found it:
#   1. builds the .deb from the debug build (`cargo build -p keyward-gateway`, then
#      `cargo deb --no-build --profile dev`: the suite checks the packaging, not the
#      optimiser, and reuses the binary the Rust tests already built);
#   2. installs it with apt-get (its dependencies are already there), and runs
#      `systemd-analyze verify` and `security` (exposure at most 2.0) on the installed unit;
#   3. checks the service user, the data directory and its mode, the conffile, and that
#      the service is not enabled before `init`;
#   4. runs the unit's ExecStart before `init` (exit 78, the `init` command in its
#      sentence), then `init` as the service user (the owner token on stdout, nowhere
#      else: not on stderr at trace level, not in the data directory, not in any log);
#   5. runs the unit's own ExecStart line the way systemd would — parsed from the
#      installed unit, as its User/Group, with its Environment= and EnvironmentFile=
#      variables, UMask and WorkingDirectory, no new privileges and no capabilities —
#      on 127.0.0.1 port 0, and checks it answers (/openapi.json, /v1/whoami with the
#      owner token, a project created) and stops cleanly on SIGTERM; that run is traced
#      with strace, and every system call it made must pass the unit's SystemCallFilter=
#      (systemd-analyze expands the groups), since seccomp itself needs systemd;
#   6. removes the package (binary and unit gone, data and user kept), reinstalls it
#      (the kept database is found: `init` refuses), purges it (conffile gone, data and
#      user still kept), then deletes what the test created.
# systemd need not be running: step 5 stands in for it. Needs root for apt-get and
# the service user (sudo is used when not root). Exits non-zero at the first failure.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"

package=keyward-gateway
user=keyward-gateway
data=/var/lib/keyward-gateway
defaults=/etc/default/keyward-gateway

fail() { echo "gateway-deb: FAIL: $*" >&2; exit 1; }
ok() { echo "gateway-deb: ok: $*"; }
apt_get() { DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=300 "$@"; }

# The test creates the user, the data directory and the conffile, and deletes them at
# the end: it refuses to start where any of them exists already, so it never deletes
# something it did not make.
dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null | grep -qv '^not-installed$' &&
  fail "$package is already installed here; this test installs and purges it, so run it on a machine without it"
getent passwd "$user" >/dev/null && fail "the user $user exists already; this test creates and deletes it"
getent group "$user" >/dev/null && fail "the group $user exists already; this test creates and deletes it"
[ -e "$data" ] && fail "$data exists already; this test creates and deletes it"
[ -e "$defaults" ] && fail "$defaults exists already; this test creates and deletes it"

work="$(mktemp -d /tmp/keyward-gateway-deb.XXXXXX)"
chmod 0755 "$work"
gateway_pid=""
cleanup() {
  local status=$?
  set +e
  # The gateway may run under strace, which leaves its tracee running when it is killed:
  # stop the child first.
  if [ -n "$gateway_pid" ]; then
    $sudo pkill -KILL -P "$gateway_pid" 2>/dev/null
    $sudo kill -KILL "$gateway_pid" 2>/dev/null
    wait "$gateway_pid" 2>/dev/null
  fi
  if dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null | grep -qv '^not-installed$'; then
    apt_get purge -y -qq "$package" >/dev/null 2>&1
  fi
  $sudo rm -rf "$data"
  getent passwd "$user" >/dev/null && $sudo deluser --quiet --system "$user" >/dev/null 2>&1
  getent group "$user" >/dev/null && $sudo delgroup --quiet --system "$user" >/dev/null 2>&1
  $sudo rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT

# --- tools ---------------------------------------------------------------------------
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
if ! command -v cargo-deb >/dev/null; then
  echo "gateway-deb: installing cargo-deb"
  cargo install cargo-deb --locked --quiet
fi
# setup.sh installs both; a machine set up before they were added gets them here.
missing=()
command -v systemd-analyze >/dev/null || missing+=(systemd)
command -v strace >/dev/null || missing+=(strace)
if ((${#missing[@]})); then
  echo "gateway-deb: installing Debian packages: ${missing[*]}"
  apt_get update -qq
  apt_get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- 1. build ------------------------------------------------------------------------
cd "$root"
cargo build -p "$package" --quiet
# cargo-deb warns that dev profiles are for testing only, which is what this is.
cargo deb -p "$package" --no-build --profile dev --quiet -o "$work/" >/dev/null 2> >(grep -v 'dev profile\|debug = 1\|\[profile.dist\]' >&2)
deb="$(ls "$work"/"$package"_*.deb)"
ok "built $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)"

# --- 2. install, verify the installed unit --------------------------------------------
apt_get install -y -qq "$deb" >"$work/install.log" 2>&1 || { cat "$work/install.log" >&2; fail "apt-get install $deb"; }
ok "installed with apt-get"
unit="$(dpkg -L "$package" | grep '/systemd/system/keyward-gateway\.service$')" || fail "the package ships no keyward-gateway.service"
verify="$(systemd-analyze verify "$unit" 2>&1)" || { echo "$verify" >&2; fail "systemd-analyze verify $unit"; }
# verify also reports on units this one names (network-online.target…); anything about
# ours is a defect even when it only warns.
if grep -F "keyward-gateway" <<<"$verify"; then fail "systemd-analyze verify $unit warned about it"; fi
ok "systemd-analyze verify $unit: clean${verify:+ (about other units: $verify)}"
# systemd's own rating of the sandbox, 0 (locked down) to 10; 2.0 is this unit's ceiling.
security="$(systemd-analyze security --offline=yes --threshold=20 "$unit" 2>&1)" ||
  { echo "$security" >&2; fail "systemd-analyze security rates $unit above 2.0"; }
ok "systemd-analyze security: $(grep -o 'Overall exposure level.*' <<<"$security")"

# --- 3. what the package put in place -------------------------------------------------
[ -x /usr/bin/keyward-gateway ] || fail "/usr/bin/keyward-gateway is missing or not executable"
/usr/bin/keyward-gateway --version | grep -q '^keyward-gateway ' || fail "keyward-gateway --version"
dpkg-query -W -f='${Conffiles}\n' "$package" | grep -q "^ $defaults " || fail "$defaults is not a conffile"
IFS=: read -r _ _ uid gid _ home shell < <(getent passwd "$user") || fail "no user $user"
[ "$uid" -lt 1000 ] || fail "$user is not a system user (uid $uid)"
[ "$(getent group "$gid" | cut -d: -f1)" = "$user" ] || fail "$user's primary group is not $user"
[ "$home" = "$data" ] || fail "$user's home is $home, not $data"
case "$shell" in */nologin | */false) ;; *) fail "$user has a login shell ($shell)" ;; esac
[ "$(stat -c '%U:%G %a' "$data")" = "$user:$user 750" ] ||
  fail "$data is $(stat -c '%U:%G %a' "$data"), not $user:$user 750"
[ ! -e /etc/systemd/system/multi-user.target.wants/keyward-gateway.service ] ||
  fail "the service was enabled before init"
ok "system user $user (uid $uid, no login), $data $user:$user 0750, $defaults a conffile, service not enabled"

# --- the unit, read as systemd reads it -----------------------------------------------
# The [Service] value of a key: every assignment, in order (Environment= may repeat).
unit_values() { awk -v key="$1" '
  /^\[/ { section = $0; next }
  section == "[Service]" && index($0, key "=") == 1 { print substr($0, length(key) + 2) }' "$unit"; }
unit_value() { unit_values "$1" | tail -n 1; }

declare -A service_env=()
# Environment=NAME=value (unquoted, one per line, as this unit writes them).
while IFS= read -r assignment; do
  [ -n "$assignment" ] || continue
  [[ "$assignment" != *[\"\'\ ]* ]] || fail "Environment=$assignment: quoting is not handled here; extend this parser"
  service_env["${assignment%%=*}"]="${assignment#*=}"
done < <(unit_values Environment)
# EnvironmentFile= (a leading - means optional): NAME=value lines, # and ; comments.
env_file="$(unit_value EnvironmentFile)"
[ "$env_file" = "-$defaults" ] || fail "EnvironmentFile is $env_file, not -$defaults"
while IFS= read -r line; do
  case "$line" in '' | '#'* | ';'*) continue ;; esac
  [[ "$line" =~ ^([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || fail "$defaults: not NAME=value: $line"
  value="${BASH_REMATCH[2]}"
  [[ "$value" != *[\"\'\\]* ]] || fail "$defaults: quoting is not handled here; extend this parser: $line"
  service_env["${BASH_REMATCH[1]}"]="$value"
done <"$defaults"

# The packaged default listens on loopback; only its port changes here, to 0, so the
# test never collides with anything on 8787.
listen="${service_env[KEYWARD_LISTEN]:-}"
[[ "$listen" =~ ^127\.0\.0\.1:[0-9]+$ ]] || fail "the packaged KEYWARD_LISTEN is '$listen', not a 127.0.0.1 address"
service_env[KEYWARD_LISTEN]="127.0.0.1:0"

service_user="$(unit_value User)"; service_group="$(unit_value Group)"
[ "$service_user" = "$user" ] && [ "$service_group" = "$user" ] || fail "User/Group are $service_user/$service_group"
umask_value="$(unit_value UMask)"; [ -n "$umask_value" ] || fail "the unit sets no UMask"
workdir="$(unit_value WorkingDirectory)"; workdir="${workdir:-/}"
# What systemd adds for a system service with User= and StateDirectory=.
service_env[PATH]="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
service_env[USER]="$user"; service_env[LOGNAME]="$user"; service_env[HOME]="$home"; service_env[SHELL]="$shell"
service_env[STATE_DIRECTORY]="/var/lib/$(unit_value StateDirectory)"
service_env[LANG]="C.UTF-8"
env_args=()
for name in "${!service_env[@]}"; do env_args+=("$name=${service_env[$name]}"); done

# ExecStart, expanded as systemd.service(5) says: a word that is "${NAME}" becomes one
# argument, a word that is "$NAME" splits into zero or more, ${NAME} inside a word is
# replaced. Quotes and escapes are refused rather than guessed at.
exec_start="$(unit_value ExecStart)"
[ -n "$exec_start" ] || fail "the unit has no ExecStart"
[[ "$exec_start" != *[\"\'\\]* ]] || fail "ExecStart quotes or escapes; extend this parser: $exec_start"
exec_start="${exec_start#[-@:+!]}"
argv=()
read -r -a words <<<"$exec_start"
for word in "${words[@]}"; do
  if [[ "$word" =~ ^\$([A-Za-z_][A-Za-z0-9_]*)$ ]]; then
    read -r -a split <<<"${service_env[${BASH_REMATCH[1]}]:-}"
    argv+=(${split[@]+"${split[@]}"})
    continue
  fi
  while [[ "$word" =~ ^(.*)\$\{([A-Za-z_][A-Za-z0-9_]*)\}(.*)$ ]]; do
    word="${BASH_REMATCH[1]}${service_env[${BASH_REMATCH[2]}]:-}${BASH_REMATCH[3]}"
  done
  [[ "$word" != *'$'* ]] || fail "ExecStart word not understood: $word"
  argv+=("$word")
done
[ "${argv[0]}" = /usr/bin/keyward-gateway ] || fail "ExecStart runs ${argv[0]}, not the packaged binary"
echo "gateway-deb: ExecStart as systemd would run it: ${argv[*]}"

# Runs the service's command line in the background as systemd would: its user and
# group, no new privileges, an empty capability bounding set, its umask and working
# directory, exactly its environment. Output goes to $1 (the journal's stand-in); any
# further arguments go before the command line (a tracer).
start_service() {
  local log="$1"; shift
  (
    cd "$workdir"
    umask "$umask_value"
    exec $sudo setpriv --reuid="$service_user" --regid="$service_group" --init-groups \
      --no-new-privs --bounding-set=-all --inh-caps=-all \
      env -i "${env_args[@]}" "$@" "${argv[@]}"
  ) >"$log" 2>&1 &
  gateway_pid=$!
}

# The system calls a SystemCallFilter= item names: a group (@…) expanded through
# systemd-analyze, nested groups included, or a single call.
syscalls_of() {
  local item
  for item in "$@"; do
    if [[ "$item" == @* ]]; then
      local members
      members="$(systemd-analyze syscall-filter "$item" | sed -n 's/^ \{4\}\([@a-z0-9_-]*\)$/\1/p')"
      [ -n "$members" ] || fail "systemd-analyze knows no system call group $item"
      # shellcheck disable=SC2086
      syscalls_of $members
    else
      echo "$item"
    fi
  done
}
# Waits (up to 30 s) for the gateway to exit, and sets $status to its exit status.
await_exit() {
  local deadline=$((SECONDS + 30))
  while kill -0 "$gateway_pid" 2>/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || fail "the gateway did not exit within 30 s"
    sleep 0.2
  done
  status=0
  wait "$gateway_pid" || status=$?
  gateway_pid=""
}

# --- 4a. serve before init ------------------------------------------------------------
start_service "$work/uninitialised.log"
await_exit
[ "$status" = 78 ] || { cat "$work/uninitialised.log" >&2; fail "serve before init exited $status, not 78"; }
grep -qF "sudo -u $user keyward-gateway init --data-dir $data" "$work/uninitialised.log" ||
  { cat "$work/uninitialised.log" >&2; fail "serve before init does not give the init command"; }
ok "serve before init: exit 78, and says: $(tr '\n' ' ' <"$work/uninitialised.log")"

# --- 4b. init as the service user ------------------------------------------------------
# At trace level, so that a token passing through tracing anywhere would show.
(cd / && $sudo runuser -u "$user" -- env KEYWARD_LOG=trace /usr/bin/keyward-gateway init --data-dir "$data") \
  >"$work/init.out" 2>"$work/init.err" || { cat "$work/init.err" >&2; fail "init as $user"; }
token="$(cat "$work/init.out")"
[[ "$token" =~ ^kw_ctl_[0-9A-Za-z]{36}$ ]] || fail "init's stdout is not one owner token: $(wc -c <"$work/init.out") bytes"
grep -qF "$token" "$work/init.err" && fail "init wrote the owner token to stderr (its log)"
grep -rqF "$token" "$data" && fail "the owner token is stored in plain text under $data"
for logs in /var/log /run/log/journal; do
  [ -d "$logs" ] || continue
  $sudo grep -rqF "$token" "$logs" 2>/dev/null && fail "the owner token is in $logs"
done
project="$(grep -o 'prj_[0-9A-Za-z_-]*' "$work/init.err" | head -n 1)"
[ -n "$project" ] || fail "init did not name its project on stderr"
[ "$(stat -c %U "$data/keyward-gateway.db")" = "$user" ] || fail "init made the database as $(stat -c %U "$data/keyward-gateway.db")"
ok "init as $user: owner token on stdout only (not on stderr at trace level, not in $data, not in /var/log), project $project"

# --- 5. serve from the unit's ExecStart -------------------------------------------------
# strace runs inside the sandbox, as the service user, and records only the gateway's calls.
$sudo install -d -o "$user" -g "$user" -m 0700 "$work/trace"
start_service "$work/serve.log" strace -f -qq -o "$work/trace/syscalls"
deadline=$((SECONDS + 60))
address=""
while [ -z "$address" ]; do
  kill -0 "$gateway_pid" 2>/dev/null || { cat "$work/serve.log" >&2; fail "the gateway exited at start"; }
  [ "$SECONDS" -lt "$deadline" ] || { cat "$work/serve.log" >&2; fail "the gateway did not listen within 60 s"; }
  address="$(sed 's/\x1b\[[0-9;]*m//g' "$work/serve.log" | grep 'keyward-gateway listening' |
    grep -o 'address=127\.0\.0\.1:[0-9]*' | cut -d= -f2 || true)"
  [ -n "$address" ] || sleep 0.2
done
pid="$(pgrep -P "$gateway_pid" -x keyward-gateway)" || fail "no keyward-gateway process under strace"
[ "$(ps -o user= -p "$pid")" = "$user" ] || fail "the gateway runs as $(ps -o user= -p "$pid"), not $user"
grep -q '^NoNewPrivs:[[:space:]]*1$' "/proc/$pid/status" || fail "the gateway may gain privileges"
grep -q '^CapBnd:[[:space:]]*0*$' "/proc/$pid/status" || fail "the gateway has a capability bounding set"
code="$(curl -s -o /dev/null -w '%{http_code}' "http://$address/openapi.json")"
[ "$code" = 200 ] || fail "GET /openapi.json answered $code"
whoami="$(curl -sf -H "Authorization: Bearer $token" "http://$address/v1/whoami")" || fail "GET /v1/whoami with the owner token failed"
grep -qF "\"$project\"" <<<"$whoami" || fail "whoami does not name project $project: $whoami"
created="$(curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{"name":"Packaging check"}' "http://$address/v1/projects")" || fail "POST /v1/projects with the owner token failed"
grep -qF '"Packaging check"' <<<"$created" || fail "POST /v1/projects answered $created"
kill -TERM "$pid"
await_exit
[ "$status" = 0 ] || { cat "$work/serve.log" >&2; fail "the gateway exited $status on SIGTERM"; }
grep -qF "$token" "$work/serve.log" && fail "the owner token is in the service's log"
grep -q $'\x1b' "$work/serve.log" && fail "the service's log (the journal) holds terminal escape codes"
ok "ExecStart served on $address as $user (no new privileges, no capabilities): /openapi.json 200, /v1/whoami names $project, a project created; SIGTERM exit 0"

# SystemCallFilter=: lines without ~ allow (their union), lines with ~ deny. systemd
# always permits the few calls every process needs, listed in systemd.exec(5).
allowed=(execve exit exit_group getrlimit rt_sigreturn sigreturn)
denied=()
while IFS= read -r filter; do
  read -r -a items <<<"${filter#\~}"
  if [[ "$filter" == "~"* ]]; then denied+=("${items[@]}"); else allowed+=("${items[@]}"); fi
done < <(unit_values SystemCallFilter)
((${#denied[@]})) && ((${#allowed[@]} > 6)) || fail "the unit's SystemCallFilter= allows or denies nothing"
syscalls_of "${allowed[@]}" >"$work/allowed.all" && sort -u -o "$work/allowed" "$work/allowed.all"
syscalls_of "${denied[@]}" >"$work/denied.all" && sort -u -o "$work/denied" "$work/denied.all"
# strace lines: "<pid>  <name>(…" ; resumed and signal lines carry no new name.
sed -n 's/^[0-9]\+ \+\([a-z0-9_]\+\)(.*/\1/p' "$work/trace/syscalls" | sort -u >"$work/used"
[ "$(wc -l <"$work/used")" -gt 20 ] || fail "strace recorded only $(wc -l <"$work/used") system calls"
outside="$(comm -23 "$work/used" "$work/allowed" | tr '\n' ' ')"
refused="$(comm -12 "$work/used" "$work/denied" | tr '\n' ' ')"
[ -z "$outside$refused" ] ||
  fail "SystemCallFilter= would refuse system calls the gateway made: ${outside}${refused}"
ok "the $(wc -l <"$work/used") system calls the gateway made all pass SystemCallFilter= ($(unit_values SystemCallFilter | tr '\n' ' '))"

# --- 6. remove keeps the data; purge keeps it too ----------------------------------------
apt_get remove -y -qq "$package" >"$work/remove.log" 2>&1 || { cat "$work/remove.log" >&2; fail "apt-get remove"; }
[ ! -e /usr/bin/keyward-gateway ] || fail "remove left /usr/bin/keyward-gateway"
[ ! -e "$unit" ] || fail "remove left $unit"
[ -f "$data/keyward-gateway.db" ] || fail "remove deleted $data/keyward-gateway.db"
getent passwd "$user" >/dev/null || fail "remove deleted the user $user"
ok "remove: binary and unit gone; $data/keyward-gateway.db and user $user kept"
# A reinstall finds that database: `init` refuses to mint a second owner token.
apt_get install -y -qq "$deb" >"$work/reinstall.log" 2>&1 || { cat "$work/reinstall.log" >&2; fail "apt-get install after remove"; }
[ "$(stat -c '%U:%G %a' "$data")" = "$user:$user 750" ] || fail "the reinstall changed $data to $(stat -c '%U:%G %a' "$data")"
if (cd / && $sudo runuser -u "$user" -- /usr/bin/keyward-gateway init --data-dir "$data") >"$work/reinit.out" 2>"$work/reinit.err"; then
  fail "init after a reinstall minted another owner token"
fi
grep -q 'already initialized' "$work/reinit.err" || { cat "$work/reinit.err" >&2; fail "init after a reinstall failed otherwise"; }
[ ! -s "$work/reinit.out" ] || fail "init after a reinstall printed on stdout"
ok "reinstall: $data kept as it was; init refuses, the database being there"
apt_get purge -y -qq "$package" >"$work/purge.log" 2>&1 || { cat "$work/purge.log" >&2; fail "apt-get purge"; }
[ ! -e "$defaults" ] || fail "purge left $defaults"
[ -f "$data/keyward-gateway.db" ] || fail "purge deleted $data/keyward-gateway.db"
grep -qF "rm -rf $data" "$work/purge.log" || fail "purge did not say how to delete the kept data"
ok "purge: $defaults gone; data and user kept, and it said how to delete them"

# --- the machine as it was ---------------------------------------------------------------
trap - EXIT
cleanup_status=0
(cleanup) || cleanup_status=$?
[ "$cleanup_status" = 0 ] || fail "cleanup"
getent passwd "$user" >/dev/null && fail "cleanup left the user $user"
getent group "$user" >/dev/null && fail "cleanup left the group $user"
[ ! -e "$data" ] || fail "cleanup left $data"
leftovers="$(ls -d /etc/systemd/system/*/keyward-gateway.service /var/lib/systemd/deb-systemd-*/*keyward-gateway* 2>/dev/null || true)"
[ -z "$leftovers" ] || fail "left behind: $leftovers"
echo "gateway-deb: passed; the package, its user and its data are gone again"
