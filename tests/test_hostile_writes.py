"""Writes that leave nothing behind (issue 15): kills, full disks, huge elements, deep nesting.

Every input is built byte by byte here; pydicom is the oracle for what a written file holds.
Kills and memory peaks are measured in real subprocesses.
"""

from __future__ import annotations

import hashlib
import os
import signal
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

pydicom = pytest.importorskip("pydicom", reason="pydicom is the test oracle")

import dicom_pixels as dp  # noqa: E402
from dicom_pixels import reader, writer  # noqa: E402
from dicom_pixels.errors import DicomPixelsError, InvalidDicomError, OutputWriteError  # noqa: E402
from dicom_pixels.reader import MAX_SEQUENCE_DEPTH  # noqa: E402
from dicom_pixels.writer import DataElement, atomic_output, file_meta_bytes, write_file  # noqa: E402

from .conftest import requires_encoder  # noqa: E402
from .filesystem_support import tmpfs  # noqa: E402

EXPLICIT_LE, IMPLICIT_LE, EXPLICIT_BE = "1.2.840.10008.1.2.1", "1.2.840.10008.1.2", "1.2.840.10008.1.2.2"
SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"
PRIVATE_CREATOR, PRIVATE_VALUE = 0x00090010, 0x00091010


def _image_elements(rows: int, columns: int, frames: int) -> list[DataElement]:
    return [
        DataElement(0x00080016, "UI", SECONDARY_CAPTURE),
        DataElement(0x00080018, "UI", "1.2.3.4"),
        DataElement(0x00280002, "US", 1),
        DataElement(0x00280004, "CS", "MONOCHROME2"),
        DataElement(0x00280008, "IS", frames),
        DataElement(0x00280010, "US", rows),
        DataElement(0x00280011, "US", columns),
        DataElement(0x00280100, "US", 16),
        DataElement(0x00280101, "US", 16),
        DataElement(0x00280102, "US", 15),
        DataElement(0x00280103, "US", 0),
    ]


def _native_file(path: Path, frames: np.ndarray) -> Path:
    write_file(path, _image_elements(*frames.shape[1:], frames.shape[0]), transfer_syntax_uid=EXPLICIT_LE,
               sop_class_uid=SECONDARY_CAPTURE, sop_instance_uid="1.2.3.4", pixel_data=frames.astype("<u2").tobytes())
    return path


def _header(tag: int, vr: str, length: int, ts: str) -> bytes:
    """An element header in *ts*'s encoding (PS3.5 7.1.2, 7.1.3)."""
    big = ts == EXPLICIT_BE
    order = ">" if big else "<"
    if ts == IMPLICIT_LE:
        return struct.pack("<HHI", tag >> 16, tag & 0xFFFF, length)
    if vr in ("OB", "OW", "SQ", "UN", "UT"):
        return struct.pack(order + "HH2sHI", tag >> 16, tag & 0xFFFF, vr.encode(), 0, length)
    return struct.pack(order + "HH2sH", tag >> 16, tag & 0xFFFF, vr.encode(), length)


def _element(tag: int, vr: str, value: bytes, ts: str) -> bytes:
    return _header(tag, vr, len(value), ts) + value


def _file_with_private_value(path: Path, ts: str, length: int, value: bytes | None = None) -> np.ndarray:
    """A 1-frame 8x8 image after a private OW element of *length* bytes (a hole when *value* is None)."""
    order = ">" if ts == EXPLICIT_BE else "<"
    pixels = np.arange(64, dtype="u2").reshape(8, 8)
    us = lambda v: struct.pack(order + "H", v)  # noqa: E731
    head = b"".join([
        _element(0x00080016, "UI", SECONDARY_CAPTURE.encode() + b"\x00", ts),
        _element(0x00080018, "UI", b"1.2.3.4\x00", ts),
        _element(PRIVATE_CREATOR, "LO", b"HOSTILE ", ts),
        _header(PRIVATE_VALUE, "OW", length, ts),
    ])
    tail = b"".join([
        _element(0x00280002, "US", us(1), ts),
        _element(0x00280004, "CS", b"MONOCHROME2 ", ts),
        _element(0x00280010, "US", us(8), ts),
        _element(0x00280011, "US", us(8), ts),
        _element(0x00280100, "US", us(16), ts),
        _element(0x00280101, "US", us(16), ts),
        _element(0x00280102, "US", us(15), ts),
        _element(0x00280103, "US", us(0), ts),
        _element(0x7FE00010, "OW", pixels.astype(order + "u2").tobytes(), ts),
    ])
    with open(path, "wb") as f:
        f.write(file_meta_bytes(ts, SECONDARY_CAPTURE, "1.2.3.4") + head)
        if value is None:
            f.seek(length, os.SEEK_CUR)  # a sparse hole: no disk, no memory to build it
        else:
            f.write(value)
        f.write(tail)
    return pixels


