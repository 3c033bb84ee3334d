"""A lean DICOM Part 10 reader: the header up to the pixel data, and where the pixel data is.

:func:`read_dicom` parses the preamble and File Meta Information (PS3.10
7.1), then the top-level data elements of the dataset up to the first pixel
element ((7FE0,0008) Float Pixel Data, (7FE0,0009) Double Float Pixel Data or
(7FE0,0010) Pixel Data). It records where that element's value starts and how
long it is (:class:`PixelElement`) *without reading the value*: frames are
read later, one by one, through :meth:`DicomFile.read_at`.

All four dataset encodings are read: Implicit VR Little Endian, Explicit VR
Little and Big Endian (PS3.5 7.1, 7.3) and Deflated Explicit VR Little Endian
(PS3.5 A.5). Sequences are walked but not decoded (PS3.5 7.5). Only the
standard library and this package are used; pydicom is never imported.

Reading is lazy and bounded:

* the header is read through a small read-ahead window that grows with the
  header (so the bytes read stay within about twice the header size);
  values not kept are skipped without being read;
* every step advances, nesting is limited to :data:`MAX_SEQUENCE_DEPTH`, a
  length past the end of the data raises :class:`TruncatedDataError` naming
  the element, its offset and the file;
* deflated datasets are inflated into memory (they cannot be read at random
  otherwise), at most :data:`MAX_INFLATED_SIZE` bytes.

>>> import struct
>>> header = struct.pack("<HHIH", 0x0028, 0x0010, 2, 512)    # Implicit VR: (0028,0010) Rows = 512
>>> pixels = struct.pack("<HHI", 0x7FE0, 0x0010, 4) + bytes(4)
>>> with read_dicom(header + pixels, transfer_syntax_uid="1.2.840.10008.1.2") as dicom:
...     dicom.get(0x00280010), dicom.pixel.keyword, dicom.pixel.offset, dicom.pixel.length
(512, 'PixelData', 18, 4)
"""

from __future__ import annotations

import errno
import io
import os
import stat
import struct
import threading
import weakref
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any, NamedTuple

from . import uid as _uid
from .dictionary import US_OR_SS_TAGS, keyword_for, tag_for, vr_for
from .errors import (
    DicomFileNotFoundError,
    DicomIsADirectoryError,
    InvalidDicomError,
    TruncatedDataError,
)
from .uid import TransferSyntax

__all__ = [
    "KEEP_VALUE_LIMIT",
    "MAX_INFLATED_SIZE",
    "MAX_SEQUENCE_DEPTH",
    "PIXEL_TAGS",
    "DicomFile",
    "Element",
    "PixelElement",
    "format_tag",
    "read_dicom",
]

#: Largest inflated dataset accepted from a Deflated transfer syntax file (bytes); a
#: module attribute so that applications may raise or lower it.
MAX_INFLATED_SIZE = 4 * 1024**3
#: Deepest nesting of sequences walked before the data is called invalid.
MAX_SEQUENCE_DEPTH = 64
#: With ``specific_tags=None``, top-level values up to this size are kept.
KEEP_VALUE_LIMIT = 64 * 1024

#: The pixel elements, by tag (PS3.6 Table 6-1, group 7FE0).
PIXEL_TAGS: dict[int, str] = {
    0x7FE00008: "FloatPixelData",
    0x7FE00009: "DoubleFloatPixelData",
    0x7FE00010: "PixelData",
}

_UNDEFINED = 0xFFFFFFFF
_ITEM = 0xFFFEE000
_ITEM_DELIMITER = 0xFFFEE00D
_SEQUENCE_DELIMITER = 0xFFFEE0DD
#: Kept whatever specific_tags says: the pixel description and the offset tables.
_ALWAYS_KEPT = frozenset({0x00280008, 0x7FE00001, 0x7FE00002})

# PS3.5 7.1.2 / Table 7.1-1: these VRs have 2 reserved bytes and a 32-bit length.
_LONG_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"})
# Every two-letter code "AA".."ZZ" (as stored) -> (its name, whether it has the 32-bit length).
_VR_INFO = {bytes((a, b)): (chr(a) + chr(b), chr(a) + chr(b) in _LONG_VRS)
            for a in range(0x41, 0x5B) for b in range(0x41, 0x5B)}
_SHORT_VRS = frozenset(
    {"AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO", "LT", "PN", "SH", "SL",
     "SS", "ST", "TM", "UI", "UL", "US"}
)
_KNOWN_VRS = _LONG_VRS | _SHORT_VRS
_BINARY_NUMBER_FORMATS = {
    "US": "H", "SS": "h", "UL": "I", "SL": "i", "FL": "f", "FD": "d", "SV": "q", "UV": "Q",
}
_BYTES_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "UN"})
# PS3.5 6.2: the value multiplicity of these text VRs is always 1 ("\" is not a delimiter).
_SINGLE_VALUED_TEXT = frozenset({"ST", "LT", "UT", "UR"})
# PS3.5 6.2: leading spaces are insignificant in these VRs.
_STRIP_BOTH_ENDS = frozenset({"AE", "AS", "CS", "DA", "DS", "DT", "IS", "TM", "UI"})

_EXPLICIT_VR_LE = "1.2.840.10008.1.2.1"
_EXPLICIT_VR_BE = "1.2.840.10008.1.2.2"
_IMPLICIT_VR_LE = "1.2.840.10008.1.2"


def format_tag(tag: int) -> str:
    """Return *tag* as ``(gggg,eeee)``, followed by its keyword when known.

    >>> format_tag(0x7FE00010), format_tag(0x00431029)
    ('(7FE0,0010) PixelData', '(0043,1029)')
    """
    keyword = keyword_for(tag)
    text = f"({tag >> 16:04X},{tag & 0xFFFF:04X})"
    return f"{text} {keyword}" if keyword else text


