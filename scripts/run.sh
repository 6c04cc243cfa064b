#!/usr/bin/env bash
# Sets everything up, then starts the Keyward desktop app on its embedded gateway.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/setup.sh"
cd "$root"
exec cargo run -p keyward-app --bin keyward
