#!/usr/bin/env bash
# The floor under the console's idle memory (issue #20, docs/benchmarks.md "The floor"):
# PSS of a bare WebKitGTK window (scripts/webkit-floor/floor.c) and its WebKit processes
# after 20 s idle, with the environment the app sets for itself (src-tauri/src/footprint.rs:
# compositing, DMA-BUF renderer and JIT off, pages painted by the CPU). It shows one page
# that runs a script, as Keyward's does — the script also reports whether the page sees a
# dark desktop. Prints one line per launch. Extra arguments are added to the environment
# (e.g. GDK_GL=disable WEBKIT_WEB_RENDER_DEVICE_FILE=/dev/null).
#
#   scripts/bench-webkit-floor.sh [VAR=VALUE...]     knobs: ROUNDS=2 IDLE_SECONDS=20
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if [ -z "${KEYWARD_IN_BENCH_SESSION:-}" ]; then
  KEYWARD_IN_BENCH_SESSION=1 exec dbus-run-session -- bash "$0" "$@"
fi

work=$(mktemp -d)
xvfb_pid=
cleanup() {
  if [ -n "$xvfb_pid" ]; then kill "$xvfb_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck disable=SC2046 # pkg-config prints several flags
gcc -O2 -o "$work/floor" "$root/scripts/webkit-floor/floor.c" $(pkg-config --cflags --libs webkit2gtk-4.1)
cat >"$work/page.html" <<'HTML'
<!doctype html><html><body><p>A page that runs a script.</p><script>
const report = () => console.log("dark=" + matchMedia("(prefers-color-scheme: dark)").matches);
report(); setTimeout(report, 2000);
</script></body></html>
HTML

exec 3< <(Xvfb -displayfd 1 -screen 0 1280x800x24 -nolisten tcp 2>/dev/null & echo "$!"; wait)
read -r xvfb_pid <&3
read -r display <&3
export DISPLAY=":$display" GTK_THEME="${GTK_THEME:-Adwaita}"

pss_mib() { awk '/^Pss:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/smaps_rollup"; }

for round in $(seq "${ROUNDS:-2}"); do
  # The library pages come from disk each launch, as the app's bench reads them.
  if [ "$(id -u)" -eq 0 ]; then sync; echo 3 >/proc/sys/vm/drop_caches; fi
  env WEBKIT_DISABLE_COMPOSITING_MODE=1 WEBKIT_DISABLE_DMABUF_RENDERER=1 \
    WEBKIT_SKIA_ENABLE_CPU_RENDERING=1 JSC_useJIT=false "$@" \
    "$work/floor" "file://$work/page.html" >"$work/out.log" 2>&1 &
  pid=$!
  sleep "${IDLE_SECONDS:-20}"
  line="round $round: window $(pss_mib "$pid")"
  total=$(awk '/^Pss:/ { print $2 }' "/proc/$pid/smaps_rollup")
  for child in $(pgrep -P "$pid"); do
    line="$line, $(cut -c1-15 "/proc/$child/comm") $(pss_mib "$child")"
    total=$((total + $(awk '/^Pss:/ { print $2 }' "/proc/$child/smaps_rollup")))
  done
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  echo "$line; all $(awk -v k="$total" 'BEGIN { printf "%.1f", k / 1024 }') MiB;" \
    "page saw $(grep -ao 'dark=[a-z]*' "$work/out.log" | tail -n 1)"
done
