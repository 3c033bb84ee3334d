"""The codec: one frame of bytes in, pixels written into ``frame.out``."""

from __future__ import annotations

import numpy as np

from dicom_pixels import DecodeFrame


def decode_frame(data: bytes, frame: DecodeFrame) -> None:
    image = frame.image
    pixels = np.frombuffer(data, dtype=image.dtype.newbyteorder("<"), count=image.pixels_per_frame)
    frame.out[...] = pixels.reshape(image.frame_shape)
