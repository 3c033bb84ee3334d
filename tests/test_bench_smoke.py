"""The benchmark runs end to end at a tiny scale, so it never rots (no timing assertions)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).parent / "benchmarks" / "bench.py"
pytest.importorskip("imagecodecs", reason="the benchmark generates its JPEG workloads with imagecodecs")


def test_benchmark_prints_a_row_per_workload_at_tiny_scale(tmp_path):
    result = subprocess.run(
        [sys.executable, str(BENCH), "--scale", "0.02", "--repeat", "1", "--workdir", str(tmp_path),
         "--only", "native", "rle", "us_jpeg", "one_of_2000"],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ") and "workload" not in line]
    assert [r.split("|")[1].split()[0] for r in rows] == ["native", "rle", "us_jpeg", "one_of_2000"]
    assert "read 1.00 frames of bytes" in result.stdout
