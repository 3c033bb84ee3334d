"""RLE Lossless (PS3.5 Annex G) in NumPy: decode and encode one frame.

An RLE frame is a 64-byte header (the number of segments, at most 15, then the
byte offset of each segment, all little-endian 32-bit, G.5) followed by the
segments. Each segment holds one byte of every sample of one component,
PackBits-encoded row by row (G.3). Segments are ordered component by
component, and within a component from the most significant byte to the
least (G.2): a 16-bit RGB frame holds R-MSB, R-LSB, G-MSB, G-LSB, B-MSB, B-LSB.

Decoding finds where each run starts in a tight Python loop (the only
sequential step of PackBits), produces the bytes with one NumPy gather, and
scatters every segment straight into its byte lane of the output, so no
planar-to-interleaved copy is needed. Encoding
is vectorised entirely: runs are found with NumPy comparisons and the output
is assembled with one gather, byte for byte what pydicom's native RLE encoder
writes.

>>> import numpy as np
>>> from dicom_pixels import DecodeFrame, EncodeFrame, ImageDescription
>>> image = ImageDescription(2, 3, 1, 16, 16, 0, "MONOCHROME2", "1.2.840.10008.1.2.5")
>>> arr = np.array([[1, 1, 1], [256, 2, 3]], dtype="u2")
>>> data = encode_rle(arr, EncodeFrame(image=image, index=0, options={}))
>>> decode_rle(data, DecodeFrame(image=image, index=0, options={})).tolist()
[[1, 1, 1], [256, 2, 3]]
"""

from __future__ import annotations

import struct
import sys
import warnings
from collections.abc import Iterator

import numpy as np

from dicom_pixels.codec import DecodeFrame, EncodeFrame
from dicom_pixels.errors import DecodeError, EncodeError

__all__ = ["decode_rle", "decode_segment", "decoded_length", "encode_rle", "encode_segment"]

#: PS3.5 G.5: the header has room for the offsets of 15 segments.
MAX_SEGMENTS = 15
HEADER_LENGTH = 64

# -- decoding -----------------------------------------------------------------------------


def decode_rle(data: bytes | bytearray | memoryview, frame: DecodeFrame) -> np.ndarray | None:
    """Decode one RLE Lossless frame into ``frame.out`` (planar configuration 0).

    :param data: the encoded frame (all its fragments joined).
    :param frame: the decoding context. The option ``rle_segment_order`` is
        ``">"`` (default, PS3.5 G.2: most significant byte first) or ``"<"`` for
        the non-conformant little-endian order some writers produce.
    :returns: ``None`` after filling ``frame.out``, else the decoded frame.
    :raises DecodeError: the header is invalid (wrong number of segments,
        offsets outside the data) or a segment decodes to too few bytes.

    A segment that decodes to more bytes than Rows x Columns (non-conformant
    padding) is truncated with a warning, as pydicom does.

    >>> import numpy as np
    >>> from dicom_pixels import DecodeFrame, ImageDescription
    >>> image = ImageDescription(1, 4, 1, 8, 8, 0, "MONOCHROME2", "1.2.840.10008.1.2.5")
    >>> header = struct.pack("<2L", 1, 64).ljust(64, b"\\0")
    >>> decode_rle(header + bytes([0xFD, 7]), DecodeFrame(image=image, index=0, options={})).tolist()
    [[7, 7, 7, 7]]
    """
    image = frame.image
    if image.bits_allocated % 8:
        raise DecodeError(
            f"Unable to decode frame {frame.index}: RLE Lossless with (0028,0100) Bits "
            f"Allocated {image.bits_allocated} is not supported (only 8, 16, 32 and 64)"
        )
    bytes_per_sample = image.bits_allocated // 8
    samples = image.samples_per_pixel
    pixels = image.rows * image.columns
    offsets = _segment_offsets(data, samples * bytes_per_sample, frame.index)

    order = frame.option("rle_segment_order", ">")
    if order not in (">", "<"):
        raise DecodeError(f"The 'rle_segment_order' option must be '>' or '<', not {order!r}")

    out = frame.out
    writable = (
        out is not None
        and out.flags.c_contiguous
        and out.dtype == image.dtype
        and out.dtype.isnative
    )
    target = out if writable else np.empty(image.frame_shape, image.dtype)
    assert target is not None
    # The output's bytes as (pixel, sample, byte in memory order); each segment fills
    # one (sample, byte) lane through a strided view.
    lanes = target.reshape(-1).view(np.uint8).reshape(pixels, samples, bytes_per_sample)
    little = sys.byteorder == "little"
    source = memoryview(data).cast("B")  # segments are read in place, never copied
    for index, (start, end) in enumerate(offsets):
        sample, rank = divmod(index, bytes_per_sample)
        # rank 0 is the most significant byte for ">" (G.2), the least for "<".
        significance = bytes_per_sample - 1 - rank if order == ">" else rank
        lane = significance if little else bytes_per_sample - 1 - significance
        decoded = _decode_into(source[start:end], lanes[:, sample, lane])
        if decoded < pixels:
            raise DecodeError(
                f"Frame {frame.index}: RLE segment {index} decodes to {decoded} bytes, "
                f"less than the {pixels} expected for a {image.rows} x {image.columns} "
                "frame: the data is truncated or corrupt"
            )
        if decoded > pixels:
            # pydicom warns and keeps the first Rows x Columns bytes.
            warnings.warn(
                f"Frame {frame.index}: RLE segment {index} decodes to {decoded} bytes, "
                f"more than the {pixels} expected; the non-conformant padding is ignored",
                UserWarning,
                stacklevel=2,
            )
    if writable:
        return None
    if out is not None:
        out[...] = target
        return None
    return target


