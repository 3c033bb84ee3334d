"""Declares the gdcm plugin's decoders to dicom-pixels (metadata only; nothing is imported).

>>> from dicom_pixels.registry import CodecRegistrar
>>> registry = CodecRegistrar("gdcm", "dicom-pixels-gdcm")
>>> dicom_pixels_register_codecs(registry)
>>> len({c.transfer_syntax_uid for c in registry.codecs})
9
"""

from __future__ import annotations

from dicom_pixels.plugin import (
    JPEG_LOSSLESS,
    JPEG_LS,
    ONE_OR_THREE_SAMPLES,
    Capabilities,
    CodecRegistrar,
    hookimpl,
)

__all__ = ["dicom_pixels_register_codecs"]

#: The version pydicom 3 requires; earlier 3.0 releases mis-decode some JPEG-LS.
REQUIRES = ["python-gdcm>=3.0.10"]
TARGET = "dicom_pixels_gdcm.gdcm_codec:decode_gdcm"

#: ISO/IEC 10918-1 B.2.2: Baseline has 8-bit samples only.
JPEG_BASELINE = Capabilities(
    bits_allocated=frozenset({8}), max_bits_stored=8, samples_per_pixel=ONE_OR_THREE_SAMPLES
)
#: GDCM's 12-bit JPEG Extended output is wrong (pydicom refuses it too), so only
#: 8-bit Extended is declared; the codec also refuses Bits Stored below 8.
JPEG_EXTENDED = Capabilities(
    bits_allocated=frozenset({8, 16}), max_bits_stored=8, samples_per_pixel=ONE_OR_THREE_SAMPLES
)
#: Lossless JPEG and JPEG-LS: 2 to 16-bit samples (the core's presets JPEG_LOSSLESS and
#: JPEG_LS); the codec declines the JPEG-LS cases CharLS in GDCM gets wrong (6 or 7 bits;
#: signed near-lossless below 8 bits).
#: GDCM's OpenJPEG returns 1-, 2- or 4-byte containers.
J2K = Capabilities(bits_allocated=frozenset({8, 16, 32}), samples_per_pixel=ONE_OR_THREE_SAMPLES)
#: GDCM's RLE codec handles up to 32-bit samples (colour only up to 8 bits: the
#: codec declines wider colour samples, whose bytes GDCM mixes up).
RLE = Capabilities(bits_allocated=frozenset({8, 16, 32}), samples_per_pixel=ONE_OR_THREE_SAMPLES)

# Priorities (lower is tried first), from the per-frame timings in README.md
# (2-core machine): GDCM's CharLS and libjpeg-turbo decode JPEG-LS and Lossless
# JPEG 1.5-3x faster than pylibjpeg-libjpeg (35), and Baseline about as fast, so
# GDCM comes first for JPEG and JPEG-LS. pylibjpeg's OpenJPEG (30) is as fast for
# lossless and twice as fast for lossy JPEG 2000, so GDCM follows it. GDCM's RLE is
# slower than the NumPy decoder (60) for 16-bit grey images and declines wide
# colour samples, so it is the last resort there.
PRIORITY_JPEG = 30
PRIORITY_JPEG_LS = 30
PRIORITY_J2K = 40
PRIORITY_RLE = 65


@hookimpl
def dicom_pixels_register_codecs(registry: CodecRegistrar) -> None:
    """Register GDCM's JPEG, JPEG-LS, JPEG 2000 and RLE Lossless decoders."""
    registry.describe(
        "JPEG, JPEG-LS, JPEG 2000 and RLE decoders through GDCM (python-gdcm)",
        install_hint='pip install "dicom-pixels[gdcm]"',
    )
    # GDCM's SWIG bindings are built without -threads: every call holds the GIL.
    for uids, supports, priority in (
        (["JPEGBaseline8Bit"], JPEG_BASELINE, PRIORITY_JPEG),
        (["JPEGExtended12Bit"], JPEG_EXTENDED, PRIORITY_JPEG),
        (["JPEGLossless", "JPEGLosslessSV1"], JPEG_LOSSLESS, PRIORITY_JPEG),
        (["JPEGLSLossless", "JPEGLSNearLossless"], JPEG_LS, PRIORITY_JPEG_LS),
        (["JPEG2000Lossless", "JPEG2000"], J2K, PRIORITY_J2K),
        (["RLELossless"], RLE, PRIORITY_RLE),
    ):
        registry.add_decoder(uids, TARGET, requires=REQUIRES, supports=supports, priority=priority)

    # Encoders (dicom_pixels_gdcm.encode): GDCM writes the lossless syntaxes exactly; its
    # lossy rate control is not exposed by python-gdcm, so no lossy syntax is declared.
    registry.add_encoder(
        ["RLELossless", "JPEGLosslessSV1", "JPEGLSLossless", "JPEG2000Lossless"],
        "dicom_pixels_gdcm.encode:encode_gdcm",
        requires=REQUIRES,
        supports=Capabilities(
            bits_allocated=frozenset({8, 16}), max_bits_stored=16, samples_per_pixel=ONE_OR_THREE_SAMPLES
        ),
        priority=70,
    )
