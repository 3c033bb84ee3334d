"""Deflated Image Frame Compression (1.2.840.10008.1.2.8.1): decode and encode one frame.

PS3.5 8.2.16 and A.4.13: each frame's native pixel data byte stream (as in
Explicit VR Little Endian, so 1-bit frames are bit-packed and little endian)
is compressed separately with the Deflate algorithm of RFC 1951 -- a *raw*
deflate stream, without the zlib (RFC 1950) header and Adler-32 trailer --
and stored in one fragment; an odd-length stream is followed by one NULL
byte. The transfer syntax applies only to Pixel Data (7FE0,0010), not to
Float or Double Float Pixel Data, and places no restriction on the Image
Pixel values; it was introduced for 1-bit segmentations (Supplement 244).

Decompression is bounded: it never produces more than the frame's expected
length plus a little slack, so a small hostile fragment cannot make it
allocate unbounded memory ("deflate bomb").

>>> import numpy as np
>>> from dicom_pixels import DecodeFrame, EncodeFrame, ImageDescription
>>> image = ImageDescription(4, 4, 1, 1, 1, 0, "MONOCHROME2", "1.2.840.10008.1.2.8.1")
>>> mask = np.eye(4, dtype="u1")
>>> data = encode_deflate(mask, EncodeFrame(image=image, index=0, options={}))
>>> np.array_equal(decode_deflate(data, DecodeFrame(image=image, index=0, options={})), mask)
True
"""

from __future__ import annotations

import zlib

import numpy as np

from dicom_pixels.codec import DecodeFrame, EncodeFrame
from dicom_pixels.errors import DecodeError, EncodeError, EncodingProfileError
from dicom_pixels_native.native import decode_native

__all__ = ["decode_deflate", "encode_deflate", "inflate_frame"]

#: Bytes accepted beyond the expected frame length: encoders may deflate the
#: frame's even-length padding byte (PS3.5 8.1.1) as well.
SLACK = 16


def inflate_frame(data: bytes | bytearray | memoryview, expected: int, index: int = 0) -> bytes:
    """Inflate one frame's raw deflate stream, producing at most *expected* + :data:`SLACK` bytes.

    A zlib-wrapped stream (RFC 1950), which some writers produce by mistake, is
    accepted too.

    :raises DecodeError: the stream is corrupt, inflates past the limit, or ends early.

    >>> import zlib
    >>> c = zlib.compressobj(wbits=-15)
    >>> inflate_frame(c.compress(b"abc" * 4) + c.flush(), 12)
    b'abcabcabcabc'
    """
    limit = expected + SLACK
    try:
        inflated, finished = _inflate(data, -zlib.MAX_WBITS, limit)
    except zlib.error as exc:
        if not _looks_like_zlib(data):
            raise DecodeError(
                f"Frame {index}: the Deflated Image Frame Compression data is not a valid "
                f"deflate stream (RFC 1951): {exc}"
            ) from None
        try:
            inflated, finished = _inflate(data, zlib.MAX_WBITS, limit)
        except zlib.error as exc2:
            raise DecodeError(
                f"Frame {index}: the Deflated Image Frame Compression data is not a valid "
                f"deflate stream (RFC 1951): {exc2}"
            ) from None
    if not finished:
        if len(inflated) >= limit:
            raise DecodeError(
                f"Frame {index}: the deflated frame inflates to more than the {expected} "
                "bytes the Image Pixel module values describe; decompression was stopped "
                f"after {limit} bytes. The data is corrupt or hostile, or (0028,0010) Rows, "
                "(0028,0011) Columns, (0028,0002) Samples per Pixel or (0028,0100) Bits "
                "Allocated are wrong"
            )
        raise DecodeError(
            f"Frame {index}: the deflate stream ends before its final block after "
            f"{len(inflated)} bytes: the data is truncated"
        )
    if len(inflated) < expected:
        raise DecodeError(
            f"Frame {index}: the deflated frame inflates to {len(inflated)} bytes, less than "
            f"the {expected} bytes the Image Pixel module values describe"
        )
    return inflated


