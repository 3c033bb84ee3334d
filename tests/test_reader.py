"""The lean Part 10 reader agrees with pydicom, reads only the header, and fails with typed errors."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import threading
import warnings
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dicom_pixels import reader
from dicom_pixels.dictionary import DICTIONARY, keyword_for, tag_for, vr_for
from dicom_pixels.errors import (
    DicomPixelsError,
    InvalidDicomError,
    TruncatedDataError,
    UnsupportedTransferSyntaxError,
)
from dicom_pixels.reader import Element, read_dicom

from .conftest import damaged

pydicom = pytest.importorskip("pydicom", reason="pydicom is the test oracle")

from pydicom.data import get_testdata_file, get_testdata_files  # noqa: E402
from pydicom.dataelem import RawDataElement  # noqa: E402
from pydicom.dataset import Dataset, FileMetaDataset  # noqa: E402
from pydicom.sequence import Sequence  # noqa: E402

PIXEL_TAGS = (0x7FE00010, 0x7FE00008, 0x7FE00009)
IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
EXPLICIT_BE = "1.2.840.10008.1.2.2"
# MR_truncated.dcm declares 8192 bytes of pixel data but holds fewer: we refuse it,
# pydicom reads the short value (see the dedicated test below).
TRUNCATED_PIXELS = {"MR_truncated.dcm"}


def _dcmread(path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(path, force=True)


def _oracle_files() -> tuple[list[Path], list[Path]]:
    """Split the bundled files pydicom reads (force=True) into (with pixels, without)."""
    with_pixels, without = [], []
    for name in sorted(get_testdata_files()):
        path = Path(name)
        if not path.is_file():
            continue
        try:
            ds = _dcmread(path)
        except Exception:  # pragma: no cover - pydicom 3 forces every bundled file
            continue
        if any(tag in ds for tag in PIXEL_TAGS) and "TransferSyntaxUID" in ds.file_meta:
            with_pixels.append(path)
        else:
            without.append(path)
    return with_pixels, without


WITH_PIXELS, WITHOUT_PIXELS = _oracle_files()


def _ids(paths: list[Path]) -> list[str]:
    return [f"{p.parent.name}/{p.name}" for p in paths]


def _file(ts: str = EXPLICIT_LE, *, frames: int = 1, rows: int = 8, cols: int = 8,
          build=None) -> bytes:
    """A small Part 10 file written by pydicom (16-bit MONOCHROME2)."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ts
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPInstanceUID = "1.2.3.4"
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = "1.2.3.4"
    ds.PatientName = "Doe^Jane"
    ds.StudyDate = "20240101"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.NumberOfFrames = frames
    ds.Rows, ds.Columns = rows, cols
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    if build is not None:
        build(ds)
    ds.PixelData = np.arange(frames * rows * cols, dtype="<u2").tobytes()
    buf = io.BytesIO()
    pydicom.dcmwrite(buf, ds, enforce_file_format=True)
    return buf.getvalue()


# -- pydicom's test files as the oracle -------------------------------------------------------


