"""Every pixel-bearing file in pydicom's wheel decodes as pydicom decodes it.

The oracle is ``pydicom.pixels.pixel_array`` given the same kind of input (a
path, or a Dataset). Values, shape and dtype must be identical; where pydicom
refuses a file, we must raise our own typed error. Transfer syntaxes without
an installed dicom-pixels plugin are covered by the codec plugins' own suites.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

import dicom_pixels as dp
from dicom_pixels.errors import DicomPixelsError
from dicom_pixels.uid import lookup

from .conftest import pydicom_pixel_files

pydicom = pytest.importorskip("pydicom")
from pydicom.pixels import pixel_array as pd_pixel_array  # noqa: E402

FILES = pydicom_pixel_files()


def _ts(path):
    ds = pydicom.dcmread(path, stop_before_pixels=True, force=True)
    return lookup(str(ds.file_meta.TransferSyntaxUID))


def _decodable_here(path) -> bool:
    try:
        ts = _ts(path)
    except DicomPixelsError:
        return False
    return dp.get_decoder(ts.uid).is_available


def _oracle(src, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return pd_pixel_array(src, **kwargs), None
        except Exception as exc:  # pydicom refuses this file
            error = exc
        if isinstance(src, Path):
            # pydicom's path reader cannot read Deflated Explicit VR Little Endian files
            # (image_dfl.dcm) although its Dataset route can: use the Dataset as the oracle.
            try:
                return pd_pixel_array(pydicom.dcmread(src, force=True), **kwargs), None
            except Exception:
                pass
        return None, error


def _ours(src, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dp.pixel_array(src, **kwargs)


def _assert_same(ours, ref):
    # The same dtype, byte order included: Explicit VR Big Endian data comes back as
    # big-endian arrays in both (np.dtype(">i2") != np.dtype("<i2")).
    assert ours.dtype == ref.dtype and ours.dtype.byteorder == ref.dtype.byteorder
    assert ours.shape == ref.shape
    assert np.array_equal(ours, ref)


def _compare(src, **kwargs):
    ref, error = _oracle(src, **kwargs)
    if error is not None:
        with pytest.raises(DicomPixelsError):
            _ours(src, **kwargs)
        return
    _assert_same(_ours(src, **kwargs), ref)


def _same_backend(path) -> dict:
    """For lossy data, pin both libraries to one backend they share (else results may differ)."""
    ts = _ts(path)
    if ts.lossy is False:
        return {}
    from pydicom.pixels import get_decoder as pd_get_decoder

    theirs = pd_get_decoder(ts.uid).available_plugins
    for name in dp.get_decoder(ts.uid).available_plugins:
        if name in theirs:
            return {"decoding_plugin": name}
    pytest.skip(f"no backend shared with pydicom for lossy '{ts.name}' (covered by the plugin suites)")


CASES = [pytest.param(p, id=p.name) for p in FILES if _decodable_here(p)]


def test_the_oracle_corpus_is_there():
    assert len(FILES) > 80
    assert len(CASES) > 40


@pytest.mark.parametrize("path", CASES)
def test_path_decodes_like_pydicom(path):
    _compare(path, **_same_backend(path))


@pytest.mark.parametrize("path", CASES)
def test_dataset_decodes_like_pydicom(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = pydicom.dcmread(path, force=True)
    _compare(ds, **_same_backend(path))


@pytest.mark.parametrize("path", CASES)
def test_raw_and_no_rgb_variants_match_pydicom(path):
    _compare(path, raw=True, **_same_backend(path))
    _compare(path, as_rgb=False, **_same_backend(path))


@pytest.mark.parametrize("path", CASES)
def test_first_and_last_frame_by_index_match_pydicom(path):
    pinned = _same_backend(path)
    _, error = _oracle(path, **pinned)
    if error is not None:
        pytest.skip("pydicom refuses the file (covered by the whole-file test)")
    ds = pydicom.dcmread(path, stop_before_pixels=True, force=True)
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    for index in sorted({0, frames - 1}):
        _compare(path, index=index, **pinned)


@pytest.mark.parametrize("path", CASES)
def test_file_object_input_matches_and_keeps_its_position(path):
    pinned = _same_backend(path)
    ref, error = _oracle(path, **pinned)
    if error is not None:
        pytest.skip("pydicom refuses the file")
    with open(path, "rb") as f:
        f.seek(7)
        _assert_same(_ours(f, **pinned), ref)
        assert f.tell() == 7
    _assert_same(_ours(path.read_bytes(), **pinned), ref)
