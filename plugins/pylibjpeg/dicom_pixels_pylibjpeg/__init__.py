"""dicom-pixels plugin: JPEG, JPEG-LS, JPEG 2000, HTJ2K and RLE through pylibjpeg's backends.

The codecs live in one module per backend, so a missing optional backend
(pylibjpeg-libjpeg is GPLv3 and only installed with the ``libjpeg`` extra)
never stops the others from importing:

* :mod:`dicom_pixels_pylibjpeg.libjpeg_codec` -- JPEG and JPEG-LS (pylibjpeg-libjpeg);
* :mod:`dicom_pixels_pylibjpeg.openjpeg_codec` -- JPEG 2000 and HTJ2K (pylibjpeg-openjpeg);
* :mod:`dicom_pixels_pylibjpeg.rle_codec` -- RLE Lossless (pylibjpeg-rle);
* :mod:`dicom_pixels_pylibjpeg.plugin` -- the declarations dicom-pixels reads.
"""

__version__ = "0.1.0"
