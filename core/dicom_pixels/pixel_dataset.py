"""Changing the pixel data of a pydicom ``Dataset`` in place: compress, decompress, replace.

:func:`compress`, :func:`decompress` and :func:`set_pixel_data` behave as
``pydicom.pixels.utils`` functions of the same names, through dicom-pixels'
plugins, and keep every element that depends on the pixel data consistent:

* (0002,0010) Transfer Syntax UID; the pixel element's VR (OB when encapsulated
  or Bits Allocated <= 8, else OW; PS3.5 8.2, A.4) and undefined length;
* the Image Pixel module (PS3.3 C.7.6.3): Photometric Interpretation (e.g. when a
  codec converted RGB to YBR_FULL_422), Planar Configuration (0 after any
  codec, PS3.5 8.2), Bits Allocated/Stored, High Bit, Pixel Representation;
* (0028,2110) Lossy Image Compression "01", with (0028,2112) Lossy Image
  Compression Ratio and (0028,2114) Method appended (PS3.3 C.7.6.1.1.5),
  when the encoding loses information;
* (7FE0,0001)/(7FE0,0002) the Extended Offset Table, written when asked or when
  the Basic Offset Table's 32-bit offsets would overflow (PS3.5 A.4), removed otherwise;
* (0008,0018) SOP Instance UID and (0002,0003) with a new UUID-derived ``2.25.`` UID.

pydicom is needed only because the caller passes its Datasets; it is imported lazily.

>>> import numpy as np, dicom_pixels as dp
>>> from pydicom import Dataset
>>> ds = Dataset()
>>> dp.set_pixel_data(ds, np.zeros((4, 4), "u1"), "MONOCHROME2", 8)
>>> dp.compress(ds, "RLELossless", encoding_plugin="native").file_meta.TransferSyntaxUID
'1.2.840.10008.1.2.5'
"""

from __future__ import annotations

import uuid
from typing import Any

import numpy as np

from . import encaps
from .arguments import (
    ENCODING_OPTIONS,
    check_array,
    check_dataset,
    check_integer,
    check_options,
    check_text,
    checked_signature,
    parameter_names,
)
from .decoder import get_decoder
from .description import IMAGE_PIXEL_KEYWORDS, ImageDescription
from .encoder import ConvertRun, EncodeRun, get_encoder, is_lossy, lossy_method, native_frame
from .errors import (
    EncodingProfileError,
    InvalidArgumentError,
    InvalidDicomError,
    InvalidPixelDescriptionError,
)
from .source import IMAGE_PIXEL_OPTIONS
from .uid import lookup

__all__ = ["BASIC_OFFSET_LIMIT", "compress", "decompress", "generate_uid", "set_pixel_data"]

#: The largest offset a Basic Offset Table entry holds (32 bits, PS3.5 A.4). Encapsulated
#: data whose last frame starts beyond it gets an Extended Offset Table instead.
BASIC_OFFSET_LIMIT = 2**32 - 1

_EXPLICIT_VR_LE = "1.2.840.10008.1.2.1"
_PIXEL_KEYWORDS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")
#: What compress(**options) reads: encoding options, Image Pixel overrides and the
#: options of the decode of the dataset's own pixels.
COMPRESS_OPTIONS = ENCODING_OPTIONS | IMAGE_PIXEL_OPTIONS | {"decoding_plugin", "allow_excess_frames", "workers"}


@checked_signature
def generate_uid() -> str:
    """Return a new UID under the ``2.25`` root derived from a random UUID (PS3.5 B.2).

    >>> generate_uid().startswith("2.25.") and len(generate_uid()) <= 64
    True
    """
    return f"2.25.{uuid.uuid4().int}"


def _file_meta(ds: Any) -> Any:
    meta = getattr(ds, "file_meta", None)
    if meta is None:
        from pydicom.dataset import FileMetaDataset

        meta = FileMetaDataset()
        ds.file_meta = meta
    return meta


def _set_instance_uid(ds: Any) -> None:
    instance = generate_uid()
    ds.SOPInstanceUID = instance
    _file_meta(ds).MediaStorageSOPInstanceUID = instance


def _now_little_endian(ds: Any) -> None:
    """Mark a dataset read from a big endian file as little endian, as its new syntax is.

    pydicom refuses to save a dataset in another byte order than it was read with;
    every encapsulated and our native output syntax is little endian (PS3.5 A.4).
    """
    original = getattr(ds, "original_encoding", (None, None))
    if original[1] is False and hasattr(ds, "set_original_encoding"):
        ds.set_original_encoding(False, True, getattr(ds, "original_character_set", None))


