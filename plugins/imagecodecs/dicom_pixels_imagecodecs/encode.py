"""Frame encoders backed by imagecodecs (libjpeg-turbo, CharLS, OpenJPEG, OpenJPH, libjxl).

Each function is called by dicom-pixels as ``encode(arr, frame) -> bytes`` with
one frame (``(rows, cols)`` or ``(rows, cols, samples)``, planar configuration
0) that already passed the transfer syntax's encoding profile and option
checks (PS3.5 8.2); see :mod:`dicom_pixels.codec`. A function raises
:class:`~dicom_pixels.errors.EncodeError` to decline a request it cannot honour
exactly (the core then tries the next plugin).

>>> import numpy as np
>>> from dicom_pixels import EncodeFrame, ImageDescription
>>> image = ImageDescription(8, 8, 1, 8, 8, 0, "MONOCHROME2", "1.2.840.10008.1.2.4.80")
>>> encode_jpegls(np.zeros((8, 8), "u1"), EncodeFrame(image=image, index=0, options={}))[:2].hex()
'ffd8'
"""

from __future__ import annotations

import math
import struct

import numpy as np

from dicom_pixels.codec import EncodeFrame, check_jpegls_near_lossless, unsigned_pattern
from dicom_pixels.errors import EncodeError

from .decode import _htj2k_decoder

__all__ = [
    "encode_htj2k", "encode_j2k", "encode_jpeg", "encode_jpeg_lossless", "encode_jpegls", "encode_jpegxl",
    "encode_rle",
]

_LOSSLESS_J2K = frozenset({"1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.92"})
_DEFAULT_QUALITY = 90
_HTJ2K_LOSSY = "1.2.840.10008.1.2.4.203"
#: OpenJPH quantisation steps (imagecodecs' ``level``, relative to the range of the
#: array's container precision) that imagecodecs passes on: it replaces steps below 1e-5
#: (compared in single precision, so 1e-5 itself too) by OpenJPH's default step and
#: clamps steps above 1.
_QSTEP_MIN, _QSTEP_MAX = 2e-5, 1.0
#: Bisection steps after the two ends, and the step ratio at which the search stops
#: (1.01: about 0.1 dB or 1 % of the ratio; ln(5e4) / ln(1.01) needs 11 halvings).
_MAX_SEARCH = 20
_SEARCH_RESOLUTION = 1.01


def encode_jpeg(arr: np.ndarray, frame: EncodeFrame) -> bytes:
    """JPEG Baseline (8-bit) or Extended (12-bit) lossy, ISO/IEC 10918-1 (PS3.5 8.2.1).

    Option ``quality`` (1-100, default 90). RGB input is stored as YCbCr with 4:2:2
    subsampling, reported as ``YBR_FULL_422`` (PS3.5 8.2.1: the usual JPEG colour space).
    """
    import imagecodecs

    image = frame.image
    quality = int(frame.option("quality", _DEFAULT_QUALITY))
    kwargs: dict[str, object] = {}
    if image.samples_per_pixel == 3:
        source_space = "RGB" if image.photometric_interpretation == "RGB" else "YCBCR"
        kwargs = {"colorspace": source_space, "outcolorspace": "YCBCR", "subsampling": "422"}
        frame.info["photometric_interpretation"] = "YBR_FULL_422"
    if image.bits_stored > 8:
        kwargs["bitspersample"] = 12
    return bytes(imagecodecs.jpeg8_encode(np.ascontiguousarray(arr), level=quality, **kwargs))


def encode_jpeg_lossless(arr: np.ndarray, frame: EncodeFrame) -> bytes:
    """JPEG Lossless, Process 14, first-order prediction (Selection Value 1; PS3.5 8.2.1)."""
    import imagecodecs

    image = frame.image
    if image.bits_stored < 2:
        raise EncodeError("libjpeg-turbo's lossless mode needs at least 2 bits per sample")
    data = np.ascontiguousarray(unsigned_pattern(arr, image.bits_stored))
    kwargs: dict[str, object] = {}
    if image.samples_per_pixel == 3:
        # No colour transform: the samples are stored as they are (lossless).
        kwargs = {"colorspace": "RGB", "outcolorspace": "RGB"}
    return bytes(
        imagecodecs.jpeg8_encode(
            data, lossless=True, predictor=1, bitspersample=image.bits_stored, **kwargs
        )
    )


