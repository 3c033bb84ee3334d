"""RLE Lossless (PS3.5 Annex G) frames through pylibjpeg-rle (Rust).

pylibjpeg-rle returns the segments' bytes in segment order: one plane per
component (planar configuration 1), each sample's bytes in the byte order
asked for, here little-endian as the core expects.

>>> from dicom_pixels import DecodeFrame, ImageDescription
>>> image = ImageDescription(1, 2, 1, 8, 8, 0, "MONOCHROME2", "1.2.840.10008.1.2.5")
>>> header = (1).to_bytes(4, "little") + (64).to_bytes(4, "little") + bytes(56)
>>> frame = DecodeFrame(image=image, index=0, options={})
>>> list(decode_rle(header + b"\\x01\\x07\\x09", frame)), frame.info
([7, 9], {'planar_configuration': 1})
"""

from __future__ import annotations

from rle.utils import decode_frame

from dicom_pixels.codec import DecodeFrame

__all__ = ["decode_rle"]


def decode_rle(data: bytes, frame: DecodeFrame) -> bytearray:
    """Decode one RLE Lossless frame.

    :param data: the frame: a 64-byte header and up to 15 segments (PS3.5 G.5).
    :param frame: the decoding context; ``planar_configuration`` 1 is reported
        in ``frame.info`` because the backend returns one plane per component.
    :returns: the decoded little-endian sample bytes.
    :raises ValueError: the header or a segment is invalid.
    """
    image = frame.image
    buffer = decode_frame(
        data if isinstance(data, bytes) else bytes(data),
        image.rows * image.columns,
        image.bits_allocated,
        "<",
    )
    frame.info["planar_configuration"] = 1
    return buffer
