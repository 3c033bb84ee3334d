"""``correct_unused_bits`` (pydicom 3's decoding option) against pydicom on native data whose
bits above Bits Stored hold garbage (PS3.5 8.1.1: they are not part of the value)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pydicom = pytest.importorskip("pydicom", reason="pydicom is the test oracle")

import dicom_pixels as dp  # noqa: E402


def _garbage_high_bits(path: Path, signed: int, frames: int) -> Path:
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID, ds.SOPInstanceUID = "1.2.840.10008.5.1.4.1.1.7", "1.2.826.0.1.3680043.8.498.17"
    ds.file_meta.MediaStorageSOPClassUID, ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPClassUID, ds.SOPInstanceUID
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.Rows, ds.Columns, ds.BitsAllocated, ds.BitsStored, ds.HighBit = 5, 7, 16, 12, 11
    ds.PixelRepresentation = signed
    if frames > 1:
        ds.NumberOfFrames = frames
    rng = np.random.default_rng(signed + frames)
    ds.PixelData = rng.integers(0, 2**16, frames * 5 * 7, dtype="<u2").tobytes()  # bits 12-15 random
    ds.save_as(path, enforce_file_format=True)
    return path


@pytest.mark.parametrize("signed", [0, 1])
@pytest.mark.parametrize("frames", [1, 3])
@pytest.mark.parametrize("correct", [True, False])
def test_unused_bits_are_handled_as_pydicom_handles_them(signed, frames, correct, tmp_path):
    from pydicom.pixels import pixel_array as pydicom_pixel_array

    path = _garbage_high_bits(tmp_path / "g.dcm", signed, frames)
    expected = pydicom_pixel_array(path, correct_unused_bits=correct)
    ours = dp.pixel_array(path, correct_unused_bits=correct)
    assert ours.dtype == expected.dtype
    assert np.array_equal(ours, expected)
    if correct:  # values within Bits Stored: 12-bit, sign-extended when signed
        assert ours.min() >= (-2048 if signed else 0) and ours.max() <= (2047 if signed else 4095)
