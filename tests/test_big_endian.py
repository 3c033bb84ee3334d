"""Explicit VR Big Endian pixel data decodes as pydicom decodes it: values, shape and dtype,
byte order included (``>i2`` arrays holding the stored bytes, PS3.5 A.3).

pydicom's wheel has only two big endian files with pixel data, so more kinds are written
here: unused high bits with noise in them, 32-bit, colour by plane, YBR_FULL to RGB,
8-bit samples in an OW value (word-swapped, PS3.5 A.2) and Float Pixel Data.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest

import dicom_pixels as dp

pydicom = pytest.importorskip("pydicom", reason="pydicom is the test oracle")

from pydicom.pixels import iter_pixels as pydicom_iter_pixels  # noqa: E402
from pydicom.pixels import pixel_array as pydicom_pixel_array  # noqa: E402
from pydicom.uid import ExplicitVRBigEndian  # noqa: E402

from .conftest import secondary_capture  # noqa: E402

RNG = np.random.default_rng(1123)


def _file(stored: np.ndarray, *, frames: int, samples: int = 1, bits_stored: int | None = None,
          signed: bool = False, pi: str = "MONOCHROME2", planar: int = 0, vr: str = "OW",
          keyword: str = "PixelData", stored_bytes: bytes | None = None) -> bytes:
    ds = secondary_capture(ExplicitVRBigEndian)
    ds.Rows, ds.Columns = stored.shape[-3:-1] if samples > 1 else stored.shape[-2:]
    ds.SamplesPerPixel = samples
    ds.PhotometricInterpretation = pi
    if samples > 1:
        ds.PlanarConfiguration = planar
    if frames > 1:
        ds.NumberOfFrames = frames
    ds.BitsAllocated = 8 * stored.dtype.itemsize
    if keyword == "PixelData":
        ds.BitsStored = bits_stored or ds.BitsAllocated
        ds.HighBit = ds.BitsStored - 1
        ds.PixelRepresentation = int(signed)
    data = stored_bytes if stored_bytes is not None else stored.astype(stored.dtype.newbyteorder(">")).tobytes()
    ds.add_new(keyword, vr, data)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds.save_as(buffer, enforce_file_format=True, little_endian=False, implicit_vr=False)
    return buffer.getvalue()


def _planes(arr: np.ndarray) -> np.ndarray:
    """Frames of (rows, cols, 3) stored colour-by-plane (Planar Configuration 1)."""
    return np.ascontiguousarray(np.moveaxis(arr, -1, -3))


CASES = {
    "int16, 12 bits stored, noise in the high bits": lambda: _file(
        RNG.integers(-32768, 32768, (3, 6, 5), dtype="i2"), frames=3, bits_stored=12, signed=True),
    "uint32, 2 frames": lambda: _file(RNG.integers(0, 2**32, (2, 4, 3), dtype="u4"), frames=2),
    "uint16 RGB by plane": lambda: _file(
        arr := RNG.integers(0, 65536, (2, 4, 6, 3), dtype="u2"), frames=2, samples=3, pi="RGB", planar=1,
        stored_bytes=_planes(arr).astype(">u2").tobytes()),
    "uint8 YBR_FULL": lambda: _file(
        RNG.integers(0, 256, (2, 4, 6, 3), dtype="u1"), frames=2, samples=3, pi="YBR_FULL", vr="OB"),
    "uint8 in OW (word-swapped)": lambda: _file(
        arr := RNG.integers(0, 256, (1, 4, 6), dtype="u1"), frames=1, vr="OW",
        stored_bytes=arr.reshape(-1, 2)[:, ::-1].tobytes()),
    "Float Pixel Data": lambda: _file(
        RNG.normal(size=(2, 3, 4)).astype("f4"), frames=2, vr="OF", keyword="FloatPixelData"),
}


@pytest.fixture(params=sorted(CASES), ids=lambda name: name.replace(" ", "_"))
def big_endian_file(request) -> bytes:
    return CASES[request.param]()


def _same(ours: np.ndarray, ref: np.ndarray) -> None:
    assert ours.shape == ref.shape
    assert ours.dtype == ref.dtype and ours.dtype.byteorder == ref.dtype.byteorder, (ours.dtype, ref.dtype)
    np.testing.assert_array_equal(ours, ref)


@pytest.mark.parametrize("options", [{}, {"index": 0}, {"raw": True}, {"as_rgb": False}],
                         ids=["all", "index", "raw", "no_rgb"])
def test_big_endian_files_decode_exactly_as_pydicom_decodes_them(big_endian_file, options):
    ref = pydicom_pixel_array(io.BytesIO(big_endian_file), **options)
    _same(dp.pixel_array(big_endian_file, **options), ref)
    ds = pydicom.dcmread(io.BytesIO(big_endian_file))
    _same(dp.pixel_array(ds, **options), ref)


def test_big_endian_frames_iterate_as_pydicom_iterates_them(big_endian_file):
    refs = list(pydicom_iter_pixels(io.BytesIO(big_endian_file)))
    ours = list(dp.iter_pixels(big_endian_file))
    assert len(ours) == len(refs)
    for frame, ref in zip(ours, refs):
        _same(frame, ref)


def test_big_endian_data_is_read_without_swapping_and_view_only_gives_the_stored_bytes():
    data = CASES["uint32, 2 frames"]()
    ds = pydicom.dcmread(io.BytesIO(data))
    view = dp.pixel_array(ds, view_only=True)
    assert view.dtype == np.dtype(">u4")
    assert np.shares_memory(view, np.frombuffer(ds.PixelData, "u1"))
    # Native byte order is one conversion away, for libraries that need it.
    native = view.astype(view.dtype.newbyteorder("="))
    assert native.dtype.isnative and np.array_equal(native, view)


def test_big_endian_arrays_are_written_as_little_endian_by_compress_and_transcode(tmp_path):
    data = CASES["int16, 12 bits stored, noise in the high bits"]()
    expected = pydicom_pixel_array(io.BytesIO(data))
    source = tmp_path / "be.dcm"
    source.write_bytes(data)
    for uid in ("1.2.840.10008.1.2.1", "1.2.840.10008.1.2.5"):
        out = tmp_path / f"{uid}.dcm"
        dp.transcode(source, out, uid)
        np.testing.assert_array_equal(pydicom_pixel_array(out), expected)
    ds = pydicom.dcmread(source)
    dp.compress(ds, "1.2.840.10008.1.2.5")
    np.testing.assert_array_equal(pydicom_pixel_array(ds), expected)
