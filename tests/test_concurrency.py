"""Decoding from many threads at once gives the arrays one thread gives.

A shared *file object* is safe too: a plain file is read with ``os.pread`` on its
descriptor (its position is never used); any other file object is read under one
lock per object (``streams._lock_for``) that serialises seek+read and restores the
position; other code using that object at the same time is not covered by it.
"""

from __future__ import annotations

import io
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import dicom_pixels as dp
from dicom_pixels.registry import manager

pytest.importorskip("pydicom", reason="pydicom's bundled files are the inputs")
from pydicom.data import get_testdata_file

from .conftest import decodable, requires_decoder, secondary_capture, transfer_syntax_of

FILES = ["MR_small.dcm", "SC_rgb_rle_2frame.dcm", "rtdose_rle.dcm", "MR_small_jp2klossless.dcm",
         "SC_rgb_jpeg_dcmtk.dcm", "MR_small_jpeg_ls_lossless.dcm"]


def decode(path, plugin=""):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dp.pixel_array(path, decoding_plugin=plugin)


def plugins_for(path) -> list[str]:
    with dp.source.open_source(path) as src:
        uid = src.image.transfer_syntax_uid
    return ["", *dp.get_decoder(uid).available_plugins]


@pytest.mark.parametrize("name", FILES)
def test_eight_threads_decoding_the_same_file_with_each_plugin_get_identical_arrays(name):
    path = get_testdata_file(name)
    requires_decoder(transfer_syntax_of(path).uid)
    for plugin in plugins_for(path):
        expected = decode(path, plugin)
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(decode, [path] * 16, [plugin] * 16))
        for arr in results:
            np.testing.assert_array_equal(arr, expected, err_msg=f"{name} with {plugin or 'auto'}")


def test_eight_threads_decoding_different_files_get_the_single_thread_arrays():
    paths = decodable(get_testdata_file(n) for n in FILES) * 4
    assert len(paths) >= 12  # the native and RLE files decode with the native plugin alone
    expected = [decode(p) for p in paths]
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(decode, paths))
    for path, arr, ref in zip(paths, results, expected):
        np.testing.assert_array_equal(arr, ref, err_msg=str(path))


def test_plugin_discovery_racing_with_decodes_is_safe():
    manager.reload()
    path = get_testdata_file("SC_rgb_rle_2frame.dcm")

    def work(i):
        if i % 2:
            return len(dp.plugins())
        return decode(path).shape

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(32)))
    assert {r for r in results[::2]} == {(2, 100, 100, 3)}
    assert len(set(results[1::2])) == 1


def test_one_file_object_shared_by_eight_threads_gives_the_same_frames():
    path = get_testdata_file("rtdose.dcm")
    expected = decode(path)
    with open(path, "rb") as f:
        shared = io.BufferedReader(f)  # type: ignore[arg-type]

        def frame(i):
            return dp.pixel_array(shared, index=i % 15)

        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(frame, range(60)))
    for i, arr in enumerate(results):
        np.testing.assert_array_equal(arr, expected[i % 15])


# -- the frame worker pool (decoder.run_in_threads) -------------------------------------------


def test_run_in_threads_calls_every_index_once_from_start_on_the_asked_number_of_threads():
    import threading

    from dicom_pixels.decoder import run_in_threads

    seen: list[tuple[int, str]] = []
    run_in_threads(lambda i: seen.append((i, threading.current_thread().name)), 50, 3, start=7)
    assert sorted(i for i, _ in seen) == list(range(7, 50))
    assert {name for _, name in seen} <= {"dicom-pixels-0", "dicom-pixels-1", "dicom-pixels-2"}


def test_run_in_threads_raises_the_lowest_failing_index_and_hands_out_no_work_after_an_error():
    import time

    from dicom_pixels.decoder import run_in_threads

    calls: list[int] = []

    def work(i: int) -> None:
        calls.append(i)
        if i == 5:
            time.sleep(0.2)  # frame 9 fails first, on the other thread
            raise ValueError("frame 5")
        if i == 9:
            raise ValueError("frame 9")

    with pytest.raises(ValueError, match="frame 5"):
        run_in_threads(work, 1000, 2)
    # After frame 9's error no index was handed out (ThreadPoolExecutor.map decoded all 1000).
    assert sorted(calls) == list(range(10))


def test_a_corrupt_frame_decoded_on_two_workers_raises_the_error_one_worker_raises(tmp_path):
    from dicom_pixels.encaps import encapsulate

    ds = secondary_capture("1.2.840.10008.1.2.5")
    requires_decoder("1.2.840.10008.1.2.5")
    arr = (np.arange(12 * 32 * 32, dtype=np.uint16).reshape(12, 32, 32) * 7) % 4096
    ds.Rows, ds.Columns, ds.NumberOfFrames = 32, 32, 12
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.PixelData = arr.tobytes()
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.1"
    path = tmp_path / "rle.dcm"
    ds.save_as(path, enforce_file_format=True)
    import pydicom

    rle = pydicom.dcmread(path)
    dp.compress(rle, "RLELossless")
    frames = list(dp.encaps.generate_frames(rle.PixelData, number_of_frames=12))
    frames[6] = frames[6][:64]  # RLE header promises segments past the end of frame 6
    rle.PixelData = encapsulate(frames, has_bot=True)
    broken = tmp_path / "broken.dcm"
    rle.save_as(broken, enforce_file_format=True)

    errors = []
    for workers in (1, 2):
        with pytest.raises(dp.DicomPixelsError) as info:
            dp.pixel_array(broken, workers=workers)
        errors.append(str(info.value))
    assert errors[0] == errors[1]
    assert "frame 6" in errors[0]


def test_run_in_threads_interrupted_while_waiting_leaves_threads_that_take_no_more_frames(monkeypatch):
    import threading
    import time

    from dicom_pixels.decoder import run_in_threads

    calls: list[int] = []
    real_join = threading.Thread.join

    def work(i: int) -> None:
        calls.append(i)
        time.sleep(0.01)

    def interrupted_join(self, timeout=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(threading.Thread, "join", interrupted_join)
    with pytest.raises(KeyboardInterrupt):
        run_in_threads(work, 10_000, 2)
    monkeypatch.setattr(threading.Thread, "join", real_join)
    time.sleep(0.3)
    done = len(calls)
    time.sleep(0.3)
    # Without the stop, both threads would go on through the 10,000 frames for 50 s.
    assert len(calls) == done <= 4
