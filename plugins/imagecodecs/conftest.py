"""Skip the package's doctests when imagecodecs is not installed (they call it)."""

from __future__ import annotations

import importlib.util

collect_ignore_glob = (
    [] if importlib.util.find_spec("imagecodecs") else ["dicom_pixels_imagecodecs/decode.py"]
)
