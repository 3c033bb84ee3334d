"""Sphinx configuration for dicom-pixels."""

from __future__ import annotations

from pathlib import Path

import dicom_pixels

project = "dicom-pixels"
copyright = "dicom-pixels developers, MIT licence"
release = dicom_pixels.__version__
extensions = [
    "sphinx.ext.autodoc", "sphinx.ext.doctest", "sphinx.ext.intersphinx", "sphinx.ext.napoleon",
    "myst_parser",  # docs/performance.md: Markdown, so the bench's --markdown table pastes in as is
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
intersphinx_mapping = {}
exclude_patterns = ["_build", "_generated"]
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
from dicom_pixels.series import *
"""


# -- the support table (transfer syntax x plugin), generated from the registry at build time ------

_GENERATED = Path(__file__).parent / "_generated"
NOTHING = "\\-"  # an escaped dash: a bare "-" in a list-table cell would start a bullet list


def _support_table() -> str:
    """An RST list-table of every transfer syntax some installed plugin handles."""
    from dicom_pixels.uid import lookup

    plugins = [p.name for p in dicom_pixels.plugins()]
    cells: dict[str, dict[str, set[str]]] = {}
    for info in dicom_pixels.plugins():
        for codec in info.codecs:
            cells.setdefault(codec.transfer_syntax_uid, {}).setdefault(info.name, set()).add(codec.operation)
    lines = [
        ".. list-table::",
        "   :header-rows: 1",
        "",
        "   * - transfer syntax",
        "     - UID",
        *[f"     - {name}" for name in plugins],
    ]
    for uid in sorted(cells, key=lambda u: [int(x) for x in u.split(".")]):
        ts = lookup(uid)
        lines += [f"   * - {ts.name}", f"     - ``{uid}``"]
        for name in plugins:
            ops = cells[uid].get(name, set())
            order = [o for o in ("decode", "encode") if o in ops]
            lines.append(f"     - {', '.join(order) if order else NOTHING}")
    versions = ", ".join(f"{p.name} {p.version}" for p in dicom_pixels.plugins())
    return "\n".join([f"Generated from the plugins installed when these pages were built ({versions}).", "", *lines, ""])


def _write_support_table(app: object) -> None:
    _GENERATED.mkdir(exist_ok=True)
    (_GENERATED / "support_table.rst").write_text(_support_table())


def setup(app: object) -> None:
    app.connect("builder-inited", _write_support_table)  # type: ignore[attr-defined]
