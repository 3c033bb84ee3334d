"""The bundled examples are what the generator makes, and decode as pydicom decodes them."""

from __future__ import annotations

import numpy as np
import pytest

import dicom_pixels as dp
from dicom_pixels.examples import generate

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
