"""File-to-file transcoding without pydicom: every element kept, pixel data re-encoded frame by frame.

:func:`transcode` reads the source with the core's lazy reader, walks *every*
data element (top level, sequences, private elements; before and after the
pixel data) with the reader's own element-header parser, and writes an
Explicit VR Little Endian (or encapsulated) file in which only the
pixel-related elements change:

* File Meta Information: Transfer Syntax UID, our Implementation Class UID
  and Version Name, Media Storage SOP Instance UID (other meta elements kept);
* (0028,xxxx) Image Pixel values that describe the new encoding, Lossy Image
  Compression (0028,2110/2112/2114) when lossy (PS3.3 C.7.6.1.1.5);
* (7FE0,0001)/(7FE0,0002) Extended Offset Table (when asked, or when the
  Basic Offset Table would overflow; PS3.5 A.4), and the pixel element.

Conversions (PS3.5 7.1): an Implicit VR source gets its VRs from
:mod:`~dicom_pixels.dictionary`, ``UN`` for tags it does not know (a valid
but less informative encoding, PS3.5 6.2.2); sequences and items are
re-encoded recursively with undefined lengths (PS3.5 7.5.2); a value too
long for a 16-bit length is written as ``UN``. Explicit VR Big Endian values
are byte-swapped by VR. Explicit VR Little Endian elements are copied byte
for byte.

Memory stays near a few frames: frames are decoded in order and encoded on
``workers`` threads, each appended to a spool file as soon as it and the frames
before it are done (at most ``2 * workers`` frames in flight), and values longer
than 64 KiB (a 4 GiB private element) are copied from the source in 1 MiB
chunks, never held whole. Nothing is left on disk, even
after a kill: the spool is unlinked from its creation, and the output is
assembled in a temporary that has no name until complete
(:func:`~dicom_pixels.writer.atomic_output`), then renamed over the destination
(once verified with ``verify=True``). On failure the destination is unchanged
and the source is untouched. Sequences nested deeper than
:data:`~dicom_pixels.reader.MAX_SEQUENCE_DEPTH` are refused, with defined
lengths as with undefined ones.

>>> import os, tempfile, dicom_pixels as dp
>>> out = os.path.join(tempfile.mkdtemp(), "ct_rle.dcm")
>>> dp.transcode(dp.examples.get_path("ct"), out, "RLELossless", verify=True)
>>> bool((dp.pixel_array(out) == dp.pixel_array(dp.examples.get_path("ct"))).all())
True
"""

from __future__ import annotations

import itertools
import math
import os
import struct
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, NamedTuple

import numpy as np

from . import __version__, pixel_dataset, reader
from .arguments import check_options, check_path, check_text, checked_signature, parameter_names
from .dictionary import US_OR_SS_TAGS
from .elements import LONG_VRS, PIXEL_TAGS
from .encoder import ConvertRun, EncodeRun, get_encoder, is_lossy, lossy_method
from .errors import (
    ArgumentTypeError,
    DicomPixelsError,
    EncodeError,
    EncodingProfileError,
    InvalidDicomError,
)
from .pixel_dataset import generate_uid
from .reader import DicomFile, Parser, read_dicom
from .registry import manager
from .uid import TransferSyntax, lookup
from .writer import IMPLEMENTATION_CLASS_UID, DataElement, atomic_output, encode_element

__all__ = ["transcode"]

Progress = Callable[[int, int], None]

_UNDEFINED = 0xFFFFFFFF
_ITEM, _ITEM_END, _SEQ_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
# PS3.5 7.3: the byte width to swap, per VR, when converting from Big Endian.
_SWAP_WIDTH = {"US": 2, "SS": 2, "OW": 2, "AT": 2, "UL": 4, "SL": 4, "FL": 4, "OL": 4, "OF": 4,
               "FD": 8, "OD": 8, "SV": 8, "UV": 8, "OV": 8}
