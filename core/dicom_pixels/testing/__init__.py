"""A reusable conformance suite for codec plugins, built-in or third-party.

A plugin's repository runs the whole suite with two lines::

    from dicom_pixels.testing import ConformanceSuite
    class TestMyCodec(ConformanceSuite): plugin = "mycodec"

For every transfer syntax the plugin declares a decoder for, the suite decodes
each reference file (pydicom's bundled test files, when pydicom is installed)
with ``decoding_plugin=plugin`` and compares with the reference array from
pydicom: exactly for lossless transfer syntaxes and for lossy ones when
pydicom has a plugin of the same name (same backend library), otherwise within
:attr:`ConformanceSuite.lossy_tolerance`. It also checks the error paths: a
truncated codestream raises :class:`~dicom_pixels.errors.DecodeError` naming
the frame and the plugin.

>>> from dicom_pixels.testing import reference_cases
>>> isinstance(reference_cases("1.2.840.10008.1.2.5"), list)
True
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

__all__ = ["ConformanceSuite", "ReferenceCase", "pydicom_test_files", "reference_cases"]

_PIXEL_TAGS = (0x7FE00010, 0x7FE00008, 0x7FE00009)


@dataclass(frozen=True)
class ReferenceCase:
    """One reference file for one transfer syntax."""

    path: Path
    transfer_syntax_uid: str
    number_of_frames: int

    @property
    def id(self) -> str:
        """A readable test id: the file name."""
        return self.path.name


@functools.lru_cache(maxsize=1)
def pydicom_test_files() -> tuple[ReferenceCase, ...]:
    """Every file in pydicom's wheel that pydicom reads and that has a pixel element.

    Empty when pydicom is not installed. Values larger than 1 KiB are not loaded.
    """
    try:
        import pydicom
        from pydicom.data import get_testdata_files
    except ImportError:
        return ()
    cases = []
    # The default pattern lists only the files shipped in the wheel (no download).
    for name in sorted(get_testdata_files()):
        path = Path(name)
        if path.suffix.lower() not in ("", ".dcm") or "dicomdir" in path.name.lower():
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ds = pydicom.dcmread(path, force=True, defer_size=1024)
                tsyntax = str(ds.file_meta.TransferSyntaxUID)
                frames = int(ds.get("NumberOfFrames", 1) or 1)
        except Exception:
            continue
        if any(tag in ds for tag in _PIXEL_TAGS):
            cases.append(ReferenceCase(path, tsyntax, frames))
    return tuple(cases)


def reference_cases(transfer_syntax_uid: str) -> list[ReferenceCase]:
    """Reference files for a transfer syntax (empty when pydicom is not installed)."""
    return [c for c in pydicom_test_files() if c.transfer_syntax_uid == transfer_syntax_uid]


def reference_array(case: ReferenceCase, plugin: str = "", **options: Any) -> np.ndarray | None:
    """pydicom's array for *case* (with its plugin *plugin* if it has one), or ``None``."""
    try:
        from pydicom.pixels import get_decoder as pd_get_decoder
        from pydicom.pixels import pixel_array as pd_pixel_array
    except ImportError:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if plugin and plugin in pd_get_decoder(case.transfer_syntax_uid).available_plugins:
                return pd_pixel_array(case.path, decoding_plugin=plugin, **options)
            return pd_pixel_array(case.path, **options)
        except Exception:
            return None


def _same_backend_in_pydicom(plugin: str, uid: str) -> bool:
    try:
        from pydicom.pixels import get_decoder as pd_get_decoder

        return plugin in pd_get_decoder(uid).available_plugins
    except Exception:
        return False


def _declared(plugin: str) -> list[str]:
    from dicom_pixels.registry import manager

    for info in manager.plugins():
        if info.name == plugin:
            return sorted({c.transfer_syntax_uid for c in info.codecs if c.operation == "decode"})
    return []


class ConformanceSuite:
    """Subclass with ``plugin = "name"`` to run the conformance checks on a plugin.

    Override :attr:`lossy_tolerance` (max absolute difference allowed against a
    different backend's lossy decode) or :attr:`skip_files` (file names) as needed.
    """

    plugin: ClassVar[str] = ""
    lossy_tolerance: ClassVar[int] = 2
    skip_files: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def conformance_cases(cls) -> list[ReferenceCase]:
        """Every reference case for every transfer syntax the plugin decodes."""
        cases: list[ReferenceCase] = []
        for uid in _declared(cls.plugin):
            cases.extend(c for c in reference_cases(uid) if c.path.name not in cls.skip_files)
        return cases

    def test_plugin_is_installed_and_declares_decoders(self) -> None:
        """The plugin is discovered through its entry point and declares at least one decoder."""
        assert self.plugin, "set `plugin = 'name'` on the ConformanceSuite subclass"
        assert _declared(self.plugin), f"plugin {self.plugin!r} is not installed or declares no decoder"

    def test_decodes_reference_files_like_pydicom(self, conformance_case: ReferenceCase) -> None:
        """Each reference file decodes like pydicom, exactly or within the lossy tolerance."""
        import pytest

        import dicom_pixels as dp
        from dicom_pixels.errors import DicomPixelsError
        from dicom_pixels.uid import lookup

        ts = lookup(conformance_case.transfer_syntax_uid)
        same = _same_backend_in_pydicom(self.plugin, ts.uid)
        ref = reference_array(conformance_case, self.plugin if same else "")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                ours = dp.pixel_array(conformance_case.path, decoding_plugin=self.plugin)
            except DicomPixelsError as exc:
                if ref is None or (same and reference_array(conformance_case, self.plugin) is None):
                    return  # neither can decode it: a typed error is the right answer
                if "not supported" in str(exc) or "Unable to decompress" in str(exc):
                    pytest.skip(f"{self.plugin} declines this image: {exc}")
                raise
        if ref is None:
            pytest.skip("pydicom cannot decode this file, no reference")
        assert ours.shape == ref.shape and ours.dtype == ref.dtype
        if ts.lossy is False or same:
            assert np.array_equal(ours, ref)
        else:
            diff = np.abs(ours.astype(np.float64) - ref.astype(np.float64)).max()
            assert diff <= self.lossy_tolerance, f"max difference {diff} > {self.lossy_tolerance}"

    def test_truncated_frame_raises_decode_error_naming_frame_and_plugin(
        self, conformance_case: ReferenceCase
    ) -> None:
        """A codestream cut in half fails with a DecodeError that names the frame and the plugin."""
        import pytest

        import dicom_pixels as dp
        from dicom_pixels.errors import DicomPixelsError, NoPluginError
        from dicom_pixels.source import FramesSource, open_source

        with open_source(conformance_case.path) as src:
            if not src.image.transfer_syntax.encapsulated:
                pytest.skip("native data has no codestream to truncate")
            data, _ = src.read_frame(0)
            image = src.image
        broken = FramesSource([data[: max(len(data) // 3, 4)]], image.replace(number_of_frames=1))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                dp.get_decoder(image.transfer_syntax_uid).as_array(broken, decoding_plugin=self.plugin)
            except NoPluginError:
                return  # the plugin declined this image up front: nothing was decoded
            except DicomPixelsError as exc:
                message = str(exc)
                if "declines" in message or "not supported" in message:
                    return
                assert "frame 0" in message and self.plugin in message
            else:
                # Some codecs decode a truncated stream into partial data without error; that
                # must at least not crash. pydicom accepts this behaviour too.
                pass