# -- elements ------------------------------------------------------------------------------------


class Element(NamedTuple):
    """One data element as stored: its tag, VR, raw value bytes and where they are.

    A named tuple (immutable, and cheap to create: a header holds dozens of them).

    :param tag: e.g. ``0x00280010``.
    :param vr: two letters; for Implicit VR from :mod:`~dicom_pixels.dictionary` (``"UN"`` if unknown).
    :param raw: the value bytes as stored (for a sequence, its whole value without
        the sequence delimiter).
    :param offset: stream offset of the value's first byte.
    :param little_endian: byte order of binary values.

    >>> Element(0x00280030, "DS", b"0.5\\\\0.25", 0, True).value
    [0.5, 0.25]
    """

    tag: int
    vr: str
    raw: bytes
    offset: int
    little_endian: bool

    @property
    def keyword(self) -> str:
        """The keyword from the small built-in dictionary, ``""`` if unknown."""
        return keyword_for(self.tag)

    @property
    def value(self) -> Any:
        """The value decoded according to the VR (PS3.5 6.2).

        Binary numbers (US, SS, UL, SL, FL, FD, SV, UV, AT) give a number or a
        list when VM > 1, ``None`` when empty. IS gives ``int``, DS ``float``
        (lists when VM > 1, ``None`` when empty). Text is stripped of its
        padding and split on backslashes into a list when VM > 1 (never for
        ST, LT, UT, UR); it is decoded as UTF-8 when valid, else as Latin-1
        (the Specific Character Set is not consulted). OB, OD, OF, OL, OV, OW
        and UN give ``bytes``; SQ gives ``None`` (sequences are not decoded).

        :raises InvalidDicomError: an IS or DS value is not a number.
        """
        vr, raw = self.vr, self.raw
        if vr == "SQ" or vr == "NONE":
            return None
        if vr in _BYTES_VRS:
            return bytes(raw)
        prefix = "<" if self.little_endian else ">"
        if vr in _BINARY_NUMBER_FORMATS:
            code = _BINARY_NUMBER_FORMATS[vr]
            count = len(raw) // struct.calcsize(code)
            if count == 0:
                return None
            values = list(struct.unpack_from(f"{prefix}{count}{code}", raw))
            return values[0] if count == 1 else values
        if vr == "AT":
            # PS3.5 6.2: an AT value is a pair of 16-bit (group, element) numbers.
            count = len(raw) // 4
            if count == 0:
                return None
            words = struct.unpack_from(f"{prefix}{2 * count}H", raw)
            tags = [words[2 * i] << 16 | words[2 * i + 1] for i in range(count)]
            return tags[0] if count == 1 else tags
        return self._text_value()

    def _text_value(self) -> Any:
        try:
            text = bytes(self.raw).decode("utf-8")
        except UnicodeDecodeError:
            text = bytes(self.raw).decode("latin-1")
        vr = self.vr
        # PS3.5 6.2: values are padded to even length with a space (UI: NUL).
        text = text.rstrip(" \x00")
        if vr in _SINGLE_VALUED_TEXT:
            return text
        parts = text.split("\\")
        if vr in _STRIP_BOTH_ENDS:
            parts = [part.strip(" \x00") for part in parts]
        if vr == "IS" or vr == "DS":
            numbers = [self._number(part) for part in parts]
            if len(numbers) == 1:
                return numbers[0]
            return numbers
        return parts[0] if len(parts) == 1 else parts

    def _number(self, text: str) -> int | float | None:
        if text == "":
            return None
        try:
            if self.vr == "DS":
                return float(text)
            try:
                return int(text)
            except ValueError:
                number = float(text)  # "512.0" is accepted as pydicom does
                if not number.is_integer():
                    raise
                return int(number)
        except (ValueError, OverflowError):
            raise InvalidDicomError(
                f"The value {text!r} of {format_tag(self.tag)} at offset {self.offset} is not a "
                f"valid {self.vr} (PS3.5 Table 6.2-1): correct the element or pass the value "
                "as an override"
            ) from None


@dataclass(frozen=True)
class PixelElement:
    """Where the pixel element's value is; the value itself is not read.

    :param tag: ``0x7FE00010``, ``0x7FE00008`` or ``0x7FE00009``.
    :param keyword: ``"PixelData"``, ``"FloatPixelData"`` or ``"DoubleFloatPixelData"``.
    :param vr: ``"OB"``, ``"OW"``, ``"OF"`` or ``"OD"`` (Implicit VR: ``"OW"``, or ``"OB"``
        when encapsulated).
    :param offset: stream offset of the value's first byte (after the element header).
    :param length: the value length; ``None`` for undefined length (encapsulated, PS3.5 A.4).
    """

    tag: int
    keyword: str
    vr: str
    offset: int
    length: int | None


# -- byte streams --------------------------------------------------------------------------------


class _Stream:
    """Random access to the bytes of the input; counts what it hands out."""

    name: str
    size: int
    #: the whole stream when it is in memory (then reads are slices).
    memory: memoryview | None = None

    def __init__(self) -> None:
        self.bytes_read = 0
        self._count_lock = threading.Lock()
        self.closed = False

    def _count(self, n: int) -> None:
        with self._count_lock:
            self.bytes_read += n

    def pread(self, offset: int, length: int) -> bytes:
        """Return up to *length* bytes at *offset* (fewer only at the end)."""
        raise NotImplementedError

    def preadinto(self, offset: int, view: memoryview) -> int:
        """Fill *view* from *offset*; return how many bytes were copied."""
        data = self.pread(offset, len(view))
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.closed = True


