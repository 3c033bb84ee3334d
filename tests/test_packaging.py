"""Every distribution is publishable (issue 13, point 2): licence file and expression,
classifiers, project URLs, Requires-Python, READMEs without links that die on a package
index, and version bounds between the core and the plugins (released in lockstep)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_DIRS = sorted(p for p in (ROOT / "plugins").iterdir() if (p / "pyproject.toml").is_file())
DISTRIBUTIONS = [ROOT, *PLUGIN_DIRS]  # the template too: a plugin author copies it
IDS = ["core", *(p.name for p in PLUGIN_DIRS)]
CORE = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def project(directory: Path) -> dict:
    return tomllib.loads((directory / "pyproject.toml").read_text())["project"]


def lockstep(requirement: Requirement) -> bool:
    """``>=X.Y.Z,<X.(Y+1)`` around the core's version: the release train they share."""
    version = Version(CORE["version"])
    upper = Version(f"{version.major}.{version.minor + 1}")
    return version in requirement.specifier and upper not in requirement.specifier and str(
        requirement.specifier
    ) in {f">={version},<{upper}", f"<{upper},>={version}"}


@pytest.mark.parametrize("directory", DISTRIBUTIONS, ids=IDS)
def test_metadata_is_complete(directory):
    meta = project(directory)
    assert meta["license"] == "MIT"
    assert meta["license-files"] == ["LICENSE"]
    assert (directory / "LICENSE").read_text() == (ROOT / "LICENSE").read_text()
    assert meta["requires-python"] == CORE["requires-python"]
    classifiers = meta["classifiers"]
    assert not [c for c in classifiers if c.startswith("License ::")]  # PEP 639: the expression says it
    minor_versions = [c.rsplit(" ", 1)[1] for c in classifiers if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)]
    assert minor_versions and minor_versions[0] == CORE["requires-python"].removeprefix(">=")
    assert "Topic :: Scientific/Engineering :: Medical Science Apps." in classifiers
    urls = meta["urls"]
    assert {"Homepage", "Source", "Issues", "Documentation"} <= set(urls)
    assert all(url.startswith("https://") for url in urls.values())
    assert meta["readme"] == "README.md" and (directory / "README.md").is_file()


@pytest.mark.parametrize("directory", PLUGIN_DIRS, ids=IDS[1:])
def test_each_plugin_needs_the_core_of_its_own_release(directory):
    meta = project(directory)
    assert meta["version"] == CORE["version"]
    core = [Requirement(r) for r in meta["dependencies"] if Requirement(r).name == "dicom-pixels"]
    assert len(core) == 1 and lockstep(core[0]), core


def test_the_core_needs_the_native_plugin_and_bounds_every_extra():
    native = [Requirement(r) for r in CORE["dependencies"] if Requirement(r).name == "dicom-pixels-native"]
    assert len(native) == 1 and lockstep(native[0])
    for extra, requirements in CORE["optional-dependencies"].items():
        for text in requirements:
            requirement = Requirement(text)
            if requirement.name.startswith("dicom-pixels-"):  # a plugin: released with the core
                assert lockstep(requirement), (extra, text)
            else:  # a feature's library (dask, fsspec): at least the release the code was tested with
                assert any(spec.operator == ">=" for spec in requirement.specifier), (extra, text)


def test_the_core_is_typed_and_says_so():
    assert (ROOT / "core" / "dicom_pixels" / "py.typed").is_file()
    assert "Typing :: Typed" in CORE["classifiers"]


@pytest.mark.parametrize("directory", DISTRIBUTIONS, ids=IDS)
def test_readmes_have_no_links_that_die_on_a_package_index(directory):
    text = (directory / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)\s]+)\)", text) + re.findall(r'(?:src|href)="([^"]+)"', text)
    relative = [t for t in targets if not re.match(r"(https?://|mailto:|#)", t)]
    assert relative == [], f"{directory.name}/README.md: relative links {relative}"