@pytest.mark.parametrize("path", WITH_PIXELS, ids=_ids(WITH_PIXELS))
def test_pixel_element_and_image_pixel_values_match_pydicom(path: Path):
    ds = _dcmread(path)
    if path.name in TRUNCATED_PIXELS:
        with pytest.raises(TruncatedDataError, match="PixelData"):
            read_dicom(path)
        return
    with read_dicom(path) as dicom:
        tag = next(t for t in PIXEL_TAGS if t in ds)
        assert dicom.pixel is not None
        assert dicom.pixel.tag == tag
        assert dicom.pixel.keyword == ds[tag].keyword
        if not dicom.transfer_syntax.implicit_vr:
            assert dicom.pixel.vr == ds[tag].VR
        assert dicom.get(0x00020010) == ds.file_meta.TransferSyntaxUID
        assert dicom.transfer_syntax.uid == ds.file_meta.TransferSyntaxUID

        expected = ds[tag].value
        assert dicom.read_at(dicom.pixel.offset, len(expected)) == expected
        if dicom.pixel.length is None:
            # PS3.5 A.4: the encapsulated value ends with a sequence delimiter.
            endian = "<" if dicom.transfer_syntax.little_endian else ">"
            delimiter = struct.pack(endian + "HHI", 0xFFFE, 0xE0DD, 0)
            assert dicom.read_at(dicom.pixel.offset + len(expected), 8) == delimiter
        else:
            assert dicom.pixel.length == len(expected)

        for keyword in ("Rows", "Columns", "BitsAllocated", "BitsStored", "SamplesPerPixel",
                        "PixelRepresentation", "PhotometricInterpretation"):
            assert dicom.get(keyword) == ds.get(keyword), keyword
        if "NumberOfFrames" in ds:
            _assert_number_of_frames_matches(dicom, ds)


def _assert_number_of_frames_matches(dicom, ds) -> None:
    raw = ds["NumberOfFrames"].value
    try:
        expected = None if raw in (None, "") else int(raw)
    except (TypeError, ValueError):
        # e.g. badVR.dcm holds '1A': pydicom warns, we refuse with a typed error.
        with pytest.raises(InvalidDicomError, match=r"\(0028,0008\)"):
            dicom.get(0x00280008)
        return
    assert dicom.get(0x00280008) == expected


@pytest.mark.parametrize("path", WITH_PIXELS + WITHOUT_PIXELS, ids=_ids(WITH_PIXELS + WITHOUT_PIXELS))
def test_top_level_elements_before_the_pixels_match_pydicom(path: Path):
    ds = _dcmread(path)
    try:
        dicom = read_dicom(path)
    except DicomPixelsError:
        # Readable by pydicom's forgiving parser but broken (truncated, no transfer syntax,
        # garbage): a typed error is the contract; the pixel files are checked above.
        assert path not in WITH_PIXELS or path.name in TRUNCATED_PIXELS
        return
    with dicom:
        raw_elements = {int(tag): ds.get_item(tag) for tag in sorted(ds.keys()) if tag < 0x7FE00008}
        for tag, raw in raw_elements.items():
            if not isinstance(raw, RawDataElement):  # already converted by pydicom
                assert raw.VR == "SQ" or tag in dicom.elements
                continue
            if raw.length > 65536 or raw.VR == "SQ" or _pydicom_vr(tag) == "SQ":
                continue
            ours = dicom.elements[tag]
            assert ours.raw == raw.value, reader.format_tag(tag)
            if not dicom.transfer_syntax.deflated:  # pydicom's offsets restart when inflated
                assert ours.offset == raw.value_tell, reader.format_tag(tag)
            if raw.VR is not None:  # explicit VR
                assert ours.vr == raw.VR, reader.format_tag(tag)


def _pydicom_vr(tag: int) -> str:
    from pydicom.datadict import dictionary_VR

    try:
        return dictionary_VR(tag)
    except KeyError:
        return "UN"


NOT_DICOM = ["README.txt", "crayons.icc", "zipMR.gz", "test1.json", "rtplan.dump", "no_meta.dcm"]


@pytest.mark.parametrize("name", NOT_DICOM)
def test_files_that_are_not_dicom_raise_invalid_dicom_even_where_pydicom_forces_them(name):
    # pydicom's force=True parses anything into some dataset; without a preamble, a
    # meta group or a plausible first element we refuse (no_meta.dcm starts with a
    # byte-shifted tag that pydicom reads as a single garbage element).
    path = Path(get_testdata_file(name))
    if path.name != "no_meta.dcm":
        assert not any(tag in _dcmread(path) for tag in PIXEL_TAGS)
    with pytest.raises(InvalidDicomError, match="not a DICOM Part 10 file"):
        read_dicom(path)


