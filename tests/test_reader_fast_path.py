"""The fast paths for many small files give exactly what the general code gives.

* ``Parser.scan_explicit_le`` reads plain Explicit VR Little Endian headers without the
  per-element calls: it must read the same elements, stop at the same pixel element and
  raise the same errors as the general walk, on every pydicom file and on damaged headers.
* ``source._describe_file`` reuses the description of a file whose stored Image Pixel
  values are byte-identical to an earlier file's (a series): never for other values, never
  with overrides, never for values that failed validation.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dicom_pixels import reader, source
from dicom_pixels.errors import DicomPixelsError, InvalidPixelDescriptionError
from dicom_pixels.reader import read_dicom
from dicom_pixels.source import open_source

from .conftest import damaged, pydicom_pixel_files, secondary_capture

pydicom = pytest.importorskip("pydicom", reason="pydicom is the test oracle")

from pydicom.uid import ExplicitVRLittleEndian  # noqa: E402


def _general_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Turn the fast scan off: every element goes through ``Parser.header``."""
    monkeypatch.setattr(reader.Parser, "scan_explicit_le", lambda self, pos, *args, **kw: pos)


def _outcome(src: object) -> tuple:
    """Everything a read gives (or the error it raises), in a comparable form."""
    try:
        dicom = read_dicom(src)
    except DicomPixelsError as exc:
        return ("error", type(exc).__name__, str(exc))
    with dicom:
        return ("ok", dicom.file_meta, dicom.elements, dicom.pixel, dicom.transfer_syntax.uid)


def _both(monkeypatch: pytest.MonkeyPatch, src_factory) -> tuple[tuple, tuple]:
    fast = _outcome(src_factory())
    with monkeypatch.context() as m:
        _general_only(m)
        general = _outcome(src_factory())
    return fast, general


@pytest.mark.parametrize("path", pydicom_pixel_files(), ids=lambda p: p.name)
def test_the_fast_scan_reads_every_pydicom_file_as_the_general_walk_does(monkeypatch, path: Path):
    fast, general = _both(monkeypatch, lambda: path)
    assert fast == general
    data = path.read_bytes()
    # In memory the scan reads the whole stream at once (no window): the same result.
    fast_bytes, general_bytes = _both(monkeypatch, lambda: data)
    assert fast_bytes == general_bytes
    if fast[0] == "ok":  # (error messages name the path or "<bytes>")
        assert fast_bytes == fast


def test_the_scan_is_used_and_stops_at_the_pixel_element(monkeypatch):
    calls: list[int] = []
    original = reader.Parser.scan_explicit_le

    def spy(self, pos, *args, **kw):
        end = original(self, pos, *args, **kw)
        calls.append(end)
        return end

    monkeypatch.setattr(reader.Parser, "scan_explicit_le", spy)
    data = _series_file(rows=4)
    with read_dicom(data) as dicom:
        assert dicom.pixel is not None
        # The last scan of the dataset stopped exactly at the pixel element's header.
        assert calls[-1] == dicom.pixel.offset - 12  # OW: 12-byte header
        assert dicom.get("Rows") == 4


def _series_file(rows: int = 8, bits_stored: int = 12, extra: dict | None = None,
                 long_value: bytes | None = None) -> bytes:
    ds = secondary_capture(ExplicitVRLittleEndian)
    ds.PatientName = "Fast^Path"
    if long_value is not None:
        ds.add_new(0x00091010, "OB", long_value)  # a private value longer than the window
    ds.Rows, ds.Columns = rows, 4
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, bits_stored, bits_stored - 1
    ds.PixelRepresentation = 0
    for keyword, value in (extra or {}).items():
        setattr(ds, keyword, value)
    ds.PixelData = bytes(rows * 4 * 2)
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


