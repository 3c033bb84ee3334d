"""A short, fixed-seed run of the fuzz harness on every CI run (the long run is ``nox -s fuzz``)."""

from __future__ import annotations

import contextlib
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


@contextlib.contextmanager
def stand_in_worker(*lines: str):
    """A :class:`fuzz.Worker` running a stand-in script: it says it is ready, then runs
    *lines* (``sys``, ``json`` and ``pathlib`` imported)."""
    script = "\n".join(["import sys, json, pathlib", "print(json.dumps({'ready': True}), flush=True)", *lines])
    worker = fuzz.Worker([sys.executable, "-c", script + "\n"])
    try:
        yield worker
    finally:
        worker.close()


def test_a_dying_worker_is_a_finding_with_the_end_of_its_stderr():
    # Noisy on the first case, then dies on the second one with a message; only the dying
    # case's stderr is reported.
    with stand_in_worker(
        "sys.stdin.readline(); sys.stderr.write('noise from the first case\\n'); sys.stderr.flush()",
        "print(json.dumps({'outcome': 'ok'}), flush=True)",
        "sys.stdin.readline(); sys.stderr.write('the last words\\n'); sys.exit(3)",
    ) as worker:
        assert worker.run({"seed": "x"}) == {"outcome": "ok"}
        result = worker.run({"seed": "y"})
    assert result["key"] == "Crash-exit 3"
    assert "the last words" in result["detail"]
    assert "noise from the first case" not in result["detail"]


def test_a_worker_out_of_memory_before_decoding_is_replaced_and_the_case_run_again(tmp_path):
    # Answers "retry" (a MemoryError while building the input) the first time it is
    # started, and "ok" once started again.
    marker = tmp_path / "started-once"
    with stand_in_worker(
        f"marker = pathlib.Path({str(marker)!r})",
        "first = not marker.exists(); marker.touch()",
        "for line in sys.stdin:",
        "    print(json.dumps({'outcome': 'retry' if first else 'ok', 'growth': 0}), flush=True)",
    ) as worker:
        assert worker.run({"seed": "x"}) == {"outcome": "ok"}
    assert worker.recycled == 1


def test_a_worker_whose_memory_has_grown_is_replaced_after_its_case(tmp_path):
    starts = tmp_path / "starts"
    with stand_in_worker(
        f"starts = pathlib.Path({str(starts)!r})",
        "with starts.open('a') as f: f.write('x')",
        f"growth = {fuzz.WORKER_RECYCLE_GROWTH + 1}",
        "for line in sys.stdin:",
        "    print(json.dumps({'outcome': 'error', 'growth': growth}), flush=True)",
    ) as worker:
        assert [worker.run({"seed": "x"}) for _ in range(3)] == [{"outcome": "error"}] * 3
    assert worker.recycled == 3 and starts.read_text() == "xxx"


def test_structure_aware_recipes_are_reproducible_and_build_files_the_reader_accepts():
    first = fuzz.generate(3, [""], fuzz.seed_names()[:2], structured=1.0, kinds=["jpeg_size", "rle_literals"])
    second = fuzz.generate(3, [""], fuzz.seed_names()[:2], structured=1.0, kinds=["jpeg_size", "rle_literals"])
    recipes = [next(first) for _ in range(8)]
    assert recipes == [next(second) for _ in range(8)]
    assert {r["seed"] for r in recipes} <= {"generated:jpeg_size", "generated:rle_literals"}
    assert all(r["ceilings"] == "real" for r in recipes)
    from dicom_pixels.reader import read_dicom

    for recipe in recipes:
        with read_dicom(fuzz.recipe_bytes(recipe)) as dicom:
            assert dicom.pixel is not None, recipe


def test_a_structure_aware_case_runs_under_the_shipped_output_ceiling():
    # The worker lowers MAX_OUTPUT_BYTES for mutated seeds; generated cases get it back.
    import dicom_pixels.decoder as decoder

    shipped = decoder.MAX_OUTPUT_BYTES
    fuzz._SHIPPED_MAX_OUTPUT_BYTES[:] = [shipped]
    decoder.MAX_OUTPUT_BYTES = 1000
    try:
        recipe = {"seed": "generated:jpeg_size", "mutations": [], "index": 0, "plugin": "", "ceilings": "real",
                  "params": {"width": 64, "height": 64, "progressive": False, "scan_fraction": 1.0, "eoi": True}}
        assert fuzz.run_recipe(recipe) == {"outcome": "ok"}
        assert fuzz.run_recipe(dict(recipe, ceilings="lowered"))["outcome"] == "error"
        assert decoder.MAX_OUTPUT_BYTES == 1000
    finally:
        decoder.MAX_OUTPUT_BYTES = shipped
        fuzz._SHIPPED_MAX_OUTPUT_BYTES.clear()
