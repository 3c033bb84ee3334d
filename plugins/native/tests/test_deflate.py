"""Deflated Image Frame Compression: raw deflate frames, bounded inflation, native interpretation."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dicom_pixels import DecodeFrame, EncodeFrame, ImageDescription
from dicom_pixels.errors import DecodeError, EncodingProfileError
from dicom_pixels_native.deflate import decode_deflate, encode_deflate, inflate_frame

DEFLATED_FRAMES = "1.2.840.10008.1.2.8.1"


def raw_deflate(data: bytes, wbits: int = -15) -> bytes:
    deflater = zlib.compressobj(6, zlib.DEFLATED, wbits)
    return deflater.compress(data) + deflater.flush()


def test_every_bundled_native_file_survives_a_deflate_round_trip(
    native_dataset, describe_dataset, reference
):
    image = describe_dataset(native_dataset)
    if image.is_float:
        pytest.skip("PS3.5 8.2.16: Deflated Image Frame Compression is for Pixel Data only")
    if image.photometric_interpretation == "YBR_FULL_422":
        image = image.replace(photometric_interpretation="YBR_FULL")
    # The encoder writes the planar configuration 0 arrays it is given.
    image = image.replace(transfer_syntax_uid=DEFLATED_FRAMES, planar_configuration=0)
    for index, arr in enumerate(reference(native_dataset)[:3]):
        data = encode_deflate(arr, EncodeFrame(image=image, index=index, options={}))
        assert len(data) % 2 == 0
        out = np.empty(image.frame_shape, image.dtype)
        assert (
            decode_deflate(data, DecodeFrame(image=image, index=index, options={}, out=out)) is None
        )
        np.testing.assert_array_equal(out, arr)


def test_frames_are_raw_rfc_1951_streams_without_a_zlib_header():
    image = ImageDescription(2, 2, 1, 8, 8, 0, "MONOCHROME2", DEFLATED_FRAMES)
    data = encode_deflate(
        np.arange(4, dtype="u1").reshape(2, 2), EncodeFrame(image=image, index=0, options={})
    )
    inflater = zlib.decompressobj(-15)
    assert inflater.decompress(data) == bytes([0, 1, 2, 3])
    assert inflater.eof and inflater.unused_data in (b"", b"\0")


def test_one_bit_segmentation_frames_are_bit_packed_from_the_least_significant_bit():
    image = ImageDescription(3, 5, 1, 1, 1, 0, "MONOCHROME2", DEFLATED_FRAMES, number_of_frames=2)
    mask = np.random.default_rng(2).integers(0, 2, (3, 5), dtype="u1")
    data = encode_deflate(mask, EncodeFrame(image=image, index=1, options={}))
    assert inflate_frame(data, 2) == np.packbits(mask.reshape(-1), bitorder="little").tobytes()
    np.testing.assert_array_equal(
        decode_deflate(data, DecodeFrame(image=image, index=1, options={})), mask
    )


def test_a_zlib_wrapped_frame_from_a_non_conformant_writer_is_still_decoded():
    image = ImageDescription(1, 4, 1, 16, 16, 1, "MONOCHROME2", DEFLATED_FRAMES)
    values = np.array([[-2, -1, 0, 1000]], "<i2")
    data = zlib.compress(values.tobytes())
    np.testing.assert_array_equal(
        decode_deflate(data, DecodeFrame(image=image, index=0, options={})), values
    )


def test_a_deflate_bomb_is_stopped_at_the_expected_frame_length_and_names_the_frame():
    image = ImageDescription(16, 16, 1, 8, 8, 0, "MONOCHROME2", DEFLATED_FRAMES, number_of_frames=9)
    bomb = raw_deflate(bytes(50_000_000))  # ~49 kB that inflates to 50 MB
    with pytest.raises(
        DecodeError, match="Frame 8: the deflated frame inflates to more than the 256 bytes"
    ):
        decode_deflate(bomb, DecodeFrame(image=image, index=8, options={}))


def test_a_frame_inflating_to_too_few_bytes_is_a_decode_error():
    image = ImageDescription(4, 4, 1, 8, 8, 0, "MONOCHROME2", DEFLATED_FRAMES)
    with pytest.raises(
        DecodeError, match="Frame 0: the deflated frame inflates to 3 bytes, less than the 16"
    ):
        decode_deflate(raw_deflate(b"abc"), DecodeFrame(image=image, index=0, options={}))


def test_a_truncated_or_corrupt_stream_is_a_decode_error():
    image = ImageDescription(64, 64, 1, 8, 8, 0, "MONOCHROME2", DEFLATED_FRAMES)
    noise = np.random.default_rng(0).integers(0, 256, 4096, dtype="u1").tobytes()
    data = raw_deflate(noise)
    with pytest.raises(
        DecodeError, match="Frame 4: the deflate stream ends before its final block"
    ):
        decode_deflate(data[: len(data) // 2], DecodeFrame(image=image, index=4, options={}))
    with pytest.raises(DecodeError, match=r"Frame 4: .* not a valid deflate stream"):
        decode_deflate(b"\xff" * 64, DecodeFrame(image=image, index=4, options={}))


def test_float_pixel_data_cannot_be_encoded_because_ps3_5_excludes_it():
    image = ImageDescription(
        1, 1, 1, 32, 32, 0, "MONOCHROME2", DEFLATED_FRAMES, pixel_keyword="FloatPixelData"
    )
    with pytest.raises(EncodingProfileError, match="only to \\(7FE0,0010\\) Pixel Data"):
        encode_deflate(np.zeros((1, 1), "f4"), EncodeFrame(image=image, index=0, options={}))


@settings(max_examples=30, deadline=None)
@given(
    rows=st.integers(1, 20),
    columns=st.integers(1, 20),
    samples=st.sampled_from([1, 3]),
    dtype=st.sampled_from(["bit", "u1", "i1", "u2", "i2", "u4", "i4", "u8", "i8"]),
    level=st.integers(0, 9),
    seed=st.integers(0, 2**32 - 1),
)
def test_random_frames_round_trip_through_deflate(rows, columns, samples, dtype, level, seed):
    rng = np.random.default_rng(seed)
    if dtype == "bit":
        image = ImageDescription(rows, columns, 1, 1, 1, 0, "MONOCHROME2", DEFLATED_FRAMES)
        arr = rng.integers(0, 2, image.frame_shape, dtype="u1")
    else:
        bits = 8 * int(dtype[1])
        photometric = "RGB" if samples == 3 else "MONOCHROME2"
        image = ImageDescription(
            rows, columns, samples, bits, bits, int(dtype[0] == "i"), photometric, DEFLATED_FRAMES
        )
        info = np.iinfo(dtype)
        arr = rng.integers(info.min, info.max, image.frame_shape, dtype=dtype, endpoint=True)
    data = encode_deflate(arr, EncodeFrame(image=image, index=0, options={"deflate_level": level}))
    out = np.empty(image.frame_shape, image.dtype)
    decode_deflate(data, DecodeFrame(image=image, index=0, options={}, out=out))
    np.testing.assert_array_equal(out, arr)
