"""Colour conversion matches pydicom and works frame by frame in place."""

from __future__ import annotations

import numpy as np
import pytest

from dicom_pixels.processing import convert_color_space

pydicom_processing = pytest.importorskip("pydicom.pixels.processing")


@pytest.mark.parametrize(("current", "desired"), [("YBR_FULL", "RGB"), ("YBR_FULL_422", "RGB"), ("RGB", "YBR_FULL")])
def test_8bit_conversion_is_identical_to_pydicom(current, desired):
    rng = np.random.default_rng(0)
    arr = rng.integers(0, 256, size=(3, 17, 19, 3), dtype=np.uint8)
    ref = pydicom_processing.convert_color_space(arr.copy(), current, desired, per_frame=True)
    ours = convert_color_space(arr.copy(), current, desired)
    assert np.array_equal(ours, ref)


def test_conversion_is_in_place_for_writeable_arrays():
    arr = np.full((2, 2, 3), 128, np.uint8)
    assert convert_color_space(arr, "YBR_FULL", "RGB") is arr


def test_16bit_round_trip_stays_within_one_level():
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 65536, size=(8, 8, 3), dtype=np.uint16)
    back = convert_color_space(convert_color_space(rgb.copy(), "RGB", "YBR_FULL"), "YBR_FULL", "RGB")
    assert np.abs(back.astype(int) - rgb).max() <= 2


def test_unsupported_spaces_and_dtypes_raise_typed_errors():
    from dicom_pixels.errors import InvalidPixelDescriptionError

    with pytest.raises(InvalidPixelDescriptionError):
        convert_color_space(np.zeros((1, 1, 3), np.uint8), "HSV", "RGB")
    with pytest.raises(InvalidPixelDescriptionError):
        convert_color_space(np.zeros((1, 1, 3), np.float32), "YBR_FULL", "RGB")


# -- the display pipeline against pydicom -------------------------------------------------

import json  # noqa: E402
import struct  # noqa: E402
from pathlib import Path  # noqa: E402

import dicom_pixels as dp  # noqa: E402
from dicom_pixels import processing  # noqa: E402

pydicom = pytest.importorskip("pydicom")
from pydicom import dcmread  # noqa: E402
from pydicom.data import get_palette_files, get_testdata_file  # noqa: E402
from pydicom.dataset import Dataset, FileMetaDataset  # noqa: E402
from pydicom.sequence import Sequence  # noqa: E402

# float32 results are pydicom's float64 results rounded once: relative error <= 2**-24.
FLOAT32_RTOL = 2.0**-23


def _with_window_files() -> list[str]:
    """Every pydicom test file with a window whose pixels dicom-pixels can decode."""
    found = []
    # The files in the wheel only: a pattern given to get_testdata_files() would try to
    # download pydicom-data's files.
    for path in map(str, (Path(pydicom.data.__file__).parent / "test_files").glob("*.dcm")):
        try:
            ds = dcmread(path, stop_before_pixels=True)
        except Exception:
            continue
        if "WindowCenter" in ds and "WindowWidth" in ds and ds.get("SamplesPerPixel", 1) == 1:
            found.append(path)
    return sorted(found)


def _decoded(path):
    """The dataset and its pixels (decoded by pydicom: these tests are about processing)."""
    ds = dcmread(path)
    try:
        return ds, ds.pixel_array
    except Exception as exc:  # truncated files, codecs missing here
        pytest.skip(f"pydicom cannot decode it here: {exc}")


def _assert_close(ours, ref):
    assert ours.shape == ref.shape
    np.testing.assert_allclose(ours.astype(np.float64), ref, rtol=FLOAT32_RTOL, atol=1e-9)


@pytest.mark.parametrize("path", _with_window_files(), ids=lambda p: p.rsplit("/", 1)[-1])
def test_rescale_and_window_match_pydicom_on_its_test_files(path):
    ds, arr = _decoded(path)
    ours = processing.apply_modality_lut(arr, ds)
    ref = pydicom.pixels.apply_modality_lut(arr, ds)
    _assert_close(ours, ref)
    for index in range(len(ds["WindowCenter"].value) if ds["WindowCenter"].VM > 1 else 1):
        _assert_close(processing.apply_voi_lut(ours, ds, index=index),
                      pydicom.pixels.apply_voi_lut(ref, ds, index=index))


