"""Repository-wide pytest set-up (applies to tests/, plugins/, core/ doctests and docs/).

Docstring and user-guide examples that import an optional library (Pillow for
ICC profiles, imagecodecs, pydicom, matplotlib, ...) are skipped, with the
reason, when that library is not installed: the tox ``core`` environment runs
the core's doctests with nothing but the native plugin.
"""

from __future__ import annotations

import importlib.util
import re

import pytest

_IMPORT = re.compile(r"^\s*(?:from\s+([A-Za-z_][\w]*)[\w.]*\s+import\b|import\s+([A-Za-z_][\w., ]*))")


def _imported_modules(source: str) -> set[str]:
    """Top-level package names that one doctest example's source imports."""
    found: set[str] = set()
    for line in source.splitlines():
        match = _IMPORT.match(line)
        if not match:
            continue
        if match.group(1):
            found.add(match.group(1))
        else:
            for part in match.group(2).split(","):
                name = part.strip().split(" ")[0].split(".")[0]
                if name:
                    found.add(name)
    return found


def _missing(modules: set[str]) -> list[str]:
    missing = []
    for name in sorted(modules):
        try:
            if importlib.util.find_spec(name) is None:
                missing.append(name)
        except (ImportError, ValueError):
            missing.append(name)
    return missing


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip doctests whose examples import a library that is not installed."""
    for item in items:
        dtest = getattr(item, "dtest", None)
        if dtest is None:
            continue
        modules: set[str] = set()
        for example in dtest.examples:
            modules |= _imported_modules(example.source)
        missing = _missing(modules)
        if missing:
            item.add_marker(pytest.mark.skip(reason=f"the example needs {', '.join(missing)}, not installed"))
