"""A short, fixed-seed run of the fuzz harness on every CI run (the long run is ``nox -s fuzz``)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

FUZZ_DIR = Path(__file__).parent / "fuzz"
_spec = importlib.util.spec_from_file_location("fuzz_decode", FUZZ_DIR / "fuzz_decode.py")
assert _spec is not None and _spec.loader is not None
fuzz = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("fuzz_decode", fuzz)
_spec.loader.exec_module(fuzz)


def test_two_hundred_fixed_seed_mutations_give_arrays_or_typed_errors(tmp_path):
    report = fuzz.fuzz(seed=20240601, cases=200, plugins=[""], jobs=1, corpus=tmp_path)
    assert report.executions == 200
    assert not report.findings, report.summary() + "\n" + "\n".join(
        f"{key}:\n{rec['detail']}" for key, rec in report.findings.items()
    )


def test_the_same_seed_generates_the_same_recipes():
    seeds = fuzz.seed_names()[:5]
    first = fuzz.generate(7, [""], seeds)
    second = fuzz.generate(7, [""], seeds)
    assert [next(first) for _ in range(20)] == [next(second) for _ in range(20)]
