"""What the command line writes and shows (issue 13, point 3)."""

from __future__ import annotations

import os
import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

import dicom_pixels as dp
from dicom_pixels.cli import build_parser, main
from dicom_pixels.processing import apply_color_lut

COMMAND = [sys.executable, "-m", "dicom_pixels"]


def read_png(path: Path) -> np.ndarray:
    """Decode the PNGs the CLI writes (8-bit grey or RGB, filter 0) with zlib alone."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, colour = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big"), data[24], data[25]
    assert depth == 8
    channels = {0: 1, 2: 3}[colour]
    idat, position = b"", 8
    while position < len(data):
        length = int.from_bytes(data[position:position + 4], "big")
        if data[position + 4:position + 8] == b"IDAT":
            idat += data[position + 8:position + 8 + length]
        position += 12 + length
    rows = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(height, 1 + width * channels)
    assert not rows[:, 0].any()  # filter type 0 on every scanline
    pixels = rows[:, 1:].reshape(height, width, channels)
    return pixels[..., 0] if channels == 1 else pixels


def test_python_dash_m_runs_the_command():
    result = subprocess.run([*COMMAND, "--version"], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and result.stdout.strip() == f"dicom-pixels {dp.__version__}"


@pytest.mark.parametrize("command", [[], ["info"], ["plugins"], ["decode"], ["transcode"]])
def test_help_shows_no_rest_markup(command):
    result = subprocess.run([*COMMAND, *command, "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert "usage: dicom-pixels" in result.stdout
    for markup in ("``", ":class:", ":func:", ":mod:", "::"):
        assert markup not in result.stdout, (markup, result.stdout)


def test_options_may_come_before_or_after_the_inputs(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    assert main(["transcode", "ct", "mr", "--to", "RLELossless", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["ct.dcm", "mr.dcm"]
    assert main(["transcode", "--to", "RLELossless", "--quiet", "rt_dose", str(tmp_path / "d.dcm")]) == 0
    assert main(["decode", "-o", str(tmp_path / "a.npy"), "ct"]) == 0
    assert main(["decode", "ct", "--frame", "0", "-o", str(tmp_path / "b.npy"), "--raw"]) == 0
    capsys.readouterr()
    for name in ("ct", "mr"):
        np.testing.assert_array_equal(dp.pixel_array(out / f"{name}.dcm"), dp.pixel_array(dp.examples.get_path(name)))
    np.testing.assert_array_equal(np.load(tmp_path / "a.npy"), np.load(tmp_path / "b.npy"))


def test_a_png_of_a_multi_frame_file_says_which_frame(tmp_path, capsys):
    out = tmp_path / "dose.png"
    assert main(["decode", "rt_dose", "-o", str(out)]) == 0
    said = capsys.readouterr().out
    assert "frame 0 of 8" in said and "--all-frames" in said
    assert main(["decode", "rt_dose", "--frame", "5", "-o", str(out)]) == 0
    assert "frame 5 of 8" in capsys.readouterr().out
    frame = dp.pixel_array(dp.examples.get_path("rt_dose"), index=5)
    expected = np.rint((frame - frame.min()) * (255.0 / (frame.max() - frame.min())))
    np.testing.assert_array_equal(read_png(out), expected.astype(np.uint8))


def test_all_frames_writes_every_frame_numbered(tmp_path, capsys):
    assert main(["decode", "rt_dose", "--all-frames", "-o", str(tmp_path / "dose.png")]) == 0
    assert "wrote 8 frames" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"dose_{i}.png" for i in range(8)]
    frames = dp.pixel_array(dp.examples.get_path("rt_dose"))
    for i, frame in enumerate(frames):
        png = read_png(tmp_path / f"dose_{i}.png")
        assert png.shape == frame.shape
        assert png.argmax() == frame.argmax() and png.argmin() == frame.argmin()


def test_all_frames_needs_a_png_output(tmp_path, capsys):
    assert main(["decode", "rt_dose", "--all-frames", "-o", str(tmp_path / "d.npy")]) == 1
    assert "--all-frames" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_palette_color_image_is_written_in_colour(tmp_path):
    out = tmp_path / "palette.png"
    assert main(["decode", "palette_color", "-o", str(out)]) == 0
    meta: dict = {}
    stored = dp.pixel_array(dp.examples.get_path("palette_color"), ds_out=meta)
    expected = (apply_color_lut(stored, meta) >> 8).astype(np.uint8)  # 16-bit palette entries
    png = read_png(out)
    assert png.shape == (*stored.shape, 3)
    np.testing.assert_array_equal(png, expected)
    assert (png[..., 0] != png[..., 1]).any()  # colours, not grey
    assert main(["decode", "palette_color", "--raw", "-o", str(out)]) == 0
    assert read_png(out).ndim == 2  # --raw: the stored indices, grey


def test_plugins_with_nothing_installed_says_so_and_how_to_install():
    result = subprocess.run([*COMMAND, "plugins"], capture_output=True, text=True, check=False,
                            env={**os.environ, "DICOM_PIXELS_PLUGINS": "no-such-plugin"})
    assert result.returncode == 1
    assert "No codec plugin is installed" in result.stdout
    assert 'pip install "dicom-pixels[native]"' in result.stdout
    assert "DICOM_PIXELS_PLUGINS" in result.stdout


def run_on_terminal(*argv: str) -> tuple[int, str]:
    """Run the command with stderr on a pseudo-terminal; return (status, what the terminal got)."""
    fcntl = pytest.importorskip("fcntl", reason="pseudo-terminals are POSIX")
    pty = pytest.importorskip("pty")
    termios = pytest.importorskip("termios")
    controller, terminal = pty.openpty()
    # A new pseudo-terminal is 0 columns wide: give it a real terminal's size.
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    with subprocess.Popen([*COMMAND, *argv], stdout=subprocess.DEVNULL, stderr=terminal) as process:
        os.close(terminal)
        chunks = []
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the terminal closed: the process ended
                break
            if not chunk:
                break
            chunks.append(chunk)
        status = process.wait()
    os.close(controller)
    return status, b"".join(chunks).decode(errors="replace")


def test_a_progress_bar_shows_on_a_terminal_only(tmp_path):
    status, shown = run_on_terminal("decode", "rt_dose", "--all-frames", "-o", str(tmp_path / "a.png"))
    assert status == 0
    assert re.search(r"a\.png: +\d+%\|.*\| \d/8", shown), shown
    status, shown = run_on_terminal("decode", "rt_dose", "--all-frames", "--quiet", "-o", str(tmp_path / "b.png"))
    assert status == 0 and shown == ""
    piped = subprocess.run([*COMMAND, "decode", "rt_dose", "--all-frames", "-o", str(tmp_path / "c.png")],
                           capture_output=True, text=True, check=False)
    assert piped.returncode == 0 and piped.stderr == ""
    assert len(list(tmp_path.glob("*.png"))) == 24


def test_transcode_shows_progress_on_a_terminal(tmp_path):
    status, shown = run_on_terminal("transcode", "rt_dose", str(tmp_path / "d.dcm"), "--to", "RLELossless")
    assert status == 0
    assert re.search(r"rt_dose\.dcm: +\d+%\|.*\| \d/8", shown), shown
    status, shown = run_on_terminal("transcode", "ct", "mr", "rt_dose", str(tmp_path / "out"), "--to", "RLELossless")
    assert status == 0
    assert re.search(r"files: +\d+%\|.*\| \d/3", shown), shown


def test_help_lists_every_command_and_the_examples():
    text = build_parser().format_help()
    for command in ("info", "plugins", "decode", "transcode"):
        assert command in text
    assert ", ".join(dp.examples.names()) in text
