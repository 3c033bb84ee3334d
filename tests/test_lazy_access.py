"""Reading one frame of a large file reads that frame's bytes, not the file."""

from __future__ import annotations

import io
import os

import numpy as np
import pytest

import dicom_pixels as dp
from dicom_pixels.writer import DataElement, write_file


class CountingFile(io.BytesIO):
    """A file-like that counts the bytes handed out by read()/readinto()."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk

    def readinto(self, buffer):
        n = super().readinto(buffer)
        self.bytes_read += n
        return n


def _image_pixel_12_bit(frames: int, rows: int, cols: int, *, signed: bool) -> list[DataElement]:
    """The Image Pixel elements of monochrome frames, 12 bits stored in 16."""
    return [
        DataElement(0x00280002, "US", 1), DataElement(0x00280004, "CS", "MONOCHROME2"),
        DataElement(0x00280008, "IS", frames), DataElement(0x00280010, "US", rows),
        DataElement(0x00280011, "US", cols), DataElement(0x00280100, "US", 16),
        DataElement(0x00280101, "US", 12), DataElement(0x00280102, "US", 11),
        DataElement(0x00280103, "US", int(signed)),
    ]


def _multiframe(frames: int, rows: int = 64, cols: int = 64, encapsulated: bool = False) -> tuple[bytes, np.ndarray]:
    rng = np.random.default_rng(5)
    arr = rng.integers(0, 4096, size=(frames, rows, cols), dtype="<u2")
    elements = _image_pixel_12_bit(frames, rows, cols, signed=False)
    buf = io.BytesIO()
    if encapsulated:
        from dicom_pixels.codec import EncodeFrame
        from dicom_pixels.description import ImageDescription
        from dicom_pixels_native.rle import encode_rle

        image = ImageDescription(rows, cols, 1, 16, 12, 0, "MONOCHROME2", "1.2.840.10008.1.2.5")
        encoded = [encode_rle(f, EncodeFrame(image=image, index=i, options={})) for i, f in enumerate(arr)]
        write_file(buf, elements, transfer_syntax_uid="1.2.840.10008.1.2.5",
                   sop_class_uid="1.2.840.10008.5.1.4.1.1.7", sop_instance_uid="1.2.3", frames=encoded)
    else:
        write_file(buf, elements, transfer_syntax_uid="1.2.840.10008.1.2.1",
                   sop_class_uid="1.2.840.10008.5.1.4.1.1.7", sop_instance_uid="1.2.3",
                   pixel_data=arr.tobytes())
    return buf.getvalue(), arr


def test_one_frame_of_a_native_multiframe_file_reads_about_one_frame_of_bytes():
    data, arr = _multiframe(200)
    f = CountingFile(data)
    frame = dp.pixel_array(f, index=150)
    assert np.array_equal(frame, arr[150])
    frame_bytes = 64 * 64 * 2
    assert f.bytes_read < 2 * frame_bytes, f"read {f.bytes_read} bytes of {len(data)}"


def test_one_frame_of_an_encapsulated_multiframe_file_reads_item_headers_and_that_frame():
    data, arr = _multiframe(200, encapsulated=True)
    f = CountingFile(data)
    frame = dp.pixel_array(f, index=199)
    assert np.array_equal(frame, arr[199])
    average_frame = len(data) / 200
    # the header, 201 item headers (8 bytes each) and one frame
    assert f.bytes_read < 2 * average_frame + 201 * 8 + 1024, f"read {f.bytes_read} of {len(data)}"


def test_iter_pixels_yields_every_frame_in_order():
    data, arr = _multiframe(12)
    frames = list(dp.iter_pixels(io.BytesIO(data)))
    assert len(frames) == 12
    assert all(np.array_equal(a, b) for a, b in zip(frames, arr))
    picked = list(dp.iter_pixels(io.BytesIO(data), indices=[11, 3]))
    assert np.array_equal(picked[0], arr[11]) and np.array_equal(picked[1], arr[3])


def test_a_source_dropped_without_closing_releases_its_file_descriptor(tmp_path):
    import gc
    import os

    from dicom_pixels.source import open_source

    fd_dir = "/proc/self/fd"
    if not os.path.isdir(fd_dir):
        pytest.skip("needs /proc/self/fd to count open descriptors")
    path = dp.examples.get_path("ct")
    before = len(os.listdir(fd_dir))
    for _ in range(20):
        assert open_source(path).image.rows > 0  # no ``with``: never closed explicitly
    gc.collect()
    assert len(os.listdir(fd_dir)) <= before



def _quiet_decode(path):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dp.pixel_array(path)


def test_native_frames_read_straight_into_the_output_equal_the_plugin_decode(monkeypatch):
    """The direct read (no intermediate bytes) is taken only where it gives the plugin's result."""
    pytest.importorskip("pydicom", reason="pydicom's bundled files are the inputs")
    from dicom_pixels import decoder
    from dicom_pixels.testing import pydicom_test_files

    paths = [c.path for c in pydicom_test_files() if not dp.uid.lookup(c.transfer_syntax_uid).encapsulated]
    assert len(paths) > 20
    # The examples add native Planar Configuration 1 (rgb_color) and multi-frame 32-bit data.
    paths += [dp.examples.rgb_color, dp.examples.rt_dose, dp.examples.mr]
    direct_taken = 0
    for path in paths:
        try:
            expected = _quiet_decode(path)
        except dp.errors.DicomPixelsError:
            continue
        with monkeypatch.context() as patch:
            patch.setattr(decoder._Run, "_can_read_directly", lambda self: False)
            via_plugin = _quiet_decode(path)
        np.testing.assert_array_equal(expected, via_plugin, err_msg=str(path))
        assert expected.dtype == via_plugin.dtype, path
        with dp.source.open_source(path) as src:
            run = decoder._Run(dp.get_decoder(src.image.transfer_syntax_uid), src, "", {})
            direct_taken += run._direct
    assert direct_taken >= 10  # the common little-endian files do take the direct path


