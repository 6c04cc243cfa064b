#!/usr/bin/env bash
# Proves the desktop console's packages (issue #20) on this machine, and leaves the
# machine as it found it:
#   1. builds the .deb and the AppImage from the debug build (`scripts/package.sh
#      --debug`: the suite checks the packaging, not the optimiser, and the bundler
#      reuses the app the suite already built in target/debug);
#   2. checks the .deb's control fields: the workspace version, the WebKitGTK runtime
#      libraries as dependencies and no -dev package;
#   3. installs it with apt-get, offline, and checks what dpkg says it installed: the
#      app, kw, the desktop entry and the icons; `kw --version` names the workspace
#      version and this commit;
#   4. launches the INSTALLED /usr/bin/keyward under Xvfb through tauri-driver
#      (tests/e2e/tests/installed.rs): the Keys screen of the embedded gateway renders,
#      the gateway answers whoami, and About shows what `kw --version` printed;
#   5. removes the package: dpkg no longer lists it, none of its files remain, the
#      user's data directory does; then purges it;
#   6. runs the AppImage under Xvfb the same way (extracted and run, as where FUSE is
#      not available), with the package gone, and checks the kw inside it.
# Runs inside the suite's D-Bus session (scripts/test.sh), whose unlocked keyring holds
# Local's token. Needs root for apt-get (sudo is used when not root). Exits non-zero at
# the first failure.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

package=keyward
fail() { echo "console-deb: FAIL: $*" >&2; exit 1; }
ok() { echo "console-deb: ok: $*"; }
apt_get() { DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=300 "$@"; }
installed() { dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null | grep -q '^installed$'; }

# The test installs and purges the package: it refuses to start where the package or
# its binaries are there already, so it never removes something it did not install.
dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null | grep -qv '^not-installed$' &&
  fail "$package is already installed here; this test installs and purges it, so run it on a machine without it"
for path in /usr/bin/keyward /usr/bin/kw; do
  [ -e "$path" ] && fail "$path exists already; this test installs the package that owns it"
done

work="$(mktemp -d /tmp/keyward-console-deb.XXXXXX)"
packages_before="$work/packages-before"
dpkg-query -W -f='${db:Status-Status} ${Package}\n' | sed -n 's/^installed //p' | sort >"$packages_before"
cleanup() {
  local status=$?
  set +e
  if dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null | grep -qv '^not-installed$'; then
    apt_get purge -y -qq "$package" >/dev/null 2>&1
  fi
  # Whatever the install pulled in as a dependency goes too: the machine as found.
  dpkg-query -W -f='${db:Status-Status} ${Package}\n' | sed -n 's/^installed //p' | sort |
    comm -13 "$packages_before" - >"$work/pulled-in"
  if [ -s "$work/pulled-in" ]; then
    xargs -a "$work/pulled-in" bash -c 'DEBIAN_FRONTEND=noninteractive '"$sudo"' apt-get purge -y -qq "$@" >/dev/null 2>&1' _
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT

version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)
# The commit kw and About must name: the one pinned for the build, else HEAD's.
commit=${KEYWARD_COMMIT:-$(git rev-parse --short=7 HEAD 2>/dev/null || echo unknown)}
target="${CARGO_TARGET_DIR:-$root/target}"
case "$target" in /*) ;; *) target="$root/$target" ;; esac

# 1. Build.
started=$(date +%s)
./scripts/package.sh --debug
deb="$target/debug/bundle/deb/Keyward_${version}_amd64.deb"
appimage="$target/debug/bundle/appimage/Keyward_${version}_amd64.AppImage"
[ -f "$deb" ] || fail "no $deb after scripts/package.sh --debug"
[ -x "$appimage" ] || fail "no $appimage after scripts/package.sh --debug"
ok "built $(basename "$deb") ($(du -h "$deb" | cut -f1)) and $(basename "$appimage") ($(du -h "$appimage" | cut -f1)) in $(($(date +%s) - started)) s"

# 2. The control fields.
[ "$(dpkg-deb -f "$deb" Package)" = "$package" ] || fail "the package is named $(dpkg-deb -f "$deb" Package), not $package"
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] ||
  fail "the package's version $(dpkg-deb -f "$deb" Version) is not the workspace's $version (tauri.conf.json's version must follow Cargo.toml)"
depends=$(dpkg-deb -f "$deb" Depends)
for dep in libwebkit2gtk-4.1-0 libgtk-3-0; do
  grep -qw -- "$dep" <<<"$depends" || fail "Depends ($depends) lacks $dep"
done
grep -q -- '-dev\b' <<<"$depends" && fail "Depends ($depends) names a -dev package"
ok "Package $package, Version $version, Depends: $depends"

# 3. Install, offline: every dependency must already be in reach of apt.
apt_get install -y -qq --no-install-recommends "$deb" >/dev/null
installed "$package" || fail "apt-get did not install $package"
dpkg -L "$package" >"$work/files"
# Its own files (not the directories it shares, like /usr/bin), to look for after removal.
while read -r path; do [ -d "$path" ] || echo "$path"; done <"$work/files" >"$work/owned"
for path in /usr/bin/keyward /usr/bin/kw /usr/share/applications/Keyward.desktop; do
  grep -qx "$path" "$work/files" || fail "dpkg -L $package does not list $path"
  [ -e "$path" ] || fail "$path is listed but not on disk"
done
grep -q '^/usr/share/icons/hicolor/.*/apps/keyward\.png$' "$work/files" || fail "dpkg -L $package lists no icon"
grep -qx 'Exec=keyward' /usr/share/applications/Keyward.desktop || fail "the desktop entry does not start keyward"
ok "dpkg -L lists the app, kw, the desktop entry and $(grep -c '/apps/keyward\.png$' "$work/files") icons"
kw_says=$(/usr/bin/kw --version)
[ "$kw_says" = "kw $version ($commit)" ] || fail "kw --version says '$kw_says', not 'kw $version ($commit)'"
ok "kw --version: $kw_says"

