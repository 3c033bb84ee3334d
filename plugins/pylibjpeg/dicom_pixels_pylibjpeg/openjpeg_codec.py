"""JPEG 2000 (ISO/IEC 15444-1) and HTJ2K (ISO/IEC 15444-15) frames through pylibjpeg-openjpeg.

pylibjpeg-openjpeg wraps OpenJPEG, which decodes Part 1 codestreams and, from
OpenJPEG 2.5, the High-Throughput block coder of Part 15. Samples come back
colour-by-pixel, in a container sized from the codestream precision (1, 2 or
4 bytes), and with the component transform (ICT/RCT, ISO/IEC 15444-1 Annex G)
already reversed, so YBR_ICT and YBR_RCT data is returned as RGB.

Sign correction against Pixel Representation (the SIZ marker's Ssiz, ISO/IEC
15444-1 A.5.1) is done by the core, not here. Decisions mirror pydicom 3's
``pydicom.pixels.decoders.pylibjpeg`` so that both give identical arrays.

>>> from dicom_pixels import DecodeFrame, ImageDescription
>>> image = ImageDescription(1, 1, 1, 8, 8, 0, "MONOCHROME2", "1.2.840.10008.1.2.4.90")
>>> decode_j2k(b"\\xff\\x4f\\xff\\x51", DecodeFrame(image=image, index=0, options={}))
Traceback (most recent call last):
...
RuntimeError: Error decoding the J2K data: failed to read the header
"""

from __future__ import annotations

from openjpeg.utils import decode_pixel_data

from dicom_pixels.codec import DecodeFrame, report_container, report_j2k_colour_transform

__all__ = ["decode_j2k"]



def decode_j2k(data: bytes, frame: DecodeFrame) -> bytearray:
    """Decode one JPEG 2000 or HTJ2K frame.

    :param data: the frame's codestream (a JP2 header, which PS3.5 A.4.4
        forbids, is tolerated).
    :param frame: the decoding context; ``frame.info["j2k_precision"]`` (set by
        the core from the SIZ marker) chooses the container size, and
        ``photometric_interpretation``/``bits_allocated`` are reported back.
    :returns: the decoded little-endian sample bytes, colour-by-pixel.
    :raises RuntimeError: OpenJPEG could not decode the codestream.
    """
    buffer = decode_pixel_data(data, version=2)
    report_j2k_colour_transform(frame)
    report_container(frame, frame.info.get("j2k_precision", frame.image.bits_stored))
    return buffer
