"""What the video transfer syntaxes allow, and what a stream's headers say (no backend needed).

DICOM fixes a profile and a highest level per video transfer syntax (PS3.5
8.2.5 MPEG-2, 8.2.6-8.2.7 MPEG-4 AVC/H.264, 8.2.8 HEVC/H.265). The values are
read from the stream's first sequence header (MPEG-2, ISO/IEC 13818-2 6.2.2.1
and 6.2.2.3) or sequence parameter set (H.264 7.3.2.1.1, HEVC 7.3.2.2 and
7.3.3), and the frame size and rate are checked against the level's limits
(H.264 Table A-1, HEVC Table A.8, MPEG-2 Table 8-10).

>>> parameters = read_parameters("h264", bytes.fromhex("0000000167640029ac"))
>>> parameters.profile, parameters.level
(100, 41)
>>> check_stream(SYNTAXES["1.2.840.10008.1.2.4.102"], parameters, 1920, 1080, 30.0)
>>> check_stream(SYNTAXES["1.2.840.10008.1.2.4.102"], parameters, 3840, 2160, 30.0)
Traceback (most recent call last):
...
dicom_pixels_pyav.stream.VideoConstraintError: ...3840 x 2160...
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from dicom_pixels.errors import DecodeError

__all__ = [
    "SYNTAXES",
    "StreamParameters",
    "VideoConstraintError",
    "VideoSyntax",
    "check_stream",
    "size_problems",
    "clean_start_points",
    "parameter_sets",
    "read_parameters",
]


class VideoConstraintError(DecodeError):
    """The video stream does not meet what its transfer syntax requires (PS3.5 8.2.5-8.2.8)."""


@dataclass(frozen=True)
class VideoSyntax:
    """What one video transfer syntax allows.

    :param codec: ``"mpeg2"``, ``"h264"`` or ``"hevc"``.
    :param profiles: the allowed profile numbers (MPEG-2 profile identification,
        H.264 ``profile_idc``, HEVC ``general_profile_idc``).
    :param max_level: the highest level (MPEG-2: the level identification, where a
        smaller number is a higher level; H.264: ``level_idc``; HEVC: ``general_level_idc``).
    :param max_width: the widest frame, in pixels.
    :param max_height: the tallest frame, in pixels.
    :param max_samples_per_frame: luma samples (H.264: macroblocks x 256) per frame.
    :param max_samples_per_second: luma samples per second.
    :param max_rate: the highest frame rate.
    :param bits: the sample depths allowed.
    """

    codec: str
    profiles: frozenset[int]
    max_level: int
    max_width: int
    max_height: int
    max_samples_per_frame: int
    max_samples_per_second: int
    max_rate: float
    bits: frozenset[int] = frozenset({8})

    def level_allowed(self, level: int) -> bool:
        """MPEG-2 level identifications count down (4 High, 6 High 1440, 8 Main, 10 Low)."""
        return level >= self.max_level if self.codec == "mpeg2" else level <= self.max_level


_MPEG2_MAIN_PROFILE = 4
_MPEG2_SIMPLE_PROFILE = 5
# H.264 profile_idc: 66 (constrained) Baseline, 77 Main, 100 High: a High Profile decoder
# decodes all three (H.264 A.2.4); 128 Stereo High.
_H264_UP_TO_HIGH = frozenset({66, 77, 100})
# H.264 Table A-1 for levels 4.1 and 4.2: MaxFS (macroblocks) and MaxMBPS.
_H264_41 = (8192 * 256, 245760 * 256)
_H264_42 = (8704 * 256, 522240 * 256)
# HEVC Table A.8, level 5.1: MaxLumaPs and MaxLumaSr; width and height at most sqrt(8 MaxLumaPs).
_HEVC_51 = (8912896, 534773760)
_HEVC_51_SIDE = math.isqrt(8 * 8912896)

#: The constraints of every video transfer syntax, by UID (PS3.5 8.2.5-8.2.8). The
#: "Fragmentable" variants (.1) store the same streams.
SYNTAXES: dict[str, VideoSyntax] = {}
for _uid, _syntax in {
    # MPEG-2 MP@ML: 720 x 576 at most, 25 or 30 frames/s (ISO/IEC 13818-2 Table 8-10).
    "1.2.840.10008.1.2.4.100": VideoSyntax(
        "mpeg2", frozenset({_MPEG2_MAIN_PROFILE, _MPEG2_SIMPLE_PROFILE}), 8, 720, 576,
        720 * 576, 10368000, 30.0,
    ),
    # MPEG-2 MP@HL: 1920 x 1152 at most, 60 frames/s.
    "1.2.840.10008.1.2.4.101": VideoSyntax(
        "mpeg2", frozenset({_MPEG2_MAIN_PROFILE, _MPEG2_SIMPLE_PROFILE}), 4, 1920, 1152,
        1920 * 1152, 62668800, 60.0,
    ),
    "1.2.840.10008.1.2.4.102": VideoSyntax("h264", _H264_UP_TO_HIGH, 41, 8192, 8192, *_H264_41, 172.0),
    # BD-compatible: level 4.1 and at most 1920 x 1080 (PS3.5 8.2.7).
    "1.2.840.10008.1.2.4.103": VideoSyntax("h264", _H264_UP_TO_HIGH, 41, 1920, 1080, *_H264_41, 60.0),
    "1.2.840.10008.1.2.4.104": VideoSyntax("h264", _H264_UP_TO_HIGH, 42, 8192, 8192, *_H264_42, 172.0),
    "1.2.840.10008.1.2.4.105": VideoSyntax("h264", _H264_UP_TO_HIGH, 42, 8192, 8192, *_H264_42, 172.0),
    "1.2.840.10008.1.2.4.106": VideoSyntax(
        "h264", _H264_UP_TO_HIGH | {128}, 42, 8192, 8192, *_H264_42, 172.0
    ),
    # HEVC Main (1) and Main 10 (2), level 5.1 (general_level_idc 153 = 30 x 5.1).
    "1.2.840.10008.1.2.4.107": VideoSyntax(
        "hevc", frozenset({1}), 153, _HEVC_51_SIDE, _HEVC_51_SIDE, *_HEVC_51, 300.0
    ),
    "1.2.840.10008.1.2.4.108": VideoSyntax(
        "hevc", frozenset({1, 2}), 153, _HEVC_51_SIDE, _HEVC_51_SIDE, *_HEVC_51, 300.0,
        frozenset({8, 10}),
    ),
}.items():
    SYNTAXES[_uid] = _syntax
    if _uid not in ("1.2.840.10008.1.2.4.107", "1.2.840.10008.1.2.4.108"):
        SYNTAXES[_uid + ".1"] = _syntax


@dataclass(frozen=True)
class StreamParameters:
    """The profile and level a stream declares in its first sequence header / SPS.

    :param profile: as in :class:`VideoSyntax`.
    :param level: as in :class:`VideoSyntax`.
    :param rate: the frame rate the MPEG-2 sequence header states, else ``None``.
    """

    profile: int
    level: int
    rate: float | None = None


_START_CODE = re.compile(b"\x00\x00\x01")
_MPEG2_RATES = {1: 24000 / 1001, 2: 24.0, 3: 25.0, 4: 30000 / 1001, 5: 30.0, 6: 50.0, 7: 60000 / 1001, 8: 60.0}


def _units(data: bytes) -> list[tuple[int, int]]:
    """(start of the unit after its start code, end) of every start-code unit."""
    starts = [m.end() for m in _START_CODE.finditer(data)]
    return [(start, (starts[i + 1] - 3) if i + 1 < len(starts) else len(data)) for i, start in enumerate(starts)]


def _unescape(payload: bytes) -> bytes:
    # H.264 7.4.1 / HEVC 7.4.2: 00 00 03 carries 00 00 (emulation prevention).
    return payload.replace(b"\x00\x00\x03", b"\x00\x00")


def _nal_type(codec: str, byte: int) -> int:
    return byte & 0x1F if codec == "h264" else (byte >> 1) & 0x3F


def read_parameters(codec: str, data: bytes) -> StreamParameters:
    """Read the profile and level of the first sequence header (MPEG-2) or SPS.

    :raises VideoConstraintError: none is found in *data*.

    >>> read_parameters("mpeg2", bytes.fromhex("000001b32d0240330000000000000001b5148a"))
    StreamParameters(profile=4, level=8, rate=25.0)
    """
    rate: float | None = None
    profile = None
    for start, end in _units(data):
        unit = data[start:end]
        if not unit:
            continue
        if codec == "mpeg2":
            if unit[0] == 0xB3 and len(unit) >= 5:
                rate = _MPEG2_RATES.get(unit[4] & 0x0F)
            elif unit[0] == 0xB5 and len(unit) >= 3 and unit[1] >> 4 == 1:
                # sequence_extension: extension id 1, then the 8-bit profile_and_level_indication.
                indication = ((unit[1] & 0x0F) << 4) | (unit[2] >> 4)
                return StreamParameters((indication >> 4) & 0x07, indication & 0x0F, rate)
            elif unit[0] == 0x00 and profile is None and rate is not None:
                # A picture before any sequence extension: MPEG-1, which has no profile.
                break
        elif codec == "h264" and _nal_type(codec, unit[0]) == 7 and len(unit) >= 4:
            sps = _unescape(unit[1:8])
            return StreamParameters(sps[0], sps[2])
        elif codec == "hevc" and _nal_type(codec, unit[0]) == 33 and len(unit) >= 16:
            sps = _unescape(unit[2:24])
            return StreamParameters(sps[1] & 0x1F, sps[12])
    what = {"mpeg2": "MPEG-2 sequence header and extension", "h264": "H.264 sequence parameter set",
            "hevc": "HEVC sequence parameter set"}[codec]
    raise VideoConstraintError(
        f"The video stream has no {what} at its start, so its profile and level are unknown: "
        "the pixel data is not a video elementary stream of its transfer syntax (PS3.5 A.4.5-A.4.7)"
    )


def check_stream(
    syntax: VideoSyntax, parameters: StreamParameters, width: int, height: int, rate: float | None,
    bits: int = 8,
) -> None:
    """Raise :class:`VideoConstraintError` naming each way the stream breaks *syntax*'s rules."""
    problems = []
    if parameters.profile not in syntax.profiles:
        problems.append(f"profile {parameters.profile} (allowed: {sorted(syntax.profiles)})")
    if not syntax.level_allowed(parameters.level):
        problems.append(f"level {parameters.level} (at most {syntax.max_level})")
    problems += size_problems(syntax, width, height, rate, bits)
    if problems:
        raise VideoConstraintError(
            "The video stream does not meet its transfer syntax's constraints (PS3.5 8.2.5-8.2.8): "
            + "; ".join(problems)
            + ". Store it with the transfer syntax of its profile and level (e.g. HEVC for larger "
            "frames), or re-encode it (dicom_pixels.transcode)"
        )


