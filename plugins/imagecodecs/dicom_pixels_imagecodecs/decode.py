"""Frame decoders backed by imagecodecs: JPEG, JPEG-LS, JPEG 2000, HTJ2K, RLE and JPEG XL.

Each function is a dicom-pixels decode callable, ``decode(data, frame)``
(see :mod:`dicom_pixels.codec`). They stay thin: the core already splits
frames, corrects J2K/JPEG-LS signedness, masks unused bits, conforms JPEG
colour spaces and converts YBR to RGB. What is left here is calling the right
imagecodecs function so that it writes straight into ``frame.out`` and
reporting what the backend did to the colour space.

imagecodecs is built with optional codecs, so every decoder first checks
that its function is present (``imagecodecs.JPEGLS.available``) and raises
:class:`~dicom_pixels.errors.DecodeError` saying which one is missing; the
core then tries the next plugin.

>>> import numpy as np
>>> import imagecodecs
>>> from dicom_pixels import DecodeFrame, ImageDescription
>>> arr = np.arange(12, dtype="u2").reshape(3, 4)
>>> image = ImageDescription(3, 4, 1, 16, 16, 0, "MONOCHROME2", "1.2.840.10008.1.2.4.80")
>>> frame = DecodeFrame(image=image, index=0, options={}, out=np.empty((3, 4), "u2"))
>>> decode_jpegls(imagecodecs.jpegls_encode(arr), frame)
>>> bool((frame.out == arr).all())
True
"""

from __future__ import annotations

import re
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from dicom_pixels.codec import (
    DecodeFrame,
    container_dtype,
    report_j2k_colour_transform,
    require_end_marker,
)
from dicom_pixels.codestream import jpeg_parameters
from dicom_pixels.errors import DecodeError

__all__ = [
    "decode_htj2k",
    "decode_j2k",
    "decode_jpeg",
    "decode_jpegls",
    "decode_jpegxl",
    "decode_rle",
]

#: Marker segments read at most in a JPEG 2000 main header looking for COD.
_MAX_HEADER_SEGMENTS = 64


def _codec(name: str, function: str, frame: DecodeFrame) -> Callable[..., Any]:
    """Return ``imagecodecs.<function>`` or raise a DecodeError naming what is missing."""
    imagecodecs = _imagecodecs()
    feature = getattr(imagecodecs, name, None)
    func = getattr(imagecodecs, function, None)
    if func is None or not getattr(feature, "available", False):
        raise DecodeError(
            f"Unable to decode frame {frame.index}: this imagecodecs "
            f"{getattr(imagecodecs, '__version__', '')} was built without the {name} codec "
            f"({function}); install an imagecodecs wheel that includes it"
        )
    return func


def _imagecodecs() -> ModuleType:
    import imagecodecs

    return imagecodecs


def _decode_into(
    func: Callable[..., Any], data: bytes, frame: DecodeFrame, itemsize: int | None, **kwargs: Any
) -> np.ndarray | None:
    """Call ``func(data, out=..., **kwargs)`` writing into ``frame.out`` when the
    backend's sample size is known to match; otherwise return the backend's array
    (the core copies it into place, casting e.g. 8-bit samples into a 16-bit frame)."""
    out = frame.out
    if (
        out is not None
        and itemsize is not None
        and out.dtype.itemsize == itemsize
        and out.flags.c_contiguous
    ):
        # imagecodecs checks only size and item size of ``out``: an unsigned view
        # lets it write signed frames too; the core sign-corrects afterwards.
        func(data, out=out.view(f"u{itemsize}"), **kwargs)
        return None
    return np.asarray(func(data, **kwargs))


def _libjpeg_turbo_3() -> bool:
    """``True`` when imagecodecs' JPEG8 codec is libjpeg-turbo 3 or later."""
    match = re.match(r"libjpeg_turbo (\d+)", _imagecodecs().jpeg8_version())
    return match is not None and int(match.group(1)) >= 3


