"""Wheels of the distributions installed in the development environment, re-packed file by
file from their RECORD, so that a test can fill a fresh virtual environment with plain pip
and no network (``--no-index --find-links``), whatever uv's cache holds."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import re
import zipfile
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def repack_installed(name: str, wheelhouse: Path) -> Path:
    """Write a wheel of the installed distribution *name* from the files its RECORD lists.

    Files outside site-packages (console scripts: pip writes them again from
    ``entry_points.txt``), byte code and install-time markers are left out.
    """
    dist = metadata.distribution(name)
    tags = [line.split(":", 1)[1].strip() for line in (dist.read_text("WHEEL") or "").splitlines()
            if line.startswith("Tag:")]
    stem = re.sub(r"[-_.]+", "_", dist.metadata["Name"]).lower()
    target = wheelhouse / f"{stem}-{dist.version}-{tags[0]}.whl"
    dist_info = next(str(f).split("/")[0] for f in dist.files or () if str(f).endswith(".dist-info/METADATA"))
    record_rows = []
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as wheel:
        for file in dist.files or ():
            text = str(file)
            skip_names = ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json")
            if text.startswith("..") or "__pycache__" in text or text.endswith(".pyc"):
                continue
            if text.startswith(dist_info + "/") and text.split("/")[-1] in skip_names:
                continue
            data = Path(dist.locate_file(file)).read_bytes()
            wheel.writestr(text, data)
            record_rows.append((text, _record_hash(data), str(len(data))))
        record = io.StringIO()
        csv.writer(record, lineterminator="\n").writerows([*record_rows, (f"{dist_info}/RECORD", "", "")])
        wheel.writestr(f"{dist_info}/RECORD", record.getvalue())
    return target


def third_party_closure(roots: list[str]) -> set[str]:
    """The installed distributions *roots* need at run time (no extras), ours excluded."""
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = canonicalize_name(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        for text in metadata.requires(name) or ():
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return {name for name in seen if not name.startswith("dicom-pixels")}
