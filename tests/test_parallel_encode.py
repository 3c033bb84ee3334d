"""Frames encoded on several threads: in order, the serial bytes, the lowest failing frame, bounded memory.

Encoding hands frames to :func:`dicom_pixels.decoder.map_in_order` (the ordered
twin of the decoder's worker pool). These tests run real threads, real codecs and
real files; a test plugin whose codec sleeps (releasing the GIL, as it declares)
makes later frames finish before earlier ones.
"""

from __future__ import annotations

import itertools
import sys
import threading
import time

import numpy as np
import pytest

import dicom_pixels as dp
from dicom_pixels import hookimpl
from dicom_pixels.decoder import map_in_order
from dicom_pixels.encoder import ENCODING_PROFILES, check_profile
from dicom_pixels.errors import DicomPixelsError, EncodeError, InvalidArgumentError
from dicom_pixels.registry import manager
from dicom_pixels.uid import lookup

# -- the ordered pool -----------------------------------------------------------------------------


def test_results_come_in_input_order_when_later_items_finish_first():
    def work(i: int) -> tuple[int, str]:
        time.sleep(0.02 if i % 4 == 0 else 0)  # every fourth item is slow
        return i, threading.current_thread().name

    results = list(map_in_order(work, range(40), 3))
    assert [i for i, _ in results] == list(range(40))
    assert len({name for _, name in results}) > 1  # really on several threads


def test_at_most_ahead_items_are_taken_and_not_yet_yielded():
    taken = 0
    in_flight: list[int] = []

    def feed():
        nonlocal taken
        for i in range(60):
            taken += 1
            yield i

    handed = 0
    for _ in map_in_order(lambda i: time.sleep(0.001 * (i % 3)) or i, feed(), 2, ahead=4):
        handed += 1
        in_flight.append(taken - handed)
    assert handed == 60
    assert max(in_flight) <= 4


def test_the_lowest_failing_item_is_raised_after_the_results_before_it_and_no_item_is_taken_after():
    taken: list[int] = []

    def feed():
        for i in range(1000):
            taken.append(i)
            yield i

    def work(i: int) -> int:
        if i == 3:
            time.sleep(0.2)  # item 9 fails first, on another thread
            raise ValueError("item 3")
        if i == 9:
            raise ValueError("item 9")
        return i

    got = []
    with pytest.raises(ValueError, match="item 3"):
        for value in map_in_order(work, feed(), 2, ahead=8):
            got.append(value)
    assert got == [0, 1, 2]
    assert max(taken) < 3 + 8 + 2  # the window, not the 1000 items


def test_an_error_from_the_feed_is_raised_at_its_place():
    def feed():
        yield from range(5)
        raise OSError("read failed at item 5")

    got = []
    with pytest.raises(OSError, match="item 5"):
        for value in map_in_order(lambda i: i, feed(), 2):
            got.append(value)
    assert got == [0, 1, 2, 3, 4]


def test_closing_early_stops_the_threads_and_takes_no_more_items():
    taken: list[int] = []

    def feed():
        for i in range(10_000):
            taken.append(i)
            yield i

    before = threading.active_count()
    results = map_in_order(lambda i: time.sleep(0.001) or i, feed(), 2, ahead=4)
    assert [next(results) for _ in range(3)] == [0, 1, 2]
    results.close()
    assert threading.active_count() == before  # close() returned after the threads stopped
    count = len(taken)
    time.sleep(0.05)
    assert len(taken) == count <= 3 + 4 + 2


# -- every encoder: the bytes of the serial path ----------------------------------------------------

_IMAGES = [
    # (array, description keywords)
    (np.random.default_rng(1).integers(0, 4096, (5, 48, 40)).astype("u2"), {"bits_stored": 12}),
    (np.random.default_rng(2).integers(0, 256, (5, 48, 40)).astype("u1"), {}),
    (np.random.default_rng(3).integers(-2000, 2000, (5, 48, 40)).astype("i2"), {}),
    (np.random.default_rng(4).integers(0, 256, (5, 48, 40, 3)).astype("u1"), {}),
]
_J2K_LOSSY = [{"j2k_cr": [10]}, {"j2k_psnr": [45]}]  # some codecs take only one of them
_LOSSY_OPTIONS = {
    "1.2.840.10008.1.2.4.81": [{"jls_error": 2}],
    "1.2.840.10008.1.2.4.91": _J2K_LOSSY,
    "1.2.840.10008.1.2.4.93": _J2K_LOSSY,
    "1.2.840.10008.1.2.4.203": _J2K_LOSSY,
}


