"""Frame encoders backed by pylibjpeg-openjpeg (JPEG 2000) and pylibjpeg-rle (RLE Lossless).

Each function is called by dicom-pixels as ``encode(arr, frame) -> bytes`` with
one frame (``(rows, cols)`` or ``(rows, cols, samples)``, planar configuration
0) that already passed the transfer syntax's encoding profile and option
checks (PS3.5 8.2); see :mod:`dicom_pixels.codec`.

>>> import numpy as np
>>> from dicom_pixels import EncodeFrame, ImageDescription
>>> image = ImageDescription(64, 64, 1, 8, 8, 0, "MONOCHROME2", "1.2.840.10008.1.2.4.90")
>>> encode_j2k(np.zeros((64, 64), "u1"), EncodeFrame(image=image, index=0, options={}))[:4].hex()
'ff4fff51'
"""

from __future__ import annotations

import numpy as np

from dicom_pixels.codec import EncodeFrame
from dicom_pixels.errors import EncodeError

__all__ = ["encode_j2k", "encode_rle"]

# openjpeg's photometric_interpretation codes (pylibjpeg-openjpeg encode_array).
_OPENJPEG_COLOR = {"RGB": 1, "MONOCHROME1": 2, "MONOCHROME2": 2, "PALETTE COLOR": 2, "YBR_FULL": 3}


#: The smallest side pylibjpeg-openjpeg's fixed 6 resolution levels can encode (2**5).
_OPENJPEG_MIN_SIZE = 32


def encode_j2k(arr: np.ndarray, frame: EncodeFrame) -> bytes:
    """Encode one frame as a JPEG 2000 codestream (ISO/IEC 15444-1, PS3.5 A.4.4).

    Lossless (5-3 wavelet) for the '(Lossless Only)' syntaxes; lossy (9-7 wavelet)
    with ``j2k_cr`` (compression ratio per quality layer) or ``j2k_psnr`` (dB)
    otherwise. With ``use_mct=True`` an RGB image is stored with the reversible
    (YBR_RCT) or irreversible (YBR_ICT) colour transform, reported in
    ``frame.info["photometric_interpretation"]`` (PS3.5 8.2.4).
    """
    from openjpeg.utils import encode_array

    image = frame.image
    if image.bits_stored > 24:
        raise EncodeError(
            f"pylibjpeg-openjpeg encodes at most 24-bit samples, not {image.bits_stored}"
        )
    if min(image.rows, image.columns) < _OPENJPEG_MIN_SIZE:
        # pylibjpeg-openjpeg always asks for 6 resolution levels (5 decompositions,
        # ISO/IEC 15444-1 B.5), which opj_start_compress() rejects below 32 pixels.
        raise EncodeError(
            f"pylibjpeg-openjpeg cannot encode a {image.rows} x {image.columns} image: its 6 "
            f"resolution levels need at least {_OPENJPEG_MIN_SIZE} rows and columns"
        )
    lossless = frame.lossless_only
    use_mct = bool(frame.option("use_mct", False)) and image.photometric_interpretation == "RGB"
    cr, psnr = frame.option_numbers("j2k_cr"), frame.option_numbers("j2k_psnr")
    kwargs = {}
    if not lossless:
        if cr is not None:
            kwargs["compression_ratios"] = cr
        elif psnr is not None:
            kwargs["signal_noise_ratios"] = psnr
    data = np.ascontiguousarray(arr)
    if image.bits_allocated == 8 and data.dtype.itemsize != 1:
        data = data.astype(image.dtype)
    encoded = encode_array(
        data,
        bits_stored=image.bits_stored,
        photometric_interpretation=_OPENJPEG_COLOR.get(image.photometric_interpretation, 0),
        use_mct=use_mct,
        codec_format=0,  # a J2K codestream, not a JP2 file (PS3.5 A.4.4)
        **kwargs,
    )
    if use_mct:
        frame.info["photometric_interpretation"] = "YBR_RCT" if lossless or not kwargs else "YBR_ICT"
    return bytes(encoded)


def encode_rle(arr: np.ndarray, frame: EncodeFrame) -> bytes:
    """Encode one frame as RLE Lossless (PS3.5 Annex G) with pylibjpeg-rle."""
    from rle.utils import encode_pixel_data

    image = frame.image
    data = np.ascontiguousarray(arr, dtype=image.dtype.newbyteorder("<"))
    return bytes(
        encode_pixel_data(
            data.tobytes(),
            rows=image.rows,
            columns=image.columns,
            samples_per_pixel=image.samples_per_pixel,
            bits_allocated=image.bits_allocated,
            byteorder="<",
        )
    )
