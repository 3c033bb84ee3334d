"""Random frames cost O(1) with an offset table; without one the fragments are walked once.

Files are built byte by byte (PS3.10 header, PS3.5 A.4 encapsulated value) with
a Basic Offset Table, an Extended Offset Table (PS3.3 C.7.6.3.1.8) or none, and
read through a file object that counts every read; pydicom is the oracle for
frame boundaries and pixels. The hostile layouts of the fragment-flood attack
(a frame followed by millions of empty items) are built at a size that runs in
seconds, and their cost is measured in reads and traced memory.
"""

from __future__ import annotations

import functools
import io
import pickle
import struct
import threading
import tracemalloc
import warnings

import numpy as np
import pytest

import dicom_pixels as dp
from dicom_pixels import encaps, frame_index
from dicom_pixels.errors import InvalidDicomError
from dicom_pixels.frame_index import INDEX_CACHE, FrameIndex, FrameIndexCache
from dicom_pixels.source import open_source
from dicom_pixels.writer import DataElement, encode_element, file_meta_bytes

RLE = "1.2.840.10008.1.2.5"
JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
ITEM = b"\xfe\xff\x00\xe0"
EMPTY_ITEM = ITEM + bytes(4)
DELIMITER = b"\xfe\xff\xdd\xe0" + bytes(4)


