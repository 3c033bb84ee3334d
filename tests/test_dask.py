"""dicom_pixels.dask: lazy arrays over frames and series, on threads and on a process cluster.

Issue 14 point 4. Results are compared with :func:`dicom_pixels.pixel_array` and
:func:`dicom_pixels.read_series`; the cluster is a real ``distributed.LocalCluster``
of two worker processes, so every task is pickled and run in another process.
"""

from __future__ import annotations

import pickle
import sys

import numpy as np
import pytest

da = pytest.importorskip("dask.array", reason='dask is not installed: pip install "dicom-pixels[dask]"')
import dask  # noqa: E402
from pydicom.data import get_testdata_file  # noqa: E402

import dicom_pixels as dp  # noqa: E402
import dicom_pixels.dask as dpd  # noqa: E402
from dicom_pixels.errors import ArgumentTypeError, InvalidArgumentError, MissingDependencyError  # noqa: E402

from .conftest import decodable  # noqa: E402
from .test_series import ENHANCED_POSITIONS, ENHANCED_RESCALES, write_enhanced, write_stack  # noqa: E402

FILES = [
    str(p)
    for p in decodable(
        [
            dp.examples.get_path("rt_dose"),
            get_testdata_file("rtdose_rle.dcm"),
            get_testdata_file("rtdose_expb.dcm"),
            get_testdata_file("examples_ybr_color.dcm"),
        ]
    )
]


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed", reason="distributed is not installed")
    with (
        distributed.LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as connected,
    ):
        yield connected


@pytest.mark.parametrize("path", FILES)
def test_frames_on_threads_equal_pixel_array(path):
    lazy = dpd.to_dask_array(path, frames_per_chunk=3)
    expected = dp.pixel_array(path)
    assert lazy.shape == expected.shape and lazy.dtype == expected.dtype
    assert set(lazy.chunks[0]) <= {3, expected.shape[0] % 3 or 3}
    np.testing.assert_array_equal(lazy.compute(scheduler="threads"), expected)
    np.testing.assert_array_equal(lazy[1:5].compute(scheduler="threads"), expected[1:5])


def test_frames_on_a_process_cluster_equal_pixel_array(client):
    for path in FILES:
        lazy = dpd.to_dask_array(path, frames_per_chunk=4)
        np.testing.assert_array_equal(client.compute(lazy).result(), dp.pixel_array(path))


def test_shape_and_dtype_come_from_the_header_without_decoding(monkeypatch):
    def no_decode(*args, **kwargs):
        raise AssertionError("a frame was decoded while building the graph")

    monkeypatch.setattr(dpd, "pixel_array", no_decode)
    lazy = dpd.to_dask_array(get_testdata_file("rtdose_expb.dcm"))
    assert lazy.shape == (15, 10, 10) and lazy.dtype == np.dtype(">u4")


def test_a_single_frame_file_keeps_its_frame_axis():
    lazy = dpd.to_dask_array(dp.examples.get_path("ct"))
    assert lazy.shape == (1, 128, 128)
    np.testing.assert_array_equal(lazy.compute(scheduler="sync")[0], dp.pixel_array(dp.examples.get_path("ct")))


def test_the_default_chunk_holds_as_many_frames_as_fit_in_chunk_bytes(monkeypatch):
    frame_bytes = 10 * 10 * 4  # rt_dose: 8 frames of 10 x 10 uint32
    monkeypatch.setattr(dpd, "CHUNK_BYTES", 3 * frame_bytes + 1)
    assert dpd.to_dask_array(dp.examples.get_path("rt_dose")).chunks[0] == (3, 3, 2)
    monkeypatch.setattr(dpd, "CHUNK_BYTES", 1)  # smaller than a frame: one frame per chunk
    assert dpd.to_dask_array(dp.examples.get_path("rt_dose")).chunks[0] == (1,) * 8


def test_one_task_per_chunk_and_the_graph_pickles():
    lazy = dpd.to_dask_array(dp.examples.get_path("rt_dose"), frames_per_chunk=3)
    graph = dict(lazy.__dask_graph__())
    assert len(graph) == 3
    assert len(pickle.dumps(graph)) < 4096  # paths and options, no pixels, no open file


