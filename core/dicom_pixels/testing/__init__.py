"""A reusable conformance suite for codec plugins, built-in or third-party.

A plugin's repository runs the whole suite with two lines::

    from dicom_pixels.testing import ConformanceSuite
    class TestMyCodec(ConformanceSuite): plugin = "mycodec"

It is written to fail a broken plugin (``tests/test_conformance_kit.py`` shows
each known defect caught). For every transfer syntax and capability the plugin
declares: a missing requirement fails (``--dicom-pixels-allow-missing`` skips
instead, for a job that tests "backend absent" on purpose); each of pydicom's
bundled files decodes like pydicom (exactly for lossless syntaxes and for lossy
ones when pydicom has a plugin of the same name, otherwise within
:attr:`ConformanceSuite.lossy_tolerance`); each reference codestream the kit
ships (:mod:`dicom_pixels.testing.references`: every JPEG-LS interleave mode,
RLE and native planar configuration 1, signed, 12/16-bit, near-lossless)
decodes to its source image; a damaged codestream raises a typed error naming
the frame and the plugin. Each encoder encodes every image kind it declares, and
an independent decoder reads it back: exact for lossless syntaxes, within NEAR
(with NEAR in the scan header) for JPEG-LS near-lossless, within
:data:`~dicom_pixels.testing.kit.PSNR_MARGIN_DB` of the requested PSNR for JPEG
2000; refusals are reported. The checks are plain functions in
:mod:`dicom_pixels.testing.kit`. Video encoders (MPEG-2, H.264, HEVC) also encode a moving clip
as one stream, which must decode to the same frames whole, one at a time by
index, and streamed.

>>> from dicom_pixels.testing import reference_cases
>>> isinstance(reference_cases("1.2.840.10008.1.2.5"), list)
True
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from .kit import (
    LOSSY_OPTIONS,
    SYNTHETIC_IMAGES,
    ConformanceFailure,
    check_damaged_stream_raises,
    check_encoder,
    check_installed,
    check_reference_decode,
    declared_transfer_syntaxes,
)
from .references import GeneratedReference, generated_references

__all__ = [
    "LOSSY_OPTIONS",
    "SYNTHETIC_IMAGES",
    "ConformanceFailure",
    "ConformanceSuite",
    "GeneratedReference",
    "ReferenceCase",
    "declared_transfer_syntaxes",
    "generated_references",
    "pydicom_test_files",
    "reference_cases",
    "moving_clip",
    "synthetic_image",
]

_PIXEL_TAGS = (0x7FE00010, 0x7FE00008, 0x7FE00009)


@dataclass(frozen=True)
class ReferenceCase:
    """One reference file for one transfer syntax."""

    path: Path
    transfer_syntax_uid: str
    number_of_frames: int

    @property
    def id(self) -> str:
        """A readable test id: the file name."""
        return self.path.name


@functools.lru_cache(maxsize=1)
def pydicom_test_files() -> tuple[ReferenceCase, ...]:
    """Every file in pydicom's wheel that pydicom reads and that has a pixel element.

    Empty when pydicom is not installed. Values larger than 1 KiB are not loaded.
    """
    try:
        import pydicom
        from pydicom.data import get_testdata_files
    except ImportError:
        return ()
    cases = []
    # The default pattern lists only the files shipped in the wheel (no download).
    for name in sorted(get_testdata_files()):
        path = Path(name)
        if path.suffix.lower() not in ("", ".dcm") or "dicomdir" in path.name.lower():
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ds = pydicom.dcmread(path, force=True, defer_size=1024)
                tsyntax = str(ds.file_meta.TransferSyntaxUID)
                frames = int(ds.get("NumberOfFrames", 1) or 1)
        except Exception:
            continue
        if any(tag in ds for tag in _PIXEL_TAGS):
            cases.append(ReferenceCase(path, tsyntax, frames))
    return tuple(cases)


def reference_cases(transfer_syntax_uid: str) -> list[ReferenceCase]:
    """Reference files for a transfer syntax (empty when pydicom is not installed)."""
    return [c for c in pydicom_test_files() if c.transfer_syntax_uid == transfer_syntax_uid]


def reference_array(case: ReferenceCase, plugin: str = "", **options: Any) -> np.ndarray | None:
    """pydicom's array for *case* (with its plugin *plugin* if it has one), or ``None``."""
    try:
        from pydicom.pixels import get_decoder as pd_get_decoder
        from pydicom.pixels import pixel_array as pd_pixel_array
    except ImportError:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if plugin and plugin in pd_get_decoder(case.transfer_syntax_uid).available_plugins:
                return pd_pixel_array(case.path, decoding_plugin=plugin, **options)
            return pd_pixel_array(case.path, **options)
        except Exception:
            return None