def test_rescale_with_integral_slope_and_intercept_is_exact_and_integer():
    ds = dcmread(get_testdata_file("CT_small.dcm"))
    ds.RescaleSlope, ds.RescaleIntercept = 1, -1024
    arr = ds.pixel_array
    ours = processing.apply_rescale(arr, ds)
    assert ours.dtype == np.int32  # 16-bit signed stored values minus 1024
    assert np.array_equal(ours, pydicom.pixels.apply_rescale(arr, ds))


def test_rescale_dtype_rules():
    u12 = np.array([[0, 4095]], np.uint16)
    assert processing.apply_modality_lut(u12, {"BitsStored": 12, "RescaleSlope": 1, "RescaleIntercept": -1024}).dtype == np.int16
    assert processing.apply_modality_lut(u12, {"BitsStored": 12, "RescaleSlope": 2, "RescaleIntercept": 0}).dtype == np.uint16
    assert processing.apply_modality_lut(u12, {"RescaleSlope": 0.5, "RescaleIntercept": 0}).dtype == np.float32
    assert processing.apply_modality_lut(u12.astype(np.uint32), {"RescaleSlope": 0.5, "RescaleIntercept": 0}).dtype == np.float64
    assert processing.apply_modality_lut(u12, {"RescaleSlope": 0.5, "RescaleIntercept": 0}, dtype=np.float64).dtype == np.float64
    assert processing.apply_modality_lut(u12, {}) is u12


def test_windowing_is_float32_unless_asked_and_matches_pydicom_in_float64():
    ds = dcmread(get_testdata_file("MR_small.dcm"))
    arr = ds.pixel_array
    assert processing.apply_windowing(arr, ds).dtype == np.float32
    ours = processing.apply_windowing(arr, ds, dtype=np.float64)
    assert np.array_equal(ours, pydicom.pixels.apply_windowing(arr, ds))


def _mono(bits=16, signed=0, **elements) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.1"
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsStored, ds.BitsAllocated, ds.PixelRepresentation = bits, 16, signed
    ds.SamplesPerPixel = 1
    for keyword, value in elements.items():
        setattr(ds, keyword, value)
    return ds


@pytest.mark.parametrize("function", ["LINEAR", "LINEAR_EXACT", "SIGMOID"])
@pytest.mark.parametrize(("center", "width"), [(40, 400), (2047.5, 1), (0, 4096), (1000, 2)])
def test_voi_lut_functions_match_pydicom(function, center, width):
    if function != "LINEAR" and width < 1:
        pytest.skip("invalid for this function")
    ds = _mono(12, 0, WindowCenter=center, WindowWidth=width, VOILUTFunction=function,
               RescaleSlope=1, RescaleIntercept=-1024)
    arr = np.arange(-1024, 3072, dtype=np.float64).reshape(64, 64)
    ours = processing.apply_windowing(arr, ds, dtype=np.float64)
    np.testing.assert_allclose(ours, pydicom.pixels.apply_windowing(arr, ds), rtol=1e-12, atol=1e-9)


def _lut_item(descriptor, values, vr="OW"):
    item = Dataset()
    item.LUTDescriptor = descriptor
    if vr == "OW":
        item.add_new(0x00283006, "OW", struct.pack(f"<{len(values)}H", *values))
    else:
        item.add_new(0x00283006, "US", list(values))
    return item


@pytest.mark.parametrize("vr", ["OW", "US"])
@pytest.mark.parametrize("first_map", [0, 100, -50])
def test_modality_lut_sequence_matches_pydicom(vr, first_map):
    # 16 bits per entry: pydicom 3.0 fails on other depths (it asks NumPy for 'uint12').
    values = [(i * 997) % 65536 for i in range(300)]
    ds = _mono(12, 1 if first_map < 0 else 0, ModalityLUTSequence=Sequence([_lut_item([300, first_map, 16], values, vr)]))
    arr = np.arange(-200, 600, dtype=np.int16).reshape(20, 40)
    ours = processing.apply_modality_lut(arr, ds)
    ref = pydicom.pixels.apply_modality_lut(arr, ds)
    assert ours.dtype == np.uint16 and np.array_equal(ours, ref)
    # and the window then spans the LUT's unsigned output range (PS3.3 C.11.1.1.1)
    ds.WindowCenter, ds.WindowWidth = 20000, 10000
    _assert_close(processing.apply_voi_lut(ours, ds), pydicom.pixels.apply_voi_lut(ref, ds))


