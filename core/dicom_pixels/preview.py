"""Rendering a decoded frame for a quick look: scale to 8 bits and write a PNG.

Used by ``dicom-pixels decode ... -o out.png``. PNG is written with zlib only
(RFC 2083 / ISO/IEC 15948), so no imaging library is needed.

>>> import numpy as np
>>> to_8bit(np.array([[0, 50, 100]], dtype=np.int16)).tolist()
[[0, 128, 255]]
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

from .errors import DicomPixelsError
from .writer import atomic_write_bytes

__all__ = ["png_bytes", "to_8bit", "write_png"]


def to_8bit(
    frame: np.ndarray, *, window: tuple[float, float] | None = None, invert: bool = False
) -> np.ndarray:
    """Linearly scale *frame* to uint8: with a (center, width) *window* or from min to max.

    :param invert: for MONOCHROME1, where the minimum is white.

    >>> to_8bit(np.array([[0, 1000]]), window=(500, 100)).tolist()
    [[0, 255]]
    """
    if frame.dtype == np.uint8 and window is None and not invert:
        return frame
    data = frame.astype(np.float32)
    if window is not None:
        center, width = window
        low, high = center - width / 2, center + width / 2
    else:
        low, high = float(data.min()), float(data.max())
    scale = 255.0 / (high - low) if high > low else 0.0
    out = np.clip(np.rint((data - low) * scale), 0, 255).astype(np.uint8)
    return 255 - out if invert else out


def png_bytes(image: np.ndarray) -> bytes:
    """Encode a uint8 ``(rows, cols)`` or ``(rows, cols, 3)`` image as a PNG file's bytes.

    >>> png_bytes(np.zeros((2, 2), np.uint8))[:4]
    b'\\x89PNG'
    """
    if image.dtype != np.uint8 or image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] != 3):
        raise DicomPixelsError(
            f"A PNG needs a uint8 (rows, cols) or (rows, cols, 3) image, not {image.dtype} {image.shape}"
        )
    rows, cols = image.shape[:2]
    colour_type = 2 if image.ndim == 3 else 0
    # Each scanline is prefixed by filter type 0 (None).
    raw = np.zeros((rows, 1 + image[0].size), np.uint8)
    raw[:, 1:] = image.reshape(rows, -1)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">L", len(data)) + kind + data + struct.pack(">L", zlib.crc32(kind + data))

    header = struct.pack(">LLBBBBB", cols, rows, 8, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw.tobytes(), 6))
        + chunk(b"IEND", b"")
    )


def write_png(path: str | Path, image: np.ndarray) -> None:
    """Write a uint8 ``(rows, cols)`` or ``(rows, cols, 3)`` image as PNG, atomically
    (a failed write leaves nothing at *path*).

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "x.png")
    >>> write_png(p, np.zeros((2, 2), np.uint8)); open(p, "rb").read(4)
    b'\\x89PNG'
    """
    atomic_write_bytes(Path(path), png_bytes(image))
