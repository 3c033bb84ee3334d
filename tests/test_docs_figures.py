"""The documentation's figures are drawn at build time by the code shown beside them
(matplotlib's plot directive); this runs that same code, so a figure cannot break unseen."""

from __future__ import annotations

import re
import runpy
import textwrap
from pathlib import Path

import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

DOCS = Path(__file__).resolve().parents[1] / "docs"


def plot_blocks(page: str) -> list[str]:
    """The code of each ``.. plot::`` directive with inline content in *page*."""
    text = (DOCS / page).read_text(encoding="utf-8")
    found = re.findall(r"^\.\. plot::\n((?:\n|    .*\n)+)", text, flags=re.M)
    return [textwrap.dedent(block) for block in found]


def draw(code: str, page: str):
    plt.close("all")
    exec(compile(code, f"docs/{page}", "exec"), {"__name__": "__main__"})
    figure = plt.gcf()
    axes = [axis for axis in figure.axes if axis.images or axis.patches]
    return figure, axes


@pytest.mark.parametrize(
    ("page", "panels"),
    [("tutorial_display.rst", 4), ("tutorial_access.rst", 2), ("tutorial_series.rst", 3)],
)
def test_each_tutorial_figure_draws_every_panel(page, panels):
    if page == "tutorial_series.rst":
        pytest.importorskip("pydicom")
    blocks = plot_blocks(page)
    assert len(blocks) == 1, page
    figure, axes = draw(blocks[0], page)
    assert len(axes) == panels
    for axis in axes:
        image = axis.images[0].get_array()
        assert image.size > 0 and float(image.max()) > float(image.min()), axis.get_title()
        assert axis.get_title()
    plt.close(figure)


def test_the_display_figure_shows_colour_for_palettes_and_grey_for_the_ct():
    figure, axes = draw(plot_blocks("tutorial_display.rst")[0], "tutorial_display.rst")
    shapes = [axis.images[0].get_array().shape for axis in axes]
    assert [len(shape) for shape in shapes] == [2, 2, 3, 3]  # two windows of the CT, two RGB images
    soft, bone = (axis.images[0].get_array() for axis in axes[:2])
    assert (soft != bone).any()  # two different windows
    plt.close(figure)


def test_the_performance_chart_has_a_bar_per_workload_of_the_results_table():
    plt.close("all")
    namespace = runpy.run_path(str(DOCS / "performance_chart.py"), run_name="__main__")
    rows = namespace["results"]()
    table = (DOCS / "performance.md").read_text(encoding="utf-8").split("## Results", 1)[1]
    assert [r["workload"] for r in rows] == re.findall(r"^\| (\w+): ", table, flags=re.M)[: len(rows)]
    assert len(rows) >= 5
    times, speed = plt.gcf().axes
    assert len(times.patches) == 2 * len(rows) and len(speed.patches) == len(rows)
    assert "performance_chart.py" in (DOCS / "performance.md").read_text(encoding="utf-8")
    plt.close("all")
