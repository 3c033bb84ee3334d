"""Declares the pyjpegls plugin's JPEG-LS codecs (metadata only; nothing is imported).

>>> from dicom_pixels.plugin import CodecRegistrar
>>> registry = CodecRegistrar("pyjpegls", "dicom-pixels-pyjpegls")
>>> dicom_pixels_register_codecs(registry)
>>> sorted({(c.operation, c.transfer_syntax_uid) for c in registry.codecs})[0]
('decode', '1.2.840.10008.1.2.4.80')
"""

from __future__ import annotations

from dicom_pixels.plugin import JPEG_LS, CodecRegistrar, hookimpl

__all__ = ["dicom_pixels_register_codecs"]

#: pydicom 3 asks for pyjpegls 1.2 to decode (1.3 to encode); the same versions here.
DECODE_REQUIRES = ["pyjpegls>=1.2"]
ENCODE_REQUIRES = ["pyjpegls>=1.3"]
#: After GDCM (30), pylibjpeg (35) and imagecodecs: pyjpegls copies every frame
#: through a bytearray and holds the GIL, so it is the JPEG-LS codec of last resort.
PRIORITY = 60


@hookimpl
def dicom_pixels_register_codecs(registry: CodecRegistrar) -> None:
    """Register CharLS's JPEG-LS decoder and encoder as wrapped by pyjpegls."""
    registry.describe("JPEG-LS decoder and encoder through pyjpegls (CharLS)")
    for add, target, requires in (
        (registry.add_decoder, "decode_frame", DECODE_REQUIRES),
        (registry.add_encoder, "encode_frame", ENCODE_REQUIRES),
    ):
        add(["JPEGLSLossless", "JPEGLSNearLossless"], f"dicom_pixels_pyjpegls.codec:{target}",
            requires=requires, supports=JPEG_LS, priority=PRIORITY)
