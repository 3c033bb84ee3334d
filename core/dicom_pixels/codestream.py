"""Reading parameters from JPEG, JPEG-LS and JPEG 2000 codestream headers.

The decoder inspects each frame's header before a codec sees it, so that the
rules that depend on the codestream live once, in the core, whatever plugin
decodes:

* JPEG 2000 / HTJ2K: precision and signedness from the SIZ marker segment
  (ISO/IEC 15444-1 A.5.1), for sign correction against Pixel Representation;
* JPEG-LS: precision from SOF55 (ISO/IEC 14495-1), to sign-extend signed data;
* JPEG / JPEG-LS colour: component IDs "RGB" mean RGB; a JFIF APP0 marker
  means YCbCr (PS3.5 8.2.1 notes), whatever Photometric Interpretation says.

Parsing is bounded and never raises: a header it cannot read yields ``{}``.

>>> j2k_parameters(b"\\xff\\x4f\\xff\\x51" + bytes(38) + b"\\x8b")
{'precision': 12, 'is_signed': True}
"""

from __future__ import annotations

import struct
import threading
import warnings
from typing import Any

from .description import ImageDescription
from .uid import TransferSyntax

__all__ = [
    "header_mismatch",
    "implausible_size",
    "inspect_frame",
    "j2k_parameters",
    "j2k_siz",
    "jpeg_header_problem",
    "jpeg_parameters",
    "minimum_length",
]

_SOF = {bytes([0xFF, m]) for m in (*range(0xC0, 0xC4), *range(0xC5, 0xC8), *range(0xC9, 0xCC), *range(0xCD, 0xD0), 0xF7)}
_APP = {bytes([0xFF, m]) for m in range(0xE0, 0xF0)}
_MAX_SEGMENTS = 512
_SOF_MARKERS = {m[1] for m in _SOF}


def j2k_parameters(codestream: bytes) -> dict[str, Any]:
    """Return ``precision`` and ``is_signed`` of the first component of a J2K codestream.

    A JP2 file header (ISO/IEC 15444-1 Annex I), which DICOM forbids but some
    writers add, is skipped to its ``jp2c`` box.

    >>> j2k_parameters(b"not j2k")
    {}
    """
    siz = j2k_siz(codestream)
    if not siz:
        return {}
    return {"precision": siz["precision"], "is_signed": siz["is_signed"]}


def j2k_siz(codestream: bytes) -> dict[str, Any]:
    """Return the SIZ values of a J2K codestream: image size, components, first component's depth.

    ``width``/``height`` are the image area (Xsiz - XOsiz, Ysiz - YOsiz,
    ISO/IEC 15444-1 A.5.1), ``components`` is Csiz. ``{}`` when there is no SIZ.

    >>> j2k_siz(b"\\xff\\x4f\\xff\\x51\\x00\\x29\\x00\\x00" + (3).to_bytes(4, "big") + (2).to_bytes(4, "big")
    ...         + bytes(24) + b"\\x00\\x01\\x07\\x01\\x01")
    {'width': 3, 'height': 2, 'components': 1, 'precision': 8, 'is_signed': False}
    """
    offset = 0
    try:
        if codestream[:8] == b"\x00\x00\x00\x0cjP  ":
            offset = 12
            for _ in range(_MAX_SEGMENTS):
                if offset + 8 > len(codestream):
                    return {}
                length = int.from_bytes(codestream[offset : offset + 4], "big")
                if codestream[offset + 4 : offset + 8] == b"jp2c":
                    offset += 8
                    break
                if length < 8:
                    return {}
                offset += length
            else:
                return {}
        # SOC then SIZ must come first (15444-1 Figure A.3); Ssiz of component 0 is at +42.
        if codestream[offset : offset + 4] != b"\xff\x4f\xff\x51" or len(codestream) <= offset + 42:
            return {}

        def u32(at: int) -> int:
            return int.from_bytes(codestream[offset + at : offset + at + 4], "big")

        ssiz = codestream[offset + 42]
        return {
            "width": u32(8) - u32(16),
            "height": u32(12) - u32(20),
            "components": int.from_bytes(codestream[offset + 40 : offset + 42], "big"),
            "precision": (ssiz & 0x7F) + 1,
            "is_signed": bool(ssiz & 0x80),
        }
    except (IndexError, TypeError, ValueError):
        return {}


