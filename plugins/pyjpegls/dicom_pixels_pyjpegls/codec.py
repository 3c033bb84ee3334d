"""JPEG-LS frames through pyjpegls (CharLS), ISO/IEC 14495-1 (PS3.5 8.2.3).

>>> import numpy as np
>>> from dicom_pixels.plugin import DecodeFrame, EncodeFrame, ImageDescription
>>> image = ImageDescription(9, 17, 1, 16, 12, 0, "MONOCHROME2", "1.2.840.10008.1.2.4.80")
>>> arr = np.arange(9 * 17, dtype="u2").reshape(9, 17) * 20
>>> data = encode_frame(arr, EncodeFrame(image, 0, {}))
>>> frame = DecodeFrame(image=image, index=0, options={})
>>> bool((decode_frame(data, frame) == arr).all()), frame.info["jls_precision"]
(True, 12)
"""

from __future__ import annotations

import numpy as np

from dicom_pixels.plugin import (
    DecodeFrame,
    EncodeFrame,
    check_jpegls_near_lossless,
    container_dtype,
    require_end_marker,
    unsigned_pattern,
)

__all__ = ["decode_frame", "encode_frame"]


def decode_frame(data: bytes, frame: DecodeFrame) -> np.ndarray:
    """Decode one JPEG-LS codestream; colour-by-plane (interleave mode 0) is
    rearranged to colour-by-pixel, the order ``frame.out`` has.

    A stream without its end marker is refused first: CharLS spends seconds on one.
    """
    import jpeg_ls

    require_end_marker(data, frame, "JPEG-LS")
    buffer, header = jpeg_ls.decode_buffer(data)
    rows, columns, samples = header["height"], header["width"], header["components"]
    precision = header["bits_per_sample"]
    frame.info["jls_precision"] = precision
    arr = np.frombuffer(buffer, container_dtype(precision))
    if samples == 1:
        return arr.reshape(rows, columns)
    if header["interleave_mode"] == 0:  # ISO/IEC 14495-1 B.2.2: one scan per component
        return arr.reshape(samples, rows, columns).transpose(1, 2, 0)
    return arr.reshape(rows, columns, samples)


def encode_frame(arr: np.ndarray, frame: EncodeFrame) -> bytes:
    """Encode one frame, colour by pixel (interleave mode 2), NEAR = ``jls_error``.

    Signed samples are written as their Bits Stored bit pattern with precision Bits
    Stored (PS3.5 A.4.1); near-lossless signed data that would wrap is refused first.
    """
    import jpeg_ls

    image = frame.image
    near = check_jpegls_near_lossless(arr, frame)
    data = np.ascontiguousarray(unsigned_pattern(arr, image.bits_stored))
    return bytes(
        jpeg_ls.encode_buffer(
            data.astype(container_dtype(image.bits_stored), copy=False).tobytes(),
            image.rows,
            image.columns,
            image.samples_per_pixel,
            image.bits_stored,
            lossy_error=near,
            interleave_mode=2 if image.samples_per_pixel > 1 else 0,
        )
    )
