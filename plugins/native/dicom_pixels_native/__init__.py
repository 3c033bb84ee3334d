"""dicom-pixels-native: the codecs that need nothing but NumPy and zlib.

* :mod:`~dicom_pixels_native.native` -- uncompressed frames of the native
  transfer syntaxes (Implicit/Explicit VR Little Endian, Deflated Explicit VR
  Little Endian, Explicit VR Big Endian) and of Encapsulated Uncompressed
  Explicit VR Little Endian;
* :mod:`~dicom_pixels_native.rle` -- RLE Lossless (PS3.5 Annex G), decode and encode;
* :mod:`~dicom_pixels_native.deflate` -- Deflated Image Frame Compression
  (PS3.5 A.4.13), decode and encode.

The package registers itself with dicom-pixels through the ``native`` entry
point (:mod:`~dicom_pixels_native.plugin`); importing it loads no codec.

>>> import dicom_pixels_native
>>> dicom_pixels_native.__version__
'0.1.0'
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
