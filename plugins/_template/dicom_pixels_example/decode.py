"""The codec: one frame of bytes in, pixels written into ``frame.out``."""

from __future__ import annotations

import numpy as np

from dicom_pixels.plugin import DecodeFrame, DecodeError


def decode_frame(data: bytes, frame: DecodeFrame) -> None:
    image = frame.image
    if len(data) < image.pixels_per_frame * image.dtype.itemsize:
        # Declining or failing is a typed error; the core names the frame and the plugin.
        raise DecodeError(f"frame {frame.index} holds {len(data)} bytes, too few for its pixels")
    pixels = np.frombuffer(data, dtype=image.dtype.newbyteorder("<"), count=image.pixels_per_frame)
    frame.out[...] = pixels.reshape(image.frame_shape)
