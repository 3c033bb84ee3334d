"""RLE Lossless: decode against pydicom's decoder, encode byte for byte like pydicom's encoder."""

from __future__ import annotations

import struct
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dicom_pixels import DecodeFrame, EncodeFrame, ImageDescription
from dicom_pixels.errors import DecodeError, EncodeError
from dicom_pixels_native.rle import decode_rle, decode_segment, encode_rle, encode_segment

RLE = "1.2.840.10008.1.2.5"


def rle_image(rows, columns, samples=1, bits=8, signed=0, frames=1):
    photometric = "RGB" if samples == 3 else "MONOCHROME2"
    return ImageDescription(
        rows, columns, samples, bits, bits, signed, photometric, RLE, number_of_frames=frames
    )


class _FrameRunner:
    """The few attributes pydicom's RLE frame encoder reads from its runner."""

    def __init__(self, image):
        self.bits_allocated = image.bits_allocated
        self.samples_per_pixel = image.samples_per_pixel
        self.columns = image.columns

    def get_option(self, name, default=None):
        return default


def pydicom_rle_encode(arr, image):
    """The frame as pydicom's own (pure Python) RLE encoder writes it.

    pydicom's public encoder validates the RLE profile more strictly than PS3.5
    Annex G (it refuses, e.g., 32-bit RGB); for those images its frame encoder is
    called directly with the frame's little-endian bytes, as the public one does.
    """
    from pydicom.pixels import get_encoder
    from pydicom.pixels.encoders.native import _encode_frame
    from pydicom.uid import RLELossless

    try:
        return _public_rle_encode(get_encoder(RLELossless), arr, image)
    except ValueError:
        little = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<"))
        return _encode_frame(little.tobytes(), _FrameRunner(image))


def _public_rle_encode(encoder, arr, image):
    return encoder.encode(
        arr,
        encoding_plugin="pydicom",
        rows=image.rows,
        columns=image.columns,
        samples_per_pixel=image.samples_per_pixel,
        bits_allocated=image.bits_allocated,
        bits_stored=image.bits_stored,
        pixel_representation=image.pixel_representation,
        photometric_interpretation=image.photometric_interpretation,
        planar_configuration=0,
        number_of_frames=1,
    )


def with_segment_order(data: bytes, segments_per_sample: int) -> bytes:
    """Rewrite an RLE frame with each sample's segments in little-endian order."""
    count, *offsets = struct.unpack_from("<16L", data)
    bounds = [*offsets[:count], len(data)]
    segments = [data[bounds[i] : bounds[i + 1]] for i in range(count)]
    reordered = []
    for sample in range(0, count, segments_per_sample):
        reordered.extend(reversed(segments[sample : sample + segments_per_sample]))
    starts = np.cumsum([64, *(len(s) for s in reordered[:-1])]).tolist()
    header = struct.pack(f"<{count + 1}L", count, *starts).ljust(64, b"\0")
    return header + b"".join(reordered)


# -- decoding ---------------------------------------------------------------------------------


def test_every_bundled_rle_file_decodes_like_pydicom(rle_dataset, describe_dataset, reference):
    from pydicom.encaps import generate_frames

    image = describe_dataset(rle_dataset)
    expected = reference(rle_dataset)
    frames = generate_frames(rle_dataset.PixelData, number_of_frames=image.number_of_frames)
    for index, data in enumerate(frames):
        out = np.empty(image.frame_shape, image.dtype)
        assert decode_rle(data, DecodeFrame(image=image, index=index, options={}, out=out)) is None
        assert out.dtype == expected.dtype
        np.testing.assert_array_equal(out, expected[index])


def test_a_frame_decodes_into_a_returned_array_when_there_is_no_output():
    image = rle_image(3, 4, samples=3, bits=16)
    arr = np.arange(36, dtype="u2").reshape(3, 4, 3) * 1000
    data = encode_rle(arr, EncodeFrame(image=image, index=0, options={}))
    result = decode_rle(data, DecodeFrame(image=image, index=0, options={}))
    np.testing.assert_array_equal(result, arr)


def test_little_endian_segment_order_is_decoded_with_the_rle_segment_order_option():
    image = rle_image(4, 5, samples=3, bits=32)
    arr = np.random.default_rng(3).integers(0, 2**32, (4, 5, 3), dtype="u4")
    data = with_segment_order(encode_rle(arr, EncodeFrame(image=image, index=0, options={})), 4)
    out = np.empty(image.frame_shape, image.dtype)
    decode_rle(data, DecodeFrame(image=image, index=0, options={"rle_segment_order": "<"}, out=out))
    np.testing.assert_array_equal(out, arr)


