"""Reference codestreams the conformance kit ships, for what pydicom's files lack.

pydicom's test data has no JPEG-LS colour-by-plane (interleave mode 0) stream, no
native colour-by-plane file and few signed or 12-bit JPEG-LS streams, so a
decoder that gets those wrong would pass. These references fill the gaps. Each is
a lossless (or near-lossless, with a known NEAR) encoding of a
:func:`~dicom_pixels.testing.synthetic_image`, so the expected array is known
exactly without any decoder; each names the backend that wrote it, and the kit
prefers references written by a backend other than the plugin under test.

The files in ``references/`` are written by :func:`build_references` (run
``python -m dicom_pixels.testing.references DIR`` with pyjpegls, imagecodecs and
the native plugin installed) and are checked in; the tests regenerate them and
compare the decoded pixels.

>>> refs = generated_references("1.2.840.10008.1.2.4.80")
>>> sorted({r.interleave_mode for r in refs if r.image.samples_per_pixel == 3})
[0, 1, 2]
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..description import ImageDescription

__all__ = ["GeneratedReference", "REFERENCE_DIRECTORY", "build_references", "generated_references"]

REFERENCE_DIRECTORY = Path(__file__).with_name("references")
_MANIFEST = "manifest.json"

JPEG_LS_LOSSLESS = "1.2.840.10008.1.2.4.80"
JPEG_LS_NEAR = "1.2.840.10008.1.2.4.81"
RLE = "1.2.840.10008.1.2.5"
EXPLICIT_LE = "1.2.840.10008.1.2.1"

GREY = (24, 33)
COLOUR = (24, 33, 3)


@dataclass(frozen=True)
class GeneratedReference:
    """One shipped codestream, what it encodes and who wrote it."""

    name: str
    image: ImageDescription
    data: bytes
    dtype: str
    seed: int
    made_by: str
    near: int = 0
    interleave_mode: int | None = None

    @property
    def id(self) -> str:
        """A readable test id."""
        return self.name

    @property
    def expected(self) -> np.ndarray:
        """The source image: the decoded pixels must equal it (within :attr:`near`)."""
        from . import synthetic_image

        shape: tuple[int, ...] = (self.image.rows, self.image.columns)
        if self.image.samples_per_pixel > 1:
            shape = (*shape, self.image.samples_per_pixel)
        return synthetic_image(self.dtype, self.image.bits_stored, shape, seed=self.seed)


# -- the recipes: (name, transfer syntax, dtype, bits stored, shape, planar configuration,
#    NEAR, interleave mode, writer) -------------------------------------------------------


def _pyjpegls(arr: np.ndarray, bits: int, near: int, ilv: int) -> bytes:
    import jpeg_ls

    from ..codec import container_dtype, unsigned_pattern

    data = np.ascontiguousarray(unsigned_pattern(arr, bits)).astype(container_dtype(bits))
    if data.ndim == 3 and ilv == 0:
        data = np.ascontiguousarray(data.transpose(2, 0, 1))  # colour-by-plane input
    samples = 1 if arr.ndim == 2 else arr.shape[2]
    return bytes(
        jpeg_ls.encode_buffer(data.tobytes(), arr.shape[0], arr.shape[1], samples, bits,
                              lossy_error=near, interleave_mode=ilv)
    )


def _imagecodecs(arr: np.ndarray, bits: int, near: int, ilv: int) -> bytes:
    import imagecodecs

    # CharLS in imagecodecs writes colour by pixel (interleave mode 2) and takes the
    # precision from the dtype: only unsigned full-width images are made with it.
    return bytes(imagecodecs.jpegls_encode(np.ascontiguousarray(arr), level=near or None))


def _native_rle(arr: np.ndarray, bits: int, near: int, ilv: int) -> bytes:
    from dicom_pixels_native.rle import encode_rle  # the native plugin's own RLE writer

    from ..codec import EncodeFrame

    samples = 1 if arr.ndim == 2 else arr.shape[2]
    image = ImageDescription(arr.shape[0], arr.shape[1], samples, arr.dtype.itemsize * 8, bits,
                             int(arr.dtype.kind == "i"), "RGB" if samples == 3 else "MONOCHROME2", RLE)
    return bytes(encode_rle(arr, EncodeFrame(image, 0, {})))


def _numpy_planar(arr: np.ndarray, bits: int, near: int, ilv: int) -> bytes:
    return np.ascontiguousarray(arr.transpose(2, 0, 1)).astype(arr.dtype.newbyteorder("<")).tobytes()


_WRITERS: dict[str, Callable[[np.ndarray, int, int, int], bytes]] = {
    "pyjpegls": _pyjpegls,
    "imagecodecs": _imagecodecs,
    "native": _native_rle,
    "numpy": _numpy_planar,
}

RECIPES: tuple[tuple[str, str, str, int, tuple[int, ...], int, int, int | None, str], ...] = (
    ("jls_rgb8_ilv0", JPEG_LS_LOSSLESS, "u1", 8, COLOUR, 0, 0, 0, "pyjpegls"),
    ("jls_rgb8_ilv1", JPEG_LS_LOSSLESS, "u1", 8, COLOUR, 0, 0, 1, "pyjpegls"),
    ("jls_rgb8_ilv2", JPEG_LS_LOSSLESS, "u1", 8, COLOUR, 0, 0, 2, "pyjpegls"),
    ("jls_rgb8_ilv2", JPEG_LS_LOSSLESS, "u1", 8, COLOUR, 0, 0, 2, "imagecodecs"),
    ("jls_grey16", JPEG_LS_LOSSLESS, "u2", 16, GREY, 0, 0, None, "pyjpegls"),
    ("jls_grey16", JPEG_LS_LOSSLESS, "u2", 16, GREY, 0, 0, None, "imagecodecs"),
    ("jls_grey12", JPEG_LS_LOSSLESS, "u2", 12, GREY, 0, 0, None, "pyjpegls"),
    ("jls_grey12_signed", JPEG_LS_LOSSLESS, "i2", 12, GREY, 0, 0, None, "pyjpegls"),
    ("jls_rgb16", JPEG_LS_LOSSLESS, "u2", 16, COLOUR, 0, 0, 2, "imagecodecs"),
    ("jls_grey8_near3", JPEG_LS_NEAR, "u1", 8, GREY, 0, 3, None, "pyjpegls"),
    ("jls_grey8_near3", JPEG_LS_NEAR, "u1", 8, GREY, 0, 3, None, "imagecodecs"),
    ("rle_rgb8_planar0", RLE, "u1", 8, COLOUR, 0, 0, None, "native"),
    ("rle_rgb8_planar1", RLE, "u1", 8, COLOUR, 1, 0, None, "native"),
    ("rle_rgb16_planar1", RLE, "u2", 16, COLOUR, 1, 0, None, "native"),
    ("native_rgb8_planar1", EXPLICIT_LE, "u1", 8, COLOUR, 1, 0, None, "numpy"),
    ("native_rgb16_planar1", EXPLICIT_LE, "u2", 16, COLOUR, 1, 0, None, "numpy"),
)


def build_references(directory: Path = REFERENCE_DIRECTORY) -> list[str]:
    """Write every reference codestream and the manifest into *directory*; return the file names."""
    from . import synthetic_image

    directory.mkdir(parents=True, exist_ok=True)
    manifest: list[dict[str, Any]] = []
    for seed, (name, uid, dtype, bits, shape, planar, near, ilv, writer) in enumerate(RECIPES, 100):
        arr = synthetic_image(dtype, bits, shape, seed=seed)
        data = _WRITERS[writer](arr, bits, near, ilv if ilv is not None else 0)
        file = f"{name}.{writer}.bin"
        (directory / file).write_bytes(data)
        manifest.append({
            "name": f"{name}.{writer}", "file": file, "transfer_syntax_uid": uid, "dtype": dtype,
            "bits_stored": bits, "shape": list(shape), "planar_configuration": planar,
            "near": near, "interleave_mode": ilv, "made_by": writer, "seed": seed,
        })
    (directory / _MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    return [entry["file"] for entry in manifest]


@functools.cache
def _load(directory: Path) -> tuple[GeneratedReference, ...]:
    refs = []
    for entry in json.loads((directory / _MANIFEST).read_text()):
        shape, dtype = entry["shape"], np.dtype(entry["dtype"])
        samples = shape[2] if len(shape) == 3 else 1
        image = ImageDescription(
            shape[0], shape[1], samples, dtype.itemsize * 8, entry["bits_stored"],
            int(dtype.kind == "i"), "RGB" if samples == 3 else "MONOCHROME2",
            entry["transfer_syntax_uid"], planar_configuration=entry["planar_configuration"],
        )
        refs.append(GeneratedReference(
            entry["name"], image, (directory / entry["file"]).read_bytes(), entry["dtype"],
            entry["seed"], entry["made_by"], entry["near"], entry["interleave_mode"],
        ))
    return tuple(refs)


def generated_references(
    transfer_syntax_uid: str, exclude_made_by: str = "", directory: Path = REFERENCE_DIRECTORY
) -> list[GeneratedReference]:
    """The shipped references for a transfer syntax.

    With *exclude_made_by*, a reference written by that backend is left out when
    another backend wrote the same image (so a plugin is not judged by its own
    backend's output when there is a choice).
    """
    refs = [r for r in _load(directory) if r.image.transfer_syntax_uid == transfer_syntax_uid]
    if exclude_made_by:
        others = {r.name.rsplit(".", 1)[0] for r in refs if r.made_by != exclude_made_by}
        refs = [r for r in refs if r.made_by != exclude_made_by or r.name.rsplit(".", 1)[0] not in others]
    return refs


if __name__ == "__main__":  # pragma: no cover - the generator of the checked-in files
    print("\n".join(build_references(Path(sys.argv[1]) if len(sys.argv) > 1 else REFERENCE_DIRECTORY)))
