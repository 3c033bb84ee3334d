"""The encoding pipeline: from arrays (or decoded pixel data) to encoded frames.

:func:`get_encoder` returns the :class:`Encoder` of a transfer syntax, the
mirror of :func:`~dicom_pixels.decoder.get_decoder`. An encode runs, before
any codec is called:

1. describe the source (an ndarray plus description keywords, little-endian
   ``bytes`` plus their description, a pydicom ``Dataset``, a path or a
   :class:`~dicom_pixels.source.PixelSource`, decoded through our decoder);
2. check the image against the *encoding profile* of the target transfer
   syntax (PS3.5 8.2) and the options against the transfer syntax
   (:func:`check_options`), raising :class:`EncodingProfileError`;
3. select the plugins (``manager.select(uid, "encode", image, plugin)``, as the
   decoder does), then per frame: check the values fit Bits Stored, call the
   first codec that succeeds, and yield its bytes.

Native transfer syntaxes need no codec: the frame's bytes are laid out by the
core (byte order, planar configuration, 1-bit packing; PS3.5 8.1.1, A.1-A.3).

>>> import numpy as np, dicom_pixels as dp
>>> arr = np.arange(16, dtype="u1").reshape(4, 4)
>>> data = dp.get_encoder("RLELossless").encode(arr, encoding_plugin="native")
>>> dp.get_decoder("RLELossless").as_array([data], rows=4, columns=4, samples_per_pixel=1,
...     bits_allocated=8, pixel_representation=0, photometric_interpretation="MONOCHROME2",
...     transfer_syntax_uid="RLELossless")[0].tolist() == arr.tolist()
True
"""

from __future__ import annotations

import functools
import itertools
import math
import os
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .codec import EncodeFrame, codec_image
from .description import ImageDescription
from .errors import (
    EncodeError,
    EncodingProfileError,
    InvalidArgumentError,
    InvalidPixelDescriptionError,
)
from .registry import Codec, Converter, TransferSyntaxEndpoint, manager, try_codecs
from .source import IMAGE_PIXEL_OPTIONS, PixelSource, is_dataset, open_source
from .uid import TransferSyntax, lookup

if TYPE_CHECKING:
    from .decoder import FramePool

__all__ = [
    "ENCODING_PROFILES",
    "EncodingProfile",
    "ConvertRun",
    "EncodeRun",
    "Encoder",
    "check_options",
    "check_profile",
    "get_encoder",
    "lossy_method",
    "native_frame",
]

_MONO = ("MONOCHROME1", "MONOCHROME2")
_BITS_8_16 = frozenset({8, 16})
_J2K_BITS = frozenset({8, 16, 24, 32, 40})


@dataclass(frozen=True)
class EncodingProfile:
    """One allowed combination of Image Pixel values for a transfer syntax (PS3.5 8.2)."""

    photometric_interpretation: str
    samples_per_pixel: int
    pixel_representations: frozenset[int]
    bits_allocated: frozenset[int]
    bits_stored: range

    def matches(self, image: ImageDescription) -> bool:
        """``True`` when *image* fits this combination."""
        return (
            image.photometric_interpretation == self.photometric_interpretation
            and image.samples_per_pixel == self.samples_per_pixel
            and image.pixel_representation in self.pixel_representations
            and image.bits_allocated in self.bits_allocated
            and image.bits_stored in self.bits_stored
        )

    def __str__(self) -> str:
        signed = "/".join("signed" if r else "unsigned" for r in sorted(self.pixel_representations))
        stored = self.bits_stored
        bits = f"{stored.start}" if len(stored) == 1 else f"{stored.start}-{stored.stop - 1}"
        allocated = "/".join(str(b) for b in sorted(self.bits_allocated))
        return (
            f"{self.photometric_interpretation}, {self.samples_per_pixel} sample(s), {signed}, "
            f"Bits Allocated {allocated}, Bits Stored {bits}"
        )


def _p(pi: str, spp: int, reps: Iterable[int], ba: Iterable[int], bs: range) -> EncodingProfile:
    return EncodingProfile(pi, spp, frozenset(reps), frozenset(ba), bs)


def _mono(reps: Iterable[int], ba: Iterable[int], bs: range) -> list[EncodingProfile]:
    return [_p(pi, 1, reps, ba, bs) for pi in _MONO]