def test_a_segment_with_extra_decoded_bytes_is_truncated_with_a_warning_like_pydicom():
    image = rle_image(1, 4)
    header = struct.pack("<2L", 1, 64).ljust(64, b"\0")
    data = header + bytes([0xF9, 5])  # a replicate run of 8 bytes for a 4-pixel frame
    with pytest.warns(UserWarning, match="Frame 0: RLE segment 0 decodes to 8 bytes"):
        result = decode_rle(data, DecodeFrame(image=image, index=0, options={}))
    assert result.tolist() == [[5, 5, 5, 5]]


def test_packbits_no_op_headers_and_runs_cut_by_the_segment_end_are_tolerated():
    assert decode_segment(bytes([0x80, 0x01, 7, 8, 0x80, 0x05, 9])).tolist() == [7, 8, 9]
    assert decode_segment(bytes([0xFE])).tolist() == []


def test_hostile_replicate_runs_are_not_materialised_past_the_expected_length():
    hostile = bytes([0x81, 1]) * 50_000  # 6.4 MB if fully expanded
    assert decode_segment(hostile, length=1000).size <= 1000 + 128


# -- error paths ----------------------------------------------------------------------------


def test_a_header_declaring_more_than_fifteen_segments_is_a_decode_error_naming_the_frame():
    image = rle_image(2, 2)
    data = struct.pack("<L", 16).ljust(64, b"\0") + bytes(8)
    with pytest.raises(DecodeError, match="Frame 3: the RLE header declares 16 segments"):
        decode_rle(data, DecodeFrame(image=image, index=3, options={}))


def test_a_header_with_the_wrong_number_of_segments_for_the_image_is_a_decode_error():
    image = rle_image(2, 2, bits=16)  # needs two segments
    data = struct.pack("<2L", 1, 64).ljust(64, b"\0") + bytes([0xFD, 0])
    with pytest.raises(
        DecodeError, match=r"Frame 0: the RLE header declares 1 segments but .* need 2"
    ):
        decode_rle(data, DecodeFrame(image=image, index=0, options={}))


def test_a_segment_offset_outside_the_data_is_a_decode_error():
    image = rle_image(2, 2, bits=16)
    data = struct.pack("<3L", 2, 64, 9999).ljust(64, b"\0") + bytes([0xFD, 0])
    with pytest.raises(DecodeError, match="Frame 5: RLE segment 1 has offset 9999"):
        decode_rle(data, DecodeFrame(image=image, index=5, options={}))


def test_data_shorter_than_the_header_is_a_decode_error():
    with pytest.raises(DecodeError, match="Frame 1: the RLE data is 10 bytes long"):
        decode_rle(bytes(10), DecodeFrame(image=rle_image(2, 2), index=1, options={}))


def test_a_truncated_segment_is_a_decode_error_naming_the_frame_and_segment():
    image = rle_image(8, 8, bits=16)
    arr = np.random.default_rng(0).integers(0, 2**16, (8, 8), dtype="u2")
    data = encode_rle(arr, EncodeFrame(image=image, index=0, options={}))
    with pytest.raises(DecodeError, match=r"Frame 7: RLE segment 1 decodes to .* less than the 64"):
        decode_rle(data[:-40], DecodeFrame(image=image, index=7, options={}))


def test_more_than_fifteen_segments_cannot_be_encoded():
    image = rle_image(2, 2, samples=3, bits=64)
    with pytest.raises(EncodeError, match="needs 24 segments"):
        encode_rle(np.zeros((2, 2, 3), "u8"), EncodeFrame(image=image, index=0, options={}))


# -- encoding ---------------------------------------------------------------------------------


def test_decoded_bundled_rle_frames_reencode_exactly_as_pydicom_encodes_them(
    rle_dataset, describe_dataset, reference
):
    image = describe_dataset(rle_dataset)
    for index, arr in enumerate(reference(rle_dataset)[:2]):
        ours = encode_rle(arr, EncodeFrame(image=image, index=index, options={}))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = pydicom_rle_encode(arr, image)
        assert ours == theirs