@pytest.mark.parametrize("depth", [8, 16])
def test_voi_lut_sequence_matches_pydicom_and_prefer_lut_chooses(depth):
    values = [min(i * 3, 2**depth - 1) for i in range(256)]
    ds = _mono(12, 0, VOILUTSequence=Sequence([_lut_item([256, 10, depth], values)]),
               WindowCenter=100, WindowWidth=50)
    # Inputs up to first_map + 255: pydicom 3.0 computes 8-bit LUT indices in uint8, so
    # larger inputs wrap around there (e.g. 266 -> entry 0); they clip to the last entry here.
    arr = np.arange(0, 266, dtype=np.uint16).reshape(14, 19)
    ours = processing.apply_voi_lut(arr, ds)
    assert ours.dtype == (np.uint8 if depth == 8 else np.uint16)
    assert np.array_equal(ours, pydicom.pixels.apply_voi_lut(arr, ds))
    _assert_close(processing.apply_voi_lut(arr, ds, prefer_lut=False),
                  pydicom.pixels.apply_voi_lut(arr, ds, prefer_lut=False))


def test_a_plain_dict_works_like_a_dataset():
    lut = {"LUTDescriptor": [4, 0, 16], "LUTData": struct.pack("<4H", 10, 20, 30, 40)}
    arr = np.array([0, 1, 2, 3, 9], np.uint16)
    assert processing.apply_modality_lut(arr, {"ModalityLUTSequence": [lut]}).tolist() == [10, 20, 30, 40, 40]
    big = {"TransferSyntaxUID": "1.2.840.10008.1.2.2",
           "ModalityLUTSequence": [{"LUTDescriptor": [2, 0, 16], "LUTData": struct.pack(">2H", 7, 9)}]}
    assert processing.apply_modality_lut(arr[:2], big).tolist() == [7, 9]


def test_per_frame_functional_groups_rescale_and_window_each_frame():
    per_frame = [
        {"PixelValueTransformationSequence": [{"RescaleSlope": 1, "RescaleIntercept": -1024 * i}],
         "FrameVOILUTSequence": [{"WindowCenter": 100 * i, "WindowWidth": 10}]}
        for i in range(3)
    ]
    ds = {"NumberOfFrames": 3, "BitsStored": 16, "PixelRepresentation": 0,
          "PhotometricInterpretation": "MONOCHROME2", "PerFrameFunctionalGroupsSequence": per_frame}
    arr = np.full((3, 2, 2), 2048, np.uint16)
    out = processing.apply_modality_lut(arr, ds)
    assert out.dtype == np.int32 and out[:, 0, 0].tolist() == [2048, 1024, 0]
    assert processing.apply_modality_lut(arr[2], ds, frame=2)[0, 0] == 0
    windowed = processing.apply_windowing(np.array([[[0.0]], [[100.0]], [[500.0]]]), ds)
    assert windowed.dtype == np.float32
    shared = {"NumberOfFrames": 2, "SharedFunctionalGroupsSequence": [per_frame[1]]}
    assert processing.apply_modality_lut(arr[:2], shared)[:, 0, 0].tolist() == [1024, 1024]


def test_pydicom_enhanced_file_without_transformation_is_unchanged():
    ds = dcmread(get_testdata_file("liver_1frame.dcm"))
    arr = dp.pixel_array(get_testdata_file("liver_1frame.dcm"))
    assert processing.apply_modality_lut(arr, ds) is arr


