"""The decoding pipeline: from a :class:`~dicom_pixels.source.PixelSource` to arrays.

:func:`get_decoder` returns the :class:`Decoder` of a transfer syntax. A decode
runs in four steps, all per frame so that memory stays near the output size:

1. preallocate the output array (shape and dtype from the description);
2. for each frame, read its encoded bytes and call the first plugin's codec
   with the frame's slice of the output (the next plugin is tried if one
   declines or fails; the one that worked is tried first for later frames);
3. correct the frame in place: J2K/JPEG-LS sign correction or unused-bit
   masking (PS3.5 8.1.1);
4. unless ``raw=True``, convert the frame's colour space in place (``as_rgb``,
   ``force_rgb``, ``force_ybr``).

Frames are decoded by a pool of threads when the codec releases the GIL
(``workers=`` option; default: one per core for such codecs, else 1).

>>> import dicom_pixels as dp
>>> arr, meta = dp.get_decoder("ExplicitVRLittleEndian").as_array(dp.examples.get_path("ct"))
>>> arr.shape, meta["bits_stored"]
((128, 128), 16)
"""

from __future__ import annotations

import functools
import itertools
import os
import sys
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from typing import Any, TypeVar, cast

import numpy as np

from . import codestream
from .codec import DecodeFrame, codec_image
from .description import ImageDescription
from .errors import (
    ArgumentTypeError,
    DecodeError,
    DicomPixelsError,
    FrameIndexError,
    InvalidArgumentError,
    InvalidDicomError,
    InvalidPixelDescriptionError,
    OutputTooLargeError,
)
from .processing import convert_frame_color_space
from .registry import Codec, TransferSyntaxEndpoint, manager, try_codecs
from .source import (
    IMAGE_PIXEL_OPTIONS,
    EncodedLengths,
    NativeFrameAccess,
    frame_index_error,
    open_source,
)
from .uid import lookup

__all__ = [
    "DECODING_OPTIONS", "DEFAULT_OPTIONS", "MAX_FRAME_PIXELS", "MAX_OUTPUT_BYTES", "Decoder", "FramePool",
    "get_decoder", "output_dtype",
]

#: Options every decode starts from (as in pydicom 3); user options override them.
DEFAULT_OPTIONS: dict[str, Any] = {"as_rgb": True, "allow_excess_frames": None, "view_only": False}

#: Every keyword option a decode accepts besides its named arguments: pydicom 3's decoding
#: options (``rle_segment_order`` is read by the RLE codecs), ``workers``,
#: ``max_output_bytes``, ``max_frame_pixels``, ``storage_options`` (for URLs, passed to fsspec) and the Image
#: Pixel overrides. Any other name is refused: pydicom
#: ignores unknown options, so a misspelled ``as_RGB=True`` would silently do nothing.
DECODING_OPTIONS: frozenset[str] = frozenset(
    {
        *DEFAULT_OPTIONS,
        "force_rgb",
        "force_ybr",
        "correct_unused_bits",
        "apply_j2k_sign_correction",
        "apply_jls_sign_correction",
        "workers",
        "max_output_bytes",
        "rle_segment_order",
        "storage_options",
        "max_frame_pixels",
    }
    | IMAGE_PIXEL_OPTIONS
)


