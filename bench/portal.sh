#!/usr/bin/env bash
# Sharing portal benchmark (prints figures and ratios; not a test): a 20-page PDF shared with
# a contact, the portal's page (pages drawn by the server) to its first page painted, beside
# the same stored PDF opened straight in Chromium's own viewer, in the same Chromium, in the
# same run (bench/portal.mjs). Two PDFs, made here once in bench/out/portal/: a text report
# (vector text, a few KB a page) and a scanned one (a 150-dpi JPEG a page, ~5 MB).
# Usage: bench/portal.sh   (PORTAL_ROUNDS=N for more runs; default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/common.sh
. bench/lib.sh
ROOT=$(pwd)
require_rust
apt_ensure "${BUILD_APT[@]}" imagemagick fonts-dejavu-core chromium xvfb xauth python3-aiosmtpd
ensure_pdfium "$ROOT"
require_node
ensure_ui_deps "$ROOT"
IN="$ROOT/bench/out/portal"
mkdir -p "$IN"

# Both PDFs: every page headed by a pure red band (what "painted" looks for).
scan_page "$IN/scan-page.jpg"
python3 bench/make_pdf.py "$IN/scan-page.jpg" "$IN/report-20-pages.pdf" text 20 "$IN/scanned-20-pages.pdf" scan 20
log "building the release server"
cargo build --release --locked -p clinicdocs-server
CLINICDOCS_SERVER_BIN="${CARGO_TARGET_DIR:-target}/release/clinicdocs-server" xvfb-run -a -s '-screen 0 1280x1024x24' node bench/portal.mjs