def test_presentation_lut_matches_pydicom():
    ds = _mono(8, 0)
    ds.BitsAllocated = 8
    item = _lut_item([256, 0, 12], [(4095 - i * 16) for i in range(256)])
    ds.PresentationLUTSequence = Sequence([item])
    arr = np.arange(0, 4000, 7, dtype=np.float32).reshape(-1, 1)
    ours = processing.apply_presentation_lut(arr, ds)
    assert ours.dtype == np.uint16 and np.array_equal(ours, pydicom.pixels.apply_presentation_lut(arr, ds))
    shape = _mono(8, 0, PresentationLUTShape="INVERSE")
    assert np.array_equal(processing.apply_presentation_lut(arr, shape),
                          pydicom.pixels.apply_presentation_lut(arr, shape))


# -- palettes ----------------------------------------------------------------------------------


def test_palette_color_file_matches_pydicom():
    path = get_testdata_file("examples_palette.dcm")
    ds = dcmread(path)
    arr = dp.pixel_array(path, raw=True)
    ours = processing.apply_color_lut(arr, ds)
    ref = pydicom.pixels.apply_color_lut(arr, ds)
    assert ours.dtype == ref.dtype == np.uint16 and np.array_equal(ours, ref)


def test_shipped_palette_data_is_what_the_generator_makes_and_equals_pydicoms_palettes():
    from dicom_pixels.palettes import generate

    shipped = json.loads(generate.DATA_FILE.read_text())
    assert shipped == json.loads(json.dumps(generate.build()))
    for name, (uid, file_name) in generate.PALETTES.items():
        palette_ds = dcmread(get_palette_files(file_name)[0])
        assert palette_ds.SOPInstanceUID == uid and palette_ds.ContentLabel.split()[0] == name
        levels = np.arange(256, dtype=np.uint8)
        ref = pydicom.pixels.apply_color_lut(levels, palette_ds)
        assert np.array_equal(processing.apply_color_lut(levels, palette=name), ref), name
        assert np.array_equal(processing.apply_color_lut(levels, palette=uid), ref), name
        assert np.array_equal(processing.apply_color_lut(levels, palette_ds), ref), name


def test_palette_names_follow_the_standard_where_pydicom_swaps_fall_and_winter():
    # pydicom 3.0 maps the name FALL to 1.2.840.10008.1.5.8 (Winter) and back; PS3.6
    # Annex B and pydicom's own palette files say FALL is 1.2.840.10008.1.5.7.
    levels = np.arange(256, dtype=np.uint8)
    assert np.array_equal(processing.apply_color_lut(levels, palette="FALL"),
                          pydicom.pixels.apply_color_lut(levels, palette="1.2.840.10008.1.5.7"))


def test_segmented_palette_with_alpha_and_16_bit_entries():
    red = [0, 1, 0, 1, 255, 65535]
    # discrete, linear, indirect (replay the 2 segments from word 0), linear: 256 entries
    green = [0, 2, 0, 1000, 1, 3, 4000, 2, 2, 0, 0, 1, 246, 65535]
    blue = [0, 256, *range(0, 65536, 256)]
    alpha = [0, 1, 65535, 1, 255, 65535]
    ds = _mono(8, 0)
    ds.RedPaletteColorLookupTableDescriptor = [256, 0, 16]
    for colour, words in zip(("Red", "Green", "Blue", "Alpha"), (red, green, blue, alpha)):
        ds.add_new(f"Segmented{colour}PaletteColorLookupTableData", "OW", struct.pack(f"<{len(words)}H", *words))
    arr = np.arange(256, dtype=np.uint8).reshape(16, 16)
    ours = processing.apply_color_lut(arr, ds)
    assert ours.shape == (16, 16, 4) and ours.dtype == np.uint16
    green_ref = pydicom.pixels.processing._expand_segmented_lut(tuple(green), "<H")
    assert processing.expand_segmented_lut(green).tolist() == green_ref
    for channel, words in enumerate((red, green, blue, alpha)):
        if channel == 1:
            continue
        ref = pydicom.pixels.processing._expand_segmented_lut(tuple(words), "<H")
        assert ours.reshape(-1, 4)[: len(ref), channel].tolist() == ref[:256]


def test_unknown_palette_lists_the_names():
    with pytest.raises(ValueError, match="HOT_IRON"):
        processing.apply_color_lut(np.zeros(2, np.uint8), palette="RAINBOW")


# -- ICC profiles, 1-bit data ----------------------------------------------------------------


