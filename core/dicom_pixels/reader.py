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
* deflated datasets are inflated as a stream (:class:`~dicom_pixels.streams.InflatedStream`):
  values before the pixel element that are not kept are inflated and dropped,
  from the pixel element on the bytes are kept (frames are read at random);
  at most :data:`MAX_INFLATED_SIZE` bytes, checked before anything is kept.

The bytes come from a :class:`~dicom_pixels.streams.ByteStream` (a local
path, bytes, a file object, or a URL through fsspec); the element values and
the VR table are in :mod:`~dicom_pixels.elements`. Both modules' names are
re-exported here.

>>> import struct
>>> header = struct.pack("<HHIH", 0x0028, 0x0010, 2, 512)    # Implicit VR: (0028,0010) Rows = 512
>>> pixels = struct.pack("<HHI", 0x7FE0, 0x0010, 4) + bytes(4)
>>> with read_dicom(header + pixels, transfer_syntax_uid="1.2.840.10008.1.2") as dicom:
...     dicom.get(0x00280010), dicom.pixel.keyword, dicom.pixel.offset, dicom.pixel.length
(512, 'PixelData', 18, 4)
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import uid as _uid
from .dictionary import US_OR_SS_TAGS, tag_for, vr_for
from .elements import (
    EXPLICIT_VR_CODES,
    ITEM_DELIMITER_TAG,
    ITEM_TAG,
    KNOWN_VRS,
    PIXEL_TAGS,
    SEQUENCE_DELIMITER_TAG,
    UNDEFINED_LENGTH,
    Element,
    PixelElement,
    format_tag,
)
from .errors import InvalidDicomError, TruncatedDataError
from .streams import BorrowedStream, ByteStream, InflatedStream, open_stream
from .uid import TransferSyntax

