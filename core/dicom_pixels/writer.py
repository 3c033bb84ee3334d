"""Writing DICOM Part 10 files: file meta, elements, native or encapsulated pixel data.

A small, dependency-free writer for Explicit VR Little Endian datasets (and
the encapsulated transfer syntaxes, which share that encoding). Values are
given as Python objects with their VR and are encoded as PS3.5 6.2 and 7.1.2
require: text padded with a space, UIDs with NUL, binary values with 0x00 to
an even length. The output is written atomically: to a temporary file in the
destination directory, then renamed, so a failed write leaves no half file.

>>> import io, numpy as np
>>> from dicom_pixels.writer import DataElement, write_file
>>> buf = io.BytesIO()
>>> write_file(buf, [DataElement(0x00280010, "US", 1)], transfer_syntax_uid="1.2.840.10008.1.2.1",
...            sop_class_uid="1.2.840.10008.5.1.4.1.1.7", sop_instance_uid="1.2.3")
>>> buf.getvalue()[128:132]
b'DICM'
"""

from __future__ import annotations

import os
import struct
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from . import __version__
from .elements import LONG_VRS
from .errors import DicomPixelsError, InvalidDicomError

__all__ = ["IMPLEMENTATION_CLASS_UID", "DataElement", "encode_element", "write_file"]

#: Our Implementation Class UID (PS3.7 D.3.3.2), under the UUID-derived 2.25 root.
IMPLEMENTATION_CLASS_UID = "2.25.157620913412405117233468154786318432711"
_NUMERIC = {"US": "H", "SS": "h", "UL": "L", "SL": "l", "FL": "f", "FD": "d", "SV": "q", "UV": "Q", "AT": "L"}
_BINARY = {"OB", "OD", "OF", "OL", "OV", "OW", "UN"}


@dataclass(frozen=True)
class DataElement:
    """An element to write: tag, VR and a Python value (``bytes`` for binary VRs)."""

    tag: int
    vr: str
    value: Any


def _encode_value(vr: str, value: Any) -> bytes:
    if value is None:
        return b""
    if vr in _NUMERIC:
        values = value if isinstance(value, (list, tuple)) else [value]
        if vr == "AT":
            return b"".join(struct.pack("<HH", v >> 16, v & 0xFFFF) for v in values)
        return struct.pack(f"<{len(values)}{_NUMERIC[vr]}", *values)
    if vr in _BINARY:
        raw = bytes(value)
        return raw + b"\x00" * (len(raw) % 2)
    if vr == "SQ":
        raise InvalidDicomError("Writing sequences by value is not supported; pass the raw bytes with VR 'UN'")
    if isinstance(value, (list, tuple)):
        text = "\\".join(_format_text(vr, v) for v in value)
    else:
        text = _format_text(vr, value)
    raw = text.encode("ascii" if vr in ("UI", "CS", "DS", "IS", "DA", "TM", "DT", "AS", "AE") else "utf-8")
    pad = b"\x00" if vr == "UI" else b" "
    return raw + pad * (len(raw) % 2)


def _format_text(vr: str, value: Any) -> str:
    if vr == "DS" and isinstance(value, float):
        text = repr(value) if len(repr(value)) <= 16 else f"{value:.10g}"
        return text[:16]
    return str(value)


def encode_element(element: DataElement) -> bytes:
    """Encode one element in Explicit VR Little Endian (PS3.5 7.1.2).

    >>> encode_element(DataElement(0x00280010, "US", 512)).hex()
    '28001000555302000002'
    """
    value = _encode_value(element.vr, element.value)
    group, elem = element.tag >> 16, element.tag & 0xFFFF
    if element.vr in LONG_VRS:
        return struct.pack("<HH2sHL", group, elem, element.vr.encode(), 0, len(value)) + value
    if len(value) > 0xFFFF:
        raise InvalidDicomError(
            f"The value of ({group:04X},{elem:04X}) is {len(value)} bytes, too long for VR {element.vr}"
        )
    return struct.pack("<HH2sH", group, elem, element.vr.encode(), len(value)) + value