_CHUNK = 1 << 20  # a multiple of every swap width
#: Values up to this size are read into memory while walking; longer ones are copied
#: from the source in _CHUNK pieces when written, so a 4 GiB private element costs 1 MiB.
_INLINE_LIMIT = 64 * 1024

#: Image Pixel and related tags that transcode rewrites (PS3.3 C.7.6.3, C.7.6.1.1.5).
_PIXEL_MODULE = {
    0x00280002, 0x00280004, 0x00280006, 0x00280008, 0x00280010, 0x00280011, 0x00280100,
    0x00280101, 0x00280102, 0x00280103, 0x7FE00001, 0x7FE00002,
}
_META_REPLACED = {0x00020000, 0x00020003, 0x00020010, 0x00020012, 0x00020013}


def _header(tag: int, vr: str, length: int) -> bytes:
    """An Explicit VR Little Endian element header (PS3.5 7.1.2)."""
    group, element = tag >> 16, tag & 0xFFFF
    if vr == "NONE":
        return struct.pack("<HHI", group, element, length)
    if vr in LONG_VRS:
        return struct.pack("<HH2sHI", group, element, vr.encode(), 0, length)
    return struct.pack("<HH2sH", group, element, vr.encode(), length)


def _swap_width(vr: str, length: int) -> int:
    """The byte width to swap a Big Endian value of *vr* by, 0 for none (PS3.5 7.3)."""
    width = _SWAP_WIDTH.get(vr, 0)
    return width if width and length % width == 0 else 0


def _swap(raw: bytes, width: int) -> bytes:
    if not width:
        return raw
    return np.frombuffer(raw, dtype=f">u{width}").astype(f"<u{width}").tobytes()


class _SourceRange(NamedTuple):
    """Bytes of the source copied to the output in chunks when written, never held whole."""

    offset: int
    length: int
    swap_width: int  # 0: copied as they are


#: What an element becomes in the output: bytes in hand and ranges of the source, in order.
_Pieces = list[bytes | _SourceRange]