def test_every_bundled_native_file_encodes_exactly_as_pydicom_encodes_it(
    native_dataset, describe_dataset, reference
):
    image = describe_dataset(native_dataset)
    if image.bits_allocated == 1 or image.is_float or image.pixels_per_frame > 300_000:
        pytest.skip("not RLE-encodable, or too large for pydicom's pure Python encoder here")
    if image.photometric_interpretation == "YBR_FULL_422":
        image = image.replace(photometric_interpretation="YBR_FULL")
    arr = reference(native_dataset)[0]
    ours = encode_rle(arr, EncodeFrame(image=image, index=0, options={}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = pydicom_rle_encode(arr, image)
    assert ours == theirs
    np.testing.assert_array_equal(
        decode_rle(ours, DecodeFrame(image=image, index=0, options={})), arr
    )


def test_segments_follow_pydicom_in_always_writing_two_byte_repeats_as_replicate_runs():
    plane = np.array([[1, 2, 2, 3] + [4] * 130], "u1")
    # literal [1], replicate 2x2, literal [3], replicate 128x4, leftover 2x4 as replicate
    assert encode_segment(plane) == bytes([0, 1, 0xFF, 2, 0, 3, 0x81, 4, 0xFF, 4])


@settings(max_examples=40, deadline=None)
@given(
    rows=st.integers(1, 9),
    columns=st.integers(1, 300),
    samples=st.sampled_from([1, 3]),
    dtype=st.sampled_from(["u1", "i1", "u2", "i2", "u4", "i4", "u8", "i8"]),
    levels=st.sampled_from([2, 4, 256]),
    seed=st.integers(0, 2**32 - 1),
)
def test_random_frames_round_trip_and_match_pydicoms_encoder(
    rows, columns, samples, dtype, levels, seed
):
    bits = 8 * int(dtype[1])
    if samples * bits // 8 > 15:
        samples = 1
    image = rle_image(rows, columns, samples=samples, bits=bits, signed=int(dtype[0] == "i"))
    rng = np.random.default_rng(seed)
    # Few levels give long replicate runs (including ones over 128 bytes), many give literals.
    arr = (rng.integers(0, levels, image.frame_shape) * 7).astype(dtype)
    data = encode_rle(arr, EncodeFrame(image=image, index=0, options={}))
    out = np.empty(image.frame_shape, image.dtype)
    decode_rle(data, DecodeFrame(image=image, index=0, options={}, out=out))
    np.testing.assert_array_equal(out, arr)
    assert data == pydicom_rle_encode(arr, image)


def test_a_dataset_compressed_by_pydicom_holds_the_frames_we_encode():
    import copy

    from pydicom import dcmread
    from pydicom.data import get_testdata_file
    from pydicom.encaps import generate_frames
    from pydicom.uid import RLELossless

    ds = dcmread(get_testdata_file("CT_small.dcm"))
    compressed = copy.deepcopy(ds)
    compressed.compress(RLELossless, encoding_plugin="pydicom")
    (theirs,) = generate_frames(compressed.PixelData, number_of_frames=1)
    image = rle_image(ds.Rows, ds.Columns, bits=16, signed=ds.PixelRepresentation)
    ours = encode_rle(ds.pixel_array, EncodeFrame(image=image, index=0, options={}))
    assert ours == theirs


def _runny_plane(rows: int, cols: int, seed: int) -> np.ndarray:
    """Bytes with runs of every length (1 to 300) and noise, runs crossing row ends."""
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 256, rows * cols // 4 + 1, dtype=np.uint8)
    lengths = rng.integers(1, 300, values.size)
    lengths[::3] = 1
    return np.repeat(values, lengths)[: rows * cols].reshape(rows, cols)


@pytest.mark.parametrize("rows, cols", [(1100, 700), (3, 200_000), (700, 1)])
def test_a_plane_encoded_in_blocks_of_rows_equals_the_plane_encoded_at_once(monkeypatch, rows, cols):
    from dicom_pixels_native import rle

    plane = _runny_plane(rows, cols, seed=rows)
    monkeypatch.setattr(rle, "_BLOCK_BYTES", 1 << 40)  # one block: the whole plane
    whole = encode_segment(plane)
    for block_bytes in (1, 1000, 64 * 1024):
        monkeypatch.setattr(rle, "_BLOCK_BYTES", block_bytes)
        assert encode_segment(plane) == whole
    assert decode_segment(whole, length=rows * cols).tobytes() == plane.tobytes()


def test_encoding_a_large_frame_needs_a_bounded_amount_of_temporary_memory():
    import tracemalloc

    image = ImageDescription(2048, 2048, 1, 16, 16, 0, "MONOCHROME2", "1.2.840.10008.1.2.5")
    frame = np.random.default_rng(3).integers(0, 65536, image.frame_shape, dtype="u2")  # 8 MiB of noise
    tracemalloc.start()
    try:
        encoded = encode_rle(frame, EncodeFrame(image=image, index=0, options={}))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The output (noise grows by 1/128) and its parts, plus a block's index arrays: not the
    # ~40 bytes per input byte that encoding a whole 4 MiB plane at once would take.
    assert peak < 4 * frame.nbytes + 32 * 1024**2, f"peak {peak / 2**20:.0f} MiB"
    np.testing.assert_array_equal(
        decode_rle(encoded, DecodeFrame(image=image, index=0, options={})), frame
    )
