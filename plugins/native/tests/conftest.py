"""Shared helpers for the native plugin's tests: pydicom is the oracle.

pydicom is a test-only dependency; without it the oracle tests skip.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dicom_pixels import ImageDescription

pydicom = pytest.importorskip("pydicom", reason="pydicom is the reference decoder of these tests")

PIXEL_KEYWORDS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")


@functools.cache
def testdata_datasets(transfer_syntaxes: frozenset[str]) -> list[tuple[str, Any]]:
    """(file name, dataset) of pydicom's bundled files with pixel data in *transfer_syntaxes*
    that pydicom itself can decode. Cached: tests must not modify the datasets."""
    return list(_find_datasets(transfer_syntaxes))


def _find_datasets(transfer_syntaxes: frozenset[str]) -> Iterator[tuple[str, Any]]:
    from pydicom import dcmread
    from pydicom.data import get_testdata_files
    from pydicom.pixels import pixel_array

    for path in sorted(get_testdata_files()):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ds = dcmread(path, force=True)
            uid = str(ds.file_meta.TransferSyntaxUID)
        except Exception:
            continue
        if uid not in transfer_syntaxes or not any(k in ds for k in PIXEL_KEYWORDS):
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pixel_array(ds, raw=True)
        except Exception:
            continue  # pydicom cannot decode it either: no oracle
        yield Path(path).name, ds


def describe(ds: Any) -> ImageDescription:
    """The core's ImageDescription of a pydicom dataset."""
    keyword = next(k for k in PIXEL_KEYWORDS if k in ds)
    values: dict[str, Any] = {
        k: ds.get(k)
        for k in (
            "Rows",
            "Columns",
            "SamplesPerPixel",
            "BitsAllocated",
            "BitsStored",
            "PixelRepresentation",
            "PhotometricInterpretation",
            "PlanarConfiguration",
            "NumberOfFrames",
        )
    }
    values["pixel_keyword"] = keyword
    values["pixel_vr"] = ds[keyword].VR
    return ImageDescription.from_mapping(
        values, transfer_syntax_uid=str(ds.file_meta.TransferSyntaxUID)
    )


def reference_frames(ds: Any) -> Any:
    """pydicom's decoded frames (raw: no colour conversion) with a leading frame axis."""
    from pydicom.pixels import pixel_array

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        arr = pixel_array(ds, raw=True)
    image = describe(ds)
    return arr.reshape(-1, *image.frame_shape)


NATIVE_SYNTAXES = frozenset(
    {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.2"}
)
RLE_SYNTAXES = frozenset({"1.2.840.10008.1.2.5"})


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``native_dataset`` and ``rle_dataset`` with pydicom's bundled files."""
    for name, syntaxes in (("native_dataset", NATIVE_SYNTAXES), ("rle_dataset", RLE_SYNTAXES)):
        if name in metafunc.fixturenames:
            found = testdata_datasets(syntaxes)
            metafunc.parametrize(name, [ds for _, ds in found], ids=[n for n, _ in found])


@pytest.fixture
def describe_dataset() -> Callable[[Any], ImageDescription]:
    """Return :func:`describe`: a pydicom dataset's ImageDescription."""
    return describe


@pytest.fixture
def reference() -> Callable[[Any], Any]:
    """Return :func:`reference_frames`: pydicom's frames, shape (frames, *frame_shape)."""
    return reference_frames
