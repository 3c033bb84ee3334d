"""The pillow plugin gives exactly what pydicom's Pillow plugin gives, file by file.

Both libraries drive the same Pillow, so every pixel, dtype and shape must be
identical, with and without colour conversion, for whole volumes and single
frames. Where pydicom's Pillow plugin raises, ours raises a DicomPixelsError.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dicom_pixels as dp
from dicom_pixels.errors import DicomPixelsError

pytest.importorskip("PIL", reason="Pillow is the backend of the pillow plugin")
pytest.importorskip("pydicom", reason="pydicom is the reference decoder of these tests")

OPTION_SETS: list[dict[str, Any]] = [{}, {"as_rgb": False}, {"raw": True}]


def _pydicom(path: str, **kwargs: Any) -> tuple[np.ndarray, dict[str, Any]] | Exception:
    from pydicom import dcmread
    from pydicom.pixels import get_decoder

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = dcmread(path)
        try:
            return get_decoder(ds.file_meta.TransferSyntaxUID).as_array(
                ds, decoding_plugin="pillow", **kwargs
            )
        except Exception as exc:
            return exc


def _ours(path: str, **kwargs: Any) -> tuple[np.ndarray, dict[str, Any]]:
    from pydicom import dcmread

    uid = dcmread(path, stop_before_pixels=True).file_meta.TransferSyntaxUID
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dp.get_decoder(str(uid)).as_array(path, decoding_plugin="pillow", **kwargs)


def _option_sets(frames: int) -> list[dict[str, Any]]:
    sets = list(OPTION_SETS)
    if frames > 1:
        sets += [{"index": 0}, {"index": frames - 1}, {"index": frames - 1, "raw": True}]
    return sets


def test_pillow_plugin_matches_pydicom_pillow_exactly(
    pillow_file: tuple[str, str, int], can_split_frames: Callable[[str], bool]
) -> None:
    name, path, frames = pillow_file
    if not can_split_frames(path):
        pytest.skip(f"pydicom cannot split the fragments of {name} into frames: no oracle")
    for options in _option_sets(frames):
        expected = _pydicom(path, **options)
        if isinstance(expected, Exception):
            with pytest.raises(DicomPixelsError):
                _ours(path, **options)
            continue
        ref, ref_meta = expected
        arr, meta = _ours(path, **options)
        assert arr.dtype == ref.dtype, options
        assert arr.shape == ref.shape, options
        assert np.array_equal(arr, ref), options
        assert meta["photometric_interpretation"] == ref_meta["photometric_interpretation"], options


def test_pixel_array_uses_the_pillow_plugin_by_name() -> None:
    from pydicom.data import get_testdata_file
    from pydicom.pixels import pixel_array

    path = get_testdata_file("SC_rgb_jpeg_dcmtk.dcm")
    ours = dp.pixel_array(path, decoding_plugin="pillow")
    assert np.array_equal(ours, pixel_array(path, decoding_plugin="pillow"))


@pytest.mark.parametrize("name", ["JPGExtended.dcm", "JPEG-lossy.dcm"])
def test_12_bit_jpeg_extended_is_declined_up_front(name: str) -> None:
    from pydicom.data import get_testdata_file

    with pytest.raises(DicomPixelsError, match="Bits Stored 12"):
        dp.pixel_array(get_testdata_file(name), decoding_plugin="pillow")


def test_multi_sample_j2k_above_8_bits_is_rejected_with_a_reason() -> None:
    from PIL import Image

    # Pillow narrows >8-bit colour to 8 bits; pydicom refuses it, and so do we.
    rgb = (np.arange(16 * 16 * 3, dtype="u2").reshape(16, 16, 3) * 40) & 0x0FFF
    imagecodecs = pytest.importorskip("imagecodecs", reason="encodes the 12-bit colour test frame")
    data = imagecodecs.jpeg2k_encode(rgb, level=0, codecformat="J2K", bitspersample=12, mct=False)
    del Image
    with pytest.raises(DicomPixelsError, match="12-bit multi-sample"):
        dp.pixel_array(
            [bytes(data)],
            decoding_plugin="pillow",
            rows=16,
            columns=16,
            samples_per_pixel=3,
            bits_allocated=16,
            bits_stored=12,
            pixel_representation=0,
            photometric_interpretation="RGB",
            transfer_syntax_uid="1.2.840.10008.1.2.4.90",
        )
