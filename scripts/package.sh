#!/usr/bin/env bash
# Builds the desktop app's installable package for Debian/Ubuntu: a .deb made by the Tauri
# bundler (`tauri build --bundles deb`), with libpdfium inside it (the PDF engine, installed
# beside the app under /usr/lib/Clinic Documents/). Installs what the build needs first, like
# the other scripts. Prints the path of the package, copied to dist/.
#
#   scripts/package.sh            release build: the package staff install
#   scripts/package.sh --debug    the same package from the debug profile (the test suite's
#                                 install check, which reuses the suite's compiled crates)
#
# Install it with `sudo apt install ./dist/clinic-documents_*.deb` (or `dpkg -i`); it runs as
# `clinicdocs-desktop`. On Windows and macOS the same sources build with `tauri build` there
# (see the README).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/common.sh

require_rust
ROOT=$(pwd)
prepare_desktop "$ROOT"
profile=release
flags=()
if [ "${1:-}" = --debug ]; then
  profile=debug
  flags=(--debug)
fi
log "tauri build --bundles deb ($profile)"
(cd src-tauri && "$ROOT/ui/node_modules/.bin/tauri" build "${flags[@]}" --bundles deb --ci -- --workspace --all-targets >&2) || die "the package build failed"
out="${CARGO_TARGET_DIR:-$ROOT/target}/$profile/bundle/deb"
deb=$(ls -t "$out"/*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || die "no .deb in $out"
# Debian's own naming: clinic-documents_VERSION_ARCH.deb (the bundler names it after the
# product, with a space).
name=$(basename "$deb")
name=${name// /-}
mkdir -p "$ROOT/dist"
cp "$deb" "$ROOT/dist/${name,,}"
echo "$ROOT/dist/${name,,}"
