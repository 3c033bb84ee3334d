"""Round trips through transfer syntaxes that pydicom's test files lack.

Frames are encoded here, with imagecodecs, from the pixels of pydicom's native
test files (CT_small.dcm: 16-bit signed; MR_small.dcm: 16-bit signed;
SC_rgb_rle.dcm: 8-bit RGB), written as Part 10 files and decoded through
``dp.pixel_array(..., decoding_plugin="imagecodecs")``. Lossless encodings must
come back exactly; HTJ2K and JPEG Lossless are also compared with pydicom's
pylibjpeg/gdcm plugins when they can decode the same file.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import dicom_pixels as dp

imagecodecs = pytest.importorskip(
    "imagecodecs", reason="imagecodecs is the backend of the imagecodecs plugin"
)
pytest.importorskip("pydicom", reason="pydicom is the reference decoder of these tests")

HTJ2K_SYNTAXES = ["1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202", "1.2.840.10008.1.2.4.203"]

#: (test file, Image Pixel values) of the source images.
SOURCES: dict[str, dict[str, Any]] = {
    "CT_small.dcm": dict(bits_stored=16, pixel_representation=1),
    "MR_small.dcm": dict(bits_stored=16, pixel_representation=1),
    "SC_rgb_rle.dcm": dict(
        samples_per_pixel=3, bits_allocated=8, bits_stored=8, photometric_interpretation="RGB"
    ),
}


def _pydicom_decodes(path: Path, plugin: str) -> np.ndarray | None:
    from pydicom import dcmread
    from pydicom.pixels import get_decoder

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = dcmread(path)
        decoder = get_decoder(ds.file_meta.TransferSyntaxUID)
        if plugin not in decoder.available_plugins:
            return None
        return decoder.as_array(ds, decoding_plugin=plugin)[0]


@pytest.mark.parametrize("uid", HTJ2K_SYNTAXES)
@pytest.mark.parametrize("source", sorted(SOURCES))
def test_htj2k_lossless_round_trip_is_exact_and_matches_pylibjpeg(
    source: str, uid: str, pixels: Callable[[str], np.ndarray], frames_file: Callable[..., Path],
    require_openjph: None,
) -> None:
    arr = pixels(source)
    image = dict(SOURCES[source])
    # Two frames, the second one shifted, to check frame order and index=.
    second = np.roll(arr, 7, axis=0)
    frames = [imagecodecs.htj2k_encode(a, reversible=True) for a in (arr, second)]
    path = frames_file(frames, uid, rows=arr.shape[0], columns=arr.shape[1], **image)

    ours = dp.pixel_array(path, decoding_plugin="imagecodecs")
    assert ours.dtype == arr.dtype
    assert np.array_equal(ours, np.stack([arr, second]))
    assert np.array_equal(dp.pixel_array(path, index=1, decoding_plugin="imagecodecs"), second)
    for plugin in ("pylibjpeg", "gdcm"):
        ref = _pydicom_decodes(path, plugin)
        if ref is not None:
            assert np.array_equal(ours, ref), plugin


def test_htj2k_falls_back_to_openjpeg_when_openjph_is_absent(
    monkeypatch: pytest.MonkeyPatch,
    pixels: Callable[[str], np.ndarray],
    frames_file: Callable[..., Path],
    require_openjph: None,
) -> None:
    arr = pixels("CT_small.dcm")
    path = frames_file(
        [imagecodecs.htj2k_encode(arr, reversible=True)],
        HTJ2K_SYNTAXES[0],
        rows=128,
        columns=128,
        pixel_representation=1,
    )
    monkeypatch.setattr(imagecodecs, "HTJ2K", type("Missing", (), {"available": False}))
    assert np.array_equal(dp.pixel_array(path, decoding_plugin="imagecodecs"), arr)


@pytest.mark.parametrize("uid", ["1.2.840.10008.1.2.4.110", "1.2.840.10008.1.2.4.112"])
@pytest.mark.parametrize("source", ["CT_small.dcm", "SC_rgb_rle.dcm"])
def test_jpegxl_lossless_round_trip_is_exact(
    source: str, uid: str, pixels: Callable[[str], np.ndarray], frames_file: Callable[..., Path]
) -> None:
    arr = pixels(source)
    image = dict(SOURCES[source])
    if arr.dtype.kind == "i":
        # JPEG XL stores unsigned samples; CT_small's values are all positive.
        assert arr.min() >= 0
        arr = arr.astype("u2")
        image["pixel_representation"] = 0
    data = imagecodecs.jpegxl_encode(arr, lossless=True, effort=3)
    path = frames_file([data], uid, rows=arr.shape[0], columns=arr.shape[1], **image)
    ours = dp.pixel_array(path, decoding_plugin="imagecodecs")
    assert ours.dtype == arr.dtype
    assert np.array_equal(ours, arr)


@pytest.mark.parametrize("name", ["SC_rgb_jpeg_dcmtk.dcm", "SC_rgb_dcmtk_+eb+cy+np.dcm"])
def test_jpegxl_jpeg_recompression_gives_the_original_jpeg_pixels(
    name: str, frames_file: Callable[..., Path]
) -> None:
    from pydicom import dcmread
    from pydicom.data import get_testdata_file
    from pydicom.encaps import generate_frames

    original = get_testdata_file(name)
    ds = dcmread(original)
    jpeg = next(generate_frames(ds.PixelData, number_of_frames=1))
    recompressed = imagecodecs.jpegxl_encode_jpeg(jpeg)
    path = frames_file(
        [recompressed],
        "1.2.840.10008.1.2.4.111",
        rows=ds.Rows,
        columns=ds.Columns,
        samples_per_pixel=3,
        bits_allocated=8,
        bits_stored=8,
        photometric_interpretation=ds.PhotometricInterpretation,
    )
    for options in ({}, {"raw": True}):
        ours = dp.pixel_array(path, decoding_plugin="imagecodecs", **options)
        expected = dp.pixel_array(original, decoding_plugin="imagecodecs", **options)
        assert np.array_equal(ours, expected), options


@pytest.mark.parametrize("uid", ["1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70"])
@pytest.mark.parametrize("bits", [8, 12, 16])
def test_jpeg_lossless_round_trip_is_exact_and_matches_pydicom(
    uid: str, bits: int, pixels: Callable[[str], np.ndarray], frames_file: Callable[..., Path]
) -> None:
    ct = pixels("CT_small.dcm").astype("u2")
    arr = (ct & ((1 << bits) - 1)).astype("u1" if bits == 8 else "u2")
    predictor = 7 if uid.endswith(".57") else 1  # SV1 is Process 14 with predictor 1
    data = imagecodecs.jpeg8_encode(arr, lossless=True, predictor=predictor, bitspersample=bits)
    path = frames_file(
        [data], uid, rows=128, columns=128, bits_allocated=8 if bits == 8 else 16, bits_stored=bits
    )
    ours = dp.pixel_array(path, decoding_plugin="imagecodecs")
    assert np.array_equal(ours, arr)
    for plugin in ("gdcm", "pylibjpeg"):
        ref = _pydicom_decodes(path, plugin)
        if ref is not None:
            assert np.array_equal(ours, ref), plugin


def test_signed_16_bit_jpegls_comes_back_signed(
    pixels: Callable[[str], np.ndarray], frames_file: Callable[..., Path]
) -> None:
    # JPEG-LS cannot mark samples as signed: the two's complement pattern is
    # encoded as unsigned and written straight into the signed output.
    # (imagecodecs encodes JPEG-LS at the dtype's full precision, so a 12-bit
    # sign extension case cannot be generated here; MR_small_jpeg_ls_lossless.dcm
    # covers signed data in the oracle tests.)
    ct = pixels("CT_small.dcm").astype("i2") - 1000
    data = imagecodecs.jpegls_encode(ct.view("u2"))
    path = frames_file(
        [data], "1.2.840.10008.1.2.4.80", rows=128, columns=128, pixel_representation=1
    )
    assert np.array_equal(dp.pixel_array(path, decoding_plugin="imagecodecs"), ct)


def test_rle_segment_order_option_reads_little_endian_segments(
    pixels: Callable[[str], np.ndarray], frames_file: Callable[..., Path]
) -> None:
    from pydicom import Dataset
    from pydicom.encaps import generate_frames
    from pydicom.uid import RLELossless

    arr = pixels("CT_small.dcm").astype("u2")
    ds = Dataset()
    ds.Rows, ds.Columns = arr.shape
    ds.SamplesPerPixel, ds.BitsAllocated, ds.BitsStored = 1, 16, 16
    ds.PixelRepresentation, ds.PhotometricInterpretation = 0, "MONOCHROME2"
    # Encoding the byte-swapped image puts each sample's low byte in the first
    # segment: what non-conformant writers produce.
    ds.compress(RLELossless, arr.byteswap(), encoding_plugin="pydicom")
    frame = next(generate_frames(ds.PixelData, number_of_frames=1))
    path = frames_file([frame], RLELossless, rows=128, columns=128)
    assert np.array_equal(dp.pixel_array(path, decoding_plugin="imagecodecs"), arr.byteswap())
    swapped = dp.pixel_array(path, decoding_plugin="imagecodecs", rle_segment_order="<")
    assert np.array_equal(swapped, arr)