def _inflate(data: bytes | bytearray | memoryview, wbits: int, limit: int) -> tuple[bytes, bool]:
    inflater = zlib.decompressobj(wbits)
    # max_length bounds the output; whatever input remains unconsumed stays in
    # unconsumed_tail and is never inflated.
    inflated = inflater.decompress(data, limit)
    return inflated, inflater.eof


def _looks_like_zlib(data: bytes | bytearray | memoryview) -> bool:
    # RFC 1950 2.2: CM = 8 (deflate), CINFO <= 7, and CMF*256 + FLG is a multiple of 31.
    if len(data) < 2:
        return False
    cmf, flg = data[0], data[1]
    return cmf & 0x0F == 8 and cmf >> 4 <= 7 and (cmf * 256 + flg) % 31 == 0


def decode_deflate(data: bytes | bytearray | memoryview, frame: DecodeFrame) -> np.ndarray | None:
    """Decode one Deflated Image Frame Compression frame into ``frame.out``.

    The inflated bytes are a native little-endian frame, decoded by
    :func:`~dicom_pixels_native.native.decode_native`.

    :raises DecodeError: the stream is corrupt or does not inflate to one frame.

    >>> import numpy as np, zlib
    >>> from dicom_pixels import DecodeFrame, ImageDescription
    >>> image = ImageDescription(1, 2, 1, 16, 16, 0, "MONOCHROME2", "1.2.840.10008.1.2.8.1")
    >>> c = zlib.compressobj(wbits=-15)
    >>> data = c.compress(bytes([1, 0, 2, 0])) + c.flush()
    >>> decode_deflate(data, DecodeFrame(image=image, index=0, options={})).tolist()
    [[1, 2]]
    """
    image = frame.image
    # Each frame starts on a byte boundary, even for 1-bit data (A.4.13: one frame per fragment).
    expected = (image.pixels_per_frame * image.bits_allocated + 7) // 8
    inflated = inflate_frame(data, expected, frame.index)
    frame.bit_offset = 0
    return decode_native(inflated, frame)


def encode_deflate(arr: np.ndarray, frame: EncodeFrame) -> bytes:
    """Encode one frame as Deflated Image Frame Compression.

    :param arr: one frame, shape ``(rows, cols)`` or ``(rows, cols, samples)``
        (planar configuration 0); for Bits Allocated 1 the values are 0 or 1
        (non-zero values are written as 1).
    :param frame: the encoding context; option ``deflate_level`` (0-9, default 6)
        sets the zlib compression level.
    :returns: the raw deflate stream (RFC 1951), padded with one NULL byte to even length.
    :raises EncodingProfileError: the image is Float or Double Float Pixel Data,
        which PS3.5 8.2.16 excludes.

    >>> import numpy as np
    >>> from dicom_pixels import EncodeFrame, ImageDescription
    >>> image = ImageDescription(2, 2, 1, 8, 8, 0, "MONOCHROME2", "1.2.840.10008.1.2.8.1")
    >>> len(encode_deflate(np.zeros((2, 2), "u1"), EncodeFrame(image=image, index=0, options={}))) % 2
    0
    """
    image = frame.image
    if image.pixel_keyword != "PixelData":
        raise EncodingProfileError(
            f"Deflated Image Frame Compression applies only to (7FE0,0010) Pixel Data "
            f"(PS3.5 8.2.16), not to {image.pixel_keyword}"
        )
    arr = np.asarray(arr)
    if arr.size != image.pixels_per_frame:
        raise EncodeError(
            f"Unable to encode frame {frame.index}: the array has {arr.size} values, but a "
            f"{image.frame_shape} frame needs {image.pixels_per_frame}"
        )
    if image.bits_allocated == 1:
        # PS3.5 8.1.1 / D.2: bit-packed, first pixel in the least significant bit.
        native = np.packbits(arr.reshape(-1) != 0, bitorder="little").tobytes()
    else:
        native = np.ascontiguousarray(arr, dtype=image.dtype.newbyteorder("<")).tobytes()
    level = int(frame.option("deflate_level", 6))
    deflater = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    stream = deflater.compress(native) + deflater.flush()
    # A.4.13: an odd-length stream is followed by a single trailing NULL byte.
    return stream + b"\0" * (len(stream) % 2)
