"""Declares this plugin's codecs to dicom-pixels (metadata only, no backend import)."""

from __future__ import annotations

from dicom_pixels import Capabilities, hookimpl


@hookimpl
def dicom_pixels_register_codecs(registry):
    registry.describe("Example: Explicit VR Little Endian through NumPy")
    registry.add_decoder(
        "ExplicitVRLittleEndian",
        "dicom_pixels_example.decode:decode_frame",
        requires=["numpy>=1.24"],  # PEP 508 strings, checked from installed metadata
        supports=Capabilities(bits_allocated=frozenset({8, 16}), samples_per_pixel=frozenset({1})),
        releases_gil=False,
        priority=90,  # lower is tried first; built-in native uses 10
    )
