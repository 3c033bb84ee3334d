"""dicom-pixels plugin: JPEG, JPEG-LS, JPEG 2000 and RLE through GDCM (python-gdcm).

* :mod:`dicom_pixels_gdcm.gdcm_codec` -- the decode callable;
* :mod:`dicom_pixels_gdcm.plugin` -- the declarations dicom-pixels reads.
"""

__version__ = "0.1.0"
