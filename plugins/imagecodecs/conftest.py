"""Doctests of the package: skipped when imagecodecs is not installed (they call it), and
those that encode HTJ2K skipped when this imagecodecs has no OpenJPH (before 2026.1.1, the
last release for Python 3.10 is 2025.3.30)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_HERE = Path(__file__).parent

collect_ignore_glob = (
    [] if importlib.util.find_spec("imagecodecs") else ["dicom_pixels_imagecodecs/decode.py"]
)


def _has_openjph() -> bool:
    if importlib.util.find_spec("imagecodecs") is None:
        return False
    import imagecodecs

    return bool(getattr(getattr(imagecodecs, "HTJ2K", None), "available", False))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _has_openjph():
        return
    skip = pytest.mark.skip(reason="this imagecodecs (< 2026.1.1) has no OpenJPH to encode HTJ2K")
    for item in items:
        # (This hook sees every item of the run: only this package's doctests are concerned.)
        if getattr(item, "dtest", None) is not None and "htj2k" in item.name and _HERE in item.path.parents:
            item.add_marker(skip)
