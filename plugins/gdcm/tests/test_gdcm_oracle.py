"""The gdcm plugin decodes exactly as pydicom's own gdcm plugin does.

pydicom 3 and the files bundled with it are the oracle: both call GDCM, so
arrays must be identical (values, dtype, shape) even for lossy data, with and
without colour conversion, for all frames or one. Where pydicom's gdcm plugin
fails, ours must fail with a typed :class:`~dicom_pixels.errors.DicomPixelsError`.

pydicom has no GDCM RLE decoder; RLE is lossless, so its default RLE decoder
is the reference there. GDCM mixes up the bytes of colour RLE samples wider
than 8 bits, so the plugin declines those with a DecodeError.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import dicom_pixels as dp
from dicom_pixels.errors import DecodeError, DicomPixelsError, NoPluginError
from dicom_pixels.source import FramesSource, open_source
from dicom_pixels.testing import ConformanceSuite, ReferenceCase, reference_cases

pytest.importorskip("gdcm", reason="the gdcm plugin needs python-gdcm")
pydicom = pytest.importorskip("pydicom", reason="pydicom is the reference decoder of these tests")
from pydicom.pixels import pixel_array as pydicom_pixel_array  # noqa: E402

PLUGIN = "gdcm"
RLE = "1.2.840.10008.1.2.5"
VARIANTS: dict[str, dict[str, Any]] = {
    "default": {},
    "as_rgb=False": {"as_rgb": False},
    "raw": {"raw": True},
}


def _declared_syntaxes() -> list[str]:
    info = next(p for p in dp.plugins() if p.name == PLUGIN)
    return sorted({c.transfer_syntax_uid for c in info.codecs if c.operation == "decode"})


CASES: list[ReferenceCase] = [case for uid in _declared_syntaxes() for case in reference_cases(uid)]
MULTI_FRAME = [case for case in CASES if case.number_of_frames > 1]


def _pydicom(case: ReferenceCase, **kwargs: Any) -> np.ndarray | Exception:
    """pydicom's array (from its gdcm plugin, except for RLE), or the exception it raised.

    pydicom's lazy file reader rejects a few files its dataset reader accepts
    (e.g. SC_rgb_jpeg.dcm); then the dataset is the reference.
    """
    plugin = "" if case.transfer_syntax_uid == RLE else PLUGIN
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return pydicom_pixel_array(case.path, decoding_plugin=plugin, **kwargs)
        except Exception as exc:
            try:
                ds = pydicom.dcmread(case.path, force=True)
                return pydicom_pixel_array(ds, decoding_plugin=plugin, **kwargs)
            except Exception:
                return exc


def _ours(src: Any, **kwargs: Any) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dp.pixel_array(src, decoding_plugin=PLUGIN, **kwargs)


def _declined_by_gdcm(path: Path) -> bool:
    """Colour RLE with more than 8 Bits Allocated: GDCM mis-decodes it, so we decline."""
    with open_source(path) as src:
        image = src.image
    return (
        image.transfer_syntax_uid == RLE
        and image.samples_per_pixel > 1
        and image.bits_allocated > 8
    )


def _assert_identical(ours: np.ndarray, ref: np.ndarray) -> None:
    assert (ours.dtype, ours.shape) == (ref.dtype, ref.shape)
    assert np.array_equal(ours, ref)


def test_every_compressed_syntax_of_the_issue_is_declared():
    assert set(_declared_syntaxes()) == {
        dp.uid.lookup(kw).uid
        for kw in (
            "JPEGBaseline8Bit",
            "JPEGExtended12Bit",
            "JPEGLossless",
            "JPEGLosslessSV1",
            "JPEGLSLossless",
            "JPEGLSNearLossless",
            "JPEG2000Lossless",
            "JPEG2000",
            "RLELossless",
        )
    }


@pytest.mark.parametrize("variant", VARIANTS.values(), ids=VARIANTS.keys())
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_reference_file_decodes_identically_to_pydicom(case: ReferenceCase, variant: dict):
    ref = _pydicom(case, **variant)
    if isinstance(ref, Exception):
        with pytest.raises(DicomPixelsError):
            _ours(case.path, **variant)
        return
    if _declined_by_gdcm(case.path):
        with pytest.raises(DecodeError, match="GDCM mixes up the bytes"):
            _ours(case.path, **variant)
        return
    _assert_identical(_ours(case.path, **variant), ref)


@pytest.mark.parametrize("case", MULTI_FRAME, ids=[c.id for c in MULTI_FRAME])
def test_single_frames_by_index_decode_identically_to_pydicom(case: ReferenceCase):
    if _declined_by_gdcm(case.path):
        pytest.skip("GDCM mis-decodes colour RLE wider than 8 bits; the plugin declines it")
    for index in sorted({0, case.number_of_frames // 2, case.number_of_frames - 1}):
        ref = _pydicom(case, index=index)
        assert not isinstance(ref, Exception)
        _assert_identical(_ours(case.path, index=index), ref)


def test_12_bit_jpeg_extended_is_declined_before_decoding():
    from pydicom.data import get_testdata_file

    with pytest.raises(NoPluginError, match="Bits Stored 12 is more than the 8 supported"):
        _ours(get_testdata_file("JPGExtended.dcm"))


@pytest.mark.parametrize(("rows", "columns"), [(1, 1), (7, 9), (8, 8), (6, 11)])
def test_rle_frames_under_64_pixels_are_declined_with_the_reason(rows: int, columns: int):
    # GDCM's RLE reader returns nothing for them, which read as "corrupt data" before.
    arr = (np.arange(rows * columns).reshape(rows, columns) % 3).astype("u1")
    data = dp.get_encoder("RLELossless").encode(arr, encoding_plugin="native", photometric_interpretation="MONOCHROME2")
    image = dp.ImageDescription(rows, columns, 1, 8, 8, 0, "MONOCHROME2", dp.uid.RLELossless)
    decoder = dp.get_decoder(dp.uid.RLELossless)
    if rows * columns < 64:
        with pytest.raises(DecodeError, match="GDCM cannot decode RLE Lossless frames of fewer than 64 pixels"):
            decoder.as_array(FramesSource([data], image), decoding_plugin=PLUGIN)
    else:
        np.testing.assert_array_equal(decoder.as_array(FramesSource([data], image), decoding_plugin=PLUGIN)[0], arr)


def test_htj2k_is_not_claimed():
    assert PLUGIN not in dp.get_decoder("HTJ2K").available_plugins


#: One reference file per GDCM codec: libjpeg-turbo, CharLS, OpenJPEG, RLE.
TRUNCATION_FILES = [
    "SC_rgb_jpeg_dcmtk.dcm",
    "JPEGLSNearLossless_16.dcm",
    "MR_small_jp2klossless.dcm",
    "SC_rgb_rle_2frame.dcm",
]


@pytest.mark.parametrize("name", TRUNCATION_FILES)
def test_truncated_frame_raises_decode_error_naming_the_frame_and_the_plugin(name: str):
    from pydicom.data import get_testdata_file

    with open_source(get_testdata_file(name)) as src:
        image = src.image.replace(number_of_frames=2)
        good, _ = src.read_frame(0)
    broken = FramesSource([good, good[: len(good) // 2]], image, name=name)
    with pytest.raises(DecodeError) as excinfo, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dp.get_decoder(image.transfer_syntax_uid).as_array(broken, decoding_plugin=PLUGIN)
    message = str(excinfo.value)
    assert "frame 1" in message and f"{PLUGIN}:" in message and name in message


class TestConformance(ConformanceSuite):
    """The conformance suite every plugin runs (shared with third-party plugins)."""

    plugin = PLUGIN
    # The suite's truncation test does not yet accept a NoPluginError raised before
    # decoding (12-bit JPEG Extended is declined up front by Capabilities); the
    # decode and decline checks for these files are in the tests above.
    skip_files = frozenset({"JPEG-lossy.dcm", "JPGExtended.dcm"})
