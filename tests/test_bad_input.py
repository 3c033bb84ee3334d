"""Broken input gets a typed error that names the problem, never a crash or a huge allocation."""

from __future__ import annotations

import io

import numpy as np
import pytest

import dicom_pixels as dp
from dicom_pixels.errors import (
    DicomPixelsError,
    InvalidDicomError,
    InvalidPixelDescriptionError,
    TruncatedDataError,
)
from dicom_pixels.writer import DataElement, write_file


def _native(rows=16, cols=16, frames=4, pixel_bytes=None, ts="1.2.840.10008.1.2.1", extra=()):
    arr = np.arange(rows * cols * frames, dtype="<u2")
    elements = [
        DataElement(0x00280002, "US", 1), DataElement(0x00280004, "CS", "MONOCHROME2"),
        DataElement(0x00280008, "IS", frames), DataElement(0x00280010, "US", rows),
        DataElement(0x00280011, "US", cols), DataElement(0x00280100, "US", 16),
        DataElement(0x00280101, "US", 16), DataElement(0x00280103, "US", 0), *extra,
    ]
    buf = io.BytesIO()
    write_file(buf, elements, transfer_syntax_uid=ts, sop_class_uid="1.2.840.10008.5.1.4.1.1.7",
               sop_instance_uid="1.2.3", pixel_data=arr.tobytes() if pixel_bytes is None else pixel_bytes)
    return buf.getvalue()


def test_a_file_cut_inside_the_pixel_data_raises_truncated_data_naming_the_element():
    data = _native()
    with pytest.raises(TruncatedDataError) as exc:
        dp.pixel_array(data[:-100])
    assert "pixel" in str(exc.value).lower() or "7FE0" in str(exc.value).upper()


def test_rows_and_columns_larger_than_the_data_raise_before_allocating():
    # 65535 x 65535 x 1000 frames of 16-bit would be 8 TB: the length check must come first.
    data = _native().replace(b"\x28\x00\x10\x00US\x02\x00\x10\x00", b"\x28\x00\x10\x00US\x02\x00\xff\xff")
    with pytest.raises(TruncatedDataError, match="less than expected"):
        dp.pixel_array(data)


def test_a_pixel_data_length_past_the_end_of_the_file_is_reported():
    data = bytearray(_native())
    pos = data.rfind(b"\xe0\x7f\x10\x00OW")
    data[pos + 8 : pos + 12] = (10**9).to_bytes(4, "little")
    with pytest.raises(DicomPixelsError):
        dp.pixel_array(bytes(data))


def test_a_file_without_transfer_syntax_uid_says_how_to_fix_it():
    data = _native()
    # Remove the (0002,0010) value by renaming the tag to a private-ish meta tag (0002,0011 is unused)
    broken = data.replace(b"\x02\x00\x10\x00UI", b"\x02\x00\x11\x00UI", 1)
    with pytest.raises(InvalidDicomError, match="Transfer Syntax UID"):
        dp.pixel_array(broken)


@pytest.mark.parametrize("payload", [b"", b"hello", b"\x89PNG\r\n\x1a\n" + bytes(200), bytes(132)])
def test_non_dicom_input_raises_invalid_dicom(payload):
    with pytest.raises(InvalidDicomError):
        dp.pixel_array(payload)


def test_a_missing_file_raises_file_not_found_with_the_path(tmp_path):
    # issue 13 point 4: a FileNotFoundError (was InvalidDicomError)
    with pytest.raises(dp.errors.DicomFileNotFoundError, match="nope.dcm"):
        dp.pixel_array(tmp_path / "nope.dcm")


def test_invalid_bits_allocated_is_named():
    data = _native().replace(b"\x28\x00\x00\x01US\x02\x00\x10\x00", b"\x28\x00\x00\x01US\x02\x00\x0c\x00")
    with pytest.raises(InvalidPixelDescriptionError, match=r"\(0028,0100\) Bits Allocated value of 12"):
        dp.pixel_array(data)


def test_a_frame_index_out_of_range_names_the_frame_count():
    with pytest.raises(dp.errors.FrameIndexError, match="no frame 9.*4 frames"):  # issue 13: IndexError
        dp.pixel_array(_native(), index=9)


def test_excess_native_frames_are_ignored_with_a_warning_unless_asked_for():
    data = _native(frames=2, pixel_bytes=np.arange(16 * 16 * 3, dtype="<u2").tobytes())
    # issue 15: Number of Frames governs by default, as in pydicom's pixel_array(path)
    with pytest.warns(UserWarning, match="holds 3 frames.*returning the first 2"):
        assert dp.pixel_array(data).shape == (2, 16, 16)
    with pytest.warns(UserWarning, match="holds 3 frames"):
        assert dp.pixel_array(data, allow_excess_frames=True).shape == (3, 16, 16)
    assert dp.pixel_array(data, allow_excess_frames=False).shape == (2, 16, 16)


def test_the_dataset_without_pixel_data_says_so():
    pydicom = pytest.importorskip("pydicom")
    ds = pydicom.Dataset()
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.1"
    with pytest.raises(InvalidDicomError, match="no Pixel Data"):
        dp.pixel_array(ds)


def test_the_dataset_without_a_transfer_syntax_says_how_to_fix_it():
    pydicom = pytest.importorskip("pydicom")
    ds = pydicom.dcmread(dp.examples.get_path("ct"))
    del ds.file_meta.TransferSyntaxUID
    with pytest.raises(InvalidDicomError, match="transfer_syntax_uid="):
        dp.pixel_array(ds)


def test_every_error_class_derives_from_one_base():
    from dicom_pixels import errors

    for name in errors.__all__:
        assert issubclass(getattr(errors, name), DicomPixelsError)


def test_a_missing_path_or_a_directory_is_an_invalid_dicom_error_naming_it(tmp_path):
    import dicom_pixels as dp

    with pytest.raises(dp.errors.InvalidDicomError, match="No such file") as missing:
        dp.pixel_array(tmp_path / "missing.dcm")
    assert isinstance(missing.value, FileNotFoundError)
    # issue 15: a directory is refused as such, also as an IsADirectoryError
    with pytest.raises(dp.errors.InvalidDicomError, match="is a directory") as directory:
        dp.pixel_array(tmp_path)
    assert isinstance(directory.value, IsADirectoryError)
