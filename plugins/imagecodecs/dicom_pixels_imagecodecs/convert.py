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

from dicom_pixels.errors import EncodeError

__all__ = ["jpeg_to_jpegxl", "jpegxl_to_jpeg"]


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
