"""Writes a full-size 12-bit CR chest X-ray the DICOM corpus lacks (2500×2048, 0.139 mm pixels,
stored uncompressed, about 10 MB), for the benchmarks: a smooth body, two darker lungs, a
brighter spine and film-grain noise, with the file's own window. Needs pydicom and numpy.

usage: make_cr.py OUT.dcm [SEED]
"""
import sys

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

out, seed = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 7
h, w = 2500, 2048
y, x = np.mgrid[0:h, 0:w]
img = 1400 + 900 * np.exp(-(((x - w / 2) / (w / 2.2)) ** 2))
for cx in (w * 0.32, w * 0.68):
    img -= 700 * np.exp(-(((x - cx) / (w * 0.14)) ** 2 + ((y - h * 0.45) / (h * 0.28)) ** 2))
img += 800 * np.exp(-(((x - w / 2) / (w * 0.03)) ** 2))
img += np.random.default_rng(seed).normal(0, 25, (h, w))
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
ds.save_as(out, enforce_file_format=True)
