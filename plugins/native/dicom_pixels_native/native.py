"""Decode native (uncompressed) frames with NumPy.

One function, :func:`decode_native`, serves every transfer syntax whose frames
are stored uncompressed (PS3.5 8.1.1, A.1 to A.5 and A.4.11): Implicit and
Explicit VR Little Endian, Deflated Explicit VR Little Endian (the core has
already inflated the data set), Explicit VR Big Endian, and Encapsulated
Uncompressed Explicit VR Little Endian, whose fragments each hold one native
little-endian frame. The Deflated Image Frame Compression codec inflates a
frame and then hands it to the same function.

>>> import numpy as np
>>> from dicom_pixels import DecodeFrame, ImageDescription
>>> image = ImageDescription(2, 2, 1, 16, 12, 0, "MONOCHROME2", "1.2.840.10008.1.2.2")
>>> frame = DecodeFrame(image=image, index=0, options={}, out=None)
>>> decode_native(bytes([0, 1, 0, 2, 0, 3, 0, 4]), frame).tolist()
[[1, 2], [3, 4]]
"""

from __future__ import annotations

import numpy as np

from dicom_pixels.codec import DecodeFrame
from dicom_pixels.errors import DecodeError

__all__ = ["decode_native"]


def decode_native(data: bytes | bytearray | memoryview, frame: DecodeFrame) -> np.ndarray | None:
    """Decode one native frame into ``frame.out`` (or return it when ``out`` is ``None``).

    :param data: the bytes holding the frame, in the byte order of the transfer
        syntax. For Bits Allocated 1 the frame starts at bit ``frame.bit_offset``
        of ``data[0]`` (PS3.5 8.1.1: frames need not start on a byte). For 8-bit
        Explicit VR Big Endian data with VR OW the core has already undone the
        16-bit word swap, so 8-bit samples are always in sample order.
    :param frame: the decoding context; ``frame.out`` has the shape
        ``image.frame_shape`` and the dtype ``image.dtype`` (planar configuration 0).
    :returns: ``None`` after filling ``frame.out``, else the decoded frame.
    :raises DecodeError: *data* is shorter than one frame.

    Planar configuration 1 (R1R2...G1G2...B1B2..., PS3.3 C.7.6.3.1.3) is
    written through a transposed view, so the output is always planar
    configuration 0. Native YBR_FULL_422 (PS3.3 C.7.6.3.1.2) is expanded to
    full-resolution YBR_FULL.

    >>> import numpy as np
    >>> from dicom_pixels import DecodeFrame, ImageDescription
    >>> image = ImageDescription(1, 10, 1, 1, 1, 0, "MONOCHROME2", "1.2.840.10008.1.2.1")
    >>> out = np.empty((1, 10), "u1")
    >>> decode_native(bytes([0b10110100, 0b00000011]),
    ...               DecodeFrame(image=image, index=0, options={}, out=out, bit_offset=2))
    >>> out.tolist()
    [[1, 0, 1, 1, 0, 1, 1, 1, 0, 0]]
    """
    image = frame.image
    if image.bits_allocated == 1:
        view = _unpack_bits(data, frame)
    elif image.photometric_interpretation == "YBR_FULL_422" and _is_subsampled(data, frame):
        frame.info["photometric_interpretation"] = "YBR_FULL"
        return _expand_ybr_full_422(data, frame)
    else:
        # PS3.5 7.3 / A.2: multi-byte values are little endian except in Explicit VR
        # Big Endian. Encapsulated Uncompressed and Deflated Image Frame Compression
        # frames are always little endian (PS3.5 A.4.11, A.4.13).
        byteorder = "<" if image.transfer_syntax.little_endian else ">"
        dtype = image.dtype.newbyteorder(byteorder)
        count = image.pixels_per_frame
        _require_length(data, count * dtype.itemsize, frame)
        view = np.frombuffer(data, dtype=dtype, count=count)
    view = _planar_view(view, frame)
    if frame.out is None:
        # Native byte order, without a copy when the bytes already are.
        return view.astype(image.dtype, copy=False)
    frame.out[...] = view
    return None


