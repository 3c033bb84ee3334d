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


def _header(*segments: bytes) -> bytes:
    return b"\xff\xd8" + b"".join(segments) + b"\xff\xda\x00\x02"


def _segment(marker: int, body: bytes) -> bytes:
    return bytes([0xFF, marker]) + (len(body) + 2).to_bytes(2, "big") + body


SOF3_RGB = _segment(0xC3, b"\x08\x00\x02\x00\x03\x03" + b"\x01\x11\x00" * 3)


def test_jpeg_header_checks_what_libjpeg_warns_about():
    from dicom_pixels.codestream import jpeg_header_problem

    jfif = b"JFIF\x00\x01\x02\x00\x00\x01\x00\x01\x00\x00"
    assert jpeg_header_problem(_header(_segment(0xE0, jfif), SOF3_RGB)) is None
    bad_version = jfif[:5] + b"\x41" + jfif[6:]
    assert "JFIF APP0" in jpeg_header_problem(_header(_segment(0xE0, bad_version), SOF3_RGB))
    adobe = b"Adobe\x00\x64\x00\x00\x00\x00"
    assert jpeg_header_problem(_header(_segment(0xEE, adobe + b"\x00"), SOF3_RGB)) is None
    assert jpeg_header_problem(_header(_segment(0xEE, adobe + b"\x01"), SOF3_RGB)) is None
    for transform in (2, 255):
        problem = jpeg_header_problem(_header(_segment(0xEE, adobe + bytes([transform])), SOF3_RGB))
        assert f"colour transform {transform}" in problem
    assert "0xffd4" in jpeg_header_problem(_header(b"\xff\xd4", SOF3_RGB))
    assert "where a marker" in jpeg_header_problem(b"\xff\xd8\xfd\xc4\x00\x02")


def test_an_sof_segment_that_contradicts_its_component_count_is_refused_before_any_plugin():
    from dicom_pixels.codestream import header_mismatch
    from dicom_pixels.description import ImageDescription
    from dicom_pixels.uid import lookup

    image = ImageDescription(2, 3, 1, 8, 8, 0, "MONOCHROME2", "1.2.840.10008.1.2.4.80")
    good = b"\xff\xd8\xff\xf7\x00\x0b\x08\x00\x02\x00\x03\x01\x01\x11\x00"
    assert header_mismatch(lookup(image.transfer_syntax_uid), good, image) is None
    # Nf = 128 in an 11-byte segment: a backend would size its buffers from the header.
    bad = b"\xff\xd8\xff\xf7\x00\x0b\x08\xff\x00\x80\x00\x80\xff\x7f\xff"
    assert "SOF marker segment holds 11 bytes for 128" in header_mismatch(lookup(image.transfer_syntax_uid), bad, image)
    assert "cut short" in header_mismatch(lookup(image.transfer_syntax_uid), good[:10], image)