class _Walker:
    """Re-encodes elements from the source's encoding to Explicit VR Little Endian."""

    def __init__(self, dicom: DicomFile, parser: Parser, copy_verbatim: bool, signed: bool) -> None:
        self.dicom = dicom
        self.parser = parser
        self.copy_verbatim = copy_verbatim
        self.signed = signed

    def _source(self, offset: int, length: int, swap_width: int = 0) -> _Pieces:
        """*length* bytes of the source from *offset*: read now if short, else a range to copy."""
        if length > _INLINE_LIMIT:
            return [_SourceRange(offset, length, swap_width)]
        return [_swap(self.dicom.read_at(offset, length), swap_width)]

    def elements(
        self, pos: int, end: int | None, implicit: bool, little: bool, depth: int
    ) -> Iterator[tuple[int, int, _Pieces | None, int]]:
        """Yield (tag, header offset, its Explicit VR LE pieces or None for pixel elements, next offset).

        Stops at *end*, at the end of the stream, or after an item delimiter (which is yielded).
        """
        parser = self.parser
        limit = parser.size if end is None else end
        while pos < limit:
            tag, vr, length, value_pos, vr_implicit = parser.header(pos, implicit, little, "An element header")
            if tag == _ITEM_END:
                yield tag, pos, [], value_pos
                return
            if depth == 0 and tag in PIXEL_TAGS:
                yield tag, pos, None, value_pos
                return
            if tag >> 16 == 0xFFFE:
                pos = value_pos  # a stray delimiter: dropped
                continue
            if length == _UNDEFINED:
                if vr_implicit and vr not in ("OB", "OW", "UN"):
                    vr = "SQ"  # PS3.5 7.5: undefined length in Implicit VR is a sequence
                inner_implicit, inner_little = parser.content_encoding(vr, implicit, little)
                delimiter, after = parser.skip_undefined(value_pos, inner_implicit, inner_little, depth + 1, tag, pos)
                if self.copy_verbatim and not vr_implicit:
                    pieces = self._source(pos, after - pos)
                else:
                    pieces = self._sequence(tag, value_pos, delimiter, inner_implicit, inner_little, depth + 1)
                yield tag, pos, pieces, after
                pos = after
                continue
            parser.check_fits(value_pos, length, tag, pos)
            if self.copy_verbatim and not vr_implicit:
                yield tag, pos, self._source(pos, value_pos + length - pos), value_pos + length
            elif vr == "SQ":
                yield tag, pos, self._sequence(tag, value_pos, value_pos + length, implicit, little, depth + 1), value_pos + length
            else:
                if vr_implicit and tag in US_OR_SS_TAGS and self.signed:
                    vr = "SS"
                value = self._source(value_pos, length, 0 if little else _swap_width(vr, length))
                if vr not in LONG_VRS and length > 0xFFFF:
                    vr = "UN"  # PS3.5 6.2.2: too long for a 16-bit length
                yield tag, pos, [_header(tag, vr, length), *value], value_pos + length
            pos = value_pos + length

    def _sequence(self, tag: int, start: int, end: int, implicit: bool, little: bool, depth: int) -> _Pieces:
        """Re-encode a sequence's items (PS3.5 7.5) with undefined lengths."""
        parser = self.parser
        parser.check_depth(depth, tag, start)  # defined lengths too: no RecursionError
        prefix = "<" if little else ">"
        out: _Pieces = [_header(tag, "SQ", _UNDEFINED)]
        pos = start
        while pos < end:
            group, element, length = struct.unpack(prefix + "HHI", self.dicom.read_at(pos, 8))
            item = group << 16 | element
            if item == _SEQ_END:
                break
            if item != _ITEM:
                raise InvalidDicomError(
                    f"A sequence in {self.dicom.name} holds ({group:04X},{element:04X}) at offset "
                    f"{pos} where an item must be (PS3.5 7.5)"
                )
            out.append(_header(_ITEM, "NONE", _UNDEFINED))
            item_end = None if length == _UNDEFINED else pos + 8 + length
            item_implicit = implicit or parser.looks_implicit(pos + 8)
            after = pos + 8
            for el_tag, _, pieces, nxt in self.elements(pos + 8, item_end, item_implicit, little, depth):
                after = nxt
                if el_tag == _ITEM_END:
                    break
                assert pieces is not None
                out.extend(pieces)
            out.append(_header(_ITEM_END, "NONE", 0))
            pos = item_end if item_end is not None else after
        out.append(_header(_SEQ_END, "NONE", 0))
        return out


def _parser_for(stream: Any) -> Parser:
    """The reader's own element-header parser over the file's stream."""
    return Parser(stream)


def _dataset_start(dicom: DicomFile) -> int:
    if dicom.file_meta:
        return max(el.offset + len(el.raw) for el in dicom.file_meta.values())
    if dicom.size >= 132 and dicom.read_at(128, 4) == b"DICM":
        return 132
    return 0


def _pixel_end(dicom: DicomFile) -> int:
    """Offset after the pixel element's value (undefined length: after its delimiter, A.4)."""
    pixel = dicom.pixel
    assert pixel is not None
    if pixel.length is not None:
        return pixel.offset + pixel.length
    pos = pixel.offset
    while pos + 8 <= dicom.size:
        group, element, length = struct.unpack("<HHI", dicom.read_at(pos, 8))
        if (group << 16 | element) == _SEQ_END:
            return pos + 8
        pos += 8 + length
    return dicom.size


def _meta_bytes(dicom: DicomFile, ts_uid: str, instance_uid: str) -> bytes:
    """PS3.10 7.1: preamble, DICM and a File Meta Information group with our values."""
    elements: dict[int, bytes] = {}
    for tag, el in dicom.file_meta.items():
        if tag not in _META_REPLACED:
            elements[tag] = _header(tag, el.vr, len(el.raw)) + el.raw
    elements.setdefault(0x00020001, encode_element(DataElement(0x00020001, "OB", b"\x00\x01")))
    for tag, value in (
        (0x00020003, instance_uid),
        (0x00020010, ts_uid),
        (0x00020012, IMPLEMENTATION_CLASS_UID),
    ):
        elements[tag] = encode_element(DataElement(tag, "UI", value))
    elements[0x00020013] = encode_element(DataElement(0x00020013, "SH", f"DICOM_PIXELS_{__version__}"[:16]))
    body = b"".join(elements[t] for t in sorted(elements))
    return b"\x00" * 128 + b"DICM" + encode_element(DataElement(0x00020000, "UL", len(body))) + body


