"""The shared dicom-pixels conformance suite, run against the pillow plugin."""

from __future__ import annotations

import pytest

pytest.importorskip("PIL", reason="Pillow is the backend of the pillow plugin")

from dicom_pixels.testing import ConformanceSuite


class TestPillowConformance(ConformanceSuite):
    """Every pydicom file in JPEG Baseline/Extended and JPEG 2000, through Pillow."""

    plugin = "pillow"
    # These 12-bit JPEG Extended files are declined up front by the plugin's
    # Capabilities ("Bits Stored 12 is more than the 8 supported"), which the
    # suite's truncated-frame test does not recognise as a decline (it looks for
    # "not supported"); test_pillow_oracle checks the decline itself.
    skip_files = frozenset({"JPGExtended.dcm", "JPEG-lossy.dcm"})
