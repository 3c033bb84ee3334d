"""Decode speed of video pixel data through dicom-pixels beside PyAV decoding the same stream.

Not a test: ``nox -s bench`` runs it after the main benchmark (the numbers in the
plugin's README); alone::

    uv run python plugins/pyav/benchmarks/decode_speed.py [--frames 120] [--size 640x480]

For each codec (mpeg2video, libx264, libx265) a synthetic moving picture is
encoded with PyAV (key frame every 30 frames) and written as a DICOM file. Then,
best of 3 runs:

* HEVC without open GOPs (as the plugin encodes it: CRA pictures are no start point);
* ``PyAV all``: ``av.open`` on the stream, every frame ``to_ndarray("rgb24")``;
* ``pixel_array``: ``dp.pixel_array(path)`` (reads the file, checks the stream, RGB);
* ``iter_pixels``: ``for frame in dp.iter_pixels(path)``;
* ``one frame``: ``dp.pixel_array(path, index=frames - 2)``, beside PyAV decoding
  from the start up to that frame (what a reader without seeking does).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import numpy as np
from dicom_pixels_pyav.samples import CODECS, make_stream, moving_frames, video_dataset

import dicom_pixels as dp


def best(func: Callable[[], Any], repeat: int = 3) -> float:
    """Best wall time of *func* in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def pyav_frames(stream: bytes, stop: int | None = None) -> int:
    import io

    count = 0
    with av.open(io.BytesIO(stream)) as container:
        for picture in container.decode(video=0):
            picture.to_ndarray(format="rgb24")
            count += 1
            if stop is not None and count > stop:
                break
    return count


def measure(codec: str, frames: np.ndarray, folder: Path) -> str:
    """One table row for *codec*."""
    count, rows, columns = frames.shape[:3]
    # x265 writes open GOPs (CRA) unless told not to; those decode from the start.
    options = {"x265-params": "log-level=error:open-gop=0"} if codec == "hevc" else None
    stream = make_stream(codec, frames, gop=30, options=options)
    path = folder / f"{codec}.dcm"
    video_dataset(stream, CODECS[codec][2], count, rows, columns).save_as(path, enforce_file_format=True)
    index = count - 2
    assert np.array_equal(dp.pixel_array(path, index=index), dp.pixel_array(path)[index])
    direct = best(lambda: pyav_frames(stream))
    ours = best(lambda: dp.pixel_array(path))
    streamed = best(lambda: sum(1 for _ in dp.iter_pixels(path)))
    from_start = best(lambda: pyav_frames(stream, stop=index))
    seek = best(lambda: dp.pixel_array(path, index=index))
    return (f"| {CODECS[codec][0]} | {count / direct:.0f} | {count / ours:.0f} | {count / streamed:.0f} | "
            f"{from_start * 1000:.0f} ms | {seek * 1000:.0f} ms |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=120)
    parser.add_argument("--size", default="640x480")
    args = parser.parse_args()
    columns, rows = (int(v) for v in args.size.split("x"))
    frames = moving_frames(args.frames, rows, columns)
    print(f"{args.frames} frames of {columns} x {rows}, key frame every 30; frames/s (one frame: ms)\n")
    print("| codec | PyAV all | pixel_array | iter_pixels | one frame: PyAV from start | dicom-pixels index= |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for codec in CODECS:
            print(measure(codec, frames, Path(tmp)))


if __name__ == "__main__":
    main()