def size_problems(syntax: VideoSyntax, width: int, height: int, rate: float | None, bits: int = 8) -> list[str]:
    """What in the frame size, rate and depth exceeds *syntax*'s level (empty when nothing does).

    >>> size_problems(SYNTAXES["1.2.840.10008.1.2.4.100"], 720, 576, 25.0)
    []
    """
    problems = []
    if bits not in syntax.bits:
        problems.append(f"{bits}-bit samples (allowed: {sorted(syntax.bits)})")
    if syntax.codec == "h264":
        # Sizes count whole macroblocks (H.264 A.3.1: PicWidthInMbs x FrameHeightInMbs).
        samples = math.ceil(width / 16) * math.ceil(height / 16) * 256
    else:
        samples = width * height
    if width > syntax.max_width or height > syntax.max_height or samples > syntax.max_samples_per_frame:
        problems.append(
            f"frames of {width} x {height} (at most {syntax.max_width} x {syntax.max_height}, "
            f"{syntax.max_samples_per_frame} luma samples)"
        )
    if rate is not None and (rate > syntax.max_rate + 0.01 or samples * rate > syntax.max_samples_per_second):
        problems.append(
            f"{rate:g} frames/s of {width} x {height} (at most {syntax.max_rate:g} frames/s and "
            f"{syntax.max_samples_per_second} luma samples/s)"
        )
    return problems


