"""Shared helpers for the Pillow plugin's tests: pydicom's Pillow plugin is the oracle.

pydicom and Pillow are needed; without them the tests skip with a reason.
"""

from __future__ import annotations

import functools
import importlib.util
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

pytest.importorskip("pydicom", reason="pydicom is the reference decoder of these tests")

#: The transfer syntaxes the plugin declares (PS3.5 A.4.1, A.4.4).
PILLOW_SYNTAXES = frozenset(
    {
        "1.2.840.10008.1.2.4.50",
        "1.2.840.10008.1.2.4.51",
        "1.2.840.10008.1.2.4.90",
        "1.2.840.10008.1.2.4.91",
    }
)


@functools.cache
def testdata_files(transfer_syntaxes: frozenset[str]) -> list[tuple[str, str, int]]:
    """(file name, path, number of frames) of pydicom's bundled files with Pixel
    Data in one of *transfer_syntaxes*."""
    from pydicom import dcmread
    from pydicom.data import get_testdata_files

    found = []
    for path in sorted(get_testdata_files()):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ds = dcmread(path, stop_before_pixels=False)
            uid = str(ds.file_meta.TransferSyntaxUID)
        except Exception:
            continue
        if uid in transfer_syntaxes and "PixelData" in ds:
            found.append((Path(path).name, path, int(ds.get("NumberOfFrames", 1) or 1)))
    return found


def pydicom_can_split_frames(path: str) -> bool:
    """False when pydicom cannot even separate the fragments (a malformed Basic
    Offset Table, ...): then no pydicom plugin runs, so there is no oracle."""
    from pydicom import dcmread
    from pydicom.encaps import generate_frames

    ds = dcmread(path)
    try:
        list(generate_frames(ds.PixelData, number_of_frames=int(ds.get("NumberOfFrames", 1) or 1)))
    except Exception:
        return False
    return True


@pytest.fixture
def can_split_frames() -> Callable[[str], bool]:
    """Return :func:`pydicom_can_split_frames`."""
    return pydicom_can_split_frames


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``pillow_file`` with pydicom's files in Pillow's transfer syntaxes."""
    if "pillow_file" in metafunc.fixturenames:
        if importlib.util.find_spec("pydicom") is None:
            reason = "pydicom (the oracle and source of test files) is not installed"
            metafunc.parametrize(
                "pillow_file", [pytest.param(None, marks=pytest.mark.skip(reason=reason))]
            )
            return
        found = testdata_files(PILLOW_SYNTAXES)
        metafunc.parametrize("pillow_file", found, ids=[name for name, _, _ in found])