def test_a_file_whose_pixel_data_is_cut_short_raises_truncated_data_naming_pixel_data():
    path = Path(get_testdata_file("MR_truncated.dcm"))
    ds = _dcmread(path)
    assert len(ds.PixelData) < ds.Rows * ds.Columns * ds.BitsAllocated // 8  # really truncated
    with pytest.raises(TruncatedDataError, match=r"\(7FE0,0010\) PixelData") as exc:
        read_dicom(path)
    assert str(path) in str(exc.value)


def test_a_file_meta_without_transfer_syntax_uid_needs_the_keyword_argument():
    path = Path(get_testdata_file("meta_missing_tsyntax.dcm"))
    with pytest.raises(InvalidDicomError, match="Transfer Syntax UID.*transfer_syntax_uid="):
        read_dicom(path)
    ds = _dcmread(path)
    with read_dicom(path, transfer_syntax_uid=IMPLICIT_LE) as dicom:
        assert dicom.transfer_syntax.uid == IMPLICIT_LE
        assert dicom.read_at(dicom.pixel.offset, dicom.pixel.length) == ds.PixelData


def test_the_deflated_dataset_is_inflated_and_offsets_refer_to_the_inflated_stream():
    path = Path(get_testdata_file("image_dfl.dcm"))
    ds = _dcmread(path)
    with read_dicom(path) as dicom:
        assert dicom.transfer_syntax.deflated
        assert dicom.size > path.stat().st_size  # the inflated stream is larger
        assert dicom.read_at(dicom.pixel.offset, dicom.pixel.length) == ds.PixelData
        assert dicom.get("Rows") == ds.Rows
        # the File Meta Information keeps its file offsets
        meta = dicom.file_meta[0x00020010]
        assert dicom.read_at(meta.offset, len(meta.raw)) == meta.raw


def test_an_open_deflated_file_can_be_parsed_again_for_more_tags():
    path = Path(get_testdata_file("image_dfl.dcm"))
    with read_dicom(path, specific_tags=[]) as first:
        assert 0x00100010 not in first.elements
        with read_dicom(first, specific_tags=[0x00100010]) as again:
            assert again.get("PatientName") == _dcmread(path).PatientName
            assert again.pixel == first.pixel
        assert first.read_at(first.pixel.offset, 4)  # closing the second left the first open


def test_a_deflate_bomb_stops_at_max_inflated_size(monkeypatch):
    data = Path(get_testdata_file("image_dfl.dcm")).read_bytes()
    monkeypatch.setattr(reader, "MAX_INFLATED_SIZE", 1000)
    with pytest.raises(InvalidDicomError, match="MAX_INFLATED_SIZE"):
        read_dicom(data)


def test_a_corrupt_deflate_stream_raises_invalid_dicom():
    data = bytearray(Path(get_testdata_file("image_dfl.dcm")).read_bytes())
    with read_dicom(bytes(data)) as dicom:
        start = max(el.offset + len(el.raw) for el in dicom.file_meta.values())
    data[start : start + 4] = b"\xff\xff\xff\xff"
    with pytest.raises(InvalidDicomError, match="inflated"):
        read_dicom(bytes(data))


def test_big_endian_values_are_decoded_with_big_endian_byte_order():
    path = Path(get_testdata_file("MR_small_bigendian.dcm"))
    ds = _dcmread(path)
    with read_dicom(path) as dicom:
        assert not dicom.transfer_syntax.little_endian
        assert not dicom.elements[0x00280010].little_endian
        assert dicom.get("Rows") == ds.Rows == 64
        assert dicom.get("PixelSpacing") == [float(v) for v in ds.PixelSpacing]


# -- inputs: path, bytes, file objects -------------------------------------------------------


