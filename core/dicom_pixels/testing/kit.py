"""The checks of the conformance kit, as plain functions that raise :class:`ConformanceFailure`.

:class:`~dicom_pixels.testing.ConformanceSuite` runs them under pytest; they can
also be called directly (the kit's own tests do, against deliberately broken
plugins). Each check judges a plugin by a truth that does not come from that
plugin: pydicom's arrays, the source image of a shipped reference codestream
written by another backend, or an independent decoder for what an encoder wrote.

>>> check_installed("native")
[]
>>> try:
...     check_installed("no-such-plugin")
... except ConformanceFailure as exc:
...     print(str(exc)[:40])
plugin 'no-such-plugin' is not installed
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..codec import jpegls_near_lossless_range
from ..codestream import j2k_header_length, jpeg_parameters
from ..description import ImageDescription
from ..errors import (
    DicomPixelsError,
    EncodeError,
    EncodingProfileError,
    MissingDependencyError,
    NoPluginError,
)
from ..registry import PluginInfo, manager
from ..uid import lookup
from .references import GeneratedReference

__all__ = [
    "ALLOW_MISSING_OPTION",
    "LOSSY_OPTIONS",
    "PSNR_MARGIN_DB",
    "RATIO_MARGIN",
    "RATIO_OPTIONS",
    "SYNTHETIC_IMAGES",
    "ConformanceFailure",
    "EncodeCase",
    "check_damaged_stream_raises",
    "check_encoder",
    "check_installed",
    "check_reference_decode",
    "declared_transfer_syntaxes",
    "decode_with",
    "encode_cases",
    "independent_decode",
    "plugin_info",
]

#: The pytest option that lets a CI job run the kit without the plugin's backend on purpose.
ALLOW_MISSING_OPTION = "--dicom-pixels-allow-missing"

#: Synthetic images the encoder checks try: (photometric interpretation, dtype, bits stored, shape).
#: Odd sizes, partial bit depths and values at both ends of the range are there on purpose:
#: they are where encoders go wrong.
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
    "1.2.840.10008.1.2.4.81": {"jls_error": 3},
    # 40 dB, not more: 6- and 8-bit samples cannot reach 45 or 60 dB through the 9-7
    # wavelet's quantisation (40.9 and 53.5 dB at best with every backend here).
    "1.2.840.10008.1.2.4.91": {"j2k_psnr": [40]},
    "1.2.840.10008.1.2.4.203": {"j2k_psnr": [40]},
    "1.2.840.10008.1.2.4.112": {"quality": 95},
}

#: A second lossy request for JPEG 2000 and HTJ2K, each image once more: a compression ratio
#: (``j2k_cr``), the other rate control a plugin must honour (PS3.5 8.2.4). 10, not more:
#: at 20 the main header of the 33 x 65 and 17 x 9 images is already most of the stream.
RATIO_OPTIONS: dict[str, dict[str, Any]] = {
    "1.2.840.10008.1.2.4.91": {"j2k_cr": [10]},
    "1.2.840.10008.1.2.4.203": {"j2k_cr": [10]},
}

#: How far the coded data of a ``j2k_cr`` request may exceed the array's bytes / ratio (the
#: headers, :func:`~dicom_pixels.codestream.j2k_header_length`, not counted: on a small
#: image they alone can exceed the budget). Measured at ratio 10 on the kit's images:
#: OpenJPEG (pylibjpeg, Pillow) and OpenJPH (imagecodecs) write at most 0.92 of the budget,
#: Pillow up to 1.31 at ratio 20 on the 17 x 9 image; a plugin that ignores the ratio and
#: encodes losslessly writes 4 to 5 times the budget. So 25 %.
RATIO_MARGIN = 0.25

#: How far below the requested PSNR a JPEG 2000 / HTJ2K encoder may land. OpenJPEG's rate
#: control stops on its own per-code-block distortion estimate, not the decoded image: on
#: the kit's 12- and 16-bit images at 40 dB it lands up to 5.1 dB short (pylibjpeg and
#: Pillow; imagecodecs within 1 dB), so 6 dB.
PSNR_MARGIN_DB = 6.0


class ConformanceFailure(AssertionError):
    """A plugin does not do what it declares; the message says what and how it was found."""


# -- what a plugin declares ------------------------------------------------------------------


def plugin_info(plugin: str) -> PluginInfo | None:
    """The registry's record of *plugin*, or ``None`` when it is not loaded."""
    return next((info for info in manager.plugins() if info.name == plugin), None)


