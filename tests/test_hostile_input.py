"""Hostile and broken inputs, one class at a time: each gets a typed error, never a crash.

Inputs are built by code from pydicom's bundled files and the synthetic seeds of
the fuzz harness (tests/fuzz/fuzz_decode.py). Codec crashes are checked in a
subprocess so that an abort fails the test instead of killing pytest.
"""

from __future__ import annotations

import importlib.util
import struct
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import dicom_pixels as dp
import dicom_pixels.decoder as decoder
from dicom_pixels import codestream, hookimpl
from dicom_pixels.errors import (
    DecodeError,
    DicomPixelsError,
    InvalidDicomError,
    InvalidPixelDescriptionError,
)
from dicom_pixels.source import FramesSource
from dicom_pixels.uid import lookup

from .conftest import decoder_available, transfer_syntax_of

_spec = importlib.util.spec_from_file_location("fuzz_decode", Path(__file__).parent / "fuzz" / "fuzz_decode.py")
assert _spec is not None and _spec.loader is not None
fuzz = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("fuzz_decode", fuzz)
_spec.loader.exec_module(fuzz)


def seed(name: str) -> bytes:
    return fuzz.load_seed(name)


def set_us(data: bytes, name: str, value: int, seed_name: str) -> bytes:
    """Rewrite one US Image Pixel value of a seed."""
    field = fuzz.analyse(seed(seed_name)).image_pixel[name]
    return fuzz.apply_ops(data, [fuzz._set(field.value_at, fuzz._pack(value, 2, field.little))])