@checked_signature
def transcode(
    src_path: str | os.PathLike[str],
    dst_path: str | os.PathLike[str],
    uid: str,
    *,
    encoding_plugin: str = "",
    decoding_plugin: str = "",
    verify: bool = False,
    encapsulate_ext: bool = False,
    generate_instance_uid: bool | None = None,
    progress: Progress | None = None,
    **options: Any,
) -> None:
    """Write *src_path* re-encoded as *uid* to *dst_path*, keeping every other element.

    :param src_path: a DICOM Part 10 file, in any transfer syntax dicom-pixels decodes.
    :param dst_path: the file to write (replaced atomically; may equal *src_path*).
    :param uid: the target transfer syntax: an encapsulated one or Explicit VR Little Endian.
    :param encoding_plugin: / :param decoding_plugin: use only these plugins.
    :param verify: decode the written file and compare it with the source before
        replacing *dst_path* (lossless targets: every frame must be identical).
    :param encapsulate_ext: write an Extended Offset Table (PS3.5 A.4).
    :param generate_instance_uid: a new SOP Instance UID; by default only when lossy.
    :param progress: called as ``progress(frames_done, frames_total)``.
    :param options: encoding options (``j2k_cr``, ``jls_error``, ``quality``, ...);
        ``workers``: threads encoding frames (default: one per core when the codec
        releases the GIL, else 1), each frame written once it and those before it are done.
    :raises EncodingProfileError: the image or an option does not fit *uid*.
    :raises EncodeError: a frame could not be encoded, or ``verify`` found a difference.
    """
    src_path = Path(check_path(src_path, "src_path", "transcode"))
    dst_path = Path(check_path(dst_path, "dst_path", "transcode"))
    check_text(uid, "uid", "transcode")
    check_text(encoding_plugin, "encoding_plugin", "transcode")
    check_text(decoding_plugin, "decoding_plugin", "transcode")
    if progress is not None and not callable(progress):
        raise ArgumentTypeError(
            f"transcode(): 'progress' must be callable as progress(done, total), not {type(progress).__name__}"
        )
    check_options(options, pixel_dataset.COMPRESS_OPTIONS | parameter_names(transcode), "transcode")
    ts = lookup(uid)
    if ts.family == "native" and ts.uid != "1.2.840.10008.1.2.1":
        raise EncodingProfileError(
            f"transcode writes Explicit VR Little Endian or an encapsulated transfer syntax, "
            f"not '{ts.name}'"
        )
    encoder = get_encoder(ts.uid)
    options = dict(options)
    options["decoding_plugin"] = decoding_plugin
    directory = dst_path.parent
    try:
        dicom = read_dicom(src_path)
        try:
            if dicom.pixel is None:
                raise InvalidDicomError(f"{src_path} has no pixel data to transcode")
            converter = manager.converter(dicom.transfer_syntax, ts, encoding_plugin)
            # A converter rewrites each frame's bitstream without decoding it: nothing is lost
            # on the way, so the instance keeps its UID and its Lossy Image Compression values.
            lossy = False if converter is not None else is_lossy(ts, options)
            new_uid = lossy if generate_instance_uid is None else generate_instance_uid
            pixel_dataset.default_colour_transform(options, dicom.get(0x00080016), dicom.get(0x00280004), ts)
            if ts.is_video:  # the rate the stream is encoded at (PS3.5 8.2.5)
                options["frame_rate"] = pixel_dataset.video_frame_rate(
                    options.get("frame_rate"), dicom.get(0x00180040), dicom.get(0x00181063)
                )
            # The output goes to a temporary that a kill cannot leave behind, and replaces
            # dst_path only when complete (and verified).
            run: EncodeRun | ConvertRun
            if converter is not None:
                run = ConvertRun(converter, src_path, dicom.transfer_syntax, ts, options)
            else:
                run = EncodeRun(encoder, str(src_path), encoding_plugin, options)
            with run, atomic_output(dst_path) as out:
                _write(dicom, run, ts, out, directory, new_uid, lossy, encapsulate_ext, progress)
                if verify:
                    out.flush()
                    _verify(src_path, out, ts, lossy, decoding_plugin)
        finally:
            dicom.close()
    except DicomPixelsError:
        raise
    except RecursionError:
        # Only reachable with MAX_SEQUENCE_DEPTH raised past what Python's stack holds.
        raise InvalidDicomError(
            f"The sequences of {src_path} are nested too deeply to transcode (Python's recursion "
            f"limit was reached below dicom_pixels.reader.MAX_SEQUENCE_DEPTH = "
            f"{reader.MAX_SEQUENCE_DEPTH}): lower that limit, or the file is corrupt or malicious"
        ) from None
    except OSError as exc:
        raise DicomPixelsError(f"Unable to transcode '{src_path}' to '{dst_path}': {exc}") from exc


