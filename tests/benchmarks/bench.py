"""Benchmarks: dicom-pixels beside pydicom 3 on the same files, in one run.

``nox -s bench`` runs this at full scale; ``tests/test_bench_smoke.py`` runs it
at a tiny scale in CI so it never rots (no assertion on time there).

Each measurement runs in a fresh Python process, so peak RSS (``ru_maxrss``)
belongs to that measurement alone; the table reports the increase over the
process's RSS after imports ("ΔRSS"), next to the size of the decoded output.
For pydicom every installed plugin that can decode the workload is tried and
the fastest is reported. "raw" is the same backend called directly on the same
in-memory frames on one thread, keeping every decoded frame (for native data:
reading the file's bytes);
"1 worker" is dicom-pixels with ``workers=1`` and that same plugin, so "overhead
vs raw" is the framework's cost per frame (reading, offset tables, sign and
colour handling, allocation); "2 workers vs 1" is the speed-up of ``workers=2``.

Usage::

    python tests/benchmarks/bench.py [--scale 1.0] [--workdir DIR] [--only NAME ...]
                                      [--markdown docs/performance.md]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve()

# -- workloads ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    """One benchmark: how to make its files and how to decode them."""

    name: str
    description: str
    transfer_syntax: str
    make: Callable[[Path, float], list[Path]]
    index: int | None = None  # decode only this frame (lazy-access workload)
    random_calls: int = 0  # this many pixel_array(path, index=k) calls, k random (data loaders)


def _ct_like(frames: int, rows: int, cols: int, seed: int = 0) -> np.ndarray:
    """Smooth anatomy-like int16 frames with noise: realistic compressibility."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[-1 : 1 : rows * 1j, -1 : 1 : cols * 1j]
    body = ((x / 0.8) ** 2 + (y / 0.9) ** 2 <= 1).astype(np.float32)
    out = np.empty((frames, rows, cols), np.int16)
    for i in range(frames):
        organ = ((x - 0.2 * np.sin(i / 7)) / 0.3) ** 2 + (y / 0.25) ** 2 <= 1
        frame = -1000 + body * 1040 + organ * 60 + rng.normal(0, 12, (rows, cols))
        out[i] = np.clip(frame, -1024, 3071)
    return out