def _same_backend_in_pydicom(plugin: str, uid: str) -> bool:
    try:
        from pydicom.pixels import get_decoder as pd_get_decoder

        return plugin in pd_get_decoder(uid).available_plugins
    except Exception:
        return False


#: Options for video encoders (any syntax where ``TransferSyntax.is_video``): high
#: quality, a key frame every 4 frames so single-frame reads start mid-stream.
VIDEO_OPTIONS: dict[str, Any] = {"quality": 95, "gop": 4}


def moving_clip(frames: int, rows: int, columns: int) -> np.ndarray:
    """RGB frames of smooth gradients moving across the picture: every frame differs.

    >>> moving_clip(3, 16, 32).shape
    (3, 16, 32, 3)
    """
    y, x = np.mgrid[0:rows, 0:columns]
    clip = np.empty((frames, rows, columns, 3), "u1")
    for i in range(frames):
        clip[i, ..., 0] = (x * 3 + i * 7) % 256
        clip[i, ..., 1] = (y * 4 + i * 3) % 256
        clip[i, ..., 2] = 128 + ((x + y + i * 5) % 64)
    return clip


def synthetic_image(dtype: str, bits_stored: int, shape: tuple[int, ...], seed: int = 20) -> np.ndarray:
    """A smooth ramp plus noise over the whole range of *bits_stored*: compressible, not trivial.

    >>> arr = synthetic_image("i2", 12, (8, 8))
    >>> arr.dtype, int(arr.min()) >= -2048, int(arr.max()) <= 2047
    (dtype('int16'), True, True)
    """
    kind = np.dtype(dtype).kind
    low, high = (-(2 ** (bits_stored - 1)), 2 ** (bits_stored - 1)) if kind == "i" else (0, 2**bits_stored)
    ramp = np.linspace(low, high - 1, num=int(np.prod(shape))).reshape(shape)
    noise = np.random.default_rng(seed).integers(-3, 4, shape)
    return np.clip(ramp + noise, low, high - 1).astype(dtype)


