"""Codec size bombs, truncated codestreams and the native RLE decoder's cost (issue 15).

Every input is built byte by byte by the structure-aware generators of
tests/fuzz/fuzz_decode.py (the same ones the fuzzer and its regression corpus use).
A codestream whose declared size is implausible for its length is refused before the
output is allocated; the lower bounds must still accept every real file.
"""

from __future__ import annotations

import importlib.util
import struct
import subprocess
import sys
import textwrap
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import dicom_pixels as dp
from dicom_pixels import codestream, decoder
from dicom_pixels.codec import DecodeFrame
from dicom_pixels.description import ImageDescription
from dicom_pixels.errors import DecodeError, DicomPixelsError, NoPluginError, OutputTooLargeError
from dicom_pixels.source import FramesSource, open_source

FUZZ_DIR = Path(__file__).parent / "fuzz"
_spec = importlib.util.spec_from_file_location("fuzz_decode", FUZZ_DIR / "fuzz_decode.py")
assert _spec is not None and _spec.loader is not None
fuzz = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("fuzz_decode", fuzz)
_spec.loader.exec_module(fuzz)

JPEG_PLUGINS = dp.get_decoder(fuzz.JPEG_BASELINE).available_plugins


def _bomb() -> bytes:
    """The attack of issue 15: a 284-byte progressive JPEG whose SOF and DICOM header say 65535 x 65535."""
    frame = fuzz.flat_jpeg(65535, 65535, progressive=True, scan_fraction=0.0, total_length=284)
    assert len(frame) == 284 and frame[-2:] == b"\xff\xd9"
    return fuzz.synthesise_file(fuzz.JPEG_BASELINE, [frame], rows=65535, columns=65535)


# -- the 284-byte progressive JPEG --------------------------------------------------------------


@pytest.mark.parametrize("index", [None, 0])
def test_the_284_byte_progressive_jpeg_is_refused_by_the_frame_pixel_ceiling(index):
    tracemalloc.start()
    try:
        with pytest.raises(OutputTooLargeError, match="max_frame_pixels=") as info:
            dp.pixel_array(_bomb(), index=index)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "65535 x 65535" in str(info.value) and "MAX_FRAME_PIXELS" in str(info.value)
    assert isinstance(info.value, MemoryError)  # what callers catching MemoryError expect
    assert peak < 16 * 1024**2


@pytest.mark.parametrize("plugin", ["", *JPEG_PLUGINS])
@pytest.mark.parametrize("index", [None, 0])
def test_with_the_ceiling_raised_the_284_bytes_are_refused_for_their_length_before_allocating(plugin, index):
    tracemalloc.start()
    try:
        with pytest.raises(DecodeError, match=r"its 284 bytes are fewer than the 83888\d\d") as info:
            dp.pixel_array(_bomb(), index=index, decoding_plugin=plugin, max_frame_pixels=2**33,
                           max_output_bytes=2**40)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "refused before any plugin saw it" in str(info.value)
    assert peak < 16 * 1024**2  # not the 4 GiB the header asks for


def test_every_jpeg_backend_returns_filler_for_a_stream_without_scan_data():
    # Why the core must check: given straight to them, the backends decode a stream with an
    # EOI but no scan data into mid-grey without an error.
    src = open_source(fuzz.gen_jpeg_size(256, 256, True, 0.0, True))
    data, _ = src.read_frame(0)
    assert codestream.implausible_size(src.image.transfer_syntax, data, src.image) is not None
    from dicom_pixels.registry import manager

    codecs, _ = manager.select(src.image.transfer_syntax, "decode", src.image, "")
    filled = []
    for codec in codecs:
        out = np.zeros(src.image.frame_shape, src.image.dtype)
        frame = DecodeFrame(image=src.image, index=0, options={}, out=out)
        try:
            result = codec.load()(data, frame)
        except Exception:
            continue
        decoded = out if result is None else np.frombuffer(bytes(np.ascontiguousarray(result)), np.uint8)
        if np.all(decoded == 128):
            filled.append(codec.plugin)
    assert filled  # at least one backend fills silently (all four did when this was written)


