"""Sources that travel (issue 14 point 3) and fork safety (issue 15).

Real processes: ``multiprocessing`` with the 'spawn' and 'fork' contexts. A pickled
source reopens its file lazily in the child; a source on a file object refuses to
travel and, in a forked child, reads with ``os.pread`` on the object's descriptor.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import pickle
from operator import methodcaller

import numpy as np
import pytest

import dicom_pixels as dp
from dicom_pixels import errors
from dicom_pixels.description import ImageDescription
from dicom_pixels.errors import DicomPixelsError, InvalidDicomError, SourceCannotTravelError
from dicom_pixels.source import ElementSource, FramesSource, open_source

from .streams_support import RLE_LOSSLESS, RangeServer, frame_pixels, write_rle_slide

FRAMES = 40
HAS_FORK = "fork" in multiprocessing.get_all_start_methods()


@pytest.fixture(scope="module")
def slide(tmp_path_factory):
    return write_rle_slide(tmp_path_factory.mktemp("pickle") / "slide.dcm", FRAMES, 32, 32)


@pytest.fixture(scope="module")
def spawn_pool():
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        yield pool


def test_a_path_source_pickles_as_its_path_options_and_frame_index(slide):
    with open_source(slide, photometric_interpretation="MONOCHROME1", allow_excess_frames=False) as src:
        assert src.frame_count == FRAMES  # from the Basic Offset Table
        for index in range(FRAMES):  # a whole decode walks the item headers once: the frame index
            src.read_frame(index)
        assert src.frame_index is not None
        data = pickle.dumps(src)
    assert len(data) < 10_000  # what it refers to, not the file's bytes
    copy = pickle.loads(data)
    assert isinstance(copy, ElementSource)
    assert copy.image.photometric_interpretation == "MONOCHROME1"
    assert copy._allow_excess is False
    assert copy.frame_index == src.frame_index  # the index travelled
    assert copy._dicom is None  # not reopened yet: lazily, on the first read
    frame, _ = copy.read_frame(7)
    assert copy.dicom is not None
    # the index was not rebuilt: the header and the one frame were read, no item walk
    assert copy.dicom.bytes_read <= 4096 + len(frame)
    with open_source(slide) as src:
        assert frame == src.read_frame(7)[0]
    copy.close()


def test_pickled_sources_decode_in_spawned_processes_as_in_the_parent(slide, spawn_pool):
    path = dp.examples.get_path("rt_dose")
    with open_source(path) as native, open_source(slide) as rle:
        jobs = [(native, 5), (rle, 0), (rle, FRAMES - 1)]
        results = [spawn_pool.apply_async(dp.pixel_array, (src,), {"index": k}).get(60) for src, k in jobs]
    assert np.array_equal(results[0], dp.pixel_array(path, index=5))
    assert np.array_equal(results[1], frame_pixels(0, 32, 32))
    assert np.array_equal(results[2], frame_pixels(FRAMES - 1, 32, 32))


def test_bytes_dataset_and_url_sources_travel(slide, spawn_pool):
    pytest.importorskip("pydicom")
    from pydicom import dcmread

    data = slide.read_bytes()
    with open_source(bytearray(data)) as src:  # a bytearray travels as bytes
        frame = spawn_pool.apply_async(methodcaller("read_frame", 3), (src,)).get(60)
    assert frame[0] == open_source(slide).read_frame(3)[0]
    ds = dcmread(dp.examples.get_path("rt_dose"))
    with open_source(ds) as src:
        arr = spawn_pool.apply_async(dp.pixel_array, (src,), {"index": 2}).get(60)
    assert np.array_equal(arr, dp.pixel_array(ds, index=2))

    pytest.importorskip("fsspec")
    pytest.importorskip("aiohttp")
    server = RangeServer()
    try:
        server.files["/slide.dcm"] = data
        with open_source(server.url("/slide.dcm")) as src:
            arr = spawn_pool.apply_async(dp.pixel_array, (src,), {"index": 9}).get(60)
        assert np.array_equal(arr, frame_pixels(9, 32, 32))
    finally:
        server.close()


def test_a_source_on_a_file_object_says_it_cannot_travel(slide):
    with open(slide, "rb") as f, open_source(f) as src, pytest.raises(
        SourceCannotTravelError, match="Pass a path or a URL"
    ) as info:
        pickle.dumps(src)
    assert isinstance(info.value, TypeError) and isinstance(info.value, DicomPixelsError)


def test_decoders_encoders_descriptions_and_every_error_pickle():
    decoder = pickle.loads(pickle.dumps(dp.get_decoder(RLE_LOSSLESS)))
    arr, _ = decoder.as_array(dp.examples.get_path("rle_rgb"))
    assert np.array_equal(arr, dp.pixel_array(dp.examples.get_path("rle_rgb")))
    encoder = pickle.loads(pickle.dumps(dp.get_encoder(RLE_LOSSLESS)))
    assert encoder.UID == RLE_LOSSLESS
    image = ImageDescription(8, 8, 1, 8, 8, 0, "MONOCHROME2", RLE_LOSSLESS)
    assert pickle.loads(pickle.dumps(image)) == image
    frames = FramesSource([bytes(64)], image.replace(transfer_syntax_uid="1.2.840.10008.1.2.1"))
    assert pickle.loads(pickle.dumps(frames)).read_frame(0) == (bytes(64), 0)
    for name in errors.__all__:
        error = getattr(errors, name)(f"message of {name}")
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error) and str(copy) == str(error)


def _fork_worker(src, indices, expected, conn):
    wrong = 0
    try:
        for _ in range(25):
            for k in indices:
                if not np.array_equal(dp.pixel_array(src, index=k), expected[k]):
                    wrong += 1
        conn.send(("ok", wrong))
    except BaseException as exc:  # reported to the parent, which fails the test
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _run_forked(src, indices, expected, workers=3):
    context = multiprocessing.get_context("fork")
    results = []
    processes = []
    for _ in range(workers):
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=_fork_worker, args=(src, indices, expected, sender))
        process.start()
        sender.close()
        processes.append((process, receiver))
    # the parent reads at the same time: its position moves while the children read
    for _ in range(25):
        for k in indices:
            assert np.array_equal(dp.pixel_array(src, index=k), expected[k])
    for process, receiver in processes:
        results.append(receiver.recv() if receiver.poll(120) else ("error", "no answer"))
        process.join(60)
    return results


@pytest.mark.skipif(not HAS_FORK, reason="no fork on this platform")
@pytest.mark.parametrize("kind", ["path", "file object"])
def test_forked_workers_sharing_a_source_get_correct_frames_every_time(kind, slide):
    path = dp.examples.get_path("rt_dose")
    expected = {k: dp.pixel_array(path, index=k) for k in range(8)}
    expected_rle = {k: frame_pixels(k, 32, 32) for k in range(FRAMES)}
    with open(path, "rb") as f, open(slide, "rb") as g:
        native = open_source(path if kind == "path" else f)
        rle = open_source(slide if kind == "path" else g)
        assert rle.frame_count == FRAMES
        results = _run_forked(native, list(range(8)), expected)
        results += _run_forked(rle, [0, 17, FRAMES - 1, 5], expected_rle)
        native.close()
        rle.close()
    assert results == [("ok", 0)] * 6


class _Wrapped(io.RawIOBase):
    """A file-like object with no descriptor of its own (as many wrappers are)."""

    def __init__(self, inner):
        self._inner = inner

    def readable(self):
        return True

    def seekable(self):
        return True

    def readinto(self, buffer):
        return self._inner.readinto(buffer)

    def seek(self, offset, whence=0):
        return self._inner.seek(offset, whence)

    def tell(self):
        return self._inner.tell()


@pytest.mark.skipif(not HAS_FORK, reason="no fork on this platform")
def test_a_file_object_without_a_descriptor_refuses_to_read_in_a_forked_child():
    path = dp.examples.get_path("rt_dose")
    expected = {k: dp.pixel_array(path, index=k) for k in range(8)}
    with open(path, "rb") as f:
        src = open_source(_Wrapped(f))
        results = _run_forked(src, [1, 2], expected, workers=1)
        src.close()
    assert results[0][0] == "error"
    assert "forked child" in results[0][1] and "Pass a path or a URL" in results[0][1]
    assert results[0][1].startswith(InvalidDicomError.__name__)


def test_a_path_replaced_after_fork_is_detected(tmp_path):
    if not HAS_FORK:
        pytest.skip("no fork on this platform")
    path = tmp_path / "a.dcm"
    path.write_bytes(dp.examples.get_path("ct").read_bytes())
    src = open_source(path)
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)

    def child():
        try:
            sender.send(("ok", dp.pixel_array(src).sum()))
        except BaseException as exc:
            sender.send(("error", str(exc)))

    other = tmp_path / "b.dcm"  # another file (the open one keeps its inode) at the same path
    other.write_bytes(dp.examples.get_path("ct").read_bytes())
    os.replace(other, path)
    process = context.Process(target=child)
    process.start()
    process.join(60)
    outcome = receiver.recv()
    src.close()
    assert outcome[0] == "error" and "was replaced by another file" in outcome[1]
