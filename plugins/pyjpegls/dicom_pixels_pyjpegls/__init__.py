"""dicom-pixels plugin: JPEG-LS Lossless and Near-Lossless through pyjpegls (CharLS)."""

__version__ = "0.1.0"
