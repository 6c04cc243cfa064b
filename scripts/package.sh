#!/usr/bin/env bash
# Builds the desktop console's packages (issue #20): a .deb made by Tauri's bundler and an
# AppImage assembled from that .deb's files.
#
#   scripts/package.sh           release build (the `desktop` profile), for distribution:
#                                  target/desktop/bundle/deb/Keyward_<version>_amd64.deb
#                                  target/desktop/bundle/appimage/Keyward_<version>_amd64.AppImage
#   scripts/package.sh --debug   the same from the debug build the test suite has already
#                                made (tests/packaging/console-deb.sh): no release compile,
#                                so the suite stays within its time.
#
# The .deb holds /usr/bin/keyward, /usr/bin/kw, the desktop entry and the icons, and
# depends on the WebKitGTK runtime libraries (src-tauri/tauri.conf.json, bundle.linux.deb).
# kw is added through bundle.linux.deb.files; its path is given here because it depends
# on the build profile.
#
# The AppImage is not made by Tauri's bundler: that bundler downloads linuxdeploy and its
# GTK plugin from GitHub, which this project's machines and CI cannot reach. It is
# assembled here from registry packages only: the AppImage type-2 runtime (AppImageKit's,
# which mounts the image with libfuse2 when present and otherwise runs with
# --appimage-extract-and-run) as shipped inside the crates.io crate `appimage` 0.4.0,
# and mksquashfs from Debian's squashfs-tools. Its payload is the .deb's files, so it
# uses the WebKitGTK of the system it runs on, like the .deb: it runs on any x86_64
# distribution with webkit2gtk-4.1 and GTK 3 installed. An AppImage that carries its own
# WebKitGTK needs linuxdeploy's GTK plugin, which is only published on GitHub; that is
# the external blocker for a fully self-contained one.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# The cargo profile and its directory under target/: `desktop` is the release build sized
# for memory (Cargo.toml).
profile=desktop
case "${1:-}" in
  --debug) profile=debug ;;
  "") ;;
  *) echo "package: unknown option $1 (use --debug for a package of the debug build)" >&2; exit 2 ;;
esac

if [ "$profile" = desktop ]; then
  # Tools, Debian packages and the built UI the app embeds.
  source "$root/scripts/setup.sh"
  cd "$root"
fi
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
for tool in mksquashfs dpkg-deb; do
  command -v "$tool" >/dev/null || { echo "package: $tool is missing: run scripts/setup.sh" >&2; exit 1; }
done
tauri="$root/ui/node_modules/.bin/tauri"   # @tauri-apps/cli, from the UI's lockfile
"$tauri" --version >/dev/null 2>&1 || { echo "package: the Tauri CLI is missing: run scripts/setup.sh" >&2; exit 1; }

target="${CARGO_TARGET_DIR:-$root/target}"
case "$target" in /*) ;; *) target="$root/$target" ;; esac
version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)
[ -n "$version" ] || { echo "package: no version under [workspace.package] in Cargo.toml" >&2; exit 1; }

echo "package: kw ($profile)"
cargo_profile=(); [ "$profile" = desktop ] && cargo_profile=(--profile desktop)
cargo build -p keyward-cli "${cargo_profile[@]}"

echo "package: the .deb ($profile)"
# The UI was built by setup.sh (and embedded in the app binary the suite built), so the
# bundler's beforeBuildCommand is not run a second time. In debug mode the bundler's
# cargo build finds target/debug up to date and only bundles.
override=$(printf '{"build":{"beforeBuildCommand":""},"bundle":{"linux":{"deb":{"files":{"/usr/bin/kw":"%s"}}}}}' "$target/$profile/kw")
tauri_profile=(--debug); [ "$profile" = desktop ] && tauri_profile=(-- --profile desktop)
(cd src-tauri && "$tauri" build --ci --bundles deb --config "$override" "${tauri_profile[@]}")
deb="$target/$profile/bundle/deb/Keyward_${version}_amd64.deb"
[ -f "$deb" ] || { echo "package: the bundler did not make $deb" >&2; exit 1; }

echo "package: the AppImage ($profile)"
# The runtime, from the crates.io crate that ships it, fetched by cargo into its registry
# cache and checked against the file this script was written for.
runtime_sha256=328e0d745c5c6817048c27bc3e8314871703f8f47ffa81a37cb06cd95a94b323
fetcher="$target/appimage-runtime"
mkdir -p "$fetcher/src"
cat >"$fetcher/Cargo.toml" <<'EOF'
# Written by scripts/package.sh: only fetched, never built, for the AppImage runtime inside.
[package]
name = "appimage-runtime-fetch"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
appimage = "=0.4.0"

[workspace]
EOF
: >"$fetcher/src/lib.rs"
cargo fetch --quiet --manifest-path "$fetcher/Cargo.toml"
runtime=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/appimage-0.4.0/assets/runtime-x86_64 | head -n1)
echo "$runtime_sha256  $runtime" | sha256sum --check --quiet - \
  || { echo "package: $runtime is not the AppImage runtime this script expects (sha256 differs)" >&2; exit 1; }

out="$target/$profile/bundle/appimage"
appdir="$out/Keyward.AppDir"
rm -rf "$appdir"
mkdir -p "$appdir"
dpkg-deb -x "$deb" "$appdir"
# The AppDir's entry point, desktop entry and icon, at its root as the format asks.
ln -s usr/bin/keyward "$appdir/AppRun"
cp "$appdir/usr/share/applications/Keyward.desktop" "$appdir/Keyward.desktop"
icon=$(sed -n 's/^Icon=//p' "$appdir/Keyward.desktop")
cp "$appdir/usr/share/icons/hicolor/128x128/apps/$icon.png" "$appdir/$icon.png"
ln -s "$icon.png" "$appdir/.DirIcon"
image="$out/Keyward_${version}_amd64.AppImage"
mksquashfs "$appdir" "$out/payload.squashfs" -root-owned -noappend -quiet -comp gzip >/dev/null
cat "$runtime" "$out/payload.squashfs" >"$image"
chmod 755 "$image"
rm -rf "$out/payload.squashfs" "$appdir"

echo "package: $deb ($(du -h "$deb" | cut -f1))"
echo "package: $image ($(du -h "$image" | cut -f1))"
