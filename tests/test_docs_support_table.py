"""The support table in docs/plugins.rst is generated from the registry at build time."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import dicom_pixels as dp

CONF = Path(__file__).parents[1] / "docs" / "conf.py"


def _support_table() -> str:
    spec = importlib.util.spec_from_file_location("docs_conf", CONF)
    assert spec is not None and spec.loader is not None
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    return conf._support_table()


def test_every_installed_plugin_and_each_of_its_transfer_syntaxes_is_in_the_table():
    table = _support_table()
    rows = table.split("   * - ")[2:]  # after the header row
    names = [p.name for p in dp.plugins()]
    for info in dp.plugins():
        assert f"     - {info.name}" in table
        column = names.index(info.name)
        for codec in info.codecs:
            ts = dp.uid.lookup(codec.transfer_syntax_uid)
            row = next(r for r in rows if f"``{ts.uid}``" in r)
            cells = [line.strip()[2:] for line in row.splitlines()[2:]]
            assert codec.operation in cells[column], (ts.name, info.name, cells)