def test_view_only_returns_a_view_of_the_datasets_buffer_when_nothing_needs_changing():
    pydicom = pytest.importorskip("pydicom", reason="view_only applies to datasets")
    ds = pydicom.dcmread(dp.examples.ct)  # 16-bit signed, 16 bits stored: nothing to change
    view = dp.pixel_array(ds, view_only=True)
    assert not view.flags.owndata and not view.flags.writeable
    assert np.shares_memory(view, np.frombuffer(ds.PixelData, "u1"))
    np.testing.assert_array_equal(view, dp.pixel_array(ds))
    frame = dp.pixel_array(ds, view_only=True, index=0)
    np.testing.assert_array_equal(frame, view)
    with pytest.raises(dp.errors.FrameIndexError, match="no frame 1"):  # issue 13: an IndexError
        dp.pixel_array(ds, view_only=True, index=1)


def test_view_only_copies_when_the_data_must_change_or_is_not_in_memory():
    pydicom = pytest.importorskip("pydicom", reason="view_only applies to datasets")
    mr = pydicom.dcmread(dp.examples.mr)  # 12 bits stored in 16: unused bits are masked
    arr = dp.pixel_array(mr, view_only=True)
    assert not np.shares_memory(arr, np.frombuffer(mr.PixelData, "u1"))
    np.testing.assert_array_equal(arr, dp.pixel_array(mr))
    from_file = dp.pixel_array(dp.examples.ct, view_only=True)  # a path: read into a new array
    assert from_file.flags.writeable
    rgb = pydicom.dcmread(dp.examples.rgb_color)  # planar configuration 1: rearranged
    assert not np.shares_memory(dp.pixel_array(rgb, view_only=True), np.frombuffer(rgb.PixelData, "u1"))


def _signed_12_bit_file(path, frames: int, rows: int, cols: int, cut: int = 0) -> np.ndarray:
    """Native 12-bit signed frames whose unused high bits hold noise; returns the stored words."""
    rng = np.random.default_rng(11)
    stored = rng.integers(-32768, 32768, size=(frames, rows, cols), dtype="<i2")
    elements = _image_pixel_12_bit(frames, rows, cols, signed=True)
    write_file(path, elements, transfer_syntax_uid="1.2.840.10008.1.2.1",
               sop_class_uid="1.2.840.10008.5.1.4.1.1.7", sop_instance_uid="1.2.3",
               pixel_data=stored.tobytes())
    if cut:
        with open(path, "r+b") as f:
            f.truncate(path.stat().st_size - cut)
    return stored


