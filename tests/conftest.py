"""Shared fixtures: pydicom's bundled test files as the oracle, and skips for missing plugins.

The core's tests must pass with no plugin but ``native`` installed (tox env ``core``).
A test that needs a compressed transfer syntax says so with :func:`requires_decoder` /
:func:`requires_encoder` (inside the test) or :func:`needs_decoder` / :func:`needs_encoder`
(a ``skipif`` mark, for a test or a module's ``pytestmark``); it is then skipped with the
transfer syntax and the ``pip install`` line that would let it run. A test that loops over
files keeps the ones :func:`decodable` says an installed plugin decodes.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import pytest

#: tests/data holds reference files and the script that made them (with pydicom's main
#: branch, not installed here): not a test module, and importing it would put a second
#: ``tests`` package in the way of the relative imports of the test modules.
collect_ignore = ["data"]

pydicom = pytest.importorskip("pydicom", reason="pydicom is the test oracle")

from dicom_pixels import get_decoder, get_encoder  # noqa: E402
from dicom_pixels.registry import KNOWN_ENCODERS, KNOWN_PLUGINS, manager  # noqa: E402
from dicom_pixels.testing import pydicom_test_files  # noqa: E402
from dicom_pixels.uid import TransferSyntax, lookup  # noqa: E402

Operation = Literal["decode", "encode"]
#: The label dicom_pixels.pydicom_bridge registers under in pydicom: not an oracle.
_BRIDGE_LABEL = "dicom_pixels"


def pydicom_pixel_files() -> list[Path]:
    """Every file in pydicom's wheel that pydicom can read and that has a pixel element."""
    return [case.path for case in pydicom_test_files()]


@pytest.fixture
def fresh_registry():
    """Rediscover plugins before and after a test that changes what is installed."""
    manager.reload()
    yield manager
    manager.reload()


# -- skipping what the installed plugins cannot do ------------------------------------------


def _available(ts: TransferSyntax, operation: Operation) -> tuple[str, ...]:
    endpoint = get_decoder(ts.uid) if operation == "decode" else get_encoder(ts.uid)
    return endpoint.available_plugins


def _install_hint(ts: TransferSyntax, operation: Operation, plugin: str | None) -> str:
    """The command(s) that would install a plugin for *ts*, as the library's errors give them."""
    hints: list[str] = []
    for codec in manager.codecs(ts, operation):
        # Installed, but lacking a backend: its own install line (e.g. an optional GPL extra).
        if (plugin is None or codec.plugin == plugin) and codec.install_hint:
            hints.append(codec.install_hint)
    table = KNOWN_PLUGINS.get(ts.family, ()) if operation == "decode" else KNOWN_ENCODERS.get(ts.keyword, ())
    names = (plugin,) if plugin else table
    hints += [f'pip install "dicom-pixels[{name}]"' for name in names]
    hints = list(dict.fromkeys(hints))
    if not hints:
        return "no known plugin provides one"
    return hints[0] if len(hints) == 1 else "one of: " + ", ".join(hints)


def _missing_reason(uid: str, operation: Operation, plugin: str | None) -> str | None:
    """Why the installed plugins cannot *operation* *uid* (with *plugin*), or ``None`` if they can."""
    ts = lookup(uid)
    if operation == "encode" and not ts.encapsulated:
        return None  # native syntaxes are written by the core itself
    available = _available(ts, operation)
    if (plugin in available) if plugin else available:
        return None
    what = f"the {plugin!r} plugin's" if plugin else "a"
    noun = "decoder" if operation == "decode" else "encoder"
    return f"needs {what} '{ts.name}' {noun} ({_install_hint(ts, operation, plugin)})"


def decoder_available(uid: str, plugin: str | None = None) -> bool:
    """``True`` when an installed plugin (or *plugin*) decodes *uid* (a UID or keyword)."""
    return _missing_reason(uid, "decode", plugin) is None


def encoder_available(uid: str, plugin: str | None = None) -> bool:
    """``True`` when an installed plugin (or *plugin*) encodes *uid* (a UID or keyword)."""
    return _missing_reason(uid, "encode", plugin) is None


def requires_decoder(uid: str, plugin: str | None = None) -> None:
    """Skip the running test unless an installed plugin (or *plugin*) decodes *uid*."""
    __tracebackhide__ = True  # report the skip at the test's line
    reason = _missing_reason(uid, "decode", plugin)
    if reason:
        pytest.skip(reason)


def requires_encoder(uid: str, plugin: str | None = None) -> None:
    """Skip the running test unless an installed plugin (or *plugin*) encodes *uid*."""
    __tracebackhide__ = True  # report the skip at the test's line
    reason = _missing_reason(uid, "encode", plugin)
    if reason:
        pytest.skip(reason)


def needs_decoder(uid: str, plugin: str | None = None) -> pytest.MarkDecorator:
    """A ``skipif`` mark: :func:`requires_decoder` for a whole test or module."""
    reason = _missing_reason(uid, "decode", plugin)
    return pytest.mark.skipif(reason is not None, reason=reason or "")


def needs_encoder(uid: str, plugin: str | None = None) -> pytest.MarkDecorator:
    """A ``skipif`` mark: :func:`requires_encoder` for a whole test or module."""
    reason = _missing_reason(uid, "encode", plugin)
    return pytest.mark.skipif(reason is not None, reason=reason or "")


def transfer_syntax_of(path: str | Path) -> TransferSyntax:
    """The transfer syntax of a DICOM file, read by pydicom (the pixels are not read)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = pydicom.dcmread(path, stop_before_pixels=True, force=True)
    return lookup(str(ds.file_meta.TransferSyntaxUID))


def decodable(paths: Iterable[str | Path]) -> list:
    """The files among *paths* whose transfer syntax an installed plugin decodes."""
    return [path for path in paths if decoder_available(transfer_syntax_of(path).uid)]


def requires_pydicom_decoder(uid: str) -> None:
    """Skip the running test unless pydicom itself (the oracle, not our bridge) decodes *uid*."""
    __tracebackhide__ = True  # report the skip at the test's line
    from pydicom.pixels import get_decoder as pydicom_get_decoder

    ts = lookup(uid)
    try:
        decoder = pydicom_get_decoder(ts.uid)
    except NotImplementedError:
        pytest.skip(f"pydicom, the oracle, has no decoder for '{ts.name}'")
    if decoder.is_native:
        return
    if not [name for name in decoder.available_plugins if name != _BRIDGE_LABEL]:
        missing = "; ".join(decoder.missing_dependencies) or "no plugin"
        pytest.skip(f"pydicom, the oracle, cannot decode '{ts.name}' here: {missing}")


# -- building and damaging test files ---------------------------------------------------------


def secondary_capture(transfer_syntax_uid: str):
    """A pydicom ``Dataset`` with File Meta Information and SOP UIDs (Secondary Capture,
    a fresh instance UID), ready for the Image Pixel elements a test adds."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import generate_uid

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = transfer_syntax_uid
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    return ds


def damaged(data: bytes, flips: Iterable[tuple[int, int]], cut: int | None) -> bytes:
    """*data* with the byte at each ``(position, value)`` of *flips* replaced (positions
    past the end are ignored), then cut at *cut* when it is not ``None``."""
    mutated = bytearray(data)
    for pos, value in flips:
        if pos < len(mutated):
            mutated[pos] = value
    if cut is not None:
        del mutated[cut:]
    return bytes(mutated)
