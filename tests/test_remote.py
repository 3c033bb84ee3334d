"""Remote sources (issue 14 point 2): URLs and fsspec files, read with few range requests.

Against a real HTTP server with Range support on 127.0.0.1 (counting requests and bytes)
and fsspec's memory filesystem; a 2,000-frame RLE file with a Basic Offset Table is built
byte by byte.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

import dicom_pixels as dp
from dicom_pixels.errors import DicomFileNotFoundError, MissingDependencyError
from dicom_pixels.source import open_source

from .streams_support import (
    RLE_LOSSLESS,
    RangeServer,
    frame_pixels,
    run_in_forked_child,
    write_rle_slide,
)

fsspec = pytest.importorskip("fsspec", reason="remote sources need fsspec: pip install 'dicom-pixels[remote]'")
pytest.importorskip("aiohttp", reason="fsspec's HTTP filesystem needs aiohttp")

FRAMES = 2000
ROWS = COLS = 64


@pytest.fixture(scope="module")
def slide(tmp_path_factory):
    return write_rle_slide(tmp_path_factory.mktemp("remote") / "slide.dcm", FRAMES, ROWS, COLS)


@pytest.fixture(scope="module")
def server(slide):
    server = RangeServer()
    server.files["/slide.dcm"] = slide.read_bytes()
    server.files["/ct.dcm"] = dp.examples.get_path("ct").read_bytes()
    yield server
    server.close()


def _frame_length(slide, index):
    with open_source(slide) as src:
        return src.encoded_length(index)


def test_one_frame_over_http_equals_the_local_frame_and_pydicom(server, slide):
    from pydicom.pixels import pixel_array as pydicom_pixel_array

    url = server.url("/slide.dcm")
    for index in (0, 1234, FRAMES - 1):
        remote = dp.pixel_array(url, index=index)
        assert np.array_equal(remote, frame_pixels(index, ROWS, COLS))
        assert np.array_equal(remote, dp.pixel_array(slide, index=index))
    assert np.array_equal(dp.pixel_array(url, index=77), pydicom_pixel_array(str(slide), index=77))


def test_a_walk_over_item_headers_is_a_few_coalesced_requests_not_one_per_item(server):
    server.reset()
    with open_source(server.url("/slide.dcm")) as src:
        assert src.frame_count == FRAMES
        stream = src.dicom.stream
        frame, _ = src.read_frame(1500)
    assert frame.startswith(b"\x01\x00\x00\x00")  # one RLE segment
    # the server saw what the stream counted: no hidden reads through fsspec caches
    assert server.requests == stream.requests
    assert server.bytes_served == stream.bytes_read
    assert server.requests <= 25, server.requests


def test_one_frame_of_a_2000_frame_file_with_an_offset_table_costs_a_few_requests(server, slide):
    frame_length = _frame_length(slide, 1234)
    server.reset()
    arr = dp.pixel_array(server.url("/slide.dcm"), index=1234)
    assert np.array_equal(arr, frame_pixels(1234, ROWS, COLS))
    assert server.requests <= 6, server.requests
    assert server.bytes_served <= frame_length + 256 * 1024, server.bytes_served


def test_the_reads_of_a_frame_located_from_the_offset_table_fit_the_budget(server, slide):
    """What frame location costs once it reads the table and one item header (PS3.5 A.4):
    the stream's planning (a large first header read, small reads in small blocks, the
    frame in one request) keeps one frame within a few requests and frame + 256 KiB."""
    import struct

    from dicom_pixels.reader import read_dicom

    server.reset()
    with read_dicom(server.url("/slide.dcm"), specific_tags=()) as dicom:
        start = dicom.pixel.offset
        _, _, table_length = struct.unpack("<HHI", dicom.read_at(start, 8))
        offsets = struct.unpack(f"<{table_length // 4}I", dicom.read_at(start + 8, table_length))
        item = start + 8 + table_length + offsets[1234]
        tag_group, tag_element, length = struct.unpack("<HHI", dicom.read_at(item, 8))
        frame = dicom.read_at(item + 8, length)
        assert (tag_group, tag_element) == (0xFFFE, 0xE000)
        assert dicom.stream.requests == server.requests
    with open_source(slide) as src:
        assert frame == src.read_frame(1234)[0]
    assert server.requests <= 6, server.requests
    assert server.bytes_served <= length + 256 * 1024, server.bytes_served


def test_a_native_frame_over_http_reads_the_header_and_the_frame_only(server):
    server.reset()
    arr = dp.pixel_array(server.url("/ct.dcm"))
    assert np.array_equal(arr, dp.pixel_array(dp.examples.get_path("ct")))
    size = len(server.files["/ct.dcm"])
    assert server.requests <= 4
    assert server.bytes_served <= size + 1  # each byte at most once


def test_iter_pixels_open_source_and_the_decoder_accept_urls(server, slide):
    url = server.url("/slide.dcm")
    frames = dp.iter_pixels(url, indices=[3, 999])
    assert [int(a[0, 0]) for a in frames] == [int(frame_pixels(i, ROWS, COLS)[0, 0]) for i in (3, 999)]
    with open_source(url) as src:
        assert src.image.rows == ROWS and src.name == url
    arr, _ = dp.get_decoder(RLE_LOSSLESS).as_array(url, index=5)
    assert np.array_equal(arr, frame_pixels(5, ROWS, COLS))


def test_storage_options_reach_fsspec(server):
    server.reset()
    dp.pixel_array(server.url("/ct.dcm"), storage_options={"headers": {"X-Dicom-Pixels-Test": "yes"}})
    assert server.headers and all(h.get("X-Dicom-Pixels-Test") == "yes" for h in server.headers)


def test_http_404_is_a_file_not_found_error_that_is_ours(server):
    with pytest.raises(DicomFileNotFoundError, match="No such file.*missing.dcm") as info:
        dp.pixel_array(server.url("/missing.dcm"))
    assert isinstance(info.value, FileNotFoundError)
    assert isinstance(info.value, dp.errors.DicomPixelsError)


def test_memory_filesystem_url_and_fsspec_file_object(slide):
    data = slide.read_bytes()
    with fsspec.open("memory://test_remote/slide.dcm", "wb") as f:
        f.write(data)
    expected = frame_pixels(42, ROWS, COLS)
    assert np.array_equal(dp.pixel_array("memory://test_remote/slide.dcm", index=42), expected)
    with fsspec.open("memory://test_remote/slide.dcm", "rb") as f:
        f.seek(1000)
        assert np.array_equal(dp.pixel_array(f, index=42), expected)
        assert f.tell() == 1000  # its filesystem and path are read, not its position
        with open_source(f) as src:
            assert src.dicom.stream.requests >= 1


def test_a_missing_fsspec_names_the_extra_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "fsspec", None)  # `import fsspec` raises ImportError
    with pytest.raises(MissingDependencyError, match=r'pip install "dicom-pixels\[remote\]"'):
        dp.pixel_array("https://example.invalid/a.dcm")


@pytest.mark.skipif(sys.platform == "win32", reason="no fork on this platform")
def test_a_url_source_opened_before_fork_reads_in_the_forked_child(server):
    src = open_source(server.url("/slide.dcm"))
    assert np.array_equal(dp.pixel_array(src, index=10), frame_pixels(10, ROWS, COLS))
    outcome = run_in_forked_child(
        lambda: bool(np.array_equal(dp.pixel_array(src, index=FRAMES - 2), frame_pixels(FRAMES - 2, ROWS, COLS))),
        timeout=120,
    )
    src.close()
    assert outcome == ("ok", True)


def test_a_server_error_or_a_server_without_range_support_is_a_typed_error(server):
    from dicom_pixels.errors import RemoteReadError

    server.files["/broken.dcm"] = server.files["/ct.dcm"]
    server.failing["/broken.dcm"] = 500
    try:
        with pytest.raises(RemoteReadError, match="Unable to read 'http.*broken.dcm'") as info:
            dp.pixel_array(server.url("/broken.dcm"))
        assert isinstance(info.value, OSError) and isinstance(info.value, dp.errors.DicomPixelsError)
    finally:
        del server.failing["/broken.dcm"]
    server.ignore_range = True
    try:
        with pytest.raises(dp.errors.DicomPixelsError, match="range|Range"):
            dp.pixel_array(server.url("/slide.dcm"), index=3)
    finally:
        server.ignore_range = False
