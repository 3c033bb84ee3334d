"""The benchmark runs end to end at a tiny scale, so it never rots (no timing assertions)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).parent / "benchmarks" / "bench.py"
pytest.importorskip("imagecodecs", reason="the benchmark generates its JPEG workloads with imagecodecs")


WORKLOADS = ["native", "rle", "jpegls", "j2k", "htj2k", "us_jpeg", "wsi_tiles", "ct_files", "one_of_2000",
             "random_frames"]
ENCODE_WORKLOADS = ["encode_rle", "encode_jpegls", "encode_j2k", "encode_htj2k", "encode_jpeg", "encode_htj2k_lossy"]


#: Tiny workloads timed for a quarter of a second each, not the bench's full second.
_QUICK = {**os.environ, "DICOM_PIXELS_BENCH_MIN_SECONDS": "0.25"}


def test_benchmark_prints_a_row_per_workload_at_tiny_scale(tmp_path):
    # Every workload, so that each generator and each library's decode path keeps working
    # (about a minute on two cores, most of it starting the measuring processes).
    result = subprocess.run(
        [sys.executable, str(BENCH), "--scale", "0.02", "--repeat", "1", "--workdir", str(tmp_path)],
        capture_output=True, text=True, timeout=600, check=False, env=_QUICK,
    )
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ") and "workload" not in line]
    expected = list(WORKLOADS) + list(ENCODE_WORKLOADS)
    import imagecodecs

    if not hasattr(imagecodecs, "htj2k_encode"):  # imagecodecs < 2026.1.1 (Python 3.10)
        expected.remove("htj2k")
        assert "htj2k: left out: imagecodecs" in result.stdout
        expected = [name for name in expected if not name.startswith("encode_htj2k")]
    assert [r.split("|")[1].split()[0] for r in rows] == expected
    assert "read 1.00 frames of bytes" in result.stdout
    # fresh pixel_array(path, index=k) calls, each library timed per call in the same run
    random_row = next(r for r in rows if r.startswith("| random_frames"))
    assert "(150 calls, " in random_row and "ms per call vs pydicom's" in random_row
    assert random_row.split("|")[7].strip().endswith("x"), random_row  # the ratio to pydicom
    # encoding: transcode beside pydicom's compress + save_as (where it can) and the raw encoder
    encode_rows = {r.split("|")[1].strip(): r for r in rows if r.startswith("| encode_")}
    assert encode_rows["encode_rle"].split("|")[7].strip().endswith("x"), encode_rows["encode_rle"]
    assert "(cannot)" in encode_rows["encode_jpeg"]  # pydicom 3 has no JPEG Baseline encoder
    assert all(r.split("|")[10].strip().endswith("x") for r in encode_rows.values())  # time / raw
    assert "Warning" not in result.stderr, "the generated files are valid (e.g. UIDs of at most 64 characters)"


def test_the_ct_files_carry_a_real_ct_header(tmp_path, monkeypatch):
    import importlib.util

    pydicom = pytest.importorskip("pydicom")
    spec = importlib.util.spec_from_file_location("dicom_pixels_bench", BENCH)
    bench = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "dicom_pixels_bench", bench)  # its dataclasses look it up
    spec.loader.exec_module(bench)
    paths = bench._make_ct_series(tmp_path / "ct.dcm", 0.02)
    first, second = (pydicom.dcmread(p) for p in paths)
    assert len(first) > 250 and first.Modality == "CT"
    assert (first.Rows, first.Columns, first.BitsStored, first.PixelRepresentation) == (512, 512, 16, 1)
    assert first.SOPInstanceUID != second.SOPInstanceUID and len(first.SOPInstanceUID) <= 64
    assert first.InstanceNumber == 1 and second.InstanceNumber == 2


def test_the_remote_section_counts_requests_and_bytes_of_one_frame_over_http(tmp_path):
    pytest.importorskip("fsspec", reason="URLs are read through fsspec (the remote extra)")
    pytest.importorskip("aiohttp", reason="fsspec's HTTP filesystem needs aiohttp")
    result = subprocess.run(
        [sys.executable, str(BENCH), "--only", "none", "--remote", "--scale", "0.05", "--repeat", "1",
         "--workdir", str(tmp_path)],
        capture_output=True, text=True, timeout=600, check=False, env=_QUICK,
    )
    assert result.returncode == 0, result.stderr
    rows = {line.split("|")[1].split(":")[0].strip(): line.split("|")
            for line in result.stdout.splitlines() if line.startswith("| dicom-pixels:") or line.startswith("| pydicom")}
    ours = rows["dicom-pixels"]
    requests, transferred, frame = int(ours[2]), float(ours[3]), float(ours[4])
    # issue 14: one frame of a file with an offset table costs a few range requests and not
    # much more than the header, the table and the frame (<= frame + 256 KiB)
    assert requests <= 6 and transferred <= frame + 0.262, ours
    assert int(rows["pydicom + fsspec"][2]) >= 1  # measured beside it, in the same run


def test_recompression_sizes_are_reported_and_the_round_trip_is_exact(tmp_path):
    result = subprocess.run(
        [sys.executable, str(BENCH), "--recompression", "--scale", "0.01", "--workdir", str(tmp_path)],
        capture_output=True, text=True, timeout=600, check=False, env=_QUICK,
    )
    assert result.returncode == 0, result.stderr
    rows = [line.split("|") for line in result.stdout.splitlines() if line.startswith("| ") and "workload" not in line]
    assert [row[1].strip() for row in rows] == ["us_jpeg", "wsi_tiles"]
    for row in rows:
        jpeg_mb, jxl_mb = float(row[3]), float(row[4])
        assert 0 < jxl_mb < jpeg_mb
        assert row[7].strip() == "yes"
