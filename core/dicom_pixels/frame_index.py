"""Where each frame of encapsulated Pixel Data lies, built once per file and kept.

A :class:`FrameIndex` is the result of walking the fragment items of an
encapsulated value (PS3.5 A.4) without an offset table: for each frame, the
absolute byte ranges of its fragments' data. It stores them compactly (three
``array('Q')``, 24 bytes per non-empty fragment and 8 per frame), so that an
index of a 2,000-frame slide is about 64 KB, pickles as bytes and travels with
a source to another process. Empty fragment items hold no data and are not
stored (PS3.5 A.4 allows them; an attacker may send millions).

Indexes of files are kept in :data:`INDEX_CACHE`, a bounded process-wide LRU
cache keyed by the file's identity (real path, size, modification time in
nanoseconds, inode) and how it was read, so that opening the same file again,
as a data loader does once per frame, does not walk its fragments again; a
file that changed gets a new key.

>>> index = FrameIndex.from_frames([[(100, 4), (112, 6)], [(126, 2)]])
>>> len(index), index.ranges(0), index.encoded_length(0)
(2, [(100, 4), (112, 6)], 10)
>>> index.read(1, lambda offset, length: bytes(range(offset, offset + length)))
b'~\\x7f'
"""

from __future__ import annotations

import os
import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

__all__ = [
    "INDEX_CACHE",
    "MAX_FRAGMENTS",
    "FrameIndex",
    "FrameIndexCache",
    "file_identity",
    "read_ranges",
]

#: The most non-empty fragments one encapsulated value may have: above it the
#: walk stops with a :class:`~dicom_pixels.errors.InvalidDicomError` instead of
#: indexing them. Real files have one to a few fragments per frame (a
#: 100,000-frame file with 10 fragments per frame stays below); each stored
#: fragment costs 24 bytes, so the ceiling bounds an index to 24 MiB. Empty
#: fragments are skipped without being stored and do not count. Raise it
#: (``dicom_pixels.frame_index.MAX_FRAGMENTS = ...``) for exceptional files.
MAX_FRAGMENTS = 1 << 20

# Two ranges of one frame whose gap (item headers, empty items) is at most this
# are read with one read and the gap cut out: fewer reads for local files and
# fewer requests for remote ones, for at most this many extra bytes.
_COALESCE_GAP = 4096

ReadAt = Callable[[int, int], bytes]


