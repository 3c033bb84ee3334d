"""The ``dicom-pixels`` command: inspect files, list plugins, decode to .npy or .png.

Every FILE argument may also be the name of a bundled example (``ct``,
``rt_dose``, ...), so the commands can be tried without any file of one's own::

    dicom-pixels info ct
    dicom-pixels plugins
    dicom-pixels decode ct -o ct.png
    dicom-pixels decode rt_dose --frame 3 -o dose3.npy

Exit status: 0 on success, 1 on a dicom-pixels error (message on stderr), 2 on
a usage error.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__, examples
from .api import pixel_array
from .errors import DicomPixelsError
from .preview import to_8bit, write_png
from .registry import manager
from .source import open_source

__all__ = ["main"]


def _resolve(name: str) -> Path:
    path = Path(name)
    if path.exists() or name not in examples.names():
        return path
    return examples.get_path(name)


def _cmd_info(args: argparse.Namespace) -> int:
    path = _resolve(args.file)
    with open_source(path) as source:
        image = source.image
        ts = image.transfer_syntax
        rows = [
            ("File", str(path)),
            ("Transfer Syntax", f"{ts.name} ({ts.uid})"),
            ("Pixel element", image.pixel_keyword),
            ("Rows x Columns", f"{image.rows} x {image.columns}"),
            ("Samples per Pixel", str(image.samples_per_pixel)),
            ("Photometric Interpretation", image.photometric_interpretation),
            ("Bits Allocated / Stored", f"{image.bits_allocated} / {image.bits_stored}"),
            ("Pixel Representation", f"{image.pixel_representation} ({'signed' if image.pixel_representation else 'unsigned'})"),
            ("Number of Frames", str(image.number_of_frames)),
            ("Frames in data", str(source.frame_count)),
            ("Decoded array", f"{image.array_shape(source.frame_count)} {image.dtype}"),
            ("Decoding plugins", ", ".join(manager.get_priority(ts)) or "none installed"),
        ]
        if image.samples_per_pixel > 1:
            rows.insert(6, ("Planar Configuration", str(image.planar_configuration)))
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    return 0


def _cmd_plugins(args: argparse.Namespace) -> int:
    for info in manager.plugins():
        state = "available" if info.is_available else "unavailable"
        print(f"{info.name} {info.version} ({state}) {info.description}".rstrip())
        if info.error:
            print(f"    error: {info.error}")
        for missing in info.missing:
            hint = f"  ({info.install_hint})" if info.install_hint else ""
            print(f"    missing: {missing}{hint}")
        by_op: dict[str, list[str]] = {}
        for codec in info.codecs:
            from .uid import lookup

            by_op.setdefault(codec.operation, []).append(lookup(codec.transfer_syntax_uid).keyword)
        for op, names in by_op.items():
            print(f"    {op}: {', '.join(names)}")
    return 0


def _cmd_decode(args: argparse.Namespace) -> int:
    path = _resolve(args.file)
    meta: dict[str, Any] = {}
    options: dict[str, Any] = {}
    if args.plugin:
        options["decoding_plugin"] = args.plugin
    arr = pixel_array(path, index=args.frame, ds_out=meta, raw=args.raw, **options)
    out = Path(args.output)
    if out.suffix.lower() == ".npy":
        np.save(out, arr)
    elif out.suffix.lower() == ".png":
        frame = arr if args.frame is not None or meta.get("NumberOfFrames", 1) in (None, 1, "1") else arr[0]
        if frame.ndim == 3 and frame.shape[-1] != 3:
            frame = frame[0]
        window = None
        if args.window:
            window = tuple(float(v) for v in args.window.split(","))
        elif "WindowCenter" in meta and "WindowWidth" in meta and frame.ndim == 2:
            center, width = meta["WindowCenter"], meta["WindowWidth"]
            center = center[0] if isinstance(center, list) else center
            width = width[0] if isinstance(width, list) else width
            slope = meta.get("RescaleSlope", 1.0) or 1.0
            intercept = meta.get("RescaleIntercept", 0.0) or 0.0
            # The window applies to rescaled values (PS3.3 C.11.2.1.2); map it back to stored.
            window = ((float(center) - float(intercept)) / float(slope), float(width) / float(slope))
        invert = meta.get("PhotometricInterpretation") == "MONOCHROME1"
        write_png(out, to_8bit(frame, window=window, invert=invert))  # type: ignore[arg-type]
    else:
        raise DicomPixelsError(f"Unknown output type '{out.suffix}': use .npy or .png")
    print(f"wrote {out} ({arr.shape} {arr.dtype})")
    return 0


def _cmd_transcode(args: argparse.Namespace) -> int:
    """Transcode one file to OUT, or several files into the directory OUT."""
    from .transcode import transcode

    inputs = [_resolve(name) for name in args.inputs]
    out = Path(args.output)
    if len(inputs) > 1 or out.is_dir():
        out.mkdir(parents=True, exist_ok=True)
        targets = [out / path.name for path in inputs]
    else:
        targets = [out]
    options: dict[str, Any] = {}
    if args.j2k_cr:
        options["j2k_cr"] = [float(v) for v in args.j2k_cr.split(",")]
    if args.j2k_psnr:
        options["j2k_psnr"] = [float(v) for v in args.j2k_psnr.split(",")]
    for name in ("jls_error", "quality", "workers"):
        if getattr(args, name) is not None:
            options[name] = getattr(args, name)
    show = len(inputs) > 1 or sys.stderr.isatty()

    def bar(label: str, done: int, total: int) -> None:
        if not show or total <= 0:
            return
        width = 30
        filled = width * done // total
        end = "\n" if done == total else ""
        print(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end=end,
              file=sys.stderr, flush=True)

    failures = 0
    for number, (src, dst) in enumerate(zip(inputs, targets), start=1):
        label = f"{number}/{len(inputs)} {src.name}"
        try:
            transcode(src, dst, args.to, encoding_plugin=args.plugin, verify=args.verify,
                      progress=functools.partial(bar, label), **options)
        except DicomPixelsError as exc:
            if len(inputs) == 1:
                raise
            failures += 1
            print(f"\ndicom-pixels: error: {src}: {exc}", file=sys.stderr)
            continue
        print(f"wrote {dst}")
    return 1 if failures else 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for the docs)."""
    parser = argparse.ArgumentParser(prog="dicom-pixels", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=f"dicom-pixels {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    info = sub.add_parser("info", help="describe a file's pixel data")
    info.add_argument("file", help=f"a DICOM file or an example name ({', '.join(examples.names())})")
    info.set_defaults(func=_cmd_info)
    plug = sub.add_parser("plugins", help="list installed plugins, their codecs and missing requirements")
    plug.set_defaults(func=_cmd_plugins)
    dec = sub.add_parser("decode", help="decode pixel data to .npy or .png")
    dec.add_argument("file", help="a DICOM file or an example name")
    dec.add_argument("-o", "--output", required=True, help="out.npy or out.png")
    dec.add_argument("--frame", type=int, default=None, help="decode only this frame (0-based)")
    dec.add_argument("--plugin", default="", help="decoding plugin to use")
    dec.add_argument("--raw", action="store_true", help="no colour conversion")
    dec.add_argument("--window", default="", help="center,width for the PNG (stored values)")
    dec.set_defaults(func=_cmd_decode)
    tra = sub.add_parser(
        "transcode", help="re-encode files to another transfer syntax, keeping every other element"
    )
    tra.add_argument("inputs", nargs="+", metavar="IN", help="DICOM files (or example names)")
    tra.add_argument("output", metavar="OUT", help="output file, or a directory for several inputs")
    tra.add_argument("--to", required=True, help="target transfer syntax keyword or UID")
    tra.add_argument("--plugin", default="", help="encoding plugin to use")
    tra.add_argument("--verify", action="store_true", help="decode the result and compare (lossless)")
    tra.add_argument("--j2k-cr", default="", help="JPEG 2000 compression ratio(s), e.g. 20 or 40,10")
    tra.add_argument("--j2k-psnr", default="", help="JPEG 2000 PSNR value(s) in dB, e.g. 45")
    tra.add_argument("--jls-error", type=int, default=None, help="JPEG-LS NEAR value")
    tra.add_argument("--quality", type=int, default=None, help="JPEG / JPEG XL quality, 1-100")
    tra.add_argument("--workers", type=int, default=None,
                     help="threads encoding frames (default: one per core when the codec allows)")
    tra.set_defaults(func=_cmd_transcode)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status.

    >>> main(["info", "ct"])  # doctest: +ELLIPSIS
    File ...
    0
    """
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except DicomPixelsError as exc:
        print(f"dicom-pixels: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