def test_icc_profile_matches_pydicom():
    ImageCms = pytest.importorskip("PIL.ImageCms")
    lab_to_srgb_input = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    ds = Dataset()
    ds.ICCProfile = lab_to_srgb_input
    rng = np.random.default_rng(3)
    arr = rng.integers(0, 256, (2, 8, 8, 3), dtype=np.uint8)
    ours = processing.apply_icc_profile(arr.copy(), ds, intent=1)
    assert np.array_equal(ours, pydicom.pixels.apply_icc_profile(arr.copy(), ds, intent=1))
    transform = processing.create_icc_transform(icc_profile=lab_to_srgb_input, color_space="sRGB")
    with pytest.raises(ValueError, match="Only one"):
        processing.apply_icc_profile(arr, ds, transform=transform)


def test_missing_pillow_gives_an_install_hint(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pil(name, *args, **kwargs):
        if name == "PIL" or name.startswith("PIL."):
            raise ImportError("no PIL")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pil)
    with pytest.raises(ImportError, match="pip install pillow"):
        processing.create_icc_transform(icc_profile=b"x")


@pytest.mark.parametrize("size", [0, 1, 7, 8, 9, 64, 101])
def test_pack_and_unpack_bits_match_pydicom(size):
    rng = np.random.default_rng(size)
    bits = rng.integers(0, 2, size, dtype=np.uint8)
    packed = processing.pack_bits(bits)
    assert packed == pydicom.pixels.pack_bits(bits)
    assert np.array_equal(processing.unpack_bits(packed), pydicom.pixels.unpack_bits(packed))
    assert processing.unpack_bits(packed, as_array=False) == pydicom.pixels.unpack_bits(packed, as_array=False)
    with pytest.raises(ValueError):
        processing.pack_bits(np.array([0, 2]))


def test_multi_frame_rescale_then_window_stays_float32():
    arr = np.zeros((4, 8, 8), np.uint16)
    ds = {"NumberOfFrames": 4, "RescaleSlope": 0.5, "RescaleIntercept": 1.0,
          "WindowCenter": 1, "WindowWidth": 2, "BitsStored": 16, "PixelRepresentation": 0}
    out = processing.apply_modality_lut(arr, ds)
    out = processing.apply_windowing(out, ds)
    assert out.dtype == np.float32 and out.shape == (4, 8, 8)


def test_self_referencing_segmented_lut_is_an_error_not_a_hang():
    from dicom_pixels.errors import InvalidPixelDescriptionError

    with pytest.raises(InvalidPixelDescriptionError, match="indirect"):
        processing.expand_segmented_lut([0, 1, 5, 2, 2, 0, 0])


def test_modality_lut_with_12_bit_entries_is_uint16():
    lut = {"LUTDescriptor": [3, 0, 12], "LUTData": [0, 2048, 4095]}
    out = processing.apply_modality_lut(np.array([0, 1, 2, 3], np.uint16), {"ModalityLUTSequence": [lut]})
    assert out.dtype == np.uint16 and out.tolist() == [0, 2048, 4095, 4095]


# -- YBR_PARTIAL_422/420 (PS3.3 C.7.6.3.1.2), which pydicom 3.0 does not convert ------------------

#: The standard's own partial-range equations, written out independently of the code's matrices.
_PS33_PARTIAL = np.array([
    [0.2568, 0.5041, 0.0979],
    [-0.1482, -0.2910, 0.4392],
    [0.4392, -0.3678, -0.0714],
])


def _ps33_rgb_to_partial(rgb: np.ndarray, bits: int) -> np.ndarray:
    scale = 2 ** (bits - 8)
    return rgb.astype(np.float64) @ _PS33_PARTIAL.T + np.array([16, 128, 128]) * scale