class FrameIndex:
    """The absolute (offset, length) byte ranges of each frame's fragments.

    Frame *i* is the concatenation of ``read_at(offset, length)`` over
    :meth:`ranges`\\ (i); a frame may have no range (empty fragments only).
    Build it with :meth:`from_frames` or :meth:`from_arrays`; it is immutable,
    safe to share between threads, and pickles compactly.

    >>> import pickle
    >>> index = FrameIndex.from_frames([[(8, 2)], [], [(20, 4)]])
    >>> clone = pickle.loads(pickle.dumps(index))
    >>> len(clone), clone.ranges(1), clone.ranges(2), clone == index
    (3, [], [(20, 4)], True)
    """

    __slots__ = ("frame_starts", "lengths", "offsets", "warnings")

    def __init__(
        self,
        frame_starts: array[int],
        offsets: array[int],
        lengths: array[int],
        warnings: tuple[str, ...] = (),
    ) -> None:
        #: frame *i*'s ranges are ``offsets[frame_starts[i]:frame_starts[i + 1]]``.
        self.frame_starts = frame_starts
        self.offsets = offsets
        self.lengths = lengths
        #: what was found doubtful while indexing (e.g. a last frame without a JPEG
        #: EOI marker), for the reader to warn about each time it uses the index.
        self.warnings = warnings

    @classmethod
    def from_arrays(
        cls, frame_starts: Iterable[int], offsets: Iterable[int], lengths: Iterable[int]
    ) -> FrameIndex:
        """Return the index of the given arrays (see the attributes).

        >>> FrameIndex.from_arrays([0, 1, 1], [8], [2]).ranges(0)
        [(8, 2)]
        """
        return cls(array("Q", frame_starts), array("Q", offsets), array("Q", lengths))

    @classmethod
    def from_frames(cls, frames: Iterable[Sequence[tuple[int, int]]]) -> FrameIndex:
        """Return the index of per-frame lists of (offset, length), dropping empty ranges.

        >>> FrameIndex.from_frames([[(8, 0), (16, 2)]]).ranges(0)
        [(16, 2)]
        """
        starts, offsets, lengths = array("Q", [0]), array("Q"), array("Q")
        for ranges in frames:
            for offset, length in ranges:
                if length:
                    offsets.append(offset)
                    lengths.append(length)
            starts.append(len(offsets))
        return cls(starts, offsets, lengths)

    def __len__(self) -> int:
        return len(self.frame_starts) - 1

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FrameIndex):
            return NotImplemented
        return (self.frame_starts, self.offsets, self.lengths) == (
            other.frame_starts, other.offsets, other.lengths
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"FrameIndex({len(self)} frames, {len(self.offsets)} fragments)"

    def __getstate__(self) -> tuple[bytes, bytes, bytes, tuple[str, ...]]:
        arrays = (self.frame_starts, self.offsets, self.lengths)
        return (*(values.tobytes() for values in arrays), self.warnings)  # type: ignore[return-value]

    def __setstate__(self, state: tuple[bytes, bytes, bytes, tuple[str, ...]]) -> None:
        arrays = []
        for raw in state[:3]:
            values = array("Q")
            values.frombytes(raw)
            arrays.append(values)
        self.frame_starts, self.offsets, self.lengths = arrays
        self.warnings = state[3]

    @property
    def fragment_count(self) -> int:
        """How many (non-empty) ranges the index holds, all frames together."""
        return len(self.offsets)

    @property
    def nbytes(self) -> int:
        """The memory held by the arrays, in bytes."""
        return 8 * (len(self.frame_starts) + 2 * len(self.offsets))

    def ranges(self, index: int) -> list[tuple[int, int]]:
        """The (offset, length) ranges of frame *index*, in order.

        >>> FrameIndex.from_frames([[(8, 2), (18, 4)]]).ranges(0)
        [(8, 2), (18, 4)]
        """
        first, stop = self.frame_starts[index], self.frame_starts[index + 1]
        return list(zip(self.offsets[first:stop], self.lengths[first:stop]))

    def encoded_length(self, index: int) -> int:
        """The number of bytes of frame *index*, without reading them.

        >>> FrameIndex.from_frames([[(8, 2), (18, 4)]]).encoded_length(0)
        6
        """
        return sum(self.lengths[self.frame_starts[index] : self.frame_starts[index + 1]])

    def read(self, index: int, read_at: ReadAt) -> bytes:
        """Return the bytes of frame *index* through ``read_at(offset, length)``.

        Ranges separated by at most a few KiB (item headers) are read together
        and the gaps cut out, so a frame of many fragments costs few reads.

        >>> data = b"..ab..cd"
        >>> FrameIndex.from_frames([[(2, 2), (6, 2)]]).read(0, lambda o, n: data[o:o + n])
        b'abcd'
        """
        return read_ranges(self.ranges(index), read_at)


def read_ranges(ranges: Sequence[tuple[int, int]], read_at: ReadAt) -> bytes:
    """Return the concatenated bytes of *ranges*, reading close ranges together.

    >>> data = b"xxab-cd"
    >>> read_ranges([(2, 2), (5, 2)], lambda o, n: data[o:o + n])
    b'abcd'
    """
    if len(ranges) == 1:
        return read_at(*ranges[0])
    parts: list[bytes | memoryview] = []
    group_start = 0
    while group_start < len(ranges):
        # extend the group while the next range starts close to where this one ends
        group_end = group_start + 1
        while group_end < len(ranges):
            previous_offset, previous_length = ranges[group_end - 1]
            gap = ranges[group_end][0] - (previous_offset + previous_length)
            if not 0 <= gap <= _COALESCE_GAP:
                break
            group_end += 1
        first_offset = ranges[group_start][0]
        last_offset, last_length = ranges[group_end - 1]
        if group_end - group_start == 1:
            parts.append(read_at(first_offset, last_length))
        else:
            block = memoryview(read_at(first_offset, last_offset + last_length - first_offset))
            for offset, length in ranges[group_start:group_end]:
                parts.append(block[offset - first_offset : offset - first_offset + length])
        group_start = group_end
    return b"".join(parts)


# -- the process-wide cache ----------------------------------------------------------------


def file_identity(path: str | os.PathLike[str]) -> tuple[str, int, int, int] | None:
    """Return (real path, size, st_mtime_ns, st_ino) of the regular file *path*, else ``None``.

    A file rewritten in place changes its size or modification time; one
    replaced by another (rename) changes its inode: either gives a new key.

    >>> import dicom_pixels as dp
    >>> file_identity(dp.examples.ct)[1] > 0
    True
    """
    try:
        real = os.path.realpath(path)
        status = os.stat(real)
    except (OSError, ValueError, TypeError):
        return None
    return real, status.st_size, status.st_mtime_ns, status.st_ino


class FrameIndexCache:
    """A thread-safe LRU cache of :class:`FrameIndex`, bounded by the fragments it holds.

    The size of an entry is its frames plus its fragments; the least recently
    used entries are dropped when the total would exceed *max_entries*. An
    index larger than the whole cache is not kept.

    >>> cache = FrameIndexCache(max_entries=10)
    >>> cache.put("a", FrameIndex.from_frames([[(8, 2)]] * 4))   # 4 frames + 4 fragments
    >>> cache.put("b", FrameIndex.from_frames([[(8, 2)]] * 3))   # 6 more: "a" is dropped
    >>> cache.get("a") is None, len(cache.get("b"))
    (True, 3)
    """

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict[Any, FrameIndex] = OrderedDict()
        self._total = 0
        self._lock = threading.Lock()

    @staticmethod
    def _size(index: FrameIndex) -> int:
        return len(index) + index.fragment_count

    def get(self, key: Any) -> FrameIndex | None:
        """Return the index stored under *key* (now the most recently used), else ``None``."""
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: Any, index: FrameIndex) -> None:
        """Store *index* under *key*, dropping the least recently used as needed."""
        size = self._size(index)
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._total -= self._size(old)
            if size > self.max_entries:
                return
            self._items[key] = index
            self._total += size
            while self._total > self.max_entries:
                _, dropped = self._items.popitem(last=False)
                self._total -= self._size(dropped)

    def clear(self) -> None:
        """Forget every index."""
        with self._lock:
            self._items.clear()
            self._total = 0

    def __len__(self) -> int:
        return len(self._items)


#: The indexes of files opened in this process, keyed by :func:`file_identity`
#: and the reading parameters. Bounded to 4 million entries (frames plus
#: fragments; at 24 bytes each about 100 MB at worst, a few KB per ordinary
#: file). ``INDEX_CACHE.clear()`` forgets them; ``INDEX_CACHE.max_entries = 0``
#: stops caching.
INDEX_CACHE = FrameIndexCache(max_entries=4 << 20)
