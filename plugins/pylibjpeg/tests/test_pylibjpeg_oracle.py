"""The pylibjpeg plugin decodes exactly as pydicom's own pylibjpeg plugin does.

pydicom 3 and the files bundled with it are the oracle: both call the same
backend libraries, so arrays must be identical (values, dtype, shape) even for
lossy data, with and without colour conversion, for all frames or one. Where
pydicom's plugin fails, ours must fail with a typed
:class:`~dicom_pixels.errors.DicomPixelsError`.

pydicom bundles no HTJ2K file, so HTJ2K codestreams are made here with
imagecodecs' HTJ2K encoder (OpenJPH) and decoded by both.
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

pytest.importorskip("pylibjpeg", reason="the pylibjpeg plugin needs pylibjpeg")
pytest.importorskip("openjpeg", reason="JPEG 2000 needs pylibjpeg-openjpeg")
pytest.importorskip("rle", reason="RLE needs pylibjpeg-rle")
pytest.importorskip("libjpeg", reason="JPEG and JPEG-LS need pylibjpeg-libjpeg (GPL extra)")
pydicom = pytest.importorskip("pydicom", reason="pydicom is the reference decoder of these tests")
from pydicom.pixels import pixel_array as pydicom_pixel_array  # noqa: E402

PLUGIN = "pylibjpeg"
VARIANTS: dict[str, dict[str, Any]] = {
    "default": {},
    "as_rgb=False": {"as_rgb": False},
    "raw": {"raw": True},
}


def _declared_syntaxes() -> list[str]:
    info = next(p for p in dp.plugins() if p.name == PLUGIN)
    return sorted({c.transfer_syntax_uid for c in info.codecs if c.operation == "decode"})


CASES: list[ReferenceCase] = [
    case
    for uid in _declared_syntaxes()
    if dp.uid.lookup(uid).encapsulated
    for case in reference_cases(uid)
]
MULTI_FRAME = [case for case in CASES if case.number_of_frames > 1]


def _pydicom(path: Path, **kwargs: Any) -> np.ndarray | Exception:
    """pydicom's array from its pylibjpeg plugin, or the exception it raised.

    pydicom's lazy file reader rejects a few files its dataset reader accepts
    (e.g. SC_rgb_jpeg.dcm, whose item tags pydicom's pixel reader mis-parses);
    then the dataset is the reference.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return pydicom_pixel_array(path, decoding_plugin=PLUGIN, **kwargs)
        except Exception as exc:
            try:
                ds = pydicom.dcmread(path, force=True)
                return pydicom_pixel_array(ds, decoding_plugin=PLUGIN, **kwargs)
            except Exception:
                return exc


def _ours(src: Any, **kwargs: Any) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dp.pixel_array(src, decoding_plugin=PLUGIN, **kwargs)


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
            "HTJ2KLossless",
            "HTJ2KLosslessRPCL",
            "HTJ2K",
            "RLELossless",
        )
    }


@pytest.mark.parametrize("variant", VARIANTS.values(), ids=VARIANTS.keys())
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_reference_file_decodes_identically_to_pydicom(case: ReferenceCase, variant: dict):
    ref = _pydicom(case.path, **variant)
    if isinstance(ref, Exception):
        with pytest.raises(DicomPixelsError):
            _ours(case.path, **variant)
        return
    _assert_identical(_ours(case.path, **variant), ref)


