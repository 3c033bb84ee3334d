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

# Docstring examples are written to run in their module's namespace (pytest
# --doctest-modules runs them so); give the Sphinx doctest builder the same names.
doctest_global_setup = """
import numpy as np
import dicom_pixels as dp
from dicom_pixels.codec import *
from dicom_pixels.decoder import *
from dicom_pixels.description import *
from dicom_pixels.registry import *
from dicom_pixels.source import *
from dicom_pixels.uid import *
from dicom_pixels.processing import *
"""
