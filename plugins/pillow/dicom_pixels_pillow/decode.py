"""Frame decoders backed by Pillow: JPEG Baseline/Extended (8-bit) and JPEG 2000.

Each function is a dicom-pixels decode callable, ``decode(data, frame)``
(see :mod:`dicom_pixels.codec`), and reproduces what pydicom 3's Pillow
plugin (``pydicom.pixels.decoders.pillow``) returns, so that the same Pillow
gives the same pixels through either library:

* JPEG: Pillow's libjpeg converts YCbCr to RGB unless told otherwise. As in
  pydicom, a 3-sample frame without an Adobe APP14 marker is decoded with
  ``draft("YCbCr")``, which keeps the stored components (the core converts
  YBR to RGB later if asked). With an Adobe marker Pillow decodes in the
  colour space the marker names; when that is YCbCr (transform 1, Adobe
  DCTEncode/DCTDecode technical note 5116) Pillow returns RGB, which is
  reported in ``frame.info`` so that the core does not convert again.
* JPEG 2000: Pillow (OpenJPEG) returns 8 or 16-bit unsigned samples scaled
  up to the container and level-shifted when signed; the precision from the
  SIZ marker undoes both, exactly as pydicom does. YBR_ICT/YBR_RCT come back
  as RGB because OpenJPEG undoes the component transform.

>>> import io, numpy as np
>>> from PIL import Image
>>> from dicom_pixels import DecodeFrame, ImageDescription
>>> buf = io.BytesIO(); Image.fromarray(np.full((8, 8), 100, "u1")).save(buf, "JPEG", quality=95)
>>> image = ImageDescription(8, 8, 1, 8, 8, 0, "MONOCHROME2", "1.2.840.10008.1.2.4.50")
>>> int(decode_jpeg(buf.getvalue(), DecodeFrame(image=image, index=0, options={})).max())
100
"""

from __future__ import annotations

from io import BytesIO
from typing import TYPE_CHECKING

import numpy as np

from dicom_pixels.codec import DecodeFrame, report_container, report_j2k_colour_transform
from dicom_pixels.errors import DecodeError

if TYPE_CHECKING:
    from PIL.ImageFile import ImageFile

__all__ = ["decode_j2k", "decode_jpeg"]

_JPEG_EXTENDED = "1.2.840.10008.1.2.4.51"


def _open(data: bytes, formats: tuple[str, ...]) -> ImageFile:
    from PIL import Image

    return Image.open(BytesIO(data), formats=formats)


def decode_jpeg(data: bytes, frame: DecodeFrame) -> np.ndarray:
    """Decode an 8-bit JPEG Baseline or Extended frame with Pillow.

    :returns: the frame's samples as stored (YCbCr stays YCbCr), ``uint8``.
    :raises DecodeError: JPEG Extended with a Bits Stored other than 8, which
        Pillow's 8-bit libjpeg cannot decode (as pydicom).

    >>> import io, numpy as np
    >>> from PIL import Image
    >>> from dicom_pixels import DecodeFrame, ImageDescription
    >>> rgb = np.zeros((8, 8, 3), "u1"); rgb[..., 0] = 255
    >>> buf = io.BytesIO(); Image.fromarray(rgb).save(buf, "JPEG", quality=100)
    >>> image = ImageDescription(8, 8, 3, 8, 8, 0, "YBR_FULL", "1.2.840.10008.1.2.4.50")
    >>> decode_jpeg(buf.getvalue(), DecodeFrame(image=image, index=0, options={}))[0, 0].tolist()
    [76, 85, 255]
    """
    image = frame.image
    if image.transfer_syntax_uid == _JPEG_EXTENDED and image.bits_stored != 8:
        raise DecodeError(
            f"Unable to decode frame {frame.index}: Pillow does not support 'JPEG Extended' "
            f"for samples with {image.bits_stored}-bit precision (only 8-bit)"
        )
    with _open(data, ("JPEG",)) as pil:
        if image.samples_per_pixel != 1:
            transform = pil.info.get("adobe_transform")
            if transform is None:
                # Without an Adobe marker Pillow assumes YCbCr and would convert to
                # RGB; asking for YCbCr keeps the samples as stored (pydicom's choice).
                pil.draft("YCbCr", pil.size)
            elif transform:
                # Adobe transform 1: libjpeg converts YCbCr to RGB while decoding.
                frame.info["photometric_interpretation"] = "RGB"
        buffer = pil.tobytes()
        width, height = pil.size
        bands = len(pil.getbands())
    arr = np.frombuffer(buffer, dtype="u1")
    return arr.reshape(height, width, bands) if bands > 1 else arr.reshape(height, width)


def decode_j2k(data: bytes, frame: DecodeFrame) -> np.ndarray:
    """Decode a JPEG 2000 frame with Pillow (OpenJPEG), undoing Pillow's rescaling.

    Pillow widens N-bit samples to 8 or 16 bits and offsets signed samples
    by half the range (Pillow ``src/libImaging/Jpeg2KDecode.c``); this shifts
    them back using the codestream precision the core read from the SIZ marker.

    :raises DecodeError: more than 8 bits with more than one sample (Pillow
        narrows them to 8 bits), or more than 16 bits.

    >>> import io, numpy as np
    >>> from PIL import Image
    >>> from dicom_pixels import DecodeFrame, ImageDescription
    >>> buf = io.BytesIO(); Image.fromarray(np.arange(6, dtype="u1").reshape(2, 3)).save(
    ...     buf, "JPEG2000", irreversible=False, no_jp2=True)
    >>> image = ImageDescription(2, 3, 1, 8, 8, 0, "MONOCHROME2", "1.2.840.10008.1.2.4.90")
    >>> frame = DecodeFrame(image=image, index=0, options={}, info={"j2k_precision": 8})
    >>> decode_j2k(buf.getvalue(), frame).tolist()
    [0, 1, 2, 3, 4, 5]
    """
    image = frame.image
    precision = int(frame.info.get("j2k_precision", image.bits_stored))
    if 0 < precision <= 8:
        itemsize = 1
    elif 8 < precision <= 16:
        if image.samples_per_pixel > 1:
            raise DecodeError(
                f"Unable to decode frame {frame.index}: Pillow cannot decode "
                f"{precision}-bit multi-sample JPEG 2000 data correctly (it narrows it to 8 bits)"
            )
        itemsize = 2
    else:
        raise DecodeError(
            f"Unable to decode frame {frame.index}: Pillow decodes JPEG 2000 with a precision "
            f"of up to 16 bits, this codestream has {precision}"
        )
    with _open(data, ("JPEG2000",)) as pil:
        buffer = bytearray(pil.tobytes())  # writable, for the in-place shifts below
    arr = np.frombuffer(buffer, dtype=f"u{itemsize}")

    is_signed = image.pixel_representation
    if frame.option("apply_j2k_sign_correction", False):
        is_signed = frame.info.get("j2k_is_signed", is_signed)
    if is_signed and image.pixel_representation == 1:
        # Pillow stored v + 2**(precision - 1) scaled to the container: view as
        # signed and subtract half the container range to get v scaled.
        arr = arr.view(f"i{itemsize}")
        arr -= np.int32(2 ** (8 * itemsize - 1)).astype(arr.dtype)
    if shift := 8 * itemsize - precision:
        np.right_shift(arr, shift, out=arr)

    report_j2k_colour_transform(frame)
    report_container(frame, precision)
    return arr
