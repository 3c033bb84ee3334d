"""The shared dicom-pixels conformance suite, run against the pyav plugin (its video section)."""

import pytest

pytest.importorskip("av", reason="PyAV is the pyav plugin's backend: pip install 'dicom-pixels[pyav-gpl]'")

from dicom_pixels.testing import ConformanceSuite


class TestPyavConformance(ConformanceSuite):
    plugin = "pyav"
