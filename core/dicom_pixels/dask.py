"""Lazy Dask arrays over the frames of a file or the slices of a series.

Install with ``pip install "dicom-pixels[dask]"``. Nothing is decoded until the
array is computed; the graph holds one task per chunk of frames, and each task
opens its file once and decodes its frames straight into the chunk
(:func:`~dicom_pixels.pixel_array` with ``indices=range(a, b)`` and ``out=``).
Tasks carry the path or URL and the options, never an open file, so they
pickle to the processes of a ``distributed`` cluster.

>>> import dask.array
>>> import dicom_pixels as dp
>>> from dicom_pixels.dask import to_dask_array
>>> frames = to_dask_array(dp.examples.get_path("rt_dose"), frames_per_chunk=3)
>>> isinstance(frames, dask.array.Array), frames.shape, frames.chunks[0]
(True, (8, 10, 10), (3, 3, 2))
>>> bool((frames[4:6].compute() == dp.pixel_array(dp.examples.get_path("rt_dose"))[4:6]).all())
True
"""

from __future__ import annotations

import itertools
import os
from typing import Any

import numpy as np

from .api import pixel_array
from .decoder import output_dtype
from .errors import ArgumentTypeError, InvalidArgumentError, MissingDependencyError
from .series import PathsOrDir, Slice, decode_slices, plan_series
from .source import open_source

__all__ = ["CHUNK_BYTES", "series_to_dask_array", "to_dask_array"]

#: The size a chunk aims at when ``frames_per_chunk`` is not given (bytes). Dask's own
#: default ("128MiB") halved: a worker holds a few chunks at once, decoding one, sending
#: another, and the chunk of a 2-core machine must leave room for both.
CHUNK_BYTES = 64 * 1024**2


def _dask_array() -> Any:
    try:
        import dask.array
    except ImportError:
        raise MissingDependencyError(
            'dicom_pixels.dask needs Dask: pip install "dicom-pixels[dask]"'
        ) from None
    return dask.array


def to_dask_array(src: str | os.PathLike[str], frames_per_chunk: int | None = None, **options: Any) -> Any:
    """A lazy ``dask.array.Array`` over the frames of one file (path or URL).

    The shape and dtype come from the header alone (no frame is decoded): shape
    ``(frames, rows, columns[, samples])``, dtype as :func:`~dicom_pixels.pixel_array`
    returns (:func:`~dicom_pixels.decoder.output_dtype`), always with the frame axis.

    :param src: a path or a URL (what :func:`~dicom_pixels.open_source` opens), carried
        as a string in every task.
    :param frames_per_chunk: frames per task; by default as many as fit in
        :data:`CHUNK_BYTES` (at least one).
    :param options: decoding options for :func:`~dicom_pixels.pixel_array` (``as_rgb``,
        overrides, ...); they must pickle to reach worker processes.
    :raises ~dicom_pixels.errors.MissingDependencyError: Dask is not installed.

    >>> import dask.array
    >>> import dicom_pixels as dp
    >>> lazy = to_dask_array(dp.examples.get_path("ybr_color"))   # YBR_FULL_422 JPEG, 4 frames
    >>> lazy.chunksize, isinstance(lazy, dask.array.Array)       # RGB after conversion: 3 samples
    ((4, 120, 160, 3), True)
    """
    _dask_array()  # before reading the file: the missing dependency is the first thing to say
    path = _path_of(src, "to_dask_array")
    with open_source(path, specific_tags=(), **options) as source:
        image = source.image
        count = source.frame_count
        if not options.get("allow_excess_frames", True):
            count = min(count, image.number_of_frames)
        frame_shape, dtype = image.frame_shape, output_dtype(image)
    bounds = _chunk_bounds(count, _per_chunk(frames_per_chunk, frame_shape, dtype))
    args = (path, tuple(bounds), frame_shape, dtype.str, options)
    return _lazy_frames(_read_frames, args, bounds, frame_shape, dtype, "dicom-pixels-frames", [path])


