"""JPEG, JPEG-LS, JPEG 2000 and RLE Lossless frames through GDCM (python-gdcm).

Each frame is wrapped in a one-fragment ``gdcm.Image`` described by the Image
Pixel values, and GDCM's codec for the transfer syntax decodes it (libjpeg-turbo
and IJG 12/16-bit libjpeg for JPEG, CharLS for JPEG-LS, OpenJPEG for JPEG 2000,
its own RLE codec). GDCM holds the GIL while it works.

What GDCM returns, and so what is reported in ``frame.info``:

* JPEG-LS: colour-by-pixel, in a container sized from the SOF55 precision;
* JPEG 2000: a container sized from the SIZ precision, with the component
  transform (ISO/IEC 15444-1 Annex G) reversed, so YBR_ICT/YBR_RCT come back RGB;
* JPEG: what Bits Allocated and Planar Configuration say; no colour transform;
* RLE: planar configuration 0 (GDCM interleaves the segments itself); colour
  samples wider than 8 bits are declined because GDCM mixes up their bytes.

JPEG, JPEG-LS and JPEG 2000 mirror pydicom 3's
``pydicom.pixels.decoders.gdcm`` so that both give identical arrays.

>>> from dicom_pixels import DecodeFrame, ImageDescription
>>> image = ImageDescription(2, 2, 1, 8, 7, 0, "MONOCHROME2", "1.2.840.10008.1.2.4.80")
>>> decode_gdcm(b"", DecodeFrame(image=image, index=0, options={}))
Traceback (most recent call last):
...
ValueError: GDCM cannot decode JPEG-LS pixel data with a sample precision of 6 or 7 bits
"""

from __future__ import annotations

import gdcm

from dicom_pixels.codec import J2K_TRANSFORMED_COLOUR, DecodeFrame, container_dtype
from dicom_pixels.codestream import jpeg_header_problem

__all__ = ["decode_gdcm"]

JPEG_EXTENDED = "1.2.840.10008.1.2.4.51"
JPEG_LS_NEAR_LOSSLESS = "1.2.840.10008.1.2.4.81"
RLE_LOSSLESS = "1.2.840.10008.1.2.5"