def _container_size(precision: int | None) -> int | None:
    """The sample size the backend returns for the codestream's precision (core rule)."""
    return container_dtype(precision).itemsize if precision and 0 < precision <= 32 else None


# -- JPEG (ISO/IEC 10918-1) -------------------------------------------------------------


def decode_jpeg(data: bytes, frame: DecodeFrame) -> np.ndarray | None:
    """Decode a JPEG Baseline, Extended or Lossless frame with libjpeg-turbo (``jpeg8_decode``).

    The components are returned as stored: no YCbCr to RGB transform (the
    core converts when ``as_rgb``, after conforming Photometric Interpretation
    to the codestream's JFIF/Adobe/component-ID markers, PS3.5 8.2.1).
    libjpeg-turbo 3 decodes 2 to 16-bit lossless (Process 14) and 8/12-bit
    lossy data; older builds fall back to ``ljpeg_decode`` for lossless frames.

    >>> import numpy as np, imagecodecs
    >>> from dicom_pixels import DecodeFrame, ImageDescription
    >>> arr = np.arange(64, dtype="u2").reshape(8, 8) * 1000
    >>> image = ImageDescription(8, 8, 1, 16, 16, 0, "MONOCHROME2", "1.2.840.10008.1.2.4.70")
    >>> frame = DecodeFrame(image=image, index=0, options={}, out=np.empty((8, 8), "u2"))
    >>> decode_jpeg(imagecodecs.jpeg8_encode(arr, lossless=True, predictor=1), frame)
    >>> bool((frame.out == arr).all())
    True
    """
    require_end_marker(data, frame, "JPEG")
    precision = jpeg_parameters(data).get("precision")
    imagecodecs = _imagecodecs()
    has_jpeg8 = getattr(getattr(imagecodecs, "JPEG8", None), "available", False)
    if not has_jpeg8 or (precision is not None and precision > 8 and not _libjpeg_turbo_3()):
        # Only libjpeg-turbo 3 decodes more than 8 bits and lossless (Process 14)
        # data; without it liblj92 (``ljpeg_decode``) handles lossless frames.
        if frame.image.transfer_syntax.lossy is False:
            return _decode_into(_codec("LJPEG", "ljpeg_decode", frame), data, frame, None)
        _codec("JPEG8", "jpeg8_decode", frame)  # raises when JPEG8 is missing
        raise DecodeError(
            f"Unable to decode frame {frame.index}: {precision}-bit JPEG needs imagecodecs "
            f"built with libjpeg-turbo 3 or later (found {imagecodecs.jpeg8_version()})"
        )
    jpeg8 = imagecodecs.jpeg8_decode
    if frame.image.samples_per_pixel == 3 and frame.rgb_wanted and (precision or 8) <= 8:
        # libjpeg-turbo converts YCbCr to RGB in its fused upsampling/IDCT loop, much
        # faster than the core's per-frame float conversion afterwards. Results are
        # libjpeg's integer conversion: within 1-2 levels of the float equations of
        # PS3.3 C.7.6.3.1.2 (see the README); pass as_rgb=False to get YCbCr.
        frame.info["photometric_interpretation"] = "RGB"
        return _decode_into(
            jpeg8, data, frame, 1, colorspace="YCbCr", outcolorspace="RGB"
        )
    if frame.image.samples_per_pixel == 3:
        # Same colour space in and out: libjpeg-turbo does no colour conversion.
        return _decode_into(
            jpeg8,
            data,
            frame,
            _container_size(precision),
            colorspace="YCbCr",
            outcolorspace="YCbCr",
        )
    return _decode_into(jpeg8, data, frame, _container_size(precision))


# -- JPEG-LS (ISO/IEC 14495-1) ------------------------------------------------------------


