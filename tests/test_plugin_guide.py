"""The author's guide, proven: the template built as a wheel outside the workspace,
installed with plain pip into a fresh virtual environment beside the core's and the
native plugin's wheels, passes the conformance kit, and fails it without its backend.

Third-party dependencies (NumPy, pluggy, packaging, tqdm, pytest, pydicom and what they
need) are re-packed from the development environment into the wheelhouse
(:mod:`tests.wheelhouse_support`): the test runs without a network, on a fresh machine too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import venv
from pathlib import Path

import pytest

from .wheelhouse_support import repack_installed, third_party_closure

ROOT = Path(__file__).parents[1]
TEMPLATE = ROOT / "plugins" / "_template"
THIRD_PARTY = ["numpy", "pluggy", "packaging", "tqdm", "pytest", "pydicom"]

pytestmark = pytest.mark.slow


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=600, env=env)


def _uv() -> str:
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv builds the wheels and fills the venv from its cache")
    return uv


@pytest.fixture(scope="module")
def author_venv(tmp_path_factory) -> tuple[Path, Path]:
    """A fresh venv holding the core, native and template wheels, and a copy of the
    template (the author's repository) outside the workspace."""
    uv = _uv()
    base = tmp_path_factory.mktemp("author")
    wheelhouse = base / "wheelhouse"
    project = base / "dicom-pixels-example"
    shutil.copytree(TEMPLATE, project)
    # The same template, but its backend at a version that does not exist: "backend missing".
    absent = base / "dicom-pixels-absent"
    shutil.copytree(TEMPLATE, absent)
    plugin = absent / "dicom_pixels_example" / "plugin.py"
    plugin.write_text(plugin.read_text().replace('"numpy>=1.24"', '"numpy>=999"'))
    (absent / "pyproject.toml").write_text(
        (absent / "pyproject.toml").read_text()
        .replace('name = "dicom-pixels-example"', 'name = "dicom-pixels-absent"')
        .replace('example = "dicom_pixels_example.plugin"', 'absent = "dicom_pixels_example.plugin"')
    )
    suite = absent / "tests" / "test_conformance.py"
    suite.write_text(suite.read_text().replace('plugin = "example"', 'plugin = "absent"'))
    for source in (ROOT, ROOT / "plugins" / "native", project):
        built = _run(uv, "build", "--offline", "--wheel", "--out-dir", wheelhouse, source, cwd=base)
        assert built.returncode == 0, built.stderr
    env_dir = base / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / ("Scripts" if os.name == "nt" else "bin") / "python"
    for name in third_party_closure(THIRD_PARTY):
        repack_installed(name, wheelhouse)
    filled = _run(python, "-m", "pip", "install", "--no-index", "--find-links", wheelhouse, *THIRD_PARTY, cwd=base)
    assert filled.returncode == 0, filled.stdout + filled.stderr
    installed = _run(python, "-m", "pip", "install", "--no-index", "--find-links", wheelhouse,
                     "dicom-pixels", "dicom-pixels-native", "dicom-pixels-example", cwd=base)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return python, project


def _kit(python: Path, project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "VIRTUAL_ENV"))}
    return _run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs",
                "tests/test_conformance.py", *args, cwd=project, env=env)


def test_the_template_wheel_passes_the_kit_in_a_fresh_venv(author_venv):
    python, project = author_venv
    where = _run(python, "-c", "import dicom_pixels, dicom_pixels_example; print(dicom_pixels.__file__)", cwd=project)
    assert "site-packages" in where.stdout and str(ROOT) not in where.stdout
    result = _kit(python, project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout and "failed" not in result.stdout


def test_the_template_wheel_fails_the_kit_when_its_backend_is_missing(author_venv, tmp_path):
    python, project = author_venv
    # Swap the installed plugin for the one that needs numpy>=999 (its backend, absent).
    source = project.parent / "dicom-pixels-absent"
    wheelhouse = tmp_path / "wheels"
    built = _run(_uv(), "build", "--offline", "--wheel", "--out-dir", wheelhouse, source, cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    _run(python, "-m", "pip", "uninstall", "-y", "dicom-pixels-example", cwd=tmp_path)
    swap = _run(python, "-m", "pip", "install", "--no-index", "--no-deps", "--find-links", wheelhouse,
                "dicom-pixels-absent", cwd=tmp_path)
    assert swap.returncode == 0, swap.stderr
    # Run from the absent copy's checkout: a flat layout imports its own source first.
    result = _kit(python, source)
    assert result.returncode == 1, result.stdout
    assert "numpy>=999" in result.stdout and "failed" in result.stdout
    allowed = _kit(python, source, "--dicom-pixels-allow-missing")
    assert allowed.returncode == 0, allowed.stdout
    assert "backend absent, allowed by --dicom-pixels-allow-missing" in allowed.stdout
