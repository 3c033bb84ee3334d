"""The frame-access protocol and its sources.

Every decode starts from a :class:`PixelSource`: an
:class:`~dicom_pixels.description.ImageDescription` plus random access to the
encoded bytes of frame *i*. :func:`open_source` turns whatever the user has
into one:

* a path, :class:`pathlib.Path`, URL (``http(s)://``, ``s3://``, ... through
  fsspec, with ``storage_options=``), ``bytes``, binary file-like or fsspec file
  holding a Part 10 file -> :class:`ElementSource` over the file, read lazily:
  only the header, the item headers of encapsulated data, and the bytes of the
  frames asked for;
* a pydicom ``Dataset`` (duck-typed, pydicom is not imported) -> an
  :class:`ElementSource` over ``ds.PixelData``;
* frames already separated (e.g. from DICOMweb) -> :class:`FramesSource`.

>>> import dicom_pixels as dp
>>> with open_source(dp.examples.get_path("ct")) as src:
...     src.image.rows, src.frame_count
(128, 1)
"""

from __future__ import annotations

import math
import os
import threading
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from typing_extensions import Self

from . import encaps
from .description import IMAGE_PIXEL_KEYWORDS, PIXEL_KEYWORDS, ImageDescription
from .errors import (
    DicomPixelsError,
    FrameIndexError,
    InvalidDicomError,
    InvalidPixelDescriptionError,
    SourceCannotTravelError,
    TruncatedDataError,
)
from .frame_index import INDEX_CACHE, FrameIndex, file_identity, read_ranges
from .reader import DicomFile, PixelElement, read_dicom
from .streams import is_fsspec_file, is_url

__all__ = [
    "IMAGE_PIXEL_OPTIONS",
    "ElementSource",
    "EncodedLengths",
    "FramesSource",
    "NativeFrameAccess",
    "PixelSource",
    "frame_index_error",
    "is_dataset",
    "open_source",
]

ReadAt = Callable[[int, int], bytes]

#: Keyword arguments that override Image Pixel module values of the source.
IMAGE_PIXEL_OPTIONS = frozenset(
    {attr for _, attr in IMAGE_PIXEL_KEYWORDS.values()}
    | {"pixel_keyword", "pixel_vr", "transfer_syntax_uid", "extended_offsets"}
)

# A source that has located this many frames from an offset table walks the item headers
# once instead and uses the index for the remaining frames.
_TABLE_LOOKUPS_BEFORE_WALK = 16


@runtime_checkable
class PixelSource(Protocol):
    """What the decoder needs: a description and the encoded bytes of each frame."""

    #: names the source in error messages (a path, ``"dataset"``, ...).
    name: str
    #: the image, with any user overrides applied.
    image: ImageDescription

    @property
    def frame_count(self) -> int:
        """How many frames the data holds; may exceed Number of Frames (excess frames)."""
        ...

    def read_frame(self, index: int) -> tuple[bytes, int]:
        """Return the encoded bytes of frame *index* and the bit where it starts in them."""
        ...

    def close(self) -> None:
        """Release files opened by the source."""
        ...

    def __enter__(self) -> PixelSource:
        ...

    def __exit__(self, *exc: object) -> None:
        ...


@runtime_checkable
class NativeFrameAccess(Protocol):
    """Optional to a :class:`PixelSource`: native frames copied as they are stored.

    The decoder checks ``isinstance(source, NativeFrameAccess)`` and then reads
    frames straight into its output (or views them with no copy) instead of
    decoding them; each method may still decline by returning ``False``/``None``.
    :class:`ElementSource` implements it.

    >>> import dicom_pixels as dp
    >>> with dp.source.open_source(dp.examples.ct) as src:
    ...     isinstance(src, NativeFrameAccess)
    True
    """

    def readinto_native_frame(self, index: int, buffer: Any) -> bool:
        """Copy native frame *index* into *buffer* as stored; ``False`` when it cannot."""
        ...

    def readinto_native_frames(self, first: int, count: int, buffer: Any) -> bool:
        """Copy *count* frames from *first* into *buffer* as stored; ``False`` when it cannot."""
        ...

    def native_memory(self) -> memoryview | None:
        """The in-memory bytes of every native frame, or ``None``."""
        ...


@runtime_checkable
class EncodedLengths(Protocol):
    """Optional to a :class:`PixelSource`: each frame's encoded length without reading it.

    With it the decoder refuses a large encapsulated volume whose frames are too short
    for their codestream header before allocating the output. Both built-in sources
    implement it.

    >>> import dicom_pixels as dp
    >>> with dp.source.open_source(dp.examples.get_path("rle_rgb")) as src:
    ...     isinstance(src, EncodedLengths), src.encoded_length(0) > 0
    (True, True)
    """

    def encoded_length(self, index: int) -> int:
        """The number of encoded bytes of frame *index*."""
        ...


