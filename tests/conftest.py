"""Shared fixtures: pydicom's bundled test files as the oracle."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

pydicom = pytest.importorskip("pydicom", reason="pydicom is the test oracle")

from dicom_pixels.registry import manager  # noqa: E402

PIXEL_TAGS = (0x7FE00010, 0x7FE00008, 0x7FE00009)


def pydicom_pixel_files() -> list[Path]:
    """Every file in pydicom's wheel that pydicom can read and that has a pixel element."""
    from pydicom.data import get_testdata_files

    found = []
    for name in sorted(get_testdata_files()):
        path = Path(name)
        if path.suffix.lower() not in ("", ".dcm") or "dicomdir" in path.name.lower():
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ds = pydicom.dcmread(path, force=True, stop_before_pixels=False)
        except Exception:
            continue
        if any(tag in ds for tag in PIXEL_TAGS) and "TransferSyntaxUID" in getattr(ds, "file_meta", {}):
            found.append(path)
    return found


@pytest.fixture
def fresh_registry():
    """Rediscover plugins before and after a test that changes what is installed."""
    manager.reload()
    yield manager
    manager.reload()
