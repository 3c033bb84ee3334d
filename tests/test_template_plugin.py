"""plugins/_template, the skeleton a plugin author copies, works as it stands.

It is installed here the way pip would install it (its package plus a .dist-info
with the entry point from its pyproject.toml), discovered through the entry
point, and used with ``decoding_plugin="example"``; its own test then runs.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

import dicom_pixels as dp

TEMPLATE = Path(__file__).parents[1] / "plugins" / "_template"


def _entry_points(pyproject: str) -> dict[str, str]:
    """The ``[project.entry-points.dicom_pixels]`` table (no TOML parser on Python 3.10)."""
    block = re.search(r"^\[project\.entry-points\.dicom_pixels\]\n(.*?)(?:^\[|\Z)", pyproject, re.M | re.S)
    assert block, "the template declares no dicom_pixels entry point"
    return dict(re.findall(r'^(\w[\w-]*)\s*=\s*"([^"]+)"', block.group(1), re.M))


@pytest.fixture
def installed_template(tmp_path, monkeypatch, fresh_registry):
    pyproject = (TEMPLATE / "pyproject.toml").read_text()
    name = re.search(r'^name = "([^"]+)"', pyproject, re.M).group(1)
    shutil.copytree(TEMPLATE / "dicom_pixels_example", tmp_path / "dicom_pixels_example")
    info = tmp_path / f"{name.replace('-', '_')}-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1.0\n")
    lines = "".join(f"{k} = {v}\n" for k, v in _entry_points(pyproject).items())
    (info / "entry_points.txt").write_text("[dicom_pixels]\n" + lines)
    monkeypatch.syspath_prepend(str(tmp_path))
    fresh_registry.reload()
    yield fresh_registry
    for module in [m for m in sys.modules if m.startswith("dicom_pixels_example")]:
        del sys.modules[module]


def test_the_template_is_discovered_through_its_entry_point(installed_template):
    info = {p.name: p for p in dp.plugins()}["example"]
    assert info.is_available and info.version == "0.1.0"
    assert "example" in dp.get_decoder("ExplicitVRLittleEndian").available_plugins


def test_the_template_decodes_like_the_native_plugin(installed_template):
    pydicom = pytest.importorskip("pydicom", reason="pydicom's files are the inputs")
    from pydicom.data import get_testdata_file

    compared = 0
    for name in ("CT_small.dcm", "MR_small.dcm", "rtdose_1frame.dcm"):
        path = get_testdata_file(name)
        if str(pydicom.dcmread(path).file_meta.TransferSyntaxUID) != "1.2.840.10008.1.2.1":
            continue
        try:
            ours = dp.pixel_array(path, decoding_plugin="example")
        except dp.errors.NoPluginError:
            continue  # outside the template's declared capabilities (e.g. 32-bit)
        np.testing.assert_array_equal(ours, dp.pixel_array(path, decoding_plugin="native"), err_msg=name)
        compared += 1
    assert compared >= 2


def test_the_templates_own_test_passes(installed_template):
    spec = importlib.util.spec_from_file_location("template_test", TEMPLATE / "tests" / "test_example.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    tests = [getattr(module, n) for n in dir(module) if n.startswith("test_")]
    assert tests
    for test in tests:
        test()
