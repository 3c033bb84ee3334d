"""dicom-pixels inside pydicom: its decoders and encoders run ds.pixel_array, ds.compress, ds.decompress."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest

pydicom = pytest.importorskip("pydicom", reason="the bridge plugs into pydicom")

import dicom_pixels as dp  # noqa: E402
from dicom_pixels import pydicom_bridge  # noqa: E402

from .conftest import (  # noqa: E402
    decoder_available,
    encoder_available,
    pydicom_pixel_files,
    requires_decoder,
    requires_encoder,
    requires_pydicom_decoder,
)

RLE = "1.2.840.10008.1.2.5"
JPEG2000_LOSSLESS = "1.2.840.10008.1.2.4.90"


@pytest.fixture
def bridge():
    added = pydicom_bridge.install()
    yield added
    pydicom_bridge.uninstall()


def _read(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(path)


def test_install_adds_the_plugin_to_pydicoms_coders_and_uninstall_removes_it(bridge):
    assert RLE in bridge  # the native plugin decodes and encodes it
    # Only what the installed plugins can handle is added.
    j2k_here = decoder_available(JPEG2000_LOSSLESS) or encoder_available(JPEG2000_LOSSLESS)
    assert (JPEG2000_LOSSLESS in bridge) == j2k_here
    decoder = pydicom.pixels.get_decoder("1.2.840.10008.1.2.5")
    assert pydicom_bridge.LABEL in decoder.available_plugins
    assert pydicom_bridge.install() == []  # twice is harmless
    pydicom_bridge.uninstall()
    assert pydicom_bridge.LABEL not in decoder.available_plugins
    pydicom_bridge.install()


def test_pixel_array_through_dicom_pixels_equals_pydicoms_own_plugins(bridge):
    checked = 0
    for path in pydicom_pixel_files():
        ds = _read(path)
        ts = ds.file_meta.TransferSyntaxUID
        if not ts.is_compressed or ts not in bridge:
            continue
        try:
            expected = _read(path).pixel_array
        except Exception:
            continue  # pydicom cannot decode it with its own plugins either
        ds.pixel_array_options(decoding_plugin=pydicom_bridge.LABEL)
        got = ds.pixel_array
        assert got.shape == expected.shape, path.name
        lossy_or_colour = ts in (pydicom.uid.JPEGBaseline8Bit, pydicom.uid.JPEGExtended12Bit) or got.ndim > 2
        tolerance = 1 if lossy_or_colour else 0  # IDCT and YCbCr rounding differ between backends
        assert np.abs(got.astype(np.int64) - expected).max() <= tolerance, path.name
        checked += 1
    # pydicom's wheel has 9 RLE files, which the native plugin alone decodes; with the
    # JPEG / JPEG-LS / JPEG 2000 plugins there are many more.
    assert checked >= (20 if set(bridge) - {RLE} else 5)


@pytest.mark.parametrize("uid", ["1.2.840.10008.1.2.5", "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.80"])
def test_ds_compress_and_decompress_run_through_dicom_pixels(bridge, uid):
    requires_encoder(uid)
    requires_decoder(uid)
    requires_pydicom_decoder(uid)
    path = dp.examples.get_path("ct")
    expected = _read(path).pixel_array
    ds = _read(path)
    ds.compress(uid, encoding_plugin=pydicom_bridge.LABEL)
    assert ds.file_meta.TransferSyntaxUID == uid
    buffer = io.BytesIO()
    ds.save_as(buffer)
    np.testing.assert_array_equal(pydicom.pixels.pixel_array(io.BytesIO(buffer.getvalue())), expected)
    ds.decompress(decoding_plugin=pydicom_bridge.LABEL)
    np.testing.assert_array_equal(ds.pixel_array, expected)


def test_encoding_options_reach_our_encoders(bridge):
    requires_encoder("1.2.840.10008.1.2.4.91")
    ds = _read(dp.examples.get_path("ct"))
    ds.compress("1.2.840.10008.1.2.4.91", encoding_plugin=pydicom_bridge.LABEL, j2k_cr=[20])
    frame = dp.encaps.get_frame(ds.PixelData, 0, number_of_frames=1)
    assert ds.Rows * ds.Columns * 2 / len(frame) >= 18


def test_is_available_reports_what_the_installed_plugins_can_do():
    assert pydicom_bridge.is_available("1.2.840.10008.1.2.5")
    assert not pydicom_bridge.is_available("1.2.840.10008.1.2.4.204")  # JPIP: no pixel data in the file