def encode_jpegls(arr: np.ndarray, frame: EncodeFrame) -> bytes:
    """JPEG-LS lossless or near-lossless (``jls_error`` = NEAR), ISO/IEC 14495-1 (PS3.5 8.2.3).

    Signed samples are stored as their two's complement bit pattern in the
    container's width, so the decoder's precision-based sign correction restores them.
    """
    import imagecodecs

    near = check_jpegls_near_lossless(arr, frame)
    data = np.ascontiguousarray(arr)
    if data.dtype.kind == "i":
        data = data.view(data.dtype.str.replace("i", "u"))
    return bytes(imagecodecs.jpegls_encode(data, level=near or None))


def encode_j2k(arr: np.ndarray, frame: EncodeFrame) -> bytes:
    """JPEG 2000 codestream (PS3.5 8.2.4): lossless, or lossy with ``j2k_psnr`` (one layer).

    OpenJPEG through imagecodecs writes a single quality layer and takes a PSNR
    target only: ``j2k_cr`` or several layers are declined (pylibjpeg handles them).
    """
    import imagecodecs

    image = frame.image
    lossless = image.transfer_syntax_uid in _LOSSLESS_J2K
    level = None
    if not lossless:
        psnr = frame.option("j2k_psnr")
        if psnr is None or (isinstance(psnr, (list, tuple)) and len(psnr) != 1):
            raise EncodeError("imagecodecs encodes lossy JPEG 2000 from a single 'j2k_psnr' value only")
        level = float(psnr[0] if isinstance(psnr, (list, tuple)) else psnr)
    use_mct = bool(frame.option("use_mct", False)) and image.photometric_interpretation == "RGB"
    encoded = imagecodecs.jpeg2k_encode(
        np.ascontiguousarray(arr),
        level=level,
        codecformat="J2K",  # a raw codestream, not a JP2 file (PS3.5 A.4.4)
        reversible=lossless,
        bitspersample=image.bits_stored,
        mct=use_mct,
    )
    if use_mct:
        frame.info["photometric_interpretation"] = "YBR_RCT" if lossless else "YBR_ICT"
    return bytes(encoded)


def encode_htj2k(arr: np.ndarray, frame: EncodeFrame) -> bytes:
    """High-Throughput JPEG 2000 (ISO/IEC 15444-15, PS3.5 8.2.15) with OpenJPH.

    HTJ2K Lossless (1.2.840.10008.1.2.4.201) is written reversibly. HTJ2K
    (1.2.840.10008.1.2.4.203) is written irreversibly: OpenJPH has no rate control
    and writes a single quality layer, so the quantisation step is searched for
    (:func:`_search_qstep`) to meet the one ``j2k_psnr`` (the largest step whose
    decoded frame has at least that PSNR, peak ``2**BitsStored - 1``) or ``j2k_cr``
    value (the smallest step whose ratio, the frame's size at Bits Allocated over
    the codestream's length, is at least that). Each frame is searched on its own.
    Several layers are declined: pylibjpeg (OpenJPEG) writes quality layers.

    ``use_mct`` applies the reversible (lossless, reported ``YBR_RCT``) or
    irreversible (lossy, ``YBR_ICT``) component transform to RGB (PS3.5 8.2.4).
    Signed samples are written as signed components, which the decoder restores.

    >>> import numpy as np, imagecodecs
    >>> from dicom_pixels import EncodeFrame, ImageDescription
    >>> y, x = np.mgrid[0:64, 0:64]
    >>> arr = (x * 50 + y * 10).astype("u2")
    >>> image = ImageDescription(64, 64, 1, 16, 12, 0, "MONOCHROME2", "1.2.840.10008.1.2.4.203")
    >>> data = encode_htj2k(arr, EncodeFrame(image=image, index=0, options={"j2k_psnr": [50]}))
    >>> error = imagecodecs.jpeg2k_decode(data).astype(float) - arr  # OpenJPEG, as the plugin
    >>> bool(10 * np.log10(4095**2 / np.mean(error**2)) >= 50)
    True
    """
    import imagecodecs

    image = frame.image
    rgb = image.photometric_interpretation == "RGB" and bool(frame.option("use_mct", False))
    data = np.ascontiguousarray(arr)
    lossy = image.transfer_syntax_uid == _HTJ2K_LOSSY
    if lossy:
        encoded = _search_qstep(data, frame, rgb)
        _check_within_bits_stored(encoded, frame)
    else:
        encoded = bytes(imagecodecs.htj2k_encode(data, reversible=True, rgb=rgb))
    if rgb:
        frame.info["photometric_interpretation"] = "YBR_ICT" if lossy else "YBR_RCT"
    return encoded