# -- the lower bounds are honest: exactly enough bits decode ----------------------------------------


@pytest.mark.parametrize("plugin", JPEG_PLUGINS)
@pytest.mark.parametrize("progressive", [True, False], ids=["progressive", "baseline"])
def test_a_flat_jpeg_spending_exactly_the_minimum_decodes_and_one_byte_less_is_refused(plugin, progressive):
    good = fuzz.gen_jpeg_size(256, 192, progressive, 1.0, True)
    try:
        arr = dp.pixel_array(good, decoding_plugin=plugin)
    except DecodeError as exc:
        if "progressive" in str(exc).lower() or "unsupported" in str(exc).lower():
            pytest.skip(f"{plugin} does not decode this process: {exc}")
        raise
    assert arr.shape == (192, 256) and np.all(arr == 128)
    short = fuzz.gen_jpeg_size(256, 192, progressive, 0.99, True)
    with pytest.raises(DecodeError, match="fewer than"):
        dp.pixel_array(short, decoding_plugin=plugin)


def _frames_of(path: str | Path) -> list[tuple[ImageDescription, bytes]]:
    src = open_source(path)
    try:
        if not src.image.transfer_syntax.encapsulated:
            return []
        return [(src.image, src.read_frame(i)[0]) for i in range(min(src.frame_count, 3))]
    finally:
        src.close()


def _real_files() -> list[Path]:
    import pydicom

    root = Path(pydicom.__file__).parent / "data" / "test_files"
    return sorted(root.rglob("*.dcm")) + [Path(dp.examples.get_path(name)) for name in dp.examples.names()]


def test_no_frame_of_any_pydicom_test_file_or_example_is_below_its_bound_or_lacks_its_end():
    checked = 0
    for path in _real_files():
        try:
            frames = _frames_of(path)
        except DicomPixelsError:
            continue  # files the reader refuses are covered elsewhere
        for image, data in frames:
            ts = image.transfer_syntax
            if codestream.header_mismatch(ts, data, image) is not None:
                continue  # a deliberately inconsistent test file
            assert codestream.implausible_size(ts, data, image) is None, path.name
            bound = codestream.minimum_length(ts, data, image)
            checked += bound is not None
    assert checked > 30


# -- truncated codestreams, each plugin --------------------------------------------------------------

_TRUNCATION_FILES = {
    "JPEGBaseline8Bit": "SC_rgb_jpeg_dcmtk.dcm",
    "JPEGExtended12Bit": "JPGExtended.dcm",
    "JPEGLSLossless": "MR_small_jpeg_ls_lossless.dcm",
    "JPEG2000Lossless": "MR_small_jp2klossless.dcm",
}


def _truncation_cases():
    for keyword, name in _TRUNCATION_FILES.items():
        for plugin in dp.get_decoder(keyword).available_plugins:
            yield pytest.param(name, plugin, id=f"{keyword}-{plugin}")


@pytest.mark.parametrize(("name", "plugin"), list(_truncation_cases()))
@pytest.mark.parametrize("keep", [0.5, 0.98])
def test_a_truncated_codestream_is_a_decode_error_with_every_plugin(name, plugin, keep):
    import pydicom

    path = Path(pydicom.__file__).parent / "data" / "test_files" / name
    (image, data), *_ = _frames_of(path)
    try:  # the whole frame decodes
        whole = dp.pixel_array(FramesSource([data], image), decoding_plugin=plugin)
    except NoPluginError as exc:
        pytest.skip(str(exc))
    assert whole.shape[:2] == (image.rows, image.columns)
    cut = data[: int(len(data) * keep)]
    with pytest.raises(DecodeError, match="does not end with an EO"):
        dp.pixel_array(FramesSource([cut], image), decoding_plugin=plugin)


# -- RLE: segments that cannot hold their rows, and the decoder's cost ---------------------------------