# PS3.5 Table 8.2.1-1 (JPEG lossy), Table 8.2.1-2 (JPEG lossless), Table 8.2.3-1
# (JPEG-LS), Table 8.2.4-1 (JPEG 2000, also used by HTJ2K, 8.2.15), 8.2.2 (RLE).
_JPEG_BASELINE = [
    *_mono((0,), (8,), range(8, 9)),
    _p("YBR_FULL_422", 3, (0,), (8,), range(8, 9)),
    _p("RGB", 3, (0,), (8,), range(8, 9)),  # the codec converts to YBR_FULL_422
]
_JPEG_EXTENDED = [
    *_JPEG_BASELINE,
    *_mono((0,), (16,), range(12, 13)),
]
_JPEG_LOSSLESS = [
    *_mono((0, 1), _BITS_8_16, range(1, 17)),
    _p("PALETTE COLOR", 1, (0,), _BITS_8_16, range(1, 17)),
    _p("YBR_FULL", 3, (0,), _BITS_8_16, range(1, 17)),
    _p("RGB", 3, (0,), _BITS_8_16, range(1, 17)),
]
_JPEG_LS_LOSSLESS = [
    *_mono((0, 1), _BITS_8_16, range(2, 17)),
    _p("PALETTE COLOR", 1, (0,), _BITS_8_16, range(2, 17)),
    _p("YBR_FULL", 3, (0,), (8,), range(2, 9)),
    _p("RGB", 3, (0,), _BITS_8_16, range(2, 17)),
]
_JPEG_LS_NEAR = [p for p in _JPEG_LS_LOSSLESS if p.photometric_interpretation != "PALETTE COLOR"]
_J2K_LOSSLESS = [
    *_mono((0, 1), _J2K_BITS, range(1, 39)),
    _p("PALETTE COLOR", 1, (0,), _BITS_8_16, range(1, 17)),
    _p("YBR_RCT", 3, (0,), _J2K_BITS, range(1, 39)),
    _p("RGB", 3, (0,), _J2K_BITS, range(1, 39)),
    _p("YBR_FULL", 3, (0,), _J2K_BITS, range(1, 39)),
]
# CP-2301: one-bit images (segmentations) in JPEG 2000, one component of precision 1.
_J2K_ONE_BIT = _mono((0,), (1,), range(1, 2))
_J2K_LOSSY = [
    *_mono((0, 1), _J2K_BITS, range(1, 39)),
    _p("YBR_ICT", 3, (0,), _J2K_BITS, range(1, 39)),
    _p("RGB", 3, (0,), _J2K_BITS, range(1, 39)),
    _p("YBR_FULL", 3, (0,), _J2K_BITS, range(1, 39)),
]
_RLE = [
    # PS3.5 G.2: one segment per byte of each sample, at most 15; dicom-pixels also
    # accepts 32-bit monochrome data (4 segments), which pydicom's own files use.
    *_mono((0, 1), (8, 16, 32), range(1, 33)),
    # Bits Allocated 1 (segmentations): one byte per pixel in one segment (codec_image).
    *_mono((0,), (1,), range(1, 2)),
    _p("PALETTE COLOR", 1, (0,), _BITS_8_16, range(1, 17)),
    _p("YBR_FULL", 3, (0,), (8,), range(1, 9)),
    _p("RGB", 3, (0,), _BITS_8_16, range(1, 17)),
]
# PS3.5 8.2.x (JPEG XL): grayscale and colour, unsigned, up to 16 bits as encoded by
# libjxl. JPEG XL JPEG Recompression needs a JPEG bitstream, not pixels.
_JPEG_XL = [
    *_mono((0,), _BITS_8_16, range(1, 17)),
    _p("RGB", 3, (0,), _BITS_8_16, range(1, 17)),
    _p("YBR_FULL", 3, (0,), (8,), range(1, 9)),
]

# PS3.5 8.2.5-8.2.8 (video): the stream holds YBR_PARTIAL_420 (the codec converts
# from RGB), 8 bits; HEVC Main 10 up to 10 bits stored in 16.
_VIDEO = [_p("RGB", 3, (0,), (8,), range(8, 9))]
_VIDEO_10 = [*_VIDEO, _p("RGB", 3, (0,), (16,), range(9, 11))]
_VIDEO_UIDS = {
    uid: _VIDEO
    for uid in (
        "1.2.840.10008.1.2.4.100", "1.2.840.10008.1.2.4.101", "1.2.840.10008.1.2.4.102",
        "1.2.840.10008.1.2.4.103", "1.2.840.10008.1.2.4.104", "1.2.840.10008.1.2.4.105",
        "1.2.840.10008.1.2.4.106", "1.2.840.10008.1.2.4.107",
    )
}

#: Allowed Image Pixel combinations per transfer syntax UID; native syntaxes,
#: Deflated Image Frame Compression and Encapsulated Uncompressed accept any valid image.
ENCODING_PROFILES: dict[str, list[EncodingProfile]] = {
    "1.2.840.10008.1.2.4.50": _JPEG_BASELINE,
    "1.2.840.10008.1.2.4.51": _JPEG_EXTENDED,
    "1.2.840.10008.1.2.4.57": _JPEG_LOSSLESS,
    "1.2.840.10008.1.2.4.70": _JPEG_LOSSLESS,
    "1.2.840.10008.1.2.4.80": _JPEG_LS_LOSSLESS,
    "1.2.840.10008.1.2.4.81": _JPEG_LS_NEAR,
    "1.2.840.10008.1.2.4.90": [*_J2K_LOSSLESS, *_J2K_ONE_BIT],
    "1.2.840.10008.1.2.4.91": [*_J2K_LOSSY, *_J2K_ONE_BIT],
    "1.2.840.10008.1.2.4.92": _J2K_LOSSLESS,
    "1.2.840.10008.1.2.4.93": _J2K_LOSSY,
    "1.2.840.10008.1.2.4.201": _J2K_LOSSLESS,
    "1.2.840.10008.1.2.4.202": _J2K_LOSSLESS,
    "1.2.840.10008.1.2.4.203": _J2K_LOSSY,
    "1.2.840.10008.1.2.4.110": _JPEG_XL,
    "1.2.840.10008.1.2.4.112": _JPEG_XL,
    "1.2.840.10008.1.2.5": _RLE,
    **_VIDEO_UIDS,
    **{uid + ".1": profiles for uid, profiles in _VIDEO_UIDS.items() if uid != "1.2.840.10008.1.2.4.107"},
    "1.2.840.10008.1.2.4.108": _VIDEO_10,
}

_J2K_FAMILIES = ("j2k", "htj2k")
_LOSSY_CAPABLE = frozenset({"1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.93", "1.2.840.10008.1.2.4.203"})
_JPEG_LOSSY = frozenset({"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51"})
_JPEG_XL_UIDS = frozenset({"1.2.840.10008.1.2.4.110", "1.2.840.10008.1.2.4.112"})

