"""``python -m dicom_pixels``: the ``dicom-pixels`` command (see :mod:`dicom_pixels.cli`)."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
