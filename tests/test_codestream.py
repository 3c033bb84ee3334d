"""Codestream header parsing shared by the core and the plugins."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from dicom_pixels.codestream import jpeg_parameters

SOF = b"\xff\xd8\xff\xc0\x00\x0b\x08\x00\x02\x00\x03\x01\x01\x11\x00"


def _with_width(width: int) -> bytes:
    return SOF[:9] + width.to_bytes(2, "big") + SOF[11:]


def test_the_same_bytes_object_is_parsed_once_and_other_objects_are_parsed_again():
    data = _with_width(3)
    first = jpeg_parameters(data)
    assert jpeg_parameters(data) is first
    assert jpeg_parameters(_with_width(7))["width"] == 7
    assert jpeg_parameters(data)["width"] == 3


def test_a_mutable_buffer_is_never_served_from_the_cache():
    buffer = bytearray(_with_width(3))
    assert jpeg_parameters(buffer)["width"] == 3
    buffer[9:11] = (9).to_bytes(2, "big")
    assert jpeg_parameters(buffer)["width"] == 9


def test_threads_each_get_their_own_frames_parameters():
    frames = [_with_width(w) for w in range(1, 200)]
    with ThreadPoolExecutor(8) as pool:
        widths = list(pool.map(lambda f: jpeg_parameters(f)["width"], frames))
    assert widths == list(range(1, 200))
