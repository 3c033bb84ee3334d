"""The functions most users call: :func:`pixel_array` and :func:`iter_pixels`.

Names, arguments and results follow ``pydicom.pixels``, but no pydicom is
needed: a path, bytes or file-like is read lazily by the core's own reader.

>>> import dicom_pixels as dp
>>> arr = dp.pixel_array(dp.examples.get_path("ct"))
>>> arr.shape, arr.dtype
((128, 128), dtype('int16'))
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, MutableMapping
from typing import Any

import numpy as np

from .decoder import get_decoder
from .dictionary import keyword_for
from .errors import InvalidDicomError
from .reader import DicomFile, Element
from .source import ElementSource, open_source

__all__ = ["iter_pixels", "pixel_array"]


def pixel_array(
    src: Any,
    *,
    index: int | None = None,
    indices: Iterable[int] | None = None,
    out: np.ndarray | None = None,
    raw: bool = False,
    decoding_plugin: str = "",
    ds_out: Any = None,
    specific_tags: Iterable[int] | None = None,
    **options: Any,
) -> np.ndarray:
    """Return the pixel data of *src* as an array.

    :param src: a path, ``bytes`` or binary file-like holding a DICOM file, a pydicom
        ``Dataset``, or a list of frames (then describe them with ``rows=``, ...,
        ``transfer_syntax_uid=``).
    :param index: the frame to return (0-based), or ``None`` for all frames. Only that
        frame's bytes are read from a file.
    :param indices: instead of *index*: the frames to return, in this order (e.g.
        ``range(a, b)`` for a chunk), decoded in parallel like all frames; the result is
        ``(len(indices), rows, cols[, samples])`` even for one frame.
    :param out: a preallocated C-contiguous, writeable array of exactly the result's shape
        and dtype (:func:`~dicom_pixels.decoder.output_dtype`): frames are decoded straight
        into it, and it is returned.
    :param raw: skip colour space conversion.
    :param decoding_plugin: the name of the plugin to use (see :func:`dicom_pixels.plugins`).
    :param ds_out: a pydicom ``Dataset`` or a ``dict`` to fill with the file meta, the
        Image Pixel module and *specific_tags* read from the file.
    :param specific_tags: further top-level tags to read into *ds_out*.
    :param options: decoding options, e.g. ``as_rgb=False``, ``workers=2``, or Image Pixel
        overrides such as ``photometric_interpretation="RGB"``.
    :returns: shape ``(rows, cols)``, ``(rows, cols, samples)``, ``(frames, rows, cols)`` or
        ``(frames, rows, cols, samples)``; the dtype is pydicom's, byte order included:
        big endian (e.g. ``>i2``) for native Explicit VR Big Endian data.

    >>> import dicom_pixels as dp
    >>> meta = {}
    >>> frame = dp.pixel_array(dp.examples.get_path("rt_dose"), index=3, ds_out=meta)
    >>> frame.shape, meta["NumberOfFrames"]
    ((10, 10), 8)
    >>> import numpy as np
    >>> chunk = np.empty((4, 10, 10), "u4")
    >>> dp.pixel_array(dp.examples.get_path("rt_dose"), indices=range(4, 8), out=chunk) is chunk
    True
    """
    # Only the elements decoding and *ds_out* need: a header's other values are skipped.
    source = open_source(src, specific_tags=specific_tags or (), **options)
    try:
        _fill_ds_out(source, ds_out, specific_tags, read_here=source is not src)
        decoder = get_decoder(source.image.transfer_syntax_uid)
        arr, _ = decoder.as_array(
            source,
            index=index,
            indices=indices,
            out=out,
            raw=raw,
            decoding_plugin=decoding_plugin,
            **options,
        )
        return arr
    finally:
        if source is not src:  # a PixelSource given is the caller's to close
            source.close()


def iter_pixels(
    src: Any,
    *,
    indices: Iterable[int] | None = None,
    raw: bool = False,
    decoding_plugin: str = "",
    ds_out: Any = None,
    specific_tags: Iterable[int] | None = None,
    **options: Any,
) -> Iterator[np.ndarray]:
    """Yield the frames of *src* one at a time; arguments as for :func:`pixel_array`.

    Memory stays near one frame whatever the number of frames.

    >>> import dicom_pixels as dp
    >>> [f.shape for f in dp.iter_pixels(dp.examples.get_path("rt_dose"), indices=[0, 7])]
    [(10, 10), (10, 10)]
    """
    # Only the elements decoding and *ds_out* need: a header's other values are skipped.
    source = open_source(src, specific_tags=specific_tags or (), **options)
    try:
        _fill_ds_out(source, ds_out, specific_tags, read_here=source is not src)
        decoder = get_decoder(source.image.transfer_syntax_uid)
        for arr, _ in decoder.iter_array(
            source, indices=indices, raw=raw, decoding_plugin=decoding_plugin, **options
        ):
            yield arr
    finally:
        if source is not src:  # a PixelSource given is the caller's to close
            source.close()


def _fill_ds_out(source: Any, ds_out: Any, specific_tags: Iterable[int] | None, *, read_here: bool) -> None:
    """Fill *ds_out* from *source*'s file: file meta, group 0028, offset tables and
    *specific_tags*. *read_here*: the file was just read with *specific_tags*, so a tag
    missing from it is absent from the file; otherwise (a source the caller opened) the
    header is read again for the missing tags."""
    if ds_out is None:
        return
    dicom: DicomFile | None = getattr(source, "dicom", None) if isinstance(source, ElementSource) else None
    if dicom is None:
        return  # a Dataset or separated frames: nothing more to read
    wanted = {int(t) for t in specific_tags or ()}
    elements = dict(dicom.elements)
    if not read_here and wanted - set(elements) and dicom.pixel is not None:
        # Re-read the header for tags not kept by default (cheap: it stops at the pixels).
        from .reader import read_dicom

        with read_dicom(dicom, specific_tags=wanted) as extra:
            elements.update(extra.elements)
    chosen = {
        tag: el
        for tag, el in elements.items()
        if (tag >> 16) == 0x0028 or tag in (0x7FE00001, 0x7FE00002) or tag in wanted
    }
    if isinstance(ds_out, MutableMapping):
        for el in (*dicom.file_meta.values(), *chosen.values()):
            ds_out[keyword_for(el.tag) or el.tag] = el.value
        return
    if hasattr(ds_out, "add_new"):
        _fill_pydicom_dataset(ds_out, dicom.file_meta, chosen, dicom)
        return
    raise InvalidDicomError(
        f"ds_out must be a pydicom Dataset or a dict, not a {type(ds_out).__name__}"
    )


def _fill_pydicom_dataset(
    ds: Any, file_meta: dict[int, Element], elements: dict[int, Element], dicom: DicomFile
) -> None:
    # pydicom is necessarily installed when the caller passes one of its Datasets.
    from pydicom.dataset import FileMetaDataset

    meta = FileMetaDataset()
    for el in file_meta.values():
        if el.tag != 0x00020000:
            meta.add_new(el.tag, el.vr, el.value)
    ds.file_meta = meta
    for el in elements.values():
        if el.vr != "SQ":
            ds.add_new(el.tag, el.vr, el.value)
    ts = dicom.transfer_syntax
    if hasattr(ds, "set_original_encoding"):
        ds.set_original_encoding(ts.implicit_vr, ts.little_endian)