def _planar_view(flat: np.ndarray, frame: DecodeFrame) -> np.ndarray:
    """Return *flat* shaped as ``image.frame_shape`` in planar configuration 0, without copying."""
    image = frame.image
    if image.samples_per_pixel > 1 and image.planar_configuration == 1:
        # PS3.3 C.7.6.3.1.3: colour-by-plane; a transposed view interleaves it.
        return flat.reshape(image.samples_per_pixel, image.rows, image.columns).transpose(1, 2, 0)
    return flat.reshape(image.frame_shape)


def _unpack_bits(data: bytes | bytearray | memoryview, frame: DecodeFrame) -> np.ndarray:
    # PS3.5 8.1.1 / D.2: 1-bit pixels are packed eight to a byte, the first pixel in
    # the least significant bit; a frame starts right after the previous one.
    image = frame.image
    count = image.pixels_per_frame
    offset = frame.bit_offset
    _require_length(data, (offset + count + 7) // 8, frame)
    packed = np.frombuffer(data, dtype=np.uint8, count=(offset + count + 7) // 8)
    return np.unpackbits(packed, bitorder="little")[offset : offset + count]


def _is_subsampled(data: bytes | bytearray | memoryview, frame: DecodeFrame) -> bool:
    # Native YBR_FULL_422 holds two thirds of the samples of a full frame
    # (PS3.3 C.7.6.3.1.2). The core's frame length rule applies this to native
    # transfer syntaxes only; an encapsulated uncompressed frame is subsampled when
    # it is too short to hold the full frame.
    image = frame.image
    if image.samples_per_pixel != 3:
        return False
    if not image.transfer_syntax.encapsulated:
        return True
    return len(data) < image.pixels_per_frame * image.dtype.itemsize


def _expand_ybr_full_422(
    data: bytes | bytearray | memoryview, frame: DecodeFrame
) -> np.ndarray | None:
    # PS3.3 C.7.6.3.1.2: each pair of horizontally adjacent pixels is stored as
    # Y1 Y2 Cb Cr; both pixels share the chroma values. Planar Configuration is 0.
    image = frame.image
    if image.columns % 2:
        raise DecodeError(
            f"Frame {frame.index}: YBR_FULL_422 pixel data needs an even (0028,0011) Columns "
            f"value (PS3.3 C.7.6.3.1.2), not {image.columns}"
        )
    byteorder = "<" if image.transfer_syntax.little_endian else ">"
    pairs = image.rows * image.columns // 2
    dtype = image.dtype.newbyteorder(byteorder)
    _require_length(data, pairs * 4 * dtype.itemsize, frame)
    src = np.frombuffer(data, dtype=dtype, count=pairs * 4).reshape(pairs, 4)
    writable = frame.out is not None and frame.out.flags.c_contiguous
    out = frame.out if writable else np.empty(image.frame_shape, image.dtype)
    assert out is not None
    dst = out.reshape(pairs, 2, 3)  # a view: *out* is C-contiguous
    dst[:, :, 0] = src[:, 0:2]  # Y1, Y2
    dst[:, :, 1] = src[:, 2:3]  # Cb, broadcast to both pixels
    dst[:, :, 2] = src[:, 3:4]  # Cr
    if writable:
        return None
    if frame.out is not None:
        frame.out[...] = out
        return None
    return out


def _require_length(data: bytes | bytearray | memoryview, needed: int, frame: DecodeFrame) -> None:
    if len(data) < needed:
        raise DecodeError(
            f"Frame {frame.index} holds {len(data)} bytes of native pixel data, less than "
            f"the {needed} bytes needed for a {frame.image.frame_shape} frame with "
            f"(0028,0100) Bits Allocated {frame.image.bits_allocated}: the data may be "
            "truncated or the Image Pixel module values wrong"
        )