def declared_transfer_syntaxes(plugin: str, operation: str = "decode") -> list[str]:
    """The transfer syntax UIDs *plugin* declares a codec for, in one direction.

    >>> "1.2.840.10008.1.2.5" in declared_transfer_syntaxes("native")
    True
    """
    info = plugin_info(plugin)
    if info is None:
        return []
    return sorted({c.transfer_syntax_uid for c in info.codecs if c.operation == operation})


def check_installed(plugin: str, *, allow_missing: bool = False) -> list[str]:
    """Fail unless *plugin* is loaded, declares a codec and has every requirement installed.

    With *allow_missing* (``--dicom-pixels-allow-missing``), missing requirements are
    returned instead, for a CI job that tests the plugin without its backend on purpose.
    """
    info = plugin_info(plugin)
    if info is None:
        names = ", ".join(p.name for p in manager.plugins())
        raise ConformanceFailure(
            f"plugin {plugin!r} is not installed: no entry point of that name in the "
            f"'dicom_pixels' group (installed: {names}); install the plugin's distribution"
        )
    if info.error:
        raise ConformanceFailure(f"plugin {plugin!r} did not load: {info.error}")
    if not info.codecs:
        raise ConformanceFailure(f"plugin {plugin!r} declares no codec")
    if info.missing and not allow_missing:
        hint = f" ({info.install_hint})" if info.install_hint else ""
        raise ConformanceFailure(
            f"plugin {plugin!r} cannot run: it requires {' and '.join(info.missing)}, which is "
            f"not installed{hint}. A CI job that tests the plugin without its backend on "
            f"purpose passes {ALLOW_MISSING_OPTION}"
        )
    return list(info.missing)


# -- decoding --------------------------------------------------------------------------------


def decode_with(plugin: str, data: bytes, image: ImageDescription) -> np.ndarray:
    """Decode one frame with *plugin* only, through the core (so its corrections apply)."""
    import dicom_pixels as dp
    from dicom_pixels.source import FramesSource

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        arr, _ = dp.get_decoder(image.transfer_syntax_uid).as_array(
            FramesSource([data], image.replace(number_of_frames=1), name="the reference"),
            decoding_plugin=plugin,
        )
    return arr


def _refusal(exc: DicomPixelsError) -> str | None:
    """The reason when *exc* is a plugin declining the image (not a failed or missing codec)."""
    if isinstance(exc, MissingDependencyError):
        return None
    if isinstance(exc, NoPluginError):
        return str(exc)
    message = str(exc)
    if any(word in message for word in ("not supported", "cannot decode", "declines", "refuses")):
        return message
    return None


def check_reference_decode(plugin: str, reference: GeneratedReference) -> str | None:
    """Decode a shipped reference with *plugin*: equal to its source image (within NEAR).

    Returns the reason when the plugin declines the image with a typed error (the
    kit reports it); any other error, or different pixels, fails.
    """
    expected = reference.expected
    label = f"{reference.name} (written by {reference.made_by})"
    try:
        ours = decode_with(plugin, reference.data, reference.image)
    except DicomPixelsError as exc:
        reason = _refusal(exc)
        if reason is None:
            raise ConformanceFailure(f"{plugin} failed to decode the reference {label}: {exc}") from exc
        return reason
    if ours.shape != expected.shape:
        raise ConformanceFailure(f"{plugin} decoded {label} to shape {ours.shape}, not {expected.shape}")
    if ours.dtype.kind != expected.dtype.kind or ours.dtype.itemsize != expected.dtype.itemsize:
        raise ConformanceFailure(f"{plugin} decoded {label} as {ours.dtype}, not {expected.dtype}")
    error = np.abs(ours.astype(np.int64) - expected.astype(np.int64))
    if int(error.max()) > reference.near:
        where = tuple(int(i) for i in np.unravel_index(int(error.argmax()), error.shape))
        layout = ""
        if reference.interleave_mode is not None and expected.ndim == 3:
            layout = f"; the stream is JPEG-LS interleave mode {reference.interleave_mode}"
        raise ConformanceFailure(
            f"{plugin} decoded {label} wrongly: {int((error > reference.near).sum())} samples differ "
            f"by more than {reference.near}, the largest by {int(error.max())} at {where}{layout}"
        )
    return None