def decode_jpegls(data: bytes, frame: DecodeFrame) -> np.ndarray | None:
    """Decode a JPEG-LS lossless or near-lossless frame with CharLS (``jpegls_decode``).

    CharLS returns samples interleaved by pixel whatever the scan's interleave
    mode. Signed data (which JPEG-LS cannot mark) is sign-extended by the core.

    >>> import numpy as np, imagecodecs
    >>> from dicom_pixels import DecodeFrame, ImageDescription
    >>> arr = np.arange(6, dtype="u1").reshape(2, 3)
    >>> image = ImageDescription(2, 3, 1, 8, 8, 0, "MONOCHROME2", "1.2.840.10008.1.2.4.80")
    >>> decode_jpegls(imagecodecs.jpegls_encode(arr), DecodeFrame(image=image, index=0, options={})).tolist()
    [[0, 1, 2], [3, 4, 5]]
    """
    func = _codec("JPEGLS", "jpegls_decode", frame)
    require_end_marker(data, frame, "JPEG-LS")  # CharLS spends seconds on a truncated stream
    precision = frame.info.get("jls_precision", frame.image.bits_stored)
    if frame.image.samples_per_pixel > 1 and jpeg_parameters(data).get("interleave_mode") == 0:
        # Colour by plane (ISO/IEC 14495-1 B.2.2): CharLS wants a (samples, rows, columns)
        # ``out`` there, so its own (interleaved) result is copied into place instead.
        return _decode_into(func, data, frame, None)
    return _decode_into(func, data, frame, _container_size(precision))


# -- JPEG 2000 (ISO/IEC 15444-1) and HTJ2K (ISO/IEC 15444-15) ----------------------------------


def decode_j2k(data: bytes, frame: DecodeFrame) -> np.ndarray | None:
    """Decode a JPEG 2000 frame with OpenJPEG (``jpeg2k_decode``).

    The container size follows the codestream's precision (SIZ marker, which
    the core reads into ``frame.info``); YBR_ICT and YBR_RCT come back as RGB
    because OpenJPEG undoes the component transform, as in pydicom.

    >>> import numpy as np, imagecodecs
    >>> from dicom_pixels import DecodeFrame, ImageDescription
    >>> arr = np.arange(6, dtype="u1").reshape(2, 3)
    >>> image = ImageDescription(2, 3, 1, 8, 8, 0, "MONOCHROME2", "1.2.840.10008.1.2.4.90")
    >>> decode_j2k(imagecodecs.jpeg2k_encode(arr, level=0, codecformat="J2K"),
    ...            DecodeFrame(image=image, index=0, options={})).tolist()
    [[0, 1, 2], [3, 4, 5]]
    """
    func = _codec("JPEG2K", "jpeg2k_decode", frame)
    result = _decode_into(
        func, data, frame, _container_size(frame.info.get("j2k_precision", frame.image.bits_stored))
    )
    report_j2k_colour_transform(frame)
    return result


def decode_htj2k(data: bytes, frame: DecodeFrame) -> np.ndarray | None:
    """Decode a High-Throughput JPEG 2000 frame (PS3.5 8.2.15) with OpenJPH or OpenJPEG.

    Reversible codestreams go to OpenJPH (``htj2k_decode``, the fastest);
    irreversible ones to OpenJPEG 2.5 or later (``jpeg2k_decode``, which decodes
    HT code-blocks too), see :func:`_htj2k_decoder`. imagecodecs builds before
    2026.1 have no HTJ2K codec, so OpenJPEG decodes every frame there.

    >>> import numpy as np, imagecodecs
    >>> from dicom_pixels import DecodeFrame, ImageDescription
    >>> arr = np.arange(6, dtype="u2").reshape(2, 3) * 1000
    >>> image = ImageDescription(2, 3, 1, 16, 16, 0, "MONOCHROME2", "1.2.840.10008.1.2.4.201")
    >>> decode_htj2k(imagecodecs.htj2k_encode(arr, reversible=True),
    ...              DecodeFrame(image=image, index=0, options={})).tolist()
    [[0, 1000, 2000], [3000, 4000, 5000]]
    """
    require_end_marker(data, frame, "HTJ2K")
    imagecodecs = _imagecodecs()
    itemsize = _container_size(frame.info.get("j2k_precision", frame.image.bits_stored))
    found = _htj2k_decoder(imagecodecs, data)
    if found is None:
        openjpeg = getattr(imagecodecs, "jpeg2k_version", lambda: "none")()
        raise DecodeError(
            f"Unable to decode frame {frame.index}: HTJ2K needs imagecodecs with the HTJ2K "
            f"codec or OpenJPEG 2.5 or later (found {openjpeg})"
        )
    func, kwargs = found
    result = _decode_into(func, data, frame, itemsize, **kwargs)
    report_j2k_colour_transform(frame)
    return result