def _encoders() -> list[tuple[str, str]]:
    uids = [*ENCODING_PROFILES, "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.8.1"]
    pairs = [("1.2.840.10008.1.2.1", "")]
    for uid in uids:
        pairs += [(uid, c.plugin) for c in manager.codecs(uid, "encode") if c.is_available]
    return sorted(set(pairs))


@pytest.mark.parametrize(("uid", "plugin"), _encoders(), ids=lambda v: lookup(v).keyword if "." in v else v or "core")
def test_two_workers_give_the_bytes_of_one_worker_for_every_encoder(uid, plugin):
    if lookup(uid).is_video:
        pytest.skip("a video is one stream (PS3.5 A.4.5): its frames are not encoded one by one")
    encoder = dp.get_encoder(uid)
    for (arr, description), options in itertools.product(_IMAGES, _LOSSY_OPTIONS.get(uid, [{}])):
        try:
            check_profile(dp.ImageDescription(
                arr.shape[1], arr.shape[2], 1 if arr.ndim == 3 else 3, 8 * arr.itemsize,
                description.get("bits_stored", 8 * arr.itemsize), int(arr.dtype.kind == "i"),
                "MONOCHROME2" if arr.ndim == 3 else "RGB", uid,
            ), uid)
            serial = list(encoder.iter_encode(arr, encoding_plugin=plugin, workers=1, **description, **options))
        except DicomPixelsError:
            continue  # this codec cannot encode this image: try the next one
        parallel = list(encoder.iter_encode(arr, encoding_plugin=plugin, workers=2, **description, **options))
        assert parallel == serial
        assert len(serial) == 5
        return
    pytest.skip(f"{plugin or 'the core'} encodes none of the test images as {lookup(uid).name}")


# -- ordering, the failing frame and memory through the public API ---------------------------------

STATE: dict[str, object] = {"fail": (), "threads": set(), "encoded": []}


def _slow_then_fast(arr: np.ndarray, frame: dp.EncodeFrame) -> bytes:
    """Frames 0-2 take longest, so that later frames finish first; sleeping releases the GIL."""
    time.sleep(0.1 if frame.index < 3 else 0.001 * (frame.index % 3))
    STATE["threads"].add(threading.current_thread().name)  # type: ignore[union-attr]
    if frame.index in STATE["fail"]:  # type: ignore[operator]
        raise ValueError(f"refused frame {frame.index}")
    STATE["encoded"].append(frame.index)  # type: ignore[union-attr]
    # A valid RLE frame: the frame's bytes are its index, so order is checked by decoding.
    from dicom_pixels_native.rle import encode_rle

    return encode_rle(arr, frame)


class _Sleeper:
    @hookimpl
    def dicom_pixels_register_codecs(self, registry):
        registry.add_encoder("RLELossless", f"{__name__}:_slow_then_fast", priority=1, releases_gil=True)


ACTIVE = {"now": 0, "most": 0}
_ACTIVE_LOCK = threading.Lock()


def _holds_the_gil(arr: np.ndarray, frame: dp.EncodeFrame) -> bytes:
    """Declared without releases_gil: like pylibjpeg-openjpeg, it must never run twice at once."""
    with _ACTIVE_LOCK:
        ACTIVE["now"] += 1
        ACTIVE["most"] = max(ACTIVE["most"], ACTIVE["now"])
    time.sleep(0.01)
    with _ACTIVE_LOCK:
        ACTIVE["now"] -= 1
    from dicom_pixels_native.rle import encode_rle

    return encode_rle(arr, frame)


class _GilHolder:
    @hookimpl
    def dicom_pixels_register_codecs(self, registry):
        registry.add_encoder("RLELossless", f"{__name__}:_holds_the_gil", priority=1)


