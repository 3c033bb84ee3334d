"""Declares this plugin's codecs to dicom-pixels (metadata only, no backend import)."""

from __future__ import annotations

from dicom_pixels.plugin import Capabilities, CodecRegistrar, hookimpl

#: Your backend, as PEP 508 strings: checked against installed metadata, never imported here.
REQUIRES = ["numpy>=1.24"]


@hookimpl
def dicom_pixels_register_codecs(registry: CodecRegistrar) -> None:
    registry.describe("Example: Explicit VR Little Endian through NumPy")
    registry.add_decoder(
        "ExplicitVRLittleEndian",
        "dicom_pixels_example.decode:decode_frame",
        requires=REQUIRES,
        supports=Capabilities(bits_allocated=frozenset({8, 16}), samples_per_pixel=frozenset({1})),
        releases_gil=False,
        priority=90,  # lower is tried first: built-ins use 10-70; a fallback plugin 80-99
    )
