"""Specification of dicom_pixels.encaps, with pydicom.encaps as the oracle.

Every layout of PS3.5 A.4 encapsulated Pixel Data (Basic Offset Table present
or empty, Extended Offset Table, one or many fragments per frame, JPEG
end-of-image markers) is built by the helpers below, run through our functions
and pydicom's, and the results compared. Bad input must raise our own error
types with the item and byte offset in the message.
"""

from __future__ import annotations

import io
import struct
import warnings
from pathlib import Path

import pytest

pydicom = pytest.importorskip("pydicom", reason="pydicom is the test oracle")
hypothesis = pytest.importorskip("hypothesis", reason="round trips use hypothesis")

import pydicom.encaps as reference  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from dicom_pixels import encaps  # noqa: E402
from dicom_pixels.errors import DicomPixelsError, InvalidDicomError, TruncatedDataError  # noqa: E402

# Builders for encapsulated data ---------------------------------------------------------


def item(data: bytes, endianness: str = "<", tag: tuple[int, int] = (0xFFFE, 0xE000)) -> bytes:
    """One item: tag, 4-byte length, data (PS3.5 7.5)."""
    return struct.pack(f"{endianness}HHI", *tag, len(data)) + data


def delimiter(endianness: str = "<") -> bytes:
    """The Sequence Delimitation Item (FFFE,E0DD)."""
    return struct.pack(f"{endianness}HHI", 0xFFFE, 0xE0DD, 0)


def encapsulated(
    frames: list[list[bytes]],
    *,
    basic_offsets: bool | list[int] = True,
    endianness: str = "<",
    with_delimiter: bool = True,
) -> bytes:
    """Encapsulate frames given as lists of fragments, with or without a Basic Offset Table."""
    offsets, body = [], b""
    for fragments in frames:
        offsets.append(len(body))
        body += b"".join(item(fragment, endianness) for fragment in fragments)
    if isinstance(basic_offsets, list):
        offsets = basic_offsets
    elif not basic_offsets:
        offsets = []
    table = struct.pack(f"{endianness}{len(offsets)}I", *offsets)
    return item(table, endianness) + body + (delimiter(endianness) if with_delimiter else b"")


def jpeg_frame(seed: int, size: int = 30, end: bytes = b"\xff\xd9") -> bytes:
    """A JPEG-like codestream: SOI, filler without markers, then `end`."""
    filler = bytes((seed * 7 + i) % 200 for i in range(size))
    return b"\xff\xd8" + filler + end