@pytest.mark.parametrize("missing_runs", [0, 1, 1000])
def test_an_rle_segment_shorter_than_two_bytes_per_128_pixels_is_refused_before_allocating(missing_runs):
    # 2048 x 2048 bytes in replicate runs of 128 (PS3.5 G.3.1): 65536 bytes at the least.
    runs = 2048 * 2048 // 128 - missing_runs
    frame = struct.pack("<2L", 1, 64).ljust(64, b"\x00") + bytes([0x81, 7]) * runs
    data = fuzz.synthesise_file(fuzz.RLE_LOSSLESS, [frame], rows=2048, columns=2048)
    if not missing_runs:
        assert np.all(dp.pixel_array(data) == 7)
        return
    with pytest.raises(DecodeError, match=r"bytes are fewer than the 65600 .* 2 bytes per 128 pixels"):
        dp.pixel_array(data, index=0)


def test_the_native_rle_decoder_stays_within_twice_the_output_on_one_byte_literal_runs():
    from dicom_pixels_native.rle import decode_rle

    rows = columns = 2048  # 4 MiB out of an 8 MiB segment of 4 Mi runs
    frame = fuzz.rle_literal_frame(rows, columns, run=1)
    image = ImageDescription(rows, columns, 1, 8, 8, 0, "MONOCHROME2", fuzz.RLE_LOSSLESS)
    tracemalloc.start()
    try:
        arr = decode_rle(frame, DecodeFrame(image=image, index=0, options={}))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert arr is not None
    assert np.array_equal(arr.ravel(), (np.arange(rows * columns) % 251).astype(np.uint8))
    assert peak <= 2 * arr.nbytes, f"{peak / arr.nbytes:.2f} x the output"


@pytest.mark.parametrize("run", [1, 2, 3, 64, 127, 128])
def test_rle_literal_runs_of_every_length_match_pydicom(run):
    from pydicom.pixels.decoders.rle import _rle_decode_segment

    frame = fuzz.rle_literal_frame(61, 67, run=run)
    arr = dp.pixel_array(fuzz.synthesise_file(fuzz.RLE_LOSSLESS, [frame], rows=61, columns=67))
    assert arr.tobytes() == bytes(_rle_decode_segment(frame[64:]))


# -- the frame pixel ceiling ---------------------------------------------------------------------------


def test_the_frame_pixel_ceiling_is_a_module_attribute_and_an_option(monkeypatch):
    data = fuzz.gen_jpeg_size(64, 64, False, 1.0, True)  # 4096 pixels
    monkeypatch.setattr(decoder, "MAX_FRAME_PIXELS", 4095)
    with pytest.raises(OutputTooLargeError, match="4096 pixels"):
        dp.pixel_array(data)
    assert dp.pixel_array(data, max_frame_pixels=4096).shape == (64, 64)
    monkeypatch.setattr(decoder, "MAX_FRAME_PIXELS", 4096)
    assert dp.pixel_array(data).shape == (64, 64)


def test_native_frames_are_not_limited_by_the_frame_pixel_ceiling(monkeypatch):
    monkeypatch.setattr(decoder, "MAX_FRAME_PIXELS", 1)
    assert dp.pixel_array(dp.examples.get_path("ct")).shape == (128, 128)


def test_the_default_ceiling_admits_whole_slide_frames_and_mammograms():
    assert decoder.MAX_FRAME_PIXELS >= 4096 * 4096 and decoder.MAX_FRAME_PIXELS >= 5000 * 4000


# -- never an untyped MemoryError or RecursionError --------------------------------------------------


