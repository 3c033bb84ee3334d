"""What a codec callable receives, and the helpers codecs share.

A decode callable declared with
:meth:`~dicom_pixels.registry.CodecRegistrar.add_decoder` is called as
``decode(data, frame)``:

* ``data`` -- the encoded bytes of one frame (all its fragments joined), or
  for native pixel data the bytes that hold the frame;
* ``frame`` -- a :class:`DecodeFrame` with the image description, the
  options, and ``frame.out``: a writable array of shape
  ``frame.image.frame_shape`` and dtype ``frame.image.dtype`` (planar
  configuration 0), which is the frame's slice of the final output.

It may return:

* ``None`` after writing the pixels into ``frame.out`` (fastest);
* an ``ndarray`` of the frame's shape (or any shape with the same number of
  pixels in planar configuration 0 order); the core copies it into place;
* ``bytes``/``bytearray``: little-endian pixel bytes, interpreted with
  ``frame.info.get("bits_allocated", image.bits_allocated)`` and
  ``frame.info.get("planar_configuration", image.planar_configuration)``.

It reports facts learned from the codestream in ``frame.info`` (the core uses
them for sign correction and colour-space bookkeeping):
``photometric_interpretation`` (of the pixels it returns, e.g. ``"RGB"`` when
the backend converted from YCbCr), ``planar_configuration``,
``bits_allocated``, ``j2k_precision``, ``j2k_is_signed``, ``jls_precision``.

A codec that can convert YCbCr to RGB itself, faster than the core could
afterwards (libjpeg-turbo does it in its IDCT loop), may do so when
``frame.rgb_wanted`` is true, and then reports
``frame.info["photometric_interpretation"] = "RGB"`` so the core does not
convert again.

Video transfer syntaxes (``TransferSyntax.is_video``) differ: ``data`` is the
whole stream (PS3.5 A.4.5) and the callable returns an iterator of frame arrays
from ``frame.index`` on (see :meth:`dicom_pixels.decoder.Decoder` and
``docs/plugins.rst``).

A codec raises any exception to decline or fail: the core catches it, tries
the next plugin, and reports the message with the frame index and plugin name.

>>> import numpy as np
>>> from dicom_pixels.description import ImageDescription
>>> image = ImageDescription(2, 2, 1, 8, 8, 0, "MONOCHROME2", "1.2.840.10008.1.2.5")
>>> frame = DecodeFrame(image=image, index=0, options={}, out=np.empty((2, 2), "u1"))
>>> frame.option("as_rgb", True)
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .description import ImageDescription

__all__ = ["DecodeFrame", "EncodeFrame"]


@dataclass
class DecodeFrame:
    """The context of one frame being decoded.

    :param image: the description of the encoded image.
    :param index: the frame's index (0-based) in the pixel data.
    :param options: the decoding options the user passed (read-only).
    :param out: the frame's slice of the output array, or ``None`` when the
        caller wants the codec's own result (``as_buffer``).
    :param info: facts the codec reports about the decoded frame.
    :param bit_offset: for native 1-bit data, the bit where this frame starts in
        the first byte of ``data`` (frames need not start on a byte, PS3.5 8.1.1).
    :param rgb_wanted: the core will convert this frame from YCbCr to RGB after
        decoding (``as_rgb``/``force_rgb``); a codec may do it instead.
    """

    image: ImageDescription
    index: int
    options: Mapping[str, Any]
    out: np.ndarray | None = None
    info: dict[str, Any] = field(default_factory=dict)
    bit_offset: int = 0
    rgb_wanted: bool = False

    def option(self, name: str, default: Any = None) -> Any:
        """Return the decoding option *name*, or *default*."""
        return self.options.get(name, default)


@dataclass
class EncodeFrame:
    """The context of one frame being encoded.

    :param image: the description of the image to encode (its transfer syntax
        is the target).
    :param index: the frame's index (0-based).
    :param options: the encoding options (``j2k_cr``, ``jls_error``, ...).
    :param info: facts the codec reports (e.g. ``photometric_interpretation``
        of the encoded data when the codec transformed colour).
    """

    image: ImageDescription
    index: int
    options: Mapping[str, Any]
    info: dict[str, Any] = field(default_factory=dict)

    def option(self, name: str, default: Any = None) -> Any:
        """Return the encoding option *name*, or *default*."""
        return self.options.get(name, default)
