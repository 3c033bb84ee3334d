"""Encoding frames into an MPEG-2, H.264 or HEVC elementary stream through PyAV.

Every encoder is set up for what the transfer syntax requires (PS3.5
8.2.5-8.2.8): MPEG-2 Main Profile (closed GOPs, so any GOP is a start point),
H.264 High Profile and HEVC Main / Main 10, 4:2:0 chroma, at a level no higher
than the syntax allows, with a key frame at least every ``gop`` frames (the
distance a single-frame read has to decode at most).

>>> import numpy as np
>>> frames = np.zeros((4, 32, 48, 3), "u1")
>>> stream = encode_stream(frames, "MPEG4HP41", rate=25)
>>> stream[:4].hex()
'00000001'
"""

from __future__ import annotations

import io
from collections.abc import Iterable

import av
import numpy as np

from dicom_pixels.errors import EncodeError

from .stream import SYNTAXES

__all__ = ["DEFAULT_QUALITY", "encode_stream"]

#: Quality 0-100 when none is given: visually lossless for typical endoscopy video.
DEFAULT_QUALITY = 80

_ENCODERS = {"mpeg2": ("mpeg2video", "mpeg2video"), "h264": ("libx264", "h264"), "hevc": ("libx265", "hevc")}


def encode_stream(
    frames: Iterable[np.ndarray],
    syntax_uid: str,
    *,
    rate: float = 25.0,
    quality: int = DEFAULT_QUALITY,
    gop: int = 30,
    rgb: bool = True,
) -> bytes:
    """Encode *frames* (each ``(rows, cols, 3)`` RGB, or YBR_FULL when ``rgb=False``) as one stream.

    :param syntax_uid: the target transfer syntax UID or keyword (``"MPEG4HP41"``).
    :param rate: frames per second (stored in the stream's timing and in Cine Rate).
    :param quality: 0 (smallest) to 100 (best); mapped to the encoder's constant
        quality scale (x264/x265 CRF 51-0, MPEG-2 qscale 31-1).
    :param gop: the largest distance between key frames.
    :raises EncodeError: the encoder fails or the frames do not fit the syntax.
    """
    from dicom_pixels.uid import lookup

    syntax = SYNTAXES[lookup(syntax_uid).uid]
    encoder_name, muxer = _ENCODERS[syntax.codec]
    if not 0 <= quality <= 100:
        raise EncodeError(f"quality must be 0 to 100, not {quality!r}")
    out = io.BytesIO()
    options: dict[str, str] = {}
    if syntax.codec == "h264":
        # High Profile (PS3.5 8.2.6); level written as the syntax's highest.
        crf = round(51 - quality * 51 / 100)
        options = {"crf": str(crf), "profile": "high", "level": f"{syntax.max_level / 10:.1f}"}
    elif syntax.codec == "hevc":
        crf = round(51 - quality * 51 / 100)
        options = {"crf": str(crf), "x265-params": f"log-level=error:level-idc={syntax.max_level / 30:.1f}:open-gop=0"}
    try:
        with av.open(out, "w", format=muxer) as container:
            video = container.add_stream(encoder_name, rate=_fraction(rate))
            video.pix_fmt = "yuv420p"
            video.codec_context.gop_size = gop
            video.options = options
            if syntax.codec == "mpeg2":
                qscale = max(1, round(31 - quality * 30 / 100))
                video.codec_context.qmin = video.codec_context.qmax = qscale
                # Closed GOPs: each GOP is a point a decode may start at (13818-2 6.3.8).
                video.codec_context.flags |= av.codec.context.Flags.closed_gop
                video.codec_context.profile = 4  # Main
                video.options = {"level": "8" if syntax.max_level == 8 else "4"}
            started = False
            for array in frames:
                if not started:
                    video.height, video.width = array.shape[:2]
                    started = True
                picture = av.VideoFrame.from_ndarray(np.ascontiguousarray(array), format="rgb24")
                if not rgb:
                    raise EncodeError("only RGB input is encoded; convert YBR_FULL to RGB first")
                for packet in video.encode(picture):
                    container.mux(packet)
            for packet in video.encode(None):
                container.mux(packet)
    except av.FFmpegError as exc:
        raise EncodeError(f"{encoder_name} could not encode the frames: {exc}") from exc
    return out.getvalue()


def _fraction(rate: float) -> object:
    from fractions import Fraction

    return Fraction(rate).limit_denominator(1001)
