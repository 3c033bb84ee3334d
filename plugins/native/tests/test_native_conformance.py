"""The shared dicom-pixels conformance suite, run against the native plugin (RLE, deflate)."""

from dicom_pixels.testing import ConformanceSuite


class TestNativeConformance(ConformanceSuite):
    plugin = "native"
