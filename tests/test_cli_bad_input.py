"""The command line never shows a traceback (issue 13, point 3): for every bad input, one
message naming what is wrong and what to do, a non-zero exit status, and nothing left at
the destination."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import dicom_pixels as dp
from dicom_pixels.cli import main

from .filesystem_support import tmpfs


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """Run the command in-process: (exit status, stdout, stderr)."""
    try:
        status = main(list(argv))
    except SystemExit as exc:  # argparse's usage errors
        status = int(exc.code or 0)
    out, err = capsys.readouterr()
    return status, out, err


def assert_one_message(err: str, *fragments: str) -> None:
    assert "Traceback" not in err
    message = [line for line in err.splitlines() if "error:" in line]
    assert len(message) == 1, err
    for fragment in fragments:
        assert fragment in message[0], err


def listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


@pytest.fixture
def small_disk(tmp_path):
    """A 64 KiB tmpfs: a full disk after the first few writes."""
    (tmp_path / "small").mkdir()
    with tmpfs(tmp_path / "small", "size=64k") as directory:
        yield directory


@pytest.fixture
def read_only_dir(tmp_path):
    """A directory nobody can write in: mode 0500, or a read-only tmpfs for root (whom
    permissions do not stop)."""
    directory = tmp_path / "read_only"
    directory.mkdir()
    if os.geteuid() != 0:
        directory.chmod(0o500)
        yield directory
        directory.chmod(0o700)
        return
    with tmpfs(directory, "ro,size=64k"):
        yield directory


@pytest.mark.parametrize("value", ["abc", "40", "40,400,3", "40,0"])
def test_a_bad_window_is_a_usage_error_naming_the_option(tmp_path, capsys, value):
    status, _, err = run(capsys, "decode", "ct", "-o", str(tmp_path / "ct.png"), "--window", value)
    assert status == 2
    assert_one_message(err, "argument --window", value)
    assert listing(tmp_path) == []


@pytest.mark.parametrize("option", ["--j2k-cr", "--j2k-psnr"])
def test_a_non_number_for_a_j2k_option_is_a_usage_error_naming_it(tmp_path, capsys, option):
    status, _, err = run(capsys, "transcode", "ct", str(tmp_path / "ct.dcm"), "--to",
                         "JPEG2000", option, "ten")
    assert status == 2
    assert_one_message(err, f"argument {option}", "'ten'", "e.g. 20")
    assert listing(tmp_path) == []


@pytest.mark.parametrize("command", ["decode", "transcode"])
def test_a_missing_output_directory_is_named(tmp_path, capsys, command):
    target = tmp_path / "missing" / ("ct.png" if command == "decode" else "ct.dcm")
    argv = ["decode", "ct", "-o", str(target)] if command == "decode" else [
        "transcode", "ct", str(target), "--to", "RLELossless"]
    status, _, err = run(capsys, *argv)
    assert status == 1
    assert_one_message(err, f"'{target.parent}' does not exist", "create it")
    assert listing(tmp_path) == []


def test_several_inputs_into_a_directory_whose_parent_is_missing(tmp_path, capsys):
    status, _, err = run(capsys, "transcode", "ct", "mr", str(tmp_path / "a" / "b"), "--to", "RLELossless")
    assert status == 1
    assert_one_message(err, "do not exist")
    assert listing(tmp_path) == []


@pytest.mark.parametrize("command", ["decode", "transcode"])
def test_an_unwritable_output_directory_is_named(read_only_dir, capsys, command):
    target = read_only_dir / ("ct.npy" if command == "decode" else "ct.dcm")
    argv = ["decode", "ct", "-o", str(target)] if command == "decode" else [
        "transcode", "ct", str(target), "--to", "RLELossless"]
    status, _, err = run(capsys, *argv)
    assert status == 1
    assert_one_message(err, f"'{target}'" if command == "decode" else str(read_only_dir))
    assert "Read-only file system" in err or "Permission denied" in err
    assert listing(read_only_dir) == []


def test_a_directory_as_input_is_named(tmp_path, capsys):
    status, _, err = run(capsys, "decode", str(tmp_path), "-o", str(tmp_path / "x.npy"))
    assert status == 1
    assert_one_message(err, f"'{tmp_path}' is a directory", "pass one of the files")
    assert listing(tmp_path) == []


@pytest.mark.parametrize("command", ["info", "decode", "transcode"])
def test_a_non_dicom_file_as_input_is_named(tmp_path, capsys, command):
    bad = tmp_path / "notes.txt"
    bad.write_text("not a DICOM file\n" * 20)
    argv = {"info": ["info", str(bad)], "decode": ["decode", str(bad), "-o", str(tmp_path / "x.png")],
            "transcode": ["transcode", str(bad), str(tmp_path / "x.dcm"), "--to", "RLELossless"]}[command]
    status, _, err = run(capsys, *argv)
    assert status == 1
    assert_one_message(err, "notes.txt")
    assert listing(tmp_path) == ["notes.txt"]


def test_an_unknown_example_name_lists_the_examples(tmp_path, capsys):
    status, _, err = run(capsys, "decode", "cat", "-o", str(tmp_path / "x.png"))
    assert status == 1
    assert_one_message(err, "'cat' is neither a file nor a bundled example", ", ".join(dp.examples.names()))
    assert listing(tmp_path) == []


@pytest.mark.parametrize("suffix", [".npy", ".png"])
def test_a_frame_index_out_of_range_names_the_frame_count(tmp_path, capsys, suffix):
    status, _, err = run(capsys, "decode", "rt_dose", "--frame", "8", "-o", str(tmp_path / f"d{suffix}"))
    assert status == 1
    assert_one_message(err, "no frame 8", "holds 8 frames (indices 0 to 7)")
    assert listing(tmp_path) == []


def test_a_negative_frame_index_names_the_argument(tmp_path, capsys):
    status, _, err = run(capsys, "decode", "rt_dose", "--frame", "-1", "-o", str(tmp_path / "d.npy"))
    assert status == 1
    assert_one_message(err, "'index' must be greater than or equal to 0")
    assert listing(tmp_path) == []


def test_an_unknown_output_type_names_the_choices(tmp_path, capsys):
    status, _, err = run(capsys, "decode", "ct", "-o", str(tmp_path / "ct.jpg"))
    assert status == 1
    assert_one_message(err, "'.jpg'", ".npy or .png")
    assert listing(tmp_path) == []


def test_decode_onto_a_full_disk_leaves_nothing(small_disk, capsys):
    # The mammogram is 512 x 416 x 2 bytes = 416 KiB: it cannot fit in 64 KiB.
    status, _, err = run(capsys, "decode", "mg", "-o", str(small_disk / "mg.npy"))
    assert status == 1
    assert_one_message(err, "mg.npy", "No space left on device")
    assert listing(small_disk) == []


def test_all_frames_onto_a_full_disk_keep_the_frames_written_and_no_partial_one(small_disk, capsys):
    # 12 of the 16 pages taken: a few frames fit (each file takes a page), then the disk is full.
    (small_disk / "filler").write_bytes(b"\0" * 48 * 1024)
    status, _, err = run(capsys, "decode", "rt_dose", "--all-frames", "-o", str(small_disk / "d.png"))
    assert status == 1
    assert_one_message(err, "No space left on device")
    written = [name for name in listing(small_disk) if name != "filler"]
    assert 0 < len(written) < 8
    assert written == [f"d_{i}.png" for i in range(len(written))]  # whole frames only, no temporary file
    for name in written:
        assert (small_disk / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_transcode_onto_a_full_disk_leaves_nothing(small_disk, capsys):
    status, _, err = run(capsys, "transcode", "mg", str(small_disk / "mg.dcm"), "--to", "ExplicitVRLittleEndian")
    assert status == 1
    assert_one_message(err, "mg.dcm", "No space left on device")
    assert listing(small_disk) == []


def test_an_existing_output_is_kept_whole_when_the_new_one_fails(small_disk, capsys):
    previous = small_disk / "ct.npy"
    previous.write_bytes(b"the earlier result")
    status, _, _ = run(capsys, "decode", "mg", "-o", str(previous))
    assert status == 1
    assert previous.read_bytes() == b"the earlier result"
    assert listing(small_disk) == ["ct.npy"]


def test_one_failing_file_among_several_is_reported_and_the_others_written(tmp_path, capsys):
    bad = tmp_path / "bad.dcm"
    bad.write_bytes(b"\x00" * 300)
    out = tmp_path / "out"
    status, stdout, err = run(capsys, "transcode", "ct", str(bad), "mr", str(out), "--to", "RLELossless")
    assert status == 1
    assert "Traceback" not in err and "bad.dcm" in err and "1 of 3 files failed" in err
    assert listing(out) == ["ct.dcm", "mr.dcm"]
    assert "wrote" in stdout


def test_an_internal_error_is_one_line_saying_where_to_report_it(tmp_path, capsys, monkeypatch):
    import dicom_pixels.cli as cli

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(cli, "pixel_array", broken)  # stands for any bug: the real code path around it runs
    status, _, err = run(capsys, "decode", "ct", "-o", str(tmp_path / "ct.npy"))
    assert status == 1
    assert err.count("\n") == 1 and "internal error: ZeroDivisionError: a bug" in err and "report" in err
    assert listing(tmp_path) == []


def test_python_dash_m_reports_a_bad_input_without_a_traceback(tmp_path):
    result = subprocess.run([sys.executable, "-m", "dicom_pixels", "decode", str(tmp_path / "nope.dcm"),
                             "-o", str(tmp_path / "x.png")], capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("dicom-pixels: error: ") and "Traceback" not in result.stderr
    assert listing(tmp_path) == []