# 4. The installed app under Xvfb. Its data directory is made in $work/data and kept.
mkdir "$work/data"
KEYWARD_INSTALLED_BINARY=/usr/bin/keyward KEYWARD_INSTALLED_DATA_IN="$work/data" \
  cargo test -p keyward-e2e --test installed -- --test-threads=1 --nocapture 2>&1 | tee "$work/installed.log"
grep -q 'KEYWARD_INSTALLED_BINARY is not set' "$work/installed.log" && fail "the installed-app test did not see the installed binary"
data_dir=$(find "$work/data" -mindepth 2 -maxdepth 2 -type d -name app | head -n1)
[ -n "$data_dir" ] && [ -n "$(ls -A "$data_dir")" ] || fail "the installed app wrote no data directory under $work/data"
ok "the installed app opened on its Keys screen, its gateway answered, About matched kw"

# 5. Remove: nothing of the package remains, the user's data does.
apt_get remove -y -qq "$package" >/dev/null
installed "$package" && fail "$package is still installed after apt-get remove"
dpkg -L "$package" 2>/dev/null | grep -q '^/' && fail "dpkg -L still lists files of $package"
while read -r path; do
  if [ -e "$path" ] || [ -L "$path" ]; then fail "$path is still on disk after apt-get remove"; fi
done <"$work/owned"
[ -n "$(ls -A "$data_dir")" ] || fail "removing the package removed the user's data in $data_dir"
# It has no conffiles, so removing it usually leaves nothing to purge; purge what is left.
if dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null | grep -qv '^not-installed$'; then
  apt_get purge -y -qq "$package" >/dev/null
fi
dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null | grep -qv '^not-installed$' &&
  fail "$package is still known to dpkg after purge"
ok "removed and purged: no file of $package left, the user's data in place"

# 6. The AppImage, with the package gone. No FUSE here: the runtime extracts itself
#    (into $work, so nothing is left in /tmp if the driver kills it) and runs.
(cd "$work" && "$appimage" --appimage-extract >/dev/null)
image_kw=$("$work/squashfs-root/usr/bin/kw" --version)
[ "$image_kw" = "kw $version ($commit)" ] || fail "the AppImage's kw --version says '$image_kw'"
mkdir "$work/appimage-data" "$work/appimage-tmp"
APPIMAGE_EXTRACT_AND_RUN=1 TMPDIR="$work/appimage-tmp" \
  KEYWARD_INSTALLED_BINARY="$appimage" KEYWARD_INSTALLED_KW="$work/squashfs-root/usr/bin/kw" \
  KEYWARD_INSTALLED_DATA_IN="$work/appimage-data" \
  cargo test -p keyward-e2e --test installed -- --test-threads=1 --nocapture 2>&1 | tee "$work/appimage.log"
grep -q 'KEYWARD_INSTALLED_BINARY is not set' "$work/appimage.log" && fail "the AppImage test did not see the AppImage"
ok "the AppImage opened on its Keys screen, its gateway answered, About matched its kw"
