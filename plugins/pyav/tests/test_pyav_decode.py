"""Video pixel data decoded through the pyav plugin, against PyAV decoding the same stream.

Streams are made here with PyAV's encoders (libx264, libx265, mpeg2video) and
wrapped in DICOM as PS3.5 A.4.5 requires (the whole stream is one frame, in
one or several fragments); pydicom writes and reads the files but cannot decode
video, so the oracle is PyAV itself.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import dicom_pixels as dp
from dicom_pixels.errors import DecodeError, FrameIndexError

av = pytest.importorskip("av", reason="PyAV is the pyav plugin's backend: pip install 'dicom-pixels[pyav-gpl]'")

from dicom_pixels_pyav.samples import (  # noqa: E402
    CODECS,
    make_stream,
    moving_frames,
    reference_frames,
    video_dataset,
)

ROWS, COLUMNS, FRAMES = 48, 64, 20


@pytest.fixture(scope="module", params=sorted(CODECS))
def encoded(request: pytest.FixtureRequest) -> tuple[str, bytes, np.ndarray]:
    codec = request.param
    stream = make_stream(codec, moving_frames(FRAMES, ROWS, COLUMNS), gop=8)
    return codec, stream, reference_frames(stream)


@pytest.mark.parametrize("fragments", [1, 3])
def test_every_frame_of_a_file_is_what_pyav_decodes(encoded, fragments, video_file) -> None:
    codec, stream, reference = encoded
    path = video_file(stream, CODECS[codec][2], FRAMES, ROWS, COLUMNS, fragments=fragments)
    arr = dp.pixel_array(path)
    assert arr.shape == (FRAMES, ROWS, COLUMNS, 3)
    np.testing.assert_array_equal(arr, reference)


def test_a_pydicom_dataset_decodes_like_its_file(encoded) -> None:
    codec, stream, reference = encoded
    ds = video_dataset(stream, CODECS[codec][2], FRAMES, ROWS, COLUMNS, fragments=2)
    np.testing.assert_array_equal(dp.pixel_array(ds), reference)


@pytest.mark.parametrize("index", [0, 5, 8, 13, FRAMES - 1])
def test_one_frame_is_the_same_frame_pyav_decodes(encoded, index, video_file) -> None:
    codec, stream, reference = encoded
    path = video_file(stream, CODECS[codec][2], FRAMES, ROWS, COLUMNS)
    np.testing.assert_array_equal(dp.pixel_array(path, index=index), reference[index])


def _damage_second_picture(codec: str, stream: bytes) -> bytes:
    """Overwrite the middle of the second picture's packet (a P or B picture of the first GOP)."""
    from dicom_pixels_pyav.decode import split_packets

    packets, _ = split_packets(codec, stream)
    start = stream.index(packets[1])
    middle = start + len(packets[1]) // 2
    return stream[:middle] + b"\x55" * 6 + stream[middle + 6 :]


def test_one_frame_is_decoded_from_the_key_frame_before_it_not_from_the_start(encoded, video_file) -> None:
    codec, stream, reference = encoded
    damaged = _damage_second_picture(codec, stream)
    path = video_file(damaged, CODECS[codec][2], FRAMES, ROWS, COLUMNS)
    # The damage changes the first GOP when the stream is decoded from its start ...
    assert not np.array_equal(reference_frames(damaged)[1], reference[1])
    # ... but frame 17 (third GOP: key frames every 8) is decoded from its key frame only.
    np.testing.assert_array_equal(dp.pixel_array(path, index=17), reference[17])


def test_iter_pixels_streams_every_frame_with_memory_near_one_frame(video_file) -> None:
    frames = 60
    stream = make_stream("h264", moving_frames(frames, ROWS, COLUMNS), gop=10)
    reference = reference_frames(stream)
    path = video_file(stream, CODECS["h264"][2], frames, ROWS, COLUMNS)
    tracemalloc.start()
    try:
        count = 0
        for i, frame in enumerate(dp.iter_pixels(path)):
            np.testing.assert_array_equal(frame, reference[i])
            count += 1
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == frames
    # The whole video decoded would be 553 kB; the stream is held once, frames one at a time.
    assert peak < len(stream) * 3 + 8 * reference[0].nbytes, peak


