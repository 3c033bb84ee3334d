"""transcode(): file to file without pydicom, checked with pydicom and dicom3tools' dciodvfy."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pytest

pydicom = pytest.importorskip("pydicom", reason="pydicom is the test oracle")

import dicom_pixels as dp  # noqa: E402
from dicom_pixels import hookimpl, pixel_dataset  # noqa: E402
from dicom_pixels.cli import main  # noqa: E402
from dicom_pixels.errors import (  # noqa: E402
    DicomPixelsError,
    EncodeError,
    EncodingProfileError,
    NoPluginError,
)
from dicom_pixels.transcode import transcode  # noqa: E402

from .conftest import (  # noqa: E402
    decodable,
    encoder_available,
    requires_encoder,
    requires_pydicom_decoder,
)

TEST_FILES = Path(pydicom.data.__file__).parent / "test_files"
#: Lossless sources in every dataset encoding: explicit/implicit/big endian/deflated,
#: with sequences and private elements, mono/colour, signed, multi-frame.
SOURCES = [
    "CT_small.dcm",
    "MR_small_implicit.dcm",
    "MR_small_bigendian.dcm",
    "SC_rgb_rle_2frame.dcm",
    "rtdose.dcm",
    "image_dfl.dcm",
    "SC_rgb_small_odd.dcm",
    "MR_small_jp2klossless.dcm",
]
TARGETS = ["RLELossless", "JPEG2000Lossless", "JPEGLSLossless", "JPEGLosslessSV1", "ExplicitVRLittleEndian"]
#: Elements transcode rewrites on purpose.
#: (FFFC,FFFC) Data Set Trailing Padding is dropped (PS3.10 7.2: it has no meaning).
CHANGED = {0xFFFCFFFC, 0x00080018, 0x00280002, 0x00280004, 0x00280006, 0x00280008, 0x00280100, 0x00280101,
           0x00280102, 0x00280103, 0x00282110, 0x00282112, 0x00282114, 0x7FE00001, 0x7FE00002,
           0x7FE00010}


def _dciodvfy() -> str | None:
    found = shutil.which("dciodvfy") or str(Path(sys.executable).with_name("dciodvfy"))
    return found if os.path.exists(found) else None


def _errors(path: Path) -> set[str]:
    """dciodvfy's error lines, without the parts that name the file's own values."""
    exe = _dciodvfy()
    assert exe is not None
    result = subprocess.run([exe, str(path)], capture_output=True, text=True, timeout=60)
    if result.returncode < 0 or "Assertion" in result.stderr:
        pytest.skip(f"dciodvfy cannot read {path.name}: {result.stderr.strip()[:120]}")
    return {line.strip() for line in (result.stdout + result.stderr).splitlines() if line.startswith("Error")}


def _fits(path: Path, target: str) -> bool:
    from dicom_pixels.encoder import check_profile
    from dicom_pixels.source import open_source

    with open_source(path) as source:
        image = source.image
    _, meta = dp.get_decoder(image.transfer_syntax_uid).as_array(path, index=0, as_rgb=False)
    pi = meta["photometric_interpretation"]
    pi = "YBR_FULL" if pi == "YBR_FULL_422" else pi
    try:
        check_profile(image.replace(photometric_interpretation=pi, transfer_syntax_uid=dp.uid.lookup(target).uid), target)
    except EncodingProfileError:
        return False
    return True


def _read(path: Path) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(path)


@pytest.mark.parametrize("target", TARGETS)
def test_lossless_transcode_keeps_pixels_and_every_other_element(target, tmp_path):
    requires_encoder(target)
    requires_pydicom_decoder(target)
    done = 0
    # MR_small_jp2klossless.dcm needs a JPEG 2000 decoder; the others, the native plugin.
    for src in decodable(TEST_FILES / name for name in SOURCES):
        name = src.name
        if not _fits(src, target):
            continue
        dst = tmp_path / f"{name}.{target}.dcm"
        try:
            transcode(src, dst, target, verify=True)
        except NoPluginError:
            continue  # fits the profile, but no installed backend takes it (e.g. 32-bit J2K)
        done += 1
        original, written = _read(src), _read(dst)
        assert written.file_meta.TransferSyntaxUID == dp.uid.lookup(target).uid
        np.testing.assert_array_equal(
            pydicom.pixels.pixel_array(dst, raw=True),
            dp.get_decoder(original.file_meta.TransferSyntaxUID).as_array(src, as_rgb=False)[0],
            err_msg=name,
        )
        for element in original:
            if element.tag in CHANGED:
                continue
            assert element.tag in written, f"{name}: {element.tag} lost"
            assert written[element.tag].value == element.value, f"{name}: {element.tag} changed"
        assert written.SOPInstanceUID == original.SOPInstanceUID  # lossless: same instance
    assert done >= 3


@pytest.mark.skipif(_dciodvfy() is None, reason="dicom3tools (dciodvfy) is not installed")
@pytest.mark.parametrize(
    "name", ["CT_small.dcm", "MR_small_implicit.dcm", "SC_rgb_rle.dcm", "MR_small_bigendian.dcm"]
)
def test_dciodvfy_finds_no_new_error_in_transcoded_files(name, tmp_path):
    src = TEST_FILES / name
    before = _errors(src)
    targets = [t for t in ("RLELossless", "JPEG2000Lossless", "ExplicitVRLittleEndian") if encoder_available(t)]
    assert len(targets) >= 2  # the native plugin alone writes RLE and native
    for target in targets:
        dst = tmp_path / f"{target}.dcm"
        transcode(src, dst, target)
        assert _errors(dst) - before == set(), target


@pytest.mark.skipif(_dciodvfy() is None, reason="dicom3tools (dciodvfy) is not installed")
def test_dciodvfy_finds_no_new_error_in_lossy_transcodes_or_compressed_datasets(tmp_path):
    requires_encoder("JPEG2000")
    requires_encoder("JPEGLSLossless")
    src = TEST_FILES / "CT_small.dcm"
    before = _errors(src)
    dst = tmp_path / "lossy.dcm"
    transcode(src, dst, "JPEG2000", j2k_cr=[10])
    assert _errors(dst) - before == set()
    written = _read(dst)
    assert written.LossyImageCompression == "01" and written.SOPInstanceUID != _read(src).SOPInstanceUID
    ds = _read(src)
    dp.compress(ds, "JPEGLSLossless")
    saved = tmp_path / "compressed.dcm"
    ds.save_as(saved)
    assert _errors(saved) - before == set()


def test_extended_offset_table_is_written_when_the_basic_one_would_overflow(tmp_path, monkeypatch):
    # Lossless frames are written straight to the output after a reserved Basic Offset
    # Table; an offset past its limit (never seen with real data: the size bound in
    # transcode._bounded_by_basic_offsets) makes the writer start again through a spool.
    monkeypatch.setattr(pixel_dataset, "BASIC_OFFSET_LIMIT", 64)
    dst = tmp_path / "eot.dcm"
    transcode(TEST_FILES / "rtdose.dcm", dst, "RLELossless")
    written = _read(dst)
    assert "ExtendedOffsetTable" in written
    assert written.PixelData[4:8] == b"\x00\x00\x00\x00"  # an empty Basic Offset Table item
    np.testing.assert_array_equal(pydicom.pixels.pixel_array(dst), _read(TEST_FILES / "rtdose.dcm").pixel_array)


@pytest.mark.parametrize(("target", "kwargs"), [
    ("RLELossless", {}),  # lossless: frames written directly, the table filled in afterwards
    ("JPEGLSLossless", {}),
    ("JPEGLSNearLossless", {"jls_error": 2}),  # lossy: the ratio needs every frame first (spool)
])
def test_the_basic_offset_table_points_at_every_fragment(target, kwargs, tmp_path):
    ds = pydicom.Dataset()
    ds.SOPClassUID, ds.SOPInstanceUID = "1.2.840.10008.5.1.4.1.1.7", "1.2.3.4"
    volume = np.random.default_rng(3).integers(0, 4096, (7, 24, 33)).astype("u2")
    dp.set_pixel_data(ds, volume, "MONOCHROME2", 12)
    src, dst = tmp_path / "volume.dcm", tmp_path / "bot.dcm"
    ds.save_as(src, enforce_file_format=True)
    transcode(src, dst, target, **kwargs)
    with dp.reader.read_dicom(dst) as dicom:
        assert dicom.pixel is not None
        value = dicom.read_at(dicom.pixel.offset, dicom.size - dicom.pixel.offset)
    assert value[:4] == b"\xfe\xff\x00\xe0"
    table_length = int.from_bytes(value[4:8], "little")
    frames = len(volume)
    assert table_length == 4 * frames
    table = np.frombuffer(value[8 : 8 + table_length], "<u4")
    first = 8 + table_length
    positions, at = [], first
    while value[at : at + 4] == b"\xfe\xff\x00\xe0":
        positions.append(at - first)
        at += 8 + int.from_bytes(value[at + 4 : at + 8], "little")
    assert value[at : at + 4] == b"\xfe\xff\xdd\xe0"  # the sequence delimiter follows the last one
    assert table.tolist() == positions and len(positions) == frames
    np.testing.assert_array_equal(pydicom.pixels.pixel_array(dst, index=frames - 1),
                                  dp.pixel_array(dst, index=frames - 1))


def test_odd_length_frames_become_even_fragments(tmp_path):
    dst = tmp_path / "odd.dcm"
    transcode(TEST_FILES / "SC_rgb_small_odd.dcm", dst, "DeflatedImageFrameCompression")
    with dp.reader.read_dicom(dst) as dicom:
        assert dicom.pixel is not None
        value = dicom.read_at(dicom.pixel.offset, dicom.size - dicom.pixel.offset)
    assert all(len(f) % 2 == 0 for f in dp.encaps.generate_fragments(value))


def test_profile_errors_are_raised_before_anything_is_written(tmp_path):
    dst = tmp_path / "never.dcm"
    with pytest.raises(EncodingProfileError):
        transcode(TEST_FILES / "CT_small.dcm", dst, "JPEGBaseline8Bit")
    with pytest.raises(EncodingProfileError, match="j2k_cr"):
        transcode(TEST_FILES / "CT_small.dcm", dst, "JPEG2000")
    assert not dst.exists() and os.listdir(tmp_path) == []


# -- failures leave nothing behind ------------------------------------------------------------

_CALLS = {"n": 0}


def _encode_then_fail(arr: np.ndarray, frame: dp.EncodeFrame) -> bytes:
    if frame.index == 3:
        raise RuntimeError("backend crashed on frame 3")
    return b"\x00" * 10


def _encode_wrongly(arr: np.ndarray, frame: dp.EncodeFrame) -> bytes:
    from dicom_pixels_native.rle import encode_rle

    return encode_rle(arr + 1, frame)  # not what was asked: verify must catch it


class _FaultyPlugin:
    @hookimpl
    def dicom_pixels_register_codecs(self, registry):
        registry.add_encoder("RLELossless", f"{__name__}:_encode_then_fail")
        registry.add_encoder("JPEGLSLossless", f"{__name__}:_encode_wrongly")


@pytest.fixture
def faulty(fresh_registry):
    if __name__ not in sys.modules:
        pytest.skip("the test module is not importable by name")
    name = dp.register(_FaultyPlugin(), name="faulty")
    yield name
    fresh_registry.unregister(name)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_codec_failure_mid_volume_leaves_no_destination_and_the_source_untouched(faulty, tmp_path):
    src = tmp_path / "src.dcm"
    shutil.copyfile(TEST_FILES / "rtdose.dcm", src)
    digest = _digest(src)
    dst = tmp_path / "out" / "dst.dcm"
    dst.parent.mkdir()
    with pytest.raises(EncodeError, match="frame 3"):
        transcode(src, dst, "RLELossless", encoding_plugin=faulty)
    assert os.listdir(dst.parent) == []  # no destination, no temporary or spool file
    assert _digest(src) == digest


def test_verify_refuses_to_write_a_result_that_differs_from_the_source(faulty, tmp_path):
    dst = tmp_path / "dst.dcm"
    with pytest.raises(EncodeError, match="Verification failed"):
        transcode(TEST_FILES / "CT_small.dcm", dst, "JPEGLSLossless", encoding_plugin=faulty, verify=True)
    assert os.listdir(tmp_path) == []


def test_transcoding_a_file_onto_itself_replaces_it_atomically(tmp_path):
    path = tmp_path / "ct.dcm"
    shutil.copyfile(TEST_FILES / "CT_small.dcm", path)
    expected = _read(path).pixel_array
    transcode(path, path, "RLELossless", verify=True)
    assert _read(path).file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.5"
    np.testing.assert_array_equal(pydicom.pixels.pixel_array(path), expected)


def test_transcode_streams_frames_so_memory_stays_near_one_frame(tmp_path):
    def volume(count: int) -> tuple[Path, np.ndarray]:
        frames = np.random.default_rng(0).integers(0, 4096, (count, 128, 128)).astype("u2")
        ds = pydicom.Dataset()
        ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
        ds.SOPInstanceUID = "1.2.3.4"
        dp.set_pixel_data(ds, frames, "MONOCHROME2", 12)
        src = tmp_path / f"frames_{count}.dcm"
        ds.save_as(src, enforce_file_format=True)
        return src, frames

    def peak_transcoding(src: Path, workers: int) -> int:
        tracemalloc.start()
        try:
            transcode(src, tmp_path / "big_rle.dcm", "RLELossless", workers=workers)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    # The encoder's own working memory for one frame differs between plugins (the native
    # NumPy RLE encoder needs ~36 frames' worth of temporaries, pylibjpeg's far less), so the
    # 2-frame volume is the baseline: 38 more frames must add little to it.
    small, _ = volume(2)
    src, frames = volume(40)
    frame_bytes = frames.nbytes // len(frames)
    peak_transcoding(small, 1)  # first use: imports and caches
    baseline = peak_transcoding(small, 1)
    # One worker: one frame at a time. Two: a window of 2 frames per worker, each held
    # decoded and then encoded until written, plus the frame in hand: 9, whatever the count.
    for workers, frames_held in ((1, 5), (2, 9)):
        peak = peak_transcoding(src, workers)
        assert peak - baseline < frames_held * frame_bytes, (
            f"peak {peak} bytes for {frames.nbytes} bytes of pixels ({baseline} for 2 frames), "
            f"{workers} worker(s)"
        )
        np.testing.assert_array_equal(dp.pixel_array(tmp_path / "big_rle.dcm"), frames)


def test_transcode_accepts_lossy_targets_and_marks_them(tmp_path):
    requires_encoder("JPEGLSNearLossless")
    requires_pydicom_decoder("JPEGLSNearLossless")
    dst = tmp_path / "near.dcm"
    transcode(TEST_FILES / "CT_small.dcm", dst, "JPEGLSNearLossless", jls_error=2)
    written = _read(dst)
    assert written.LossyImageCompression == "01"
    assert written.LossyImageCompressionMethod == "ISO_14495_1"
    diff = pydicom.pixels.pixel_array(dst).astype(int) - _read(TEST_FILES / "CT_small.dcm").pixel_array
    assert np.abs(diff).max() <= 2


def test_transcode_rejects_native_targets_it_does_not_write(tmp_path):
    with pytest.raises(EncodingProfileError, match="Explicit VR Little Endian"):
        transcode(TEST_FILES / "CT_small.dcm", tmp_path / "x.dcm", "ExplicitVRBigEndian")


# -- the command line -------------------------------------------------------------------------


def test_cli_transcodes_several_files_into_a_directory(tmp_path, capsys):
    out = tmp_path / "out"
    status = main(["transcode", str(TEST_FILES / "CT_small.dcm"), str(TEST_FILES / "rtdose.dcm"),
                   str(out), "--to", "RLELossless", "--verify"])
    captured = capsys.readouterr()
    assert status == 0
    assert sorted(os.listdir(out)) == ["CT_small.dcm", "rtdose.dcm"]
    # issue 13: no progress bar off a terminal (was shown for several files); the bar on a
    # terminal is tested in tests/test_cli_output.py
    assert captured.err == ""
    assert pydicom.pixels.pixel_array(out / "rtdose.dcm").shape == (15, 10, 10)


def test_cli_transcodes_to_a_lossy_target_given_its_options(tmp_path):
    requires_encoder("JPEG2000")
    status = main(["transcode", str(TEST_FILES / "CT_small.dcm"), str(tmp_path / "x.dcm"),
                   "--to", "JPEG2000", "--j2k-cr", "10"])
    assert status == 0


def test_cli_reports_profile_errors_with_status_1(tmp_path, capsys):
    status = main(["transcode", str(TEST_FILES / "CT_small.dcm"), str(tmp_path / "y.dcm"),
                   "--to", "JPEGBaseline8Bit"])
    assert status == 1
    assert "Allowed" in capsys.readouterr().err
    assert not (tmp_path / "y.dcm").exists()


def test_cli_names_what_to_install_when_no_plugin_encodes_the_target(tmp_path, capsys, monkeypatch,
                                                                    fresh_registry):
    monkeypatch.setenv("DICOM_PIXELS_PLUGINS", "native")
    fresh_registry.reload()
    status = main(["transcode", str(TEST_FILES / "CT_small.dcm"), str(tmp_path / "z.dcm"),
                   "--to", "JPEG2000", "--j2k-cr", "10"])
    assert status == 1
    assert 'pip install "dicom-pixels[imagecodecs]"' in capsys.readouterr().err
    assert not (tmp_path / "z.dcm").exists()


def test_transcode_errors_are_dicom_pixels_errors(tmp_path):
    with pytest.raises(DicomPixelsError):
        transcode(tmp_path / "missing.dcm", tmp_path / "x.dcm", "RLELossless")
    assert not (tmp_path / "x.dcm").exists()


def test_written_files_are_as_readable_as_files_open_creates(tmp_path):
    """mkstemp makes owner-only files; an output must get the usual 0666-less-umask mode,
    and replacing a file keeps that file's mode."""
    import os
    import stat

    from dicom_pixels.writer import _UMASK

    out = tmp_path / "new.dcm"
    dp.transcode(dp.examples.ct, out, "RLELossless")
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~_UMASK
    existing = tmp_path / "existing.dcm"
    existing.write_bytes(b"old")
    os.chmod(existing, 0o640)
    dp.transcode(dp.examples.ct, existing, "RLELossless")
    assert stat.S_IMODE(existing.stat().st_mode) == 0o640


