"""Sphinx configuration for dicom-pixels."""

from __future__ import annotations

import dicom_pixels

project = "dicom-pixels"
copyright = "dicom-pixels developers, MIT licence"
release = dicom_pixels.__version__
extensions = ["sphinx.ext.autodoc", "sphinx.ext.doctest", "sphinx.ext.intersphinx", "sphinx.ext.napoleon"]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
intersphinx_mapping = {}
exclude_patterns = ["_build"]
html_theme = "alabaster"
nitpicky = False
