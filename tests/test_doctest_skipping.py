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


def test_a_plugin_module_importing_a_missing_backend_at_the_top_is_not_collected(tmp_path):
    module = tmp_path / "plugins" / "example" / "dicom_pixels_example" / "codec.py"
    module.parent.mkdir(parents=True)
    module.write_text(
        "import numpy\nfrom no_such_backend_for_sure.utils import decode\n"
        "try:\n    import also_missing_but_guarded\nexcept ImportError:\n    pass\n"
    )
    assert root_conftest._top_level_imports(module) == {"numpy", "no_such_backend_for_sure"}
    assert root_conftest.pytest_ignore_collect(module, None) is True
    installed = module.with_name("fine.py")
    installed.write_text("import numpy\n")
    assert root_conftest.pytest_ignore_collect(installed, None) is None
    test_file = tmp_path / "plugins" / "example" / "tests" / "test_x.py"
    test_file.parent.mkdir()
    test_file.write_text("import no_such_backend_for_sure\n")  # tests skip themselves
    assert root_conftest.pytest_ignore_collect(test_file, None) is None
