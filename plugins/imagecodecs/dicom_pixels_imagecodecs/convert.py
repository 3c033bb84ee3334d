"""Codestream converters backed by libjxl: JPEG <-> JPEG XL JPEG Recompression, pixels untouched.

JPEG XL JPEG Recompression (1.2.840.10008.1.2.4.111, PS3.5 8.2.16) stores a JPEG
bitstream's DCT coefficients in JPEG XL together with the data needed to rebuild
the original JPEG file byte for byte. libjxl does both directions without decoding
to pixels, so the image and every Image Pixel attribute stay those of the JPEG.
dicom-pixels calls these as ``convert(data) -> bytes`` for each frame (see
:meth:`dicom_pixels.registry.CodecRegistrar.add_converter`).

>>> import numpy as np, imagecodecs
>>> jpeg = imagecodecs.jpeg8_encode(np.arange(64, dtype="u1").reshape(8, 8), level=90)
>>> jpegxl_to_jpeg(jpeg_to_jpegxl(jpeg)) == jpeg
True
"""

from __future__ import annotations

from dicom_pixels.codestream import jpeg_parameters
from dicom_pixels.errors import EncodeError

__all__ = ["jpeg_to_jpegxl", "jpegxl_to_jpeg", "jpegxl_to_jpeg_baseline"]

#: ISO/IEC 10918-1 B.1.1.3: SOF0 is the baseline DCT process, the only one of JPEG
#: Baseline (Process 1); an 8-bit SOF1 (extended sequential) JPEG is JPEG Extended's.
_SOF_BASELINE = 0xC0


def jpeg_to_jpegxl(data: bytes) -> bytes:
    """Repack one JPEG frame as JPEG XL with reconstruction data (``jpegxl_encode_jpeg``).

    :raises EncodeError: libjxl refused the bitstream (e.g. a JPEG process it cannot
        recompress, such as lossless JPEG), naming libjxl's reason.

    >>> jpeg_to_jpegxl(b"not a JPEG")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dicom_pixels.errors.EncodeError: libjxl cannot recompress this JPEG bitstream...
    """
    import imagecodecs

    try:
        return bytes(imagecodecs.jpegxl_encode_jpeg(data, numthreads=1))
    except Exception as exc:  # imagecodecs raises its own JpegxlError and ValueErrors
        raise EncodeError(
            f"libjxl cannot recompress this JPEG bitstream losslessly ({exc}); transcode to "
            "'JPEGXL' or 'JPEGXLLossless' instead, which encodes the decoded pixels"
        ) from None


def jpegxl_to_jpeg(data: bytes) -> bytes:
    """Rebuild the original JPEG bitstream of one JPEG XL frame (``jpegxl_decode_jpeg``).

    :raises EncodeError: the codestream holds no JPEG reconstruction data.

    >>> jpegxl_to_jpeg(b"not JPEG XL")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dicom_pixels.errors.EncodeError: libjxl cannot rebuild a JPEG from this JPEG XL codestream...
    """
    import imagecodecs

    try:
        return bytes(imagecodecs.jpegxl_decode_jpeg(data, numthreads=1))
    except Exception as exc:  # imagecodecs raises its own JpegxlError
        raise EncodeError(
            f"libjxl cannot rebuild a JPEG from this JPEG XL codestream ({exc}): it holds no "
            "JPEG reconstruction data (PS3.5 8.2.16); decode it to pixels instead"
        ) from None


def jpegxl_to_jpeg_baseline(data: bytes) -> bytes:
    """:func:`jpegxl_to_jpeg`, for JPEG Baseline: the rebuilt JPEG must be a baseline (SOF0) one.

    :raises EncodeError: the original JPEG was an extended-process (SOF1) one, which JPEG
        Baseline cannot label (PS3.5 8.2.1); it belongs in 'JPEGExtended12Bit'.
    """
    jpeg = jpegxl_to_jpeg(data)
    sof = jpeg_parameters(jpeg).get("sof")
    if sof != _SOF_BASELINE:
        raise EncodeError(
            f"the JPEG rebuilt from this frame is not a baseline one (its start-of-frame marker "
            f"is FF{sof or 0:02X}, not FFC0; ISO/IEC 10918-1 B.1.1.3), so it cannot be stored as "
            "JPEG Baseline (PS3.5 8.2.1): transcode to 'JPEGExtended12Bit' instead"
        )
    return jpeg
