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
from .uid import lookup

__all__ = [
    "DecodeFrame",
    "END_MARKER_WINDOW",
    "J2K_TRANSFORMED_COLOUR",
    "EncodeFrame",
    "check_jpegls_near_lossless",
    "codec_image",
    "container_dtype",
    "jpegls_near_lossless_range",
    "report_container",
    "report_j2k_colour_transform",
    "require_end_marker",
    "unsigned_pattern",
]


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

    @property
    def lossless_only(self) -> bool:
        """Whether the target transfer syntax allows only lossless data, as JPEG 2000
        (Lossless Only) does (PS3.5 8.2.4, A.4.4); one codec may then write both kinds.

        >>> from dicom_pixels import ImageDescription
        >>> image = ImageDescription(8, 8, 1, 8, 8, 0, "MONOCHROME2", "1.2.840.10008.1.2.4.90")
        >>> EncodeFrame(image, 0, {}).lossless_only
        True
        """
        return lookup(self.image.transfer_syntax_uid).lossy is False

    def option_numbers(self, name: str) -> list[float] | None:
        """The option *name* given as one number or one per quality layer (``j2k_cr``,
        ``j2k_psnr``) as a list of floats, or ``None`` when not given. The core has
        checked the values before calling the codec.

        >>> from dicom_pixels import ImageDescription
        >>> image = ImageDescription(8, 8, 1, 8, 8, 0, "MONOCHROME2", "1.2.840.10008.1.2.4.91")
        >>> frame = EncodeFrame(image, 0, {"j2k_cr": 20})
        >>> frame.option_numbers("j2k_cr"), frame.option_numbers("j2k_psnr")
        ([20.0], None)
        """
        value = self.options.get(name)
        if value is None:
            return None
        return [float(v) for v in (value if isinstance(value, (list, tuple)) else [value])]


# -- rules every codec of a family shares ------------------------------------------------


def container_dtype(precision: int) -> np.dtype:
    """The little-endian unsigned sample type that holds *precision*-bit samples.

    JPEG, JPEG-LS and JPEG 2000 backends return samples in the smallest container
    of 1, 2 or 4 bytes that holds the codestream's precision (ISO/IEC 10918-1 B.2.2
    P, 14495-1 C.2.2 P, 15444-1 A.5.1 Ssiz), whatever Bits Allocated says.

    >>> container_dtype(8), container_dtype(12), container_dtype(17)
    (dtype('uint8'), dtype('uint16'), dtype('uint32'))
    """
    if not 1 <= precision <= 32:
        raise ValueError(f"a sample precision of {precision} bits is not between 1 and 32")
    return np.dtype("u1" if precision <= 8 else "<u2" if precision <= 16 else "<u4")


def unsigned_pattern(arr: np.ndarray, bits_stored: int) -> np.ndarray:
    """Signed samples as the unsigned *bits_stored*-bit two's complement pattern that
    JPEG and JPEG-LS store (PS3.5 8.2.1, A.4.1); unsigned samples are returned as they are.

    >>> unsigned_pattern(np.array([-1, 0, 5], "i2"), 12).tolist()
    [4095, 0, 5]
    """
    if arr.dtype.kind != "i":
        return arr
    unsigned = arr.view(arr.dtype.str.replace("i", "u"))
    return unsigned & np.array(2**bits_stored - 1, dtype=unsigned.dtype)


def jpegls_near_lossless_range(bits_stored: int, near: int) -> tuple[int, int]:
    """The signed values a JPEG-LS near-lossless encoder may take at ``NEAR`` = *near*.

    Signed samples are coded as their unsigned bit pattern (PS3.5 A.4.1), where the
    largest and the smallest value are neighbours; a reconstruction error of up to
    NEAR (ISO/IEC 14495-1 A.4.4) would turn one into the other (an error of
    ``2**bits_stored - 1``). Only values at least NEAR away from both ends are safe.

    >>> jpegls_near_lossless_range(12, 3)
    (-2045, 2044)
    """
    return -(2 ** (bits_stored - 1)) + near, 2 ** (bits_stored - 1) - 1 - near


def check_jpegls_near_lossless(arr: np.ndarray, frame: EncodeFrame) -> int:
    """Return the NEAR parameter a JPEG-LS encoder must write for *frame*, after refusing
    signed data that near-lossless coding would wrap (see :func:`jpegls_near_lossless_range`).

    Call it before encoding: the refusal is an :class:`~dicom_pixels.errors.EncodeError`
    and nothing is written.

    >>> from dicom_pixels.description import ImageDescription
    >>> image = ImageDescription(1, 3, 1, 16, 12, 1, "MONOCHROME2", "1.2.840.10008.1.2.4.81")
    >>> check_jpegls_near_lossless(np.array([[0, 5, -7]], "i2"), EncodeFrame(image, 0, {"jls_error": 2}))
    2
    >>> check_jpegls_near_lossless(np.array([[2047, 0, 0]], "i2"), EncodeFrame(image, 0, {"jls_error": 2}))
    Traceback (most recent call last):
    ...
    dicom_pixels.errors.EncodeError: Unable to encode frame 0 as near-lossless JPEG-LS ...
    """
    from .errors import EncodeError

    near = int(frame.option("jls_error", 0) or 0)
    image = frame.image
    if near and image.pixel_representation == 1 and arr.size:
        low, high = jpegls_near_lossless_range(image.bits_stored, near)
        if int(arr.min()) < low or int(arr.max()) > high:
            raise EncodeError(
                f"Unable to encode frame {frame.index} as near-lossless JPEG-LS with jls_error="
                f"{near}: signed {image.bits_stored}-bit values must lie in {low} to {high} "
                f"(found {int(arr.min())} to {int(arr.max())}), else the error wraps around the "
                "range; use JPEG-LS Lossless or a smaller jls_error"
            )
    return near