def test_a_codec_that_holds_the_gil_is_never_called_from_two_threads_at_once(fresh_registry):
    if __name__ not in sys.modules:
        pytest.skip("the test module is not importable by name")
    name = dp.register(_GilHolder(), name="gilholder")
    try:
        ACTIVE.update(now=0, most=0)
        frames = _frames(12)
        encoded = list(dp.get_encoder("RLELossless").iter_encode(frames, workers=3, encoding_plugin="gilholder"))
        serial = list(dp.get_encoder("RLELossless").iter_encode(frames, workers=1, encoding_plugin="gilholder"))
    finally:
        fresh_registry.unregister(name)
    assert encoded == serial
    assert ACTIVE["most"] == 1


@pytest.fixture
def sleeper(fresh_registry):
    if __name__ not in sys.modules:
        pytest.skip("the test module is not importable by name")
    name = dp.register(_Sleeper(), name="sleeper")
    STATE.update(fail=(), threads=set(), encoded=[])
    yield name
    fresh_registry.unregister(name)


def _frames(count: int) -> np.ndarray:
    # Frame i holds the value i everywhere: decoding tells which frame landed where.
    return np.broadcast_to(np.arange(count, dtype="u1")[:, None, None], (count, 16, 16)).copy()


def test_iter_encode_yields_frames_in_order_from_several_threads(sleeper):
    frames = _frames(12)
    encoded = list(dp.get_encoder("RLELossless").iter_encode(frames, workers=3, encoding_plugin="sleeper"))
    decoded = [a for a, _ in dp.get_decoder("RLELossless").iter_array(
        encoded, rows=16, columns=16, samples_per_pixel=1, bits_allocated=8, bits_stored=8,
        pixel_representation=0, photometric_interpretation="MONOCHROME2", transfer_syntax_uid="RLELossless")]
    assert [int(a[0, 0]) for a in decoded] == list(range(12))
    assert STATE["encoded"] != sorted(STATE["encoded"])  # they did finish out of order
    assert len(STATE["threads"]) > 1


def test_the_default_is_one_thread_per_core_for_a_codec_that_releases_the_gil(sleeper, monkeypatch):
    import os

    monkeypatch.setattr(os, "cpu_count", lambda: 3)
    list(dp.get_encoder("RLELossless").iter_encode(_frames(12), encoding_plugin="sleeper"))
    names = STATE["threads"]
    assert len(names) > 1 and all(n == "MainThread" or n.startswith("dicom-pixels-") for n in names)


def test_the_lowest_failing_frame_is_reported_though_a_later_one_failed_first(sleeper):
    STATE["fail"] = (1, 3)  # frame 3 fails at once, frame 1 after 100 ms
    with pytest.raises(EncodeError, match=r"(?s)frame 1 .*refused frame 1"):
        list(dp.get_encoder("RLELossless").iter_encode(_frames(40), workers=2, encoding_plugin="sleeper"))
    assert max(STATE["encoded"]) <= 1 + 2 * 2  # nothing handed out past the window (2 per worker)


def test_transcode_with_a_failing_frame_reports_it_and_leaves_no_output(sleeper, tmp_path):
    src = tmp_path / "src.dcm"
    from pydicom import Dataset
    from pydicom.uid import ExplicitVRLittleEndian

    ds = Dataset()
    dp.set_pixel_data(ds, _frames(10), "MONOCHROME2", 8)
    ds.SOPClassUID, ds.SOPInstanceUID = "1.2.840.10008.5.1.4.1.1.7", "1.2.3.4"
    ds.file_meta = Dataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.save_as(src, enforce_file_format=True)
    STATE["fail"] = (4, 6)
    with pytest.raises(EncodeError, match="frame 4"):
        dp.transcode(src, tmp_path / "out.dcm", "RLELossless", encoding_plugin="sleeper", workers=2)
    assert not (tmp_path / "out.dcm").exists()


def test_closing_iter_encode_early_stops_its_threads(sleeper):
    before = threading.active_count()
    frames = dp.get_encoder("RLELossless").iter_encode(_frames(200), workers=2, encoding_plugin="sleeper")
    next(frames), next(frames)
    frames.close()
    assert threading.active_count() == before
    assert len(STATE["encoded"]) < 20


