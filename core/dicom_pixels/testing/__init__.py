"""A reusable conformance suite for codec plugins, built-in or third-party.

A plugin's repository runs the whole suite with two lines::

    from dicom_pixels.testing import ConformanceSuite
    class TestMyCodec(ConformanceSuite): plugin = "mycodec"

For every transfer syntax the plugin declares a decoder for, the suite decodes
each reference file (pydicom's bundled test files, when pydicom is installed)
with ``decoding_plugin=plugin`` and compares with the reference array from
pydicom: exactly for lossless transfer syntaxes and for lossy ones when
pydicom has a plugin of the same name (same backend library), otherwise within
:attr:`ConformanceSuite.lossy_tolerance`. It also checks the error paths: a
truncated codestream raises :class:`~dicom_pixels.errors.DecodeError` naming
the frame and the plugin.

For every transfer syntax the plugin declares an *encoder* for, it encodes
synthetic images of every kind the encoder accepts (8-16 bits, signed,
monochrome and RGB, odd sizes) and decodes them back: bit-exact for lossless
syntaxes, close for lossy ones; and it checks that pydicom reads a file
written with the plugin's lossless encoders. Video encoders (MPEG-2, H.264,
HEVC) also encode a moving clip as one stream, which must decode to the same
frames whole, one at a time by index, and streamed.

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

__all__ = [
    "ConformanceSuite",
    "ReferenceCase",
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


def _declared(plugin: str, operation: str = "decode") -> list[str]:
    from dicom_pixels.registry import manager

    for info in manager.plugins():
        if info.name == plugin:
            return sorted({c.transfer_syntax_uid for c in info.codecs if c.operation == operation})
    return []


#: Synthetic images the encoder checks try: (photometric interpretation, dtype, bits stored, shape).
#: Odd sizes and partial bit depths are there on purpose: they are where encoders go wrong.
SYNTHETIC_IMAGES: tuple[tuple[str, str, int, tuple[int, ...]], ...] = (
    ("MONOCHROME2", "u1", 8, (64, 48)),
    ("MONOCHROME2", "u2", 12, (64, 48)),
    ("MONOCHROME2", "u2", 16, (64, 48)),
    ("MONOCHROME2", "i2", 12, (64, 48)),
    ("MONOCHROME2", "i2", 16, (64, 48)),
    ("MONOCHROME1", "u1", 6, (33, 65)),
    ("RGB", "u1", 8, (64, 48, 3)),
    ("RGB", "u1", 8, (17, 9, 3)),
    ("RGB", "u2", 16, (64, 48, 3)),
)

#: Options for lossy encoders in the encoder checks (transfer syntax UID -> options).
LOSSY_OPTIONS: dict[str, dict[str, Any]] = {
    "1.2.840.10008.1.2.4.50": {"quality": 95},
    "1.2.840.10008.1.2.4.51": {"quality": 95},
    "1.2.840.10008.1.2.4.81": {"jls_error": 2},
    "1.2.840.10008.1.2.4.91": {"j2k_psnr": [60]},
    "1.2.840.10008.1.2.4.203": {"j2k_psnr": [60]},
    "1.2.840.10008.1.2.4.112": {"quality": 95},
}

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
    """

    plugin: ClassVar[str] = ""
    lossy_tolerance: ClassVar[int] = 2
    skip_files: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def conformance_cases(cls) -> list[ReferenceCase]:
        """Every reference case for every transfer syntax the plugin decodes."""
        cases: list[ReferenceCase] = []
        for uid in _declared(cls.plugin):
            cases.extend(c for c in reference_cases(uid) if c.path.name not in cls.skip_files)
        return cases

    def test_plugin_is_installed_and_declares_decoders(self) -> None:
        """The plugin is discovered through its entry point and declares at least one decoder."""
        assert self.plugin, "set `plugin = 'name'` on the ConformanceSuite subclass"
        assert _declared(self.plugin), f"plugin {self.plugin!r} is not installed or declares no decoder"

    def test_decodes_reference_files_like_pydicom(self, conformance_case: ReferenceCase) -> None:
        """Each reference file decodes like pydicom, exactly or within the lossy tolerance."""
        import pytest

        import dicom_pixels as dp
        from dicom_pixels.errors import DicomPixelsError
        from dicom_pixels.uid import lookup

        ts = lookup(conformance_case.transfer_syntax_uid)
        same = _same_backend_in_pydicom(self.plugin, ts.uid)
        ref = reference_array(conformance_case, self.plugin if same else "")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                ours = dp.pixel_array(conformance_case.path, decoding_plugin=self.plugin)
            except DicomPixelsError as exc:
                if ref is None or (same and reference_array(conformance_case, self.plugin) is None):
                    return  # neither can decode it: a typed error is the right answer
                if "not supported" in str(exc) or "Unable to decompress" in str(exc):
                    pytest.skip(f"{self.plugin} declines this image: {exc}")
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

    def test_truncated_frame_raises_decode_error_naming_frame_and_plugin(
        self, conformance_case: ReferenceCase
    ) -> None:
        """A codestream cut in half fails with a DecodeError that names the frame and the plugin."""
        import pytest

        import dicom_pixels as dp
        from dicom_pixels.errors import DicomPixelsError, NoPluginError
        from dicom_pixels.source import FramesSource, open_source
        from dicom_pixels.uid import lookup

        if not lookup(conformance_case.transfer_syntax_uid).encapsulated:
            pytest.skip("native data has no codestream to truncate")
        with open_source(conformance_case.path) as src:
            data, _ = src.read_frame(0)
            image = src.image
        broken = FramesSource([data[: max(len(data) // 3, 4)]], image.replace(number_of_frames=1))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                dp.get_decoder(image.transfer_syntax_uid).as_array(broken, decoding_plugin=self.plugin)
            except NoPluginError:
                return  # the plugin declined this image up front: nothing was decoded
            except DicomPixelsError as exc:
                message = str(exc)
                if "declines" in message or "not supported" in message:
                    return
                assert "frame 0" in message and self.plugin in message
            else:
                # Some codecs decode a truncated stream into partial data without error; that
                # must at least not crash. pydicom accepts this behaviour too.
                pass

    # -- encoders --------------------------------------------------------------------------

    def test_encoder_round_trips_the_synthetic_images_it_accepts(self, conformance_encoder: str) -> None:
        """Each declared encoder encodes what its profile and capabilities accept, and it decodes back.

        Lossless syntaxes must be bit-exact; lossy ones stay within a mean error of
        ``jls_error`` (JPEG-LS near-lossless) or ``max(2, 2**(bits-6))``. An image the
        encoder refuses with an EncodeError is allowed, except the plainest one (8-bit
        MONOCHROME2), and at least one image must be encoded.
        """
        import dicom_pixels as dp
        from dicom_pixels.encoder import check_profile
        from dicom_pixels.errors import (
            DecodeError,
            EncodeError,
            EncodingProfileError,
            NoPluginError,
        )
        from dicom_pixels.registry import manager

        uid = conformance_encoder
        ts = dp.uid.lookup(uid)
        codec = next(c for c in manager.codecs(uid, "encode") if c.plugin == self.plugin)
        options = (VIDEO_OPTIONS if ts.is_video else LOSSY_OPTIONS.get(uid, {})) if ts.lossy is not False else {}
        encoded, verified, declined, undecodable = 0, 0, [], []
        for pi, dtype, bits, shape in SYNTHETIC_IMAGES:
            arr = synthetic_image(dtype, bits, shape)
            samples = 1 if len(shape) == 2 else shape[2]
            image = dp.ImageDescription(
                shape[0], shape[1], samples, arr.dtype.itemsize * 8, bits, int(arr.dtype.kind == "i"), pi, uid
            )
            try:
                check_profile(image, uid)
            except EncodingProfileError:
                continue
            if codec.supports.reason_unsupported(image) is not None:
                continue
            label = f"{pi} {dtype} {bits} bits {shape}"
            try:
                data = dp.get_encoder(uid).encode(
                    arr, encoding_plugin=self.plugin, photometric_interpretation=pi, bits_stored=bits, **options
                )
            except EncodeError:
                if pi == "MONOCHROME2" and dtype == "u1":
                    raise  # the plainest image must always be encoded
                declined.append(label)
                continue
            encoded += 1
            # JPEG Baseline/Extended colour is stored as YBR_FULL_422 (PS3.5 8.2.1).
            stored_pi = "YBR_FULL_422" if ts.family == "jpeg" and ts.lossy and samples == 3 else pi
            # Video is stored as YBR_PARTIAL_420 (PS3.5 8.2.5-8.2.8).
            stored_pi = "YBR_PARTIAL_420" if ts.is_video else stored_pi
            try:
                decoded, _ = dp.get_decoder(uid).as_array(
                    [data], rows=shape[0], columns=shape[1], samples_per_pixel=samples,
                    bits_allocated=image.bits_allocated, bits_stored=bits,
                    pixel_representation=image.pixel_representation,
                    photometric_interpretation=stored_pi, transfer_syntax_uid=uid,
                )
            except (NoPluginError, DecodeError) as exc:
                # Every installed decoder declines this image (e.g. only the plugin under
                # test is installed and its backend reads less than it writes).
                if "not supported" not in str(exc) and not isinstance(exc, NoPluginError):
                    raise
                undecodable.append(label)
                continue
            verified += 1
            if ts.lossy is False or (ts.lossy is None and not options):
                np.testing.assert_array_equal(decoded, arr, err_msg=label)
            else:
                error = np.abs(decoded.astype(np.int64) - arr.astype(np.int64))
                limit = options.get("jls_error", max(2, 2 ** (bits - 6)))
                assert error.mean() <= limit, f"{label}: mean error {error.mean()} > {limit}"
        assert encoded, f"{self.plugin} encoded no test image as {ts.name}; it declined {declined}"
        assert verified, f"no installed decoder could read back {undecodable} ({ts.name})"

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
