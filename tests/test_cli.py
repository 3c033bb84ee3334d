"""The dicom-pixels command, as a user runs it."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import dicom_pixels as dp
from dicom_pixels.cli import main


def test_info_on_a_bundled_example_describes_the_image(capsys):
    assert main(["info", "ct"]) == 0
    out = capsys.readouterr().out
    assert "Explicit VR Little Endian" in out
    assert "128 x 128" in out
    assert "native" in out


def test_decode_to_npy_writes_the_array(tmp_path):
    out = tmp_path / "dose.npy"
    assert main(["decode", "rt_dose", "--frame", "3", "-o", str(out)]) == 0
    assert np.array_equal(np.load(out), dp.pixel_array(dp.examples.get_path("rt_dose"), index=3))


def test_decode_to_png_writes_a_png_of_the_right_size(tmp_path):
    out = tmp_path / "ct.png"
    assert main(["decode", "ct", "-o", str(out)]) == 0
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(data[16:20], "big") == 128  # IHDR width


def test_decode_rgb_example_to_png_keeps_colour(tmp_path):
    pil = __import__("pytest").importorskip("PIL.Image")
    out = tmp_path / "rgb.png"
    assert main(["decode", "rle_rgb", "-o", str(out)]) == 0
    assert np.array_equal(np.asarray(pil.open(out)), dp.pixel_array(dp.examples.get_path("rle_rgb")))


def test_plugins_lists_native_and_its_codecs(capsys):
    assert main(["plugins"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("native 0.1.0 (available)") or "\nnative 0.1.0 (available)" in out
    assert "RLELossless" in out


def test_plugins_lists_codestream_converters_beside_codecs(capsys):
    pytest.importorskip("imagecodecs", reason="the imagecodecs plugin declares the JPEG XL converters")
    assert main(["plugins"]) == 0
    out = capsys.readouterr().out
    out = "\n" + out
    block = out[out.index("\nimagecodecs ") :].split("\n", 2)[2]
    assert "    convert: JPEGBaseline8Bit -> JPEGXLJPEGRecompression (transcode, without decoding)" in block
    assert "    convert: JPEGXLJPEGRecompression -> JPEGBaseline8Bit" in block


def test_errors_are_reported_without_a_traceback(tmp_path, capsys):
    bad = tmp_path / "not.dcm"
    bad.write_bytes(b"hello world" * 20)
    assert main(["info", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("dicom-pixels: error:") and "Traceback" not in err


def test_the_console_script_is_installed():
    result = subprocess.run([sys.executable, "-m", "dicom_pixels.cli", "info", "mr"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "Implicit VR Little Endian" in result.stdout
