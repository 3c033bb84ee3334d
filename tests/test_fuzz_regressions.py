"""Replay every saved fuzz finding (tests/fuzz/corpus/*.json): each must now decode or fail typed.

A recipe is a seed file plus byte-level mutations (see tests/fuzz/fuzz_decode.py),
regenerated here. Recipes run in one worker subprocess, under the harness's time
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


@pytest.mark.parametrize("path", RECIPES, ids=[p.stem for p in RECIPES])
def test_saved_finding_now_decodes_or_raises_a_dicom_pixels_error(path: Path, worker):
    recipe = json.loads(path.read_text())
    result = worker.run({k: recipe[k] for k in ("seed", "mutations", "index", "plugin")})
    assert result["outcome"] in ("ok", "error"), f"{path.name}: {result}"


def test_every_saved_recipe_names_its_seed_and_mutations():
    for path in RECIPES:
        recipe = json.loads(path.read_text())
        assert recipe["seed"] in fuzz.seed_names(), path.name
        assert all(m["ops"] for m in recipe["mutations"]), path.name
