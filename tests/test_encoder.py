"""get_encoder / Encoder: profiles (PS3.5 8.2), option checks, sources, plugin selection."""

from __future__ import annotations

import numpy as np
import pytest

import dicom_pixels as dp
from dicom_pixels import hookimpl
from dicom_pixels.encoder import ENCODING_PROFILES, check_options, check_profile, is_lossy
from dicom_pixels.errors import (
    EncodeError,
    EncodingProfileError,
    InvalidPixelDescriptionError,
    NoPluginError,
    UnsupportedTransferSyntaxError,
)

from .conftest import requires_decoder, requires_encoder

MONO8 = np.arange(64, dtype="u1").reshape(8, 8)


def _decode(data: bytes, uid: str, arr: np.ndarray, **description) -> np.ndarray:
    values = {
        "rows": arr.shape[-2] if arr.ndim == 2 else arr.shape[0],
        "columns": arr.shape[1],
        "samples_per_pixel": 1 if arr.ndim == 2 else 3,
        "bits_allocated": arr.dtype.itemsize * 8,
        "pixel_representation": int(arr.dtype.kind == "i"),
        "photometric_interpretation": "MONOCHROME2" if arr.ndim == 2 else "RGB",
        "transfer_syntax_uid": uid,
    }
    values.update(description)
    return dp.get_decoder(uid).as_array([data], **values)[0]


def test_get_encoder_mirrors_get_decoder():
    encoder = dp.get_encoder("RLELossless")
    assert encoder is dp.get_encoder("1.2.840.10008.1.2.5")
    assert repr(encoder) == "<Encoder for 'RLE Lossless'>"
    assert encoder.UID == "1.2.840.10008.1.2.5"
    assert "native" in encoder.available_plugins and encoder.is_available
    assert isinstance(encoder.missing_dependencies, list)
    with pytest.raises(UnsupportedTransferSyntaxError):
        dp.get_encoder("1.2.3.4")


def test_native_syntaxes_need_no_plugin_and_lay_out_bytes_as_the_standard_says():
    arr = np.array([[1, 2], [3, 0x0102]], "u2")
    assert dp.get_encoder("ExplicitVRLittleEndian").is_native
    assert dp.get_encoder("ExplicitVRLittleEndian").encode(arr) == arr.astype("<u2").tobytes()
    assert dp.get_encoder("ExplicitVRBigEndian").encode(arr) == arr.astype(">u2").tobytes()
    rgb = np.arange(12, dtype="u1").reshape(2, 2, 3)
    planar = dp.get_encoder("ExplicitVRLittleEndian").encode(rgb, planar_configuration=1)
    assert planar == rgb.transpose(2, 0, 1).tobytes()  # PS3.3 C.7.6.3.1.3: R plane, G, B


def test_array_description_is_inferred_from_dtype_and_shape():
    data = dp.get_encoder("RLELossless").encode(np.full((4, 5), -3, "i2"), encoding_plugin="native")
    decoded = _decode(data, "1.2.840.10008.1.2.5", np.full((4, 5), -3, "i2"))
    assert decoded.dtype == np.int16 and (decoded == -3).all()
    rgb = np.random.default_rng(0).integers(0, 255, (6, 4, 3)).astype("u1")
    data = dp.get_encoder("RLELossless").encode(rgb, encoding_plugin="native")
    np.testing.assert_array_equal(_decode(data, "1.2.840.10008.1.2.5", rgb), rgb)


def test_iter_encode_yields_every_frame_and_encode_needs_an_index_for_several():
    frames = np.random.default_rng(1).integers(0, 255, (3, 4, 4)).astype("u1")
    encoded = list(dp.get_encoder("RLELossless").iter_encode(frames, encoding_plugin="native"))
    assert len(encoded) == 3
    for frame, data in zip(frames, encoded):
        np.testing.assert_array_equal(_decode(data, "1.2.840.10008.1.2.5", frame), frame)
    with pytest.raises(InvalidPixelDescriptionError, match="index"):
        dp.get_encoder("RLELossless").encode(frames)
    assert dp.get_encoder("RLELossless").encode(frames, index=2, encoding_plugin="native") == encoded[2]