def _digest(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest() if hasattr(hashlib, "file_digest") \
            else hashlib.sha256(f.read()).hexdigest()


def _run_python(code: str, *args: str, env: dict[str, str] | None = None, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args],
                            env={**os.environ, **(env or {})}, **kwargs)


# -- a kill leaves nothing -----------------------------------------------------------------------

KILLED_TRANSCODE = """
    import sys
    import dicom_pixels as dp
    from dicom_pixels import writer
    writer._CAN_LINK_ANONYMOUS = sys.argv[3] == "anonymous"
    def progress(done, total):
        print(done, flush=True)
    dp.transcode(sys.argv[1], sys.argv[2], "RLELossless", encoding_plugin="native", progress=progress)
    print("finished", flush=True)
"""


@pytest.mark.parametrize("temporary", ["anonymous", "named"])
def test_a_transcode_killed_mid_write_leaves_the_destination_the_source_and_the_temp_dir_as_they_were(
    tmp_path, temporary
):
    requires_encoder("1.2.840.10008.1.2.5", "native")
    if temporary == "anonymous" and not writer._CAN_LINK_ANONYMOUS:
        pytest.skip("O_TMPFILE is not available here")
    frames = np.random.default_rng(1).integers(0, 4096, (80, 256, 256)).astype("u2")
    src = _native_file(tmp_path / "src.dcm", frames)
    source_digest = _digest(src)
    out_dir, temp_dir = tmp_path / "out", tmp_path / "tmp"
    out_dir.mkdir()
    temp_dir.mkdir()
    dst = out_dir / "dst.dcm"
    dst.write_bytes(b"the good file written yesterday")

    child = _run_python(KILLED_TRANSCODE, str(src), str(dst), temporary, stdout=subprocess.PIPE, text=True,
                        env={"TMPDIR": str(temp_dir), "TEMP": str(temp_dir), "TMP": str(temp_dir)})
    assert child.stdout is not None
    frames_done = [child.stdout.readline() for _ in range(10)]  # mid-volume: the spool holds frames
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert frames_done[-1].strip() == "10" and child.returncode == -signal.SIGKILL

    assert os.listdir(temp_dir) == []
    assert _digest(src) == source_digest
    assert dst.read_bytes() == b"the good file written yesterday"
    left = sorted(set(os.listdir(out_dir)) - {"dst.dcm"})
    if temporary == "anonymous":
        assert left == []  # O_TMPFILE: the temporary never had a name
    else:
        # Without O_TMPFILE the output's temporary is named after the dead process, and the
        # next write into the directory removes it once it is older than STALE_TEMP_AGE.
        assert len(left) == 1 and left[0].startswith(f".dicom-pixels-{child.pid}-")
        os.utime(out_dir / left[0], (0, 0))
        writer._CLEANED.discard(os.path.abspath(out_dir))
    dp.transcode(src, dst, "RLELossless", encoding_plugin="native")
    assert os.listdir(out_dir) == ["dst.dcm"]
    np.testing.assert_array_equal(dp.pixel_array(dst), frames)