def _htj2k_decoder(
    imagecodecs: ModuleType, data: bytes
) -> tuple[Callable[..., Any], dict[str, Any]] | None:
    """The imagecodecs function (and its keywords) for an HTJ2K codestream, or None.

    OpenJPH does not clip irreversible (9-7 wavelet) reconstructions to the
    component's range and imagecodecs casts them as they are, so a sample
    reconstructed just above the maximum wraps to 0 (measured with OpenJPH 0.26.3;
    aous72/OpenJPH#234): those codestreams go to OpenJPEG, which clips like
    pylibjpeg and GDCM. OpenJPH is asked for pixel order (``planar=False``) because
    it calls colour components without the component transform planar.

    >>> import numpy as np, imagecodecs
    >>> lossy = imagecodecs.htj2k_encode(np.zeros((4, 4), "u1"), level=0.01, reversible=False)
    >>> _htj2k_decoder(imagecodecs, lossy)[0].__name__
    'jpeg2k_decode'
    """
    openjph = getattr(getattr(imagecodecs, "HTJ2K", None), "available", False)
    openjpeg = False
    if getattr(getattr(imagecodecs, "JPEG2K", None), "available", False):
        version = imagecodecs.jpeg2k_version().rpartition(" ")[2]
        openjpeg = tuple(int(p) for p in version.split(".")[:2] if p.isdigit()) >= (2, 5)
    if openjpeg and (not openjph or _j2k_irreversible(data)):
        return imagecodecs.jpeg2k_decode, {}
    if openjph:
        return imagecodecs.htj2k_decode, {"planar": False}
    return None


def _j2k_irreversible(data: bytes) -> bool:
    """Whether the main header's COD selects the 9-7 irreversible wavelet.

    The marker segments after SOC are walked to COD (ISO/IEC 15444-1 A.6.1): its
    SPcod transformation byte, 13 bytes after the marker, is 0 for 9-7 irreversible
    (Table A.20). False when there is no readable COD before the first tile.

    >>> _j2k_irreversible(b"\\xff\\x4f\\xff\\x51\\x00\\x02\\xff\\x52\\x00\\x0c" + bytes(10))
    True
    """
    buffer = bytes(data[:4096])
    offset = buffer.find(b"\xff\x4f\xff\x51")  # SOC then SIZ, after a JP2 header if any
    if offset < 0:
        return False
    offset += 2
    for _ in range(_MAX_HEADER_SEGMENTS):
        if offset + 4 > len(buffer) or buffer[offset] != 0xFF:
            return False
        marker = buffer[offset + 1]
        if marker == 0x52:  # COD
            return offset + 13 < len(buffer) and buffer[offset + 13] == 0
        if marker == 0x90:  # SOT: the main header ended without a COD
            return False
        offset += 2 + int.from_bytes(buffer[offset + 2 : offset + 4], "big")
    return False


# -- RLE Lossless (PS3.5 Annex G) -------------------------------------------------------------