def split(data: bytes, nr_parts: int) -> list[bytes]:
    """Split `data` into `nr_parts` even-length pieces (the last takes the rest)."""
    size = (len(data) // nr_parts) & ~1
    return [data[i * size : (i + 1) * size] for i in range(nr_parts - 1)] + [
        data[(nr_parts - 1) * size :]
    ]


class CountingReader:
    """A ``read_at`` over bytes that records every read."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.reads: list[tuple[int, int]] = []

    def __call__(self, offset: int, length: int) -> bytes:
        chunk = self.data[offset : offset + length]
        self.reads.append((offset, len(chunk)))
        return chunk

    @property
    def bytes_read(self) -> int:
        return sum(length for _, length in self.reads)


def frames_from_ranges(data: bytes, ranges: list[list[tuple[int, int]]]) -> list[bytes]:
    return [
        b"".join(data[offset : offset + length] for offset, length in frame) for frame in ranges
    ]


def assert_same_as_pydicom(data: bytes, **kwargs: object) -> list[bytes]:
    """Compare every reading function with pydicom's on `data`; return the frames."""
    ours = list(encaps.generate_frames(data, **kwargs))
    assert ours == list(reference.generate_frames(data, **kwargs))
    assert list(encaps.generate_fragmented_frames(data, **kwargs)) == list(
        reference.generate_fragmented_frames(data, **kwargs)
    )
    for index, frame in enumerate(ours):
        assert encaps.get_frame(data, index, **kwargs) == frame
        assert reference.get_frame(data, index, **kwargs) == frame
    ranges = encaps.frame_fragment_ranges(
        CountingReader(data),
        0,
        len(data),
        number_of_frames=kwargs.get("number_of_frames"),  # type: ignore[arg-type]
        extended_offsets=kwargs.get("extended_offsets"),  # type: ignore[arg-type]
        endianness=kwargs.get("endianness", "<"),  # type: ignore[arg-type]
    )
    assert frames_from_ranges(data, ranges) == ours
    return ours


# Frame boundaries ----------------------------------------------------------------------


def test_basic_offset_table_gives_one_frame_per_offset():
    frames = [[b"ab"], [b"cdef", b"gh"], [b"ij"]]
    data = encapsulated(frames)
    assert encaps.parse_basic_offsets(data) == reference.parse_basic_offsets(data) == [0, 10, 32]
    assert assert_same_as_pydicom(data) == [b"ab", b"cdefgh", b"ij"]


def test_frames_spanning_three_fragments_with_basic_offset_table():
    frames = [split(jpeg_frame(i, 40), 3) for i in range(4)]
    data = encapsulated(frames)
    result = assert_same_as_pydicom(data, number_of_frames=4)
    assert result == [b"".join(fragments) for fragments in frames]
    assert [len(f) for f in encaps.generate_fragmented_frames(data)] == [3, 3, 3, 3]


def test_basic_offset_table_wins_over_number_of_frames_like_pydicom():
    data = encapsulated([[b"ab"], [b"cd"]])
    assert assert_same_as_pydicom(data, number_of_frames=7) == [b"ab", b"cd"]


def test_empty_offset_table_with_one_frame_puts_every_fragment_in_that_frame():
    data = encapsulated([[b"ab", b"cd", b"ef"]], basic_offsets=False)
    assert assert_same_as_pydicom(data, number_of_frames=1) == [b"abcdef"]


def test_single_fragment_is_a_single_frame_whatever_the_number_of_frames():
    data = encapsulated([[b"abcd"]], basic_offsets=False)
    for number_of_frames in (None, 1, 3):
        assert assert_same_as_pydicom(data, number_of_frames=number_of_frames) == [b"abcd"]


def test_as_many_fragments_as_frames_gives_one_fragment_per_frame():
    data = encapsulated([[b"ab"], [b"cdef"], [b"gh"]], basic_offsets=False)
    assert assert_same_as_pydicom(data, number_of_frames=3) == [b"ab", b"cdef", b"gh"]


@pytest.mark.parametrize(
    "end",
    [b"\xff\xd9", b"\xff\xd9\x00", b"\xff\xd9" + bytes(6)],
    ids=["eoi", "eoi-padded", "eoi-within-last-10-bytes"],
)
def test_more_fragments_than_frames_splits_after_eoi_markers(end):
    frames = [split(jpeg_frame(i, 20 + 2 * i, end), 2 + i % 2) for i in range(3)]
    data = encapsulated(frames, basic_offsets=False)
    result = assert_same_as_pydicom(data, number_of_frames=3)
    assert result == [b"".join(fragments) for fragments in frames]


def test_excess_frames_found_by_eoi_markers_are_all_returned_like_pydicom():
    frames = [split(jpeg_frame(i), 2) for i in range(3)]
    data = encapsulated(frames, basic_offsets=False)
    assert len(assert_same_as_pydicom(data, number_of_frames=2)) == 3


def test_trailing_fragments_without_eoi_marker_become_a_last_frame_with_a_warning():
    fragments = [jpeg_frame(1), jpeg_frame(2), b"no marker"]
    data = encapsulated([fragments], basic_offsets=False)
    with pytest.warns(UserWarning, match="no JPEG EOI/EOC marker"):
        ours = list(encaps.generate_frames(data, number_of_frames=2))
    with pytest.warns(UserWarning):
        assert ours == list(reference.generate_frames(data, number_of_frames=2))
    with pytest.warns(UserWarning, match="no JPEG EOI/EOC marker"):
        assert encaps.get_frame(data, 2, number_of_frames=2) == b"no marker"


@pytest.mark.parametrize(
    "fragments",
    [
        [b"\xff\xd8ab", b"cd\xff\xd9", b"\xff\xd8ef", b"gh"],
        [b"\xff\xd8ab", b"cd\xff\xd9", b"\xff\xd8ef", b"gh\xff\xd9"],
    ],
    ids=["last-without-marker", "all-with-markers"],
)
def test_fewer_frames_than_expected_warns_and_returns_what_was_found(fragments):
    data = encapsulated([fragments], basic_offsets=False)
    with pytest.warns(UserWarning, match="fewer frames than expected"):
        ours = list(encaps.generate_frames(data, number_of_frames=3))
    with pytest.warns(UserWarning, match="fewer frames than expected"):
        assert ours == list(reference.generate_frames(data, number_of_frames=3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the first frame is complete: no warning
        assert encaps.get_frame(data, 0, number_of_frames=3) == b"\xff\xd8abcd\xff\xd9"


def test_fewer_fragments_than_frames_raises_like_pydicom():
    data = encapsulated([[b"ab"], [b"cd"]], basic_offsets=False)
    with pytest.raises(ValueError, match="fewer fragments than frames"):
        list(reference.generate_frames(data, number_of_frames=3))
    with pytest.raises(InvalidDicomError, match="2 fragments but 3 frames"):
        list(encaps.generate_frames(data, number_of_frames=3))


@pytest.mark.parametrize("number_of_frames", [None, 0])
def test_many_fragments_without_offset_table_or_number_of_frames_raises(number_of_frames):
    data = encapsulated([[b"ab"], [b"cd"]], basic_offsets=False)
    with pytest.raises(ValueError):
        list(reference.generate_frames(data, number_of_frames=number_of_frames))
    with pytest.raises(InvalidDicomError, match="pass number_of_frames"):
        list(encaps.generate_frames(data, number_of_frames=number_of_frames))
    with pytest.raises(InvalidDicomError, match="pass number_of_frames"):
        encaps.get_frame(data, 0, number_of_frames=number_of_frames)


def test_no_fragment_at_all_raises_instead_of_an_empty_frame():
    data = encapsulated([], basic_offsets=False)
    with pytest.raises(InvalidDicomError, match="no fragment items"):
        list(encaps.generate_frames(data, number_of_frames=1))


def test_extended_offset_table_as_lists_and_as_encoded_bytes():
    frames = [b"abc", b"defg", b"h"]
    data, offsets, lengths = encaps.encapsulate_extended(frames)
    assert (data, offsets, lengths) == reference.encapsulate_extended(frames)
    decoded = (
        list(struct.unpack("<3Q", offsets)),
        list(struct.unpack("<3Q", lengths)),
    )
    expected = [b"abc\x00", b"defg", b"h\x00"]
    assert assert_same_as_pydicom(data, extended_offsets=(offsets, lengths)) == expected
    assert assert_same_as_pydicom(data, extended_offsets=decoded) == expected


def test_extended_offset_table_wins_over_basic_offset_table_and_number_of_frames():
    frames = [b"abcd", b"efgh"]
    data = encaps.encapsulate(frames)  # with a Basic Offset Table
    table = ([0, 12], [2, 4])  # the EOT lengths may be shorter than the items
    result = assert_same_as_pydicom(data, extended_offsets=table, number_of_frames=5)
    assert result == [b"ab", b"efgh"]


def test_empty_extended_offset_table_is_ignored():
    data = encapsulated([[b"ab"], [b"cd"]])
    assert list(encaps.generate_frames(data, extended_offsets=(b"", b""))) == [b"ab", b"cd"]


# Inputs ----------------------------------------------------------------------------------


def test_file_like_input_is_read_from_its_position_which_is_restored():
    data = encapsulated([[b"ab"], [b"cd", b"ef"]])
    prefix = b"PREFIX!!"

    def opened() -> tuple[io.BytesIO, io.BytesIO]:
        ours, theirs = io.BytesIO(prefix + data), io.BytesIO(prefix + data)
        ours.seek(len(prefix))
        theirs.seek(len(prefix))
        return ours, theirs

    ours, theirs = opened()
    assert encaps.get_frame(ours, 1) == reference.get_frame(theirs, 1) == b"cdef"
    assert ours.tell() == theirs.tell() == len(prefix)

    ours, theirs = opened()
    assert encaps.parse_basic_offsets(ours) == reference.parse_basic_offsets(theirs)
    assert ours.tell() == theirs.tell() == len(prefix) + 16  # just after the table
    assert encaps.parse_fragments(ours) == reference.parse_fragments(theirs)
    assert ours.tell() == theirs.tell() == len(prefix) + 16  # restored
    assert list(encaps.generate_fragments(ours)) == list(reference.generate_fragments(theirs))

    ours, theirs = opened()
    assert list(encaps.generate_frames(ours)) == list(reference.generate_frames(theirs))


def test_bytearray_and_memoryview_inputs_read_like_bytes():
    data = encapsulated([[b"ab"], [b"cd", b"ef"]])
    expected = [b"ab", b"cdef"]
    assert list(encaps.generate_frames(bytearray(data))) == expected
    assert list(encaps.generate_frames(memoryview(data))) == expected
    assert encaps.get_frame(memoryview(data), 1) == b"cdef"


def test_an_input_that_is_neither_bytes_nor_file_like_is_a_type_error():
    with pytest.raises(TypeError, match="seekable binary file-like"):
        encaps.get_frame("not bytes", 0)  # type: ignore[arg-type]


@pytest.mark.parametrize("basic_offsets", [True, False])
def test_big_endian_items_read_with_endianness_big(basic_offsets):
    frames = [[b"ab", b"cd\xff\xd9"], [b"ef\xff\xd9"]]
    data = encapsulated(frames, basic_offsets=basic_offsets, endianness=">")
    kwargs = {"endianness": ">", "number_of_frames": 2}
    assert assert_same_as_pydicom(data, **kwargs) == [b"abcd\xff\xd9", b"ef\xff\xd9"]
    assert encaps.parse_basic_offsets(data, endianness=">") == reference.parse_basic_offsets(
        data, endianness=">"
    )


def test_fragments_are_parsed_like_pydicom_up_to_the_sequence_delimiter():
    body = item(b"ab") + item(b"cdef") + item(b"")
    for data in (body, body + delimiter(), body + delimiter() + b"trailing junk", body + b"\x00"):
        assert encaps.parse_fragments(data) == reference.parse_fragments(data) == (3, [0, 10, 22])
        assert list(encaps.generate_fragments(data)) == list(reference.generate_fragments(data))


def test_invalid_endianness_is_rejected():
    with pytest.raises(InvalidDicomError, match="endianness"):
        encaps.parse_basic_offsets(encapsulated([[b"ab"]]), endianness="=")


# Writing -------------------------------------------------------------------------------


def pydicom_split_is_valid(frame: bytes, nr_fragments: int) -> bool:
    """pydicom gives empty or odd fragments when rounding up overshoots the frame."""
    pieces = list(reference.fragment_frame(frame, nr_fragments))
    return all(piece and len(piece) % 2 == 0 for piece in pieces)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    frames=st.lists(st.binary(min_size=1, max_size=48), min_size=1, max_size=5),
    fragments_per_frame=st.integers(min_value=1, max_value=4),
    has_bot=st.booleans(),
)
def test_random_frames_round_trip_through_encapsulate_and_generate_frames(
    frames, fragments_per_frame, has_bot
):
    fragments_per_frame = min(fragments_per_frame, *((len(f) + 1) // 2 for f in frames))
    data = encaps.encapsulate(frames, fragments_per_frame, has_bot)
    if all(pydicom_split_is_valid(frame, fragments_per_frame) for frame in frames):
        assert data == reference.encapsulate(frames, fragments_per_frame, has_bot)
    padded = [frame + b"\x00" * (len(frame) % 2) for frame in frames]
    if has_bot or fragments_per_frame == 1 or len(frames) == 1:
        # without an offset table, many fragments per frame need EOI markers
        assert list(encaps.generate_frames(data, number_of_frames=len(frames))) == padded
        for index, frame in enumerate(padded):
            assert encaps.get_frame(data, index, number_of_frames=len(frames)) == frame
    assert list(encaps.generate_fragments(data[8 + 4 * len(frames) * has_bot :])) == [
        fragment
        for frame in frames
        for fragment in encaps.fragment_frame(frame, fragments_per_frame)
    ]


@settings(max_examples=80, deadline=None, derandomize=True)
@given(frame=st.binary(min_size=1, max_size=80), nr_fragments=st.integers(1, 40))
def test_fragment_frame_gives_even_non_empty_fragments_and_matches_pydicom_where_valid(
    frame, nr_fragments
):
    nr_fragments = min(nr_fragments, (len(frame) + 1) // 2)
    fragments = list(encaps.fragment_frame(frame, nr_fragments))
    assert len(fragments) == nr_fragments
    assert all(fragment and len(fragment) % 2 == 0 for fragment in fragments)
    assert b"".join(fragments) == frame + b"\x00" * (len(frame) % 2)
    if pydicom_split_is_valid(frame, nr_fragments):
        assert fragments == list(reference.fragment_frame(frame, nr_fragments))
    assert list(encaps.itemize_frame(frame, nr_fragments)) == [
        reference.itemize_fragment(fragment) for fragment in fragments
    ]


def test_fragment_frame_rejects_fragments_shorter_than_two_bytes():
    with pytest.raises(ValueError):
        list(reference.fragment_frame(b"abc", 3))
    with pytest.raises(InvalidDicomError, match="use 1 to 2 fragments"):
        list(encaps.fragment_frame(b"abc", 3))


def test_encapsulate_without_frames_gives_just_an_empty_offset_table():
    assert encaps.encapsulate([]) == reference.encapsulate([]) == item(b"")
    assert encaps.encapsulate_extended([]) == (item(b""), b"", b"")


class HugeFrame(bytes):
    """A frame that claims to be 2 GiB long, so no test allocates one."""

    def __len__(self) -> int:
        return 2**31


def test_encapsulate_beyond_32_bit_offsets_raises_and_advises_extended_offsets():
    frames = [HugeFrame(), HugeFrame(), b"ab"]
    with pytest.raises(InvalidDicomError, match=r"use encapsulate_extended\(\)"):
        encaps.encapsulate(frames)


# Bad input -----------------------------------------------------------------------------


def assert_our_error(excinfo: pytest.ExceptionInfo, *fragments_of_message: str) -> None:
    assert isinstance(excinfo.value, DicomPixelsError)
    for fragment in fragments_of_message:
        assert fragment in str(excinfo.value)


def test_fragment_with_a_wrong_tag_raises_naming_the_tag_and_offset():
    data = item(b"") + item(b"ab") + item(b"cd", tag=(0x0008, 0x0010))
    with pytest.raises(ValueError):
        list(reference.generate_frames(data, number_of_frames=2))
    with pytest.raises(InvalidDicomError) as excinfo:
        list(encaps.generate_frames(data, number_of_frames=2))
    assert_our_error(excinfo, "(0008,0010)", "byte offset 18", "fragment item 1")


def test_basic_offset_table_with_a_wrong_tag_raises():
    data = item(b"", tag=(0xFFFE, 0xE0DD)) + item(b"ab")
    with pytest.raises(ValueError):
        reference.parse_basic_offsets(data)
    with pytest.raises(InvalidDicomError) as excinfo:
        encaps.parse_basic_offsets(data)
    assert_our_error(excinfo, "(FFFE,E0DD)", "byte offset 0", "Basic Offset Table")


def test_fragment_length_running_past_the_end_raises_truncated():
    data = item(b"") + item(b"ab") + struct.pack("<HHI", 0xFFFE, 0xE000, 100) + b"cd"
    with pytest.raises(TruncatedDataError) as excinfo:
        list(encaps.generate_frames(data, number_of_frames=2))
    assert_our_error(excinfo, "Fragment item 1", "byte offset 18", "100 bytes", "only 2")
    with pytest.raises(TruncatedDataError):
        encaps.parse_fragments(data[8:])
    with pytest.raises(TruncatedDataError):
        encaps.frame_fragment_ranges(CountingReader(data), 0, len(data), number_of_frames=2)


def test_item_header_cut_short_raises_truncated_like_pydicom_raises():
    data = item(b"") + item(b"ab") + b"\xfe\xff\x00\xe0\x02\x00"
    with pytest.raises(ValueError):
        list(reference.generate_fragments(data[8:]))
    with pytest.raises(TruncatedDataError) as excinfo:
        list(encaps.generate_fragments(data[8:]))
    assert_our_error(excinfo, "fragment item 1", "byte offset 10", "6 of 8 bytes")


def test_basic_offset_table_cut_short_raises_truncated_not_struct_error():
    data = struct.pack("<HHI", 0xFFFE, 0xE000, 8) + b"\x00" * 4
    with pytest.raises(struct.error):
        reference.parse_basic_offsets(data)
    with pytest.raises(TruncatedDataError) as excinfo:
        encaps.parse_basic_offsets(data)
    assert_our_error(excinfo, "Basic Offset Table", "byte offset 0")
    with pytest.raises(TruncatedDataError):
        encaps.parse_basic_offsets(b"")


def test_basic_offset_table_length_not_a_multiple_of_four_raises():
    data = item(b"\x00" * 6) + item(b"ab")
    with pytest.raises(ValueError):
        reference.parse_basic_offsets(data)
    with pytest.raises(InvalidDicomError, match="not a multiple of 4"):
        encaps.parse_basic_offsets(data)


def test_undefined_fragment_length_raises():
    data = item(b"") + struct.pack("<HHI", 0xFFFE, 0xE000, 0xFFFFFFFF) + b"abcd"
    with pytest.raises(ValueError):
        list(reference.generate_fragments(data[8:]))
    with pytest.raises(InvalidDicomError, match="undefined length"):
        list(encaps.generate_frames(data))


@pytest.mark.parametrize(
    ("basic_offsets", "message"),
    [
        ([0, 20, 10], "entry 2 (10) is not greater than entry 1 (20)"),
        ([0, 4], "entry 1 (4, byte offset 20) does not point to the start"),
        ([10, 20], "the first entry must be 0"),
        ([0, 10, 500], "entry 2 (500"),
    ],
    ids=["not-increasing", "inside-a-fragment", "first-not-zero", "past-the-end"],
)
def test_inconsistent_basic_offset_table_raises(basic_offsets, message):
    data = encapsulated([[b"ab"], [b"cd"], [b"ef"]], basic_offsets=basic_offsets)
    with pytest.raises(InvalidDicomError, match=message.replace("(", r"\(").replace(")", r"\)")):
        list(encaps.generate_frames(data))
    with pytest.raises(InvalidDicomError):
        encaps.get_frame(data, 0)


@pytest.mark.parametrize(
    ("table", "error", "message"),
    [
        (([0, 10, 500], [2, 2, 2]), TruncatedDataError, "byte offset 508"),
        (([0, 10], [2, 4]), InvalidDicomError, "entry 1 (4 bytes) is larger than the fragment"),
        (
            ([0, 10], [2]),
            InvalidDicomError,
            "2 entries but the Extended Offset Table Lengths has 1",
        ),
        (([10, 0], [2, 2]), InvalidDicomError, "offsets must increase"),
        ((b"\x00" * 12, b"\x00" * 8), InvalidDicomError, "not a multiple of 8"),
        (([4], [2]), InvalidDicomError, "where the fragment of frame 0"),
    ],
    ids=[
        "offset-past-the-end",
        "length-past-item",
        "counts-differ",
        "decreasing",
        "raw-odd-size",
        "not-an-item",
    ],
)
def test_inconsistent_extended_offset_table_raises(table, error, message):
    data = encapsulated([[b"ab"], [b"cd"], [b"ef"]], basic_offsets=False)
    with pytest.raises(error) as excinfo:
        list(encaps.generate_frames(data, extended_offsets=table))
    assert_our_error(excinfo, message)


def test_wrong_extended_offsets_argument_raises_our_error():
    data = encapsulated([[b"ab"]], basic_offsets=False)
    for bad in ((b"",), ([0], None), (["x"], [2]), ([-8], [2])):
        with pytest.raises(InvalidDicomError):
            list(encaps.generate_frames(data, extended_offsets=bad))  # type: ignore[arg-type]


INDEX_LAYOUTS = {
    "extended-offset-table": (
        encaps.encapsulate_extended([b"ab", b"cd"])[0],
        {"extended_offsets": encaps.encapsulate_extended([b"ab", b"cd"])[1:]},
        2,
    ),
    "basic-offset-table": (encapsulated([[b"ab"], [b"cd"]]), {}, 2),
    "single-fragment": (encapsulated([[b"ab"]], basic_offsets=False), {}, 1),
    "fragment-per-frame": (
        encapsulated([[b"ab"], [b"cd"]], basic_offsets=False),
        {"number_of_frames": 2},
        2,
    ),
    "one-frame-many-fragments": (
        encapsulated([[b"ab", b"cd"]], basic_offsets=False),
        {"number_of_frames": 1},
        1,
    ),
    "eoi-markers": (
        encapsulated([[b"a\xff\xd9", b"bc"], [b"d\xff\xd9"]], basic_offsets=False),
        {"number_of_frames": 2},
        2,
    ),
}


@pytest.mark.parametrize("layout", INDEX_LAYOUTS)
def test_frame_index_out_of_range_raises_naming_the_index_and_frame_count(layout):
    data, kwargs, nr_frames = INDEX_LAYOUTS[layout]
    with pytest.raises(ValueError):
        reference.get_frame(data, nr_frames, **kwargs)
    stream = io.BytesIO(data)
    with pytest.raises(InvalidDicomError) as excinfo:
        encaps.get_frame(stream, nr_frames, **kwargs)
    assert_our_error(
        excinfo, f"Frame index {nr_frames} is out of range", f"holds {nr_frames} frame"
    )
    assert stream.tell() == 0
    with pytest.raises(InvalidDicomError, match="frame indices start at 0"):
        encaps.get_frame(data, -1, **kwargs)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    mutations=st.lists(
        st.tuples(
            st.sampled_from(["set", "cut", "insert"]), st.integers(0, 200), st.integers(0, 255)
        ),
        min_size=1,
        max_size=4,
    ),
    number_of_frames=st.sampled_from([None, 1, 2, 3]),
    index=st.integers(0, 3),
)
def test_corrupted_data_raises_only_our_errors_and_never_hangs(mutations, number_of_frames, index):
    data = bytearray(
        encapsulated([[b"\xff\xd8ab", b"c\xff\xd9"], [b"\xff\xd8d\xff\xd9"]], basic_offsets=False)
    )
    for operation, position, value in mutations:
        position %= len(data) + 1
        if operation == "set" and position < len(data):
            data[position] = value
        elif operation == "cut":
            del data[position:]
        else:
            data.insert(position, value)
    calls = [
        lambda: list(encaps.generate_frames(bytes(data), number_of_frames=number_of_frames)),
        lambda: encaps.get_frame(io.BytesIO(data), index, number_of_frames=number_of_frames),
        lambda: encaps.parse_fragments(bytes(data)),
    ]
    for call in calls:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                call()
            except DicomPixelsError:
                pass


# The lazy frame index -------------------------------------------------------------------


def test_frame_fragment_ranges_read_only_item_headers_with_a_basic_offset_table():
    frames = [[bytes(10_000), bytes(20_000)], [bytes(30_000)], [bytes(2), bytes(4), bytes(6)]]
    data = encapsulated(frames)
    base = 1_000  # the value starts inside a larger file
    reader = CountingReader(b"\x00" * base + data)
    ranges = encaps.frame_fragment_ranges(reader, base, base + len(data), number_of_frames=3)
    assert frames_from_ranges(reader.data, ranges) == list(encaps.generate_frames(data))
    assert ranges[0] == [(base + 28, 10_000), (base + 10_036, 20_000)]
    # BOT header + 3 offsets + 6 fragment headers + the delimiter header
    assert reader.bytes_read == 8 + 12 + 6 * 8 + 8
    assert max(length for _, length in reader.reads) <= 12


def test_frame_fragment_ranges_read_only_fragment_tails_for_the_eoi_heuristic():
    frames = [[bytes(5_000), jpeg_frame(i, 5_000)] for i in range(3)]
    data = encapsulated(frames, basic_offsets=False, with_delimiter=False)
    reader = CountingReader(data)
    ranges = encaps.frame_fragment_ranges(reader, 0, None, number_of_frames=3)
    assert frames_from_ranges(data, ranges) == assert_same_as_pydicom(data, number_of_frames=3)
    assert reader.bytes_read <= 8 + 6 * 8 + 6 * 10 + 8
    assert max(length for _, length in reader.reads) <= 10


def test_frame_fragment_ranges_with_extended_offsets_read_one_header_per_frame():
    data, offsets, lengths = encaps.encapsulate_extended([bytes(1_000), bytes(3_000)])
    reader = CountingReader(data)
    ranges = encaps.frame_fragment_ranges(
        reader, 0, len(data), number_of_frames=None, extended_offsets=(offsets, lengths)
    )
    assert ranges == [[(16, 1_000)], [(1_024, 3_000)]]
    assert reader.bytes_read == 8 + 2 * 8


# pydicom's test files --------------------------------------------------------------------


def encapsulated_test_files() -> list[Path]:
    from pydicom.data import get_testdata_files
    from pydicom.filereader import read_file_meta_info

    found = []
    for name in sorted(get_testdata_files()):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                uid = read_file_meta_info(name).get("TransferSyntaxUID")
            if uid is not None and uid.is_encapsulated:
                found.append(Path(name))
        except Exception:
            continue
    return found


@pytest.mark.parametrize("path", encapsulated_test_files(), ids=lambda path: path.name)
def test_frames_of_pydicom_test_files_match_pydicom(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = pydicom.dcmread(path)
    if "PixelData" not in ds:
        pytest.skip(f"{path.name} has no Pixel Data")
    kwargs: dict = {"number_of_frames": ds.get("NumberOfFrames", 1) or 1}
    if ds.get("ExtendedOffsetTable") is not None:
        kwargs["extended_offsets"] = (ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths)
    with warnings.catch_warnings(record=True) as their_warnings:
        warnings.simplefilter("always")
        try:
            expected = list(reference.generate_frames(ds.PixelData, **kwargs))
        except (ValueError, struct.error):
            with pytest.raises(DicomPixelsError):
                list(encaps.generate_frames(ds.PixelData, **kwargs))
            return
    with warnings.catch_warnings(record=True) as our_warnings:
        warnings.simplefilter("always")
        assert list(encaps.generate_frames(ds.PixelData, **kwargs)) == expected
    assert len(our_warnings) == len(their_warnings)
    assert encaps.get_frame(ds.PixelData, len(expected) - 1, **kwargs) == expected[-1]
