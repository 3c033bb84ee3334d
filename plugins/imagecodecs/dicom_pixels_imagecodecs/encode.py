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

import numpy as np

from dicom_pixels.codec import EncodeFrame
from dicom_pixels.errors import EncodeError

__all__ = ["encode_htj2k", "encode_j2k", "encode_jpeg", "encode_jpeg_lossless", "encode_jpegls", "encode_jpegxl"]

_LOSSLESS_J2K = frozenset({"1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.92"})
_DEFAULT_QUALITY = 90


def _unsigned_pattern(arr: np.ndarray, bits_stored: int) -> np.ndarray:
    """Signed samples as the unsigned Bits Stored pattern JPEG stores (PS3.5 8.2.1, A.4.1)."""
    if arr.dtype.kind != "i":
        return arr
    unsigned = arr.view(arr.dtype.str.replace("i", "u"))
    return unsigned & np.array(2**bits_stored - 1, dtype=unsigned.dtype)


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
    data = np.ascontiguousarray(_unsigned_pattern(arr, image.bits_stored))
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

    data = np.ascontiguousarray(arr)
    if data.dtype.kind == "i":
        data = data.view(data.dtype.str.replace("i", "u"))
    near = int(frame.option("jls_error", 0) or 0)
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
    """High-Throughput JPEG 2000 lossless (ISO/IEC 15444-15, PS3.5 8.2.15) with OpenJPH."""
    import imagecodecs

    image = frame.image
    rgb = image.photometric_interpretation == "RGB" and bool(frame.option("use_mct", False))
    encoded = imagecodecs.htj2k_encode(np.ascontiguousarray(arr), reversible=True, rgb=rgb)
    if rgb:
        frame.info["photometric_interpretation"] = "YBR_RCT"
    return bytes(encoded)


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
