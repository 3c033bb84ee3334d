"""The imagecodecs plugin decodes pydicom's test files like pydicom's own plugins.

pydicom has no imagecodecs plugin, so each file is compared with every pydicom
plugin that decodes it: lossless transfer syntaxes must match exactly; lossy
ones within :data:`LOSSY_TOLERANCE`, measured and explained in the README.
Where no pydicom plugin can decode a file there is no oracle: the test then
only requires that ours returns an array or raises a DicomPixelsError.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import dicom_pixels as dp
from dicom_pixels.errors import DicomPixelsError
from dicom_pixels.uid import lookup

imagecodecs = pytest.importorskip(
    "imagecodecs", reason="imagecodecs is the backend of the imagecodecs plugin"
)
pytest.importorskip("pydicom", reason="pydicom is the reference decoder of these tests")

#: Max absolute difference from pydicom's plugins for lossy transfer syntaxes, per
#: plugin and per output ("raw" components or converted "rgb"). libjpeg-turbo is the
#: JPEG library of imagecodecs, GDCM's and Pillow's builds alike: identical output.
#: pylibjpeg uses Thomas Richter's libjpeg 9, whose IDCT and upsampling round
#: differently: up to 1 in the stored components, and up to 3 after YBR->RGB,
#: which amplifies chroma differences (1.772 x Cb for blue). JPEG-LS near-lossless
#: and JPEG 2000 decoding are exactly specified: 0 for all.
LOSSY_TOLERANCE: dict[tuple[str, str], dict[str, int]] = {
    ("jpeg", "pylibjpeg"): {"raw": 1, "rgb": 3},
}

PYDICOM_PLUGINS = ("gdcm", "pylibjpeg", "pillow")


def _pydicom(path: str, plugin: str, **options: Any) -> np.ndarray | None:
    from pydicom import dcmread
    from pydicom.pixels import get_decoder

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = dcmread(path)
        decoder = get_decoder(ds.file_meta.TransferSyntaxUID)
        if plugin not in decoder.available_plugins:
            return None
        try:
            return decoder.as_array(ds, decoding_plugin=plugin, **options)[0]
        except Exception:
            return None


def _option_sets(frames: int) -> list[dict[str, Any]]:
    sets: list[dict[str, Any]] = [{}, {"raw": True}]
    if frames > 1:
        sets += [{"index": frames - 1}, {"index": 0, "raw": True}]
    return sets


def test_imagecodecs_plugin_matches_pydicom(imagecodecs_file: tuple[str, str, str, int]) -> None:
    name, path, uid, frames = imagecodecs_file
    ts = lookup(uid)
    compared = 0
    for options in _option_sets(frames):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                ours = dp.pixel_array(path, decoding_plugin="imagecodecs", **options)
            except DicomPixelsError as exc:
                ours = exc
        for plugin in PYDICOM_PLUGINS:
            ref = _pydicom(path, plugin, **options)
            if ref is None:
                continue
            assert not isinstance(ours, Exception), (
                f"pydicom's {plugin} decodes it, we raise {ours}"
            )
            assert ours.shape == ref.shape and ours.dtype == ref.dtype, (plugin, options)
            diff = int(np.abs(ours.astype(np.int64) - ref.astype(np.int64)).max())
            if ts.lossy is False:
                assert diff == 0, (plugin, options)
            else:
                limits = LOSSY_TOLERANCE.get((ts.family, plugin), {})
                limit = limits.get("raw" if options.get("raw") else "rgb", 0)
                assert diff <= limit, f"{plugin} {options}: max difference {diff} > {limit}"
            compared += 1
    if not compared:
        pytest.skip(f"no pydicom plugin decodes {name}: no oracle")


def test_multi_frame_ybr_jpeg_is_converted_to_rgb_like_pydicom() -> None:
    from pydicom.data import get_testdata_file
    from pydicom.pixels import pixel_array

    path = get_testdata_file("examples_ybr_color.dcm")
    arr, meta = dp.get_decoder("JPEGBaseline8Bit").as_array(path, decoding_plugin="imagecodecs")
    assert meta["photometric_interpretation"] == "RGB"
    assert np.array_equal(arr, pixel_array(path, decoding_plugin="pillow"))


def test_j2k_ybr_rct_is_reported_as_rgb() -> None:
    from pydicom.data import get_testdata_file

    path = get_testdata_file("examples_jpeg2k.dcm")
    _, meta = dp.get_decoder("JPEG2000Lossless").as_array(path, decoding_plugin="imagecodecs")
    assert meta["photometric_interpretation"] == "RGB"
