"""pytest plugin (entry point ``pytest11``): parametrizes :class:`ConformanceSuite` tests.

Loaded automatically when dicom-pixels is installed; it only acts on test
classes derived from :class:`dicom_pixels.testing.ConformanceSuite` that ask
for the ``conformance_case`` fixture.
"""

from __future__ import annotations

from typing import Any


def pytest_generate_tests(metafunc: Any) -> None:
    """Give each ``conformance_case`` test one parameter per reference file."""
    if "conformance_case" not in metafunc.fixturenames:
        return
    from . import ConformanceSuite

    cls = metafunc.cls
    if cls is None or not issubclass(cls, ConformanceSuite):
        return
    import pytest

    cases = cls.conformance_cases()
    if not cases:
        metafunc.parametrize(
            "conformance_case",
            [pytest.param(None, marks=pytest.mark.skip(reason="no reference files (is pydicom installed?)"))],
        )
        return
    metafunc.parametrize("conformance_case", cases, ids=[c.id for c in cases])