def test_little_endian_bytes_with_their_description_can_be_encoded():
    arr = np.random.default_rng(2).integers(0, 4095, (2, 3, 4)).astype("<u2")
    encoder = dp.get_encoder("RLELossless")
    description = {"rows": 3, "columns": 4, "samples_per_pixel": 1, "bits_allocated": 16,
                   "bits_stored": 12, "pixel_representation": 0,
                   "photometric_interpretation": "MONOCHROME2", "number_of_frames": 2}
    encoded = list(encoder.iter_encode(arr.tobytes(), encoding_plugin="native", **description))
    assert encoded == list(encoder.iter_encode(arr, encoding_plugin="native", bits_stored=12))


@pytest.mark.parametrize("target", ["JPEG2000Lossless", "RLELossless"])
def test_a_pydicom_dataset_is_decoded_with_our_decoder_then_encoded(target):
    pydicom = pytest.importorskip("pydicom", reason="pydicom datasets are a source")
    requires_encoder(target)
    requires_decoder(target)
    ds = pydicom.dcmread(dp.examples.get_path("rle_rgb"))
    data = dp.get_encoder(target).encode(ds)
    expected = dp.pixel_array(ds)
    np.testing.assert_array_equal(_decode(data, dp.uid.lookup(target).uid, expected), expected)


def test_values_outside_bits_stored_are_rejected_before_encoding():
    with pytest.raises(EncodingProfileError, match=r"\(0, 300\).*Bits Stored of 8"):
        dp.get_encoder("RLELossless").encode(np.array([[0, 300]], "u2"), bits_stored=8)
    with pytest.raises(EncodingProfileError, match="signed"):
        dp.get_encoder("RLELossless").encode(np.array([[-129, 0]], "i2"), bits_stored=8)


@pytest.mark.parametrize(
    ("uid", "arr", "description", "match"),
    [
        ("JPEGBaseline8Bit", np.zeros((8, 8), "u2"), {}, "Bits Allocated 16"),
        ("JPEGBaseline8Bit", np.zeros((8, 8), "i1"), {}, "signed"),
        ("JPEGExtended12Bit", np.zeros((8, 8), "u2"), {"bits_stored": 10}, "Bits Stored 10"),
        ("JPEGLSLossless", np.zeros((8, 8), "u1"), {"bits_stored": 1}, "Bits Stored 1"),
        ("JPEGLSNearLossless", np.zeros((8, 8), "u1"), {"photometric_interpretation": "PALETTE COLOR"}, "PALETTE"),
        ("JPEG2000", np.zeros((8, 8), "u1"), {"photometric_interpretation": "PALETTE COLOR"}, "PALETTE"),
        ("RLELossless", np.zeros((4, 4, 3), "u2"), {"photometric_interpretation": "YBR_FULL"}, "YBR_FULL"),
        ("JPEGXLLossless", np.zeros((8, 8), "i2"), {}, "signed"),
        ("JPEGXLJPEGRecompression", np.zeros((8, 8), "u1"), {}, "JPEG bitstream"),
        ("RLELossless", np.zeros((8, 8), "f4"), {}, "FloatPixelData"),
        ("MPEG2MPML", np.zeros((8, 8), "u1"), {}, "Allowed:\n    RGB, 3 sample"),
    ],
)
def test_images_outside_the_encoding_profile_are_refused_with_the_allowed_combinations(uid, arr, description, match):
    with pytest.raises(EncodingProfileError, match=match):
        dp.get_encoder(uid).encode(arr, **description)


def test_profile_error_lists_every_allowed_combination():
    image = dp.ImageDescription(8, 8, 1, 16, 16, 0, "MONOCHROME2", "JPEGBaseline8Bit")
    with pytest.raises(EncodingProfileError) as info:
        check_profile(image, "JPEGBaseline8Bit")
    message = str(info.value)
    for profile in ENCODING_PROFILES["1.2.840.10008.1.2.4.50"]:
        assert str(profile) in message