def _forget_pixel_cache(ds: Any) -> None:
    # pydicom caches the decoded array; it no longer matches the new pixel data.
    if hasattr(ds, "_pixel_array"):
        ds._pixel_array = None
    if hasattr(ds, "_pixel_id"):
        ds._pixel_id = {}


def _set_image_pixel(ds: Any, image: ImageDescription, had_frames: bool) -> None:
    """Write the Image Pixel module values of *image* (PS3.3 C.7.6.3)."""
    ds.Rows = image.rows
    ds.Columns = image.columns
    ds.SamplesPerPixel = image.samples_per_pixel
    ds.PhotometricInterpretation = image.photometric_interpretation
    ds.BitsAllocated = image.bits_allocated
    if image.is_float:
        # PS3.3 C.7.6.24: Float Pixel Data has no Bits Stored, High Bit or Pixel Representation.
        for keyword in ("BitsStored", "HighBit", "PixelRepresentation"):
            if keyword in ds:
                del ds[keyword]
    else:
        ds.BitsStored = image.bits_stored
        ds.HighBit = image.bits_stored - 1
        ds.PixelRepresentation = image.pixel_representation
    if image.samples_per_pixel > 1:
        ds.PlanarConfiguration = image.planar_configuration
    elif "PlanarConfiguration" in ds:
        del ds.PlanarConfiguration
    if image.number_of_frames > 1 or had_frames:
        ds.NumberOfFrames = image.number_of_frames
    elif "NumberOfFrames" in ds:
        del ds.NumberOfFrames


def _append_multi(ds: Any, keyword: str, value: Any) -> None:
    old = ds.get(keyword)
    if old is None or old == "":
        setattr(ds, keyword, value)
        return
    values = list(old) if not isinstance(old, (str, bytes, int, float)) else [old]
    setattr(ds, keyword, [*values, value])


def _mark_lossy(ds: Any, ratio: float, method: str) -> None:
    """PS3.3 C.7.6.1.1.5: once lossy, always "01"; ratios and methods accumulate."""
    ds.LossyImageCompression = "01"
    _append_multi(ds, "LossyImageCompressionRatio", float(f"{ratio:.6g}"))
    if method:
        _append_multi(ds, "LossyImageCompressionMethod", method)


def encapsulate_frames(frames: list[bytes], *, extended: bool = False) -> tuple[bytes, bytes | None, bytes | None]:
    """Encapsulate *frames*, with an Extended Offset Table when asked or needed.

    :returns: (Pixel Data value, Extended Offset Table or ``None``, its lengths or ``None``).

    >>> value, table, lengths = encapsulate_frames([b"abc"])
    >>> table is None, len(value)
    (True, 24)
    """
    last_offset = sum(8 + len(f) + len(f) % 2 for f in frames[:-1])
    if extended or last_offset > BASIC_OFFSET_LIMIT:
        value, table, lengths = encaps.encapsulate_extended(frames)
        return value, table, lengths
    return encaps.encapsulate(frames, has_bot=True), None, None


# (0018,1063) Frame Time, the tag Frame Increment Pointer names for cine and video (PS3.3 C.7.6.5).
_FRAME_TIME_TAG = 0x00181063


def video_frame_rate(option: Any, cine_rate: Any, frame_time: Any) -> float:
    """The rate to encode a video at: the ``frame_rate`` option, else (0018,0040) Cine
    Rate, else 1000 / (0018,1063) Frame Time (ms), else 25 frames/s.

    >>> video_frame_rate(None, None, "40")
    25.0
    """
    rate = option
    if rate is None and cine_rate:
        rate = float(cine_rate)
    if rate is None and frame_time:
        rate = 1000.0 / float(frame_time)
    rate = 25.0 if rate is None else float(rate)
    if not 0 < rate <= 1000:
        raise EncodingProfileError(f"A video's frame rate must be above 0 and at most 1000 frames/s, not {rate}")
    return rate


