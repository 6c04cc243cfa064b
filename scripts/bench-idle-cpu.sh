#!/usr/bin/env bash
# The app's idle CPU with 200 workloads (issue #9: < 2 % of one core on the Workloads
# screen), against a baseline of the Keys screen in the same run. Builds the UI and the
# app as packaged (the `desktop` profile), then runs tests/e2e/benches/workloads_idle_cpu.rs
# under Xvfb inside a private D-Bus session with an unlocked gnome-keyring. Takes about
# three minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-lib.sh
build_packaged_app
app_bench workloads_idle_cpu
