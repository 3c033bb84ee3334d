"""decode_native against pydicom, frame by frame, plus the cases the bundled files miss."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dicom_pixels import DecodeFrame, ImageDescription
from dicom_pixels.errors import DecodeError
from dicom_pixels_native.native import decode_native

EXPLICIT_LE = "1.2.840.10008.1.2.1"
EXPLICIT_BE = "1.2.840.10008.1.2.2"
ENCAPSULATED_UNCOMPRESSED = "1.2.840.10008.1.2.1.98"


def native_frames(ds, image):
    """Yield (bytes, bit offset) of each frame as the core's native source would read it."""
    keyword = image.pixel_keyword
    data = bytes(ds[keyword].value)
    if (
        image.bits_allocated == 8
        and not image.transfer_syntax.little_endian
        and image.pixel_vr == "OW"
    ):
        # PS3.5 A.2: 8-bit OW data in Explicit VR Big Endian is word-swapped; the core undoes it.
        swapped = bytearray(data + b"\0" * (len(data) % 2))
        swapped[0::2], swapped[1::2] = swapped[1::2], swapped[0::2]
        data = bytes(swapped)
    for index in range(image.number_of_frames):
        start_bit = index * image.frame_bits
        end = -(-(start_bit + image.frame_bits) // 8)
        yield data[start_bit // 8 : end], start_bit % 8


def test_every_bundled_native_file_decodes_like_pydicom(
    native_dataset, describe_dataset, reference
):
    image = describe_dataset(native_dataset)
    expected = reference(native_dataset)
    for index, (data, bit_offset) in enumerate(native_frames(native_dataset, image)):
        out = np.empty(image.frame_shape, image.dtype)
        frame = DecodeFrame(image=image, index=index, options={}, out=out, bit_offset=bit_offset)
        assert decode_native(data, frame) is None
        # The plugin writes into whatever output it is given; the core chooses a big-endian
        # output for big endian data, as pydicom returns it (decoder._output_dtype).
        assert out.dtype == expected.dtype.newbyteorder("=")
        np.testing.assert_array_equal(out, expected[index])


def test_every_bundled_native_file_decodes_without_an_output_array(
    native_dataset, describe_dataset, reference
):
    image = describe_dataset(native_dataset)
    expected = reference(native_dataset)
    for index, (data, bit_offset) in enumerate(native_frames(native_dataset, image)):
        frame = DecodeFrame(image=image, index=index, options={}, out=None, bit_offset=bit_offset)
        arr = decode_native(data, frame)
        assert arr.dtype == expected.dtype.newbyteorder("=") and arr.dtype.isnative
        np.testing.assert_array_equal(arr, expected[index])


def test_ybr_full_422_is_expanded_and_reported_as_ybr_full_like_pydicom():
    image = ImageDescription(1, 4, 3, 8, 8, 0, "YBR_FULL_422", EXPLICIT_LE)
    data = bytes([10, 11, 100, 200, 12, 13, 101, 201])  # Y1 Y2 Cb Cr, Y3 Y4 Cb Cr
    frame = DecodeFrame(image=image, index=0, options={}, out=np.empty((1, 4, 3), "u1"))
    decode_native(data, frame)
    assert frame.out.tolist() == [[[10, 100, 200], [11, 100, 200], [12, 101, 201], [13, 101, 201]]]
    assert frame.info["photometric_interpretation"] == "YBR_FULL"


def test_planar_configuration_one_is_written_as_planar_configuration_zero():
    image = ImageDescription(2, 2, 3, 16, 16, 0, "RGB", EXPLICIT_BE, planar_configuration=1)
    planes = np.arange(12, dtype=">u2")
    out = np.empty((2, 2, 3), "u2")
    decode_native(planes.tobytes(), DecodeFrame(image=image, index=0, options={}, out=out))
    np.testing.assert_array_equal(out, planes.reshape(3, 2, 2).transpose(1, 2, 0))


@pytest.mark.parametrize(
    "keyword, dtype", [("FloatPixelData", "f4"), ("DoubleFloatPixelData", "f8")]
)
@pytest.mark.parametrize("syntax, order", [(EXPLICIT_LE, "<"), (EXPLICIT_BE, ">")])
def test_float_and_double_float_pixel_data_decode_in_either_byte_order(
    keyword, dtype, syntax, order
):
    image = ImageDescription(
        2,
        3,
        1,
        8 * int(dtype[1]),
        8 * int(dtype[1]),
        0,
        "MONOCHROME2",
        syntax,
        pixel_keyword=keyword,
    )
    values = np.array([[0.5, -1.25, np.inf], [1e-30, 3.0, -0.0]], dtype=order + dtype)
    out = np.empty(image.frame_shape, image.dtype)
    decode_native(values.tobytes(), DecodeFrame(image=image, index=0, options={}, out=out))
    np.testing.assert_array_equal(out, values)


def test_one_bit_frames_that_do_not_start_on_a_byte_are_unpacked_from_their_bit_offset():
    image = ImageDescription(3, 3, 1, 1, 1, 0, "MONOCHROME2", EXPLICIT_LE, number_of_frames=3)
    frames = np.random.default_rng(1).integers(0, 2, (3, 3, 3), dtype="u1")
    packed = np.packbits(frames.reshape(-1), bitorder="little").tobytes()
    for index in range(3):
        start = index * 9
        data = packed[start // 8 : -(-(start + 9) // 8)]
        out = np.empty((3, 3), "u1")
        decode_native(
            data, DecodeFrame(image=image, index=index, options={}, out=out, bit_offset=start % 8)
        )
        np.testing.assert_array_equal(out, frames[index])


def test_encapsulated_uncompressed_frames_are_native_little_endian_frames():
    image = ImageDescription(2, 2, 1, 16, 16, 1, "MONOCHROME2", ENCAPSULATED_UNCOMPRESSED)
    values = np.array([[-1, 2], [300, -32768]], "<i2")
    fragment = values.tobytes() + b""  # one frame per fragment (PS3.5 A.4.11)
    arr = decode_native(fragment, DecodeFrame(image=image, index=0, options={}))
    np.testing.assert_array_equal(arr, values)


def test_a_frame_shorter_than_its_description_is_a_decode_error_naming_the_frame():
    image = ImageDescription(4, 4, 1, 16, 16, 0, "MONOCHROME2", EXPLICIT_LE, number_of_frames=3)
    with pytest.raises(DecodeError, match="Frame 2 holds 30 bytes"):
        decode_native(
            bytes(30), DecodeFrame(image=image, index=2, options={}, out=np.empty((4, 4), "u2"))
        )


@settings(max_examples=30, deadline=None)
@given(
    rows=st.integers(1, 6),
    columns=st.integers(1, 6),
    samples=st.sampled_from([1, 3]),
    planar=st.sampled_from([0, 1]),
    dtype=st.sampled_from(["u1", "i1", "u2", "i2", "u4", "i4", "u8", "i8"]),
    syntax=st.sampled_from([EXPLICIT_LE, EXPLICIT_BE, ENCAPSULATED_UNCOMPRESSED]),
    seed=st.integers(0, 2**32 - 1),
)
def test_random_native_frames_round_trip_through_their_byte_encoding(
    rows, columns, samples, planar, dtype, syntax, seed
):
    bits = 8 * int(dtype[1])
    signed = int(dtype[0] == "i")
    image = ImageDescription(
        rows,
        columns,
        samples,
        bits,
        bits,
        signed,
        "RGB" if samples == 3 else "MONOCHROME2",
        syntax,
        planar_configuration=planar,
    )
    info = np.iinfo(dtype)
    arr = np.random.default_rng(seed).integers(
        info.min, info.max, image.frame_shape, dtype=dtype, endpoint=True
    )
    order = ">" if syntax == EXPLICIT_BE else "<"
    stored = arr.transpose(2, 0, 1) if samples == 3 and planar == 1 else arr
    data = np.ascontiguousarray(stored, dtype=np.dtype(dtype).newbyteorder(order)).tobytes()
    out = np.empty(image.frame_shape, image.dtype)
    decode_native(data, DecodeFrame(image=image, index=0, options={}, out=out))
    np.testing.assert_array_equal(out, arr)