#: SOP Classes whose Photometric Interpretation rules allow no RGB in JPEG 2000: the
#: Ultrasound Image and Ultrasound Multi-frame Image IODs (and their retired forms), PS3.3
#: C.8.5.6.1.2, which require YBR_RCT (lossless) or YBR_ICT (lossy) there.
_TRANSFORMED_J2K_COLOUR_SOP_CLASSES = frozenset({
    "1.2.840.10008.5.1.4.1.1.6.1", "1.2.840.10008.5.1.4.1.1.3.1",  # US Image, US Multi-frame Image
    "1.2.840.10008.5.1.4.1.1.6", "1.2.840.10008.5.1.4.1.1.3",  # their retired predecessors
})
_J2K_PART1 = frozenset({"1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91"})


def default_colour_transform(options: dict[str, Any], sop_class_uid: Any, photometric: Any, ts: Any) -> None:
    """Set ``use_mct`` in *options* when the IOD requires the JPEG 2000 colour transform.

    An RGB image of an Ultrasound IOD stored as JPEG 2000 must use the reversible (or
    irreversible) multiple component transform and say YBR_RCT (YBR_ICT), PS3.3
    C.8.5.6.1.2; an explicit ``use_mct`` is left as given.

    >>> options = {}
    >>> default_colour_transform(options, "1.2.840.10008.5.1.4.1.1.6.1", "RGB", lookup("JPEG2000Lossless"))
    >>> options
    {'use_mct': True}
    """
    if (ts.uid in _J2K_PART1 and str(sop_class_uid or "") in _TRANSFORMED_J2K_COLOUR_SOP_CLASSES
            and str(photometric or "").strip() == "RGB"):
        options.setdefault("use_mct", True)


def video_timing(rate: float) -> dict[str, Any]:
    """Cine Rate, Frame Time and Frame Increment Pointer of the encoded rate (PS3.3 C.7.6.5,
    C.7.6.6; the video transfer syntaxes require them to match the stream, PS3.5 8.2.5).

    >>> video_timing(30.0)
    {'CineRate': 30, 'FrameTime': 33.3333, 'FrameIncrementPointer': 1577059}
    """
    return {"CineRate": round(rate), "FrameTime": float(f"{1000.0 / rate:.6g}"), "FrameIncrementPointer": _FRAME_TIME_TAG}


#: The longest fragment (an item length is 32 bits, even, PS3.5 A.4) a video stream is split into.
VIDEO_FRAGMENT_LIMIT = 2**32 - 2


def _encapsulate_video(stream: bytes, ts: Any) -> bytes:
    """PS3.5 A.4.5-A.4.7 (8.2.5): the stream is one frame, with an empty Basic Offset Table;
    one fragment, or for the "Fragmentable" syntaxes (UIDs ending .1) as many as needed."""
    fragments = 1 + (len(stream) - 1) // VIDEO_FRAGMENT_LIMIT if stream else 1
    if fragments > 1 and not ts.uid.endswith(".1"):
        raise EncodingProfileError(
            f"The {len(stream)}-byte video stream does not fit one fragment (at most 2**32 - 2 "
            f"bytes), which '{ts.name}' requires: use its Fragmentable variant ({ts.uid}.1)"
        )
    return encaps.encapsulate([stream], fragments_per_frame=fragments, has_bot=False)


