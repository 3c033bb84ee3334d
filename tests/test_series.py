"""read_series: a series of files (or one Enhanced multi-frame file) as one ordered volume.

Issue 14 point 5. The series are built with pydicom, byte by byte as a modality
writes them (shuffled files, an oblique stack, a duplicate, a gap, two series mixed,
an Enhanced multi-frame file with per-frame rescale); pydicom reads the pixels back
as the oracle, and geometry is checked against positions computed here by hand
(PS3.3 C.7.6.2.1.1).
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import (
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    generate_uid,
)

import dicom_pixels as dp
from dicom_pixels.errors import (
    DicomPixelsError,
    DuplicatePositionError,
    InconsistentOrientationError,
    InconsistentShapeError,
    MissingGeometryError,
    MixedSeriesError,
    SeriesError,
    SliceGapError,
)
from dicom_pixels.series import plan_series

CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
ENHANCED_CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2.1"
AXIAL = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
ROWS, COLUMNS = 6, 5
PIXEL_SPACING = (0.7, 0.4)  # row spacing (between rows), column spacing (between columns)


def oblique_orientation(degrees: float) -> tuple[float, ...]:
    """Row direction along x; column direction tilted from y towards z."""
    angle = np.radians(degrees)
    return (1.0, 0.0, 0.0, 0.0, float(np.cos(angle)), float(np.sin(angle)))


def slice_pixels(seed: int, rows: int = ROWS, columns: int = COLUMNS) -> np.ndarray:
    return np.random.default_rng(seed).integers(-1000, 3000, (rows, columns), dtype=np.int16)


def _image_pixel(ds: Dataset, rows: int, columns: int) -> None:
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = rows, columns
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1


def _save(ds: Dataset, path: Path, sop_class: str, transfer_syntax: str) -> Path:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = transfer_syntax
    ds.file_meta = meta
    ds.SOPClassUID = sop_class
    ds.save_as(path, enforce_file_format=True)
    return path


def write_slice(
    path: Path,
    *,
    position: tuple[float, float, float],
    orientation: tuple[float, ...] = AXIAL,
    series_uid: str = "1.2.3.4",
    instance: int = 1,
    seed: int = 0,
    slope: float | None = None,
    intercept: float | None = None,
    rows: int = ROWS,
    transfer_syntax: str = ExplicitVRLittleEndian,
) -> Path:
    ds = Dataset()
    ds.SOPInstanceUID = generate_uid()
    ds.SeriesInstanceUID = series_uid
    ds.InstanceNumber = instance
    ds.ImagePositionPatient = [f"{v:.6f}" for v in position]
    ds.ImageOrientationPatient = [f"{v:.8f}" for v in orientation]
    ds.PixelSpacing = list(PIXEL_SPACING)
    ds.SliceThickness = 2.5
    if slope is not None:
        ds.RescaleSlope, ds.RescaleIntercept, ds.RescaleType = slope, intercept, "HU"
    _image_pixel(ds, rows, COLUMNS)
    pixels = slice_pixels(seed, rows)
    if transfer_syntax == ExplicitVRBigEndian:
        pixels = pixels.astype(">i2")
    ds.PixelData = pixels.tobytes()
    return _save(ds, path, CT_IMAGE, transfer_syntax)


def write_stack(
    directory: Path, count: int, *, orientation=AXIAL, spacing=2.5, origin=(-20.0, -30.0, 40.0), **kw
) -> list[Path]:
    """*count* slices ``spacing`` mm apart along the normal, written in shuffled order."""
    row, column = np.asarray(orientation[:3]), np.asarray(orientation[3:])
    normal = np.cross(row, column)
    order = list(range(count))
    random.Random(7).shuffle(order)
    paths = []
    for name, k in enumerate(order):
        position = tuple(np.asarray(origin) + k * spacing * normal)
        paths.append(
            write_slice(
                directory / f"file{name:03d}.dcm",
                position=position,
                orientation=orientation,
                instance=count - k,  # instance numbers running against the spatial order
                seed=k,
                **kw,
            )
        )
    return paths


def expected_order(paths: list[Path]) -> list[Path]:
    """The spatial order computed with pydicom: by Image Position projected on the normal."""

    def along_normal(path: Path) -> float:
        ds = dcmread(path, stop_before_pixels=True)
        o = np.asarray(ds.ImageOrientationPatient, dtype=float)
        return float(np.dot(np.cross(o[:3], o[3:]), np.asarray(ds.ImagePositionPatient, dtype=float)))

    return sorted(paths, key=along_normal)


def test_shuffled_files_are_ordered_along_the_normal(tmp_path):
    paths = write_stack(tmp_path, 7)
    volume = dp.read_series(paths)
    ordered = expected_order(paths)
    assert [Path(s.path) for s in volume.slices] == ordered
    np.testing.assert_array_equal(volume.array, np.stack([dcmread(p).pixel_array for p in ordered]))
    assert volume.array.dtype == np.int16 and volume.shape == (7, ROWS, COLUMNS)
    assert volume.spacing == pytest.approx((2.5, *PIXEL_SPACING))
    assert [s.instance_number for s in volume.slices] == [7, 6, 5, 4, 3, 2, 1]
    assert [s.sop_instance_uid for s in volume.slices] == [dcmread(p).SOPInstanceUID for p in ordered]
    assert volume.series_instance_uid == "1.2.3.4"


def test_a_directory_is_read_and_files_that_are_not_images_are_skipped(tmp_path):
    paths = write_stack(tmp_path, 4)
    (tmp_path / "README.txt").write_text("not DICOM")
    volume = dp.read_series(tmp_path)
    assert [Path(s.path) for s in volume.slices] == expected_order(paths)


def test_the_affine_maps_slice_row_column_to_hand_computed_patient_positions(tmp_path):
    orientation = oblique_orientation(30)
    origin = (10.0, -5.0, 3.0)
    paths = write_stack(tmp_path, 5, orientation=orientation, spacing=3.0, origin=origin)
    volume = dp.read_series(paths)
    row, column = np.asarray(orientation[:3]), np.asarray(orientation[3:])
    normal = np.cross(row, column)
    assert np.allclose(volume.normal, normal)
    for k in range(5):
        for i, j in ((0, 0), (ROWS - 1, 0), (2, COLUMNS - 1)):
            # PS3.3 C.7.6.2.1.1: row index i moves down a column (column cosines x row
            # spacing), column index j along a row (row cosines x column spacing).
            by_hand = np.asarray(origin) + k * 3.0 * normal + i * PIXEL_SPACING[0] * column + j * PIXEL_SPACING[1] * row
            assert np.allclose(volume.affine @ [k, i, j, 1], [*by_hand, 1], atol=1e-5)
    for k, item in enumerate(volume.slices):
        assert np.allclose(item.position, np.asarray(origin) + k * 3.0 * normal, atol=1e-5)
        assert dcmread(item.path).pixel_array.tolist() == volume.array[k].tolist()


def test_the_orientation_of_a_volume_is_that_of_its_slices(tmp_path):
    paths = write_stack(tmp_path, 3, orientation=oblique_orientation(45))
    layout = plan_series(paths)
    assert np.allclose(layout.orientation, oblique_orientation(45), atol=1e-7)


def test_rescale_gives_float32_modality_values_per_slice(tmp_path):
    from pydicom.pixels import apply_rescale

    paths = [
        write_slice(tmp_path / f"s{k}.dcm", position=(0, 0, 2.0 * k), seed=k, slope=0.5 + k, intercept=-1024 + k)
        for k in range(4)
    ]
    volume = dp.read_series(paths, rescale=True)
    assert volume.dtype == np.float32 and volume.array.dtype == np.float32
    for k, path in enumerate(paths):
        ds = dcmread(path)
        np.testing.assert_allclose(volume.array[k], apply_rescale(ds.pixel_array, ds), rtol=1e-6)
        assert (volume.slices[k].rescale_slope, volume.slices[k].rescale_intercept) == (0.5 + k, -1024 + k)


def test_implicit_and_explicit_vr_files_form_one_volume(tmp_path):
    encodings = [ImplicitVRLittleEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian]
    paths = [
        write_slice(tmp_path / f"s{k}.dcm", position=(0, 0, 1.5 * k), seed=k, transfer_syntax=ts)
        for k, ts in enumerate(encodings)
    ]
    volume = dp.read_series(paths)
    np.testing.assert_array_equal(volume.array, np.stack([dcmread(p).pixel_array for p in paths]))


def test_a_big_endian_series_has_the_dtype_of_pixel_array(tmp_path):
    paths = write_stack(tmp_path, 3, transfer_syntax=ExplicitVRBigEndian)
    volume = dp.read_series(paths)
    expected = np.stack([dcmread(p).pixel_array for p in expected_order(paths)])
    assert volume.array.dtype == dp.pixel_array(paths[0]).dtype == np.dtype(">i2")
    np.testing.assert_array_equal(volume.array, expected)


def test_two_series_are_refused_with_both_listed_or_one_is_picked(tmp_path):
    first = write_stack(tmp_path, 3, series_uid="1.2.3.1")
    other = tmp_path / "other"
    other.mkdir()
    second = write_stack(other, 2, series_uid="1.2.3.2", origin=(0.0, 0.0, 0.0))
    with pytest.raises(MixedSeriesError, match=r"2 series: 1\.2\.3\.1: 3 files .*; 1\.2\.3\.2: 2 files") as caught:
        dp.read_series(first + second)
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, DicomPixelsError)
    volume = dp.read_series(first + second, series_uid="1.2.3.2")
    assert [Path(s.path) for s in volume.slices] == expected_order(second)
    with pytest.raises(MixedSeriesError, match="No file belongs to the series '9.9'"):
        dp.read_series(first, series_uid="9.9")


def test_a_duplicate_position_is_refused_naming_both_files(tmp_path):
    paths = write_stack(tmp_path, 3)
    z = dcmread(paths[0]).ImagePositionPatient
    duplicate = write_slice(tmp_path / "duplicate.dcm", position=tuple(float(v) for v in z), seed=99)
    with pytest.raises(DuplicatePositionError, match=r"duplicate\.dcm") as caught:
        dp.read_series([*paths, duplicate])
    assert str(paths[0]) in str(caught.value)


def test_a_gap_is_refused_unless_allowed(tmp_path):
    paths = [write_slice(tmp_path / f"s{k}.dcm", position=(0, 0, 2.0 * k), seed=k) for k in (0, 1, 2, 4, 5)]
    with pytest.raises(SliceGapError, match=r"s2\.dcm and .*s4\.dcm are 4 mm apart .* 2 mm apart elsewhere"):
        dp.read_series(paths)
    volume = dp.read_series(paths, allow_gaps=True)
    assert volume.spacing[0] == pytest.approx(2.0)  # the median
    assert [s.position[2] for s in volume.slices] == [0.0, 2.0, 4.0, 8.0, 10.0]
    # The affine's step is the mean one: exact at the first and last slices.
    assert np.allclose(volume.affine @ [0, 0, 0, 1], [0, 0, 0, 1])
    assert np.allclose(volume.affine @ [4, 0, 0, 1], [0, 0, 10, 1])


def test_slightly_uneven_spacing_is_within_the_tolerance(tmp_path):
    paths = [write_slice(tmp_path / f"s{k}.dcm", position=(0, 0, z), seed=k) for k, z in enumerate((0, 2.0, 4.05, 6.0))]
    assert dp.read_series(paths).spacing[0] == pytest.approx(2.0, abs=0.05)


def test_different_orientations_are_refused(tmp_path):
    a = write_slice(tmp_path / "a.dcm", position=(0, 0, 0))
    b = write_slice(tmp_path / "b.dcm", position=(0, 0, 2), orientation=oblique_orientation(10))
    with pytest.raises(InconsistentOrientationError, match=r"b\.dcm has Image Orientation"):
        dp.read_series([a, b])


def test_different_sizes_are_refused(tmp_path):
    a = write_slice(tmp_path / "a.dcm", position=(0, 0, 0))
    b = write_slice(tmp_path / "b.dcm", position=(0, 0, 2), rows=ROWS + 1)
    with pytest.raises(InconsistentShapeError, match=r"b\.dcm holds \(7, 5\) int16 frames but .*a\.dcm holds \(6, 5\)"):
        dp.read_series([a, b])


def test_a_slice_without_position_is_refused(tmp_path):
    a = write_slice(tmp_path / "a.dcm", position=(0, 0, 0))
    ds = dcmread(a)
    del ds.ImagePositionPatient
    ds.SOPInstanceUID = generate_uid()
    ds.save_as(tmp_path / "b.dcm")
    with pytest.raises(MissingGeometryError, match=r"b\.dcm has no \(0020,0032\) Image Position"):
        dp.read_series([a, tmp_path / "b.dcm"])


def test_no_files_is_a_series_error(tmp_path):
    with pytest.raises(SeriesError, match="no DICOM image files"):
        dp.read_series(tmp_path)
    with pytest.raises(SeriesError, match="no files"):
        dp.read_series([])


# -- Enhanced multi-frame ---------------------------------------------------------------------------


def _single_item(**values) -> Sequence:
    item = Dataset()
    for keyword, value in values.items():
        setattr(item, keyword, value)
    return Sequence([item])


def write_enhanced(
    path: Path,
    positions: list[tuple[float, float, float]],
    rescales: list[tuple[float, float]],
    *,
    orientation=AXIAL,
    transfer_syntax: str = ExplicitVRLittleEndian,
    undefined_length_items: bool = False,
    frame_orientations: dict[int, tuple[float, ...]] | None = None,
) -> Path:
    """An Enhanced CT Image: orientation and pixel measures shared, position and
    rescale per frame (PS3.3 C.7.6.16)."""
    ds = Dataset()
    ds.SOPInstanceUID = generate_uid()
    ds.SeriesInstanceUID = "1.2.3.9"
    ds.InstanceNumber = 1
    _image_pixel(ds, ROWS, COLUMNS)
    ds.NumberOfFrames = len(positions)
    shared = Dataset()
    shared.PlaneOrientationSequence = _single_item(ImageOrientationPatient=[f"{v:.8f}" for v in orientation])
    shared.PixelMeasuresSequence = _single_item(PixelSpacing=list(PIXEL_SPACING), SliceThickness=1.0)
    ds.SharedFunctionalGroupsSequence = Sequence([shared])
    frames = []
    for position, (slope, intercept) in zip(positions, rescales):
        frame = Dataset()
        frame.PlanePositionSequence = _single_item(ImagePositionPatient=[f"{v:.6f}" for v in position])
        frame.PixelValueTransformationSequence = _single_item(
            RescaleSlope=slope, RescaleIntercept=intercept, RescaleType="HU"
        )
        own = (frame_orientations or {}).get(len(frames))
        if own is not None:  # a per-frame macro overrides the shared one (PS3.3 C.7.6.16)
            frame.PlaneOrientationSequence = _single_item(ImageOrientationPatient=[f"{v:.8f}" for v in own])
        frames.append(frame)
    ds.PerFrameFunctionalGroupsSequence = Sequence(frames)
    if undefined_length_items:
        for item in [shared, *frames]:
            item.is_undefined_length_sequence_item = True
            for element in item:
                for inner in element.value:
                    inner.is_undefined_length_sequence_item = True
    ds.PixelData = np.stack([slice_pixels(10 + k) for k in range(len(positions))]).tobytes()
    return _save(ds, path, ENHANCED_CT_IMAGE, transfer_syntax)


ENHANCED_POSITIONS = [(0.0, 0.0, 6.0), (0.0, 0.0, 0.0), (0.0, 0.0, 4.0), (0.0, 0.0, 2.0)]
ENHANCED_RESCALES = [(1.0, -1024.0), (2.0, -10.0), (0.5, 0.0), (1.5, 7.0)]


@pytest.mark.parametrize(
    ("transfer_syntax", "undefined"),
    [(ExplicitVRLittleEndian, False), (ExplicitVRLittleEndian, True), (ImplicitVRLittleEndian, True), (ExplicitVRBigEndian, False)],
)
def test_an_enhanced_multi_frame_file_is_a_volume_with_per_frame_rescale(tmp_path, transfer_syntax, undefined):
    path = write_enhanced(
        tmp_path / "enhanced.dcm",
        ENHANCED_POSITIONS,
        ENHANCED_RESCALES,
        transfer_syntax=transfer_syntax,
        undefined_length_items=undefined,
    )
    frames = dcmread(path).pixel_array
    order = [1, 3, 2, 0]  # by z
    volume = dp.read_series([path])
    assert [s.frame for s in volume.slices] == order
    np.testing.assert_array_equal(volume.array, frames[order])
    assert volume.spacing == pytest.approx((2.0, *PIXEL_SPACING))
    assert np.allclose(volume.affine @ [3, 0, 0, 1], [0, 0, 6, 1])

    rescaled = dp.read_series([path], rescale=True)
    by_hand = np.stack(
        [frames[k].astype(np.float64) * ENHANCED_RESCALES[k][0] + ENHANCED_RESCALES[k][1] for k in order]
    )
    np.testing.assert_allclose(rescaled.array, by_hand, rtol=1e-6)


def test_pydicom_ignores_per_frame_rescale_which_read_series_applies(tmp_path):
    """pydicom's apply_rescale uses only a shared Pixel Value Transformation (its issue
    #2353); frames of one file rescaled differently come out wrong there."""
    from pydicom.pixels import apply_rescale

    path = write_enhanced(tmp_path / "enhanced.dcm", ENHANCED_POSITIONS, ENHANCED_RESCALES)
    ds = dcmread(path)
    by_pydicom = apply_rescale(ds.pixel_array, ds)
    by_hand = np.stack([f * s + i for f, (s, i) in zip(ds.pixel_array.astype(float), ENHANCED_RESCALES)])
    assert not np.allclose(by_pydicom, by_hand)
    volume = dp.read_series([path], rescale=True)
    np.testing.assert_allclose(volume.array, by_hand[[1, 3, 2, 0]], rtol=1e-6)


