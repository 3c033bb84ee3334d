"""A series of slices as one volume: :func:`read_series` and :class:`Volume`.

Slices come from single-frame files (CT, MR: one file per slice) or from the
frames of an Enhanced multi-frame file, whose per-frame functional groups give
each frame its position, orientation and rescale (PS3.3 C.7.6.16). Headers are
read with the core reader (only the tags needed here), never with pydicom.

Slices are ordered along the normal of the image plane, the cross product of
the row and column direction cosines of Image Orientation (Patient), by the
projection of Image Position (Patient) on it (PS3.3 C.7.6.2.1.1).

>>> import dicom_pixels as dp
>>> from pydicom.data import get_testdata_file    # a CT slice shipped with pydicom
>>> volume = dp.read_series([get_testdata_file("CT_small.dcm")])
>>> volume.array.shape, volume.spacing[1:]
((1, 128, 128), (0.661468, 0.661468))
"""

from __future__ import annotations

import itertools
import os
import statistics
import struct
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .api import pixel_array
from .decoder import output_dtype, run_in_threads
from .errors import (
    DuplicatePositionError,
    InconsistentOrientationError,
    InconsistentShapeError,
    InvalidDicomError,
    MissingGeometryError,
    MixedSeriesError,
    SeriesError,
    SliceGapError,
    TruncatedDataError,
)
from .reader import MAX_SEQUENCE_DEPTH, Element, format_tag, read_dicom
from .source import ElementSource, open_source

__all__ = ["SERIES_TAGS", "SeriesLayout", "Slice", "Volume", "decode_slices", "plan_series", "read_series"]

_SOP_INSTANCE_UID = 0x00080018
_SLICE_THICKNESS = 0x00180050
_SPACING_BETWEEN_SLICES = 0x00180088
_SERIES_INSTANCE_UID = 0x0020000E
_INSTANCE_NUMBER = 0x00200013
_IMAGE_POSITION = 0x00200032
_IMAGE_ORIENTATION = 0x00200037
_PLANE_POSITION_SEQUENCE = 0x00209113
_PLANE_ORIENTATION_SEQUENCE = 0x00209116
_PIXEL_SPACING = 0x00280030
_RESCALE_INTERCEPT = 0x00281052
_RESCALE_SLOPE = 0x00281053
_PIXEL_MEASURES_SEQUENCE = 0x00289110
_PIXEL_VALUE_TRANSFORMATION_SEQUENCE = 0x00289145
_SHARED_GROUPS = 0x52009229
_PER_FRAME_GROUPS = 0x52009230

#: The top-level tags a series header pass reads (group 0028 is always read).
SERIES_TAGS: tuple[int, ...] = (
    _SOP_INSTANCE_UID,
    _SLICE_THICKNESS,
    _SPACING_BETWEEN_SLICES,
    _SERIES_INSTANCE_UID,
    _INSTANCE_NUMBER,
    _IMAGE_POSITION,
    _IMAGE_ORIENTATION,
    _SHARED_GROUPS,
    _PER_FRAME_GROUPS,
)
# Inside functional group items: the macros' sequences and the values they hold.
_ITEM_TAGS = (
    _PLANE_POSITION_SEQUENCE,
    _PLANE_ORIENTATION_SEQUENCE,
    _IMAGE_POSITION,
    _IMAGE_ORIENTATION,
    _SLICE_THICKNESS,
    _SPACING_BETWEEN_SLICES,
)