@checked_signature
def compress(
    ds: Any,
    uid: str,
    arr: np.ndarray | None = None,
    *,
    encoding_plugin: str = "",
    encapsulate_ext: bool = False,
    generate_instance_uid: bool = True,
    **options: Any,
) -> Any:
    """Compress the pixel data of *ds* (or *arr*, described by *ds*) in place as *uid*.

    :param ds: a pydicom ``Dataset`` with an Image Pixel module; its pixel data may be
        native or already compressed (it is decoded first through dicom-pixels).
    :param uid: the target transfer syntax UID or keyword.
    :param arr: new pixels to encode instead of the dataset's, described by the
        dataset's Image Pixel module values.
    :param encoding_plugin: use only this plugin.
    :param encapsulate_ext: always write an Extended Offset Table (PS3.5 A.4).
    :param generate_instance_uid: give the dataset a new SOP Instance UID.
    :param options: encoding options: ``j2k_cr``, ``j2k_psnr``, ``jls_error``,
        ``quality``, ``use_mct``, plugin-specific ones; ``workers``: threads encoding
        frames (default: one per core when the codec releases the GIL, else 1).
    :returns: *ds*.
    :raises EncodingProfileError: the image or an option does not fit *uid*; *ds*
        is unchanged.

    >>> import numpy as np, dicom_pixels as dp
    >>> from pydicom import Dataset
    >>> ds = Dataset()
    >>> dp.set_pixel_data(ds, np.arange(12, dtype="u1").reshape(3, 4), "MONOCHROME2", 8)
    >>> _ = dp.compress(ds, "RLELossless", encoding_plugin="native", generate_instance_uid=False)
    >>> ds["PixelData"].VR, ds["PixelData"].is_undefined_length
    ('OB', True)
    """
    check_dataset(ds, "ds", "compress", pydicom_only=True)
    check_text(uid, "uid", "compress")
    check_text(encoding_plugin, "encoding_plugin", "compress")
    check_options(options, COMPRESS_OPTIONS | parameter_names(compress), "compress")
    if arr is not None:
        _check_new_array(ds, check_array(arr, "arr", "compress"))
    ts = lookup(uid)
    if not ts.encapsulated:
        raise EncodingProfileError(
            f"'{ts.name}' is not a compressed transfer syntax: use decompress() instead"
        )
    encoder = get_encoder(ts.uid)
    for attr in {a for _, a in IMAGE_PIXEL_KEYWORDS.values()}:
        options.pop(attr, None)  # as pydicom: the dataset's module describes the pixels
    if arr is None:
        src: Any = ds
        had_frames = "NumberOfFrames" in ds
    else:
        src = arr
        had_frames = "NumberOfFrames" in ds  # arr has the dataset's frames (_check_new_array)
        for keyword, (_tag, attr) in IMAGE_PIXEL_KEYWORDS.items():
            value = ds.get(keyword)
            if value is not None and keyword not in ("Rows", "Columns", "NumberOfFrames", "PlanarConfiguration"):
                options[attr] = value
    default_colour_transform(options, ds.get("SOPClassUID"), ds.get("PhotometricInterpretation"), ts)
    if ts.is_video:
        options["frame_rate"] = video_frame_rate(options.get("frame_rate"), ds.get("CineRate"), ds.get("FrameTime"))
        had_frames = True  # video IODs include the Multi-frame module (PS3.3 C.7.6.6)
    converter = None if arr is not None else _converter_for(ds, ts, encoding_plugin)
    encoded: list[bytes] = []
    info: dict[str, Any] = {}
    run: EncodeRun | ConvertRun
    if converter is not None:
        # A plugin rewrites each frame's bitstream without decoding it (JPEG -> JPEG XL
        # JPEG Recompression and back, bit-exact): the image and its lossy state are the same.
        run = ConvertRun(converter, ds, lookup(converter.source_uid), ts, options)
    else:
        run = EncodeRun(encoder, src, encoding_plugin, options)
    with run:
        for data, frame_info in run.encode_frames(range(run.count)):
            encoded.append(data)
            info = info or frame_info
        image = run.image
        frame_count = run.count
    if ts.is_video:
        value, table, lengths = _encapsulate_video(encoded[0], ts), None, None
    else:
        value, table, lengths = encapsulate_frames(encoded, extended=encapsulate_ext)
    # Every check passed and every frame is encoded: now change the dataset.
    pi = info.get("photometric_interpretation", image.photometric_interpretation)
    _set_image_pixel(ds, image.replace(photometric_interpretation=pi, planar_configuration=0), had_frames)
    for keyword in _PIXEL_KEYWORDS[1:]:
        if keyword in ds:
            del ds[keyword]
    ds.PixelData = value
    element = ds["PixelData"]
    element.VR = "OB"  # PS3.5 A.4: encapsulated pixel data is OB with undefined length
    element.is_undefined_length = True
    if table is not None:
        ds.ExtendedOffsetTable = table
        ds["ExtendedOffsetTable"].VR = "OV"
        ds.ExtendedOffsetTableLengths = lengths
        ds["ExtendedOffsetTableLengths"].VR = "OV"
    else:
        for keyword in ("ExtendedOffsetTable", "ExtendedOffsetTableLengths"):
            if keyword in ds:
                del ds[keyword]
    if ts.is_video:
        for keyword, value in video_timing(options["frame_rate"]).items():
            setattr(ds, keyword, value)
    if converter is None and is_lossy(ts, options):
        original = image.pixels_per_frame * image.bits_allocated / 8 * frame_count
        _mark_lossy(ds, original / max(1, sum(len(f) for f in encoded)), lossy_method(ts))
    _forget_pixel_cache(ds)
    _now_little_endian(ds)
    _file_meta(ds).TransferSyntaxUID = ts.uid
    if generate_instance_uid:
        _set_instance_uid(ds)
    return ds


