#!/usr/bin/env bash
# The app's cold start to its first screen and its idle memory (issue #20: ≤ 1 s to the
# Keys screen, ≤ 200 MB PSS of the app and its WebKit processes), against the baseline of
# the webview's own start in the same run. Builds the UI and the app as packaged (the
# `desktop` profile), then runs tests/e2e/benches/startup_memory.rs under Xvfb inside a
# private D-Bus session with an unlocked gnome-keyring. Takes about five minutes after
# the build, five more for each build named in KEYWARD_BENCH_COMPARE (label=path;label=path:
# measured in turn with this one in every round, e.g. the previous commit's
# target/desktop/keyward copied aside).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-lib.sh
build_packaged_app
# Every build read from disk the same way: a binary's resident code depends on the folio
# sizes the page cache holds it in (one just written by cp measured 3–4 MiB more), so the
# cache is dropped first where this user may (root); otherwise the figures say so.
sync
if { echo 3 >/proc/sys/vm/drop_caches; } 2>/dev/null; then
  echo "bench: page cache dropped"
else
  echo "bench: page cache NOT dropped (needs root): compare builds read from disk alike" >&2
fi
# The same theme for every build (the app inherits it through tauri-driver).
export GTK_THEME=Adwaita
app_bench startup_memory
