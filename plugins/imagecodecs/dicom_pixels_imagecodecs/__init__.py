"""dicom-pixels plugin: imagecodecs."""

__version__ = "0.1.0"
