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
ROOT=$(pwd)
require_rust
apt_ensure build-essential pkg-config libssl-dev imagemagick fonts-dejavu-core chromium xvfb xauth python3-aiosmtpd
ensure_pdfium "$ROOT"
require_node
ensure_ui_deps "$ROOT"
IN="$ROOT/bench/out/portal"
mkdir -p "$IN"

if [ ! -s "$IN/scan-page.jpg" ]; then
  log "making a scanned page (1275×1650, 150 dpi)"
  text=""
  for i in $(seq 1 40); do text+="Line $i: Haemoglobin 13.$i g/dL, WBC 6.$i x10^9/L, platelets 2${i}0 x10^9/L."$'\n'; done
  convert -size 1275x1650 xc:'#f7f5f0' -fill '#ff0000' -draw 'rectangle 100,60 1175,180' \
    -fill '#222' -font DejaVu-Sans -pointsize 20 -annotate +100+260 "$text" \
    -attenuate 0.15 +noise Gaussian -fill '#ff0000' -draw 'rectangle 100,60 1175,180' \
    -quality 80 "$IN/scan-page.jpg"
fi
# Both PDFs: every page headed by a pure red band (what "painted" looks for).
python3 - "$IN" <<'EOF'
import os, sys
out = sys.argv[1]

def write(path, pages, extra):
    objs = ["<< /Type /Catalog /Pages 2 0 R >>", None]
    kids = []
    for n in range(1, pages + 1):
        content, resources = extra(n, objs)
        page = len(objs) + 1
        kids.append(f"{page} 0 R")
        objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {page + 1} 0 R /Resources {resources} >>")
        objs.append(f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"\nendstream")
    objs[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {pages} >>"
    body, offsets = b"%PDF-1.4\n", []
    for i, o in enumerate(objs):
        offsets.append(len(body))
        body += f"{i + 1} 0 obj\n".encode() + (o if isinstance(o, bytes) else o.encode()) + b"\nendobj\n"
    xref = len(body)
    body += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    body += b"".join(f"{o:010} 00000 n \n".encode() for o in offsets)
    body += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    open(path, "wb").write(body)

font = {}
def text_page(n, objs):
    if "f" not in font:
        objs.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
        font["f"] = len(objs)
    lines = "".join(f"(Result {i}: sodium 14{i % 10} mmol/L, potassium 4.{i % 10} mmol/L, creatinine {60 + i} umol/L) Tj T* " for i in range(40))
    content = f"1 0 0 rg 50 712 512 50 re f 0 0 0 rg BT /F1 18 Tf 60 690 Td (Laboratory report, page {n} of 20) Tj ET BT /F1 9 Tf 12 TL 60 660 Td {lines}ET"
    return content.encode(), f"<< /Font << /F1 {font['f']} 0 R >> >>"

jpeg = open(os.path.join(out, "scan-page.jpg"), "rb").read()
def scan_page(n, objs):
    objs.append(f"<< /Type /XObject /Subtype /Image /Width 1275 /Height 1650 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode /Length {len(jpeg)} >>\nstream\n".encode() + jpeg + b"\nendstream")
    return b"q 612 0 0 792 0 0 cm /Im1 Do Q", f"<< /XObject << /Im1 {len(objs)} 0 R >> >>"

write(os.path.join(out, "report-20-pages.pdf"), 20, text_page)
write(os.path.join(out, "scanned-20-pages.pdf"), 20, scan_page)
EOF
log "building the release server"
cargo build --release --locked -p clinicdocs-server
CLINICDOCS_SERVER_BIN="${CARGO_TARGET_DIR:-target}/release/clinicdocs-server" xvfb-run -a -s '-screen 0 1280x1024x24' node bench/portal.mjs
