"""Time one-frame decodes of each backend per transfer syntax, and check GIL release.

Not a test: run it by hand to refresh the numbers in the README of the imagecodecs
and pillow plugins::

    uv run python plugins/imagecodecs/benchmarks/decode_timings.py

Frames are 512 x 512: a 16-bit CT-like image (pydicom's ``693_J2KI.dcm`` decoded)
encoded losslessly with each codec, and an 8-bit RGB image (pydicom's
``examples_ybr_color.dcm`` frame tiled) encoded as JPEG Baseline. Each backend is
called directly (gdcm through ``pydicom.pixels`` with one frame, which adds well
under a millisecond). The time is the best of 7 runs.
"""

from __future__ import annotations

import io
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any

import imagecodecs
import numpy as np


def best(func: Callable[[], Any], repeat: int = 7) -> float:
    """Best wall time of *func* in milliseconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times) * 1000


def longest_gil_hold(func: Callable[[], Any], calls: int = 10) -> float:
    """Milliseconds a watcher thread waits, at worst (95th percentile), to get the
    GIL back while *func* decodes in the main thread.

    A watcher that sleeps 0.2 ms at a time needs the GIL after each sleep; a
    backend that holds the GIL for a whole decode delays it by about the decode
    time, one that releases it by at most the switch interval (5 ms). This is
    independent of how busy the machine's cores are, unlike a 2-thread speed-up.
    """
    gaps: list[float] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            start = time.perf_counter()
            time.sleep(0.0002)
            gaps.append(time.perf_counter() - start)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for _ in range(calls):
            func()
    finally:
        done.set()
        watcher.join()
    return float(np.percentile(gaps, 95)) * 1000 if gaps else float("nan")


def frames() -> dict[str, tuple[bytes, np.ndarray]]:
    from pydicom import dcmread
    from pydicom.data import get_testdata_file
    from pydicom.pixels.encoders.native import _encode_frame  # noqa: F401  (import check)

    ct = dcmread(get_testdata_file("693_J2KI.dcm")).pixel_array.astype("u2") & 0x0FFF
    rgb_small = dcmread(get_testdata_file("examples_ybr_color.dcm")).pixel_array[0]
    rgb = np.tile(rgb_small, (3, 2, 1))[:512, :512].copy()
    from pydicom.encaps import generate_frames

    rle = next(
        generate_frames(
            _rle_encode(ct),
            number_of_frames=1,
        )
    )
    return {
        "JPEG Baseline 8-bit RGB": (imagecodecs.jpeg8_encode(rgb, level=90), rgb),
        # Big enough for the 2-thread check to show whether the GIL is released.
        "JPEG Baseline 8-bit RGB 2048x2048": (
            imagecodecs.jpeg8_encode(np.tile(rgb, (4, 4, 1)), level=90),
            rgb,
        ),
        "JPEG Lossless SV1 12-bit": (
            imagecodecs.jpeg8_encode(ct, lossless=True, predictor=1, bitspersample=12),
            ct,
        ),
        "JPEG-LS Lossless 12-bit": (imagecodecs.jpegls_encode(ct), ct),
        "JPEG 2000 Lossless 12-bit": (
            imagecodecs.jpeg2k_encode(
                ct, level=0, codecformat="J2K", reversible=True, bitspersample=12
            ),
            ct,
        ),
        "HTJ2K Lossless 12-bit": (imagecodecs.htj2k_encode(ct, reversible=True), ct),
        "RLE Lossless 16-bit": (rle, ct),
        "JPEG XL Lossless 12-bit": (imagecodecs.jpegxl_encode(ct, lossless=True, effort=3), ct),
    }


def _rle_encode(arr: np.ndarray) -> bytes:
    from pydicom import Dataset
    from pydicom.uid import RLELossless

    ds = Dataset()
    ds.Rows, ds.Columns = arr.shape
    ds.SamplesPerPixel, ds.BitsAllocated, ds.BitsStored = 1, 16, 16
    ds.PixelRepresentation, ds.PhotometricInterpretation = 0, "MONOCHROME2"
    ds.compress(RLELossless, arr, encoding_plugin="pydicom")
    return ds.PixelData


def backends(name: str, data: bytes) -> dict[str, Callable[[], Any]]:
    calls: dict[str, Callable[[], Any]] = {}
    if name.startswith("JPEG Baseline"):
        calls["imagecodecs"] = lambda: imagecodecs.jpeg8_decode(
            data, colorspace="YCbCr", outcolorspace="YCbCr"
        )
    elif name.startswith("JPEG Lossless"):
        calls["imagecodecs"] = lambda: imagecodecs.jpeg8_decode(data)
    elif name.startswith("JPEG-LS"):
        calls["imagecodecs"] = lambda: imagecodecs.jpegls_decode(data)
    elif name.startswith("JPEG 2000"):
        calls["imagecodecs"] = lambda: imagecodecs.jpeg2k_decode(data)
    elif name.startswith("HTJ2K"):
        calls["imagecodecs (OpenJPH)"] = lambda: imagecodecs.htj2k_decode(data)
        calls["imagecodecs (OpenJPEG)"] = lambda: imagecodecs.jpeg2k_decode(data)
    elif name.startswith("RLE"):
        calls["imagecodecs"] = lambda: imagecodecs.dicomrle_decode(data, np.dtype("<u2"))
    elif name.startswith("JPEG XL"):
        calls["imagecodecs"] = lambda: imagecodecs.jpegxl_decode(data, numthreads=1)

    if name.startswith(("JPEG Baseline", "JPEG 2000")):
        from PIL import Image

        def pillow() -> bytes:
            with Image.open(io.BytesIO(data)) as im:
                if name.startswith("JPEG Baseline"):
                    im.draft("YCbCr", im.size)
                return im.tobytes()

        calls["pillow"] = pillow
    try:
        if name.startswith(("JPEG 2000", "HTJ2K")):
            import openjpeg

            calls["pylibjpeg-openjpeg"] = lambda: openjpeg.decode(data)
        elif name.startswith(("JPEG Baseline", "JPEG Lossless", "JPEG-LS")):
            import libjpeg

            calls["pylibjpeg-libjpeg"] = lambda: libjpeg.decode(data)
        elif name.startswith("RLE"):
            from rle.utils import decode_pixel_data

            calls["pylibjpeg-rle"] = lambda: decode_pixel_data(
                data, version=2, rows=512, columns=512, samples_per_pixel=1, bits_allocated=16
            )
    except ImportError:
        pass
    try:
        import gdcm  # noqa: F401
        from pydicom.pixels import get_decoder
        from pydicom.uid import (
            HTJ2KLossless,
            JPEG2000Lossless,
            JPEGBaseline8Bit,
            JPEGLosslessSV1,
            JPEGLSLossless,
            RLELossless,
        )

        uid = {
            "JPEG Baseline": JPEGBaseline8Bit,
            "JPEG Lossless": JPEGLosslessSV1,
            "JPEG-LS": JPEGLSLossless,
            "JPEG 2000": JPEG2000Lossless,
            "RLE": RLELossless,
            "HTJ2K": HTJ2KLossless,
        }.get(
            next(
                (
                    k
                    for k in (
                        "JPEG Baseline",
                        "JPEG Lossless",
                        "JPEG-LS",
                        "JPEG 2000",
                        "RLE",
                        "HTJ2K",
                    )
                    if name.startswith(k)
                ),
                "",
            )
        )
        if uid is not None and "gdcm" in get_decoder(uid).available_plugins:
            rgb = name.startswith("JPEG Baseline")
            opts = dict(
                rows=512,
                columns=512,
                samples_per_pixel=3 if rgb else 1,
                bits_allocated=8 if rgb else 16,
                bits_stored=8 if rgb else 12,
                pixel_representation=0,
                photometric_interpretation="YBR_FULL" if rgb else "MONOCHROME2",
                number_of_frames=1,
                planar_configuration=0,
            )
            from pydicom.encaps import encapsulate

            encaps = encapsulate([data])
            calls["gdcm (via pydicom)"] = lambda: get_decoder(uid).as_buffer(
                encaps, decoding_plugin="gdcm", **opts
            )
    except ImportError:
        pass
    return calls


def main() -> None:
    warnings.simplefilter("ignore")
    print(f"imagecodecs {imagecodecs.__version__}")
    for name, (data, _) in frames().items():
        print(f"\n{name} ({len(data)} bytes)")
        for backend, call in backends(name, data).items():
            try:
                ms = best(call)
                hold = longest_gil_hold(call)
            except Exception as exc:
                print(f"    {backend:28s} failed: {exc}")
                continue
            print(f"    {backend:28s} {ms:7.2f} ms   GIL held up to {hold:6.2f} ms (p95)")


if __name__ == "__main__":
    main()
