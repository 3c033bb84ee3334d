"""JPEG (ISO/IEC 10918-1) and JPEG-LS (ISO/IEC 14495-1) frames through pylibjpeg-libjpeg.

pylibjpeg-libjpeg wraps Thomas Richter's libjpeg and is licensed GPLv3, so it is
an optional extra of this plugin. It decodes every JPEG process DICOM uses
(Baseline, Extended, Lossless with any predictor) and JPEG-LS, lossless or
near-lossless, always to colour-by-pixel samples in the smallest whole number
of bytes that holds the codestream's precision. It applies no colour transform
(``colourspace=0``): YCbCr comes back as YCbCr and the core converts it.

libjpeg does not report a codestream that ends early: it returns the image
with the missing part left blank. Every DICOM JPEG and JPEG-LS frame ends with
an EOI marker (ISO/IEC 10918-1 B.2.1, ISO/IEC 14495-1 C.1.1; PS3.5 A.4 allows
trailing padding), so a frame without one near its end is rejected as
truncated instead of being silently returned half-empty.

Decisions mirror pydicom 3's ``pydicom.pixels.decoders.pylibjpeg`` so that both
give identical arrays.

>>> import numpy as np
>>> from dicom_pixels import DecodeFrame, ImageDescription
>>> image = ImageDescription(1, 1, 1, 8, 8, 0, "MONOCHROME2", "1.2.840.10008.1.2.4.80")
>>> frame = DecodeFrame(image=image, index=0, options={}, out=np.empty((1, 1), "u1"))
>>> decode_jpeg_ls(b"not JPEG-LS\\xff\\xd9", frame)
Traceback (most recent call last):
...
RuntimeError: libjpeg error code '-1038' returned from Decode(): A misplaced marker segment was found - ...
"""

from __future__ import annotations

from libjpeg.utils import decode_pixel_data

from dicom_pixels.codec import DecodeFrame, report_container, require_end_marker

__all__ = ["decode_jpeg", "decode_jpeg_ls"]


def decode_jpeg(data: bytes, frame: DecodeFrame) -> bytearray:
    """Decode one JPEG Baseline, Extended or Lossless frame.

    :param data: the frame's JPEG codestream.
    :param frame: the decoding context; nothing is reported in ``frame.info``
        because libjpeg returns interleaved samples in Bits Allocated-sized
        containers for DICOM's JPEG processes.
    :returns: the decoded little-endian sample bytes.
    :raises RuntimeError: libjpeg could not decode the codestream.
    :raises DecodeError: the codestream has no EOI marker at its end (truncated).

    >>> from dicom_pixels import ImageDescription
    >>> image = ImageDescription(1, 1, 1, 8, 8, 0, "MONOCHROME2", "1.2.840.10008.1.2.4.50")
    >>> decode_jpeg(b"\\xff\\xd8\\xff\\xdb\\x00", DecodeFrame(image=image, index=0, options={}))
    Traceback (most recent call last):
    ...
    dicom_pixels.errors.DecodeError: Unable to decode frame 0: the JPEG codestream does not end with an end-of-image marker (FFD9); it is truncated or corrupt
    """
    return decode_pixel_data(_checked(data, frame, "JPEG"), version=2)


def decode_jpeg_ls(data: bytes, frame: DecodeFrame) -> bytearray:
    """Decode one JPEG-LS lossless or near-lossless frame.

    libjpeg returns colour-by-pixel samples whatever the interleave mode
    (ISO/IEC 14495-1 C.2.3), in 8-bit containers for a precision up to 8 and
    16-bit ones above, which is reported in ``frame.info`` so that the core
    places the samples correctly. The core then sign-extends signed data from
    the SOF55 precision (JPEG-LS has no signed samples, PS3.5 A.4.3).

    :param data: the frame's JPEG-LS codestream.
    :param frame: the decoding context; ``frame.info["jls_precision"]`` (set by
        the core from the SOF55 header) chooses the container size.
    :returns: the decoded little-endian sample bytes.
    :raises RuntimeError: libjpeg could not decode the codestream.
    :raises DecodeError: the codestream has no EOI marker at its end (truncated), or
        it is too short for libjpeg to decode safely (see :func:`refuse_sparse_jpeg_ls`).
    """
    refuse_sparse_jpeg_ls(data, frame)
    buffer = decode_pixel_data(_checked(data, frame, "JPEG-LS"), version=2)
    frame.info["planar_configuration"] = 0
    report_container(frame, frame.info.get("jls_precision", frame.image.bits_stored))
    return buffer


#: Above this many samples per frame, libjpeg needs seconds to fill a frame from a
#: JPEG-LS scan that ran out of data (about 0.14 us per sample here).
SPARSE_CHECK_SAMPLES = 1 << 24
#: Declared samples per codestream byte above which a large JPEG-LS frame is declined.
SPARSE_SAMPLES_PER_BYTE = 4096


def refuse_sparse_jpeg_ls(data: bytes | bytearray | memoryview, frame: DecodeFrame) -> None:
    """Decline a JPEG-LS frame of over 16 Mi samples that spends under 1/512 bit per sample.

    libjpeg does not notice a JPEG-LS scan running out of data: it goes on decoding
    zero bits into filler lines. The core already refuses streams too short for their
    declared size (one bit per line, ISO/IEC 14495-1 A.7.1.2), but that bound is tiny, so
    a 4 kB stream whose header claims 4096 x 16385 costs 9 s of filler here (a legitimate
    noisy frame of that size takes 7 s). A real image that large and that sparse is
    nearly blank; the CharLS-based plugins (imagecodecs, pyjpegls, gdcm) report a short
    scan, so this plugin leaves such frames to them instead of returning filler.

    >>> from dicom_pixels import ImageDescription
    >>> image = ImageDescription(4096, 16385, 1, 16, 16, 0, "MONOCHROME2", "1.2.840.10008.1.2.4.80")
    >>> refuse_sparse_jpeg_ls(bytes(4430), DecodeFrame(image=image, index=0, options={}))
    Traceback (most recent call last):
    ...
    dicom_pixels.errors.DecodeError: Unable to decode frame 0 with pylibjpeg-libjpeg: ...
    >>> refuse_sparse_jpeg_ls(bytes(65536), DecodeFrame(image=image, index=0, options={}))  # 1/8 bit each
    """
    from dicom_pixels.errors import DecodeError

    samples = frame.image.pixels_per_frame
    if samples > SPARSE_CHECK_SAMPLES and samples > SPARSE_SAMPLES_PER_BYTE * len(data):
        raise DecodeError(
            f"Unable to decode frame {frame.index} with pylibjpeg-libjpeg: its {len(data)}-byte "
            f"JPEG-LS codestream declares {frame.image.rows} x {frame.image.columns} x "
            f"{frame.image.samples_per_pixel} samples, over {SPARSE_SAMPLES_PER_BYTE} per byte, "
            "and libjpeg would fill a scan that ended early with filler without reporting it; "
            "decode it with the imagecodecs, pyjpegls or gdcm plugin, which detect a short scan"
        )


def _checked(data: bytes | bytearray | memoryview, frame: DecodeFrame, standard: str) -> bytes:
    """Return *data* as ``bytes`` (the Cython wrapper takes a ``char*`` from bytes
    only) after the core's check that it ends with an EOI marker."""
    require_end_marker(data, frame, standard)
    return data if isinstance(data, bytes) else bytes(data)
