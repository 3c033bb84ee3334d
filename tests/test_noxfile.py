"""The noxfile finds every supported Python that pyenv installed (``pyenv_bin_dirs``)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

pytest.importorskip("nox", reason="the noxfile imports nox (dev dependency group)")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def noxfile():
    """The noxfile as a module, loaded once (nox registers each session once); importing
    it prepends to PATH, which is restored after."""
    path = os.environ.get("PATH", "")
    spec = importlib.util.spec_from_file_location("dicom_pixels_noxfile", ROOT / "noxfile.py")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    finally:
        os.environ["PATH"] = path
    return module


def make_python(versions: Path, name: str, minor: str) -> Path:
    folder = versions / name / "bin"
    folder.mkdir(parents=True)
    (folder / f"python{minor}").write_text("")
    return folder


def test_the_highest_patch_release_of_each_supported_python_is_put_first(tmp_path, noxfile):
    versions = tmp_path / "versions"
    make_python(versions, "3.12.1", "3.12")
    newest = make_python(versions, "3.12.10", "3.12")
    older = make_python(versions, "3.10.13", "3.10")
    make_python(versions, "3.9.18", "3.9")  # not supported: left out
    (versions / "3.11.7" / "bin").mkdir(parents=True)  # no interpreter in it: left out

    assert noxfile.pyenv_bin_dirs(versions, ["3.10", "3.11", "3.12", "3.13"]) == [str(older), str(newest)]
    assert noxfile.pyenv_bin_dirs(tmp_path / "missing", ["3.12"]) == []


def test_the_bench_session_runs_on_the_newest_supported_python(noxfile):
    assert sorted(noxfile.PYTHONS, key=lambda v: tuple(map(int, v.split(".")))) == noxfile.PYTHONS
    assert noxfile.bench.python == noxfile.PYTHONS[-1]
