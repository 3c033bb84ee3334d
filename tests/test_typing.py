"""A user's script importing dicom_pixels passes ``mypy --strict`` (issue 13, point 2): the
core ships ``py.typed`` and its public signatures are typed."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("mypy")

USER_SCRIPT = '''\
from __future__ import annotations

import numpy as np
import numpy.typing as npt

import dicom_pixels as dp
from dicom_pixels import examples
from dicom_pixels.errors import DicomPixelsError, FrameIndexError


def first_frame(path: str) -> npt.NDArray[np.generic]:
    meta: dict[str, object] = {}
    arr = dp.pixel_array(path, index=0, ds_out=meta)
    return arr


def frames(path: str) -> list[tuple[int, ...]]:
    return [f.shape for f in dp.iter_pixels(path, indices=[0, 1])]


def decode_rle() -> np.ndarray:
    arr, meta = dp.get_decoder("RLELossless").as_array(examples.get_path("rle_rgb"), as_rgb=False)
    return arr


def names() -> list[str]:
    return [info.name for info in dp.plugins()]


try:
    first_frame(str(examples.get_path("ct")))
except FrameIndexError:
    pass
except DicomPixelsError as exc:
    print(exc)


def display(path: str) -> np.ndarray:
    from dicom_pixels.processing import apply_color_lut, apply_voi_lut, apply_windowing

    meta: dict[str, object] = {}
    arr = dp.pixel_array(path, ds_out=meta)
    windowed = apply_windowing(arr, meta)
    coloured = apply_color_lut(arr, palette="HOT_IRON")
    print(coloured.shape)
    return apply_voi_lut(windowed, meta)


def recode(src: str, dst: str) -> None:
    dp.transcode(src, dst, "RLELossless", verify=True)
    with dp.open_source(src) as source:
        print(source.image.rows, source.frame_count)
    for buffer, meta in dp.get_decoder("RLELossless").iter_buffer(dst):
        print(len(buffer), meta["rows"])
    frames = dp.encaps.generate_frames(open(dst, "rb").read()[0:0], number_of_frames=1)
    print(frames)


def priorities() -> None:
    dp.set_plugin_priority("1.2.840.10008.1.2.5", ["native"])
    print(dp.get_plugin_priority("1.2.840.10008.1.2.5"), dp.uid.lookup("RLELossless").name)


@dp.hookimpl
def dicom_pixels_register(registrar: object) -> None:
    pass
'''

# A misuse mypy must catch from our signatures (it would pass if dicom_pixels were untyped).
MISUSE = '''\
import dicom_pixels as dp

dp.pixel_array("ct.dcm", index="3")
'''


def test_a_users_script_passes_mypy_strict_and_a_misuse_is_caught(tmp_path):
    (tmp_path / "user.py").write_text(USER_SCRIPT)
    (tmp_path / "misuse.py").write_text(MISUSE)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "cache"),
         "user.py", "misuse.py"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1, result.stdout + result.stderr
    assert errors[0].startswith("misuse.py:3:") and '"index"' in errors[0], errors
