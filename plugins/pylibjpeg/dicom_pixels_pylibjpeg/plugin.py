"""Declares the pylibjpeg plugin's decoders to dicom-pixels (metadata only; nothing is imported).

Which backend decodes what, and what each can handle, is written here once;
the codec modules stay thin wrappers around the backend calls.

>>> from dicom_pixels.registry import CodecRegistrar
>>> registry = CodecRegistrar("pylibjpeg", "dicom-pixels-pylibjpeg")
>>> dicom_pixels_register_codecs(registry)
>>> [c.requires for c in registry.codecs
...  if c.transfer_syntax_uid == "1.2.840.10008.1.2.4.90" and c.operation == "decode"]
[('pylibjpeg>=2.0', 'pylibjpeg-openjpeg>=2.0')]
"""

from __future__ import annotations

from dicom_pixels.plugin import (
    JPEG_EXTENDED,
    JPEG_LOSSLESS,
    JPEG_LS,
    ONE_OR_THREE_SAMPLES,
    Capabilities,
    CodecRegistrar,
    hookimpl,
)

__all__ = ["dicom_pixels_register_codecs"]

INSTALL_HINT = 'pip install "dicom-pixels[pylibjpeg]"'
#: pylibjpeg-libjpeg is GPLv3, so it is only installed on request.
GPL_INSTALL_HINT = 'pip install "dicom-pixels[pylibjpeg-gpl]"'

LIBJPEG = ["pylibjpeg>=2.0", "pylibjpeg-libjpeg>=2.1"]
OPENJPEG = ["pylibjpeg>=2.0", "pylibjpeg-openjpeg>=2.0"]
RLE = ["pylibjpeg>=2.0", "pylibjpeg-rle>=2.0"]

#: ISO/IEC 10918-1 B.2.2: Baseline (Process 1) has 8-bit samples only; libjpeg
#: returns them in 8-bit containers, so Bits Allocated must be 8 (PS3.5 A.4.1).
JPEG_BASELINE = Capabilities(
    bits_allocated=frozenset({8}), max_bits_stored=8, samples_per_pixel=ONE_OR_THREE_SAMPLES
)
# Extended (Process 2 and 4), Lossless (Process 14) and JPEG-LS: the core's presets
# (dicom_pixels.plugin.JPEG_EXTENDED, JPEG_LOSSLESS, JPEG_LS).
#: OpenJPEG returns 1-, 2- or 4-byte containers for precisions up to 32 bits.
J2K = Capabilities(bits_allocated=frozenset({8, 16, 32}), samples_per_pixel=ONE_OR_THREE_SAMPLES)
#: PS3.5 G.2: one segment per byte of each sample, at most 15 segments.
RLE_CAPABILITIES = Capabilities(
    bits_allocated=frozenset({8, 16, 32, 64}), samples_per_pixel=ONE_OR_THREE_SAMPLES
)

# Priorities (lower is tried first), from the per-frame timings in README.md
# (2-core machine): OpenJPEG here is as fast as GDCM's for lossless JPEG 2000 and
# about twice as fast for lossy, and nothing else installed decodes HTJ2K;
# pylibjpeg-rle is 10x faster than the NumPy RLE decoder (60) and GDCM's.
# libjpeg is 1.5-3x slower than GDCM for JPEG-LS and Lossless JPEG (CharLS,
# libjpeg-turbo) and on a par for Baseline, so GDCM (30) comes first for those.
PRIORITY_JPEG = 35
PRIORITY_JPEG_LS = 35
PRIORITY_J2K = 30
PRIORITY_RLE = 20
# Encoding JPEG 2000, OpenJPEG here holds the GIL (and crashes when two threads encode at
# once), while imagecodecs' OpenJPEG (40) is as fast per frame (168-183 against 192 ms for a
# 512 x 512 int16 frame, one run) and releases the GIL, so frames encode on every core:
# this one comes after it, and still writes what it declines (several layers, 'j2k_cr').
PRIORITY_J2K_ENCODE = 45


@hookimpl
def dicom_pixels_register_codecs(registry: CodecRegistrar) -> None:
    """Register the JPEG, JPEG-LS, JPEG 2000, HTJ2K and RLE decoders backed by pylibjpeg."""
    registry.describe(
        "JPEG, JPEG-LS (pylibjpeg-libjpeg, GPLv3, optional), JPEG 2000, HTJ2K "
        "(pylibjpeg-openjpeg) and RLE (pylibjpeg-rle) decoders",
        install_hint=INSTALL_HINT,
    )
    # None of the three wrappers releases the GIL: libjpeg's and OpenJPEG's Cython
    # calls hold it (OpenJPEG even reads through a Python file object), and two
    # threads decoding frames take as long as one doing both (see README.md).

    # The libjpeg codecs carry their own hint: they need the GPL extra.
    registry.install_hint = GPL_INSTALL_HINT
    libjpeg = "dicom_pixels_pylibjpeg.libjpeg_codec:"
    for uids, function, supports, priority in (
        (["JPEGBaseline8Bit"], "decode_jpeg", JPEG_BASELINE, PRIORITY_JPEG),
        (["JPEGExtended12Bit"], "decode_jpeg", JPEG_EXTENDED, PRIORITY_JPEG),
        (["JPEGLossless", "JPEGLosslessSV1"], "decode_jpeg", JPEG_LOSSLESS, PRIORITY_JPEG),
        (["JPEGLSLossless", "JPEGLSNearLossless"], "decode_jpeg_ls", JPEG_LS, PRIORITY_JPEG_LS),
    ):
        registry.add_decoder(uids, libjpeg + function, requires=LIBJPEG, supports=supports,
                             priority=priority)
    registry.install_hint = INSTALL_HINT

    registry.add_decoder(
        ["JPEG2000Lossless", "JPEG2000", "HTJ2KLossless", "HTJ2KLosslessRPCL", "HTJ2K"],
        "dicom_pixels_pylibjpeg.openjpeg_codec:decode_j2k",
        requires=OPENJPEG,
        supports=J2K,
        priority=PRIORITY_J2K,
    )
    registry.add_decoder(
        "RLELossless",
        "dicom_pixels_pylibjpeg.rle_codec:decode_rle",
        requires=RLE,
        supports=RLE_CAPABILITIES,
        priority=PRIORITY_RLE,
    )

    # Encoders (dicom_pixels_pylibjpeg.encode): OpenJPEG writes JPEG 2000 codestreams
    # (lossless and lossy, up to 24-bit samples; pydicom requires openjpeg>=2.2 for it),
    # pylibjpeg-rle writes RLE Lossless several times faster than the native plugin.
    registry.add_encoder(
        ["JPEG2000Lossless", "JPEG2000"],
        "dicom_pixels_pylibjpeg.encode:encode_j2k",
        requires=["pylibjpeg>=2.0", "pylibjpeg-openjpeg>=2.2"],
        supports=Capabilities(
            bits_allocated=frozenset({8, 16, 32}), max_bits_stored=24, samples_per_pixel=ONE_OR_THREE_SAMPLES
        ),
        priority=PRIORITY_J2K_ENCODE,
    )
    registry.add_encoder(
        "RLELossless",
        "dicom_pixels_pylibjpeg.encode:encode_rle",
        requires=RLE,
        supports=RLE_CAPABILITIES,
        priority=PRIORITY_RLE,
    )
