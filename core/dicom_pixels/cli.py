"""The ``dicom-pixels`` command: inspect files, list plugins, decode to .npy or .png, transcode.

Every FILE argument may also be the name of a bundled example (``ct``,
``rt_dose``, ...), so the commands can be tried without any file of one's own;
``python -m dicom_pixels`` runs the same command.

Exit status: 0 on success; 1 when something could not be done (one message on
stderr says what and what to do, never a traceback), or when ``plugins`` finds
no plugin installed; 2 on a usage error (a bad option value); 130 when
interrupted. An output file is written atomically: after a failure nothing is
left at the destination.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__, examples
from .api import iter_pixels, pixel_array
from .errors import DicomFileNotFoundError, DicomPixelsError
from .preview import png_bytes, to_8bit
from .registry import manager
from .source import open_source
from .writer import atomic_write_bytes

__all__ = ["build_parser", "main"]

_ISSUES = "https://github.com/dicom-pixels/dicom-pixels/issues"

_EPILOG = """\
examples:
  dicom-pixels info ct
  dicom-pixels plugins
  dicom-pixels decode ct -o ct.png --window 40,400
  dicom-pixels decode rt_dose --all-frames -o dose.png
  dicom-pixels transcode ct mr --to JPEG2000Lossless converted/

FILE may be a path or a bundled example: {examples}.
Options may come before or after the file names.
"""


class CommandError(DicomPixelsError):
    """A command cannot do what was asked (e.g. the output directory is missing)."""


# -- argument types: a bad value is a usage error naming the option -------------------------


def _numbers(text: str, *, count: int | None = None, what: str = "numbers") -> list[float]:
    try:
        values = [float(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got '{text}'") from None
    if count is not None and len(values) != count:
        raise argparse.ArgumentTypeError(f"expected {what}, got '{text}'")
    return values


def _window(text: str) -> tuple[float, float]:
    center, width = _numbers(text, count=2, what="CENTER,WIDTH as two numbers, e.g. 40,400")
    if width <= 0:
        raise argparse.ArgumentTypeError(f"the window width must be greater than 0, got '{text}'")
    return center, width


def _ratios(text: str) -> list[float]:
    return _numbers(text, what="one or more numbers separated by commas, e.g. 20 or 40,10")


# -- helpers ---------------------------------------------------------------------------------


def _resolve(name: str) -> Path:
    """A path that exists, else the bundled example of that name, else a clear error."""
    path = Path(name)
    if path.exists():
        return path
    if name in examples.names():
        return examples.get_path(name)
    raise DicomFileNotFoundError(
        f"'{name}' is neither a file nor a bundled example: check the path, or use one of "
        f"the examples ({', '.join(examples.names())})"
    )


def _check_output_directory(path: Path) -> None:
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise CommandError(
            f"The output directory '{directory}' does not exist: create it first, or choose "
            "another output path"
        )
    if path.is_dir():
        raise CommandError(f"The output '{path}' is a directory: give a file name, e.g. '{path / 'out.png'}'")


@contextmanager
def _progress(total: int | None, label: str, quiet: bool, unit: str = "frame") -> Iterator[Any]:
    """A tqdm progress bar on stderr (*total* ``None``: set later); none when *quiet*, for
    a single step, or when stderr is not a terminal (a log or a pipe gets no bar characters)."""
    from tqdm import tqdm

    disable = quiet or (total is not None and total <= 1) or not sys.stderr.isatty()
    with tqdm(total=total, desc=label, unit=unit, disable=disable, leave=False,
              file=sys.stderr, dynamic_ncols=True) as bar:
        yield bar


def _write(path: Path, data: bytes) -> None:
    """Write *data* to *path* atomically: on any failure nothing is left at *path*."""
    try:
        atomic_write_bytes(path, data)
    except OSError as exc:  # the temporary file could not even be created
        raise CommandError(
            f"Unable to write '{path}': {exc.strerror or exc}: choose a directory you can write to"
        ) from None


def _say(args: argparse.Namespace, text: str) -> None:
    if not args.quiet:
        print(text)


# -- commands --------------------------------------------------------------------------------


def _cmd_info(args: argparse.Namespace) -> int:
    path = _resolve(args.file)
    with open_source(path) as source:
        image = source.image
        ts = image.transfer_syntax
        # A video's one encapsulated frame holds Number of Frames pictures (PS3.5 A.4.5).
        frames = image.number_of_frames if ts.is_video else source.frame_count
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
            ("Frames in data", str(frames)),
            ("Decoded array", f"{image.array_shape(frames)} {image.dtype}"),
            ("Decoding plugins", ", ".join(manager.get_priority(ts)) or "none installed"),
        ]
        if image.samples_per_pixel > 1:
            rows.insert(6, ("Planar Configuration", str(image.planar_configuration)))
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    return 0


def _cmd_plugins(args: argparse.Namespace) -> int:

    infos = manager.plugins()
    if not infos:
        filters = [v for v in ("DICOM_PIXELS_PLUGINS", "DICOM_PIXELS_BLOCK_PLUGINS") if os.environ.get(v)]
        because = f" (or {' and '.join(filters)} filters them out)" if filters else ""
        print(
            f"No codec plugin is installed{because}, so no pixel data can be decoded.\n"
            'Install one: pip install "dicom-pixels[native]" for uncompressed, deflated and RLE data,\n'
            'or pip install "dicom-pixels[all]" for every plugin.'
        )
        return 1
    for info in infos:
        print(f"{info.name} {info.version} ({info.state}) {info.description}".rstrip())
        if info.error:
            print(f"    error: {info.error}")
        for line in info.availability():
            print(f"    {line}")
    return 0


def _png_image(frame: np.ndarray, meta: dict[str, Any], args: argparse.Namespace) -> np.ndarray:
    """An 8-bit greyscale or RGB image of one decoded frame for a PNG."""
    if meta.get("PhotometricInterpretation") == "PALETTE COLOR" and not args.raw:
        from .processing import apply_color_lut

        # PS3.3 C.7.6.3.1.5: stored values index the palette; 16-bit entries keep their high byte.
        rgb = apply_color_lut(frame, meta)[..., :3]
        return rgb if rgb.dtype == np.uint8 else (rgb >> 8).astype(np.uint8)
    window = args.window
    if window is None and "WindowCenter" in meta and "WindowWidth" in meta and frame.ndim == 2:
        center, width = meta["WindowCenter"], meta["WindowWidth"]
        center = center[0] if isinstance(center, list) else center
        width = width[0] if isinstance(width, list) else width
        slope = meta.get("RescaleSlope", 1.0) or 1.0
        intercept = meta.get("RescaleIntercept", 0.0) or 0.0
        # The window applies to rescaled values (PS3.3 C.11.2.1.2); map it back to stored.
        window = ((float(center) - float(intercept)) / float(slope), float(width) / float(slope))
    invert = meta.get("PhotometricInterpretation") == "MONOCHROME1"
    return to_8bit(frame, window=window, invert=invert)


def _cmd_decode(args: argparse.Namespace) -> int:
    path = _resolve(args.file)
    out = Path(args.output)
    suffix = out.suffix.lower()
    if suffix not in (".npy", ".png"):
        raise CommandError(f"Unknown output type '{out.suffix or out.name}': name the output file .npy or .png")
    if args.all_frames and (suffix != ".png" or args.frame is not None):
        raise CommandError("--all-frames writes one numbered .png per frame: use it with -o NAME.png "
                           "and without --frame (a .npy holds every frame already)")
    _check_output_directory(out)
    meta: dict[str, Any] = {}
    options: dict[str, Any] = {"decoding_plugin": args.plugin} if args.plugin else {}
    if suffix == ".npy":
        arr = pixel_array(path, index=args.frame, ds_out=meta, raw=args.raw, **options)
        buffer = io.BytesIO()
        np.save(buffer, arr)
        _write(out, buffer.getvalue())
        _say(args, f"wrote {out} ({arr.shape} {arr.dtype})")
        return 0
    with open_source(path) as source:
        count = source.frame_count
    if args.all_frames:
        digits = len(str(count - 1))
        with _progress(count, out.name, args.quiet) as bar:
            frames = iter_pixels(path, ds_out=meta, raw=args.raw, **options)
            for number, frame in enumerate(frames):
                target = out.with_name(f"{out.stem}_{number:0{digits}d}{out.suffix}")
                _write(target, png_bytes(_png_image(frame, meta, args)))
                bar.update(1)
        _say(args, f"wrote {count} frames to {out.with_name(f'{out.stem}_{0:0{digits}d}{out.suffix}')} "
                   f"... {out.with_name(f'{out.stem}_{count - 1:0{digits}d}{out.suffix}')}")
        return 0
    index = 0 if args.frame is None else args.frame
    frame = pixel_array(path, index=index, ds_out=meta, raw=args.raw, **options)
    _write(out, png_bytes(_png_image(frame, meta, args)))
    which = f"frame {index} of {count} to " if count > 1 else ""
    hint = " (--frame N for another, --all-frames for every frame)" if count > 1 and args.frame is None else ""
    _say(args, f"wrote {which}{out}{hint}")
    return 0


def _cmd_transcode(args: argparse.Namespace) -> int:
    """Transcode one file to OUT, or several files into the directory OUT."""
    from .transcode import transcode

    inputs = [_resolve(name) for name in args.inputs]
    out = Path(args.output)
    if len(inputs) > 1 or out.is_dir():
        if not out.is_dir():
            if not (out.parent if str(out.parent) else Path(".")).is_dir():
                raise CommandError(f"The output directory '{out}' and its parent do not exist: create "
                                   "the parent first, or choose another output directory")
            out.mkdir()
        targets = [out / path.name for path in inputs]
    else:
        _check_output_directory(out)
        targets = [out]
    options: dict[str, Any] = {}
    if args.j2k_cr:
        options["j2k_cr"] = args.j2k_cr
    if args.j2k_psnr:
        options["j2k_psnr"] = args.j2k_psnr
    for name in ("jls_error", "quality", "workers"):
        if getattr(args, name) is not None:
            options[name] = getattr(args, name)
    failures = 0
    several = len(inputs) > 1
    # One bar: over the files when there are several, else over the one file's frames.
    with _progress(len(inputs) if several else None, "files" if several else inputs[0].name,
                   args.quiet, unit="file" if several else "frame") as bar:

        def frame_progress(done: int, total: int) -> None:
            if not several:
                bar.total = total
                bar.update(done - bar.n)

        for src, dst in zip(inputs, targets):
            try:
                transcode(src, dst, args.to, encoding_plugin=args.plugin, verify=args.verify,
                          progress=frame_progress, **options)
            except DicomPixelsError as exc:
                if not several:
                    raise
                failures += 1
                bar.write(f"dicom-pixels: error: {src}: {exc}", file=sys.stderr)
                continue
            finally:
                if several:
                    bar.update(1)
            if not args.quiet:
                bar.write(f"wrote {dst}", file=sys.stdout)
    if failures:
        print(f"dicom-pixels: {failures} of {len(inputs)} files failed (see above)", file=sys.stderr)
    return 1 if failures else 0


# -- parser ----------------------------------------------------------------------------------


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no progress bar and no 'wrote ...' lines (errors still go to stderr)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for the docs); ``main`` parses each command's arguments
    intermixed, so options may follow the file names.

    >>> "transcode" in build_parser().format_help()
    True
    """
    return _build()[0]