class _CountingFrames(np.ndarray):
    """An array whose frames, taken one by one by the encoder's feed, are counted."""

    taken = 0

    def __getitem__(self, key):
        if isinstance(key, (int, np.integer)):
            type(self).taken += 1
        return np.asarray(super().__getitem__(key))


def test_frames_in_flight_stay_within_the_window_whatever_the_frame_count(sleeper):
    arr = _frames(60).view(_CountingFrames)
    _CountingFrames.taken = 0
    ahead = []
    for written, _ in enumerate(dp.get_encoder("RLELossless").iter_encode(arr, workers=2,
                                                                           encoding_plugin="sleeper"), 1):
        ahead.append(_CountingFrames.taken - written)
    assert _CountingFrames.taken == 60
    assert max(ahead) <= 2 * 2 + 1  # the window (2 per worker), plus the frame in the caller's hands


# -- transcode, compress, CLI: the serial bytes ---------------------------------------------------


def _native_file(path, frames: int = 6):
    from pydicom import Dataset
    from pydicom.uid import ExplicitVRLittleEndian

    ds = Dataset()
    arr = np.random.default_rng(7).integers(-1000, 3000, (frames, 64, 48)).astype("i2")
    dp.set_pixel_data(ds, arr, "MONOCHROME2", 16)
    ds.SOPClassUID, ds.SOPInstanceUID = "1.2.840.10008.5.1.4.1.1.7", "1.2.3.4.5"
    ds.file_meta = Dataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.save_as(path, enforce_file_format=True)
    return path, arr


@pytest.mark.parametrize("uid", ["RLELossless", "JPEGLSLossless", "JPEG2000Lossless", "HTJ2KLossless"])
def test_transcode_compress_and_cli_write_the_serial_bytes_with_two_workers(uid, tmp_path):
    import pydicom

    from dicom_pixels.cli import main

    encoder = dp.get_encoder(uid)
    if not encoder.is_available:
        pytest.skip(f"no plugin encodes {uid}")
    src, arr = _native_file(tmp_path / "src.dcm")
    dp.transcode(src, tmp_path / "one.dcm", uid, workers=1)
    dp.transcode(src, tmp_path / "two.dcm", uid, workers=2)
    assert (tmp_path / "one.dcm").read_bytes() == (tmp_path / "two.dcm").read_bytes()
    assert main(["transcode", str(src), str(tmp_path / "cli.dcm"), "--to", uid, "--workers", "2"]) == 0
    assert (tmp_path / "cli.dcm").read_bytes() == (tmp_path / "one.dcm").read_bytes()
    np.testing.assert_array_equal(pydicom.dcmread(tmp_path / "two.dcm").pixel_array, arr)

    one, two = pydicom.dcmread(src), pydicom.dcmread(src)
    dp.compress(one, uid, workers=1, generate_instance_uid=False)
    dp.compress(two, uid, workers=2, generate_instance_uid=False)
    assert one.PixelData == two.PixelData


@pytest.mark.parametrize("workers", [0, -1, 1.5, True, "2"])
def test_a_bad_workers_value_is_refused_with_what_to_pass(workers):
    with pytest.raises(InvalidArgumentError, match="'workers' must be a positive integer"):
        dp.get_encoder("ExplicitVRLittleEndian").encode(np.zeros((2, 2), "u1"), workers=workers)


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_frames_read_into_reused_arrays_are_never_overwritten_while_being_encoded(sleeper, tmp_path, workers):
    """The feed decodes each frame into a ring of 2 x workers arrays (no page faults on new
    memory); the sleeper encodes frames 0-2 last, after sleeping with the array in hand, so
    a ring one array too short would encode a later frame's values in their place."""
    from pydicom import Dataset
    from pydicom.uid import ExplicitVRLittleEndian

    ds = Dataset()
    dp.set_pixel_data(ds, _frames(24), "MONOCHROME2", 8)
    ds.SOPClassUID, ds.SOPInstanceUID = "1.2.840.10008.5.1.4.1.1.7", "1.2.3.4"
    ds.file_meta = Dataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    src, out = tmp_path / "src.dcm", tmp_path / "out.dcm"
    ds.save_as(src, enforce_file_format=True)
    dp.transcode(src, out, "RLELossless", encoding_plugin="sleeper", workers=workers)
    np.testing.assert_array_equal(dp.pixel_array(out), _frames(24))