def _rgb_like(frames: int, rows: int, cols: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:rows, 0:cols]
    base = np.stack([x * 255 // cols, y * 255 // rows, (x + y) * 255 // (rows + cols)], -1)
    out = np.empty((frames, rows, cols, 3), np.uint8)
    for i in range(frames):
        shift = np.roll(base, i * 3, axis=1) + rng.integers(0, 24, (rows, cols, 3))
        out[i] = np.clip(shift, 0, 255)
    return out


def _write(path: Path, arr: np.ndarray, ts: str, frames: list[bytes] | None, pi: str, signed: int) -> Path:
    from dicom_pixels.writer import DataElement, write_file

    nframes = arr.shape[0]
    samples = arr.shape[3] if arr.ndim == 4 else 1
    bits = arr.dtype.itemsize * 8
    elements = [
        DataElement(0x00280002, "US", samples),
        DataElement(0x00280004, "CS", pi),
        DataElement(0x00280010, "US", arr.shape[1]),
        DataElement(0x00280011, "US", arr.shape[2]),
        DataElement(0x00280100, "US", bits),
        DataElement(0x00280101, "US", bits),
        DataElement(0x00280102, "US", bits - 1),
        DataElement(0x00280103, "US", signed),
    ]
    if nframes > 1:
        elements.append(DataElement(0x00280008, "IS", nframes))
    if samples > 1:
        elements.append(DataElement(0x00280006, "US", 0))
    kwargs = {"frames": frames} if frames is not None else {"pixel_data": arr.tobytes()}
    write_file(path, elements, transfer_syntax_uid=ts, sop_class_uid="1.2.840.10008.5.1.4.1.1.7",
               sop_instance_uid="1.2.3.4", **kwargs)
    return path


def _n(count: int, scale: float) -> int:
    return max(2, round(count * scale))


def _make_int16(ts: str, encode: Callable[[np.ndarray], bytes] | None) -> Callable[[Path, float], list[Path]]:
    def make(path: Path, scale: float) -> list[Path]:
        arr = _ct_like(_n(100, scale), 512, 512)
        frames = None if encode is None else [encode(f) for f in arr]
        return [_write(path, arr, ts, frames, "MONOCHROME2", 1)]

    return make


def _rle(frame: np.ndarray) -> bytes:
    from dicom_pixels.codec import EncodeFrame
    from dicom_pixels.description import ImageDescription
    from dicom_pixels_native.rle import encode_rle

    image = ImageDescription(*frame.shape[:2], 1, 16, 16, 1, "MONOCHROME2", "1.2.840.10008.1.2.5")
    return encode_rle(frame, EncodeFrame(image=image, index=0, options={}))


def _jpegls(frame: np.ndarray) -> bytes:
    import imagecodecs

    # JPEG-LS has no signed mode: store the two's complement bit pattern (PS3.5 A.4.3 notes).
    return imagecodecs.jpegls_encode(frame.view(np.uint16), level=0)


def _j2k(frame: np.ndarray) -> bytes:
    import imagecodecs

    return imagecodecs.jpeg2k_encode(frame, level=0, codecformat="J2K", reversible=True)


class Unavailable(Exception):
    """A workload this machine cannot generate; it is left out with the reason."""


def _htj2k(frame: np.ndarray) -> bytes:
    import imagecodecs

    if not hasattr(imagecodecs, "htj2k_encode"):
        raise Unavailable(
            f"imagecodecs {imagecodecs.__version__} has no HTJ2K encoder (OpenJPH came with "
            "2026.1.1; Python 3.10's newest imagecodecs is 2025.3.30)"
        )
    return imagecodecs.htj2k_encode(frame, level=0)


def _jpeg_ybr(frame: np.ndarray) -> bytes:
    import imagecodecs

    # libjpeg converts RGB to YCbCr and subsamples 4:2:2: YBR_FULL_422 (PS3.5 8.2.1).
    return imagecodecs.jpeg8_encode(frame, level=90, colorspace="RGB", outcolorspace="YCbCr",
                                    subsampling="422")


def _make_ybr(count: int, rows: int, cols: int) -> Callable[[Path, float], list[Path]]:
    def make(path: Path, scale: float) -> list[Path]:
        arr = _rgb_like(_n(count, scale), rows, cols)
        return [_write(path, arr, "1.2.840.10008.1.2.4.50", [_jpeg_ybr(f) for f in arr], "YBR_FULL_422", 0)]

    return make


def _make_ct_series(path: Path, scale: float) -> list[Path]:
    """A series of single-frame CT files with a real scanner's header: that of pydicom's
    CT_small.dcm (258 top-level elements, 179 of them private, one sequence; 6.3 KB before
    the pixels), with 512x512 int16 pixels, a new SOP Instance UID, Instance Number and
    slice position per file. Per-file cost is mostly the header's: a file holding only
    the Image Pixel module would leave it out."""
    import pydicom
    from pydicom.data import get_testdata_file
    from pydicom.uid import generate_uid

    folder = path.with_suffix("")
    folder.mkdir(exist_ok=True)
    arr = _ct_like(_n(100, scale), 512, 512)
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    ds.Rows, ds.Columns = arr.shape[1:]
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
    paths = []
    for i, frame in enumerate(arr):
        uid = generate_uid(entropy_srcs=["dicom-pixels bench ct_files", str(i)])  # the same every run
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = uid
        ds.InstanceNumber = i + 1
        ds.ImagePositionPatient = [-125.0, -125.0, -2.5 * i]
        ds.PixelData = frame.tobytes()
        paths.append(folder / f"ct{i:04d}.dcm")
        ds.save_as(paths[-1], enforce_file_format=True)
    return paths


def _make_lazy(path: Path, scale: float) -> list[Path]:
    arr = _ct_like(_n(2000, scale), 128, 128)
    return [_write(path, arr, "1.2.840.10008.1.2.1", None, "MONOCHROME2", 1)]


WORKLOADS = [
    Workload("native", "100 x 512x512 int16, Explicit VR LE", "1.2.840.10008.1.2.1", _make_int16("1.2.840.10008.1.2.1", None)),
    Workload("rle", "100 x 512x512 int16, RLE Lossless", "1.2.840.10008.1.2.5", _make_int16("1.2.840.10008.1.2.5", _rle)),
    Workload("jpegls", "100 x 512x512 int16, JPEG-LS lossless", "1.2.840.10008.1.2.4.80", _make_int16("1.2.840.10008.1.2.4.80", _jpegls)),
    Workload("j2k", "100 x 512x512 int16, JPEG 2000 lossless", "1.2.840.10008.1.2.4.90", _make_int16("1.2.840.10008.1.2.4.90", _j2k)),
    Workload("htj2k", "100 x 512x512 int16, HTJ2K lossless", "1.2.840.10008.1.2.4.201", _make_int16("1.2.840.10008.1.2.4.201", _htj2k)),
    Workload("us_jpeg", "200 x 480x640 RGB JPEG Baseline YBR_FULL_422 -> RGB", "1.2.840.10008.1.2.4.50", _make_ybr(200, 480, 640)),
    Workload("wsi_tiles", "2000 x 256x256 RGB JPEG Baseline tiles -> RGB", "1.2.840.10008.1.2.4.50", _make_ybr(2000, 256, 256)),
    Workload("ct_files", "100 single-frame 512x512 CT files from paths", "1.2.840.10008.1.2.1", _make_ct_series),
    Workload("one_of_2000", "frame 1000 of a 2000-frame 128x128 file", "1.2.840.10008.1.2.1", _make_lazy, index=-1),
    Workload("random_frames", "150 calls pixel_array(path, index=k), k random, of 2000 x 256x256 RGB JPEG "
             "tiles with a Basic Offset Table", "1.2.840.10008.1.2.4.50", _make_ybr(2000, 256, 256),
             random_calls=150),
]


def random_indices(frame_count: int, calls: int) -> list[int]:
    """The frames a data loader would ask for: *calls* random indices, the same every run."""
    return [int(k) for k in np.random.default_rng(14).integers(0, frame_count, calls)]


#: Part of the cached files' names: raise it when a generator changes what it writes.
WORKLOAD_VERSION = 3


def prepare(workload: Workload, workdir: Path, scale: float) -> list[Path]:
    """Create the workload's files once per scale and :data:`WORKLOAD_VERSION` (cached in *workdir*)."""
    path = workdir / f"{workload.name}_{scale:g}_v{WORKLOAD_VERSION}.dcm"
    marker = path.with_suffix(".done")
    if marker.exists():
        return [Path(p) for p in json.loads(marker.read_text())]
    paths = workload.make(path, scale)
    marker.write_text(json.dumps([str(p) for p in paths]))
    return paths


# -- one measurement, in a child process ---------------------------------------------------------


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _rss_kb() -> int:
    """Current RSS, after resetting the peak (VmHWM) so that the peak measured later
    belongs to the timed work only (Linux: writing 5 to clear_refs resets VmHWM)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass
    return _status_kb("VmRSS")


def _frames_in_memory(path: Path) -> tuple[list[bytes], str]:
    from dicom_pixels.source import open_source

    with open_source(path) as src:
        return [src.read_frame(i)[0] for i in range(src.frame_count)], src.image.transfer_syntax.family


def _raw_decoder(plugin: str, family: str) -> Callable[[bytes], object] | None:
    """The backend function a plugin calls, to time the codec without any framework."""
    if plugin == "imagecodecs":
        import imagecodecs

        return {"jpeg": imagecodecs.jpeg8_decode, "jpegls": imagecodecs.jpegls_decode,
                "j2k": imagecodecs.jpeg2k_decode, "htj2k": imagecodecs.htj2k_decode,
                "rle": None}.get(family)
    if plugin == "pylibjpeg":
        if family in ("j2k", "htj2k"):
            import openjpeg

            return openjpeg.decode
        if family in ("jpeg", "jpegls"):
            import libjpeg

            return libjpeg.decode
    return None


def measure(library: str, paths: list[Path], index: int | None, plugin: str, workers: int | None = None,
            indices: list[int] | None = None) -> dict:
    """Decode *paths* with *library*; return seconds, ΔRSS and the plugin used.

    *workers* (dicom-pixels only) fixes the size of the frame worker pool; by default
    dicom-pixels picks it (one per core for codecs that release the GIL). With *indices*,
    each of those frames of the first path is decoded by a call of its own, as a data
    loader does (each call opens the file again).
    """
    import warnings

    warnings.simplefilter("ignore")
    import dicom_pixels as dp

    if library == "pydicom":
        from pydicom.pixels import pixel_array as decode
    elif library == "dicom_pixels":
        decode = dp.pixel_array
    if library == "raw":
        frames, family = _frames_in_memory(paths[0])
        if family == "native":
            start_rss = _rss_kb()

            def read_all() -> None:
                for p in paths:
                    Path(p).read_bytes()

            return {"seconds": _best_pass(read_all), "drss_mb": _drss(start_rss), "plugin": "read_bytes"}
        func = _raw_decoder(plugin, family)
        if func is None:
            return {"seconds": None, "drss_mb": None, "plugin": f"{plugin} (no raw entry)"}
        start_rss = _rss_kb()

        def decode_all() -> None:
            # Every decoded frame is kept, as a decode of the whole image keeps them: otherwise
            # the raw loop reuses one freed buffer and never pays for touching the output's memory.
            kept = [func(f) for f in frames]
            del kept

        return {"seconds": _best_pass(decode_all), "drss_mb": _drss(start_rss), "plugin": plugin}
    kwargs: dict = {"decoding_plugin": plugin} if plugin else {}
    if workers is not None and library == "dicom_pixels":
        kwargs["workers"] = workers
    if index is not None:
        kwargs["index"] = index
    # Warm up imports, plugin discovery and the backend on the first frame, outside the timing.
    arr = decode(paths[0], index=0, **{k: v for k, v in kwargs.items() if k != "index"})
    del arr
    start_rss = _rss_kb()

    def decode_paths() -> None:
        if indices:
            for k in indices:
                arr = decode(paths[0], index=k, **kwargs)
                del arr
            return
        for p in paths:
            arr = decode(p, **kwargs)
            del arr

    return {"seconds": _best_pass(decode_paths), "drss_mb": _drss(start_rss), "plugin": plugin or "default"}


#: A workload that takes less than this is timed again in the same process until this much
#: time is spent, and its fastest pass kept (as ``timeit`` does): one pass of a few
#: milliseconds is mostly noise, and at 0.25 s a 0.2-s encode got one or two passes, whose
#: ratios moved by 15% between runs. The same rule applies to every library.
#: ``DICOM_PIXELS_BENCH_MIN_SECONDS`` overrides it (the smoke test uses 0.25).
MIN_TIMED_SECONDS = float(os.environ.get("DICOM_PIXELS_BENCH_MIN_SECONDS", "1.0"))


def _best_pass(run: Callable[[], None]) -> float:
    best = float("inf")
    spent = 0.0
    while spent < MIN_TIMED_SECONDS:
        t0 = time.perf_counter()
        run()
        seconds = time.perf_counter() - t0
        best = min(best, seconds)
        spent += seconds
    return best


def _drss(start_kb: int) -> float:
    peak_kb = _status_kb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return max(0, peak_kb - start_kb) / 1024


def run_child(library: str, paths: list[Path], index: int | None, plugin: str = "",
              workers: int | None = None, indices: list[int] | None = None) -> dict:
    cmd = [sys.executable, str(HERE), "--child", library, "--plugin", plugin,
           "--index", "" if index is None else str(index),
           "--workers", "" if workers is None else str(workers),
           "--indices", ",".join(map(str, indices or [])), *map(str, paths)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        return {"seconds": None, "drss_mb": None, "plugin": plugin, "error": out.stderr.strip().splitlines()[-1:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- the table ------------------------------------------------------------------------------------


def output_mb(paths: list[Path], index: int | None, calls: int = 0) -> float:
    from dicom_pixels.source import open_source

    total = 0
    for p in paths:
        with open_source(p) as src:
            image = src.image
            frames = calls or (1 if index is not None else src.frame_count)
            total += image.pixels_per_frame * image.dtype.itemsize * frames
    return total / 2**20


def pydicom_plugins(ts: str) -> list[str]:
    from pydicom.pixels import get_decoder

    decoder = get_decoder(ts)
    return list(decoder.available_plugins) if decoder.is_encapsulated else [""]


def our_plugin(ts: str) -> str:
    import dicom_pixels as dp

    available = dp.get_decoder(ts).available_plugins
    return available[0] if available else ""


def bench(workloads: list[Workload], workdir: Path, scale: float, repeat: int) -> list[dict]:
    rows = []
    for wl in workloads:
        try:
            paths = prepare(wl, workdir, scale)
        except Unavailable as exc:
            print(f"{wl.name}: left out: {exc}", flush=True)
            continue
        index = None
        indices = None
        if wl.index is not None or wl.random_calls:
            from dicom_pixels.source import open_source

            with open_source(paths[0]) as src:
                if wl.random_calls:
                    indices = random_indices(src.frame_count, wl.random_calls)
                else:
                    index = src.frame_count // 2
        plugin = our_plugin(wl.transfer_syntax)

        def best(library: str, plugin_name: str, workers: int | None = None, paths=paths, index=index,
                 indices=indices) -> dict:
            runs = [run_child(library, paths, index, plugin_name, workers, indices) for _ in range(repeat)]
            ok = [r for r in runs if r.get("seconds") is not None]
            return min(ok, key=lambda r: r["seconds"]) if ok else runs[0]

        ours = best("dicom_pixels", "")
        theirs_all = [best("pydicom", p) for p in pydicom_plugins(wl.transfer_syntax)]
        theirs_ok = [r for r in theirs_all if r.get("seconds")]
        theirs = min(theirs_ok, key=lambda r: r["seconds"]) if theirs_ok else theirs_all[0]
        raw = best("raw", plugin) if wl.index is None and not indices else {"seconds": None, "plugin": ""}
        # Framework overhead on one thread (same plugin as the raw call) and the 2-worker speed-up,
        # for codecs with a raw entry point (the encapsulated multi-frame workloads).
        one = two = {}
        if raw.get("seconds") is not None and plugin:
            one = best("dicom_pixels", plugin, workers=1)
            two = best("dicom_pixels", plugin, workers=2)
        row = {
            "workload": wl.name,
            "description": wl.description,
            "output_mb": output_mb(paths, index, len(indices or [])),
            "ours_s": ours.get("seconds"),
            "ours_drss_mb": ours.get("drss_mb"),
            "ours_plugin": plugin,
            "pydicom_s": theirs.get("seconds"),
            "pydicom_drss_mb": theirs.get("drss_mb"),
            "pydicom_plugin": theirs.get("plugin"),
            "raw_s": raw.get("seconds"),
            "raw_what": raw.get("plugin"),
            "ours_1w_s": one.get("seconds"),
            "ours_2w_s": two.get("seconds"),
        }
        if wl.index is not None:
            import dicom_pixels as dp
            from dicom_pixels.reader import read_dicom  # count bytes read for one frame

            with read_dicom(paths[0]) as dicom:
                header = dicom.bytes_read
            counter = _CountingFile(paths[0])
            dp.pixel_array(counter, index=index)
            frame_bytes = 128 * 128 * 2
            row["bytes_read_frames"] = (counter.count - header) / frame_bytes
        if indices and row["ours_s"] and row["pydicom_s"]:
            row["calls"] = len(indices)
            row["per_call_ms"] = row["ours_s"] / len(indices) * 1000
            row["pydicom_per_call_ms"] = row["pydicom_s"] / len(indices) * 1000
        rows.append(row)
        print(_format_row(row), flush=True)
    return rows


class _CountingFile:
    """A read-only file object that counts bytes read."""

    def __init__(self, path: Path) -> None:
        self._f = open(path, "rb")  # noqa: SIM115 - closed by the garbage collector in a benchmark
        self.count = 0

    def read(self, n: int = -1) -> bytes:
        data = self._f.read(n)
        self.count += len(data)
        return data

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        n = self._f.readinto(buffer)
        self.count += n
        return n

    def seek(self, *args: int) -> int:
        return self._f.seek(*args)

    def tell(self) -> int:
        return self._f.tell()

    def seekable(self) -> bool:
        return True


def _ratio(a: float | None, b: float | None) -> str:
    return f"{b / a:.2f}x" if a and b else "-"


HEADER = ("| workload | output MB | dicom-pixels s (plugin) | ΔRSS MB | pydicom s (best plugin) | ΔRSS MB "
          "| speed vs pydicom | raw s (1 thread) | 1 worker s | overhead vs raw | 2 workers vs 1 |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|")


def _format_row(r: dict) -> str:
    def s(v: float | None) -> str:
        return f"{v:.3f}" if v is not None else "-"

    extra = f" (read {r['bytes_read_frames']:.2f} frames of bytes)" if "bytes_read_frames" in r else ""
    if r.get("calls"):
        extra = f" ({r['calls']} calls, {r['per_call_ms']:.2f} ms per call vs pydicom's {r['pydicom_per_call_ms']:.2f})"
    return (f"| {r['workload']}{extra} | {r['output_mb']:.1f} | {s(r['ours_s'])} ({r['ours_plugin'] or 'native'}) "
            f"| {s(r['ours_drss_mb'])} | {s(r['pydicom_s'])} ({r['pydicom_plugin'] or 'native'}) "
            f"| {s(r['pydicom_drss_mb'])} | {_ratio(r['ours_s'], r['pydicom_s'])} | {s(r['raw_s'])} "
            f"| {s(r.get('ours_1w_s'))} | {_overhead(r.get('raw_s'), r.get('ours_1w_s'))} "
            f"| {_ratio(r.get('ours_2w_s'), r.get('ours_1w_s'))} |")


def _overhead(raw: float | None, ours: float | None) -> str:
    return f"{(ours / raw - 1) * 100:+.1f}%" if raw and ours else "-"


# -- encoding: transcode a native file, beside pydicom's compress + save_as ------------------------


@dataclass(frozen=True)
class EncodeWorkload:
    """One encode benchmark: a native source file re-encoded as *target*."""

    name: str
    description: str
    source: Workload  # the native file to encode (made and cached like a decode workload)
    target: str
    options: tuple[tuple[str, object], ...] = ()
    pydicom_options: tuple[tuple[str, object], ...] = ()


def _make_rgb_native(path: Path, scale: float) -> list[Path]:
    arr = _rgb_like(_n(100, scale), 480, 640)
    return [_write(path, arr, "1.2.840.10008.1.2.1", None, "RGB", 0)]


_INT16_NATIVE = WORKLOADS[0]
_RGB_NATIVE = Workload("rgb_native", "100 x 480x640 RGB, Explicit VR LE", "1.2.840.10008.1.2.1", _make_rgb_native)

ENCODE_WORKLOADS = [
    EncodeWorkload("encode_rle", "100 x 512x512 int16 -> RLE Lossless", _INT16_NATIVE, "1.2.840.10008.1.2.5"),
    EncodeWorkload("encode_jpegls", "100 x 512x512 int16 -> JPEG-LS lossless", _INT16_NATIVE,
                   "1.2.840.10008.1.2.4.80"),
    EncodeWorkload("encode_j2k", "100 x 512x512 int16 -> JPEG 2000 lossless", _INT16_NATIVE,
                   "1.2.840.10008.1.2.4.90"),
    EncodeWorkload("encode_htj2k", "100 x 512x512 int16 -> HTJ2K lossless", _INT16_NATIVE,
                   "1.2.840.10008.1.2.4.201"),
    EncodeWorkload("encode_jpeg", "100 x 480x640 RGB -> JPEG Baseline (quality 90, 4:2:2)", _RGB_NATIVE,
                   "1.2.840.10008.1.2.4.50"),
    EncodeWorkload("encode_htj2k_lossy", "100 x 480x640 RGB -> HTJ2K lossy (PSNR 45 dB)", _RGB_NATIVE,
                   "1.2.840.10008.1.2.4.203", options=(("j2k_psnr", [45]),)),
]


def _raw_encoder(target: str, arr: np.ndarray) -> tuple[Callable[[np.ndarray], object], str] | None:
    """The backend call the default plugin makes per frame, to time the codec alone."""
    import imagecodecs

    if target == "1.2.840.10008.1.2.5":
        def rle(frame: np.ndarray) -> object:
            # PackBits of each byte plane, high byte first (PS3.5 G.2), as the plugin does.
            planes = np.ascontiguousarray(frame.view(np.uint8).reshape(*frame.shape, 2)[..., ::-1].transpose(2, 0, 1))
            return [imagecodecs.packbits_encode(plane) for plane in planes]

        return rle, "imagecodecs PackBits"
    if target == "1.2.840.10008.1.2.4.80":
        return (lambda f: imagecodecs.jpegls_encode(f.view(np.uint16))), "imagecodecs"
    if target == "1.2.840.10008.1.2.4.90":
        return (lambda f: imagecodecs.jpeg2k_encode(f, codecformat="J2K", reversible=True,
                                                     bitspersample=16)), "imagecodecs"
    if target == "1.2.840.10008.1.2.4.201" and hasattr(imagecodecs, "htj2k_encode"):
        return (lambda f: imagecodecs.htj2k_encode(f, reversible=True)), "imagecodecs"
    if target == "1.2.840.10008.1.2.4.50":
        return (lambda f: imagecodecs.jpeg8_encode(f, level=90, colorspace="RGB", outcolorspace="YCBCR",
                                                    subsampling="422")), "imagecodecs"
    if target == "1.2.840.10008.1.2.4.203" and hasattr(imagecodecs, "htj2k_encode"):
        # One encode at a fixed quantisation step; the plugin searches the step per frame.
        return (lambda f: imagecodecs.htj2k_encode(f, level=0.01, reversible=False)), "imagecodecs (one step)"
    return None


def measure_encode(library: str, path: Path, target: str, options: dict, plugin: str,
                   workers: int | None) -> dict:
    """Encode *path* as *target* with *library*; return seconds, ΔRSS and what was used.

    ``dicom_pixels``: :func:`dicom_pixels.transcode` to a file (``workers`` threads, or the
    default); ``pydicom``: ``dcmread`` + ``Dataset.compress`` + ``save_as`` with *plugin*;
    ``raw``/``raw_all``: the backend on the frames held in memory (decoded beforehand), on
    one thread or on one thread per core, keeping every encoded frame.
    """
    import tempfile
    import warnings
    from concurrent.futures import ThreadPoolExecutor

    warnings.simplefilter("ignore")
    import dicom_pixels as dp

    out = Path(tempfile.mkdtemp()) / "out.dcm"
    if library in ("raw", "raw_all"):
        arr = dp.pixel_array(path)
        found = _raw_encoder(target, arr)
        if found is None:
            return {"seconds": None, "drss_mb": None, "plugin": "-"}
        func, what = found
        func(arr[0])  # warm up
        threads = 1 if library == "raw" else os.cpu_count() or 1
        start_rss = _rss_kb()

        def encode_all() -> None:
            if threads == 1:
                kept = [func(f) for f in arr]
            else:
                with ThreadPoolExecutor(threads) as pool:
                    kept = list(pool.map(func, arr))
            del kept

        return {"seconds": _best_pass(encode_all), "drss_mb": _drss(start_rss), "plugin": what}
    if library == "pydicom":
        import pydicom

        def encode_file() -> None:
            ds = pydicom.dcmread(path)
            ds.compress(target, encoding_plugin=plugin, **options)
            ds.save_as(out, enforce_file_format=True)
    else:
        kwargs = dict(options)
        if workers is not None:
            kwargs["workers"] = workers

        def encode_file() -> None:
            dp.transcode(path, out, target, encoding_plugin=plugin, **kwargs)

    encode_file()  # warm up imports and plugin discovery, outside the timing
    start_rss = _rss_kb()
    return {"seconds": _best_pass(encode_file), "drss_mb": _drss(start_rss),
            "plugin": plugin or _our_encoder(target)}


def _our_encoder(target: str) -> str:
    import dicom_pixels as dp

    available = dp.get_encoder(target).available_plugins
    return available[0] if available else ""


def run_encode_child(library: str, path: Path, target: str, options: dict, plugin: str = "",
                     workers: int | None = None) -> dict:
    cmd = [sys.executable, str(HERE), "--child", f"encode:{library}", "--plugin", plugin,
           "--workers", "" if workers is None else str(workers), "--target", target,
           "--options", json.dumps(options), str(path)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        return {"seconds": None, "drss_mb": None, "plugin": plugin, "error": out.stderr.strip().splitlines()[-1:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def pydicom_encoders(target: str) -> list[str]:
    """pydicom's plugins that can encode *target* here (none: pydicom cannot)."""
    from pydicom.pixels import get_encoder

    try:
        return list(get_encoder(target).available_plugins)
    except (NotImplementedError, ValueError, KeyError):
        return []


def bench_encode(workloads: list[EncodeWorkload], workdir: Path, scale: float, repeat: int) -> list[dict]:
    rows = []
    for wl in workloads:
        path = prepare(wl.source, workdir, scale)[0]
        options = dict(wl.options)

        def best(library: str, plugin: str = "", workers: int | None = None, path: Path = path,
                 options: dict = options, target: str = wl.target) -> dict:
            runs = [run_encode_child(library, path, target, options, plugin, workers) for _ in range(repeat)]
            ok = [r for r in runs if r.get("seconds") is not None]
            return min(ok, key=lambda r: r["seconds"]) if ok else runs[0]

        ours = best("dicom_pixels")
        if ours.get("seconds") is None:
            print(f"{wl.name}: left out: {ours.get('error')}", flush=True)
            continue
        theirs_all = [best("pydicom", p) for p in pydicom_encoders(wl.target)]
        theirs_ok = [r for r in theirs_all if r.get("seconds")]
        theirs = min(theirs_ok, key=lambda r: r["seconds"]) if theirs_ok else {}
        raw1, raw_all = best("raw"), best("raw_all")
        with open(path, "rb") as f:
            source_mb = len(f.read()) / 2**20
        row = {
            "workload": wl.name, "description": wl.description, "source_mb": source_mb,
            "ours_s": ours["seconds"], "ours_drss_mb": ours.get("drss_mb"), "ours_plugin": ours.get("plugin"),
            "pydicom_s": theirs.get("seconds"), "pydicom_drss_mb": theirs.get("drss_mb"),
            "pydicom_plugin": theirs.get("plugin") or "cannot",
            "raw1_s": raw1.get("seconds"), "raw_all_s": raw_all.get("seconds"), "raw_what": raw1.get("plugin"),
        }
        rows.append(row)
        print(_format_encode_row(row), flush=True)
    return rows


ENCODE_HEADER = ("| encode workload | source MB | dicom-pixels transcode s (plugin) | ΔRSS MB "
                 "| pydicom compress+save s (best plugin) | ΔRSS MB | speed vs pydicom | raw encoder "
                 "1 thread s | raw encoder every core s | time / raw on every core |\n"
                 "|---|---|---|---|---|---|---|---|---|---|")


def _format_encode_row(r: dict) -> str:
    def s(v: float | None) -> str:
        return f"{v:.3f}" if v is not None else "-"

    slower = f"{r['ours_s'] / r['raw_all_s']:.2f}x" if r.get("raw_all_s") else "-"
    return (f"| {r['workload']} | {r['source_mb']:.1f} | {s(r['ours_s'])} ({r['ours_plugin']}) "
            f"| {s(r['ours_drss_mb'])} | {s(r['pydicom_s'])} ({r['pydicom_plugin']}) "
            f"| {s(r['pydicom_drss_mb'])} | {_ratio(r['ours_s'], r['pydicom_s'])} "
            f"| {s(r['raw1_s'])} ({r['raw_what']}) | {s(r['raw_all_s'])} | {slower} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full workload sizes")
    parser.add_argument("--workdir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "dicom-pixels-bench")
    parser.add_argument("--only", nargs="*", default=None, help="workload names")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (best is kept)")
    parser.add_argument("--markdown", type=Path, default=None, help="append the table to this file")
    parser.add_argument("--dask", action="store_true", help="also: Dask on threads and on a process cluster")
    parser.add_argument("--remote", action="store_true",
                        help="also: one frame of the random_frames slide over HTTP (requests and bytes)")
    parser.add_argument("--recompression", action="store_true",
                        help="only: the size JPEG XL JPEG Recompression saves on the JPEG workloads")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--plugin", default="", help=argparse.SUPPRESS)
    parser.add_argument("--index", default="", help=argparse.SUPPRESS)
    parser.add_argument("--workers", default="", help=argparse.SUPPRESS)
    parser.add_argument("--indices", default="", help=argparse.SUPPRESS)
    parser.add_argument("--target", default="", help=argparse.SUPPRESS)
    parser.add_argument("--options", default="{}", help=argparse.SUPPRESS)
    parser.add_argument("paths", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child and args.child.startswith("encode:"):
        workers = int(args.workers) if args.workers else None
        print(json.dumps(measure_encode(args.child.split(":", 1)[1], Path(args.paths[0]), args.target,
                                        json.loads(args.options), args.plugin, workers)))
        return 0
    if args.child:
        index = int(args.index) if args.index else None
        workers = int(args.workers) if args.workers else None
        indices = [int(k) for k in args.indices.split(",")] if args.indices else None
        print(json.dumps(measure(args.child, [Path(p) for p in args.paths], index, args.plugin, workers,
                                 indices)))
        return 0
    args.workdir.mkdir(parents=True, exist_ok=True)
    chosen = [w for w in WORKLOADS if args.only is None or w.name in args.only]
    if args.recompression:
        lines = bench_recompression([w for w in chosen if w.name in RECOMPRESSION_WORKLOADS], args.workdir,
                                    args.scale)
        if args.markdown:
            with args.markdown.open("a") as f:
                f.write("\n" + "\n".join(lines) + "\n")
        return 0
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"scale {args.scale}")
    if chosen:
        print(HEADER)
    rows = bench(chosen, args.workdir, args.scale, args.repeat)
    if args.markdown and rows:
        with args.markdown.open("a") as f:
            f.write("\n" + HEADER + "\n" + "\n".join(_format_row(r) for r in rows) + "\n")
    if args.dask:
        dask_lines = bench_dask(args.workdir, args.scale, args.repeat)
        if args.markdown:
            with args.markdown.open("a") as f:
                f.write("\n" + "\n".join(dask_lines) + "\n")
    if args.remote:
        remote_lines = bench_remote(args.workdir, args.scale)
        if args.markdown:
            with args.markdown.open("a") as f:
                f.write("\n" + "\n".join(remote_lines) + "\n")
    encodes = [w for w in ENCODE_WORKLOADS if args.only is None or w.name in args.only]
    if encodes:
        print(ENCODE_HEADER)
        encode_rows = bench_encode(encodes, args.workdir, args.scale, args.repeat)
        if args.markdown:
            with args.markdown.open("a") as f:
                f.write("\n" + ENCODE_HEADER + "\n" + "\n".join(_format_encode_row(r) for r in encode_rows) + "\n")
    return 0


# -- JPEG XL JPEG Recompression: size saved (issue 16) ----------------------------------------------

RECOMPRESSION_WORKLOADS = ("us_jpeg", "wsi_tiles")
RECOMPRESSION_HEADER = ("| recompression workload | frames | JPEG MB | JPEG XL MB | saved | round trip s "
                        "| byte-exact |\n|---|---|---|---|---|---|---|")


def _encapsulated_mb(path: Path) -> tuple[int, float]:
    frames, _ = _frames_in_memory(path)
    return len(frames), sum(len(f) for f in frames) / 1e6


def bench_recompression(workloads: list[Workload], workdir: Path, scale: float) -> list[str]:
    """Pixel Data size of the JPEG Baseline workloads before and after ``transcode`` to JPEG
    XL JPEG Recompression (1.2.840.10008.1.2.4.111), and whether transcoding back gives
    every JPEG frame byte for byte. The time is one pass there and back (2 transcodes)."""
    import dicom_pixels as dp

    lines = [RECOMPRESSION_HEADER]
    print(lines[0])
    for workload in workloads:
        (path,) = prepare(workload, workdir, scale)
        jxl, back = path.with_suffix(".jxl.dcm"), path.with_suffix(".back.dcm")
        start = time.perf_counter()
        dp.transcode(path, jxl, "JPEGXLJPEGRecompression")
        dp.transcode(jxl, back, "JPEGBaseline8Bit")
        seconds = time.perf_counter() - start
        frames, jpeg_mb = _encapsulated_mb(path)
        _, jxl_mb = _encapsulated_mb(jxl)
        exact = _frames_in_memory(back)[0] == _frames_in_memory(path)[0]
        line = (f"| {workload.name} | {frames} | {jpeg_mb:.2f} | {jxl_mb:.2f} | {1 - jxl_mb / jpeg_mb:.1%} "
                f"| {seconds:.2f} | {'yes' if exact else 'NO'} |")
        print(line, flush=True)
        lines.append(line)
        jxl.unlink()
        back.unlink()
    return lines


# -- Dask: one process, threads, and a process cluster (issue 14) -----------------------------------

DASK_HEADER = ("| dask workload | frames | one process s | dask threads s | cluster 1 worker s "
               "| cluster 2 workers s | 2 workers vs 1 | per-chunk overhead ms |\n"
               "|---|---|---|---|---|---|---|---|")


def _timed(run: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def bench_dask(workdir: Path, scale: float, repeat: int) -> list[str]:
    """Throughput of dicom_pixels.dask beside one process, per-chunk overhead, and how the
    cost grows with frames and workers. Measured in this process (the cluster's workers are
    its children); clusters are started before timing. On 2 cores a cluster cannot beat
    the threads of one process: it adds pickling, transfer to the client and scheduling."""
    import dask
    import distributed

    import dicom_pixels as dp
    from dicom_pixels.dask import series_to_dask_array, to_dask_array

    by_name = {w.name: w for w in WORKLOADS}
    cases: list[tuple[str, int, Callable[[], object], Callable[[int | None], object]]] = []
    for name in ("rle", "jpegls"):
        try:
            path = prepare(by_name[name], workdir, scale)[0]
        except Unavailable as exc:
            print(f"dask {name}: left out: {exc}", flush=True)
            continue
        count = to_dask_array(path).shape[0]
        cases.append((f"{name} multi-frame", count, lambda path=path: dp.pixel_array(path),
                      lambda per, path=path: to_dask_array(path, frames_per_chunk=per)))
    files = prepare(by_name["ct_files"], workdir, scale)
    cases.append(("ct_files series", len(files), lambda: dp.read_series(files),
                  lambda per: series_to_dask_array(files, files_per_chunk=per)))

    lines = [DASK_HEADER]
    print(DASK_HEADER, flush=True)
    clusters = {}
    for workers in (1, 2):
        cluster = distributed.LocalCluster(n_workers=workers, processes=True, threads_per_worker=1,
                                           dashboard_address=None, silence_logs=logging.ERROR)
        clusters[workers] = (cluster, distributed.Client(cluster, set_as_default=False))
    client2 = clusters[2][1]
    try:
        growth = []
        for label, count, one_process, lazy in cases:
            per_chunk = max(1, count // 8)
            with dask.config.set(scheduler="threads"):
                threads_s = _timed(lambda lazy=lazy, per_chunk=per_chunk: lazy(per_chunk).compute(), repeat)
            cluster_s = {}
            for workers, (_, client) in clusters.items():
                client.compute(lazy(per_chunk)).result()  # warm: imports and plugin discovery in the workers
                cluster_s[workers] = _timed(
                    lambda client=client, lazy=lazy, per_chunk=per_chunk: client.compute(lazy(per_chunk)).result(), repeat)
            # Per chunk: one frame per task against one task for every frame.
            one_each = _timed(lambda lazy=lazy: client2.compute(lazy(1)).result(), repeat)
            all_in_one = _timed(lambda lazy=lazy, count=count: client2.compute(lazy(count)).result(), repeat)
            overhead_ms = (one_each - all_in_one) / max(1, count - 1) * 1000
            line = (f"| {label} | {count} | {_timed(one_process, repeat):.3f} | {threads_s:.3f} "
                    f"| {cluster_s[1]:.3f} | {cluster_s[2]:.3f} | {cluster_s[1] / cluster_s[2]:.2f}x "
                    f"| {overhead_ms:.2f} |")
            print(line, flush=True)
            lines.append(line)
            for fraction in (4, 2, 1):
                part = max(1, count // fraction)
                seconds = _timed(lambda lazy=lazy, part=part, per_chunk=per_chunk:
                                 client2.compute(lazy(per_chunk)[:part]).result(), repeat)
                growth.append(f"{label}: {part} frames on 2 workers in {seconds:.3f} s "
                              f"({seconds / part * 1000:.2f} ms per frame)")
        lines.append("")
        lines.extend(f"- {g}" for g in growth)
        for g in growth:
            print(f"- {g}", flush=True)
    finally:
        for cluster, client in clusters.values():
            client.close()
            cluster.close()
    return lines



# -- Remote: one frame over HTTP, requests and bytes (issue 14) ---------------------------------------

REMOTE_HEADER = ("| remote read (HTTP, Range) | requests | MB transferred | frame MB | s |\n"
                 "|---|---|---|---|---|")


def bench_remote(workdir: Path, scale: float) -> list[str]:
    """One frame of the random_frames slide (JPEG tiles with a Basic Offset Table) read over
    HTTP from a server with Range support on 127.0.0.1: requests and bytes for dicom-pixels
    (a URL through fsspec) and for pydicom (``pixel_array`` on an fsspec file object with
    its default read-ahead cache), with the frame's own size beside them. Each is timed on
    its second call, as a data loader meets it."""
    import fsspec
    from pydicom.pixels import pixel_array as pydicom_pixel_array

    import dicom_pixels as dp

    sys.path.insert(0, str(Path(__file__).parents[1]))
    from streams_support import RangeServer

    by_name = {w.name: w for w in WORKLOADS}
    path = prepare(by_name["random_frames"], workdir, scale)[0]
    server = RangeServer()
    lines = [REMOTE_HEADER]
    print(REMOTE_HEADER, flush=True)
    try:
        server.files["/slide.dcm"] = path.read_bytes()
        url = server.url("/slide.dcm")
        with dp.open_source(path) as src:
            index = src.frame_count // 2
            frame_mb = src.encoded_length(index) / 1e6
        for library, read in (
            ("dicom-pixels", lambda: dp.pixel_array(url, index=index)),
            ("pydicom + fsspec", lambda: _pydicom_remote(fsspec, pydicom_pixel_array, url, index)),
        ):
            read()  # once first: imports, fsspec's session and event loop are not the read's cost
            server.reset()
            start = time.perf_counter()
            read()
            elapsed = time.perf_counter() - start
            lines.append(f"| {library}: frame {index} of {path.name} | {server.requests} "
                         f"| {server.bytes_served / 1e6:.3f} | {frame_mb:.3f} | {elapsed:.3f} |")
            print(lines[-1], flush=True)
    finally:
        server.close()
    return lines


def _pydicom_remote(fsspec: Any, pixel_array: Callable[..., Any], url: str, index: int) -> object:
    with fsspec.open(url, "rb") as f:
        return pixel_array(f, index=index)


if __name__ == "__main__":
    sys.exit(main())