def test_stale_temporaries_are_removed_only_when_old_and_their_process_has_ended(tmp_path, monkeypatch):
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                           text=True, check=True).stdout.strip()
    stale = tmp_path / f".dicom-pixels-{ended}-abc123.tmp"
    recent = tmp_path / f".dicom-pixels-{ended}-def456.tmp"
    alive = tmp_path / f".dicom-pixels-{os.getppid()}-ghi789.tmp"  # our parent still runs
    other = tmp_path / f".notes-{ended}.tmp"  # not our pattern
    for path in (stale, recent, alive, other):
        path.write_bytes(b"x")
    for path in (stale, alive, other):
        os.utime(path, (0, 0))
    monkeypatch.setattr(writer, "_CLEANED", set())
    with atomic_output(tmp_path / "new.dcm") as f:
        f.write(b"data")
    assert sorted(os.listdir(tmp_path)) == sorted([recent.name, alive.name, other.name, "new.dcm"])


def test_a_failure_inside_atomic_output_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    for anonymous in (True, False):
        if anonymous and not writer._CAN_LINK_ANONYMOUS:
            continue
        monkeypatch.setattr(writer, "_CAN_LINK_ANONYMOUS", anonymous)
        target = tmp_path / "frame.png"
        target.write_bytes(b"old")
        with pytest.raises(ValueError, match="encoder broke"), atomic_output(target) as f:
            f.write(b"partial")
            raise ValueError("encoder broke")
        assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["frame.png"]


def test_an_output_in_a_missing_directory_is_a_typed_error_naming_it(tmp_path):
    target = tmp_path / "missing" / "frame.npy"
    with pytest.raises(OutputWriteError, match=r"missing/frame\.npy.*No such file or directory"), \
            atomic_output(target) as f:
        f.write(b"never")
    assert os.listdir(tmp_path) == []


# -- a full disk -------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A 256 KiB tmpfs (needs root and the mount syscall); skipped where it cannot be mounted."""
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    with tmpfs(mount_point, "size=256k"):
        yield mount_point


@pytest.mark.parametrize("anonymous", [True, False])
def test_a_full_disk_raises_a_typed_error_keeps_the_existing_file_and_frees_every_block(
    small_disk, tmp_path, monkeypatch, anonymous
):
    if anonymous and not writer._CAN_LINK_ANONYMOUS:
        pytest.skip("O_TMPFILE is not available here")
    monkeypatch.setattr(writer, "_CAN_LINK_ANONYMOUS", anonymous)
    frames = np.random.default_rng(2).integers(0, 65535, (16, 128, 128)).astype("u2")  # 512 KiB
    src = _native_file(tmp_path / "src.dcm", frames)
    dst = small_disk / "dst.dcm"
    dst.write_bytes(b"good" * 1000)
    free_before = os.statvfs(small_disk).f_bfree

    with pytest.raises(OutputWriteError, match="dst.dcm.*No space left on device") as raised:
        dp.transcode(src, dst, "ExplicitVRLittleEndian")
    assert isinstance(raised.value, DicomPixelsError) and isinstance(raised.value, OSError)
    with pytest.raises(OutputWriteError, match="frame.npy"), atomic_output(small_disk / "frame.npy") as f:
        f.write(bytes(512 * 1024))

    assert os.listdir(small_disk) == ["dst.dcm"]
    assert dst.read_bytes() == b"good" * 1000
    assert os.statvfs(small_disk).f_bfree == free_before  # no hidden file holds blocks


# -- a huge element before the pixels -----------------------------------------------------------

