"""The bundled examples are what the generator makes, and decode as pydicom decodes them."""

from __future__ import annotations

import numpy as np
import pytest

import dicom_pixels as dp
from dicom_pixels.examples import generate

from .conftest import (
    decoder_available,
    needs_decoder,
    requires_pydicom_decoder,
    transfer_syntax_of,
)

pydicom = pytest.importorskip("pydicom")


@pytest.mark.parametrize("name", list(generate.EXAMPLES))
def test_shipped_example_is_byte_identical_to_a_fresh_generation(name, tmp_path):
    path = tmp_path / f"{name}.dcm"
    generate.EXAMPLES[name](path)
    assert path.read_bytes() == dp.examples.get_path(name).read_bytes()


@pytest.mark.parametrize("name", list(generate.EXAMPLES))
def test_example_decodes_like_pydicom(name):
    path = dp.examples.get_path(name)
    ref = pydicom.pixels.pixel_array(path)
    ours = dp.pixel_array(path)
    assert ours.dtype == ref.dtype and np.array_equal(ours, ref)


def test_unknown_example_name_lists_the_known_ones():
    with pytest.raises(dp.DicomPixelsError, match="ct, mr"):
        dp.examples.get_path("nope")


def test_ct_example_has_the_rescale_and_window_a_viewer_needs():
    meta = {}
    dp.pixel_array(dp.examples.get_path("ct"), ds_out=meta, specific_tags=[0x00281052, 0x00281050])
    assert meta["RescaleIntercept"] == -1024.0
    assert meta["WindowCenter"] == 40.0
    assert meta["TransferSyntaxUID"] == "1.2.840.10008.1.2.1"


# -- examples made with third-party encoders: checked by their pixels ----------------------------
#
# ybr_color is encoded by libjpeg (through Pillow) and jpeg2k by OpenJPEG; another version of
# either may write different (equally valid) bytes for the same image, so a fresh generation is
# compared with the shipped file by decoded pixels, not by bytes.


@pytest.mark.parametrize("name", list(generate.ENCODED_EXAMPLES))
def test_encoded_example_regenerates_to_the_same_pixels(name, tmp_path):
    pytest.importorskip("PIL", reason="the generator encodes with Pillow")
    pytest.importorskip("openjpeg", reason="the generator encodes with pylibjpeg-openjpeg")
    path = tmp_path / f"{name}.dcm"
    generate.ENCODED_EXAMPLES[name](path)
    fresh = pydicom.pixels.pixel_array(path, as_rgb=False)
    shipped = pydicom.pixels.pixel_array(dp.examples.get_path(name), as_rgb=False)
    if name == "jpeg2k":
        assert np.array_equal(fresh, shipped)
    else:  # a different libjpeg may quantise differently: the same image, within JPEG error
        assert np.abs(fresh.astype(int) - shipped).mean() < 1.0


@needs_decoder("JPEG2000Lossless")
def test_jpeg2k_example_is_lossless_and_decodes_like_pydicom():
    requires_pydicom_decoder("JPEG2000Lossless")
    path = dp.examples.get_path("jpeg2k")
    ours = dp.pixel_array(path)
    assert ours.dtype == np.uint16 and np.array_equal(ours, generate._j2k_values())
    assert np.array_equal(ours, pydicom.pixels.pixel_array(path))


@needs_decoder("JPEGBaseline8Bit")
def test_ybr_color_example_decodes_like_pydicom():
    requires_pydicom_decoder("JPEGBaseline8Bit")
    path = dp.examples.get_path("ybr_color")
    # As stored (YCbCr): identical whichever plugin decodes.
    ours = dp.pixel_array(path, as_rgb=False)
    assert ours.shape == (4, 120, 160, 3)
    assert np.array_equal(ours, pydicom.pixels.pixel_array(path, as_rgb=False))
    # As RGB: identical through plugins that leave YCbCr -> RGB to the core, as pydicom does;
    # libjpeg-turbo's own integer conversion (the imagecodecs plugin) may differ by 1 level.
    ref = pydicom.pixels.pixel_array(path)
    for plugin in dp.get_decoder("JPEGBaseline8Bit").available_plugins:
        rgb = dp.pixel_array(path, decoding_plugin=plugin)
        assert np.abs(rgb.astype(int) - ref).max() <= (1 if plugin == "imagecodecs" else 12), plugin
    assert dp.pixel_array(path, index=3).shape == (120, 160, 3)


@needs_decoder("JPEGBaseline8Bit")
def test_ybr_color_example_is_close_to_the_image_it_encodes():
    rgb = dp.pixel_array(dp.examples.get_path("ybr_color")).astype(int)
    assert np.abs(rgb - generate._ybr_frames()).mean() < 2.0


def test_palette_color_example_maps_to_the_hot_iron_palette():
    meta = {}
    path = dp.examples.get_path("palette_color")
    arr = dp.pixel_array(path, ds_out=meta, specific_tags=[0x00281201, 0x00281202, 0x00281203])
    rgb = dp.processing.apply_color_lut(arr, meta)
    assert rgb.dtype == np.uint16 and rgb.shape == (128, 128, 3)
    hot_iron = dp.processing.apply_color_lut(arr, palette="HOT_IRON").astype(np.uint16) * 257
    assert np.array_equal(rgb, hot_iron)
    ds = pydicom.dcmread(path)
    assert np.array_equal(rgb, pydicom.pixels.apply_color_lut(ds.pixel_array, ds))


def test_mg_example_windows_like_pydicom_with_its_sigmoid_function():
    path = dp.examples.get_path("mg")
    ds = pydicom.dcmread(path)
    arr = dp.pixel_array(path)
    assert arr.shape == (512, 416) and arr.max() < 4096
    for index in (0, 1):
        ours = dp.processing.apply_voi_lut(dp.processing.apply_modality_lut(arr, ds), ds, index=index)
        ref = pydicom.pixels.apply_voi_lut(pydicom.pixels.apply_modality_lut(arr, ds), ds, index=index)
        np.testing.assert_allclose(ours, ref, rtol=2.0**-23)


def test_new_examples_stay_small():
    for name in ("ybr_color", "jpeg2k", "palette_color", "mg"):
        assert dp.examples.get_path(name).stat().st_size < 500_000


def test_every_example_is_a_module_attribute_usable_as_a_source():
    decoded = 0
    for name in dp.examples.names():
        path = getattr(dp.examples, name)
        assert path == dp.examples.get_path(name)
        if decoder_available(transfer_syntax_of(path).uid):  # ybr_color, jpeg2k need a plugin
            assert dp.pixel_array(path, index=0).size > 0
            decoded += 1
    assert decoded >= len(generate.EXAMPLES)  # the native plugin alone decodes these
    assert "ct" in dir(dp.examples)
    with pytest.raises(AttributeError):
        dp.examples.no_such_example  # noqa: B018