class _MemoryStream(_Stream):
    def __init__(self, data: bytes | bytearray | memoryview, name: str) -> None:
        super().__init__()
        self.memory = memoryview(data).cast("B") if not isinstance(data, bytes) else memoryview(data)
        self.size = len(self.memory)
        self.name = name

    def pread(self, offset: int, length: int) -> bytes:
        assert self.memory is not None
        chunk = bytes(self.memory[offset : offset + length])
        self._count(len(chunk))
        return chunk

    def preadinto(self, offset: int, view: memoryview) -> int:
        assert self.memory is not None
        chunk = self.memory[offset : offset + len(view)]
        view[: len(chunk)] = chunk
        self._count(len(chunk))
        return len(chunk)


class _DescriptorStream(_Stream):
    """A file we opened, read with ``os.pread``: no shared position, so no lock (thread-safe)."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.name = path
        self._fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        try:
            status = os.fstat(self._fd)
            if stat.S_ISDIR(status.st_mode):  # POSIX opens a directory for reading; reads fail
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
            self.size = status.st_size
        except OSError:
            os.close(self._fd)
            del self._fd  # closed: __del__ must not close it again
            raise

    def pread(self, offset: int, length: int) -> bytes:
        parts = []
        while length > 0:
            chunk = os.pread(self._fd, length, offset)
            if not chunk:
                break
            parts.append(chunk)
            offset += len(chunk)
            length -= len(chunk)
        data = parts[0] if len(parts) == 1 else b"".join(parts)
        self._count(len(data))
        return data

    def preadinto(self, offset: int, view: memoryview) -> int:
        preadv = getattr(os, "preadv", None)
        if preadv is None:
            return super().preadinto(offset, view)
        done = 0
        while done < len(view):
            n = preadv(self._fd, [view[done:]], offset + done)
            if n <= 0:
                break
            done += n
        self._count(done)
        return done

    def close(self) -> None:
        if not self.closed:
            os.close(self._fd)
        super().close()

    def __del__(self) -> None:
        # A source that was never closed (no ``with``) must not keep its descriptor open for
        # the life of the process, as a file object would not.
        if not getattr(self, "closed", True) and hasattr(self, "_fd"):
            self.close()


#: One lock per caller-supplied file object, shared by every stream reading it, so that
#: several threads decoding from the same open file do not interleave their seek+read.
_FILE_LOCKS: weakref.WeakKeyDictionary[Any, threading.Lock] = weakref.WeakKeyDictionary()
_FILE_LOCKS_GUARD = threading.Lock()


def _lock_for(fileobj: Any) -> threading.Lock:
    with _FILE_LOCKS_GUARD:
        try:
            lock = _FILE_LOCKS.get(fileobj)
            if lock is None:
                lock = _FILE_LOCKS[fileobj] = threading.Lock()
            return lock
        except TypeError:  # not weak-referenceable (or unhashable): a lock of its own
            return threading.Lock()


class _FileObjectStream(_Stream):
    """A binary file object: reads are serialised by a lock and restore its position."""

    def __init__(self, fileobj: IO[bytes], name: str, owned: bool) -> None:
        super().__init__()
        self.name = name
        self._file = fileobj
        self._owned = owned
        self._lock = threading.Lock() if owned else _lock_for(fileobj)
        seekable = getattr(fileobj, "seekable", None)
        try:
            if seekable is not None and not seekable():
                raise OSError("seekable() is False")
            with self._lock:
                position = fileobj.tell()
                self.size = fileobj.seek(0, io.SEEK_END)
                fileobj.seek(position)
        except (OSError, AttributeError, ValueError) as exc:
            raise InvalidDicomError(
                f"{name} is not a seekable, open binary file ({exc}): pass a path, bytes, or "
                "a seekable binary file object (or read it into bytes first)"
            ) from None

    def pread(self, offset: int, length: int) -> bytes:
        with self._lock:
            position = self._file.tell()
            parts: list[bytes] = []
            try:
                self._file.seek(offset)
                while length > 0:  # raw streams may return short reads before the end
                    chunk = self._file.read(length)
                    if not chunk:
                        break
                    parts.append(bytes(chunk))
                    length -= len(chunk)
            finally:
                self._file.seek(position)
        data = parts[0] if len(parts) == 1 else b"".join(parts)
        self._count(len(data))
        return data

    def preadinto(self, offset: int, view: memoryview) -> int:
        readinto = getattr(self._file, "readinto", None)
        if readinto is None:
            return super().preadinto(offset, view)
        with self._lock:
            position = self._file.tell()
            done = 0
            try:
                self._file.seek(offset)
                while done < len(view):
                    n = readinto(view[done:])
                    if not n:
                        break
                    done += n
            finally:
                self._file.seek(position)
        self._count(done)
        return done

    def close(self) -> None:
        if self._owned and not self.closed:
            self._file.close()
        super().close()


class _BorrowedStream(_Stream):
    """Another :class:`DicomFile`'s stream, read again; closing it leaves the owner open."""

    def __init__(self, owner: _Stream) -> None:
        super().__init__()
        self._owner = owner
        self.name = owner.name
        self.size = owner.size
        self.memory = owner.memory

    def pread(self, offset: int, length: int) -> bytes:
        if self._owner.closed:
            return b""
        data = self._owner.pread(offset, length)
        self._count(len(data))
        return data

    def preadinto(self, offset: int, view: memoryview) -> int:
        if self._owner.closed:
            return 0
        done = self._owner.preadinto(offset, view)
        self._count(done)
        return done


