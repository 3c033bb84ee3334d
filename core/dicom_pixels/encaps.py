"""Encapsulated Pixel Data: offset tables, fragments, frame boundaries and encapsulation.

The value of an undefined-length *Pixel Data* element in an encapsulated
transfer syntax is a sequence of items (PS3.5 A.4): first the Basic Offset
Table item (possibly empty), then one or more fragment items, then the
Sequence Delimitation Item. This module splits such a value into fragments and
frames, and builds one from encoded frames. Its functions have the names,
arguments and results of pydicom 3's :mod:`pydicom.encaps`, but bad input
raises :class:`~dicom_pixels.errors.InvalidDicomError` (or its subclass
:class:`~dicom_pixels.errors.TruncatedDataError`) with the item index and byte
offset in the message.

Frame boundaries are worked out in one place, :func:`build_frame_index`
(:func:`frame_fragment_ranges` gives its result as lists), which walks only
the item headers through a random-access ``read_at(offset, length)`` callable;
every other reading function is built on it, so the lazy file reader and the
in-memory functions always agree. With an offset table the lazy reader locates
frame *i* with :class:`FrameTable` in a few reads, checks what it reads, and
falls back to the walk (and its errors) when the table proves wrong.

>>> from dicom_pixels.encaps import encapsulate, generate_frames
>>> data = encapsulate([b"\\xff\\xd8one\\xff\\xd9", b"\\xff\\xd8two\\xff\\xd9"])
>>> list(generate_frames(data))
[b'\\xff\\xd8one\\xff\\xd9\\x00', b'\\xff\\xd8two\\xff\\xd9\\x00']
"""

from __future__ import annotations

import bisect
import os
import struct
import warnings
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from . import frame_index
from .arguments import check_bytes, check_integer, checked_signature
from .errors import ArgumentTypeError, InvalidDicomError, TruncatedDataError
from .frame_index import FrameIndex

__all__ = [
    "ExtendedOffsets",
    "FrameTable",
    "ReadAt",
    "ReadableBuffer",
    "build_frame_index",
    "encapsulate",
    "encapsulate_extended",
    "fragment_frame",
    "frame_fragment_ranges",
    "generate_fragmented_frames",
    "generate_fragments",
    "generate_frames",
    "get_frame",
    "itemize_fragment",
    "itemize_frame",
    "parse_basic_offsets",
    "parse_fragments",
]


class ReadableBuffer(Protocol):
    """A seekable binary file-like object, such as an open file or :class:`io.BytesIO`."""

    def read(self, size: int = ..., /) -> bytes: ...

    def seek(self, offset: int, whence: int = ..., /) -> int: ...

    def tell(self) -> int: ...


#: ``read_at(offset, length)`` returns up to `length` bytes starting at the
#: absolute byte `offset`; fewer only at the end of the data.
ReadAt = Callable[[int, int], bytes]

#: The (offsets, lengths) of (7FE0,0001) *Extended Offset Table* and (7FE0,0002)
#: *Extended Offset Table Lengths*, decoded as lists of int or as the raw
#: encoded values (8 bytes per entry).
ExtendedOffsets = (
    tuple[Sequence[int], Sequence[int]]
    | tuple[bytes | bytearray | memoryview, bytes | bytearray | memoryview]
)

_EncapsulatedInput = bytes | bytearray | memoryview | ReadableBuffer

# PS3.5 7.5: items and the sequence delimiter, written as group << 16 | element
_ITEM_TAG = 0xFFFEE000
_SEQUENCE_DELIMITER_TAG = 0xFFFEE0DD
_UNDEFINED_LENGTH = 0xFFFFFFFF
_ITEM_HEADER_LENGTH = 8
# PS3.5 A.4: Basic Offset Table entries are 32-bit unsigned offsets
_MAX_BASIC_OFFSET = 2**32 - 1
# JPEG EOI / JPEG 2000 EOC marker; like pydicom, a fragment ends a frame when
# the marker occurs anywhere in its last 10 bytes (room for trailing padding)
_EOI_MARKER = b"\xff\xd9"
_EOI_SEARCH_WINDOW = 10

_CORRUPT_ADVICE = (
    "the encapsulated Pixel Data is corrupt; check that the file was copied completely "
    "or re-export it from its source"
)


# Opening an input ---------------------------------------------------------------------


def _check_endianness(endianness: str) -> None:
    if endianness not in ("<", ">"):
        raise InvalidDicomError(
            f"Invalid endianness {endianness!r}: use '<' for little endian or '>' for big endian"
        )


def _tag_str(tag: int) -> str:
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


class _Input:
    """Random access to `buffer`: a bytes-like object or a seekable file-like.

    ``start`` is where the encapsulated value begins (the current position of a
    file-like, 0 for bytes) and ``end`` where the data ends; all offsets are
    absolute within the buffer or file.
    """

    def __init__(self, buffer: _EncapsulatedInput) -> None:
        self.file: ReadableBuffer | None
        if isinstance(buffer, bytes | bytearray | memoryview):
            view = memoryview(buffer)
            if view.ndim != 1 or view.itemsize != 1:
                view = view.cast("B")
            self._view: memoryview | None = view
            self.file = None
            self.start = 0
            self.end = len(view)
        elif all(hasattr(buffer, name) for name in ("read", "seek", "tell")):
            self._view = None
            self.file = buffer
            self.start = buffer.tell()
            self.end = buffer.seek(0, os.SEEK_END)
            buffer.seek(self.start)
        else:
            raise ArgumentTypeError(
                "'buffer', the encapsulated Pixel Data, must be bytes, bytearray, memoryview or a "
                f"seekable binary file-like object, not {type(buffer).__name__}"
            )

    def read_at(self, offset: int, length: int) -> bytes:
        if self._view is not None:
            return bytes(self._view[offset : offset + length])
        assert self.file is not None
        self.file.seek(offset)
        return self.file.read(length)

    def restore(self) -> None:
        """Put a file-like back where it was when this input was opened."""
        if self.file is not None:
            self.file.seek(self.start)


# Walking the items (headers only) ------------------------------------------------------


def _read_item_header(
    read_at: ReadAt, pos: int, end: int | None, endianness: str, *, required: bool, what: str
) -> tuple[int, int] | None:
    """Return the (tag, length) of the item header at `pos`.

    Returns ``None`` at the end of the data (fewer than 4 bytes left, as pydicom
    treats it) unless `required`; a tag without its 4-byte length is truncated.
    """
    size = _ITEM_HEADER_LENGTH if end is None else max(0, min(_ITEM_HEADER_LENGTH, end - pos))
    raw = read_at(pos, size) if size else b""
    if len(raw) == _ITEM_HEADER_LENGTH:
        group, element, length = struct.unpack(f"{endianness}HHI", raw)
        return group << 16 | element, length
    if len(raw) < 4 and not required:
        return None
    raise TruncatedDataError(
        f"The data ends inside the header of {what} at byte offset {pos} ({len(raw)} of 8 "
        f"bytes present); {_CORRUPT_ADVICE}"
    )


