#!/usr/bin/env bash
# Desktop benchmark (prints figures and ratios; not a test). In one invocation:
#   1. makes the input files (a 4000×3000 photo-like JPEG, a 2480×3508 scanned page, a
#      3000×2400 grey PNG, a 20-page text PDF) in bench/out/desktop/, once;
#   2. runs the app's thumbnail and PDF code (release build) beside vipsthumbnail and
#      mutool draw on them (src-tauri/examples/media_bench.rs);
#   3. starts the app under Xvfb against a demo server and measures its cold start to the
#      signed-in window and to a patient's Documents tab, and its memory (PSS of the app and
#      its WebKit processes) after 10 s idle, beside WebKitGTK's MiniBrowser showing the same
#      UI (bench/desktop-start.mjs);
#   4. `tab` (not run by default): a patient's Documents tab with 40 PDFs and 10 DICOM files,
#      the bytes the app downloads and the time until every tile is drawn, with server tiles
#      and with tiles the app draws itself from the PDFs, as before (bench/documents.mjs).
# Usage: bench/desktop.sh [media|start|tab ...]   (default: media start)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/common.sh
. bench/lib.sh
ROOT=$(pwd)
require_rust
apt_ensure "${BUILD_APT[@]}" libvips-tools mupdf-tools imagemagick fonts-dejavu-core
prepare_desktop "$ROOT"
IN="$ROOT/bench/out/desktop"
mkdir -p "$IN"

make_inputs() {
  cd "$IN"
  if [ ! -s photo-4000x3000.jpg ]; then
    log "making a 4000×3000 photo-like JPEG"
    convert -seed 7 -size 1000x750 plasma:fractal -resize 4000x3000! -attenuate 0.3 +noise Gaussian \
      -quality 90 -sampling-factor 2x2 photo-4000x3000.jpg
  fi
  if [ ! -s scan-2480x3508.jpg ]; then
    log "making a 2480×3508 scanned page"
    local text=""
    for i in $(seq 1 60); do text+="Line $i: Haemoglobin 13.$i g/dL, WBC 6.$i x10^9/L, platelets 2${i}0 x10^9/L, reference ranges apply."$'\n'; done
    convert -size 2480x3508 xc:'#f7f5f0' -fill '#222' -font DejaVu-Sans -pointsize 34 \
      -annotate +160+260 "$text" -attenuate 0.15 +noise Gaussian -rotate 0.4 -crop 2480x3508+0+0 +repage \
      -quality 85 scan-2480x3508.jpg
  fi
  if [ ! -s grey-3000x2400.png ]; then
    log "making a 3000×2400 grey PNG"
    convert -seed 3 -size 750x600 plasma:grey20-grey80 -colorspace Gray -resize 3000x2400! \
      -attenuate 0.2 +noise Gaussian -colorspace Gray -depth 8 grey-3000x2400.png
  fi
  if [ ! -s report-20p.pdf ]; then
    log "making a 20-page text PDF (mutool create)"
    local pages=()
    for p in $(seq 1 20); do
      {
        echo "%%MediaBox 0 0 595 842"
        echo "%%Font F1 Helvetica"
        echo "%%Font F2 Times-Roman"
        echo "0.2 0.3 0.6 rg 50 780 495 30 re f"
        echo "BT /F1 16 Tf 1 1 1 rg 60 789 Td (Clinic Documents - laboratory report, page $p of 20) Tj ET"
        echo "0 0 0 rg"
        for l in $(seq 0 52); do
          echo "BT /F2 10 Tf 60 $((750 - l * 13)) Td (Result $l: glucose 5.$l mmol/L; creatinine 7$l umol/L; eGFR >90; sodium 14$((l % 10)) mmol/L; potassium 4.$l) Tj ET"
        done
        echo "0.8 0.1 0.1 RG 2 w 60 60 m 200 120 l 340 70 l 535 140 l S"
      } >"page$p.txt"
      pages+=("page$p.txt")
    done
    mutool create -o report-20p.pdf "${pages[@]}"
    rm -f page*.txt
  fi
  cd "$ROOT"
}

