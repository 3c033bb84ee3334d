"""The typed description of an image: the Image Pixel module plus the transfer syntax.

:class:`ImageDescription` is what every codec receives with a frame. It holds
the rules that must exist only once in the framework: the NumPy dtype of the
decoded pixels, the encoded length of a native frame, the shape of the output
array, and the validation of Image Pixel module values (PS3.3 C.7.6.3).

>>> d = ImageDescription(rows=2, columns=3, samples_per_pixel=1, bits_allocated=16,
...                      bits_stored=12, pixel_representation=1,
...                      photometric_interpretation="MONOCHROME2", number_of_frames=4,
...                      transfer_syntax_uid="1.2.840.10008.1.2.1")
>>> d.dtype, d.frame_shape, d.array_shape(), d.frame_length
(dtype('int16'), (2, 3), (4, 2, 3), 12)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import InvalidPixelDescriptionError
from .uid import TransferSyntax, lookup

__all__ = [
    "IMAGE_PIXEL_KEYWORDS",
    "PHOTOMETRIC_INTERPRETATIONS",
    "PIXEL_KEYWORDS",
    "ImageDescription",
]

#: Pixel element keywords and tags (PS3.6 Table 6-1, group 7FE0).
PIXEL_KEYWORDS: dict[str, int] = {
    "PixelData": 0x7FE00010,
    "FloatPixelData": 0x7FE00008,
    "DoubleFloatPixelData": 0x7FE00009,
}

#: Defined terms of (0028,0004) Photometric Interpretation (PS3.3 C.7.6.3.1.2).
PHOTOMETRIC_INTERPRETATIONS = frozenset(
    {
        "MONOCHROME1",
        "MONOCHROME2",
        "PALETTE COLOR",
        "RGB",
        "YBR_FULL",
        "YBR_FULL_422",
        "YBR_PARTIAL_422",
        "YBR_PARTIAL_420",
        "YBR_ICT",
        "YBR_RCT",
        "HSV",
        "ARGB",
        "CMYK",
        "XYB",
    }
)

#: Image Pixel module keyword -> (tag, description attribute). Used to read a
#: description from a dataset or a dict, and to fill ``ds_out``.
IMAGE_PIXEL_KEYWORDS: dict[str, tuple[int, str]] = {
    "SamplesPerPixel": (0x00280002, "samples_per_pixel"),
    "PhotometricInterpretation": (0x00280004, "photometric_interpretation"),
    "PlanarConfiguration": (0x00280006, "planar_configuration"),
    "NumberOfFrames": (0x00280008, "number_of_frames"),
    "Rows": (0x00280010, "rows"),
    "Columns": (0x00280011, "columns"),
    "BitsAllocated": (0x00280100, "bits_allocated"),
    "BitsStored": (0x00280101, "bits_stored"),
    "PixelRepresentation": (0x00280103, "pixel_representation"),
}


@dataclass(frozen=True)
class ImageDescription:
    """What the pixel data holds, independent of where its bytes come from.

    Attribute names follow pydicom's decoding options (``rows``,
    ``bits_allocated``, ...), so the same keyword arguments override them.

    :param rows: (0028,0010) Rows.
    :param columns: (0028,0011) Columns.
    :param samples_per_pixel: (0028,0002), 1 or 3.
    :param bits_allocated: (0028,0100), 1 or a multiple of 8 up to 64.
    :param bits_stored: (0028,0101); equals ``bits_allocated`` for float pixel data.
    :param pixel_representation: (0028,0103), 0 unsigned, 1 two's complement.
    :param photometric_interpretation: (0028,0004).
    :param transfer_syntax_uid: the transfer syntax the pixel data is encoded with.
    :param planar_configuration: (0028,0006), 0 = R1G1B1R2..., 1 = R1R2...G1G2...B1B2...
    :param number_of_frames: (0028,0008), 1 when absent.
    :param pixel_keyword: ``PixelData``, ``FloatPixelData`` or ``DoubleFloatPixelData``.
    :param pixel_vr: the VR of the pixel element when known (``OB``/``OW``), which
        matters for 8-bit data in Explicit VR Big Endian (PS3.5 A.2).
    """

    rows: int
    columns: int
    samples_per_pixel: int
    bits_allocated: int
    bits_stored: int
    pixel_representation: int
    photometric_interpretation: str
    transfer_syntax_uid: str
    planar_configuration: int = 0
    number_of_frames: int = 1
    pixel_keyword: str = "PixelData"
    pixel_vr: str | None = None

    # -- construction -------------------------------------------------------------

    @classmethod
    def from_mapping(
        cls, values: Mapping[str, Any], *, transfer_syntax_uid: str | None = None
    ) -> ImageDescription:
        """Build a description from DICOM keywords and/or option names.

        Accepts ``{"Rows": 512, ...}`` or ``{"rows": 512, ...}`` (options win).
        Missing Bits Stored defaults to Bits Allocated, missing Planar
        Configuration to 0, missing or zero Number of Frames to 1.

        :raises InvalidPixelDescriptionError: a required value is missing.

        >>> ImageDescription.from_mapping({"Rows": 1, "Columns": 1, "SamplesPerPixel": 1,
        ...     "BitsAllocated": 8, "PixelRepresentation": 0,
        ...     "PhotometricInterpretation": "MONOCHROME2"},
        ...     transfer_syntax_uid="1.2.840.10008.1.2").bits_stored
        8
        """
        fields: dict[str, Any] = {}
        for keyword, (_tag, attr) in IMAGE_PIXEL_KEYWORDS.items():
            for key in (attr, keyword):
                if values.get(key) is not None:
                    fields[attr] = values[key]
                    break
        for attr in ("pixel_keyword", "pixel_vr", "transfer_syntax_uid"):
            if values.get(attr) is not None:
                fields[attr] = values[attr]
        if transfer_syntax_uid is not None:
            fields["transfer_syntax_uid"] = transfer_syntax_uid
        keyword = fields.get("pixel_keyword", "PixelData")
        if keyword != "PixelData" and "bits_allocated" in fields:
            fields.setdefault("bits_stored", fields["bits_allocated"])
            fields.setdefault("pixel_representation", 0)
        if "bits_stored" not in fields and "bits_allocated" in fields:
            fields["bits_stored"] = fields["bits_allocated"]
        frames = fields.get("number_of_frames")
        fields["number_of_frames"] = _as_frames(frames)
        if fields.get("planar_configuration") is None:
            fields["planar_configuration"] = 0
        required = {
            "rows": "(0028,0010) Rows",
            "columns": "(0028,0011) Columns",
            "samples_per_pixel": "(0028,0002) Samples per Pixel",
            "bits_allocated": "(0028,0100) Bits Allocated",
            "pixel_representation": "(0028,0103) Pixel Representation",
            "photometric_interpretation": "(0028,0004) Photometric Interpretation",
            "transfer_syntax_uid": "(0002,0010) Transfer Syntax UID",
        }
        missing = [name for attr, name in required.items() if fields.get(attr) is None]
        if missing:
            raise InvalidPixelDescriptionError(
                "Unable to describe the pixel data, missing required element(s): "
                + ", ".join(missing)
                + ". Add them to the dataset or pass them as keyword arguments "
                "(e.g. rows=512)."
            )
        for attr in (
            "rows",
            "columns",
            "samples_per_pixel",
            "bits_allocated",
            "bits_stored",
            "pixel_representation",
            "planar_configuration",
        ):
            fields[attr] = _as_int(fields[attr], attr)
        fields["photometric_interpretation"] = str(fields["photometric_interpretation"]).strip()
        fields["transfer_syntax_uid"] = str(fields["transfer_syntax_uid"]).rstrip("\x00 ")
        return cls(**fields)

    def replace(self, **changes: Any) -> ImageDescription:
        """Return a copy with some values changed.

        >>> d = ImageDescription(1, 1, 1, 8, 8, 0, "MONOCHROME2", "1.2.840.10008.1.2")
        >>> d.replace(rows=4).rows
        4
        """
        return dataclasses.replace(self, **changes)

    # -- derived values -----------------------------------------------------------

    @property
    def transfer_syntax(self) -> TransferSyntax:
        """The :class:`~dicom_pixels.uid.TransferSyntax` of the pixel data."""
        return lookup(self.transfer_syntax_uid)

    @property
    def is_float(self) -> bool:
        """``True`` for Float and Double Float Pixel Data."""
        return self.pixel_keyword != "PixelData"

    @property
    def dtype(self) -> np.dtype:
        """The native-endian NumPy dtype of the decoded pixels.

        Float Pixel Data is float32, Double Float Pixel Data float64; otherwise
        Bits Allocated 1 gives uint8 (one pixel per element) and 8/16/32/64 give
        u1/u2/u4/u8, or signed when Pixel Representation is 1 (PS3.5 8.1.1,
        PS3.3 C.7.6.3.1.1). Other values of Bits Allocated (24, 40, ...) are
        rejected because no NumPy integer holds them.

        >>> ImageDescription(1, 1, 1, 32, 32, 1, "MONOCHROME2", "1.2.840.10008.1.2").dtype
        dtype('int32')
        """
        if self.pixel_keyword == "FloatPixelData":
            return np.dtype("float32")
        if self.pixel_keyword == "DoubleFloatPixelData":
            return np.dtype("float64")
        if self.bits_allocated == 1:
            return np.dtype("uint8")
        if self.bits_allocated not in (8, 16, 32, 64):
            raise InvalidPixelDescriptionError(
                f"A (0028,0100) Bits Allocated value of {self.bits_allocated} has no NumPy "
                "integer type to hold it: only 1, 8, 16, 32 and 64 are supported"
            )
        kind = "i" if self.pixel_representation == 1 else "u"
        return np.dtype(f"{kind}{self.bits_allocated // 8}")

    @property
    def pixels_per_frame(self) -> int:
        """Rows x Columns x Samples per Pixel."""
        return self.rows * self.columns * self.samples_per_pixel

    @property
    def frame_shape(self) -> tuple[int, ...]:
        """Shape of one decoded frame: ``(rows, cols)`` or ``(rows, cols, samples)``."""
        if self.samples_per_pixel == 1:
            return (self.rows, self.columns)
        return (self.rows, self.columns, self.samples_per_pixel)

    def array_shape(self, number_of_frames: int | None = None) -> tuple[int, ...]:
        """Shape of the decoded array for *number_of_frames* (default: all frames).

        One frame gives the frame shape, as pydicom does; more frames add a
        leading frame axis.
        """
        frames = self.number_of_frames if number_of_frames is None else number_of_frames
        if frames == 1:
            return self.frame_shape
        return (frames, *self.frame_shape)

    @property
    def frame_bits(self) -> int:
        """Number of bits of one *native* frame, before any padding.

        YBR_FULL_422 native data stores two chroma samples per two pixels
        (PS3.3 C.7.6.3.1.2), so its frames are two thirds of the RGB size.
        """
        bits = self.pixels_per_frame * self.bits_allocated
        if self.photometric_interpretation == "YBR_FULL_422" and not self.transfer_syntax.encapsulated:
            bits = bits // 3 * 2
        return bits

    @property
    def frame_length(self) -> int:
        """Bytes of one native frame rounded up to whole bytes (1-bit frames may
        not end on a byte boundary, PS3.5 8.1.1; use :attr:`frame_bits` then)."""
        return math.ceil(self.frame_bits / 8)

    @property
    def expected_length(self) -> int:
        """Bytes of all native frames together, excluding the odd-length padding byte."""
        return math.ceil(self.frame_bits * self.number_of_frames / 8)

    def properties(self, *, as_frame: bool = False) -> dict[str, Any]:
        """The Image Pixel values as pydicom's ``Decoder.as_array`` reports them.

        >>> ImageDescription(1, 1, 3, 8, 8, 0, "RGB", "1.2.840.10008.1.2").properties()["planar_configuration"]
        0
        """
        props: dict[str, Any] = {
            "bits_allocated": self.bits_allocated,
            "columns": self.columns,
            "number_of_frames": 1 if as_frame else self.number_of_frames,
            "photometric_interpretation": self.photometric_interpretation,
            "rows": self.rows,
            "samples_per_pixel": self.samples_per_pixel,
        }
        if self.samples_per_pixel > 1:
            props["planar_configuration"] = self.planar_configuration
        if self.pixel_keyword == "PixelData":
            props["bits_stored"] = self.bits_stored
            props["pixel_representation"] = self.pixel_representation
        return props

    # -- validation -----------------------------------------------------------------

    def validate(self, *, where: str = "") -> ImageDescription:
        """Check the values against PS3.3 C.7.6.3 and PS3.5 8.1.1; return ``self``.

        :param where: names the source in error messages (e.g. the file path).
        :raises InvalidPixelDescriptionError: naming the element and the valid range.

        >>> ImageDescription(0, 1, 1, 8, 8, 0, "MONOCHROME2", "1.2.840.10008.1.2").validate()
        Traceback (most recent call last):
        ...
        dicom_pixels.errors.InvalidPixelDescriptionError: A (0028,0010) Rows value of 0 is invalid: it must be in the range 1 to 65535
        """
        suffix = f" in {where}" if where else ""

        def fail(message: str) -> None:
            raise InvalidPixelDescriptionError(message + suffix)

        if not 1 <= self.rows <= 0xFFFF:
            fail(f"A (0028,0010) Rows value of {self.rows} is invalid: it must be in the range 1 to 65535")
        if not 1 <= self.columns <= 0xFFFF:
            fail(
                f"A (0028,0011) Columns value of {self.columns} is invalid: it must be in the range 1 to 65535"
            )
        if self.samples_per_pixel not in (1, 3):
            fail(
                f"A (0028,0002) Samples per Pixel value of {self.samples_per_pixel} is invalid: "
                "it must be 1 or 3"
            )
        if not 1 <= self.bits_allocated <= 64 or (
            self.bits_allocated != 1 and self.bits_allocated % 8
        ):
            fail(
                f"A (0028,0100) Bits Allocated value of {self.bits_allocated} is invalid: "
                "it must be 1 or a multiple of 8 in the range 8 to 64"
            )
        if self.pixel_keyword not in PIXEL_KEYWORDS:
            fail(f"Unknown pixel element keyword {self.pixel_keyword!r}")
        if self.pixel_keyword == "PixelData":
            if not 1 <= self.bits_stored <= self.bits_allocated:
                fail(
                    f"A (0028,0101) Bits Stored value of {self.bits_stored} is invalid: it must be "
                    f"in the range 1 to the (0028,0100) Bits Allocated value of {self.bits_allocated}"
                )
            if self.pixel_representation not in (0, 1):
                fail(
                    f"A (0028,0103) Pixel Representation value of {self.pixel_representation} is "
                    "invalid: it must be 0 or 1"
                )
        elif self.bits_allocated != {"FloatPixelData": 32, "DoubleFloatPixelData": 64}[
            self.pixel_keyword
        ]:
            fail(
                f"A (0028,0100) Bits Allocated value of {self.bits_allocated} is invalid for "
                f"{self.pixel_keyword}: it must be 32 for Float Pixel Data and 64 for "
                "Double Float Pixel Data (PS3.3 C.7.6.24)"
            )
        if self.samples_per_pixel > 1 and self.planar_configuration not in (0, 1):
            fail(
                f"A (0028,0006) Planar Configuration value of {self.planar_configuration} is "
                "invalid: it must be 0 or 1"
            )
        if self.number_of_frames < 1:
            fail(
                f"A (0028,0008) Number of Frames value of {self.number_of_frames} is invalid: "
                "it must be at least 1"
            )
        if self.photometric_interpretation not in PHOTOMETRIC_INTERPRETATIONS:
            fail(
                f"Unknown (0028,0004) Photometric Interpretation value "
                f"{self.photometric_interpretation!r}"
            )
        self.dtype  # noqa: B018 - raises for Bits Allocated without a NumPy type
        return self


def _as_int(value: Any, name: str) -> int:
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InvalidPixelDescriptionError(
            f"The value {value!r} of {name} is not an integer"
        ) from None


def _as_frames(value: Any) -> int:
    # (0028,0008) is IS; a missing, empty or zero value means one frame, as pydicom assumes.
    if value is None or value == "":
        return 1
    frames = _as_int(value, "(0028,0008) Number of Frames")
    return frames if frames > 0 else 1
