"""dicom-pixels as a decoding and encoding plugin *inside* pydicom 3.

After :func:`install`, pydicom's own API runs through dicom-pixels' plugins
under the plugin label ``"dicom_pixels"``::

    ds.pixel_array                                               # tried with pydicom's plugins
    ds.pixel_array_options(decoding_plugin="dicom_pixels")      # only through dicom-pixels
    ds.compress(uid, encoding_plugin="dicom_pixels")
    ds.decompress(decoding_plugin="dicom_pixels")

pydicom's plugin contract (``pydicom.pixels.decoders.base`` and
``encoders.base``): a module with ``is_available(uid)`` and the
``DECODER_DEPENDENCIES``/``ENCODER_DEPENDENCIES`` tables, and functions
``decode(src: bytes, runner) -> bytes | bytearray`` (one encoded frame in,
its pixels out, reporting layout changes with ``runner.set_option``) and
``encode(src: bytes, runner) -> bytes`` (one frame's little-endian pixels in).
pydicom then applies its own sign and unused-bit corrections, which are
idempotent on the data returned here.

>>> import dicom_pixels as dp, pydicom
>>> added = dp.pydicom_bridge.install()
>>> ds = pydicom.dcmread(dp.examples.get_path("rle_rgb"))
>>> ds.pixel_array_options(decoding_plugin="dicom_pixels")
>>> bool((ds.pixel_array == dp.pixel_array(ds)).all())
True
>>> dp.pydicom_bridge.uninstall()
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .decoder import get_decoder
from .encoder import get_encoder
from .errors import UnsupportedTransferSyntaxError
from .uid import all_transfer_syntaxes

__all__ = [
    "DECODER_DEPENDENCIES",
    "ENCODER_DEPENDENCIES",
    "LABEL",
    "decode_frame",
    "encode_frame",
    "install",
    "is_available",
    "uninstall",
]

#: The plugin label dicom-pixels registers under in pydicom.
LABEL = "dicom_pixels"
#: What pydicom shows when dicom-pixels cannot handle a transfer syntax (UID -> requirements).
DECODER_DEPENDENCIES: dict[str, tuple[str, ...]] = {}
ENCODER_DEPENDENCIES: dict[str, tuple[str, ...]] = {}

#: pydicom encoding options passed on to dicom-pixels' encoders.
_ENCODING_OPTIONS = ("j2k_cr", "j2k_psnr", "jls_error", "quality", "use_mct")
_installed: list[tuple[str, str]] = []


def is_available(uid: str) -> bool:
    """``True`` when dicom-pixels can decode or encode *uid* with installed plugins.

    >>> is_available("1.2.840.10008.1.2.5")
    True
    """
    try:
        return get_decoder(uid).is_available or get_encoder(uid).is_available
    except UnsupportedTransferSyntaxError:
        return False


def _description(runner: Any) -> dict[str, Any]:
    return {
        "rows": runner.rows,
        "columns": runner.columns,
        "samples_per_pixel": runner.samples_per_pixel,
        "bits_allocated": runner.bits_allocated,
        "bits_stored": runner.bits_stored,
        "pixel_representation": runner.pixel_representation,
        "photometric_interpretation": str(runner.photometric_interpretation),
        "transfer_syntax_uid": str(runner.transfer_syntax),
    }


def decode_frame(src: bytes, runner: Any) -> bytes:
    """pydicom decoding plugin: decode one encoded frame through dicom-pixels.

    The pixels are returned as the codec produced them (no colour conversion, no
    sign correction) in planar configuration 0; the Photometric Interpretation and
    Bits Allocated of what is returned are reported to *runner*.
    """
    description = _description(runner)
    data, meta = get_decoder(description["transfer_syntax_uid"]).as_buffer([bytes(src)], **description)
    if runner.samples_per_pixel > 1:
        runner.set_option("planar_configuration", int(meta.get("planar_configuration", 0)))
    if meta.get("photometric_interpretation") not in (None, description["photometric_interpretation"]):
        runner.set_option("photometric_interpretation", meta["photometric_interpretation"])
    if meta.get("bits_allocated") not in (None, description["bits_allocated"]):
        runner.set_option("bits_allocated", int(meta["bits_allocated"]))
    return data


def encode_frame(src: bytes, runner: Any) -> bytes:
    """pydicom encoding plugin: encode one frame of little-endian pixels through dicom-pixels."""
    description = _description(runner)
    uid = description.pop("transfer_syntax_uid")
    kind = "i" if runner.pixel_representation else "u"
    dtype = np.dtype(f"<{kind}{max(1, runner.bits_allocated // 8)}")
    arr = np.frombuffer(src, dtype=dtype)
    rows, columns, samples = runner.rows, runner.columns, runner.samples_per_pixel
    if samples > 1 and runner.planar_configuration == 1:
        arr = arr.reshape(samples, rows, columns).transpose(1, 2, 0)
    else:
        arr = arr.reshape((rows, columns) if samples == 1 else (rows, columns, samples))
    options = {k: runner.get_option(k) for k in _ENCODING_OPTIONS if runner.get_option(k) is not None}
    description.pop("rows")
    description.pop("columns")
    return get_encoder(uid).encode(np.ascontiguousarray(arr), **description, **options)


def install() -> list[str]:
    """Add dicom-pixels to pydicom's decoders and encoders; return the UIDs it was added to.

    Only transfer syntaxes that pydicom has a decoder/encoder for, that are
    encapsulated (pydicom reads native data itself) and that dicom-pixels can
    handle with the installed plugins are touched. Calling it twice is harmless.
    """
    from pydicom.pixels import get_decoder as pydicom_decoder
    from pydicom.pixels import get_encoder as pydicom_encoder

    added: list[str] = []
    for ts in all_transfer_syntaxes():
        if not ts.encapsulated or not ts.carries_pixels:
            continue
        for kind, factory, ours, function in (
            ("decode", pydicom_decoder, get_decoder, "decode_frame"),
            ("encode", pydicom_encoder, get_encoder, "encode_frame"),
        ):
            try:
                coder = factory(ts.uid)
            except (NotImplementedError, ValueError, KeyError):
                continue
            if not ours(ts.uid).is_available or (kind, ts.uid) in _installed:
                continue
            if LABEL in getattr(coder, "_available", {}) or LABEL in getattr(coder, "_unavailable", {}):
                continue
            coder.add_plugin(LABEL, (__name__, function))
            _installed.append((kind, ts.uid))
            added.append(ts.uid)
    return sorted(set(added))


def uninstall() -> None:
    """Remove every plugin :func:`install` added."""
    from pydicom.pixels import get_decoder as pydicom_decoder
    from pydicom.pixels import get_encoder as pydicom_encoder

    while _installed:
        kind, uid = _installed.pop()
        coder = pydicom_decoder(uid) if kind == "decode" else pydicom_encoder(uid)
        try:
            coder.remove_plugin(LABEL)
        except ValueError:
            pass