def _segment_offsets(
    data: bytes | bytearray | memoryview, expected: int, index: int
) -> list[tuple[int, int]]:
    """Parse the RLE header (PS3.5 G.5) into ``(start, end)`` byte ranges, one per segment."""
    size = len(data)
    if size < HEADER_LENGTH:
        raise DecodeError(
            f"Frame {index}: the RLE data is {size} bytes long, shorter than its "
            f"{HEADER_LENGTH}-byte header (PS3.5 G.5)"
        )
    count, *table = struct.unpack_from("<16L", data, 0)
    if count > MAX_SEGMENTS or count == 0:
        raise DecodeError(
            f"Frame {index}: the RLE header declares {count} segments; PS3.5 G.5 allows "
            f"1 to {MAX_SEGMENTS}. The data is corrupt or not RLE Lossless"
        )
    if count != expected:
        raise DecodeError(
            f"Frame {index}: the RLE header declares {count} segments but the Image Pixel "
            f"module values need {expected} (Samples per Pixel x Bits Allocated / 8, "
            "PS3.5 G.2): the data or the (0028,0002)/(0028,0100) values are wrong"
        )
    starts = table[:count]
    previous = HEADER_LENGTH
    for number, start in enumerate(starts):
        if not previous <= start <= size:
            raise DecodeError(
                f"Frame {index}: RLE segment {number} has offset {start}, outside the "
                f"{size}-byte frame or before the header or the previous segment "
                "(PS3.5 G.5): the data is corrupt"
            )
        previous = start
    ends = [*starts[1:], size]
    return list(zip(starts, ends))


def decode_segment(
    src: bytes | bytearray | memoryview,
    start: int = 0,
    end: int | None = None,
    length: int | None = None,
) -> np.ndarray:
    """Decode one PackBits segment (PS3.5 G.3.2) of ``src[start:end]`` as a uint8 array.

    Output is materialised only up to *length*, so hostile input cannot make it
    allocate more; the returned array's ``size`` is the materialised length and
    :func:`decoded_length` tells the full length.

    >>> decode_segment(bytes([0x02, 1, 2, 3, 0xFE, 9, 0x80])).tolist()
    [1, 2, 3, 9, 9, 9]
    """
    segment = memoryview(src).cast("B")[start:end]
    total = decoded_length(segment)
    out = np.empty(total if length is None else min(total, length), dtype=np.uint8)
    _decode_into(segment, out)
    return out


#: Segment bytes whose run heads are found at a time (2**14): bounds a block's index
#: arrays to about a megabyte and its output to 64 x that, whatever the segment holds.
_BLOCK_BITS = 14


