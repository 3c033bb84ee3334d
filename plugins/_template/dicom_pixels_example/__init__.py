"""dicom-pixels plugin template: rename me."""

__version__ = "0.1.0"
