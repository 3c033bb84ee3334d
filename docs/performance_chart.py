"""The chart of docs/performance.md, drawn from the page's own results table at build time
(``.. plot:: performance_chart.py``, which runs this file as ``__main__``): each
workload's time with dicom-pixels and with pydicom, and the speed-up."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

PAGE = Path(__file__).with_name("performance.md") if "__file__" in globals() else Path("performance.md")


def results(page: Path = PAGE) -> list[dict[str, object]]:
    """The rows of the first table under "## Results": workload, both times and the speed-up.

    A time printed as ``< 0.001`` is kept as 0.001 (an upper bound).
    """
    text = page.read_text(encoding="utf-8").split("## Results", 1)[1]
    lines = [line for line in text.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    rows = []
    for line in lines[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) != len(header):
            break  # the end of the first table
        row = dict(zip(header, cells))

        def seconds(cell: str) -> float:
            return float(re.search(r"[\d.]+", cell).group())  # type: ignore[union-attr]

        rows.append({
            "workload": row["workload"].split(":")[0],
            "dicom-pixels": seconds(row["dicom-pixels (plugin)"]),
            "pydicom": seconds(row["pydicom (best plugin)"]),
            "speed-up": float(row["speed vs pydicom"].rstrip("x")),
        })
    return rows


def draw(rows: list[dict[str, object]]) -> Any:
    """The figure: times (log scale) beside speed-ups, one row per workload."""
    import matplotlib.pyplot as plt  # only for drawing: results() needs no matplotlib

    names = [str(r["workload"]) for r in rows][::-1]
    positions = range(len(names))
    fig, (times, speed) = plt.subplots(1, 2, figsize=(10, 0.45 * len(names) + 1.4), sharey=True)
    height = 0.4
    times.barh([p + height / 2 for p in positions], [r["dicom-pixels"] for r in rows][::-1], height,
               label="dicom-pixels")
    times.barh([p - height / 2 for p in positions], [r["pydicom"] for r in rows][::-1], height,
               label="pydicom 3 (best plugin)")
    times.set_xscale("log")
    times.set_xlabel("seconds (log scale, shorter is faster)")
    times.set_yticks(list(positions), names)
    times.legend(loc="lower right")
    ratios = [float(r["speed-up"]) for r in rows][::-1]  # type: ignore[arg-type]
    speed.barh(list(positions), ratios, 0.6, color="tab:green")
    speed.axvline(1.0, color="black", linewidth=0.8)
    for position, ratio in zip(positions, ratios):
        speed.text(ratio, position, f" {ratio:.1f}x", va="center")
    speed.set_xlabel("speed vs pydicom (times faster)")
    speed.set_xlim(0, max(ratios) * 1.2)
    return fig


if __name__ == "__main__":
    draw(results())