def _decode_into(segment: memoryview, dest: np.ndarray) -> int:
    """Decode a PackBits segment into the 1-D (possibly strided) *dest*, block by block.

    Returns the full decoded length; bytes beyond ``dest.size`` are counted, not kept.
    Memory stays near the output: the segment is read in place, and each block's runs
    are expanded by one NumPy gather into its slice of *dest*, with no Python object
    per run. Time is linear in the segment's length (times the block's log2).
    """
    buf = np.frombuffer(segment, dtype=np.uint8)
    capacity = dest.size
    filled = produced = 0
    for heads in _run_heads(buf):
        position, counts, literal = _run_table(buf, heads)
        produced += int(counts.sum())
        if filled < capacity:
            part = _expand_runs(buf, position, counts, literal, capacity - filled)[: capacity - filled]
            dest[filled : filled + part.size] = part
            filled += part.size
    return produced


def _run_heads(buf: np.ndarray) -> Iterator[np.ndarray]:
    """Yield the positions of the run headers of a PackBits segment, a block at a time.

    Where each run starts depends on every run before it (G.3.2: header n in 0..127 is
    followed by n + 1 literal bytes, 129..255 by one byte to repeat, 128 stands alone).
    Within a block of 2**14 bytes, each position's successor is computed at once and
    the chain from the block's first header is followed by pointer doubling: the
    table of 2**k-th successors is squared while the chain's known part doubles. No
    Python loop per run.
    """
    size = buf.size
    start = 0
    while start < size:
        block = buf[start : start + (1 << _BLOCK_BITS)].astype(np.int32)
        length = block.size
        step = np.where(block < 128, block + 2, np.where(block > 128, 2, 1))
        # Successor of each position, and a sink (index *length*) for "beyond this block".
        jump = np.empty(length + 1, dtype=np.int32)
        np.minimum(np.arange(length, dtype=np.int32) + step, length, out=jump[:length])
        jump[length] = length
        # Distances 0 .. 2**k - 1 from the block's first header, in order; the positions at
        # distances 2**k .. 2**(k+1) - 1 are the 2**k-th successors of those.
        heads = np.zeros(1, dtype=np.int32)
        while True:
            further = jump[heads]
            if further[0] == length:  # the chain has left the block
                break
            heads = np.concatenate((heads, further))
            jump = jump[jump]  # the 2**(k+1)-th successor
        heads = heads[: int(np.searchsorted(heads, length))]
        last = int(heads[-1])
        yield heads + start
        start += last + int(step[last])


