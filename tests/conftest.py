"""Shared fixtures: pydicom's bundled test files as the oracle."""

from __future__ import annotations

from pathlib import Path

import pytest

pydicom = pytest.importorskip("pydicom", reason="pydicom is the test oracle")

from dicom_pixels.registry import manager  # noqa: E402
from dicom_pixels.testing import pydicom_test_files  # noqa: E402


def pydicom_pixel_files() -> list[Path]:
    """Every file in pydicom's wheel that pydicom can read and that has a pixel element."""
    return [case.path for case in pydicom_test_files()]


@pytest.fixture
def fresh_registry():
    """Rediscover plugins before and after a test that changes what is installed."""
    manager.reload()
    yield manager
    manager.reload()
