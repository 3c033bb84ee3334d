"""Repository-wide pytest set-up (applies to tests/, plugins/, core/ doctests and docs/).

Docstring and user-guide examples that import an optional library (Pillow for
ICC profiles, imagecodecs, pydicom, matplotlib, ...) are skipped, with the
reason, when that library is not installed: the tox ``core`` environment runs
the core's doctests with nothing but the native plugin.

A plugin's codec module that imports its backend at the top (the registry loads
it only when the backend is installed, e.g. the GPL pylibjpeg-libjpeg) is not
collected for its doctests when that backend is missing; the run's summary says
which modules were left out and why.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path

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


def _top_level_imports(path: Path) -> set[str]:
    """Absolute imports in a module's top-level statements (not inside ``try``/``if``)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return set()
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


_LEFT_OUT: list[str] = []


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Leave out plugin modules whose top-level imports are not installed (see above)."""
    parts = collection_path.parts
    if collection_path.suffix != ".py" or "plugins" not in parts or "tests" in parts:
        return None
    missing = _missing(_top_level_imports(collection_path))
    if missing:
        _LEFT_OUT.append(f"{collection_path.name}: needs {', '.join(missing)}, not installed")
        return True
    return None


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _LEFT_OUT:
        terminalreporter.write_line("doctests of modules left out: " + "; ".join(sorted(set(_LEFT_OUT))))