def test_bytes_bytearray_and_memoryview_give_the_same_result_as_the_path():
    path = Path(get_testdata_file("CT_small.dcm"))
    with read_dicom(path) as expected:
        for src in (path.read_bytes(), bytearray(path.read_bytes()), memoryview(path.read_bytes()),
                    str(path)):
            with read_dicom(src) as dicom:
                assert dicom.pixel == expected.pixel
                assert dicom.elements == expected.elements
                assert dicom.size == expected.size
        assert read_dicom(path.read_bytes()).name == "<bytes>"


def test_a_file_object_keeps_its_position_and_stays_open():
    data = _file(frames=3)
    f = io.BytesIO(data)
    f.seek(17)
    dicom = read_dicom(f)
    assert f.tell() == 17
    frame = dicom.read_at(dicom.pixel.offset + 128, 128)
    assert frame == np.arange(64, 128, dtype="<u2").tobytes()
    assert f.tell() == 17
    dicom.close()
    assert not f.closed
    assert repr(f) == dicom.name


def test_a_path_is_closed_by_close_and_reads_afterwards_fail_clearly(tmp_path):
    path = tmp_path / "x.dcm"
    path.write_bytes(_file())
    dicom = read_dicom(path)
    dicom.close()
    with pytest.raises(InvalidDicomError, match="closed"):
        dicom.read_at(0, 4)
    assert dicom.name == str(path)


def test_a_non_seekable_file_object_is_refused_with_advice():
    class Pipe(io.RawIOBase):
        def readable(self):
            return True

        def seekable(self):
            return False

    with pytest.raises(InvalidDicomError, match="seekable"):
        read_dicom(Pipe())


def test_concurrent_reads_on_one_file_object_return_the_right_bytes():
    data = _file(frames=50)
    f = io.BytesIO(data)
    f.seek(5)
    dicom = read_dicom(f)
    frame = 8 * 8 * 2
    pixels = np.arange(50 * 64, dtype="<u2").tobytes()

    def read(i: int) -> bool:
        return dicom.read_at(dicom.pixel.offset + i * frame, frame) == pixels[i * frame : (i + 1) * frame]

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(read, [i % 50 for i in range(400)]))
    assert f.tell() == 5


def test_readinto_at_fills_a_numpy_array_and_refuses_a_short_stream():
    data = _file(frames=2)
    with read_dicom(data) as dicom:
        out = np.empty((8, 8), dtype="<u2")
        assert dicom.readinto_at(dicom.pixel.offset + 128, out) == 128
        assert np.array_equal(out.ravel(), np.arange(64, 128))
        with pytest.raises(TruncatedDataError, match="<bytes>"):
            dicom.readinto_at(dicom.size - 10, out)
        with pytest.raises(TruncatedDataError, match="<bytes>"):
            dicom.read_at(dicom.size - 10, 11)


def test_reading_the_header_of_a_200_frame_file_reads_a_tiny_part_of_it(tmp_path):
    path = tmp_path / "big.dcm"
    path.write_bytes(_file(frames=200, rows=64, cols=64))
    with read_dicom(path) as dicom:
        header = dicom.pixel.offset
        assert dicom.bytes_read < 2 * header + 512 < path.stat().st_size // 100
        before = dicom.bytes_read
        dicom.read_at(dicom.pixel.offset + 150 * 8192, 8192)
        assert dicom.bytes_read - before == 8192

    class Counting(io.BytesIO):
        handed_out = 0

        def read(self, size=-1):
            chunk = super().read(size)
            self.handed_out += len(chunk)
            return chunk

    f = Counting(path.read_bytes())
    with read_dicom(f) as dicom:
        assert f.handed_out == dicom.bytes_read < 2 * dicom.pixel.offset + 512


# -- encodings and structure ---------------------------------------------------------------------


def test_a_file_without_preamble_that_starts_with_the_file_meta_is_read():
    data = _file()
    with read_dicom(data[132:]) as cut, read_dicom(data) as full:
        assert cut.transfer_syntax.uid == EXPLICIT_LE
        assert cut.pixel.offset == full.pixel.offset - 132
        assert cut.get("Rows") == 8


