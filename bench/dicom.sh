#!/usr/bin/env bash
# DICOM to an 8-bit picture beside dcmtk (prints figures and ratios; not a test). Builds the
# release `dicom` bench, installs dcmtk, makes full-size X-rays the corpus lacks (a 2500×2048
# 12-bit CR image stored uncompressed, as RLE, as lossless JPEG and as JPEG-LS, made with
# pydicom and dcmtk's own encoders), and times `dicom draw` against dcmj2pnm/dcml2pnm on them
# and on the corpus's small CT and MR: full size and the 256-px tile, at the file's window.
# Usage: bench/dicom.sh [runs]   (default 9)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/common.sh
require_rust
apt_ensure build-essential pkg-config libssl-dev libheif-dev dcmtk
cargo build --release --locked -p clinicdocs-bench --bin dicom
ROOT=$(pwd)
CORPUS=$(dicom_corpus_dir "$ROOT")
PY="$CLINICDOCS_TOOLS/py-dicom-3.0.2"
WORK=$(mktemp -d /tmp/clinicdocs-dicom-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
PYTHONPATH="$PY" python3 - "$WORK/CR_2500x2048.dcm" <<'PY'
import sys
import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
h, w = 2500, 2048
y, x = np.mgrid[0:h, 0:w]
# A chest-like picture: a smooth body, two darker lungs, a brighter spine, film-grain noise.
img = 1400 + 900 * np.exp(-(((x - w / 2) / (w / 2.2)) ** 2))
for cx in (w * 0.32, w * 0.68):
    img -= 700 * np.exp(-(((x - cx) / (w * 0.14)) ** 2 + ((y - h * 0.45) / (h * 0.28)) ** 2))
img += 800 * np.exp(-(((x - w / 2) / (w * 0.03)) ** 2))
img += np.random.default_rng(7).normal(0, 25, (h, w))
pixels = np.clip(img, 0, 4095).astype(np.uint16)
meta = FileMetaDataset()
meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.1"  # CR
meta.MediaStorageSOPInstanceUID = generate_uid()
meta.TransferSyntaxUID = ExplicitVRLittleEndian
ds = Dataset()
ds.file_meta = meta
ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
ds.Modality, ds.PatientName, ds.PatientID = "CR", "BENCH^CHEST", "BENCH1"
ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
ds.Rows, ds.Columns = h, w
ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
ds.WindowCenter, ds.WindowWidth = 1800, 2400
ds.RescaleIntercept, ds.RescaleSlope = 0, 1
ds.PixelSpacing = [0.139, 0.139]
ds.PixelData = pixels.tobytes()
ds.save_as(sys.argv[1], enforce_file_format=True)
PY
dcmcrle "$WORK/CR_2500x2048.dcm" "$WORK/CR_2500x2048_rle.dcm"
dcmcjpeg +e1 "$WORK/CR_2500x2048.dcm" "$WORK/CR_2500x2048_jpeg_lossless.dcm"
dcmcjpls "$WORK/CR_2500x2048.dcm" "$WORK/CR_2500x2048_jpeg_ls.dcm"
echo "### DICOM to an 8-bit picture: Clinic Documents (release) beside dcmtk $(dcmj2pnm --version 2>&1 | sed -n 's/.*\(v[0-9.]*\).*/\1/p' | head -n 1)"
"${CARGO_TARGET_DIR:-target}"/release/dicom compare --runs "${1:-9}" --out-dir "$WORK/out" \
  "$WORK"/CR_2500x2048.dcm "$WORK"/CR_2500x2048_rle.dcm "$WORK"/CR_2500x2048_jpeg_lossless.dcm "$WORK"/CR_2500x2048_jpeg_ls.dcm \
  "$CORPUS"/CT_small.dcm "$CORPUS"/MR_small.dcm "$CORPUS"/MR_small_RLE.dcm "$CORPUS"/examples_rgb_color.dcm