_LAST_PARSED = threading.local()


def jpeg_parameters(src: bytes) -> dict[str, Any]:
    """Return the SOF parameters (precision, size, component IDs) and APPn segments.

    Works for JPEG (ISO/IEC 10918-1) and JPEG-LS (SOF55, ISO/IEC 14495-1); for
    JPEG-LS also returns ``lossy_error`` (NEAR) and ``interleave_mode`` from SOS.

    >>> jpeg_parameters(b"\\xff\\xd8\\xff\\xc0\\x00\\x0b\\x08\\x00\\x02\\x00\\x03\\x01\\x01\\x11\\x00")["precision"]
    8

    The core, the header check and a plugin all ask for the same frame's
    parameters: the last ``bytes`` parsed on each thread is remembered, so the
    returned dict is shared and must not be modified.
    """
    last = getattr(_LAST_PARSED, "jpeg", None)
    if last is not None and last[0] is src:
        return last[1]
    info = _parse_jpeg(src)
    if type(src) is bytes:  # immutable: the same object always holds the same header
        _LAST_PARSED.jpeg = (src, info)
    return info


def _parse_jpeg(src: bytes) -> dict[str, Any]:
    info: dict[str, Any] = {}
    try:
        if src[0:2] != b"\xff\xd8":
            return info
        offset = 2
        app: dict[bytes, bytes] = {}
        for _ in range(_MAX_SEGMENTS):
            marker = bytes(src[offset : offset + 2])
            if marker in _SOF:
                break
            if len(marker) < 2 or marker[0] != 0xFF:
                return {}
            length = int.from_bytes(src[offset + 2 : offset + 4], "big")
            if length < 2:
                return {}
            if marker in _APP:
                app[marker] = bytes(src[offset + 4 : offset + 2 + length])
            offset += length + 2
        else:
            return {}
        if app:
            info["app"] = app
        if offset + 10 > len(src):
            return {"unreadable": "its SOF marker segment is cut short"}
        info["precision"] = src[offset + 4]
        info["height"] = int.from_bytes(src[offset + 5 : offset + 7], "big")
        info["width"] = int.from_bytes(src[offset + 7 : offset + 9], "big")
        components = src[offset + 9]
        info["components"] = components
        # ISO/IEC 10918-1 B.2.2 and 14495-1 C.2.2: Lf = 8 + 3 x Nf.
        declared = int.from_bytes(src[offset + 2 : offset + 4], "big")
        if declared != 8 + 3 * components or offset + 2 + declared > len(src):
            info["unreadable"] = (
                f"its SOF marker segment holds {declared} bytes for {components} component(s), "
                f"not the {8 + 3 * components} that ISO/IEC 10918-1 B.2.2 requires"
            )
            return info
        info["component_ids"] = [src[offset + 10 + 3 * i] for i in range(components)]
        info["sof"] = marker[1]
        # Hi (high nibble) and Vi of each component (10918-1 B.2.2), for the size rules.
        info["sampling"] = [divmod(src[offset + 11 + 3 * i], 16) for i in range(components)]
        if marker != b"\xff\xf7":
            return info
        offset += 2 + int.from_bytes(src[offset + 2 : offset + 4], "big")
        for _ in range(_MAX_SEGMENTS):
            if src[offset : offset + 2] == b"\xff\xda":
                break
            offset += 2 + int.from_bytes(src[offset + 2 : offset + 4], "big")
        else:
            return info
        offset += 5 + src[offset + 4] * 2
        info["lossy_error"] = src[offset]
        info["interleave_mode"] = src[offset + 1]
    except (IndexError, TypeError, ValueError):
        return {}
    return info