def _build() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The top-level parser and each command's parser, by name."""
    parser = argparse.ArgumentParser(
        prog="dicom-pixels",
        description="Inspect DICOM files, list codec plugins, decode pixel data to .npy or .png, transcode.",
        epilog=_EPILOG.format(examples=", ".join(examples.names())),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"dicom-pixels {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    info = sub.add_parser("info", help="describe a file's pixel data",
                          description="Describe the pixel data of a DICOM file.")
    info.add_argument("file", metavar="FILE", help="a DICOM file or a bundled example name")
    info.set_defaults(func=_cmd_info)
    plug = sub.add_parser("plugins", help="list installed plugins, their codecs and missing requirements",
                          description="List the installed codec plugins, their codecs and what they miss.")
    plug.set_defaults(func=_cmd_plugins)
    dec = sub.add_parser("decode", help="decode pixel data to .npy or .png",
                         description="Decode the pixel data of FILE to a NumPy .npy file or a PNG image.")
    dec.add_argument("file", metavar="FILE", help="a DICOM file or a bundled example name")
    dec.add_argument("-o", "--output", required=True, metavar="OUT",
                     help="OUT.npy (every frame, or --frame) or OUT.png (one frame; see --all-frames)")
    frames = dec.add_mutually_exclusive_group()
    frames.add_argument("--frame", type=int, default=None, metavar="N", help="decode only frame N (0-based)")
    frames.add_argument("--all-frames", action="store_true",
                        help="PNG only: write every frame, numbered OUT_0.png, OUT_1.png, ...")
    dec.add_argument("--plugin", default="", help="the decoding plugin to use (see 'dicom-pixels plugins')")
    dec.add_argument("--raw", action="store_true", help="no colour conversion and no palette for the PNG")
    dec.add_argument("--window", type=_window, default=None, metavar="CENTER,WIDTH",
                     help="the PNG's window, in stored values (default: the file's first window)")
    _add_common(dec)
    dec.set_defaults(func=_cmd_decode)
    tra = sub.add_parser(
        "transcode", help="re-encode files to another transfer syntax, keeping every other element",
        description="Re-encode files to another transfer syntax, keeping every other element.",
    )
    tra.add_argument("inputs", nargs="+", metavar="IN", help="DICOM files (or example names)")
    tra.add_argument("output", metavar="OUT", help="output file, or a directory for several inputs")
    tra.add_argument("--to", required=True, help="target transfer syntax keyword or UID, e.g. JPEG2000Lossless")
    tra.add_argument("--plugin", default="", help="the encoding plugin to use")
    tra.add_argument("--verify", action="store_true", help="decode the result and compare (lossless)")
    tra.add_argument("--j2k-cr", type=_ratios, default=None, help="JPEG 2000 compression ratio(s), e.g. 20 or 40,10")
    tra.add_argument("--j2k-psnr", type=_ratios, default=None, help="JPEG 2000 PSNR value(s) in dB, e.g. 45")
    tra.add_argument("--jls-error", type=int, default=None, help="JPEG-LS NEAR value")
    tra.add_argument("--quality", type=int, default=None, help="JPEG / JPEG XL quality, 1-100")
    _add_common(tra)
    tra.add_argument("--workers", type=int, default=None,
                     help="threads encoding frames (default: one per core when the codec allows)")
    tra.set_defaults(func=_cmd_transcode)
    return parser, {"info": info, "plugins": plug, "decode": dec, "transcode": tra}


