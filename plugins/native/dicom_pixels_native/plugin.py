"""Declares the native plugin's codecs to dicom-pixels (metadata only; nothing is imported).

>>> from dicom_pixels.registry import CodecRegistrar
>>> registry = CodecRegistrar("native", "dicom-pixels-native")
>>> dicom_pixels_register_codecs(registry)
>>> sorted({c.transfer_syntax_uid for c in registry.codecs if c.operation == "encode"})
['1.2.840.10008.1.2.5', '1.2.840.10008.1.2.8.1']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dicom_pixels import Capabilities, hookimpl

if TYPE_CHECKING:
    from dicom_pixels.registry import CodecRegistrar

__all__ = ["dicom_pixels_register_codecs"]

REQUIRES = ["numpy>=1.24"]

#: Transfer syntaxes whose frames are stored uncompressed (PS3.5 A.1-A.5, A.4.11).
NATIVE_SYNTAXES = [
    "ImplicitVRLittleEndian",
    "ExplicitVRLittleEndian",
    "DeflatedExplicitVRLittleEndian",
    "ExplicitVRBigEndian",
    "EncapsulatedUncompressedExplicitVRLittleEndian",
]

#: PS3.5 G.2 / G.5: one segment per byte of each sample, at most 15 segments, so
#: 1 sample up to 64 bits or 3 samples up to 32 bits (the decoder checks the count).
RLE_CAPABILITIES = Capabilities(
    bits_allocated=frozenset({8, 16, 32, 64}),
    samples_per_pixel=frozenset({1, 3}),
)


@hookimpl
def dicom_pixels_register_codecs(registry: CodecRegistrar) -> None:
    """Register the native, RLE Lossless and Deflated Image Frame codecs."""
    registry.describe("Uncompressed, RLE Lossless and Deflated Image Frame codecs in NumPy + zlib")

    # Native frames: a NumPy view and one copy into the output. Nothing is faster for
    # uncompressed data, so these are tried first (priority 10). NumPy copies and
    # byte swaps hold the GIL, so frames gain nothing from threads: releases_gil=False.
    registry.add_decoder(
        NATIVE_SYNTAXES,
        "dicom_pixels_native.native:decode_native",
        requires=REQUIRES,
        supports=Capabilities(bits_allocated=frozenset({1, 8, 16, 32, 64})),
        releases_gil=False,
        priority=10,
        # decode_native returns the frame as stored: the core may copy it in place.
        reads_stored_frames=True,
    )

    # RLE: PackBits runs are walked in a Python loop, which holds the GIL. Compiled
    # backends (pylibjpeg-rle, gdcm, imagecodecs) are several times faster, so they
    # come first and this is the always-available fallback (priority 60).
    for add, function in ((registry.add_decoder, "decode_rle"), (registry.add_encoder, "encode_rle")):
        add("RLELossless", f"dicom_pixels_native.rle:{function}", requires=REQUIRES,
            supports=RLE_CAPABILITIES, releases_gil=False, priority=60)

    # Deflate: zlib releases the GIL while it inflates or deflates large buffers
    # (CPython's zlib module does so for inputs above a few kilobytes), which is where
    # the time goes, so frames can be decoded in parallel threads: releases_gil=True.
    # No compiled plugin does better than zlib itself, so it is tried first.
    any_container = Capabilities(bits_allocated=frozenset({1, 8, 16, 32, 64}))
    for add, function in ((registry.add_decoder, "decode_deflate"), (registry.add_encoder, "encode_deflate")):
        add("DeflatedImageFrameCompression", f"dicom_pixels_native.deflate:{function}",
            requires=REQUIRES, supports=any_container, releases_gil=True, priority=10)