def _run_table(buf: np.ndarray, heads: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each run's header position, output byte count and whether it is literal."""
    size = buf.size
    position = heads.astype(np.intp)
    header_values = buf[position].astype(np.intp)
    literal = header_values < 128
    counts = np.where(literal, header_values + 1, 257 - header_values)
    counts[header_values == 128] = 0
    # A run cut short by the end of the segment yields only the bytes present.
    available = size - position - 1
    np.minimum(counts, np.where(literal, available, np.minimum(available, 1) * counts), out=counts)
    return position, counts, literal


def _expand_runs(
    buf: np.ndarray,
    position: np.ndarray,
    counts: np.ndarray,
    literal: np.ndarray,
    length: int | None,
) -> np.ndarray:
    producing = counts > 0
    position, counts, literal = position[producing], counts[producing], literal[producing]
    ends = np.cumsum(counts)
    if length is not None and ends.size and ends[-1] > length:
        keep = int(np.searchsorted(ends, length)) + 1  # runs needed to reach *length*
        position, counts, literal, ends = (
            position[:keep],
            counts[:keep],
            literal[:keep],
            ends[:keep],
        )
    if not ends.size:
        return np.empty(0, dtype=np.uint8)
    # Source index of every output byte, as a cumulative sum of steps: +1 inside a
    # literal run, 0 inside a replicate run, and a jump at the first byte of each run.
    step = np.repeat(literal.view(np.int8), counts).astype(np.intp)
    first_source = position + 1
    last_source = first_source + (counts - 1) * literal
    starts = ends - counts
    step[0] = first_source[0]
    step[starts[1:]] = first_source[1:] - last_source[:-1]
    return buf[np.cumsum(step, out=step)]


def decoded_length(segment: bytes | bytearray | memoryview) -> int:
    """The number of bytes the PackBits *segment* decodes to, without decoding it.

    >>> decoded_length(bytes([0x02, 1, 2, 3, 0xFE, 9]))
    6
    """
    return _decode_into(memoryview(segment).cast("B"), np.empty(0, dtype=np.uint8))


# -- encoding -----------------------------------------------------------------------------


def encode_rle(arr: np.ndarray, frame: EncodeFrame) -> bytes:
    """Encode one frame as RLE Lossless, exactly as pydicom's native RLE encoder does.

    :param arr: one frame, shape ``(rows, cols)`` or ``(rows, cols, samples)``
        (planar configuration 0), with an integer dtype; values are written with
        ``frame.image.bits_allocated`` bits.
    :param frame: the encoding context.
    :returns: the 64-byte header followed by the segments, each padded to even length.
    :raises EncodeError: more than 15 segments would be needed, or *arr* does not
        match the image description.

    >>> import numpy as np
    >>> from dicom_pixels import EncodeFrame, ImageDescription
    >>> image = ImageDescription(1, 4, 1, 8, 8, 0, "MONOCHROME2", "1.2.840.10008.1.2.5")
    >>> encode_rle(np.array([[7, 7, 7, 7]], "u1"), EncodeFrame(image=image, index=0, options={}))[64:]
    b'\\xfd\\x07'
    """
    image = frame.image
    if image.bits_allocated % 8 or image.pixel_keyword != "PixelData":
        raise EncodeError(
            f"Unable to encode frame {frame.index} as RLE Lossless: only integer Pixel Data "
            f"with (0028,0100) Bits Allocated 8, 16, 32 or 64 can be encoded, not "
            f"{image.bits_allocated}-bit {image.pixel_keyword}"
        )
    bytes_per_sample = image.bits_allocated // 8
    samples = image.samples_per_pixel
    segments = bytes_per_sample * samples
    if segments > MAX_SEGMENTS:
        raise EncodeError(
            f"Unable to encode frame {frame.index} as RLE Lossless: it needs {segments} "
            f"segments but PS3.5 G.5 allows at most {MAX_SEGMENTS}"
        )
    arr = np.asarray(arr)
    if arr.size != image.rows * image.columns * samples:
        raise EncodeError(
            f"Unable to encode frame {frame.index}: the array has {arr.size} values, but a "
            f"{image.frame_shape} frame needs {image.rows * image.columns * samples}"
        )
    if arr.dtype.kind not in "iub":
        raise EncodeError(
            f"Unable to encode frame {frame.index} as RLE Lossless: the array's dtype "
            f"{arr.dtype} is not an integer type"
        )
    kind = "i" if arr.dtype.kind == "i" else "u"
    little = np.ascontiguousarray(arr, dtype=np.dtype(f"<{kind}{bytes_per_sample}"))
    lanes = little.view(np.uint8).reshape(image.rows, image.columns, samples, bytes_per_sample)

    encoded: list[bytes] = []
    for sample in range(samples):
        # G.2: each sample's bytes most significant first; byte k of a little-endian
        # value is lane k, so the most significant lane is the last.
        for lane in reversed(range(bytes_per_sample)):
            encoded.append(encode_segment(lanes[:, :, sample, lane]))
    offsets = np.cumsum([HEADER_LENGTH, *(len(s) for s in encoded[:-1])]).tolist()
    header = struct.pack(f"<{1 + len(offsets)}L", len(encoded), *offsets).ljust(
        HEADER_LENGTH, b"\0"
    )
    return b"".join([header, *encoded])


def encode_segment(plane: np.ndarray) -> bytes:
    """PackBits-encode one byte plane of shape ``(rows, cols)``, row by row (PS3.5 G.3.1).

    Runs of two or more equal bytes become replicate runs (up to 128 each),
    other bytes literal runs (up to 128 each), never crossing a row; an odd
    result is padded with one zero byte. This is pydicom's encoding choice:
    two-byte repeats are always replicate runs.

    >>> encode_segment(np.array([[1, 2, 2, 2], [3, 3, 4, 5]], "u1"))
    b'\\x00\\x01\\xfe\\x02\\xff\\x03\\x01\\x04\\x05\\x00'
    """
    plane = np.asarray(plane)
    rows, cols = plane.shape
    if rows * cols == 0:
        return b""
    # Runs never cross a row (G.3.1), so blocks of rows encode independently: the index
    # arrays below take about 40 bytes per input byte, bounded here by the block size.
    block = max(1, _BLOCK_BYTES // cols)
    parts = [_encode_rows(plane[first : first + block]) for first in range(0, rows, block)]
    total = sum(part.size for part in parts)
    if total % 2:
        parts.append(np.zeros(1, dtype=np.uint8))  # PS3.5 G.3.1: each segment has an even length
    return b"".join(part.tobytes() for part in parts) if len(parts) > 1 else parts[0].tobytes()


#: Rows are PackBits-encoded in blocks of about this many bytes (see :func:`encode_segment`).
_BLOCK_BYTES = 64 * 1024  # measured: as fast as 256 KiB, a quarter of the memory


def _encode_rows(plane: np.ndarray) -> np.ndarray:
    """PackBits tokens of the rows of *plane*, unpadded (the body of :func:`encode_segment`)."""
    cols = plane.shape[1]
    flat = np.ascontiguousarray(plane, dtype=np.uint8).reshape(-1)
    n = flat.size
    # Start of every run of equal bytes; each row starts a new run (G.3.1).
    boundary = np.empty(n, dtype=bool)
    boundary[0] = True
    np.not_equal(flat[1:], flat[:-1], out=boundary[1:])
    boundary[::cols] = True
    run_start = np.flatnonzero(boundary)
    run_length = np.diff(run_start, append=n)

    single = run_length == 1
    # Consecutive single-byte runs of one row form one literal sequence.
    previous_single = np.concatenate(([False], single[:-1]))
    opens_literal = single & (~previous_single | (run_start % cols == 0))
    literal_id = np.cumsum(opens_literal) - 1
    literal_start = run_start[opens_literal]
    literal_length = np.bincount(literal_id[single], minlength=literal_start.size)

    replicate = ~single
    rep_start, rep_len = _split_runs(run_start[replicate], run_length[replicate])
    lit_start, lit_len = _split_runs(literal_start, literal_length)
    # Replicate run header: 257 - n as a byte is -(n - 1); a leftover of one byte is
    # written as a one-byte literal run (header 0), as pydicom does.
    rep_header = np.where(rep_len > 1, 257 - rep_len, 0)
    lit_header = lit_len - 1
    starts = np.concatenate((rep_start, lit_start))
    headers = np.concatenate((rep_header, lit_header))
    # A replicate run carries one data byte whatever its length; a literal run all of them.
    data_lengths = np.concatenate((np.ones_like(rep_len), lit_len))
    order = np.argsort(starts, kind="stable")
    starts, headers, data_lengths = starts[order], headers[order], data_lengths[order]

    token_sizes = data_lengths + 1
    total = int(token_sizes.sum())
    header_at = np.cumsum(token_sizes) - token_sizes
    out = np.empty(total, dtype=np.uint8)
    is_data = np.ones(total, dtype=bool)
    is_data[header_at] = False
    out[header_at] = headers
    # Data byte q of token t comes from flat[start_t + q - header_at_t - 1].
    source = np.repeat(starts - header_at - 1, data_lengths) + np.flatnonzero(is_data)
    out[is_data] = flat[source]
    return out


def _split_runs(start: np.ndarray, length: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split runs into pieces of at most 128 bytes (G.3.1); return their starts and lengths."""
    pieces = (length + 127) // 128
    owner = np.repeat(np.arange(start.size), pieces)
    first_piece = np.cumsum(pieces) - pieces
    rank = np.arange(owner.size) - np.repeat(first_piece, pieces)
    piece_start = start[owner] + 128 * rank
    piece_length = np.minimum(128, length[owner] - 128 * rank)
    return piece_start, piece_length
