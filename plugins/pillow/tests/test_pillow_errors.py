"""Bad frames fail with a DecodeError that names the frame and the plugin."""

from __future__ import annotations

import warnings

import pytest

import dicom_pixels as dp
from dicom_pixels.errors import DecodeError
from dicom_pixels.source import FramesSource, open_source

pytest.importorskip("PIL", reason="Pillow is the backend of the pillow plugin")
pytest.importorskip("pydicom", reason="pydicom is the reference decoder of these tests")


@pytest.mark.parametrize(
    "name",
    ["SC_rgb_dcmtk_+eb+cy+n1.dcm", "SC_rgb_jpeg_app14_dcmd.dcm", "MR_small_jp2klossless.dcm"],
)
def test_truncated_codestream_raises_decode_error_naming_frame_and_plugin(name: str) -> None:
    from pydicom.data import get_testdata_file

    with open_source(get_testdata_file(name)) as src:
        data, _ = src.read_frame(0)
        image = src.image
    broken = FramesSource([data[: len(data) // 2]], image.replace(number_of_frames=1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(DecodeError) as info:
            dp.get_decoder(image.transfer_syntax_uid).as_array(broken, decoding_plugin="pillow")
    assert "frame 0" in str(info.value) and "pillow" in str(info.value)


def test_data_that_is_not_jpeg_raises_decode_error() -> None:
    image = dp.ImageDescription(8, 8, 1, 8, 8, 0, "MONOCHROME2", "1.2.840.10008.1.2.4.50")
    with pytest.raises(DecodeError, match="frame 0"):
        dp.get_decoder("JPEGBaseline8Bit").as_array(
            FramesSource([b"not a jpeg codestream"], image), decoding_plugin="pillow"
        )