@pytest.mark.parametrize("long_value", [b"\x01" * 100, b"\x02" * 70_000, b"\x03" * 700_000])
def test_values_beyond_the_read_ahead_window_are_read_as_the_general_walk_reads_them(
    monkeypatch, tmp_path, long_value
):
    # 70 kB is past KEEP_VALUE_LIMIT (skipped unkept); 700 kB is past the 64 kB window.
    path = tmp_path / "long.dcm"
    path.write_bytes(_series_file(long_value=long_value))
    fast, general = _both(monkeypatch, lambda: path)
    assert fast == general and fast[0] == "ok"
    fast_kept = read_dicom(path, specific_tags=[0x00091010])
    with fast_kept:
        assert fast_kept.elements[0x00091010].raw == long_value


_SEEDS = {
    "series": _series_file(),
    "window": _series_file(long_value=b"\x07" * 70_000),
}


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(
    name=st.sampled_from(sorted(_SEEDS)),
    flips=st.lists(st.tuples(st.integers(128, 700), st.integers(0, 255)), min_size=1, max_size=4),
    cut=st.one_of(st.none(), st.integers(0, 800)),
)
def test_damaged_headers_give_the_same_result_or_error_on_both_paths(monkeypatch, name, flips, cut):
    frozen = damaged(_SEEDS[name], flips, cut)
    fast, general = _both(monkeypatch, lambda: frozen)
    assert fast == general


def test_bytes_read_for_data_in_memory_counts_the_header_once_and_no_pixel_bytes(monkeypatch):
    data = _series_file()
    with read_dicom(data) as dicom:
        fast, pixel_offset = dicom.bytes_read, dicom.pixel.offset
    with monkeypatch.context() as m:
        _general_only(m)
        with read_dicom(data) as dicom:
            general = dicom.bytes_read
    # Every header byte after the preamble is counted; the general walk also counts the few
    # bytes it looks at twice (the group of each meta element); no pixel value byte is read.
    assert pixel_offset - 132 <= fast <= general < pixel_offset


# -- the description of a series is built once ------------------------------------------------


@pytest.fixture
def empty_cache(monkeypatch):
    monkeypatch.setattr(source, "_DESCRIPTIONS", {})
    return source._DESCRIPTIONS


def test_files_with_identical_image_pixel_values_share_one_description(empty_cache, tmp_path):
    paths = []
    for i in range(3):
        paths.append(tmp_path / f"{i}.dcm")
        paths[-1].write_bytes(_series_file())
    images = []
    for p in paths:
        with open_source(p) as src:
            images.append(src.image)
    assert images[0] is images[1] is images[2]
    assert len(empty_cache) == 1


@pytest.mark.parametrize("change", [
    {"rows": 6}, {"bits_stored": 16}, {"extra": {"PixelRepresentation": 1}},
    {"extra": {"PhotometricInterpretation": "MONOCHROME1"}},
])
def test_any_other_stored_value_gets_its_own_description(empty_cache, change):
    with open_source(_series_file()) as first, open_source(_series_file(**change)) as second:
        assert first.image is not second.image
        assert first.image != second.image
    assert len(empty_cache) == 2


def test_overrides_are_applied_and_never_cached(empty_cache):
    data = _series_file()
    with open_source(data, photometric_interpretation="MONOCHROME1") as src:
        assert src.image.photometric_interpretation == "MONOCHROME1"
    assert empty_cache == {}
    with open_source(data) as src:
        assert src.image.photometric_interpretation == "MONOCHROME2"


def test_invalid_values_are_never_cached_and_each_error_names_its_file(empty_cache, tmp_path):
    bad = _series_file(bits_stored=12)
    # Bits Stored 17 in 16-bit samples: patch the stored value in place (US, little endian).
    at = bad.index(struct.pack("<HH2sH", 0x0028, 0x0101, b"US", 2)) + 8
    bad = bad[:at] + struct.pack("<H", 17) + bad[at + 2:]
    for name in ("a.dcm", "b.dcm"):
        (tmp_path / name).write_bytes(bad)
        with pytest.raises(InvalidPixelDescriptionError, match=name):
            open_source(tmp_path / name)
    assert empty_cache == {}


def test_the_cache_stays_bounded(empty_cache):
    for rows in range(1, source._DESCRIPTIONS_MAX + 10):
        with open_source(_series_file(rows=rows)):
            pass
    assert 0 < len(empty_cache) <= source._DESCRIPTIONS_MAX
