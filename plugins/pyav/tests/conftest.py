"""Fixtures of the pyav plugin's tests; the sample videos come from :mod:`dicom_pixels_pyav.samples`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def video_file(tmp_path: Path) -> Callable[..., Path]:
    """Write :func:`video_dataset` to a Part 10 file and return its path."""

    def write(*args, **kwargs) -> Path:
        from dicom_pixels_pyav.samples import video_dataset

        ds = video_dataset(*args, **kwargs)
        path = tmp_path / f"video{len(list(tmp_path.iterdir()))}.dcm"
        ds.save_as(path, enforce_file_format=True)
        return path

    return write
