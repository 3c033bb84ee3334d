"""dicom-pixels plugin: gdcm."""

__version__ = "0.1.0"