@pytest.mark.parametrize(
    ("uid", "options", "match"),
    [
        ("JPEG2000", {}, "exactly one of 'j2k_cr'"),
        ("JPEG2000", {"j2k_cr": [10], "j2k_psnr": [40]}, "not both"),
        ("HTJ2K", {}, "j2k_cr"),
        ("JPEG2000Lossless", {"j2k_cr": [10]}, "lossy settings"),
        ("JPEG2000", {"j2k_cr": [10, 20]}, "decrease"),
        ("JPEG2000", {"j2k_cr": [0.5]}, "at least 1"),
        ("JPEG2000", {"j2k_psnr": [50, 40]}, "increase"),
        ("JPEG2000", {"j2k_psnr": ["x"]}, "numbers"),
        ("RLELossless", {"j2k_cr": [10]}, "JPEG 2000 option"),
        ("JPEGLSLossless", {"jls_error": 2}, "must be 0"),
        ("JPEGLSNearLossless", {"jls_error": 300}, "range 0 to 127"),
        ("JPEGLSNearLossless", {"jls_error": 1.5}, "integer"),
        ("RLELossless", {"jls_error": 1}, "JPEG-LS option"),
        ("JPEGBaseline8Bit", {"quality": 0}, "1 to 100"),
        ("RLELossless", {"quality": 90}, "lossy JPEG and JPEG XL"),
        ("JPEG2000Lossless", {"use_mct": "yes"}, "True or False"),
        ("JPEG2000Lossless", {"use_mct": True}, "only to RGB"),
        ("RLELossless", {"use_mct": True}, "JPEG 2000 option"),
        ("JPEG2000Lossless", {"planar_configuration": 1}, "shall be 0"),
        ("ExplicitVRLittleEndian", {"planar_configuration": 2}, "0 or 1"),
    ],
)
def test_options_are_checked_against_the_transfer_syntax_before_any_work(uid, options, match):
    image = dp.ImageDescription(8, 8, 1, 8, 8, 0, "MONOCHROME2", dp.uid.lookup(uid).uid)
    with pytest.raises(EncodingProfileError, match=match):
        check_options(uid, options, image)


def test_lossiness_follows_the_syntax_and_the_options():
    assert is_lossy("JPEGBaseline8Bit", {})
    assert not is_lossy("JPEGLSNearLossless", {"jls_error": 0})
    assert is_lossy("JPEGLSNearLossless", {"jls_error": 1})
    assert not is_lossy("RLELossless", {})
    assert is_lossy("HTJ2K", {"j2k_psnr": [50]})


# -- plugin selection ------------------------------------------------------------------------

CALLS: list[str] = []


def _declines(arr: np.ndarray, frame: dp.EncodeFrame) -> bytes:
    CALLS.append("declines")
    raise RuntimeError("this backend is broken today")


def _works(arr: np.ndarray, frame: dp.EncodeFrame) -> bytes:
    CALLS.append("works")
    from dicom_pixels_native.rle import encode_rle

    return encode_rle(arr, frame)


class _Broken:
    @hookimpl
    def dicom_pixels_register_codecs(self, registry):
        registry.add_encoder("RLELossless", f"{__name__}:_declines", priority=1)


class _Backup:
    @hookimpl
    def dicom_pixels_register_codecs(self, registry):
        registry.add_encoder("RLELossless", f"{__name__}:_works", priority=2)
        registry.add_encoder("JPEGLSLossless", f"{__name__}:_declines", priority=1,
                             supports=dp.Capabilities(bits_allocated=frozenset({8})))


@pytest.fixture
def test_plugins(fresh_registry):
    import sys

    if __name__ not in sys.modules:
        pytest.skip("the test module is not importable by name")
    names = [dp.register(_Broken(), name="broken"), dp.register(_Backup(), name="backup")]
    CALLS.clear()
    yield names
    for name in names:
        fresh_registry.unregister(name)


def test_the_next_plugin_is_tried_when_one_fails_and_the_one_that_worked_is_preferred(test_plugins):
    frames = np.zeros((3, 4, 4), "u1")
    list(dp.get_encoder("RLELossless").iter_encode(frames))
    assert CALLS == ["declines", "works", "works", "works"]


def test_when_every_plugin_fails_the_error_lists_each_ones_reason(test_plugins):
    with pytest.raises(EncodeError) as info:
        dp.get_encoder("RLELossless").encode(MONO8, encoding_plugin="broken")
    assert "broken: RuntimeError: this backend is broken today" in str(info.value)
    with pytest.raises(NoPluginError, match="backup - Bits Allocated 16 is not supported"):
        dp.get_encoder("JPEGLSLossless").encode(np.zeros((8, 8), "u2"), encoding_plugin="backup")


def test_profile_errors_come_before_any_codec_is_called(test_plugins):
    with pytest.raises(EncodingProfileError):
        dp.get_encoder("RLELossless").encode(np.zeros((8, 8, 3), "u2"), photometric_interpretation="YBR_FULL")
    with pytest.raises(EncodingProfileError):
        dp.get_encoder("RLELossless").encode(MONO8, quality=50)
    assert CALLS == []
