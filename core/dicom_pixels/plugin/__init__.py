"""Everything a codec plugin imports, in one place.

A plugin is a module with one hook, :func:`dicom_pixels_register_codecs`, marked
with :data:`hookimpl` and named in the ``dicom_pixels`` entry-point group of its
``pyproject.toml``. The hook declares codecs on a :class:`CodecRegistrar`; each
codec is a ``"module:function"`` called with one frame and a :class:`DecodeFrame`
or :class:`EncodeFrame`. A codec declines a frame by raising
:class:`DecodeError` / :class:`EncodeError` (or any ``Exception``, which the
core reports the same way, with the frame and the plugin named): the next plugin
is then tried. The helpers below are the rules codecs of one family share.

>>> from dicom_pixels.plugin import CodecRegistrar, JPEG_LS, hookimpl
>>> @hookimpl
... def dicom_pixels_register_codecs(registry):
...     registry.add_decoder("JPEGLSLossless", "my_jls.codec:decode", supports=JPEG_LS)
>>> registry = CodecRegistrar("my-jls")
>>> dicom_pixels_register_codecs(registry)
>>> registry.codecs[0].supports.max_bits_stored
16

The names exported by :mod:`dicom_pixels` and :mod:`dicom_pixels.registry`
(``dp.hookimpl``, ``dp.Capabilities``, ``dp.DecodeFrame``, ...) are the same
objects and keep working.
"""

from __future__ import annotations

from ..codec import (
    DecodeFrame,
    EncodeFrame,
    check_jpegls_near_lossless,
    container_dtype,
    jpegls_near_lossless_range,
    report_container,
    report_j2k_colour_transform,
    require_end_marker,
    unsigned_pattern,
)
from ..description import ImageDescription
from ..errors import DecodeError, EncodeError, MissingDependencyError
from ..hookspecs import dicom_pixels_register_codecs, hookimpl
from ..registry import Capabilities, Codec, CodecRegistrar

__all__ = [
    "JPEG_2000",
    "JPEG_BASELINE",
    "JPEG_EXTENDED",
    "JPEG_LOSSLESS",
    "JPEG_LS",
    "ONE_OR_THREE_SAMPLES",
    "Capabilities",
    "Codec",
    "CodecRegistrar",
    "DecodeError",
    "DecodeFrame",
    "EncodeError",
    "EncodeFrame",
    "ImageDescription",
    "MissingDependencyError",
    "check_jpegls_near_lossless",
    "container_dtype",
    "dicom_pixels_register_codecs",
    "hookimpl",
    "jpegls_near_lossless_range",
    "report_container",
    "report_j2k_colour_transform",
    "require_end_marker",
    "unsigned_pattern",
]

#: Grey or colour: what every image codec family but RLE and JPEG XL is limited to.
ONE_OR_THREE_SAMPLES = frozenset({1, 3})
_CONTAINERS = frozenset({8, 16})

#: JPEG Baseline (ISO/IEC 10918-1 B.2.2: 8-bit samples), grey or colour.
JPEG_BASELINE = Capabilities(
    bits_allocated=_CONTAINERS, max_bits_stored=8, samples_per_pixel=ONE_OR_THREE_SAMPLES
)
#: JPEG Extended (8 or 12-bit samples), grey or colour.
JPEG_EXTENDED = Capabilities(
    bits_allocated=_CONTAINERS, max_bits_stored=12, samples_per_pixel=ONE_OR_THREE_SAMPLES
)
#: Lossless JPEG (ISO/IEC 10918-1 H.1: 2 to 16-bit samples), grey or colour.
JPEG_LOSSLESS = Capabilities(
    bits_allocated=_CONTAINERS, max_bits_stored=16, samples_per_pixel=ONE_OR_THREE_SAMPLES
)
#: JPEG-LS (ISO/IEC 14495-1 C.2.2: P from 2 to 16 bits), grey or colour, PS3.5 8.2.3.
JPEG_LS = Capabilities(
    bits_allocated=_CONTAINERS, max_bits_stored=16, samples_per_pixel=ONE_OR_THREE_SAMPLES
)
#: JPEG 2000 and HTJ2K as DICOM uses them (PS3.5 8.2.4: up to 16 bits), grey or colour.
JPEG_2000 = Capabilities(
    bits_allocated=_CONTAINERS, max_bits_stored=16, samples_per_pixel=ONE_OR_THREE_SAMPLES
)
