"""Replay every saved fuzz finding (tests/fuzz/corpus/*.json): each must now decode or fail typed.

A recipe is a seed file plus byte-level mutations, or a structure-aware generator and
its parameters (``generated:<kind>``; the ``attack-*`` recipes rebuild each attack class
of issue 15), regenerated here (see tests/fuzz/fuzz_decode.py). Recipes run in one worker subprocess, under the harness's time
limit and memory ceiling, so that a regression to a segfault or an abort fails the
test instead of killing pytest.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

FUZZ_DIR = Path(__file__).parent / "fuzz"
RECIPES = sorted((FUZZ_DIR / "corpus").glob("*.json"))

_spec = importlib.util.spec_from_file_location("fuzz_decode", FUZZ_DIR / "fuzz_decode.py")
assert _spec is not None and _spec.loader is not None
fuzz = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("fuzz_decode", fuzz)
_spec.loader.exec_module(fuzz)


@pytest.fixture(scope="module")
def worker():
    worker = fuzz.Worker()
    yield worker
    worker.close()


#: What a recipe holds besides the case itself.
_NOTES = ("found", "detail", "attack", "pending")


def _replay(path: Path):
    """A recipe as a test parameter; one whose fix belongs to another part of issue 15
    (``pending`` says which) is expected to fail until that part is merged."""
    pending = json.loads(path.read_text()).get("pending")
    marks = [pytest.mark.xfail(reason=pending, strict=False)] if pending else []
    return pytest.param(path, id=path.stem, marks=marks)


@pytest.mark.parametrize("path", [_replay(p) for p in RECIPES])
def test_saved_finding_now_decodes_or_raises_a_dicom_pixels_error(path: Path, worker):
    recipe = json.loads(path.read_text())
    result = worker.run({k: v for k, v in recipe.items() if k not in _NOTES})
    assert result["outcome"] in ("ok", "error"), f"{path.name}: {result}"


def test_every_saved_recipe_names_its_seed_and_mutations():
    for path in RECIPES:
        recipe = json.loads(path.read_text())
        kind, _, name = recipe["seed"].partition(":")
        if kind == "generated":
            assert name in fuzz.GENERATORS and isinstance(recipe["params"], dict), path.name
        else:
            assert recipe["seed"] in fuzz.seed_names(), path.name
        assert all(m["ops"] for m in recipe["mutations"]), path.name


def test_every_attack_class_of_issue_15_that_decoding_meets_has_a_regression_recipe():
    kinds = {json.loads(p.read_text())["seed"] for p in RECIPES if p.stem.startswith("attack-")}
    assert kinds == {f"generated:{name}" for name in fuzz.GENERATORS}
