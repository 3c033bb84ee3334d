"""The shared dicom-pixels conformance kit, run against the pyjpegls plugin."""

from dicom_pixels.testing import ConformanceSuite


class TestPyjpeglsConformance(ConformanceSuite):
    plugin = "pyjpegls"