def clean_start_points(codec: str, packets: list[bytes]) -> list[int]:
    """The packets decoding may start at and give every later frame in display order.

    An IDR picture (H.264 7.4.1.2.4, HEVC 8.1.3) or an MPEG-2 closed GOP (13818-2
    6.3.8) is referenced by nothing before it, and no picture after it is shown
    before a picture that precedes it: decoding from there gives frames from the
    packet's position on. Open GOPs (HEVC CRA, MPEG-2 without ``closed_gop``) would
    drop or corrupt leading pictures, so they are not start points; packet 0 always is.

    >>> clean_start_points("h264", [b"\\x00\\x00\\x01\\x65", b"\\x00\\x00\\x01\\x41", b"\\x00\\x00\\x01\\x65"])
    [0, 2]
    """
    points = [0]
    for index, packet in enumerate(packets[1:], start=1):
        for start, end in _units(packet):
            if start >= end:
                continue
            first = packet[start]
            if codec == "mpeg2":
                # group_of_pictures_header: 25-bit time code, then closed_gop.
                clean = first == 0xB8 and end - start >= 5 and bool(packet[start + 4] & 0x40)
            else:
                clean = _nal_type(codec, first) in ((5,) if codec == "h264" else (19, 20))
            if clean:
                points.append(index)
                break
    return points


def parameter_sets(codec: str, packets: list[bytes]) -> bytes:
    """The sequence/picture parameter sets a decoder starting mid-stream needs first.

    Encoders often write them once at the start of the stream (x264 does): they are
    taken from the first packet, every unit up to the first picture.

    >>> parameter_sets("h264", [b"\\x00\\x00\\x01\\x67\\x64\\x00\\x00\\x00\\x01\\x68\\xee\\x00\\x00\\x01\\x65\\x88"]).hex()
    '00000167640000000168ee'
    """
    first = packets[0] if packets else b""
    kept = bytearray()
    in_sequence = False  # MPEG-2: inside a sequence header and its extensions (6.2.2)
    for start, end in _units(first):
        if start >= end:
            continue
        byte = first[start]
        if codec == "mpeg2":
            in_sequence = byte == 0xB3 or (in_sequence and byte == 0xB5)
            wanted = in_sequence
        elif codec == "h264":
            wanted = _nal_type(codec, byte) in (7, 8)
        else:
            wanted = _nal_type(codec, byte) in (32, 33, 34)
        if wanted:
            kept += b"\x00\x00\x01" + first[start:end]
    return bytes(kept)