def _check_within_bits_stored(encoded: bytes, frame: EncodeFrame) -> None:
    """Refuse a lossy frame whose reconstruction leaves the range of Bits Stored.

    OpenJPH (through imagecodecs) records the container's precision (8 or 16 bits)
    in the codestream, not Bits Stored, so no decoder clips a lossy overshoot to,
    say, 12 bits: the decoded values would contradict the Image Pixel module.
    """
    image = frame.image
    if image.bits_stored >= 8 * image.dtype.itemsize:
        return
    import imagecodecs

    decode, keywords = _htj2k_decoder(imagecodecs, encoded) or (imagecodecs.htj2k_decode, {})
    decoded = np.asarray(decode(encoded, **keywords))
    if image.pixel_representation:
        low, high = -(2 ** (image.bits_stored - 1)), 2 ** (image.bits_stored - 1) - 1
    else:
        low, high = 0, 2**image.bits_stored - 1
    found_low, found_high = int(decoded.min()), int(decoded.max())
    if found_low < low or found_high > high:
        raise EncodeError(
            f"Lossy HTJ2K of frame {frame.index} decodes to values {found_low}..{found_high}, "
            f"outside the {low}..{high} of (0028,0101) Bits Stored {image.bits_stored}; OpenJPH "
            "cannot record that precision: use lossy JPEG 2000, or Bits Stored equal to "
            "Bits Allocated"
        )


def _single_target(frame: EncodeFrame) -> tuple[str, float]:
    """The one ``j2k_psnr`` or ``j2k_cr`` value (the core checked that exactly one is given)."""
    name = "j2k_psnr" if frame.option("j2k_psnr") is not None else "j2k_cr"
    value = frame.option(name)
    values = list(value) if isinstance(value, (list, tuple)) else [value]
    if len(values) != 1:
        raise EncodeError(
            f"imagecodecs (OpenJPH) writes HTJ2K with a single quality layer, so '{name}' "
            f"must hold one value, not {value!r}; pylibjpeg's (OpenJPEG's) JPEG 2000 "
            "encoder supports several layers"
        )
    return name, float(values[0])