@pytest.mark.parametrize(("implicit", "little", "expected"), [
    (True, True, IMPLICIT_LE), (False, True, EXPLICIT_LE), (False, False, EXPLICIT_BE),
])
def test_a_bare_dataset_without_meta_is_sniffed_as_pydicom_does(implicit, little, expected):
    ds = pydicom.dcmread(io.BytesIO(_file()), force=True)
    buf = pydicom.filebase.DicomBytesIO()
    buf.is_little_endian, buf.is_implicit_VR = little, implicit
    pydicom.filewriter.write_dataset(buf, ds)
    data = buf.getvalue()
    with read_dicom(data) as dicom:
        assert not dicom.file_meta
        assert dicom.transfer_syntax.uid == expected
        assert dicom.get("Rows") == 8 and dicom.get("PatientName") == "Doe^Jane"
        assert dicom.read_at(dicom.pixel.offset, dicom.pixel.length) == ds.PixelData
    with read_dicom(data, transfer_syntax_uid=expected) as dicom:
        assert dicom.transfer_syntax.uid == expected


@pytest.mark.parametrize("name", ["ExplVR_BigEndNoMeta.dcm", "ExplVR_LitEndNoMeta.dcm"])
def test_pydicoms_files_without_meta_are_sniffed_to_the_right_byte_order(name):
    path = Path(get_testdata_file(name))
    ds = _dcmread(path)
    with read_dicom(path) as dicom:
        assert dicom.transfer_syntax.little_endian is ("LitEnd" in name)
        assert dicom.get(0x00080005) == ds.SpecificCharacterSet


def test_undefined_length_sequences_in_implicit_vr_are_walked_to_the_pixel_data():
    def build(ds: Dataset) -> None:
        inner = Dataset()
        inner.is_undefined_length_sequence_item = True
        inner.ReferencedSOPInstanceUID = "1.2.3"
        deeper = Dataset()
        deeper.is_undefined_length_sequence_item = True
        deeper.PatientID = "x" * 11
        inner.SourceImageSequence = Sequence([deeper])
        inner["SourceImageSequence"].is_undefined_length = True
        ds.ReferencedImageSequence = Sequence([inner, Dataset()])
        ds["ReferencedImageSequence"].is_undefined_length = True
        # a private tag unknown to any dictionary: undefined length means a sequence (PS3.5 7.5)
        ds.add_new(0x00091001, "SQ", Sequence([deeper]))
        ds[0x00091001].is_undefined_length = True

    data = _file(IMPLICIT_LE, build=build)
    ds = pydicom.dcmread(io.BytesIO(data))
    with read_dicom(data) as dicom:
        assert dicom.read_at(dicom.pixel.offset, dicom.pixel.length) == ds.PixelData
        assert dicom.get("Rows") == 8
        assert 0x00081140 not in dicom.elements  # sequences are not kept unless asked for
    with read_dicom(data, specific_tags=[0x00081140, 0x00091001]) as dicom:
        seq = dicom.elements[0x00081140]
        assert seq.vr == "SQ" and seq.value is None
        delimiter = struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)
        assert dicom.read_at(seq.offset + len(seq.raw), 8) == delimiter
        assert seq.raw.count(b"\xfe\xff\x00\xe0") == 3  # three items, delimiter excluded
        assert dicom.elements[0x00091001].vr == "SQ"
        assert 0x00080020 not in dicom.elements  # specific_tags replaces "everything small"
        assert 0x00280010 in dicom.elements  # group 0028 is always kept