def _check_item_tag(tag: int, pos: int, what: str) -> None:
    # PS3.5 A.4: the Basic Offset Table and every fragment are items (FFFE,E000)
    if tag != _ITEM_TAG:
        raise InvalidDicomError(
            f"Found tag {_tag_str(tag)} at byte offset {pos} where {what} should start with "
            f"the item tag (FFFE,E000); {_CORRUPT_ADVICE}"
        )


def _check_item_length(length: int, pos: int, end: int | None, what: str) -> None:
    if length == _UNDEFINED_LENGTH:
        # PS3.5 A.4: fragment items have an explicit length
        raise InvalidDicomError(
            f"{what[0].upper() + what[1:]} at byte offset {pos} has an undefined length (FFFFFFFF), "
            f"which is not allowed for encapsulated fragments; {_CORRUPT_ADVICE}"
        )
    if end is not None and length > end - pos - _ITEM_HEADER_LENGTH:
        remaining = max(0, end - pos - _ITEM_HEADER_LENGTH)
        raise TruncatedDataError(
            f"{what[0].upper() + what[1:]} at byte offset {pos} declares a length of {length} bytes but "
            f"only {remaining} bytes remain; the data is truncated or the length is wrong, "
            "check that the file was copied completely"
        )


def _iter_fragment_items(
    read_at: ReadAt, pos: int, end: int | None, endianness: str
) -> Iterator[tuple[int, int]]:
    """Yield (offset of the data, length) for each fragment item from `pos`.

    Stops at the Sequence Delimitation Item or at the end of the data; reads
    only the 8-byte item headers. Each step advances at least 8 bytes, so the
    walk always ends.
    """
    index = 0
    while True:
        what = f"fragment item {index}"
        header = _read_item_header(read_at, pos, end, endianness, required=False, what=what)
        if header is None:
            return
        tag, length = header
        if tag == _SEQUENCE_DELIMITER_TAG:
            return
        _check_item_tag(tag, pos, what)
        _check_item_length(length, pos, end, what)
        yield pos + _ITEM_HEADER_LENGTH, length
        pos += _ITEM_HEADER_LENGTH + length
        index += 1


def _read_basic_offset_table(
    read_at: ReadAt, start: int, end: int | None, endianness: str
) -> tuple[list[int], int]:
    """Return the Basic Offset Table's offsets and the offset of the first fragment item."""
    length = _basic_offset_table_length(read_at, start, end, endianness)
    raw = read_at(start + _ITEM_HEADER_LENGTH, length) if length else b""
    if len(raw) != length:
        raise TruncatedDataError(
            f"The Basic Offset Table item at byte offset {start} declares {length} bytes but "
            f"only {len(raw)} could be read; check that the file was copied completely"
        )
    offsets = list(struct.unpack(f"{endianness}{length // 4}I", raw))
    return offsets, start + _ITEM_HEADER_LENGTH + length


def _basic_offset_table_length(read_at: ReadAt, start: int, end: int | None, endianness: str) -> int:
    """Read and check the header of the Basic Offset Table item; return its length."""
    what = "the Basic Offset Table item"
    header = _read_item_header(read_at, start, end, endianness, required=True, what=what)
    assert header is not None
    tag, length = header
    _check_item_tag(tag, start, what)
    # PS3.5 A.4: the table is a list of 32-bit offsets
    if length % 4:
        raise InvalidDicomError(
            f"The Basic Offset Table item at byte offset {start} has length {length}, which is "
            f"not a multiple of 4; {_CORRUPT_ADVICE}"
        )
    _check_item_length(length, start, end, what)
    return length


def _decode_uint64s(
    value: Sequence[int] | bytes | bytearray | memoryview | None, name: str, endianness: str
) -> list[int]:
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        if len(raw) % 8:
            raise InvalidDicomError(
                f"The {name} value is {len(raw)} bytes long, which is not a multiple of 8 "
                "(one 64-bit value per frame, PS3.3 C.7.6.3.1.8); pass the raw element value "
                "or a list of int"
            )
        return list(struct.unpack(f"{endianness}{len(raw) // 8}Q", raw))
    if value is None:
        raise InvalidDicomError(
            f"The {name} value is missing: pass both the offsets and the lengths"
        )
    try:
        values = [int(v) for v in value]
    except (TypeError, ValueError) as exc:
        raise InvalidDicomError(
            f"The {name} value must be bytes or a sequence of int, not {type(value).__name__}"
        ) from exc
    if any(v < 0 for v in values):
        raise InvalidDicomError(f"The {name} value holds a negative number: {values}")
    return values


def _decode_extended_offsets(
    extended_offsets: ExtendedOffsets | None, endianness: str
) -> list[tuple[int, int]] | None:
    """Return the Extended Offset Table as (offset, length) pairs, ``None`` if absent or empty."""
    if extended_offsets is None:
        return None
    try:
        raw_offsets, raw_lengths = extended_offsets
    except (TypeError, ValueError) as exc:
        raise InvalidDicomError(
            "'extended_offsets' must be a pair (Extended Offset Table, Extended Offset Table "
            "Lengths)"
        ) from exc
    offsets = _decode_uint64s(raw_offsets, "Extended Offset Table", endianness)
    lengths = _decode_uint64s(raw_lengths, "Extended Offset Table Lengths", endianness)
    if not offsets and not lengths:
        return None
    if len(offsets) != len(lengths):
        raise InvalidDicomError(
            f"The Extended Offset Table has {len(offsets)} entries but the Extended Offset Table "
            f"Lengths has {len(lengths)}; they must have one entry per frame "
            "(PS3.3 C.7.6.3.1.8)"
        )
    return list(zip(offsets, lengths))


# Walking many items: blocks, empty runs, compact storage ------------------------------

# Item headers are read one at a time (8 bytes) while items are large, so a walk
# reads only headers; after _DENSE_ITEMS consecutive items shorter than
# _DENSE_LENGTH bytes, blocks of _BLOCK_SIZE bytes are read and the headers parsed
# out of them, so a flood of tiny or empty items costs one read per block.
_DENSE_ITEMS = 32
_DENSE_LENGTH = 256
_BLOCK_SIZE = 1 << 20