def _search_qstep(arr: np.ndarray, frame: EncodeFrame, rgb: bool) -> bytes:
    """Irreversible HTJ2K codestream of *arr* meeting the frame's single PSNR or ratio target.

    OpenJPH's quantisation step (imagecodecs' ``level``, relative to the codestream's
    precision, which imagecodecs sets to the array's item size) trades quality for
    size, monotonically up to small wiggles, so the step is bisected on a log scale,
    at most ``_MAX_SEARCH`` encodes after the two ends. Only a codestream measured
    to meet the target is returned, and the search is deterministic.
    """
    import imagecodecs

    image = frame.image
    name, target = _single_target(frame)
    by_psnr = name == "j2k_psnr"
    frame_bytes = arr.size * (image.bits_allocated // 8)
    peak = float(2**image.bits_stored - 1)
    reference = arr.astype(np.float64)

    def attempt(qstep: float) -> tuple[bool, bytes]:
        encoded = bytes(imagecodecs.htj2k_encode(arr, level=qstep, reversible=False, rgb=rgb))
        if not by_psnr:
            return frame_bytes / len(encoded) >= target, encoded
        # Decoded as the plugin's decoder reads it (OpenJPEG for irreversible HTJ2K:
        # OpenJPH's own output wraps overshooting samples, see _htj2k_decoder).
        decode, keywords = _htj2k_decoder(imagecodecs, encoded) or (imagecodecs.htj2k_decode, {})
        decoded = decode(encoded, **keywords)
        mse = float(np.mean((decoded - reference) ** 2))
        return mse == 0 or 10 * np.log10(peak * peak / mse) >= target, encoded

    # PSNR falls and the ratio rises as the step grows: keep the largest step that meets
    # a PSNR, the smallest that meets a ratio (the best quality at that size). A step of
    # 1/16 of a grey level already gives back the integers exactly (measured at 8 bits).
    low, high = max(_QSTEP_MIN, 2.0 ** -(8 * arr.dtype.itemsize + 4)), _QSTEP_MAX
    fine, coarse = attempt(low), attempt(high)
    if by_psnr:
        if coarse[0]:
            return coarse[1]
        if not fine[0]:
            raise EncodeError(
                f"imagecodecs (OpenJPH) cannot reach a PSNR of {target} dB on frame "
                f"{frame.index}, even with the smallest quantisation step ({low}); use "
                "'HTJ2KLossless' for an exact copy"
            )
        best = fine[1]
    else:
        if fine[0]:
            return fine[1]
        if not coarse[0]:
            raise EncodeError(
                f"imagecodecs (OpenJPH) cannot reach a compression ratio of {target} on "
                f"frame {frame.index}, even with the largest quantisation step ({high}): "
                f"it reaches {frame_bytes / len(coarse[1]):.1f}"
            )
        best = coarse[1]
    for _ in range(_MAX_SEARCH):
        if high / low <= _SEARCH_RESOLUTION:
            break
        middle = math.sqrt(low * high)
        met, encoded = attempt(middle)
        if met == by_psnr:
            low = middle
        else:
            high = middle
        if met:
            best = encoded
    return best


def encode_jpegxl(arr: np.ndarray, frame: EncodeFrame) -> bytes:
    """JPEG XL (ISO/IEC 18181-1): lossless for JPEGXLLossless, else ``quality`` (default 90)."""
    import imagecodecs

    image = frame.image
    lossless = image.transfer_syntax_uid == "1.2.840.10008.1.2.4.110"
    quality = int(frame.option("quality", 100 if lossless else _DEFAULT_QUALITY))
    lossless = lossless or quality == 100
    return bytes(
        imagecodecs.jpegxl_encode(
            np.ascontiguousarray(arr),
            level=None if lossless else quality,
            lossless=lossless,
            bitspersample=image.bits_stored,
        )
    )


#: PS3.5 G.5: a 64-byte header of 16 unsigned longs (segment count, 15 offsets); at most 15 segments.
_RLE_HEADER = 64
_RLE_MAX_SEGMENTS = 15


def encode_rle(arr: np.ndarray, frame: EncodeFrame) -> bytes:
    """RLE Lossless (PS3.5 Annex G) with imagecodecs' PackBits, which releases the GIL.

    One segment per byte of each sample, most significant byte first (G.2); each
    segment PackBits-encoded row by row, runs never crossing a row (G.3.1), and
    padded to an even length (G.5). The bytes differ from pydicom's encoder (a run
    of two equal bytes may be written as literals), the decoded pixels do not.

    >>> import numpy as np
    >>> from dicom_pixels import EncodeFrame, ImageDescription
    >>> image = ImageDescription(1, 4, 1, 8, 8, 0, "MONOCHROME2", "1.2.840.10008.1.2.5")
    >>> encode_rle(np.array([[7, 7, 7, 7]], "u1"), EncodeFrame(image=image, index=0, options={}))[64:]
    b'\\xfd\\x07'
    """
    import imagecodecs

    image = frame.image
    width = image.bits_allocated // 8
    samples = image.samples_per_pixel
    if image.bits_allocated % 8 or arr.dtype.kind not in "iub" or width * samples > _RLE_MAX_SEGMENTS:
        raise EncodeError(
            f"imagecodecs encodes RLE Lossless from integer samples of whole bytes in at most "
            f"{_RLE_MAX_SEGMENTS} segments (PS3.5 G.5), not {samples} x {image.bits_allocated}-bit {arr.dtype}"
        )
    kind = "i" if arr.dtype.kind == "i" else "u"
    little = np.ascontiguousarray(arr, dtype=np.dtype(f"<{kind}{width}"))
    # One gather into (sample, byte, rows, cols) planes, byte k of a little-endian value
    # being the k-th: G.2 wants the most significant first, so the bytes are reversed.
    lanes = little.view(np.uint8).reshape(image.rows, image.columns, samples, width)
    planes = np.ascontiguousarray(lanes[:, :, :, ::-1].transpose(2, 3, 0, 1))
    pieces: list[bytes] = []
    offsets = []
    end = _RLE_HEADER
    for plane in planes.reshape(samples * width, image.rows, image.columns):
        segment = imagecodecs.packbits_encode(plane)
        offsets.append(end)
        pieces.append(segment)
        if len(segment) % 2:
            pieces.append(b"\x00")
        end += len(segment) + len(segment) % 2
    header = struct.pack(f"<{1 + len(offsets)}L", len(offsets), *offsets).ljust(_RLE_HEADER, b"\x00")
    return b"".join([header, *pieces])
