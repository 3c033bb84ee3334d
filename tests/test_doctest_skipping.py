"""The repository conftest skips doctests whose examples import a library that is not installed."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("_root_conftest", Path(__file__).parents[1] / "conftest.py")
assert _spec is not None and _spec.loader is not None
root_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(root_conftest)


def test_imports_of_every_form_are_found():
    source = "import os, numpy as np\nfrom PIL import ImageCms\nfrom pydicom.data import x\nimport a.b.c\nprint(1)"
    assert root_conftest._imported_modules(source) == {"os", "numpy", "PIL", "pydicom", "a"}


def test_only_uninstalled_modules_are_missing():
    assert root_conftest._missing({"os", "numpy", "no_such_module_for_sure"}) == ["no_such_module_for_sure"]
