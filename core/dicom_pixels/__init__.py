"""dicom-pixels."""
