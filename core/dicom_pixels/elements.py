"""Data elements as stored, their values, and the VR table shared by reader, writer and transcoder.

An :class:`Element` is one data element's tag, VR and raw value bytes; its
:attr:`~Element.value` decodes them by VR (PS3.5 6.2). :data:`LONG_VRS` and
:data:`EXPLICIT_VR_CODES` say how an Explicit VR header is laid out (PS3.5
7.1.2); :data:`PIXEL_TAGS` and the item tags name what the parser looks for
(PS3.5 7.5, A.4).

>>> Element(0x00280010, "US", b"\\x00\\x02", 0, True).value, format_tag(0x00280010)
(512, '(0028,0010) Rows')
>>> "OB" in LONG_VRS, EXPLICIT_VR_CODES[b"US"]
(True, ('US', False))
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any, NamedTuple

from .dictionary import keyword_for
from .errors import InvalidDicomError

__all__ = [
    "BYTES_VRS",
    "EXPLICIT_VR_CODES",
    "ITEM_DELIMITER_TAG",
    "ITEM_TAG",
    "KNOWN_VRS",
    "LONG_VRS",
    "PIXEL_TAGS",
    "SEQUENCE_DELIMITER_TAG",
    "SHORT_VRS",
    "UNDEFINED_LENGTH",
    "Element",
    "PixelElement",
    "format_tag",
]

#: The pixel elements, by tag (PS3.6 Table 6-1, group 7FE0).
PIXEL_TAGS: dict[int, str] = {
    0x7FE00008: "FloatPixelData",
    0x7FE00009: "DoubleFloatPixelData",
    0x7FE00010: "PixelData",
}

#: The length value meaning "undefined length" (PS3.5 7.1.1).
UNDEFINED_LENGTH = 0xFFFFFFFF
#: Item, Item Delimitation and Sequence Delimitation tags (PS3.5 7.5).
ITEM_TAG = 0xFFFEE000
ITEM_DELIMITER_TAG = 0xFFFEE00D
SEQUENCE_DELIMITER_TAG = 0xFFFEE0DD

#: PS3.5 7.1.2 / Table 7.1-1: these VRs have 2 reserved bytes and a 32-bit length.
LONG_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"})
#: Every two-letter code "AA".."ZZ" as stored -> (its name, whether it has the 32-bit length).
#: Unknown codes are included so that a header parses as pydicom parses it (16-bit length).
EXPLICIT_VR_CODES: dict[bytes, tuple[str, bool]] = {
    bytes((a, b)): (chr(a) + chr(b), chr(a) + chr(b) in LONG_VRS)
    for a in range(0x41, 0x5B) for b in range(0x41, 0x5B)
}
#: The VRs with a 16-bit length (PS3.5 7.1.2).
SHORT_VRS = frozenset(
    {"AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO", "LT", "PN", "SH", "SL",
     "SS", "ST", "TM", "UI", "UL", "US"}
)
#: Every VR of PS3.5 Table 6.2-1.
KNOWN_VRS = LONG_VRS | SHORT_VRS
#: VRs whose value is returned as bytes.
BYTES_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "UN"})

_BINARY_NUMBER_FORMATS = {
    "US": "H", "SS": "h", "UL": "I", "SL": "i", "FL": "f", "FD": "d", "SV": "q", "UV": "Q",
}
# PS3.5 6.2: the value multiplicity of these text VRs is always 1 ("\\" is not a delimiter).
_SINGLE_VALUED_TEXT = frozenset({"ST", "LT", "UT", "UR"})
# PS3.5 6.2: leading spaces are insignificant in these VRs.
_STRIP_BOTH_ENDS = frozenset({"AE", "AS", "CS", "DA", "DS", "DT", "IS", "TM", "UI"})


def format_tag(tag: int) -> str:
    """Return *tag* as ``(gggg,eeee)``, followed by its keyword when known.

    >>> format_tag(0x7FE00010), format_tag(0x00431029)
    ('(7FE0,0010) PixelData', '(0043,1029)')
    """
    keyword = keyword_for(tag)
    text = f"({tag >> 16:04X},{tag & 0xFFFF:04X})"
    return f"{text} {keyword}" if keyword else text



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
        if vr in BYTES_VRS:
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
