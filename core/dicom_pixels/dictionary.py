"""A small DICOM data dictionary: VR and keyword of the attributes dicom-pixels cares about.

The core never imports pydicom, yet it must know VRs to read Implicit VR
datasets (PS3.5 7.1.3: the VR is not in the file, it comes from the data
dictionary) and keywords to name elements in messages and in ``ds_out``. This
module holds the ~130 attributes that matter for pixel data: identifiers,
the File Meta Information (PS3.10 7.1), the Image Plane, Image Pixel,
Multi-frame, Modality LUT, VOI LUT, Palette Color and ICC Profile modules,
and the pixel data elements. VRs follow PS3.6 Table 6-1; where PS3.6 gives
two VRs ("US or SS", "OB or OW", "US or OW") the first one is used, and the
reader refines "US or SS" with Pixel Representation.

>>> from dicom_pixels.dictionary import keyword_for, tag_for, vr_for
>>> keyword_for(0x00280010), hex(tag_for("BitsStored")), vr_for(0x00280030)
('Rows', '0x280101', 'DS')
>>> vr_for(0x00090010), vr_for(0x00091001), vr_for(0x00180000)   # private creator, private, group length
('LO', 'UN', 'UL')
"""

from __future__ import annotations

__all__ = [
    "DICTIONARY",
    "US_OR_SS_TAGS",
    "keyword_for",
    "tag_for",
    "vr_for",
]

