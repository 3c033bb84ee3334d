"""dicom-pixels plugin: pylibjpeg."""

__version__ = "0.1.0"
