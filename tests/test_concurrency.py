"""Decoding from many threads at once gives the arrays one thread gives.

A shared *file object* is safe too: every reader of one file object shares one
lock (``reader._lock_for``) that serialises seek+read and restores the position;
other code using the same file object at the same time is not covered by it.
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

from .conftest import decodable, requires_decoder, transfer_syntax_of

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