__all__ = [
    "KEEP_VALUE_LIMIT",
    "MAX_INFLATED_SIZE",
    "MAX_SEQUENCE_DEPTH",
    "PIXEL_TAGS",
    "DicomFile",
    "Element",
    "Parser",
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

_UNDEFINED = UNDEFINED_LENGTH
_ITEM = ITEM_TAG
_ITEM_DELIMITER = ITEM_DELIMITER_TAG
_SEQUENCE_DELIMITER = SEQUENCE_DELIMITER_TAG
#: Kept whatever specific_tags says: the pixel description and the offset tables.
_ALWAYS_KEPT = frozenset({0x00280008, 0x7FE00001, 0x7FE00002})

_EXPLICIT_VR_LE = "1.2.840.10008.1.2.1"
_EXPLICIT_VR_BE = "1.2.840.10008.1.2.2"
_IMPLICIT_VR_LE = "1.2.840.10008.1.2"


# -- the file ------------------------------------------------------------------------------------


@dataclass
class DicomFile:
    """A parsed Part 10 header plus random access to the stream holding the pixel data.

    For a Deflated transfer syntax the stream is the file's bytes up to the end
    of the File Meta Information followed by the *inflated* dataset (inflated as
    it is read, PS3.5 A.5); offsets (elements, pixel data) refer to that stream.

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
    _stream: ByteStream = field(repr=False, compare=False)

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
    def stream(self) -> ByteStream:
        """The byte stream the offsets refer to (for a deflated file, the inflated one)."""
        return self._stream

    @property
    def size(self) -> int:
        """Length of the stream: the file size, or for deflated files the inflated length."""
        return self._stream.size

    @property
    def bytes_read(self) -> int:
        """How many bytes were read so far (see the class docs)."""
        stream = self._stream
        return stream.raw_bytes_read if isinstance(stream, InflatedStream) else stream.bytes_read

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


class Parser:
    """Walks element headers through a read-ahead window over a :class:`~dicom_pixels.streams.ByteStream`.

    The parser of :func:`read_dicom`, public for the transcoder and other walkers
    of a dataset. Its read-ahead starts at the stream's ``read_ahead`` and grows
    with the offset reached (a long header gets large reads).

    >>> import struct
    >>> from dicom_pixels.streams import MemoryStream
    >>> data = struct.pack("<HH2sHH", 0x0028, 0x0010, b"US", 2, 512)
    >>> Parser(MemoryStream(data, "<bytes>")).header(0, False, True, "An element")
    (2621456, 'US', 2, 8, False)
    """

    def __init__(self, stream: ByteStream) -> None:
        self.stream = stream
        self.name = stream.name
        self.size = stream.size
        self._window = memoryview(b"")
        self._window_bytes = b""  # the same bytes: faster to index and slice than the view
        self._window_start = 0
        self._window_end = 0
        self._chunk = stream.read_ahead

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
            self.stream.count_read(length)
            return memory[offset : offset + length]
        if length > self._chunk:
            data = self.stream.pread(offset, length)
        else:
            # Grow the window with what was parsed so far: a long header gets large
            # reads, a short one stops close to where the pixel data starts.
            self._chunk = min(max(self._chunk, offset // 2), max(64 * 1024, self._chunk))
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
        info = EXPLICIT_VR_CODES.get(bytes(raw[4:6]))
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
        vr_info = EXPLICIT_VR_CODES
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
            self.stream.count_read(counted)
        return pos

    # -- sequences -----------------------------------------------------------------------------

    def check_depth(self, depth: int, tag: int, header: int) -> None:
        """Refuse a sequence nested deeper than :data:`MAX_SEQUENCE_DEPTH` (defined length or not).

        Every walker that descends into a sequence calls this first, so that a
        crafted nesting ends in a typed error instead of a ``RecursionError``.
        """
        if depth > MAX_SEQUENCE_DEPTH:
            raise InvalidDicomError(
                f"{format_tag(tag)} at offset {header} in {self.name} is nested more than "
                f"{MAX_SEQUENCE_DEPTH} sequences deep: the file is corrupt or malicious"
            )

    def skip_undefined(
        self, pos: int, implicit: bool, little: bool, depth: int, tag: int, header: int
    ) -> tuple[int, int]:
        """Walk an undefined-length value (items then a sequence delimiter, PS3.5 7.5.2, A.4).

        :returns: (offset of the sequence delimiter, offset after it).
        """
        self.check_depth(depth, tag, header)
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
    storage_options: Mapping[str, Any] | None = None,
) -> DicomFile:
    """Read a Part 10 file's header and locate its pixel element without reading it.

    :param src: a path, a URL (``https://``, ``s3://``, ... read through fsspec, the
        ``remote`` extra), ``bytes``/``bytearray``/``memoryview``, a seekable binary
        file object or an fsspec file (its filesystem and path are read, not its
        position). A path or URL is opened and closed by :meth:`DicomFile.close`; a
        file object is left open and its position is never moved (or is restored). An open
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
        stream: ByteStream = BorrowedStream(src._stream)
    else:
        inflated = False
        stream = open_stream(src, storage_options=storage_options)
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
    stream: ByteStream, wanted: frozenset[int] | None, transfer_syntax_uid: str | None, inflated: bool
) -> DicomFile:
    name = stream.name
    size = stream.size
    parser = Parser(stream)

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

    if transfer_syntax.deflated and not inflated:
        # PS3.5 A.5: the dataset after the File Meta Information is a raw deflate stream;
        # it is inflated as it is parsed, never held whole (values skipped are dropped).
        stream = InflatedStream(stream, meta_end, limit=MAX_INFLATED_SIZE)
        parser = Parser(stream)

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
    )


def _read_file_meta(parser: Parser, pos: int) -> tuple[dict[int, Element], int]:
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


def _guess_transfer_syntax(parser: Parser, pos: int, name: str, from_start: bool) -> TransferSyntax:
    """Sniff a dataset without File Meta Information, as pydicom does (issue 258)."""
    if pos + 6 > parser.size:
        if from_start:
            raise _not_dicom(name, "it is too short to hold a data element")
        raise _not_dicom(name, "there is no dataset after the DICM prefix")
    raw = parser.need(pos, 6, "The first element")
    vr = bytes(raw[4:6]).decode("latin-1")
    if vr in KNOWN_VRS:
        group = raw[0] | raw[1] << 8
        # A little endian reading of a big endian group number is large (0x0800 for 0008).
        return _uid.lookup(_EXPLICIT_VR_BE if group >= 1024 else _EXPLICIT_VR_LE)
    return _uid.lookup(_IMPLICIT_VR_LE)


def _check_plausible_start(parser: Parser, pos: int, ts: TransferSyntax, name: str) -> None:
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


def _read_dataset(
    parser: Parser,
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
    parser: Parser,
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
    parser.stream.retain_from(value_pos)  # a deflated stream keeps the pixel value (PS3.5 A.5)
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