def test_options_reach_the_tasks():
    path = get_testdata_file("examples_ybr_color.dcm")
    if str(path) not in FILES:
        pytest.skip("no JPEG Baseline decoder installed")
    lazy = dpd.to_dask_array(path, frames_per_chunk=8, as_rgb=False)
    np.testing.assert_array_equal(lazy.compute(scheduler="threads"), dp.pixel_array(path, as_rgb=False))


def test_a_source_that_is_not_a_path_is_refused():
    with pytest.raises(ArgumentTypeError, match=r"needs a path or URL .* not a bytes"):
        dpd.to_dask_array(dp.examples.get_path("ct").read_bytes())


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_frames_per_chunk_must_be_a_positive_integer(bad):
    with pytest.raises(InvalidArgumentError, match="frames_per_chunk must be a positive integer"):
        dpd.to_dask_array(dp.examples.get_path("rt_dose"), frames_per_chunk=bad)


def test_without_dask_the_error_names_the_install_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask.array", None)  # as if not installed: import fails
    with pytest.raises(MissingDependencyError, match=r'pip install "dicom-pixels\[dask\]"'):
        dpd.to_dask_array(dp.examples.get_path("rt_dose"))


# -- series ---------------------------------------------------------------------------------------


def test_a_series_on_threads_equals_read_series(tmp_path):
    paths = write_stack(tmp_path, 7, slope=2.0, intercept=-1024.0)
    volume = dp.read_series(paths, rescale=True)
    lazy = dpd.series_to_dask_array(paths, files_per_chunk=3, rescale=True)
    assert lazy.chunks[0] == (3, 3, 1) and lazy.dtype == np.float32
    np.testing.assert_array_equal(lazy.compute(scheduler="threads"), volume.array)


def test_a_series_on_a_process_cluster_equals_read_series(tmp_path, client):
    paths = write_stack(tmp_path, 9)
    lazy = dpd.series_to_dask_array(paths, files_per_chunk=2)
    np.testing.assert_array_equal(client.compute(lazy).result(), dp.read_series(paths).array)


def test_an_enhanced_file_as_a_lazy_volume(tmp_path):
    path = write_enhanced(tmp_path / "enhanced.dcm", ENHANCED_POSITIONS, ENHANCED_RESCALES)
    lazy = dpd.series_to_dask_array([path], files_per_chunk=3, rescale=True)
    with dask.config.set(scheduler="sync"):
        np.testing.assert_array_equal(lazy.compute(), dp.read_series([path], rescale=True).array)


def test_the_dask_benchmark_runs_at_tiny_scale(tmp_path):
    """``bench.py --dask`` end to end, so it never rots (no timing assertion)."""
    pytest.importorskip("distributed", reason="distributed is not installed")
    pytest.importorskip("imagecodecs", reason="the benchmark generates its JPEG-LS workload with imagecodecs")
    import subprocess
    from pathlib import Path

    bench = Path(__file__).parent / "benchmarks" / "bench.py"
    result = subprocess.run(
        [sys.executable, str(bench), "--only", "--dask", "--scale", "0.02", "--repeat", "1", "--workdir", str(tmp_path)],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert result.returncode == 0, result.stderr
    rows = [line.split("|")[1].strip() for line in result.stdout.splitlines() if line.startswith("| ") and " s |" not in line]
    assert rows == ["rle multi-frame", "jpegls multi-frame", "ct_files series"]
    assert result.stdout.count("frames on 2 workers") == 9


def test_a_file_rewritten_in_place_gets_a_new_graph_name(tmp_path):
    import os
    import shutil

    path = tmp_path / "dose.dcm"
    shutil.copy(dp.examples.get_path("rt_dose"), path)
    before = dpd.to_dask_array(path, frames_per_chunk=3)
    assert dpd.to_dask_array(path, frames_per_chunk=3).name == before.name  # deterministic
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert dpd.to_dask_array(path, frames_per_chunk=3).name != before.name
    assert before.name.startswith("dicom-pixels-frames-")
