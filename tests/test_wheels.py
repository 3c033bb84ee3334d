"""The distributions as a user installs them: wheels built from this checkout, one fresh
virtual environment, plain pip, no network.

``nox -s wheels`` does the same for every distribution and every extra with PyPI for
third-party packages; this fast version builds the core, the native plugin and the
Pillow plugin, and takes the third-party wheels from the distributions installed in
the development environment (re-packed file by file from their RECORD), so it runs
offline.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

import dicom_pixels as dp
from dicom_pixels.errors import NoPluginError

from .wheelhouse_support import repack_installed, third_party_closure

ROOT = Path(__file__).resolve().parents[1]
BUILT = {"dicom-pixels": ROOT, "dicom-pixels-native": ROOT / "plugins/native",
         "dicom-pixels-pillow": ROOT / "plugins/pillow"}

pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="the fresh environment's layout (bin/) is the POSIX one"
)
pytest.importorskip("hatchling", reason="builds the wheels (development dependency group)")


def build(project: Path, target: str, wheelhouse: Path) -> None:
    subprocess.run([sys.executable, "-m", "hatchling", "build", "-t", target, "-d", str(wheelhouse)],
                   cwd=project, check=True, capture_output=True)


@pytest.fixture(scope="module")
def fresh_install(tmp_path_factory):
    """A fresh venv with ``dicom-pixels[pillow]`` installed by plain pip from a local wheelhouse."""
    base = tmp_path_factory.mktemp("wheels")
    wheelhouse = base / "wheelhouse"
    wheelhouse.mkdir()
    for project in BUILT.values():
        build(project, "wheel", wheelhouse)
    build(ROOT, "sdist", wheelhouse)
    for name in third_party_closure(list(BUILT)):
        repack_installed(name, wheelhouse)
    env_dir = base / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    python = env_dir / "bin" / "python"
    clean_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--no-index", "--find-links", str(wheelhouse),
         "--disable-pip-version-check", "dicom-pixels[pillow]"],
        capture_output=True, text=True, env=clean_env, check=False,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    return {"python": python, "bin": env_dir / "bin", "wheelhouse": wheelhouse, "env": clean_env,
            "cwd": base}


def run_in(fresh_install, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, env=fresh_install["env"],
                          cwd=fresh_install["cwd"], check=False)


def test_the_core_pulls_in_the_native_plugin_and_pip_resolves_the_cycle(fresh_install):
    result = run_in(fresh_install, str(fresh_install["python"]), "-m", "pip", "list", "--format=json")
    installed = {canonicalize_name(d["name"]) for d in json.loads(result.stdout)}
    assert {"dicom-pixels", "dicom-pixels-native", "dicom-pixels-pillow"} <= installed
    assert not installed & {"dicom-pixels-pylibjpeg", "dicom-pixels-gdcm", "dicom-pixels-imagecodecs"}


def test_every_example_the_install_can_read_decodes_to_the_development_arrays(fresh_install):
    result = run_in(fresh_install, str(fresh_install["python"]), str(ROOT / "tests/installed_examples.py"))
    assert result.returncode == 0, result.stdout + result.stderr
    survey = json.loads(result.stdout)
    assert sorted(survey["plugins"]) == ["native", "pillow"]
    assert all(plugin["available"] for plugin in survey["plugins"].values())
    # Plain DICOM decodes whatever extra was chosen (issue 13, point 1).
    plain = {"ct", "mr", "rt_dose", "rgb_color", "rle_rgb", "palette_color", "mg"}
    assert {name for name, entry in survey["examples"].items() if entry["ok"]} >= plain
    for name, entry in survey["examples"].items():
        if not entry["ok"]:
            continue
        for plugin in ("native", "pillow"):  # the development decode, by a plugin the fresh install has
            try:
                arr = dp.pixel_array(dp.examples.get_path(name), decoding_plugin=plugin)
            except NoPluginError:
                continue
            break
        assert entry["shape"] == list(arr.shape), name
        assert entry["sha256"] == hashlib.sha256(arr.tobytes()).hexdigest(), name


def test_the_console_script_and_python_dash_m_work_in_the_fresh_install(fresh_install, tmp_path):
    plugins = run_in(fresh_install, str(fresh_install["bin"] / "dicom-pixels"), "plugins")
    assert plugins.returncode == 0, plugins.stderr
    assert "native" in plugins.stdout and "pillow" in plugins.stdout
    out = tmp_path / "ct.png"
    decode = run_in(fresh_install, str(fresh_install["python"]), "-m", "dicom_pixels", "decode", "ct",
                    "-o", str(out))
    assert decode.returncode == 0, decode.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_core_wheel_ships_py_typed_and_its_licence(fresh_install):
    wheel = next(fresh_install["wheelhouse"].glob("dicom_pixels-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "dicom_pixels/py.typed" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert not any(n.startswith("dicom_pixels_") for n in names)  # no plugin code in the core


def test_the_core_sdist_contains_only_the_core(fresh_install):
    sdist = next(fresh_install["wheelhouse"].glob("dicom_pixels-*.tar.gz"))
    with tarfile.open(sdist) as archive:
        names = [n.split("/", 1)[1] for n in archive.getnames() if "/" in n]
    outside = {n for n in names if not n.startswith("core/dicom_pixels/")}
    assert outside <= {"LICENSE", "README.md", "pyproject.toml", "PKG-INFO", ".gitignore"}, outside
    assert "core/dicom_pixels/api.py" in names


def test_twine_accepts_every_built_distribution(fresh_install):
    pytest.importorskip("twine", reason="development dependency group")
    files = sorted(str(p) for p in fresh_install["wheelhouse"].glob("dicom_pixels*"))
    result = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", *files],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("PASSED") == len(files) == 4
