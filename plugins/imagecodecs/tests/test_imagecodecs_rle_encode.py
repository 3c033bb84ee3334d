"""RLE Lossless written with imagecodecs' PackBits: pydicom 3 decodes the pixels back exactly."""

from __future__ import annotations

import struct

import numpy as np
import pytest

import dicom_pixels as dp

pytest.importorskip("pydicom")

_RNG = np.random.default_rng(17)


@pytest.mark.parametrize(
    "arr",
    [
        _RNG.integers(0, 3, (3, 37, 51)).astype("u1"),  # short runs and literals, odd widths
        _RNG.integers(-5, 5, (3, 20, 33)).astype("i2"),  # signed: two's complement bytes
        _RNG.integers(0, 2, (2, 9, 7, 3)).astype("u1"),  # RGB: one segment per sample
        _RNG.integers(0, 2**31, (2, 9, 7)).astype("u4"),  # 4 segments
        np.zeros((1, 300, 300), "u2"),  # rows longer than a 128-byte run
    ],
    ids=["u1", "i2", "rgb", "u4", "zeros"],
)
def test_pydicom_decodes_the_pixels_back_with_each_of_its_rle_decoders(arr):
    from pydicom.encaps import encapsulate
    from pydicom.pixels import get_decoder

    frames = list(dp.get_encoder("RLELossless").iter_encode(arr, encoding_plugin="imagecodecs"))
    samples = 3 if arr.ndim == 4 else 1
    decoder = get_decoder("1.2.840.10008.1.2.5")
    for plugin in decoder.available_plugins:
        decoded, _ = decoder.as_array(
            encapsulate(frames), rows=arr.shape[1], columns=arr.shape[2], samples_per_pixel=samples,
            bits_allocated=8 * arr.itemsize, bits_stored=8 * arr.itemsize,
            pixel_representation=int(arr.dtype.kind == "i"), number_of_frames=len(frames),
            photometric_interpretation="RGB" if samples == 3 else "MONOCHROME2", planar_configuration=0,
            decoding_plugin=plugin,
        )
        np.testing.assert_array_equal(decoded.reshape(arr.shape), arr, err_msg=plugin)


def test_segments_follow_ps3_5_g_most_significant_byte_first_even_lengths_rows_apart():
    frame = np.array([[0x0102] * 5, [0x0304] * 5], "<u2")
    data = next(dp.get_encoder("RLELossless").iter_encode(frame, encoding_plugin="imagecodecs"))
    count, first, second = struct.unpack_from("<3L", data)
    assert (count, first) == (2, 64)
    high, low = data[first:second], data[second:]
    # One replicate run per row (G.3.1: runs never cross a row), padded to an even length.
    assert high == bytes([0xFC, 0x01, 0xFC, 0x03])
    assert low == bytes([0xFC, 0x02, 0xFC, 0x04])


def test_it_is_tried_first_for_rle_encoding():
    assert dp.get_encoder("RLELossless").available_plugins[0] == "imagecodecs"


def test_64_bit_colour_needs_more_than_15_segments_and_is_declined():
    from dicom_pixels_imagecodecs.encode import encode_rle

    from dicom_pixels.errors import EncodeError

    image = dp.ImageDescription(2, 2, 3, 64, 64, 0, "RGB", "1.2.840.10008.1.2.5")
    with pytest.raises(EncodeError, match=r"at most 15 segments \(PS3.5 G.5\)"):
        encode_rle(np.zeros((2, 2, 3), "u8"), dp.EncodeFrame(image=image, index=0, options={}))
