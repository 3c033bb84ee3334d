"""Run the example plugin through dicom-pixels and compare with a known array."""

from __future__ import annotations

import numpy as np

import dicom_pixels as dp


def test_example_plugin_decodes_the_bundled_ct_like_native():
    path = dp.examples.get_path("ct")
    ours = dp.pixel_array(path, decoding_plugin="example")
    assert np.array_equal(ours, dp.pixel_array(path, decoding_plugin="native"))
