"""The dicom-pixels conformance kit: two lines run every check against the plugin."""

from dicom_pixels.testing import ConformanceSuite


class TestExampleConformance(ConformanceSuite):
    plugin = "example"
