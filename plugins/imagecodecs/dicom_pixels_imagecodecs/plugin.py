"""Codec declarations (filled in by the plugin implementation)."""

from dicom_pixels import hookimpl


@hookimpl
def dicom_pixels_register_codecs(registry):
    registry.describe("not implemented yet")
