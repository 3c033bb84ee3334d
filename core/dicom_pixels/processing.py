"""Image processing after decoding: colour space conversion.

Colour conversion works frame by frame, in place on the caller's array, so a
multi-frame volume never needs a whole-volume floating point temporary: the
float32 work area is one frame at most.

The YCbCr <-> RGB equations are those of PS3.3 C.7.6.3.1.2 (YBR_FULL, the
JPEG File Interchange Format / ITU-T T.871 equations), computed in float32 and
rounded half up, as pydicom 3 does, so results are identical to pydicom's.

>>> import numpy as np
>>> ybr = np.array([[[76, 85, 255]]], dtype=np.uint8)   # pure red in YCbCr
>>> convert_color_space(ybr, "YBR_FULL", "RGB")
array([[[254,   0,   0]]], dtype=uint8)
"""

from __future__ import annotations

import numpy as np

from .errors import InvalidPixelDescriptionError

__all__ = ["convert_color_space"]

# PS3.3 C.7.6.3.1.2: Y = +.2990R +.5870G +.1140B; CB = -.1687R -.3313G +.5000B + 128;
# CR = +.5000R -.4187G -.0813B + 128 (matrix columns are Y, Cb, Cr).
_RGB_TO_YBR = np.asarray(
    [
        [+0.299, -0.299 / 1.772, +0.701 / 1.402],
        [+0.587, -0.587 / 1.772, -0.587 / 1.402],
        [+0.114, +0.886 / 1.772, -0.114 / 1.402],
    ],
    dtype=np.float32,
)
# The inverse: R = Y + 1.402 (Cr-128); G = Y - 0.344136 (Cb-128) - 0.714136 (Cr-128);
# B = Y + 1.772 (Cb-128).
_YBR_TO_RGB = np.asarray(
    [
        [1.000, 1.000, 1.000],
        [0.000, -0.114 * 1.772 / 0.587, 1.772],
        [1.402, -0.299 * 1.402 / 0.587, 0.000],
    ],
    dtype=np.float32,
)
_YBR_NAMES = ("YBR_FULL", "YBR_FULL_422")


def convert_color_space(
    arr: np.ndarray, current: str, desired: str, per_frame: bool = True
) -> np.ndarray:
    """Convert *arr* between RGB and YBR_FULL/YBR_FULL_422, in place, frame by frame.

    :param arr: unsigned integer pixels, shape ``(rows, cols, 3)`` or
        ``(frames, rows, cols, 3)``; 8-bit as in pydicom, and up to 16-bit with
        the chroma offset scaled to the bit depth (2**(bits-1)).
    :param current: ``"RGB"``, ``"YBR_FULL"`` or ``"YBR_FULL_422"`` (already
        upsampled: the two YBR names need the same transform).
    :param desired: the colour space wanted.
    :param per_frame: accepted for pydicom compatibility; conversion is always
        per frame here, which bounds the float32 temporary to one frame.
    :returns: *arr* itself when it is writeable (converted in place), else a copy.
    :raises InvalidPixelDescriptionError: for other colour spaces or dtypes.

    >>> import numpy as np
    >>> rgb = np.array([[[0, 0, 255]]], dtype=np.uint8)
    >>> convert_color_space(rgb, "RGB", "YBR_FULL")
    array([[[ 29, 255, 107]]], dtype=uint8)
    """
    names = {"RGB", *_YBR_NAMES}
    if current not in names or desired not in names:
        raise InvalidPixelDescriptionError(
            f"Conversion from {current} to {desired} is not supported; only RGB, YBR_FULL "
            "and YBR_FULL_422 are"
        )
    if (current in _YBR_NAMES) == (desired in _YBR_NAMES):
        return arr
    if arr.dtype.kind != "u" or arr.dtype.itemsize > 2:
        raise InvalidPixelDescriptionError(
            f"Invalid ndarray.dtype '{arr.dtype}' for color space conversion: it must be "
            "uint8 or uint16"
        )
    if arr.shape[-1] != 3:
        raise InvalidPixelDescriptionError(
            f"Colour space conversion needs 3 samples per pixel, the array has shape {arr.shape}"
        )
    if not arr.flags.writeable:
        arr = arr.copy()
    to_rgb = current in _YBR_NAMES
    frames = arr.reshape(-1, *arr.shape[-3:]) if arr.ndim >= 3 else arr.reshape(1, 1, *arr.shape)
    for frame in frames:
        convert_frame_color_space(frame, to_rgb=to_rgb)
    return arr


def convert_frame_color_space(frame: np.ndarray, *, to_rgb: bool) -> None:
    """Convert one ``(rows, cols, 3)`` frame between YCbCr and RGB in place.

    The building block of :func:`convert_color_space`, used by the decoder on
    each frame's slice of the output as soon as it is decoded.

    >>> import numpy as np
    >>> frame = np.array([[[128, 128, 128]]], dtype=np.uint8)
    >>> convert_frame_color_space(frame, to_rgb=True); frame
    array([[[128, 128, 128]]], dtype=uint8)
    """
    maximum = float(np.iinfo(frame.dtype).max)
    offset = (maximum + 1) / 2  # 128 for 8-bit
    if to_rgb:
        work = frame.astype(np.float32)
        work -= [0, offset, offset]
        np.matmul(work, _YBR_TO_RGB, out=work)
        work += 0.5
    else:
        work = np.matmul(frame, _RGB_TO_YBR, dtype=np.float32)
        work += [0.5, offset + 0.5, offset + 0.5]
    # Round half up, then clamp to the valid range (PS3.3 C.7.6.3.1.2).
    np.floor(work, out=work)
    np.clip(work, 0, maximum, out=work)
    frame[...] = work
