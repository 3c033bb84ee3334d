"""Every public function refuses bad arguments up front, by name, with a DicomPixelsError (issue 15).

A path where a dataset or an array belongs, ``None``, a wrong type, an index
out of range or a misspelled keyword must raise ``TypeError``/``ValueError``
that is also a ``DicomPixelsError`` and names the argument -- never an
``AttributeError``/``IndexError`` from deep inside, never silently ignored.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

pydicom = pytest.importorskip("pydicom", reason="pydicom datasets are the inputs of pixel_dataset")

import dicom_pixels as dp  # noqa: E402
from dicom_pixels import encaps, pixel_dataset, processing  # noqa: E402
from dicom_pixels.errors import (  # noqa: E402
    ArgumentIndexError,
    ArgumentTypeError,
    DicomPixelsError,
    InvalidArgumentError,
)
from dicom_pixels.transcode import transcode  # noqa: E402

ARR = np.zeros((4, 4), np.uint16)
WINDOWED = {"PhotometricInterpretation": "MONOCHROME2", "BitsStored": 12, "PixelRepresentation": 0,
            "WindowCenter": 40, "WindowWidth": 400}
VOI_LUT = {"VOILUTSequence": [{"LUTDescriptor": [4, 0, 8], "LUTData": [0, 1, 2, 3]}]}
CT = str(dp.examples.get_path("ct"))
BUFFER = encaps.encapsulate([b"ab", b"cd"])


def _dataset() -> Any:
    ds = pydicom.Dataset()
    dp.set_pixel_data(ds, np.zeros((4, 4), "u1"), "MONOCHROME2", 8)
    return ds


def _read_at(offset: int, length: int) -> bytes:
    return BUFFER[offset : offset + length]


#: (function, call, expected error class, text the message must hold).
CASES: list[tuple[Callable[..., Any], Callable[[], Any], type[Exception], str]] = [
    # processing
    (processing.convert_color_space, lambda: processing.convert_color_space("x.dcm", "RGB", "YBR_FULL"),
     ArgumentTypeError, "'arr' must be a numpy.ndarray, not str ('x.dcm')"),
    (processing.convert_frame_color_space, lambda: processing.convert_frame_color_space(None, to_rgb=True),
     ArgumentTypeError, "'frame'"),
    (processing.convert_frame_color_space,
     lambda: processing.convert_frame_color_space(np.zeros((2, 2, 3), "u1"), to_RGB=True),
     ArgumentTypeError, "'to_RGB' (did you mean 'to_rgb'?)"),
    (processing.expand_segmented_lut, lambda: processing.expand_segmented_lut(None), ArgumentTypeError, "'data'"),
    (processing.expand_segmented_lut, lambda: processing.expand_segmented_lut([0, 1, 5], bits="8"),
     ArgumentTypeError, "'bits' must be an integer"),
    (processing.apply_modality_lut, lambda: processing.apply_modality_lut("x.dcm", {}), ArgumentTypeError, "'arr'"),
    (processing.apply_modality_lut, lambda: processing.apply_modality_lut(ARR, "x.dcm"), ArgumentTypeError,
     "'ds' must be a pydicom Dataset or a dict of element keywords, not str ('x.dcm'); read the file first"),
    (processing.apply_modality_lut, lambda: processing.apply_modality_lut(ARR, {}, frame=-1),
     InvalidArgumentError, "'frame' must be at least 0"),
    (processing.apply_rescale, lambda: processing.apply_rescale(ARR, None), ArgumentTypeError, "'ds'"),
    (processing.apply_voi_lut, lambda: processing.apply_voi_lut(ARR, WINDOWED, index=5), ArgumentIndexError,
     "apply_voi_lut(): 'index' is 5, but there are 1 windows"),
    (processing.apply_voi_lut, lambda: processing.apply_voi_lut(ARR, VOI_LUT, index=1), ArgumentIndexError,
     "apply_voi_lut(): 'index' is 1, but there are 1 items in the VOI LUT Sequence"),
    (processing.apply_voi_lut, lambda: processing.apply_voi_lut(ARR, WINDOWED, prefer_lutt=False),
     ArgumentTypeError, "'prefer_lutt' (did you mean 'prefer_lut'?)"),
    (processing.apply_voi, lambda: processing.apply_voi(ARR, VOI_LUT, index=3), ArgumentIndexError,
     "apply_voi(): 'index' is 3"),
    (processing.apply_voi, lambda: processing.apply_voi(ARR, VOI_LUT, index=-1), InvalidArgumentError,
     "'index' must be at least 0"),
    (processing.apply_windowing, lambda: processing.apply_windowing(ARR, WINDOWED, index=2), ArgumentIndexError,
     "apply_windowing(): 'index' is 2"),
    (processing.apply_windowing, lambda: processing.apply_windowing(ARR, WINDOWED, index="0"), ArgumentTypeError,
     "'index' must be an integer, not str"),
    (processing.apply_presentation_lut, lambda: processing.apply_presentation_lut(ARR, None), ArgumentTypeError,
     "'ds'"),
    (processing.apply_color_lut, lambda: processing.apply_color_lut(ARR, "x.dcm"), ArgumentTypeError,
     "apply_color_lut(): 'ds' must be"),
    (processing.apply_color_lut, lambda: processing.apply_color_lut(ARR), InvalidArgumentError,
     "either 'ds' or 'palette' is required"),
    (processing.apply_color_lut, lambda: processing.apply_color_lut(ARR, palete="HOT_IRON"), ArgumentTypeError,
     "'palete' (did you mean 'palette'?)"),
    (processing.apply_color_lut, lambda: processing.apply_color_lut(ARR, palette=7), ArgumentTypeError,
     "'palette' must be a str"),
    (processing.create_icc_transform, lambda: processing.create_icc_transform(icc_profile="abc"),
     ArgumentTypeError, "'icc_profile' must be bytes"),
    (processing.create_icc_transform, lambda: processing.create_icc_transform({}, intent=7),
     InvalidArgumentError, "'intent' must be at most 3"),
    (processing.apply_icc_profile, lambda: processing.apply_icc_profile(None, {}), ArgumentTypeError, "'arr'"),
    (processing.apply_icc_profile, lambda: processing.apply_icc_profile(np.zeros((2, 2, 3), "u1")),
     InvalidArgumentError, "either 'ds' or 'transform'"),
    (processing.pack_bits, lambda: processing.pack_bits("x.dcm"), ArgumentTypeError, "'arr'"),
    (processing.pack_bits, lambda: processing.pack_bits(np.array([0, 2])), InvalidArgumentError,
     "'arr' must hold only ones and zeroes"),
    (processing.unpack_bits, lambda: processing.unpack_bits("x.dcm"), ArgumentTypeError, "'src' must be bytes"),
    # pixel_dataset
    (pixel_dataset.compress, lambda: dp.compress("x.dcm", "RLELossless"), ArgumentTypeError,
     "compress(): 'ds' must be a pydicom Dataset, not str ('x.dcm'); read the file first with pydicom.dcmread"),
    (pixel_dataset.compress, lambda: dp.compress(_dataset(), 1.2), ArgumentTypeError, "'uid' must be a str"),
    (pixel_dataset.compress, lambda: dp.compress(_dataset(), "RLELossless", arr="x.dcm"), ArgumentTypeError,
     "'arr' must be a numpy.ndarray"),
    (pixel_dataset.compress, lambda: dp.compress(_dataset(), "JPEGBaseline8Bit", qualty=90), ArgumentTypeError,
     "'qualty' (did you mean 'quality'?)"),
    (pixel_dataset.compress, lambda: dp.compress(_dataset(), "RLELossless", encoding_plugn="native"),
     ArgumentTypeError, "'encoding_plugn' (did you mean 'encoding_plugin'?)"),
    (pixel_dataset.decompress, lambda: dp.decompress("x.dcm"), ArgumentTypeError, "decompress(): 'ds'"),
    (pixel_dataset.set_pixel_data, lambda: dp.set_pixel_data(None, ARR, "MONOCHROME2", 12), ArgumentTypeError,
     "set_pixel_data(): 'ds' must be a pydicom Dataset, not NoneType"),
    (pixel_dataset.set_pixel_data, lambda: dp.set_pixel_data(pydicom.Dataset(), "x.dcm", "MONOCHROME2", 12),
     ArgumentTypeError, "'arr' must be a numpy.ndarray"),
    (pixel_dataset.set_pixel_data, lambda: dp.set_pixel_data(pydicom.Dataset(), ARR, "MONOCHROME2", "12"),
     ArgumentTypeError, "'bits_stored' must be an integer"),
    (pixel_dataset.set_pixel_data, lambda: dp.set_pixel_data(pydicom.Dataset(), ARR, "MONOCHROME2", bit_stored=12),
     ArgumentTypeError, "'bit_stored' (did you mean 'bits_stored'?)"),
    (pixel_dataset.generate_uid, lambda: pixel_dataset.generate_uid("2.25"), ArgumentTypeError,
     "generate_uid() too many positional arguments"),
    # transcode
    (transcode, lambda: transcode(None, "out.dcm", "RLELossless"), ArgumentTypeError,
     "transcode(): 'src_path' must be a path"),
    (transcode, lambda: transcode(CT, 3, "RLELossless"), ArgumentTypeError, "'dst_path' must be a path"),
    (transcode, lambda: transcode(CT, "out.dcm", None), ArgumentTypeError, "'uid' must be a str"),
    (transcode, lambda: transcode(CT, "out.dcm", "RLELossless", progress=5), ArgumentTypeError,
     "'progress' must be callable"),
    (transcode, lambda: transcode(CT, "out.dcm", "JPEG2000", j2k_crr=[10]), ArgumentTypeError,
     "'j2k_crr' (did you mean 'j2k_cr'?)"),
    (transcode, lambda: transcode(CT, "out.dcm", "RLELossless", verfy=True), ArgumentTypeError,
     "'verfy' (did you mean 'verify'?)"),
    # encaps
    (encaps.parse_basic_offsets, lambda: encaps.parse_basic_offsets("x.dcm"), ArgumentTypeError,
     "'buffer', the encapsulated Pixel Data, must be bytes"),
    (encaps.parse_fragments, lambda: encaps.parse_fragments(None), ArgumentTypeError, "'buffer'"),
    (encaps.generate_fragments, lambda: list(encaps.generate_fragments(12)), ArgumentTypeError, "'buffer'"),
    (encaps.generate_fragmented_frames, lambda: encaps.generate_fragmented_frames(BUFFER, number_of_frame=2),
     ArgumentTypeError, "'number_of_frame' (did you mean 'number_of_frames'?)"),
    (encaps.generate_frames, lambda: list(encaps.generate_frames(1.5)), ArgumentTypeError, "'buffer'"),
    (encaps.get_frame, lambda: encaps.get_frame(BUFFER, "1"), ArgumentTypeError, "'index' must be an integer"),
    (encaps.get_frame, lambda: encaps.get_frame(BUFFER, 0, number_of_frames=-2), InvalidArgumentError,
     "'number_of_frames' must be at least 0"),
    (encaps.frame_fragment_ranges, lambda: encaps.frame_fragment_ranges(_read_at, 0, None, number_of_frame=2),
     ArgumentTypeError, "frame_fragment_ranges() got an unexpected keyword argument 'number_of_frame' (did you "
     "mean 'number_of_frames'?)"),
    (encaps.build_frame_index, lambda: encaps.build_frame_index(_read_at, 0, None, number_of_frame=2),
     ArgumentTypeError, "build_frame_index() got an unexpected keyword argument 'number_of_frame' (did you "
     "mean 'number_of_frames'?)"),
    (encaps.fragment_frame, lambda: list(encaps.fragment_frame("abcd")), ArgumentTypeError, "'frame' must be bytes"),
    (encaps.fragment_frame, lambda: list(encaps.fragment_frame(b"abcd", 1.0)), ArgumentTypeError,
     "'nr_fragments' must be an integer"),
    (encaps.itemize_fragment, lambda: encaps.itemize_fragment(None), ArgumentTypeError, "'fragment'"),
    (encaps.itemize_frame, lambda: list(encaps.itemize_frame([b"ab"])), ArgumentTypeError, "'frame'"),
    (encaps.encapsulate, lambda: encaps.encapsulate(b"abcd"), ArgumentTypeError,
     "'frames' must be a sequence (a list) of encoded frames, not bytes; wrap a single frame as [frame]"),
    (encaps.encapsulate, lambda: encaps.encapsulate([b"ab"], fragments_per_frame=0), InvalidArgumentError,
     "'fragments_per_frame' must be at least 1"),
    (encaps.encapsulate, lambda: encaps.encapsulate([b"ab", None]), ArgumentTypeError, "'frames' must be bytes"),
    (encaps.encapsulate_extended, lambda: encaps.encapsulate_extended("ab"), ArgumentTypeError, "'frames'"),
]


@pytest.mark.parametrize(("function", "call", "error", "text"), CASES,
                         ids=[f"{case[0].__name__}-{i}" for i, case in enumerate(CASES)])
def test_bad_arguments_raise_a_typed_error_naming_the_argument(function, call, error, text, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # transcode cases name out.dcm: nothing may be written
    with pytest.raises(error) as raised:
        call()
    assert isinstance(raised.value, DicomPixelsError)
    assert isinstance(raised.value, (TypeError, ValueError))
    assert text in str(raised.value)
    assert list(tmp_path.iterdir()) == []


def _public_functions() -> list[tuple[str, Callable[..., Any]]]:
    found = []
    for module in (processing, pixel_dataset, encaps):
        for name in module.__all__:
            value = getattr(module, name)
            if inspect.isfunction(value):
                found.append((f"{module.__name__}.{name}", value))
    return [*found, ("dicom_pixels.transcode.transcode", transcode)]


@pytest.mark.parametrize(("name", "function"), _public_functions(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_public_function_has_bad_argument_cases_and_checks_its_signature(name, function):
    assert any(case[0] is function for case in CASES), f"{name} has no bad-argument case above"
    assert hasattr(function, "__wrapped__"), f"{name} is not decorated with checked_signature"


def test_a_misspelling_is_refused_but_a_plugins_own_option_passes_through():
    """Options unlike any known one may belong to a third-party plugin: no error for them."""
    ds = _dataset()
    dp.compress(ds, "RLELossless", encoding_plugin="native", my_plugins_level=3)
    np.testing.assert_array_equal(dp.pixel_array(ds), np.zeros((4, 4), "u1"))


def test_an_index_error_stays_an_index_error_for_existing_callers():
    with pytest.raises(IndexError):
        processing.apply_voi_lut(ARR, WINDOWED, index=5)


def test_a_type_error_raised_inside_a_correct_call_is_not_relabelled(monkeypatch):
    """checked_signature re-binds only to explain a call that does not fit the signature."""
    def broken(*args: Any, **kwargs: Any) -> None:
        raise TypeError("a bug deep inside")

    monkeypatch.setattr(processing, "_frames_of", broken)
    with pytest.raises(TypeError, match="a bug deep inside") as raised:
        processing.apply_modality_lut(ARR, {"RescaleSlope": 1})
    assert not isinstance(raised.value, DicomPixelsError)

