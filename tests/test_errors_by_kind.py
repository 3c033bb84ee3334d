"""Errors a user can catch by kind (issue 13, point 4): each is also a DicomPixelsError."""

from __future__ import annotations

import pytest

import dicom_pixels as dp
from dicom_pixels.decoder import DECODING_OPTIONS
from dicom_pixels.errors import (
    ArgumentTypeError,
    DicomFileNotFoundError,
    DicomIsADirectoryError,
    DicomPixelsError,
    FrameIndexError,
    InvalidArgumentError,
)

RT_DOSE = dp.examples.get_path("rt_dose")  # 8 frames


@pytest.mark.parametrize("call", [dp.pixel_array, lambda p: list(dp.iter_pixels(p))])
def test_a_missing_path_is_a_file_not_found_error_naming_it(tmp_path, call):
    with pytest.raises(FileNotFoundError) as excinfo:
        call(tmp_path / "missing.dcm")
    assert isinstance(excinfo.value, DicomFileNotFoundError)
    assert isinstance(excinfo.value, DicomPixelsError)
    assert "missing.dcm" in str(excinfo.value)


def test_a_directory_is_an_is_a_directory_error_naming_it(tmp_path):
    with pytest.raises(IsADirectoryError) as excinfo:
        dp.pixel_array(str(tmp_path))
    assert isinstance(excinfo.value, DicomIsADirectoryError)
    assert str(tmp_path) in str(excinfo.value) and "directory" in str(excinfo.value)


@pytest.mark.parametrize("example", ["rt_dose", "jpeg2k", "rle_rgb"])
def test_a_frame_index_out_of_range_is_an_index_error_naming_the_count(example):
    path = dp.examples.get_path(example)
    count = 8 if example == "rt_dose" else 1
    with pytest.raises(IndexError, match=f"no frame {count} .*holds {count} frame") as excinfo:
        dp.pixel_array(path, index=count)
    assert isinstance(excinfo.value, FrameIndexError)
    with pytest.raises(FrameIndexError):
        list(dp.iter_pixels(path, indices=[0, count]))


def test_a_misspelled_decoding_option_is_a_type_error_naming_the_known_options():
    with pytest.raises(TypeError, match=r"'as_RGB' \(did you mean 'as_rgb'\?\)") as excinfo:
        dp.pixel_array(RT_DOSE, as_RGB=True)
    assert isinstance(excinfo.value, ArgumentTypeError)
    message = str(excinfo.value)
    for name in ("as_rgb", "force_ybr", "workers", "rows"):
        assert name in message
    with pytest.raises(TypeError, match="asrgb"):
        list(dp.iter_pixels(RT_DOSE, asrgb=False))
    with pytest.raises(TypeError, match="as_RGB"):
        dp.get_decoder("ExplicitVRLittleEndian").as_array(RT_DOSE, as_RGB=False)


def test_every_known_decoding_option_is_accepted():
    # The option list is the one place that says what a decode accepts: each name must pass.
    values = {"workers": 1, "max_output_bytes": 1 << 30}
    for name in sorted(DECODING_OPTIONS):
        if name in values or name in ("as_rgb", "force_rgb", "force_ybr", "correct_unused_bits",
                                      "apply_j2k_sign_correction", "apply_jls_sign_correction",
                                      "allow_excess_frames", "view_only"):
            dp.pixel_array(RT_DOSE, index=0, **{name: values.get(name, False)})
    arr = dp.pixel_array(RT_DOSE, index=0, rows=10, columns=10)
    assert arr.shape == (10, 10)


@pytest.mark.parametrize(
    ("kwargs", "kind", "argument"),
    [
        ({"index": "1"}, TypeError, "'index' must be an int"),
        ({"index": 1.0}, TypeError, "'index' must be an int"),
        ({"index": True}, TypeError, "'index' must be an int"),
        ({"index": -1}, ValueError, "'index' must be greater than or equal to 0, not -1"),
        ({"workers": "2"}, TypeError, "'workers' must be an int"),
        ({"workers": 0}, ValueError, "'workers' must be 1 or more"),
    ],
)
def test_wrong_index_and_workers_name_the_argument(kwargs, kind, argument):
    with pytest.raises(kind, match=argument) as excinfo:
        dp.pixel_array(RT_DOSE, **kwargs)
    assert isinstance(excinfo.value, (ArgumentTypeError, InvalidArgumentError))


@pytest.mark.parametrize(
    ("indices", "kind", "argument"),
    [
        (3, TypeError, "'indices' must be an iterable of ints"),
        ("01", TypeError, "'indices' must be an iterable of ints"),
        ([0, "1"], TypeError, "'indices' must be an int"),
        ([0, -2], ValueError, "'indices' must be greater than or equal to 0, not -2"),
    ],
)
def test_wrong_indices_name_the_argument(indices, kind, argument):
    with pytest.raises(kind, match=argument) as excinfo:
        list(dp.iter_pixels(RT_DOSE, indices=indices))
    assert isinstance(excinfo.value, DicomPixelsError)


def test_numpy_integers_are_frame_indices():
    import numpy as np

    assert dp.pixel_array(RT_DOSE, index=np.int64(7)).shape == (10, 10)
    assert [a.shape for a in dp.iter_pixels(RT_DOSE, indices=np.array([1, 2]))] == [(10, 10)] * 2


def test_a_plugin_declares_its_own_decoding_options(tmp_path, monkeypatch, fresh_registry):
    import types

    from dicom_pixels import hookimpl

    (tmp_path / "gain_codec.py").write_text(
        "from dicom_pixels_native.rle import decode_rle\n"
        "SEEN = []\n"
        "def decode(data, frame):\n"
        "    SEEN.append(frame.option('example_gain'))\n"
        "    return decode_rle(data, frame)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))

    def register(registry):
        registry.add_decoder("RLELossless", "gain_codec:decode", options=["example_gain"])

    plugin = types.ModuleType("gain_plugin")
    plugin.dicom_pixels_register_codecs = hookimpl(register)
    name = dp.register(plugin)
    try:
        path = dp.examples.get_path("rle_rgb")
        arr = dp.pixel_array(path, decoding_plugin=name, example_gain=2)
        import gain_codec

        assert gain_codec.SEEN == [2]
        assert arr.shape == (64, 96, 3)
        with pytest.raises(TypeError, match=r"'example_gian' \(did you mean 'example_gain'\?\)"):
            dp.pixel_array(path, decoding_plugin=name, example_gian=2)
        # Declared for RLE only: another transfer syntax does not accept it.
        with pytest.raises(ArgumentTypeError, match="example_gain"):
            dp.pixel_array(dp.examples.get_path("ct"), example_gain=2)
    finally:
        fresh_registry.unregister(name)
