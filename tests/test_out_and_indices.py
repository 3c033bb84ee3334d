"""``indices=`` (a chunk or any list of frames) and ``out=`` (decode into the caller's array).

Issue 14 point 6: chunked consumers (Dask, data loaders) ask for frames ``a`` to ``b``
and give the array to fill, so that no copy is made. pydicom's whole-file arrays,
sliced, are the oracle.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.data import get_testdata_file

import dicom_pixels as dp
from dicom_pixels.decoder import output_dtype
from dicom_pixels.errors import (
    ArgumentTypeError,
    DicomPixelsError,
    FrameIndexError,
    InvalidArgumentError,
)
from dicom_pixels.source import ElementSource

from .conftest import decodable

# Multi-frame files of pydicom's wheel: native, big endian, RLE, JPEG YBR (converted to RGB).
MULTI_FRAME = ["rtdose.dcm", "rtdose_expb.dcm", "rtdose_rle.dcm", "SC_rgb_rle_2frame.dcm", "examples_ybr_color.dcm"]


def _path(name: str) -> str:
    return str(get_testdata_file(name))


def _decodable(names: list[str]) -> list[str]:
    kept = {Path(p).name for p in decodable([get_testdata_file(n) for n in names])}
    return [n for n in names if n in kept]


@pytest.fixture(scope="module")
def oracle() -> dict[str, np.ndarray]:
    return {name: dcmread(_path(name)).pixel_array for name in _decodable(MULTI_FRAME)}


@pytest.mark.parametrize("name", _decodable(MULTI_FRAME))
def test_a_range_of_frames_equals_those_frames_of_the_whole_array(name, oracle):
    expected = oracle[name]
    total = expected.shape[0]
    a, b = 1, max(2, total - 1)
    got = dp.pixel_array(_path(name), indices=range(a, b))
    assert got.shape == (b - a, *expected.shape[1:])
    np.testing.assert_array_equal(got, expected[a:b])


@pytest.mark.parametrize("name", _decodable(MULTI_FRAME))
def test_any_list_of_frames_in_any_order_with_repeats(name, oracle):
    expected = oracle[name]
    total = expected.shape[0]
    chosen = [total - 1, 0, total - 1, total // 2]
    got = dp.pixel_array(_path(name), indices=chosen, workers=2)
    np.testing.assert_array_equal(got, expected[chosen])


@pytest.mark.parametrize("name", _decodable(MULTI_FRAME))
def test_frames_are_decoded_into_out_which_is_returned(name, oracle):
    expected = oracle[name]
    with dp.open_source(_path(name)) as src:
        dtype = output_dtype(src.image)
    out = np.zeros((2, *expected.shape[1:]), dtype)
    out.fill(7)  # a value no frame of these files holds everywhere
    got = dp.pixel_array(_path(name), indices=range(0, 2), out=out)
    assert got is out
    np.testing.assert_array_equal(out, expected[0:2])


def test_out_for_one_frame_and_for_all_frames(oracle):
    expected = oracle["rtdose.dcm"]
    frame = np.empty(expected.shape[1:], expected.dtype)
    assert dp.pixel_array(_path("rtdose.dcm"), index=3, out=frame) is frame
    np.testing.assert_array_equal(frame, expected[3])
    everything = np.empty(expected.shape, expected.dtype)
    assert dp.pixel_array(_path("rtdose.dcm"), out=everything) is everything
    np.testing.assert_array_equal(everything, expected)


def test_out_for_a_single_frame_file_has_the_unwrapped_shape():
    expected = dcmread(dp.examples.get_path("ct")).pixel_array
    out = np.empty(expected.shape, expected.dtype)
    assert dp.pixel_array(dp.examples.get_path("ct"), out=out) is out
    np.testing.assert_array_equal(out, expected)


def test_out_of_big_endian_data_is_big_endian(oracle):
    expected = oracle["rtdose_expb.dcm"]
    assert expected.dtype.byteorder == ">"
    out = np.empty((3, *expected.shape[1:]), expected.dtype)
    dp.pixel_array(_path("rtdose_expb.dcm"), indices=range(4, 7), out=out)
    np.testing.assert_array_equal(out, expected[4:7])
    with pytest.raises(ArgumentTypeError, match=r"'out' has dtype '<u4'.*decodes to '>u4'"):
        dp.pixel_array(_path("rtdose_expb.dcm"), indices=range(4, 7), out=out.astype("<u4"))


def test_a_chunk_of_one_frame_keeps_its_frame_axis(oracle):
    got = dp.pixel_array(_path("rtdose.dcm"), indices=[5])
    assert got.shape == (1, *oracle["rtdose.dcm"].shape[1:])


def test_no_frames_gives_an_empty_array():
    got = dp.pixel_array(_path("rtdose.dcm"), indices=[])
    assert got.shape[0] == 0 and got.ndim == 3


def test_native_ranges_are_read_in_blocks_straight_into_out(monkeypatch, oracle):
    """The native fast path fills *out* with one read per block, not one per frame."""
    calls: list[tuple[int, int, int]] = []
    real = ElementSource.readinto_native_frames

    def spy(self, first, count, buffer):
        calls.append((first, count, np.frombuffer(buffer, np.uint8).ctypes.data))
        return real(self, first, count, buffer)

    monkeypatch.setattr(ElementSource, "readinto_native_frames", spy)
    path = dp.examples.get_path("rt_dose")  # Explicit VR Little Endian: stored as decoded
    expected = dcmread(path).pixel_array
    out = np.empty((4, *expected.shape[1:]), expected.dtype)
    dp.pixel_array(path, indices=range(3, 7), out=out)
    assert calls == [(3, 4, out.ctypes.data)]
    np.testing.assert_array_equal(out, expected[3:7])


def test_decoder_as_array_takes_indices_and_out(oracle):
    expected = oracle["rtdose_rle.dcm"]
    out = np.empty((5, *expected.shape[1:]), expected.dtype)
    arr, meta = dp.get_decoder("RLELossless").as_array(
        _path("rtdose_rle.dcm"), indices=range(10, 15), out=out
    )
    assert arr is out and meta["number_of_frames"] == 5
    np.testing.assert_array_equal(out, expected[10:15])


@pytest.mark.parametrize(
    ("indices", "message"),
    [
        ([0, 15], r"indices\[1\] asks for frame 15, but .*rtdose\.dcm holds 15 frames \(0 to 14\)"),
        ([-1], r"indices\[0\] asks for frame -1"),
        (range(10, 16), r"indices\[5\] asks for frame 15"),
        ([0, 1.0], r"indices\[1\] is 1\.0, not a frame number"),
        ([True], r"indices\[0\] is True, not a frame number"),
        (["2"], r"indices\[0\] is '2', not a frame number"),
    ],
)
def test_bad_indices_raise_an_index_error_naming_the_frame(indices, message):
    with pytest.raises(FrameIndexError, match=message) as caught:
        dp.pixel_array(_path("rtdose.dcm"), indices=indices)
    assert isinstance(caught.value, IndexError) and isinstance(caught.value, DicomPixelsError)


def test_numpy_integers_are_frame_numbers(oracle):
    got = dp.pixel_array(_path("rtdose.dcm"), indices=np.array([2, 4], dtype=np.int64))
    np.testing.assert_array_equal(got, oracle["rtdose.dcm"][[2, 4]])


def test_index_and_indices_together_are_refused():
    with pytest.raises(InvalidArgumentError, match="not both"):
        dp.pixel_array(_path("rtdose.dcm"), index=0, indices=[1])


@pytest.mark.parametrize(
    ("make_out", "error", "message"),
    [
        (lambda: [[0] * 10] * 10, TypeError, r"'out' must be a numpy\.ndarray, not a list"),
        (lambda: np.empty((2, 10, 10), "u2"), TypeError, r"'out' has dtype '<u2'"),
        (lambda: np.empty((3, 10, 10), "u4"), ValueError, r"'out' has shape \(3, 10, 10\).*need \(2, 10, 10\)"),
        (lambda: np.empty((2, 10, 20), "u4")[:, :, ::2], ValueError, "C-contiguous and writeable"),
        (lambda: np.frombuffer(bytes(800), "u4").reshape(2, 10, 10), ValueError, "C-contiguous and writeable"),
    ],
)
def test_an_unusable_out_is_refused_naming_the_argument(make_out, error, message):
    path = dp.examples.get_path("rt_dose")  # 8 frames of 10 x 10, 'u4'
    with pytest.raises(error, match=message) as caught:
        dp.pixel_array(path, indices=range(0, 2), out=make_out())
    assert isinstance(caught.value, DicomPixelsError)


def test_a_failed_decode_names_the_frame_asked_for():
    """A frame past the data: the frame index error of the source, not a crash."""
    with pytest.raises(FrameIndexError, match="frame 8"):
        dp.pixel_array(dp.examples.get_path("rt_dose"), indices=[8])


def test_a_pydicom_dataset_with_indices_and_out(oracle):
    ds = dcmread(_path("rtdose_rle.dcm"))
    expected = oracle["rtdose_rle.dcm"]
    out = np.empty((3, *expected.shape[1:]), expected.dtype)
    assert dp.pixel_array(ds, indices=[14, 0, 7], out=out) is out
    np.testing.assert_array_equal(out, expected[[14, 0, 7]])


def test_view_only_is_ignored_when_decoding_into_out():
    """``view_only`` returns the dataset's own buffer; with ``out=`` the frames go to *out*."""
    path = dp.examples.get_path("rt_dose")
    ds = dcmread(path)
    out = np.empty((8, 10, 10), "u4")
    assert dp.pixel_array(ds, out=out, view_only=True) is out
    np.testing.assert_array_equal(out, ds.pixel_array)