def damaged_variants(data: bytes) -> list[tuple[str, bytes]]:
    """Damaged copies of a codestream that no decoder may turn into pixels: for now, the
    codestream cut to a third (a cut scan closed again with an end marker is not among
    them: libjpeg decodes that into filler with only a warning, in every JPEG plugin).
    """
    cut = data[: max(len(data) // 3, 4)]
    return [(f"cut to {len(cut)} of {len(data)} bytes", cut)]


def check_damaged_stream_raises(plugin: str, data: bytes, image: ImageDescription, label: str) -> None:
    """A damaged codestream must raise a typed error naming the frame and the plugin,
    never decode to filler.

    The core refuses some damage before any plugin sees it (a codestream without its
    end marker, :func:`~dicom_pixels.codestream.implausible_size`); the plugin is then
    also given the damaged bytes directly, and must raise on its own: the kit checks
    the plugin, not the core's guard in front of it.
    """
    if not lookup(image.transfer_syntax_uid).encapsulated:
        return
    for how, damaged in damaged_variants(data):
        try:
            decode_with(plugin, damaged, image)
        except NoPluginError:
            continue  # declined before decoding: nothing was produced
        except DicomPixelsError as exc:
            message = str(exc)
            if "frame 0" not in message or (plugin not in message and "refused" not in message):
                raise ConformanceFailure(
                    f"{plugin}: the error for {label} {how} does not name the frame and the "
                    f"plugin: {message}"
                ) from exc
            if "before any plugin saw it" not in message or not _codec_decodes(plugin, damaged, image):
                continue
        raise ConformanceFailure(
            f"{plugin} decoded {label} {how} without an error: a damaged codestream must raise, "
            "never decode to filler"
        )


def _codec_decodes(plugin: str, data: bytes, image: ImageDescription) -> bool:
    """Whether *plugin*'s decoder, called directly (no core checks in front of it), returns
    pixels for *data* instead of raising."""
    from ..codec import DecodeFrame

    codec = next(c for c in manager.codecs(image.transfer_syntax_uid, "decode") if c.plugin == plugin)
    out = np.zeros(image.frame_shape, image.dtype)
    frame = DecodeFrame(image=image, index=0, options={"as_rgb": False}, out=out)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            codec.load()(data, frame)
    except Exception:
        return False
    return True


# -- encoding --------------------------------------------------------------------------------


@dataclass(frozen=True)
class EncodeCase:
    """One image the encoder checks ask a plugin to encode."""

    label: str
    arr: np.ndarray
    image: ImageDescription
    options: dict[str, Any]
    #: whether the plugin may refuse this case's options (a second rate control it lacks)
    #: without failing even for the plainest image; the refusal is still reported.
    optional: bool = False


def encode_cases(uid: str) -> Iterator[EncodeCase]:
    """The synthetic images of :data:`SYNTHETIC_IMAGES` that fit *uid*'s encoding profile,
    with the options of :data:`LOSSY_OPTIONS`; for JPEG-LS near-lossless, each signed
    image also once with its values inside the range that cannot wrap; for JPEG 2000 and
    HTJ2K each image also once with :data:`RATIO_OPTIONS`.

    >>> sorted({str(case.options) for case in encode_cases("JPEG2000")})
    ["{'j2k_cr': [10]}", "{'j2k_psnr': [40]}"]
    """
    from ..encoder import check_profile
    from . import synthetic_image

    ts = lookup(uid)
    options = LOSSY_OPTIONS.get(ts.uid, {}) if ts.lossy is not False else {}
    for pi, dtype, bits, shape in SYNTHETIC_IMAGES:
        arr = synthetic_image(dtype, bits, shape)
        samples = 1 if len(shape) == 2 else shape[2]
        signed = int(arr.dtype.kind == "i")
        image = ImageDescription(shape[0], shape[1], samples, arr.dtype.itemsize * 8, bits, signed, pi, ts.uid)
        try:
            check_profile(image, ts.uid)
        except EncodingProfileError:
            continue
        label = f"{pi} {dtype} {bits} bits {shape}"
        yield EncodeCase(label, arr, image, dict(options))
        near = int(options.get("jls_error", 0))
        if near and signed:
            low, high = jpegls_near_lossless_range(bits, near)
            yield EncodeCase(f"{label} within {low}..{high}", np.clip(arr, low, high), image, dict(options))
        if ts.uid in RATIO_OPTIONS:
            ratio = RATIO_OPTIONS[ts.uid]
            yield EncodeCase(f"{label} at {ratio}", arr, image, dict(ratio), optional=True)


def _stored_image(case: EncodeCase) -> ImageDescription:
    ts = lookup(case.image.transfer_syntax_uid)
    # JPEG Baseline/Extended colour is stored as YBR_FULL_422 (PS3.5 8.2.1).
    if ts.family == "jpeg" and ts.lossy and case.image.samples_per_pixel == 3:
        return case.image.replace(photometric_interpretation="YBR_FULL_422")
    return case.image


def independent_decode(plugin: str, data: bytes, image: ImageDescription) -> tuple[np.ndarray, str] | None:
    """Decode with a decoder other than *plugin*: another installed dicom-pixels plugin,
    else pydicom. Returns the array and the decoder's name, or ``None``."""
    for codec in manager.codecs(image.transfer_syntax_uid, "decode"):
        if codec.plugin == plugin or not codec.is_available or codec.supports.reason_unsupported(image):
            continue
        try:
            return decode_with(codec.plugin, data, image), codec.plugin
        except DicomPixelsError:
            continue
    arr = _pydicom_decode(data, image)
    return None if arr is None else (arr, "pydicom")


def _pydicom_decode(data: bytes, image: ImageDescription) -> np.ndarray | None:
    try:
        from pydicom.dataset import Dataset, FileMetaDataset
        from pydicom.encaps import encapsulate
        from pydicom.uid import UID
    except ImportError:
        return None
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = UID(image.transfer_syntax_uid)
    ds.Rows, ds.Columns = image.rows, image.columns
    ds.SamplesPerPixel = image.samples_per_pixel
    ds.BitsAllocated, ds.BitsStored = image.bits_allocated, image.bits_stored
    ds.HighBit = image.bits_stored - 1
    ds.PixelRepresentation = image.pixel_representation
    ds.PhotometricInterpretation = image.photometric_interpretation
    if image.samples_per_pixel > 1:
        ds.PlanarConfiguration = 0
    ds.PixelData = encapsulate([data])
    ds["PixelData"].VR = "OB"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return np.asarray(ds.pixel_array)
        except Exception:
            return None


def _judge(case: EncodeCase, data: bytes, decoded: np.ndarray, decoder: str, plugin: str) -> None:
    ts = lookup(case.image.transfer_syntax_uid)
    where = f"{plugin} encoded {case.label} as {ts.name}; {decoder} decoded it"
    arr = case.arr
    if decoded.shape != arr.shape:
        raise ConformanceFailure(f"{where} to shape {decoded.shape}, not {arr.shape}")
    error = np.abs(decoded.astype(np.int64) - arr.astype(np.int64))
    options = case.options
    if ts.lossy is False or not options:
        if error.any():
            raise ConformanceFailure(
                f"{where} with {int((error > 0).sum())} samples different (largest {int(error.max())}); "
                "a lossless encoding must be exact"
            )
        return
    if "jls_error" in options:
        near = int(options["jls_error"])
        if int(error.max()) > near:
            raise ConformanceFailure(
                f"{where} with errors up to {int(error.max())}, more than NEAR = jls_error = {near} "
                "(ISO/IEC 14495-1 A.4.4 bounds every sample's error by NEAR)"
            )
        return
    if "j2k_cr" in options:
        # The ratio of the last (finest) quality layer governs the whole stream's size.
        budget = arr.nbytes / float(options["j2k_cr"][-1])
        coded = len(data) - j2k_header_length(data)
        if coded > budget * (1 + RATIO_MARGIN):
            raise ConformanceFailure(
                f"{where}: asked for j2k_cr={options['j2k_cr']}, it wrote {coded} bytes of coded data "
                f"(headers aside), more than {budget:.0f} (the array's {arr.nbytes} bytes / ratio) "
                f"+ {RATIO_MARGIN:.0%}; the ratio was not honoured"
            )
        return
    if "j2k_psnr" in options:
        target = float(options["j2k_psnr"][-1])
        mse = float((error.astype(np.float64) ** 2).mean())
        peak = 2**case.image.bits_stored - 1
        psnr = math.inf if mse == 0 else 10 * math.log10(peak**2 / mse)
        if psnr < target - PSNR_MARGIN_DB:
            raise ConformanceFailure(
                f"{where} at a PSNR of {psnr:.1f} dB, below the requested {target} dB "
                f"(margin {PSNR_MARGIN_DB} dB)"
            )
        return
    limit = max(2, 2 ** (case.image.bits_stored - 6))
    if error.mean() > limit:
        raise ConformanceFailure(f"{where} with a mean error of {error.mean():.2f} > {limit}")


#: How the core reports a codec's untyped exception, or a backend's panic, in its error.
_UNTYPED = re.compile(r"^(?:[A-Za-z_][\w.]*: |a panic in the backend)")


def _plugin_reason(message: str, plugin: str) -> str:
    """The line of a core error that gives *plugin*'s own reason (without the name)."""
    for line in message.splitlines():
        if line.strip().startswith(f"{plugin}: "):
            return line.strip()[len(plugin) + 2 :]
    return message


def check_encoder(plugin: str, uid: str) -> list[str]:
    """Encode every :func:`encode_cases` image *plugin* declares it can, check the stream,
    and decode it with an independent decoder: exact for lossless, within NEAR for JPEG-LS
    near-lossless (whose stream must carry the requested NEAR), within
    :data:`PSNR_MARGIN_DB` of the requested PSNR and within :data:`RATIO_MARGIN` of the
    requested compression ratio for JPEG 2000 and HTJ2K.

    Returns what to report: the images the plugin refused, with its reasons (a refusal
    is an :class:`~dicom_pixels.errors.EncodeError`, raised before any output is
    returned; the plainest image, 8-bit MONOCHROME2, must never be refused), and the
    images only the plugin's own decoder could read back.
    """
    import dicom_pixels as dp

    ts = lookup(uid)
    codec = next((c for c in manager.codecs(ts, "encode") if c.plugin == plugin), None)
    if codec is None:
        raise ConformanceFailure(f"{plugin} declares no encoder for {ts.name}")
    refused: list[str] = []
    unchecked: list[str] = []
    encoded = 0
    for case in encode_cases(ts.uid):
        if codec.supports.reason_unsupported(case.image) is not None:
            continue  # not declared: nothing to check
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                data = dp.get_encoder(ts.uid).encode(
                    case.arr, encoding_plugin=plugin,
                    photometric_interpretation=case.image.photometric_interpretation,
                    bits_stored=case.image.bits_stored, **case.options,
                )
        except EncodeError as exc:
            plainest = case.image.photometric_interpretation == "MONOCHROME2" and case.arr.dtype == np.uint8
            if plainest and not case.optional:
                raise ConformanceFailure(f"{plugin} refused the plainest image, {case.label}: {exc}") from exc
            reason = _plugin_reason(str(exc), plugin)
            if _UNTYPED.match(reason):
                raise ConformanceFailure(
                    f"{plugin} failed on {case.label} with a backend error, not a typed refusal "
                    f"(raise EncodeError from dicom_pixels.plugin, before encoding): {reason}"
                ) from exc
            refused.append(f"{case.label}: {reason}")
            continue
        except MissingDependencyError:
            raise
        except DicomPixelsError as exc:
            raise ConformanceFailure(f"{plugin} failed on {case.label} with {type(exc).__name__}: {exc}") from exc
        encoded += 1
        near = case.options.get("jls_error")
        if near is not None:
            written = jpeg_parameters(data).get("lossy_error")
            if written != near:
                raise ConformanceFailure(
                    f"{plugin} was asked for jls_error={near} on {case.label} but wrote NEAR = "
                    f"{written} in the JPEG-LS scan header (ISO/IEC 14495-1 C.2.3)"
                )
        stored = _stored_image(case)
        result = independent_decode(plugin, data, stored)
        if result is None:
            # Nothing else reads this syntax (e.g. Deflated Image Frame Compression, which
            # pydicom 3.0 lacks): the plugin's own decoder judges, and the report says so.
            unchecked.append(case.label)
            result = decode_with(plugin, data, stored), plugin
        _judge(case, data, *result, plugin)
    if not encoded:
        raise ConformanceFailure(f"{plugin} encoded no test image as {ts.name}; it refused {refused}")
    if unchecked:
        refused.append(
            f"no decoder but {plugin}'s own reads {ts.name} here: {', '.join(unchecked)} checked "
            "by its own round trip only (install pydicom with a plugin for it, or another plugin)"
        )
    return refused
