"""Byte streams and the hostile inputs they meet (issue 15, stream parts).

Paths that are not regular files, deflated bombs inflated as a stream (memory measured
in a subprocess), a header over 4 GiB of native data (a sparse file), sequences nested
2000 deep with defined lengths, and file objects read by position.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import struct
import subprocess
import sys
import textwrap
import threading
import zlib

import numpy as np
import pytest

import dicom_pixels as dp
from dicom_pixels import reader
from dicom_pixels.errors import (
    DicomIsADirectoryError,
    InvalidDicomError,
    NotARegularFileError,
)
from dicom_pixels.reader import read_dicom
from dicom_pixels.source import open_source
from dicom_pixels.streams import FileObjectStream, InflatedStream, MemoryStream, open_stream
from dicom_pixels.writer import DataElement, encode_element, file_meta_bytes

from .streams_support import SECONDARY_CAPTURE, image_elements, run_in_forked_child

DEFLATED = "1.2.840.10008.1.2.1.99"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
IMPLICIT_LE = "1.2.840.10008.1.2"

# -- paths that are not regular files -----------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.dcm"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def read() -> None:
        try:
            dp.pixel_array(fifo)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    thread.join(10)
    if thread.is_alive():  # it blocked in open(): release it with a writer, then fail
        with open(fifo, "wb"):
            pass
        pytest.fail("reading a FIFO blocked")
    assert isinstance(outcome[0], NotARegularFileError), outcome
    assert "named pipe (FIFO), not a regular file" in str(outcome[0])


def test_a_device_and_a_directory_are_refused_with_typed_errors(tmp_path):
    if os.path.exists("/dev/zero"):
        with pytest.raises(NotARegularFileError, match="'/dev/zero' is a character device"):
            read_dicom("/dev/zero")
    with pytest.raises(DicomIsADirectoryError, match="is a directory") as info:
        open_source(tmp_path)
    assert isinstance(info.value, IsADirectoryError) and isinstance(info.value, InvalidDicomError)


# -- file objects ------------------------------------------------------------------------------


def test_a_file_object_is_read_by_position_on_its_descriptor_and_its_position_is_kept():
    path = dp.examples.get_path("rt_dose")
    with open(path, "rb") as f:
        f.seek(17)
        stream = open_stream(f)
        assert isinstance(stream, FileObjectStream) and stream._fd == f.fileno()
        assert stream.pread(128, 4) == b"DICM"
        assert f.tell() == 17
        assert np.array_equal(dp.pixel_array(f), dp.pixel_array(path))
        assert f.tell() == 17


def test_a_wrapper_with_a_foreign_descriptor_is_read_through_its_own_methods(tmp_path):
    """gzip.GzipFile answers fileno() with the *compressed* file's descriptor: not used."""
    data = dp.examples.get_path("ct").read_bytes()
    packed = tmp_path / "ct.dcm.gz"
    packed.write_bytes(gzip.compress(data))
    with gzip.open(packed, "rb") as f:
        stream = open_stream(f)
        assert stream._fd is None
        assert stream.pread(128, 4) == b"DICM"
        assert np.array_equal(dp.pixel_array(f), dp.pixel_array(data))


def test_streams_count_requests_and_bytes():
    stream = MemoryStream(bytes(1000), "<bytes>")
    stream.pread(0, 10)
    stream.preadinto(990, memoryview(bytearray(20)))
    assert (stream.requests, stream.bytes_read) == (2, 20)


# -- deflated datasets (PS3.5 A.5) --------------------------------------------------------------


def _deflated_file(path, zeros: int, rows: int = 4, cols: int = 4) -> np.ndarray:
    """A Deflated Explicit VR LE file: a private OB of *zeros* zero bytes before an image."""
    pixels = (np.arange(rows * cols) * 13 % 256).astype(np.uint8).reshape(rows, cols)
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    with open(path, "wb") as f:
        f.write(file_meta_bytes(DEFLATED, SECONDARY_CAPTURE, "1.2.3.4.5"))
        private = struct.pack("<HH2sHI", 0x0009, 0x1010, b"OB", 0, zeros)
        f.write(packer.compress(encode_element(DataElement(0x00090010, "LO", "BOMB")) + private))
        block = bytes(1 << 20)
        for start in range(0, zeros, len(block)):
            f.write(packer.compress(block[: min(len(block), zeros - start)]))
        tail = [e for e in image_elements(rows, cols, 1) if e.tag != 0x00280008]
        body = b"".join(encode_element(e) for e in sorted(tail, key=lambda e: e.tag))
        body += encode_element(DataElement(0x7FE00010, "OB", pixels.tobytes()))
        f.write(packer.compress(body) + packer.flush())
    return pixels