#: ``{tag: (vr, keyword)}`` for the attributes the core reads or names (PS3.6 Table 6-1/7-1/8-1).
DICTIONARY: dict[int, tuple[str, str]] = {
    # -- File Meta Information (PS3.10 7.1, PS3.6 Table 7-1) ---------------------------------
    0x00020000: ("UL", "FileMetaInformationGroupLength"),
    0x00020001: ("OB", "FileMetaInformationVersion"),
    0x00020002: ("UI", "MediaStorageSOPClassUID"),
    0x00020003: ("UI", "MediaStorageSOPInstanceUID"),
    0x00020010: ("UI", "TransferSyntaxUID"),
    0x00020012: ("UI", "ImplementationClassUID"),
    0x00020013: ("SH", "ImplementationVersionName"),
    0x00020016: ("AE", "SourceApplicationEntityTitle"),
    0x00020017: ("AE", "SendingApplicationEntityTitle"),
    0x00020018: ("AE", "ReceivingApplicationEntityTitle"),
    0x00020100: ("UI", "PrivateInformationCreatorUID"),
    0x00020102: ("OB", "PrivateInformation"),
    # -- SOP Common, General Study/Series/Equipment ------------------------------------------
    0x00080005: ("CS", "SpecificCharacterSet"),
    0x00080008: ("CS", "ImageType"),
    0x00080012: ("DA", "InstanceCreationDate"),
    0x00080013: ("TM", "InstanceCreationTime"),
    0x00080016: ("UI", "SOPClassUID"),
    0x00080018: ("UI", "SOPInstanceUID"),
    0x00080020: ("DA", "StudyDate"),
    0x00080021: ("DA", "SeriesDate"),
    0x00080022: ("DA", "AcquisitionDate"),
    0x00080023: ("DA", "ContentDate"),
    0x00080030: ("TM", "StudyTime"),
    0x00080031: ("TM", "SeriesTime"),
    0x00080032: ("TM", "AcquisitionTime"),
    0x00080033: ("TM", "ContentTime"),
    0x00080050: ("SH", "AccessionNumber"),
    0x00080060: ("CS", "Modality"),
    0x00080064: ("CS", "ConversionType"),
    0x00080070: ("LO", "Manufacturer"),
    0x00080080: ("LO", "InstitutionName"),
    0x00080090: ("PN", "ReferringPhysicianName"),
    0x00081010: ("SH", "StationName"),
    0x00081030: ("LO", "StudyDescription"),
    0x0008103E: ("LO", "SeriesDescription"),
    0x00081090: ("LO", "ManufacturerModelName"),
    0x00081140: ("SQ", "ReferencedImageSequence"),
    0x00081150: ("UI", "ReferencedSOPClassUID"),
    0x00081155: ("UI", "ReferencedSOPInstanceUID"),
    0x00082111: ("ST", "DerivationDescription"),
    0x00082112: ("SQ", "SourceImageSequence"),
    # -- Patient ------------------------------------------------------------------------------
    0x00100010: ("PN", "PatientName"),
    0x00100020: ("LO", "PatientID"),
    0x00100030: ("DA", "PatientBirthDate"),
    0x00100040: ("CS", "PatientSex"),
    0x00101010: ("AS", "PatientAge"),
    # -- Acquisition, Image Plane (PS3.3 C.7.6.2) ---------------------------------------------
    0x00180015: ("CS", "BodyPartExamined"),
    0x00180050: ("DS", "SliceThickness"),
    0x00180060: ("DS", "KVP"),
    0x00180088: ("DS", "SpacingBetweenSlices"),
    0x00181020: ("LO", "SoftwareVersions"),
    0x00181063: ("DS", "FrameTime"),
    0x00181065: ("DS", "FrameTimeVector"),
    0x00181164: ("DS", "ImagerPixelSpacing"),
    0x00185100: ("CS", "PatientPosition"),
    0x0020000D: ("UI", "StudyInstanceUID"),
    0x0020000E: ("UI", "SeriesInstanceUID"),
    0x00200010: ("SH", "StudyID"),
    0x00200011: ("IS", "SeriesNumber"),
    0x00200012: ("IS", "AcquisitionNumber"),
    0x00200013: ("IS", "InstanceNumber"),
    0x00200020: ("CS", "PatientOrientation"),
    0x00200032: ("DS", "ImagePositionPatient"),
    0x00200037: ("DS", "ImageOrientationPatient"),
    0x00200052: ("UI", "FrameOfReferenceUID"),
    0x00201040: ("LO", "PositionReferenceIndicator"),
    0x00201041: ("DS", "SliceLocation"),
    0x00209113: ("SQ", "PlanePositionSequence"),
    0x00209116: ("SQ", "PlaneOrientationSequence"),
    # -- Image Pixel (PS3.3 C.7.6.3), Multi-frame (C.7.6.6) -----------------------------------
    0x00280002: ("US", "SamplesPerPixel"),
    0x00280003: ("US", "SamplesPerPixelUsed"),
    0x00280004: ("CS", "PhotometricInterpretation"),
    0x00280006: ("US", "PlanarConfiguration"),
    0x00280008: ("IS", "NumberOfFrames"),
    0x00280009: ("AT", "FrameIncrementPointer"),
    0x00280010: ("US", "Rows"),
    0x00280011: ("US", "Columns"),
    0x00280030: ("DS", "PixelSpacing"),
    0x00280034: ("IS", "PixelAspectRatio"),
    0x00280051: ("CS", "CorrectedImage"),
    0x00280100: ("US", "BitsAllocated"),
    0x00280101: ("US", "BitsStored"),
    0x00280102: ("US", "HighBit"),
    0x00280103: ("US", "PixelRepresentation"),
    0x00280106: ("US", "SmallestImagePixelValue"),  # US or SS
    0x00280107: ("US", "LargestImagePixelValue"),  # US or SS
    0x00280108: ("US", "SmallestPixelValueInSeries"),  # US or SS
    0x00280109: ("US", "LargestPixelValueInSeries"),  # US or SS
    0x00280120: ("US", "PixelPaddingValue"),  # US or SS
    0x00280121: ("US", "PixelPaddingRangeLimit"),  # US or SS
    0x00280300: ("CS", "QualityControlImage"),
    0x00280301: ("CS", "BurnedInAnnotation"),
    0x00280302: ("CS", "RecognizableVisualFeatures"),
    0x00280A02: ("CS", "PixelSpacingCalibrationType"),
    0x00280A04: ("LO", "PixelSpacingCalibrationDescription"),
    0x00281040: ("CS", "PixelIntensityRelationship"),
    0x00281041: ("SS", "PixelIntensityRelationshipSign"),
    # -- VOI LUT (C.11.2) and Modality LUT (C.11.1) -------------------------------------------
    0x00281050: ("DS", "WindowCenter"),
    0x00281051: ("DS", "WindowWidth"),
    0x00281052: ("DS", "RescaleIntercept"),
    0x00281053: ("DS", "RescaleSlope"),
    0x00281054: ("LO", "RescaleType"),
    0x00281055: ("LO", "WindowCenterWidthExplanation"),
    0x00281056: ("CS", "VOILUTFunction"),
    0x00283000: ("SQ", "ModalityLUTSequence"),
    0x00283002: ("US", "LUTDescriptor"),  # US or SS
    0x00283003: ("LO", "LUTExplanation"),
    0x00283004: ("LO", "ModalityLUTType"),
    0x00283006: ("US", "LUTData"),  # US or OW
    0x00283010: ("SQ", "VOILUTSequence"),
    # -- Palette Color LUT (C.7.6.3, C.7.9), ICC Profile (C.11.15) ----------------------------
    0x00281101: ("US", "RedPaletteColorLookupTableDescriptor"),  # US or SS
    0x00281102: ("US", "GreenPaletteColorLookupTableDescriptor"),  # US or SS
    0x00281103: ("US", "BluePaletteColorLookupTableDescriptor"),  # US or SS
    0x00281104: ("US", "AlphaPaletteColorLookupTableDescriptor"),
    0x00281199: ("UI", "PaletteColorLookupTableUID"),
    0x00281201: ("OW", "RedPaletteColorLookupTableData"),
    0x00281202: ("OW", "GreenPaletteColorLookupTableData"),
    0x00281203: ("OW", "BluePaletteColorLookupTableData"),
    0x00281204: ("OW", "AlphaPaletteColorLookupTableData"),
    0x00281221: ("OW", "SegmentedRedPaletteColorLookupTableData"),
    0x00281222: ("OW", "SegmentedGreenPaletteColorLookupTableData"),
    0x00281223: ("OW", "SegmentedBluePaletteColorLookupTableData"),
    0x00281224: ("OW", "SegmentedAlphaPaletteColorLookupTableData"),
    0x00282000: ("OB", "ICCProfile"),
    0x00282002: ("CS", "ColorSpace"),
    0x00282110: ("CS", "LossyImageCompression"),
    0x00282112: ("DS", "LossyImageCompressionRatio"),
    0x00282114: ("CS", "LossyImageCompressionMethod"),
    0x00287FE0: ("UR", "PixelDataProviderURL"),
    0x00289001: ("UL", "DataPointRows"),
    0x00289002: ("UL", "DataPointColumns"),
    0x00289110: ("SQ", "PixelMeasuresSequence"),
    0x00289132: ("SQ", "FrameVOILUTSequence"),
    0x00289145: ("SQ", "PixelValueTransformationSequence"),
    # -- Enhanced multi-frame functional groups (C.7.6.16) ------------------------------------
    0x52009229: ("SQ", "SharedFunctionalGroupsSequence"),
    0x52009230: ("SQ", "PerFrameFunctionalGroupsSequence"),
    # -- Pixel data (PS3.5 A.4, PS3.3 C.7.6.3) --------------------------------------------------
    0x7FE00001: ("OV", "ExtendedOffsetTable"),
    0x7FE00002: ("OV", "ExtendedOffsetTableLengths"),
    0x7FE00003: ("UV", "EncapsulatedPixelDataValueTotalLength"),
    0x7FE00008: ("OF", "FloatPixelData"),
    0x7FE00009: ("OD", "DoubleFloatPixelData"),
    0x7FE00010: ("OW", "PixelData"),  # OB or OW: OB when encapsulated (PS3.5 A.4)
    0xFFFCFFFC: ("OB", "DataSetTrailingPadding"),
    # -- Items and delimiters (PS3.5 7.5): no VR, as in pydicom ---------------------------------
    0xFFFEE000: ("NONE", "Item"),
    0xFFFEE00D: ("NONE", "ItemDelimitationItem"),
    0xFFFEE0DD: ("NONE", "SequenceDelimitationItem"),
}

