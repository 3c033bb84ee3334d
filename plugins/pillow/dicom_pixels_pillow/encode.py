"""Frame encoders backed by Pillow: JPEG Baseline (libjpeg) and JPEG 2000 (OpenJPEG).

Called by dicom-pixels as ``encode(arr, frame) -> bytes`` with one frame
(planar configuration 0) that already passed the encoding profile checks of
PS3.5 8.2; see :mod:`dicom_pixels.codec`. Pillow has no signed or
more-than-16-bit image modes, so those images are declined up front (see the
plugin's capabilities).

>>> import numpy as np
>>> from dicom_pixels import EncodeFrame, ImageDescription
>>> image = ImageDescription(8, 8, 1, 8, 8, 0, "MONOCHROME2", "1.2.840.10008.1.2.4.50")
>>> encode_jpeg(np.zeros((8, 8), "u1"), EncodeFrame(image=image, index=0, options={}))[:2].hex()
'ffd8'
"""

from __future__ import annotations

import io

import numpy as np

from dicom_pixels.codec import EncodeFrame
from dicom_pixels.errors import EncodeError

__all__ = ["encode_j2k", "encode_jpeg"]



def _pil_image(arr: np.ndarray, frame: EncodeFrame) -> object:
    from PIL import Image

    image = frame.image
    if image.pixel_representation:
        raise EncodeError("Pillow has no signed image mode")
    if image.samples_per_pixel == 3:
        if image.bits_allocated != 8:
            raise EncodeError("Pillow encodes only 8-bit colour images")
        return Image.fromarray(np.ascontiguousarray(arr, dtype="u1"), "RGB")
    if image.bits_allocated == 8:
        return Image.fromarray(np.ascontiguousarray(arr, dtype="u1"), "L")
    data = np.ascontiguousarray(arr, dtype="<u2").tobytes()
    return Image.frombytes("I;16", (image.columns, image.rows), data)


def encode_jpeg(arr: np.ndarray, frame: EncodeFrame) -> bytes:
    """JPEG Baseline (Process 1), option ``quality`` (default 90); colour becomes YBR_FULL_422."""
    image = frame.image
    if image.samples_per_pixel == 3 and image.photometric_interpretation != "RGB":
        raise EncodeError("Pillow encodes colour JPEG from RGB input only")
    pil = _pil_image(arr, frame)
    buffer = io.BytesIO()
    pil.save(buffer, format="JPEG", quality=int(frame.option("quality", 90)), subsampling=1)  # type: ignore[attr-defined]
    if image.samples_per_pixel == 3:
        frame.info["photometric_interpretation"] = "YBR_FULL_422"  # PS3.5 8.2.1
    return buffer.getvalue()


def encode_j2k(arr: np.ndarray, frame: EncodeFrame) -> bytes:
    """A JPEG 2000 codestream (PS3.5 8.2.4): lossless (5-3), or lossy with ``j2k_cr``/``j2k_psnr``."""
    image = frame.image
    pil = _pil_image(arr, frame)
    kwargs: dict[str, object] = {"no_jp2": True}  # a raw codestream, not a JP2 file (A.4.4)
    lossless = frame.lossless_only
    if lossless:
        kwargs["irreversible"] = False
    else:
        kwargs["irreversible"] = True
        cr, psnr = frame.option_numbers("j2k_cr"), frame.option_numbers("j2k_psnr")
        if cr is not None:
            kwargs.update(quality_mode="rates", quality_layers=cr)
        else:
            if image.bits_stored != image.bits_allocated:
                # Pillow writes I;16 with 16-bit precision, so OpenJPEG would measure the
                # PSNR against 65535 rather than 2**Bits Stored - 1: decline.
                raise EncodeError("Pillow encodes 'j2k_psnr' only when Bits Stored is 8 or 16")
            kwargs.update(quality_mode="dB", quality_layers=psnr)
    use_mct = bool(frame.option("use_mct", False)) and image.photometric_interpretation == "RGB"
    kwargs["mct"] = 1 if use_mct else 0
    buffer = io.BytesIO()
    pil.save(buffer, format="JPEG2000", **kwargs)  # type: ignore[attr-defined]
    if use_mct:
        frame.info["photometric_interpretation"] = "YBR_RCT" if lossless else "YBR_ICT"
    return buffer.getvalue()
