"""Skip the package's doctests when Pillow is not installed (they call it)."""

from __future__ import annotations

import importlib.util

collect_ignore_glob = [] if importlib.util.find_spec("PIL") else ["dicom_pixels_pillow/decode.py"]
