#!/usr/bin/env bash
# The official SDKs the compatibility tests drive, pinned, in a venv under target/.
# Idempotent: prints the venv's python. PyPI is the only network it touches.
# Tests run in parallel and each calls this: an exclusive lock makes the second wait for
# the first's install instead of finding a venv without pip (CI's clean clone did).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
venv="$target/sdk-venv"
stamp="$venv/.requirements"
requirements="openai==3.63.0 anthropic==2.17.0 inferencekey==0.260725.739 openrouter==1.3.84 gcore==0.59.0"
mkdir -p "$target"
exec 9>"$target/sdk-venv.lock"
flock 9
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$requirements" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check $requirements >&2
  echo "$requirements" > "$stamp"
fi
echo "$venv/bin/python"