#: (0028,2114) Lossy Image Compression Method defined terms (PS3.3 C.7.6.1.1.5.1).
_LOSSY_METHODS = {
    "jpeg": "ISO_10918_1",
    "jpegls": "ISO_14495_1",
    "j2k": "ISO_15444_1",
    "htj2k": "ISO_15444_15",
    "jpegxl": "ISO_18181_1",
    "hevc": "ISO_23008_2",
}
_MPEG2_UIDS = frozenset({"1.2.840.10008.1.2.4.100", "1.2.840.10008.1.2.4.100.1", "1.2.840.10008.1.2.4.101",
                         "1.2.840.10008.1.2.4.101.1"})


#: Taken around every call of a codec that does not declare ``releases_gil``: only codecs
#: that do are called from several threads at once.
_GIL_HOLDING_CODECS = threading.Lock()


def _ts_name(ts: TransferSyntax) -> str:
    return f"'{ts.name}'"


def check_profile(image: ImageDescription, uid: str | TransferSyntax) -> None:
    """Check *image* against the encoding profiles of *uid* (PS3.5 8.2).

    :raises EncodingProfileError: naming the values that do not fit and every
        allowed combination.

    >>> from dicom_pixels.description import ImageDescription
    >>> image = ImageDescription(4, 4, 1, 16, 16, 0, "MONOCHROME2", "JPEGBaseline8Bit")
    >>> check_profile(image, "JPEGBaseline8Bit")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dicom_pixels.errors.EncodingProfileError: The image cannot be encoded as 'JPEG Baseline (Process 1)'...
    """
    ts = lookup(uid)
    if not ts.carries_pixels:
        raise EncodingProfileError(f"dicom-pixels cannot encode pixel data as {_ts_name(ts)}")
    if ts.uid == "1.2.840.10008.1.2.4.111":
        raise EncodingProfileError(
            "'JPEG XL JPEG Recompression' re-encodes an existing JPEG bitstream losslessly "
            "(PS3.5 8.2.16): it cannot be produced from pixels; transcode a JPEG Baseline file to "
            "it (a plugin with a JPEG to JPEG XL converter, e.g. imagecodecs, repacks its frames), "
            "or use 'JPEGXL' or 'JPEGXLLossless'"
        )
    if image.is_float and ts.encapsulated:
        raise EncodingProfileError(
            f"{image.pixel_keyword} can only be stored in a native transfer syntax, not "
            f"{_ts_name(ts)} (PS3.5 8.2, A.4: only (7FE0,0010) Pixel Data is encapsulated)"
        )
    profiles = ENCODING_PROFILES.get(ts.uid)
    if profiles is None or any(p.matches(image) for p in profiles):
        return
    allowed = "\n".join(f"    {p}" for p in profiles)
    kind = "signed" if image.pixel_representation else "unsigned"
    raise EncodingProfileError(
        f"The image cannot be encoded as {_ts_name(ts)}: it is "
        f"{image.photometric_interpretation}, {image.samples_per_pixel} sample(s), {kind}, "
        f"Bits Allocated {image.bits_allocated}, Bits Stored {image.bits_stored}, which is "
        f"not an allowed combination (PS3.5 8.2). Allowed:\n{allowed}"
    )


