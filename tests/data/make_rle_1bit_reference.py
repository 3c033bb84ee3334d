"""Write the 1-bit RLE reference files of tests/test_rle_one_bit.py with pydicom's
development branch (not run by the tests; kept to show where the files come from).

pydicom 3.0 refuses 1-bit RLE; its main branch encodes and decodes it since commit
e892e467 ("Revise implementation of single bit RLE compression", February 2026): one
segment holding a byte (0 or 1) per pixel. These files were written by its own RLE
encoder (``encoding_plugin="pydicom"``) from main at fb1f24e4f0 (June 2026):

    git -C pydicom archive fb1f24e4f0 src/pydicom | tar -x -C /tmp/pdmain
    PYTHONPATH=/tmp/pdmain/src python tests/data/make_rle_1bit_reference.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.pixels.utils import pack_bits
from pydicom.uid import ExplicitVRLittleEndian, RLELossless, SecondaryCaptureImageStorage

sys.path.insert(0, str(Path(__file__).parents[1]))
from test_rle_one_bit import REFERENCES, reference_array


def write(name: str, frames: int, rows: int, columns: int) -> None:
    arr = reference_array(frames, rows, columns)
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID = f"1.2.826.0.1.3680043.8.498.1.{rows}.{columns}"
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.PhotometricInterpretation = rows, columns, 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 1, 1, 0, 0
    ds.NumberOfFrames = frames
    ds.PixelData = pack_bits(arr.astype("u1"), pad=True)
    ds.compress(RLELossless, encoding_plugin="pydicom")
    ds.save_as(Path(__file__).parent / name, enforce_file_format=True)


if __name__ == "__main__":
    for name, shape in REFERENCES.items():
        write(name, *shape)