class CountingFile(io.BytesIO):
    """A binary file object counting the reads it serves and the bytes they return."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.reads = 0
        self.bytes_read = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.reads += 1
        self.bytes_read += len(chunk)
        return chunk

    def readinto(self, buffer):
        n = super().readinto(buffer)
        self.reads += 1
        self.bytes_read += n
        return n


def _item(data: bytes) -> bytes:
    return ITEM + struct.pack("<I", len(data)) + data


@functools.lru_cache(maxsize=8)
def _rle_frames(count: int, rows: int = 8, cols: int = 8) -> tuple[list[bytes], np.ndarray]:
    """`count` distinct 8-bit frames and their RLE encodings (the native plugin's encoder;
    kept between tests, which do not change them)."""
    from dicom_pixels.codec import EncodeFrame
    from dicom_pixels.description import ImageDescription
    from dicom_pixels_native.rle import encode_rle

    arr = (np.arange(count)[:, None, None] * 7 + np.arange(rows * cols).reshape(rows, cols)) % 251
    arr = arr.astype(np.uint8)
    image = ImageDescription(rows, cols, 1, 8, 8, 0, "MONOCHROME2", RLE)
    frames = [encode_rle(frame, EncodeFrame(image=image, index=i, options={})) for i, frame in enumerate(arr)]
    return frames, arr


def _part10(value: bytes, frames: int, rows: int, cols: int, *, ts: str = RLE,
            extended: tuple[bytes, bytes] | None = None) -> bytes:
    """A Part 10 file of 8-bit monochrome frames whose Pixel Data value is `value`."""
    elements = [
        DataElement(0x00280002, "US", 1), DataElement(0x00280004, "CS", "MONOCHROME2"),
        DataElement(0x00280008, "IS", frames), DataElement(0x00280010, "US", rows),
        DataElement(0x00280011, "US", cols), DataElement(0x00280100, "US", 8),
        DataElement(0x00280101, "US", 8), DataElement(0x00280102, "US", 7),
        DataElement(0x00280103, "US", 0),
    ]
    if extended is not None:
        elements += [DataElement(0x7FE00001, "OV", extended[0]), DataElement(0x7FE00002, "OV", extended[1])]
    header = file_meta_bytes(ts, "1.2.840.10008.5.1.4.1.1.7", "1.2.3")
    body = b"".join(encode_element(element) for element in elements)
    pixel_header = struct.pack("<HH2sHL", 0x7FE0, 0x0010, b"OB", 0, 0xFFFFFFFF)
    return header + body + pixel_header + value + DELIMITER


def _at_value(data: bytes, value: bytes) -> io.BytesIO:
    """The file positioned at the Pixel Data value, so that errors give offsets in the file."""
    f = io.BytesIO(data)
    f.seek(len(data) - len(DELIMITER) - len(value))
    return f


def _file_with_table(table: str, count: int = 2000) -> tuple[bytes, np.ndarray, list[bytes]]:
    frames, arr = _rle_frames(count)
    if table == "extended":
        value, offsets, lengths = encaps.encapsulate_extended(frames)
        return _part10(value, count, 8, 8, extended=(offsets, lengths)), arr, frames
    value = encaps.encapsulate(frames, has_bot=table == "basic")
    return _part10(value, count, 8, 8), arr, frames


@pytest.fixture(autouse=True)
def _empty_cache():
    INDEX_CACHE.clear()
    yield
    INDEX_CACHE.clear()


# O(1) random frames with an offset table -------------------------------------------------


@pytest.mark.parametrize("table", ["basic", "extended"])
def test_one_frame_of_a_2000_frame_file_reads_the_table_one_item_header_and_the_frame(table):
    data, arr, frames = _file_with_table(table)
    for index in (0, 1234, 1999):
        f = CountingFile(data)
        with open_source(f) as src:
            header_reads, header_bytes = f.reads, f.bytes_read
            assert src.frame_count == 2000
            encoded, _ = src.read_frame(index)
        assert encoded == frames[index] + b"\x00" * (len(frames[index]) % 2)
        reads, nbytes = f.reads - header_reads, f.bytes_read - header_bytes
        # the Basic Offset Table item's header and, for a basic table, the frame's two
        # entries (not the 2,000), the frame's item header, the next header (the
        # delimiter after the last frame) and the frame itself
        table_bytes = 8 + (8 if table == "basic" else 0)
        assert reads <= 5, reads
        assert nbytes <= table_bytes + 2 * 8 + len(encoded), nbytes
        # the public call: a handful of reads besides the header
        f = CountingFile(data)
        np.testing.assert_array_equal(dp.pixel_array(f, index=index), arr[index])
        assert f.reads <= header_reads + 5
        assert f.bytes_read <= header_bytes + table_bytes + 2 * 8 + len(encoded)


def test_frames_located_from_the_tables_equal_pydicoms_frames(tmp_path):
    pydicom = pytest.importorskip("pydicom", reason="pydicom is the oracle")
    for table in ("basic", "extended", "none"):
        data, arr, _ = _file_with_table(table, count=40)
        path = tmp_path / f"{table}.dcm"
        path.write_bytes(data)
        ds = pydicom.dcmread(path)
        for index in (0, 17, 39):
            expected = pydicom.pixels.pixel_array(path, index=index)
            np.testing.assert_array_equal(expected, arr[index])
            np.testing.assert_array_equal(dp.pixel_array(path, index=index), expected)
        np.testing.assert_array_equal(dp.pixel_array(path), ds.pixel_array)


def test_a_path_reads_header_table_and_frame_only(tmp_path):
    data, _arr, _frames = _file_with_table("basic")
    path = tmp_path / "slide.dcm"
    path.write_bytes(data)
    with open_source(path, specific_tags=()) as src:
        after_header = src.dicom.bytes_read
        encoded, _ = src.read_frame(1500)
        assert src.dicom.bytes_read - after_header <= 8 + 8 + 16 + len(encoded)
        assert src.frame_index is None  # nothing was walked


def test_a_source_reading_many_frames_walks_the_items_once_instead_of_locating_each():
    from dicom_pixels import source

    data, arr, frames = _file_with_table("basic", count=300)
    f = CountingFile(data)
    with open_source(f) as src:
        header_reads = f.reads
        encoded = [src.read_frame(i)[0] for i in range(300)]
        assert src.frame_index is not None and len(src.frame_index) == 300
    assert encoded == [frame + b"\x00" * (len(frame) % 2) for frame in frames]
    lookups = source._TABLE_LOOKUPS_BEFORE_WALK
    # the first frames located from the table (up to 4 reads each), then one walk of
    # 300 item headers and the delimiter, then one read per frame
    assert f.reads - header_reads <= 1 + 4 * lookups + 301 + 300
    np.testing.assert_array_equal(dp.pixel_array(io.BytesIO(data)), arr)


@pytest.mark.parametrize(
    ("offsets", "message"),
    [
        ([0, 20, 10], "entry 2 (10) is not greater than entry 1 (20)"),
        ([0, 6, 20], "entry 1 (6, byte offset"),
        ([0, 10, 900], "entry 2 (900"),
    ],
    ids=["not-increasing", "inside-a-fragment", "past-the-end"],
)
def test_a_basic_offset_table_that_proves_wrong_gives_the_walks_error(offsets, message):
    fragments = [b"ab", b"cd", b"ef"]
    value = _item(struct.pack("<3I", *offsets)) + b"".join(_item(f) for f in fragments)
    data = _part10(value, 3, 1, 2)
    with pytest.raises(InvalidDicomError) as walked:
        list(encaps.generate_frames(_at_value(data, value)))
    assert message in str(walked.value)
    with open_source(io.BytesIO(data)) as src, pytest.raises(InvalidDicomError) as lazily:
        for index in range(src.frame_count):
            src.read_frame(index)
    assert str(lazily.value) == str(walked.value)


def test_an_extended_offset_table_that_proves_wrong_gives_the_walks_error():
    value, offsets, _lengths = encaps.encapsulate_extended([b"ab", b"cd"])
    bad_lengths = struct.pack("<2Q", 2, 40)  # the second frame's length exceeds its item
    data = _part10(value, 2, 1, 2, extended=(offsets, bad_lengths))
    with pytest.raises(InvalidDicomError) as walked:
        list(encaps.generate_frames(_at_value(data, value), extended_offsets=(offsets, bad_lengths)))
    with open_source(io.BytesIO(data)) as src:
        assert src.read_frame(0)[0] == b"ab"  # checked lazily: the first frame is fine
        with pytest.raises(InvalidDicomError) as lazily:
            src.read_frame(1)
    assert str(lazily.value) == str(walked.value)
    assert "larger than the fragment item" in str(lazily.value)


def test_frames_of_several_fragments_and_empty_items_are_located_from_the_table():
    frames = [[b"ab", b"", b"cd"], [b""], [b"ef", b"gh", b"", b""]]
    body, offsets = b"", []
    for fragments in frames:
        offsets.append(len(body))
        body += b"".join(_item(f) for f in fragments)
    value = _item(struct.pack(f"<{len(offsets)}I", *offsets)) + body
    import pydicom.encaps as reference

    expected = list(reference.generate_frames(value))
    assert expected == [b"abcd", b"", b"efgh"]
    with open_source(io.BytesIO(_part10(value, 3, 1, 2))) as src:
        assert [src.read_frame(i)[0] for i in range(3)] == expected
        assert [src.encoded_length(i) for i in range(3)] == [4, 0, 4]
        assert src.frame_index is None


def test_a_frame_of_many_fragments_is_read_with_one_read():
    frame = bytes(range(200))
    value = encaps.encapsulate([frame, frame[::-1]], fragments_per_frame=50)
    with open_source(io.BytesIO(_part10(value, 2, 10, 20, ts=JPEG_BASELINE))) as src:
        assert src.read_frame(1)[0] == frame[::-1]
        ranges = src._fragment_ranges(1)
        assert len(ranges) == 50
        reads: list[int] = []

        def counting_read_at(offset, length):
            reads.append(length)
            return src._read_at(offset, length)

        # one read of the frame's span; the item headers between fragments are cut out
        assert frame_index.read_ranges(ranges, counting_read_at) == frame[::-1]
        assert reads == [200 + 49 * 8]


# Without a table: indexed once per file --------------------------------------------------


def test_without_a_table_the_index_is_built_once_and_reused_across_opens(tmp_path):
    data, arr, _frames = _file_with_table("none")
    path = tmp_path / "no_table.dcm"
    path.write_bytes(data)
    with open_source(path) as first:
        header = first.dicom.bytes_read
        first.read_frame(7)
        walked = first.dicom.bytes_read - header
        assert isinstance(first.frame_index, FrameIndex) and len(first.frame_index) == 2000
    assert walked >= 2000 * 8  # every item header
    assert len(INDEX_CACHE) == 1
    for index in (3, 1999):
        with open_source(path) as again:
            header = again.dicom.bytes_read
            encoded, _ = again.read_frame(index)
            # the (empty) Basic Offset Table item's header, then the frame only
            assert again.dicom.bytes_read - header == 8 + len(encoded)
            assert again.frame_index is first.frame_index
        np.testing.assert_array_equal(dp.pixel_array(path, index=index), arr[index])


def test_the_warnings_of_an_index_are_given_again_when_it_comes_from_the_cache(tmp_path):
    # no offset table, more fragments than frames, and no JPEG EOI marker at the end
    jpeg = [b"\xff\xd8ab\xff\xd9", b"\xff\xd8cd", b"ef"]
    path = tmp_path / "no_eoi.dcm"
    path.write_bytes(_part10(_item(b"") + b"".join(_item(f) for f in jpeg), 2, 8, 8, ts=JPEG_BASELINE))
    for _ in range(2):
        with pytest.warns(UserWarning, match="without a JPEG EOI/EOC marker"), open_source(path) as src:
            assert src.read_frame(1)[0] == b"\xff\xd8cdef"
    assert len(INDEX_CACHE) == 1


def test_a_changed_file_is_indexed_again(tmp_path):
    import os

    path = tmp_path / "changing.dcm"
    frames, arr = _rle_frames(30)
    path.write_bytes(_part10(encaps.encapsulate(frames, has_bot=False), 30, 8, 8))
    np.testing.assert_array_equal(dp.pixel_array(path, index=29), arr[29])
    # the same size and, forced, the same modification time: the new inode tells
    reordered = frames[::-1]
    replacement = tmp_path / "new.dcm"
    replacement.write_bytes(_part10(encaps.encapsulate(reordered, has_bot=False), 30, 8, 8))
    stat = path.stat()
    os.utime(replacement, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    os.replace(replacement, path)
    np.testing.assert_array_equal(dp.pixel_array(path, index=29), arr[0])
    # rewritten in place with another length (Number of Frames): another size
    path.write_bytes(_part10(encaps.encapsulate(frames[:10], has_bot=False), 10, 8, 8))
    np.testing.assert_array_equal(dp.pixel_array(path), arr[:10])


def test_the_frame_index_is_compact_and_pickles():
    data, _, _ = _file_with_table("none")
    with open_source(io.BytesIO(data)) as src:
        assert src.frame_count == 2000
        index = src.frame_index
    assert index is not None and len(index) == 2000 and index.fragment_count == 2000
    assert index.nbytes == 8 * (2001 + 2 * 2000)
    payload = pickle.dumps(index)
    assert len(payload) < index.nbytes + 500
    clone = pickle.loads(payload)
    assert clone == index and clone.ranges(1999) == index.ranges(1999)
    # a source given the index reads no item header
    f = CountingFile(data)
    from dicom_pixels.reader import read_dicom
    from dicom_pixels.source import ElementSource

    dicom = read_dicom(f)
    image = open_source(io.BytesIO(data)).image
    src = ElementSource("given", image, dicom.read_at, dicom.pixel.offset, None,
                        stream_size=dicom.size, frame_index=clone)
    before = f.bytes_read
    encoded, _ = src.read_frame(5)
    assert f.bytes_read - before == len(encoded)


def test_the_index_cache_drops_the_least_recently_used_and_is_thread_safe():
    cache = FrameIndexCache(max_entries=100)
    small = FrameIndex.from_frames([[(8, 2)]] * 10)  # 20 entries
    for key in range(5):
        cache.put(key, small)
    assert cache.get(0) is small  # now the most recently used
    cache.put("new", small)
    assert cache.get(1) is None and cache.get(0) is small and len(cache) == 5
    cache.put("huge", FrameIndex.from_frames([[(8, 2)]] * 60))  # larger than the cache
    assert cache.get("huge") is None

    errors: list[BaseException] = []

    def hammer(worker: int) -> None:
        try:
            for i in range(300):
                cache.put((worker, i % 7), small)
                cache.get((worker, (i + 3) % 7))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=hammer, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert cache._total == 20 * len(cache) <= 100


# Fragment floods (issue 15) ------------------------------------------------------------


def _traced(call):
    tracemalloc.start()
    try:
        result = call()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


FLOOD = 3_000_000  # empty items: a 24 MB value


def test_a_frame_followed_by_millions_of_empty_items_decodes_in_blocks_with_little_memory():
    frames, arr = _rle_frames(1, rows=32, cols=32)
    value = _item(b"") + _item(frames[0]) + EMPTY_ITEM * FLOOD
    f = CountingFile(_part10(value, 1, 32, 32))
    result, peak = _traced(lambda: dp.pixel_array(f))
    np.testing.assert_array_equal(result, arr[0])
    # one read per MiB block, not one per item; the memory of about two blocks
    assert f.reads < len(value) / (1 << 20) + 100, f.reads
    assert peak < 6 << 20, peak


def test_the_eoi_variant_of_the_flood_finds_the_frames_with_little_memory():
    jpeg = [b"\xff\xd8" + bytes([i]) * 40 + b"\xff\xd9" for i in range(3)]
    # empty items after each frame but the last (after it they would make a frame, as in pydicom)
    value = _item(b"") + (EMPTY_ITEM * (FLOOD // 2)).join(_item(frame) for frame in jpeg)
    # more fragments than frames and no table: frames end at JPEG EOI markers (PS3.5 A.4)
    data = _part10(value, 3, 8, 8, ts=JPEG_BASELINE)
    f = CountingFile(data)

    def frames_read():
        with open_source(f) as src:
            return [src.read_frame(i)[0] for i in range(src.frame_count)]

    found, peak = _traced(frames_read)
    assert found == jpeg
    assert f.reads < len(value) / (1 << 20) + 100, f.reads
    assert peak < 6 << 20, peak


def test_a_flood_after_the_last_frame_of_a_table_is_walked_in_blocks():
    frames, arr = _rle_frames(2, rows=32, cols=32)
    value = encaps.encapsulate(frames) + EMPTY_ITEM * FLOOD
    f = CountingFile(_part10(value, 2, 32, 32))
    result, peak = _traced(lambda: dp.pixel_array(f, index=1))
    np.testing.assert_array_equal(result, arr[1])
    assert f.reads < len(value) / (1 << 20) + 100, f.reads
    assert peak < 6 << 20, peak


def test_more_non_empty_fragments_than_the_ceiling_raise_a_typed_error(monkeypatch):
    monkeypatch.setattr(frame_index, "MAX_FRAGMENTS", 1000)
    value = _item(b"") + _item(b"ab") * 1500
    data = _part10(value, 1, 1, 2)
    with pytest.raises(InvalidDicomError, match="MAX_FRAGMENTS") as excinfo:
        dp.pixel_array(io.BytesIO(data))
    assert "more than 1000 non-empty fragment items" in str(excinfo.value)
    monkeypatch.setattr(frame_index, "MAX_FRAGMENTS", 2000)
    assert dp.get_decoder(RLE) is not None
    with open_source(io.BytesIO(data)) as src:
        assert src.frame_count == 1 and src.encoded_length(0) == 3000


@pytest.mark.parametrize("block", [16, 24, 64, 1 << 20])
def test_walking_in_blocks_gives_the_frames_of_pydicom(monkeypatch, block):
    """Dense runs of tiny and empty items switch the walk to block reads, at every block
    boundary; the frames stay those of pydicom's item-by-item walk."""
    import pydicom.encaps as reference

    monkeypatch.setattr(encaps, "_BLOCK_SIZE", block)
    rng = np.random.default_rng(block)
    frames = []
    for i in range(12):
        sizes = rng.choice([0, 0, 2, 4, 300], size=int(rng.integers(1, 12)))
        fragments = [bytes([i]) * int(s) for s in sizes]
        if not any(fragments):
            fragments.append(bytes([i]) * 2)
        frames.append(fragments)
    body, offsets = b"", []
    for fragments in frames:
        offsets.append(len(body))
        body += b"".join(_item(f) for f in fragments)
    with_table = _item(struct.pack(f"<{len(offsets)}I", *offsets)) + body + DELIMITER
    expected = list(reference.generate_frames(with_table))
    assert expected == [b"".join(f) for f in frames]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert list(encaps.generate_frames(with_table)) == expected
        count = sum(len(f) for f in frames)
        without = _item(b"") + body + DELIMITER
        assert list(encaps.generate_frames(without, number_of_frames=count)) == list(
            reference.generate_frames(without, number_of_frames=count)
        )
    with open_source(io.BytesIO(_part10(with_table[:-8], 12, 1, 2))) as src:
        assert [src.read_frame(i)[0] for i in range(12)] == expected
