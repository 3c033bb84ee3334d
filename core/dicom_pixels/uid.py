"""The transfer syntax table: every transfer syntax of PS3.6 Table A-1 that can carry images.

Each entry says how the dataset is encoded (VR mode, endianness, deflate) and
how the pixel data is stored (native or encapsulated, which codec family,
lossy or not). JPIP, SMPTE and MIME transfer syntaxes are *known* (lookups
succeed, so errors can name them) but carry no pixel data that the framework
decodes: :attr:`TransferSyntax.carries_pixels` is ``False``. Video (MPEG-2,
H.264, HEVC) is decoded by a plugin (``pyav``): the whole stream is one
encapsulated frame (PS3.5 A.4.5-A.4.7).

>>> from dicom_pixels import uid
>>> ts = uid.lookup("JPEG2000Lossless")
>>> ts.uid, ts.encapsulated, ts.lossy
('1.2.840.10008.1.2.4.90', True, False)
>>> uid.lookup("1.2.840.10008.1.2.5").name
'RLE Lossless'
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .errors import UnsupportedTransferSyntaxError

__all__ = [
    "TRANSFER_SYNTAXES",
    "TransferSyntax",
    "all_transfer_syntaxes",
    "lookup",
]


@dataclass(frozen=True)
class TransferSyntax:
    """One transfer syntax (PS3.5 Section 10, PS3.6 Table A-1).

    :param uid: the UID, e.g. ``"1.2.840.10008.1.2.4.50"``.
    :param keyword: the pydicom-style keyword, e.g. ``"JPEGBaseline8Bit"``.
    :param name: the PS3.6 name.
    :param family: the pixel encoding family: ``native``, ``encapsulated_native``,
        ``rle``, ``jpeg``, ``jpegls``, ``j2k``, ``htj2k``, ``jpegxl``,
        ``deflate_frames``, ``mpeg``, ``hevc``, ``jpip``, ``smpte``, ``mime``.
    :param encapsulated: pixel data is stored in fragments (PS3.5 A.4).
    :param lossy: ``True`` lossy only, ``False`` lossless only, ``None`` either.
    :param little_endian: byte order of the dataset.
    :param implicit_vr: the dataset uses implicit VR.
    :param deflated: the dataset (after the file meta) is deflated (PS3.5 A.5).
    :param carries_pixels: the pixel data is in the file and decodable in principle.
    :param retired: retired from the standard.
    """

    uid: str
    keyword: str
    name: str
    family: str
    encapsulated: bool
    lossy: bool | None
    little_endian: bool
    implicit_vr: bool
    deflated: bool
    carries_pixels: bool
    retired: bool = False

    def __str__(self) -> str:
        return self.name

    @property
    def is_native(self) -> bool:
        """Pixel data is stored uncompressed and unencapsulated (PS3.5 8.1.1)."""
        return not self.encapsulated and self.family == "native"

    @property
    def is_video(self) -> bool:
        """An MPEG or HEVC transfer syntax (PS3.5 8.2.5 to 8.2.12)."""
        return self.family in ("mpeg", "hevc")


TRANSFER_SYNTAXES: dict[str, TransferSyntax] = {
    ts.uid: ts
    for ts in (
        TransferSyntax('1.2.840.10008.1.2', 'ImplicitVRLittleEndian', 'Implicit VR Little Endian', 'native', encapsulated=False, lossy=False, little_endian=True, implicit_vr=True, deflated=False, carries_pixels=True),
        TransferSyntax('1.2.840.10008.1.2.1', 'ExplicitVRLittleEndian', 'Explicit VR Little Endian', 'native', encapsulated=False, lossy=False, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True),
        TransferSyntax('1.2.840.10008.1.2.1.98', 'EncapsulatedUncompressedExplicitVRLittleEndian', 'Encapsulated Uncompressed Explicit VR Little Endian', 'encapsulated_native', encapsulated=True, lossy=False, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True),
        TransferSyntax('1.2.840.10008.1.2.1.99', 'DeflatedExplicitVRLittleEndian', 'Deflated Explicit VR Little Endian', 'native', encapsulated=False, lossy=False, little_endian=True, implicit_vr=False, deflated=True, carries_pixels=True),
        TransferSyntax('1.2.840.10008.1.2.2', 'ExplicitVRBigEndian', 'Explicit VR Big Endian', 'native', encapsulated=False, lossy=False, little_endian=False, implicit_vr=False, deflated=False, carries_pixels=True, retired=True),
        TransferSyntax('1.2.840.10008.1.2.4.50', 'JPEGBaseline8Bit', 'JPEG Baseline (Process 1)', 'jpeg', encapsulated=True, lossy=True, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True),
        TransferSyntax('1.2.840.10008.1.2.4.51', 'JPEGExtended12Bit', 'JPEG Extended (Process 2 and 4)', 'jpeg', encapsulated=True, lossy=True, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True),
        TransferSyntax('1.2.840.10008.1.2.4.57', 'JPEGLossless', 'JPEG Lossless, Non-Hierarchical (Process 14)', 'jpeg', encapsulated=True, lossy=False, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True),
        TransferSyntax('1.2.840.10008.1.2.4.70', 'JPEGLosslessSV1', 'JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])', 'jpeg', encapsulated=True, lossy=False, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True),
        TransferSyntax('1.2.840.10008.1.2.4.80', 'JPEGLSLossless', 'JPEG-LS Lossless Image Compression', 'jpegls', encapsulated=True, lossy=False, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True),
        TransferSyntax('1.2.840.10008.1.2.4.81', 'JPEGLSNearLossless', 'JPEG-LS Lossy (Near-Lossless) Image Compression', 'jpegls', encapsulated=True, lossy=True, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True),
        TransferSyntax('1.2.840.10008.1.2.4.90', 'JPEG2000Lossless', 'JPEG 2000 Image Compression (Lossless Only)', 'j2k', encapsulated=True, lossy=False, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True),
        TransferSyntax('1.2.840.10008.1.2.4.91', 'JPEG2000', 'JPEG 2000 Image Compression', 'j2k', encapsulated=True, lossy=None, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True),
        TransferSyntax('1.2.840.10008.1.2.4.92', 'JPEG2000MCLossless', 'JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)', 'j2k', encapsulated=True, lossy=False, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True),
        TransferSyntax('1.2.840.10008.1.2.4.93', 'JPEG2000MC', 'JPEG 2000 Part 2 Multi-component Image Compression', 'j2k', encapsulated=True, lossy=None, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True),
        TransferSyntax('1.2.840.10008.1.2.4.94', 'JPIPReferenced', 'JPIP Referenced', 'jpip', encapsulated=False, lossy=None, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=False),
        TransferSyntax('1.2.840.10008.1.2.4.95', 'JPIPReferencedDeflate', 'JPIP Referenced Deflate', 'jpip', encapsulated=False, lossy=None, little_endian=True, implicit_vr=False, deflated=True, carries_pixels=False),
        TransferSyntax('1.2.840.10008.1.2.4.100', 'MPEG2MPML', 'MPEG2 Main Profile / Main Level', 'mpeg', encapsulated=True, lossy=True, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True),
        TransferSyntax('1.2.840.10008.1.2.4.100.1', 'MPEG2MPMLF', 'Fragmentable MPEG2 Main Profile / Main Level', 'mpeg', encapsulated=True, lossy=True, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True),
        TransferSyntax('1.2.840.10008.1.2.4.101', 'MPEG2MPHL', 'MPEG2 Main Profile / High Level', 'mpeg', encapsulated=True, lossy=True, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True),
        TransferSyntax('1.2.840.10008.1.2.4.101.1', 'MPEG2MPHLF', 'Fragmentable MPEG2 Main Profile / High Level', 'mpeg', encapsulated=True, lossy=True, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True),
        TransferSyntax('1.2.840.10008.1.2.4.102', 'MPEG4HP41', 'MPEG-4 AVC/H.264 High Profile / Level 4.1', 'mpeg', encapsulated=True, lossy=True, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True),
        TransferSyntax('1.2.840.10008.1.2.4.102.1', 'MPEG4HP41F', 'Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.1', 'mpeg', encapsulated=True, lossy=True, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True),
        TransferSyntax('1.2.840.10008.1.2.4.103', 'MPEG4HP41BD', 'MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1', 'mpeg', encapsulated=True, lossy=True, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True),
        TransferSyntax('1.2.840.10008.1.2.4.103.1', 'MPEG4HP41BDF', 'Fragmentable MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1', 'mpeg', encapsulated=True, lossy=True, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True),
        TransferSyntax('1.2.840.10008.1.2.4.104', 'MPEG4HP422D', 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video', 'mpeg', encapsulated=True, lossy=True, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True),
        TransferSyntax('1.2.840.10008.1.2.4.104.1', 'MPEG4HP422DF', 'Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video', 'mpeg', encapsulated=True, lossy=True, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True),
        TransferSyntax('1.2.840.10008.1.2.4.105', 'MPEG4HP423D', 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video', 'mpeg', encapsulated=True, lossy=True, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True),
        TransferSyntax('1.2.840.10008.1.2.4.105.1', 'MPEG4HP423DF', 'Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video', 'mpeg', encapsulated=True, lossy=True, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True),
        TransferSyntax('1.2.840.10008.1.2.4.106', 'MPEG4HP42STEREO', 'MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2', 'mpeg', encapsulated=True, lossy=True, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True),
        TransferSyntax('1.2.840.10008.1.2.4.106.1', 'MPEG4HP42STEREOF', 'Fragmentable MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2', 'mpeg', encapsulated=True, lossy=True, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True),
        TransferSyntax('1.2.840.10008.1.2.4.107', 'HEVCMP51', 'HEVC/H.265 Main Profile / Level 5.1', 'hevc', encapsulated=True, lossy=True, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True),
        TransferSyntax('1.2.840.10008.1.2.4.108', 'HEVCM10P51', 'HEVC/H.265 Main 10 Profile / Level 5.1', 'hevc', encapsulated=True, lossy=True, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True),
        TransferSyntax('1.2.840.10008.1.2.4.110', 'JPEGXLLossless', 'JPEG XL Lossless', 'jpegxl', encapsulated=True, lossy=False, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True),
        TransferSyntax('1.2.840.10008.1.2.4.111', 'JPEGXLJPEGRecompression', 'JPEG XL JPEG Recompression', 'jpegxl', encapsulated=True, lossy=True, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True),
        TransferSyntax('1.2.840.10008.1.2.4.112', 'JPEGXL', 'JPEG XL', 'jpegxl', encapsulated=True, lossy=None, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True),
        TransferSyntax('1.2.840.10008.1.2.4.201', 'HTJ2KLossless', 'High-Throughput JPEG 2000 Image Compression (Lossless Only)', 'htj2k', encapsulated=True, lossy=False, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True),
        TransferSyntax('1.2.840.10008.1.2.4.202', 'HTJ2KLosslessRPCL', 'High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)', 'htj2k', encapsulated=True, lossy=False, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True),
        TransferSyntax('1.2.840.10008.1.2.4.203', 'HTJ2K', 'High-Throughput JPEG 2000 Image Compression', 'htj2k', encapsulated=True, lossy=None, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True),
        TransferSyntax('1.2.840.10008.1.2.4.204', 'JPIPHTJ2KReferenced', 'JPIP HTJ2K Referenced', 'jpip', encapsulated=False, lossy=None, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=False),
        TransferSyntax('1.2.840.10008.1.2.4.205', 'JPIPHTJ2KReferencedDeflate', 'JPIP HTJ2K Referenced Deflate', 'jpip', encapsulated=False, lossy=None, little_endian=True, implicit_vr=False, deflated=True, carries_pixels=False),
        TransferSyntax('1.2.840.10008.1.2.5', 'RLELossless', 'RLE Lossless', 'rle', encapsulated=True, lossy=False, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True),
        TransferSyntax('1.2.840.10008.1.2.6.1', 'RFC2557MIMEEncapsulation', 'RFC 2557 MIME encapsulation', 'mime', encapsulated=False, lossy=None, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=False),
        TransferSyntax('1.2.840.10008.1.2.6.2', 'XMLEncoding', 'XML Encoding', 'mime', encapsulated=False, lossy=None, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=False),
        TransferSyntax('1.2.840.10008.1.2.7.1', 'SMPTEST211020UncompressedProgressiveActiveVideo', 'SMPTE ST 2110-20 Uncompressed Progressive Active Video', 'smpte', encapsulated=False, lossy=False, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=False),
        TransferSyntax('1.2.840.10008.1.2.7.2', 'SMPTEST211020UncompressedInterlacedActiveVideo', 'SMPTE ST 2110-20 Uncompressed Interlaced Active Video', 'smpte', encapsulated=False, lossy=False, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=False),
        TransferSyntax('1.2.840.10008.1.2.7.3', 'SMPTEST211030PCMDigitalAudio', 'SMPTE ST 2110-30 PCM Digital Audio', 'smpte', encapsulated=False, lossy=False, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=False),
        TransferSyntax('1.2.840.10008.1.2.8.1', 'DeflatedImageFrameCompression', 'Deflated Image Frame Compression', 'deflate_frames', encapsulated=True, lossy=False, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True),
        TransferSyntax('1.2.840.10008.1.2.4.52', 'JPEGExtended35', 'JPEG Extended (Process 3 and 5)', 'jpeg', encapsulated=True, lossy=True, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True, retired=True),
        TransferSyntax('1.2.840.10008.1.2.4.53', 'JPEGSpectralSelectionNonHierarchical68', 'JPEG Spectral Selection, Non-Hierarchical (Process 6 and 8)', 'jpeg', encapsulated=True, lossy=True, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True, retired=True),
        TransferSyntax('1.2.840.10008.1.2.4.54', 'JPEGSpectralSelectionNonHierarchical79', 'JPEG Spectral Selection, Non-Hierarchical (Process 7 and 9)', 'jpeg', encapsulated=True, lossy=True, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True, retired=True),
        TransferSyntax('1.2.840.10008.1.2.4.55', 'JPEGFullProgressionNonHierarchical1012', 'JPEG Full Progression, Non-Hierarchical (Process 10 and 12)', 'jpeg', encapsulated=True, lossy=True, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True, retired=True),
        TransferSyntax('1.2.840.10008.1.2.4.56', 'JPEGFullProgressionNonHierarchical1113', 'JPEG Full Progression, Non-Hierarchical (Process 11 and 13)', 'jpeg', encapsulated=True, lossy=True, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True, retired=True),
        TransferSyntax('1.2.840.10008.1.2.4.58', 'JPEGLosslessNonHierarchical15', 'JPEG Lossless, Non-Hierarchical (Process 15)', 'jpeg', encapsulated=True, lossy=False, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True, retired=True),
        TransferSyntax('1.2.840.10008.1.2.4.59', 'JPEGExtendedHierarchical1618', 'JPEG Extended, Hierarchical (Process 16 and 18)', 'jpeg', encapsulated=True, lossy=True, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True, retired=True),
        TransferSyntax('1.2.840.10008.1.2.4.60', 'JPEGExtendedHierarchical1719', 'JPEG Extended, Hierarchical (Process 17 and 19)', 'jpeg', encapsulated=True, lossy=True, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True, retired=True),
        TransferSyntax('1.2.840.10008.1.2.4.61', 'JPEGSpectralSelectionHierarchical2022', 'JPEG Spectral Selection, Hierarchical (Process 20 and 22)', 'jpeg', encapsulated=True, lossy=True, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True, retired=True),
        TransferSyntax('1.2.840.10008.1.2.4.62', 'JPEGSpectralSelectionHierarchical2123', 'JPEG Spectral Selection, Hierarchical (Process 21 and 23)', 'jpeg', encapsulated=True, lossy=True, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True, retired=True),
        TransferSyntax('1.2.840.10008.1.2.4.63', 'JPEGFullProgressionHierarchical2426', 'JPEG Full Progression, Hierarchical (Process 24 and 26)', 'jpeg', encapsulated=True, lossy=True, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True, retired=True),
        TransferSyntax('1.2.840.10008.1.2.4.64', 'JPEGFullProgressionHierarchical2527', 'JPEG Full Progression, Hierarchical (Process 25 and 27)', 'jpeg', encapsulated=True, lossy=True, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True, retired=True),
        TransferSyntax('1.2.840.10008.1.2.4.65', 'JPEGLosslessHierarchical28', 'JPEG Lossless, Hierarchical (Process 28)', 'jpeg', encapsulated=True, lossy=False, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True, retired=True),
        TransferSyntax('1.2.840.10008.1.2.4.66', 'JPEGLosslessHierarchical29', 'JPEG Lossless, Hierarchical (Process 29)', 'jpeg', encapsulated=True, lossy=False, little_endian=True, implicit_vr=False, deflated=False, carries_pixels=True, retired=True),    )
}
_BY_KEYWORD: dict[str, TransferSyntax] = {ts.keyword: ts for ts in TRANSFER_SYNTAXES.values()}


def lookup(uid_or_keyword: str | TransferSyntax) -> TransferSyntax:
    """Return the :class:`TransferSyntax` for a UID or keyword.

    Trailing NUL/space padding (PS3.5 6.2, UI values are padded with NUL) is ignored.

    :raises UnsupportedTransferSyntaxError: the UID is not in the table.

    >>> lookup("ExplicitVRBigEndian").little_endian
    False
    """
    if type(uid_or_keyword) is str:  # the common case: an exact UID, looked up once per call
        found = TRANSFER_SYNTAXES.get(uid_or_keyword)
        if found is not None:
            return found
    elif isinstance(uid_or_keyword, TransferSyntax):
        return uid_or_keyword
    key = str(uid_or_keyword).rstrip("\x00 ").strip()
    found = TRANSFER_SYNTAXES.get(key) or _BY_KEYWORD.get(key)
    if found is None:
        raise UnsupportedTransferSyntaxError(
            f"Unknown transfer syntax {key!r}: it is not a PS3.6 Table A-1 transfer syntax "
            "that carries image data. Check the (0002,0010) Transfer Syntax UID element."
        )
    return found


def all_transfer_syntaxes() -> Iterator[TransferSyntax]:
    """Iterate over every known transfer syntax in table order.

    >>> any(ts.keyword == "HTJ2K" for ts in all_transfer_syntaxes())
    True
    """
    return iter(TRANSFER_SYNTAXES.values())


def _export_constants() -> None:
    # Module-level constants named by keyword (uid.JPEGBaseline8Bit == "1.2.840.10008.1.2.4.50"),
    # as pydicom.uid offers them.
    for ts in TRANSFER_SYNTAXES.values():
        globals()[ts.keyword] = ts.uid
        __all__.append(ts.keyword)


_export_constants()