def test_explicit_vr_sequences_with_defined_and_undefined_lengths_are_walked():
    def build(ds: Dataset) -> None:
        item = Dataset()
        item.PatientID = "abc"
        ds.ReferencedImageSequence = Sequence([item])  # defined length
        item2 = Dataset()
        item2.is_undefined_length_sequence_item = True
        item2.ReferencedImageSequence = Sequence([item])
        ds.SourceImageSequence = Sequence([item2])
        ds["SourceImageSequence"].is_undefined_length = True

    for ts in (EXPLICIT_LE, EXPLICIT_BE):
        data = _file(ts, build=build)
        ds = pydicom.dcmread(io.BytesIO(data))
        with read_dicom(data, specific_tags=[0x00081140]) as dicom:
            assert dicom.read_at(dicom.pixel.offset, dicom.pixel.length) == ds.PixelData
            seq = dicom.elements[0x00081140]
            endian = "<" if ts == EXPLICIT_LE else ">"
            (declared,) = struct.unpack(endian + "I", dicom.read_at(seq.offset - 4, 4))
            assert len(seq.raw) == declared > 0
            assert seq.raw[:4] == struct.pack(endian + "HH", 0xFFFE, 0xE000)


def test_pixel_representation_one_makes_us_or_ss_values_signed_in_implicit_vr():
    def build(ds: Dataset) -> None:
        ds.PixelRepresentation = 1
        ds.add_new(0x00280106, "SS", -5)

    with read_dicom(_file(IMPLICIT_LE, build=build)) as dicom:
        assert dicom.elements[0x00280106].vr == "SS"
        assert dicom.get("SmallestImagePixelValue") == -5


def test_an_undefined_length_un_element_holds_an_implicit_vr_sequence():
    # PS3.5 6.2.2: UN with undefined length is a sequence in Implicit VR Little Endian.
    path = Path(get_testdata_file("UN_sequence.dcm"))
    with read_dicom(path, specific_tags=[0x4453100C]) as dicom:
        un = dicom.elements[0x4453100C]
        assert un.vr == "UN"
        assert un.raw[:4] == b"\xfe\xff\x00\xe0"  # an item tag
        assert dicom.read_at(un.offset + len(un.raw), 8) == b"\xfe\xff\xdd\xe0" + bytes(4)
        assert un.offset + len(un.raw) + 8 == dicom.size  # walked to the end of the file


def test_trailing_padding_after_the_pixel_data_is_ignored():
    data = _file() + struct.pack("<HH2sHI", 0xFFFC, 0xFFFC, b"OB", 0, 4) + bytes(4)
    with read_dicom(data) as dicom:
        assert dicom.pixel.tag == 0x7FE00010
        assert 0xFFFCFFFC not in dicom.elements


def test_a_file_without_pixel_data_has_no_pixel_element():
    with read_dicom(get_testdata_file("rtplan.dcm")) as dicom:
        assert dicom.pixel is None
        assert dicom.get("Modality") == "RTPLAN"


def test_an_unknown_transfer_syntax_raises_unsupported_transfer_syntax():
    data = _file().replace(b"1.2.840.10008.1.2.1\x00", b"1.2.3.4.5.6.7.8.9.0\x00", 1)
    with pytest.raises(UnsupportedTransferSyntaxError, match="1.2.3.4.5.6.7.8.9.0"):
        read_dicom(data)


# -- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", [
    b"", b"hello", b"\x89PNG\r\n\x1a\n" + bytes(200), bytes(132), bytes(128) + b"DICM",
    b"%PDF-1.7\n" + b"x" * 500, np.random.default_rng(1).bytes(4096),
])
def test_non_dicom_input_raises_invalid_dicom_saying_so(payload):
    with pytest.raises(InvalidDicomError, match="not a DICOM Part 10 file"):
        read_dicom(payload)


def test_an_unreadable_source_type_raises_invalid_dicom():
    with pytest.raises(InvalidDicomError, match="int"):
        read_dicom(12345)


@pytest.mark.parametrize("name", ["MR_small.dcm", "MR_small_implicit.dcm", "rtdose_expb.dcm",
                                  "image_dfl.dcm", "JPEG2000.dcm"])