def _converter_for(ds: Any, ts: Any, plugin: str) -> Any:
    """The plugin converter from the dataset's transfer syntax to *ts*, or ``None``."""
    from .registry import manager

    current = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
    return manager.converter(str(current), ts.uid, plugin) if current else None


def _check_new_array(ds: Any, arr: np.ndarray) -> None:
    """*arr* must have the shape the dataset's Image Pixel module describes (as pydicom).

    Number of Frames, Rows, Columns and Samples per Pixel stay those of *ds*: an
    array of another shape would silently change (or drop) them.
    """
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    rows, columns = ds.get("Rows"), ds.get("Columns")
    samples = int(ds.get("SamplesPerPixel", 1) or 1)
    if rows is None or columns is None:
        raise InvalidArgumentError(
            "compress(): 'arr' is described by the dataset's Image Pixel module, but the dataset "
            "has no (0028,0010) Rows or (0028,0011) Columns: use set_pixel_data(ds, arr, ...) first"
        )
    frame_shape = (int(rows), int(columns)) + ((samples,) if samples > 1 else ())
    allowed = [(frames, *frame_shape)] + ([frame_shape] if frames == 1 else [])
    if arr.shape in allowed:
        return
    arr_frames = arr.shape[0] if arr.ndim == len(frame_shape) + 1 else 1
    if arr.shape[-len(frame_shape):] == frame_shape and arr.ndim in (len(frame_shape), len(frame_shape) + 1):
        raise InvalidArgumentError(
            f"compress(): 'arr' holds {arr_frames} frame(s) but the dataset's (0028,0008) Number of "
            f"Frames is {frames}: pass an array of all {frames} frames, or to change the number of "
            f"frames set the pixel data first with set_pixel_data(ds, arr, ...) (or set "
            f"ds.NumberOfFrames = {arr_frames})"
        )
    raise InvalidArgumentError(
        f"compress(): 'arr' has shape {arr.shape} but the dataset describes "
        f"{' or '.join(str(shape) for shape in allowed)} (Number of Frames, Rows, Columns, Samples "
        "per Pixel): pass an array of that shape, or use set_pixel_data(ds, arr, ...) to change them"
    )


@checked_signature
def decompress(
    ds: Any,
    *,
    as_rgb: bool = True,
    decoding_plugin: str = "",
    generate_instance_uid: bool = True,
    **options: Any,
) -> Any:
    """Decompress the pixel data of *ds* in place to Explicit VR Little Endian.

    :param ds: a pydicom ``Dataset`` with compressed pixel data.
    :param as_rgb: convert YCbCr pixel data to RGB (and say so in Photometric Interpretation).
    :param decoding_plugin: use only this plugin.
    :param generate_instance_uid: give the dataset a new SOP Instance UID.
    :param options: decoding options.
    :returns: *ds*.

    >>> import dicom_pixels as dp, pydicom
    >>> ds = pydicom.dcmread(dp.examples.get_path("rle_rgb"))
    >>> dp.decompress(ds).file_meta.TransferSyntaxUID, ds["PixelData"].VR
    ('1.2.840.10008.1.2.1', 'OB')
    """
    check_dataset(ds, "ds", "decompress", pydicom_only=True)
    check_text(decoding_plugin, "decoding_plugin", "decompress")
    meta = getattr(ds, "file_meta", None)
    tsyntax = meta.get("TransferSyntaxUID") if meta is not None else None
    if not tsyntax:
        raise InvalidDicomError(
            "Unable to decompress the dataset: its 'file_meta' has no (0002,0010) Transfer "
            "Syntax UID element"
        )
    ts = lookup(str(tsyntax))
    if not ts.encapsulated:
        raise InvalidDicomError(f"The dataset's pixel data is not compressed ('{ts.name}')")
    arr, props = get_decoder(ts.uid).as_array(ds, decoding_plugin=decoding_plugin, as_rgb=as_rgb, **options)
    pi = props["photometric_interpretation"]
    if pi == "YBR_FULL_422":
        pi = "YBR_FULL"  # the decoded array holds every chroma sample (PS3.3 C.7.6.3.1.2)
    frames = int(props.get("number_of_frames", 1))
    image = ImageDescription(
        int(props["rows"]), int(props["columns"]), int(props["samples_per_pixel"]),
        int(props["bits_allocated"]), int(props.get("bits_stored", props["bits_allocated"])),
        int(props.get("pixel_representation", 0)), pi, _EXPLICIT_VR_LE,
        number_of_frames=frames,
    )
    data = native_frame(arr, image, lookup(_EXPLICIT_VR_LE), 0)
    _set_image_pixel(ds, image, "NumberOfFrames" in ds)
    ds.PixelData = data + b"\x00" * (len(data) % 2)  # PS3.5 7.1.1: even length
    element = ds["PixelData"]
    element.VR = "OB" if image.bits_allocated <= 8 else "OW"
    element.is_undefined_length = False
    for keyword in ("ExtendedOffsetTable", "ExtendedOffsetTableLengths"):
        if keyword in ds:
            del ds[keyword]
    _forget_pixel_cache(ds)
    ds.file_meta.TransferSyntaxUID = _EXPLICIT_VR_LE
    if generate_instance_uid:
        _set_instance_uid(ds)
    return ds