#: How far from the end of a frame its JPEG EOI / JPEG 2000 EOC marker (0xFFD9) may lie:
#: PS3.5 A.4 pads a fragment to an even length, and some writers add a few more bytes.
END_MARKER_WINDOW = 16


def codec_image(image: ImageDescription) -> ImageDescription:
    """The description a codec is given (and its capabilities are checked against).

    It is *image* itself, except for 1-bit RLE Lossless. There each pixel takes a whole
    byte of its segment (value 0 or 1, each row encoded separately; PS3.5 G.2 applied to
    Bits Allocated 1 as CP-2301 does, and as pydicom writes and reads it since its
    commit e892e467 of February 2026), so an RLE codec sees and returns plain 8-bit data
    (Bits Stored 8: the bytes are the same, and backends such as GDCM accept no unused
    bits in 8-bit RLE) and needs no 1-bit code of its own. JPEG 2000 keeps Bits Allocated 1: its codecs encode a
    component of precision 1.

    >>> from dicom_pixels.description import ImageDescription
    >>> seg = ImageDescription(5, 3, 1, 1, 1, 0, "MONOCHROME2", "1.2.840.10008.1.2.5")
    >>> codec_image(seg).bits_allocated, codec_image(seg).bits_stored
    (8, 8)
    >>> codec_image(seg.replace(transfer_syntax_uid="1.2.840.10008.1.2.4.90")).bits_allocated
    1
    """
    if image.bits_allocated == 1 and lookup(image.transfer_syntax_uid).family == "rle":
        return image.replace(bits_allocated=8, bits_stored=8)
    return image


def require_end_marker(data: bytes | bytearray | memoryview, frame: DecodeFrame, standard: str) -> None:
    """Raise :class:`~dicom_pixels.errors.DecodeError` when the codestream does not end
    with its end marker (0xFFD9, within :data:`END_MARKER_WINDOW` bytes).

    A DICOM frame ends with it (ISO/IEC 10918-1 B.2.1, 14495-1 C.1.1, 15444-1 A.4.4),
    so its absence means truncation; some backends decode a truncated stream into grey
    or zero filler without an error, others spend seconds on it.

    >>> from dicom_pixels.description import ImageDescription
    >>> image = ImageDescription(1, 1, 1, 8, 8, 0, "MONOCHROME2", "1.2.840.10008.1.2.4.80")
    >>> require_end_marker(b"\\xff\\xd8\\xff\\xd9\\x00", DecodeFrame(image, 0, {}), "JPEG-LS")
    >>> require_end_marker(b"\\xff\\xd8\\xff\\xf7\\x00", DecodeFrame(image, 0, {}), "JPEG-LS")
    Traceback (most recent call last):
    ...
    dicom_pixels.errors.DecodeError: Unable to decode frame 0: the JPEG-LS codestream does not end ...
    """
    from .errors import DecodeError

    if b"\xff\xd9" not in bytes(data[-END_MARKER_WINDOW:]):
        raise DecodeError(
            f"Unable to decode frame {frame.index}: the {standard} codestream does not end "
            "with an end-of-image marker (FFD9); it is truncated or corrupt"
        )


#: Photometric Interpretations of JPEG 2000 colour whose component transform the decoder
#: undoes (ISO/IEC 15444-1 Annex G): the samples come back RGB (PS3.3 C.7.6.3.1.2).
J2K_TRANSFORMED_COLOUR = ("YBR_ICT", "YBR_RCT")


def report_j2k_colour_transform(frame: DecodeFrame) -> None:
    """Report RGB when the JPEG 2000 decoder undid the component transform (YBR_ICT/RCT).

    >>> from dicom_pixels.description import ImageDescription
    >>> image = ImageDescription(1, 1, 3, 8, 8, 0, "YBR_ICT", "1.2.840.10008.1.2.4.91")
    >>> frame = DecodeFrame(image, 0, {})
    >>> report_j2k_colour_transform(frame); frame.info
    {'photometric_interpretation': 'RGB'}
    """
    if frame.image.photometric_interpretation in J2K_TRANSFORMED_COLOUR:
        frame.info["photometric_interpretation"] = "RGB"


def report_container(frame: DecodeFrame, precision: int | None) -> None:
    """Report the Bits Allocated of the bytes a codec returns, from the codestream's
    precision (see :func:`container_dtype`); nothing when the precision is unknown.

    >>> from dicom_pixels.description import ImageDescription
    >>> frame = DecodeFrame(ImageDescription(1, 1, 1, 16, 12, 0, "MONOCHROME2", "1.2.840.10008.1.2.4.80"), 0, {})
    >>> report_container(frame, 7); frame.info["bits_allocated"]
    8
    """
    if precision and 0 < precision <= 32:
        frame.info["bits_allocated"] = container_dtype(precision).itemsize * 8
