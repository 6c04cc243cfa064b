#!/usr/bin/env bash
# The official SDKs the compatibility tests drive, pinned, in a venv under target/.
# Idempotent: prints the venv's python. PyPI is the only network it touches.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="${CARGO_TARGET_DIR:-$root/target}/sdk-venv"
stamp="$venv/.requirements"
requirements="openai==3.54.0 inferencekey==0.260725.739"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$requirements" ]; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check $requirements >&2
  echo "$requirements" > "$stamp"
fi
echo "$venv/bin/python"