def series_to_dask_array(
    paths_or_dir: PathsOrDir,
    files_per_chunk: int | None = None,
    *,
    rescale: bool = False,
    series_uid: str | None = None,
    allow_gaps: bool = False,
    **options: Any,
) -> Any:
    """A lazy volume over a series, slices ordered as :func:`~dicom_pixels.read_series` orders them.

    One header pass (on threads, see :func:`~dicom_pixels.series.plan_series`) gives the
    shape, dtype and order; then one task per chunk of slices decodes them. Arguments as
    for :func:`~dicom_pixels.read_series`; ``files_per_chunk`` defaults to as many slices
    as fit in :data:`CHUNK_BYTES`. The geometry (spacing, affine, per-slice metadata)
    is that of :func:`~dicom_pixels.series.plan_series` with the same arguments.

    >>> import dask.array
    >>> from pydicom.data import get_testdata_file
    >>> from dicom_pixels.dask import series_to_dask_array
    >>> volume = series_to_dask_array([get_testdata_file("CT_small.dcm")], rescale=True)
    >>> volume.shape, volume.dtype
    ((1, 128, 128), dtype('float32'))
    """
    _dask_array()
    layout = plan_series(
        paths_or_dir, rescale=rescale, series_uid=series_uid, allow_gaps=allow_gaps, **options
    )
    frame_shape = layout.shape[1:]
    bounds = _chunk_bounds(len(layout.slices), _per_chunk(files_per_chunk, frame_shape, layout.dtype))
    chunked = tuple(layout.slices[a:b] for a, b in itertools.pairwise(bounds))
    args = (chunked, frame_shape, layout.dtype.str, rescale, options)
    return _lazy_frames(_read_slices, args, bounds, frame_shape, layout.dtype, "dicom-pixels-series", layout.paths)


def _lazy_frames(
    task: Any,
    args: tuple[Any, ...],
    bounds: list[int],
    frame_shape: tuple[int, ...],
    dtype: np.dtype,
    prefix: str,
    paths: list[str],
) -> Any:
    """The array of chunks ``bounds[k]:bounds[k + 1]`` along the first axis, chunk ``k``
    made by ``task(*args, block_id=(k, 0, ...))`` (no input arrays: a graph of one layer).

    Its name covers the files' sizes and modification times, so that a file rewritten
    in place is not answered from a cluster's memory of the old one."""
    from dask.base import tokenize

    return _dask_array().map_blocks(
        task,
        *args,
        chunks=(tuple(b - a for a, b in itertools.pairwise(bounds)), *((n,) for n in frame_shape)),
        dtype=dtype,
        meta=np.empty((0,) * (1 + len(frame_shape)), dtype),
        name=f"{prefix}-{tokenize(task.__name__, args, [_file_version(p) for p in dict.fromkeys(paths)])}",
    )


def _file_version(path: str) -> tuple[int, int] | None:
    """``(size, mtime_ns)`` of a local file; ``None`` for a URL (its server decides)."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    return info.st_size, info.st_mtime_ns


# -- tasks (module-level functions: they pickle by reference) ---------------------------------


def _read_frames(
    path: str,
    bounds: tuple[int, ...],
    frame_shape: tuple[int, ...],
    dtype: str,
    options: dict[str, Any],
    block_id: tuple[int, ...] | None = None,
) -> np.ndarray:
    """One chunk: frames ``bounds[k]`` to ``bounds[k + 1]``, one open of the file."""
    assert block_id is not None  # given by map_blocks
    first, end = bounds[block_id[0]], bounds[block_id[0] + 1]
    out = np.empty((end - first, *frame_shape), np.dtype(dtype))
    return pixel_array(path, indices=range(first, end), out=out, **options)


def _read_slices(
    chunks: tuple[tuple[Slice, ...], ...],
    frame_shape: tuple[int, ...],
    dtype: str,
    rescale: bool,
    options: dict[str, Any],
    block_id: tuple[int, ...] | None = None,
) -> np.ndarray:
    """One chunk of a series: its slices decoded into one array, in volume order."""
    assert block_id is not None
    slices = chunks[block_id[0]]
    out = np.empty((len(slices), *frame_shape), np.dtype(dtype))
    # A task is one thread of a worker: the worker runs several tasks side by side.
    return decode_slices(slices, out, rescale=rescale, workers=1, **options)


def _path_of(src: Any, caller: str) -> str:
    if isinstance(src, (str, os.PathLike)):
        return os.fspath(src)
    raise ArgumentTypeError(
        f"{caller}() needs a path or URL (a string every task can reopen), not a "
        f"{type(src).__name__}: write the data to a file, or decode it with dicom_pixels.pixel_array"
    )


def _per_chunk(requested: int | None, frame_shape: tuple[int, ...], dtype: np.dtype) -> int:
    if requested is not None:
        if isinstance(requested, bool) or not isinstance(requested, int) or requested < 1:
            raise InvalidArgumentError(f"frames_per_chunk must be a positive integer, not {requested!r}")
        return requested
    frame_bytes = max(1, int(np.prod(frame_shape)) * dtype.itemsize)
    return max(1, CHUNK_BYTES // frame_bytes)


def _chunk_bounds(count: int, per_chunk: int) -> list[int]:
    """``[0, per_chunk, 2 * per_chunk, ..., count]``; ``[0, 0]`` (one empty chunk) for no frames."""
    return [*range(0, count, per_chunk), count] if count else [0, 0]
