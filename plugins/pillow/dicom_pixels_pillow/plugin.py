"""Declares the Pillow plugin's decoders to dicom-pixels (metadata only; nothing is imported).

Pillow wraps libjpeg-turbo (8-bit only) and OpenJPEG. Priorities come from decode
timings (see the README): for JPEG Pillow is slower than imagecodecs (0.9 vs 0.5 ms
per 512 x 512 RGB frame) but 4-7x faster than pylibjpeg-libjpeg and GDCM, so it
comes second (18); for JPEG 2000 it is as fast as the others but holds the GIL and
handles fewer images, so it comes last (45).

>>> from dicom_pixels.registry import CodecRegistrar
>>> registry = CodecRegistrar("pillow", "dicom-pixels-pillow")
>>> dicom_pixels_register_codecs(registry)
>>> sorted(c.transfer_syntax_uid for c in registry.codecs if c.operation == "decode")
['1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.4.51', '1.2.840.10008.1.2.4.90', '1.2.840.10008.1.2.4.91']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dicom_pixels import Capabilities, hookimpl

if TYPE_CHECKING:
    from dicom_pixels.registry import CodecRegistrar

__all__ = ["PRIORITIES", "dicom_pixels_register_codecs"]

#: Pillow 10 is what pydicom 3 requires for its own Pillow plugin; JPEG 2000 also
#: needs NumPy to undo Pillow's rescaling.
REQUIRES = ["pillow>=10.0", "numpy>=1.24"]

#: Default rank per codec family (lower is tried first); see the README timings.
PRIORITIES = {"jpeg": 18, "j2k": 45}

_MONO_OR_COLOUR = frozenset({1, 3})


@hookimpl
def dicom_pixels_register_codecs(registry: CodecRegistrar) -> None:
    """Register Pillow's JPEG (8-bit) and JPEG 2000 decoders."""
    registry.describe("8-bit JPEG and JPEG 2000 (up to 16-bit grey, 8-bit colour) through Pillow")
    # Pillow's libjpeg-turbo is built for 8-bit samples only: JPEG Extended frames
    # with 12-bit samples are declined up front (as pydicom does).
    jpeg_caps = Capabilities(
        bits_allocated=frozenset({8, 16}), max_bits_stored=8, samples_per_pixel=_MONO_OR_COLOUR
    )
    # Pillow's JPEG decoder runs with the GIL released (ImagingSectionEnter in
    # decode.c): measured, another thread waits at most 0.7 ms for the GIL.
    registry.add_decoder(
        ["JPEGBaseline8Bit", "JPEGExtended12Bit"],
        "dicom_pixels_pillow.decode:decode_jpeg",
        requires=REQUIRES,
        supports=jpeg_caps,
        releases_gil=True,
        priority=PRIORITIES["jpeg"],
    )
    # Pillow returns at most 16-bit grey; colour above 8 bits is narrowed to 8
    # bits, which the codec rejects per frame (it depends on the codestream).
    registry.add_decoder(
        ["JPEG2000Lossless", "JPEG2000"],
        "dicom_pixels_pillow.decode:decode_j2k",
        requires=REQUIRES,
        supports=Capabilities(
            bits_allocated=frozenset({8, 16}), max_bits_stored=16, samples_per_pixel=_MONO_OR_COLOUR
        ),
        # Pillow's JPEG 2000 decoder reads through Python file objects and holds
        # the GIL for the whole decode (measured: ~10 ms waits for a 10 ms decode).
        releases_gil=False,
        priority=PRIORITIES["j2k"],
    )

    # Encoders (dicom_pixels_pillow.encode): Pillow's image modes are L, I;16 and RGB,
    # so only unsigned 8-bit (and 16-bit greyscale for JPEG 2000) images are accepted.
    registry.add_encoder(
        "JPEGBaseline8Bit",
        "dicom_pixels_pillow.encode:encode_jpeg",
        requires=REQUIRES,
        supports=Capabilities(bits_allocated=frozenset({8}), pixel_representations=frozenset({0})),
        priority=60,
    )
    registry.add_encoder(
        ["JPEG2000Lossless", "JPEG2000"],
        "dicom_pixels_pillow.encode:encode_j2k",
        requires=REQUIRES,
        supports=Capabilities(
            bits_allocated=frozenset({8, 16}), max_bits_stored=16, pixel_representations=frozenset({0})
        ),
        priority=60,
    )
