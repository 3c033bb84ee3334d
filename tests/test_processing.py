"""Colour conversion matches pydicom and works frame by frame in place."""

from __future__ import annotations

import numpy as np
import pytest

from dicom_pixels.processing import convert_color_space

pydicom_processing = pytest.importorskip("pydicom.pixels.processing")


@pytest.mark.parametrize(("current", "desired"), [("YBR_FULL", "RGB"), ("YBR_FULL_422", "RGB"), ("RGB", "YBR_FULL")])
def test_8bit_conversion_is_identical_to_pydicom(current, desired):
    rng = np.random.default_rng(0)
    arr = rng.integers(0, 256, size=(3, 17, 19, 3), dtype=np.uint8)
    ref = pydicom_processing.convert_color_space(arr.copy(), current, desired, per_frame=True)
    ours = convert_color_space(arr.copy(), current, desired)
    assert np.array_equal(ours, ref)


def test_conversion_is_in_place_for_writeable_arrays():
    arr = np.full((2, 2, 3), 128, np.uint8)
    assert convert_color_space(arr, "YBR_FULL", "RGB") is arr


def test_16bit_round_trip_stays_within_one_level():
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 65536, size=(8, 8, 3), dtype=np.uint16)
    back = convert_color_space(convert_color_space(rgb.copy(), "RGB", "YBR_FULL"), "YBR_FULL", "RGB")
    assert np.abs(back.astype(int) - rgb).max() <= 2


def test_unsupported_spaces_and_dtypes_raise_typed_errors():
    from dicom_pixels.errors import InvalidPixelDescriptionError

    with pytest.raises(InvalidPixelDescriptionError):
        convert_color_space(np.zeros((1, 1, 3), np.uint8), "HSV", "RGB")
    with pytest.raises(InvalidPixelDescriptionError):
        convert_color_space(np.zeros((1, 1, 3), np.float32), "YBR_FULL", "RGB")
