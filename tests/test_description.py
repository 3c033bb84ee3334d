"""The dtype, length and shape rules live once, in ImageDescription."""

from __future__ import annotations

import numpy as np
import pytest

from dicom_pixels.description import ImageDescription
from dicom_pixels.errors import InvalidPixelDescriptionError

EXPLICIT = "1.2.840.10008.1.2.1"


@pytest.mark.parametrize(
    ("bits", "signed", "keyword", "dtype"),
    [(1, 0, "PixelData", "u1"), (8, 0, "PixelData", "u1"), (8, 1, "PixelData", "i1"),
     (16, 0, "PixelData", "u2"), (16, 1, "PixelData", "i2"), (32, 1, "PixelData", "i4"),
     (64, 0, "PixelData", "u8"), (32, 0, "FloatPixelData", "f4"), (64, 0, "DoubleFloatPixelData", "f8")],
)
def test_dtype_follows_bits_allocated_pixel_representation_and_keyword(bits, signed, keyword, dtype):
    d = ImageDescription(2, 2, 1, bits, bits, signed, "MONOCHROME2", EXPLICIT, pixel_keyword=keyword)
    assert d.dtype == np.dtype(dtype)


def test_one_bit_frames_need_not_end_on_a_byte():
    d = ImageDescription(3, 3, 1, 1, 1, 0, "MONOCHROME2", EXPLICIT, number_of_frames=3)
    assert d.frame_bits == 9 and d.frame_length == 2 and d.expected_length == 4


def test_native_ybr_full_422_frames_are_two_thirds_of_rgb():
    d = ImageDescription(2, 4, 3, 8, 8, 0, "YBR_FULL_422", EXPLICIT)
    assert d.frame_length == 2 * 4 * 3 * 2 // 3


def test_shapes_are_pydicom_shapes():
    d = ImageDescription(2, 3, 3, 8, 8, 0, "RGB", EXPLICIT, number_of_frames=5)
    assert d.array_shape() == (5, 2, 3, 3)
    assert d.array_shape(1) == (2, 3, 3)


def test_from_mapping_accepts_keywords_and_options_and_defaults_missing_values():
    d = ImageDescription.from_mapping(
        {"Rows": 4, "columns": 5, "SamplesPerPixel": 1, "BitsAllocated": 16,
         "PixelRepresentation": 1, "PhotometricInterpretation": "MONOCHROME2", "NumberOfFrames": "0"},
        transfer_syntax_uid=EXPLICIT,
    )
    assert (d.rows, d.columns, d.bits_stored, d.number_of_frames, d.planar_configuration) == (4, 5, 16, 1, 0)


def test_from_mapping_lists_every_missing_element():
    with pytest.raises(InvalidPixelDescriptionError, match=r"\(0028,0010\) Rows, \(0028,0011\) Columns"):
        ImageDescription.from_mapping({"SamplesPerPixel": 1}, transfer_syntax_uid=EXPLICIT)


@pytest.mark.parametrize(
    ("change", "message"),
    [({"rows": 0}, "Rows"), ({"columns": 70000}, "Columns"), ({"samples_per_pixel": 2}, "Samples per Pixel"),
     ({"bits_allocated": 12}, "Bits Allocated"), ({"bits_stored": 17}, "Bits Stored"),
     ({"pixel_representation": 2}, "Pixel Representation"),
     ({"photometric_interpretation": "FOO"}, "Photometric Interpretation"),
     ({"samples_per_pixel": 3, "planar_configuration": 2}, "Planar Configuration")],
)
def test_validation_names_the_element_and_the_valid_range(change, message):
    d = ImageDescription(2, 2, 1, 16, 12, 0, "MONOCHROME2", EXPLICIT).replace(**change)
    with pytest.raises(InvalidPixelDescriptionError, match=message):
        d.validate(where="x.dcm")
