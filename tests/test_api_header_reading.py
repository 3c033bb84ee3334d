"""What pixel_array and iter_pixels read of a file's header.

Decoding needs only the file meta, group 0028 and the offset tables: the other top-level
values of a header (258 elements in a real CT) are walked over, not kept, unless
*specific_tags* asks for them (then they reach *ds_out*).
"""

from __future__ import annotations

import numpy as np
import pytest

import dicom_pixels as dp
from dicom_pixels import source as source_module

pytest.importorskip("pydicom", reason="pydicom's CT_small.dcm is the input and the oracle")
import pydicom
from pydicom.data import get_testdata_file

CT = get_testdata_file("CT_small.dcm")
PATIENT_NAME, MODALITY, PRIVATE = 0x00100010, 0x00080060, 0x00431028  # all in CT_small.dcm
NEEDED = {0x00280008, 0x7FE00001, 0x7FE00002}


def needed_only(tags) -> bool:
    return all(tag >> 16 == 0x0028 or tag in NEEDED for tag in tags)


@pytest.fixture
def kept(monkeypatch):
    """The top-level tags kept by every file read through open_source during the test."""
    seen: list[set[int]] = []
    real = source_module.read_dicom

    def spy(*args, **kwargs):
        dicom = real(*args, **kwargs)
        seen.append(set(dicom.elements))
        return dicom

    monkeypatch.setattr(source_module, "read_dicom", spy)
    return seen


def test_open_source_keeps_every_small_value_by_default_and_only_decoding_needs_with_no_tags():
    with dp.source.open_source(CT) as everything:
        assert {PATIENT_NAME, MODALITY, PRIVATE} <= set(everything.dicom.elements)
    with dp.source.open_source(CT, specific_tags=()) as needed:
        assert needed_only(needed.dicom.elements)
        assert 0x00280010 in needed.dicom.elements  # Rows
    with dp.source.open_source(CT, specific_tags=[MODALITY]) as asked:
        assert MODALITY in asked.dicom.elements and PATIENT_NAME not in asked.dicom.elements


@pytest.mark.parametrize("read", [dp.pixel_array, lambda p, **kw: next(dp.iter_pixels(p, **kw))])
def test_pixel_array_and_iter_pixels_keep_only_what_decoding_needs(kept, read):
    arr = read(CT)
    np.testing.assert_array_equal(arr, pydicom.dcmread(CT).pixel_array)
    assert len(kept) == 1 and needed_only(kept[0])


def test_ds_out_gets_the_file_meta_group_0028_and_the_specific_tags_as_pydicom_reads_them(kept):
    meta: dict = {}
    absent = 0x00540081  # Number of Slices
    dp.pixel_array(CT, ds_out=meta, specific_tags=[PATIENT_NAME, PRIVATE, absent])
    assert len(kept) == 1, "the asked tags are read with the header, not by a second read"
    ds = pydicom.dcmread(CT)
    assert absent not in ds
    assert meta["PatientName"] == str(ds.PatientName)
    assert meta[PRIVATE] == ds[PRIVATE].value
    assert "Modality" not in meta and "NumberOfSlices" not in meta and absent not in meta
    assert meta["TransferSyntaxUID"] == ds.file_meta.TransferSyntaxUID
    assert (meta["Rows"], meta["Columns"], meta["PixelRepresentation"]) == (ds.Rows, ds.Columns, 1)


def test_ds_out_as_a_pydicom_dataset(kept):
    from pydicom.dataset import Dataset

    out = Dataset()
    dp.pixel_array(CT, ds_out=out, specific_tags=[PATIENT_NAME])
    ds = pydicom.dcmread(CT)
    assert out.PatientName == ds.PatientName
    assert out.Rows == ds.Rows and out.file_meta.TransferSyntaxUID == ds.file_meta.TransferSyntaxUID
    assert "Modality" not in out


def test_a_source_the_caller_opened_is_read_again_for_the_specific_tags_it_lacks():
    meta: dict = {}
    with dp.source.open_source(CT, specific_tags=()) as opened:
        dp.pixel_array(opened, ds_out=meta, specific_tags=[PATIENT_NAME])
        assert PATIENT_NAME not in opened.dicom.elements  # the caller's source is left as it was
    assert meta["PatientName"] == str(pydicom.dcmread(CT).PatientName)


@pytest.mark.parametrize("read", [dp.pixel_array, lambda p, **kw: next(iter(dp.iter_pixels(p, **kw)))])
def test_a_source_the_caller_opened_stays_open_for_the_next_decode(read):
    with dp.source.open_source(CT) as opened:
        first = read(opened)
        np.testing.assert_array_equal(read(opened), first)
        assert PATIENT_NAME in opened.dicom.elements


def test_a_decoder_reads_a_file_for_what_decoding_needs_only(kept):
    arr, _ = dp.get_decoder("ExplicitVRLittleEndian").as_array(CT)
    np.testing.assert_array_equal(arr, pydicom.dcmread(CT).pixel_array)
    assert len(kept) == 1 and needed_only(kept[0])
