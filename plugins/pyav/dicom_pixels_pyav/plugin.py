"""Declares the pyav plugin's video codecs to dicom-pixels (metadata only; nothing is imported).

>>> from dicom_pixels.registry import CodecRegistrar
>>> registry = CodecRegistrar("pyav", "dicom-pixels-pyav")
>>> dicom_pixels_register_codecs(registry)
>>> len({c.transfer_syntax_uid for c in registry.codecs if c.operation == "decode"})
16
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dicom_pixels import Capabilities, hookimpl

if TYPE_CHECKING:
    from dicom_pixels.registry import CodecRegistrar

__all__ = ["INSTALL_HINT", "REQUIRES", "VIDEO_SYNTAXES", "dicom_pixels_register_codecs"]

#: PyAV 12 is the first release whose wheels decode and encode through FFmpeg 6 with
#: libx264 and libx265 built in.
REQUIRES = ["av>=12", "numpy>=1.24"]
#: PyAV's wheels bundle GPL encoders, so the plugin is installed only on request.
INSTALL_HINT = 'pip install "dicom-pixels[pyav-gpl]"'

#: The video transfer syntaxes (PS3.5 8.2.5-8.2.8), each with its "Fragmentable" variant.
VIDEO_SYNTAXES = (
    "MPEG2MPML", "MPEG2MPMLF", "MPEG2MPHL", "MPEG2MPHLF",
    "MPEG4HP41", "MPEG4HP41F", "MPEG4HP41BD", "MPEG4HP41BDF",
    "MPEG4HP422D", "MPEG4HP422DF", "MPEG4HP423D", "MPEG4HP423DF",
    "MPEG4HP42STEREO", "MPEG4HP42STEREOF",
    "HEVCMP51", "HEVCM10P51",
)


@hookimpl
def dicom_pixels_register_codecs(registry: CodecRegistrar) -> None:
    """Register the MPEG-2, H.264 and HEVC decoders and encoders."""
    registry.describe(
        "MPEG-2, H.264/AVC and HEVC/H.265 video through PyAV (FFmpeg; its wheels hold GPL libx264/libx265)",
        install_hint=INSTALL_HINT,
    )
    registry.add_decoder(
        VIDEO_SYNTAXES,
        "dicom_pixels_pyav.decode:decode_video",
        requires=REQUIRES,
        # PS3.5 8.2.5-8.2.8: YBR_PARTIAL_420 colour (or MONOCHROME2 stored as such), 8 bits;
        # HEVC Main 10 up to 10 bits in 16.
        supports=Capabilities(
            bits_allocated=frozenset({8, 16}),
            samples_per_pixel=frozenset({3}),
            pixel_representations=frozenset({0}),
        ),
        priority=30,
    )
    registry.add_encoder(
        VIDEO_SYNTAXES,
        "dicom_pixels_pyav.encode:encode_video",
        requires=REQUIRES,
        supports=Capabilities(bits_allocated=frozenset({8}), samples_per_pixel=frozenset({3})),
        priority=30,
    )