PEAK_TRANSCODE = """
    import resource, sys
    import dicom_pixels as dp
    dp.transcode(sys.argv[1], sys.argv[2], "ExplicitVRLittleEndian")
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""


def _peak_rss_transcoding(src: Path, dst: Path) -> int:
    child = _run_python(PEAK_TRANSCODE, str(src), str(dst), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                        text=True)
    out, err = child.communicate(timeout=300)
    assert child.returncode == 0, err
    return int(out)


@pytest.mark.parametrize("ts", [EXPLICIT_LE, IMPLICIT_LE])
def test_a_256_mib_private_element_before_the_pixels_is_copied_without_being_held(tmp_path, ts):
    huge = 256 * 1024 * 1024
    small_src, big_src = tmp_path / "small.dcm", tmp_path / "big.dcm"
    _file_with_private_value(small_src, ts, 16, bytes(16))
    pixels = _file_with_private_value(big_src, ts, huge)  # a sparse file: 256 MiB of zeros
    baseline = _peak_rss_transcoding(small_src, tmp_path / "small_out.dcm")
    peak = _peak_rss_transcoding(big_src, tmp_path / "big_out.dcm")
    assert peak - baseline < 32 * 1024 * 1024, f"peak RSS {peak} bytes, {baseline} without the element"
    np.testing.assert_array_equal(dp.pixel_array(tmp_path / "big_out.dcm"), pixels)
    written = (tmp_path / "big_out.dcm").stat().st_size
    assert written - (tmp_path / "small_out.dcm").stat().st_size == huge - 16


@pytest.mark.parametrize("ts", [EXPLICIT_LE, IMPLICIT_LE, EXPLICIT_BE])
def test_long_values_copied_in_chunks_are_the_source_values(tmp_path, ts):
    """Values over the 64 KiB kept in memory go through the chunked copy (and byte swap)."""
    words = np.random.default_rng(3).integers(0, 65535, 1_500_000).astype("u2")  # 3 MiB: 3 chunks
    order = ">" if ts == EXPLICIT_BE else "<"
    src, dst = tmp_path / "src.dcm", tmp_path / "dst.dcm"
    pixels = _file_with_private_value(src, ts, words.nbytes, words.astype(order + "u2").tobytes())
    dp.transcode(src, dst, "ExplicitVRLittleEndian")
    written = pydicom.dcmread(dst)
    assert written.file_meta.TransferSyntaxUID == EXPLICIT_LE
    assert written[PRIVATE_VALUE].value == words.astype("<u2").tobytes()
    np.testing.assert_array_equal(written.pixel_array, pixels)


# -- deep nesting --------------------------------------------------------------------------------


def _nested_implicit_file(path: Path, depth: int, defined: bool = True) -> None:
    """Implicit VR: a Referenced Image Sequence nested *depth* deep (PS3.5 7.5.1), of defined
    lengths or (*defined* false) undefined ones with their delimiters."""
    content = _element(0x00080100, "SH", b"INNER ", IMPLICIT_LE)
    undefined = 0xFFFFFFFF
    for _ in range(depth):
        if defined:
            item = struct.pack("<HHI", 0xFFFE, 0xE000, len(content)) + content
            content = struct.pack("<HHI", 0x0008, 0x1140, len(item)) + item
        else:
            item = struct.pack("<HHI", 0xFFFE, 0xE000, undefined) + content + struct.pack("<HHI", 0xFFFE, 0xE00D, 0)
            content = struct.pack("<HHI", 0x0008, 0x1140, undefined) + item + struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)
    pixels = struct.pack("<HHI", 0x7FE0, 0x0010, 8) + bytes(8)
    elements = [
        _element(0x00080016, "UI", SECONDARY_CAPTURE.encode() + b"\x00", IMPLICIT_LE),
        _element(0x00080018, "UI", b"1.2.3.4\x00", IMPLICIT_LE),
        _element(0x00280002, "US", struct.pack("<H", 1), IMPLICIT_LE),
        _element(0x00280004, "CS", b"MONOCHROME2 ", IMPLICIT_LE),
        _element(0x00280010, "US", struct.pack("<H", 2), IMPLICIT_LE),
        _element(0x00280011, "US", struct.pack("<H", 2), IMPLICIT_LE),
        _element(0x00280100, "US", struct.pack("<H", 16), IMPLICIT_LE),
        _element(0x00280101, "US", struct.pack("<H", 16), IMPLICIT_LE),
        _element(0x00280102, "US", struct.pack("<H", 15), IMPLICIT_LE),
        _element(0x00280103, "US", struct.pack("<H", 0), IMPLICIT_LE),
    ]
    body = b"".join(elements[:2]) + content + b"".join(elements[2:]) + pixels
    path.write_bytes(file_meta_bytes(IMPLICIT_LE, SECONDARY_CAPTURE, "1.2.3.4") + body)


@pytest.mark.parametrize("defined", [True, False], ids=["defined-lengths", "undefined-lengths"])
def test_a_sequence_nested_2000_deep_is_refused_with_a_typed_error_naming_file_and_element(tmp_path, defined):
    src, dst = tmp_path / "deep.dcm", tmp_path / "out" / "deep.dcm"
    dst.parent.mkdir()
    _nested_implicit_file(src, 2000, defined)
    with pytest.raises(InvalidDicomError, match=rf"\(0008,1140\).*deep\.dcm.*{MAX_SEQUENCE_DEPTH}"):
        dp.transcode(src, dst, "ExplicitVRLittleEndian")
    assert os.listdir(dst.parent) == []


def test_a_limit_raised_past_pythons_stack_still_ends_in_a_typed_error(tmp_path, monkeypatch):
    src, dst = tmp_path / "deep.dcm", tmp_path / "out.dcm"
    _nested_implicit_file(src, 2000)
    monkeypatch.setattr(reader, "MAX_SEQUENCE_DEPTH", 10**6)
    # 2000 levels need about 4000 Python frames, beyond the default recursion limit of 1000.
    with pytest.raises(InvalidDicomError, match=r"deep\.dcm are nested too deeply.*MAX_SEQUENCE_DEPTH = 1000000"):
        dp.transcode(src, dst, "ExplicitVRLittleEndian")
    assert not dst.exists()


def test_a_sequence_nested_to_the_limit_is_transcoded_item_by_item(tmp_path):
    src, dst = tmp_path / "deep.dcm", tmp_path / "deep_out.dcm"
    _nested_implicit_file(src, MAX_SEQUENCE_DEPTH)
    dp.transcode(src, dst, "ExplicitVRLittleEndian")
    node, depth = pydicom.dcmread(dst), 0
    while "ReferencedImageSequence" in node:
        node, depth = node.ReferencedImageSequence[0], depth + 1
    assert depth == MAX_SEQUENCE_DEPTH and node.CodeValue == "INNER"



def test_atomic_output_flushes_in_the_background_while_writing_and_stops_its_thread(tmp_path, monkeypatch):
    import threading
    import time

    from dicom_pixels import writer

    synced: list[int] = []
    real = os.fdatasync
    monkeypatch.setattr(os, "fdatasync", lambda fd: synced.append(fd) or real(fd))
    monkeypatch.setattr(writer, "WRITEBACK_INTERVAL", 0.01)
    with writer.atomic_output(tmp_path / "small.bin") as out:  # under WRITEBACK_BYTES: never flushed early
        for _ in range(5):
            out.write(b"x" * 65536)
            time.sleep(0.01)
    assert synced == []
    monkeypatch.setattr(writer, "WRITEBACK_BYTES", 256 * 1024)
    with writer.atomic_output(tmp_path / "out.bin") as out:
        for _ in range(20):
            out.write(b"x" * 65536)
            time.sleep(0.01)
    assert synced, "no background flush while the content was written"
    assert not [t for t in threading.enumerate() if t.name == "dicom-pixels-writeback"]
    assert (tmp_path / "out.bin").stat().st_size == 20 * 65536
    with pytest.raises(ZeroDivisionError), writer.atomic_output(tmp_path / "other.bin") as out:
        out.write(b"y")
        1 / 0  # noqa: B018
    assert not [t for t in threading.enumerate() if t.name == "dicom-pixels-writeback"]
    assert not (tmp_path / "other.bin").exists()


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to list open descriptors")
def test_the_replaced_file_is_released_after_the_rename_not_before_and_not_never(tmp_path):
    import threading

    from dicom_pixels import writer

    target = tmp_path / "out.dcm"
    target.write_bytes(b"old" * 100_000)
    with writer.atomic_output(target) as out:
        out.write(b"new")
    assert target.read_bytes() == b"new"
    for thread in [t for t in threading.enumerate() if t.name == "dicom-pixels-release"]:
        thread.join(5)

    def held() -> list[str]:
        links = []
        for fd in os.listdir("/proc/self/fd"):
            try:
                links.append(os.readlink(f"/proc/self/fd/{fd}"))
            except OSError:
                pass
        return [link for link in links if link.startswith(str(target))]

    assert held() == []  # the old file's descriptor was closed (its blocks freed)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with writer.atomic_output(fifo) as out:  # replaced like any name; the FIFO is never opened
        out.write(b"x")
    assert fifo.read_bytes() == b"x" and held() == []