def test_a_deflated_file_reads_as_pydicom_reads_it(tmp_path):
    pydicom = pytest.importorskip("pydicom")
    path = tmp_path / "small.dcm"
    pixels = _deflated_file(path, zeros=100_000)
    assert np.array_equal(dp.pixel_array(path), pixels)
    assert np.array_equal(dp.pixel_array(path), pydicom.dcmread(path).pixel_array)
    with read_dicom(path) as dicom:
        # a read behind the bytes already dropped inflates again from the start
        assert dicom.read_at(dicom.pixel.offset, 16) == pixels.tobytes()
        early = dicom.file_meta[0x00020010].offset + 40
        assert dicom.read_at(early, 4) == dicom.read_at(early, 4)
        assert isinstance(dicom.stream, InflatedStream)
        assert dicom.read_at(dicom.pixel.offset, 16) == pixels.tobytes()
        raw = dicom.stream._raw
    assert raw.closed  # closing the file closes what it opened


def test_the_inflated_size_ceiling_is_checked_before_anything_is_kept(tmp_path, monkeypatch):
    path = tmp_path / "bomb.dcm"
    _deflated_file(path, zeros=3_000_000)
    monkeypatch.setattr(reader, "MAX_INFLATED_SIZE", 1_000_000)
    with pytest.raises(InvalidDicomError, match="inflates to more than 1000000 bytes"):
        dp.pixel_array(path)