@pytest.mark.parametrize("workers", [None, 1, 2, 3])
def test_large_native_data_is_read_in_blocks_on_threads_equal_to_frame_by_frame(tmp_path, monkeypatch, workers):
    from dicom_pixels import decoder, source

    path = tmp_path / "big.dcm"
    stored = _signed_12_bit_file(path, 70, 256, 512)  # 17.5 MiB: above the parallel threshold
    assert stored.nbytes >= decoder._PARALLEL_READ_ABOVE
    # PS3.5 8.1.1: the 12 stored bits, sign-extended; the noise in the high 4 bits is dropped.
    expected = (stored << 4) >> 4
    blocks: list[tuple[int, int, str]] = []
    original = source.ElementSource.readinto_native_frames

    def spy(self, first, count, buffer):
        import threading

        blocks.append((first, count, threading.current_thread().name))
        return original(self, first, count, buffer)

    monkeypatch.setattr(source.ElementSource, "readinto_native_frames", spy)
    options = {} if workers is None else {"workers": workers}
    arr = dp.pixel_array(path, **options)
    np.testing.assert_array_equal(arr, expected)
    assert arr.dtype == np.int16 and arr.shape == (70, 256, 512)
    # By default one block per core, each of at least 8 MiB: 17.5 MiB makes at most 2.
    wanted = {None: min(os.cpu_count() or 1, 2), 1: 1, 2: 2, 3: 3}[workers]
    assert len(blocks) == wanted
    assert sorted((first, count) for first, count, _ in blocks)[0][0] == 0
    assert sum(count for _, count, _ in blocks) == 70  # every frame read once, in whole blocks
    if wanted > 1:
        assert all(name.startswith("dicom-pixels") for _, _, name in blocks)
    # The same frames through the per-frame path.
    with monkeypatch.context() as patch:
        patch.setattr(decoder._Run, "_read_native_blocks", lambda self, *args: False)
        np.testing.assert_array_equal(dp.pixel_array(path, **options), expected)


def test_small_native_data_is_one_block_and_colour_conversion_goes_frame_by_frame(monkeypatch):
    from dicom_pixels import source

    calls: list[int] = []
    original = source.ElementSource.readinto_native_frames
    monkeypatch.setattr(source.ElementSource, "readinto_native_frames",
                        lambda self, first, count, buffer: calls.append(count) or original(self, first, count, buffer))
    dose = dp.pixel_array(dp.examples.rt_dose)  # 8 small frames: one read, no threads
    assert calls == [8] and dose.shape[0] == 8
    calls.clear()
    pydicom = pytest.importorskip("pydicom", reason="a YBR_FULL native file is made from an example")
    ds = pydicom.dcmread(dp.examples.rgb_color)  # native RGB, planar configuration 1
    frame = dp.pixel_array(ds)
    ds.PixelData = np.stack([frame] * 3).tobytes()
    ds.NumberOfFrames, ds.PlanarConfiguration = 3, 0
    ds.PhotometricInterpretation = "YBR_FULL"  # now to be converted to RGB frame by frame
    calls.clear()
    buf = io.BytesIO()
    ds.save_as(buf)
    converted = dp.pixel_array(buf.getvalue())
    assert calls == [1, 1, 1]
    expected = dp.processing.convert_color_space(frame, "YBR_FULL", "RGB")
    np.testing.assert_array_equal(converted, np.stack([expected] * 3))


def test_a_truncated_large_native_file_raises_as_the_frame_by_frame_path_does(tmp_path, monkeypatch):
    from dicom_pixels import decoder

    path = tmp_path / "cut.dcm"
    _signed_12_bit_file(path, 70, 256, 512, cut=1000)
    with pytest.raises(dp.errors.DicomPixelsError) as blocked:
        dp.pixel_array(path)
    with monkeypatch.context() as patch:
        patch.setattr(decoder._Run, "_read_native_blocks", lambda self, *args: False)
        with pytest.raises(dp.errors.DicomPixelsError) as frame_by_frame:
            dp.pixel_array(path)
    assert type(blocked.value) is type(frame_by_frame.value)
    assert str(blocked.value) == str(frame_by_frame.value)
    assert "cut.dcm" in str(blocked.value)