def frame_index_error(name: str, index: int, count: int) -> FrameIndexError:
    """The error for frame *index* of a source *name* holding *count* frames.

    >>> print(frame_index_error("ct.dcm", 3, 1))
    There is no frame 3 in ct.dcm: the pixel data holds 1 frame (indices 0 to 0)
    """
    return FrameIndexError(
        f"There is no frame {index} in {name}: the pixel data holds {count} "
        f"frame{'s' if count != 1 else ''} (indices 0 to {count - 1})"
    )


class _SourceBase:
    name: str
    image: ImageDescription

    def close(self) -> None:
        """Release files opened by the source (nothing by default)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _frame_error(self, index: int, count: int) -> FrameIndexError:
        return frame_index_error(self.name, index, count)


class ElementSource(_SourceBase):
    """Frames of one pixel element whose value is reachable by random access.

    Native data: frame *i* is the byte range of its bits (PS3.5 8.1.1; 1-bit
    frames may start mid-byte). Encapsulated data: frame *i* is located from the
    Basic or Extended Offset Table (a few reads, checked as it is read), or,
    without a usable table, from a :class:`~dicom_pixels.frame_index.FrameIndex`
    built once from the item headers (PS3.5 A.4); it is the join of its fragments.

    :param name: for messages.
    :param image: the description.
    :param read_at: ``read_at(offset, length) -> bytes`` over the stream holding the value.
    :param value_offset: where the pixel element's value starts.
    :param value_length: its length, ``None`` for undefined length (encapsulated).
    :param stream_size: length of the stream, to bound undefined-length walks.
    :param extended_offsets: the Extended Offset Table and its lengths, if present.
    :param allow_excess_frames: ``True``: return frames beyond Number of Frames when the data
        holds them; ``False``: never; ``None`` (the default): native data keeps Number of
        Frames (with a warning), encapsulated data returns every frame found (as pydicom).
    :param closer: called by :meth:`close`.
    :param readinto_at: ``readinto_at(offset, buffer) -> int``, filling *buffer* from
        *offset* without an intermediate copy (optional; see :meth:`readinto_native_frame`).
    :param memory: the stream itself when it is already in memory (a dataset's
        value), for :meth:`native_memory`.
    :param index_path: the path of the file and how it was read (its transfer syntax),
        so that the frame index of encapsulated data without an offset table is taken
        from, and kept in, :data:`~dicom_pixels.frame_index.INDEX_CACHE`, keyed by the
        file's :func:`~dicom_pixels.frame_index.file_identity`.
    :param frame_index: a frame index already built for this value (e.g. unpickled).
    :param origin: what the source refers to, so that it can travel to another
        process (:mod:`pickle`): ``("path", path)``, ``("url", url, storage_options)``,
        ``("bytes", data)`` (a whole file) or ``("value", data)`` (the pixel value
        itself); ``None`` when it cannot (a caller's file object).

    A pickled source carries its origin, options, description and the frame index
    already built, and reopens its file lazily, on the first read, in the process
    that unpickles it. Used from a forked child, a source on a path reads through
    its own descriptor, one on a file object through ``os.pread`` on the object's
    descriptor, and refuses (a typed error) where neither is possible.

    >>> import pickle, dicom_pixels as dp
    >>> with open_source(dp.examples.get_path("rt_dose")) as src:
    ...     copy = pickle.loads(pickle.dumps(src))
    >>> copy.read_frame(3) == open_source(dp.examples.get_path("rt_dose")).read_frame(3)
    True
    >>> copy.close()
    """

    def __init__(
        self,
        name: str,
        image: ImageDescription,
        read_at: ReadAt,
        value_offset: int,
        value_length: int | None,
        *,
        stream_size: int,
        extended_offsets: tuple[Any, Any] | None = None,
        allow_excess_frames: bool | None = None,
        closer: Callable[[], None] | None = None,
        readinto_at: Callable[[int, Any], int] | None = None,
        memory: memoryview | None = None,
        index_path: tuple[str | os.PathLike[str], str] | None = None,
        frame_index: FrameIndex | None = None,
        origin: tuple[Any, ...] | None = None,
    ) -> None:
        self.name = name
        self._origin = origin
        self._pid = os.getpid()
        self.image = image
        self._read_at = read_at
        self._readinto_at = readinto_at
        self._memory = memory
        self._offset = value_offset
        self._length = value_length
        self._stream_size = stream_size
        self._extended = extended_offsets
        self._allow_excess = allow_excess_frames
        self._closer = closer
        self._index_path = index_path
        #: where each encapsulated frame lies, once the fragments were walked (no usable
        #: offset table); picklable, and shared through the process-wide cache.
        self.frame_index = frame_index
        self._table: encaps.FrameTable | None = None
        self._table_read = False
        self._table_lookups = 0
        self._lock = threading.Lock()
        self._open_lock = threading.Lock()
        self._native_frames: int | None = None
        self._dicom: DicomFile | None = None
        if not image.transfer_syntax.encapsulated:
            self._native_frames = self._check_native_length()

    # -- travelling ---------------------------------------------------------------------------

    @property
    def _ranges_lock(self) -> threading.Lock:
        # Per process: a lock held by another thread at fork time would stay held in the child.
        if self._pid != os.getpid():
            self._lock = threading.Lock()
            self._open_lock = threading.Lock()
            self._pid = os.getpid()
        return self._lock

    @property
    def dicom(self) -> DicomFile | None:
        """The parsed file when the source is a Part 10 file (for ``ds_out``); opens a travelled source."""
        if self._dicom is None and self._origin is not None and self._origin[0] in _FILE_ORIGINS:
            self._reopen()
        return self._dicom

    @dicom.setter
    def dicom(self, value: DicomFile | None) -> None:
        self._dicom = value

    #: attributes that are this process's only: re-made by :meth:`__setstate__`.
    _LOCAL = ("_read_at", "_readinto_at", "_memory", "_closer", "_lock", "_open_lock", "_dicom", "_pid",
              "_table", "_table_read")

    def __getstate__(self) -> dict[str, Any]:
        if self._origin is None:
            raise SourceCannotTravelError(
                f"The source on {self.name} cannot be pickled (sent to another process): it "
                "reads a file object that is only open in this process. Pass a path or a URL "
                "(or the file's bytes) to open_source() instead"
            )
        state = {key: value for key, value in self.__dict__.items() if key not in self._LOCAL}
        kind, what = self._origin[0], self._origin[1]
        if kind in ("value", "bytes") and not isinstance(what, bytes):  # a view: its bytes travel
            state["_origin"] = (kind, bytes(what))
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._open_lock = threading.Lock()
        self._dicom = None
        self._closer = None
        self._memory = None
        self._table = None  # it reads through this process's file: located again here
        self._table_read = False
        origin = self._origin
        assert origin is not None  # (refused by __getstate__)
        if origin[0] == "value":  # the pixel value itself travelled: nothing to open
            self._memory = memoryview(origin[1])
            self._read_at = _buffer_reader(self._memory, self.name)
            self._readinto_at = None
        else:  # reopened on the first read, in this process
            self._read_at = self._read_after_reopen
            self._readinto_at = self._readinto_after_reopen

    def _reopen(self) -> None:
        # Its own lock: the first read may come from inside _fragment_ranges, under _ranges_lock.
        with self._open_lock:
            if self._dicom is not None:
                return
            origin = self._origin
            assert origin is not None
            kind, what = origin[0], origin[1]
            storage_options = origin[2] if kind == "url" else None
            dicom = read_dicom(
                what,
                transfer_syntax_uid=self.image.transfer_syntax_uid,
                specific_tags=(),
                storage_options=storage_options,
            )
            pixel = dicom.pixel
            if pixel is None or pixel.offset != self._offset or pixel.length != self._length:
                dicom.close()
                raise InvalidDicomError(
                    f"{self.name} changed since the source was sent to this process: its pixel "
                    "data is no longer where it was; open it again with open_source()"
                )
            self._read_at, self._readinto_at = dicom.read_at, dicom.readinto_at
            self._closer = dicom.close
            self._dicom = dicom

    def _read_after_reopen(self, offset: int, length: int) -> bytes:
        self._reopen()
        return self._read_at(offset, length)

    def _readinto_after_reopen(self, offset: int, buffer: Any) -> int:
        self._reopen()
        assert self._readinto_at is not None
        return self._readinto_at(offset, buffer)

    # -- native ---------------------------------------------------------------------------

    @property
    def _swap_ow(self) -> bool:
        # PS3.5 A.2 / 7.3: in Explicit VR Big Endian, 8-bit pixel data stored as OW is
        # byte-swapped per 16-bit word, so samples must be swapped back pairwise.
        image = self.image
        return (
            not image.transfer_syntax.little_endian
            and image.bits_allocated == 8
            and image.pixel_keyword == "PixelData"
            and image.pixel_vr == "OW"
        )

    def _check_native_length(self) -> int:
        """Validate the native value length (as pydicom does) and return the usable frames."""
        image = self.image
        if self._length is None:
            # An undefined length is only valid for encapsulated data (PS3.5 A.4): the
            # header and the transfer syntax disagree, so there is no length to trust.
            raise InvalidDicomError(
                f"The {image.pixel_keyword} element in {self.name} has an undefined length, "
                "which only encapsulated (compressed) transfer syntaxes allow (PS3.5 A.4), but "
                f"the transfer syntax is '{image.transfer_syntax.name}': the (0002,0010) "
                "Transfer Syntax UID is probably wrong; pass transfer_syntax_uid= to override it"
            )
        actual = self._length
        expected = image.expected_length
        padded = expected + expected % 2
        if actual < padded and actual != expected:
            raise TruncatedDataError(
                f"The number of bytes of pixel data in {self.name} is less than expected "
                f"({actual} vs {padded} bytes): the file may be truncated, a group 0028 "
                "element (Rows, Columns, Samples per Pixel, Bits Allocated, Number of Frames) "
                "may be wrong, or the transfer syntax may be incorrect"
            )
        frames = image.number_of_frames
        if actual > padded:
            if image.photometric_interpretation == "YBR_FULL_422":
                ybr_length = expected // 2 * 3
                if actual >= ybr_length + ybr_length % 2:
                    raise InvalidPixelDescriptionError(
                        f"The number of bytes of pixel data in {self.name} is a third larger "
                        f"than expected ({actual} vs {expected} bytes) which indicates the "
                        "(0028,0004) Photometric Interpretation value of 'YBR_FULL_422' is "
                        "incorrect: pass photometric_interpretation='RGB' or 'YBR_FULL'"
                    )
            elif self._allow_excess is not False:
                whole = actual * 8 // image.frame_bits
                if whole > frames and self._allow_excess:
                    warnings.warn(
                        f"The pixel data in {self.name} holds {whole} frames, more than the "
                        f"(0028,0008) Number of Frames value of {frames}; returning all of "
                        "them as allow_excess_frames=True asks.",
                        UserWarning,
                        stacklevel=2,
                    )
                    return whole
                if whole > frames:
                    # Number of Frames governs, as in pydicom's pixel_array(path): a header
                    # over a huge value must not expose billions of frames (issue 15).
                    warnings.warn(
                        f"The pixel data in {self.name} holds {whole} frames, more than the "
                        f"(0028,0008) Number of Frames value of {frames}; returning the first "
                        f"{frames}. Pass allow_excess_frames=True to return all of them.",
                        UserWarning,
                        stacklevel=2,
                    )
        return frames

    def _read_native(self, index: int) -> tuple[bytes, int]:
        image = self.image
        start_bit = index * image.frame_bits
        start = self._offset + start_bit // 8
        bit_offset = start_bit % 8
        length = math.ceil((bit_offset + image.frame_bits) / 8)
        if not self._swap_ow:
            return self._read_at(start, length), bit_offset
        # Read the whole 16-bit words covering the frame, swap them back, then trim.
        relative = start - self._offset
        word_start = relative - relative % 2
        word_end = relative + length + (relative + length) % 2
        word_end = min(word_end, self._length or word_end)
        raw = bytearray(self._read_at(self._offset + word_start, word_end - word_start))
        if len(raw) % 2:
            raw.append(0)
        raw[0::2], raw[1::2] = raw[1::2], raw[0::2]
        skip = relative - word_start
        return bytes(raw[skip : skip + length]), bit_offset

    def readinto_native_frame(self, index: int, buffer: Any) -> bool:
        """Copy the stored bytes of native frame *index* straight into *buffer*.

        For byte-aligned frames, whose stored bytes are the frame (no word swap),
        read by a source that can fill a buffer in place. *buffer* is a writable,
        contiguous buffer of exactly one frame's length. Returns ``False``, having
        done nothing, when the frame cannot be copied as it is stored; the caller
        then reads it with :meth:`read_frame` and decodes it.

        >>> import numpy as np, dicom_pixels as dp
        >>> out = np.empty((128, 128), "i2")
        >>> with dp.source.open_source(dp.examples.ct) as src:
        ...     src.readinto_native_frame(0, out)
        True
        """
        return self.readinto_native_frames(index, 1, buffer)

    def readinto_native_frames(self, first: int, count: int, buffer: Any) -> bool:
        """Like :meth:`readinto_native_frame`, for *count* consecutive frames from *first*
        (stored one after the other, PS3.5 8.1.1) in one read: *buffer* holds exactly
        *count* frames. Reads from different threads may fill parts of one output.

        :raises InvalidDicomError: a frame of the range is not in the data.

        >>> import numpy as np, dicom_pixels as dp
        >>> out = np.empty((3, 10, 10), "u4")   # rt_dose: 8 frames of 10 x 10, 32-bit
        >>> with dp.source.open_source(dp.examples.rt_dose) as src:
        ...     src.readinto_native_frames(5, 3, out)
        True
        >>> bool((out == dp.pixel_array(dp.examples.rt_dose)[5:]).all())
        True
        """
        image = self.image
        if self._readinto_at is None or not self._frames_stored_as_is():
            return False
        total = self._native_frames
        assert total is not None  # (checked by _frames_stored_as_is)
        for index in (first, first + count - 1):
            if not 0 <= index < total:
                raise self._frame_error(index, total)
        view = memoryview(buffer).cast("B")
        if len(view) != count * image.frame_length:
            return False
        self._readinto_at(self._offset + first * image.frame_length, view)
        return True

    def native_memory(self) -> memoryview | None:
        """The in-memory bytes of every native frame, for a zero-copy view (``view_only``).

        ``None`` unless the value is already in memory (a dataset's Pixel Data) and
        its frames are byte-aligned and stored as they are (no word swap).

        >>> import dicom_pixels as dp
        >>> from pydicom import dcmread
        >>> ds = dcmread(dp.examples.ct)
        >>> with dp.source.open_source(ds) as src:
        ...     len(src.native_memory()) == len(ds.PixelData)
        True
        """
        if self._memory is None or not self._frames_stored_as_is():
            return None
        assert self._native_frames is not None
        end = self._offset + self._native_frames * self.image.frame_length
        return self._memory[self._offset : end]

    def _frames_stored_as_is(self) -> bool:
        """Native frames whose stored bytes are the frame: byte-aligned, no OW word swap."""
        return self._native_frames is not None and not self._swap_ow and self.image.frame_bits % 8 == 0

    # -- encapsulated -----------------------------------------------------------------------

    def _locator(self) -> FrameIndex | encaps.FrameTable:
        """The frame index once built, else the offset table when it has entries (frames are
        then located from it, a few reads each), else the frame index, built now."""
        if self.frame_index is not None:
            return self.frame_index
        if not self._table_read:
            with self._ranges_lock:
                if not self._table_read:
                    self._table = encaps.FrameTable.read(
                        self._read_at, self._offset, self._value_end(), extended_offsets=self._extended
                    )
                    self._table_read = True
        if self._table is not None:
            return self._table
        return self._build_index()

    def _value_end(self) -> int:
        return self._stream_size if self._length is None else self._offset + self._length

    def _build_index(self) -> FrameIndex:
        """Walk every fragment item once (PS3.5 A.4), or take the index of this file
        from :data:`~dicom_pixels.frame_index.INDEX_CACHE` when it was walked before."""
        built = self.frame_index
        if built is not None:
            return built
        with self._ranges_lock:
            if self.frame_index is None:
                key = None
                if self._index_path is not None and self._extended is None:
                    # Taken once opened: a file replaced since has another identity, and one
                    # rewritten in place another size or time (then it is walked again). A
                    # size other than the open stream's means the path is another file now.
                    path, how_read = self._index_path
                    identity = file_identity(path)
                    # what the walk depends on besides the file: where the value is and
                    # the Number of Frames (PS3.5 A.4: frames without an offset table)
                    if identity is not None and identity[1] == self._stream_size:
                        key = (identity, how_read, self._offset, self._length, self.image.number_of_frames)
                index = None if key is None else INDEX_CACHE.get(key)
                if index is None:
                    index = encaps.build_frame_index(
                        self._read_at,
                        self._offset,
                        self._value_end(),
                        # PS3.5 A.4.5-A.4.7: a video's fragments together hold one stream
                        # of every frame; the video codec splits it into pictures.
                        number_of_frames=1 if self.image.transfer_syntax.is_video else self.image.number_of_frames,
                        extended_offsets=self._extended,
                    )
                    if key is not None:
                        INDEX_CACHE.put(key, index)
                for message in index.warnings:
                    warnings.warn(message, UserWarning, stacklevel=5)
                self.frame_index = index
            return self.frame_index

    def _fragment_ranges(self, index: int) -> list[tuple[int, int]]:
        """The absolute (offset, length) of frame *index*'s fragments' data."""
        locator = self._locator()
        if isinstance(locator, encaps.FrameTable):
            self._table_lookups += 1
            if self._table_lookups > _TABLE_LOOKUPS_BEFORE_WALK:
                # Many frames of this source are read (a whole decode): one walk of the
                # item headers costs fewer reads than locating each frame from the table.
                return self._build_index().ranges(index)
            try:
                return locator.ranges(index)
            except InvalidDicomError:
                # The table proved wrong for this frame: walk every item, which either
                # finds the frames all the same or raises the precise error.
                return self._build_index().ranges(index)
        return locator.ranges(index)

    # -- protocol ----------------------------------------------------------------------------

    @property
    def frame_count(self) -> int:
        """How many frames the data holds (native: from the value length; encapsulated: the
        offset table's entries, else the frames found by walking the fragments)."""
        if self._native_frames is not None:
            return self._native_frames
        found = len(self._locator())
        if self._allow_excess is False:
            return min(found, self.image.number_of_frames)
        return found

    def read_frame(self, index: int) -> tuple[bytes, int]:
        """Return the encoded bytes of frame *index* and its starting bit."""
        count = self.frame_count
        if not 0 <= index < count:
            raise self._frame_error(index, count)
        if self._native_frames is not None:
            return self._read_native(index)
        return read_ranges(self._fragment_ranges(index), self._read_at), 0

    def encoded_length(self, index: int) -> int:
        """The number of encoded bytes of frame *index*, without reading them."""
        count = self.frame_count
        if not 0 <= index < count:
            raise self._frame_error(index, count)
        if self._native_frames is not None:
            return self.image.frame_length
        return sum(length for _, length in self._fragment_ranges(index))

    def close(self) -> None:
        """Close the file if this source opened it."""
        if self._closer is not None:
            self._closer()
            self._closer = None


class FramesSource(_SourceBase):
    """Frames that are already separated, plus their description.

    For pixel data that never was in a Part 10 file, e.g. frames fetched one by
    one from a DICOMweb server (``application/octet-stream`` or compressed
    frame bodies).

    >>> from dicom_pixels.description import ImageDescription
    >>> image = ImageDescription(1, 2, 1, 8, 8, 0, "MONOCHROME2", "1.2.840.10008.1.2.1")
    >>> FramesSource([b"\\x01\\x02", b"\\x03\\x04"], image).frame_count
    2
    """

    def __init__(self, frames: Sequence[bytes], image: ImageDescription, name: str = "frames") -> None:
        self.name = name
        self._frames = list(frames)
        # A video's one item is the stream of all its frames (PS3.5 A.4.5): Number of Frames stays.
        if image.number_of_frames != len(self._frames) and not image.transfer_syntax.is_video:
            image = image.replace(number_of_frames=len(self._frames))
        self.image = image

    @property
    def frame_count(self) -> int:
        """The number of frames given."""
        return len(self._frames)

    def encoded_length(self, index: int) -> int:
        """The number of bytes of frame *index*."""
        if not 0 <= index < len(self._frames):
            raise self._frame_error(index, len(self._frames))
        return len(self._frames[index])

    def read_frame(self, index: int) -> tuple[bytes, int]:
        """Return frame *index* as given."""
        if not 0 <= index < len(self._frames):
            raise self._frame_error(index, len(self._frames))
        return bytes(self._frames[index]), 0


# -- building sources -------------------------------------------------------------------------


def open_source(src: Any, *, specific_tags: Iterable[int] | None = None, **options: Any) -> PixelSource:
    """Return a :class:`PixelSource` for *src*, applying Image Pixel overrides in *options*.

    :param src: a path, ``bytes``, binary file-like, pydicom ``Dataset``, an
        existing :class:`PixelSource`, or a sequence of frame ``bytes`` (then
        *options* must describe the image: ``rows=``, ``columns=``, ...,
        ``transfer_syntax_uid=``).
    :param specific_tags: for a file, the top-level elements to keep besides the file
        meta, group 0028 and the offset tables (as :func:`~dicom_pixels.reader.read_dicom`);
        ``None``, the default, keeps every value up to 64 KiB. ``()`` keeps only what
        decoding needs: :func:`~dicom_pixels.pixel_array` reads a file so.
    :param options: decoding options; those in :data:`IMAGE_PIXEL_OPTIONS`
        override the values read from *src*; ``allow_excess_frames``: ``True``
        returns frames beyond Number of Frames, ``False`` never, ``None`` (default)
        only for encapsulated data (native data keeps Number of Frames, warning);
        ``storage_options`` (a dict) is passed to fsspec for a URL.
    :raises InvalidDicomError: *src* is not DICOM or has no pixel data.

    >>> import dicom_pixels as dp
    >>> src = open_source(dp.examples.get_path("ct"), photometric_interpretation="MONOCHROME1")
    >>> src.image.photometric_interpretation   # an override of the file's MONOCHROME2
    'MONOCHROME1'
    >>> src.close()
    """
    allow_excess = options.get("allow_excess_frames")
    if allow_excess is not None:
        allow_excess = bool(allow_excess)
    overrides = {k: v for k, v in options.items() if k in IMAGE_PIXEL_OPTIONS and v is not None}
    storage_options = options.get("storage_options")
    if isinstance(src, (str, os.PathLike, bytes, bytearray)):  # the common case first: no Protocol check
        return _file_source(src, overrides, allow_excess, specific_tags, storage_options)
    if isinstance(src, (ElementSource, FramesSource)) or (
        isinstance(src, PixelSource) and not is_dataset(src)
    ):
        return src
    if is_dataset(src):
        return _dataset_source(src, overrides, allow_excess)
    if isinstance(src, (list, tuple)) and all(isinstance(f, (bytes, bytearray, memoryview)) for f in src):
        image = ImageDescription.from_mapping(overrides).validate(where="the frames given")
        return FramesSource(src, image)
    if isinstance(src, (str, os.PathLike, bytes, bytearray, memoryview)) or hasattr(src, "read"):
        return _file_source(src, overrides, allow_excess, specific_tags, storage_options)
    raise InvalidDicomError(
        f"Unable to read pixel data from a {type(src).__name__}: pass a path, a URL, bytes, a "
        "binary file-like object, a pydicom Dataset, or a list of frames with their description"
    )


def _file_source(
    src: Any,
    overrides: dict[str, Any],
    allow_excess: bool | None,
    specific_tags: Iterable[int] | None,
    storage_options: Mapping[str, Any] | None = None,
) -> ElementSource:
    try:
        dicom = read_dicom(
            src,
            transfer_syntax_uid=overrides.get("transfer_syntax_uid"),
            specific_tags=specific_tags,
            storage_options=storage_options,
        )
    except DicomPixelsError:  # a missing path or a directory included: already typed
        raise
    except OSError as exc:  # raised by opening a path (reads report their own errors)
        raise InvalidDicomError(f"Unable to read '{os.fspath(src)}': {exc.strerror or exc}") from None
    try:
        source = _source_from_dicom(dicom, overrides, allow_excess, _origin_of(src, dicom))
    except BaseException:
        dicom.close()
        raise
    if isinstance(src, (str, os.PathLike)) and source.image.transfer_syntax.encapsulated:
        source._index_path = (os.path.abspath(os.fspath(src)), dicom.transfer_syntax.uid)
    return source


#: origins that name a whole Part 10 file (reopened with read_dicom).
_FILE_ORIGINS = ("path", "url", "bytes")


def _origin_of(src: Any, dicom: DicomFile) -> tuple[Any, ...] | None:
    """What a file source refers to, for pickling; ``None`` for a caller's file object."""
    if isinstance(src, (bytes, bytearray, memoryview)):
        return ("bytes", src)  # copied to bytes only if the source is pickled
    if is_url(src) or is_fsspec_file(src):
        stream: Any = dicom.stream.origin  # past a borrowed or inflated stream
        return ("url", stream.url, stream.storage_options)
    if isinstance(src, (str, os.PathLike)):
        return ("path", os.path.abspath(os.fspath(src)))
    return None


def _source_from_dicom(
    dicom: DicomFile,
    overrides: dict[str, Any],
    allow_excess: bool | None,
    origin: tuple[Any, ...] | None = None,
) -> ElementSource:
    pixel = dicom.pixel
    if pixel is None:
        raise InvalidDicomError(
            f"{dicom.name} has no Pixel Data, Float Pixel Data or Double Float Pixel Data "
            "element: there is no pixel data to decode"
        )
    image = _describe_file(dicom, pixel, overrides)
    extended = overrides.get("extended_offsets")
    if extended is None:
        table, lengths = dicom.get(0x7FE00001), dicom.get(0x7FE00002)
        if table and lengths:
            extended = (table, lengths)
    source = ElementSource(
        dicom.name,
        image,
        dicom.read_at,
        pixel.offset,
        pixel.length,
        stream_size=dicom.size,
        extended_offsets=extended,
        allow_excess_frames=allow_excess,
        closer=dicom.close,
        readinto_at=dicom.readinto_at,
        origin=origin,
    )
    source.dicom = dicom
    return source


# Descriptions of files already read, keyed by the stored bytes they were built from: the
# files of a series share them, so each file after the first skips parsing and validating
# its Image Pixel values. Bounded; a plain dict is safe to share between threads here.
_DESCRIPTIONS: dict[tuple[Any, ...], ImageDescription] = {}
_DESCRIPTIONS_MAX = 64
_IMAGE_PIXEL_TAGS = tuple(tag for tag, _attr in IMAGE_PIXEL_KEYWORDS.values())


def _describe_file(dicom: DicomFile, pixel: PixelElement, overrides: dict[str, Any]) -> ImageDescription:
    stored = [dicom.elements.get(tag) for tag in _IMAGE_PIXEL_TAGS]  # group 0028: never file meta
    key: tuple[Any, ...] | None = None
    if not overrides:
        key = (dicom.transfer_syntax.uid, pixel.keyword, pixel.vr,
               *[None if el is None else (el.vr, el.raw, el.little_endian) for el in stored])
        found = _DESCRIPTIONS.get(key)
        if found is not None:
            return found
    values: dict[str, Any] = {}
    for keyword, element in zip(IMAGE_PIXEL_KEYWORDS, stored):
        value = None if element is None else element.value
        if value is not None and value != "":
            values[keyword] = value
    values["pixel_keyword"] = pixel.keyword
    values["pixel_vr"] = pixel.vr
    values["transfer_syntax_uid"] = dicom.transfer_syntax.uid
    values.update(overrides)
    image = ImageDescription.from_mapping(values).validate(where=dicom.name)
    if key is not None:
        if len(_DESCRIPTIONS) >= _DESCRIPTIONS_MAX:
            _DESCRIPTIONS.clear()
        _DESCRIPTIONS[key] = image
    return image


def is_dataset(obj: Any) -> bool:
    """Whether *obj* is a pydicom ``Dataset`` (or behaves like one).

    Duck-typed: pydicom is never imported by the core.

    >>> from pydicom import Dataset
    >>> is_dataset(Dataset()), is_dataset({"Rows": 2})
    (True, False)
    """
    return hasattr(obj, "file_meta") or (
        hasattr(obj, "dir") and hasattr(obj, "get") and hasattr(obj, "__contains__")
        and not isinstance(obj, Mapping)
    )


def _dataset_source(ds: Any, overrides: dict[str, Any], allow_excess: bool | None) -> ElementSource:
    file_meta = getattr(ds, "file_meta", None) or {}
    tsyntax = overrides.get("transfer_syntax_uid") or _get(file_meta, "TransferSyntaxUID")
    if not tsyntax:
        raise InvalidDicomError(
            "Unable to decode the pixel data as the dataset's 'file_meta' has no (0002,0010) "
            "Transfer Syntax UID element: set ds.file_meta.TransferSyntaxUID or pass "
            "transfer_syntax_uid="
        )
    present = [kw for kw in PIXEL_KEYWORDS if kw in ds]
    if not present:
        raise InvalidDicomError(
            "The dataset has no Pixel Data, Float Pixel Data or Double Float Pixel Data "
            "element: there is no pixel data to decode"
        )
    if len(present) > 1:
        raise InvalidDicomError(
            "One and only one of Pixel Data, Float Pixel Data or Double Float Pixel Data may be "
            f"present in the dataset, found {', '.join(present)}"
        )
    keyword = present[0]
    values: dict[str, Any] = {}
    for kw in IMAGE_PIXEL_KEYWORDS:
        value = _get(ds, kw)
        if value is not None and value != "":
            values[kw] = value
    values["pixel_keyword"] = keyword
    element = ds[keyword]
    values["pixel_vr"] = str(getattr(element, "VR", "") or "") or None
    values["transfer_syntax_uid"] = str(tsyntax)
    values.update(overrides)
    image = ImageDescription.from_mapping(values).validate(where="the dataset")
    data = getattr(element, "value", None)
    if data is None:
        data = b""
    buffer = memoryview(data) if isinstance(data, (bytes, bytearray, memoryview)) else None
    if buffer is None:
        raise InvalidDicomError(
            f"The dataset's {keyword} value is a {type(data).__name__}, not bytes; load it "
            "with pydicom (deferred reads are resolved by accessing ds.PixelData) first"
        )
    extended = overrides.get("extended_offsets")
    if extended is None:
        table, lengths = _get(ds, "ExtendedOffsetTable"), _get(ds, "ExtendedOffsetTableLengths")
        if table and lengths:
            extended = (table, lengths)
    encapsulated = image.transfer_syntax.encapsulated
    return ElementSource(
        "the dataset",
        image,
        _buffer_reader(buffer, "the dataset's " + keyword),
        0,
        None if encapsulated else len(buffer),
        stream_size=len(buffer),
        extended_offsets=extended,
        allow_excess_frames=allow_excess,
        memory=buffer,
        origin=("value", buffer),
    )


def _get(obj: Any, keyword: str) -> Any:
    try:
        return obj.get(keyword)
    except Exception:
        return getattr(obj, keyword, None)


def _buffer_reader(buffer: memoryview, name: str) -> ReadAt:
    size = len(buffer)

    def read_at(offset: int, length: int) -> bytes:
        if offset < 0 or length < 0 or offset + length > size:
            raise TruncatedDataError(
                f"{name} ends at byte {size}, before the {length} bytes requested at offset "
                f"{offset}: the data is truncated or a length is wrong"
            )
        return bytes(buffer[offset : offset + length])

    return read_at
