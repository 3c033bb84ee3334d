"""Image processing after decoding: colour spaces, LUTs, windows, palettes, ICC profiles.

The names and arguments follow ``pydicom.pixels.processing``. Each function
takes the array and a pydicom ``Dataset`` *or* a plain ``dict`` of keywords
(``{"RescaleSlope": 1, ...}``, sequences as lists of such dicts), so pydicom is
never needed. The display pipeline of PS3.4 N.2 is, in order:
:func:`apply_modality_lut` -> :func:`apply_voi_lut` -> :func:`apply_presentation_lut`
for greyscale, :func:`apply_color_lut` for PALETTE COLOR.

Every function works frame by frame: the floating point work area is one
frame at most, and results are stored in the smallest dtype that holds them
exactly (each docstring says which; pydicom returns ``float64`` for rescaling
and windowing). Colour conversion works in place on the caller's array.

The YCbCr <-> RGB equations are those of PS3.3 C.7.6.3.1.2 (YBR_FULL, the
JPEG File Interchange Format / ITU-T T.871 equations), computed in float32 and
rounded half up, as pydicom 3 does, so results are identical to pydicom's.

>>> from dicom_pixels.processing import convert_color_space
>>> import numpy as np
>>> ybr = np.array([[[76, 85, 255]]], dtype=np.uint8)   # pure red in YCbCr
>>> convert_color_space(ybr, "YBR_FULL", "RGB")
array([[[254,   0,   0]]], dtype=uint8)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from .arguments import (
    check_array,
    check_bytes,
    check_dataset,
    check_index,
    check_integer,
    check_text,
    checked_signature,
)
from .errors import (
    ArgumentTypeError,
    DicomPixelsError,
    InvalidArgumentError,
    InvalidPixelDescriptionError,
)

__all__ = [
    "apply_color_lut",
    "apply_icc_profile",
    "apply_modality_lut",
    "apply_presentation_lut",
    "apply_rescale",
    "apply_voi",
    "apply_voi_lut",
    "apply_windowing",
    "convert_color_space",
    "convert_frame_color_space",
    "create_icc_transform",
    "expand_segmented_lut",
    "pack_bits",
    "unpack_bits",
]

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
#: PS3.3 C.7.6.3.1.2: YBR_PARTIAL_422/420 hold the same transform in "partial" (studio) range:
#: Y = .2568R + .5041G + .0979B + 16 = 16 + 219/255 Y(full); CB = 128 + 224/255 (CB(full) - 128),
#: likewise CR. Already upsampled to one Cb and Cr per pixel, as decoders return them.
_PARTIAL_NAMES = ("YBR_PARTIAL_422", "YBR_PARTIAL_420")
_PARTIAL_PER_FULL = np.asarray([219 / 255, 224 / 255, 224 / 255], dtype=np.float32)


@checked_signature
def convert_color_space(
    arr: np.ndarray, current: str, desired: str, per_frame: bool = True
) -> np.ndarray:
    """Convert *arr* between RGB and YBR_FULL/YBR_FULL_422/YBR_PARTIAL_422/YBR_PARTIAL_420,
    in place, frame by frame.

    :param arr: unsigned integer pixels, shape ``(rows, cols, 3)`` or
        ``(frames, rows, cols, 3)``; 8-bit as in pydicom, and up to 16-bit with
        the chroma offset scaled to the bit depth (2**(bits-1)) and, for the partial
        range, the luminance offset too (16 * 2**(bits-8)).
    :param current: ``"RGB"``, ``"YBR_FULL"``, ``"YBR_FULL_422"`` (already upsampled:
        the two need the same transform), ``"YBR_PARTIAL_422"`` or ``"YBR_PARTIAL_420"``
        (already upsampled; PS3.3 C.7.6.3.1.2's partial-range equations).
    :param desired: the colour space wanted; between a full and a partial range YBR
        the conversion goes through RGB.
    :param per_frame: accepted for pydicom compatibility; conversion is always
        per frame here, which bounds the float32 temporary to one frame.
    :returns: *arr* itself when it is writeable (converted in place), else a copy.
    :raises InvalidPixelDescriptionError: for other colour spaces or dtypes.

    >>> from dicom_pixels.processing import convert_color_space
    >>> import numpy as np
    >>> rgb = np.array([[[0, 0, 255]]], dtype=np.uint8)
    >>> convert_color_space(rgb, "RGB", "YBR_FULL")
    array([[[ 29, 255, 107]]], dtype=uint8)
    >>> convert_color_space(np.array([[[0, 0, 255]]], dtype=np.uint8), "RGB", "YBR_PARTIAL_420")
    array([[[ 41, 240, 110]]], dtype=uint8)
    """
    check_array(arr, "arr", "convert_color_space")
    names = {"RGB", *_YBR_NAMES, *_PARTIAL_NAMES}
    if current not in names or desired not in names:
        raise InvalidPixelDescriptionError(
            f"Conversion from {current} to {desired} is not supported; only RGB, YBR_FULL, "
            "YBR_FULL_422, YBR_PARTIAL_422 and YBR_PARTIAL_420 are"
        )
    current_range = "RGB" if current == "RGB" else "partial" if current in _PARTIAL_NAMES else "full"
    desired_range = "RGB" if desired == "RGB" else "partial" if desired in _PARTIAL_NAMES else "full"
    if current_range == desired_range:
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
    frames = arr.reshape(-1, *arr.shape[-3:]) if arr.ndim >= 3 else arr.reshape(1, 1, *arr.shape)
    for frame in frames:
        if current_range != "RGB":
            convert_frame_color_space(frame, to_rgb=True, partial=current_range == "partial")
        if desired_range != "RGB":
            convert_frame_color_space(frame, to_rgb=False, partial=desired_range == "partial")
    return arr


@checked_signature
def convert_frame_color_space(frame: np.ndarray, *, to_rgb: bool, partial: bool = False) -> None:
    """Convert one ``(rows, cols, 3)`` frame between YCbCr and RGB in place.

    The building block of :func:`convert_color_space`, used by the decoder on
    each frame's slice of the output as soon as it is decoded. ``partial=True``: the
    YCbCr side is in the partial range of YBR_PARTIAL_422/420 (PS3.3 C.7.6.3.1.2).

    >>> from dicom_pixels.processing import convert_frame_color_space
    >>> import numpy as np
    >>> frame = np.array([[[128, 128, 128]]], dtype=np.uint8)
    >>> convert_frame_color_space(frame, to_rgb=True); frame
    array([[[128, 128, 128]]], dtype=uint8)
    """
    check_array(frame, "frame", "convert_frame_color_space")
    if frame.dtype.kind not in "iu" or frame.shape[-1:] != (3,):
        raise InvalidPixelDescriptionError(
            f"convert_frame_color_space(): 'frame' must be integer (rows, columns, 3) pixels, not "
            f"{frame.dtype} {frame.shape}"
        )
    maximum = float(np.iinfo(frame.dtype).max)
    offset = (maximum + 1) / 2  # 128 for 8-bit
    black = 16 * (maximum + 1) / 256 if partial else 0.0  # the partial range's Y offset (16 for 8-bit)
    if to_rgb:
        work = frame.astype(np.float32)
        work -= [black, offset, offset]
        if partial:
            work /= _PARTIAL_PER_FULL
        np.matmul(work, _YBR_TO_RGB, out=work)
        work += 0.5
    else:
        work = np.matmul(frame, _RGB_TO_YBR, dtype=np.float32)
        if partial:
            work *= _PARTIAL_PER_FULL
        work += [black + 0.5, offset + 0.5, offset + 0.5]
    # Round half up, then clamp to the valid range (PS3.3 C.7.6.3.1.2).
    np.floor(work, out=work)
    np.clip(work, 0, maximum, out=work)
    frame[...] = work


# -- dataset access (duck-typed: a pydicom Dataset or a dict of keywords) -----------------


def _get(ds: Any, keyword: str, default: Any = None) -> Any:
    """The value of *keyword* in a pydicom ``Dataset`` or a ``dict``; *default* when absent/empty."""
    if ds is None:
        return default
    value = ds.get(keyword, default)
    if value is None or (isinstance(value, (str, bytes, list, tuple)) and len(value) == 0):
        return default
    if hasattr(value, "value") and hasattr(value, "VR"):  # a pydicom DataElement (tag access)
        value = value.value
    return value


def _values(value: Any) -> list[Any]:
    """A multi-valued element as a list (pydicom ``MultiValue``, list, tuple or one value)."""
    if value is None:
        return []
    if isinstance(value, (str, bytes, int, float)):
        return [value]
    return list(value)


def _little_endian(ds: Any) -> bool:
    """Byte order of OW values in *ds*: from its Transfer Syntax UID, else little endian."""
    uid = None
    file_meta = getattr(ds, "file_meta", None)
    if file_meta is not None:
        uid = file_meta.get("TransferSyntaxUID")
    if uid is None and isinstance(ds, Mapping):
        uid = ds.get("TransferSyntaxUID")
    if uid:
        from .uid import lookup

        try:
            return lookup(str(uid)).little_endian
        except DicomPixelsError:
            pass
    encoding = getattr(ds, "original_encoding", None)
    if encoding is not None and encoding[1] is not None:
        return bool(encoding[1])
    return True


def _functional_item(ds: Any, frame: int, keyword: str) -> Any:
    """The first item of *keyword* in the frame's Per-frame, else the Shared, Functional Group.

    PS3.3 C.7.6.16: a functional group macro is either shared by all frames or
    given per frame, never both.
    """
    per_frame = _get(ds, "PerFrameFunctionalGroupsSequence")
    if per_frame and 0 <= frame < len(per_frame):
        items = _get(per_frame[frame], keyword)
        if items:
            return items[0]
    shared = _get(ds, "SharedFunctionalGroupsSequence")
    if shared:
        items = _get(shared[0], keyword)
        if items:
            return items[0]
    return None


def _check_image_arguments(arr: Any, ds: Any, frame: Any, function: str, index: Any = 0) -> None:
    """The arguments the LUT functions share: an array, a dataset, a frame and an index."""
    check_array(arr, "arr", function)
    check_dataset(ds, "ds", function)
    if frame is not None:
        check_integer(frame, "frame", function, minimum=0)
    check_integer(index, "index", function, minimum=0)


def _frames_of(arr: np.ndarray, ds: Any, frame: int | None) -> tuple[list[int], bool]:
    """The frame numbers held by *arr* and whether *arr* has a leading frame axis."""
    if frame is not None:
        return [frame], False
    frames = int(_get(ds, "NumberOfFrames", 1) or 1)
    samples = int(_get(ds, "SamplesPerPixel", 1) or 1)
    expected_ndim = 3 if samples == 1 else 4
    if frames > 1 and arr.ndim == expected_ndim and arr.shape[0] == frames:
        return list(range(frames)), True
    return [0], False


def _stored_range(arr: np.ndarray, ds: Any) -> tuple[int, int]:
    """The range of stored values: from Bits Stored and Pixel Representation, else the dtype."""
    bits = _get(ds, "BitsStored")
    if bits is None or arr.dtype.kind not in "iu" or int(bits) > arr.dtype.itemsize * 8:
        if arr.dtype.kind in "iu":
            info = np.iinfo(arr.dtype)
            return int(info.min), int(info.max)
        return 0, 0
    bits = int(bits)
    if int(_get(ds, "PixelRepresentation", 0) or 0):
        return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    return 0, 2**bits - 1


def _smallest_int_dtype(lo: float, hi: float) -> np.dtype | None:
    for name in ("u1", "i1", "u2", "i2", "u4", "i4", "i8"):
        info = np.iinfo(name)
        if info.min <= lo and hi <= info.max:
            return np.dtype(name)
    return None


# -- lookup tables ----------------------------------------------------------------------


def _lut_table(item: Any, ds: Any, where: str) -> tuple[np.ndarray, int, int]:
    """Decode a LUT Descriptor + LUT Data pair (PS3.3 C.11.1.1.1, C.11.2.1.1, C.11.6.1).

    :returns: the table (``uint8`` when the entries have 8 bits or fewer, else
        ``uint16``), the first stored value mapped, and the bits per entry.
    """
    descriptor = _values(_get(item, "LUTDescriptor"))
    data = _get(item, "LUTData")
    if len(descriptor) != 3 or data is None:
        raise InvalidPixelDescriptionError(f"The {where} item needs a 3-value LUT Descriptor and LUT Data")
    entries = int(descriptor[0]) or 2**16  # PS3.3 C.11.1.1.1: 0 means 65536 entries
    first_map, depth = int(descriptor[1]), int(descriptor[2])
    if not 1 <= depth <= 16:
        raise InvalidPixelDescriptionError(f"{depth} bits per {where} entry is not supported (1 to 16 are)")
    dtype = np.dtype(np.uint8 if depth <= 8 else np.uint16)
    if isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
        if len(raw) == entries and depth <= 8:
            table = np.frombuffer(raw, np.uint8)  # 8-bit entries packed in OB/OW
        else:
            table = np.frombuffer(raw[: entries * 2], "<u2" if _little_endian(ds) else ">u2")
    else:
        table = np.asarray(_values(data), dtype=np.int64)
    if table.size < entries:
        raise InvalidPixelDescriptionError(
            f"The {where} LUT Data has {table.size} entries, the LUT Descriptor says {entries}"
        )
    table = table[:entries]
    if depth < 16 and table.size and int(table.max()) >= 2**depth:
        table = table & (2**depth - 1)  # unused high bits (PS3.3 C.11.6.1.2 for 12-bit LUTs)
    return table.astype(dtype), first_map, depth


def _apply_table(frame: np.ndarray, table: np.ndarray, first_map: int, out: np.ndarray) -> None:
    """Map *frame* through *table* into *out*: values below/above the table clip to its ends."""
    if frame.dtype.kind == "f":
        index = np.nan_to_num(frame, nan=first_map) - first_map
        np.clip(index, 0, table.size - 1, out=index)
        index = index.astype(np.intp)  # truncation toward zero, as pydicom does
    else:
        index = frame.astype(np.int64) - first_map
        np.clip(index, 0, table.size - 1, out=index)
    np.take(table, index, out=out)


@checked_signature
def expand_segmented_lut(data: Any, *, bits: int = 16, little_endian: bool = True) -> np.ndarray:
    """Expand Segmented Palette Color Lookup Table Data (PS3.3 C.7.9.2) into a table.

    :param data: the segment words: raw ``bytes`` (OW) or a sequence of ints.
    :param bits: bits per entry, the third value of the LUT Descriptor (8 or 16).
    :param little_endian: byte order of *data* when it is ``bytes`` with 16-bit entries.
    :returns: ``uint8`` for 8-bit entries, else ``uint16``.
    :raises InvalidPixelDescriptionError: unknown opcode, or a linear/indirect segment first.

    >>> import numpy as np
    >>> from dicom_pixels.processing import expand_segmented_lut
    >>> expand_segmented_lut([0, 2, 10, 20, 1, 3, 50], bits=8)   # discrete, then linear
    array([10, 20, 30, 40, 50], dtype=uint8)
    """
    bits = check_integer(bits, "bits", "expand_segmented_lut", minimum=1, maximum=16)
    if isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
        if bits <= 8:
            words = list(raw)
        else:
            words = np.frombuffer(raw[: len(raw) // 2 * 2], "<u2" if little_endian else ">u2").tolist()
    elif isinstance(data, str) or not hasattr(data, "__iter__"):
        raise ArgumentTypeError(
            f"expand_segmented_lut(): 'data' must be bytes or a sequence of ints, not {type(data).__name__}"
        )
    else:
        words = [int(v) for v in data]
    out: list[int] = []
    _expand_segments(words, 0, None, out, bits, 0)
    return np.asarray(out, dtype=np.uint8 if bits <= 8 else np.uint16)


def _expand_segments(
    words: list[int], start: int, count: int | None, out: list[int], bits: int, depth: int
) -> None:
    # Bad input must not hang or exhaust memory: bound the nesting and the table size.
    if depth > 4 or len(out) > 2**16:
        raise InvalidPixelDescriptionError(
            "The segmented LUT's indirect segments nest too deeply or make a table over 65536 entries"
        )
    position, done = start, 0
    # The last word may be a padding 0 (even length): every segment needs at least 2 words.
    while position + 1 < len(words) and (count is None or done < count):
        opcode, length = words[position], words[position + 1]
        position += 2
        if opcode == 0:  # C.7.9.2.1 discrete: *length* values follow
            out.extend(words[position : position + length])
            position += length
        elif opcode == 1:  # C.7.9.2.2 linear: from the previous value to y1 over *length* entries
            if not out:
                raise InvalidPixelDescriptionError("A segmented LUT cannot start with a linear segment")
            y0, y1 = out[-1], words[position]
            position += 1
            steps = np.arange(1, length + 1, dtype=np.float64)
            out.extend(np.rint(y0 + (y1 - y0) * steps / length).astype(int).tolist())
        elif opcode == 2:  # C.7.9.2.3 indirect: replay *length* segments from a word offset
            if not out:
                raise InvalidPixelDescriptionError("A segmented LUT cannot start with an indirect segment")
            if bits <= 8:
                b = words[position : position + 4]
                offset = (b[3] << 24) | (b[2] << 16) | (b[1] << 8) | b[0]
                position += 4
            else:
                offset = words[position] | (words[position + 1] << 16)
                position += 2
            if offset >= position - (4 if bits <= 8 else 2) - 2 and offset <= position:
                raise InvalidPixelDescriptionError("A segmented LUT's indirect segment refers to itself")
            _expand_segments(words, offset, length, out, bits, depth + 1)
        else:
            raise InvalidPixelDescriptionError(f"Unknown segmented LUT opcode {opcode} (0, 1 or 2 allowed)")
        done += 1


# -- Modality LUT (PS3.3 C.11.1) -------------------------------------------------------------


@checked_signature
def apply_modality_lut(
    arr: np.ndarray, ds: Any, *, frame: int | None = None, dtype: Any = None
) -> np.ndarray:
    """Apply the Modality LUT or Rescale Slope/Intercept (PS3.3 C.11.1, C.7.6.16.2.9).

    Where the values come from: the Modality LUT Sequence; else Rescale Slope and
    Intercept from the frame's Pixel Value Transformation Sequence (Per-frame or
    Shared Functional Groups of enhanced objects), else from the top level.

    Output dtype (pydicom always returns ``float64`` for a rescale):

    * Modality LUT Sequence: ``uint8`` when the LUT entries have 8 bits or fewer, else
      ``uint16`` (as pydicom).
    * Integral slope and intercept on integer pixels: the smallest integer type that
      holds every rescaled stored value (e.g. ``int16`` for 12-bit CT with intercept
      -1024, ``int32`` for 16-bit signed) -- exact.
    * Otherwise: ``float32`` for integer pixels of up to 16 bits (and for ``float32``
      input), ``float64`` for wider ones; each frame is computed in ``float64`` and
      rounded once, so the result is pydicom's rounded to ``float32`` (relative
      difference at most 2**-24).
    * *dtype* overrides the choice, e.g. ``dtype=np.float64`` for pydicom's type.
    * Neither module present: *arr* is returned unchanged.

    :param arr: stored values, one frame or ``(frames, rows, cols)``.
    :param ds: a pydicom ``Dataset`` or a ``dict`` of keywords.
    :param frame: when *arr* is one frame of a multi-frame image, its index (selects
        the frame's functional group); by default a leading axis of Number of Frames
        length is taken as the frames.
    :param dtype: the output dtype, overriding the rules above.

    >>> from dicom_pixels.processing import apply_modality_lut
    >>> import numpy as np
    >>> apply_modality_lut(np.array([0, 1024, 2048], np.uint16),
    ...                    {"RescaleSlope": 1, "RescaleIntercept": -1024, "BitsStored": 12})
    array([-1024,     0,  1024], dtype=int16)
    >>> apply_modality_lut(np.array([0, 3], np.uint16), {"RescaleSlope": 0.5, "RescaleIntercept": 0})
    array([0. , 1.5], dtype=float32)
    """
    _check_image_arguments(arr, ds, frame, "apply_modality_lut")
    frames, stacked = _frames_of(arr, ds, frame)
    lut_items = _get(ds, "ModalityLUTSequence")
    if lut_items:
        table, first_map, _ = _lut_table(lut_items[0], ds, "Modality LUT Sequence")
        out = np.empty(arr.shape, dtype=dtype or table.dtype)
        for _, source, target in _per_frame(arr, out):
            _apply_table(source, table, first_map, target)
        return out

    params = [_rescale(ds, f) for f in frames]
    if all(p is None for p in params):
        return arr
    slopes_intercepts = [p or (1.0, 0.0) for p in params]
    out_dtype = np.dtype(dtype) if dtype is not None else _rescale_dtype(arr, ds, slopes_intercepts)
    out = np.empty(arr.shape, dtype=out_dtype)
    for position, source, target in _per_frame(arr, out):
        slope, intercept = slopes_intercepts[position if stacked else 0]
        if out_dtype.kind in "iu":
            exact = source.astype(np.int64)
            if slope != 1:
                exact *= int(slope)
            exact += int(intercept)
            target[...] = exact
        else:
            work = source.astype(np.float64)
            work *= slope
            work += intercept
            target[...] = work
    return out


#: pydicom's name for :func:`apply_modality_lut`.
apply_rescale = apply_modality_lut


def _rescale(ds: Any, frame: int) -> tuple[float, float] | None:
    item = _functional_item(ds, frame, "PixelValueTransformationSequence")
    for source in (item, ds):
        slope, intercept = _get(source, "RescaleSlope"), _get(source, "RescaleIntercept")
        if slope is not None or intercept is not None:
            return float(1.0 if slope is None else slope), float(0.0 if intercept is None else intercept)
    return None


def _rescale_dtype(arr: np.ndarray, ds: Any, params: list[tuple[float, float]]) -> np.dtype:
    if arr.dtype.kind in "iu" and all(s.is_integer() and i.is_integer() for s, i in params):
        lo, hi = _stored_range(arr, ds)
        ends = [v * s + i for s, i in params for v in (lo, hi)]
        found = _smallest_int_dtype(min(ends), max(ends))
        if found is not None:
            return found
    if arr.dtype == np.float32 or (arr.dtype.kind in "iub" and arr.dtype.itemsize <= 2):
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def _frame_views(arr: np.ndarray) -> np.ndarray:
    """*arr* as a stack of 2-D frames (a view when contiguous): the unit of work here."""
    if arr.ndim > 2:
        return arr.reshape(-1, *arr.shape[-2:])
    return arr.reshape(1, *arr.shape)


def _per_frame(arr: np.ndarray, out: np.ndarray) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """(position, input frame, output frame) for every frame of *arr* and *out*."""
    for position, (source, target) in enumerate(zip(_frame_views(arr), _frame_views(out))):
        yield position, source, target


# -- VOI LUT (PS3.3 C.11.2, C.8.11.3.1.5) ----------------------------------------------------


@checked_signature
def apply_voi_lut(
    arr: np.ndarray, ds: Any, index: int = 0, prefer_lut: bool = True, *, frame: int | None = None,
    dtype: Any = None,
) -> np.ndarray:
    """Apply the VOI LUT Sequence or the window (Window Center/Width), whichever is present.

    :param arr: the output of :func:`apply_modality_lut` (or stored values when there is
        no Modality LUT module).
    :param ds: a pydicom ``Dataset`` or a ``dict`` of keywords.
    :param index: which of several LUTs or windows to apply.
    :param prefer_lut: when both are present, apply the LUT (``True``, default) or the window.
    :param frame: as for :func:`apply_modality_lut` (Frame VOI LUT Sequence of enhanced objects).
    :param dtype: output dtype of windowing (see :func:`apply_windowing`).
    :returns: as :func:`apply_voi` or :func:`apply_windowing`; *arr* unchanged when neither applies.

    >>> from dicom_pixels.processing import apply_voi_lut
    >>> import numpy as np, dicom_pixels as dp
    >>> ds = {"PhotometricInterpretation": "MONOCHROME2", "BitsStored": 8, "PixelRepresentation": 0,
    ...       "WindowCenter": 128, "WindowWidth": 100}
    >>> dp.processing.apply_voi_lut(np.array([0, 128, 255], np.uint8), ds)
    array([  0.     , 128.78787, 255.     ], dtype=float32)
    """
    _check_image_arguments(arr, ds, frame, "apply_voi_lut", index)
    items = _get(ds, "VOILUTSequence")
    has_lut = bool(items) and _get(items[0], "LUTDescriptor") is not None and _get(items[0], "LUTData") is not None
    has_window = _window(ds, 0 if frame is None else frame, index, check=False) is not None
    if has_lut and (prefer_lut or not has_window):
        return _apply_voi(arr, ds, index, "apply_voi_lut")
    if has_window:
        return _apply_windowing(arr, ds, index, frame, dtype, "apply_voi_lut")
    return arr


@checked_signature
def apply_voi(arr: np.ndarray, ds: Any, index: int = 0) -> np.ndarray:
    """Apply the VOI LUT Sequence item *index* (PS3.3 C.11.2.1.1).

    :returns: ``uint8`` when the LUT entries have 8 bits or fewer, else ``uint16`` (as
        pydicom); *arr* unchanged without a VOI LUT Sequence. Float input is truncated
        toward zero to find the entry, as in pydicom.

    >>> from dicom_pixels.processing import apply_voi
    >>> import numpy as np
    >>> lut = {"LUTDescriptor": [4, 10, 8], "LUTData": [0, 50, 100, 200]}
    >>> apply_voi(np.array([5, 11, 12, 99], np.int16), {"VOILUTSequence": [lut]})
    array([  0,  50, 100, 200], dtype=uint8)
    """
    _check_image_arguments(arr, ds, None, "apply_voi", index)
    return _apply_voi(arr, ds, index, "apply_voi")


def _apply_voi(arr: np.ndarray, ds: Any, index: int, function: str) -> np.ndarray:
    items = _get(ds, "VOILUTSequence")
    if not items:
        return arr
    check_index(index, "index", function, len(items), "items in the VOI LUT Sequence")
    table, first_map, _ = _lut_table(items[index], ds, "VOI LUT Sequence")
    out = np.empty(arr.shape, dtype=table.dtype)
    for _, source, target in _per_frame(arr, out):
        _apply_table(source, table, first_map, target)
    return out


def _window(
    ds: Any, frame: int, index: int, *, check: bool = True, function: str = "apply_windowing"
) -> tuple[float, float, str] | None:
    item = _functional_item(ds, frame, "FrameVOILUTSequence")
    source = item if item is not None and _get(item, "WindowCenter") is not None else ds
    centers, widths = _values(_get(source, "WindowCenter")), _values(_get(source, "WindowWidth"))
    if not centers or not widths:
        return None
    if not check:
        return 0.0, 1.0, "LINEAR"
    check_index(index, "index", function, min(len(centers), len(widths)), "windows (Window Center/Width values)")
    functions = _values(_get(source, "VOILUTFunction")) or ["LINEAR"]
    function = str(functions[min(index, len(functions) - 1)]).strip().upper() or "LINEAR"
    return float(centers[index]), float(widths[index]), function


@checked_signature
def apply_windowing(
    arr: np.ndarray, ds: Any, index: int = 0, *, frame: int | None = None, dtype: Any = None
) -> np.ndarray:
    """Apply Window Center/Width with the VOI LUT Function (PS3.3 C.11.2.1.2, C.11.2.1.3).

    ``LINEAR`` (the default), ``LINEAR_EXACT`` and ``SIGMOID``; the output spans the
    range of the input: the stored-value range (Bits Stored, Pixel Representation, or the
    Modality LUT's bit depth) mapped through Rescale Slope/Intercept, as pydicom does.
    Enhanced objects: the window of the frame's Frame VOI LUT Sequence.

    :param index: which of several windows (multi-valued Window Center/Width).
    :param frame: as for :func:`apply_modality_lut`.
    :param dtype: output dtype; default ``float32`` (pydicom: ``float64``), computed frame
        by frame in ``float64`` and rounded once.
    :returns: *arr* unchanged without a window.
    :raises InvalidPixelDescriptionError: not MONOCHROME1/2, a bad width or an unknown function.

    >>> from dicom_pixels.processing import apply_windowing
    >>> import numpy as np
    >>> ds = {"PhotometricInterpretation": "MONOCHROME2", "BitsStored": 12, "PixelRepresentation": 0,
    ...       "RescaleSlope": 1, "RescaleIntercept": -1024,
    ...       "WindowCenter": [40, 300], "WindowWidth": [400, 1500], "VOILUTFunction": "LINEAR_EXACT"}
    >>> apply_windowing(np.array([-1000., 40., 1000.]), ds, index=0)
    array([-1024. ,  1023.5,  3071. ], dtype=float32)
    """
    _check_image_arguments(arr, ds, frame, "apply_windowing", index)
    return _apply_windowing(arr, ds, index, frame, dtype, "apply_windowing")


def _apply_windowing(
    arr: np.ndarray, ds: Any, index: int, frame: int | None, dtype: Any, function: str
) -> np.ndarray:
    frames, stacked = _frames_of(arr, ds, frame)
    if _window(ds, frames[0], index, check=False) is None:
        return arr
    pi = _get(ds, "PhotometricInterpretation")
    if pi is not None and str(pi).strip() not in ("MONOCHROME1", "MONOCHROME2"):
        raise InvalidPixelDescriptionError(
            "Windowing needs a (0028,0004) Photometric Interpretation of MONOCHROME1 or "
            f"MONOCHROME2, not '{pi}'"
        )
    out = np.empty(arr.shape, dtype=np.dtype(dtype) if dtype is not None else np.float32)
    for position, source, target in _per_frame(arr, out):
        number = frames[position] if stacked else frames[0]
        center, width, voi_function = _window(ds, number, index, function=function)  # type: ignore[misc]
        y_min, y_max = _output_range(arr, ds, number)
        _window_frame(source, target, center, width, voi_function, y_min, y_max)
    return out


def _output_range(arr: np.ndarray, ds: Any, frame: int) -> tuple[float, float]:
    lut_items = _get(ds, "ModalityLUTSequence")
    if lut_items:
        depth = int(_values(_get(lut_items[0], "LUTDescriptor"))[2])
        return 0.0, float(2**depth - 1)  # PS3.3 C.11.1.1.1: Modality LUT output is unsigned
    bits = _get(ds, "BitsStored")
    if bits is not None:
        bits = int(bits)
        if int(_get(ds, "PixelRepresentation", 0) or 0):
            y_min, y_max = -(2.0 ** (bits - 1)), 2.0 ** (bits - 1) - 1
        else:
            y_min, y_max = 0.0, 2.0**bits - 1
    else:
        lo, hi = _stored_range(arr, ds) if arr.dtype.kind in "iu" else (0, 255)
        y_min, y_max = float(lo), float(hi)
    rescale = _rescale(ds, frame)
    if rescale is not None:
        slope, intercept = rescale
        y_min, y_max = y_min * slope + intercept, y_max * slope + intercept
    return y_min, y_max


def _window_frame(
    source: np.ndarray, target: np.ndarray, center: float, width: float, function: str,
    y_min: float, y_max: float,
) -> None:
    x = source.astype(np.float64)
    y_range = y_max - y_min
    if function in ("LINEAR", "LINEAR_EXACT"):
        if function == "LINEAR":
            # C.11.2.1.2.1: the centre and width are shifted by 0.5 and 1.
            if width < 1:
                raise InvalidPixelDescriptionError("Window Width must be at least 1 for LINEAR windowing")
            center, width = center - 0.5, width - 1
        elif width <= 0:
            raise InvalidPixelDescriptionError("Window Width must be above 0 for LINEAR_EXACT windowing")
        below = x <= center - width / 2
        above = x > center + width / 2
        if width > 0:
            x -= center
            x /= width
            x += 0.5
            x *= y_range
            x += y_min
        x[below] = y_min
        x[above] = y_max
    elif function == "SIGMOID":
        # C.11.2.1.3.1
        if width <= 0:
            raise InvalidPixelDescriptionError("Window Width must be above 0 for SIGMOID windowing")
        x -= center
        x *= -4 / width
        np.exp(x, out=x)
        x += 1
        np.divide(y_range, x, out=x)
        x += y_min
    else:
        raise InvalidPixelDescriptionError(
            f"Unsupported (0028,1056) VOI LUT Function '{function}': LINEAR, LINEAR_EXACT or SIGMOID"
        )
    target[...] = x


# -- Presentation LUT (PS3.3 C.11.4, C.11.6) -------------------------------------------------


@checked_signature
def apply_presentation_lut(arr: np.ndarray, ds: Any) -> np.ndarray:
    """Apply the Presentation LUT Sequence or Presentation LUT Shape; return P-values.

    * Presentation LUT Sequence: *arr* is scaled linearly from its own minimum and
      maximum onto the LUT's entries (as pydicom), output ``uint8``/``uint16`` by the
      LUT's bits per entry.
    * Presentation LUT Shape ``INVERSE``: ``arr.max() - arr``, same dtype as *arr*;
      ``IDENTITY`` or neither present: *arr* unchanged.

    >>> from dicom_pixels.processing import apply_presentation_lut
    >>> import numpy as np
    >>> apply_presentation_lut(np.array([0, 10, 20], np.uint8), {"PresentationLUTShape": "INVERSE"})
    array([20, 10,  0], dtype=uint8)
    """
    check_array(arr, "arr", "apply_presentation_lut")
    check_dataset(ds, "ds", "apply_presentation_lut")
    items = _get(ds, "PresentationLUTSequence")
    if items:
        table, _, _ = _lut_table(items[0], ds, "Presentation LUT Sequence")
        lo, hi = np.float32(arr.min()), np.float32(arr.max())
        scale = (hi - lo) / np.float32(table.size - 1) if hi > lo else np.float32(1)
        out = np.empty(arr.shape, dtype=table.dtype)
        for _, source, target in _per_frame(arr, out):
            work = source.astype(np.float32)
            work -= lo
            work /= scale
            np.take(table, work.astype(np.uint16), out=target)
        return out
    shape = _get(ds, "PresentationLUTShape")
    if shape is None:
        return arr
    shape = str(shape).strip().upper()
    if shape == "INVERSE":
        return arr.max() - arr
    if shape != "IDENTITY":
        raise InvalidPixelDescriptionError(
            f"A (2050,0020) Presentation LUT Shape of '{shape}' is not supported (IDENTITY, INVERSE)"
        )
    return arr


# -- Palettes (PS3.3 C.7.6.3.1.5, C.7.9; PS3.6 Annex B) --------------------------------------


@checked_signature
def apply_color_lut(arr: np.ndarray, ds: Any = None, palette: str | None = None) -> np.ndarray:
    """Map stored values through a Palette Color Lookup Table to RGB (or RGBA with alpha).

    :param arr: stored values, any shape; values below the first mapped value take the
        first entry, values past the end the last (PS3.3 C.7.6.3.1.5).
    :param ds: a pydicom ``Dataset`` or ``dict`` with the Palette Color Lookup Table module:
        normal (Red/Green/Blue[/Alpha] Palette Color Lookup Table Data) or segmented
        (Segmented ... Data, PS3.3 C.7.9.2) palettes, 8 or 16 bits per entry.
    :param palette: instead of *ds*, a well-known palette (PS3.6 Annex B) by name
        (``"HOT_IRON"``, ``"PET"``, ``"HOT_METAL_BLUE"``, ``"PET_20_STEP"``, ``"SPRING"``,
        ``"SUMMER"``, ``"FALL"``, ``"WINTER"``) or SOP Instance UID.
    :returns: shape ``arr.shape + (3,)`` (or ``(4,)`` with an alpha table); ``uint8`` for
        8-bit entries, ``uint16`` for 16-bit ones (as pydicom).

    >>> from dicom_pixels.processing import apply_color_lut
    >>> import numpy as np
    >>> apply_color_lut(np.array([0, 128, 255], np.uint8), palette="HOT_IRON")
    array([[  0,   0,   0],
           [255,   0,   0],
           [255, 255, 255]], dtype=uint8)
    """
    check_array(arr, "arr", "apply_color_lut")
    if ds is not None:
        check_dataset(ds, "ds", "apply_color_lut")
    if palette is not None:
        check_text(palette, "palette", "apply_color_lut")
    if ds is None and not palette:
        raise InvalidArgumentError("apply_color_lut(): either 'ds' or 'palette' is required")
    if palette:
        from .palettes import load_palette

        tables: list[np.ndarray] = list(load_palette(palette))
        first_map = 0
    else:
        tables, first_map = _palette_tables(ds)
    out = np.empty((*arr.shape, len(tables)), dtype=tables[0].dtype)
    frames = _frame_views(arr)
    out_frames = out.reshape(*frames.shape, len(tables))
    index = np.empty(frames.shape[1:], dtype=np.intp)
    for source, target in zip(frames, out_frames):
        index[...] = source
        index -= first_map
        np.clip(index, 0, tables[0].size - 1, out=index)
        for channel, table in enumerate(tables):
            target[..., channel] = table[index]
    return out


def _palette_tables(ds: Any) -> tuple[list[np.ndarray], int]:
    if str(_get(ds, "PixelPresentation", "")).strip() in ("MIXED", "COLOR"):
        raise InvalidPixelDescriptionError(
            "The Supplemental Palette Color LUT module (Pixel Presentation MIXED/COLOR) is not supported"
        )
    descriptor = _values(_get(ds, "RedPaletteColorLookupTableDescriptor"))
    if len(descriptor) != 3:
        raise InvalidPixelDescriptionError("No Palette Color Lookup Table module found (no Red Descriptor)")
    entries = int(descriptor[0]) or 2**16  # PS3.3 C.7.6.3.1.5: 0 means 65536
    first_map, bits = int(descriptor[1]), int(descriptor[2])
    little = _little_endian(ds)
    colours = ("Red", "Green", "Blue", "Alpha")
    tables: list[np.ndarray] = []
    if _get(ds, "RedPaletteColorLookupTableData") is not None:
        for colour in colours:
            data = _get(ds, f"{colour}PaletteColorLookupTableData")
            if data is None:
                continue
            raw = bytes(data)
            # C.7.6.3.1.6: 8-bit entries are stored one per byte, 16-bit ones one per word.
            depth = 8 if len(raw) in (entries, entries + 1) else 16
            tables.append(np.frombuffer(raw, "u1" if depth == 8 else ("<u2" if little else ">u2"))[:entries])
    elif _get(ds, "SegmentedRedPaletteColorLookupTableData") is not None:
        for colour in colours:
            data = _get(ds, f"Segmented{colour}PaletteColorLookupTableData")
            if data is not None:
                tables.append(expand_segmented_lut(data, bits=bits, little_endian=little))
    else:
        raise InvalidPixelDescriptionError("No Palette Color Lookup Table Data or Segmented Data found")
    if len({t.size for t in tables}) != 1 or len({t.dtype.itemsize for t in tables}) != 1:
        raise InvalidPixelDescriptionError("The palette's Red, Green, Blue (and Alpha) tables differ in length or depth")
    return [t.astype(t.dtype.newbyteorder("=")) for t in tables], first_map


# -- ICC profiles (PS3.3 C.11.15) ------------------------------------------------------------

_CMS_COLOR_SPACES = {"SRGB": "sRGB", "LAB": "LAB", "XYZ": "XYZ"}


def _image_cms() -> Any:
    try:
        from PIL import ImageCms
    except ImportError as exc:
        raise ImportError(
            "Applying an ICC profile needs Pillow with ImageCms: pip install pillow"
        ) from exc
    return ImageCms


@checked_signature
def create_icc_transform(
    ds: Any = None, icc_profile: bytes = b"", intent: int | None = None, color_space: str | None = None
) -> Any:
    """Return a Pillow ``ImageCmsTransform`` from the ICC Profile of *ds* or from *icc_profile*.

    :param ds: a pydicom ``Dataset`` or ``dict`` with ICC Profile (and optionally Color Space).
    :param icc_profile: the profile bytes, instead of *ds*.
    :param intent: 0 perceptual, 1 relative colorimetric, 2 saturation, 3 absolute
        colorimetric; default: the profile's own.
    :param color_space: output space (``"sRGB"``, ``"LAB"``, ``"XYZ"``); default Color
        Space of *ds*, else sRGB.
    :raises ImportError: Pillow is not installed (the message says how to install it).

    >>> import numpy as np
    >>> from dicom_pixels.processing import create_icc_transform
    >>> from PIL import ImageCms
    >>> srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    >>> type(create_icc_transform(icc_profile=srgb)).__name__
    'ImageCmsTransform'
    """
    function = "create_icc_transform"
    if ds is not None:
        check_dataset(ds, "ds", function)
    check_bytes(icc_profile, "icc_profile", function)
    if intent is not None:
        check_integer(intent, "intent", function, minimum=0, maximum=3)
    if color_space is not None:
        check_text(color_space, "color_space", function)
    image_cms = _image_cms()
    if ds is None and not icc_profile:
        raise InvalidArgumentError(f"{function}(): either 'ds' or 'icc_profile' must be supplied")
    if ds is not None and icc_profile:
        raise InvalidArgumentError(f"Only one of 'ds' and 'icc_profile' may be passed to {function}(), not both")
    profile_bytes = _get(ds, "ICCProfile") if ds is not None else icc_profile
    if not profile_bytes:
        raise InvalidPixelDescriptionError("No (0028,2000) ICC Profile element was found in 'ds'")
    space = color_space or _get(ds, "ColorSpace") or "sRGB"
    if str(space).strip().upper() not in _CMS_COLOR_SPACES:
        raise InvalidArgumentError(f"{function}(): unsupported colour space '{space}': use 'sRGB', 'LAB' or 'XYZ'")
    import io

    profile = image_cms.ImageCmsProfile(io.BytesIO(bytes(profile_bytes)))
    chosen = image_cms.getDefaultIntent(profile) if intent is None else intent
    if chosen not in (0, 1, 2, 3):
        raise InvalidPixelDescriptionError(f"The ICC profile's default intent '{chosen}' is not 0, 1, 2 or 3")
    return image_cms.buildTransform(
        profile, image_cms.createProfile(_CMS_COLOR_SPACES[str(space).strip().upper()]), "RGB", "RGB",
        renderingIntent=image_cms.Intent(chosen),
    )


@checked_signature
def apply_icc_profile(
    arr: np.ndarray, ds: Any = None, transform: Any = None, intent: int | None = None,
    color_space: str | None = None,
) -> np.ndarray:
    """Apply an ICC profile (of *ds*, or a *transform* from :func:`create_icc_transform`).

    :param arr: 8-bit RGB, ``(rows, cols, 3)`` or ``(frames, rows, cols, 3)``; converted in
        place frame by frame (``uint8`` in, ``uint8`` out).
    :raises ImportError: Pillow is not installed.

    >>> from dicom_pixels.processing import apply_icc_profile
    >>> import numpy as np
    >>> from PIL import ImageCms
    >>> srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    >>> rgb = np.full((2, 2, 3), 200, np.uint8)
    >>> apply_icc_profile(rgb, {"ICCProfile": srgb})[0, 0]
    array([200, 200, 200], dtype=uint8)
    """
    function = "apply_icc_profile"
    check_array(arr, "arr", function)
    if ds is not None:
        check_dataset(ds, "ds", function)
    if ds is None and transform is None:
        raise InvalidArgumentError(f"{function}(): either 'ds' or 'transform' must be supplied")
    if ds is not None and transform is not None:
        raise InvalidArgumentError(f"Only one of 'ds' and 'transform' may be passed to {function}(), not both")
    if arr.ndim not in (3, 4) or arr.shape[-1] != 3 or arr.dtype != np.uint8:
        raise InvalidArgumentError(
            f"{function}(): 'arr' must be uint8 RGB shaped (rows, columns, 3) or (frames, rows, columns, 3), "
            f"not {arr.dtype} {arr.shape}"
        )
    image_cms = _image_cms()
    from PIL import Image

    if transform is None:
        transform = create_icc_transform(ds=ds, intent=intent, color_space=color_space)
    for frame in arr.reshape(-1, *arr.shape[-3:]):
        image = Image.fromarray(np.ascontiguousarray(frame))
        image_cms.applyTransform(image, transform, inPlace=True)
        frame[...] = np.asarray(image)
    return arr


# -- 1-bit data (PS3.5 8.1.1, Annex D) -------------------------------------------------------


@checked_signature
def pack_bits(arr: np.ndarray, pad: bool = True) -> bytes:
    """Pack a binary array (0s and 1s) for Bits Allocated 1: first pixel in the lowest bit.

    :param pad: add a NUL byte to reach an even length (PS3.5 7.1.1).
    :raises ValueError: *arr* holds values other than 0 and 1.

    >>> import numpy as np
    >>> from dicom_pixels.processing import pack_bits
    >>> pack_bits(np.array([1, 0, 0, 0, 0, 0, 0, 0, 1]))
    b'\\x01\\x01'
    """
    if not isinstance(arr, (np.ndarray, list, tuple)):
        check_array(arr, "arr", "pack_bits")
    flat = np.asarray(arr).ravel()
    if flat.size == 0:
        return b""
    if not np.array_equal(flat, flat.astype(bool)):
        raise InvalidArgumentError("pack_bits(): 'arr' must hold only ones and zeroes to be packed")
    packed = np.packbits(flat.astype(np.uint8), bitorder="little").tobytes()
    return packed + b"\x00" if pad and len(packed) % 2 else packed


@checked_signature
def unpack_bits(src: bytes, as_array: bool = True) -> np.ndarray | bytes:
    """Unpack Bits Allocated 1 data: one ``uint8`` 0 or 1 per bit, lowest bit first.

    :returns: a flat ``uint8`` array, or its bytes when *as_array* is ``False``.

    >>> import numpy as np
    >>> from dicom_pixels.processing import unpack_bits
    >>> unpack_bits(b"\\x05")
    array([1, 0, 1, 0, 0, 0, 0, 0], dtype=uint8)
    """
    check_bytes(src, "src", "unpack_bits")
    bits = np.unpackbits(np.frombuffer(src, dtype=np.uint8), bitorder="little")
    return bits if as_array else bits.tobytes()
