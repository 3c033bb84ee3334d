"""Frame encoders backed by GDCM's ``ImageChangeTransferSyntax`` (python-gdcm).

One function, :func:`encode_gdcm`, serves every lossless transfer syntax GDCM
writes: RLE Lossless, JPEG Lossless SV1, JPEG-LS Lossless and JPEG 2000
Lossless. It is called by dicom-pixels as ``encode(arr, frame) -> bytes`` with
one frame (planar configuration 0) that already passed the encoding profile
checks of PS3.5 8.2; see :mod:`dicom_pixels.codec`.

>>> import numpy as np
>>> from dicom_pixels import EncodeFrame, ImageDescription
>>> image = ImageDescription(4, 4, 1, 8, 8, 0, "MONOCHROME2", "1.2.840.10008.1.2.5")
>>> len(encode_gdcm(np.zeros((4, 4), "u1"), EncodeFrame(image=image, index=0, options={}))) > 64
True
"""

from __future__ import annotations

import numpy as np

from dicom_pixels.codec import EncodeFrame
from dicom_pixels.errors import EncodeError

__all__ = ["encode_gdcm"]


def encode_gdcm(arr: np.ndarray, frame: EncodeFrame) -> bytes:
    """Encode one frame with GDCM into the frame's transfer syntax (lossless syntaxes only)."""
    import gdcm

    image = frame.image
    pi_type = gdcm.PhotometricInterpretation.GetPIType(image.photometric_interpretation)
    if pi_type == gdcm.PhotometricInterpretation.PI_END:
        raise EncodeError(f"GDCM does not know the Photometric Interpretation {image.photometric_interpretation!r}")
    if image.transfer_syntax.family == "jpegls" and image.bits_allocated == 8 and image.bits_stored < 8:
        # GDCM's JPEG-LS writer aborts the process (a failed assertion) on these images.
        raise EncodeError("GDCM cannot write JPEG-LS with fewer than 8 bits stored in 8-bit samples")
    if image.transfer_syntax.family == "rle" and image.bits_allocated == 8 and (image.rows * image.columns) % 2:
        # GDCM's RLE writer aborts the process (an uncaught C++ exception, "partition % dims[1]"
        # or "image_len % MaxNumSegments") when an 8-bit frame has an odd number of pixels.
        raise EncodeError("GDCM cannot write RLE for 8-bit frames with an odd number of pixels")
    target = gdcm.TransferSyntax.GetTSType(image.transfer_syntax_uid)
    if target == gdcm.TransferSyntax.TS_END:
        raise EncodeError(f"GDCM cannot write '{image.transfer_syntax.name}'")
    # GDCM's Image must come from an ImageWriter (which must stay alive while it is used).
    writer = gdcm.ImageWriter()
    gimage = writer.GetImage()
    gimage.SetNumberOfDimensions(2)
    gimage.SetDimensions((image.columns, image.rows, 1))
    gimage.SetPhotometricInterpretation(gdcm.PhotometricInterpretation(pi_type))
    gimage.SetTransferSyntax(gdcm.TransferSyntax(gdcm.TransferSyntax.ImplicitVRLittleEndian))
    gimage.SetPixelFormat(
        gdcm.PixelFormat(
            image.samples_per_pixel,
            image.bits_allocated,
            image.bits_stored,
            image.bits_stored - 1,
            image.pixel_representation,
        )
    )
    if image.samples_per_pixel > 1:
        gimage.SetPlanarConfiguration(0)
    element = gdcm.DataElement(gdcm.Tag(0x7FE0, 0x0010))
    data = np.ascontiguousarray(arr, dtype=image.dtype.newbyteorder("<")).tobytes()
    element.SetByteStringValue(data)
    gimage.SetDataElement(element)
    converter = gdcm.ImageChangeTransferSyntax()
    converter.SetTransferSyntax(gdcm.TransferSyntax(target))
    converter.SetInput(gimage)
    if not converter.Change():
        raise EncodeError(f"GDCM failed to encode frame {frame.index} as '{image.transfer_syntax.name}'")
    fragments = converter.GetOutput().GetDataElement().GetSequenceOfFragments()
    if fragments is None or fragments.GetNumberOfFragments() < 1:
        raise EncodeError("GDCM returned no encapsulated fragments")
    # PS3.5 A.4: one frame may span several fragments; the frame is their concatenation.
    parts = [
        fragments.GetFragment(i).GetByteValue().GetBuffer().encode("utf-8", "surrogateescape")
        for i in range(fragments.GetNumberOfFragments())
    ]
    return b"".join(parts)
