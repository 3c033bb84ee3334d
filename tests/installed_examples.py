"""Decode every bundled example with whatever dicom-pixels install runs this script.

Run by ``nox -s wheels`` and ``tests/test_wheels.py`` with the Python of a fresh
virtual environment where the wheels were installed with plain pip; it needs
nothing but the installed distributions. It prints one JSON object:

``plugins``
    the installed plugins, each with ``available`` (every requirement installed), the
    transfer syntaxes it declares a decoder for (``decodes``) and those whose decoder has
    its requirements installed (``decodes_now``);
``examples``
    per example: its transfer syntax keyword, ``expected`` (an installed plugin
    declares a decoder for that transfer syntax, with its requirements installed,
    which supports the image),
    ``ok``, the decoded ``shape`` and a ``sha256`` of the array's bytes, or the
    ``error`` (exception class and message).

Exit status 0 when every expected example decoded and every other one failed
with :class:`~dicom_pixels.errors.NoPluginError`, 1 otherwise.
"""

from __future__ import annotations

import hashlib
import json
import sys


def survey() -> dict[str, object]:
    """Decode each bundled example; see the module docstring for the result's shape."""
    import dicom_pixels as dp
    from dicom_pixels.errors import NoPluginError
    from dicom_pixels.registry import manager
    from dicom_pixels.source import open_source

    plugins = {
        info.name: {
            "available": info.is_available,
            "decodes": sorted({c.transfer_syntax_uid for c in info.codecs if c.operation == "decode"}),
            "decodes_now": sorted(
                {c.transfer_syntax_uid for c in info.codecs if c.operation == "decode" and c.is_available}
            ),
        }
        for info in manager.plugins()
    }
    examples: dict[str, dict[str, object]] = {}
    for name in dp.examples.names():
        path = dp.examples.get_path(name)
        with open_source(path) as source:
            image = source.image
            ts = image.transfer_syntax
            # Readable: an installed codec whose own requirements are met supports the image
            # (pylibjpeg's JPEG codec, say, needs the opt-in GPL backend).
            expected = any(
                codec.is_available and codec.supports.reason_unsupported(image) is None
                for codec in manager.codecs(ts.uid, "decode")
            )
        entry: dict[str, object] = {"transfer_syntax": ts.keyword, "expected": expected}
        try:
            arr = dp.pixel_array(path)
        except NoPluginError as exc:
            entry.update(ok=False, error=f"{type(exc).__name__}: {exc}", unexpected_error=False)
        except Exception as exc:  # reported, not raised: the caller wants every example's result
            entry.update(ok=False, error=f"{type(exc).__name__}: {exc}", unexpected_error=True)
        else:
            entry.update(ok=True, shape=list(arr.shape), sha256=hashlib.sha256(arr.tobytes()).hexdigest())
        examples[name] = entry
    return {"plugins": plugins, "examples": examples}


def main() -> int:
    result = survey()
    print(json.dumps(result, indent=1))
    examples = result["examples"]
    assert isinstance(examples, dict)
    bad = [
        name
        for name, entry in examples.items()
        if entry["ok"] != entry["expected"] or entry.get("unexpected_error")
    ]
    for name in bad:
        print(f"{name}: expected={examples[name]['expected']} {examples[name].get('error', 'decoded')}",
              file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