def decode_gdcm(data: bytes, frame: DecodeFrame) -> bytes:
    """Decode one frame with GDCM.

    :param data: the frame's codestream.
    :param frame: the decoding context. ``photometric_interpretation`` in
        ``frame.info`` (the core's value conformed to the codestream's JFIF or
        component IDs) is what GDCM is told; ``j2k_precision`` and
        ``jls_precision`` choose the container size.
    :returns: the decoded little-endian sample bytes.
    :raises NotImplementedError: 12-bit JPEG Extended, RLE colour data with more
        than 8 Bits Allocated, which GDCM decodes wrongly, and colour data whose
        Bits Stored is not its Bits Allocated, or 8-bit data with fewer bits
        stored, on which GDCM aborts.
    :raises ValueError: JPEG-LS cases GDCM's CharLS cannot decode, or GDCM
        returned nothing (corrupt data).
    """
    image = frame.image
    ts = image.transfer_syntax
    info = frame.info
    photometric = info.get("photometric_interpretation", image.photometric_interpretation)
    bits_stored = image.bits_stored
    bits_allocated = image.bits_allocated

    if ts.uid == JPEG_EXTENDED and bits_stored != 8:
        raise NotImplementedError(
            "GDCM does not support 'JPEG Extended' for samples with 12-bit precision"
        )
    if ts.family == "jpegls":
        if ts.uid == JPEG_LS_NEAR_LOSSLESS and image.pixel_representation == 1 and bits_stored < 8:
            raise ValueError(
                "GDCM cannot decode signed near-lossless JPEG-LS pixel data with a sample "
                "precision of less than 8 bits"
            )
        if bits_stored in (6, 7):
            raise ValueError(
                "GDCM cannot decode JPEG-LS pixel data with a sample precision of 6 or 7 bits"
            )
        # GDCM returns JPEG-LS colour-by-pixel, sized from the SOF55 precision.
        info["planar_configuration"] = 0
        bits_stored = info.get("jls_precision", bits_stored)
        bits_allocated = _container_bits(bits_stored, bits_allocated)
    elif ts.family == "j2k":
        bits_stored = info.get("j2k_precision", bits_stored)
        bits_allocated = _container_bits(bits_stored, bits_allocated)
    elif ts.uid == RLE_LOSSLESS:
        if image.samples_per_pixel > 1 and bits_allocated > 8:
            # GDCM 3.x scrambles the byte segments of colour samples wider than a
            # byte (PS3.5 G.2 orders them R-MSB, R-LSB, G-MSB, ...), so decline.
            raise NotImplementedError(
                "RLE Lossless colour pixel data with more than 8 Bits Allocated is not "
                "supported: GDCM mixes up the bytes of its samples"
            )
        if photometric == "YBR_FULL_422":
            # GDCM's RLE codec sizes such a frame as subsampled and aborts the process
            # ("check == len" in gdcmRLECodec.cxx; fuzz finding). The native plugin, like
            # pydicom, reads such frames at full resolution.
            raise NotImplementedError(
                "GDCM cannot decode RLE Lossless pixel data labelled YBR_FULL_422 (it aborts the process)"
            )
        if image.rows * image.columns < 64:
            # Measured on every size up to 11 x 11: GDCM's RLE reader returns nothing for a
            # frame of fewer than 64 pixels, whatever its content.
            raise NotImplementedError("GDCM cannot decode RLE Lossless frames of fewer than 64 pixels")
        # GDCM's RLE codec interleaves the component segments itself.
        info["planar_configuration"] = 0
    if bits_stored != bits_allocated and (
        image.samples_per_pixel > 1 or (bits_allocated == 8 and ts.family in ("rle", "jpeg"))
    ):
        # GDCM aborts the whole process (an uncaught gdcm::Exception, "PF.GetBitsAllocated()
        # == PF.GetBitsStored()" in gdcmImageCodec.cxx) on colour data, and on 8-bit RLE or
        # JPEG data, with unused high bits (fuzz findings): decline first.
        raise NotImplementedError(
            f"GDCM cannot decode this pixel data with (0028,0101) Bits Stored {bits_stored} "
            f"in (0028,0100) Bits Allocated {bits_allocated} (it aborts the process)"
        )
    if bits_allocated != image.bits_allocated:
        info["bits_allocated"] = bits_allocated

    if ts.family in ("jpeg", "jpegls"):
        problem = jpeg_header_problem(data)
        if problem is not None:
            # GDCM aborts the process on a header libjpeg warns about (fuzz findings).
            raise ValueError(f"the JPEG header is damaged ({problem}); GDCM would abort on it")

    fragment = gdcm.Fragment()
    fragment.SetByteStringValue(data if isinstance(data, bytes) else bytes(data))
    fragments = gdcm.SequenceOfFragments.New()
    fragments.AddFragment(fragment)
    element = gdcm.DataElement(gdcm.Tag(0x7FE0, 0x0010))
    element.SetValue(fragments.__ref__())

    img = gdcm.Image()
    img.SetNumberOfDimensions(2)
    img.SetDimensions((image.columns, image.rows, 1))
    img.SetDataElement(element)
    pi_type = gdcm.PhotometricInterpretation.GetPIType(photometric)
    img.SetPhotometricInterpretation(gdcm.PhotometricInterpretation(pi_type))
    if image.samples_per_pixel > 1:
        img.SetPlanarConfiguration(image.planar_configuration)
    img.SetTransferSyntax(gdcm.TransferSyntax(gdcm.TransferSyntax.GetTSType(ts.uid)))
    img.SetPixelFormat(
        gdcm.PixelFormat(
            image.samples_per_pixel,
            bits_allocated,
            bits_stored,
            bits_stored - 1,
            image.pixel_representation,
        )
    )
    # SWIG hands the char* back as str; surrogateescape restores the raw bytes.
    buffer = img.GetBuffer()
    if buffer is None:
        raise ValueError("GDCM could not decode the frame (the data may be corrupt)")
    pixels = buffer.encode("utf-8", "surrogateescape")

    # GDCM reverses the J2K component transform (ISO/IEC 15444-1 G.2, G.3).
    if ts.family == "j2k" and photometric in J2K_TRANSFORMED_COLOUR:
        info["photometric_interpretation"] = "RGB"
    return pixels


def _container_bits(precision: int, default: int) -> int:
    """Bits of the container that holds *precision*-bit samples (the core's rule), else *default*."""
    return container_dtype(precision).itemsize * 8 if 0 < precision <= 32 else default