def test_every_cut_in_the_header_raises_a_typed_error_or_finds_no_pixels(name):
    data = Path(get_testdata_file(name)).read_bytes()
    with read_dicom(data) as dicom:
        end = dicom.pixel.offset
    cuts = range(0, len(data), 7) if dicom.transfer_syntax.deflated else range(0, end + 4, 3)
    for cut in cuts:
        try:
            result = read_dicom(data[:cut])
        except DicomPixelsError:
            continue
        if result.pixel is not None and not result.transfer_syntax.deflated:
            # the pixel header was found, so only an undefined length value can be cut
            assert result.pixel.length is None and result.pixel.offset <= cut


def test_cuts_inside_native_pixel_data_raise_truncated_data_naming_the_element():
    data = _file(frames=4)
    end = read_dicom(data).pixel.offset
    for cut in (end + 1, end + 100, len(data) - 1):
        with pytest.raises(TruncatedDataError, match=r"\(7FE0,0010\) PixelData.*<bytes>"):
            read_dicom(data[:cut])


def test_a_length_past_the_end_names_the_tag_offset_and_file():
    data = bytearray(_file())
    pos = data.find(b"\x10\x00\x10\x00PN")  # (0010,0010) PatientName
    data[pos + 6 : pos + 8] = (0xFFF0).to_bytes(2, "little")
    with pytest.raises(TruncatedDataError, match=rf"\(0010,0010\) PatientName at offset {pos} in <bytes>"):
        read_dicom(bytes(data))


def _nested_sequences(depth: int) -> bytes:
    """An Implicit VR dataset with *depth* nested undefined-length sequences."""
    open_one = struct.pack("<HHI", 0x0009, 0x1001, 0xFFFFFFFF) + struct.pack("<HHI", 0xFFFE, 0xE000, 0xFFFFFFFF)
    close_one = struct.pack("<HHI", 0xFFFE, 0xE00D, 0) + struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)
    pixels = struct.pack("<HHI", 0x7FE0, 0x0010, 2) + b"\x00\x00"
    return open_one * depth + close_one * depth + pixels


def test_a_deeply_nested_sequence_bomb_is_refused_quickly():
    with pytest.raises(InvalidDicomError, match="nested more than 64"):
        read_dicom(_nested_sequences(100_000), transfer_syntax_uid=IMPLICIT_LE)
    with read_dicom(_nested_sequences(60), transfer_syntax_uid=IMPLICIT_LE) as dicom:
        assert dicom.pixel.length == 2


def test_a_long_flat_sequence_of_empty_items_is_walked_without_recursion():
    items = struct.pack("<HHI", 0xFFFE, 0xE000, 0xFFFFFFFF) + struct.pack("<HHI", 0xFFFE, 0xE00D, 0)
    data = (struct.pack("<HHI", 0x0009, 0x1001, 0xFFFFFFFF) + items * 20_000
            + struct.pack("<HHI", 0xFFFE, 0xE0DD, 0) + struct.pack("<HHI", 0x7FE0, 0x0010, 0))
    with read_dicom(data, transfer_syntax_uid=IMPLICIT_LE) as dicom:
        assert dicom.pixel.offset == len(data)


def test_an_element_other_than_an_item_inside_an_undefined_length_sequence_is_refused():
    data = (struct.pack("<HHI", 0x0009, 0x1001, 0xFFFFFFFF) + struct.pack("<HHI", 0x0010, 0x0010, 0)
            + struct.pack("<HHI", 0x7FE0, 0x0010, 0))
    with pytest.raises(InvalidDicomError, match=r"\(0010,0010\) PatientName at offset 8"):
        read_dicom(data, transfer_syntax_uid=IMPLICIT_LE)


_FUZZ_SEEDS = {
    name: Path(get_testdata_file(name)).read_bytes()
    for name in ("MR_small.dcm", "rtdose.dcm", "JPEG2000.dcm", "image_dfl.dcm", "UN_sequence.dcm")
}