def test_a_per_frame_orientation_overrides_the_shared_one(tmp_path):
    same = write_enhanced(tmp_path / "same.dcm", ENHANCED_POSITIONS, ENHANCED_RESCALES, frame_orientations={2: AXIAL})
    assert dp.read_series([same]).shape[0] == 4
    tilted = write_enhanced(
        tmp_path / "tilted.dcm", ENHANCED_POSITIONS, ENHANCED_RESCALES, frame_orientations={2: oblique_orientation(20)}
    )
    with pytest.raises(InconsistentOrientationError, match=r"frame 2 of .*tilted\.dcm has Image Orientation"):
        dp.read_series([tilted])


def test_an_enhanced_file_with_too_few_per_frame_items_is_refused(tmp_path):
    path = write_enhanced(tmp_path / "enhanced.dcm", ENHANCED_POSITIONS, ENHANCED_RESCALES)
    ds = dcmread(path)
    del ds.PerFrameFunctionalGroupsSequence[3]
    ds.save_as(path)
    with pytest.raises(MissingGeometryError, match=r"4 frames but .*\(5200,9230\) has 3 items"):
        dp.read_series([path])


def test_a_multi_frame_file_without_functional_groups_is_refused(tmp_path):
    with pytest.raises(MissingGeometryError, match=r"rt_dose\.dcm holds 8 frames but no Per-frame"):
        dp.read_series([dp.examples.get_path("rt_dose")])


def test_a_truncated_sequence_item_is_a_typed_error(tmp_path):
    path = write_enhanced(tmp_path / "enhanced.dcm", ENHANCED_POSITIONS, ENHANCED_RESCALES, undefined_length_items=True)
    data = path.read_bytes()
    # Remove an Item Delimitation Item: the walker runs into the next item's tag.
    delimiter = b"\xfe\xff\x0d\xe0\x00\x00\x00\x00"
    cut = data.index(delimiter)
    (tmp_path / "broken.dcm").write_bytes(data[:cut] + data[cut + 8 :])
    with pytest.raises(DicomPixelsError):
        dp.read_series([tmp_path / "broken.dcm"])


def test_volume_and_read_series_are_public():
    assert {"Volume", "read_series"} <= set(dp.__all__)
    assert dp.Volume is dp.series.Volume