def jpeg_header_problem(src: bytes) -> str | None:
    """Describe what in a JPEG/JPEG-LS header before the scan would make libjpeg warn, or ``None``.

    From SOI, each marker segment must follow the previous one (ISO/IEC 10918-1
    B.1.1.2, B.1.1.4; fill bytes 0xFF may precede a marker) up to SOS, and each
    must be one that carries a length there (SOFn, DHT, DAC, DQT, DNL, DRI, DHP,
    EXP, APPn, JPGn/JPEG-LS, COM; Table B.1): a standalone RSTn, SOI or EOI before
    the scan means a damaged header. Two APPn values are checked as libjpeg
    checks them: a JFIF APP0 major version other than 1 (JFIF 1.02), and an Adobe
    APP14 colour transform that does not fit the component count (0 or 1 for 3
    components, 0 or 2 for 4). libjpeg only warns about these, but GDCM aborts the
    process on any warning while it reads the header (fuzz findings), so plugins
    wrapping fragile backends ask this first.

    >>> jpeg_header_problem(b"\\xff\\xd8\\xff\\xdb\\x00\\x02\\xff\\xda\\x00\\x02") is None
    True
    >>> jpeg_header_problem(b"\\xff\\xd8\\xff\\xdb\\x00\\x02\\xfd\\xc4\\x00\\x02")
    'byte 6 of the header is 0xfd where a marker (0xff) must start'
    >>> jpeg_header_problem(b"\\xff\\xd8\\xff\\xd4\\x00\\x02\\xff\\xda\\x00\\x02")
    'byte 2 of the header holds marker 0xffd4, which cannot precede the scan'
    """
    view = memoryview(src)
    if bytes(view[:2]) != b"\xff\xd8":
        return "it does not start with an SOI marker"
    offset = 2
    adobe_transform: int | None = None
    for _ in range(_MAX_SEGMENTS):
        while offset + 1 < len(view) and view[offset] == 0xFF and view[offset + 1] == 0xFF:
            offset += 1  # fill bytes
        if offset + 4 > len(view):
            return "the header ends before the start of scan (SOS) marker"
        if view[offset] != 0xFF:
            return f"byte {offset} of the header is {view[offset]:#04x} where a marker (0xff) must start"
        marker = view[offset + 1]
        if marker == 0xDA:
            return None
        if not (0xC0 <= marker <= 0xCF or 0xDB <= marker <= 0xFE):
            return f"byte {offset} of the header holds marker 0xff{marker:02x}, which cannot precede the scan"
        length = int.from_bytes(view[offset + 2 : offset + 4], "big")
        if length < 2:
            return f"the marker segment at byte {offset} declares a length of {length}"
        body = bytes(view[offset + 4 : offset + 2 + length])
        if marker == 0xE0 and body[:5] == b"JFIF\0" and len(body) >= 7 and body[5] != 1:
            return f"its JFIF APP0 segment declares version {body[5]}.{body[6]:02d}; JFIF 1.0x is 1"
        if marker == 0xEE and body[:5] == b"Adobe" and len(body) >= 12:
            adobe_transform = body[11]
        if marker in _SOF_MARKERS and adobe_transform is not None and len(body) >= 6:
            components = body[5]
            allowed = {3: (0, 1), 4: (0, 2)}.get(components)
            if allowed is not None and adobe_transform not in allowed:
                return (
                    f"its Adobe APP14 segment gives the colour transform {adobe_transform}, "
                    f"which {components} components cannot have"
                )
        offset += 2 + length
    return f"more than {_MAX_SEGMENTS} marker segments before the scan"


