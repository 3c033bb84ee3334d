"""dicom-pixels plugin: pillow."""

__version__ = "0.1.0"
