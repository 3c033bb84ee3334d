"""The shared dicom-pixels conformance suite, run against the imagecodecs plugin."""

from __future__ import annotations

import pytest

pytest.importorskip("imagecodecs", reason="imagecodecs is the backend of the imagecodecs plugin")

from dicom_pixels.testing import ConformanceSuite


class TestImagecodecsConformance(ConformanceSuite):
    """Every pydicom file in the plugin's transfer syntaxes, through imagecodecs.

    The suite's lossy tolerance (2) is above what the README measures against
    pydicom's default plugin for lossy files (0 against GDCM/Pillow; pylibjpeg's
    libjpeg differs by up to 3 after YBR->RGB and is checked per plugin in
    test_imagecodecs_oracle).
    """

    plugin = "imagecodecs"
