#!/usr/bin/env bash
# Installs everything Keyward needs on Debian 12, idempotently: system packages, the
# Rust toolchain and tauri-driver if absent (the Tauri CLI comes with the UI's npm packages), the UI's npm packages from
# the lockfile, and the built UI (which the app embeds). Sourced by run.sh and test.sh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

packages=(
  build-essential pkg-config curl file libssl-dev
  systemd strace                                                      # the gateway's .deb checked (tests/packaging/gateway-deb.sh)
  libwebkit2gtk-4.1-dev librsvg2-dev libayatana-appindicator3-dev   # Tauri 2 on Linux
  webkit2gtk-driver xvfb                                              # the app under WebDriver
  gnome-keyring dbus dbus-x11 libsecret-tools                         # a real Secret Service
  nodejs npm
  python3-venv                                                        # schemathesis
  squashfs-tools                                                      # the AppImage (scripts/package.sh)
  postgresql redis-server                                             # throwaway servers for the gateway's tests (scripts/services.sh)
  wrk nginx-light                                                     # the profile-guided build's training run (scripts/build-gateway.sh)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# A machine whose Node.js came from elsewhere (nodesource, nvm) keeps it.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
read -r -a missing <<<"${missing[*]}"
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "setup: Node.js 20 or newer is required (found $(node --version)); Debian 12's nodejs is 18 — install Node 20 from nodesource or nvm." >&2
  exit 1
fi

if ! command -v cargo >/dev/null; then
  echo "setup: installing the Rust toolchain with rustup"
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
fi
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

if ! command -v cargo-deb >/dev/null; then
  echo "setup: installing cargo-deb (the gateway's .deb)"
  cargo install cargo-deb --locked --quiet
fi

if ! command -v tauri-driver >/dev/null; then
  echo "setup: installing tauri-driver"
  cargo install tauri-driver --locked --quiet
fi

# Tauri's bundler (scripts/package.sh, tests/packaging/console-deb.sh) is the official
# tauri-cli as the Tauri project publishes it prebuilt on npm (@tauri-apps/cli, in the UI's
# lockfile, installed by `npm ci` below): the same CLI as crates.io's tauri-cli, without the
# ~15 minutes of compiling it on two cores that a fresh machine's suite would pay.

echo "setup: npm packages and UI build"
(cd "$root/ui" && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build)