def _ultrasound_rgb(path: Path, frames: int = 1) -> Path:
    """An Ultrasound (Multi-frame) Image file of RGB native pixels, built with pydicom."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.3.1" if frames > 1 else "1.2.840.10008.5.1.4.1.1.6.1"
    ds.SOPInstanceUID = "1.2.826.0.1.3680043.8.498.16"
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.Modality, ds.PatientName, ds.PatientID = "US", "Test^US", "16"
    ds.StudyInstanceUID, ds.SeriesInstanceUID = "1.2.826.0.1.3680043.8.498.161", "1.2.826.0.1.3680043.8.498.162"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "ABDOMINAL", "0001"]
    ds.SamplesPerPixel, ds.PhotometricInterpretation, ds.PlanarConfiguration = 3, "RGB", 0
    ds.Rows, ds.Columns, ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 48, 64, 8, 8, 7, 0
    if frames > 1:
        ds.NumberOfFrames, ds.FrameTime, ds.FrameIncrementPointer = frames, 40, 0x00181063
    y, x = np.mgrid[0:48, 0:64]
    noise = np.random.default_rng(16).integers(0, 9, (frames, 48, 64, 3))
    ds.PixelData = (np.stack([x * 3, y * 4, (x + y) * 2], -1) + noise).astype("u1").tobytes()
    ds.save_as(path, enforce_file_format=True)
    return path


@pytest.mark.skipif(_dciodvfy() is None, reason="dicom3tools (dciodvfy) is not installed")
@pytest.mark.parametrize("frames", [1, 3])
def test_ultrasound_rgb_becomes_ybr_rct_in_jpeg_2000_lossless_as_its_iod_requires(frames, tmp_path):
    requires_encoder("JPEG2000Lossless")
    requires_pydicom_decoder("JPEG2000Lossless")
    src = _ultrasound_rgb(tmp_path / "us.dcm", frames)
    before = _errors(src)
    dst = tmp_path / "us_j2k.dcm"
    transcode(src, dst, "JPEG2000Lossless", verify=True)
    # PS3.3 C.8.5.6.1.2: RGB is not an Ultrasound JPEG 2000 value; dciodvfy says so for RGB.
    assert _errors(dst) - before == set()
    written = _read(dst)
    assert written.PhotometricInterpretation == "YBR_RCT"
    expected = _read(src).pixel_array
    assert np.array_equal(written.pixel_array, expected)  # pydicom undoes the RCT: RGB again
    assert np.array_equal(dp.pixel_array(dst), expected)
    # An explicit choice is kept: RGB, which dciodvfy then reports.
    transcode(src, tmp_path / "rgb.dcm", "JPEG2000Lossless", use_mct=False)
    assert _read(tmp_path / "rgb.dcm").PhotometricInterpretation == "RGB"
    assert any("Photometric Interpretation" in e for e in _errors(tmp_path / "rgb.dcm") - before)


def test_compress_applies_the_ultrasound_colour_transform_rule_too(tmp_path):
    requires_encoder("JPEG2000Lossless")
    ds = _read(_ultrasound_rgb(tmp_path / "us.dcm"))
    expected = ds.pixel_array
    dp.compress(ds, "JPEG2000Lossless")
    assert ds.PhotometricInterpretation == "YBR_RCT"
    assert np.array_equal(dp.pixel_array(ds), expected)
    other = _read(_ultrasound_rgb(tmp_path / "sc.dcm"))
    other.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"  # Secondary Capture: RGB stays allowed
    dp.compress(other, "JPEG2000Lossless")
    assert other.PhotometricInterpretation == "RGB"
