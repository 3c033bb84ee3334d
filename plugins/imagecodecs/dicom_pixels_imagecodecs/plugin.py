"""Declares the imagecodecs plugin's decoders to dicom-pixels (metadata only; nothing is imported).

Priorities come from decode timings of each backend on pydicom's test files
(see the README): lower is tried first; pylibjpeg and gdcm sit around 20-40,
the pure-NumPy RLE decoder at 60.

>>> from dicom_pixels.registry import CodecRegistrar
>>> registry = CodecRegistrar("imagecodecs", "dicom-pixels-imagecodecs")
>>> dicom_pixels_register_codecs(registry)
>>> len({c.transfer_syntax_uid for c in registry.codecs})
15
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dicom_pixels import Capabilities, hookimpl

if TYPE_CHECKING:
    from dicom_pixels.registry import CodecRegistrar

__all__ = ["PRIORITIES", "dicom_pixels_register_codecs"]

#: imagecodecs 2024.1.1 is the oldest release whose wheels bundle libjpeg-turbo 3
#: (12/16-bit and lossless JPEG in ``jpeg8_decode``), CharLS 2, OpenJPEG 2.5 (which
#: also decodes HTJ2K code-blocks), libjxl and the DICOMRLE codec. Codecs that a
#: custom build may lack are checked when a frame is decoded.
REQUIRES = ["imagecodecs>=2024.1.1", "numpy>=1.24"]
#: OpenJPH (htj2k_encode) came with imagecodecs 2026.1.1; older builds, the last ones for
#: Python 3.10 among them, decode HTJ2K with OpenJPEG but cannot encode it.
HTJ2K_ENCODER_REQUIRES = ["imagecodecs>=2026.1.1", "numpy>=1.24"]

_DECODER = "dicom_pixels_imagecodecs.decode:"

#: Default rank per codec family (lower is tried first), from the measurements in
#: the README (512 x 512 frames): libjpeg-turbo and CharLS are 2-7x faster than
#: pylibjpeg-libjpeg and GDCM; OpenJPH is the fastest HTJ2K decoder; DICOMRLE is as
#: fast as pylibjpeg-rle; OpenJPEG is as fast here as through pylibjpeg, GDCM or
#: Pillow. Unlike those, imagecodecs releases the GIL, so frames decode in parallel.
PRIORITIES = {
    "jpeg": 15,
    "jpeg_lossless": 15,
    "jpegls": 15,
    "j2k": 18,
    "htj2k": 15,
    "rle": 15,
    "jpegxl": 20,
}

_MONO_OR_COLOUR = frozenset({1, 3})


@hookimpl
def dicom_pixels_register_codecs(registry: CodecRegistrar) -> None:
    """Register the imagecodecs decoders (JPEG, JPEG-LS, JPEG 2000, HTJ2K, RLE, JPEG XL)."""
    registry.describe(
        "JPEG (8-16 bit, lossless), JPEG-LS, JPEG 2000, HTJ2K, RLE and JPEG XL decoders "
        "through imagecodecs (libjpeg-turbo, CharLS, OpenJPEG, OpenJPH, libjxl)"
    )
    # Every imagecodecs codec below decodes in C with the GIL released (Cython
    # ``with nogil`` blocks): measured, another thread waits at most 0.3-1.4 ms for
    # the GIL during 1-9 ms decodes (benchmarks/decode_timings.py).

    # JPEG Baseline is 8-bit (ISO/IEC 10918-1 Table B.2); Extended adds 12-bit.
    registry.add_decoder(
        "JPEGBaseline8Bit",
        _DECODER + "decode_jpeg",
        requires=REQUIRES,
        supports=Capabilities(
            bits_allocated=frozenset({8, 16}), max_bits_stored=8, samples_per_pixel=_MONO_OR_COLOUR
        ),
        releases_gil=True,
        priority=PRIORITIES["jpeg"],
    )
    registry.add_decoder(
        "JPEGExtended12Bit",
        _DECODER + "decode_jpeg",
        requires=REQUIRES,
        supports=Capabilities(
            bits_allocated=frozenset({8, 16}), max_bits_stored=12, samples_per_pixel=_MONO_OR_COLOUR
        ),
        releases_gil=True,
        priority=PRIORITIES["jpeg"],
    )
    # Process 14 lossless: 2 to 16-bit precision (ISO/IEC 10918-1 H.1).
    registry.add_decoder(
        ["JPEGLossless", "JPEGLosslessSV1"],
        _DECODER + "decode_jpeg",
        requires=REQUIRES,
        supports=Capabilities(
            bits_allocated=frozenset({8, 16}), max_bits_stored=16, samples_per_pixel=_MONO_OR_COLOUR
        ),
        releases_gil=True,
        priority=PRIORITIES["jpeg_lossless"],
    )
    # JPEG-LS: 2 to 16-bit (ISO/IEC 14495-1 C.2.2).
    registry.add_decoder(
        ["JPEGLSLossless", "JPEGLSNearLossless"],
        _DECODER + "decode_jpegls",
        requires=REQUIRES,
        supports=Capabilities(
            bits_allocated=frozenset({8, 16}), max_bits_stored=16, samples_per_pixel=_MONO_OR_COLOUR
        ),
        releases_gil=True,
        priority=PRIORITIES["jpegls"],
    )
    j2k_caps = Capabilities(
        bits_allocated=frozenset({8, 16}), max_bits_stored=16, samples_per_pixel=_MONO_OR_COLOUR
    )
    registry.add_decoder(
        ["JPEG2000Lossless", "JPEG2000"],
        _DECODER + "decode_j2k",
        requires=REQUIRES,
        supports=j2k_caps,
        releases_gil=True,
        priority=PRIORITIES["j2k"],
    )
    registry.add_decoder(
        ["HTJ2KLossless", "HTJ2KLosslessRPCL", "HTJ2K"],
        _DECODER + "decode_htj2k",
        requires=REQUIRES,
        supports=j2k_caps,
        releases_gil=True,
        priority=PRIORITIES["htj2k"],
    )
    # PS3.5 G.2: one segment per byte of each sample, at most 15 segments.
    registry.add_decoder(
        "RLELossless",
        _DECODER + "decode_rle",
        requires=REQUIRES,
        supports=Capabilities(
            bits_allocated=frozenset({8, 16, 32, 64}), samples_per_pixel=_MONO_OR_COLOUR
        ),
        releases_gil=True,
        priority=PRIORITIES["rle"],
    )
    registry.add_decoder(
        ["JPEGXLLossless", "JPEGXLJPEGRecompression", "JPEGXL"],
        _DECODER + "decode_jpegxl",
        requires=REQUIRES,
        supports=Capabilities(
            bits_allocated=frozenset({8, 16}), max_bits_stored=16, samples_per_pixel=_MONO_OR_COLOUR
        ),
        releases_gil=True,
        priority=PRIORITIES["jpegxl"],
    )

    # Encoders (dicom_pixels_imagecodecs.encode). The image checks of PS3.5 8.2 are done by
    # the core; these capabilities say what each library writes exactly.
    _ENCODER = "dicom_pixels_imagecodecs.encode:"
    registry.add_encoder(
        ["JPEGBaseline8Bit", "JPEGExtended12Bit"],
        _ENCODER + "encode_jpeg",
        requires=REQUIRES,
        supports=Capabilities(bits_allocated=frozenset({8, 16}), max_bits_stored=12),
        releases_gil=True,
        priority=40,
    )
    registry.add_encoder(
        ["JPEGLossless", "JPEGLosslessSV1"],
        _ENCODER + "encode_jpeg_lossless",
        requires=REQUIRES,
        supports=Capabilities(bits_allocated=frozenset({8, 16}), max_bits_stored=16),
        releases_gil=True,
        priority=40,
    )
    registry.add_encoder(
        ["JPEGLSLossless", "JPEGLSNearLossless"],
        _ENCODER + "encode_jpegls",
        requires=REQUIRES,
        supports=Capabilities(bits_allocated=frozenset({8, 16}), max_bits_stored=16),
        releases_gil=True,
        priority=40,
    )
    # Lossy JPEG 2000 from a PSNR target only; pylibjpeg (openjpeg) also takes ratios.
    registry.add_encoder(
        ["JPEG2000Lossless", "JPEG2000"],
        _ENCODER + "encode_j2k",
        requires=REQUIRES,
        supports=Capabilities(bits_allocated=frozenset({8, 16}), max_bits_stored=16),
        releases_gil=True,
        priority=40,
    )
    # HTJ2K (PS3.5 8.2.15) with OpenJPH: reversible for HTJ2KLossless; irreversible for
    # HTJ2K, where OpenJPH has no rate control and writes one quality layer, so the
    # encoder searches the quantisation step for a single j2k_psnr or j2k_cr value.
    # OpenJPH has no choice of progression order, so HTJ2KLosslessRPCL is not declared.
    registry.add_encoder(
        ["HTJ2KLossless", "HTJ2K"],
        _ENCODER + "encode_htj2k",
        requires=HTJ2K_ENCODER_REQUIRES,
        supports=Capabilities(bits_allocated=frozenset({8, 16}), max_bits_stored=16),
        releases_gil=True,
        priority=40,
    )
    registry.add_encoder(
        ["JPEGXLLossless", "JPEGXL"],
        _ENCODER + "encode_jpegxl",
        requires=REQUIRES,
        supports=Capabilities(bits_allocated=frozenset({8, 16}), max_bits_stored=16),
        releases_gil=True,
        priority=40,
    )
    # RLE Lossless from PackBits: measured on 512 x 512 int16 CT-like frames (2 cores, one
    # run), 1.9 ms per frame against 2.2-4.3 for GDCM, 8.5-17 for pylibjpeg-rle (20) and 18
    # for the NumPy encoder (60), and it releases the GIL: tried first (PRIORITIES["rle"]).
    registry.add_encoder(
        "RLELossless",
        _ENCODER + "encode_rle",
        requires=REQUIRES,
        supports=Capabilities(bits_allocated=frozenset({8, 16, 32, 64}), samples_per_pixel=_MONO_OR_COLOUR),
        releases_gil=True,
        priority=PRIORITIES["rle"],
    )