_SAMPLES = {
    "MONOCHROME1": 1,
    "MONOCHROME2": 1,
    "PALETTE COLOR": 1,
    "RGB": 3,
    "YBR_FULL": 3,
    "YBR_FULL_422": 3,
}


@checked_signature
def set_pixel_data(
    ds: Any,
    arr: np.ndarray,
    photometric_interpretation: str,
    bits_stored: int,
    *,
    generate_instance_uid: bool = True,
) -> None:
    """Replace the pixel data of *ds* with *arr*, updating the Image Pixel module in place.

    Integer arrays (``u1``, ``i1``, ``u2``, ``i2``, ``u4``, ``i4``) become (7FE0,0010)
    Pixel Data, boolean arrays 1-bit Pixel Data (Bits Allocated 1, MONOCHROME, bits
    packed as PS3.5 8.1.1 says); ``float32`` arrays (7FE0,0008) Float Pixel Data and ``float64`` arrays
    (7FE0,0009) Double Float Pixel Data (*bits_stored* must then equal the item size
    in bits). Shapes: ``(rows, cols)``, ``(frames, rows, cols)``, ``(rows, cols, 3)``,
    ``(frames, rows, cols, 3)``. ``YBR_FULL_422`` data is subsampled as stored
    (PS3.3 C.7.6.3.1.2). Compressed datasets become Explicit VR Little Endian.

    :raises InvalidPixelDescriptionError: the array does not fit the arguments; *ds*
        is unchanged.

    >>> import numpy as np, dicom_pixels as dp
    >>> from pydicom import Dataset
    >>> ds = Dataset()
    >>> dp.set_pixel_data(ds, np.zeros((3, 3), "u1"), "MONOCHROME2", 8)
    >>> len(ds.PixelData), ds.file_meta.TransferSyntaxUID
    (10, '1.2.840.10008.1.2.1')
    """
    check_dataset(ds, "ds", "set_pixel_data", pydicom_only=True)
    check_array(arr, "arr", "set_pixel_data")
    check_text(photometric_interpretation, "photometric_interpretation", "set_pixel_data")
    check_integer(bits_stored, "bits_stored", "set_pixel_data")
    dtype = arr.dtype
    is_float = dtype.kind == "f"
    is_bool = dtype.kind == "b"
    if not (is_bool or (dtype.kind in "ui" and dtype.itemsize in (1, 2, 4)) or (is_float and dtype.itemsize in (4, 8))):
        raise InvalidPixelDescriptionError(
            f"Unsupported ndarray dtype '{dtype}': use bool (1-bit), uint8, int8, uint16, int16, "
            "uint32, int32 (Pixel Data), float32 (Float Pixel Data) or float64 (Double Float Pixel Data)"
        )
    if is_bool and (photometric_interpretation not in ("MONOCHROME1", "MONOCHROME2") or bits_stored != 1):
        raise InvalidPixelDescriptionError(
            "A boolean ndarray is stored as 1-bit pixel data (Bits Allocated 1): it needs a "
            f"MONOCHROME photometric interpretation and 'bits_stored' 1, not "
            f"'{photometric_interpretation}' and {bits_stored}"
        )
    meta = _file_meta(ds)
    tsyntax = meta.get("TransferSyntaxUID")
    ts = lookup(str(tsyntax)) if tsyntax else None
    if ts is not None and not ts.little_endian:
        raise InvalidPixelDescriptionError(
            f"The dataset's transfer syntax '{ts.name}' is big endian, which set_pixel_data() "
            "does not write: change it to Explicit VR Little Endian first"
        )
    samples = _SAMPLES.get(photometric_interpretation)
    if samples is None:
        raise InvalidPixelDescriptionError(
            f"Unsupported 'photometric_interpretation' value '{photometric_interpretation}': "
            f"use one of {', '.join(_SAMPLES)}"
        )
    frame_ndim = 2 if samples == 1 else 3
    if arr.ndim not in (frame_ndim, frame_ndim + 1) or (samples == 3 and arr.shape[-1] != 3):
        raise InvalidPixelDescriptionError(
            f"An ndarray with '{photometric_interpretation}' data must have shape "
            + ("(rows, columns) or (frames, rows, columns)" if samples == 1 else
               "(rows, columns, 3) or (frames, rows, columns, 3)")
            + f", not {arr.shape}"
        )
    bits = 1 if is_bool else dtype.itemsize * 8
    if is_float and bits_stored != bits:
        raise InvalidPixelDescriptionError(
            f"Float data has no unused bits: 'bits_stored' must be {bits} for {dtype}, not {bits_stored}"
        )
    if not 0 < bits_stored <= bits:
        raise InvalidPixelDescriptionError(
            f"Invalid 'bits_stored' value '{bits_stored}': it must be in the range 1 to {bits}, "
            f"the bits of the ndarray's itemsize"
        )
    frames = arr.shape[0] if arr.ndim == frame_ndim + 1 else 1
    rows, cols = arr.shape[-frame_ndim], arr.shape[-frame_ndim + 1]
    keyword = "PixelData" if not is_float else ("FloatPixelData" if bits == 32 else "DoubleFloatPixelData")
    image = ImageDescription(
        rows, cols, samples, bits, bits_stored, 1 if dtype.kind == "i" else 0,
        photometric_interpretation, _EXPLICIT_VR_LE, number_of_frames=frames, pixel_keyword=keyword,
    ).validate(where="the array")
    if not is_float and not is_bool and arr.size:
        low = 0 if dtype.kind == "u" else -(2 ** (bits_stored - 1))
        high = 2**bits_stored - 1 if dtype.kind == "u" else 2 ** (bits_stored - 1) - 1
        lo, hi = int(arr.min()), int(arr.max())
        if lo < low or hi > high:
            raise InvalidPixelDescriptionError(
                f"The range of values in the ndarray [{lo}, {hi}] is greater than that allowed "
                f"by the 'bits_stored' value [{low}, {high}]"
            )
    if photometric_interpretation == "YBR_FULL_422":
        # PS3.3 C.7.6.3.1.2: Y1 Y2 Cb Cr per pair of pixels.
        flat = arr.reshape(-1)
        data_arr = np.empty(flat.size // 3 * 2, dtype=dtype)
        data_arr[::4] = flat[::6]
        data_arr[1::4] = flat[3::6]
        data_arr[2::4] = flat[1::6]
        data_arr[3::4] = flat[2::6]
        data = data_arr.astype(dtype.newbyteorder("<")).tobytes()
    elif is_bool:
        # PS3.5 8.1.1: 1-bit pixels packed 8 to a byte, first pixel in the least significant
        # bit, frames following each other without padding (a frame may start mid-byte).
        data = np.packbits(arr, axis=None, bitorder="little").tobytes()
    else:
        data = np.ascontiguousarray(arr, dtype=dtype.newbyteorder("<")).tobytes()
    # Every check passed: now change the dataset.
    _set_image_pixel(ds, image, frames > 1)
    for other in _PIXEL_KEYWORDS:
        if other != keyword and other in ds:
            del ds[other]
    setattr(ds, keyword, data + b"\x00" * (len(data) % 2))
    element = ds[keyword]
    element.VR = {"FloatPixelData": "OF", "DoubleFloatPixelData": "OD"}.get(
        keyword, "OB" if bits <= 8 else "OW"
    )
    element.is_undefined_length = False
    for name in ("ExtendedOffsetTable", "ExtendedOffsetTableLengths"):
        if name in ds:
            del ds[name]
    _forget_pixel_cache(ds)
    if ts is None or ts.encapsulated:
        meta.TransferSyntaxUID = _EXPLICIT_VR_LE
    if generate_instance_uid:
        _set_instance_uid(ds)