def inspect_frame(ts: TransferSyntax, data: bytes, image: ImageDescription) -> dict[str, Any]:
    """Return what the core needs from a frame's header, as ``DecodeFrame.info`` entries.

    ``j2k_precision``/``j2k_is_signed`` for JPEG 2000 and HTJ2K,
    ``jls_precision`` for JPEG-LS, and ``photometric_interpretation`` when a
    JPEG or JPEG-LS header contradicts the dataset's value (a warning says so).

    >>> from dicom_pixels.uid import lookup
    >>> inspect_frame(lookup("RLELossless"), b"", None)
    {}
    """
    family = ts.family
    info: dict[str, Any] = {}
    if family in ("j2k", "htj2k"):
        params = j2k_parameters(data)
        if params:
            info["j2k_precision"] = params["precision"]
            info["j2k_is_signed"] = params["is_signed"]
    elif family in ("jpeg", "jpegls"):
        params = jpeg_parameters(data)
        if family == "jpegls" and "precision" in params:
            info["jls_precision"] = params["precision"]
        pi = _conformed_photometric(ts, params, image)
        if pi is not None:
            info["photometric_interpretation"] = pi
    return info


def _conformed_photometric(
    ts: TransferSyntax, params: dict[str, Any], image: ImageDescription
) -> str | None:
    if image.samples_per_pixel != 3:
        return None
    pi = image.photometric_interpretation
    # Component IDs 'R','G','B' (or lower case) in ASCII signal RGB data.
    if params.get("component_ids") in ([82, 71, 66], [114, 103, 98]):
        if pi != "RGB":
            warnings.warn(
                f"The (0028,0004) Photometric Interpretation value is '{pi}' however the "
                "encoded image's codestream uses component IDs that indicate it should be 'RGB'",
                UserWarning,
                stacklevel=4,
            )
            return "RGB"
        return None
    # A JFIF APP0 marker means YCbCr (JFIF 1.02); Baseline is normally subsampled.
    for segment in params.get("app", {}).values():
        if segment.startswith(b"JFIF") and "YBR" not in pi:
            cs = "YBR_FULL_422" if ts.uid == "1.2.840.10008.1.2.4.50" else "YBR_FULL"
            warnings.warn(
                f"The (0028,0004) Photometric Interpretation value is '{pi}' however the "
                f"encoded image's codestream contains a JFIF APP marker which indicates it "
                f"should be '{cs}'",
                UserWarning,
                stacklevel=4,
            )
            return cs
    return None


def header_mismatch(ts: TransferSyntax, data: bytes, image: ImageDescription) -> str | None:
    """Describe how a frame's codestream header contradicts the Image Pixel values, or ``None``.

    Native backends (GDCM, CharLS, OpenJPEG, libjpeg) size their buffers from
    one and write from the other; some abort the process on a mismatch (GDCM
    raises a C++ exception that terminates Python). So the core compares
    the JPEG/JPEG-LS SOF (ISO/IEC 10918-1 B.2.2) or J2K SIZ (15444-1 A.5.1)
    image size and component count with Rows, Columns and Samples per Pixel
    before any plugin sees the frame. A header that cannot be parsed is left
    to the plugins. A height of 0 (defined later by a DNL marker, 10918-1
    B.2.5) is refused too: libjpeg-turbo does not support DNL and libjpeg's
    JPEG-LS decoder loops forever on it.

    >>> from dicom_pixels.uid import lookup
    >>> image = ImageDescription(2, 3, 1, 8, 8, 0, "MONOCHROME2", "1.2.840.10008.1.2.4.50")
    >>> sof = b"\\xff\\xd8\\xff\\xc0\\x00\\x0b\\x08\\x00\\x02\\x00\\x04\\x01\\x01\\x11\\x00"
    >>> header_mismatch(lookup("JPEGBaseline8Bit"), sof, image)
    'its SOF marker describes 2 rows, 4 columns and 1 component(s)'
    """
    family = ts.family
    if family == "rle":
        return _rle_header_problem(data)
    if family in ("j2k", "htj2k"):
        params = j2k_siz(data)
        marker = "SIZ marker"
        precisions = range(1, 39)  # ISO/IEC 15444-1 Table A.11: 1 to 38 bits
    elif family in ("jpeg", "jpegls"):
        params = jpeg_parameters(data)
        marker = "SOF marker"
        precisions = range(2, 17)  # 10918-1 B.2.2 (2-16 lossless), 14495-1 C.2.2 (2-16)
    else:
        return None
    if "unreadable" in params:
        return str(params["unreadable"])
    if "width" not in params or "components" not in params:
        return None
    found = (params["height"], params["width"], params["components"])
    if found != (image.rows, image.columns, image.samples_per_pixel):
        return f"its {marker} describes {found[0]} rows, {found[1]} columns and {found[2]} component(s)"
    # A sample wider than the container overflows the backend's buffer; GDCM
    # segfaults on an out-of-range JPEG precision.
    precision = params.get("precision")
    if not isinstance(precision, int) or precision not in precisions or precision > image.bits_allocated:
        return (
            f"its {marker} declares a sample precision of {precision} bits, which does not fit "
            f"the (0028,0100) Bits Allocated value of {image.bits_allocated}"
        )
    return None


