"""Shared helpers for the imagecodecs plugin's tests.

pydicom has no imagecodecs plugin, so the oracle is pydicom's output with its
other plugins (pylibjpeg, gdcm, pillow): exact for lossless transfer syntaxes,
within measured tolerances for lossy ones. Transfer syntaxes that pydicom's
test files lack (HTJ2K, JPEG XL, JPEG Lossless Process 14) are generated here
from pydicom's pixel arrays with imagecodecs' encoders and written with
:func:`dicom_pixels.writer.write_file`; no binary test data is committed.
"""

from __future__ import annotations

import functools
import importlib.util
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("pydicom", reason="pydicom is the reference decoder of these tests")

from dicom_pixels.writer import DataElement, write_file

#: Every transfer syntax the plugin declares a decoder for.
IMAGECODECS_SYNTAXES = frozenset(
    {
        "1.2.840.10008.1.2.4.50",
        "1.2.840.10008.1.2.4.51",
        "1.2.840.10008.1.2.4.57",
        "1.2.840.10008.1.2.4.70",
        "1.2.840.10008.1.2.4.80",
        "1.2.840.10008.1.2.4.81",
        "1.2.840.10008.1.2.4.90",
        "1.2.840.10008.1.2.4.91",
        "1.2.840.10008.1.2.4.201",
        "1.2.840.10008.1.2.4.202",
        "1.2.840.10008.1.2.4.203",
        "1.2.840.10008.1.2.5",
        "1.2.840.10008.1.2.4.110",
        "1.2.840.10008.1.2.4.111",
        "1.2.840.10008.1.2.4.112",
    }
)

_SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"


def has_openjph() -> bool:
    """Whether this imagecodecs has OpenJPH (``htj2k_encode``): from 2026.1.1 only, so not
    on Python 3.10, whose last imagecodecs is 2025.3.30."""
    import imagecodecs

    return bool(getattr(getattr(imagecodecs, "HTJ2K", None), "available", False))


NO_OPENJPH = "this imagecodecs (< 2026.1.1) has no OpenJPH to generate HTJ2K test data"


@pytest.fixture
def require_openjph() -> None:
    """Skip a test that makes its HTJ2K data with OpenJPH when this imagecodecs lacks it."""
    if not has_openjph():
        pytest.skip(NO_OPENJPH)


@functools.cache
def testdata_files(transfer_syntaxes: frozenset[str]) -> list[tuple[str, str, str, int]]:
    """(file name, path, transfer syntax UID, number of frames) of pydicom's bundled
    files with Pixel Data in one of *transfer_syntaxes*."""
    from pydicom import dcmread
    from pydicom.data import get_testdata_files

    found = []
    for path in sorted(get_testdata_files()):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ds = dcmread(path)
            uid = str(ds.file_meta.TransferSyntaxUID)
        except Exception:
            continue
        if uid in transfer_syntaxes and "PixelData" in ds:
            found.append((Path(path).name, path, uid, int(ds.get("NumberOfFrames", 1) or 1)))
    return found


def write_frames(
    path: Path,
    frames: Sequence[bytes],
    transfer_syntax_uid: str,
    *,
    rows: int,
    columns: int,
    samples_per_pixel: int = 1,
    bits_allocated: int = 16,
    bits_stored: int = 16,
    pixel_representation: int = 0,
    photometric_interpretation: str = "MONOCHROME2",
) -> Path:
    """Write encoded *frames* as a Secondary Capture Part 10 file; return *path*."""
    elements = [
        DataElement(0x00080016, "UI", _SECONDARY_CAPTURE),
        DataElement(0x00080018, "UI", "1.2.826.0.1.3680043.8.498.1"),
        DataElement(0x00280002, "US", samples_per_pixel),
        DataElement(0x00280004, "CS", photometric_interpretation),
        DataElement(0x00280008, "IS", str(len(frames))),
        DataElement(0x00280010, "US", rows),
        DataElement(0x00280011, "US", columns),
        DataElement(0x00280100, "US", bits_allocated),
        DataElement(0x00280101, "US", bits_stored),
        DataElement(0x00280102, "US", bits_stored - 1),
        DataElement(0x00280103, "US", pixel_representation),
    ]
    if samples_per_pixel > 1:
        elements.append(DataElement(0x00280006, "US", 0))
    write_file(
        path,
        elements,
        transfer_syntax_uid=transfer_syntax_uid,
        sop_class_uid=_SECONDARY_CAPTURE,
        sop_instance_uid="1.2.826.0.1.3680043.8.498.1",
        frames=[bytes(f) for f in frames],
    )
    return path


@functools.cache
def reference_pixels(name: str) -> np.ndarray:
    """The pixel array of one of pydicom's native test files."""
    from pydicom import dcmread
    from pydicom.data import get_testdata_file

    return dcmread(get_testdata_file(name, download=False)).pixel_array


@pytest.fixture
def frames_file(tmp_path: Path) -> Callable[..., Path]:
    """Return a function writing encoded frames to a new file in *tmp_path*."""
    count = iter(range(1_000_000))

    def write(frames: Sequence[bytes], transfer_syntax_uid: str, **image: Any) -> Path:
        return write_frames(tmp_path / f"{next(count)}.dcm", frames, transfer_syntax_uid, **image)

    return write


@pytest.fixture
def pixels() -> Callable[[str], np.ndarray]:
    """Return :func:`reference_pixels`."""
    return reference_pixels


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``imagecodecs_file`` with pydicom's files in the plugin's syntaxes."""
    if "imagecodecs_file" in metafunc.fixturenames:
        if importlib.util.find_spec("pydicom") is None:
            reason = "pydicom (the oracle and source of test files) is not installed"
            metafunc.parametrize(
                "imagecodecs_file", [pytest.param(None, marks=pytest.mark.skip(reason=reason))]
            )
            return
        found = testdata_files(IMAGECODECS_SYNTAXES)
        metafunc.parametrize("imagecodecs_file", found, ids=[f[0] for f in found])