media() {
  make_inputs
  log "building the media benchmark (release)"
  cargo build --release --locked -p clinicdocs-desktop --example media_bench
  echo
  echo "### thumbnails and PDF pages: the app's code vs vipsthumbnail $(vipsthumbnail --version | cut -d' ' -f1 | sed 's/vips-//') and mutool $(mutool -v 2>&1 | sed -n 's/.*version //p'), $(nproc) CPUs"
  "${CARGO_TARGET_DIR:-target}/release/examples/media_bench" --dir "$IN" --reps "${BENCH_REPS:-9}"
}

start() {
  log "building the server and the app (release)"
  cargo build --release --locked -p clinicdocs-server -p clinicdocs-desktop
  local rel="${CARGO_TARGET_DIR:-target}/release"
  echo
  echo "### cold start and memory under Xvfb (release build, demo server on loopback)"
  CLINICDOCS_SERVER_BIN="$rel/clinicdocs-server" CLINICDOCS_DESKTOP_BIN="$rel/clinicdocs-desktop" \
  CLINICDOCS_TAURI_DRIVER="$(tauri_driver_bin)" MINIBROWSER="$(ls /usr/lib/*/webkit2gtk-4.1/MiniBrowser | head -n 1)" \
  UI_DIST="$ROOT/ui/dist" \
    tests/e2e/run.sh node bench/desktop-start.mjs
}

# 30 text reports of 1-4 pages and 10 scanned letters of 1-3 pages; 4 full-size 12-bit CR
# chest X-rays (bench/make_cr.py) and 6 of the corpus's small CT/MR/colour files.
make_tab_inputs() {
  local tab="$ROOT/bench/out/tab" corpus py i specs=()
  [ -f "$tab/.complete" ] && return 0
  rm -rf "$tab"; mkdir -p "$tab"
  log "making the Documents tab's 50 files"
  scan_page "$IN/scan-page.jpg"
  for i in $(seq 1 30); do specs+=("$tab/$(printf 'lab-%02d' "$i").pdf" text $((i % 4 + 1))); done
  for i in $(seq 1 10); do specs+=("$tab/$(printf 'letter-%02d' "$i").pdf" scan $((i % 3 + 1))); done
  python3 bench/make_pdf.py "$IN/scan-page.jpg" "${specs[@]}"
  corpus=$(dicom_corpus_dir "$ROOT")
  py="$CLINICDOCS_TOOLS/py-dicom-3.0.2"
  for i in 1 2 3 4; do PYTHONPATH="$py" python3 bench/make_cr.py "$tab/chest-$i.dcm" "$i"; done
  for f in CT_small MR_small MR_small_RLE MR_small_jpeg_ls_lossless SC_rgb_jpeg_dcmtk examples_rgb_color; do
    cp "$corpus/$f.dcm" "$tab/$f.dcm"
  done
  touch "$tab/.complete"
}

tab() {
  make_tab_inputs
  log "building the server and the app (release)"
  cargo build --release --locked -p clinicdocs-server -p clinicdocs-desktop
  local rel="${CARGO_TARGET_DIR:-target}/release"
  echo
  CLINICDOCS_SERVER_BIN="$rel/clinicdocs-server" CLINICDOCS_DESKTOP_BIN="$rel/clinicdocs-desktop" \
  CLINICDOCS_TAURI_DRIVER="$(tauri_driver_bin)" CLINICDOCS_PDFIUM="$CLINICDOCS_PDFIUM" \
  BENCH_TAB_INPUTS="$ROOT/bench/out/tab" \
    tests/e2e/run.sh node bench/documents.mjs
}

for what in ${@:-media start}; do
  case "$what" in
    media) media ;;
    start) start ;;
    tab) tab ;;
    *) die "unknown part $what (media, start or tab)" ;;
  esac
done
