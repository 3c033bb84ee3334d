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


def test_a_worker_out_of_memory_before_decoding_is_replaced_and_the_case_run_again(tmp_path):
    # The stand-in worker answers "retry" (a MemoryError while building the input) the first
    # time it is started, and "ok" once started again.
    marker = tmp_path / "started-once"
    script = (
        "import sys, json, pathlib\n"
        f"marker = pathlib.Path({str(marker)!r})\n"
        "first = not marker.exists(); marker.touch()\n"
        "print(json.dumps({'ready': True}), flush=True)\n"
        "for line in sys.stdin:\n"
        "    print(json.dumps({'outcome': 'retry' if first else 'ok', 'growth': 0}), flush=True)\n"
    )
    worker = fuzz.Worker([sys.executable, "-c", script])
    try:
        assert worker.run({"seed": "x"}) == {"outcome": "ok"}
    finally:
        worker.close()
    assert worker.recycled == 1


def test_a_worker_whose_memory_has_grown_is_replaced_after_its_case(tmp_path):
    starts = tmp_path / "starts"
    script = (
        "import sys, json, pathlib\n"
        f"starts = pathlib.Path({str(starts)!r})\n"
        "with starts.open('a') as f: f.write('x')\n"
        "print(json.dumps({'ready': True}), flush=True)\n"
        f"growth = {fuzz.WORKER_RECYCLE_GROWTH + 1}\n"
        "for line in sys.stdin:\n"
        "    print(json.dumps({'outcome': 'error', 'growth': growth}), flush=True)\n"
    )
    worker = fuzz.Worker([sys.executable, "-c", script])
    try:
        assert [worker.run({"seed": "x"}) for _ in range(3)] == [{"outcome": "error"}] * 3
    finally:
        worker.close()
    assert worker.recycled == 3 and starts.read_text() == "xxx"
