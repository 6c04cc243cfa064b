#!/usr/bin/env bash
# Sets everything up, then runs the whole suite: formatting, clippy, UI type checks and Vitest,
# every Rust test (with the committed IPC bindings checked), the gateway's suite again on a
# throwaway PostgreSQL (scripts/services.sh), schemathesis against the
# gateway's OpenAPI document, and the real app end to
# end under Xvfb. Rust tests run inside a private D-Bus session with an unlocked
# gnome-keyring, so keychain tests use the real Secret Service and never a person's.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if [ -z "${KEYWARD_IN_TEST_SESSION:-}" ]; then
  # A run from a clean clone writes about 11 GiB (target/, the throwaway servers); when
  # the disk fills midway, what fails is whichever test writes next ("No space left on
  # device" from PostgreSQL, say), far from the cause. Said first, where it is seen.
  free_gib=$(df --output=avail -B1G "$root" | tail -n 1 | tr -d ' ')
  if [ "$free_gib" -lt 15 ]; then
    echo "scripts/test.sh: warning: only ${free_gib} GiB free on the disk of $root;" \
      "a run from a clean clone needs about 11 GiB (an existing target/ needs less)." >&2
  fi
  source "$root/scripts/setup.sh"
  cd "$root"
  echo "== cargo fmt --check"
  cargo fmt --all --check
  echo "== cargo clippy (every crate and target, warnings are errors)"
  cargo clippy --workspace --all-targets --quiet -- -D warnings
  echo "== UI: svelte-check and Vitest"
  (cd ui && npm run --silent check && npm test --silent)
  echo "== building the app for the end-to-end tests"
  cargo build -p keyward-app
  # Re-enter this script inside a throwaway D-Bus session.
  KEYWARD_IN_TEST_SESSION=1 exec dbus-run-session -- bash "$0" "$@"
fi

cd "$root"
# A throwaway login keyring, unlocked with a throwaway password, for this session only.
printf 'keyward-test' | gnome-keyring-daemon --unlock --components=secrets >/dev/null
echo "== Rust tests"
cargo test --workspace --exclude keyward-e2e
echo "== the gateway on PostgreSQL and Redis (throwaway servers): its integration suite twice more"
source "$root/scripts/services.sh"
trap stop_services EXIT
start_postgres
start_redis
# Each test gateway alone on a PostgreSQL database of its own (the replicas tests use Redis)…
KEYWARD_REQUIRE_POSTGRES=1 cargo test -p keyward-gateway --test it
# …then every test gateway as a replica sharing Redis: the same behaviour through the
# shared limiter and the change counters.
KEYWARD_REQUIRE_POSTGRES=1 KEYWARD_TEST_AS_REPLICA=1 cargo test -p keyward-gateway --test it
stop_services
trap - EXIT
echo "== the PostgreSQL schema and JSON functions, checked against SQLite's"
./tests/postgres/schema.sh
./tests/postgres/json-functions.sh
echo "== gateway contract: schemathesis against the OpenAPI document"
./tests/schemathesis.sh
echo "== the profile-guided build's training mix, served by the debug gateway (scripts/build-gateway.sh)"
cargo build --quiet -p keyward-gateway --bin keyward-gateway
./scripts/build-gateway.sh --check-training "${CARGO_TARGET_DIR:-$root/target}/debug/keyward-gateway"
echo "== the gateway's Debian package: built, verified, installed, run as its unit would, removed"
./tests/packaging/gateway-deb.sh
echo "== end to end: the real app under Xvfb"
cargo test -p keyward-e2e -- --test-threads=1
echo "== the console's packages: the .deb installed, run under Xvfb and removed; the AppImage run"
# From the debug build above, not a release build (the suite's time); scripts/package.sh
# makes the release packages.
./tests/packaging/console-deb.sh