def decode(data: bytes, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dp.pixel_array(data, **kwargs)


# -- lengths and structure ---------------------------------------------------------------------


def test_every_truncation_of_a_small_file_gives_a_typed_error_or_an_array():
    data = seed("pydicom:SC_rgb_rle_2frame.dcm")
    for end in range(0, len(data), 37):
        try:
            decode(data[:end])
        except DicomPixelsError:
            pass


def test_undefined_length_pixel_data_under_a_native_transfer_syntax_is_invalid_dicom():
    recipe: dict = {"seed": "synthetic:rle_basic_offsets"}
    st = fuzz.analyse(seed("synthetic:rle_basic_offsets"))
    uid = b"1.2.840.10008.1.2.1\x00"
    recipe["mutations"] = [{"mutator": "transfer_syntax", "ops": [
        {"op": "splice", "at": st.ts_field.value_at, "delete": st.ts_field.value_length, "hex": uid.hex()},
        fuzz._set(st.ts_field.length_at, struct.pack("<H", len(uid))),
    ]}]
    with pytest.raises(InvalidDicomError, match="undefined length.*transfer_syntax_uid="):
        decode(fuzz.recipe_bytes(recipe))


def test_item_length_past_the_end_of_the_file_is_truncated_data():
    data = seed("synthetic:rle_basic_offsets")
    at, _ = fuzz.analyse(data).items[2]
    broken = fuzz.apply_ops(data, [fuzz._set(at + 4, struct.pack("<I", 0xFFFFFFF0))])
    with pytest.raises(InvalidDicomError):
        decode(broken)


def test_basic_offset_table_pointing_outside_the_fragments_is_invalid_dicom():
    data = seed("synthetic:rle_basic_offsets")
    at, _ = fuzz.analyse(data).items[0]
    broken = fuzz.apply_ops(data, [fuzz._set(at + 12, struct.pack("<I", 0x7FFFFFFF))])
    with pytest.raises(InvalidDicomError, match="Basic Offset Table entry 1"):
        decode(broken)


def test_extended_offset_table_with_a_huge_offset_is_a_typed_error():
    data = seed("synthetic:rle_extended_offsets")
    offsets = fuzz.analyse(data).extended[0]
    broken = fuzz.apply_ops(data, [fuzz._set(offsets.value_at + 8, (2**63).to_bytes(8, "little"))])
    with pytest.raises(DicomPixelsError):
        decode(broken)


@pytest.mark.parametrize("frames", [b"0 ", b"-1", b"99999999", b"1e3 "])
def test_odd_number_of_frames_values_give_an_array_or_a_typed_error(frames: bytes):
    data = seed("synthetic:rle_basic_offsets")
    field = fuzz.analyse(data).image_pixel["number_of_frames"]
    broken = fuzz.apply_ops(data, [
        {"op": "splice", "at": field.value_at, "delete": field.value_length, "hex": frames.hex()},
        fuzz._set(field.length_at, struct.pack("<H", len(frames))),
    ])
    try:
        decode(broken)
    except DicomPixelsError:
        pass


# -- allocations -------------------------------------------------------------------------------


def test_huge_declared_image_over_three_tiny_fragments_is_refused_before_allocating():
    image = dp.ImageDescription(65535, 65535, 1, 16, 16, 0, "MONOCHROME2", "1.2.840.10008.1.2.5")
    frames = FramesSource([bytes(80)] * 3, image.replace(number_of_frames=3))
    # The frame pixel ceiling (MAX_FRAME_PIXELS) would refuse it first; raised, the
    # encoded lengths are what refuses it.
    with pytest.raises(DicomPixelsError, match=r"(?s)frame 0.*not called"):
        dp.get_decoder("RLELossless").as_array(frames, max_frame_pixels=2**32)


def test_output_larger_than_the_ceiling_is_refused_with_how_to_raise_it(monkeypatch):
    monkeypatch.setattr(decoder, "MAX_OUTPUT_BYTES", 1000)
    with pytest.raises(InvalidPixelDescriptionError, match="max_output_bytes="):
        dp.pixel_array(dp.examples.get_path("ct"))


def test_max_output_bytes_option_raises_the_ceiling_for_one_call(monkeypatch):
    monkeypatch.setattr(decoder, "MAX_OUTPUT_BYTES", 1000)
    arr = dp.pixel_array(dp.examples.get_path("ct"), max_output_bytes=10**6)
    assert arr.shape == (128, 128)


def test_one_frame_of_a_huge_declared_image_is_refused_too(monkeypatch):
    monkeypatch.setattr(decoder, "MAX_OUTPUT_BYTES", 1000)
    with pytest.raises(InvalidPixelDescriptionError, match="ceiling"):
        dp.pixel_array(dp.examples.get_path("ct"), index=0)


def test_default_ceiling_is_at_most_16_gib():
    assert 0 < decoder.MAX_OUTPUT_BYTES <= 16 * 1024**3


def test_rle_header_with_huge_segment_offsets_never_allocates_more_than_a_frame():
    data = seed("synthetic:rle_basic_offsets")
    header = fuzz.analyse(data).codestream["rle_header"]
    broken = fuzz.apply_ops(data, [fuzz._set(header + 4, struct.pack("<I", 0xFFFFFFF0))])
    with pytest.raises(DecodeError, match="frame 0"):
        decode(broken)


def test_deflated_frame_that_inflates_past_one_frame_is_stopped():
    image = dp.ImageDescription(4, 4, 1, 8, 8, 0, "MONOCHROME2", "1.2.840.10008.1.2.8.1")
    import zlib

    bomb = zlib.compressobj(9, zlib.DEFLATED, -15)
    frame = bomb.compress(bytes(10**7)) + bomb.flush()
    with pytest.raises(DecodeError, match="frame 0"):
        dp.get_decoder(image.transfer_syntax_uid).as_array(FramesSource([frame], image))


# -- codestream headers versus the Image Pixel module ------------------------------------------------


def test_j2k_siz_gives_the_image_size_and_component_count():
    data = seed("pydicom:MR_small_jp2klossless.dcm")
    with dp.source.open_source(data) as src:
        frame, _ = src.read_frame(0)
    assert codestream.j2k_siz(frame)["width"] == 64
    assert codestream.j2k_siz(frame)["components"] == 1


@pytest.fixture
def stand_in_decoder(fresh_registry):
    """Give a transfer syntax no installed plugin decodes a decoder that must never be called.

    The checks below run in the core before any plugin sees the frame, but only once a
    plugin has been selected; with the native plugin alone (the minimum install) nothing
    would be selected for JPEG, JPEG-LS or JPEG 2000. Where a real decoder is installed it
    is used as before. The stand-in's target does not exist: a call would be a different error.
    """
    registered = []

    def give(pydicom_name: str) -> None:
        from pydicom.data import get_testdata_file

        uid = transfer_syntax_of(get_testdata_file(pydicom_name)).uid
        if decoder_available(uid):
            return

        class StandIn:
            @hookimpl
            def dicom_pixels_register_codecs(self, registry):
                registry.add_decoder(uid, "dicom_pixels_no_such_module:never_called", priority=99)

        registered.append(dp.register(StandIn(), name="stand_in"))

    yield give
    for name in registered:
        fresh_registry.unregister(name)


@pytest.mark.parametrize(
    "name",
    ["MR_small_jpeg_ls_lossless.dcm", "MR_small_jp2klossless.dcm", "SC_rgb_jpeg_dcmtk.dcm"],
)
def test_columns_that_contradict_the_codestream_header_are_a_decode_error_before_any_plugin(
    name: str, stand_in_decoder
):
    stand_in_decoder(name)
    data = set_us(seed(f"pydicom:{name}"), "columns", 128, f"pydicom:{name}")
    with pytest.raises(DecodeError, match=r"(?s)frame 0.*(SOF|SIZ) marker describes \d+ rows, \d+ columns.* are \d+, 128.*not called"):
        decode(data)


def test_rle_header_with_a_segment_offset_past_the_frame_is_refused_before_any_plugin():
    data = seed("synthetic:rle_basic_offsets")
    header = fuzz.analyse(data).codestream["rle_header"]
    broken = fuzz.apply_ops(data, [fuzz._set(header, struct.pack("<II", 1, 0xFFFFFFFF))])
    with pytest.raises(DecodeError, match=r"(?s)frame 0.*segment 0 the offset 4294967295.*not called"):
        decode(broken)


def test_jpeg_precision_out_of_range_is_refused_before_any_plugin(stand_in_decoder):
    stand_in_decoder("SC_rgb_small_odd_jpeg.dcm")
    name = "pydicom:SC_rgb_small_odd_jpeg.dcm"
    sof = fuzz.analyse(seed(name)).codestream["sof"]
    broken = fuzz.apply_ops(seed(name), [fuzz._set(sof + 4, b"\xff")])
    with pytest.raises(DecodeError, match=r"(?s)precision of 255 bits.*not called"):
        decode(broken)


def test_colour_photometric_interpretation_with_one_sample_is_refused_before_any_plugin(
    stand_in_decoder,
):
    stand_in_decoder("JPEG2000.dcm")
    name = "pydicom:JPEG2000.dcm"
    field = fuzz.analyse(seed(name)).image_pixel["photometric_interpretation"]
    broken = fuzz.apply_ops(seed(name), [
        {"op": "splice", "at": field.value_at, "delete": field.value_length, "hex": b"YBR_FULL".hex()},
        fuzz._set(field.length_at, struct.pack("<H", 8)),
    ])
    with pytest.raises(DecodeError, match=r"(?s)'YBR_FULL' contradicts.*not called"):
        decode(broken)


def test_a_rust_backend_panic_is_a_decode_error_naming_the_plugin(monkeypatch):
    class PanicException(BaseException):
        pass

    def panicking_codec(data, frame):
        raise PanicException("index out of bounds: the len is 8192 but the index is 8192")

    from dicom_pixels.registry import manager

    codec = manager.codecs(lookup("RLELossless"), "decode")[0]
    monkeypatch.setattr(type(codec), "load", lambda self: panicking_codec)
    with pytest.raises(DecodeError, match=r"(?s)frame 0.*a panic in the backend"):
        decode(seed("pydicom:MR_small_RLE.dcm"))


def test_jpeg_height_of_zero_is_refused_as_backends_hang_on_it():
    image = dp.ImageDescription(2, 4, 1, 8, 8, 0, "MONOCHROME2", "1.2.840.10008.1.2.4.50")
    sof = b"\xff\xd8\xff\xc0\x00\x0b\x08\x00\x00\x00\x04\x01\x01\x11\x00"
    assert "0 rows" in codestream.header_mismatch(lookup("JPEGBaseline8Bit"), sof, image)


def test_unparseable_codestream_header_is_left_to_the_plugins():
    image = dp.ImageDescription(2, 4, 1, 8, 8, 0, "MONOCHROME2", "1.2.840.10008.1.2.4.90")
    assert codestream.header_mismatch(lookup("JPEG2000"), b"\xff\x4f\xff", image) is None


GDCM_ABORT = """
import sys, warnings
sys.path.insert(0, {fuzz_dir!r})
import fuzz_decode as fuzz
recipe = {{"seed": "pydicom:MR_small_jpeg_ls_lossless.dcm", "mutations": [{{"mutator": "image_pixel",
          "ops": [{{"op": "set", "at": 1412, "hex": "8000"}}]}}], "index": 0, "plugin": "gdcm"}}
print(fuzz.run_recipe(recipe)["outcome"])
"""


def test_gdcm_is_never_given_a_jpeg_ls_frame_wider_than_its_codestream():
    pytest.importorskip("gdcm", reason="the abort was in GDCM")
    code = GDCM_ABORT.format(fuzz_dir=str(Path(__file__).parent / "fuzz"))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "error"


# -- hangs -------------------------------------------------------------------------------------


def test_deeply_nested_sequences_are_refused_not_recursed():
    # Implicit VR: (0008,1140) sequences, each of undefined length, nested 200 deep.
    item = struct.pack("<HHI", 0xFFFE, 0xE000, 0xFFFFFFFF)
    sq = struct.pack("<HHI", 0x0008, 0x1140, 0xFFFFFFFF)
    body = (sq + item) * 200
    data = body + bytes(8)
    with pytest.raises(InvalidDicomError):
        decode(data, transfer_syntax_uid="1.2.840.10008.1.2")


def test_shapes_of_decoded_hostile_inputs_match_the_description_when_they_decode():
    data = set_us(seed("pydicom:MR_small.dcm"), "rows", 32, "pydicom:MR_small.dcm")
    arr = decode(data)
    assert arr.shape[-2:] == (32, 64) and arr.dtype == np.int16