def _rle_header_problem(data: bytes) -> str | None:
    """Check the RLE header's segment count and offsets (PS3.5 G.5); some backends
    read wherever the offsets point."""
    if len(data) < 64:
        return None  # too short for a header: the plugins say so
    count, *offsets = struct.unpack_from("<16L", data, 0)
    if not 1 <= count <= 15:
        return f"its RLE header declares {count} segments; PS3.5 G.5 allows 1 to 15"
    previous = 64
    for number, offset in enumerate(offsets[:count]):
        if not previous <= offset <= len(data):
            return (
                f"its RLE header gives segment {number} the offset {offset}, outside the "
                f"{len(data)}-byte frame or before the header or the previous segment (PS3.5 G.5)"
            )
        previous = offset
    return None


# -- size plausibility ---------------------------------------------------------------------------

# Each rule below is a lower bound on the bits a *valid* codestream spends, derived from
# the coding process; a frame shorter than its bound is truncated or forged (a few hundred
# bytes claiming 65535 x 65535). Real files are far above the bounds, which are checked
# against every pydicom test file and bundled example in tests/test_hostile_bombs.py.
_JPEG_SEQUENTIAL_DCT = (0xC0, 0xC1)  # Huffman, baseline and extended (10918-1 Annex F)
_JPEG_PROGRESSIVE_DCT = (0xC2,)  # Huffman (Annex G)
_JPEG_LOSSLESS = (0xC3,)  # Huffman (Annex H)
_JPEG_ARITHMETIC_DCT = (0xC9, 0xCA)  # Annex D coding of processes F and G
_JPEG_ARITHMETIC_LOSSLESS = (0xCB,)
# The QM coder's smallest probability estimate is Qe = 0x0001 against an interval A of at
# least 0x8000 (10918-1 Table D.2), so one decision costs more than 1/65536 bit.
_ARITHMETIC_DECISIONS_PER_BIT = 65536
# JPEG-LS run mode (14495-1 A.7.1.2): one '1' bit covers at most 2**J = 2**15 samples of a
# run (J[31] = 15, Table A.13); a run that reaches the end of a line costs one more bit when
# samples remain, so each line costs at least ceil(columns / 2**15) bits.
_JLS_LONGEST_RUN_PER_BIT = 1 << 15
# JPEG 2000 (15444-1 A.4.2, A.4.3, B.10): each tile has a tile-part of at least an SOT
# marker segment (12 bytes) and an SOD marker (2 bytes), and each tile-component at least
# one packet of its lowest resolution, whose header is byte aligned: one byte when empty.
_J2K_TILE_PART_BYTES = 14
# PS3.5 G.3.1: a PackBits replicate run is 2 bytes for at most 128 bytes of output.
_RLE_BYTES_PER_RUN, _RLE_LONGEST_RUN, _RLE_HEADER_LENGTH = 2, 128, 64
_JPEG_END = b"\xff\xd9"  # EOI (10918-1 B.2.1, 14495-1 C.1.2), and EOC of J2K (15444-1 A.4.4)


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def minimum_length(
    ts: TransferSyntax, data: bytes, image: ImageDescription | None, *, with_header: bool = True
) -> tuple[int, str] | None:
    """The fewest bytes a valid frame with this header can have, and why; ``None`` when unknown.

    From the JPEG/JPEG-LS SOF or J2K SIZ (image size, components, coding process) or, for
    RLE, from Rows x Columns. ``with_header=False`` leaves out this frame's JPEG/JPEG-LS
    marker segments before the scan: the bound then holds for every frame of the image
    (other frames may carry fewer APPn segments), and the decoder checks the other frames'
    encoded lengths with it before allocating a large volume.

    >>> from dicom_pixels.uid import lookup
    >>> sof = b"\\xff\\xd8\\xff\\xc2\\x00\\x0b\\x08\\xff\\xff\\xff\\xff\\x01\\x01\\x11\\x00"
    >>> minimum_length(lookup("JPEGExtended12Bit"), sof, None)[0]  # 65535**2 / 64 bits and EOI
    8388610
    """
    family = ts.family
    if family in ("jpeg", "jpegls"):
        params = jpeg_parameters(data)
        if family == "jpeg":
            bound = _jpeg_minimum(params)
        elif "width" in params and params.get("sof") == 0xF7:
            bits = params["height"] * _ceil_div(params["width"], _JLS_LONGEST_RUN_PER_BIT)
            bound = _ceil_div(bits, 8), "1 bit per line in JPEG-LS run mode (ISO/IEC 14495-1 A.7.1.2)"
        else:
            bound = None
        if bound is None:
            return None
        # The entropy-coded data follows the header up to the first scan's SOS segment,
        # and is followed by the EOI marker.
        header = _header_length(data) if with_header else 0
        return header + bound[0] + len(_JPEG_END), bound[1]
    if family in ("j2k", "htj2k"):
        return _j2k_minimum(data)
    if family == "rle" and image is not None:
        # PS3.5 G.2: one segment per byte of each sample, each decoding to Rows x Columns;
        # the count the header declares (G.5) when it is valid, so that a header with the
        # wrong count is reported as such by the plugins.
        declared = int.from_bytes(bytes(data[:4]), "little") if len(data) >= 4 else 0
        segments = declared if 1 <= declared <= 15 else image.samples_per_pixel * max(image.bits_allocated // 8, 1)
        return (
            _RLE_HEADER_LENGTH + segments * _rle_segment_minimum(image),
            f"a 64-byte header and {segments} segment(s) of at least 2 bytes per 128 pixels "
            "(PS3.5 G.3.1, G.5)",
        )
    return None


def _header_length(data: bytes, until: int = 0xDA) -> int:
    """Bytes of a JPEG/JPEG-LS codestream up to the end of its first SOS marker segment
    (10918-1 B.2.1: SOI, marker segments, SOS), or 0 when there is no readable one; of a
    J2K codestream up to the end of the first SOT marker segment with ``until=0x90``
    (15444-1 A.4.2: SOC, main header, SOT), which has the same marker-length layout."""
    offset = 2
    for _ in range(_MAX_SEGMENTS):
        if data[offset : offset + 1] != b"\xff" or offset + 4 > len(data):
            return 0
        marker = data[offset + 1]
        if marker == 0xFF:  # fill byte
            offset += 1
            continue
        offset += 2 + int.from_bytes(data[offset + 2 : offset + 4], "big")
        if marker == until:
            return offset
    return 0


def j2k_header_length(codestream: bytes) -> int:
    """Bytes of a J2K/HTJ2K codestream that are not coded image data: the main header,
    the first tile-part's SOT and SOD (15444-1 A.4.2) and the EOC marker (A.4.4).
    0 when the main header cannot be walked.

    What remains is what a compression ratio governs: on a small image the headers alone
    can outweigh the requested size.

    >>> siz = b"\\xff\\x51\\x00\\x29" + bytes(39)
    >>> sot = b"\\xff\\x90\\x00\\x0a" + bytes(8)
    >>> j2k_header_length(b"\\xff\\x4f" + siz + sot + b"\\xff\\x93" + bytes(100) + b"\\xff\\xd9")
    61
    """
    main_and_sot = _header_length(codestream, until=0x90)
    return main_and_sot + 2 + len(_JPEG_END) if main_and_sot else 0


def _rle_segment_minimum(image: ImageDescription) -> int:
    return _RLE_BYTES_PER_RUN * _ceil_div(image.rows * image.columns, _RLE_LONGEST_RUN)


def _rle_short_segment(data: bytes, image: ImageDescription) -> str | None:
    """A segment, as the RLE header delimits it (PS3.5 G.5), too short for Rows x Columns bytes."""
    if len(data) < _RLE_HEADER_LENGTH:
        return None
    count, *offsets = struct.unpack_from("<16L", data, 0)
    if not 1 <= count <= 15:
        return None  # header_mismatch says so
    ends = [*offsets[1:count], len(data)]
    needed = _rle_segment_minimum(image)
    for number, (start, end) in enumerate(zip(offsets[:count], ends)):
        if end - start < needed:
            return (
                f"its RLE segment {number} holds {max(end - start, 0)} bytes, fewer than the "
                f"{needed} that {image.rows} x {image.columns} bytes need (a 2-byte PackBits run "
                "yields at most 128, PS3.5 G.3.1)"
            )
    return None


def _jpeg_minimum(params: dict[str, Any]) -> tuple[int, str] | None:
    sof, sampling = params.get("sof"), params.get("sampling")
    if sof is None or not sampling or "width" not in params:
        return None
    width, height = params["width"], params["height"]
    h_max = max(h for h, _ in sampling) or 1
    v_max = max(v for _, v in sampling) or 1
    # Component sizes (10918-1 A.1.1), then its 8 x 8 blocks.
    sizes = [(_ceil_div(width * h, h_max), _ceil_div(height * v, v_max)) for h, v in sampling]
    samples = [x * y for x, y in sizes]
    blocks = [_ceil_div(x, 8) * _ceil_div(y, 8) for x, y in sizes]
    if sof in _JPEG_SEQUENTIAL_DCT:
        # Each block of each component codes a DC difference and an AC symbol (at least the
        # EOB), each a Huffman code of at least 1 bit (F.1.2).
        bits, why = 2 * sum(blocks), "2 bits per 8 x 8 block per component (ISO/IEC 10918-1 F.1.2)"
    elif sof in _JPEG_PROGRESSIVE_DCT:
        # Every block of a component is in its DC first scan (G.1.1.1.1), one Huffman code
        # each; AC scans can skip blocks with EOB runs, and a component may lack scans.
        bits, why = min(blocks), "1 bit per 8 x 8 block in a DC scan (ISO/IEC 10918-1 G.1.2.1)"
    elif sof in _JPEG_LOSSLESS:
        bits, why = sum(samples), "1 bit per sample (ISO/IEC 10918-1 H.1.2.2)"
    elif sof in _JPEG_ARITHMETIC_DCT:
        bits = _ceil_div(min(blocks), _ARITHMETIC_DECISIONS_PER_BIT)
        why = "one arithmetic-coded decision per block (ISO/IEC 10918-1 Annex D)"
    elif sof in _JPEG_ARITHMETIC_LOSSLESS:
        bits = _ceil_div(sum(samples), _ARITHMETIC_DECISIONS_PER_BIT)
        why = "one arithmetic-coded decision per sample (ISO/IEC 10918-1 Annex D)"
    else:
        return None  # hierarchical processes: several frames, no simple bound
    return _ceil_div(bits, 8), why


def _j2k_minimum(data: bytes) -> tuple[int, str] | None:
    siz = j2k_siz(data)
    if not siz:
        return None
    offset = 12 if data[:8] == b"\x00\x00\x00\x0cjP  " else 0
    try:
        values = struct.unpack_from(">8L", data, offset + 8)
    except struct.error:
        return None
    x_siz, y_siz, _, _, x_tsiz, y_tsiz, xt_osiz, yt_osiz = values  # tiles: 15444-1 B.3
    if not x_tsiz or not y_tsiz:
        return None  # invalid SIZ: left to the plugins
    tiles = max(0, _ceil_div(x_siz - xt_osiz, x_tsiz)) * max(0, _ceil_div(y_siz - yt_osiz, y_tsiz))
    per_tile = _J2K_TILE_PART_BYTES + max(siz["components"], 1)
    return tiles * per_tile, "14 bytes per tile-part and 1 per packet (ISO/IEC 15444-1 A.4, B.10)"


def _unpadded_end(data: bytes) -> int:
    """Where a codestream ends before its padding: fragments are padded to even length
    (PS3.5 A.4) with 0x00, by some writers with 0xFF or more than one byte."""
    window = 64
    while True:
        tail = bytes(data[-window:])
        stripped = tail.rstrip(b"\x00\xff")
        if stripped or window >= len(data):
            return len(data) - len(tail) + len(stripped)
        window *= 4


def _padding(data: bytes) -> int:
    """Bytes after the final EOI/EOC marker (0 when it does not end with one)."""
    end = _unpadded_end(data)
    return len(data) - end if data[end - 2 : end] == _JPEG_END else 0


def _lacks_end_marker(ts: TransferSyntax, data: bytes) -> str | None:
    end = _unpadded_end(data)
    if data[end - 2 : end] == _JPEG_END:
        return None
    marker = "EOC" if ts.family in ("j2k", "htj2k") else "EOI"
    return (
        f"its codestream does not end with an {marker} marker (0xffd9): it is truncated, and "
        "a decoder would fill the rest of the frame with made-up values"
    )


def implausible_size(ts: TransferSyntax, data: bytes, image: ImageDescription | None) -> str | None:
    """Describe why a frame's bytes cannot hold the image its header declares, or ``None``.

    Checked before any output is allocated: a frame shorter than
    :func:`minimum_length`, or a JPEG, JPEG-LS or JPEG 2000 codestream without its
    final EOI/EOC marker (backends fill what is missing with grey or zeros and, at
    most, warn).

    >>> from dicom_pixels.uid import lookup
    >>> sof = b"\\xff\\xd8\\xff\\xc2\\x00\\x0b\\x08\\xff\\xff\\xff\\xff\\x01\\x01\\x11\\x00\\xff\\xd9"
    >>> print(implausible_size(lookup("JPEGExtended12Bit"), sof, None))
    its 17 bytes are fewer than the 8388610 that its header's image size needs (1 bit per 8 x 8 block in a DC scan (ISO/IEC 10918-1 G.1.2.1))
    >>> small = sof.replace(b"\\xff\\xff\\xff\\xff", b"\\x00\\x08\\x00\\x08")
    >>> print(implausible_size(lookup("JPEGExtended12Bit"), small[:-2], None))
    its codestream does not end with an EOI marker (0xffd9): it is truncated, and a decoder would fill the rest of the frame with made-up values
    """
    marked = ts.family in ("jpeg", "jpegls", "j2k", "htj2k")
    length = len(data) - (_padding(data) if marked else 0)
    bound = minimum_length(ts, data, image)
    if bound is not None and length < bound[0]:
        return (
            f"its {length} bytes are fewer than the {bound[0]} that its header's image size "
            f"needs ({bound[1]})"
        )
    if marked and len(data) > 2:
        return _lacks_end_marker(ts, data)
    if ts.family == "rle" and image is not None:
        return _rle_short_segment(data, image)
    return None