def check_options(uid: str | TransferSyntax, options: Mapping[str, Any], image: ImageDescription | None = None) -> None:
    """Check the encoding options against the transfer syntax (and the image), before any work.

    * ``j2k_cr`` / ``j2k_psnr`` (JPEG 2000, HTJ2K): exactly one for the lossy
      syntaxes, neither for the lossless ones; lists of positive numbers, compression
      ratios decreasing and at least 1, PSNR values increasing;
    * ``jls_error`` (JPEG-LS NEAR, ISO/IEC 14495-1 C.2.4.1.1): 0 for lossless,
      ``0 <= NEAR <= min(255, (2**bits_stored - 1) // 2)`` for near-lossless;
    * ``quality`` (JPEG lossy, JPEG XL): an integer 1-100;
    * ``use_mct`` (JPEG 2000, HTJ2K): a bool, ``True`` only for RGB images;
    * ``planar_configuration`` of the output: 0 for encapsulated syntaxes (PS3.5 8.2.1,
      8.2.3, 8.2.4: "shall be 0"), 0 or 1 for native ones.

    :raises EncodingProfileError: naming the option and what is allowed.

    >>> check_options("JPEG2000", {"j2k_cr": [20], "j2k_psnr": [40]})
    Traceback (most recent call last):
    ...
    dicom_pixels.errors.EncodingProfileError: 'JPEG 2000 Image Compression' needs exactly one of 'j2k_cr' or 'j2k_psnr', not both
    """
    ts = lookup(uid)
    name = _ts_name(ts)

    def fail(message: str) -> None:
        raise EncodingProfileError(message)

    cr, psnr = options.get("j2k_cr"), options.get("j2k_psnr")
    if ts.family in _J2K_FAMILIES:
        if ts.uid in _LOSSY_CAPABLE:
            if cr is not None and psnr is not None:
                fail(f"{name} needs exactly one of 'j2k_cr' or 'j2k_psnr', not both")
            if cr is None and psnr is None:
                fail(
                    f"{name} needs a lossy setting: exactly one of 'j2k_cr' (compression "
                    "ratios, e.g. [20]) or 'j2k_psnr' (PSNR in dB, e.g. [40]); for lossless "
                    "encoding use the '(Lossless Only)' transfer syntax"
                )
            values = _number_list(cr if cr is not None else psnr, "j2k_cr" if cr is not None else "j2k_psnr")
            if cr is not None and (values != sorted(values, reverse=True) or values[-1] < 1):
                fail(f"'j2k_cr' must decrease from layer to layer and be at least 1, not {cr!r}")
            if psnr is not None and values != sorted(values):
                fail(f"'j2k_psnr' must increase from layer to layer, not {psnr!r}")
        elif cr is not None or psnr is not None:
            fail(
                f"'j2k_cr' and 'j2k_psnr' are lossy settings, which {name} does not allow; "
                "use the lossy JPEG 2000 / HTJ2K transfer syntax instead"
            )
        mct = options.get("use_mct")
        if mct is not None:
            if not isinstance(mct, bool):
                fail(f"'use_mct' must be True or False, not {mct!r}")
            if mct and image is not None and image.photometric_interpretation != "RGB":
                fail(
                    f"'use_mct' applies only to RGB images (PS3.5 8.2.4), not "
                    f"{image.photometric_interpretation}"
                )
    else:
        for key in ("j2k_cr", "j2k_psnr", "use_mct"):
            if options.get(key) is not None:
                fail(f"'{key}' is a JPEG 2000 option; it does not apply to {name}")

    error = options.get("jls_error")
    if ts.family == "jpegls":
        if error is not None:
            if isinstance(error, bool) or not isinstance(error, (int, np.integer)):
                fail(f"'jls_error' must be an integer, not {error!r}")
            limit = 255 if image is None else min(255, (2**image.bits_stored - 1) // 2)
            if ts.lossy and not 0 <= error <= limit:
                fail(
                    f"'jls_error' (the JPEG-LS NEAR parameter) must be in the range 0 to {limit} "
                    f"for this image (ISO/IEC 14495-1 C.2.4.1.1), not {error}"
                )
            if not ts.lossy and error != 0:
                fail(
                    f"{name} is lossless: 'jls_error' must be 0, not {error}; use "
                    "'JPEGLSNearLossless' for near-lossless encoding"
                )
    elif error is not None:
        fail(f"'jls_error' is a JPEG-LS option; it does not apply to {name}")

    quality = options.get("quality")
    if quality is not None:
        if ts.uid not in _JPEG_LOSSY and ts.uid not in _JPEG_XL_UIDS and not ts.is_video:
            fail(f"'quality' applies to lossy JPEG and JPEG XL (and video), not to {name}")
        if isinstance(quality, bool) or not isinstance(quality, (int, np.integer)) or not 1 <= quality <= 100:
            fail(f"'quality' must be an integer in the range 1 to 100, not {quality!r}")
        if ts.uid == "1.2.840.10008.1.2.4.110" and quality != 100:
            fail(f"{name} is lossless: 'quality' must be 100 or absent, not {quality}")

    planar = options.get("planar_configuration")
    if planar is not None:
        if planar not in (0, 1):
            fail(f"'planar_configuration' must be 0 or 1, not {planar!r}")
        if ts.encapsulated and planar != 0:
            fail(
                f"The Planar Configuration of {name} pixel data shall be 0 (PS3.5 8.2): the "
                "codec decides how samples are interleaved"
            )


def _number_list(value: Any, name: str) -> list[float]:
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    try:
        numbers = [float(v) for v in items]
    except (TypeError, ValueError):
        raise EncodingProfileError(f"'{name}' must be a list of numbers, not {value!r}") from None
    if not numbers or any(not math.isfinite(v) or v <= 0 for v in numbers):
        raise EncodingProfileError(f"'{name}' must be a non-empty list of positive numbers, not {value!r}")
    return numbers


def is_lossy(uid: str | TransferSyntax, options: Mapping[str, Any]) -> bool:
    """Whether encoding with *options* as *uid* loses information.

    >>> is_lossy("JPEGLSNearLossless", {"jls_error": 0}), is_lossy("JPEG2000", {"j2k_cr": [10]})
    (False, True)
    """
    ts = lookup(uid)
    if ts.family == "jpegls":
        return bool(ts.lossy) and bool(options.get("jls_error", 0))
    if ts.lossy is None:
        if ts.family in _J2K_FAMILIES:
            return options.get("j2k_cr") is not None or options.get("j2k_psnr") is not None
        if ts.family == "jpegxl":
            return options.get("quality", 90) != 100
        return False
    return bool(ts.lossy)


def lossy_method(uid: str | TransferSyntax) -> str:
    """The (0028,2114) Lossy Image Compression Method term for *uid* (PS3.3 C.7.6.1.1.5.1).

    >>> lossy_method("JPEG2000")
    'ISO_15444_1'
    """
    ts = lookup(uid)
    if ts.family == "mpeg":
        return "ISO_13818_2" if ts.uid in _MPEG2_UIDS else "ISO_14496_10"
    return _LOSSY_METHODS.get(ts.family, "")


# -- sources of frames to encode ------------------------------------------------------------------

_MONO_PI = frozenset({"MONOCHROME1", "MONOCHROME2", "PALETTE COLOR"})


class _Feed:
    """Frames to encode, as arrays of shape ``image.frame_shape`` (planar configuration 0)."""

    image: ImageDescription
    count: int

    #: Frames handed back once encoded, decoded into again (``None``: the feed's frames
    #: are the caller's own arrays, never to be overwritten).
    pool: FramePool | None = None

    def frames(self, indices: Iterable[int]) -> Iterator[np.ndarray]:
        raise NotImplementedError

    def close(self) -> None:
        """Release what the feed opened."""


class _ArrayFeed(_Feed):
    def __init__(self, arr: np.ndarray, image: ImageDescription) -> None:
        self.arr = arr
        self.image = image
        self.count = image.number_of_frames

    def frames(self, indices: Iterable[int]) -> Iterator[np.ndarray]:
        for i in indices:
            if not 0 <= i < self.count:
                raise InvalidPixelDescriptionError(
                    f"There is no frame {i}: the array holds {self.count} frame(s)"
                )
            yield self.arr if self.count == 1 and self.arr.ndim == len(self.image.frame_shape) else self.arr[i]


class _DecodedFeed(_Feed):
    """Frames decoded one at a time from a dataset, a file or a PixelSource."""

    def __init__(self, src: Any, options: Mapping[str, Any]) -> None:
        from .decoder import FramePool, get_decoder

        self.source = open_source(src, **{k: v for k, v in options.items() if k in IMAGE_PIXEL_OPTIONS})
        self._owns = self.source is not src
        self.pool = FramePool()  # the decoded frames are the feed's own
        try:
            image = self.source.image
            self.decoder = get_decoder(image.transfer_syntax_uid)
            video = image.transfer_syntax.is_video
            self.decode_options: dict[str, Any] = {
                # A video's YBR_PARTIAL_420, decoded to full size, is no storable colour
                # space: its frames are encoded from RGB.
                "as_rgb": video,
                "decoding_plugin": options.get("decoding_plugin", ""),
            }
            # A video's one encapsulated frame holds Number of Frames pictures (PS3.5 A.4.5).
            self.count = image.number_of_frames if video else self.source.frame_count
            if options.get("allow_excess_frames") is False:
                self.count = min(self.count, image.number_of_frames)
            first, meta = next(self.decoder.iter_array(self.source, indices=[0], **self.decode_options))
            pi = meta["photometric_interpretation"]
            if pi == "YBR_FULL_422" and image.samples_per_pixel == 3:
                pi = "YBR_FULL"  # decoded frames hold every chroma sample (PS3.3 C.7.6.3.1.2)
            self._first: np.ndarray | None = first
            self.image = image.replace(
                photometric_interpretation=pi,
                planar_configuration=0,
                number_of_frames=self.count,
                pixel_vr=None,
            )
        except BaseException:
            self.close()
            raise

    def frames(self, indices: Iterable[int]) -> Iterator[np.ndarray]:
        pending = list(indices)
        if pending[:1] == [0] and self._first is not None:
            first, self._first = self._first, None
            yield first
            pending = pending[1:]
        if pending:
            for arr, _ in self.decoder.iter_array(self.source, indices=pending, pool=self.pool, **self.decode_options):
                yield arr

    def close(self) -> None:
        if self._owns:
            self.source.close()


def _describe_array(arr: np.ndarray, options: Mapping[str, Any]) -> ImageDescription:
    """Describe an ndarray from its shape and dtype plus any description keywords."""
    kind = arr.dtype.kind
    if kind not in "uifb":
        raise InvalidPixelDescriptionError(
            f"Unable to encode an array of dtype '{arr.dtype}': use an integer or float dtype"
        )
    pi = options.get("photometric_interpretation")
    spp = options.get("samples_per_pixel")
    if spp is None:
        if pi is not None:
            spp = 1 if pi in _MONO_PI else 3
        else:
            spp = arr.shape[-1] if arr.ndim == 4 or (arr.ndim == 3 and arr.shape[-1] == 3) else 1
    spp = int(spp)
    if pi is None:
        pi = "MONOCHROME2" if spp == 1 else "RGB"
    frame_ndim = 2 if spp == 1 else 3
    if arr.ndim not in (frame_ndim, frame_ndim + 1) or (spp > 1 and arr.shape[-1] != spp):
        raise InvalidPixelDescriptionError(
            f"An array of shape {arr.shape} does not hold {pi} frames with {spp} sample(s) per "
            "pixel: use (rows, cols), (frames, rows, cols), (rows, cols, samples) or "
            "(frames, rows, cols, samples)"
        )
    frames = arr.shape[0] if arr.ndim == frame_ndim + 1 else 1
    rows, cols = arr.shape[-frame_ndim], arr.shape[-frame_ndim + 1]
    if options.get("number_of_frames") not in (None, frames) and int(options["number_of_frames"]) != frames:
        raise InvalidPixelDescriptionError(
            f"'number_of_frames' is {options['number_of_frames']} but the array holds {frames} frame(s)"
        )
    for key, actual in (("rows", rows), ("columns", cols)):
        if options.get(key) is not None and int(options[key]) != actual:
            raise InvalidPixelDescriptionError(f"'{key}' is {options[key]} but the array has {actual}")
    if kind == "f":
        keyword = "FloatPixelData" if arr.dtype.itemsize == 4 else "DoubleFloatPixelData"
        bits = 8 * arr.dtype.itemsize
        return ImageDescription(
            rows, cols, spp, bits, bits, 0, str(pi), "1.2.840.10008.1.2.1",
            number_of_frames=frames, pixel_keyword=keyword,
        )
    itemsize_bits = 8 * arr.dtype.itemsize
    bits_allocated = int(options.get("bits_allocated") or itemsize_bits)
    representation = options.get("pixel_representation")
    if representation is None:
        representation = 1 if kind == "i" else 0
    bits_stored = int(options.get("bits_stored") or bits_allocated)
    image = ImageDescription(
        rows, cols, spp, bits_allocated, bits_stored, int(representation), str(pi),
        "1.2.840.10008.1.2.1", number_of_frames=frames,
    )
    return image.validate(where="the array")


@functools.lru_cache(maxsize=16)
def _integer_range(dtype: np.dtype) -> tuple[int, int]:
    info = np.iinfo(dtype)  # builds an object each call: a few microseconds per frame
    return int(info.min), int(info.max)


def _check_values_fit(arr: np.ndarray, image: ImageDescription, what: str) -> None:
    """Reject values that Bits Stored cannot hold (PS3.5 8.1.1) before encoding them."""
    if image.is_float or arr.size == 0:
        return
    bits = image.bits_stored
    if image.pixel_representation:
        low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    else:
        low, high = 0, 2**bits - 1
    if arr.dtype.kind in "iu":
        held = _integer_range(arr.dtype)
        if low <= held[0] and held[1] <= high:
            return  # every value of the dtype fits (int16 data, Bits Stored 16): no pass over it
    lo, hi = int(arr.min()), int(arr.max())
    if lo < low or hi > high:
        kind = "signed" if image.pixel_representation else "unsigned"
        raise EncodingProfileError(
            f"The values of {what} are in the range ({lo}, {hi}), outside the range "
            f"({low}, {high}) of {kind} data with a (0028,0101) Bits Stored of {bits}: "
            "correct 'bits_stored' or the data"
        )


def native_frame(arr: np.ndarray, image: ImageDescription, ts: TransferSyntax, planar: int) -> bytes:
    """Lay out one frame as native pixel bytes (PS3.5 8.1.1, A.1-A.3); no padding.

    *planar* is the Planar Configuration of the output (0: colour-by-pixel, 1: by plane);
    1-bit data is packed little-bit-first (PS3.5 8.1.1).

    >>> import numpy as np, dicom_pixels as dp
    >>> image = dp.ImageDescription(1, 2, 1, 16, 12, 0, "MONOCHROME2", "1.2.840.10008.1.2.1")
    >>> native_frame(np.array([[1, 2]]), image, dp.uid.lookup(image.transfer_syntax_uid), 0)
    b'\\x01\\x00\\x02\\x00'
    """
    if image.bits_allocated == 1 and not image.is_float:
        return np.packbits(np.asarray(arr, dtype=bool).ravel(), bitorder="little").tobytes()
    data = np.asarray(arr, dtype=image.dtype)
    if image.samples_per_pixel > 1 and planar == 1:
        data = np.moveaxis(data, -1, 0)
    wanted = data.dtype.newbyteorder("<" if ts.little_endian else ">")
    return np.ascontiguousarray(data, dtype=wanted).tobytes()


# -- the encoder --------------------------------------------------------------------------------------


class Encoder(TransferSyntaxEndpoint):
    """Encodes pixel data to one transfer syntax, through whichever plugin can.

    Use :func:`get_encoder` rather than creating instances.
    """

    operation = "encode"

    @property
    def is_native(self) -> bool:
        """``True`` for uncompressed, unencapsulated transfer syntaxes (no plugin needed)."""
        return self.transfer_syntax.family == "native"

    @property
    def is_available(self) -> bool:
        """``True`` when the transfer syntax is native or a plugin can encode it."""
        return self.is_native or bool(self.available_plugins)

    def encode(
        self,
        src: Any,
        *,
        index: int | None = None,
        encoding_plugin: str = "",
        validate: bool = True,
        **options: Any,
    ) -> bytes:
        """Return one encoded frame of *src*.

        :param src: an ndarray (``(rows, cols[, samples])`` or with a leading frame
            axis), little-endian pixel ``bytes`` plus their description keywords, a
            pydicom ``Dataset``, a path, or a :class:`~dicom_pixels.source.PixelSource`.
        :param index: the frame to encode; required when *src* holds several frames.
        :param encoding_plugin: use only this plugin.
        :param validate: accepted for pydicom compatibility; profiles and values are
            always checked.
        :param options: description keywords (``photometric_interpretation``,
            ``bits_stored``, ...), encoding options (``j2k_cr``, ``jls_error``, ...) and
            ``workers`` (threads encoding frames in :meth:`iter_encode`).
        :raises EncodingProfileError: the image or an option does not fit the transfer syntax.
        :raises EncodeError: every plugin failed; the message lists each one's reason.

        >>> import numpy as np, dicom_pixels as dp
        >>> len(dp.get_encoder("ExplicitVRLittleEndian").encode(np.zeros((2, 3), "u2")))
        12
        """
        with EncodeRun(self, src, encoding_plugin, options) as run:
            if index is None:
                if run.feed.count > 1:
                    raise InvalidPixelDescriptionError(
                        f"The source holds {run.feed.count} frames: pass 'index' to choose one, "
                        "or use iter_encode()"
                    )
                index = 0
            return next(run.encode_frames([index]))[0]

    def iter_encode(
        self,
        src: Any,
        *,
        encoding_plugin: str = "",
        validate: bool = True,
        **options: Any,
    ) -> Iterator[bytes]:
        """Yield each frame of *src* encoded, in order; arguments as for :meth:`encode`.

        Frames are encoded on ``workers`` threads (default: one per core when the codec
        releases the GIL, else 1), each yielded once it and the frames before it are
        done, with at most ``2 * workers`` frames decoded and not yet yielded.

        >>> import numpy as np, dicom_pixels as dp
        >>> frames = np.zeros((3, 2, 2), "u1")
        >>> [len(f) for f in dp.get_encoder("ExplicitVRLittleEndian").iter_encode(frames)]
        [4, 4, 4]
        """
        with EncodeRun(self, src, encoding_plugin, options) as run:
            frames = run.encode_frames(range(run.feed.count))
            try:
                for data, _ in frames:
                    yield data
            finally:
                frames.close()  # a caller stopping early: the threads stop before the feed closes


@functools.cache
def _encoder(uid: str) -> Encoder:
    return Encoder(uid)


def get_encoder(uid: str) -> Encoder:
    """Return the :class:`Encoder` for a transfer syntax UID or keyword.

    :raises UnsupportedTransferSyntaxError: the transfer syntax is unknown.

    >>> get_encoder("1.2.840.10008.1.2.5")
    <Encoder for 'RLE Lossless'>
    """
    return _encoder(lookup(uid).uid)


class EncodeRun:
    """One encode call: the feed, the checked image, the chosen codecs.

    The seam :meth:`Encoder.encode`, :func:`~dicom_pixels.compress` and
    :func:`~dicom_pixels.transcode` share: open it as a context manager (it closes
    the feed) and take encoded frames from :meth:`encode_frames`.

    >>> import dicom_pixels as dp
    >>> with EncodeRun(dp.get_encoder("RLELossless"), dp.examples.ct, "native", {}) as run:
    ...     data, info = next(run.encode_frames([0]))
    >>> run.image.rows, data[:4]
    (128, b'\\x02\\x00\\x00\\x00')
    """

    def __init__(self, encoder: Encoder, src: Any, plugin: str, options: dict[str, Any]) -> None:
        self.ts = ts = encoder.transfer_syntax
        self.options = dict(options)
        self.workers = _check_workers(self.options.pop("workers", None))
        self._pools: list[Generator[tuple[bytes, dict[str, Any]], None, None]] = []
        self.plugin = plugin
        self.feed = _open_feed(src, self.options)
        try:
            image = self.feed.image.replace(transfer_syntax_uid=ts.uid, pixel_vr=None)
            # PS3.5 8.2: check the profile and the options before any encoding.
            check_profile(image, ts)
            check_options(ts, self.options, image)
            out_planar = int(self.options.get("planar_configuration") or 0)
            if ts.family == "native":
                self.out_planar = out_planar
            else:
                self.out_planar = 0
            self.image = image.replace(planar_configuration=self.out_planar)
            self.codecs: list[Codec] = []
            self.skipped: dict[str, str] = {}
            if ts.family != "native":
                self.codecs, self.skipped = manager.select(ts, "encode", codec_image(self.image), plugin)
            self._preferred: Codec | None = None
        except BaseException:
            self.feed.close()
            raise

    @property
    def count(self) -> int:
        """The number of frames the run encodes."""
        return self.feed.count

    def __enter__(self) -> EncodeRun:
        return self

    def __exit__(self, *exc: object) -> None:
        for pool in list(self._pools):
            pool.close()  # its threads stop before the feed they read is closed
        self.feed.close()

    def encode_frames(self, indices: Iterable[int]) -> Generator[tuple[bytes, dict[str, Any]], None, None]:
        """Yield ``(encoded bytes, info reported by the codec)`` per frame, in order; for a
        video, once: the stream of all the frames (PS3.5 A.4.5).

        The frames after the first may be encoded on threads (:meth:`_in_parallel`).
        """
        indices = list(indices)
        if self.ts.is_video:
            yield self.encode_video(indices)
            return
        frames = zip(indices, self.feed.frames(indices))
        for index, arr in itertools.islice(frames, 1):
            # The first frame is encoded alone: it picks the codec (and so whether threads help).
            yield self._encode_fed(arr, index)
        workers = self._workers(len(indices) - 1)
        if workers > 1:
            yield from self._in_parallel(frames, workers)
        else:
            for index, arr in frames:
                yield self._encode_fed(arr, index)

    def _encode_fed(self, arr: np.ndarray, index: int) -> tuple[bytes, dict[str, Any]]:
        """Encode a frame from the feed, then hand its array back to the feed's pool (if it
        has one) to decode a later frame into: a run holds about one array per worker."""
        try:
            return self.encode_array(arr, index)
        finally:
            if self.feed.pool is not None:
                self.feed.pool.give(arr)

    def _workers(self, frames: int) -> int:
        """Threads for the remaining *frames*: as asked (``workers=``), else one per core when
        the codec that encoded the first frame releases the GIL (threads would only contend)."""
        if self.workers is not None:
            return max(1, min(self.workers, frames))
        codec = self._preferred
        if frames > 1 and codec is not None and codec.releases_gil:
            return max(1, min(os.cpu_count() or 1, frames))
        return 1

    def _in_parallel(
        self, frames: Iterator[tuple[int, np.ndarray]], workers: int
    ) -> Generator[tuple[bytes, dict[str, Any]], None, None]:
        """Encode *frames* on *workers* threads, yielding in order with a few frames in flight.

        The feed is read by one thread at a time (:func:`~dicom_pixels.decoder.map_in_order`);
        the run closes the pool before the feed, should its caller stop early.
        """
        from .decoder import map_in_order

        pool = map_in_order(lambda pair: self._encode_fed(pair[1], pair[0]), frames, workers)
        self._pools.append(pool)
        try:
            yield from pool
        finally:
            pool.close()
            self._pools.remove(pool)

    def _checked(self, arr: np.ndarray, index: int) -> np.ndarray:
        """The frame array, checked against the description and in its dtype."""
        image = self.image
        if arr.shape != image.frame_shape:
            raise InvalidPixelDescriptionError(
                f"Frame {index} has shape {arr.shape}, expected {image.frame_shape}"
            )
        _check_values_fit(arr, image, f"frame {index}")
        if not image.is_float and arr.dtype != image.dtype:
            arr = arr.astype(image.dtype)
        return arr

    def encode_video(self, indices: list[int]) -> tuple[bytes, dict[str, Any]]:
        """Encode the frames *indices* as one video stream.

        The codec is called once as ``encode(frames, frame)``: *frames* is an iterator
        of the checked frame arrays (one in memory at a time) and ``frame.index`` is 0;
        it returns the stream's bytes.
        """
        checked = (self._checked(arr, i) for i, arr in zip(indices, self.feed.frames(indices)))
        return self._try_codecs(0, lambda: checked, "the frames")

    def encode_array(self, arr: np.ndarray, index: int) -> tuple[bytes, dict[str, Any]]:
        """Encode one frame array (already in the feed's description)."""
        arr = self._checked(arr, index)
        if self.ts.family == "native":
            return native_frame(arr, self.image, self.ts, self.out_planar), {}
        return self._try_codecs(index, lambda: arr, f"frame {index}")

    def _try_codecs(self, index: int, data: Callable[[], Any], what: str) -> tuple[bytes, dict[str, Any]]:
        """Call each codec with ``data()`` (:func:`~dicom_pixels.registry.try_codecs`) until one
        succeeds; an EncodeError naming every failure when none does."""
        image = codec_image(self.image)

        def attempt(codec: Codec) -> tuple[Any, EncodeFrame]:
            frame = EncodeFrame(image=image, index=index, options=self.options)
            if codec.releases_gil:
                return codec.load()(data(), frame), frame
            # Holding the GIL, it gains nothing from threads, and some such libraries keep
            # global state (pylibjpeg-openjpeg crashes when two threads encode).
            with _GIL_HOLDING_CODECS:
                return codec.load()(data(), frame), frame

        codec, outcome, failures = try_codecs(self.codecs, self._preferred, attempt, (EncodingProfileError,))
        if codec is not None:
            result, frame = outcome
            if isinstance(result, np.ndarray):
                result = result.tobytes()
            self._preferred = codec
            return bytes(result), frame.info
        skipped = "".join(f"\n    {name} - {reason}" for name, reason in self.skipped.items())
        raise EncodeError(
            f"Unable to encode {what} as '{self.ts.name}':\n    "
            + "\n    ".join(failures)
            + skipped
            + "\nTry another plugin with encoding_plugin=."
        )


class ConvertRun:
    """Frames rewritten by a plugin's codestream :class:`~dicom_pixels.registry.Converter`
    (e.g. JPEG to JPEG XL JPEG Recompression, PS3.5 8.2.16), never decoded: the image, and so
    every Image Pixel attribute, is the source's. :func:`~dicom_pixels.transcode` and
    :func:`~dicom_pixels.compress` use it as they use :class:`EncodeRun`.

    >>> import dicom_pixels as dp, dicom_pixels_imagecodecs  # whose plugin declares the converter
    >>> from pydicom.data import get_testdata_file
    >>> converter = dp.registry.manager.converter("JPEGBaseline8Bit", "JPEGXLJPEGRecompression")
    >>> source = get_testdata_file("SC_rgb_jpeg.dcm")
    >>> with ConvertRun(converter, source, lookup("JPEGBaseline8Bit"), lookup(converter.target_uid), {}) as run:
    ...     data, _ = next(run.encode_frames([0]))
    >>> data[4:8]  # a JPEG XL container (ISO/IEC 18181-2), which holds the JPEG's reconstruction data
    b'JXL '
    """

    def __init__(
        self, converter: Converter, src: Any, source_ts: TransferSyntax, ts: TransferSyntax,
        options: dict[str, Any],
    ) -> None:
        unused = sorted(set(options) - {"decoding_plugin", "workers"})
        if unused:
            raise EncodingProfileError(
                f"Converting from '{source_ts.name}' to '{ts.name}' repacks the bitstream without "
                f"encoding pixels, so the encoding option(s) {', '.join(unused)} do not apply; leave them out"
            )
        self.convert = converter.load()
        self.what = f"from '{source_ts.name}' to '{ts.name}' by the {converter.plugin!r} plugin"
        self.source = open_source(src)
        self.image = self.source.image
        self.count = self.source.frame_count
        self.name = self.source.name

    def __enter__(self) -> ConvertRun:
        return self

    def __exit__(self, *exc: object) -> None:
        self.source.close()

    def encode_frames(self, indices: Iterable[int]) -> Generator[tuple[bytes, dict[str, Any]], None, None]:
        """Yield ``(converted bytes, {})`` per frame, in order."""
        for index in indices:
            data, _ = self.source.read_frame(index)
            try:
                converted = self.convert(bytes(data))
            except Exception as exc:  # a plugin's own exception types too: the caller gets an EncodeError
                raise EncodeError(f"Frame {index} of {self.name} cannot be converted {self.what}: {exc}") from exc
            yield bytes(converted), {}


def _check_workers(value: Any) -> int | None:
    """The ``workers=`` option: ``None`` (decide from the codec) or a positive integer."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise InvalidArgumentError(
            f"'workers' must be a positive integer (the threads encoding frames), or None to use "
            f"one per core when the codec releases the GIL, not {value!r}"
        )
    return int(value)


def _open_feed(src: Any, options: dict[str, Any]) -> _Feed:
    if isinstance(src, np.ndarray):
        image = _describe_array(src, options)
        return _ArrayFeed(src, image)
    if isinstance(src, (bytes, bytearray, memoryview)):
        return _bytes_feed(src, options)
    if is_dataset(src) or isinstance(src, PixelSource) or hasattr(src, "__fspath__") or isinstance(src, str):
        return _DecodedFeed(src, options)
    raise InvalidPixelDescriptionError(
        f"Unable to encode a {type(src).__name__}: pass an ndarray, little-endian pixel bytes "
        "with their description, a pydicom Dataset, a path or a PixelSource"
    )


def _bytes_feed(src: bytes | bytearray | memoryview, options: Mapping[str, Any]) -> _Feed:
    """Little-endian native pixel bytes plus description keywords (as pydicom accepts)."""
    from .decoder import get_decoder

    values = {k: v for k, v in options.items() if k in IMAGE_PIXEL_OPTIONS}
    values["transfer_syntax_uid"] = "1.2.840.10008.1.2.1"
    image = ImageDescription.from_mapping(values).validate(where="the bytes given")
    frames = image.number_of_frames
    if image.frame_bits % 8:
        raise InvalidPixelDescriptionError(
            "Unable to split the bytes given into frames: a frame does not end on a byte "
            "boundary; pass an array instead"
        )
    length = image.frame_length
    buffer = memoryview(src).cast("B")
    if len(buffer) < length * frames:
        raise InvalidPixelDescriptionError(
            f"The bytes given hold {len(buffer)} bytes, fewer than the {length * frames} that "
            f"{frames} frame(s) of {image.frame_shape} need"
        )
    parts = [bytes(buffer[i * length : (i + 1) * length]) for i in range(frames)]
    decoded = [arr for arr, _ in get_decoder(image.transfer_syntax_uid).iter_array(parts, raw=True, **values)]
    arr = decoded[0] if frames == 1 else np.stack(decoded)
    image = image.replace(planar_configuration=0)
    return _ArrayFeed(arr, image)