def _parse(argv: list[str]) -> argparse.Namespace:
    """Parse *argv*: the command's own arguments intermixed (``transcode a b --to X out``)."""
    parser, commands = _build()
    position = next((i for i, arg in enumerate(argv) if not arg.startswith("-")), None)
    if position is None or argv[position] not in commands:
        return parser.parse_args(argv)  # --help, --version, or an unknown command: argparse says so
    args = commands[argv[position]].parse_intermixed_args(argv[:position] + argv[position + 1:])
    args.command = argv[position]
    return args


def _describe_os_error(exc: OSError) -> str:
    what = exc.strerror or str(exc)
    where = f" '{exc.filename}'" if exc.filename else ""
    return f"{what}{where}: check the path and that there is space and permission to write there"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status.

    >>> main(["info", "ct"])  # doctest: +ELLIPSIS
    File ...
    0
    """
    args = _parse(list(sys.argv[1:] if argv is None else argv))
    try:
        return int(args.func(args))
    except DicomPixelsError as exc:
        print(f"dicom-pixels: error: {exc}", file=sys.stderr)
    except OSError as exc:
        print(f"dicom-pixels: error: {_describe_os_error(exc)}", file=sys.stderr)
    except MemoryError:
        print("dicom-pixels: error: not enough memory: decode one frame at a time (--frame N)",
              file=sys.stderr)
    except KeyboardInterrupt:
        print("dicom-pixels: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one line, not a traceback, and where to report it
        print(f"dicom-pixels: internal error: {type(exc).__name__}: {exc}. Please report it, with the "
              f"command line, at {_ISSUES}", file=sys.stderr)
    return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