def _open_stream(src: Any) -> _Stream:
    if isinstance(src, (bytes, bytearray, memoryview)):
        return _MemoryStream(src, "<bytes>")
    if isinstance(src, (str, os.PathLike)):
        path = os.fspath(src)
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        try:
            if hasattr(os, "pread"):
                return _DescriptorStream(path)
            return _FileObjectStream(open(path, "rb"), path, owned=True)
        except FileNotFoundError:
            raise DicomFileNotFoundError(
                f"No such file: '{path}': check the path (relative paths start at {os.getcwd()})"
            ) from None
        except IsADirectoryError:
            raise DicomIsADirectoryError(
                f"'{path}' is a directory, not a DICOM file: pass one of the files in it"
            ) from None
    if hasattr(src, "read") and hasattr(src, "seek"):
        return _FileObjectStream(src, repr(src), owned=False)
    raise InvalidDicomError(
        f"Unable to read DICOM from a {type(src).__name__}: pass a path, bytes or a seekable "
        "binary file object"
    )


# -- the file ------------------------------------------------------------------------------------


@dataclass
class DicomFile:
    """A parsed Part 10 header plus random access to the stream holding the pixel data.

    For a Deflated transfer syntax the stream is the file's bytes up to the end
    of the File Meta Information followed by the *inflated* dataset, held in
    memory; offsets (elements, pixel data) refer to that stream.

    :attr:`bytes_read` counts the bytes handed out by the stream (header
    parsing, :meth:`read_at`, :meth:`readinto_at`, and for deflated files the
    compressed bytes read to inflate them). It is updated under a lock, so it
    is exact when several threads read.
    """

    file_meta: dict[int, Element]
    elements: dict[int, Element]
    transfer_syntax: TransferSyntax
    pixel: PixelElement | None
    name: str
    _stream: _Stream = field(repr=False, compare=False)
    _extra_bytes_read: int = field(default=0, repr=False, compare=False)

    def get(self, tag: int | str, default: Any = None) -> Any:
        """Return the decoded value of a top-level or file meta element, *default* if absent.

        *tag* may be a keyword of the built-in dictionary (``"Rows"``).
        """
        if isinstance(tag, str):
            found = tag_for(tag)
            if found is None:
                return default
            tag = found
        element = self.elements.get(tag)
        if element is None:
            element = self.file_meta.get(tag)
        if element is None:
            return default
        return element.value

    @property
    def size(self) -> int:
        """Length of the stream: the file size, or for deflated files the inflated length."""
        return self._stream.size

    @property
    def bytes_read(self) -> int:
        """How many bytes were read so far (see the class docs)."""
        return self._stream.bytes_read + self._extra_bytes_read

    def _check_range(self, offset: int, length: int) -> None:
        if self._stream.closed:
            raise InvalidDicomError(f"{self.name} is closed: read it again with read_dicom()")
        if offset < 0 or length < 0 or offset + length > self._stream.size:
            raise TruncatedDataError(
                f"{self.name} ends at byte {self._stream.size}, before the {length} bytes "
                f"requested at offset {offset}: the file is truncated or a length is wrong"
            )

    def read_at(self, offset: int, length: int) -> bytes:
        """Return exactly *length* bytes of the stream from *offset*.

        :raises TruncatedDataError: the stream holds fewer bytes (checked before reading).
        """
        self._check_range(offset, length)
        data = self._stream.pread(offset, length)
        if len(data) != length:
            raise TruncatedDataError(
                f"{self.name} gave {len(data)} of the {length} bytes requested at offset "
                f"{offset}: the file was truncated while being read"
            )
        return data

    def readinto_at(self, offset: int, buffer: Any) -> int:
        """Fill the writable, contiguous *buffer* from *offset*; return the bytes copied.

        :raises TruncatedDataError: the stream holds fewer bytes than the buffer.
        """
        view = memoryview(buffer).cast("B")
        self._check_range(offset, len(view))
        done = self._stream.preadinto(offset, view)
        if done != len(view):
            raise TruncatedDataError(
                f"{self.name} gave {done} of the {len(view)} bytes requested at offset "
                f"{offset}: the file was truncated while being read"
            )
        return done

    def close(self) -> None:
        """Close the file if :func:`read_dicom` opened it (a file object given is left open)."""
        self._stream.close()

    def __enter__(self) -> DicomFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- parsing -------------------------------------------------------------------------------------


# Element header fields (PS3.5 7.1): group, element, and the 32-bit length of an implicit
# VR header (bytes 4-8), read at once.
_TAG_LENGTH_LE, _TAG_LENGTH_BE = struct.Struct("<HHI"), struct.Struct(">HHI")
_U32_LE, _U32_BE = struct.Struct("<I"), struct.Struct(">I")
_U16_LE, _U16_BE = struct.Struct("<H"), struct.Struct(">H")
# The fast Explicit VR Little Endian scan: the 12 bytes that hold any header.
_EXPLICIT_LE_HEADER = struct.Struct("<HH2sHI")


def _describe(what: str | int) -> str:
    return what if isinstance(what, str) else f"The value of {format_tag(what)}"


