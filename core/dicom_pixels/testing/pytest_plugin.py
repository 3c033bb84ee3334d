"""pytest plugin (entry point ``pytest11``): parametrizes :class:`ConformanceSuite` tests.

Loaded automatically when dicom-pixels is installed; it only acts on test
classes derived from :class:`dicom_pixels.testing.ConformanceSuite` that ask
for the ``conformance_case`` fixture.
"""

from __future__ import annotations

from typing import Any

import pytest

from .kit import ALLOW_MISSING_OPTION


def pytest_addoption(parser: Any) -> None:
    """Register the ``dicom_pixels_offline`` ini option and ``--dicom-pixels-allow-missing``."""
    parser.addoption(
        ALLOW_MISSING_OPTION,
        action="store_true",
        default=False,
        help="conformance kit: skip, instead of failing, the checks of a plugin whose backend "
        "is not installed (for a CI job that tests 'backend absent' on purpose)",
    )
    parser.addini(
        "dicom_pixels_offline",
        "stop pydicom from downloading its external test data (tests must run offline)",
        type="bool",
        default=False,
    )


def pytest_configure(config: Any) -> None:
    """With ``dicom_pixels_offline = true``, make pydicom's test-data download fail at once.

    ``pydicom.data.get_testdata_files(pattern)`` tries to download every online file whose
    name matches the pattern, retrying with sleeps: offline, a test run would hang.
    """
    if not config.getini("dicom_pixels_offline"):
        return
    try:
        from pydicom.data import data_manager
    except ImportError:
        return

    def no_download(filename: Any, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"offline test run: not downloading pydicom test file {filename}")

    data_manager.data_path_with_download = no_download


def _allow_missing(config: Any, cls: Any) -> bool:
    return bool(config.getoption(ALLOW_MISSING_OPTION) or getattr(cls, "allow_missing_backend", False))


def pytest_generate_tests(metafunc: Any) -> None:
    """Give each ``conformance_case`` test one parameter per pydicom reference file, each
    ``conformance_reference`` test one per shipped codestream, and each
    ``conformance_encoder`` test one per transfer syntax the plugin encodes.

    A codec whose requirements are missing is run (and fails) unless missing backends
    are allowed; then its checks are skipped, saying what is missing.
    """
    from . import ConformanceSuite
    from .kit import declared_transfer_syntaxes, plugin_info

    cls = metafunc.cls
    if cls is None or not issubclass(cls, ConformanceSuite):
        return
    info = plugin_info(cls.plugin)
    marks = []
    if info is not None and info.missing and _allow_missing(metafunc.config, cls):
        marks = [pytest.mark.skip(reason=f"{cls.plugin} needs {', '.join(info.missing)}: backend "
                                  f"absent, allowed by {ALLOW_MISSING_OPTION}")]

    def parametrize(name: str, values: list[Any], ids: list[str] | None, empty: str) -> None:
        if values:
            metafunc.parametrize(name, [pytest.param(v, marks=marks) for v in values], ids=ids)
        else:
            metafunc.parametrize(name, [pytest.param(None, marks=pytest.mark.skip(reason=empty))])

    if "conformance_encoder" in metafunc.fixturenames:
        uids = declared_transfer_syntaxes(cls.plugin, "encode")
        parametrize("conformance_encoder", uids, uids, f"{cls.plugin} declares no encoder")
    if "conformance_reference" in metafunc.fixturenames:
        refs = cls.conformance_references()
        parametrize("conformance_reference", refs, [r.id for r in refs],
                    f"the kit ships no codestream for what {cls.plugin} decodes")
    if "conformance_case" in metafunc.fixturenames:
        cases = cls.conformance_cases()
        if "damaged" in metafunc.function.__name__:
            from ..uid import lookup

            # Native data has no codestream to damage.
            cases = [c for c in cases if lookup(c.transfer_syntax_uid).encapsulated]
        parametrize("conformance_case", cases, [c.id for c in cases],
                    "no reference files (is pydicom installed?)")


@pytest.fixture
def dicom_pixels_allow_missing(request: Any) -> bool:
    """``True`` when a missing backend is allowed (the option or the class attribute)."""
    return _allow_missing(request.config, request.cls)