def test_a_deflate_bomb_reads_its_frame_in_bounded_memory_and_time(tmp_path):
    """400 MiB of zeros deflated to ~400 KiB before a 4x4 image (issue 15's 3.9 GiB bomb,
    scaled): the peak memory of a fresh process grows by far less than the inflated size."""
    path = tmp_path / "bomb.dcm"
    pixels = _deflated_file(path, zeros=400 * 1024 * 1024)
    assert path.stat().st_size < 1024 * 1024
    script = textwrap.dedent(
        f"""
        import json, resource, sys, time
        import dicom_pixels as dp
        dp.pixel_array(dp.examples.get_path("ct"))   # imports and plugins loaded first
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        arr = dp.pixel_array({str(path)!r})
        seconds = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        json.dump({{"grew_kib": after - before, "seconds": seconds, "pixels": arr.tolist()}}, sys.stdout)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    print("deflate bomb:", result["grew_kib"], "KiB grown,", round(result["seconds"], 2), "s")
    assert result["pixels"] == pixels.tolist()
    # ~2x the legitimate output (16 bytes) plus a small constant: 1 MiB inflate chunks
    assert result["grew_kib"] < 24 * 1024, result
    assert result["seconds"] < 30, result


# -- native data and Number of Frames -----------------------------------------------------------


def test_a_one_pixel_header_over_4_gib_of_native_data_keeps_number_of_frames(tmp_path):
    """A sparse file: 1 frame of 1x1 8-bit pixels followed by ~4 GiB of data (issue 15)."""
    path = tmp_path / "sparse.dcm"
    head = file_meta_bytes(EXPLICIT_LE, SECONDARY_CAPTURE, "1.2.3.4.5") + b"".join(
        encode_element(e) for e in sorted(image_elements(1, 1, 1), key=lambda e: e.tag)
    )
    length = 0xFFFFFFFE
    with open(path, "wb") as f:
        f.write(head + struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OB", 0, length))
        f.truncate(len(head) + 12 + length)
    with pytest.warns(UserWarning, match=f"holds {length} frames.*returning the first 1"):
        arr = dp.pixel_array(path)
    assert arr.shape == (1, 1)
    with pytest.warns(UserWarning), open_source(path) as src:
        assert src.frame_count == 1
    with pytest.warns(UserWarning, match="as allow_excess_frames=True asks"), open_source(
        path, allow_excess_frames=True
    ) as src:
        assert src.frame_count == length  # only when asked for


# -- nesting ------------------------------------------------------------------------------------


def _nested_defined_length(depth: int) -> bytes:
    """Implicit VR LE: (0008,1140) Referenced Image Sequence, defined lengths, *depth* deep."""
    value = b""
    for _ in range(depth):
        item = struct.pack("<HHI", 0xFFFE, 0xE000, len(value)) + value
        value = struct.pack("<HHI", 0x0008, 0x1140, len(item)) + item
    return value


def test_defined_length_sequences_nested_2000_deep_end_in_a_typed_error(tmp_path):
    image = b"".join(
        struct.pack("<HHI", e.tag >> 16, e.tag & 0xFFFF, len(v)) + v
        for e in sorted(image_elements(2, 2, 1), key=lambda e: e.tag)
        for v in [encode_element(e)[8:]]
        if e.tag >> 16 == 0x0028 and e.tag != 0x00280008
    )
    pixels = struct.pack("<HHI", 0x7FE0, 0x0010, 4) + bytes(4)
    head = file_meta_bytes(IMPLICIT_LE, SECONDARY_CAPTURE, "1.2.3.4.5")
    path = tmp_path / "deep.dcm"
    path.write_bytes(head + _nested_defined_length(2000) + image + pixels)
    assert dp.pixel_array(path).shape == (2, 2)  # the reader skips it by its length
    with pytest.raises(InvalidDicomError, match="nested more than 64 sequences deep"):
        dp.transcode(path, tmp_path / "out.dcm", EXPLICIT_LE)


def test_read_dicom_takes_a_borrowed_inflated_stream(tmp_path):
    path = tmp_path / "small.dcm"
    pixels = _deflated_file(path, zeros=5000)
    with read_dicom(path) as first:
        again = read_dicom(first, specific_tags=[0x00090010])
        assert again.get(0x00090010) == "BOMB"
        assert again.read_at(again.pixel.offset, 16) == pixels.tobytes()
        again.close()
        assert first.read_at(first.pixel.offset, 16) == pixels.tobytes()


def test_io_bytesio_is_a_file_object_stream():
    data = dp.examples.get_path("ct").read_bytes()
    assert np.array_equal(dp.pixel_array(io.BytesIO(data)), dp.pixel_array(data))


@pytest.mark.skipif(sys.platform == "win32", reason="no fork on this platform")
def test_a_deflated_source_opened_before_fork_reads_in_the_forked_child(tmp_path):
    path = tmp_path / "small.dcm"
    pixels = _deflated_file(path, zeros=200_000)
    src = open_source(path)
    outcome = run_in_forked_child(lambda: src.read_frame(0)[0])
    src.close()
    assert outcome == ("ok", pixels.tobytes())


def test_reads_in_any_order_resume_from_kept_inflater_states(monkeypatch):
    """Forward jumps past a skipped value and reads behind dropped bytes resume from the
    inflater states kept by the first pass: the bytes are those of a plain inflate."""
    monkeypatch.setattr(InflatedStream, "SNAPSHOT_EVERY", 256 * 1024)
    rng = np.random.default_rng(14)
    dataset = b"".join(
        bytes(300_000) if i % 2 else rng.integers(0, 256, 50_000, dtype=np.uint8).tobytes() for i in range(40)
    )
    packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    stream = InflatedStream(MemoryStream(b"META" + packer.compress(dataset) + packer.flush(), "f"), 4, limit=10**8)
    assert stream.size == 4 + len(dataset) and len(stream._snapshots) >= 8
    for offset in [5_000_000, 10, 3_000_000, 3_000_010, 6_999_000, 1_234_567, 4]:
        length = min(70_000, 4 + len(dataset) - offset)
        assert stream.pread(offset, length) == (b"META" + dataset)[offset : offset + length], offset
    stream.retain_from(2_000_000)
    assert stream.pread(2_500_000, 100) == (b"META" + dataset)[2_500_000:2_500_100]
    assert stream.pread(1_000_000, 100) == (b"META" + dataset)[1_000_000:1_000_100]
    assert stream.pread(2_000_000, 600_000) == (b"META" + dataset)[2_000_000:2_600_000]
