"""The pyjpegls plugin against pydicom 3's own pyjpegls plugin (the same backend)."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest

import dicom_pixels as dp
from dicom_pixels.testing import reference_cases, synthetic_image

pydicom = pytest.importorskip("pydicom", reason="pydicom is the oracle")
pytest.importorskip("jpeg_ls", reason="pyjpegls is the backend")

JPEG_LS = ("1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81")
CASES = [case for uid in JPEG_LS for case in reference_cases(uid)]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_every_jpeg_ls_file_decodes_like_pydicoms_pyjpegls_plugin(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            expected = pydicom.pixels.pixel_array(case.path, decoding_plugin="pyjpegls")
        except Exception as exc:  # pydicom cannot decode it either: we must raise a typed error
            with pytest.raises(dp.errors.DicomPixelsError):
                dp.pixel_array(case.path, decoding_plugin="pyjpegls")
            pytest.skip(f"pydicom's pyjpegls plugin fails too: {exc}")
        ours = dp.pixel_array(case.path, decoding_plugin="pyjpegls")
    assert ours.dtype == expected.dtype
    np.testing.assert_array_equal(ours, expected)


def test_the_set_of_files_is_not_empty():
    assert len(CASES) >= 5


@pytest.mark.parametrize("near", [0, 2])
@pytest.mark.parametrize("shape", [(40, 30), (40, 30, 3)])
def test_what_the_plugin_writes_pydicom_reads_within_near(near, shape):
    arr = synthetic_image("u1", 8, shape)
    pi = "RGB" if len(shape) == 3 else "MONOCHROME2"
    ds = pydicom.Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    dp.set_pixel_data(ds, arr, pi, 8)
    uid = "1.2.840.10008.1.2.4.81" if near else "1.2.840.10008.1.2.4.80"
    dp.compress(ds, uid, arr, encoding_plugin="pyjpegls", jls_error=near)
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = pydicom.pixels.pixel_array(io.BytesIO(buffer.getvalue()), decoding_plugin="pyjpegls")
    assert int(np.abs(theirs.astype(int) - arr).max()) <= near
