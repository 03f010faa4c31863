"""Builds the DICOM test corpus and its reference renders, independently of the app.

Files come from the pydicom wheel's test data (installed by scripts/lib/common.sh, never
committed). A few are derived here with pydicom: a MONOCHROME1 copy, one with a VOI LUT
Sequence, a fake (`DICM` then junk) and one cut short. For every file the app should draw,
pydicom decodes the pixels (pylibjpeg for JPEG, JPEG-LS and JPEG 2000) and this script applies
the display rules itself with numpy: modality LUT (pydicom's apply_modality_lut), then the VOI
LUT if present, else the first window (PS3.3 C.11.2.1.2, linear), else the frame's min-max,
then MONOCHROME1 inverted; colour as RGB. The render is written as a binary PGM/PPM and
described in manifest.json, which tests/dicom_corpus.rs (clinicdocs-core) reads.

usage: make_corpus.py OUT_DIR
"""
import json
import os
import shutil
import sys

import numpy as np
import pydicom
from pydicom.pixels import apply_modality_lut

SRC = os.path.join(os.path.dirname(pydicom.__file__), "data", "test_files")

# name -> what the app must do with it: "render", "undecodable" (accepted, not drawn) or "refused".
FILES = {
    "CT_small.dcm": "render",  # TIFF preamble (dual personality), no window: min-max
    "MR_small.dcm": "render",  # window values
    "MR_small_implicit.dcm": "render",
    "MR_small_bigendian.dcm": "render",
    "MR_small_RLE.dcm": "render",
    "MR_small_jpeg_ls_lossless.dcm": "render",
    "MR_small_jp2klossless.dcm": "render",
    "JPEG2000.dcm": "render",
    "693_J2KI.dcm": "render",
    "JPEGLSNearLossless_16.dcm": "render",
    "SC_rgb_small_odd.dcm": "render",
    "SC_rgb_rle_2frame.dcm": "render",  # RLE, multi-frame: the middle frame
    "SC_rgb_rle_16bit.dcm": "render",
    "SC_rgb_jpeg_dcmtk.dcm": "render",  # YBR_FULL, JPEG baseline
    "SC_rgb_jpeg_gdcm.dcm": "render",  # JPEG lossless
    "SC_rgb_dcmtk_+eb+cy+np.dcm": "render",  # YBR_FULL_422, JPEG baseline
    "SC_ybr_full_422_uncompressed.dcm": "render",
    "SC_rgb_gdcm_KY.dcm": "render",  # JPEG 2000 colour
    "examples_ybr_color.dcm": "render",  # 30 frames of YBR JPEG
    "examples_rgb_color.dcm": "render",
    "rtdose_rle.dcm": "undecodable",  # 32-bit dose grid: not a picture this app draws
    "JPEG-lossy.dcm": "undecodable",  # 12-bit lossy JPEG
    "MR_truncated.dcm": "refused",  # image data ends early
}


def window_linear(x, c, w):
    w = max(w, 1.0)
    lo, hi = c - 0.5 - (w - 1) / 2, c - 0.5 + (w - 1) / 2
    y = ((x - (c - 0.5)) / max(w - 1, 1e-9) + 0.5)
    y = np.where(x <= lo, 0.0, np.where(x > hi, 1.0, y))
    return y


def first(v):
    return float(v[0]) if isinstance(v, pydicom.multival.MultiValue) else float(v)


def reference(ds, frame):
    arr = ds.pixel_array
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    if frames > 1:
        arr = arr[frame]
    if ds.SamplesPerPixel == 3:
        # pydicom's pixel_array has already turned YBR_FULL / YBR_FULL_422 into RGB.
        if ds.BitsAllocated > 8:
            arr = arr >> (ds.BitsStored - 8)
        return arr.astype(np.uint8), 3
    x = apply_modality_lut(arr, ds).astype(np.float64)
    if "VOILUTSequence" in ds:
        item = ds.VOILUTSequence[0]
        count, first_mapped, bits = item.LUTDescriptor
        data = np.asarray(item.LUTData, dtype=np.float64)
        idx = np.clip(np.round(x) - first_mapped, 0, len(data) - 1).astype(np.int64)
        y = data[idx] / (2**bits - 1)
    elif "WindowCenter" in ds and "WindowWidth" in ds:
        y = window_linear(x, first(ds.WindowCenter), first(ds.WindowWidth))
    else:
        lo, hi = x.min(), x.max()
        y = (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x)
    y = np.clip(y, 0, 1)
    if ds.PhotometricInterpretation == "MONOCHROME1":
        y = 1 - y
    return np.round(y * 255).astype(np.uint8), 1


def write_pnm(path, img, channels):
    h, w = img.shape[:2]
    with open(path, "wb") as f:
        f.write(b"P6\n" if channels == 3 else b"P5\n")
        f.write(f"{w} {h}\n255\n".encode())
        f.write(np.ascontiguousarray(img).tobytes())


def main(out):
    os.makedirs(out, exist_ok=True)
    manifest = []
    for name, expect in FILES.items():
        shutil.copy(os.path.join(SRC, name), os.path.join(out, name))
        manifest.append({"file": name, "expect": expect})

    # Derived files, made with pydicom.
    ds = pydicom.dcmread(os.path.join(SRC, "MR_small.dcm"))
    ds.PhotometricInterpretation = "MONOCHROME1"
    ds.save_as(os.path.join(out, "MR_small_monochrome1.dcm"))
    manifest.append({"file": "MR_small_monochrome1.dcm", "expect": "render"})

    ds = pydicom.dcmread(os.path.join(SRC, "CT_small.dcm"))
    lut = pydicom.Dataset()
    lut.LUTDescriptor = [256, 0, 16]
    lut.LUTData = [min(65535, i * i) for i in range(256)]
    lut["LUTData"].VR = "US"
    ds.VOILUTSequence = pydicom.Sequence([lut])
    ds.WindowCenter, ds.WindowWidth = 40, 400  # the table wins over the window
    ds.save_as(os.path.join(out, "CT_small_voi_lut.dcm"))
    manifest.append({"file": "CT_small_voi_lut.dcm", "expect": "render"})

    with open(os.path.join(out, "fake.dcm"), "wb") as f:
        f.write(b"\0" * 128 + b"DICM" + b"this is not a DICOM data set" * 40)
    manifest.append({"file": "fake.dcm", "expect": "refused"})

    with open(os.path.join(SRC, "MR_small.dcm"), "rb") as f:
        head = f.read()[:2000]
    with open(os.path.join(out, "MR_small_cut.dcm"), "wb") as f:
        f.write(head)
    manifest.append({"file": "MR_small_cut.dcm", "expect": "refused"})

    for entry in manifest:
        if entry["expect"] != "render":
            continue
        ds = pydicom.dcmread(os.path.join(out, entry["file"]))
        frames = int(ds.get("NumberOfFrames", 1) or 1)
        frame = (frames - 1) // 2
        img, channels = reference(ds, frame)
        ref = entry["file"] + (".ppm" if channels == 3 else ".pgm")
        write_pnm(os.path.join(out, ref), img, channels)
        entry.update(
            reference=ref,
            frame=frame,
            frames=frames,
            width=int(ds.Columns),
            height=int(ds.Rows),
            has_window="WindowCenter" in ds,
            spacing=[float(v) for v in ds.PixelSpacing] if "PixelSpacing" in ds else None,
            patient_name=str(ds.get("PatientName", "")) or None,
        )
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(f"dicom corpus: {len(manifest)} files in {out}")


if __name__ == "__main__":
    main(sys.argv[1])
