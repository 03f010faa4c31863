#!/usr/bin/env bash
# DICOM to an 8-bit picture beside dcmtk (prints figures and ratios; not a test). Builds the
# release `dicom` bench, installs dcmtk, makes full-size X-rays the corpus lacks (a 2500×2048
# 12-bit CR image, bench/make_cr.py, stored uncompressed, as RLE, as lossless JPEG and as
# JPEG-LS with dcmtk's own encoders), and times `dicom draw` against dcmj2pnm/dcml2pnm on them
# and on the corpus's small CT and MR: full size and the 256-px tile, at the file's window.
# Usage: bench/dicom.sh [runs]   (default 9)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/common.sh
require_rust
apt_ensure "${BUILD_APT[@]}" dcmtk
# The same packages as bench/abuse.sh builds, so one release build serves both.
cargo build --release --locked -p clinicdocs-server -p clinicdocs-bench
ROOT=$(pwd)
CORPUS=$(dicom_corpus_dir "$ROOT")
PY="$CLINICDOCS_TOOLS/py-dicom-3.0.2"
WORK=$(mktemp -d /tmp/clinicdocs-dicom-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
PYTHONPATH="$PY" python3 bench/make_cr.py "$WORK/CR_2500x2048.dcm"
dcmcrle "$WORK/CR_2500x2048.dcm" "$WORK/CR_2500x2048_rle.dcm"
dcmcjpeg +e1 "$WORK/CR_2500x2048.dcm" "$WORK/CR_2500x2048_jpeg_lossless.dcm"
dcmcjpls "$WORK/CR_2500x2048.dcm" "$WORK/CR_2500x2048_jpeg_ls.dcm"
echo "### DICOM to an 8-bit picture: Clinic Documents (release) beside dcmtk $(dcmj2pnm --version 2>&1 | sed -n 's/.*\(v[0-9.]*\).*/\1/p' | head -n 1)"
"${CARGO_TARGET_DIR:-target}"/release/dicom compare --runs "${1:-9}" --out-dir "$WORK/out" \
  "$WORK"/CR_2500x2048.dcm "$WORK"/CR_2500x2048_rle.dcm "$WORK"/CR_2500x2048_jpeg_lossless.dcm "$WORK"/CR_2500x2048_jpeg_ls.dcm \
  "$CORPUS"/CT_small.dcm "$CORPUS"/MR_small.dcm "$CORPUS"/MR_small_RLE.dcm "$CORPUS"/examples_rgb_color.dcm