def _write(
    dicom: DicomFile,
    run: EncodeRun | ConvertRun,
    ts: TransferSyntax,
    out: IO[bytes],
    directory: Path,
    new_uid: bool,
    lossy: bool,
    encapsulate_ext: bool,
    progress: Progress | None,
) -> None:
    image = run.image
    total = run.count
    stream = dicom.stream
    parser = _parser_for(stream)
    start = _dataset_start(dicom)
    source_ts = dicom.transfer_syntax
    implicit = source_ts.implicit_vr
    if start < parser.size and parser.looks_implicit(start) != implicit:
        implicit = not implicit
    little = source_ts.little_endian
    signed = dicom.get(0x00280103) == 1
    walker = _Walker(dicom, parser, copy_verbatim=little and not implicit, signed=signed)

    chunks: list[tuple[int, _Pieces]] = []
    pixel_tag = 0x7FE00010
    for tag, _, pieces, _ in walker.elements(start, None, implicit, little, 0):
        if pieces is None:
            pixel_tag = tag
            break
        chunks.append((tag, pieces))
    trailing: list[tuple[int, _Pieces]] = []
    after = _pixel_end(dicom)
    if after < dicom.size:
        for tag, _, pieces, _ in walker.elements(after, None, implicit, little, 1):
            if pieces and tag != 0xFFFCFFFC and tag >> 16 != 0xFFFE:  # PS3.10 7.2: padding dropped
                trailing.append((tag, pieces))

    instance_uid = generate_uid() if new_uid else str(dicom.get(0x00080018) or dicom.get(0x00020003) or generate_uid())

    def write_header(info: dict[str, Any], lengths: list[int], offsets: list[int] | None) -> Any:
        """Write the meta information and every element before the pixel data; *offsets*
        (with *lengths*) go to an Extended Offset Table. Returns the output's description."""
        pi = info.get("photometric_interpretation", image.photometric_interpretation)
        out_image = image.replace(photometric_interpretation=pi)
        rewritten = _PIXEL_MODULE
        if isinstance(run, ConvertRun):  # the same image: only the offset tables are new
            rewritten = {0x7FE00001, 0x7FE00002}
            replaced: dict[int, bytes] = {}
        else:
            replaced = _pixel_module_elements(dicom, out_image, lossy, run, lengths, ts)
        if new_uid:
            replaced[0x00080018] = encode_element(DataElement(0x00080018, "UI", instance_uid))
        if offsets is not None:
            replaced[0x7FE00001] = encode_element(DataElement(0x7FE00001, "OV", struct.pack(f"<{len(offsets)}Q", *offsets)))
            replaced[0x7FE00002] = encode_element(DataElement(0x7FE00002, "OV", struct.pack(f"<{len(lengths)}Q", *lengths)))
        kept = [(tag, pieces) for tag, pieces in chunks if tag not in replaced and tag not in rewritten]
        new: list[tuple[int, _Pieces]] = [(tag, [raw]) for tag, raw in replaced.items()]
        out.write(_meta_bytes(dicom, ts.uid, instance_uid))
        for _, pieces in sorted([*kept, *new], key=lambda item: item[0]):
            _write_pieces(dicom, pieces, out)
        return out_image

    def write_trailing() -> None:
        for _, pieces in trailing:
            _write_pieces(dicom, pieces, out)

    if not ts.encapsulated:
        assert isinstance(run, EncodeRun)  # converters write encapsulated syntaxes only
        frames = iter(run.encode_frames(range(total)))
        first = next(frames, None)
        out_image = write_header(first[1] if first else {}, [], None)
        _write_native(run, out_image, ts, out, pixel_tag, total, progress, first, frames)
        write_trailing()
        return
    # Lossless, with a Basic Offset Table that certainly fits: the header depends on the
    # first frame only (what its codec reported, e.g. YBR_RCT), so frames go straight to
    # the output and the table, reserved before them, is filled in at the end.
    if not (lossy or encapsulate_ext or ts.is_video) and total and _bounded_by_basic_offsets(image, total):
        mark = out.tell()
        try:
            _write_frames_direct(run, total, out, write_header, progress)
            write_trailing()
            return
        except _OffsetsOverflow:  # not expected (the bound above): start again with a spool
            out.seek(mark)
            out.truncate()
    _write_spooled(run, total, ts, out, directory, encapsulate_ext, write_header, progress)
    write_trailing()