def decode_rle(data: bytes, frame: DecodeFrame) -> bytes:
    """Decode an RLE Lossless frame with ``dicomrle_decode`` (PackBits segments, PS3.5 G.3).

    Returns little-endian bytes in planar configuration 1 (one plane per
    sample, as the segments are stored) and says so in ``frame.info``; the core
    interleaves them into the output. The option ``rle_segment_order="<"``
    decodes non-conformant data whose segments hold the least significant
    byte first (pydicom's option).

    >>> import struct, numpy as np
    >>> from dicom_pixels import DecodeFrame, ImageDescription
    >>> image = ImageDescription(1, 4, 1, 8, 8, 0, "MONOCHROME2", "1.2.840.10008.1.2.5")
    >>> header = struct.pack("<2L", 1, 64).ljust(64, b"\\0")
    >>> list(decode_rle(header + bytes([0xFD, 7]), DecodeFrame(image=image, index=0, options={})))
    [7, 7, 7, 7]
    """
    func = _codec("DICOMRLE", "dicomrle_decode", frame)
    image = frame.image
    bytes_per_sample = image.bits_allocated // 8
    expected = image.samples_per_pixel * bytes_per_sample
    # PS3.5 G.5: the header starts with the number of segments, one per byte of
    # each sample, at most 15.
    segments = int.from_bytes(data[:4], "little") if len(data) >= 64 else -1
    if segments != expected:
        found = "no 64-byte header" if segments < 0 else f"{segments} segment(s)"
        raise DecodeError(
            f"Unable to decode frame {frame.index}: the RLE header has {found} but "
            f"{image.samples_per_pixel} sample(s) of {image.bits_allocated} bits need {expected}"
        )
    order = frame.option("rle_segment_order", ">")
    if order not in (">", "<"):
        raise DecodeError(f"'rle_segment_order' must be '>' or '<', not {order!r}")
    # dicomrle_decode lays segment 0 out as the most significant byte of the dtype
    # it is given. The bytes are read back as little-endian, so a "<" dtype keeps
    # segment 0 most significant (G.2) and a ">" dtype makes it least significant.
    decode_order = "<" if order == ">" else ">"
    decoded = func(data, np.dtype(f"{decode_order}u{bytes_per_sample}"))
    if image.samples_per_pixel > 1:
        frame.info["planar_configuration"] = 1
    frame.info["bits_allocated"] = image.bits_allocated
    return bytes(decoded)


# -- JPEG XL (ISO/IEC 18181-1) ------------------------------------------------------------------


def decode_jpegxl(data: bytes, frame: DecodeFrame) -> np.ndarray | None:
    """Decode a JPEG XL frame with libjxl (``jpegxl_decode``).

    For JPEG XL JPEG Recompression (1.2.840.10008.1.2.4.111) the original JPEG
    bitstream is reconstructed losslessly (``jpegxl_decode_jpeg``) and decoded
    like JPEG Baseline, so the pixels are those of the original JPEG and the
    dataset's YBR Photometric Interpretation stays true. Other JPEG XL frames
    come back as RGB or monochrome (libjxl converts XYB to RGB), which is
    reported in ``frame.info``.

    >>> import numpy as np, imagecodecs
    >>> from dicom_pixels import DecodeFrame, ImageDescription
    >>> arr = np.arange(6, dtype="u1").reshape(2, 3)
    >>> image = ImageDescription(2, 3, 1, 8, 8, 0, "MONOCHROME2", "1.2.840.10008.1.2.4.110")
    >>> decode_jpegxl(imagecodecs.jpegxl_encode(arr, lossless=True),
    ...               DecodeFrame(image=image, index=0, options={})).tolist()
    [[0, 1, 2], [3, 4, 5]]
    """
    func = _codec("JPEGXL", "jpegxl_decode", frame)
    image = frame.image
    if image.transfer_syntax_uid == "1.2.840.10008.1.2.4.111":
        imagecodecs = _imagecodecs()
        reconstruct = getattr(imagecodecs, "jpegxl_decode_jpeg", None)
        if reconstruct is not None:
            try:
                jpeg = reconstruct(data, numthreads=1)
            except Exception:  # no reconstruction data in the codestream: decode pixels
                jpeg = None
            if jpeg is not None:
                return decode_jpeg(bytes(jpeg), frame)
    result = np.asarray(func(data))
    if image.samples_per_pixel == 3 and image.photometric_interpretation != "RGB":
        frame.info["photometric_interpretation"] = "RGB"
    return result