#: Tags whose PS3.6 VR is "US or SS": SS when Pixel Representation is 1 (PS3.5 A.1 note).
US_OR_SS_TAGS: frozenset[int] = frozenset(
    {0x00280106, 0x00280107, 0x00280108, 0x00280109, 0x00280120, 0x00280121}
)

_TAGS_BY_KEYWORD: dict[str, int] = {keyword: tag for tag, (_, keyword) in DICTIONARY.items()}


def keyword_for(tag: int) -> str:
    """Return the keyword of *tag*, or ``""`` when it is not in this small dictionary.

    >>> keyword_for(0x7FE00010), keyword_for(0x00091001)
    ('PixelData', '')
    """
    entry = DICTIONARY.get(tag)
    return entry[1] if entry is not None else ""


def tag_for(keyword: str) -> int | None:
    """Return the tag of *keyword*, or ``None`` when it is not in this small dictionary.

    >>> tag_for("NumberOfFrames") == 0x00280008, tag_for("NoSuchKeyword")
    (True, None)
    """
    return _TAGS_BY_KEYWORD.get(keyword)


def vr_for(tag: int) -> str:
    """Return the VR to use for *tag* when the file does not say (Implicit VR, PS3.5 7.1.3).

    Group length elements (gggg,0000) are UL (PS3.5 7.2) and private creator
    elements (odd gggg, 0010-00FF) are LO (PS3.5 7.8.1); any other tag not in
    :data:`DICTIONARY` is ``"UN"``.

    >>> vr_for(0x00280010), vr_for(0x00431029)
    ('US', 'UN')
    """
    entry = DICTIONARY.get(tag)
    if entry is not None:
        return entry[0]
    element = tag & 0xFFFF
    if element == 0x0000:
        return "UL"
    if (tag >> 16) & 1 and 0x0010 <= element <= 0x00FF:
        return "LO"
    return "UN"
