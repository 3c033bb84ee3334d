"""pytest plugin (entry point ``pytest11``): parametrizes :class:`ConformanceSuite` tests.

Loaded automatically when dicom-pixels is installed; it only acts on test
classes derived from :class:`dicom_pixels.testing.ConformanceSuite` that ask
for the ``conformance_case`` fixture.
"""

from __future__ import annotations

from typing import Any


def pytest_addoption(parser: Any) -> None:
    """Register the ``dicom_pixels_offline`` ini option."""
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


def pytest_generate_tests(metafunc: Any) -> None:
    """Give each ``conformance_case`` test one parameter per reference file, and each
    ``conformance_encoder`` test one per transfer syntax the plugin encodes."""
    from . import ConformanceSuite, _declared

    cls = metafunc.cls
    if cls is None or not issubclass(cls, ConformanceSuite):
        return
    import pytest

    if "conformance_encoder" in metafunc.fixturenames:
        uids = _declared(cls.plugin, "encode")
        if uids:
            from ..registry import manager

            params = []
            for uid in uids:
                # A declared encoder whose requirements are not met (e.g. a backend too old
                # to have the codec) is skipped with what is missing, not failed.
                missing = sorted({
                    req for codec in manager.codecs(uid, "encode") if codec.plugin == cls.plugin
                    for req in codec.missing_requirements()
                })
                marks = [pytest.mark.skip(reason=f"{cls.plugin} needs {', '.join(missing)} to encode {uid}")] if missing else []
                params.append(pytest.param(uid, marks=marks))
            metafunc.parametrize("conformance_encoder", params)
        else:
            metafunc.parametrize(
                "conformance_encoder",
                [pytest.param(None, marks=pytest.mark.skip(reason=f"{cls.plugin} declares no encoder"))],
            )
    if "conformance_case" not in metafunc.fixturenames:
        return
    cases = cls.conformance_cases()
    if not cases:
        metafunc.parametrize(
            "conformance_case",
            [pytest.param(None, marks=pytest.mark.skip(reason="no reference files (is pydicom installed?)"))],
        )
        return
    metafunc.parametrize("conformance_case", cases, ids=[c.id for c in cases])