@dataclass
class _Fragments:
    """The fragment items from `first` to `stop`, non-empty ones stored compactly.

    PS3.5 A.4 allows empty fragment items; they hold no data, so only their
    number is kept: item numbers in `items` count them.
    """

    first: int  # offset of the first item tag
    stop: int  # offset where the walk stopped: the delimiter, the end, or `stop_at`
    count: int  # every fragment item, empty ones included
    offsets: array[int]  # the data offset of each non-empty fragment
    lengths: array[int]
    items: array[int]  # the item number (from 0) of each non-empty fragment

    def item_number_at(self, position: int) -> int | None:
        """The number of the item whose tag is at `position`, ``None`` if no item starts there."""
        if not self.first <= position < self.stop:
            return None
        j = bisect.bisect_right(self.offsets, position + _ITEM_HEADER_LENGTH) - 1
        if j >= 0 and self.offsets[j] - _ITEM_HEADER_LENGTH == position:
            return self.items[j]
        # otherwise `position` must be one of the empty items after non-empty item j
        run_start = self.offsets[j] + self.lengths[j] if j >= 0 else self.first
        first_in_run = self.items[j] + 1 if j >= 0 else 0
        if position < run_start or (position - run_start) % _ITEM_HEADER_LENGTH:
            return None
        return first_in_run + (position - run_start) // _ITEM_HEADER_LENGTH

    def ranges(self) -> list[tuple[int, int]]:
        """The (offset, length) of the non-empty fragments."""
        return list(zip(self.offsets, self.lengths))


def _empty_run(block: bytes, position: int, empty_item: bytes) -> int:
    """How many empty items follow each other in `block` from `position` (at least one)."""
    whole = (len(block) - position) // _ITEM_HEADER_LENGTH
    words = np.frombuffer(block, dtype=np.uint64, count=whole, offset=position)
    differs = words != np.frombuffer(empty_item, dtype=np.uint64)[0]
    first_other = int(differs.argmax())
    return whole if not differs[first_other] else first_other


def _too_many_fragments(position: int) -> InvalidDicomError:
    return InvalidDicomError(
        f"The encapsulated Pixel Data holds more than {frame_index.MAX_FRAGMENTS} non-empty "
        f"fragment items (the next at byte offset {position}), the ceiling "
        "dicom_pixels.frame_index.MAX_FRAGMENTS: the file is corrupt or built to exhaust "
        "memory; if it is genuine, raise that ceiling"
    )


