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


def test_a_dying_worker_is_a_finding_with_the_end_of_its_stderr():
    # A stand-in worker: ready, noisy on the first case, then dies on the second one with
    # a message; only the dying case's stderr is reported.
    script = (
        "import sys, json\n"
        "print(json.dumps({'ready': True}), flush=True)\n"
        "sys.stdin.readline(); sys.stderr.write('noise from the first case\\n'); sys.stderr.flush()\n"
        "print(json.dumps({'outcome': 'ok'}), flush=True)\n"
        "sys.stdin.readline(); sys.stderr.write('the last words\\n'); sys.exit(3)\n"
    )
    worker = fuzz.Worker([sys.executable, "-c", script])
    try:
        assert worker.run({"seed": "x"}) == {"outcome": "ok"}
        result = worker.run({"seed": "y"})
    finally:
        worker.close()
    assert result["key"] == "Crash-exit 3"
    assert "the last words" in result["detail"]
    assert "noise from the first case" not in result["detail"]