@pytest.mark.parametrize(("dtype", "bits"), [("u1", 8), ("u2", 16)])
@pytest.mark.parametrize("name", ["YBR_PARTIAL_422", "YBR_PARTIAL_420"])
def test_rgb_to_ybr_partial_follows_the_standards_equations(dtype, bits, name):
    rgb = np.random.default_rng(bits).integers(0, 2**bits, (2, 16, 16, 3), dtype=dtype)
    ours = convert_color_space(rgb.copy(), "RGB", name)
    expected = _ps33_rgb_to_partial(rgb, bits)
    # The standard rounds its coefficients to 4 digits: within 1 (8-bit) or 1/2**8 of the range.
    assert np.abs(ours.astype(np.float64) - expected).max() <= 1.0 * 2 ** (bits - 8)
    assert ours[..., 0].min() >= 16 * 2 ** (bits - 8) - 1 and ours[..., 0].max() <= 235 * 2 ** (bits - 8)
    back = convert_color_space(ours.copy(), name, "RGB")
    assert np.abs(back.astype(np.int64) - rgb).max() <= 2 * 2 ** (bits - 8)  # quantised to 219/224 levels


def test_ybr_partial_to_rgb_matches_ffmpeg():
    av = pytest.importorskip("av", reason="FFmpeg (PyAV) is the independent BT.601 limited-range reference")
    rng = np.random.default_rng(4)
    y = rng.integers(16, 236, (16, 16), dtype="u1")
    cbcr = rng.integers(16, 241, (2, 16, 16), dtype="u1")
    frame = av.VideoFrame.from_ndarray(np.stack([y, *cbcr]), format="yuv444p")
    reference = frame.reformat(format="rgb24", src_colorspace="ITU601", src_color_range="MPEG").to_ndarray()
    ours = convert_color_space(np.stack([y, *cbcr], axis=-1), "YBR_PARTIAL_420", "RGB")
    assert np.abs(ours.astype(int) - reference.astype(int)).max() <= 2  # swscale's integer arithmetic


def test_full_and_partial_range_convert_through_rgb():
    rgb = np.random.default_rng(5).integers(0, 256, (8, 8, 3), dtype="u1")
    full = convert_color_space(rgb.copy(), "RGB", "YBR_FULL")
    partial = convert_color_space(full.copy(), "YBR_FULL", "YBR_PARTIAL_422")
    direct = convert_color_space(rgb.copy(), "RGB", "YBR_PARTIAL_422")
    assert np.abs(partial.astype(int) - direct.astype(int)).max() <= 1
    assert convert_color_space(partial, "YBR_PARTIAL_422", "YBR_PARTIAL_420") is partial  # the same range


def test_pydicom_3_0_refuses_what_we_convert():
    with pytest.raises((NotImplementedError, ValueError)):
        pydicom_processing.convert_color_space(np.zeros((2, 2, 3), "u1"), "YBR_PARTIAL_420", "RGB")


@pytest.mark.parametrize(("dtype", "bits"), [("u1", 8), ("u2", 16)])
def test_the_decoder_converts_stored_ybr_partial_to_rgb_with_the_partial_range_equations(dtype, bits):
    """pydicom 3.1's as_rgb covers YBR_PARTIAL_420/422; the stored values here are the
    standard's equations applied to known RGB, so as_rgb must give that RGB back."""
    from dicom_pixels.source import FramesSource

    rgb = np.random.default_rng(bits + 1).integers(0, 2**bits, (2, 6, 8, 3), dtype=dtype)
    stored = np.floor(_ps33_rgb_to_partial(rgb, bits) + 0.5).astype(dtype)
    encoder = dp.get_encoder("RLELossless")  # RGB only to write the samples; relabelled below
    frames = [encoder.encode(stored, index=i, encoding_plugin="native", photometric_interpretation="RGB",
                             bits_stored=bits) for i in range(2)]
    image = dp.ImageDescription(6, 8, 3, bits, bits, 0, "YBR_PARTIAL_422", dp.uid.RLELossless, number_of_frames=2)
    decoder = dp.get_decoder(dp.uid.RLELossless)
    arr, meta = decoder.as_array(FramesSource(frames, image))
    assert meta["photometric_interpretation"] == "RGB"
    assert np.abs(arr.astype(np.int64) - rgb).max() <= 2 * 2 ** (bits - 8)  # quantised to 219/224 levels
    one, _ = decoder.as_array(FramesSource(frames, image), index=1)
    np.testing.assert_array_equal(one, arr[1])
    raw, meta = decoder.as_array(FramesSource(frames, image), as_rgb=False)
    assert meta["photometric_interpretation"] == "YBR_PARTIAL_422"
    np.testing.assert_array_equal(raw, stored)