def _walk_fragments(
    read_at: ReadAt, pos: int, end: int | None, endianness: str, *, stop_at: int | None = None
) -> _Fragments:
    """Walk the fragment items from `pos` to the Sequence Delimitation Item or the end of data.

    With `stop_at`, stop there instead, raising :class:`_TableMismatch` if an item
    runs across it or the items end before it. Bad items raise as in
    :func:`_iter_fragment_items`. Costs one read per item header while items are
    large and one per
    :data:`_BLOCK_SIZE` bytes when they are tiny; memory grows with the non-empty
    fragments only (at most :data:`~dicom_pixels.frame_index.MAX_FRAGMENTS`).
    """
    header = struct.Struct(f"{endianness}HHI")
    empty_item = header.pack(0xFFFE, 0xE000, 0)
    limit = frame_index.MAX_FRAGMENTS
    offsets, lengths, items = array("Q"), array("Q"), array("Q")
    first, count, dense = pos, 0, 0
    block, block_start = b"", pos
    while True:
        if stop_at is not None and pos >= stop_at:
            if pos > stop_at:
                raise _TableMismatch(f"an item runs across byte offset {stop_at}")
            break
        at = pos - block_start
        if not 0 <= at <= len(block) - _ITEM_HEADER_LENGTH:
            size = _BLOCK_SIZE if dense >= _DENSE_ITEMS else _ITEM_HEADER_LENGTH
            if end is not None:
                size = max(0, min(size, end - pos))
            block, block_start, at = (read_at(pos, size) if size else b""), pos, 0
            if len(block) < _ITEM_HEADER_LENGTH:
                if len(block) < 4:  # the end of the data, as pydicom treats it
                    break
                raise TruncatedDataError(
                    f"The data ends inside the header of fragment item {count} at byte offset "
                    f"{pos} ({len(block)} of 8 bytes present); {_CORRUPT_ADVICE}"
                )
        group, element, length = header.unpack_from(block, at)
        tag = group << 16 | element
        if tag == _SEQUENCE_DELIMITER_TAG:
            break
        what = f"fragment item {count}"
        _check_item_tag(tag, pos, what)
        _check_item_length(length, pos, end, what)
        if length == 0:
            run = _empty_run(block, at, empty_item) if len(block) > _ITEM_HEADER_LENGTH else 1
            if stop_at is not None:
                run = max(1, min(run, (stop_at - pos) // _ITEM_HEADER_LENGTH))
            count += run
            pos += run * _ITEM_HEADER_LENGTH
            dense += run
            continue
        if len(offsets) >= limit:
            raise _too_many_fragments(pos)
        offsets.append(pos + _ITEM_HEADER_LENGTH)
        lengths.append(length)
        items.append(count)
        count += 1
        pos += _ITEM_HEADER_LENGTH + length
        dense = dense + 1 if length < _DENSE_LENGTH else 0
    if stop_at is not None and pos != stop_at:
        raise _TableMismatch(f"the items end at byte offset {pos}, before {stop_at}")
    return _Fragments(first, pos, count, offsets, lengths, items)


# The frame-boundary algorithm -----------------------------------------------------------


def _warn(message: str) -> None:
    warnings.warn(message, UserWarning, stacklevel=4)


class _TableMismatch(InvalidDicomError):
    """An offset table entry that does not match the items it points at.

    Raised by the lazy checks of :class:`FrameTable`; the reader then walks every
    item, which reports the precise error (or finds the frames all the same).
    """


def _check_extended_entry(
    read_at: ReadAt,
    first_fragment: int,
    end: int | None,
    endianness: str,
    index: int,
    offset: int,
    length: int,
) -> int:
    """Check Extended Offset Table entry `index` against its item; return the item's length."""
    pos = first_fragment + offset
    what = f"the fragment of frame {index} (Extended Offset Table entry {index})"
    header = _read_item_header(read_at, pos, end, endianness, required=True, what=what)
    assert header is not None
    tag, item_length = header
    _check_item_tag(tag, pos, what)
    _check_item_length(item_length, pos, end, what)
    if length > item_length:
        raise InvalidDicomError(
            f"Extended Offset Table Lengths entry {index} ({length} bytes) is larger "
            f"than the fragment item at byte offset {pos} ({item_length} bytes); "
            f"{_CORRUPT_ADVICE}"
        )
    return item_length


def _index_frames(
    read_at: ReadAt,
    start: int,
    end: int | None,
    *,
    number_of_frames: int | None,
    extended_offsets: ExtendedOffsets | None,
    endianness: str,
) -> tuple[FrameIndex, bool]:
    """Find every frame's fragments: the one implementation of the frame-boundary rules.

    See :func:`frame_fragment_ranges` for the rules. Returns the index and
    whether its warnings concern the last frame (``True``: warn before reading
    it) or only the frames not found (``False``: warn after the last one).
    """
    basic_offsets, first_fragment = _read_basic_offset_table(read_at, start, end, endianness)

    # 1. Extended Offset Table (PS3.3 C.7.6.3.1.8): byte offsets of each frame's
    #    item tag, measured from the first item after the (empty) Basic Offset
    #    Table; one fragment per frame, whose length is given.
    table = _decode_extended_offsets(extended_offsets, endianness)
    if table is not None:
        next_free = 0
        ranges: list[list[tuple[int, int]]] = []
        for index, (offset, length) in enumerate(table):
            if offset < next_free:
                raise InvalidDicomError(
                    f"Extended Offset Table entry {index} (offset {offset}) does not come after "
                    f"the end of frame {index - 1} (offset {next_free}); the offsets must "
                    f"increase (PS3.3 C.7.6.3.1.8) and {_CORRUPT_ADVICE}"
                )
            item_length = _check_extended_entry(
                read_at, first_fragment, end, endianness, index, offset, length
            )
            next_free = offset + _ITEM_HEADER_LENGTH + item_length
            ranges.append([(first_fragment + offset + _ITEM_HEADER_LENGTH, length)])
        return FrameIndex.from_frames(ranges), False

    fragments = _walk_fragments(read_at, first_fragment, end, endianness)

    # 2. Basic Offset Table (PS3.5 A.4): byte offsets of the item tag of each
    #    frame's first fragment, measured from the first fragment's item tag;
    #    a frame's fragments run up to the next frame's first fragment.
    if basic_offsets:
        bounds = []
        for index, offset in enumerate(basic_offsets):
            if index and offset <= basic_offsets[index - 1]:
                raise InvalidDicomError(
                    f"Basic Offset Table entry {index} ({offset}) is not greater than entry "
                    f"{index - 1} ({basic_offsets[index - 1]}); the offsets must increase "
                    f"(PS3.5 A.4) and {_CORRUPT_ADVICE}"
                )
            number = fragments.item_number_at(first_fragment + offset)
            if number is None or (index == 0 and offset != 0):
                # PS3.5 A.4: the first offset is 0 and each points at an item tag
                raise InvalidDicomError(
                    f"Basic Offset Table entry {index} ({offset}, byte offset "
                    f"{first_fragment + offset}) does not point to the start of one of the "
                    f"{fragments.count} fragment items{' (the first entry must be 0)' if index == 0 else ''}; "
                    f"{_CORRUPT_ADVICE}"
                )
            bounds.append(number)
        bounds.append(fragments.count)
        return _index_from_item_bounds(fragments, bounds), False

    # 3. No offset table: the number of fragments and frames decide.
    nr_fragments = fragments.count
    if nr_fragments == 0:
        raise InvalidDicomError(
            f"The encapsulated Pixel Data holds no fragment items after the Basic Offset Table "
            f"(byte offset {first_fragment}), so there is no frame to read; {_CORRUPT_ADVICE}"
        )
    if nr_fragments == 1:
        # A single fragment can only be a single frame
        return _index_from_item_bounds(fragments, [0, 1]), False
    if not number_of_frames:
        raise InvalidDicomError(
            f"Unable to find the frame boundaries in the encapsulated Pixel Data: it has "
            f"{nr_fragments} fragments and no Basic or Extended Offset Table, and the number of "
            "frames was not given; pass number_of_frames (the Number of Frames (0028,0008) value)"
        )
    if nr_fragments == number_of_frames:
        # PS3.5 A.4: a fragment never holds data of more than one frame
        if nr_fragments > frame_index.MAX_FRAGMENTS:
            raise _too_many_fragments(fragments.stop)
        return _index_from_item_bounds(fragments, range(nr_fragments + 1)), False
    if number_of_frames == 1:
        return _index_from_item_bounds(fragments, [0, nr_fragments]), False
    if nr_fragments < number_of_frames:
        raise InvalidDicomError(
            f"The encapsulated Pixel Data has {nr_fragments} fragments but {number_of_frames} "
            "frames were expected, and a frame needs at least one fragment (PS3.5 A.4); the data "
            "may be truncated or the Number of Frames may be wrong"
        )

    # More fragments than frames and no offset table: a frame ends with the
    # fragment that holds its JPEG EOI / JPEG 2000 EOC marker. More frames than
    # expected may be found, as pydicom does. Empty fragments hold no marker.
    frame_starts = array("Q", [0])
    last_marked = -1  # the item number of the last fragment with a marker
    for j, (data, length) in enumerate(zip(fragments.offsets, fragments.lengths)):
        window = min(_EOI_SEARCH_WINDOW, length)
        if window >= len(_EOI_MARKER) and _EOI_MARKER in read_at(data + length - window, window):
            frame_starts.append(j + 1)
            last_marked = fragments.items[j]
    nr_found = len(frame_starts) - 1
    messages: tuple[str, ...] = ()
    trailing = last_marked < nr_fragments - 1
    if trailing:
        frame_starts.append(len(fragments.offsets))
        if nr_found >= number_of_frames:
            messages = (
                "The end of the encapsulated pixel data has been reached but no JPEG EOI/EOC "
                f"marker was found, the final frame (frame {nr_found}) may be invalid",
            )
        else:
            messages = (
                "The end of the encapsulated pixel data has been reached but fewer frames than "
                f"expected have been found ({nr_found + 1} of {number_of_frames}, the last "
                "without a JPEG EOI/EOC marker). Please confirm that the generated frame data "
                "is correct",
            )
    elif nr_found < number_of_frames:
        messages = (
            "The end of the encapsulated pixel data has been reached but fewer frames than "
            f"expected have been found ({nr_found} of {number_of_frames})",
        )
    found = FrameIndex(frame_starts, fragments.offsets, fragments.lengths, messages)
    return found, trailing


def _index_from_item_bounds(fragments: _Fragments, bounds: Iterable[int]) -> FrameIndex:
    """The index whose frame *i* holds the items from ``bounds[i]`` to ``bounds[i + 1]``."""
    starts = array("Q", (bisect.bisect_left(fragments.items, bound) for bound in bounds))
    return FrameIndex(starts, fragments.offsets, fragments.lengths)


def _iter_frame_ranges(
    read_at: ReadAt,
    start: int,
    end: int | None,
    *,
    number_of_frames: int | None,
    extended_offsets: ExtendedOffsets | None,
    endianness: str,
    warn: Callable[[str], None] = _warn,
) -> Iterator[list[tuple[int, int]]]:
    """Yield, per frame, the absolute (offset, length) of its fragments' data, with the warnings
    of :func:`frame_fragment_ranges` where pydicom gives them."""
    index, before_last = _index_frames(
        read_at,
        start,
        end,
        number_of_frames=number_of_frames,
        extended_offsets=extended_offsets,
        endianness=endianness,
    )
    last = len(index) - 1
    for number in range(len(index)):
        if number == last and before_last:
            for message in index.warnings:
                warn(message)
        yield index.ranges(number)
    if not before_last:
        for message in index.warnings:
            warn(message)


@checked_signature
def build_frame_index(
    read_at: ReadAt,
    start: int,
    end: int | None,
    *,
    number_of_frames: int | None,
    extended_offsets: ExtendedOffsets | None = None,
    endianness: str = "<",
) -> FrameIndex:
    """Return the :class:`~dicom_pixels.frame_index.FrameIndex` of an encapsulated value.

    The same frames as :func:`frame_fragment_ranges`, in compact form; warnings
    are not issued but kept in the index's ``warnings``. Empty fragments are not
    stored, and a walk over many tiny items reads blocks, so a value of millions
    of empty items costs time in proportion to its size and little memory.

    :raises InvalidDicomError: as :func:`frame_fragment_ranges`, and when there
        are more than :data:`~dicom_pixels.frame_index.MAX_FRAGMENTS` non-empty
        fragments.

    >>> data = encapsulate([b"abcd", b"efgh"], has_bot=False)
    >>> index = build_frame_index(lambda o, n: data[o:o + n], 0, len(data), number_of_frames=2)
    >>> len(index), index.ranges(1)
    (2, [(28, 4)])
    """
    _check_endianness(endianness)
    return _index_frames(
        read_at,
        start,
        end,
        number_of_frames=number_of_frames,
        extended_offsets=extended_offsets,
        endianness=endianness,
    )[0]


class FrameTable:
    """An offset table, locating any frame with a few reads and checking it as it goes.

    With a Basic Offset Table (PS3.5 A.4) frame *i*'s items run from entry *i*
    to entry *i + 1* (the last to the Sequence Delimitation Item); only those two
    entries are read, so a frame costs the same in a file of a million frames.
    With an Extended Offset Table (PS3.3 C.7.6.3.1.8) frame *i* is one fragment
    of the given length. Each frame is checked when it is located: its entries
    increase (the first is 0), an item tag at the offset, item lengths that fit
    the data and end at the next entry. A failed check raises
    :class:`InvalidDicomError`: the caller then walks every item with
    :func:`build_frame_index`, which gives the frames or the precise error.

    Use :meth:`read`, which returns ``None`` when the value has no table.

    >>> data = encapsulate([b"ab", b"cdef"])
    >>> table = FrameTable.read(lambda o, n: data[o:o + n], 0, len(data))
    >>> len(table), table.ranges(1)
    (2, [(34, 4)])
    """

    def __init__(
        self,
        read_at: ReadAt,
        end: int | None,
        endianness: str,
        first_fragment: int,
        count: int,
        extended: tuple[list[int], list[int]] | None,
    ) -> None:
        self._read_at = read_at
        self._end = end
        self._endianness = endianness
        self._first = first_fragment
        self._count = count
        self._extended = extended

    @classmethod
    def read(
        cls,
        read_at: ReadAt,
        start: int,
        end: int | None,
        *,
        extended_offsets: ExtendedOffsets | None = None,
        endianness: str = "<",
    ) -> FrameTable | None:
        """Read the header of the Basic Offset Table item at `start` (not its entries) and
        decode `extended_offsets`; return ``None`` when neither table has entries.

        :raises InvalidDicomError: a Basic Offset Table item or Extended Offset
            Table that cannot be read (the errors of :func:`frame_fragment_ranges`).
        """
        _check_endianness(endianness)
        length = _basic_offset_table_length(read_at, start, end, endianness)
        first_fragment = start + _ITEM_HEADER_LENGTH + length
        table = _decode_extended_offsets(extended_offsets, endianness)
        if table is not None:
            offsets = [offset for offset, _ in table]
            lengths = [length for _, length in table]
            return cls(read_at, end, endianness, first_fragment, len(table), (offsets, lengths))
        if length:
            return cls(read_at, end, endianness, first_fragment, length // 4, None)
        return None

    def __len__(self) -> int:
        return self._count

    def _basic_entries(self, index: int) -> list[int]:
        """Basic Offset Table entries `index` and `index + 1` (only the first for the last frame)."""
        count = 2 if index + 1 < self._count else 1
        entries_at = self._first - 4 * self._count
        raw = self._read_at(entries_at + 4 * index, 4 * count)
        if len(raw) != 4 * count:
            raise _TableMismatch("the Basic Offset Table is cut short")
        return list(struct.unpack(f"{self._endianness}{count}I", raw))

    def ranges(self, index: int) -> list[tuple[int, int]]:
        """The absolute (offset, length) of frame `index`'s fragments' data.

        :raises InvalidDicomError: the table does not match the items (then
            walk them all), or `index` is not a frame of the table.
        """
        if not 0 <= index < self._count:
            raise InvalidDicomError(
                f"Frame index {index} is out of range: the offset table has {self._count} entries"
            )
        if self._extended is not None:
            offsets, lengths = self._extended
            length = lengths[index]
            if index and offsets[index] < offsets[index - 1] + _ITEM_HEADER_LENGTH + lengths[index - 1]:
                raise _TableMismatch(f"Extended Offset Table entry {index} overlaps frame {index - 1}")
            _check_extended_entry(
                self._read_at, self._first, self._end, self._endianness, index, offsets[index], length
            )
            return [(self._first + offsets[index] + _ITEM_HEADER_LENGTH, length)]
        entries = self._basic_entries(index)
        if index == 0 and entries[0] != 0:
            raise _TableMismatch("the first Basic Offset Table entry is not 0")  # PS3.5 A.4
        stop = None
        if len(entries) == 2:
            if entries[1] <= entries[0]:
                raise _TableMismatch(f"Basic Offset Table entry {index + 1} does not increase")
            stop = self._first + entries[1]
            if self._end is not None and stop > self._end:
                raise _TableMismatch(f"Basic Offset Table entry {index + 1} points past the end")
        fragments = _walk_fragments(
            self._read_at, self._first + entries[0], self._end, self._endianness, stop_at=stop
        )
        if fragments.count == 0:
            raise _TableMismatch(f"no fragment item at Basic Offset Table entry {index}")
        return fragments.ranges()


@checked_signature
def frame_fragment_ranges(
    read_at: ReadAt,
    start: int,
    end: int | None,
    *,
    number_of_frames: int | None,
    extended_offsets: ExtendedOffsets | None = None,
    endianness: str = "<",
) -> list[list[tuple[int, int]]]:
    """Return where each frame's data lies, reading item headers only.

    Frame *i* is the concatenation of ``read_at(offset, length)`` over
    ``ranges[i]`` (empty fragments give no range). Only the item headers, the
    Basic Offset Table and, when the end-of-image heuristic is needed, the last
    10 bytes of each fragment are read, never whole fragments; runs of tiny
    items are read in blocks. :func:`build_frame_index` gives the same frames
    in compact form: the index the lazy file reader builds once per file when
    there is no offset table (with one, :class:`FrameTable` locates each frame
    in a few reads).

    Frame boundaries, in order of preference (the same rules, and results, as
    :func:`pydicom.encaps.generate_fragmented_frames`):

    1. the Extended Offset Table, when `extended_offsets` is given and not
       empty: one fragment per frame, with the table's length (PS3.3
       C.7.6.3.1.8); `number_of_frames` is not used;
    2. the Basic Offset Table, when not empty: a frame runs from the fragment
       its offset points at up to the next frame's first fragment (PS3.5 A.4);
       `number_of_frames` is not used;
    3. otherwise, one fragment is one frame; as many fragments as
       `number_of_frames` is one fragment per frame; `number_of_frames` of 1
       puts every fragment in the frame; more fragments than frames ends a
       frame at each fragment with a JPEG EOI / JPEG 2000 EOC marker
       (``FF D9``) in its last 10 bytes. That heuristic may find more frames
       than `number_of_frames` (all are returned); trailing fragments without
       a marker become a last frame, with a :class:`UserWarning`, and so does
       finding fewer frames than expected.

    :param read_at: ``read_at(offset, length)`` returns up to `length` bytes
        at the absolute `offset` (for example ``os.pread`` on a file
        descriptor); fewer bytes only at the end of the data.
    :param start: absolute offset of the Pixel Data value, i.e. of the Basic
        Offset Table item's tag.
    :param end: absolute offset just past the end of the data, when known; item
        lengths are checked against it. The walk also stops at the Sequence
        Delimitation Item (FFFE,E0DD).
    :param number_of_frames: the Number of Frames (0028,0008) value, or
        ``None``; needed when there is no offset table and more than one
        fragment.
    :param extended_offsets: (Extended Offset Table, Extended Offset Table
        Lengths) as lists of int or their raw 8-byte-per-entry values; offsets
        are measured from the first item after the Basic Offset Table.
    :param endianness: ``"<"`` (little endian, every current transfer syntax)
        or ``">"``.
    :returns: one list per frame of absolute (offset, length) byte ranges of
        its fragments' data, in order.
    :raises InvalidDicomError: bad item tag, undefined item length, offsets
        that do not increase or do not point at fragment items, fewer
        fragments than frames, or unknown boundaries.
    :raises TruncatedDataError: an item or table that runs past `end`.

    >>> from dicom_pixels.encaps import encapsulate
    >>> data = encapsulate([b"abcd", b"efgh"])
    >>> frame_fragment_ranges(lambda o, n: data[o:o + n], 0, len(data), number_of_frames=2)
    [[(24, 4)], [(36, 4)]]
    """
    _check_endianness(endianness)
    return list(
        _iter_frame_ranges(
            read_at,
            start,
            end,
            number_of_frames=number_of_frames,
            extended_offsets=extended_offsets,
            endianness=endianness,
        )
    )


# Reading: the pydicom.encaps API -------------------------------------------------------


def _read_ranges(source: _Input, ranges: list[tuple[int, int]]) -> list[bytes]:
    chunks = [source.read_at(offset, length) for offset, length in ranges]
    for (offset, length), chunk in zip(ranges, chunks):
        if len(chunk) != length:
            raise TruncatedDataError(
                f"Only {len(chunk)} of the {length} bytes of the fragment at byte offset "
                f"{offset} could be read; check that the file was copied completely"
            )
    return chunks


@checked_signature
def parse_basic_offsets(buffer: _EncapsulatedInput, *, endianness: str = "<") -> list[int]:
    """Return the frame offsets of the Basic Offset Table at the start of `buffer`.

    The offsets are those of each frame's first fragment item tag, measured
    from the end of the Basic Offset Table item (PS3.5 A.4); an empty table
    gives ``[]``. A file-like `buffer` is left positioned just after the table.

    :param buffer: the encapsulated Pixel Data value, bytes-like or a seekable
        binary file-like positioned at the Basic Offset Table item.
    :param endianness: ``"<"`` (default) or ``">"``.
    :raises InvalidDicomError: not an item tag, or a length not a multiple of 4.
    :raises TruncatedDataError: the table runs past the end of the data.

    >>> parse_basic_offsets(b"\\xfe\\xff\\x00\\xe0\\x08\\x00\\x00\\x00" + bytes(4) + b"\\x10\\x00\\x00\\x00")
    [0, 16]
    """
    _check_endianness(endianness)
    source = _Input(buffer)
    offsets, after_table = _read_basic_offset_table(
        source.read_at, source.start, source.end, endianness
    )
    if source.file is not None:
        source.file.seek(after_table)
    return offsets


@checked_signature
def parse_fragments(buffer: _EncapsulatedInput, *, endianness: str = "<") -> tuple[int, list[int]]:
    """Return the number of fragment items in `buffer` and the offset of each item tag.

    `buffer` starts at a fragment's item tag (usually just after the Basic
    Offset Table); parsing stops at the Sequence Delimitation Item or the end
    of the data. Offsets are absolute positions in `buffer` (in the file for a
    file-like, whose position is restored afterwards).

    :param buffer: bytes-like or a seekable binary file-like.
    :param endianness: ``"<"`` (default) or ``">"``.
    :raises InvalidDicomError: a tag other than an item or the delimiter.
    :raises TruncatedDataError: an item that runs past the end of the data.

    >>> parse_fragments(b"\\xfe\\xff\\x00\\xe0\\x02\\x00\\x00\\x00ab\\xfe\\xff\\x00\\xe0\\x00\\x00\\x00\\x00")
    (2, [0, 10])
    """
    _check_endianness(endianness)
    source = _Input(buffer)
    try:
        items = _iter_fragment_items(source.read_at, source.start, source.end, endianness)
        offsets = [data - _ITEM_HEADER_LENGTH for data, _ in items]
    finally:
        source.restore()
    return len(offsets), offsets


@checked_signature
def generate_fragments(buffer: _EncapsulatedInput, *, endianness: str = "<") -> Iterator[bytes]:
    """Yield the data of each fragment item in `buffer`.

    `buffer` starts at a fragment's item tag (usually just after the Basic
    Offset Table); iteration stops at the Sequence Delimitation Item or the end
    of the data. A file-like is left just after the last fragment yielded.

    :param buffer: bytes-like or a seekable binary file-like.
    :param endianness: ``"<"`` (default) or ``">"``.
    :raises InvalidDicomError: a tag other than an item or the delimiter.
    :raises TruncatedDataError: an item that runs past the end of the data.

    >>> list(generate_fragments(b"\\xfe\\xff\\x00\\xe0\\x02\\x00\\x00\\x00ab"))
    [b'ab']
    """
    _check_endianness(endianness)
    source = _Input(buffer)
    for offset, length in _iter_fragment_items(
        source.read_at, source.start, source.end, endianness
    ):
        yield _read_ranges(source, [(offset, length)])[0]


@checked_signature
def generate_fragmented_frames(
    buffer: _EncapsulatedInput,
    *,
    number_of_frames: int | None = None,
    extended_offsets: ExtendedOffsets | None = None,
    endianness: str = "<",
) -> Iterator[tuple[bytes, ...]]:
    """Yield each frame of the encapsulated `buffer` as a tuple of its fragments.

    Frame boundaries follow the rules of :func:`frame_fragment_ranges`: the
    Extended Offset Table, else the Basic Offset Table, else the number of
    fragments and `number_of_frames`, else the JPEG end-of-image heuristic
    (which may yield more frames than `number_of_frames`). A file-like is
    left just after the last fragment read.

    :param buffer: the encapsulated Pixel Data value, bytes-like or a seekable
        binary file-like positioned at the Basic Offset Table item.
    :param number_of_frames: the Number of Frames (0028,0008) value; needed
        when there is no offset table and more than one fragment.
    :param extended_offsets: (Extended Offset Table, Extended Offset Table
        Lengths), as lists of int or raw encoded bytes.
    :param endianness: ``"<"`` (default) or ``">"``.
    :raises InvalidDicomError: or :class:`TruncatedDataError` on bad data.

    >>> data = encapsulate([b"abcdef"], fragments_per_frame=3)
    >>> list(generate_fragmented_frames(data))
    [(b'ab', b'cd', b'ef')]
    """
    _check_endianness(endianness)
    source = _Input(buffer)
    for ranges in _iter_frame_ranges(
        source.read_at,
        source.start,
        source.end,
        number_of_frames=number_of_frames,
        extended_offsets=extended_offsets,
        endianness=endianness,
    ):
        yield tuple(_read_ranges(source, ranges))


@checked_signature
def generate_frames(
    buffer: _EncapsulatedInput,
    *,
    number_of_frames: int | None = None,
    extended_offsets: ExtendedOffsets | None = None,
    endianness: str = "<",
) -> Iterator[bytes]:
    """Yield each complete frame of the encapsulated `buffer`.

    The same as :func:`generate_fragmented_frames` with each frame's fragments
    joined.

    :param buffer: the encapsulated Pixel Data value, bytes-like or a seekable
        binary file-like positioned at the Basic Offset Table item.
    :param number_of_frames: the Number of Frames (0028,0008) value; needed
        when there is no offset table and more than one fragment.
    :param extended_offsets: (Extended Offset Table, Extended Offset Table
        Lengths), as lists of int or raw encoded bytes.
    :param endianness: ``"<"`` (default) or ``">"``.
    :raises InvalidDicomError: or :class:`TruncatedDataError` on bad data.

    >>> data = encapsulate([b"ab", b"cd"], fragments_per_frame=1, has_bot=False)
    >>> list(generate_frames(data, number_of_frames=2))
    [b'ab', b'cd']
    """
    for fragments in generate_fragmented_frames(
        buffer,
        number_of_frames=number_of_frames,
        extended_offsets=extended_offsets,
        endianness=endianness,
    ):
        yield b"".join(fragments)


@checked_signature
def get_frame(
    buffer: _EncapsulatedInput,
    index: int,
    *,
    extended_offsets: ExtendedOffsets | None = None,
    number_of_frames: int | None = None,
    endianness: str = "<",
) -> bytes:
    """Return frame `index` (from 0) of the encapsulated `buffer`.

    Uses the same frame boundaries as :func:`generate_frames` but reads only
    the requested frame's data (and item headers). A file-like's position is
    restored afterwards.

    :param buffer: the encapsulated Pixel Data value, bytes-like or a seekable
        binary file-like positioned at the Basic Offset Table item.
    :param index: the frame number, from 0.
    :param extended_offsets: (Extended Offset Table, Extended Offset Table
        Lengths), as lists of int or raw encoded bytes.
    :param number_of_frames: the Number of Frames (0028,0008) value; needed
        when there is no offset table and more than one fragment.
    :param endianness: ``"<"`` (default) or ``">"``.
    :raises InvalidDicomError: `index` out of range, or bad data (a
        :class:`TruncatedDataError` when the data is cut short).

    >>> get_frame(encapsulate([b"ab", b"cd"]), 1)
    b'cd'
    """
    _check_endianness(endianness)
    check_integer(index, "index", "get_frame")
    if number_of_frames is not None:
        check_integer(number_of_frames, "number_of_frames", "get_frame", minimum=0)
    if index < 0:
        raise InvalidDicomError(f"Invalid frame index {index}: frame indices start at 0")
    source = _Input(buffer)
    pending_warnings: list[str] = []
    nr_seen = 0
    try:
        for current, ranges in enumerate(
            _iter_frame_ranges(
                source.read_at,
                source.start,
                source.end,
                number_of_frames=number_of_frames,
                extended_offsets=extended_offsets,
                endianness=endianness,
                # warnings about frames after `index` do not concern this call
                warn=pending_warnings.append,
            )
        ):
            nr_seen = current + 1
            if current == index:
                for message in pending_warnings:
                    warnings.warn(message, UserWarning, stacklevel=2)
                return b"".join(_read_ranges(source, ranges))
    finally:
        source.restore()
    raise InvalidDicomError(
        f"Frame index {index} is out of range: the encapsulated Pixel Data holds "
        f"{nr_seen} frame{'' if nr_seen == 1 else 's'} (indices 0 to {nr_seen - 1}); "
        "check the index against the Number of Frames"
    )


# Writing ------------------------------------------------------------------------------


@checked_signature
def fragment_frame(frame: bytes | bytearray | memoryview, nr_fragments: int = 1) -> Iterator[bytes]:
    """Yield `frame` split into `nr_fragments` fragments of even length.

    PS3.5 A.4: every fragment item holds an even number of bytes, at least
    two; an odd-length frame gets one trailing ``00`` in its last fragment.
    The split is pydicom's (equal fragments, rounded up to even, and the
    remainder last) except where that would give an empty or odd-length
    fragment; then the 2-byte words are spread as evenly as possible.

    :param frame: one encoded frame.
    :param nr_fragments: the number of fragments, from 1 to half the frame
        length rounded up.
    :raises InvalidDicomError: too many fragments for the frame's length.

    >>> list(fragment_frame(b"abcde", 2))
    [b'ab', b'cde\\x00']
    """
    check_bytes(frame, "frame", "fragment_frame")
    check_integer(nr_fragments, "nr_fragments", "fragment_frame")
    data = bytes(frame)
    nr_words = (len(data) + 1) // 2
    if nr_fragments < 1 or nr_fragments > nr_words:
        raise InvalidDicomError(
            f"Cannot split a {len(data)}-byte frame into {nr_fragments} fragments: each "
            f"fragment must hold at least 2 bytes (PS3.5 A.4), so use 1 to {nr_words} fragments"
        )
    if len(data) % 2:
        # PS3.5 A.4 / 7.1.1: OB values are padded with one trailing NULL byte
        data += b"\x00"
    size = len(frame) // nr_fragments
    size += size % 2
    if 0 < size * (nr_fragments - 1) < len(frame) or nr_fragments == 1:
        sizes = [size] * (nr_fragments - 1) + [len(data) - size * (nr_fragments - 1)]
    else:
        words, extra = divmod(nr_words, nr_fragments)
        sizes = [2 * (words + (i < extra)) for i in range(nr_fragments)]
    offset = 0
    for fragment_size in sizes:
        yield data[offset : offset + fragment_size]
        offset += fragment_size


@checked_signature
def itemize_fragment(fragment: bytes | bytearray | memoryview) -> bytes:
    """Return `fragment` as a little endian item: tag (FFFE,E000), 4-byte length, data.

    The data is not padded; use :func:`fragment_frame` for even lengths.

    >>> itemize_fragment(b"ab")
    b'\\xfe\\xff\\x00\\xe0\\x02\\x00\\x00\\x00ab'
    """
    check_bytes(fragment, "fragment", "itemize_fragment")
    if len(fragment) > _MAX_BASIC_OFFSET - 1:
        raise InvalidDicomError(
            f"A fragment of {len(fragment)} bytes does not fit an item's 32-bit length "
            "(PS3.5 7.5); split the frame into more fragments"
        )
    return b"\xfe\xff\x00\xe0" + struct.pack("<I", len(fragment)) + bytes(fragment)


@checked_signature
def itemize_frame(frame: bytes | bytearray | memoryview, nr_fragments: int = 1) -> Iterator[bytes]:
    """Yield the items of `frame` split into `nr_fragments` fragments (see :func:`fragment_frame`).

    >>> list(itemize_frame(b"abc"))
    [b'\\xfe\\xff\\x00\\xe0\\x04\\x00\\x00\\x00abc\\x00']
    """
    for fragment in fragment_frame(frame, nr_fragments):
        yield itemize_fragment(fragment)


def _check_frames(frames: object, function: str) -> None:
    if isinstance(frames, (bytes, bytearray, memoryview, str)) or not isinstance(frames, Sequence):
        raise ArgumentTypeError(
            f"{function}(): 'frames' must be a sequence (a list) of encoded frames, not "
            f"{type(frames).__name__}; wrap a single frame as [frame]"
        )
    for frame in frames:
        check_bytes(frame, "frames", function)


def _itemized_length(frame_length: int, nr_fragments: int) -> int:
    # Each fragment has an 8-byte header; the frame is padded to even length
    return nr_fragments * _ITEM_HEADER_LENGTH + frame_length + frame_length % 2


@checked_signature
def encapsulate(
    frames: Sequence[bytes | bytearray | memoryview],
    fragments_per_frame: int = 1,
    has_bot: bool = True,
) -> bytes:
    """Return the encapsulated Pixel Data value holding `frames` (PS3.5 A.4).

    The value starts with a Basic Offset Table item (filled in when `has_bot`,
    else empty), then each frame's fragment items; odd-length frames are
    padded to even length with one ``00`` byte. No Sequence Delimitation Item
    is appended (the writer adds it after the value). Basic Offset Table
    entries are 32-bit: when the last frame would start beyond 2**32 - 1 bytes
    use :func:`encapsulate_extended` instead.

    :param frames: the encoded frames, one per item group.
    :param fragments_per_frame: fragments per frame (default 1).
    :param has_bot: fill in the Basic Offset Table (default ``True``).
    :raises InvalidDicomError: the offsets do not fit the Basic Offset Table,
        or a frame is too short for `fragments_per_frame`.

    >>> encapsulate([b"ab"])
    b'\\xfe\\xff\\x00\\xe0\\x04\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\xfe\\xff\\x00\\xe0\\x02\\x00\\x00\\x00ab'
    """
    _check_frames(frames, "encapsulate")
    check_integer(fragments_per_frame, "fragments_per_frame", "encapsulate", minimum=1)
    lengths = [_itemized_length(len(frame), fragments_per_frame) for frame in frames]
    offsets = [0]
    for length in lengths[:-1]:
        offsets.append(offsets[-1] + length)
    if has_bot and frames and offsets[-1] > _MAX_BASIC_OFFSET:
        raise InvalidDicomError(
            f"The last of the {len(frames)} frames would start {offsets[-1]} bytes into the "
            f"encapsulated data, beyond the Basic Offset Table's 32-bit limit of "
            f"{_MAX_BASIC_OFFSET} bytes (PS3.5 A.4); use encapsulate_extended() and store its "
            "Extended Offset Table, or pass has_bot=False"
        )

    output = bytearray(b"\xfe\xff\x00\xe0")
    if has_bot:
        nr_frames = len(frames)
        output += struct.pack(f"<I{nr_frames}I", 4 * nr_frames, *offsets[:nr_frames])
    else:
        output += struct.pack("<I", 0)
    for frame in frames:
        for item in itemize_frame(frame, fragments_per_frame):
            output += item
    return bytes(output)


@checked_signature
def encapsulate_extended(
    frames: Sequence[bytes | bytearray | memoryview],
) -> tuple[bytes, bytes, bytes]:
    """Return (encapsulated value, Extended Offset Table, Extended Offset Table Lengths).

    Each frame is one fragment after an empty Basic Offset Table; the tables
    hold one little endian 64-bit entry per frame (PS3.3 C.7.6.3.1.8): the
    offset of its item tag from the first fragment, and its (even, padded)
    length. Use it when the data is too large for the Basic Offset Table.

    >>> value, offsets, lengths = encapsulate_extended([b"abc", b"de"])
    >>> offsets == (0).to_bytes(8, "little") + (12).to_bytes(8, "little")
    True
    >>> lengths == (4).to_bytes(8, "little") + (2).to_bytes(8, "little")
    True
    """
    _check_frames(frames, "encapsulate_extended")
    lengths = [len(frame) + len(frame) % 2 for frame in frames]
    offsets = [0]
    for length in lengths[:-1]:
        offsets.append(offsets[-1] + _ITEM_HEADER_LENGTH + length)
    offsets = offsets[: len(lengths)]
    return (
        encapsulate(frames, has_bot=False),
        struct.pack(f"<{len(offsets)}Q", *offsets),
        struct.pack(f"<{len(lengths)}Q", *lengths),
    )
