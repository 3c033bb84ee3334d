"""Development sessions: ``nox -l`` lists them, ``nox -s NAME`` runs one.

Every session installs the workspace itself (core + plugins, editable) with
uv, so a fresh machine needs only ``pip install nox uv`` (or ``uv run nox``).
Slow sessions (``bench``, ``fuzz``) are not run by default.
"""

from __future__ import annotations

import email
import json
import os
import shutil
import zipfile
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv"
nox.options.sessions = ["tests", "lint", "typecheck", "docs"]  # bench, fuzz, wheels: on demand

ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
PYTHONS = nox.project.python_versions(PYPROJECT)

def pyenv_bin_dirs(versions: Path, pythons: list[str]) -> list[str]:
    """The ``bin`` folder of the highest patch release pyenv installed under *versions* of
    each of *pythons* (``"3.12"``...), in that order; versions not installed are left out.

    nox looks for ``python3.X`` on PATH, and pyenv's shims answer only for the versions
    ``pyenv global`` selects: putting these folders first on PATH lets ``nox -s tests``
    find all four Pythons of a machine that has them under ``~/.pyenv/versions``.
    """
    found = []
    for python in pythons:
        installed = sorted(
            (d for d in versions.glob(f"{python}.*") if (d / "bin" / f"python{python}").exists()),
            key=lambda d: [int(part) if part.isdigit() else -1 for part in d.name.split(".")],
        )
        if installed:
            found.append(str(installed[-1] / "bin"))
    return found


os.environ["PATH"] = os.pathsep.join(
    [*pyenv_bin_dirs(Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions", PYTHONS),
     os.environ.get("PATH", "")]
)
PLUGINS = sorted(p.name for p in (ROOT / "plugins").iterdir() if (p / "pyproject.toml").exists() and not p.name.startswith("_"))


def _group(name: str) -> tuple[list[str], list[str]]:
    """A dependency group of pyproject.toml: (its requirements other than dicom-pixels, the
    extras of its self-reference, e.g. ``dicom-pixels[all,pylibjpeg-gpl]``)."""
    requirements, extras = [], []
    for item in PYPROJECT["dependency-groups"][name]:
        if not isinstance(item, str):
            continue
        if item.startswith("dicom-pixels"):
            if "[" in item:
                extras += [e.strip() for e in item.split("[", 1)[1].rstrip("]").split(",")]
        else:
            requirements.append(item)
    return requirements, extras


def install_workspace(session: nox.Session, *groups: str, plugins: list[str] | None = None) -> None:
    """Install the core and the given plugins (default: all) editable, plus dependency groups
    (with the core's extras they name, e.g. the GPL backend of the pylibjpeg plugin)."""
    requirements, extras = [], []
    for group in groups:
        group_requirements, group_extras = _group(group)
        requirements += group_requirements
        extras += group_extras
    args = ["-e", f"{ROOT}[{','.join(extras)}]" if extras else str(ROOT)]
    for plugin in PLUGINS if plugins is None else plugins:
        args += ["-e", str(ROOT / "plugins" / plugin)]
    session.install(*args, *requirements)


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Run the whole test suite (core, plugins, doctests) on each supported Python."""
    install_workspace(session, "dev")
    session.run("pytest", *(session.posargs or ["-q"]))


@nox.session
def lint(session: nox.Session) -> None:
    """Check style and common mistakes with ruff."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", "core", "plugins", "tests", "noxfile.py")