_ITEM = 0xFFFEE000
_ITEM_DELIMITER = 0xFFFEE00D
_SEQUENCE_DELIMITER = 0xFFFEE0DD
_UNDEFINED = 0xFFFFFFFF
# Explicit VR elements whose length field is 4 bytes after 2 reserved ones (PS3.5 7.1.2).
_FOUR_BYTE_LENGTH_VRS = frozenset(
    {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"}
)
# Two directions this close (summed absolute difference of cosines) are the same.
_ORIENTATION_TOLERANCE = 1e-4
# Two slices closer than this along the normal (mm) are at the same position.
_SAME_POSITION_MM = 1e-3


@dataclass(frozen=True)
class Slice:
    """Where one slice of a volume comes from, and what places and rescales it.

    :param path: the file.
    :param frame: the frame of an Enhanced multi-frame file, ``None`` for a single-frame file.
    :param position: Image Position (Patient) (0020,0032), mm: the centre of the first pixel.
    :param distance: the position projected on the slice normal (mm), the sort key.
    :param instance_number: (0020,0013), ``None`` when absent.
    :param sop_instance_uid: (0008,0018).
    :param rescale_slope: (0028,1053), 1 when absent.
    :param rescale_intercept: (0028,1052), 0 when absent.
    """

    path: str
    frame: int | None
    position: tuple[float, float, float]
    distance: float
    instance_number: int | None
    sop_instance_uid: str
    rescale_slope: float
    rescale_intercept: float


@dataclass(frozen=True, eq=False)  # arrays inside: compared by identity
class SeriesLayout:
    """The geometry of a series, known from its headers alone (see :func:`plan_series`).

    Index order is ``(slice, row, column)`` everywhere.

    :param slices: one per slice, in volume order (ascending along the normal).
    :param shape: of the volume array: ``(slices, rows, columns[, samples])``.
    :param dtype: of the volume array (``float32`` when rescaled).
    :param spacing: ``(slice, row, column)`` spacing in mm: the median distance between
        neighbouring slices along the normal, then Pixel Spacing (0028,0030) (its first
        value is the distance between rows, PS3.3 10.7.1.3).
    :param affine: 4 x 4; ``affine @ (slice, row, column, 1)`` is the patient coordinate
        (mm, PS3.3 C.7.6.2.1.1) of that voxel's centre. Its first column is the mean step
        from one slice's position to the next (exact for evenly spaced slices, and right
        for tilted gantries); the next two are the column and row direction cosines times
        the row and column spacings; the last is the first slice's position.
    :param orientation: Image Orientation (Patient): row then column direction cosines.
    :param normal: the unit slice normal, ``row x column``.
    :param series_instance_uid: (0020,000E).
    """

    slices: tuple[Slice, ...]
    shape: tuple[int, ...]
    dtype: np.dtype
    spacing: tuple[float, float, float]
    affine: np.ndarray
    orientation: tuple[float, ...]
    normal: tuple[float, float, float]
    series_instance_uid: str

    @property
    def paths(self) -> list[str]:
        """The files of the slices, in volume order (a multi-frame file once per frame)."""
        return [s.path for s in self.slices]


@dataclass(frozen=True, eq=False)
class Volume(SeriesLayout):
    """A series as one array, with its geometry (see :class:`SeriesLayout`).

    :param array: ``(slices, rows, columns[, samples])``, slices in volume order.
    """

    array: np.ndarray


#: What :func:`read_series` reads: a directory, or files in any order.
PathsOrDir = str | os.PathLike | Iterable[str | os.PathLike]


def read_series(
    paths_or_dir: PathsOrDir,
    *,
    rescale: bool = False,
    series_uid: str | None = None,
    allow_gaps: bool = False,
    gap_tolerance: float = 0.1,
    workers: int | None = None,
    **options: Any,
) -> Volume:
    """Read a series of slices into a :class:`Volume` ordered along the slice normal.

    :param paths_or_dir: the files (any order), or a directory whose files are read (files
        that are not DICOM or hold no pixel data are skipped there). One Enhanced
        multi-frame file gives a volume of its frames.
    :param rescale: return modality values (``slope * stored + intercept`` per slice,
        (0028,1053) and (0028,1052), or per frame from the Pixel Value Transformation
        Sequence (0028,9145)) as ``float32``; otherwise the stored values.
    :param series_uid: the Series Instance UID to read when the input holds several.
    :param allow_gaps: accept slices whose spacing deviates from the median by more than
        *gap_tolerance* (``spacing[0]`` is then the median, the affine's slice step the mean
        step from the first slice to the last; each slice's own position is in ``slices``).
    :param gap_tolerance: the accepted deviation, as a fraction of the median spacing.
    :param workers: threads decoding files side by side (default: one per core).
    :param options: decoding options, as for :func:`~dicom_pixels.pixel_array`.
    :raises MixedSeriesError: several series and no *series_uid*; the message lists them.
    :raises SeriesError: the slices do not form one volume; the subclass says why
        (``InconsistentOrientationError``, ``InconsistentShapeError``,
        ``DuplicatePositionError``, ``SliceGapError``, ``MissingGeometryError``).

    >>> import dicom_pixels as dp
    >>> from pydicom.data import get_testdata_file
    >>> volume = dp.read_series([get_testdata_file("CT_small.dcm")], rescale=True)
    >>> volume.array.dtype, volume.slices[0].rescale_intercept
    (dtype('float32'), -1024.0)
    """
    layout = plan_series(
        paths_or_dir,
        rescale=rescale,
        series_uid=series_uid,
        allow_gaps=allow_gaps,
        gap_tolerance=gap_tolerance,
        **options,
    )
    array = np.empty(layout.shape, layout.dtype)
    decode_slices(layout.slices, array, rescale=rescale, workers=workers, **options)
    fields = {name: getattr(layout, name) for name in SeriesLayout.__dataclass_fields__}
    return Volume(**fields, array=array)


def plan_series(
    paths_or_dir: PathsOrDir,
    *,
    rescale: bool = False,
    series_uid: str | None = None,
    allow_gaps: bool = False,
    gap_tolerance: float = 0.1,
    header_workers: int | None = None,
    **options: Any,
) -> SeriesLayout:
    """Read the headers of a series (on threads) and return its :class:`SeriesLayout`.

    Nothing is decoded; arguments as for :func:`read_series`. This is the header pass
    of :func:`read_series` and :func:`dicom_pixels.dask.series_to_dask_array`.

    >>> from pydicom.data import get_testdata_file
    >>> layout = plan_series([get_testdata_file("CT_small.dcm")])
    >>> layout.shape, layout.dtype, layout.affine[:3, 3].tolist()
    ((1, 128, 128), dtype('int16'), [-158.135803, -179.035797, -75.699997])
    """
    paths, from_dir = _list_paths(paths_or_dir)
    # Header reads wait on the disk (or network) more than on the GIL: more threads than cores.
    with ThreadPoolExecutor(max_workers=header_workers or max(1, min(32, len(paths)))) as pool:
        found = list(pool.map(lambda path: _read_header(path, from_dir, options), paths))
    headers = [h for h in found if h is not None]
    if not headers:
        raise SeriesError(f"There are no DICOM image files in {os.fspath(paths_or_dir)!r}")  # type: ignore[arg-type]
    headers = _one_series(headers, series_uid)
    return _layout(headers, rescale=rescale, allow_gaps=allow_gaps, gap_tolerance=gap_tolerance)


def decode_slices(
    slices: Sequence[Slice],
    out: np.ndarray,
    *,
    rescale: bool = False,
    workers: int | None = None,
    **options: Any,
) -> np.ndarray:
    """Decode *slices* into *out* (``(len(slices), rows, columns[, samples])``), in order.

    Consecutive frames of one multi-frame file are decoded in one call (frames in
    parallel); single-frame files are decoded side by side on *workers* threads.
    With *rescale*, *out* is ``float32`` and each slice is rescaled with its own slope
    and intercept.

    >>> import numpy as np, dicom_pixels as dp
    >>> from pydicom.data import get_testdata_file
    >>> layout = plan_series([get_testdata_file("CT_small.dcm")])
    >>> out = decode_slices(layout.slices, np.empty(layout.shape, layout.dtype))
    >>> bool((out[0] == dp.pixel_array(get_testdata_file("CT_small.dcm"))).all())
    True
    """
    runs: list[tuple[int, int]] = []  # [start, stop) of slices from one file, in order
    for position, item in enumerate(slices):
        if runs and item.frame is not None and slices[runs[-1][0]].path == item.path:
            runs[-1] = (runs[-1][0], position + 1)
        else:
            runs.append((position, position + 1))

    def decode_run(run: int) -> None:
        start, stop = runs[run]
        members = slices[start:stop]
        frames = [0 if item.frame is None else item.frame for item in members]
        # One run (a multi-frame file): its frames are decoded in parallel by the decoder.
        threads = workers if len(runs) == 1 else 1
        if rescale:
            stored = pixel_array(members[0].path, indices=frames, workers=threads, **options)
            _rescale_into(out[start:stop], stored, members)
        else:
            # Straight into the volume, no copy: the frames are its consecutive slices.
            pixel_array(members[0].path, indices=frames, out=out[start:stop], workers=threads, **options)

    if len(runs) == 1:
        decode_run(0)
    else:
        run_in_threads(decode_run, len(runs), min(workers or os.cpu_count() or 1, len(runs)))
    return out


def _rescale_into(out: np.ndarray, stored: np.ndarray, slices: Sequence[Slice]) -> None:
    """Modality values in float32, slice by slice (no float64 volume): PS3.3 C.11.1.1.2."""
    for position, item in enumerate(slices):
        target = out[position]
        np.copyto(target, stored[position], casting="unsafe")
        target *= np.float32(item.rescale_slope)
        target += np.float32(item.rescale_intercept)


# -- reading headers -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _FrameGeometry:
    frame: int | None
    position: tuple[float, ...] | None
    orientation: tuple[float, ...] | None
    pixel_spacing: tuple[float, ...] | None
    slice_spacing: float | None  # Spacing Between Slices, else Slice Thickness
    slope: float
    intercept: float


@dataclass(frozen=True)
class _Header:
    path: str
    series_uid: str
    sop_instance_uid: str
    instance_number: int | None
    frame_shape: tuple[int, ...]
    dtype: np.dtype
    frames: tuple[_FrameGeometry, ...]


def _list_paths(paths_or_dir: Any) -> tuple[list[str], bool]:
    if isinstance(paths_or_dir, (str, os.PathLike)):
        root = Path(paths_or_dir)
        if root.is_dir():
            return sorted(str(p) for p in root.iterdir() if p.is_file()), True
        return [os.fspath(root)], False
    paths = [os.fspath(p) for p in paths_or_dir]
    if not paths:
        raise SeriesError("read_series() was given no files: pass paths or a directory")
    return paths, False


def _read_header(path: str, from_dir: bool, options: dict[str, Any]) -> _Header | None:
    try:
        source = open_source(path, specific_tags=SERIES_TAGS, **options)
    except TruncatedDataError:
        raise
    except InvalidDicomError:
        if from_dir:
            return None  # not DICOM, or no pixel data (a DICOMDIR): not a slice
        raise
    with source:
        dicom = source.dicom if isinstance(source, ElementSource) else None
        if dicom is None:  # open_source gives a file's source for a path or URL
            raise InvalidDicomError(f"{path} was not read as a DICOM file: pass the paths of files")
        elements = dicom.elements
        image = source.image
        frame_count = source.frame_count if image.number_of_frames > 1 else 1
        ts = dicom.transfer_syntax
        shared = elements.get(_SHARED_GROUPS)
        per_frame = elements.get(_PER_FRAME_GROUPS)
        top = _values(elements)
        if per_frame is not None:
            frames = _enhanced_frames(path, top, shared, per_frame, frame_count, ts.implicit_vr)
        elif frame_count > 1:
            raise MissingGeometryError(
                f"{path} holds {frame_count} frames but no Per-frame Functional Groups Sequence "
                f"(5200,9230): the position of each frame is unknown, so it is not a volume here; "
                "decode it with dicom_pixels.pixel_array"
            )
        else:
            frames = (_geometry(None, top),)
        return _Header(
            path=path,
            series_uid=str(top.get(_SERIES_INSTANCE_UID) or ""),
            sop_instance_uid=str(top.get(_SOP_INSTANCE_UID) or ""),
            instance_number=top.get(_INSTANCE_NUMBER),
            frame_shape=image.frame_shape,
            dtype=output_dtype(image),
            frames=frames,
        )


def _values(elements: dict[int, Element]) -> dict[int, Any]:
    return {tag: el.value for tag, el in elements.items() if el.vr != "SQ"}


def _floats(value: Any, count: int) -> tuple[float, ...] | None:
    values = value if isinstance(value, list) else [value]
    if len(values) != count or any(v is None for v in values):
        return None
    return tuple(float(v) for v in values)


def _geometry(frame: int | None, values: dict[int, Any]) -> _FrameGeometry:
    spacing = values.get(_SPACING_BETWEEN_SLICES) or values.get(_SLICE_THICKNESS)
    slope = values.get(_RESCALE_SLOPE)
    intercept = values.get(_RESCALE_INTERCEPT)
    return _FrameGeometry(
        frame=frame,
        position=_floats(values.get(_IMAGE_POSITION), 3),
        orientation=_floats(values.get(_IMAGE_ORIENTATION), 6),
        pixel_spacing=_floats(values.get(_PIXEL_SPACING), 2),
        slice_spacing=float(spacing) if isinstance(spacing, (int, float)) else None,
        slope=1.0 if slope is None else float(slope),
        intercept=0.0 if intercept is None else float(intercept),
    )


def _enhanced_frames(
    path: str,
    top: dict[int, Any],
    shared: Element | None,
    per_frame: Element,
    frame_count: int,
    implicit: bool,
) -> tuple[_FrameGeometry, ...]:
    """Each frame's geometry from the functional groups (PS3.3 C.7.6.16): a macro in the
    frame's item of (5200,9230) wins over the same macro in (5200,9229)."""
    shared_values: dict[int, Any] = {}
    if shared is not None:
        shared_items = _items(shared, implicit, path)
        if shared_items:
            shared_values = _functional_group_values(shared_items[0], shared, implicit, path)
    items = _items(per_frame, implicit, path)
    if len(items) < frame_count:
        raise MissingGeometryError(
            f"{path} holds {frame_count} frames but its Per-frame Functional Groups Sequence "
            f"(5200,9230) has {len(items)} items (PS3.3 C.7.6.16: one per frame)"
        )
    frames = []
    for frame in range(frame_count):
        values = {**top, **shared_values, **_functional_group_values(items[frame], per_frame, implicit, path)}
        frames.append(_geometry(frame, values))
    return tuple(frames)


def _functional_group_values(item: bytes, owner: Element, implicit: bool, path: str) -> dict[int, Any]:
    """The values of the macros of one functional group item that place and rescale a frame."""
    values: dict[int, Any] = {}
    elements = _item_elements(item, owner, implicit, path, _ITEM_TAGS)
    for tag in (
        _PLANE_POSITION_SEQUENCE,
        _PLANE_ORIENTATION_SEQUENCE,
        _PIXEL_MEASURES_SEQUENCE,
        _PIXEL_VALUE_TRANSFORMATION_SEQUENCE,
    ):
        sequence = elements.get(tag)
        if sequence is None:
            continue
        macro_items = _items(sequence, implicit, path)
        if macro_items:  # PS3.3: each of these macros' sequences holds exactly one item
            values.update(_values(_item_elements(macro_items[0], sequence, implicit, path, _ITEM_TAGS)))
    return values


def _item_elements(
    item: bytes, owner: Element, implicit: bool, path: str, tags: Iterable[int]
) -> dict[int, Element]:
    """The elements of one item's dataset, read by the core reader (group 0028 is always kept)."""
    if not item:
        return {}
    ts = _item_transfer_syntax(implicit, owner.little_endian)
    try:
        with read_dicom(bytes(item), transfer_syntax_uid=ts, specific_tags=tags) as dataset:
            return dataset.elements
    except InvalidDicomError as exc:
        raise InvalidDicomError(
            f"An item of {format_tag(owner.tag)} at offset {owner.offset} of {path} is not a "
            f"valid dataset: {exc}"
        ) from None


def _item_transfer_syntax(implicit: bool, little: bool) -> str:
    if implicit:
        return "1.2.840.10008.1.2"
    return "1.2.840.10008.1.2.1" if little else "1.2.840.10008.1.2.2"


def _items(sequence: Element, implicit: bool, path: str) -> list[bytes]:
    """Split a sequence's value into the datasets of its items (PS3.5 7.5).

    Items of defined length are cut by their length; items of undefined length end at
    their Item Delimitation Item, found by walking their elements (nested sequences
    included) without decoding them.
    """
    raw = sequence.raw
    little = sequence.little_endian
    walker = _ItemWalker(raw, implicit, little, f"{format_tag(sequence.tag)} of {path}")
    items: list[bytes] = []
    pos = 0
    while pos < len(raw):
        tag, length = walker.tag_and_length(pos)
        if tag == _SEQUENCE_DELIMITER:
            break
        if tag != _ITEM:
            raise walker.error(pos, f"holds {format_tag(tag)} where an item (FFFE,E000) must start")
        start = pos + 8
        if length == _UNDEFINED:
            end = walker.skip_dataset(start, implicit, little, depth=1)
            pos = end + 8
        else:
            end = start + length
            walker.check(end)
            pos = end
        items.append(raw[start:end])
    return items


class _ItemWalker:
    """Finds where undefined-length items end inside a sequence value held in memory."""

    def __init__(self, raw: bytes, implicit: bool, little: bool, what: str) -> None:
        self.raw = raw
        self.what = what
        self.prefix = "<" if little else ">"

    def error(self, pos: int, why: str) -> InvalidDicomError:
        return InvalidDicomError(f"The value of {self.what} {why} (at byte {pos} of the value)")

    def check(self, end: int) -> None:
        if end > len(self.raw):
            raise TruncatedDataError(
                f"The value of {self.what} ends before an item or element it declares "
                f"(needs {end} bytes, holds {len(self.raw)}): the file is truncated or corrupt"
            )

    def tag_and_length(self, pos: int, prefix: str | None = None) -> tuple[int, int]:
        self.check(pos + 8)
        group, element, length = struct.unpack_from(f"{prefix or self.prefix}HHI", self.raw, pos)
        return group << 16 | element, length

    def skip_dataset(self, pos: int, implicit: bool, little: bool, depth: int) -> int:
        """Return where the Item Delimitation Item of the dataset starting at *pos* is."""
        if depth > MAX_SEQUENCE_DEPTH:
            raise self.error(pos, f"nests sequences deeper than {MAX_SEQUENCE_DEPTH} levels")
        prefix = "<" if little else ">"
        while True:
            tag, length = self.tag_and_length(pos, prefix)
            if tag == _ITEM_DELIMITER:
                return pos
            vr = b""
            value = pos + 8
            if not implicit:
                vr = self.raw[pos + 4 : pos + 6]
                if vr in _FOUR_BYTE_LENGTH_VRS:
                    self.check(pos + 12)
                    (length,) = struct.unpack_from(f"{prefix}I", self.raw, pos + 8)
                    value = pos + 12
                else:
                    (length,) = struct.unpack_from(f"{prefix}H", self.raw, pos + 6)
            if length == _UNDEFINED:
                # PS3.5 6.2.2: an undefined-length UN holds Implicit VR Little Endian data.
                inner_implicit, inner_little = (True, True) if vr == b"UN" else (implicit, little)
                pos = self.skip_sequence(value, inner_implicit, inner_little, depth + 1)
            else:
                pos = value + length
                self.check(pos)

    def skip_sequence(self, pos: int, implicit: bool, little: bool, depth: int) -> int:
        """Return the position after the Sequence Delimitation Item of the items at *pos*."""
        prefix = "<" if little else ">"
        while True:
            tag, length = self.tag_and_length(pos, prefix)
            if tag == _SEQUENCE_DELIMITER:
                return pos + 8
            if tag != _ITEM:
                raise self.error(pos, f"holds {format_tag(tag)} where an item (FFFE,E000) must start")
            if length == _UNDEFINED:
                pos = self.skip_dataset(pos + 8, implicit, little, depth) + 8
            else:
                pos = pos + 8 + length
                self.check(pos)


# -- grouping, ordering, checking ------------------------------------------------------------------


def _one_series(headers: list[_Header], series_uid: str | None) -> list[_Header]:
    by_series: dict[str, list[_Header]] = {}
    for header in headers:
        by_series.setdefault(header.series_uid, []).append(header)
    if series_uid is not None:
        if series_uid not in by_series:
            raise MixedSeriesError(
                f"No file belongs to the series {series_uid!r}; the files hold: {_list_series(by_series)}"
            )
        return by_series[series_uid]
    if len(by_series) > 1:
        raise MixedSeriesError(
            f"The files hold {len(by_series)} series: {_list_series(by_series)}. Pass "
            "series_uid= to read one of them"
        )
    return headers


def _list_series(by_series: dict[str, list[_Header]]) -> str:
    return "; ".join(
        f"{uid or '(no Series Instance UID)'}: {len(group)} file{'s' if len(group) != 1 else ''} "
        f"(e.g. {group[0].path})"
        for uid, group in by_series.items()
    )


def _layout(headers: list[_Header], *, rescale: bool, allow_gaps: bool, gap_tolerance: float) -> SeriesLayout:
    first = headers[0]
    for header in headers[1:]:
        if header.frame_shape != first.frame_shape or header.dtype != first.dtype:
            raise InconsistentShapeError(
                f"{header.path} holds {header.frame_shape} {header.dtype} frames but {first.path} "
                f"holds {first.frame_shape} {first.dtype} ones (Rows, Columns, Samples per Pixel, "
                "Bits Allocated, Pixel Representation): they cannot be stacked into one volume"
            )
    placed = [(header, frame) for header in headers for frame in header.frames]
    for header, frame in placed:
        missing = [
            name
            for name, value in (
                ("(0020,0032) Image Position (Patient)", frame.position),
                ("(0020,0037) Image Orientation (Patient)", frame.orientation),
                ("(0028,0030) Pixel Spacing", frame.pixel_spacing),
            )
            if value is None
        ]
        if missing:
            where = header.path if frame.frame is None else f"frame {frame.frame} of {header.path}"
            raise MissingGeometryError(
                f"{where} has no {' or '.join(missing)}: its place in the volume is unknown"
            )
    orientation = np.asarray(placed[0][1].orientation, dtype=float)
    for header, frame in placed[1:]:
        if np.abs(np.asarray(frame.orientation) - orientation).sum() > _ORIENTATION_TOLERANCE:
            where = header.path if frame.frame is None else f"frame {frame.frame} of {header.path}"
            raise InconsistentOrientationError(
                f"{where} has Image Orientation (Patient) {list(frame.orientation or ())} but "
                f"{placed[0][0].path} has {orientation.tolist()}: slices of one volume share one "
                "orientation (read each stack separately)"
            )
    row, column = orientation[:3], orientation[3:]
    # PS3.3 C.7.6.2.1.1: the normal to the image plane is row x column.
    normal = np.cross(row, column)
    normal /= np.linalg.norm(normal)
    distances = [float(np.dot(normal, frame.position)) for _, frame in placed]  # type: ignore[arg-type]
    order = sorted(range(len(placed)), key=lambda k: distances[k])
    for before, after in itertools.pairwise(order):
        if distances[after] - distances[before] < _SAME_POSITION_MM:
            raise DuplicatePositionError(
                f"{_describe(placed[before])} and {_describe(placed[after])} lie at the same "
                f"position along the slice normal ({distances[before]:.3f} mm): remove the "
                "duplicate, or pass series_uid= if they belong to different series"
            )
    steps = [distances[b] - distances[a] for a, b in itertools.pairwise(order)]
    first_frame = placed[order[0]][1]
    slice_spacing = statistics.median(steps) if steps else (first_frame.slice_spacing or 1.0)
    for k, step in enumerate(steps):
        if not allow_gaps and abs(step - slice_spacing) > gap_tolerance * slice_spacing:
            raise SliceGapError(
                f"{_describe(placed[order[k]])} and {_describe(placed[order[k + 1]])} are "
                f"{step:.4g} mm apart along the normal, but the slices are {slice_spacing:.4g} mm "
                f"apart elsewhere (beyond the {gap_tolerance:.0%} tolerance): a slice may be "
                "missing; pass allow_gaps=True to read the volume anyway"
            )
    row_spacing, column_spacing = first_frame.pixel_spacing  # type: ignore[misc]
    origin = np.asarray(first_frame.position, dtype=float)
    if steps:
        last = np.asarray(placed[order[-1]][1].position, dtype=float)
        step_vector = (last - origin) / (len(order) - 1)
    else:
        step_vector = normal * slice_spacing
    affine = np.eye(4)
    affine[:3, 0] = step_vector
    affine[:3, 1] = column * row_spacing  # down a column: the next row (PS3.3 C.7.6.2.1.1)
    affine[:3, 2] = row * column_spacing  # along a row: the next column
    affine[:3, 3] = origin
    slices = tuple(
        Slice(
            path=placed[k][0].path,
            frame=placed[k][1].frame,
            position=tuple(placed[k][1].position),  # type: ignore[arg-type]
            distance=distances[k],
            instance_number=placed[k][0].instance_number,
            sop_instance_uid=placed[k][0].sop_instance_uid,
            rescale_slope=placed[k][1].slope,
            rescale_intercept=placed[k][1].intercept,
        )
        for k in order
    )
    return SeriesLayout(
        slices=slices,
        shape=(len(slices), *first.frame_shape),
        dtype=np.dtype(np.float32) if rescale else first.dtype,
        spacing=(float(slice_spacing), float(row_spacing), float(column_spacing)),
        affine=affine,
        orientation=tuple(orientation.tolist()),
        normal=tuple(normal.tolist()),
        series_instance_uid=first.series_uid,
    )


def _describe(placed: tuple[_Header, _FrameGeometry]) -> str:
    header, frame = placed
    return header.path if frame.frame is None else f"frame {frame.frame} of {header.path}"
