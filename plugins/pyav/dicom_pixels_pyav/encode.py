"""Encoding frames into an MPEG-2, H.264 or HEVC elementary stream through PyAV.

Every encoder is set up for what the transfer syntax requires (PS3.5
8.2.5-8.2.8): MPEG-2 Main Profile with closed GOPs (so any GOP is a point a
single-frame read may start at), H.264 High Profile and HEVC Main / Main 10
without open GOPs, 4:2:0 chroma (YBR_PARTIAL_420), at the syntax's level, a key
frame at least every ``gop`` frames (the most a single-frame read decodes).
The frames come from the core one at a time and are encoded as they come.

Options (``compress(ds, "MPEG4HP41", quality=90)``): ``quality`` 1-100 (default
80), ``frame_rate`` frames/s (the core takes it from Cine Rate or Frame Time),
``gop`` (default 30).

>>> import numpy as np
>>> stream = encode_stream(np.zeros((4, 32, 48, 3), "u1"), "MPEG4HP41", rate=25)
>>> stream[:4].hex()
'00000001'
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from fractions import Fraction

import av
import numpy as np

from dicom_pixels import EncodeFrame
from dicom_pixels.errors import DecodeError, EncodeError, EncodingProfileError
from dicom_pixels.uid import lookup

from .stream import SYNTAXES, check_stream, read_parameters, size_problems

__all__ = ["DEFAULT_GOP", "DEFAULT_QUALITY", "encode_stream", "encode_video"]

#: Quality 1-100 when none is given.
DEFAULT_QUALITY = 80
#: The largest distance between key frames when none is given: about a second of video.
DEFAULT_GOP = 30
_DEFAULT_RATE = 25.0

#: PyAV encoder and raw-stream muxer per codec.
_ENCODERS = {"mpeg2": ("mpeg2video", "mpeg2video"), "h264": ("libx264", "h264"), "hevc": ("libx265", "hevc")}


def encode_video(frames: Iterator[np.ndarray], frame: EncodeFrame) -> bytes:
    """The codec the core calls for a video syntax: every frame in, one stream out."""
    frame.info["photometric_interpretation"] = "YBR_PARTIAL_420"
    return encode_stream(
        frames,
        frame.image.transfer_syntax.uid,
        rate=float(frame.option("frame_rate") or _DEFAULT_RATE),
        quality=int(frame.option("quality") or DEFAULT_QUALITY),
        gop=int(frame.option("gop") or DEFAULT_GOP),
    )


def encode_stream(
    frames: Iterable[np.ndarray], syntax_uid: str, *, rate: float = _DEFAULT_RATE,
    quality: int = DEFAULT_QUALITY, gop: int = DEFAULT_GOP,
) -> bytes:
    """Encode RGB *frames* (each ``(rows, cols, 3)``, 8-bit) as one elementary stream.

    :param syntax_uid: the target transfer syntax UID or keyword (``"MPEG4HP41"``).
    :param rate: frames per second, written in the stream's timing.
    :param quality: 1 (smallest) to 100 (best): x264/x265 CRF 51 to 0, MPEG-2 qscale 31 to 1.
    :param gop: the largest distance between key frames.
    :raises EncodingProfileError: the frames are too large or too fast for the syntax's level.
    :raises EncodeError: the encoder fails, or its stream breaks the syntax's constraints.
    """
    syntax = SYNTAXES[lookup(syntax_uid).uid]
    encoder_name, muxer = _ENCODERS[syntax.codec]
    crf = str(round(51 - quality * 51 / 100))
    out = io.BytesIO()
    frames = iter(frames)
    first = next(frames, None)
    if first is None:
        raise EncodeError("There is no frame to encode")
    height, width = first.shape[:2]
    problems = size_problems(syntax, width, height, rate)
    if problems:
        raise EncodingProfileError(
            f"The frames cannot be stored as '{lookup(syntax_uid).name}' (PS3.5 8.2.5-8.2.8): "
            + "; ".join(problems) + ". Choose a syntax of a higher level (HEVC for the largest)"
        )
    try:
        with av.open(out, "w", format=muxer) as container:
            video = container.add_stream(encoder_name, rate=Fraction(rate).limit_denominator(1001))
            video.width, video.height = width, height
            video.pix_fmt = "yuv420p"
            context = video.codec_context
            context.gop_size = gop
            if syntax.codec == "h264":
                # High Profile at the syntax's level (PS3.5 8.2.6); IDR key frames only.
                video.options = {"crf": crf, "profile": "high", "level": f"{syntax.max_level / 10:.1f}"}
            elif syntax.codec == "hevc":
                video.options = {
                    "crf": crf,
                    "x265-params": f"log-level=error:level-idc={syntax.max_level / 30:.1f}:open-gop=0",
                }
            else:
                context.qmin = context.qmax = max(1, round(31 - quality * 30 / 100))
                context.flags |= av.codec.context.Flags.closed_gop  # 13818-2 6.3.8
                # FFmpeg refuses closed GOPs with scene-change key frames ("not yet implemented").
                video.options = {"sc_threshold": "1000000000"}
            for array in _chain(first, frames):
                picture = av.VideoFrame.from_ndarray(np.ascontiguousarray(array, "u1"), format="rgb24")
                for packet in video.encode(picture):
                    container.mux(packet)
            for packet in video.encode(None):
                container.mux(packet)
    except av.FFmpegError as exc:
        raise EncodeError(f"{encoder_name} could not encode the frames: {exc}") from exc
    stream = out.getvalue()
    # What the encoder wrote must be what the syntax allows (PS3.5 8.2.5-8.2.8).
    try:
        check_stream(syntax, read_parameters(syntax.codec, stream), width, height, rate)
    except DecodeError as exc:
        raise EncodeError(f"{encoder_name} wrote a stream the transfer syntax does not allow: {exc}") from exc
    return stream


def _chain(first: np.ndarray, rest: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    yield first
    yield from rest