class _Parser:
    """Walks element headers through a read-ahead window over a stream."""

    def __init__(self, stream: _Stream) -> None:
        self.stream = stream
        self.name = stream.name
        self.size = stream.size
        self._window = memoryview(b"")
        self._window_bytes = b""  # the same bytes: faster to index and slice than the view
        self._window_start = 0
        self._window_end = 0
        self._chunk = 512

    # -- reading -------------------------------------------------------------------------------

    def need(self, offset: int, length: int, what: str | int) -> bytes | memoryview:
        """Exactly *length* bytes at *offset*, or TruncatedDataError describing *what*
        (a description, or the tag whose value is read: formatted only on error)."""
        if offset >= self._window_start and offset + length <= self._window_end:  # already read
            start = offset - self._window_start
            return self._window[start : start + length]
        if offset + length > self.size:
            what = _describe(what)
            raise TruncatedDataError(
                f"{what} at offset {offset} in {self.name} needs {length} bytes but the data "
                f"ends at byte {self.size}: the file is truncated or a length is wrong"
            )
        memory = self.stream.memory
        if memory is not None:
            self.stream._count(length)
            return memory[offset : offset + length]
        if length > self._chunk:
            data = self.stream.pread(offset, length)
        else:
            # Grow the window with what was parsed so far: a long header gets large
            # reads, a short one stops close to where the pixel data starts.
            self._chunk = min(max(self._chunk, offset // 2), 64 * 1024)
            data = self.stream.pread(offset, min(self._chunk, self.size - offset))
            self._window_bytes = data
            self._window = memoryview(data)
            self._window_start = offset
            self._window_end = offset + len(data)
        if len(data) < length:
            raise TruncatedDataError(
                f"{_describe(what)} at offset {offset} in {self.name}: only {len(data)} of {length} bytes "
                "could be read; the file was truncated while being read"
            )
        return memoryview(data)[:length]

    def value(self, offset: int, length: int, tag: int) -> bytes:
        return bytes(self.need(offset, length, tag))

    def check_fits(self, offset: int, length: int, tag: int, header: int) -> None:
        if offset + length > self.size:
            raise TruncatedDataError(
                f"{format_tag(tag)} at offset {header} in {self.name} declares a value of "
                f"{length} bytes from offset {offset}, but the data ends at byte {self.size}: "
                "the file is truncated or the length is wrong"
            )

    # -- headers -------------------------------------------------------------------------------

    def header(
        self, pos: int, implicit: bool, little: bool, what: str
    ) -> tuple[int, str, int, int, bool]:
        """Parse the element header at *pos*: (tag, vr, length, value offset, VR was implicit)."""
        raw = self.need(pos, 8, what)
        group, element, length32 = (_TAG_LENGTH_LE if little else _TAG_LENGTH_BE).unpack_from(raw)
        tag = group << 16 | element
        if group == 0xFFFE or implicit:
            # PS3.5 7.5: items and delimiters have no VR, in every transfer syntax.
            return tag, "NONE" if group == 0xFFFE else vr_for(tag), length32, pos + 8, True
        info = _VR_INFO.get(bytes(raw[4:6]))
        if info is None:
            # Not a VR: a writer switched to Implicit VR here; read it so, as pydicom does.
            return tag, vr_for(tag), length32, pos + 8, True
        vr, is_long = info
        if is_long:
            # PS3.5 7.1.2: 2 reserved bytes then a 32-bit length.
            (length,) = (_U32_LE if little else _U32_BE).unpack_from(self.need(pos + 8, 4, what))
            return tag, vr, length, pos + 12, False
        # PS3.5 7.1.2: a 16-bit length (also assumed for unknown VRs, as pydicom does).
        (length,) = (_U16_LE if little else _U16_BE).unpack_from(raw, 6)
        return tag, vr, length, pos + 8, False

    def looks_implicit(self, pos: int) -> bool:
        """Whether the element at *pos* lacks an explicit VR (PS3.5 6.2.2 / pydicom's check)."""
        if pos + 6 > self.size:
            return False
        raw = self.need(pos, 6, "An element header")
        return not (0x41 <= raw[4] <= 0x5A and 0x41 <= raw[5] <= 0x5A)

    def scan_explicit_le(
        self, pos: int, elements: dict[int, Element], wanted: frozenset[int] | None, meta: bool
    ) -> int:
        """Read plain Explicit VR Little Endian elements from *pos* while they are simple.

        The fast path for the common case, equivalent to :meth:`header` then
        :func:`_keep` per element without the calls: it stops, returning the offset
        reached, at anything that needs the general path (a pixel element, an item
        or delimiter, an undefined length, a header or kept value beyond the bytes in
        hand, a missing VR, a length past the end, and with *meta*, the end of group
        0002), which then reads or reports it.
        """
        if pos + 12 > self.size:
            return pos
        memory = self.stream.memory
        if memory is not None:
            window: bytes | memoryview = memory
            start, end = 0, self.size
        else:
            self.need(pos, 12, "An element header")  # loads the read-ahead window at pos
            window, start, end = self._window_bytes, self._window_start, self._window_end
        size = self.size
        header = _EXPLICIT_LE_HEADER.unpack_from
        vr_info = _VR_INFO
        always_kept = _ALWAYS_KEPT
        pixel_tags = PIXEL_TAGS
        counted = 0
        while pos + 12 <= end:
            # PS3.5 7.1.2: tag, VR, then a 16-bit length, or 2 reserved bytes and a 32-bit
            # length for the long VRs; all 12 bytes are unpacked and the VR picks the length.
            group, element, vr_code, length, long_length = header(window, pos - start)
            if group == 0xFFFE or (group != 0x0002 if meta else group == 0x0002):
                break
            tag = group << 16 | element
            info = vr_info.get(vr_code)
            if info is None or tag in pixel_tags:
                break
            vr, is_long = info
            if is_long:
                length = long_length
                value_pos = pos + 12
            else:
                value_pos = pos + 8
            value_end = value_pos + length
            if length == _UNDEFINED or value_end > size:
                break
            if meta or group == 0x0028 or tag in always_kept or (
                tag in wanted if wanted is not None else vr != "SQ" and length <= KEEP_VALUE_LIMIT
            ):
                if value_end > end:
                    break
                raw = window[value_pos - start : value_end - start]
                elements[tag] = Element(tag, vr, raw if type(raw) is bytes else bytes(raw), value_pos, True)
                counted += value_end - pos
            else:
                counted += value_pos - pos
            pos = value_end
        if memory is not None:
            self.stream._count(counted)
        return pos

    # -- sequences -----------------------------------------------------------------------------

    def skip_undefined(
        self, pos: int, implicit: bool, little: bool, depth: int, tag: int, header: int
    ) -> tuple[int, int]:
        """Walk an undefined-length value (items then a sequence delimiter, PS3.5 7.5.2, A.4).

        :returns: (offset of the sequence delimiter, offset after it).
        """
        if depth > MAX_SEQUENCE_DEPTH:
            raise InvalidDicomError(
                f"{format_tag(tag)} at offset {header} in {self.name} is nested more than "
                f"{MAX_SEQUENCE_DEPTH} sequences deep: the file is corrupt or malicious"
            )
        prefix = "<" if little else ">"
        what = f"An item of {format_tag(tag)} (an undefined length value from offset {pos})"
        while True:
            raw = self.need(pos, 8, what)
            group, element, length = struct.unpack_from(prefix + "HHI", raw)
            item_tag = group << 16 | element
            if item_tag == _SEQUENCE_DELIMITER:
                return pos, pos + 8
            if item_tag != _ITEM:
                raise InvalidDicomError(
                    f"{format_tag(tag)} at offset {header} in {self.name} has undefined "
                    f"length but holds {format_tag(item_tag)} at offset {pos} where an item "
                    "(FFFE,E000) or the sequence delimiter (FFFE,E0DD) must be (PS3.5 7.5)"
                )
            if length == _UNDEFINED:
                pos = self.skip_item_dataset(pos + 8, implicit, little, depth, tag)
            else:
                self.check_fits(pos + 8, length, _ITEM, pos)
                pos += 8 + length

    def skip_item_dataset(self, pos: int, implicit: bool, little: bool, depth: int, tag: int) -> int:
        """Walk an item of undefined length to its delimiter (PS3.5 7.5.2); return the end."""
        # PS3.5 6.2.2: a sequence in an Explicit VR dataset may be encoded in Implicit VR.
        if not implicit and self.looks_implicit(pos):
            implicit = True
        what = f"An element of an item of {format_tag(tag)}"
        while True:
            el_tag, vr, length, value_pos, _ = self.header(pos, implicit, little, what)
            if el_tag == _ITEM_DELIMITER:
                return value_pos
            if el_tag in (_ITEM, _SEQUENCE_DELIMITER):
                raise InvalidDicomError(
                    f"An item of {format_tag(tag)} in {self.name} holds {format_tag(el_tag)} at "
                    f"offset {pos} before its item delimiter (FFFE,E00D) (PS3.5 7.5.2)"
                )
            if length == _UNDEFINED:
                content_implicit, content_little = self.content_encoding(vr, implicit, little)
                _, pos = self.skip_undefined(
                    value_pos, content_implicit, content_little, depth + 1, el_tag, pos
                )
            else:
                self.check_fits(value_pos, length, el_tag, pos)
                pos = value_pos + length

    @staticmethod
    def content_encoding(vr: str, implicit: bool, little: bool) -> tuple[bool, bool]:
        # PS3.5 6.2.2: the value of a UN element of undefined length is a sequence
        # encoded in Implicit VR Little Endian.
        if vr == "UN" and not implicit:
            return True, True
        return implicit, little


def read_dicom(
    src: Any,
    *,
    specific_tags: Iterable[int] | None = None,
    stop_before_pixels: bool = True,
    transfer_syntax_uid: str | None = None,
) -> DicomFile:
    """Read a Part 10 file's header and locate its pixel element without reading it.

    :param src: a path, ``bytes``/``bytearray``/``memoryview``, or a seekable binary
        file object. A path is opened and closed by :meth:`DicomFile.close`; a file
        object is left open and its position is restored after every read. An open
        :class:`DicomFile` is parsed again from its stream (for example with other
        *specific_tags*); that also works for deflated files, whose stream is
        already inflated, and closing the result leaves the first one open.
    :param specific_tags: top-level tags to keep besides group 0028, (7FE0,0001) and
        (7FE0,0002) (kept always). ``None`` keeps every top-level element that is not
        a sequence and whose value is at most :data:`KEEP_VALUE_LIMIT` bytes. A
        sequence is kept (its raw value) only when its tag is listed here.
    :param stop_before_pixels: accepted for symmetry with pydicom; parsing always
        stops at the pixel element, whose value is never read here.
    :param transfer_syntax_uid: the transfer syntax to assume when the file has no
        (0002,0010) Transfer Syntax UID (no File Meta Information, or an incomplete
        one). Without it, a file without File Meta Information is sniffed as pydicom
        does, and a File Meta Information without the UID is an error.
    :raises InvalidDicomError: not a DICOM file, or a broken structure.
    :raises TruncatedDataError: a header or a declared length runs past the end of the data.
    :raises UnsupportedTransferSyntaxError: the Transfer Syntax UID is not a known one.

    >>> import struct
    >>> rows = struct.pack("<HH2sHH", 0x0028, 0x0010, b"US", 2, 16)      # Explicit VR LE
    >>> pixels = struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OB", 0, 0xFFFFFFFF)
    >>> dicom = read_dicom(rows + pixels + bytes(8), transfer_syntax_uid="1.2.840.10008.1.2.4.50")
    >>> dicom.get("Rows"), dicom.pixel.vr, dicom.pixel.length is None
    (16, 'OB', True)
    """
    del stop_before_pixels  # the value is never read: there is nothing to switch
    wanted = None if specific_tags is None else frozenset(int(t) for t in specific_tags)
    if isinstance(src, DicomFile):
        if src._stream.closed:
            raise InvalidDicomError(f"{src.name} is closed: read it again with read_dicom()")
        inflated = src.transfer_syntax.deflated
        stream: _Stream = _BorrowedStream(src._stream)
    else:
        inflated = False
        stream = _open_stream(src)
    try:
        return _read(stream, wanted, transfer_syntax_uid, inflated)
    except BaseException:
        stream.close()
        raise


def _not_dicom(name: str, why: str) -> InvalidDicomError:
    return InvalidDicomError(
        f"{name} is not a DICOM Part 10 file: {why}. Check that the path points to a DICOM "
        "file; a dataset without File Meta Information needs transfer_syntax_uid="
    )


def _read(
    stream: _Stream, wanted: frozenset[int] | None, transfer_syntax_uid: str | None, inflated: bool
) -> DicomFile:
    name = stream.name
    size = stream.size
    parser = _Parser(stream)

    # PS3.10 7.1: a 128-byte preamble then "DICM"; tolerate files without them (as pydicom
    # does with force=True) when they start like a dataset.
    pos = 0
    if size >= 132 and bytes(parser.need(128, 4, "The DICM prefix")) == b"DICM":
        pos = 132
    elif size < 8:
        raise _not_dicom(name, f"it holds only {size} bytes")

    file_meta, pos = _read_file_meta(parser, pos)
    meta_end = pos

    ts_uid = ""
    if 0x00020010 in file_meta:
        ts_uid = str(file_meta[0x00020010].value or "")
    if ts_uid:
        transfer_syntax = _uid.lookup(ts_uid)
    elif transfer_syntax_uid:
        transfer_syntax = _uid.lookup(transfer_syntax_uid)
    elif file_meta:
        raise InvalidDicomError(
            f"{name} has no (0002,0010) Transfer Syntax UID in its File Meta Information, so "
            "the encoding of its dataset is unknown: pass transfer_syntax_uid= (for example "
            "'1.2.840.10008.1.2' for Implicit VR Little Endian)"
        )
    else:
        transfer_syntax = _guess_transfer_syntax(parser, pos, name, from_start=meta_end == 0)

    if not file_meta:
        if pos >= size:
            raise _not_dicom(name, "there is nothing after the DICM prefix")
        if pos == 0:
            _check_plausible_start(parser, pos, transfer_syntax, name)

    extra_read = 0
    if transfer_syntax.deflated and not inflated:
        prefix = stream.pread(0, meta_end) if stream.memory is None else bytes(stream.memory[:meta_end])
        dataset = _inflate(stream, meta_end, name)
        extra_read = stream.bytes_read
        stream.close()
        stream = _MemoryStream(prefix + dataset, name)
        parser = _Parser(stream)

    little = transfer_syntax.little_endian
    implicit = transfer_syntax.implicit_vr
    # pydicom's check: the first element tells whether the VR is really explicit or implicit.
    if pos < parser.size and parser.looks_implicit(pos) != implicit:
        implicit = not implicit

    elements, pixel = _read_dataset(parser, pos, implicit, little, wanted, transfer_syntax)
    if implicit:
        elements = _refine_us_or_ss(elements)
    return DicomFile(
        file_meta=file_meta,
        elements=elements,
        transfer_syntax=transfer_syntax,
        pixel=pixel,
        name=name,
        _stream=stream,
        _extra_bytes_read=extra_read,
    )


def _read_file_meta(parser: _Parser, pos: int) -> tuple[dict[int, Element], int]:
    """Read group 0002 (always Explicit VR Little Endian, PS3.10 7.1)."""
    meta: dict[int, Element] = {}
    # Parse while the group is 0002 rather than trusting (0002,0000) Group Length, which
    # some writers get wrong.
    pos = parser.scan_explicit_le(pos, meta, None, meta=True)
    while pos + 8 <= parser.size:
        raw = parser.need(pos, 2, "A File Meta Information element")
        if raw[0] != 0x02 or raw[1] != 0x00:
            break
        tag, vr, length, value_pos, _ = parser.header(
            pos, False, True, "A File Meta Information element"
        )
        if length == _UNDEFINED:
            raise InvalidDicomError(
                f"{format_tag(tag)} at offset {pos} in {parser.name} has an undefined length, "
                "which File Meta Information elements cannot have (PS3.10 7.1)"
            )
        parser.check_fits(value_pos, length, tag, pos)
        meta[tag] = Element(tag, vr, parser.value(value_pos, length, tag), value_pos, True)
        pos = parser.scan_explicit_le(value_pos + length, meta, None, meta=True)
    return meta, pos


def _guess_transfer_syntax(parser: _Parser, pos: int, name: str, from_start: bool) -> TransferSyntax:
    """Sniff a dataset without File Meta Information, as pydicom does (issue 258)."""
    if pos + 6 > parser.size:
        if from_start:
            raise _not_dicom(name, "it is too short to hold a data element")
        raise _not_dicom(name, "there is no dataset after the DICM prefix")
    raw = parser.need(pos, 6, "The first element")
    vr = bytes(raw[4:6]).decode("latin-1")
    if vr in _KNOWN_VRS:
        group = raw[0] | raw[1] << 8
        # A little endian reading of a big endian group number is large (0x0800 for 0008).
        return _uid.lookup(_EXPLICIT_VR_BE if group >= 1024 else _EXPLICIT_VR_LE)
    return _uid.lookup(_IMPLICIT_VR_LE)


def _check_plausible_start(parser: _Parser, pos: int, ts: TransferSyntax, name: str) -> None:
    """Reject input that has neither preamble nor meta and does not start like a dataset."""
    if pos + 8 > parser.size:
        raise _not_dicom(name, "it is too short to hold a data element")
    tag, _vr, length, value_pos, _ = parser.header(
        pos, ts.implicit_vr, ts.little_endian, "The first element"
    )
    group = tag >> 16
    plausible_length = length == _UNDEFINED or value_pos + length <= parser.size
    if group < 0x0002 or group == 0xFFFE or not plausible_length:
        raise _not_dicom(
            name,
            f"it has no 'DICM' prefix at offset 128 and does not start with a data element "
            f"(found tag {format_tag(tag)} with length {length})",
        )


def _inflate(stream: _Stream, start: int, name: str) -> bytes:
    """Inflate the raw deflate dataset that follows the File Meta Information (PS3.5 A.5)."""
    limit = MAX_INFLATED_SIZE
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    parts: list[bytes] = []
    total = 0
    pos = start
    chunk_size = 1 << 20
    try:
        while not inflater.eof:
            data = inflater.unconsumed_tail
            if not data:
                data = stream.pread(pos, chunk_size)
                pos += len(data)
                if not data:
                    break  # a truncated stream: the parser reports what is missing
            out = inflater.decompress(data, limit + 1 - total)
            total += len(out)
            parts.append(out)
            if total > limit:
                raise InvalidDicomError(
                    f"The deflated dataset of {name} inflates to more than {limit} bytes "
                    "(dicom_pixels.reader.MAX_INFLATED_SIZE): refusing to continue; raise "
                    "the limit if the file is trusted"
                )
    except zlib.error as exc:
        raise InvalidDicomError(
            f"The deflated dataset of {name} (from offset {start}) cannot be inflated: {exc} "
            "(PS3.5 A.5)"
        ) from None
    return b"".join(parts)


def _read_dataset(
    parser: _Parser,
    pos: int,
    implicit: bool,
    little: bool,
    wanted: frozenset[int] | None,
    ts: TransferSyntax,
) -> tuple[dict[int, Element], PixelElement | None]:
    """Walk the top-level elements up to the first pixel element."""
    elements: dict[int, Element] = {}
    size = parser.size
    what = "A top-level element header"
    fast = little and not implicit
    while pos < size:
        if fast:
            pos = parser.scan_explicit_le(pos, elements, wanted, meta=False)
            if pos >= size:
                break
        tag, vr, length, value_pos, vr_implicit = parser.header(pos, implicit, little, what)
        if tag in PIXEL_TAGS:
            return elements, _pixel_element(parser, tag, vr, length, value_pos, pos, vr_implicit, ts)
        if tag >> 16 == 0xFFFE:
            if tag in (_ITEM_DELIMITER, _SEQUENCE_DELIMITER) and length == 0:
                pos = value_pos  # a stray delimiter: nothing to skip
                continue
            raise InvalidDicomError(
                f"{parser.name} holds {format_tag(tag)} at offset {pos} at the top level, "
                "outside any sequence (PS3.5 7.5)"
            )
        if length == _UNDEFINED:
            if vr_implicit and vr not in ("OB", "OW"):
                vr = "SQ"  # PS3.5 7.5: undefined length in Implicit VR means a sequence
            content_implicit, content_little = parser.content_encoding(vr, implicit, little)
            end, after = parser.skip_undefined(
                value_pos, content_implicit, content_little, 1, tag, pos
            )
            if _keep(tag, "SQ", 0, wanted):
                elements[tag] = Element(
                    tag, vr, parser.value(value_pos, end - value_pos, tag), value_pos, little
                )
            pos = after
            continue
        parser.check_fits(value_pos, length, tag, pos)
        if _keep(tag, vr, length, wanted):
            elements[tag] = Element(tag, vr, parser.value(value_pos, length, tag), value_pos, little)
        pos = value_pos + length
    return elements, None


def _keep(tag: int, vr: str, length: int, wanted: frozenset[int] | None) -> bool:
    if tag >> 16 == 0x0028 or tag in _ALWAYS_KEPT:
        return True
    if wanted is None:
        return vr != "SQ" and length <= KEEP_VALUE_LIMIT
    return tag in wanted


def _pixel_element(
    parser: _Parser,
    tag: int,
    vr: str,
    length: int,
    value_pos: int,
    header: int,
    vr_implicit: bool,
    ts: TransferSyntax,
) -> PixelElement:
    keyword = PIXEL_TAGS[tag]
    undefined = length == _UNDEFINED
    if vr_implicit or vr not in ("OB", "OW", "OF", "OD"):
        # Implicit VR (PS3.5 A.1, A.4): OW for native Pixel Data, OB when encapsulated.
        if tag == 0x7FE00010:
            vr = "OB" if (undefined or ts.encapsulated) else "OW"
        else:
            vr = "OF" if tag == 0x7FE00008 else "OD"
    if not undefined:
        parser.check_fits(value_pos, length, tag, header)
    return PixelElement(tag, keyword, vr, value_pos, None if undefined else length)


def _refine_us_or_ss(elements: dict[int, Element]) -> dict[int, Element]:
    """Implicit VR: "US or SS" elements are SS when Pixel Representation is 1 (PS3.5 A.1 note)."""
    representation = elements.get(0x00280103)
    if representation is None or representation.value != 1:
        return elements
    return {
        tag: el._replace(vr="SS") if tag in US_OR_SS_TAGS and el.vr == "US" else el
        for tag, el in elements.items()
    }