@pytest.mark.parametrize("case", MULTI_FRAME, ids=[c.id for c in MULTI_FRAME])
def test_single_frames_by_index_decode_identically_to_pydicom(case: ReferenceCase):
    for index in sorted({0, case.number_of_frames // 2, case.number_of_frames - 1}):
        ref = _pydicom(case.path, index=index)
        assert not isinstance(ref, Exception)
        _assert_identical(_ours(case.path, index=index), ref)


# -- HTJ2K, from codestreams made by imagecodecs -------------------------------------------


def _htj2k_dataset(arr: np.ndarray, uid: str, photometric: str, bits_stored: int) -> Any:
    """A pydicom Dataset holding *arr* (frames first) as HTJ2K frames."""
    imagecodecs = pytest.importorskip(
        "imagecodecs", reason="HTJ2K test data is encoded with imagecodecs"
    )
    if not getattr(getattr(imagecodecs, "HTJ2K", None), "available", False):  # imagecodecs < 2026.1.1
        pytest.skip("imagecodecs was built without HTJ2K")
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.encaps import encapsulate

    frames = [imagecodecs.htj2k_encode(frame) for frame in arr]
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = uid
    ds.Rows, ds.Columns = arr.shape[1:3]
    ds.SamplesPerPixel = 1 if arr.ndim == 3 else arr.shape[3]
    ds.PhotometricInterpretation = photometric
    if ds.SamplesPerPixel > 1:
        ds.PlanarConfiguration = 0
    ds.NumberOfFrames = len(frames)
    ds.BitsAllocated = arr.dtype.itemsize * 8
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = int(arr.dtype.kind == "i")
    ds.PixelData = encapsulate(frames)
    ds["PixelData"].VR = "OB"
    return ds


def _synthetic(shape: tuple[int, ...], dtype: str, bits: int, frames: int = 2) -> np.ndarray:
    rng = np.random.default_rng(15444)
    lo, hi = (-(1 << (bits - 1)), 1 << (bits - 1)) if dtype.startswith("i") else (0, 1 << bits)
    return rng.integers(lo, hi, size=(frames, *shape)).astype(dtype)


HTJ2K_IMAGES = {
    "u16-12bit-mono": (_synthetic((37, 52), "u2", 12), "MONOCHROME2", 12),
    "i16-signed-mono": (_synthetic((40, 33), "i2", 16), "MONOCHROME2", 16),
    "u8-rgb": (_synthetic((24, 30, 3), "u1", 8), "RGB", 8),
}


@pytest.mark.parametrize("uid", ["HTJ2KLossless", "HTJ2KLosslessRPCL", "HTJ2K"])
@pytest.mark.parametrize("name", HTJ2K_IMAGES)
def test_htj2k_frames_decode_losslessly_and_identically_to_pydicom(name: str, uid: str):
    arr, photometric, bits = HTJ2K_IMAGES[name]
    ds = _htj2k_dataset(arr, dp.uid.lookup(uid).uid, photometric, bits)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = pydicom_pixel_array(ds, decoding_plugin=PLUGIN)
    ours = _ours(ds)
    _assert_identical(ours, ref)
    assert np.array_equal(ours, arr)
    _assert_identical(_ours(ds, index=1), ref[1])


# -- declining and failing ---------------------------------------------------------------------


def test_16_bit_jpeg_baseline_is_declined_before_decoding():
    image = dp.ImageDescription(8, 8, 1, 16, 12, 0, "MONOCHROME2", dp.uid.JPEGBaseline8Bit)
    with pytest.raises(NoPluginError, match="Bits Allocated 16 is not supported"):
        dp.get_decoder(image.transfer_syntax_uid).as_array(
            FramesSource([b"\xff\xd8\xff\xd9"], image), decoding_plugin=PLUGIN
        )


#: One reference file per backend: libjpeg (JPEG, JPEG-LS), OpenJPEG, pylibjpeg-rle.
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


def _jpeg_ls_with_declared_size(rows: int, columns: int) -> FramesSource:
    """pydicom's 64 x 64 JPEG-LS frame (4,430 bytes) with its SOF55 and Rows/Columns enlarged."""
    from pydicom.data import get_testdata_file

    with open_source(get_testdata_file("MR_small_jpeg_ls_lossless.dcm")) as src:
        image = src.image.replace(rows=rows, columns=columns)
        data, _ = src.read_frame(0)
    sof = data.index(b"\xff\xf7")  # SOF55: length, P, Y (lines), X (columns), ...
    data = data[: sof + 5] + rows.to_bytes(2, "big") + columns.to_bytes(2, "big") + data[sof + 9 :]
    return FramesSource([data], image, name="MR_small_jpeg_ls_lossless.dcm")


def test_a_large_jpeg_ls_frame_too_short_for_its_size_is_declined_not_filled():
    # libjpeg decodes a scan that runs out of data into filler lines without an error,
    # which took 9 s for this 67-Mpixel frame (a fuzz finding); the plugin declines it.
    frames = _jpeg_ls_with_declared_size(4096, 16385)
    with pytest.raises(DecodeError, match="imagecodecs, pyjpegls or gdcm plugin"):
        dp.get_decoder(frames.image.transfer_syntax_uid).as_array(frames, decoding_plugin=PLUGIN)


def test_the_same_short_stream_under_16_mi_samples_still_reaches_libjpeg():
    # Below the threshold libjpeg's filler costs well under a second; the frame is
    # still decoded (the check is about time, and CharLS plugins remain the safe choice).
    frames = _jpeg_ls_with_declared_size(256, 1024)
    arr, _ = dp.get_decoder(frames.image.transfer_syntax_uid).as_array(frames, decoding_plugin=PLUGIN)
    assert arr.shape == (256, 1024)
