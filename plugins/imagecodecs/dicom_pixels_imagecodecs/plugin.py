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

import dataclasses

from dicom_pixels.plugin import (
    JPEG_2000,
    JPEG_BASELINE,
    JPEG_EXTENDED,
    JPEG_LOSSLESS,
    JPEG_LS,
    ONE_OR_THREE_SAMPLES,
    Capabilities,
    CodecRegistrar,
    hookimpl,
)

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

@hookimpl
def dicom_pixels_register_codecs(registry: CodecRegistrar) -> None:
    """Register the imagecodecs decoders (JPEG, JPEG-LS, JPEG 2000, HTJ2K, RLE, JPEG XL)."""
    registry.describe(
        "JPEG (8-16 bit, lossless), JPEG-LS, JPEG 2000, HTJ2K, RLE and JPEG XL decoders "
        "through imagecodecs (libjpeg-turbo, CharLS, OpenJPEG, OpenJPH, libjxl)"
    )
    # Every imagecodecs codec releases the GIL while it works.
    registry.set_defaults(requires=REQUIRES, releases_gil=True)
    # Bits Allocated 1: one-bit images (segmentations) in JPEG 2000, CP-2301; decoded to
    # 0/1 bytes as native 1-bit data is.
    j2k_one_bit = dataclasses.replace(JPEG_2000, bits_allocated=frozenset({1, 8, 16}))
    decoders: list[tuple[list[str], str, Capabilities, int]] = [
        (["JPEGBaseline8Bit"], "decode_jpeg", JPEG_BASELINE, PRIORITIES["jpeg"]),
        (["JPEGExtended12Bit"], "decode_jpeg", JPEG_EXTENDED, PRIORITIES["jpeg"]),
        (["JPEGLossless", "JPEGLosslessSV1"], "decode_jpeg", JPEG_LOSSLESS, PRIORITIES["jpeg_lossless"]),
        (["JPEGLSLossless", "JPEGLSNearLossless"], "decode_jpegls", JPEG_LS, PRIORITIES["jpegls"]),
        (["JPEG2000Lossless", "JPEG2000"], "decode_j2k", j2k_one_bit, PRIORITIES["j2k"]),
        (["HTJ2KLossless", "HTJ2KLosslessRPCL", "HTJ2K"], "decode_htj2k", j2k_one_bit, PRIORITIES["htj2k"]),
        (["RLELossless"], "decode_rle",
         Capabilities(bits_allocated=frozenset({8, 16, 32, 64}), samples_per_pixel=ONE_OR_THREE_SAMPLES),
         PRIORITIES["rle"]),
        (["JPEGXLLossless", "JPEGXLJPEGRecompression", "JPEGXL"], "decode_jpegxl", JPEG_LOSSLESS,
         PRIORITIES["jpegxl"]),
    ]
    for uids, function, supports, priority in decoders:
        registry.add_decoder(uids, _DECODER + function, supports=supports, priority=priority)

    # Encoders (dicom_pixels_imagecodecs.encode), after gdcm and pylibjpeg. Lossy JPEG 2000
    # from a PSNR target only (pylibjpeg's openjpeg also takes ratios). HTJ2K (PS3.5 8.2.15)
    # with OpenJPH: reversible for HTJ2KLossless; irreversible for HTJ2K, where OpenJPH has
    # no rate control and writes one quality layer, so the encoder searches the quantisation
    # step for a single j2k_psnr or j2k_cr value. OpenJPH has no choice of progression
    # order, so HTJ2KLosslessRPCL is not declared.
    up_to_16_bits = Capabilities(bits_allocated=frozenset({8, 16}), max_bits_stored=16)
    # Bits Allocated 1: 0/1 samples as a component of precision 1 (CP-2301).
    j2k_with_one_bit = dataclasses.replace(up_to_16_bits, bits_allocated=frozenset({1, 8, 16}))
    encoders: list[tuple[list[str], str, Capabilities, list[str] | None]] = [
        (["JPEGBaseline8Bit", "JPEGExtended12Bit"], "encode_jpeg",
         Capabilities(bits_allocated=frozenset({8, 16}), max_bits_stored=12), None),
        (["JPEGLossless", "JPEGLosslessSV1"], "encode_jpeg_lossless", up_to_16_bits, None),
        (["JPEGLSLossless", "JPEGLSNearLossless"], "encode_jpegls", up_to_16_bits, None),
        (["JPEG2000Lossless", "JPEG2000"], "encode_j2k", j2k_with_one_bit, None),
        (["HTJ2KLossless", "HTJ2K"], "encode_htj2k", up_to_16_bits, HTJ2K_ENCODER_REQUIRES),
        (["JPEGXLLossless", "JPEGXL"], "encode_jpegxl", up_to_16_bits, None),
    ]
    for uids, function, supports, requires in encoders:
        registry.add_encoder(uids, "dicom_pixels_imagecodecs.encode:" + function, supports=supports,
                             requires=requires, priority=40)
    # JPEG XL JPEG Recompression (PS3.5 8.2.16): libjxl repacks a JPEG bitstream and rebuilds
    # it byte for byte, so transcode converts frames without decoding them. libjxl takes
    # 8-bit Huffman-coded DCT JPEGs: Baseline, and Extended when its frames are 8-bit.
    convert = "dicom_pixels_imagecodecs.convert:"
    registry.add_converter(["JPEGBaseline8Bit", "JPEGExtended12Bit"], "JPEGXLJPEGRecompression",
                           convert + "jpeg_to_jpegxl")
    registry.add_converter("JPEGXLJPEGRecompression", "JPEGBaseline8Bit", convert + "jpegxl_to_jpeg_baseline")
    registry.add_converter("JPEGXLJPEGRecompression", "JPEGExtended12Bit", convert + "jpegxl_to_jpeg")
    # RLE Lossless from PackBits: measured on 512 x 512 int16 CT-like frames (2 cores, one
    # run), 1.9 ms per frame against 2.2-4.3 for GDCM, 8.5-17 for pylibjpeg-rle (20) and 18
    # for the NumPy encoder (60), and it releases the GIL: tried first (PRIORITIES["rle"]).
    registry.add_encoder("RLELossless", "dicom_pixels_imagecodecs.encode:encode_rle",
                         supports=Capabilities(bits_allocated=frozenset({8, 16, 32, 64}),
                                               samples_per_pixel=ONE_OR_THREE_SAMPLES),
                         priority=PRIORITIES["rle"])
