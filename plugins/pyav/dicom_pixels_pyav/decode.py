"""Decoding a video's pixel data through PyAV (FFmpeg's mpeg2video, h264 and hevc decoders).

The core hands the codec the whole stream (PS3.5 A.4.5-A.4.7: all fragments
form one stream) and the first frame wanted; :func:`decode_video` returns an
iterator of frames from there on, so memory stays near one frame whatever the
stream's length.

How FFmpeg behaves here, found by decoding streams made by libx264, libx265 and
mpeg2video (see the tests):

* its raw-stream demuxers (``h264``, ``hevc``, ``mpegvideo``) split the stream
  into one packet per picture, in decoding order, without decoding anything, so
  a frame is reached by starting the decoder at the last clean start point
  (:func:`~dicom_pixels_pyav.stream.clean_start_points`) before it;
* a decoder started mid-stream needs the parameter sets, which x264 and x265
  write once at the start: they are put in front of the start packet;
* ``VideoFrame.to_ndarray(format="rgb24")`` converts with the BT.601
  limited-range matrix that YBR_PARTIAL_420 means (PS3.3 C.7.6.3.1.2), which is
  what the core asks for with ``as_rgb``; without it, the chroma planes are
  repeated to full size (as for YBR_FULL_422) and the frame is reported as
  ``YBR_PARTIAL_420``.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import av
import numpy as np

from dicom_pixels import DecodeFrame
from dicom_pixels.errors import DecodeError

from .stream import SYNTAXES, check_stream, clean_start_points, parameter_sets, read_parameters

__all__ = ["decode_video", "split_packets"]

#: The FFmpeg raw-stream demuxer and decoder of each codec.
FFMPEG_NAMES = {"mpeg2": ("mpegvideo", "mpeg2video"), "h264": ("h264", "h264"), "hevc": ("hevc", "hevc")}


def split_packets(codec: str, stream: bytes) -> tuple[list[bytes], float | None]:
    """Split an elementary stream into its pictures' packets (decoding order), no decoding.

    :returns: the packets and the frame rate the stream states (``None`` when it states none).

    >>> import numpy as np
    >>> from dicom_pixels_pyav.encode import encode_stream
    >>> stream = encode_stream(np.zeros((3, 32, 32, 3), "u1"), "MPEG4HP41", rate=25)
    >>> packets, rate = split_packets("h264", stream)
    >>> len(packets), rate
    (3, 25.0)
    """
    demuxer, _ = FFMPEG_NAMES[codec]
    try:
        with av.open(io.BytesIO(stream), format=demuxer) as container:
            video = container.streams.video[0]
            packets = [bytes(packet) for packet in container.demux(video) if packet.size]
            rate = video.average_rate
    except av.FFmpegError as exc:
        raise DecodeError(f"The {codec} stream cannot be split into pictures: {exc}") from exc
    return packets, (float(rate) if rate else None)


def decode_video(stream: bytes, frame: DecodeFrame) -> Iterator[np.ndarray]:
    """The frames of *stream* from ``frame.index`` on, each a ``(rows, cols, 3)`` array.

    Checks the stream against its transfer syntax (profile, level, frame size and
    rate) and the Image Pixel description before returning.
    """
    image = frame.image
    syntax = SYNTAXES[image.transfer_syntax.uid]
    packets, rate = split_packets(syntax.codec, stream)
    if not packets:
        raise DecodeError("The video stream holds no picture")
    parameters = read_parameters(syntax.codec, packets[0])
    points = clean_start_points(syntax.codec, packets)
    start = max(p for p in points if p <= frame.index)
    frame.info["photometric_interpretation"] = "RGB" if frame.rgb_wanted else "YBR_PARTIAL_420"
    decoder = av.CodecContext.create(FFMPEG_NAMES[syntax.codec][1], "r")
    first = packets[start]
    if start:
        first = parameter_sets(syntax.codec, packets) + first
    pictures = _decode(decoder, [first, *packets[start + 1 :]])
    try:
        picture = next(pictures)
    except StopIteration:
        raise DecodeError(f"The video stream gives no picture from packet {start} on") from None
    bits = 10 if "10" in picture.format.name else 8
    check_stream(syntax, parameters, picture.width, picture.height, rate, bits)
    if (picture.height, picture.width) != (image.rows, image.columns):
        raise DecodeError(
            f"The video's frames are {picture.width} x {picture.height}, but (0028,0011) Columns "
            f"and (0028,0010) Rows are {image.columns} and {image.rows}: pass rows= and columns= "
            "to override them"
        )
    if bits > image.bits_allocated:
        raise DecodeError(
            f"The video has {bits}-bit samples, more than (0028,0100) Bits Allocated "
            f"{image.bits_allocated}: pass bits_allocated=16 to override it"
        )
    return _frames_from(picture, pictures, frame.index - start, frame.rgb_wanted, image.dtype)


def _decode(decoder: av.CodecContext, packets: list[bytes]) -> Iterator[av.VideoFrame]:
    for data in packets:
        yield from decoder.decode(av.Packet(data))
    yield from decoder.decode(None)


def _frames_from(
    picture: av.VideoFrame, pictures: Iterator[av.VideoFrame], skip: int, rgb: bool, dtype: np.dtype
) -> Iterator[np.ndarray]:
    for _ in range(skip):
        following = next(pictures, None)
        if following is None:
            return  # the stream ends before the frame wanted: the core reports both counts
        picture = following
    while True:
        yield _to_array(picture, rgb, dtype)
        picture = next(pictures, None)
        if picture is None:
            return


def _to_array(picture: av.VideoFrame, rgb: bool, dtype: np.dtype) -> np.ndarray:
    deep = "10" in picture.format.name
    if rgb:
        if not deep:
            return picture.to_ndarray(format="rgb24")
        # rgb48 spans 16 bits: back to the stream's 10 (PS3.3 C.7.6.3.1.2 keeps the depth).
        return np.right_shift(picture.to_ndarray(format="rgb48le"), 6).astype(dtype)
    planes = [_plane(p, np.dtype("<u2" if deep else "u1")) for p in picture.planes[:3]]
    rows, columns = planes[0].shape
    out = np.empty((rows, columns, 3), dtype)
    out[..., 0] = planes[0]
    for sample, plane in enumerate(planes[1:], start=1):
        # 4:2:0: each chroma sample covers 2 x 2 luma samples (PS3.3 C.7.6.3.1.2).
        out[..., sample] = plane.repeat(2, axis=0).repeat(2, axis=1)[:rows, :columns]
    return out


def _plane(plane: av.video.plane.VideoPlane, dtype: np.dtype) -> np.ndarray:
    width = plane.line_size // dtype.itemsize
    return np.frombuffer(plane, dtype).reshape(plane.height, width)[:, : plane.width]