def check_decoding_options(options: Iterable[str], plugin_options: Iterable[str] = ()) -> None:
    """Refuse a keyword argument that is no decoding option, naming the close ones.

    :param plugin_options: options the installed codecs declare besides the core's
        (``add_decoder(..., options=...)``).

    :raises ArgumentTypeError: a ``TypeError``, as Python raises for an unexpected
        keyword argument.

    >>> check_decoding_options(["as_rgb", "workers"])
    >>> check_decoding_options(["as_RGB"])
    Traceback (most recent call last):
    ...
    dicom_pixels.errors.ArgumentTypeError: Unknown decoding option 'as_RGB' (did you mean 'as_rgb'?); ...
    """
    known = DECODING_OPTIONS | set(plugin_options)
    unknown = sorted(set(options) - known)
    if not unknown:
        return
    import difflib

    hints = []
    for name in unknown:
        close = difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.6)
        hints.append(f"'{name}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
    raise ArgumentTypeError(
        f"Unknown decoding option{'s' if len(unknown) > 1 else ''} {', '.join(hints)}; the known "
        f"options are: {', '.join(sorted(known))}"
    )


def check_frame_index(value: Any, argument: str = "index") -> int:
    """Return *value* as a frame index, or raise naming *argument* (``index``, ``indices``).

    >>> check_frame_index(3)
    3
    >>> check_frame_index("3")
    Traceback (most recent call last):
    ...
    dicom_pixels.errors.ArgumentTypeError: 'index' must be an int (a 0-based frame number), not str '3'
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ArgumentTypeError(
            f"'{argument}' must be an int (a 0-based frame number), not {type(value).__name__} {value!r}"
        )
    if value < 0:
        raise InvalidArgumentError(f"'{argument}' must be greater than or equal to 0, not {value}")
    return int(value)


def _checked_indices(indices: Iterable[int]) -> Iterator[int]:
    """The frame numbers of *indices* (an iterable of ints), each checked as it is reached."""
    if isinstance(indices, (str, bytes)) or not isinstance(indices, Iterable):
        raise ArgumentTypeError(
            f"'indices' must be an iterable of ints (0-based frame numbers), not {type(indices).__name__}"
        )
    for value in indices:
        yield check_frame_index(value, "indices")


def _default_max_output_bytes() -> int:
    ceiling = 16 * 1024**3
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return ceiling
    return min(ceiling, physical) if physical > 0 else ceiling


#: The largest output array a decode allocates (bytes): 16 GiB, or the physical memory
#: when smaller. Rows, Columns, Samples per Pixel, Bits Allocated and the frame count come
#: from the file, so a hostile header could otherwise ask for terabytes. A module
#: attribute so that applications may change it; ``max_output_bytes=`` overrides it per call.
MAX_OUTPUT_BYTES: int = _default_max_output_bytes()

#: The most pixels (Rows x Columns) one encapsulated frame may declare, as Pillow's
#: ``Image.MAX_IMAGE_PIXELS``: 2**28 (268 million), above the frames of whole-slide images
#: (tiles of a few thousand pixels a side) and of mammograms (about 4000 x 5000). A codec can
#: legitimately spend very few bytes on a huge flat image (JPEG 2000, JPEG-LS run mode), so a
#: few kilobytes could otherwise claim gigabytes. Native frames are not limited: their bytes
#: are in the file. Change the attribute, or pass ``max_frame_pixels=`` per call.
MAX_FRAME_PIXELS: int = 2**28

# The most an encoded frame can expand, for codecs where that is bounded: an RLE
# replicate run is 2 bytes for up to 128 (PS3.5 G.3.1), deflate at most ~1032:1
# (RFC 1951: a 258-byte match in as little as 2 bits ... plus block overhead).
_MAX_EXPANSION = {"rle": 64, "deflate_frames": 1032}
_ONE_SAMPLE = ("MONOCHROME1", "MONOCHROME2", "PALETTE COLOR")
# Volumes larger than this are checked for plausibility before they are allocated.
_PRECHECK_ABOVE = 64 * 1024**2
# Native pixel data larger than this is read on one thread per core (measured on 2 cores:
# 50 MB in 6.5 ms instead of 9 ms); below it, starting threads costs more than it saves.
_PARALLEL_READ_ABOVE = 16 * 1024**2

_J2K = ("j2k", "htj2k")
_YBR = ("YBR_FULL", "YBR_FULL_422")
#: Partial-range YCbCr (PS3.3 C.7.6.3.1.2): converted with the partial-range equations.
_YBR_PARTIAL = ("YBR_PARTIAL_420", "YBR_PARTIAL_422")


class Decoder(TransferSyntaxEndpoint):
    """Decodes the pixel data of one transfer syntax, through whichever plugin can.

    Use :func:`get_decoder` rather than creating instances.
    """

    operation = "decode"

    @property
    def is_encapsulated(self) -> bool:
        """``True`` when the pixel data is encapsulated (PS3.5 A.4)."""
        return self.transfer_syntax.encapsulated

    @property
    def is_available(self) -> bool:
        """``True`` when at least one plugin can decode this transfer syntax."""
        return bool(self.available_plugins)

    # -- arrays ---------------------------------------------------------------------------

    def as_array(
        self,
        src: Any,
        *,
        index: int | None = None,
        indices: Iterable[int] | None = None,
        out: np.ndarray | None = None,
        raw: bool = False,
        decoding_plugin: str = "",
        validate: bool = True,
        **options: Any,
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Decode all frames, the frame at *index*, or the frames in *indices*, into one array.

        :param src: a path, bytes, file-like, pydicom ``Dataset``, list of frames or
            :class:`~dicom_pixels.source.PixelSource`.
        :param index: the frame to return, or ``None`` for all frames.
        :param indices: instead of *index*: the frames to return, in this order (e.g.
            ``range(a, b)``), decoded in parallel as all frames are; the result is
            ``(len(indices), rows, cols[, samples])`` even for one frame.
        :param out: a C-contiguous, writeable array of exactly the result's shape and
            dtype (see :func:`output_dtype`), decoded into without a copy and returned.
        :param raw: skip colour conversion (sign and unused-bit corrections still apply).
        :param decoding_plugin: use only this plugin.
        :param validate: accepted for pydicom compatibility; descriptions are always validated.
        :param options: decoding options (``as_rgb``, ``force_rgb``, ``force_ybr``,
            ``correct_unused_bits``, ``allow_excess_frames``, ``apply_j2k_sign_correction``,
            ``apply_jls_sign_correction``, ``workers``, Image Pixel overrides, ...).
            ``view_only=True``: for native pixel data already in memory (a pydicom
            ``Dataset``) that needs no change, return a view of that buffer instead
            of a copy (read-only for ``bytes``); otherwise it is ignored.
        :returns: the array, shaped ``(rows, cols[, samples])`` for one frame or
            ``(frames, rows, cols[, samples])``, and the Image Pixel values that
            describe it, plus ``decoded_by``: the name of the plugin that decoded each
            frame (one per frame returned).

        >>> import dicom_pixels as dp
        >>> arr, meta = dp.get_decoder("RLELossless").as_array(dp.examples.get_path("rle_rgb"))
        >>> arr.dtype, meta["photometric_interpretation"], len(meta["decoded_by"])
        (dtype('uint8'), 'RGB', 1)
        >>> import numpy as np
        >>> block = np.empty((3, 10, 10), "u4")   # rt_dose: 8 frames of 10 x 10, 32-bit
        >>> arr, _ = dp.get_decoder("ExplicitVRLittleEndian").as_array(
        ...     dp.examples.rt_dose, indices=range(2, 5), out=block)
        >>> arr is block
        True
        """
        with _Run(self, src, decoding_plugin, options) as run:
            return run.as_array(index, raw, indices=indices, out=out)

    def iter_array(
        self,
        src: Any,
        *,
        indices: Iterable[int] | None = None,
        raw: bool = False,
        decoding_plugin: str = "",
        validate: bool = True,
        pool: FramePool | None = None,
        **options: Any,
    ) -> Iterator[tuple[np.ndarray, dict[str, Any]]]:
        """Yield ``(frame array, metadata)`` for each frame, or for the frames in *indices*.

        Only one frame is in memory at a time.

        :param pool: a :class:`FramePool` to decode into: each frame goes into an array
            given back to the pool (:meth:`FramePool.give`) when there is one, instead of
            new memory, for a consumer done with each frame before it needs another (the
            encoder's feed). New memory costs a page fault per 4 KiB on first touch, about
            0.4 ms per 512 x 512 int16 frame here, as much as reading the frame.

        >>> import dicom_pixels as dp
        >>> path = dp.examples.get_path("rt_dose")
        >>> [a.shape for a, _ in dp.get_decoder("ExplicitVRLittleEndian").iter_array(path, indices=[0, 1])]
        [(10, 10), (10, 10)]
        >>> pool = FramePool()
        >>> frames = dp.get_decoder("ExplicitVRLittleEndian").iter_array(path, pool=pool)
        >>> first, _ = next(frames)
        >>> pool.give(first)  # done with it
        >>> next(frames)[0] is first
        True
        """
        if pool is not None and not isinstance(pool, FramePool):
            raise ArgumentTypeError(f"iter_array(): 'pool' must be a FramePool or None, not {type(pool).__name__}")
        with _Run(self, src, decoding_plugin, options) as run:
            yield from run.iter_array(indices, raw, pool)

    def as_buffer(
        self,
        src: Any,
        *,
        index: int | None = None,
        decoding_plugin: str = "",
        validate: bool = True,
        **options: Any,
    ) -> tuple[bytes, dict[str, Any]]:
        """Return the pixel bytes with no processing at all, and their description.

        Native data is returned as stored (file byte order, packed bits, planar
        configuration as stored); encapsulated data as each codec returned it.

        >>> import dicom_pixels as dp
        >>> buf, meta = dp.get_decoder("ExplicitVRLittleEndian").as_buffer(dp.examples.get_path("ct"))
        >>> len(buf) == meta["rows"] * meta["columns"] * 2
        True
        """
        with _Run(self, src, decoding_plugin, options) as run:
            indices = range(run.frame_total) if index is None else [check_frame_index(index)]
            parts = []
            meta: dict[str, Any] = {}
            for i in indices:
                data, meta = run.decode_buffer(i)
                parts.append(data)
            meta["number_of_frames"] = len(parts)
            return b"".join(parts), meta

    def iter_buffer(
        self,
        src: Any,
        *,
        indices: Iterable[int] | None = None,
        decoding_plugin: str = "",
        validate: bool = True,
        **options: Any,
    ) -> Iterator[tuple[bytes, dict[str, Any]]]:
        """Yield ``(frame bytes, metadata)`` per frame, unprocessed, as :meth:`as_buffer`."""
        with _Run(self, src, decoding_plugin, options) as run:
            for i in range(run.frame_total) if indices is None else _checked_indices(indices):
                yield run.decode_buffer(i)


@functools.cache
def _decoder(uid: str) -> Decoder:
    return Decoder(uid)


def get_decoder(uid: str) -> Decoder:
    """Return the :class:`Decoder` for a transfer syntax UID or keyword.

    :raises UnsupportedTransferSyntaxError: the transfer syntax is unknown.

    >>> get_decoder("1.2.840.10008.1.2.5")
    <Decoder for 'RLE Lossless'>
    """
    return _decoder(lookup(uid).uid)


# -- one decode call -----------------------------------------------------------------------


class _Run:
    """State of one call: the source, options, chosen codecs, and what frames reported."""

    def __init__(self, decoder: Decoder, src: Any, plugin: str, options: dict[str, Any]) -> None:
        ts = decoder.transfer_syntax
        self.options: dict[str, Any] = dict(DEFAULT_OPTIONS)
        if ts.family in _J2K:
            self.options["apply_j2k_sign_correction"] = True
        elif ts.family == "jpegls":
            self.options["apply_jls_sign_correction"] = True
        else:
            self.options["correct_unused_bits"] = True
        check_decoding_options(
            options, (name for codec in manager.codecs(ts, "decode") for name in codec.options)
        )
        workers = options.get("workers")
        if workers is not None and (isinstance(workers, bool) or not isinstance(workers, (int, np.integer))):
            raise ArgumentTypeError(f"'workers' must be an int or None, not {type(workers).__name__} {workers!r}")
        if workers is not None and workers < 1:
            raise InvalidArgumentError(f"'workers' must be 1 or more (or None for automatic), not {workers}")
        self.options.update(options)
        if self.options.get("force_rgb") and self.options.get("force_ybr"):
            raise InvalidPixelDescriptionError("'force_ybr' and 'force_rgb' cannot both be True")
        # A file is read for what decoding needs only (group 0028, offset tables).
        self.source = open_source(src, specific_tags=(), **self.options)
        self._owns_source = self.source is not src  # a PixelSource given is the caller's to close
        self.image: ImageDescription = self.source.image
        if self.image.transfer_syntax.uid != ts.uid:
            self.close()
            raise InvalidDicomError(
                f"The transfer syntax of {self.source.name} is "
                f"'{self.image.transfer_syntax.name}', which doesn't match the "
                f"'{ts.name}' decoder: use get_decoder('{self.image.transfer_syntax.uid}')"
            )
        self.ts = ts
        self.plugin = plugin
        try:
            self.codecs, self.skipped = manager.select(ts, "decode", codec_image(self.image), plugin)
        except BaseException:
            self.close()
            raise
        self._preferred: Codec | None = None
        self.out_dtype = output_dtype(self.image)
        self._direct = self._can_read_directly()
        self._raw = False
        self._lock = threading.Lock()
        self.frame_info: dict[str, Any] | None = None
        # A large frame read and checked by allocate(): (index, bytes, bit offset).
        self._prefetched: tuple[int, bytes, int] | None = None

    def _can_read_directly(self) -> bool:
        """Whether native frames are stored exactly as the output holds them (then they are
        read straight into the output, skipping a copy): byte-aligned whole samples in the
        output's byte order, one plane, no subsampling, the first codec declared as reading frames
        as stored (``reads_stored_frames``) and a source with :class:`NativeFrameAccess`."""
        image, ts = self.image, self.ts
        return (
            not ts.encapsulated
            and _byte_order(self.out_dtype) in ("|", "<" if ts.little_endian else ">")
            and image.bits_allocated in (8, 16, 32, 64)
            and (image.samples_per_pixel == 1 or image.planar_configuration == 0)
            and image.photometric_interpretation != "YBR_FULL_422"
            and bool(self.codecs)
            and self.codecs[0].reads_stored_frames
            and isinstance(self.source, NativeFrameAccess)
        )

    def __enter__(self) -> _Run:
        return self

    def __exit__(self, exc_type: object, exc: BaseException | None, traceback: object) -> None:
        self.close()
        if exc is not None and not isinstance(exc, DicomPixelsError):
            typed = _typed_resource_error(exc, f"the pixel data in {self.source.name}")
            if typed is not None:
                raise typed from exc

    def close(self) -> None:
        if self._owns_source:
            self.source.close()

    @property
    def frame_total(self) -> int:
        if self.ts.is_video:
            # The source holds one stream (PS3.5 A.4.5); Number of Frames counts its pictures.
            return self.image.number_of_frames
        count = self.source.frame_count
        if self.options.get("allow_excess_frames") is False:
            count = min(count, self.image.number_of_frames)
        return count

    # -- codec calls -----------------------------------------------------------------------

    def _call_codecs(self, index: int, out: np.ndarray | None) -> tuple[Any, dict[str, Any]]:
        prefetched, self._prefetched = self._prefetched, None
        if prefetched is not None and prefetched[0] == index:
            _, data, bit_offset = prefetched
        else:
            data, bit_offset = self.source.read_frame(index)
        if self.ts.encapsulated:
            self._check_encoded_frame(index, len(data), data)
        info = codestream.inspect_frame(self.ts, data, self.image)
        rgb_wanted = out is not None and self._color_plan(info, self._raw)[0] is True
        return self._try_codecs(index, data, bit_offset, out, info, rgb_wanted)

    def _try_codecs(
        self,
        index: int,
        data: bytes,
        bit_offset: int,
        out: np.ndarray | None,
        info: dict[str, Any],
        rgb_wanted: bool,
    ) -> tuple[Any, dict[str, Any]]:
        """Give *data* to each codec in turn (:func:`~dicom_pixels.registry.try_codecs`) until
        one succeeds; a DecodeError naming every failure when none does."""

        def attempt(codec: Codec) -> tuple[Any, DecodeFrame]:
            frame = DecodeFrame(
                image=codec_image(self.image),
                index=index,
                options=self.options,
                out=out,
                info=dict(info),
                bit_offset=bit_offset,
                rgb_wanted=rgb_wanted,
            )
            return codec.load()(data, frame), frame

        codec, outcome, failures = try_codecs(self.codecs, self._preferred, attempt)
        if codec is not None:
            self._preferred = codec
            result, frame = outcome
            frame.info["decoded_by"] = codec.plugin  # reported in the metadata, per frame
            return result, frame.info
        skipped = "".join(f"\n    {name} - {reason}" for name, reason in self.skipped.items())
        raise DecodeError(
            f"Unable to decode frame {index} of the '{self.ts.name}' pixel data in "
            f"{self.source.name}:\n    "
            + "\n    ".join(failures)
            + skipped
            + "\nThe data may be corrupt; try another plugin with decoding_plugin=, or "
            "check the Image Pixel module values."
        )

    def _check_encoded_frame(self, index: int, length: int, data: bytes | None) -> None:
        """Refuse an encoded frame that cannot hold the image the description declares.

        With *data*: its codestream header must match the description. Checked before
        any plugin sees the frame: backends trust their input's header and some abort
        the whole process on a mismatch (see
        :func:`~dicom_pixels.codestream.header_mismatch`). Without: *length* encoded
        bytes must be able to expand to one frame (RLE, deflate).
        """
        image = self.image
        ratio = _MAX_EXPANSION.get(self.ts.family)
        if data is None and ratio is not None and length * ratio + 1024 < image.frame_length:
            self._refuse(
                index,
                f"its {length} encoded bytes are too few for the {image.frame_length} bytes of a "
                f"{image.frame_shape} frame ({self.ts.family} expands at most {ratio}:1)",
            )
        if data is None:
            return
        # GDCM aborts the process when the colour model and the samples disagree.
        pi = image.photometric_interpretation
        if (image.samples_per_pixel == 1) != (pi in _ONE_SAMPLE):
            self._refuse(
                index,
                f"(0028,0004) Photometric Interpretation '{pi}' contradicts (0028,0002) "
                f"Samples per Pixel {image.samples_per_pixel}",
            )
        problem = codestream.header_mismatch(self.ts, data, image)
        if problem is not None:
            self._refuse(
                index,
                f"{problem}, but (0028,0010) Rows, (0028,0011) Columns, (0028,0002) Samples per "
                f"Pixel and (0028,0100) Bits Allocated are {image.rows}, {image.columns}, "
                f"{image.samples_per_pixel} and {image.bits_allocated}",
            )
        # A forged size (a few hundred bytes claiming 65535 x 65535) or a truncated stream:
        # backends fill the missing part with filler instead of failing.
        problem = codestream.implausible_size(self.ts, data, image)
        if problem is not None:
            self._refuse(index, f"{problem}; a {image.rows} x {image.columns} frame was declared")

    def _refuse(self, index: int, reason: str) -> None:
        """Raise the DecodeError of a frame that no plugin was given, in the usual format."""
        names = list(dict.fromkeys(c.plugin for c in self.codecs)) or ["(no plugin)"]
        raise DecodeError(
            f"Unable to decode frame {index} of the '{self.ts.name}' pixel data in "
            f"{self.source.name}: {reason}. It was refused before any plugin saw it:\n    "
            + "\n    ".join(f"{name}: not called" for name in names)
            + "\nThe data is corrupt, or the Image Pixel module is wrong: if the codestream is "
            "right, pass its values as overrides (rows=, columns=, samples_per_pixel=, "
            "bits_allocated=, photometric_interpretation=)"
        )

    def allocate(self, shape: tuple[int, ...], frame: int | None = None) -> np.ndarray:
        """An uninitialised output array, refused when larger than the output ceiling.

        Frames of encapsulated data larger than :data:`MAX_FRAME_PIXELS` are refused.
        With *frame* (the array of that one frame): a large encapsulated frame is read
        and checked first (:meth:`_check_encoded_frame`), so that a forged header
        cannot make a few bytes allocate gigabytes; its bytes are then kept for the
        decode.
        """
        dtype = self.out_dtype
        nbytes = dtype.itemsize
        for n in shape:
            nbytes *= n
        self._check_frame_pixels()
        limit = self.options.get("max_output_bytes")
        limit = MAX_OUTPUT_BYTES if limit is None else int(limit)
        if nbytes > limit:
            raise OutputTooLargeError(
                f"Decoding the pixel data in {self.source.name} needs a {shape} {dtype} array of "
                f"{nbytes} bytes, more than the {limit}-byte ceiling "
                "(dicom_pixels.decoder.MAX_OUTPUT_BYTES): check (0028,0010) Rows, (0028,0011) "
                "Columns, (0028,0002) Samples per Pixel, (0028,0100) Bits Allocated and the "
                "number of frames; if they are right, decode fewer frames (index= or "
                "iter_pixels) or pass max_output_bytes= to raise the ceiling"
            )
        if frame is not None and self.ts.encapsulated and nbytes >= _PRECHECK_ABOVE and frame >= 0:
            data, bit_offset = self.source.read_frame(frame)
            self._check_encoded_frame(frame, len(data), data)
            self._prefetched = (frame, data, bit_offset)
        try:
            return np.empty(shape, dtype)
        except MemoryError:
            raise OutputTooLargeError(
                f"Unable to allocate a {shape} {dtype} array of {nbytes} bytes to decode the "
                f"pixel data in {self.source.name}: not enough memory; decode fewer frames "
                "(index= or iter_pixels)"
            ) from None

    def _check_frame_pixels(self) -> None:
        """Refuse an encapsulated frame of more than :data:`MAX_FRAME_PIXELS` pixels."""
        image = self.image
        limit = self.options.get("max_frame_pixels")
        limit = MAX_FRAME_PIXELS if limit is None else int(limit)
        pixels = image.rows * image.columns
        if self.ts.encapsulated and pixels > limit:
            raise OutputTooLargeError(
                f"The pixel data in {self.source.name} declares frames of {image.rows} x "
                f"{image.columns} = {pixels} pixels ((0028,0010) Rows x (0028,0011) Columns), "
                f"more than the {limit}-pixel ceiling for encapsulated frames "
                "(dicom_pixels.decoder.MAX_FRAME_PIXELS), which guards against forged sizes: "
                "if the file is trusted, pass max_frame_pixels= or raise the attribute"
            )

    def precheck(self, total: int) -> None:
        """Before allocating a large volume, refuse frames that cannot fill it.

        A header may declare 65535 x 65535 frames over a few tiny fragments. Native
        lengths were checked against the description by the source; for encapsulated
        data the first frame's codestream header must match, and RLE or deflate frames
        must be long enough to expand to a frame. Small volumes are left to the plugins,
        whose own errors are more precise.
        """
        image = self.image
        self._check_frame_pixels()
        if not self.ts.encapsulated or total * image.frame_length < _PRECHECK_ABOVE:
            return
        data, _ = self.source.read_frame(0)
        self._check_encoded_frame(0, len(data), data)
        source = self.source
        if not isinstance(source, EncodedLengths):
            return
        # Every frame shares the first one's image size, so its codestream's lower bound.
        bound = codestream.minimum_length(self.ts, data, image, with_header=False)
        if bound is not None:
            least, why = bound
            for i in range(1, total):
                length = source.encoded_length(i)
                if length < least:
                    self._refuse(i, f"its {length} bytes are fewer than the {least} that a "
                                 f"{image.rows} x {image.columns} frame needs ({why})")
        if self.ts.family in _MAX_EXPANSION:
            for i in range(total):
                self._check_encoded_frame(i, source.encoded_length(i), None)

    def decode_into(self, index: int, out: np.ndarray) -> dict[str, Any]:
        """Decode frame *index* into *out* (the frame's slice) and correct it in place."""
        try:
            return self._decode_into(index, out)
        except (MemoryError, RecursionError) as exc:
            if isinstance(exc, DicomPixelsError):
                raise
            typed = _typed_resource_error(exc, f"frame {index} of the pixel data in {self.source.name}")
            if typed is None:
                raise
            raise typed from exc

    def _decode_into(self, index: int, out: np.ndarray) -> dict[str, Any]:
        if (
            self._direct  # which includes isinstance(self.source, NativeFrameAccess), slow per frame
            and out.flags.c_contiguous
            and cast(NativeFrameAccess, self.source).readinto_native_frame(index, out)
        ):
            info: dict[str, Any] = {"decoded_by": self.codecs[0].plugin}
        else:
            result, info = self._call_codecs(index, out)
            if result is not None:
                _place(result, out, self.image, info, index, self.source.name)
        self._correct(out, info)
        return info

    def decode_buffer(self, index: int) -> tuple[bytes, dict[str, Any]]:
        image = self.image
        meta = image.properties(as_frame=True)
        if not self.ts.encapsulated:
            data, _ = self.source.read_frame(index)
            return data, meta
        if self.ts.is_video:
            video_frame, info = next(self.iter_video([index], raw=True))
            meta.update(info)
            return video_frame.tobytes(), meta
        out = self.allocate(image.frame_shape, frame=index)
        result, info = self._call_codecs(index, out)
        if result is None:
            data = out.tobytes()
            if image.samples_per_pixel > 1:
                meta["planar_configuration"] = 0
        elif isinstance(result, np.ndarray):
            data = np.ascontiguousarray(result).tobytes()
        else:
            data = bytes(result)
        for key in ("photometric_interpretation", "planar_configuration", "bits_allocated"):
            if key in info:
                meta[key] = info[key]
        if "decoded_by" in info:
            meta["decoded_by"] = (info["decoded_by"],)
        return data, meta

    # -- corrections and colour -----------------------------------------------------------

    def _correct(self, arr: np.ndarray, info: dict[str, Any]) -> None:
        """Sign correction (J2K, JPEG-LS) or unused-bit correction, in place (PS3.5 8.1.1)."""
        image, opts = self.image, self.options
        if arr.dtype.kind not in "iu":
            return
        bits = 8 * arr.dtype.itemsize
        if self.ts.family in _J2K:
            if image.photometric_interpretation in ("MONOCHROME1", "MONOCHROME2") and opts.get(
                "apply_j2k_sign_correction", False
            ):
                signed = info.get("j2k_is_signed", image.pixel_representation)
                shift = bits - info.get("j2k_precision", image.bits_stored)
                if shift > 0 and bool(signed) != bool(image.pixel_representation):
                    _shift_in_place(arr, shift)
                return
        elif self.ts.family == "jpegls":
            if image.pixel_representation == 1 and opts.get("apply_jls_sign_correction", False):
                shift = bits - info.get("jls_precision", image.bits_stored)
                if shift > 0:
                    _shift_in_place(arr, shift)
                return
        if (
            opts.get("correct_unused_bits", False)
            and image.pixel_keyword == "PixelData"
            and image.bits_allocated > image.bits_stored
        ):
            _shift_in_place(arr, image.bits_allocated - image.bits_stored)

    def _color_plan(self, info: dict[str, Any], raw: bool) -> tuple[bool | None, str]:
        """Return (to_rgb?, resulting photometric interpretation); None = no conversion."""
        pi = info.get("photometric_interpretation", self.image.photometric_interpretation)
        if raw or self.image.samples_per_pixel != 3:
            return None, pi
        if self.options.get("force_ybr"):
            return False, "YBR_FULL"
        if ((pi in _YBR or pi in _YBR_PARTIAL) and self.options.get("as_rgb", True)) or self.options.get("force_rgb"):
            return True, "RGB"
        return None, pi

    def _convert(self, frame: np.ndarray, plan: bool, info: dict[str, Any]) -> None:
        """Apply a colour plan to one decoded frame in place: YBR_PARTIAL_420/422 data
        (as pydicom 3.1 does) with the partial-range equations, anything else (and
        ``force_rgb``, which treats the data as YBR_FULL) with the full-range ones."""
        pi = info.get("photometric_interpretation", self.image.photometric_interpretation)
        partial = plan and pi in _YBR_PARTIAL and not self.options.get("force_rgb")
        convert_frame_color_space(frame, to_rgb=plan, partial=bool(partial))

    # -- whole calls ---------------------------------------------------------------------------

    def _workers(self, frames: int) -> int:
        """Threads for the remaining frames: as asked, else one per core when the codec
        that decoded the first frame releases the GIL (threads would only contend otherwise)."""
        requested = self.options.get("workers")
        if requested is not None:
            return max(1, min(int(requested), frames))
        codec = self._preferred
        if frames > 1 and codec is not None and codec.releases_gil:
            return max(1, min(os.cpu_count() or 1, frames))
        return 1

    def _read_native_blocks(self, out: np.ndarray, total: int, first: int = 0) -> bool:
        """Native frames *first* to *first* + *total* stored as the output holds them and
        needing no colour conversion: read them into *out* in a few large blocks rather
        than frame by frame; from a large pixel element, one block per core on threads
        (reads release the GIL: page-cache copies and page faults then run in parallel).
        ``False``, having read nothing, when the source cannot (then frames are read one
        by one)."""
        source = self.source
        if not isinstance(source, NativeFrameAccess) or not out.flags.c_contiguous or self._color_plan({}, self._raw)[0] is not None:
            return False
        if self.options.get("workers") is not None:
            blocks = self._workers(total)  # as asked
        elif out.nbytes >= _PARALLEL_READ_ABOVE:
            # At least half the threshold per block, and at most 8 threads: the copies share
            # one memory bus, more threads only cost their start-up.
            blocks = max(1, min(os.cpu_count() or 1, out.nbytes // (_PARALLEL_READ_ABOVE // 2), 8, total))
        else:
            blocks = 1
        bounds = [total * i // blocks for i in range(blocks + 1)]
        done = [False] * blocks

        def read(block: int) -> None:
            start, end = bounds[block], bounds[block + 1]
            part = out[start:end]
            done[block] = source.readinto_native_frames(first + start, end - start, part)
            if done[block]:
                self._correct(part, {})

        if blocks == 1:
            read(0)
        else:
            run_in_threads(read, blocks, blocks)
        # The source answers alike for every block (the test is on the image, not the range).
        return all(done)

    def _view(self, index: int | None) -> tuple[np.ndarray, dict[str, Any]] | None:
        """``view_only``: the native frames as an array over the dataset's own buffer, no copy.

        Only when nothing needs changing: the frames are stored as the output would hold
        them (see :meth:`_can_read_directly`), no unused bits need masking and no colour
        conversion is asked. Read-only when the buffer is (``bytes``)."""
        image = self.image
        source = self.source
        if not self._direct or not isinstance(source, NativeFrameAccess) or self._color_plan({}, self._raw)[0] is not None:
            return None
        if (
            self.options.get("correct_unused_bits")
            and image.pixel_keyword == "PixelData"
            and image.bits_allocated > image.bits_stored
        ):
            return None
        memory = source.native_memory()
        if memory is None:
            return None
        total = self.frame_total
        arr = np.frombuffer(memory, dtype=self.out_dtype).reshape(total, *image.frame_shape)
        if index is not None:
            if not 0 <= index < total:
                raise frame_index_error(self.source.name, index, total)
            return arr[index], self._meta({}, image.photometric_interpretation, as_frame=True)
        return self._all_frames(arr, {}, image.photometric_interpretation)

    def as_array(
        self,
        index: int | None,
        raw: bool,
        *,
        indices: Iterable[int] | None = None,
        out: np.ndarray | None = None,
    ) -> tuple[np.ndarray, dict[str, Any]]:
        self._raw = raw
        image = self.image
        if index is not None and indices is not None:
            raise InvalidArgumentError("Pass 'index' for one frame or 'indices' for several, not both")
        if index is not None:
            index = check_frame_index(index)
        if self.options.get("view_only") and indices is None and out is None:
            view = self._view(index)
            if view is not None:
                return view
        if index is not None:
            if self.ts.is_video:
                video_frame, meta = next(self.iter_video([index], raw))
                if out is None:
                    return video_frame, meta
                frame = self._output(out, image.frame_shape)
                frame[...] = video_frame
                return frame, meta
            frame = self._output(out, image.frame_shape, frame=index)
            info = self.decode_into(index, frame)
            plan, pi = self._color_plan(info, raw)
            if plan is not None:
                self._convert(frame, plan, info)
            return frame, self._meta(info, pi, as_frame=True)

        total = self.frame_total
        if indices is None:
            frames: Sequence[int] = range(total)
            self.precheck(total)
            # pydicom returns a single frame unwrapped; an *out* of that shape is accepted.
            shape = image.frame_shape if total == 1 else (total, *image.frame_shape)
            result = self._output(out, shape)
        else:
            frames = self._frames_asked(indices, total)
            result = self._output(out, (len(frames), *image.frame_shape))
        block = result.reshape(len(frames), *image.frame_shape)  # a view: result is C-contiguous
        if not frames:
            return self._frames_result(result, {}, image.photometric_interpretation, 0)
        if self.ts.is_video:  # one stream: decoded in order, frame after frame (PS3.5 A.4.5)
            pi = image.photometric_interpretation
            for position, (video_frame, frame_meta) in enumerate(self.iter_video(frames, raw)):
                block[position] = video_frame
                pi = frame_meta["photometric_interpretation"]
            return self._frames_result(result, {}, pi, len(frames))
        if self._direct and _is_consecutive(frames):
            if self._read_native_blocks(block, len(frames), frames[0]):
                arr, meta = self._frames_result(result, {}, self._color_plan({}, raw)[1], len(frames))
                meta["decoded_by"] = (self.codecs[0].plugin,) * len(frames)
                return arr, meta
        infos: list[dict[str, Any] | None] = [None] * len(frames)

        def work(position: int) -> None:
            info = self.decode_into(frames[position], block[position])
            infos[position] = info
            plan, _ = self._color_plan(info, raw)
            if plan is not None:
                self._convert(block[position], plan, info)

        # The first frame is decoded alone: it picks the codec (and so whether threads help).
        work(0)
        workers = self._workers(len(frames) - 1)
        if workers > 1:
            run_in_threads(work, len(frames), workers, start=1)
        else:
            for position in range(1, len(frames)):
                work(position)
        first = infos[0] or {}
        arr, meta = self._frames_result(result, first, self._color_plan(first, raw)[1], len(frames))
        meta["decoded_by"] = tuple((info or {}).get("decoded_by", "") for info in infos)
        return arr, meta

    def _frames_result(
        self, arr: np.ndarray, info: dict[str, Any], pi: str, count: int
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """*arr* (already shaped as returned) and the metadata of its *count* frames."""
        meta = self._meta(info, pi, as_frame=False)
        meta["number_of_frames"] = count
        return arr, meta

    def _frames_asked(self, indices: Iterable[int], total: int) -> Sequence[int]:
        """*indices* as a sequence of frame numbers, each an integer in ``range(total)``;
        a bad entry is a :class:`FrameIndexError` naming its position."""
        if isinstance(indices, range) and (not indices or (min(indices) >= 0 and max(indices) < total)):
            return indices  # the common chunk: checked without a list
        if isinstance(indices, (str, bytes)) or not isinstance(indices, Iterable):
            raise ArgumentTypeError(
                f"'indices' must be an iterable of ints (0-based frame numbers), not {type(indices).__name__}"
            )
        checked: list[int] = []
        for position, value in enumerate(indices):
            if isinstance(value, (bool, np.bool_)) or not hasattr(value, "__index__"):
                raise FrameIndexError(
                    f"indices[{position}] is {value!r}, not a frame number: pass integers "
                    f"from 0 to {total - 1} for the frames of {self.source.name}"
                )
            frame = int(value.__index__())
            if not 0 <= frame < total:
                raise FrameIndexError(
                    f"indices[{position}] asks for frame {frame}, but {self.source.name} holds "
                    f"{total} frame{'s' if total != 1 else ''} (0 to {total - 1})"
                )
            checked.append(frame)
        return checked

    def _output(self, out: np.ndarray | None, shape: tuple[int, ...], frame: int | None = None) -> np.ndarray:
        """*out* checked to be exactly the array the decode would allocate, else a new one
        (for one *frame*: checked as :meth:`allocate` does)."""
        if out is None:
            return self.allocate(shape, frame=frame)
        if not isinstance(out, np.ndarray):
            raise ArgumentTypeError(
                f"'out' must be a numpy.ndarray, not a {type(out).__name__}: allocate it with "
                f"numpy.empty({shape}, {self.out_dtype.str!r})"
            )
        if out.dtype != self.out_dtype:
            raise ArgumentTypeError(
                f"'out' has dtype {out.dtype.str!r}, but the pixel data of {self.source.name} "
                f"decodes to {self.out_dtype.str!r} (dicom_pixels.decoder.output_dtype)"
            )
        if out.shape != tuple(shape):
            raise InvalidArgumentError(
                f"'out' has shape {out.shape}, but the frames asked for from "
                f"{self.source.name} need {tuple(shape)}"
            )
        if not out.flags.c_contiguous or not out.flags.writeable:
            raise InvalidArgumentError(
                "'out' must be C-contiguous and writeable (frames are decoded straight into "
                "it): pass numpy.ascontiguousarray(out) or a new numpy.empty array"
            )
        return out

    def _all_frames(
        self, arr: np.ndarray, info: dict[str, Any], pi: str
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """The result of decoding every frame: one frame unwrapped, as pydicom returns it."""
        total = arr.shape[0]
        meta = self._meta(info, pi, as_frame=False)
        meta["number_of_frames"] = total
        return (arr[0] if total == 1 else arr), meta

    def iter_array(
        self, indices: Iterable[int] | None, raw: bool, pool: FramePool | None = None
    ) -> Iterator[tuple[np.ndarray, dict[str, Any]]]:
        self._raw = raw
        image = self.image
        if self.ts.is_video:
            yield from self.iter_video(range(self.frame_total) if indices is None else _checked_indices(indices), raw)
            return
        for i in range(self.frame_total) if indices is None else _checked_indices(indices):
            out = pool.take(image.frame_shape, self.out_dtype) if pool is not None else None
            if out is None:
                out = self.allocate(image.frame_shape, frame=i)
            info = self.decode_into(i, out)
            plan, pi = self._color_plan(info, raw)
            if plan is not None:
                self._convert(out, plan, info)
            yield out, self._meta(info, pi, as_frame=True)

    # -- video: one stream holds every frame (PS3.5 A.4.5-A.4.7) ------------------------------

    def iter_video(self, indices: Iterable[int], raw: bool) -> Iterator[tuple[np.ndarray, dict[str, Any]]]:
        """Yield ``(frame, metadata)`` for each of *indices* of a video.

        The codec is called once per pass as ``decode(stream, frame)`` with the whole
        stream and ``frame.index`` the first frame wanted; it returns an iterator of the
        frames from there on (seeking from the key frame before it), one array each, and
        reports in ``frame.info`` what it returns: ``"RGB"`` when it converted, as a video
        codec does best (FFmpeg) when ``frame.rgb_wanted``; a YBR_PARTIAL_420 frame it
        returns is converted by the core's partial-range equations.
        Consecutive indices continue one pass; any other index starts a new one.
        """
        self._raw = raw
        total = self.frame_total
        options = self.options
        rgb_wanted = (
            not raw
            and self.image.samples_per_pixel == 3
            and bool(options.get("as_rgb", True) or options.get("force_rgb") or options.get("force_ybr"))
        )
        stream = b""
        frames: Iterator[Any] = iter(())
        info: dict[str, Any] = {}
        following = -1  # the index the current pass yields next
        for index in indices:
            if not 0 <= index < total:
                raise frame_index_error(self.source.name, index, total)
            if index != following:
                if not stream:
                    stream = self.source.read_frame(0)[0]
                frames, info = self._try_codecs(index, stream, 0, None, {}, rgb_wanted)
                following = index
            try:
                video_frame = next(frames)
            except StopIteration:
                raise DecodeError(
                    f"The '{self.ts.name}' stream in {self.source.name} ends before frame "
                    f"{index}, but (0028,0008) Number of Frames is {total}: the stream is "
                    "truncated or Number of Frames is wrong; pass number_of_frames= to override it"
                ) from None
            except DicomPixelsError:
                raise
            except Exception as exc:  # the backend's own error, with the frame it was on
                raise DecodeError(
                    f"Unable to decode frame {index} of the '{self.ts.name}' stream in "
                    f"{self.source.name}: {type(exc).__name__}: {exc}"
                ) from exc
            following += 1
            plan, pi = self._color_plan(info, raw)
            if plan is not None:
                self._convert(video_frame, plan, info)
            yield video_frame, self._meta(info, pi, as_frame=True)

    def _meta(self, info: dict[str, Any], pi: str, *, as_frame: bool) -> dict[str, Any]:
        meta = self.image.properties(as_frame=as_frame)
        meta["photometric_interpretation"] = pi
        if self.image.samples_per_pixel > 1:
            meta["planar_configuration"] = 0
        if "decoded_by" in info:  # the plugin that decoded each frame, one name per frame
            meta["decoded_by"] = (info["decoded_by"],)
        return meta


def run_in_threads(work: Callable[[int], object], end: int, workers: int, *, start: int = 0) -> None:
    """Call ``work(i)`` for each ``i`` in ``range(start, end)`` on *workers* threads.

    Each thread takes the next index from a shared counter until none is left: no
    future or queue per frame (a ``ThreadPoolExecutor.map`` costs tens of µs of
    GIL-holding work per item, several percent of a 1 ms frame). After the first
    error no new index is handed out; the error of the lowest failing index is
    raised once every thread has stopped, so a broken file reports the same frame
    whatever the timing (every lower index has been handed out by then).

    >>> seen = []
    >>> run_in_threads(seen.append, 5, 2)
    >>> sorted(seen)
    [0, 1, 2, 3, 4]
    """
    lock = threading.Lock()
    following = iter(range(start, end))
    errors: dict[int, BaseException] = {}
    stopped = threading.Event()

    def loop() -> None:
        while True:
            with lock:
                index = None if errors or stopped.is_set() else next(following, None)
            if index is None:
                return
            try:
                work(index)
            except BaseException as exc:  # re-raised in the calling thread below
                with lock:
                    errors[index] = exc
                return

    threads = [
        threading.Thread(target=loop, name=f"dicom-pixels-{n}", daemon=True) for n in range(max(1, workers))
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    except BaseException:
        # Interrupted while waiting (KeyboardInterrupt, a signal handler's exception): the
        # threads finish the frame in hand and take no other.
        stopped.set()
        raise
    if errors:
        raise errors[min(errors)]


def _typed_resource_error(exc: BaseException, what: str) -> DicomPixelsError | None:
    """The typed error for a ``MemoryError`` or ``RecursionError`` raised while decoding
    *what*; ``None`` for any other exception."""
    if isinstance(exc, MemoryError):
        return OutputTooLargeError(
            f"Ran out of memory decoding {what}: decode fewer frames at a time (index= or "
            "iter_pixels), or lower max_output_bytes= so that a hostile file is refused sooner"
        )
    if isinstance(exc, RecursionError):
        return DecodeError(
            f"Decoding {what} nested deeper than Python's recursion limit: the data is "
            "corrupt or hostile"
        )
    return None


_Item = TypeVar("_Item")
_Result = TypeVar("_Result")


class FramePool:
    """Frame arrays handed back once used, to be decoded into again (:meth:`Decoder.iter_array`).

    Thread-safe: the encoder's workers give back the frame they have encoded while another
    takes one for the next frame, so a run holds about one array per worker, and none is
    new memory after the first few frames.

    >>> pool = FramePool()
    >>> pool.take((2, 2), np.dtype("u2")) is None
    True
    >>> pool.give(np.zeros((2, 2), "u2"))
    >>> pool.take((2, 2), np.dtype("u2")).shape, pool.take((2, 2), np.dtype("u2"))
    ((2, 2), None)
    """

    def __init__(self) -> None:
        self._free: list[np.ndarray] = []
        self._lock = threading.Lock()

    def give(self, arr: np.ndarray) -> None:
        """Hand *arr* back: its caller will not use it again."""
        with self._lock:
            self._free.append(arr)

    def take(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray | None:
        """A handed-back array of this shape and dtype, or ``None``."""
        with self._lock:
            for position, arr in enumerate(self._free):
                if arr.shape == shape and arr.dtype == dtype:
                    return self._free.pop(position)
        return None


def map_in_order(
    work: Callable[[_Item], _Result], items: Iterable[_Item], workers: int, *, ahead: int | None = None
) -> Generator[_Result, None, None]:
    """Yield ``work(item)`` for each of *items*, in order, computed on *workers* threads.

    The ordered twin of :func:`run_in_threads`, for producers whose results are
    handed on as they come (frames encoded then written): each result is yielded
    as soon as it and every earlier one are done. At most *ahead* items (default
    ``2 * workers``) are taken from *items* and not yet yielded, so memory stays
    near a few items whatever their number. *items* is read by one thread at a
    time, in order: it need not be thread-safe (a file being decoded frame by frame).

    After the first error (from *work* or from *items*) no further item is taken;
    the results before the lowest failing item are yielded, then its error is
    raised, so a broken frame is reported as the same one whatever the timing.
    Closing the generator early stops the threads once their item in hand is done
    (it returns only when they have stopped: nothing touches *items* afterwards).

    >>> list(map_in_order(lambda x: x * x, range(6), 2))
    [0, 1, 4, 9, 16, 25]
    """
    limit = max(1, ahead if ahead is not None else 2 * workers)
    source = iter(items)
    pull = threading.Lock()  # taken before `state`, never while holding it
    state = threading.Condition()
    results: dict[int, _Result] = {}
    errors: dict[int, BaseException] = {}
    taken = 0  # items taken from `source`
    handed = 0  # results yielded
    end: int | None = None  # the number of items, once `source` is exhausted
    stop = False

    def halted() -> bool:
        return stop or bool(errors) or end is not None

    def loop() -> None:
        nonlocal taken, end
        while True:
            with pull:
                with state:
                    while not halted() and taken - handed >= limit:
                        state.wait()
                    if halted():
                        return
                    index = taken
                    taken += 1
                try:
                    item = next(source)
                except StopIteration:
                    with state:
                        end = index
                        state.notify_all()
                    return
                except BaseException as exc:  # raised in the consuming thread, in order
                    with state:
                        errors[index] = exc
                        state.notify_all()
                    return
            try:
                result = work(item)
            except BaseException as exc:
                with state:
                    errors[index] = exc
                    state.notify_all()
                return
            with state:
                results[index] = result
                state.notify_all()

    threads = [
        threading.Thread(target=loop, name=f"dicom-pixels-{n}", daemon=True) for n in range(max(1, workers))
    ]
    try:
        for thread in threads:
            thread.start()
        while True:
            with state:
                # Every index below the lowest error was taken before it: it ends in a
                # result or an error, so this wait always ends.
                while handed not in results and handed not in errors and handed != end:
                    state.wait()
                if handed in results:
                    result = results.pop(handed)
                    handed += 1
                    state.notify_all()  # a slot of the window is free
                elif handed in errors:
                    raise errors[handed]
                else:
                    return
            yield result
    finally:
        with state:
            stop = True
            state.notify_all()
        for thread in threads:
            thread.join()


def output_dtype(image: ImageDescription) -> np.dtype:
    """The dtype of the arrays decoded from *image*: :attr:`ImageDescription.dtype`, but
    big endian for native Explicit VR Big Endian data (PS3.5 A.3), as pydicom returns
    it: the array then holds the stored bytes unchanged. ``arr.astype(arr.dtype.newbyteorder("="))``
    gives native byte order where a library needs it (e.g. ``torch.from_numpy``).

    Known from the header alone, before any decode (for ``out=`` arrays, lazy arrays):

    >>> import dicom_pixels as dp
    >>> with dp.open_source(dp.examples.get_path("ct")) as src:
    ...     output_dtype(src.image)
    dtype('int16')
    """
    ts = image.transfer_syntax
    dtype = image.dtype
    if not ts.encapsulated and not ts.little_endian and dtype.itemsize > 1:
        return dtype.newbyteorder(">")
    return dtype


def _is_consecutive(frames: Sequence[int]) -> bool:
    """Whether *frames* are ascending by one (then native frames are read as one block)."""
    if isinstance(frames, range):
        return frames.step == 1 or len(frames) == 1
    return all(b - a == 1 for a, b in itertools.pairwise(frames))


def _byte_order(dtype: np.dtype) -> str:
    """``"<"``, ``">"`` or ``"|"`` (single bytes), with ``"="`` resolved for this machine."""
    if dtype.byteorder == "=":
        return "<" if sys.byteorder == "little" else ">"
    return dtype.byteorder


def _shift_in_place(arr: np.ndarray, shift: int) -> None:
    # Left then arithmetic/logical right shift: drops the unused high bits and
    # sign-extends signed data (PS3.5 8.1.1, pydicom's behaviour).
    np.left_shift(arr, shift, out=arr)
    np.right_shift(arr, shift, out=arr)


def _place(
    result: Any, out: np.ndarray, image: ImageDescription, info: dict[str, Any], index: int, name: str
) -> None:
    """Copy a codec's ndarray or bytes result into the frame slice *out*."""
    if isinstance(result, np.ndarray):
        if result.size != out.size:
            raise DecodeError(
                f"The decoded frame {index} of {name} has {result.size} samples, "
                f"expected {out.size} for a {image.frame_shape} frame: the Image Pixel module "
                "values may not match the encoded image"
            )
        out[...] = result.reshape(out.shape)
        return
    bits = int(info.get("bits_allocated", image.bits_allocated))
    dtype = image.dtype if bits == image.bits_allocated else np.dtype(
        f"{'i' if image.pixel_representation else 'u'}{max(bits // 8, 1)}"
    )
    if len(result) % dtype.itemsize:
        # A backend's output of the wrong length (corrupt data): not a whole number of samples.
        raise DecodeError(
            f"The decoded frame {index} of {name} is {len(result)} bytes long, not a whole "
            f"number of {dtype.itemsize}-byte samples; expected {out.size} samples for a "
            f"{image.frame_shape} frame: the data may be corrupt"
        )
    buffer = np.frombuffer(result, dtype=dtype.newbyteorder("<"))
    if buffer.size != out.size:
        raise DecodeError(
            f"The decoded frame {index} of {name} has {buffer.size} samples, "
            f"expected {out.size} for a {image.frame_shape} frame"
        )
    planar = int(info.get("planar_configuration", image.planar_configuration))
    if image.samples_per_pixel > 1 and planar == 1:
        out[...] = buffer.reshape(image.samples_per_pixel, image.rows, image.columns).transpose(1, 2, 0)
    else:
        out[...] = buffer.reshape(out.shape)