@nox.session
def typecheck(session: nox.Session) -> None:
    """Type-check the core package with mypy."""
    install_workspace(session, plugins=[])
    # dicom_pixels.testing is a pytest plugin: without pytest's types mypy cannot see that
    # pytest.skip() does not return.
    session.install("mypy>=1.10", "pytest>=8")
    session.run("mypy")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the Sphinx documentation with warnings as errors, then run its doctests."""
    install_workspace(session, "docs")
    session.run("sphinx-build", "-W", "--keep-going", "-b", "html", "docs", "docs/_build/html")
    session.run("sphinx-build", "-W", "-b", "doctest", "docs", "docs/_build/doctest")


@nox.session(python=PYTHONS[-1])
def bench(session: nox.Session) -> None:
    """Benchmark beside pydicom 3 (time, peak RSS, ratios); slow: not run by default.

    Pass options after ``--``, e.g. ``nox -s bench -- --only native rle --scale 0.5``.
    Runs on the newest supported Python, where every backend (ours and pydicom's) has
    its newest release: imagecodecs 2026.5 and later need Python 3.12 or newer, and their
    OpenJPH decodes HTJ2K 1.5 times as fast as the one for Python 3.11. Another Python:
    ``nox -s bench --force-python 3.11``.
    """
    install_workspace(session, "dev")
    session.run("python", "tests/benchmarks/bench.py", *session.posargs)
    if "--only" not in session.posargs:
        # Video, which pydicom cannot decode: the pyav plugin beside PyAV decoding the same streams.
        session.run("python", "plugins/pyav/benchmarks/decode_speed.py")


@nox.session
def fuzz(session: nox.Session) -> None:
    """Mutation-fuzz the decoders with every plugin (``-- --minutes N``, default 60; ``-- --short`` = 200 fixed-seed cases)."""
    install_workspace(session, "dev")
    args = list(session.posargs)
    if "--short" in args:
        args = [a for a in args if a != "--short"] + ["--cases", "200", "--seed", "0"]
    elif "--minutes" not in args and "--cases" not in args:
        args += ["--minutes", "60"]
    session.run("python", "tests/fuzz/fuzz_decode.py", "--plugin", "all", *args)


#: The extras ``nox -s wheels`` installs, one fresh environment each, and the plugins each
#: must bring (the native plugin comes with the core whatever the extra).
WHEEL_EXTRAS: dict[str, set[str]] = {
    "": {"native"},
    "native": {"native"},
    "pylibjpeg": {"native", "pylibjpeg"},
    "gdcm,pillow": {"native", "gdcm", "pillow"},
    "imagecodecs": {"native", "imagecodecs"},
    "all": {"native", "pylibjpeg", "gdcm", "pillow", "imagecodecs"},
}


def third_party_requirements(wheelhouse: Path) -> list[str]:
    """The run-time requirements of our wheels that are not ours, markers kept; the
    opt-in GPL extra (``pylibjpeg[libjpeg]``) left out."""
    requirements: set[str] = set()
    for wheel in wheelhouse.glob("*.whl"):
        with zipfile.ZipFile(wheel) as archive:
            name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
            metadata = email.message_from_bytes(archive.read(name))
        for requirement in metadata.get_all("Requires-Dist") or []:
            if not requirement.startswith("dicom-pixels") and "extra ==" not in requirement:
                requirements.add(requirement)
    return sorted(requirements)


@nox.session(python=PYTHONS[-1])
def wheels(session: nox.Session) -> None:
    """Build every wheel and sdist, ``twine check --strict`` them, then install the core
    with each extra into a fresh virtual environment with plain pip and decode every
    bundled example that the extra can read (``tests/installed_examples.py``).

    Our distributions come only from the wheelhouse (``--no-index``); third-party ones
    are downloaded from PyPI first. ``nox -s wheels -- pylibjpeg all`` checks some extras.
    """
    work = Path(session.create_tmp()).resolve()
    wheelhouse, third_party = work / "wheelhouse", work / "third-party"
    shutil.rmtree(wheelhouse, ignore_errors=True)
    session.install("twine>=6.1", "pip")
    session.run("uv", "build", "--all-packages", "--out-dir", str(wheelhouse), external=True)
    built = sorted(str(p) for p in [*wheelhouse.glob("*.whl"), *wheelhouse.glob("*.tar.gz")])
    session.run("twine", "check", "--strict", *built)
    session.run("python", "-m", "pip", "download", "--disable-pip-version-check", "--only-binary", ":all:",
                "--dest", str(third_party), *third_party_requirements(wheelhouse))
    extras = session.posargs or list(WHEEL_EXTRAS)
    for extra in extras:
        target = f"dicom-pixels[{extra}]" if extra else "dicom-pixels"
        session.log(f"fresh environment: pip install {target}")
        env_dir = work / f"venv-{extra.replace(',', '-') or 'core'}"
        shutil.rmtree(env_dir, ignore_errors=True)
        session.run("python", "-m", "venv", str(env_dir))
        python = str(env_dir / ("Scripts" if os.name == "nt" else "bin") / "python")
        session.run(python, "-m", "pip", "install", "--disable-pip-version-check", "--no-index",
                    "--find-links", str(wheelhouse), "--find-links", str(third_party), target, external=True)
        survey = session.run(python, str(ROOT / "tests" / "installed_examples.py"), external=True,
                             silent=True)
        result = json.loads(str(survey))
        installed = set(result["plugins"])
        if installed != WHEEL_EXTRAS.get(extra, installed):
            session.error(f"{target} installed the plugins {sorted(installed)}, expected {sorted(WHEEL_EXTRAS[extra])}")
        # A plugin may miss an opt-in backend (pylibjpeg's GPL one), never all of them.
        useless = [name for name, plugin in result["plugins"].items() if not plugin["decodes_now"]]
        if useless:
            session.error(f"{target}: plugins installed that cannot decode anything: {useless}")
        decoded = sorted(name for name, entry in result["examples"].items() if entry["ok"])
        session.log(f"{target}: decoded {len(decoded)} of {len(result['examples'])} examples: {', '.join(decoded)}")
