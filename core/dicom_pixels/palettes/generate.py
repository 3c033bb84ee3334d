"""Generate ``well_known.json``: the DICOM well-known colour palettes (PS3.6 Annex B).

Run ``python -m dicom_pixels.palettes.generate`` (needs pydicom, a development
dependency only). The output is deterministic; ``tests/test_processing.py``
checks the shipped file against pydicom's copies of the same palettes.

Sources, per palette:

* SPRING, SUMMER, FALL and WINTER are defined by the standard as *segmented*
  palettes (PS3.6 B.1.5 to B.1.8). Their segment definitions are transcribed
  below (:data:`SEGMENTED`, 8-bit segment words: opcode, length, values) and
  expanded here with :func:`dicom_pixels.processing.expand_segmented_lut`
  (PS3.3 C.7.9.2).
* HOT_IRON, PET, HOT_METAL_BLUE and PET_20_STEP are defined by tables of 256
  explicit entries per channel (PS3.6 B.1.1 to B.1.4). Rather than
  re-transcribing 3 x 256 numbers by hand, they are read from the Palette
  Color Lookup Table instances that pydicom ships (``pydicom/data/palettes``,
  files built from the same PS3.6 tables), which is the documented source of
  those values here.

Every palette has 256 entries, first mapped value 0 and 8-bit entries.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

__all__ = ["PALETTES", "SEGMENTED", "build", "main"]

#: Name (Content Label) -> (SOP Instance UID, pydicom file name), PS3.6 Annex A / B.
PALETTES: dict[str, tuple[str, str]] = {
    "HOT_IRON": ("1.2.840.10008.1.5.1", "hotiron.dcm"),
    "PET": ("1.2.840.10008.1.5.2", "pet.dcm"),
    "HOT_METAL_BLUE": ("1.2.840.10008.1.5.3", "hotmetalblue.dcm"),
    "PET_20_STEP": ("1.2.840.10008.1.5.4", "pet20step.dcm"),
    "SPRING": ("1.2.840.10008.1.5.5", "spring.dcm"),
    "SUMMER": ("1.2.840.10008.1.5.6", "summer.dcm"),
    "FALL": ("1.2.840.10008.1.5.7", "fall.dcm"),
    "WINTER": ("1.2.840.10008.1.5.8", "winter.dcm"),
}

#: PS3.6 B.1.5-B.1.8: Segmented Red/Green/Blue Palette Color Lookup Table Data,
#: 8-bit words. ``0, n, v...``: n discrete values; ``1, n, y``: linear ramp over n
#: entries from the previous value to y (PS3.3 C.7.9.2).
SEGMENTED: dict[str, tuple[list[int], list[int], list[int]]] = {
    "SPRING": ([0, 1, 255, 1, 255, 255], [0, 1, 0, 1, 255, 255], [0, 1, 255, 1, 255, 0]),
    "SUMMER": ([0, 1, 0, 1, 255, 0], [0, 1, 255, 1, 255, 128], [0, 1, 0, 1, 127, 0, 1, 128, 254]),
    "FALL": ([0, 1, 255, 1, 255, 255], [0, 1, 255, 1, 255, 0], [0, 1, 0, 1, 255, 0]),
    "WINTER": ([0, 1, 0, 1, 127, 0, 1, 128, 127], [0, 1, 0, 1, 255, 255], [0, 1, 255, 1, 255, 128]),
}

#: Where the generated data lives inside the package.
DATA_FILE = Path(__file__).resolve().parent / "well_known.json"


def _read_pydicom_palette(file_name: str) -> list[list[int]]:
    """The explicit 8-bit R, G, B entries of one of pydicom's palette instances."""
    import numpy as np
    from pydicom import dcmread
    from pydicom.data import get_palette_files

    ds = dcmread(get_palette_files(file_name)[0])
    return [
        np.frombuffer(ds[f"{colour}PaletteColorLookupTableData"].value, "u1").tolist()
        for colour in ("Red", "Green", "Blue")
    ]


def build() -> dict[str, dict[str, object]]:
    """Return every palette: ``{name: {"uid": ..., "red": [...], "green": [...], "blue": [...]}}``."""
    from dicom_pixels.processing import expand_segmented_lut

    palettes: dict[str, dict[str, object]] = {}
    for name, (uid, file_name) in PALETTES.items():
        if name in SEGMENTED:
            channels = [expand_segmented_lut(words, bits=8).tolist() for words in SEGMENTED[name]]
        else:
            channels = _read_pydicom_palette(file_name)
        if any(len(c) != 256 for c in channels):
            raise ValueError(f"Palette {name} does not have 256 entries per channel")
        palettes[name] = {"uid": uid, "red": channels[0], "green": channels[1], "blue": channels[2]}
    return palettes


def main(path: Path = DATA_FILE) -> None:
    """Write the palettes as JSON, one channel per line (stable, diff-friendly)."""
    lines = ["{"]
    items = list(build().items())
    for i, (name, palette) in enumerate(items):
        lines.append(f'  "{name}": {{')
        lines.append(f'    "uid": "{palette["uid"]}",')
        for colour in ("red", "green", "blue"):
            end = "," if colour != "blue" else ""
            lines.append(f'    "{colour}": {json.dumps(palette[colour], separators=(",", ":"))}{end}')
        lines.append("  }" + ("," if i < len(items) - 1 else ""))
    lines.append("}")
    path.write_text("\n".join(lines) + "\n", encoding="ascii")


if __name__ == "__main__":  # pragma: no cover - a developer tool
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DATA_FILE)