#: A lossless encoding of these many bytes of native data stays under the Basic Offset
#: Table's 4 GiB limit with room to spare (codecs expand incompressible data by well under
#: 10%: PackBits by 1/128, JPEG-LS and JPEG 2000 by a few header bytes per block).
_DIRECT_NATIVE_LIMIT = (pixel_dataset.BASIC_OFFSET_LIMIT // 10) * 9 - (1 << 20)


class _OffsetsOverflow(Exception):
    """A frame offset passed the Basic Offset Table's 32-bit limit while writing directly."""


def _bounded_by_basic_offsets(image: Any, total: int) -> bool:
    return image.frame_length * total < _DIRECT_NATIVE_LIMIT


def _write_frames_direct(
    run: EncodeRun | ConvertRun, total: int, out: IO[bytes],
    write_header: Callable[[dict[str, Any], list[int], list[int] | None], Any], progress: Progress | None,
) -> None:
    """Write each encoded frame as its own fragment as soon as it is ready (PS3.5 A.4), after
    a Basic Offset Table of *total* entries that is filled in once every offset is known."""
    frames = run.encode_frames(range(total))
    try:
        _write_fragments(frames, total, out, write_header, progress)
    finally:
        frames.close()  # stops the encoding threads when writing failed part-way


def _write_fragments(
    frames: Iterator[tuple[bytes, dict[str, Any]]], total: int, out: IO[bytes],
    write_header: Callable[[dict[str, Any], list[int], list[int] | None], Any], progress: Progress | None,
) -> None:
    first = next(frames)
    write_header(first[1], [], None)
    out.write(_header(0x7FE00010, "OB", _UNDEFINED))
    out.write(_header(_ITEM, "NONE", 4 * total))
    table_at = out.tell()
    out.write(bytes(4 * total))
    offsets: list[int] = []
    position = 0
    for i, (data, _) in enumerate(itertools.chain([first], frames)):
        if position > pixel_dataset.BASIC_OFFSET_LIMIT:
            raise _OffsetsOverflow
        offsets.append(position)
        padding = len(data) % 2  # PS3.5 A.4: fragments have even length
        out.write(_header(_ITEM, "NONE", len(data) + padding))
        out.write(data)
        if padding:
            out.write(b"\x00")
        position += 8 + len(data) + padding
        if progress is not None:
            progress(i + 1, total)
    out.write(_header(_SEQ_END, "NONE", 0))
    end = out.tell()
    out.seek(table_at)
    out.write(struct.pack(f"<{total}I", *offsets))
    out.seek(end)


def _write_spooled(
    run: EncodeRun | ConvertRun, total: int, ts: TransferSyntax, out: IO[bytes], directory: Path,
    encapsulate_ext: bool, write_header: Callable[[dict[str, Any], list[int], list[int] | None], Any],
    progress: Progress | None,
) -> None:
    """Encode every frame to a spool file first, when what precedes the pixel data depends on
    all of them (a lossy ratio, an Extended Offset Table), then copy the frames after it."""
    info: dict[str, Any] = {}
    lengths: list[int] = []
    # Unlinked from the start (O_TMPFILE on Linux): a killed process leaves no spool.
    with tempfile.TemporaryFile(dir=directory) as spool:
        for i, (data, frame_info) in enumerate(run.encode_frames(range(total))):
            info = info or frame_info
            spool.write(data)
            if len(data) % 2:
                spool.write(b"\x00")  # PS3.5 A.4: fragments have even length
            lengths.append(len(data) + len(data) % 2)
            if progress is not None:
                progress(i + 1, total)
        offsets = [0]
        for length in lengths[:-1]:
            offsets.append(offsets[-1] + 8 + length)
        extended = encapsulate_ext or offsets[-1] > pixel_dataset.BASIC_OFFSET_LIMIT
        write_header(info, lengths, offsets if extended else None)
        # PS3.5 A.4: OB, undefined length, a Basic Offset Table item, one fragment per frame.
        out.write(_header(0x7FE00010, "OB", _UNDEFINED))
        if extended or ts.is_video:  # PS3.5 A.4.5: a video's Basic Offset Table is empty
            out.write(_header(_ITEM, "NONE", 0))
        else:
            out.write(_header(_ITEM, "NONE", 4 * total) + struct.pack(f"<{total}I", *offsets))
        spool.seek(0)
        for length in lengths:
            out.write(_header(_ITEM, "NONE", length))
            _copy(spool, out, length)
        out.write(_header(_SEQ_END, "NONE", 0))


def _write_pieces(dicom: DicomFile, pieces: _Pieces, out: IO[bytes]) -> None:
    """Write an element's pieces; source ranges are copied (and swapped) _CHUNK bytes at a time."""
    for piece in pieces:
        if isinstance(piece, bytes):
            out.write(piece)
            continue
        offset, remaining = piece.offset, piece.length
        while remaining:
            size = min(_CHUNK, remaining)
            out.write(_swap(dicom.read_at(offset, size), piece.swap_width))
            offset += size
            remaining -= size


def _copy(src: IO[bytes], dst: IO[bytes], length: int) -> None:
    while length > 0:
        chunk = src.read(min(_CHUNK, length))
        if not chunk:
            raise EncodeError("The frame spool file ended early")
        dst.write(chunk)
        length -= len(chunk)


def _write_native(
    run: EncodeRun, image: Any, ts: TransferSyntax, out: IO[bytes], pixel_tag: int, total: int,
    progress: Progress | None, first: tuple[bytes, dict[str, Any]] | None,
    frames: Iterator[tuple[bytes, dict[str, Any]]],
) -> None:
    # PS3.5 8.1.1: 1-bit frames follow one another bit by bit, so a frame of 91 bits
    # starts at bit 3 of byte 11; each encoded frame is packed alone (from bit 0), and
    # the bits left over from the frames before it are carried into its first byte.
    unaligned = image.bits_allocated == 1 and image.frame_bits % 8 != 0
    length = math.ceil(image.frame_bits * total / 8) if unaligned else image.frame_length * total
    vr = {0x7FE00008: "OF", 0x7FE00009: "OD"}.get(pixel_tag, "OB" if image.bits_allocated <= 8 else "OW")
    out.write(_header(pixel_tag, vr, length + length % 2))
    carry = np.zeros(0, np.uint8)
    for i, (data, _) in enumerate(itertools.chain([first] if first else [], frames)):
        if unaligned:
            bits = np.unpackbits(np.frombuffer(data, np.uint8), count=image.frame_bits, bitorder="little")
            bits = np.concatenate((carry, bits))
            whole = bits.size - bits.size % 8
            out.write(np.packbits(bits[:whole], bitorder="little").tobytes())
            carry = bits[whole:]
        else:
            out.write(data)
        if progress is not None:
            progress(i + 1, total)
    if carry.size:
        out.write(np.packbits(carry, bitorder="little").tobytes())  # the last byte, zero-padded
    if length % 2:
        out.write(b"\x00")  # PS3.5 7.1.1: values have even length


def _pixel_module_elements(
    dicom: DicomFile, image: Any, lossy: bool, run: EncodeRun, lengths: list[int], ts: TransferSyntax
) -> dict[int, bytes]:
    values: list[DataElement] = [
        DataElement(0x00280002, "US", image.samples_per_pixel),
        DataElement(0x00280004, "CS", image.photometric_interpretation),
        DataElement(0x00280010, "US", image.rows),
        DataElement(0x00280011, "US", image.columns),
        DataElement(0x00280100, "US", image.bits_allocated),
    ]
    if image.samples_per_pixel > 1:
        values.append(DataElement(0x00280006, "US", image.planar_configuration))
    if 0x00280008 in dicom.elements or image.number_of_frames > 1 or ts.is_video:
        values.append(DataElement(0x00280008, "IS", image.number_of_frames))
    if not image.is_float:
        values += [
            DataElement(0x00280101, "US", image.bits_stored),
            DataElement(0x00280102, "US", image.bits_stored - 1),
            DataElement(0x00280103, "US", image.pixel_representation),
        ]
    if lossy:
        # PS3.3 C.7.6.1.1.5: "01" once lossy; ratio and method values accumulate.
        frames = image.number_of_frames if ts.is_video else max(1, len(lengths))  # video: one stream
        original = image.pixels_per_frame * image.bits_allocated / 8 * frames
        ratio = original / max(1, sum(lengths))
        old_ratio = dicom.get(0x00282112)
        ratios = ([] if old_ratio is None else list(old_ratio) if isinstance(old_ratio, list) else [old_ratio])
        old_method = dicom.get(0x00282114)
        methods = ([] if not old_method else list(old_method) if isinstance(old_method, list) else [old_method])
        values += [
            DataElement(0x00282110, "CS", "01"),
            DataElement(0x00282112, "DS", [*ratios, float(f"{ratio:.6g}")]),
            DataElement(0x00282114, "CS", [*methods, lossy_method(ts)]),
        ]
    if ts.is_video:
        timing = pixel_dataset.video_timing(run.options["frame_rate"])
        values += [
            DataElement(0x00180040, "IS", timing["CineRate"]),
            DataElement(0x00181063, "DS", timing["FrameTime"]),
            DataElement(0x00280009, "AT", timing["FrameIncrementPointer"]),
        ]
    return {el.tag: encode_element(el) for el in values}


def _verify(src: Path, written: IO[bytes], ts: TransferSyntax, lossy: bool, plugin: str) -> None:
    """Decode the written file; for lossless targets compare every frame with the source."""
    from .api import iter_pixels

    written_frames = iter_pixels(written, raw=True)
    try:
        if lossy:
            for _ in written_frames:
                pass
            return
        source_frames = iter_pixels(src, raw=True, decoding_plugin=plugin, as_rgb=False)
        for index, (a, b) in enumerate(zip(source_frames, written_frames)):
            if a.shape != b.shape or not np.array_equal(a, b):
                raise EncodeError(
                    f"Verification failed: frame {index} of the '{ts.name}' file differs from "
                    f"the source {src}; nothing was written"
                )
    except EncodeError:
        raise
    except DicomPixelsError as exc:
        raise EncodeError(
            f"Verification failed: the '{ts.name}' result cannot be decoded ({exc}); nothing "
            "was written"
        ) from exc