def file_meta_bytes(transfer_syntax_uid: str, sop_class_uid: str, sop_instance_uid: str) -> bytes:
    """Return the preamble, ``DICM`` prefix and File Meta Information group (PS3.10 7.1)."""
    elements = [
        DataElement(0x00020001, "OB", b"\x00\x01"),
        DataElement(0x00020002, "UI", sop_class_uid),
        DataElement(0x00020003, "UI", sop_instance_uid),
        DataElement(0x00020010, "UI", transfer_syntax_uid),
        DataElement(0x00020012, "UI", IMPLEMENTATION_CLASS_UID),
        DataElement(0x00020013, "SH", f"DICOM_PIXELS_{__version__}"[:16]),
    ]
    body = b"".join(encode_element(e) for e in elements)
    group_length = encode_element(DataElement(0x00020000, "UL", len(body)))
    return b"\x00" * 128 + b"DICM" + group_length + body


def encapsulated_pixel_data(frames: Sequence[bytes]) -> bytes:
    """Return an undefined-length Pixel Data element holding *frames* (PS3.5 A.4).

    One fragment per frame, a Basic Offset Table, odd fragments padded.
    """
    from .encaps import encapsulate

    header = struct.pack("<HH2sHL", 0x7FE0, 0x0010, b"OB", 0, 0xFFFFFFFF)
    return header + encapsulate(list(frames), has_bot=True) + struct.pack("<HHL", 0xFFFE, 0xE0DD, 0)


def write_file(
    dst: str | os.PathLike[str] | BinaryIO,
    elements: Iterable[DataElement],
    *,
    transfer_syntax_uid: str,
    sop_class_uid: str,
    sop_instance_uid: str,
    pixel_data: bytes | None = None,
    frames: Sequence[bytes] | None = None,
    pixel_keyword_tag: int = 0x7FE00010,
    pixel_vr: str = "OW",
) -> None:
    """Write a Part 10 file with *elements* and native (*pixel_data*) or encapsulated (*frames*) pixels.

    Elements are sorted by tag (PS3.5 7.1: ascending order). A path is written
    atomically through a temporary file in the same directory.
    """
    parts = [file_meta_bytes(transfer_syntax_uid, sop_class_uid, sop_instance_uid)]
    for element in sorted(elements, key=lambda e: e.tag):
        if element.tag >= 0x7FE00008:
            raise InvalidDicomError("Pass pixel data through pixel_data= or frames=")
        parts.append(encode_element(element))
    if frames is not None:
        parts.append(encapsulated_pixel_data(frames))
    elif pixel_data is not None:
        parts.append(encode_element(DataElement(pixel_keyword_tag, pixel_vr, pixel_data)))
    blob = b"".join(parts)
    if hasattr(dst, "write"):
        dst.write(blob)
        return
    atomic_write_bytes(Path(os.fspath(dst)), blob)


# The process umask, read once at import (reading it means setting it, which is not
# thread-safe later): new files get the permissions open() would give them.
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def temp_file_beside(path: Path, prefix: str = "") -> tuple[int, str]:
    """Create a temporary file next to *path* for an atomic replace; return (fd, its path).

    ``mkstemp`` creates files readable by the owner only; the file gets the mode of
    the *path* it will replace, or for a new file the mode ``open()`` would give
    (0666 less the umask), so a written DICOM file is as readable as any other.

    >>> import tempfile, stat
    >>> target = Path(tempfile.mkdtemp()) / "out.dcm"
    >>> fd, tmp = temp_file_beside(target)
    >>> os.close(fd); stat.S_IMODE(os.stat(tmp).st_mode) == 0o666 & ~_UMASK
    True
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=prefix or f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        mode = os.stat(path).st_mode & 0o7777
    except OSError:
        mode = 0o666 & ~_UMASK
    try:
        os.fchmod(fd, mode)
    except (AttributeError, OSError):  # no fchmod (Windows): keep mkstemp's mode
        pass
    return fd, tmp


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write *data* to *path* via a temporary file and ``os.replace``: all or nothing."""
    path = Path(path)
    fd, tmp = temp_file_beside(path)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise DicomPixelsError(f"Unable to write '{path}': {exc}") from exc
        raise