def test_iter_pixels_of_chosen_indices_restarts_only_when_they_jump(encoded, video_file) -> None:
    codec, stream, reference = encoded
    path = video_file(stream, CODECS[codec][2], FRAMES, ROWS, COLUMNS)
    indices = [3, 4, 5, 17, 2]
    got = list(dp.iter_pixels(path, indices=indices))
    for index, frame in zip(indices, got):
        np.testing.assert_array_equal(frame, reference[index])


def _upsampled_ybr(stream: bytes) -> np.ndarray:
    """PyAV's yuv420p planes, chroma repeated 2 x 2 (the YBR_PARTIAL_420 values, full size)."""
    planar = reference_frames(stream, "yuv420p")
    rows, columns = planar.shape[1] * 2 // 3, planar.shape[2]
    y = planar[:, :rows]
    chroma = planar[:, rows:].reshape(len(planar), 2, rows // 2, columns // 2)
    up = chroma.repeat(2, axis=2).repeat(2, axis=3)
    return np.stack([y, up[:, 0], up[:, 1]], axis=-1)


@pytest.mark.parametrize("options", [{"raw": True}, {"as_rgb": False}])
def test_without_rgb_conversion_the_frames_are_the_streams_ybr_values(encoded, options, video_file) -> None:
    codec, stream, _ = encoded
    path = video_file(stream, CODECS[codec][2], FRAMES, ROWS, COLUMNS)
    arr, meta = dp.get_decoder(CODECS[codec][2]).as_array(path, **options)
    np.testing.assert_array_equal(arr, _upsampled_ybr(stream))
    assert meta["photometric_interpretation"] == "YBR_PARTIAL_420"


def test_rgb_output_is_reported_as_rgb(encoded, video_file) -> None:
    codec, stream, _ = encoded
    path = video_file(stream, CODECS[codec][2], FRAMES, ROWS, COLUMNS)
    _, meta = dp.get_decoder(CODECS[codec][2]).as_array(path, index=2)
    assert meta["photometric_interpretation"] == "RGB"


# -- the DICOM constraints of each syntax, checked against the stream ---------------------


def test_frames_larger_than_mpeg2_main_level_are_refused_naming_the_size(video_file) -> None:
    stream = make_stream("mpeg2", moving_frames(2, 608, 800))
    path = video_file(stream, "1.2.840.10008.1.2.4.100", 2, 608, 800)
    with pytest.raises(DecodeError, match=r"frames of 800 x 608 \(at most 720 x 576"):
        dp.pixel_array(path, index=0)
    # The same stream is valid as MPEG-2 Main Profile / High Level.
    high = video_file(stream, "1.2.840.10008.1.2.4.101", 2, 608, 800)
    np.testing.assert_array_equal(dp.pixel_array(high, index=1), reference_frames(stream)[1])


def test_an_h264_level_above_the_syntax_is_refused(video_file) -> None:
    stream = make_stream("h264", moving_frames(2, ROWS, COLUMNS), options={"level": "5.1"})
    path = video_file(stream, "1.2.840.10008.1.2.4.102", 2, ROWS, COLUMNS)
    with pytest.raises(DecodeError, match=r"level 51 \(at most 41\)"):
        dp.pixel_array(path)
    # Level 5.1 is above 4.2 too.
    path = video_file(stream, "1.2.840.10008.1.2.4.104", 2, ROWS, COLUMNS)
    with pytest.raises(DecodeError, match=r"level 51 \(at most 42\)"):
        dp.pixel_array(path)


def test_an_h264_profile_above_high_is_refused(video_file) -> None:
    stream = make_stream("h264", moving_frames(2, ROWS, COLUMNS), pix_fmt="yuv444p")
    path = video_file(stream, "1.2.840.10008.1.2.4.102", 2, ROWS, COLUMNS)
    with pytest.raises(DecodeError, match=r"profile 244"):
        dp.pixel_array(path)


def test_a_stream_of_another_codec_is_refused(video_file) -> None:
    stream = make_stream("h264", moving_frames(2, ROWS, COLUMNS))
    path = video_file(stream, "1.2.840.10008.1.2.4.107", 2, ROWS, COLUMNS)
    with pytest.raises(DecodeError, match="no HEVC sequence parameter set"):
        dp.pixel_array(path)


def test_rows_and_columns_that_disagree_with_the_stream_are_refused(video_file) -> None:
    stream = make_stream("hevc", moving_frames(2, ROWS, COLUMNS))
    path = video_file(stream, "1.2.840.10008.1.2.4.107", 2, ROWS + 16, COLUMNS)
    with pytest.raises(DecodeError, match=r"frames are 64 x 48, but \(0028,0011\) Columns"):
        dp.pixel_array(path)


def test_more_frames_declared_than_the_stream_holds_is_a_clear_error(video_file) -> None:
    stream = make_stream("mpeg2", moving_frames(4, ROWS, COLUMNS))
    path = video_file(stream, "1.2.840.10008.1.2.4.100", 6, ROWS, COLUMNS)
    with pytest.raises(DecodeError, match=r"ends before frame 4, but \(0028,0008\) Number of Frames is 6"):
        dp.pixel_array(path)
    # One frame past the stream's end, reached by skipping from its key frame.
    with pytest.raises(DecodeError, match=r"ends before frame 5, but \(0028,0008\) Number of Frames is 6"):
        dp.pixel_array(path, index=5)
    with pytest.raises(FrameIndexError, match="There is no frame 6"):
        dp.pixel_array(path, index=6)


def test_hevc_main_10_decodes_to_10_bit_values_in_16_bits(video_file) -> None:
    stream = make_stream("hevc", moving_frames(6, ROWS, COLUMNS), pix_fmt="yuv420p10le")
    ds = video_dataset(stream, "1.2.840.10008.1.2.4.108", 6, ROWS, COLUMNS)
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 10, 9
    arr = dp.pixel_array(ds)
    # PyAV's rgb48 spans 16 bits; the stream's samples are 10 bits (PS3.5 8.2.8).
    np.testing.assert_array_equal(arr, reference_frames(stream, "rgb48le") >> 6)
    assert arr.dtype == np.uint16 and arr.max() < 1024
    luma = dp.pixel_array(ds, raw=True)[..., 0]
    np.testing.assert_array_equal(luma, reference_frames(stream, "yuv420p10le")[:, :ROWS])


def test_a_main_10_stream_is_refused_as_hevc_main(video_file) -> None:
    stream = make_stream("hevc", moving_frames(2, ROWS, COLUMNS), pix_fmt="yuv420p10le")
    ds = video_dataset(stream, "1.2.840.10008.1.2.4.107", 2, ROWS, COLUMNS)
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 10, 9
    with pytest.raises(DecodeError, match=r"profile 2 \(allowed: \[1\]\); 10-bit samples"):
        dp.pixel_array(ds)


def test_force_ybr_gives_full_range_ybr_of_the_rgb_frames(encoded, video_file) -> None:
    codec, stream, reference = encoded
    path = video_file(stream, CODECS[codec][2], FRAMES, ROWS, COLUMNS)
    ybr, meta = dp.get_decoder(CODECS[codec][2]).as_array(path, index=4, force_ybr=True)
    assert meta["photometric_interpretation"] == "YBR_FULL"
    expected = dp.processing.convert_color_space(reference[4], "RGB", "YBR_FULL")
    np.testing.assert_array_equal(ybr, expected)
