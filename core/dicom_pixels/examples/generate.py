"""Generate the example files in ``dicom_pixels/examples/data`` deterministically.

Run ``python -m dicom_pixels.examples.generate [OUTDIR]``. The images are
synthetic (geometric phantoms); UIDs are fixed so the output is byte-for-byte
reproducible, which ``tests/test_examples.py`` checks. The examples in
:data:`ENCODED_EXAMPLES` need Pillow and pylibjpeg-openjpeg, imported only when
they are generated.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..writer import DataElement, write_file

__all__ = ["ENCODED_EXAMPLES", "EXAMPLES", "generate_all"]

_ROOT = "2.25.33491278512049617266094432117"  # fixed UID root for the examples
_CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
_MR_IMAGE = "1.2.840.10008.5.1.4.1.1.4"
_RT_DOSE = "1.2.840.10008.5.1.4.1.1.481.2"
_SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"
_EXPLICIT_LE = "1.2.840.10008.1.2.1"
_IMPLICIT_LE = "1.2.840.10008.1.2"
_RLE = "1.2.840.10008.1.2.5"
_JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
_J2K_LOSSLESS = "1.2.840.10008.1.2.4.90"
_MG_PRESENTATION = "1.2.840.10008.5.1.4.1.1.1.2"
_MULTIFRAME_TRUE_COLOR_SC = "1.2.840.10008.5.1.4.1.1.7.4"


def _phantom(size: int) -> np.ndarray:
    """A Shepp-Logan-like head phantom in [0, 1] (ellipses), float64 (size, size)."""
    y, x = np.mgrid[-1 : 1 : size * 1j, -1 : 1 : size * 1j]
    image = np.zeros((size, size))
    # (value, semi-axis a, semi-axis b, centre x, centre y, angle in degrees)
    for value, a, b, cx, cy, angle in (
        (1.0, 0.69, 0.92, 0.0, 0.0, 0),
        (-0.8, 0.6624, 0.874, 0.0, -0.0184, 0),
        (-0.2, 0.11, 0.31, 0.22, 0.0, -18),
        (-0.2, 0.16, 0.41, -0.22, 0.0, 18),
        (0.1, 0.21, 0.25, 0.0, 0.35, 0),
        (0.1, 0.046, 0.046, 0.0, 0.1, 0),
        (0.1, 0.046, 0.023, -0.08, -0.605, 0),
    ):
        t = np.deg2rad(angle)
        xr = (x - cx) * np.cos(t) + (y - cy) * np.sin(t)
        yr = -(x - cx) * np.sin(t) + (y - cy) * np.cos(t)
        image[(xr / a) ** 2 + (yr / b) ** 2 <= 1] += value
    return image


def _common(sop_class: str, number: int, modality: str) -> tuple[str, list[DataElement]]:
    sop_instance = f"{_ROOT}.{number}"
    return sop_instance, [
        DataElement(0x00080016, "UI", sop_class),
        DataElement(0x00080018, "UI", sop_instance),
        DataElement(0x00080060, "CS", modality),
        DataElement(0x00100010, "PN", "Example^Phantom"),
        DataElement(0x00100020, "LO", "DP-EXAMPLE"),
        DataElement(0x0020000D, "UI", f"{_ROOT}.1000"),
        DataElement(0x0020000E, "UI", f"{_ROOT}.2000.{number}"),
        DataElement(0x00200013, "IS", 1),
    ]


def _image_pixel(rows: int, cols: int, samples: int, pi: str, bits: int, stored: int, signed: int,
                 frames: int | None = None, planar: int | None = None) -> list[DataElement]:
    elements = [
        DataElement(0x00280002, "US", samples),
        DataElement(0x00280004, "CS", pi),
        DataElement(0x00280010, "US", rows),
        DataElement(0x00280011, "US", cols),
        DataElement(0x00280100, "US", bits),
        DataElement(0x00280101, "US", stored),
        DataElement(0x00280102, "US", stored - 1),
        DataElement(0x00280103, "US", signed),
    ]
    if planar is not None:
        elements.append(DataElement(0x00280006, "US", planar))
    if frames is not None:
        elements.append(DataElement(0x00280008, "IS", frames))
    return elements


def make_ct(path: Path) -> None:
    """16-bit signed CT slice: stored value = HU + 1024 (Rescale Intercept -1024).

    The phantom's levels become Hounsfield units of a head: air -1000 outside the
    skull, skull 1000, brain 40, the ventricles 10 (CSF), small lesions 80; so the
    file's window (40/400) shows what a brain window shows.
    """
    phantom = _phantom(128)
    y, x = np.mgrid[-1 : 1 : 128j, -1 : 1 : 128j]
    inside = (x / 0.69) ** 2 + (y / 0.92) ** 2 <= 1  # the outer (skull) ellipse
    tissue = np.interp(phantom, [0.0, 0.2, 0.3, 1.0], [10.0, 40.0, 80.0, 1000.0])
    hu = np.where(inside, tissue, -1000.0)
    stored = np.round(hu + 1024).astype("<i2")
    uid, elements = _common(_CT_IMAGE, 1, "CT")
    elements += _image_pixel(128, 128, 1, "MONOCHROME2", 16, 16, 1)
    elements += [
        DataElement(0x00281050, "DS", 40.0),
        DataElement(0x00281051, "DS", 400.0),
        DataElement(0x00281052, "DS", -1024.0),
        DataElement(0x00281053, "DS", 1.0),
        DataElement(0x00281054, "LO", "HU"),
        DataElement(0x00280030, "DS", [0.5, 0.5]),
    ]
    write_file(path, elements, transfer_syntax_uid=_EXPLICIT_LE, sop_class_uid=_CT_IMAGE,
               sop_instance_uid=uid, pixel_data=stored.tobytes(), pixel_vr="OW")


def make_mr(path: Path) -> None:
    """12 bits stored in 16, unsigned, Implicit VR Little Endian (written explicitly, then re-encoded)."""
    values = np.round(_phantom(128).clip(0, None) * 3000).astype("<u2")
    uid, elements = _common(_MR_IMAGE, 2, "MR")
    elements += _image_pixel(128, 128, 1, "MONOCHROME2", 16, 12, 0)
    _write_implicit(path, elements, _MR_IMAGE, uid, values.tobytes())


def make_rt_dose(path: Path) -> None:
    """8 frames of 10 x 10 dose values, 32-bit unsigned, Dose Grid Scaling 1e-5 Gy."""
    z, y, x = np.mgrid[0:8, 0:10, 0:10]
    dose = np.exp(-((x - 4.5) ** 2 + (y - 4.5) ** 2 + (z - 3.5) ** 2) / 20.0)
    values = np.round(dose * 200_000).astype("<u4")
    uid, elements = _common(_RT_DOSE, 3, "RTDOSE")
    elements += _image_pixel(10, 10, 1, "MONOCHROME2", 32, 32, 0, frames=8)
    elements += [
        DataElement(0x00280009, "AT", 0x3004000C),
        DataElement(0x3004000C, "DS", [float(v) for v in range(0, 16, 2)]),
        DataElement(0x30040002, "CS", "GY"),
        DataElement(0x30040004, "CS", "PHYSICAL"),
        DataElement(0x3004000A, "CS", "PLAN"),
        DataElement(0x3004000E, "DS", 1e-05),
    ]
    write_file(path, elements, transfer_syntax_uid=_EXPLICIT_LE, sop_class_uid=_RT_DOSE,
               sop_instance_uid=uid, pixel_data=values.tobytes(), pixel_vr="OW")


def _rgb_image() -> np.ndarray:
    y, x = np.mgrid[0:64, 0:96]
    rgb = np.empty((64, 96, 3), "u1")
    rgb[..., 0] = (x * 255 // 95).astype("u1")
    rgb[..., 1] = (y * 255 // 63).astype("u1")
    rgb[..., 2] = ((x // 12 + y // 8) % 2 * 200 + 20).astype("u1")
    return rgb


def make_rgb_color(path: Path) -> None:
    """64 x 96 RGB gradient and checkerboard, stored with Planar Configuration 1."""
    planar = np.ascontiguousarray(_rgb_image().transpose(2, 0, 1))
    uid, elements = _common(_SECONDARY_CAPTURE, 4, "OT")
    elements += _image_pixel(64, 96, 3, "RGB", 8, 8, 0, planar=1)
    write_file(path, elements, transfer_syntax_uid=_EXPLICIT_LE, sop_class_uid=_SECONDARY_CAPTURE,
               sop_instance_uid=uid, pixel_data=planar.tobytes(), pixel_vr="OB")


def make_rle_rgb(path: Path) -> None:
    """The RGB image of ``rgb_color``, RLE Lossless (needs the native plugin's encoder)."""
    from dicom_pixels.codec import EncodeFrame
    from dicom_pixels.description import ImageDescription
    from dicom_pixels_native.rle import encode_rle

    rgb = _rgb_image()
    image = ImageDescription(64, 96, 3, 8, 8, 0, "RGB", _RLE, planar_configuration=0)
    frame = encode_rle(rgb, EncodeFrame(image=image, index=0, options={}))
    uid, elements = _common(_SECONDARY_CAPTURE, 5, "OT")
    elements += _image_pixel(64, 96, 3, "RGB", 8, 8, 0, planar=0)
    write_file(path, elements, transfer_syntax_uid=_RLE, sop_class_uid=_SECONDARY_CAPTURE,
               sop_instance_uid=uid, frames=[frame])


def _ybr_frames() -> np.ndarray:
    """4 frames of 120 x 160 RGB: a coloured disc moving over a gradient background."""
    y, x = np.mgrid[0:120, 0:160]
    frames = np.empty((4, 120, 160, 3), "u1")
    for i in range(4):
        frames[i, ..., 0] = (x * 255 // 159).astype("u1")
        frames[i, ..., 1] = (y * 255 // 119).astype("u1")
        frames[i, ..., 2] = 96
        disc = (x - 40 - 25 * i) ** 2 + (y - 60) ** 2 <= 24**2
        frames[i][disc] = (230, 200, 30)
    return frames


def make_ybr_color(path: Path) -> None:
    """4-frame JPEG Baseline, YBR_FULL_422: what most colour ultrasound and photos look like.

    Encoded with Pillow's JPEG encoder (libjpeg), quality 90, 4:2:2 chroma
    subsampling, baseline, no optimisation: deterministic for a given libjpeg.
    """
    import io

    from PIL import Image

    fragments = []
    for frame in _ybr_frames():
        buffer = io.BytesIO()
        Image.fromarray(frame, "RGB").save(
            buffer, format="JPEG", quality=90, subsampling="4:2:2", optimize=False, progressive=False
        )
        fragments.append(buffer.getvalue())
    uid, elements = _common(_MULTIFRAME_TRUE_COLOR_SC, 6, "OT")
    elements += _image_pixel(120, 160, 3, "YBR_FULL_422", 8, 8, 0, frames=4, planar=0)
    elements += [DataElement(0x00282110, "CS", "01"), DataElement(0x00282114, "CS", "ISO_10918_1")]
    write_file(path, elements, transfer_syntax_uid=_JPEG_BASELINE, sop_class_uid=_MULTIFRAME_TRUE_COLOR_SC,
               sop_instance_uid=uid, frames=fragments)


def _j2k_values() -> np.ndarray:
    """256 x 256 unsigned 16-bit values using the whole range (phantom plus a fine ramp)."""
    ramp = np.add.outer(np.arange(256), np.arange(256)) * 31
    return np.round(_phantom(256).clip(0, None) * 40000 + ramp).astype("<u2")


def make_jpeg2k(path: Path) -> None:
    """256 x 256 16-bit JPEG 2000 Lossless, encoded with pylibjpeg-openjpeg (no MCT, reversible)."""
    from openjpeg.utils import encode_array

    values = _j2k_values()
    frame = encode_array(values, bits_stored=16, photometric_interpretation=2, use_mct=False)
    uid, elements = _common(_CT_IMAGE, 7, "CT")
    elements += _image_pixel(256, 256, 1, "MONOCHROME2", 16, 16, 0)
    elements += [DataElement(0x00281052, "DS", 0.0), DataElement(0x00281053, "DS", 1.0)]
    write_file(path, elements, transfer_syntax_uid=_J2K_LOSSLESS, sop_class_uid=_CT_IMAGE,
               sop_instance_uid=uid, frames=[frame])


def make_palette_color(path: Path) -> None:
    """128 x 128 8-bit PALETTE COLOR with 16-bit LUT entries (the Hot Iron palette x 257)."""
    from ..palettes import load_palette

    values = np.round(_phantom(128).clip(0, 1) * 255).astype("u1")
    uid, elements = _common(_SECONDARY_CAPTURE, 8, "OT")
    elements += _image_pixel(128, 128, 1, "PALETTE COLOR", 8, 8, 0)
    for offset, table in enumerate(load_palette("HOT_IRON")):
        entries = (table.astype("<u2") * 257).astype("<u2")  # 8-bit 0..255 -> 16-bit 0..65535
        # PS3.3 C.7.6.3.1.5: descriptor (entries, first value mapped, bits per entry).
        elements.append(DataElement(0x00281101 + offset, "US", [256, 0, 16]))
        elements.append(DataElement(0x00281201 + offset, "OW", entries.tobytes()))
    write_file(path, elements, transfer_syntax_uid=_EXPLICIT_LE, sop_class_uid=_SECONDARY_CAPTURE,
               sop_instance_uid=uid, pixel_data=values.tobytes(), pixel_vr="OB")


def make_mg(path: Path) -> None:
    """512 x 416 mammogram-like image, 12 bits stored in 16, with a SIGMOID window."""
    y, x = np.mgrid[0:512, 0:416]
    # A breast-shaped half ellipse against the chest wall (left edge), denser near the wall.
    r = ((x / 380.0) ** 2 + ((y - 256) / 240.0) ** 2)
    tissue = np.clip(1 - r, 0, 1) ** 0.35
    texture = 0.08 * np.sin(x / 7.0) * np.cos(y / 11.0) + 0.05 * np.sin((x + 2 * y) / 17.0)
    values = np.where(r < 1, 900 + 2600 * tissue + 400 * texture * tissue, 120)
    calcifications = ((x - 150) ** 2 + (y - 230) ** 2 <= 9) | ((x - 170) ** 2 + (y - 300) ** 2 <= 4)
    values = np.where(calcifications, 4000, values)
    stored = np.round(values).clip(0, 4095).astype("<u2")
    uid, elements = _common(_MG_PRESENTATION, 9, "MG")
    elements += _image_pixel(512, 416, 1, "MONOCHROME2", 16, 12, 0)
    elements += [
        DataElement(0x00080068, "CS", "FOR PRESENTATION"),
        DataElement(0x00281050, "DS", [2200.0, 2000.0]),
        DataElement(0x00281051, "DS", [3000.0, 4096.0]),
        DataElement(0x00281052, "DS", 0.0),
        DataElement(0x00281053, "DS", 1.0),
        DataElement(0x00281054, "LO", "US"),
        DataElement(0x00281055, "LO", ["SIGMOID CONTRAST", "FULL RANGE"]),
        DataElement(0x00281056, "CS", "SIGMOID"),
        DataElement(0x00280030, "DS", [0.2, 0.2]),
        DataElement(0x20500020, "CS", "IDENTITY"),
    ]
    write_file(path, elements, transfer_syntax_uid=_EXPLICIT_LE, sop_class_uid=_MG_PRESENTATION,
               sop_instance_uid=uid, pixel_data=stored.tobytes(), pixel_vr="OW")


def _write_implicit(path: Path, elements: list[DataElement], sop_class: str, uid: str, pixels: bytes) -> None:
    # Implicit VR: tag + 4-byte length + value (PS3.5 7.1.3); the file meta stays explicit.
    import struct

    from ..writer import atomic_write_bytes, encode_value, file_meta_bytes

    body = [file_meta_bytes(_IMPLICIT_LE, sop_class, uid)]
    for el in sorted(elements, key=lambda e: e.tag):
        value = encode_value(el.vr, el.value)
        body.append(struct.pack("<HHL", el.tag >> 16, el.tag & 0xFFFF, len(value)) + value)
    body.append(struct.pack("<HHL", 0x7FE0, 0x0010, len(pixels)) + pixels)
    atomic_write_bytes(path, b"".join(body))


EXAMPLES: dict[str, Callable[[Path], None]] = {
    "ct": make_ct,
    "mr": make_mr,
    "rt_dose": make_rt_dose,
    "rgb_color": make_rgb_color,
    "rle_rgb": make_rle_rgb,
    "palette_color": make_palette_color,
    "mg": make_mg,
}

#: Examples whose bytes come from a third-party encoder (libjpeg through Pillow,
#: OpenJPEG through pylibjpeg-openjpeg). Another version of that encoder may write
#: other bytes for the same pixels, so ``tests/test_examples.py`` checks these by
#: their decoded pixels, not their bytes.
ENCODED_EXAMPLES: dict[str, Callable[[Path], None]] = {
    "ybr_color": make_ybr_color,
    "jpeg2k": make_jpeg2k,
}


def generate_all(outdir: Path) -> list[Path]:
    """Write every example into *outdir*; return the paths."""
    outdir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, make in {**EXAMPLES, **ENCODED_EXAMPLES}.items():
        path = outdir / f"{name}.dcm"
        make(path)
        paths.append(path)
    return paths


if __name__ == "__main__":  # pragma: no cover - a developer tool
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / "data"
    for p in generate_all(target):
        print(p, p.stat().st_size)