def test_running_out_of_memory_allocating_the_output_is_a_typed_error_naming_the_file():
    # A real allocation failure: a child process whose address space cannot hold the
    # 256 MiB output of a plausible 16384 x 16384 flat JPEG.
    script = textwrap.dedent(
        f"""
        import importlib.util, resource, sys
        spec = importlib.util.spec_from_file_location("fuzz_decode", {str(FUZZ_DIR / "fuzz_decode.py")!r})
        fuzz = importlib.util.module_from_spec(spec)
        sys.modules["fuzz_decode"] = fuzz
        spec.loader.exec_module(fuzz)
        import dicom_pixels as dp
        from dicom_pixels.errors import OutputTooLargeError
        data = fuzz.gen_jpeg_size(16384, 16384, False, 1.0, True)
        dp.plugins()
        with open("/proc/self/statm") as statm:
            vsize = int(statm.read().split()[0]) * resource.getpagesize()
        resource.setrlimit(resource.RLIMIT_AS, (vsize + 128 * 1024**2, resource.RLIM_INFINITY))
        try:
            dp.pixel_array(data, max_output_bytes=2**40)
        except OutputTooLargeError as exc:
            print("typed:", isinstance(exc, MemoryError), exc)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.stdout.startswith("typed: True"), done.stdout + done.stderr
    assert "268435456 bytes" in done.stdout and "bytes" in done.stdout


class _RecursingFrames(FramesSource):
    """A source whose frame access recurses without end (a hostile, deeply nested structure)."""

    def read_frame(self, index: int) -> tuple[bytes, int]:
        return self.read_frame(index)


@pytest.mark.parametrize("index", [None, 0])
def test_a_recursion_error_while_decoding_is_a_decode_error_naming_the_source(index):
    image = ImageDescription(8, 8, 1, 8, 8, 0, "MONOCHROME2", fuzz.RLE_LOSSLESS)
    with pytest.raises(DecodeError, match="recursion limit") as info:
        dp.pixel_array(_RecursingFrames([b""], image, name="deep.dcm"), index=index)
    assert "deep.dcm" in str(info.value) and isinstance(info.value.__cause__, RecursionError)



def _resized(name: str, rows: int, columns: int) -> FramesSource:
    """The first frame of a pydicom test file, its SOF or SIZ and description set to rows x columns."""
    import pydicom

    (image, data), *_ = _frames_of(Path(pydicom.__file__).parent / "data" / "test_files" / name)
    buf = bytearray(data)
    if buf[:4] == b"\xff\x4f\xff\x51":  # SIZ: Xsiz, Ysiz, XOsiz, YOsiz (15444-1 A.5.1)
        buf[8:24] = struct.pack(">4L", columns, rows, 0, 0)
    else:
        sof = next(i for i in range(2, len(buf) - 1) if buf[i] == 0xFF and buf[i + 1] in (0xC0, 0xC1, 0xC3, 0xF7))
        buf[sof + 5 : sof + 9] = struct.pack(">HH", rows, columns)
    return FramesSource([bytes(buf)], image.replace(rows=rows, columns=columns))


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("MR_small_jpeg_ls_lossless.dcm", "1 bit per line in JPEG-LS run mode"),
        ("MR_small_jp2klossless.dcm", "14 bytes per tile-part"),
        ("SC_rgb_jpeg_dcmtk.dcm", "2 bits per 8 x 8 block per component"),
    ],
)
def test_a_real_codestream_declaring_65535_squared_is_refused_by_its_family_rule(name, rule):
    with pytest.raises(DecodeError, match=rule):
        dp.pixel_array(_resized(name, 65535, 65535), index=0, max_frame_pixels=2**33, max_output_bytes=2**40)


def test_the_volume_precheck_reads_each_frames_length_from_the_source(monkeypatch):
    """Every source with EncodedLengths is prechecked frame by frame (issue 12 seam): one RLE
    frame far shorter than its declared expansion allows is refused before any decoding."""
    monkeypatch.setattr(decoder, "_PRECHECK_ABOVE", 0)  # as if the volume were large
    expected = dp.pixel_array(dp.examples.rle_rgb)
    with open_source(dp.examples.rle_rgb) as src:
        frame = src.read_frame(0)[0]
        image = src.image
    np.testing.assert_array_equal(dp.pixel_array(FramesSource([frame, frame], image))[1], expected)
    # A second frame of 64 bytes (its header alone) cannot hold a 64 x 96 x 3 frame at 64:1.
    tiny = frame[:64]
    with pytest.raises(DicomPixelsError, match="frame 1"):
        dp.pixel_array(FramesSource([frame, tiny], image))
