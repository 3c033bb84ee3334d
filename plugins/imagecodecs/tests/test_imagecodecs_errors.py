"""Bad frames and missing codecs fail with typed errors that say what happened."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import dicom_pixels as dp
from dicom_pixels.errors import DecodeError, DicomPixelsError
from dicom_pixels.source import FramesSource, open_source

imagecodecs = pytest.importorskip(
    "imagecodecs", reason="imagecodecs is the backend of the imagecodecs plugin"
)
pytest.importorskip("pydicom", reason="pydicom is the reference decoder of these tests")

#: One pydicom file per codec family of the plugin.
FILES = {
    "jpeg": "SC_rgb_dcmtk_+eb+cy+n1.dcm",
    "jpeg_lossless": "SC_rgb_jpeg_gdcm.dcm",
    "jpegls": "MR_small_jpeg_ls_lossless.dcm",
    "j2k": "MR_small_jp2klossless.dcm",
    "rle": "MR_small_RLE.dcm",
}


def _truncated_source(path: str, fraction: int = 2) -> FramesSource:
    with open_source(path) as src:
        data, _ = src.read_frame(0)
        image = src.image
    return FramesSource([data[: len(data) // fraction]], image.replace(number_of_frames=1))


def _decode(source: FramesSource) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dp.get_decoder(source.image.transfer_syntax_uid).as_array(
            source, decoding_plugin="imagecodecs"
        )[0]


@pytest.mark.parametrize("family", sorted(FILES))
def test_truncated_codestream_raises_decode_error_naming_frame_and_plugin(family: str) -> None:
    from pydicom.data import get_testdata_file

    source = _truncated_source(get_testdata_file(FILES[family]))
    with pytest.raises(DecodeError) as info:
        _decode(source)
    message = str(info.value)
    assert "frame 0" in message and "imagecodecs" in message


@pytest.mark.parametrize("uid", ["1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.110"])
def test_truncated_generated_htj2k_and_jpegxl_frames_raise(uid: str, request: pytest.FixtureRequest) -> None:
    if uid.endswith(".201"):
        request.getfixturevalue("require_openjph")
    from pydicom import dcmread
    from pydicom.data import get_testdata_file

    arr = dcmread(get_testdata_file("CT_small.dcm")).pixel_array.astype("u2")
    data = (
        imagecodecs.htj2k_encode(arr, reversible=True)
        if uid.endswith(".201")
        else imagecodecs.jpegxl_encode(arr, lossless=True)
    )
    image = dp.ImageDescription(128, 128, 1, 16, 16, 0, "MONOCHROME2", uid)
    with pytest.raises(DecodeError, match="frame 0"):
        _decode(FramesSource([bytes(data)[: len(data) // 2]], image))


def test_missing_imagecodecs_codec_is_reported_and_next_plugin_tried(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pydicom.data import get_testdata_file

    path = get_testdata_file(FILES["jpegls"])
    monkeypatch.setattr(imagecodecs, "JPEGLS", type("Missing", (), {"available": False}))
    with pytest.raises(DecodeError, match="built without the JPEGLS codec"):
        dp.pixel_array(path, decoding_plugin="imagecodecs")
    if len(dp.get_decoder("JPEGLSLossless").available_plugins) > 1:
        # Without decoding_plugin= the core moves on to the next plugin.
        assert dp.pixel_array(path).shape == (64, 64)


def test_rle_header_with_the_wrong_number_of_segments_is_rejected(
    frames_file: Callable[..., Path],
) -> None:
    from pydicom import dcmread
    from pydicom.data import get_testdata_file
    from pydicom.encaps import generate_frames

    ds = dcmread(get_testdata_file("SC_rgb_rle.dcm"))
    frame = next(generate_frames(ds.PixelData, number_of_frames=1))
    # Claim 16-bit samples: 6 segments are needed, the header has 3.
    path = frames_file(
        [frame],
        "1.2.840.10008.1.2.5",
        rows=100,
        columns=100,
        samples_per_pixel=3,
        photometric_interpretation="RGB",
    )
    with pytest.raises(DicomPixelsError, match="3 segment"):
        dp.pixel_array(path, decoding_plugin="imagecodecs")


def test_j2k_with_32_bit_allocation_is_declined_up_front() -> None:
    image = dp.ImageDescription(4, 4, 1, 32, 24, 0, "MONOCHROME2", "1.2.840.10008.1.2.4.90")
    with pytest.raises(DicomPixelsError, match="Bits Allocated 32"):
        dp.get_decoder("JPEG2000Lossless").as_array(
            FramesSource([b"\xff\x4f"], image), decoding_plugin="imagecodecs"
        )


def test_lossless_jpeg_falls_back_to_liblj92_without_libjpeg_turbo(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pydicom.data import get_testdata_file

    path = get_testdata_file(FILES["jpeg_lossless"])
    expected = dp.pixel_array(path, decoding_plugin="imagecodecs")
    monkeypatch.setattr(imagecodecs, "JPEG8", type("Missing", (), {"available": False}))
    assert np.array_equal(dp.pixel_array(path, decoding_plugin="imagecodecs"), expected)
    with pytest.raises(DecodeError, match="built without the JPEG8 codec"):
        dp.pixel_array(get_testdata_file(FILES["jpeg"]), decoding_plugin="imagecodecs")