@settings(max_examples=250, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    name=st.sampled_from(sorted(_FUZZ_SEEDS)),
    flips=st.lists(st.tuples(st.integers(0, 2000), st.integers(0, 255)), min_size=1, max_size=6),
    cut=st.one_of(st.none(), st.integers(0, 2500)),
)
def test_bit_flips_and_cuts_in_the_header_only_raise_dicom_pixels_errors(name, flips, cut):
    try:
        dicom = read_dicom(damaged(_FUZZ_SEEDS[name], flips, cut))
    except DicomPixelsError:
        return
    with dicom:
        for element in (*dicom.file_meta.values(), *dicom.elements.values()):
            try:
                element.value  # noqa: B018 (decoding must fail only with our errors)
            except DicomPixelsError:
                pass
        if dicom.pixel is not None and dicom.pixel.length is not None:
            assert len(dicom.read_at(dicom.pixel.offset, dicom.pixel.length)) == dicom.pixel.length


# -- values and the dictionary -------------------------------------------------------------------


@pytest.mark.parametrize(("vr", "raw", "little", "expected"), [
    ("US", b"\x01\x00\x02\x00", True, [1, 2]),
    ("US", b"\x01\x00", False, 256),
    ("SS", b"\xff\xff", True, -1),
    ("UL", b"", True, None),
    ("FD", struct.pack("<d", 1.5), True, 1.5),
    ("AT", b"\x28\x00\x09\x00", True, 0x00280009),
    ("DS", b"0.5\\-2 ", True, [0.5, -2.0]),
    ("DS", b"", True, None),
    ("IS", b" 12 ", True, 12),
    ("IS", b"3.0 ", True, 3),
    ("UI", b"1.2.840.10008.1.2\x00", True, "1.2.840.10008.1.2"),
    ("CS", b"ORIGINAL\\PRIMARY ", True, ["ORIGINAL", "PRIMARY"]),
    ("PN", "Müller^Hans".encode(), True, "Müller^Hans"),
    ("LO", "Müller".encode("latin-1") + b" ", True, "Müller"),
    ("ST", b"a\\b ", True, "a\\b"),
    ("OB", b"\x00\x01", True, b"\x00\x01"),
    ("SQ", b"\xfe\xff\x00\xe0", True, None),
])
def test_element_values_are_decoded_by_vr(vr, raw, little, expected):
    assert Element(0x00280000, vr, raw, 0, little).value == expected


def test_an_invalid_integer_string_names_the_element():
    with pytest.raises(InvalidDicomError, match=r"\(0028,0008\) NumberOfFrames"):
        Element(0x00280008, "IS", b"1A", 10, True).value  # noqa: B018


def test_the_dictionary_agrees_with_pydicoms():
    from pydicom.datadict import dictionary_VR, keyword_for_tag

    assert len(DICTIONARY) >= 80
    for tag, (vr, keyword) in DICTIONARY.items():
        assert keyword_for_tag(tag) == keyword, hex(tag)
        assert vr in dictionary_VR(tag).split(" or "), hex(tag)
        assert keyword_for(tag) == keyword and tag_for(keyword) == tag and vr_for(tag) == vr


def test_reading_never_imports_pydicom():
    code = (
        "import sys, dicom_pixels.reader as r, struct;"
        "r.read_dicom(struct.pack('<HHI', 0x7FE0, 0x0010, 0), transfer_syntax_uid='1.2.840.10008.1.2');"
        "assert 'pydicom' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_bytes_read_is_safe_to_update_from_threads():
    data = _file(frames=20)
    dicom = read_dicom(io.BytesIO(data))
    before = dicom.bytes_read
    threads = [threading.Thread(target=lambda: [dicom.read_at(dicom.pixel.offset, 128) for _ in range(200)])
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert dicom.bytes_read - before == 4 * 200 * 128


def test_a_zlib_stream_is_not_mistaken_for_dicom():
    with pytest.raises(InvalidDicomError):
        read_dicom(zlib.compress(b"DICM" * 100))