class ConformanceSuite:
    """Subclass with ``plugin = "name"`` to run the conformance checks on a plugin.

    Override :attr:`lossy_tolerance` (max absolute difference allowed against a
    different backend's lossy decode) or :attr:`skip_files` (file names) as needed.
    A missing backend fails every check; set :attr:`allow_missing_backend` (or pass
    ``--dicom-pixels-allow-missing``) in a job that tests the plugin without it on purpose.
    """

    plugin: ClassVar[str] = ""
    lossy_tolerance: ClassVar[int] = 2
    skip_files: ClassVar[frozenset[str]] = frozenset()
    allow_missing_backend: ClassVar[bool] = False

    @classmethod
    def conformance_cases(cls) -> list[ReferenceCase]:
        """Every pydicom reference file for every transfer syntax the plugin decodes."""
        cases: list[ReferenceCase] = []
        for uid in declared_transfer_syntaxes(cls.plugin):
            cases.extend(c for c in reference_cases(uid) if c.path.name not in cls.skip_files)
        return cases

    @classmethod
    def conformance_references(cls) -> list[GeneratedReference]:
        """The kit's shipped codestreams for every transfer syntax the plugin decodes,
        written by another backend where the kit has a choice."""
        refs: list[GeneratedReference] = []
        for uid in declared_transfer_syntaxes(cls.plugin):
            refs.extend(generated_references(uid, exclude_made_by=cls.plugin))
        return refs

    def test_plugin_is_installed_and_declares_codecs(self, dicom_pixels_allow_missing: bool) -> None:
        """The plugin is discovered, declares codecs and has its backend installed."""
        assert self.plugin, "set `plugin = 'name'` on the ConformanceSuite subclass"
        check_installed(self.plugin, allow_missing=dicom_pixels_allow_missing)

    def test_decodes_reference_files_like_pydicom(self, conformance_case: ReferenceCase) -> None:
        """Each reference file decodes like pydicom, exactly or within the lossy tolerance."""
        import pytest

        import dicom_pixels as dp
        from dicom_pixels.errors import DicomPixelsError, MissingDependencyError
        from dicom_pixels.uid import lookup

        ts = lookup(conformance_case.transfer_syntax_uid)
        same = _same_backend_in_pydicom(self.plugin, ts.uid)
        ref = reference_array(conformance_case, self.plugin if same else "")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                ours = dp.pixel_array(conformance_case.path, decoding_plugin=self.plugin)
            except MissingDependencyError:
                raise
            except DicomPixelsError as exc:
                if ref is None or (same and reference_array(conformance_case, self.plugin) is None):
                    return  # neither can decode it: a typed error is the right answer
                if "not supported" in str(exc) or "Unable to decompress" in str(exc):
                    pytest.skip(f"refused by {self.plugin}: {exc}")
                raise
        if ref is None:
            pytest.skip("pydicom cannot decode this file, no reference")
        # The same dtype, byte order included (big endian sources give '>' arrays in both).
        assert ours.shape == ref.shape and ours.dtype == ref.dtype
        if ts.lossy is False or same:
            assert np.array_equal(ours, ref)
        else:
            diff = np.abs(ours.astype(np.float64) - ref.astype(np.float64)).max()
            assert diff <= self.lossy_tolerance, f"max difference {diff} > {self.lossy_tolerance}"

    def test_damaged_reference_file_raises(self, conformance_case: ReferenceCase) -> None:
        """The first frame of each reference file, damaged, raises a typed error naming
        the frame and the plugin; it never decodes to filler."""
        import pytest

        from dicom_pixels.errors import DicomPixelsError
        from dicom_pixels.source import open_source
        from dicom_pixels.uid import lookup

        if not lookup(conformance_case.transfer_syntax_uid).encapsulated:
            pytest.skip("native data has no codestream to damage")
        try:
            with open_source(conformance_case.path) as src:
                data, _ = src.read_frame(0)
                image = src.image
        except DicomPixelsError as exc:
            pytest.skip(f"the file's first frame cannot be read: {exc}")
        check_damaged_stream_raises(self.plugin, bytes(data), image, conformance_case.id)

    def test_decodes_generated_reference(self, conformance_reference: GeneratedReference) -> None:
        """Each shipped codestream (every interleave mode / planar configuration, signed,
        Bits Stored < Allocated) decodes to its source image; a refusal is reported."""
        import pytest

        refused = check_reference_decode(self.plugin, conformance_reference)
        if refused is not None:
            pytest.skip(f"refused by {self.plugin}: {refused}")

    def test_damaged_generated_reference_raises(self, conformance_reference: GeneratedReference) -> None:
        """Each shipped codestream, damaged, raises; it never decodes to filler."""
        ref = conformance_reference
        check_damaged_stream_raises(self.plugin, ref.data, ref.image, ref.name)

    def test_encoder_meets_its_promise_checked_by_an_independent_decoder(
        self, conformance_encoder: str
    ) -> None:
        """Each declared encoder encodes every image kind it declares; another decoder
        reads back exact (lossless), within NEAR (JPEG-LS) or the requested PSNR.
        Refused or self-checked image kinds are reported as a warning. Video encoders are
        checked by :meth:`test_video_stream_decodes_alike_whole_one_frame_and_streamed`."""
        import pytest

        from dicom_pixels.uid import lookup

        if lookup(conformance_encoder).is_video:
            pytest.skip("a video syntax: its stream of frames is checked by the video test")
        notes = check_encoder(self.plugin, conformance_encoder)
        if notes:
            warnings.warn(
                f"{self.plugin} for {conformance_encoder}: " + "; ".join(notes),
                UserWarning,
                stacklevel=1,
            )

    def test_lossless_encoder_output_is_read_by_pydicom(self, conformance_encoder: str) -> None:
        """A file compressed by the plugin's lossless encoder decodes identically with pydicom."""
        import io

        import pytest

        import dicom_pixels as dp

        pydicom = pytest.importorskip("pydicom", reason="pydicom is the oracle")
        from pydicom.pixels import get_decoder as pd_get_decoder

        ts = dp.uid.lookup(conformance_encoder)
        if ts.lossy is not False:
            pytest.skip("lossy: checked against the source by the round trip test")
        try:
            if not pd_get_decoder(ts.uid).is_available:
                pytest.skip(f"pydicom cannot decode {ts.name} here")
        except Exception:
            pytest.skip(f"pydicom has no decoder for {ts.name}")
        arr = synthetic_image("u1", 8, (64, 48))
        ds = pydicom.Dataset()
        ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
        dp.set_pixel_data(ds, arr, "MONOCHROME2", 8)
        # arr given: nothing to decode first (a plugin's own test env may lack the native plugin).
        dp.compress(ds, ts.uid, arr, encoding_plugin=self.plugin)
        buffer = io.BytesIO()
        ds.save_as(buffer, enforce_file_format=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            np.testing.assert_array_equal(pydicom.pixels.pixel_array(io.BytesIO(buffer.getvalue())), arr)

    # -- video (PS3.5 A.4.5-A.4.7: one stream holds every frame) ----------------------------

    def test_video_stream_decodes_alike_whole_one_frame_and_streamed(self, conformance_encoder: str) -> None:
        """A clip encoded as one stream decodes to the same frames whole, by ``index`` (from a
        key frame mid-stream) and frame by frame; close to the source; a truncated stream or
        a Number of Frames larger than the stream holds is a typed error."""
        import pytest

        import dicom_pixels as dp
        from dicom_pixels.errors import DicomPixelsError

        uid = conformance_encoder
        if not dp.uid.lookup(uid).is_video:
            pytest.skip("not a video transfer syntax")
        clip = moving_clip(10, 48, 64)
        streams = list(dp.get_encoder(uid).iter_encode(
            clip, encoding_plugin=self.plugin, photometric_interpretation="RGB", bits_stored=8, **VIDEO_OPTIONS
        ))
        assert len(streams) == 1, "a video is one stream, not one item per frame"
        description: dict[str, Any] = dict(rows=48, columns=64, samples_per_pixel=3, bits_allocated=8, bits_stored=8,
                           pixel_representation=0, photometric_interpretation="YBR_PARTIAL_420",
                           transfer_syntax_uid=uid)
        decoder = dp.get_decoder(uid)
        whole, _ = decoder.as_array(streams, number_of_frames=10, **description)
        assert whole.shape == clip.shape
        assert np.abs(whole.astype(int) - clip).mean() <= 6
        for index in (0, 5, 9):
            np.testing.assert_array_equal(decoder.as_array(streams, index=index, number_of_frames=10, **description)[0], whole[index])
        streamed = [frame for frame, _ in decoder.iter_array(streams, number_of_frames=10, **description)]
        np.testing.assert_array_equal(np.stack(streamed), whole)
        with pytest.raises(DicomPixelsError):
            decoder.as_array(streams, number_of_frames=11, **description)
        with pytest.raises(DicomPixelsError):
            decoder.as_array([streams[0][: len(streams[0]) // 3]], number_of_frames=10, **description)
