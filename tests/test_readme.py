"""The README as a user reads it: its support table matches the registry, and the "Use it"
snippets run as written on the bundled examples."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
import shlex
from pathlib import Path

import numpy as np
import pytest

import dicom_pixels as dp
from dicom_pixels.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
WORKSPACE_PLUGINS = sorted(p.name for p in (ROOT / "plugins").iterdir()
                           if (p / "pyproject.toml").is_file() and not p.name.startswith("_"))


def docs_conf():
    spec = importlib.util.spec_from_file_location("docs_conf_for_readme", ROOT / "docs" / "conf.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def section(title: str) -> str:
    start = README.index(f"## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end > 0 else None]


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def test_the_support_table_is_the_one_the_registry_gives():
    if sorted(p.name for p in dp.plugins()) != WORKSPACE_PLUGINS:
        pytest.skip("not every plugin of the workspace is installed here (a tox environment)")
    conf = docs_conf()
    assert conf.readme_with_support_table(README) == README, (
        "the README's support table is out of date: run `python docs/conf.py`"
    )
    table = README.split(conf.README_TABLE_START)[1].split(conf.README_TABLE_END)[0]
    header = table.strip().splitlines()[0]
    assert all(f"`{name}`" in header for name in WORKSPACE_PLUGINS)
    assert "| RLE Lossless |" in table and "| Explicit VR Little Endian | " in table


def test_the_python_snippets_of_use_it_run_as_written(tmp_path, monkeypatch):
    pytest.importorskip("pydicom")  # the snippet shows that a pydicom Dataset works too
    monkeypatch.chdir(tmp_path)
    snippets = blocks(section("Use it"), "python")
    assert len(snippets) == 2
    for code in snippets:
        printed = io.StringIO()
        namespace: dict = {}
        with contextlib.redirect_stdout(printed):
            exec(compile(code, "README.md", "exec"), namespace)
        assert printed.getvalue(), code
    assert "There is no frame 8 in" in printed.getvalue()


def test_the_first_snippet_gives_what_its_comments_say(tmp_path, monkeypatch):
    pytest.importorskip("pydicom")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        exec(compile(blocks(section("Use it"), "python")[0], "README.md", "exec"), namespace)
    assert printed.getvalue().count("(10, 10)") == 8  # one line per frame of rt_dose
    assert namespace["frame"].shape == (10, 10)
    assert namespace["meta"]["photometric_interpretation"] == "RGB"
    np.testing.assert_array_equal(namespace["arr"], dp.pixel_array(dp.examples.ct))


def test_the_command_lines_of_use_it_run_as_written(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    commands = [line.split("#")[0].strip() for block in blocks(section("Use it"), "bash")
                for line in block.splitlines() if line.startswith("dicom-pixels ")]
    assert len(commands) >= 5
    for command in commands:
        argv = shlex.split(command)[1:]
        assert main(argv) == 0, command
    capsys.readouterr()
    assert (tmp_path / "dose.npy").is_file() and (tmp_path / "dose_7.png").is_file()
    assert sorted(p.name for p in (tmp_path / "converted").iterdir()) == ["ct.dcm", "mr.dcm"]
